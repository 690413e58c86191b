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
    Replays,
    SearchResult,
    Trial,
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


def _fits_and_uncovered(fig: Figure) -> None:
    """Every title and legend lies inside the figure, and no legend covers a bar of its axes."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    texts = [fig._suptitle] if getattr(fig, "_suptitle", None) else []
    legends = list(fig.legends)
    for ax in fig.axes:
        texts.append(ax.title)
        if ax.get_legend():
            legends.append(ax.get_legend())
    for artist in [t for t in texts if t.get_text()] + legends:
        extent = artist.get_window_extent(renderer)
        assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1 and extent.y0 >= box.y0 - 1 \
            and extent.y1 <= box.y1 + 1, f"{artist} runs off the figure"
    for ax in fig.axes:
        bars = [p.get_window_extent(renderer) for p in ax.patches if p.get_height() > 0]
        for legend in legends:
            frame = legend.get_window_extent(renderer)
            covered = [b for b in bars if frame.overlaps(b)]
            assert not covered, "a legend covers a bar"


def test_chapter_07_figures():
    def run(method, scores):
        return SearchResult(method, [Trial(i + 1, {"i": i}, s) for i, s in enumerate(scores)])

    replays = Replays({"grid": [run("grid", [0.5, 0.6, 0.6]), run("grid", [0.6, 0.6, 0.62])],
                       "tpe": [run("tpe", [0.55, 0.58, 0.63]), run("tpe", [0.5, 0.63, 0.63])],
                       "optuna": [run("optuna", [0.61, 0.62, 0.62]), run("optuna", [0.5, 0.5, 0.5])]}, budget=3)
    fig = plots.plot_replay_bands(replays.bands(), target=0.62, budget=3)
    assert len(fig.axes) == 3 and [ax.get_title() for ax in fig.axes] == ["grid", "TPE (hyperopt)", "TPE (Optuna)"]
    assert fig.axes[0].get_ylabel() == "best CV F1 so far" and all(ax.get_xlabel() for ax in fig.axes)
    _fits_and_uncovered(fig)
    fig = plots.plot_evals_to_target(replays.evals_to_target(0.62), budget=3)
    text = _texts(fig)
    assert "1/2 reached" in text and "2/2 reached" in text and "missed" in text and "TPE (Optuna)" in text
    _fits_and_uncovered(fig)
    fig = plots.plot_benchmark_scores([0.5, 0.55, 0.6, 0.62, 0.63], target=0.62, grid_scores=[0.5, 0.62])
    assert "2 configurations reach it" in _texts(fig) and "the 2 grid points" in _texts(fig)
    _fits_and_uncovered(fig)
    cost = pd.DataFrame({"2 values": [10, 20], "10 values": [50, 500]}, index=pd.Index([1, 2], name="parameters"))
    fig = plots.plot_grid_cost(cost)
    assert fig.axes[0].get_yscale() == "log" and "10 values" in _texts(fig)
    _fits_and_uncovered(fig)


def test_chapter_08_figures():
    fig = plots.plot_kfold_passes(3)
    text = _texts(fig)
    assert text.count("\nvalidate") == 3 and text.count("\ntrain") == 6 and "pass 3" in text
    first_pass = [t.get_text() for t in fig.axes[0].texts if "\n" in t.get_text()][:3]
    assert first_pass == ["fold 1\ntrain", "fold 2\ntrain", "fold 3\nvalidate"]      # the lecture's pass 1
    _fits_and_uncovered(fig)
    spread = pd.DataFrame({"single_split": [0.60, 0.64, 0.58], "kfold_mean": [0.61, 0.615, 0.612],
                           "true_f1": [0.60, 0.602, 0.601]})
    fig = plots.plot_split_vs_kfold(spread)
    assert "std" in _texts(fig) and "true F1 on fresh customers: 0.600 to 0.602" in _texts(fig)
    _fits_and_uncovered(fig)
    rates = pd.DataFrame({"plain": [0.2, 0.38, 0.25, 0.3, 0.27], "stratified": [0.28] * 5})
    fig = plots.plot_fold_churn_rates(rates, overall=0.28)
    assert "StratifiedKFold" in _texts(fig)
    _fits_and_uncovered(fig)
    sim = pd.DataFrame({"picked_on_test": [0.02, 0.03, -0.01] * 20, "picked_on_validation": [0.0, -0.01, 0.01] * 20})
    fig = plots.plot_optimism(sim)
    assert "mean +0.013" in _texts(fig)
    assert all(float(t).is_integer() for t in fig.axes[0].get_yticks())
    _fits_and_uncovered(fig)


def test_the_overlap_check_can_fail():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar([1, 2], [1.0, 1.0], label="bars")
    ax.legend(loc="center")
    with pytest.raises(AssertionError, match="covers a bar"):
        _fits_and_uncovered(fig)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("a title much too long for so small a figure, it runs off the image on both sides")
    with pytest.raises(AssertionError, match="runs off"):
        _fits_and_uncovered(fig)
