"""Figures of the training, tuning and cross-validation chapters (02, 07, 08).

Every function returns a matplotlib ``Figure`` (so it can also be logged with ``mlflow.log_figure``);
in a notebook, assigning it (``fig = plots.plot_roc_curves(...)``) shows it once. Colours are fixed per
candidate / method so the same model looks the same in every figure.

Chapter 02's figures and the colours are defined in :mod:`mlops_edu.training.pipeline_plots` and are
importable from here; this module holds the figures of chapters 07 and 08.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mlops_edu.training.pipeline_plots import (  # noqa: F401 - chapter 02's figures stay importable from here
    COLORS,
    _color,
    draw_confusion,
    draw_roc,
    plot_capacity_curve,
    plot_churn_drivers,
    plot_confusion_matrix,
    plot_roc_curves,
)

TRAIN_COLOR, VALIDATE_COLOR = "#A1C9F4", "#FF9F9B"


# --------------------------------------------------------------------------------------------------
# Chapter 07: hyperparameter tuning
# --------------------------------------------------------------------------------------------------

def plot_replay_bands(bands: pd.DataFrame, target: float | None = None, budget: int | None = None,
                      title: str = "Best CV F1 found so far: median and interquartile band over the runs") -> Figure:
    """One panel per method (``replays.Replays.bands``): its median best-so-far with the band between the
    25th and 75th percentile; the other methods' medians in grey behind it, so no method hides another.

    Parameters
    ----------
    bands : pandas.DataFrame
        :meth:`~mlops_edu.training.Replays.bands`: ``method``, ``evaluation``, ``q25``, ``median``, ``q75``.
    target : float or None
        Score drawn as a dashed line in every panel (and named in the legend).
    budget : int or None
        Right end of the x axes (configurations evaluated).
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from mlops_edu.training.search_space import METHOD_LABELS

    methods = list(dict.fromkeys(bands["method"]))
    fig, axes = plt.subplots(1, len(methods), figsize=(2.55 * len(methods) + 0.6, 3.6), sharey=True, squeeze=False)
    for i, (method, ax) in enumerate(zip(methods, axes[0])):
        label = METHOD_LABELS.get(method, method)
        for other in methods:
            if other != method:
                part = bands[bands["method"] == other]
                ax.step(part["evaluation"], part["median"], where="post", color="#BBBBBB", linewidth=1)
        part = bands[bands["method"] == method]
        color = _color(label, i)
        ax.fill_between(part["evaluation"], part["q25"], part["q75"], step="post", color=color, alpha=0.25,
                        linewidth=0)
        ax.step(part["evaluation"], part["median"], where="post", color=color, linewidth=2.2)
        if target is not None:
            ax.axhline(target, color="black", linestyle="--", linewidth=1)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("configurations evaluated")
        if budget is not None:
            ax.set_xlim(1, budget)
    axes[0][0].set_ylabel("best CV F1 so far")
    handles = [plt.Line2D([], [], color="#555555", linewidth=2.2, label="median of the runs"),
               plt.Rectangle((0, 0), 1, 1, color="#555555", alpha=0.25, label="25th-75th percentile"),
               plt.Line2D([], [], color="#BBBBBB", linewidth=1, label="the other methods' medians")]
    if target is not None:
        handles.append(plt.Line2D([], [], color="black", linestyle="--", linewidth=1,
                                  label=f"target {target:.3f}"))
    fig.legend(handles=handles, loc="lower center", ncols=len(handles), fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_evals_to_target(frame: pd.DataFrame, budget: int,
                         title: str = "Configurations evaluated until the first top configuration") -> Figure:
    """Every run's evaluations-to-target per method (``replays.Replays.evals_to_target``): dots, the
    median (misses counted as budget + 1) as a black bar, misses as crosses right of the budget.

    Next to each method: how many runs reached the target. The vertical jitter of the dots is seeded.

    Parameters
    ----------
    frame : pandas.DataFrame
        :meth:`~mlops_edu.training.Replays.evals_to_target`: ``method`` and ``evaluations`` (missing: the
        run did not reach the target).
    budget : int
        The budget of every run.
    title : str
        Title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from mlops_edu.training.search_space import METHOD_LABELS

    methods = list(dict.fromkeys(frame["method"]))
    fig, ax = plt.subplots(figsize=(7.6, 0.62 * len(methods) + 1.5))
    rng = np.random.default_rng(0)  # vertical jitter only
    miss_x = budget + 2.5
    for row, method in enumerate(methods):
        y = len(methods) - 1 - row
        label = METHOD_LABELS.get(method, method)
        evals = frame.loc[frame["method"] == method, "evaluations"].to_numpy(dtype=float)
        hit = evals[~np.isnan(evals)]
        n_miss = int(np.isnan(evals).sum())
        ax.scatter(hit, y + rng.uniform(-0.22, 0.22, len(hit)), color=_color(label, row), s=22, alpha=0.8)
        if n_miss:
            ax.scatter(np.full(n_miss, miss_x), y + rng.uniform(-0.22, 0.22, n_miss), marker="x",
                       color=_color(label, row), s=26)
        median = float(np.median(np.where(np.isnan(evals), budget + 1, evals)))
        ax.plot([median, median], [y - 0.32, y + 0.32], color="black", linewidth=2.5)
        ax.text(budget + 4.2, y, f"{len(hit)}/{len(evals)} reached", va="center", fontsize=9)
    ax.axvline(budget + 0.5, color="grey", linestyle=":", linewidth=1)
    ax.set_yticks(range(len(methods)), [METHOD_LABELS.get(m, m) for m in methods][::-1])
    ax.set_xlim(0, budget + 9.5)
    ticks = [t for t in range(0, budget + 1, 5)]
    ax.set_xticks(ticks + [miss_x], [str(t) for t in ticks] + ["missed"])
    ax.set_xlabel(f"configurations evaluated (budget {budget}); black bar: median, misses counted as {budget + 1}")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def plot_benchmark_scores(scores: Sequence[float], target: float, grid_scores: Sequence[float] = (),
                          title: str = "The tabular benchmark: CV F1 of every configuration") -> Figure:
    """Histogram of the table's scores, the target (top share) and the developer's grid points (legend below
    the axes, where it cannot cover a bar).

    Parameters
    ----------
    scores : sequence of float
        CV F1 of every configuration of the table.
    target : float
        The score of the top share, drawn as a dashed line; the legend counts the configurations that
        reach it.
    grid_scores : sequence of float
        Scores of the grid points, drawn over the histogram in the same bins (none by default).
    title : str
        Title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(7.6, 4.2))
    values = np.asarray(scores, dtype=float)
    bins = np.linspace(values.min(), values.max(), 36)
    ax.hist(values, bins=bins, color="#8C8C8C", label=f"all {len(values)} configurations")
    if len(grid_scores):
        ax.hist(np.asarray(grid_scores, dtype=float), bins=bins, color=COLORS["grid"],
                label=f"the {len(grid_scores)} grid points")
    ax.axvline(target, color="black", linestyle="--", linewidth=1.2,
               label=f"target {target:.3f}: {int((values >= target).sum())} configurations reach it")
    ax.set_xlabel("CV F1 (mean over the folds)")
    ax.set_ylabel("configurations")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3, fontsize=8.5, frameon=False)
    fig.tight_layout()
    return fig


def plot_grid_cost(table: pd.DataFrame, title: str = "Grid search cost explodes") -> Figure:
    """Model fits (log scale) vs number of parameters, one line per number of values per parameter.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`~mlops_edu.training.grid_cost_table` in fits (the y axis says fits): index the number of
        parameters, one column per number of values.
    title : str
        Title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    for i, col in enumerate(table.columns):
        ax.plot(table.index, table[col], "o-", color=f"C{i}", label=col)
    ax.set_yscale("log")
    ax.set_xticks(list(table.index))
    ax.set_xlabel("number of hyperparameters")
    ax.set_ylabel("model fits (values ** parameters x folds)")
    ax.set_title(title)
    ax.legend(title="values per parameter")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------------
# Chapter 08: cross-validation
# --------------------------------------------------------------------------------------------------

def plot_kfold_passes(k: int = 3, title: str | None = None) -> Figure:
    """The lecture's picture in its order (section 9.2): pass 1 validates on the last fold, pass k on the
    first; the other k-1 folds train (``crossval.kfold_passes``).

    Parameters
    ----------
    k : int
        Number of folds (at least 2).
    title : str or None
        Title; default "K = k: each fold validates once; CV score = mean of the k scores".

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TrainingError
        When ``k`` is below 2.
    """
    from mlops_edu.training.crossval import kfold_passes

    passes = kfold_passes(k)
    fig, ax = plt.subplots(figsize=(7.0, 0.75 * k + 1.3))
    for p, (_, row) in enumerate(passes.iterrows()):
        for f, role in enumerate(row):
            validate = role == "validate"
            ax.add_patch(plt.Rectangle((f, k - 1 - p + 0.1), 0.96, 0.8, facecolor=VALIDATE_COLOR if validate
                                       else TRAIN_COLOR, edgecolor="white"))
            ax.text(f + 0.48, k - 1 - p + 0.5, f"fold {f + 1}\n{role}", ha="center", va="center", fontsize=9)
        ax.text(k + 0.1, k - 1 - p + 0.5, f"-> score {p + 1}", va="center", fontsize=10)
    ax.set_xlim(-0.05, k + 1.0)
    ax.set_ylim(0, k)
    ax.set_yticks([k - 1 - p + 0.5 for p in range(k)], list(passes.index))
    ax.set_xticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(left=False)
    ax.set_title(title or f"K = {k}: each fold validates once; CV score = mean of the {k} scores")
    fig.tight_layout()
    return fig


def plot_split_vs_kfold(spread: pd.DataFrame, k: int = 5,
                        title: str = "One split is a lottery; k-fold averages it out") -> Figure:
    """Scores of a single split vs k-fold mean over many seeds (dots) with their mean +- std; with a
    ``true_f1`` column (``crossval.split_vs_kfold`` with fresh customers) also the true F1's range.

    Parameters
    ----------
    spread : pandas.DataFrame
        :func:`~mlops_edu.training.split_vs_kfold`: ``single_split``, ``kfold_mean`` and optionally
        ``true_f1`` (its range shaded, its mean a line).
    k : int
        The folds of the k-fold estimate (for the label only).
    title : str
        Title; the number of seeds is appended.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    cols = [("single_split", "one train/validation split", COLORS["validation"]),
            ("kfold_mean", f"{k}-fold mean", COLORS["train"])]
    rng = np.random.default_rng(0)  # horizontal jitter only
    for x, (col, label, color) in enumerate(cols):
        values = spread[col].to_numpy(dtype=float)
        ax.scatter(x + rng.uniform(-0.12, 0.12, len(values)), values, color=color, alpha=0.75, s=28)
        mean, std = values.mean(), values.std()
        ax.errorbar(x + 0.3, mean, yerr=std, fmt="s", color="black", capsize=6)
        ax.text(x + 0.38, mean, f"mean {mean:.3f}\nstd {std:.3f}", va="center", fontsize=9)
    if "true_f1" in spread:
        truth = spread["true_f1"].to_numpy(dtype=float)
        ax.axhspan(truth.min(), truth.max(), color=COLORS["test"], alpha=0.15, linewidth=0,
                   label=f"true F1 on fresh customers: {truth.min():.3f} to {truth.max():.3f}")
        ax.axhline(truth.mean(), color=COLORS["test"], linewidth=1.5, label=f"its mean {truth.mean():.3f}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize=9, frameon=False)
    ax.set_xticks([0, 1], [c[1] for c in cols])
    ax.set_xlim(-0.5, 1.9)
    ax.set_ylabel("F1")
    ax.set_title(f"{title} ({len(spread)} seeds)")
    fig.tight_layout()
    return fig


def plot_fold_churn_rates(rates: pd.DataFrame, overall: float,
                          title: str = "Churn rate of each validation fold") -> Figure:
    """Churn rate per fold for plain vs stratified KFold (``crossval.fold_churn_rates``); the legend sits
    below the axes, where it cannot cover a bar.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`~mlops_edu.training.fold_churn_rates`: one row per fold, columns ``plain`` and ``stratified``.
    overall : float
        Churn rate of all rows (a share, drawn as a dashed line).
    title : str
        Title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    folds = np.arange(1, len(rates) + 1)
    width = 0.38
    ax.bar(folds - width / 2, rates["plain"], width, color="#8C8C8C", label="KFold (plain)")
    ax.bar(folds + width / 2, rates["stratified"], width, color=COLORS["train"], label="StratifiedKFold")
    ax.axhline(overall, color="black", linestyle="--", linewidth=1, label=f"all rows {overall:.1%}")
    ax.set_xticks(folds, [f"fold {f}" for f in folds])
    ax.set_ylabel("churn rate in the fold")
    ax.set_ylim(0, float(rates.to_numpy().max()) * 1.15)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3, fontsize=9, frameon=False)
    fig.tight_layout()
    return fig


def plot_optimism(simulated: pd.DataFrame, title: str = "Picking on the test set flatters the test score") -> Figure:
    """Histogram of reported-minus-true F1 over many test sets (``crossval.simulate_test_picking``); the
    legend sits below the axes, where it cannot cover a bar.

    Parameters
    ----------
    simulated : pandas.DataFrame
        :func:`~mlops_edu.training.simulate_test_picking`: ``picked_on_test`` and ``picked_on_validation``;
        each column's mean is drawn as a line and given in the legend.
    title : str
        Title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(7.0, 4.4))
    low = float(simulated.to_numpy().min())
    high = float(simulated.to_numpy().max())
    bins = np.linspace(low, high, 31)
    styles = {"picked_on_validation": ("picked on validation, reported on test", COLORS["train"]),
              "picked_on_test": ("picked on test, reported on test", COLORS["test"])}
    for col, (label, color) in styles.items():
        values = simulated[col].to_numpy()
        ax.hist(values, bins=bins, color=color, alpha=0.55, label=f"{label}: mean {values.mean():+.3f}")
        ax.axvline(values.mean(), color=color, linewidth=2)
    ax.axvline(0, color="black", linestyle=":", linewidth=1)
    ax.set_xlabel("reported F1 - true F1 (fresh customers)")
    ax.set_ylabel(f"test sets (of {len(simulated)})")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=8.5, frameon=False)
    fig.tight_layout()
    return fig
