"""Unit tests of mlops_edu.training.distributed: one Optuna study shared by real worker processes, and
hyperopt's SparkTrials (only where Spark is available)."""

from __future__ import annotations

import pytest
from _telco_sample import customers

from mlops_edu.deployment.inference import spark_available
from mlops_edu.training import (
    Axis,
    KFoldObjective,
    TuningError,
    build_benchmark,
    build_benchmark_distributed,
    run_optuna_workers,
    spark_trials_search,
    split_xy,
)

SPACE = (Axis("num_leaves", (2, 4, 8, 16), grid=(2, 16)), Axis("learning_rate", (0.05, 0.1, 0.2), grid=(0.05, 0.2)))
BASE = {"n_estimators": 8}
SPARK_OK, SPARK_WHY = spark_available()


@pytest.fixture(scope="module")
def data():
    return split_xy(customers(240, seed=9))


def test_two_processes_share_one_tpe_study(data, tmp_path):
    X, y = data
    run = run_optuna_workers(X, y, tmp_path, n_workers=2, sampler="tpe", trials_per_worker=3, space=SPACE, k=3,
                             seed=1, base_params=BASE, n_startup=2)
    assert run.per_worker() == {0: 3, 1: 3}
    assert sorted(run.trials["number"]) == list(range(1, 7))               # one study: trial numbers shared
    assert set(run.trials["state"]) == {"COMPLETE"} and set(run.ready) == {0, 1}
    objective = KFoldObjective(X, y, "lightgbm", k=3, seed=1, base_params=BASE)
    for row in run.trials.to_dict("records"):
        config = {a.name: row[a.name] for a in SPACE}
        assert row["value"] == objective(config)                           # the workers' objective is the same
    timing = run.timing()
    assert timing["workers"] == 2 and timing["wall"] >= timing["start_up"] > 0 and timing["fitting"] > 0


def test_the_distributed_table_equals_the_in_process_table(data, tmp_path):
    X, y = data
    cache = tmp_path / "benchmark.json"
    bench, run = build_benchmark_distributed(X, y, tmp_path / "optuna", space=SPACE, n_workers=2, k=3, seed=1,
                                             base_params=BASE, cache=cache)
    assert run is not None and sum(run.per_worker().values()) >= len(bench) == 12
    local = build_benchmark(KFoldObjective(X, y, "lightgbm", k=3, seed=1, base_params=BASE), SPACE)
    assert bench.table.equals(local.table)                                 # bitwise, row by row
    again, rerun = build_benchmark_distributed(X, y, tmp_path / "optuna", space=SPACE, n_workers=2, k=3, seed=1,
                                               base_params=BASE, cache=cache)
    assert rerun is None and again.table.equals(bench.table)               # the cached table, no workers
    with pytest.raises(TuningError, match="sampler"):
        run_optuna_workers(X, y, tmp_path, sampler="annealing")


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.skipif(not SPARK_OK, reason=f"Spark not available: {SPARK_WHY}")
def test_spark_trials_run_the_same_objective(data):
    X, y = data
    objective = KFoldObjective(X, y, "lightgbm", k=3, seed=1, base_params=BASE)
    result = spark_trials_search(objective, SPACE, budget=4, parallelism=2, seed=0, n_startup=2)
    assert len(result.trials) == 4
    for trial in result.trials:
        assert trial.score == pytest.approx(objective(trial.params), abs=1e-12)
