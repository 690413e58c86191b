"""Unit tests of mlops_edu.training.crossval (chapter 08: k-fold, spread, the test set, stratification, nested CV)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _telco_sample import customers
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate

from mlops_edu.training import (
    BENCHMARK_SPACE,
    DEFAULT_SPACE,
    FoldScores,
    OptimismResult,
    TrainingError,
    fold_churn_rates,
    fold_rate_spread,
    kfold_pass_table,
    kfold_passes,
    make_model,
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


def test_kfold_passes_validate_every_fold_once_in_the_lectures_order():
    passes = kfold_passes(3)
    assert passes.shape == (3, 3)
    assert (passes == "validate").sum(axis=0).tolist() == [1, 1, 1]
    assert (passes == "validate").sum(axis=1).tolist() == [1, 1, 1]
    # lecture 9.2: pass 1 trains on folds 1, 2 and validates on 3; pass 2 validates on 2; pass 3 on 1
    assert [row.tolist().index("validate") + 1 for _, row in passes.iterrows()] == [3, 2, 1]
    with pytest.raises(TrainingError):
        kfold_passes(1)


def test_kfold_pass_table_puts_each_fold_score_in_its_pass():
    table = kfold_pass_table(FoldScores((0.61, 0.62, 0.63)))
    assert table.loc["pass 1"].tolist() == ["folds 1, 2", "fold 3", 0.63]
    assert table.loc["pass 3"].tolist() == ["folds 2, 3", "fold 1", 0.61]


def test_single_split_spread_is_wider_than_kfold_spread(dev):
    X, y = dev
    X_fresh, y_fresh = split_xy(customers(2000, seed=21))
    spread = split_vs_kfold(X, y, "lightgbm", SMALL, seeds=range(8), k=5, X_fresh=X_fresh, y_fresh=y_fresh)
    assert list(spread.columns) == ["seed", "single_split", "kfold_mean", "kfold_std", "true_f1"]
    assert spread["true_f1"].std() < spread["single_split"].std()         # the truth does not depend on the cut much
    assert "true F1 (fresh customers)" in spread_summary(spread).index
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


def test_nested_cv_equals_cross_validate_of_grid_search_cv_on_the_same_folds(dev):
    X, y = dev
    X, y = X.head(600), y.head(600)
    base = {"n_estimators": 10}
    configs = random_configs(BENCHMARK_SPACE, 5, seed=3)
    result = nested_cv(X, y, configs, outer_k=3, inner_k=2, seed=7, base_params=base)
    grid = [{f"model__{k}": [v] for k, v in c.items()} for c in configs]
    search = GridSearchCV(make_model("lightgbm", base, seed=7, X=X), grid, scoring="f1",
                          cv=StratifiedKFold(2, shuffle=True, random_state=7))
    outer = cross_validate(search, X, y, scoring="f1", cv=StratifiedKFold(3, shuffle=True, random_state=7),
                           return_estimator=True)
    assert result.outer["outer_f1"].tolist() == pytest.approx(np.round(outer["test_score"], 4).tolist(), abs=1e-12)
    assert result.outer["chosen_config"].tolist() == [int(e.best_index_) + 1 for e in outer["estimator"]]
    assert result.outer["inner_cv_f1"].tolist() == pytest.approx(
        [round(float(e.best_score_), 4) for e in outer["estimator"]], abs=1e-12)
    flat = GridSearchCV(make_model("lightgbm", base, seed=7, X=X), grid, scoring="f1",
                        cv=StratifiedKFold(3, shuffle=True, random_state=7)).fit(X, y)
    assert result.non_nested_best == pytest.approx(flat.best_score_, abs=1e-12)
    assert result.non_nested_params == configs[flat.best_index_]
    with pytest.raises(TrainingError, match="configs"):
        nested_cv(X, y, [])


def test_nested_cv_against_fresh_customers(dev):
    X, y = dev
    X_fresh, y_fresh = split_xy(customers(1500, seed=22))
    configs = [{"num_leaves": n, "n_estimators": 10} for n in (2, 8, 32)]
    result = nested_cv(X, y, configs, outer_k=3, inner_k=2, seed=0, X_fresh=X_fresh, y_fresh=y_fresh)
    assert "fresh_f1" in result.outer and result.non_nested_fresh is not None
    table = result.versus_truth()
    assert table.loc["nested", "estimate"] == pytest.approx(result.nested_mean, abs=1e-3)
    assert table.loc["nested", "true_f1"] == pytest.approx(result.outer["fresh_f1"].mean(), abs=1e-3)
    assert (table["estimate - true"] - (table["estimate"] - table["true_f1"])).abs().max() < 2e-3
    with pytest.raises(TrainingError, match="fresh"):
        nested_cv(X, y, configs, outer_k=3, inner_k=2, seed=0).versus_truth()


def test_random_configs_of_a_finite_space_are_different_configurations():
    picked = random_configs(BENCHMARK_SPACE, 30, seed=4)
    assert len({tuple(c.values()) for c in picked}) == 30
    assert picked == random_configs(BENCHMARK_SPACE, 30, seed=4) != random_configs(BENCHMARK_SPACE, 30, seed=5)
    with pytest.raises(TrainingError, match="210 configurations"):
        random_configs(BENCHMARK_SPACE, 211)
