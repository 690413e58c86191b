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
    """Write ``fig`` as ``<folder>/<name>.png`` and return the path (machine-specific: do not print it).

    Serves lecture sections 5.2 and 6 (chapters 03 and 05).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    name : str
        File name without ``.png``.
    folder : str, pathlib.Path or None
        Target folder (created if needed); default ``results/figures`` next to ``workspaces/``.

    Returns
    -------
    pathlib.Path
    """
    if folder is None:
        from mlops_edu.workbook.workspace import workspace_home

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

    Serves lecture section 5.2 (chapter 03).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`mlops_edu.deployment.latency.compare_throughput`'s output (``how``, ``batch_size``, ``rows_per_s``).
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
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
    """Distribution of request times in milliseconds per ``{name: seconds}``, with p50/p95/p99 marked.

    Serves lecture section 5.2 (chapter 03).

    Parameters
    ----------
    timings : mapping of str to sequence of float
        Request times in seconds, one entry per way of scoring.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
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
    """Per micro-batch: rows scored, labels joined, labels dropped as late (bars) and the state size (line).

    Serves lecture section 5.2 (chapter 03, streaming).

    Parameters
    ----------
    batches : pandas.DataFrame
        One row per micro-batch: ``batch``, ``scored``, ``joined``, ``dropped_late``, ``state_rows``.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
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


# --------------------------------------------------------------------------------------------------
# Chapter 05: canary, A/B power
# --------------------------------------------------------------------------------------------------

def plot_canary(runs: Mapping[str, pd.DataFrame], max_error_rate: float, min_agreement: float,
                title: str = "Canary stages: the challenger's share and its guardrails") -> Figure:
    """One panel per guardrail (error rate, agreement) against the canary stage share, one line per run.

    Serves lecture section 6 (chapter 05). The guardrail limits are dashed lines, a cross marks a stage
    where a run rolled back.

    Parameters
    ----------
    runs : mapping of str to pandas.DataFrame
        ``{name: run_canary table}`` (columns ``stage share``, ``error rate``, ``agreement``, ``verdict``).
    max_error_rate : float
        The error-rate guardrail.
    min_agreement : float
        The agreement guardrail.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8), sharex=True)
    for i, (name, table) in enumerate(runs.items()):
        x = table["stage share"] * 100
        for ax, column in zip(axes, ("error rate", "agreement")):
            ax.plot(x, table[column], marker="o", color=f"C{i}", label=name)
            failed = table["verdict"].str.startswith("rollback")
            ax.scatter(x[failed], table.loc[failed, column], marker="x", s=120, color="black", zorder=3)
    axes[0].axhline(max_error_rate, color="grey", linestyle="--", label=f"limit {max_error_rate:g}")
    axes[1].axhline(min_agreement, color="grey", linestyle="--", label=f"limit {min_agreement:g}")
    axes[0].set_ylabel("challenger error rate")
    axes[1].set_ylabel("agreement with the champion")
    axes[0].set_ylim(-0.05, 1.05)
    axes[1].set_ylim(-0.05, 1.05)
    for ax in axes:
        ax.set_xlabel("share of requests sent to the challenger (%)")
        ax.legend(loc="center right", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_power(rate_a: float, rate_b: float, n_observed: int, alpha: float = 0.05,
               title: str = "How many customers does the A/B test need?") -> Figure:
    """Power of the two-proportion test against customers per arm, for the observed rates.

    Serves lecture section 6 (chapter 05, A/B test). Marks the customers the test had, the customers needed
    and the 80 % line.

    Parameters
    ----------
    rate_a, rate_b : float
        Observed success rates of the two arms.
    n_observed : int
        Customers per arm the test had.
    alpha : float
        Significance level.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from mlops_edu.deployment.abtest import power_of, sample_size

    need = sample_size(rate_a, rate_b, alpha) if rate_a != rate_b else n_observed * 100
    n = np.unique(np.geomspace(max(10, n_observed // 10), max(need, n_observed) * 3, 80).astype(int))
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.plot(n, [power_of(int(k), rate_a, rate_b, alpha) for k in n], color="#4C72B0")
    ax.axhline(0.8, color="grey", linestyle="--", label="80 % power")
    ax.axvline(n_observed, color="#C44E52", linestyle=":", label=f"this test: {n_observed:,} per arm")
    ax.axvline(need, color="#55A868", linestyle=":", label=f"needed: {need:,} per arm")
    ax.set_xscale("log")
    ax.set_xlabel("customers per arm")
    ax.set_ylabel("chance to detect the difference")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
