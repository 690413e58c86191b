"""The fixed run environment of a chapter: plot style, table display and one compute thread.

Called by :func:`mlops_edu.setup_chapter` (DESIGN.md "Reproducibility rules"): the same notebook prints
the same bytes on a laptop with 2 cores and on one with 16, alone or beside another chapter.

* **Plots** get one style and DPI (and a fixed SVG hash salt), **tables** one display precision.
* **Threads**: numerical libraries (OpenBLAS, OpenMP in LightGBM and scikit-learn) are limited to one
  thread, in this process (``threadpoolctl``) and in the processes it starts (``OMP_NUM_THREADS`` and
  friends: scoring servers, Spark). The chapters' models are small, so one thread costs little alone; when
  the runner executes two chapters at once on two cores, threads that spin-wait for each other (OpenMP,
  OpenBLAS) would otherwise fight over the cores (measured: ``run_all.py --jobs 2`` 176 s -> 159 s, with
  byte-identical outputs).
"""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Environment variables that fix the thread count of the libraries a child process loads."""

_limits = None  # the threadpoolctl limiter, kept alive for the whole kernel


def one_thread() -> None:
    """Limit BLAS and OpenMP to one thread here and in every child process started from now on.

    A variable the user set already (e.g. ``OMP_NUM_THREADS=4``) is left as it is for children.
    """
    global _limits
    from threadpoolctl import threadpool_limits

    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    _limits = threadpool_limits(limits=1)


def style_plots() -> None:
    """One matplotlib style for every figure of the workbook."""
    import matplotlib as mpl

    mpl.rcdefaults()
    mpl.rcParams.update({
        "figure.figsize": (7.0, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
        "svg.hashsalt": "mlops-edu",
    })


def style_tables() -> None:
    """One pandas display precision and width for every table of the workbook."""
    import pandas as pd

    pd.set_option("display.precision", 3)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 120)
    pd.set_option("display.max_colwidth", 100)
