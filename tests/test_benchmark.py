"""Unit tests of mlops_edu.training.benchmark (chapter 07's tabular benchmark and its replays)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from _telco_sample import customers
from sklearn.model_selection import cross_val_score

from mlops_edu.training import (
    BENCHMARK_SPACE,
    METHODS,
    Axis,
    KFoldObjective,
    Replays,
    SearchResult,
    TabularBenchmark,
    Trial,
    TuningError,
    build_benchmark,
    configurations,
    grid_configurations,
    grid_size,
    make_model,
    replay,
    replay_methods,
    split_xy,
    verdict_table,
)

# A finite space with a smooth landscape: 6 x 7 x 5 = 210 configurations, best at (16, 0.08, 20).
SPACE = (Axis("a", (2, 4, 8, 16, 32, 64), grid=(4, 16, 64)),
         Axis("b", (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64), grid=(0.01, 0.08, 0.64)),
         Axis("c", (5, 10, 20, 40, 80), grid=(5, 20, 80)))


def smooth(p):
    return 1.0 - (math.log2(p["a"]) - 4) ** 2 / 20 - (math.log2(p["b"] / 0.08)) ** 2 / 30 \
        - (math.log2(p["c"] / 20)) ** 2 / 40


@pytest.fixture(scope="module")
def bench():
    return TabularBenchmark.from_scores(SPACE, smooth)


def test_axis_checks_and_configurations():
    assert len(configurations(BENCHMARK_SPACE)) == 210 >= 200
    assert grid_size(BENCHMARK_SPACE) == 27 == len(grid_configurations(BENCHMARK_SPACE))
    assert configurations(SPACE)[1] == {"a": 2, "b": 0.01, "c": 10}           # last axis moves fastest
    assert all(set(g) == {"a", "b", "c"} for g in grid_configurations(SPACE))
    with pytest.raises(TuningError, match="ascending"):
        Axis("x", (3, 1), grid=(1,))
    with pytest.raises(TuningError, match="not among the levels"):
        Axis("x", (1, 2, 3), grid=(5,))
    axis = SPACE[0]
    assert [axis.level(i) for i in (-0.49, 0, 2.4, 2.6, 5.49, 9)] == [2, 2, 8, 16, 64, 64]


def test_a_table_entry_equals_a_fresh_kfold_cv_of_its_configuration():
    X, y = split_xy(customers(300, seed=5))
    space = (Axis("num_leaves", (2, 8), grid=(2, 8)), Axis("learning_rate", (0.05, 0.2), grid=(0.05, 0.2)))
    base = {"n_estimators": 10}
    objective = KFoldObjective(X, y, "lightgbm", k=3, seed=2, base_params=base)
    table = build_benchmark(objective, space)
    assert len(table) == 4 and list(table.table.columns) == ["num_leaves", "learning_rate", "cv_f1", "fold_std"]
    for row in (0, 3):
        config = table.configuration(row)
        fresh = cross_val_score(make_model("lightgbm", {**base, **config}, seed=2, X=X), X, y,
                                cv=objective.folds, scoring="f1")
        assert table.table.loc[row, "cv_f1"] == pytest.approx(fresh.mean(), abs=1e-12)
        assert table.table.loc[row, "fold_std"] == pytest.approx(fresh.std(), abs=1e-12)
        assert table.score(config) == table.table.loc[row, "cv_f1"]


def test_the_cache_is_reused_only_for_the_same_objective(tmp_path):
    calls = []

    class Counting:
        kind, metric, seed, threshold, base_params = "x", "f1", 0, 0.5, {}
        y = np.array([0, 1, 0, 1])
        folds = [(np.array([0, 1]), np.array([2, 3]))]

        def __call__(self, params):
            calls.append(params)
            return smooth(params)

    cache = tmp_path / "benchmark.json"
    first = build_benchmark(Counting(), SPACE, cache=cache)
    assert cache.exists() and len(calls) == 210
    again = build_benchmark(Counting(), SPACE, cache=cache)
    assert len(calls) == 210                                            # read from the file, nothing scored
    pd.testing.assert_frame_equal(first.table, again.table)
    other = Counting()
    other.seed = 1
    build_benchmark(other, SPACE, cache=cache)
    assert len(calls) == 420                                            # another objective: scored again


def test_target_is_the_top_share(bench):
    target = bench.target(0.05)
    assert int((bench.table["cv_f1"] >= target).sum()) == math.ceil(0.05 * 210)
    assert bench.best_configuration() == {"a": 16, "b": 0.08, "c": 20}
    with pytest.raises(TuningError):
        bench.target(1.0)
    with pytest.raises(TuningError, match="not in the table"):
        bench.score({"a": 3, "b": 0.01, "c": 5})


@pytest.mark.parametrize("method", METHODS)
def test_every_replay_uses_exactly_its_budget_and_is_deterministic_per_seed(bench, method):
    a, b, c = (replay(bench, method, seed=s) for s in (3, 3, 4))
    assert len(a.trials) == grid_size(SPACE) == 27
    assert len({tuple(t.params.values()) for t in a.trials}) == 27          # 27 different configurations
    assert [t.number for t in a.trials] == list(range(1, 28))
    assert all(t.score == bench.score(t.params) for t in a.trials)          # lookups, no refits
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.params for t in a.trials] != [t.params for t in c.trials]
    assert a.proposals >= 27


def test_the_grid_replay_shuffles_its_loops_not_its_points(bench):
    runs = [replay(bench, "grid", seed=s) for s in range(3)]
    points = sorted(tuple(c.values()) for c in grid_configurations(SPACE))
    for run in runs:
        assert sorted(tuple(t.params.values()) for t in run.trials) == points
        assert run.best_score == max(bench.score(c) for c in grid_configurations(SPACE))
        last = [t.params["c"] for t in run.trials]
        assert len(set(last[:3])) == 3                                      # the innermost loop runs first
    with pytest.raises(TuningError, match="grid has 27 points"):
        replay(bench, "grid", budget=10)
    assert len(replay(bench, "random", budget=10).trials) == 10


def test_replays_learn_on_a_smooth_table(bench):
    replays = replay_methods(bench, ("random", "tpe", "optuna"), seeds=range(8))
    target = bench.target(0.05)
    summary = replays.summary(target)
    assert list(summary.index) == ["random", "TPE (hyperopt)", "TPE (Optuna)"]
    assert (summary["runs"] == 8).all()
    late = {m: np.mean([np.mean(r.scores[10:]) for r in replays.runs[m]]) for m in ("random", "tpe", "optuna")}
    assert late["tpe"] > late["random"] and late["optuna"] > late["random"]  # both TPEs concentrate on good regions


def _fake(evaluations: dict[str, list[int | None]], budget: int = 10) -> Replays:
    runs = {}
    for method, evals in evaluations.items():
        runs[method] = [SearchResult(method, [Trial(i + 1, {"i": i}, 1.0 if e is not None and i + 1 >= e else 0.0)
                                              for i in range(budget)]) for e in evals]
    return Replays(runs, budget)


def test_the_verdict_follows_the_rule():
    replays = _fake({"fast": [1, 2, 2, 3, 2, 1, 2, 3] * 3, "slow": [8, 9, None, 7, 9, 8, None, 9] * 3,
                     "alike": [8, 9, None, 8, 7, 9, 8, None] * 3})
    frame = replays.evals_to_target(0.5)
    assert frame.loc[(frame["method"] == "slow") & (frame["run"] == 2), "evaluations"].isna().all()
    summary = replays.summary(0.5)
    assert summary.loc["slow", "reached"] == 0.75 and summary.loc["slow", "evals_median"] == 9.0
    table = verdict_table(replays, 0.5, [("fast", "slow"), ("slow", "fast"), ("alike", "slow")], n_boot=500)
    assert table.loc[("fast", "slow"), "verdict"] == "fewer"
    assert table.loc[("slow", "fast"), "verdict"] == "more"
    assert table.loc[("alike", "slow"), "verdict"] == "no difference shown"
    row = table.loc[("fast", "slow")]
    assert row["low"] <= row["difference"] <= row["high"] < 0
    missed = _fake({"never": [None] * 5}, budget=10)
    assert missed.summary(0.5).loc["never", "evals_median"] == 11.0          # a miss counts as budget + 1


def test_bands_are_quartiles_of_best_so_far(bench):
    replays = replay_methods(bench, ("random",), seeds=range(5))
    bands = replays.bands()
    curves = replays.best_so_far("random")
    assert curves.shape == (5, 27) and (np.diff(curves, axis=1) >= 0).all()
    last = bands[bands["evaluation"] == 27].iloc[0]
    assert last["median"] == pytest.approx(np.median(curves[:, -1]))
    assert (bands["q25"] <= bands["median"]).all() and (bands["median"] <= bands["q75"]).all()
