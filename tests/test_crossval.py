"""Unit tests of mlops_edu.training.crossval (chapter 08: k-fold, spread, the test set, stratification, nested CV)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _telco_sample import customers

from mlops_edu.training import (
    DEFAULT_SPACE,
    OptimismResult,
    TrainingError,
    fold_churn_rates,
    fold_rate_spread,
    kfold_passes,
    nested_cv,
    optimism_of_picking_on_test,
    random_configs,
    simulate_test_picking,
    single_split_score,
    split_dataset,
    split_vs_kfold,
    split_xy,
    spread_summary,
)

SMALL = {"n_estimators": 30, "num_leaves": 8}


@pytest.fixture(scope="module")
def dev():
    return split_xy(customers(1200, seed=11))


def test_kfold_passes_validate_every_fold_once():
    passes = kfold_passes(3)
    assert passes.shape == (3, 3)
    assert (passes == "validate").sum(axis=0).tolist() == [1, 1, 1]
    assert (passes == "validate").sum(axis=1).tolist() == [1, 1, 1]
    assert passes.loc["pass 2", "fold 2"] == "validate" and passes.loc["pass 2", "fold 1"] == "train"
    with pytest.raises(TrainingError):
        kfold_passes(1)


def test_single_split_spread_is_wider_than_kfold_spread(dev):
    X, y = dev
    spread = split_vs_kfold(X, y, "lightgbm", SMALL, seeds=range(8), k=5)
    assert list(spread.columns) == ["seed", "single_split", "kfold_mean", "kfold_std"]
    assert spread["single_split"].std() > 1.5 * spread["kfold_mean"].std()
    summary = spread_summary(spread)
    assert summary.loc["one split", "std"] > summary.loc["k-fold mean", "std"]
    assert single_split_score(X, y, "lightgbm", SMALL, seed=3) == pytest.approx(spread.loc[3, "single_split"], abs=1e-4)


@pytest.fixture(scope="module")
def optimism():
    frame = customers(1500, seed=12)
    split = split_dataset(frame, seed=1)
    X_fresh, y_fresh = split_xy(customers(6000, seed=13))
    configs = [{**c, "n_estimators": 30} for c in random_configs(DEFAULT_SPACE, 20, seed=2)]
    return optimism_of_picking_on_test(split.X_train, split.y_train, split.X_val, split.y_val, split.X_test,
                                       split.y_test, X_fresh, y_fresh, configs, seed=0)


def test_optimism_table_and_summary(optimism):
    assert isinstance(optimism, OptimismResult)
    assert list(optimism.table.columns) == ["validation", "test", "fresh"] and len(optimism.table) == 20
    picked = int(optimism.table["test"].idxmax())
    assert optimism.summary.loc["picked on test", "config"] == picked
    assert optimism.optimism == pytest.approx(optimism.table.loc[picked, "test"] - optimism.table.loc[picked, "fresh"],
                                              abs=1e-4)
    assert optimism.fresh_pred.shape == (20, 6000) and optimism.test_size == 300


def test_test_picked_optimism_is_positive_on_average(optimism):
    sim = simulate_test_picking(optimism, n_rounds=150, seed=0)
    assert list(sim.columns) == ["picked_on_test", "picked_on_validation"] and len(sim) == 150
    assert sim["picked_on_test"].mean() > 0.005
    assert sim["picked_on_test"].mean() > sim["picked_on_validation"].mean() + 0.005
    assert abs(sim["picked_on_validation"].mean()) < sim["picked_on_test"].mean()
    assert (sim["picked_on_test"] > 0).mean() > 0.5
    with pytest.raises(TrainingError, match="fresh rows"):
        simulate_test_picking(optimism, test_size=3000)


def test_stratified_folds_keep_the_churn_rate():
    y = pd.Series(np.r_[np.ones(75), np.zeros(225)].astype(int)).sample(frac=1, random_state=0)
    rates = fold_churn_rates(y, k=5, seed=4)
    assert list(rates.columns) == ["plain", "stratified"] and len(rates) == 5
    assert (rates["stratified"] == 0.25).all()
    spread = fold_rate_spread(y, k=5, seeds=range(10))
    assert spread.loc["stratified", "mean std of fold rates"] < spread.loc["plain", "mean std of fold rates"]
    assert spread.loc["plain", "worst fold off by"] > 0.05


def test_nested_cv_scores_each_outer_fold_with_its_own_choice(dev):
    X, y = dev
    grid = [{"num_leaves": n, "n_estimators": 20} for n in (4, 32)]
    result = nested_cv(X, y, grid, outer_k=3, inner_k=2, seed=0)
    assert list(result.outer.columns) == ["chosen_config", "inner_cv_f1", "outer_f1"]
    assert len(result.outer) == 3 and set(result.outer["chosen_config"]) <= {1, 2}
    assert 0 < result.nested_mean < 1 and result.nested_std >= 0
    assert result.non_nested_params in grid
    with pytest.raises(TrainingError, match="configs"):
        nested_cv(X, y, [])
