"""Figures of the monitoring chapter (04) and the closed loop (10).

Every function returns a matplotlib ``Figure``; in a notebook, assigning it shows it once.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

SIGNAL_COLORS = {"input": "#4C72B0", "prediction": "#8172B3", "estimated": "#DD8452", "realised": "#C44E52",
                 "threshold": "grey"}


def plot_sample_size_trap(table: pd.DataFrame, threshold: float = 0.1,
                          title: str = "With no drift at all, PSI shrinks only as the sample grows") -> Figure:
    """Mean PSI of two samples of the same distribution against the sample size, with its expected value.

    Serves lecture section 5.3 (chapter 04, thresholds). Draws the expected value (B-1)(1/n+1/m) and the
    rule of thumb as a horizontal line.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~mlops_edu.monitoring.sample_size_table` (indexed by n; ``psi_mean``, ``psi_expected``).
    threshold : float
        The rule of thumb drawn.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n = table.index.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    grid = np.logspace(np.log10(n.min()), np.log10(n.max()), 50)
    bins_minus_1 = float(table["psi_expected"].iloc[0] / (2 / n[0]))
    ax.plot(grid, bins_minus_1 * 2 / grid, color=SIGNAL_COLORS["threshold"], linestyle="--",
            label="expected: (B-1)(1/n + 1/m)")
    ax.plot(n, table["psi_mean"], "o", color=SIGNAL_COLORS["input"], markersize=8, label="measured mean PSI, no drift")
    ax.axhline(threshold, color=SIGNAL_COLORS["realised"], linewidth=1, label=f"rule of thumb {threshold:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows in each sample (n = m)")
    ax.set_ylabel("PSI")
    ax.set_title(title)
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig


def plot_signals(timelines: Mapping[str, pd.DataFrame], drift_month: int, *, input_threshold: float | None = None,
                 f1_floor: float | None = None, title: str = "Which signal sees which drift?") -> Figure:
    """One column per scenario, three rows: input drift share, prediction drift (PSI), F1 estimated vs realised.

    Serves lecture section 5.3 (chapter 04). Each point is drawn at its month (realised F1 is known a month
    later).

    Parameters
    ----------
    timelines : mapping of str to pandas.DataFrame
        ``{scenario: timeline}`` with ``month``, ``input_drift_share``, ``prediction_psi``, ``f1_estimated``
        and ``f1_realised``.
    drift_month : int
        The (0-based) month the drift starts; it and the months after it are shaded.
    input_threshold : float or None
        Alert threshold on the input drift share, drawn if given.
    f1_floor : float or None
        F1 floor, drawn if given.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(timelines)
    fig, axes = plt.subplots(3, len(names), figsize=(4.2 * len(names), 7.4), sharex=True, sharey="row", squeeze=False)
    for j, name in enumerate(names):
        tl = timelines[name]
        x = tl["month"].to_numpy() + 1
        top, mid, low = axes[0, j], axes[1, j], axes[2, j]
        top.bar(x, tl["input_drift_share"], color=SIGNAL_COLORS["input"])
        mid.plot(x, tl["prediction_psi"], "o-", color=SIGNAL_COLORS["prediction"])
        low.plot(x, tl["f1_estimated"], "s--", color=SIGNAL_COLORS["estimated"], label="F1 estimated (no labels)")
        low.plot(x, tl["f1_realised"], "o-", color=SIGNAL_COLORS["realised"], label="F1 realised (labels)")
        if input_threshold is not None:
            top.axhline(input_threshold, color=SIGNAL_COLORS["threshold"], linestyle=":", linewidth=1)
        mid.axhline(0.1, color=SIGNAL_COLORS["threshold"], linestyle=":", linewidth=1)
        if f1_floor is not None:
            low.axhline(f1_floor, color=SIGNAL_COLORS["threshold"], linestyle=":", linewidth=1)
        for ax in (top, mid, low):
            ax.axvspan(drift_month + 0.5, x.max() + 0.5, color="#F2D7D5", alpha=0.5, linewidth=0)
        top.set_title(name)
        low.set_xlabel("month")
    axes[0, 0].set_ylabel("input columns drifted\n(share)")
    axes[1, 0].set_ylabel("prediction drift\n(PSI)")
    axes[2, 0].set_ylabel("F1")
    axes[2, 0].legend(loc="lower left", fontsize=8)
    fig.suptitle(title + " (shaded: months after the drift starts)")
    fig.tight_layout()
    return fig


def plot_loop(runs: Mapping[str, pd.DataFrame], events: Mapping[int, str] | None = None,
              title: str = "The closed loop, month by month") -> Figure:
    """F1 and dollars per month for each maturity level; triangles mark the months a new model went live.

    Serves lecture section 8 (chapter 10).

    Parameters
    ----------
    runs : mapping of str to pandas.DataFrame
        ``{level: run}``, each with ``month``, ``f1``, ``value`` (dollars) and ``deployed`` (bool).
    events : mapping of int to str or None
        ``{month: text}`` marked with a dotted line and the text.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (top, low) = plt.subplots(2, 1, figsize=(9.0, 6.4), sharex=True)
    for i, (level, run) in enumerate(runs.items()):
        x = run["month"].to_numpy() + 1
        color = f"C{i}"
        top.plot(x, run["f1"], "o-", color=color, label=level, markersize=4)
        low.plot(x, run["value"] / 1000, "o-", color=color, label=level, markersize=4)
        live = run["deployed"].to_numpy(dtype=bool)
        top.plot(x[live], run["f1"].to_numpy()[live], "^", color=color, markersize=10, markeredgecolor="black")
    for month, text in (events or {}).items():
        for ax in (top, low):
            ax.axvline(month + 0.5, color="grey", linestyle=":", linewidth=1)
        top.annotate(text, xy=(month + 0.6, 1.0), xycoords=("data", "axes fraction"), va="top", fontsize=8,
                     rotation=90)
    top.set_ylabel("F1 of the live model")
    low.set_ylabel("dollars vs no offers (k$)")
    low.set_xlabel("month")
    top.legend(loc="lower left", fontsize=8)
    top.set_title(title + " (triangles: a new model goes live)")
    fig.tight_layout()
    return fig


def plot_system_windows(windows: pd.DataFrame, latency_limit: float | None = None,
                        error_limit: float | None = None, title: str = "The scoring server, window by window") -> Figure:
    """Error rate and p95 latency per window of the server's request log, with the alert thresholds.

    Serves lecture section 5.3 (chapter 04, the system signals).

    Parameters
    ----------
    windows : pandas.DataFrame
        One row per window (index: its name), with ``error_rate`` and ``latency_p95_ms``.
    latency_limit, error_limit : float or None
        Alert thresholds, drawn if given.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    names = [str(w) for w in windows.index]
    left.bar(names, windows["error_rate"], color=SIGNAL_COLORS["realised"])
    right.bar(names, windows["latency_p95_ms"], color=SIGNAL_COLORS["input"])
    if error_limit is not None:
        left.axhline(error_limit, color=SIGNAL_COLORS["threshold"], linestyle="--", linewidth=1, label="alert above")
        left.legend(fontsize=8)
    if latency_limit is not None:
        right.axhline(latency_limit, color=SIGNAL_COLORS["threshold"], linestyle="--", linewidth=1, label="alert above")
        right.legend(fontsize=8)
    left.set_ylabel("error rate")
    right.set_ylabel("p95 latency (ms)")
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=15)
    fig.suptitle(title)
    fig.tight_layout()
    return fig

