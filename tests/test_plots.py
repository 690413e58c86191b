"""Unit tests of mlops_edu.training.plots (figures of chapters 02, 07, 08): each returns one readable figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mlops_edu.training import (  # noqa: E402
    SearchResult,
    Trial,
    convergence_frame,
    plots,  # noqa: E402
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(fig: Figure) -> str:
    ax = fig.axes[0]
    parts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.texts)]
    legend = ax.get_legend()
    if legend:
        parts += [t.get_text() for t in legend.get_texts()]
    parts += [t.get_text() for t in ax.get_xticklabels()] + [t.get_text() for t in ax.get_yticklabels()]
    return " | ".join(parts)


def test_chapter_02_figures():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(0.4 * y + 0.6 * rng.random(200), 0, 1)
    fig = plots.plot_roc_curves({"LightGBM": (y, p), "logistic regression": (y, p ** 2)})
    assert "LightGBM (AUC" in _texts(fig) and "coin flip" in _texts(fig)
    fig = plots.plot_confusion_matrix(y, p, threshold=0.5)
    text = _texts(fig)
    assert "coupon wasted" in text and "customer lost" in text
    assert sum(int(t.get_text().split("\n")[0]) for t in fig.axes[0].texts) == 200
    drivers = pd.DataFrame({"feature": ["Contract", "tenure"], "importance": [0.06, 0.03],
                            "reading": ["churn 42% for 'Month-to-month' vs 3% for 'Two year'", "churn ..."]})
    assert "Month-to-month" in _texts(plots.plot_churn_drivers(drivers))
    curve = pd.DataFrame({"num_leaves": [2, 8, 64], "train": [0.6, 0.7, 0.99], "validation": [0.6, 0.62, 0.55],
                          "gap": [0.0, 0.08, 0.44]})
    text = _texts(plots.plot_capacity_curve(curve))
    assert "num_leaves = 8" in text and "training data" in text and "validation data" in text


def test_chapter_07_figures():
    res = {"grid": SearchResult("grid", [Trial(1, {}, 0.5), Trial(2, {}, 0.6)]),
           "tpe": SearchResult("tpe", [Trial(1, {}, 0.55), Trial(2, {}, 0.58)])}
    frame = convergence_frame(res)
    text = _texts(plots.plot_convergence(frame, target=0.6))
    assert "grid" in text and "Bayesian (TPE)" in text and "within 0.005" in text
    assert "Bayesian (TPE)" in _texts(plots.plot_trials_scatter(res))
    cost = pd.DataFrame({"2 values": [10, 20], "10 values": [50, 500]}, index=pd.Index([1, 2], name="parameters"))
    fig = plots.plot_grid_cost(cost)
    assert fig.axes[0].get_yscale() == "log" and "10 values" in _texts(fig)


def test_chapter_08_figures():
    text = _texts(plots.plot_kfold_passes(3))
    assert text.count("validate") == 3 and text.count("train") >= 6 and "pass 3" in text
    spread = pd.DataFrame({"single_split": [0.60, 0.64, 0.58], "kfold_mean": [0.61, 0.615, 0.612]})
    assert "std" in _texts(plots.plot_split_vs_kfold(spread))
    rates = pd.DataFrame({"plain": [0.2, 0.3], "stratified": [0.25, 0.25]})
    assert "StratifiedKFold" in _texts(plots.plot_fold_churn_rates(rates, overall=0.25))
    sim = pd.DataFrame({"picked_on_test": [0.02, 0.03, -0.01], "picked_on_validation": [0.0, -0.01, 0.01]})
    fig = plots.plot_optimism(sim)
    assert "mean +0.013" in _texts(fig)
    assert all(float(t).is_integer() for t in fig.axes[0].get_yticks())
