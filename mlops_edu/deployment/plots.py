"""Figures of the inference and deployment chapters (03, 05).

Every function returns a matplotlib ``Figure``; :func:`save_figure` writes one into ``results/`` (figures
made of timings vary between runs: show them in ``# NBVAL_IGNORE_OUTPUT`` cells).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

COLORS = {"in-process": "#4C72B0", "HTTP": "#C44E52", "champion": "#4C72B0", "challenger": "#DD8452",
          "blue": "#4C72B0", "green": "#55A868", "A": "#4C72B0", "B": "#DD8452"}


def _color(name: str, i: int) -> str:
    return COLORS.get(name, f"C{i}")


def save_figure(fig: Figure, name: str, folder: str | Path | None = None) -> Path:
    """Write ``fig`` as ``<folder>/<name>.png`` (default ``results/figures`` next to ``workspaces/``) and
    return the path (do not print it in a checked output: it is machine-specific)."""
    if folder is None:
        from mlops_edu.workbook.config import workspace_home

        folder = workspace_home() / "results" / "figures"
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    return path


# --------------------------------------------------------------------------------------------------
# Chapter 03: latency, throughput, streaming
# --------------------------------------------------------------------------------------------------

def plot_throughput(table: pd.DataFrame, title: str = "Bigger batches, more rows per second") -> Figure:
    """Rows per second against batch size (log-log), one line per ``how`` (e.g. in-process vs HTTP).

    ``table`` is :func:`mlops_edu.deployment.latency.compare_throughput`'s output.
    """
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    for i, (how, part) in enumerate(table.groupby("how", sort=False)):
        ax.plot(part["batch_size"], part["rows_per_s"], marker="o", color=_color(str(how), i), label=str(how))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows per request / call (batch size)")
    ax.set_ylabel("rows scored per second")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_latency(timings: Mapping[str, Sequence[float]], title: str = "One customer per request") -> Figure:
    """Distribution of request times in milliseconds per ``{name: seconds}``, with p50/p95/p99 marked."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for i, (name, seconds) in enumerate(timings.items()):
        ms = np.sort(np.asarray(seconds, dtype=float) * 1000.0)
        ax.plot(ms, np.arange(1, ms.size + 1) / ms.size, color=_color(name, i), label=name)
        for q, style in ((50, "-"), (95, "--"), (99, ":")):
            ax.axvline(np.percentile(ms, q), color=_color(name, i), linestyle=style, linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("milliseconds per request (lines: p50 solid, p95 dashed, p99 dotted)")
    ax.set_ylabel("share of requests at most this slow")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_stream(batches: pd.DataFrame, title: str = "A stream of micro-batches: scores now, labels later") -> Figure:
    """Per micro-batch: rows scored, labels joined, labels dropped as late (bars) and the state size (line)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    x = batches["batch"].to_numpy()
    ax.bar(x - 0.27, batches["scored"], width=0.27, color="#4C72B0", label="rows scored")
    ax.bar(x, batches["joined"], width=0.27, color="#55A868", label="labels joined")
    ax.bar(x + 0.27, batches["dropped_late"], width=0.27, color="#C44E52", label="labels dropped (too late)")
    ax.set_xlabel("micro-batch (one week of arrivals)")
    ax.set_ylabel("rows")
    state = ax.twinx()
    state.plot(x, batches["state_rows"], color="grey", marker=".", label="predictions waiting (state)")
    state.set_ylabel("rows held in state")
    state.set_ylim(bottom=0)
    state.grid(False)
    handles = ax.get_legend_handles_labels()[0] + state.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, fontsize=8, frameon=False)
    ax.set_title(title)
    fig.tight_layout()
    return fig
