"""Unit tests of mlops_edu.training.tune (chapter 07: grid, random, TPE and genetic search)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlops_edu.training import (
    DEFAULT_SPACE,
    METHODS,
    Param,
    SearchResult,
    Trial,
    TuningError,
    genetic_search,
    grid_cost_table,
    grid_points,
    grid_search,
    lecture_grid_loop,
    log_search,
    optuna_search,
    random_search,
    run_searches,
    tpe_search,
)

# A smooth objective whose optimum lies between the grid points (a = 30, b = 0.05, c = 0.6, d = 10).
SPACE = (Param("a", 1, 100, log=True, grid=(2, 50)), Param("b", 0.001, 1.0, log=True, grid=(0.01, 0.5)),
         Param("c", 0.0, 1.0, grid=(0.2, 0.8)), Param("d", 1, 64, log=True, integer=True, grid=(4, 32)))


def smooth(p):
    return -((math.log(p["a"]) - math.log(30)) ** 2 + (math.log(p["b"]) - math.log(0.05)) ** 2
             + 4 * (p["c"] - 0.6) ** 2 + 0.3 * (math.log(p["d"]) - math.log(10)) ** 2)


def test_param_scale_cast_and_errors():
    p = Param("n", 4, 128, log=True, integer=True)
    assert p.from_unit(0.0) == 4 and p.from_unit(1.0) == 128 and p.from_unit(0.5) == round(math.sqrt(4 * 128))
    assert isinstance(p.sample(np.random.default_rng(0)), int)
    assert p.to_unit(p.from_unit(0.25)) == pytest.approx(0.25, abs=0.02)
    assert Param("x", 0, 1).cast(1.7) == 1.0
    with pytest.raises(TuningError, match="'x'"):
        Param("x", 2, 1)
    with pytest.raises(TuningError, match="low > 0"):
        Param("x", 0, 1, log=True)
    with pytest.raises(TuningError, match=r"\[5"):
        Param("x", 0, 1, grid=(5,))


def test_grid_points_nested_loop_order_and_cost_table():
    points = grid_points(DEFAULT_SPACE)
    assert len(points) == 2 ** len(DEFAULT_SPACE) == 16
    assert points[0] == {p.name: p.grid[0] for p in DEFAULT_SPACE}
    assert points[1][DEFAULT_SPACE[-1].name] == DEFAULT_SPACE[-1].grid[1]   # last parameter moves fastest
    table = grid_cost_table(n_params=(1, 3), n_values=(2, 10), folds=5)
    assert table.loc[3, "10 values"] == 10 ** 3 * 5 and table.loc[1, "2 values"] == 10
    with pytest.raises(TuningError, match="without grid values"):
        grid_points((Param("x", 0, 1),))


def test_lecture_grid_loop_is_four_nested_calls():
    calls = []

    def objective(p):
        calls.append(dict(p))
        return p["max_depth"] / 10 + p["n_estimators"] / 1000

    table = lecture_grid_loop(objective)
    assert calls == [{"max_depth": 3, "n_estimators": 100}, {"max_depth": 3, "n_estimators": 200},
                     {"max_depth": 5, "n_estimators": 100}, {"max_depth": 5, "n_estimators": 200}]
    assert list(table["cv_f1"]) == [0.4, 0.5, 0.6, 0.7]


def test_searches_use_the_same_budget_and_stay_in_the_space():
    results = run_searches(smooth, SPACE, seed=3)
    assert set(results) == set(METHODS)
    for res in results.values():
        assert len(res.trials) == 16 and [t.number for t in res.trials] == list(range(1, 17))
        for t in res.trials:
            for p in SPACE:
                assert p.low <= t.params[p.name] <= p.high
            assert isinstance(t.params["d"], int)
            assert list(t.params) == [p.name for p in SPACE]
    with pytest.raises(TuningError, match="grid has 16 points but budget=10"):
        run_searches(smooth, SPACE, budget=10)
    with pytest.raises(TuningError, match="unknown search method"):
        run_searches(smooth, SPACE, methods=("annealing",))


@pytest.mark.parametrize("search", [random_search, tpe_search, optuna_search, genetic_search])
def test_searches_are_seeded(search):
    a, b = search(smooth, SPACE, 10, seed=5), search(smooth, SPACE, 10, seed=5)
    c = search(smooth, SPACE, 10, seed=6)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.params for t in a.trials] != [t.params for t in c.trials]


def test_tpe_needs_fewer_evaluations_than_grid_when_the_optimum_is_between_grid_points():
    grid = grid_search(smooth, SPACE)
    grid_evals = grid.evals_to_reach(grid.best_score, tol=0.0)
    assert grid_evals == 11
    for seed in range(5):
        tpe = tpe_search(smooth, SPACE, budget=16, seed=seed)
        assert tpe.evals_to_reach(grid.best_score, tol=0.0) < grid_evals, seed


def test_tpe_concentrates_on_good_regions_after_its_random_start():
    gains = []
    for seed in range(4):
        tpe = tpe_search(smooth, SPACE, budget=24, seed=seed, n_startup=5)
        rnd = random_search(smooth, SPACE, budget=24, seed=seed)
        gains.append(np.mean(tpe.scores[5:]) - np.mean(rnd.scores[5:]))
    assert min(gains) > 0


def test_genetic_search_crossover_and_mutation():
    res = genetic_search(smooth, SPACE, budget=20, seed=1, population=4, mutation_rate=0.0)
    first = [t.params for t in res.trials[:4]]
    assert first == [t.params for t in random_search(smooth, SPACE, 4, seed=1).trials]  # same start
    for child in (t.params for t in res.trials[4:]):         # without mutation: genes come from the start
        for p in SPACE:
            assert child[p.name] in {g[p.name] for g in first}
    mutated = genetic_search(smooth, SPACE, budget=20, seed=1, population=4, mutation_rate=1.0)
    assert any(t.params[p.name] not in {g[p.name] for g in first} for t in mutated.trials[4:] for p in SPACE)
    assert mutated.best_score >= max(t.score for t in mutated.trials[:4])
    with pytest.raises(TuningError, match="population"):
        genetic_search(smooth, SPACE, population=1)


def test_result_helpers():
    res = SearchResult("x", [Trial(1, {"a": 1}, 0.50), Trial(2, {"a": 2}, 0.62), Trial(3, {"a": 3}, 0.60)])
    assert res.best_so_far() == [0.50, 0.62, 0.62]
    assert res.evals_to_reach(0.62, tol=0.005) == 2 and res.evals_to_reach(0.603, tol=0.005) == 2
    assert res.evals_to_reach(0.70, tol=0.005) is None
    assert res.best.number == 2 and res.best_params == {"a": 2}


@pytest.mark.parametrize("search", [random_search, tpe_search, optuna_search, genetic_search])
def test_stop_ends_a_search_early(search):
    calls = []

    def objective(p):
        calls.append(p)
        return smooth(p)

    result = search(objective, SPACE, 30, seed=1, stop=lambda: len(calls) >= 7)
    assert len(result.trials) == len(calls) == 7
    assert len(search(smooth, SPACE, 9, seed=1).trials) == 9                # without stop: the whole budget


def test_optuna_search_is_quiet_and_stays_in_the_space(capsys):
    result = optuna_search(smooth, SPACE, budget=12, seed=0, n_startup=4)
    assert capsys.readouterr().err == ""
    for t in result.trials:
        assert all(p.low <= t.params[p.name] <= p.high for p in SPACE) and isinstance(t.params["d"], int)


def test_genetic_survivors_are_distinct():
    from mlops_edu.training.tune import _survivors

    members = [(0.9, {"a": 1}), (0.9, {"a": 1}), (0.8, {"a": 2}), (0.7, {"a": 3}), (0.95, {"a": 4})]
    assert [m[1]["a"] for m in _survivors(members, 3)] == [4, 1, 2]


def test_log_search_nested_runs(tmp_path, monkeypatch):
    import mlflow

    from mlops_edu import setup_chapter

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    ws = setup_chapter("99", seed=0)
    result = random_search(smooth, SPACE, budget=5, seed=0)
    log_search(result, extra_params={"k_folds": 3})
    runs = mlflow.search_runs(experiment_names=[ws.experiment_name])
    parent = runs[runs["tags.mlflow.parentRunId"].isna()]
    children = runs[runs["tags.mlflow.parentRunId"].notna()]
    assert list(parent["tags.mlflow.runName"]) == ["search-random"]
    assert len(children) == 5 and set(children["tags.mlflow.parentRunId"]) == set(parent["run_id"])
    assert sorted(children["tags.mlflow.runName"]) == [f"random-{i}" for i in range(1, 6)]
    assert parent["metrics.best_cv_f1"].iloc[0] == pytest.approx(result.best_score)
    assert parent["params.k_folds"].iloc[0] == "3"


def test_tuning_a_real_objective_end_to_end():
    from _telco_sample import customers

    from mlops_edu.training import KFoldObjective, split_xy

    X, y = split_xy(customers(500, seed=3))
    objective = KFoldObjective(X, y, "lightgbm", k=3, seed=0, base_params={"n_estimators": 20})
    space = DEFAULT_SPACE[:2]
    results = run_searches(objective, space, seed=0)
    assert all(len(r.trials) == 4 for r in results.values())
    assert all(0 <= r.best_score <= 1 for r in results.values())
    assert objective.n_fits <= objective.n_evaluations * 3   # repeated configurations are not refitted
