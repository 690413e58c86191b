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
    level_summary,
    reconcile,
    renamed_column_model,
    value_difference,
)
from mlops_edu.monitoring import Drift, drift_months, load_rules
from mlops_edu.training import log_model, make_model, paired_bootstrap, split_dataset

SEED = 4
RULES = '[input_drift_share]\nabove = 0.1\naction = "notify"\n\n[f1_realised]\nbelow = 0.57\naction = "retrain"\n'


# ---------------------------------------------------------------------------------- the comparison

class _Fixed:
    """A stand-in model whose offers on the held-out rows are given (``_validate`` only calls ``predict``)."""

    def __init__(self, offers):
        self.offers = np.asarray(offers)

    def predict(self, X):
        assert len(X) == len(self.offers)
        return self.offers


def _validate(launch, name, champion_offers, challenger_offers):
    """``ClosedLoop._validate`` of a registered Challenger whose offers, and the Champion's, are fixed.

    The registry checks (description, signature, inference, F1 floor) run on the real launch model registered
    again; the comparison reads the fixed offers. Returns (promoted, why, the interval the loop must have used).
    """
    import dataclasses

    from mlops_edu.deployment import registry

    ws, split, model, info = launch
    n = len(challenger_offers)
    hold, y = split.X_val.iloc[:n], np.asarray(split.y_val)[:n]
    loop = _loop(launch, LEVEL_3, name, [], server=False)
    version = int(registry.register(info, name, alias=registry.CHALLENGER,
                                    description="the launch model registered again as a Challenger").version)
    loop.versions[version] = dataclasses.replace(loop.versions[1], version=version, model=_Fixed(challenger_offers))
    loop.versions[1] = dataclasses.replace(loop.versions[1], model=_Fixed(champion_offers))
    try:
        promoted, why = loop._validate(version, hold, y, hold)
    finally:
        loop.close()
    expected = paired_bootstrap(y, challenger_offers, champion_offers, "value_per_customer", seed=SEED + version,
                                level=0.9)
    return promoted, why, expected


def test_validate_promotes_a_clearly_better_challenger_and_refuses_an_identical_one(launch):
    from mlops_edu.deployment.validation import check_gain

    y = np.asarray(launch[1].y_val)[:600]
    nobody = np.zeros_like(y)                                       # the Champion offers nothing: $0 per customer
    promoted, why, expected = _validate(launch, "test.loop.better", nobody, y)   # the Challenger: churners only
    assert promoted and expected.estimate == pytest.approx(1500 * y.mean()) and expected.low > 10.0
    assert why == check_gain("value_gain_passed", expected, 10.0, "Champion v1").detail   # the interval, unchanged
    same, why, expected = _validate(launch, "test.loop.same", nobody, nobody)
    assert not same and (expected.low, expected.high) == (0.0, 0.0)
    assert why == "value_gain_passed: " + check_gain("value_gain_passed", expected, 10.0, "Champion v1").detail


def test_validate_same_seed_same_interval(launch):
    rng = np.random.default_rng(0)
    y = np.asarray(launch[1].y_val)[:600]
    champion = (rng.random(600) < 0.5).astype(int)
    challenger = np.where(rng.random(600) < 0.5, y, champion)      # half of the decisions replaced by the truth
    first = _validate(launch, "test.loop.seed.a", champion, challenger)
    again = _validate(launch, "test.loop.seed.b", champion, challenger)   # also version 2: the same seed
    assert first[1] == again[1] and first[2] == again[2]
    assert first[0] == first[2].clears(10.0)


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
