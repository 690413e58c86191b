"""The closed loop (lecture 8): the noise-aware comparison, level 1 vs level 2/3, and the chaos tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_edu.data import make_customers
from mlops_edu.loop import (
    LEVEL_1,
    LEVEL_3,
    ClosedLoop,
    Level,
    LoopConfig,
    dollars_per_customer,
    level_summary,
    paired_bootstrap,
    reconcile,
    renamed_column_model,
    value_difference,
)
from mlops_edu.monitoring import Drift, drift_months, load_rules
from mlops_edu.training import log_model, make_model, split_dataset

SEED = 4
RULES = '[input_drift_share]\nabove = 0.1\naction = "notify"\n\n[f1_realised]\nbelow = 0.57\naction = "retrain"\n'


# ---------------------------------------------------------------------------------- the comparison

def test_dollars_per_customer_follow_the_one_accounting():
    assert dollars_per_customer([1, 0, 1, 0], [1, 1, 0, 0]).tolist() == [1500.0, -500.0, 0.0, 0.0]


def test_paired_bootstrap_needs_the_lower_bound_above_the_margin():
    rng = np.random.default_rng(0)
    y = (rng.random(600) < 0.3).astype(int)
    champion = (rng.random(600) < 0.5).astype(int)
    assert not paired_bootstrap(y, champion, champion).promote                      # no difference, no promotion
    perfect = paired_bootstrap(y, champion, y, seed=1)
    assert perfect.promote and perfect.low > 0 and perfect.low <= perfect.mean <= perfect.high
    assert not paired_bootstrap(y, champion, y, margin=perfect.high + 1).promote   # the declared margin binds
    noisy = champion.copy()
    flip = rng.choice(600, 20, replace=False)
    noisy[flip] = 1 - noisy[flip]                                                     # 20 of 600 decisions differ
    small = paired_bootstrap(y, champion, noisy, seed=2, margin=10.0)
    assert abs(small.mean) < 30 and not small.promote
    worse = paired_bootstrap(y, y, champion, seed=3)
    assert worse.high < 0 and not worse.promote and "does not clear" in worse.describe()


def test_levels_schedule():
    assert [m for m in range(25) if LEVEL_1.scheduled(m)] == [6, 12, 18, 24]
    assert not any(LEVEL_3.scheduled(m) for m in range(25)) and LEVEL_3.triggered
    assert not Level("x").scheduled(6)


def test_value_difference_is_paired_over_months():
    a = pd.DataFrame({"value": [100.0, 200.0, 300.0, 400.0]})
    out = value_difference(a, a.assign(value=a["value"] + 10))
    assert out["mean"] == 10 and out["low"] == 10 and out["high"] == 10


# ------------------------------------------------------------------------------------ the loop runs

@pytest.fixture(scope="module")
def launch(tmp_path_factory):
    import os

    home = tmp_path_factory.mktemp("loop-home")
    old = os.environ.get("MLOPS_EDU_HOME")
    os.environ["MLOPS_EDU_HOME"] = str(home)
    from mlops_edu import setup_chapter

    ws = setup_chapter("97", seed=SEED)
    import mlflow

    customers = make_customers(7043, seed=SEED)
    split = split_dataset(customers, val_size=0.2, test_size=0.2, seed=SEED)
    model = make_model("logreg", seed=SEED).fit(split.X_train, split.y_train)
    with mlflow.start_run(run_name="launch"):
        info = log_model(model, split.X_train)
    yield ws, split, model, info
    if old is None:
        os.environ.pop("MLOPS_EDU_HOME", None)
    else:
        os.environ["MLOPS_EDU_HOME"] = old


def _loop(launch, level, name, months, **config):
    ws, split, model, info = launch
    cfg = LoopConfig(name=name, columns=list(split.X_train.columns), rules=load_rules(RULES), seed=SEED,
                     train_months=1, margin=10.0, **config)
    loop = ClosedLoop(level, cfg, months, ws.root / "loop" / name)
    loop.start(model, split.X_train, split.X_val, split.y_val, info)
    return loop


@pytest.fixture(scope="module")
def levels(launch):
    months = drift_months(24, 1000, seed=SEED, drifts=[Drift("data", 6, 20.0), Drift("concept", 12, 3.0)])
    runs = {}
    for name, level in (("l1", LEVEL_1), ("l3", LEVEL_3)):
        loop = _loop(launch, level, f"test.loop.{name}", months, server=False)
        runs[name] = (loop.run(), loop)
    return runs


def test_level_3_beats_level_1_on_mean_monthly_value(levels):
    l1, l3 = levels["l1"][0], levels["l3"][0]
    assert (l1.index == l3.index).all() and len(l1) == 24
    assert (l1["value"].iloc[:12].to_numpy() == l3["value"].iloc[:12].to_numpy()).all()   # same months, same model
    gain = value_difference(l1, l3, seed=SEED)
    assert gain["mean"] > 0 and gain["low"] > 0


def test_level_3_detects_and_recovers_sooner_with_fewer_trainings(levels):
    s1 = level_summary(levels["l1"][0], drift_start=12, f1_floor=0.57)
    s3 = level_summary(levels["l3"][0], drift_start=12, f1_floor=0.57)
    assert s3["months to detection"] == 1 and s1["months to detection"] == 6
    assert s3["months to recovery"] < s1["months to recovery"]
    assert s3["trainings"] < s1["trainings"] == 3
    assert s3["months below the F1 floor"] <= s1["months below the F1 floor"]


def test_data_drift_notifies_but_does_not_retrain_level_3(levels):
    l3 = levels["l3"][0]
    after_data_drift = l3.iloc[6:12]
    assert (after_data_drift["alerts"] == "input_drift_share").all() and not after_data_drift["trained"].any()


def test_every_model_version_is_in_the_real_registry(levels):
    from mlops_edu.deployment import registry

    loop = levels["l3"][1]
    assert registry.aliases("test.loop.l3") == {"Champion": loop.champion}
    assert len(registry.versions_table("test.loop.l3", description=False)) == 1 + loop.trainings


@pytest.fixture(scope="module")
def chaos(launch):
    split = launch[1]
    months = drift_months(5, 400, seed=SEED + 1)
    hotfix = renamed_column_model(months[0].frame, list(split.X_train.columns), seed=SEED)
    loop = _loop(launch, LEVEL_3, "test.loop.chaos", months, server=True)
    history = loop.run(faults={1: {"corrupt": True}, 2: {"bad_challenger": True}, 3: {"bad_deploy": hotfix},
                               4: {"crash_after": 2}})
    return loop, history


def test_corrupt_batch_is_quarantined_and_no_row_is_lost(chaos):
    loop, history = chaos
    counts = reconcile(history)
    assert counts.loc["2024-02", "quarantined"] == 400
    assert (counts["rows_scored"] == counts["rows_in"]).all() and counts["all rows scored once"].all()
    quarantined = pd.read_csv(loop.root / "quarantine" / "2024-02.csv")
    assert len(quarantined) == 400 and quarantined["MonthlyCharges"].min() > 1000
    assert history.loc["2024-02", "f1"] > 0.5                # the fixed re-delivery was scored sensibly


def test_worse_challenger_is_refused_and_bad_deploy_rolled_back(chaos):
    from mlops_edu.deployment import registry

    loop, history = chaos
    assert history.loc["2024-03", "trained"] and history.loc["2024-03", "refused"]
    assert history.loc["2024-04", "rolled_back"]
    assert (history["live"] == 1).all() and registry.aliases("test.loop.chaos") == {"Champion": 1}
    assert any("rolled back v3 -> v1" in e for e in loop.events)


def test_killed_server_loses_no_batch_and_scores_none_twice(chaos):
    loop, history = chaos
    assert history.loc["2024-05", "retried"] == 1 and history.loc["2024-05", "rows_scored"] == 400
    outputs = sorted(p.stem for p in (loop.root / "outbox").glob("2024-05-*.csv"))
    assert outputs == [f"2024-05-{i:02d}" for i in range(4)]
    from mlops_edu.monitoring import read_request_log

    log = read_request_log(loop.root / "requests.jsonl")
    may = log[log["batch"].astype(str).str.startswith("2024-05")]
    assert (may["status"] == 200).all()
    assert not loop.service.alive()
