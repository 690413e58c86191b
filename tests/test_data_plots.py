"""Figures of chapters 01 and 06 (mlops_edu.data.plots): each returns a Figure with labelled axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mlops_edu.data import plots  # noqa: E402
from mlops_edu.roles import roles_matrix  # noqa: E402


def _labelled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert axes and all(ax.get_xlabel() or ax.get_xticklabels() for ax in axes)
    plt.close(fig)


def test_chapter06_figures():
    runs = pd.DataFrame({"error": ["u", "u", "s", "s", "c"], "seed": [0, 1, 0, 1, 0], "wrong": [5, 5, 4, 4, 0],
                         "precision": [0.4, 0.5, 0.1, 0.0, 0.0], "recall": [0.6, 0.7, 0.0, 0.1, 0.0],
                         "flip_rate": [0.1, 0.1, 0.1, 0.1, 0.0]})
    fig = plots.plot_detection(runs)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["u", "s"]  # clean runs are left out
    _labelled(fig)
    table = pd.DataFrame({"group": ["a", "b"], "rows": [5, 4], "churn_rate": [0.2, 0.3], "f1": [0.5, 0.6],
                          "error": [0.2, 0.1]})
    _labelled(plots.plot_group_scores({"one": table, "two": table}))
    curve = pd.DataFrame({"size": [10, 10, 20, 20], "seed": [0, 1, 0, 1], "f1": [0.5, 0.6, 0.7, 0.7]})
    _labelled(plots.plot_learning_curve(curve))
    efforts = pd.DataFrame({"kind": ["trivial", "-", "model-centric", "data-centric"], "gain": [np.nan, 0, 0.1, 0.05],
                            "low": [np.nan, np.nan, 0.05, -0.01], "high": [np.nan, np.nan, 0.15, 0.1]},
                           index=["t", "b", "tune", "clean"])
    fig = plots.plot_effort_gains(efforts)
    assert len(fig.axes[0].patches) == 2   # only the efforts are drawn
    _labelled(fig)


def test_chapter01_figures():
    curve = pd.DataFrame({"threshold": [0.0, 0.5, 1.0], "value": [100.0, 300.0, 0.0]})
    _labelled(plots.plot_profit_curve(curve, 0.25, {"no offers": 0.0, "offers for everyone": 100.0}))
    _labelled(plots.plot_roles_matrix(roles_matrix()))
    table = pd.DataFrame({"churn_rate": [0.4, 0.26], "chosen": [False, True]}, index=["30 days", "90 days"])
    _labelled(plots.plot_definition_rates(table))
