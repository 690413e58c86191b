"""Execute chapters for the runner: papermill in a kernel of this interpreter, one chapter or many at once.

The execution half of :mod:`mlops_edu.workbook.runner` (which re-exports its public names): a kernelspec
named ``mlops-edu`` is written into the workspaces folder and put first on ``JUPYTER_PATH``; each chapter
runs top to bottom, its records are collected, and (``write_back``) the executed copy replaces the
committed notebook only on success, atomically; several chapters run in parallel processes, the longest
first.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
import multiprocessing
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from mlops_edu.workbook.config import RECORD_ENV
from mlops_edu.workbook.notebooks import KERNEL_NAME, normalise, write_notebook
from mlops_edu.workbook.workspace import HOME_ENV


@dataclass
class ChapterResult:
    """What happened to one chapter in a run.

    Attributes
    ----------
    chapter : str
        Two-digit chapter number.
    notebook : str
        The notebook's path relative to the current directory (else its file name).
    status : str
        ``"ok"`` or ``"failed"``.
    seconds : float
        Execution time, rounded to 0.1 s.
    error : str or None
        ``"Name: value"`` of the error (prefixed ``In [n]:`` when known, at most 2000 characters).
    cell : int or None
        Index of the failing cell (0-based, as JupyterLab counts).
    records : dict
        What the chapter recorded with :func:`mlops_edu.record`.
    """

    chapter: str
    notebook: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str | None = None
    cell: int | None = None
    records: dict[str, Any] = field(default_factory=dict)


def _temp_path(prefix: str, suffix: str) -> Path:
    """A fresh temporary file name (the file is created and its descriptor closed)."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    os.close(fd)
    return Path(name)


# -------------------------------------------------------------------------------------------- executing
def ensure_kernel(home: Path) -> str:
    """Write a kernelspec for this interpreter under ``home`` and put it first on JUPYTER_PATH.

    Parameters
    ----------
    home : Path
        The spec goes to ``home/workspaces/.jupyter/kernels/mlops-edu``.

    Returns
    -------
    str
        The kernel name, :data:`KERNEL_NAME`.
    """
    spec_dir = home / "workspaces" / ".jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.log_level=CRITICAL"],
        "display_name": "Python 3 (mlops-edu)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    jupyter_path = str(home / "workspaces" / ".jupyter")
    parts = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p and p != jupyter_path]
    os.environ["JUPYTER_PATH"] = os.pathsep.join([jupyter_path, *parts])
    return KERNEL_NAME


def _error_text(exc: BaseException) -> tuple[str, int | None, int | None]:
    """``"Name: value"``, the cell index (0-based, as JupyterLab counts) and the execution count."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(exc).__name__}: {exc}"
    return text, getattr(exc, "cell_index", None), getattr(exc, "exec_count", None)


def execute_chapter(path: Path, *, quick: bool, home: Path, failed_dir: Path, executed_dir: Path,
                    write_back: bool, parameters: dict[str, Any] | None = None) -> ChapterResult:
    """Execute one chapter with papermill; on success write it back (normalised) if ``write_back``.

    The chapter runs in its own folder, with ``$MLOPS_EDU_HOME`` set to ``home`` and its records collected
    from a temporary ``$MLOPS_EDU_RECORD_FILE``.

    Parameters
    ----------
    path : Path
        The chapter notebook.
    quick : bool
        Inject ``QUICK=True`` (smaller data, fewer trials).
    home : Path
        The folder that holds ``workspaces/`` (and the kernelspec, :func:`ensure_kernel`).
    failed_dir : Path
        Where the executed copy of a failing chapter goes (volatile outputs kept).
    executed_dir : Path
        Where the executed copy of a passing chapter goes (volatile outputs kept).
    write_back : bool
        Replace ``path`` by the normalised executed notebook when it passes.
    parameters : dict or None
        Other papermill parameters.

    Returns
    -------
    ChapterResult
    """
    import papermill

    kernel = ensure_kernel(home)
    params = dict(parameters or {})
    if quick:
        params["QUICK"] = True
    os.environ[HOME_ENV] = str(home)
    record_file = _temp_path(f"records-{path.stem}-", ".json")
    record_file.unlink()
    os.environ[RECORD_ENV] = str(record_file)
    tmp_out = _temp_path(f"{path.stem}-", ".ipynb")
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(path), str(tmp_out), parameters=params or None, kernel_name=kernel, cwd=str(path.parent),
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
        )
    except Exception as exc:  # papermill raises PapermillExecutionError, or kernel/IO errors
        seconds = time.perf_counter() - start
        error, cell, exec_count = _error_text(exc)
        if exec_count is not None:
            error = f"In [{exec_count}]: {error}"
        if tmp_out.exists():
            failed_dir.mkdir(parents=True, exist_ok=True)
            nb = nbformat.read(tmp_out, as_version=4)
            write_notebook(normalise(nb, keep_volatile_outputs=True), failed_dir / path.name)
        tmp_out.unlink(missing_ok=True)
        return ChapterResult(path.name[:2], _rel(path), "failed", round(seconds, 1), error.strip()[:2000], cell,
                             _read_records(record_file))
    finally:
        os.environ.pop(RECORD_ENV, None)
    seconds = time.perf_counter() - start
    executed = nbformat.read(tmp_out, as_version=4)
    tmp_out.unlink(missing_ok=True)
    write_notebook(normalise(executed, keep_volatile_outputs=True), executed_dir / path.name)
    if write_back:
        write_notebook(normalise(executed), path)
    return ChapterResult(path.name[:2], _rel(path), "ok", round(seconds, 1), records=_read_records(record_file))


def _read_records(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name


def _execute_in_worker(kwargs: dict[str, Any]) -> ChapterResult:
    return execute_chapter(**kwargs)


def chapter_seconds(manifest: Path) -> dict[str, float]:
    """Each chapter's seconds in the last full (not ``--quick``) run that executed it, from ``manifest.json``
    (its ``seconds_by_chapter``, kept across ``--only`` runs); empty when there is no readable manifest.

    Parameters
    ----------
    manifest : Path
        The manifest file.

    Returns
    -------
    dict of str to float
    """
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in data.get("seconds_by_chapter", {}).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def longest_first(chapters: list[Path], manifest: Path) -> list[Path]:
    """``chapters`` ordered by :func:`chapter_seconds`, longest first.

    With several jobs the run ends when its last chapter does; starting the long chapters first keeps a
    long one from starting last (chapters never timed go first, then file order).

    Parameters
    ----------
    chapters : list of Path
        Chapter notebooks.
    manifest : Path
        The ``manifest.json`` of the last run.

    Returns
    -------
    list of Path
    """
    seconds = chapter_seconds(manifest)
    return sorted(chapters, key=lambda p: -seconds.get(p.name[:2], float("inf")))


def run_chapters(chapters: list[Path], *, jobs: int, quick: bool, fail_fast: bool, home: Path,
                 results: Path, write_back: bool, echo=print) -> list[ChapterResult]:
    """Execute ``chapters`` (in parallel when ``jobs`` > 1, longest first as the last run in ``results``
    measured them), printing one progress line per chapter; results come back in the order given.

    Parameters
    ----------
    chapters : list of Path
        Chapter notebooks.
    jobs : int
        Chapters executed at once (in spawned worker processes when above 1).
    quick, home, write_back
        As in :func:`execute_chapter`.
    fail_fast : bool
        Stop at the first failing chapter: chapters not started yet are not run (in parallel, those already
        running finish but are not reported).
    results : Path
        Results folder: executed copies go to ``results/executed``, failing ones to ``results/failed``.
    echo : callable
        Prints the progress lines (called like ``print``, with ``flush=True``).

    Returns
    -------
    list of ChapterResult
        One per chapter reported.
    """
    common = dict(quick=quick, home=home, failed_dir=results / "failed", executed_dir=results / "executed",
                  write_back=write_back)
    done: list[ChapterResult] = []

    def report(result: ChapterResult) -> None:
        done.append(result)
        line = f"[{len(done)}/{len(chapters)}] {result.notebook:<42} {result.status:<6} {result.seconds:6.1f} s"
        if result.status != "ok":
            where = f"cell {result.cell}" if result.cell is not None else "before the first cell"
            line += f"\n      {result.notebook}, {where}: {result.error.splitlines()[0] if result.error else ''}"
        echo(line, flush=True)

    if jobs <= 1:
        for path in chapters:
            echo(f"      running {path.name} ...", flush=True)
            report(execute_chapter(path, **common))
            if fail_fast and done[-1].status != "ok":
                break
    else:
        context = multiprocessing.get_context("spawn")
        with futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            pending = {pool.submit(_execute_in_worker, dict(path=p, **common)): p
                       for p in longest_first(chapters, results / "manifest.json")}
            for future in futures.as_completed(pending):
                report(future.result())
                if fail_fast and done[-1].status != "ok":
                    for other in pending:
                        other.cancel()
                    break
    order = {p.name[:2]: i for i, p in enumerate(chapters)}
    return sorted(done, key=lambda r: order[r.chapter])
