"""Measured efforts (lecture 7), chapter 06: the paired bootstrap, the team's defective table, and the claims of
coverage, timely feedback, size and tuning on seeded data."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from mlops_edu.data import (curve_summary, effort_table, find_label_issues, fit_and_score, learning_curve,
                            make_customers, make_team_data, paired_bootstrap_gain, region_of, scores_by_group)


@pytest.fixture(scope="module")
def data():
    return make_team_data(300, seed=4, test_rows=2500)


@pytest.fixture(scope="module")
def base(data):
    return fit_and_score(data.baseline, data.test, seed=4)



def test_paired_bootstrap():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = rng.random(500)
    same = paired_bootstrap_gain(y, p, p, n_boot=1000, seed=1)
    assert same["gain"] == same["low"] == same["high"] == 0.0
    better = paired_bootstrap_gain(y, p, np.where(y == 1, 0.9, 0.1), n_boot=1000, seed=1)
    assert better["low"] > 0
    assert better == paired_bootstrap_gain(y, p, np.where(y == 1, 0.9, 0.1), n_boot=1000, seed=1)
    worse = paired_bootstrap_gain(y, np.where(y == 1, 0.9, 0.1), p, n_boot=1000, seed=1)
    assert worse["high"] < 0 and worse["gain"] == -better["gain"]


def test_team_data_has_the_four_defects(data):
    s = data.settings
    assert data.baseline["state"].unique().tolist() == ["MA"]
    assert data.all_states["state"].nunique() > 40 and data.test["state"].nunique() > 40
    assert len(data.baseline) == 6 * s["per_month"] and len(data.recent) == 3 * s["per_month"]
    assert len(data.more) == 2 * len(data.baseline)
    wrong = data.baseline.index[data.baseline["Churn"] != data.true_labels]
    assert wrong.equals(data.flipped) and len(data.flipped) == round(s["noise"] * len(data.baseline))
    # the baseline is months 0-5, the recent table months 8-10: no customer in common
    assert not set(data.recent["customerID"]) & set(data.baseline["customerID"])
    summary = data.summary()
    assert summary.loc["baseline (team's table)", "states"] == 1


def test_coverage_all_states_beat_one_state(data, base):
    covered = fit_and_score(data.all_states, data.test, seed=4)
    assert covered.metrics["roc_auc"] > base.metrics["roc_auc"]
    gain = paired_bootstrap_gain(base.y, base.proba, covered.proba, n_boot=1000, seed=4)
    assert gain["gain"] > 0
    regions = region_of(data.test["state"])
    one, every = (scores_by_group(s.y, s.proba, regions).set_index("group") for s in (base, covered))
    # the gain is made outside the Northeast, Massachusetts' own region
    outside = [r for r in one.index if r != "Northeast"]
    assert (every.loc[outside, "f1"] - one.loc[outside, "f1"]).mean() > \
        every.loc["Northeast", "f1"] - one.loc["Northeast", "f1"]


def test_timely_labels_beat_older_labels_under_drift(data, base):
    fresh = fit_and_score(data.recent, data.test, seed=4)
    assert len(data.recent) < len(data.baseline)
    assert fresh.metrics["roc_auc"] > base.metrics["roc_auc"]


def test_cleaning_and_tuning_both_beat_the_noisy_baseline(data, base):
    suspects = find_label_issues(data.baseline, seed=4)
    cleaned = fit_and_score(data.baseline.drop(index=suspects), data.test, seed=4)
    smooth = fit_and_score(data.baseline, data.test, params={"num_leaves": 4, "learning_rate": 0.01}, seed=4)
    assert cleaned.metrics["roc_auc"] > base.metrics["roc_auc"] + 0.02
    assert smooth.metrics["roc_auc"] > base.metrics["roc_auc"] + 0.02


def test_learning_curve_has_diminishing_returns():
    pool = make_customers(4000, seed=7)
    test = make_customers(2000, seed=8)
    curve = learning_curve(pool, test, (200, 800, 3200), seeds=(0, 1), kind="logreg")
    assert len(curve) == 6 and set(curve.columns) == {"size", "seed", "f1", "roc_auc"}
    summary = curve_summary(curve, "roc_auc")
    assert summary["mean"].is_monotonic_increasing
    first, second = summary["gain"].iloc[1:]
    assert first > second      # 4x more data buys less the second time
    with pytest.raises(ValueError, match="sizes"):
        learning_curve(pool, test, (10,), seeds=(0,))


def test_effort_table(data, base):
    other = fit_and_score(data.all_states, data.test, seed=4)
    table = effort_table(base, {"cover": ("data-centric", other, "rows")}, n_boot=1000, seed=0)
    assert list(table.index) == ["no model: flag everyone", "baseline", "cover"]
    rate = base.y.mean()
    assert table.loc["no model: flag everyone", "f1"] == round(2 * rate / (1 + rate), 3)
    assert table.loc["cover", "low"] <= table.loc["cover", "gain"] <= table.loc["cover", "high"]
    with pytest.raises(ValueError, match="kind"):
        effort_table(base, {"x": ("magic", other, "")})
    elsewhere = fit_and_score(data.baseline, data.test.iloc[:100], seed=4)
    with pytest.raises(ValueError, match="other test customers"):
        effort_table(base, {"x": ("data-centric", elsewhere, "")})


def test_scores_by_group_min_rows():
    groups = pd.Series(["a"] * 5 + ["b"] * 2)
    table = scores_by_group([1, 0, 1, 0, 1, 1, 0], [0.9, 0.1, 0.8, 0.2, 0.7, 0.1, 0.9], groups, min_rows=3)
    assert table["group"].tolist() == ["a"] and table.loc[0, "error"] == 0.0
