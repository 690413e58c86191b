"""Figures of the training-pipeline chapter (02, lecture 5.1) and the colours every training figure shares.

:mod:`mlops_edu.training.plots` re-exports every name here: notebooks write
``from mlops_edu.training import plots`` and ``plots.plot_roc_curves(...)``. Every ``plot_*`` function
returns a matplotlib ``Figure``; the ``draw_*`` functions draw on an axes they are given (the lab's run
figures reuse them). ``COLORS`` fixes one colour per candidate / method / data part so the same model
looks the same in every figure; other names get matplotlib's colour cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

COLORS: dict[str, str] = {
    "logreg": "#4C72B0", "logistic regression": "#4C72B0",
    "random_forest": "#55A868", "random forest": "#55A868",
    "lightgbm": "#C44E52", "LightGBM": "#C44E52",
    "grid": "#4C72B0", "random": "#8172B3", "TPE (hyperopt)": "#C44E52", "tpe": "#C44E52",
    "TPE (Optuna)": "#2A9D8F", "optuna": "#2A9D8F", "genetic": "#DD8452",
    "train": "#4C72B0", "validation": "#DD8452", "test": "#C44E52",
}


def _color(name: str, i: int) -> str:
    return COLORS.get(name, f"C{i}")


# --------------------------------------------------------------------------------------------------
# Chapter 02: training pipeline
# --------------------------------------------------------------------------------------------------

def draw_confusion(ax: Any, y_true: Sequence[int], proba: Sequence[float], threshold: float = 0.5) -> np.ndarray:
    """Draw the stay/churn confusion matrix on ``ax``, each cell saying what it means for a retention team.

    Serves lecture section 5.1 (chapter 02) and the lab's run figures (section 10).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to draw on.
    y_true, proba : sequence
        Labels (1 = churn) and churn probabilities; a probability >= ``threshold`` predicts churn.
    threshold : float
        Decision threshold.

    Returns
    -------
    numpy.ndarray
        The counts ``[[tn, fp], [fn, tp]]``.
    """
    from mlops_edu.training.metrics import confusion_counts

    y = np.asarray(y_true).astype(int)
    pred = (np.asarray(proba, dtype=float) >= threshold).astype(int)
    c = confusion_counts(y, pred)
    cm = np.array([[c["tn"], c["fp"]], [c["fn"], c["tp"]]])
    ax.imshow(cm, cmap="Blues")
    ax.grid(False)
    meaning = [["stays, left alone", "false alarm:\ncoupon wasted"],
               ["missed churner:\ncustomer lost", "churner caught:\ncoupon sent"]]
    for i in range(2):
        for j in range(2):
            dark = cm[i, j] > cm.max() / 2
            ax.text(j, i, f"{cm[i, j]}\n{meaning[i][j]}", ha="center", va="center", fontsize=9,
                    color="white" if dark else "black")
    ax.set_xticks([0, 1], ["predicted: stays", "predicted: churns"])
    ax.set_yticks([0, 1], ["actual: stayed", "actual: churned"])
    ax.set_xlabel("the model's decision")
    ax.set_ylabel("what the customer did")
    return cm


def draw_roc(ax: Any, curves: Mapping[str, tuple[Sequence[int], Sequence[float]]]) -> None:
    """Draw one ROC curve per entry of ``{"name": (y_true, proba)}`` on ``ax``, AUC in the legend.

    Serves lecture section 5.1 (chapter 02) and the lab's run figures (section 10). A dotted diagonal
    shows the coin flip (AUC 0.5).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to draw on.
    curves : mapping of str to (sequence, sequence)
        ``{name: (y_true, proba)}``.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    for i, (name, (y, p)) in enumerate(curves.items()):
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, color=_color(name, i), linewidth=2, label=f"{name} (AUC {roc_auc_score(y, p):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="coin flip (AUC 0.5)")
    ax.set_xlabel("false positive rate (stayers flagged)")
    ax.set_ylabel("true positive rate (churners caught)")
    ax.legend(loc="lower right")
    ax.set_aspect("equal")


def plot_confusion_matrix(y_true: Sequence[int], proba: Sequence[float], threshold: float = 0.5,
                     title: str = "Confusion matrix (validation)") -> Figure:
    """Counts of stay/churn predicted vs actual, with what each cell means (lecture section 5.1, chapter 02).

    Parameters
    ----------
    y_true, proba : sequence
        As in :func:`draw_confusion`.
    threshold : float
        As in :func:`draw_confusion`.
    title : str
        Title; the threshold is appended.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    draw_confusion(ax, y_true, proba, threshold)
    ax.set_title(f"{title}, threshold {threshold:g}")
    fig.tight_layout()
    return fig


def plot_roc_curves(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]],
               title: str = "ROC curves of the candidates (validation)") -> Figure:
    """ROC curve per candidate, AUC in the legend (lecture section 5.1, chapter 02).

    Parameters
    ----------
    curves : mapping of str to (sequence, sequence)
        ``{"LightGBM": (y_true, proba), ...}``.
    title : str
        Title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    draw_roc(ax, curves)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_churn_drivers(drivers: pd.DataFrame, title: str = "Which factors drive churn?") -> Figure:
    """Horizontal bars of permutation importance with the plain-words reading next to each bar.

    Parameters
    ----------
    drivers : pandas.DataFrame
        ``[feature, importance, reading]`` (:func:`~mlops_edu.training.churn_drivers`), most important first
        (drawn at the top).
    title : str
        Title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = drivers.iloc[::-1]
    fig, ax = plt.subplots(figsize=(9.0, 0.55 * len(frame) + 1.3))
    ax.barh(frame["feature"], frame["importance"], color="#C44E52")
    top = float(frame["importance"].max())
    for y, (value, reading) in enumerate(zip(frame["importance"], frame["reading"])):
        ax.text(value + top * 0.02, y, reading, va="center", fontsize=8.5)
    ax.set_xlim(0, top * 2.6)
    ax.set_xlabel("drop in validation ROC AUC when the column is shuffled")
    ax.set_ylabel("raw input column")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def plot_capacity_curve(curve: pd.DataFrame, metric: str = "F1", title: str | None = None) -> Figure:
    """Training vs validation score as capacity grows, log-x when the values span orders of magnitude.

    The value where validation peaks (the first on ties) is marked, and the gap between the curves is
    shaded (overfitting). The x axis is log base 2 when every value is positive and the largest is at least
    20 times the smallest.

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`~mlops_edu.training.capacity_curve`: the knob in the first column, then ``train`` and
        ``validation``.
    metric : str
        Label of the y axis.
    title : str or None
        Title; default "Overfitting: the curves part as capacity grows".

    Returns
    -------
    matplotlib.figure.Figure
    """
    param = curve.columns[0]
    x = curve[param].to_numpy()
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    ax.plot(x, curve["train"], "o-", color=COLORS["train"], label="training data")
    ax.plot(x, curve["validation"], "o-", color=COLORS["validation"], label="validation data")
    best = int(curve["validation"].to_numpy().argmax())
    ax.axvline(x[best], color="grey", linestyle="--", linewidth=1)
    ax.annotate(f"best on validation\n{param} = {x[best]}", xy=(x[best], curve["validation"].iloc[best]),
                xytext=(10, -40), textcoords="offset points", fontsize=9,
                arrowprops={"arrowstyle": "->", "color": "grey"})
    if x.min() > 0 and x.max() / x.min() >= 20:
        ax.set_xscale("log", base=2)
        ax.set_xticks(x, [str(v) for v in x])
        ax.minorticks_off()
    ax.fill_between(x, curve["validation"], curve["train"], color="grey", alpha=0.12,
                    label="gap = overfitting")
    ax.set_xlabel(f"{param} (model capacity)")
    ax.set_ylabel(metric)
    ax.set_ylim(max(0.0, float(curve[["train", "validation"]].min().min()) - 0.1), 1.02)
    ax.set_title(title or "Overfitting: the curves part as capacity grows")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
