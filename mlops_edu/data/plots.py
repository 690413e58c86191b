"""Figures of the data chapters: 01 (business case, churn definition, roles) and 06 (data-centric AI).

Every function returns a matplotlib ``Figure``; in a notebook, assigning it (``fig = plots.plot_...``)
shows it once.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_edu.data.efforts import EFFORT_KINDS

KIND_COLORS: dict[str, str] = {"model-centric": "#4C72B0", "data-centric": "#55A868", "both": "#8172B3",
                               "trivial": "#999999"}


# --------------------------------------------------------------------------------------------------
# Chapter 06: data-centric AI
# --------------------------------------------------------------------------------------------------

def plot_detection(experiment: pd.DataFrame, title: str = "How good are confident learning's suspects?") -> Figure:
    """Precision and recall of the suspects per kind of label error (mean and std over seeds).

    Serves lecture section 7 (chapter 06, label noise). The precision of flagging rows at random (the flip
    rate) is drawn as the trivial baseline.

    Parameters
    ----------
    experiment : pandas.DataFrame
        Output of :func:`mlops_edu.data.detection_experiment` (rows with no flipped label are skipped).
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    runs = experiment[experiment["wrong"] > 0]
    order = list(dict.fromkeys(runs["error"]))
    stats = runs.groupby("error", sort=False)[["precision", "recall", "flip_rate"]].agg(["mean", "std"])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    y = np.arange(len(order))
    for ax, metric, color in ((axes[0], "precision", "#4C72B0"), (axes[1], "recall", "#DD8452")):
        ax.barh(y, stats.loc[order, (metric, "mean")], xerr=stats.loc[order, (metric, "std")].fillna(0),
                color=color, capsize=3)
        ax.set_xlim(0, 1)
        ax.set_xlabel(metric)
    axes[0].scatter(stats.loc[order, ("flip_rate", "mean")], y, marker="|", s=400, color="black", zorder=3,
                    label="flagging at random")
    axes[0].legend(loc="lower right", fontsize=8, markerscale=0.4)
    axes[0].set_yticks(y, order)
    axes[0].invert_yaxis()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_group_scores(tables: Mapping[str, pd.DataFrame], metric: str = "f1",
                      title: str = "Test F1 per region") -> Figure:
    """Grouped bars of ``metric`` per group, one colour per model.

    Serves lecture section 7 (chapter 06, coverage).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        ``{model: table}``, outputs of :func:`mlops_edu.data.scores_by_group` (the groups of the first are shown).
    metric : str
        Column to draw.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(tables)
    groups = list(tables[names[0]]["group"])
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    x = np.arange(len(groups))
    for i, name in enumerate(names):
        values = tables[name].set_index("group").reindex(groups)[metric]
        ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width, label=name, color=f"C{i}")
    ax.set_xticks(x, groups)
    ax.set_ylabel(metric.replace("f1", "F1"))
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def plot_learning_curve(curve: pd.DataFrame, metric: str = "f1",
                        title: str = "More data helps less and less") -> Figure:
    """Every (size, seed) score as a dot and the mean with a +-1 std band, on a log-scale size axis.

    Serves lecture section 7 (chapter 06, data size).

    Parameters
    ----------
    curve : pandas.DataFrame
        Output of :func:`mlops_edu.data.learning_curve` (``size``, ``seed`` and the metric).
    metric : str
        Column to draw.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    grouped = curve.groupby("size")[metric]
    mean, std = grouped.mean(), grouped.std(ddof=0)
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.scatter(curve["size"], curve[metric], s=12, color="#999999", label="one seed")
    ax.plot(mean.index, mean.values, marker="o", color="#C44E52", label="mean over seeds")
    ax.fill_between(mean.index, mean - std, mean + std, color="#C44E52", alpha=0.2, label="+-1 std")
    ax.set_xscale("log")
    ax.set_xticks(list(mean.index), [f"{s:,}" for s in mean.index])
    ax.minorticks_off()
    ax.set_xlabel("training customers")
    ax.set_ylabel(f"test {metric.replace('f1', 'F1').replace('roc_auc', 'ROC AUC')}")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_effort_gains(table: pd.DataFrame, title: str = "F1 gain over the baseline, 95% interval") -> Figure:
    """Horizontal bars of each effort's F1 gain with its interval, coloured by kind.

    Serves lecture section 7 (chapter 06, model-centric vs data-centric).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`mlops_edu.data.effort_table` (``kind``, ``gain``, ``low``, ``high``); the baseline
        and trivial rows are left out.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = table[table["kind"].isin(EFFORT_KINDS)].sort_values("gain")
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.4))
    y = np.arange(len(rows))
    err = np.vstack([rows["gain"] - rows["low"], rows["high"] - rows["gain"]])
    ax.barh(y, rows["gain"], xerr=err, capsize=3, color=[KIND_COLORS[k] for k in rows["kind"]])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, rows.index)
    ax.set_xlabel("F1 gain on next month's customers")
    kinds = [k for k in EFFORT_KINDS if k in set(rows["kind"])]
    handles = [plt.Rectangle((0, 0), 1, 1, color=KIND_COLORS[k]) for k in kinds]
    ax.legend(handles, kinds, loc="lower right", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------------
# Chapter 01: business case, churn definition, roles
# --------------------------------------------------------------------------------------------------

def plot_profit_curve(curve: pd.DataFrame, chosen: float, trivial: Mapping[str, float],
                      title: str = "Which customers should get an offer?") -> Figure:
    """Dollars of offering to every customer whose churn probability is at least the threshold.

    Serves chapter 01 (lecture sections 3 and 4, the business case). The two policies that need no model are
    horizontal lines and the chosen threshold is marked.

    Parameters
    ----------
    curve : pandas.DataFrame
        Columns ``threshold`` and ``value`` (dollars), e.g. from :func:`mlops_edu.retention.profit_curve`.
    chosen : float
        The threshold picked.
    trivial : mapping
        ``{policy name: dollars}`` (from :func:`mlops_edu.business.trivial_policy_values`).
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.plot(curve["threshold"], curve["value"] / 1000, color="#C44E52", label="model: offer if p >= threshold")
    for i, (name, value) in enumerate(trivial.items()):
        ax.axhline(value / 1000, color=["#999999", "#4C72B0"][i % 2], ls="--", lw=1, label=name)
    ax.axvline(chosen, color="black", lw=0.8, ls=":", label=f"chosen threshold {chosen:.2f}")
    ax.set_xlabel("offer threshold on the predicted churn probability")
    ax.set_ylabel("value vs no offers (thousand $)")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def plot_roles_matrix(matrix: pd.DataFrame, title: str = "Who does what in each stage (lecture 4)") -> Figure:
    """The roles x stages matrix as a coloured grid: lead, collaborate, oversee (empty: not involved).

    Serves lecture section 4 (chapter 01).

    Parameters
    ----------
    matrix : pandas.DataFrame
        Roles x stages, e.g. :func:`mlops_edu.roles.roles_matrix`.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    codes = {"": 0, "oversees": 1, "collaborates": 2, "leads": 3}
    colors = ["#FFFFFF", "#E8E8E8", "#A1C9F4", "#4C72B0"]
    values = matrix.replace(codes).astype(int).to_numpy()
    from matplotlib.colors import ListedColormap

    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.imshow(values, cmap=ListedColormap(colors), vmin=0, vmax=3, aspect="auto")
    ax.grid(False)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(j, i, matrix.iat[i, j], ha="center", va="center", fontsize=8,
                    color="white" if values[i, j] == 3 else "black")
    ax.set_xticks(range(matrix.shape[1]), [c.replace(" ", "\n", 1) for c in matrix.columns], fontsize=8)
    ax.set_yticks(range(matrix.shape[0]), matrix.index, fontsize=9)
    ax.tick_params(length=0)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_definition_rates(table: pd.DataFrame, title: str = "The definition decides the churn rate",
                          xlabel: str = "no purchase for ... (or cancelled within a month)") -> Figure:
    """Churn rate per churn definition (bars), the stakeholder's definition highlighted.

    Serves chapter 01 (lecture sections 3 and 4, the churn definition as code).

    Parameters
    ----------
    table : pandas.DataFrame
        Index: definitions; columns ``churn_rate`` and ``chosen`` (bool).
    title : str
        Title of the figure.
    xlabel : str
        Label of the x axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    colors = ["#C44E52" if c else "#A1C9F4" for c in table["chosen"]]
    ax.bar(range(len(table)), table["churn_rate"], color=colors)
    for i, rate in enumerate(table["churn_rate"]):
        ax.text(i, rate + 0.01, f"{rate:.1%}", ha="center", fontsize=9)
    ax.set_xticks(range(len(table)), [str(i) for i in table.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("churn rate")
    ax.set_ylim(0, max(table["churn_rate"]) * 1.2)
    ax.set_title(title)
    fig.tight_layout()
    return fig

