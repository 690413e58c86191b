"""The monitoring pipeline (lecture 5.3): baselines, honest drifts, which signal sees which, alerts, system signals."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from mlops_edu.data import make_customers
from mlops_edu.data.noise import _segment_mask
from mlops_edu.monitoring import (
    AlertLog,
    AlertRuleError,
    Drift,
    Monitor,
    Profile,
    ScoringService,
    charges_in_cents,
    concept_shift,
    drift_months,
    estimate_quality,
    expected_counts,
    false_alarms,
    fit_calibrator,
    known_signals,
    label_shift,
    labelled_frame,
    load_rules,
    monitor_months,
    profile,
    read_request_log,
    resample_inputs,
    sample_size_table,
    score_batches,
    weighted_sample,
    window_signals,
    younger_weights,
)
from mlops_edu.monitoring.shifts import COMPETITOR_SEGMENT
from mlops_edu.training import make_model, split_dataset

SEED = 4
TOLERANCE = 0.05   # the chapter's rule: mean |estimated - realised F1| over the drifted months


@pytest.fixture(scope="module")
def trained():
    customers = make_customers(7043, seed=SEED)
    split = split_dataset(customers, val_size=0.2, test_size=0.2, seed=SEED)
    model = make_model("logreg", seed=SEED).fit(split.X_train, split.y_train)
    return split, model


@pytest.fixture(scope="module")
def monitor(trained):
    split, model = trained
    val_proba = model.predict_proba(split.X_val)[:, 1]
    return Monitor(model, list(split.X_train.columns), split.X_train, val_proba, fit_calibrator(val_proba, split.y_val))


@pytest.fixture(scope="module")
def timelines(monitor):
    drifts = {"data": Drift("data", 6, 20.0), "concept": Drift("concept", 6, 3.0), "label": Drift("label", 6, 0.4)}
    return {k: monitor_months(monitor, drift_months(12, 1000, seed=SEED, drifts=[d])) for k, d in drifts.items()}


# --------------------------------------------------------------------------------------------- profile

def test_profile_round_trip_and_validation_catches_the_cents_bug_not_real_drift():
    base = profile(make_customers(3000, seed=1))
    again = Profile.from_dict(json.loads(json.dumps(base.to_dict())))
    assert again == base
    ordinary = make_customers(1000, seed=2)
    assert base.check(ordinary) == []
    assert base.check(make_customers(1000, seed=2, price_change=0.1, young_share=0.5)) == []   # drift is possible
    problems = base.check(charges_in_cents(ordinary))
    assert len(problems) == 2 and "MonthlyCharges" in problems[0] and "TotalCharges" in problems[1]
    assert "column 'tenure' is missing" in base.check(ordinary.drop(columns=["tenure"]))


def test_profile_is_logged_with_the_run_and_loads_back(tmp_path, monkeypatch):
    import mlflow

    from mlops_edu import setup_chapter
    from mlops_edu.monitoring import load_profile, log_profile

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    setup_chapter("99", seed=0)
    base = profile(make_customers(500, seed=1))
    with mlflow.start_run() as run:
        log_profile(base)
    assert load_profile(run.info.run_id) == base


# ---------------------------------------------------------------------------------------------- shifts

def test_weighted_sample_is_without_replacement_and_follows_weights():
    rows = weighted_sample(np.r_[np.ones(900), np.full(100, 50.0)], 100, seed=0)
    assert len(set(rows.tolist())) == 100
    assert (rows >= 900).mean() > 0.7


def test_data_drift_keeps_each_customers_label_and_moves_only_inputs():
    pool = make_customers(8000, seed=5)
    drifted = resample_inputs(pool, 1000, younger_weights(pool, 20.0), seed=1)
    assert (drifted["age"] < 30).mean() > (pool["age"] < 30).mean() + 0.3
    merged = drifted.merge(pool, on="customerID", suffixes=("", "_pool"))
    assert len(merged) == 1000 and (merged["Churn"] == merged["Churn_pool"]).all()   # P(churn | X) untouched


def test_concept_drift_keeps_inputs_byte_identical_and_changes_churn_in_the_segment_only():
    frame = make_customers(20_000, seed=6)
    shifted = concept_shift(frame, logit_shift=3.0, seed=1)
    assert shifted.drop(columns=["Churn"]).equals(frame.drop(columns=["Churn"]))
    inside = _segment_mask(frame, COMPETITOR_SEGMENT)
    assert (shifted.loc[~inside, "Churn"] == frame.loc[~inside, "Churn"]).all()
    before, after = (frame.loc[inside, "Churn"] == "Yes").mean(), (shifted.loc[inside, "Churn"] == "Yes").mean()
    from mlops_edu.data import churn_logit

    target = np.mean(1 / (1 + np.exp(-(churn_logit(frame[inside]) + 3.0))))
    assert after == pytest.approx(target, abs=0.02) and after > before + 0.3
    assert ((frame["Churn"] == "Yes") <= (shifted["Churn"] == "Yes")).all()   # a positive shift adds churners only


def test_label_shift_hits_the_rate_exactly_and_bug_is_cents():
    pool = make_customers(5000, seed=7)
    shifted = label_shift(pool, 1000, 0.4, seed=1)
    assert (shifted["Churn"] == "Yes").sum() == 400
    with pytest.raises(ValueError, match="churners"):
        label_shift(pool, 4000, 0.9)
    assert (charges_in_cents(pool)["MonthlyCharges"] == pool["MonthlyCharges"] * 100).all()


def test_drift_months_switch_on_at_their_month_and_keep_ids_unique():
    months = drift_months(4, 300, seed=1, drifts=[Drift("bug", 2, end=3)], label_delay=2)
    assert [m.changes != () for m in months] == [False, False, True, False]
    assert months[2].frame["MonthlyCharges"].min() > 1000 and months[3].frame["MonthlyCharges"].max() < 200
    ids = pd.concat([m.frame["customerID"] for m in months])
    assert ids.is_unique and months[0].labels_available == 2
    with pytest.raises(ValueError, match="drift kind"):
        Drift("seasonal", 1)


# ----------------------------------------------------------------------- which signal sees which drift

def test_label_free_estimate_is_the_expected_confusion_matrix():
    counts = expected_counts([0.9, 0.6, 0.3, 0.2, 0.1], [1, 1, 1, 0, 0])
    assert counts == pytest.approx({"tp": 1.8, "fp": 1.2, "fn": 0.3, "tn": 1.7})
    identity = fit_calibrator(np.linspace(0, 1, 101), (np.linspace(0, 1, 101) > 0.5).astype(int))
    est = estimate_quality([0.9, 0.1], [1, 0], identity)
    assert est["f1"] == pytest.approx(1.0) and est["business_value"] == pytest.approx(1500.0)


def test_data_drift_is_flagged_by_input_tests_and_concept_drift_is_not(timelines):
    data, concept = timelines["data"], timelines["concept"]
    assert (data["input_drift_share"].iloc[:6] == 0).all() and (data["input_drift_share"].iloc[6:] > 0.1).all()
    assert (concept["input_drift_share"] == 0).all()
    assert (concept["prediction_psi"] < 0.1).all()


def test_estimate_tracks_realised_f1_under_data_drift_and_misses_concept_drift(timelines):
    def gap(tl):
        post = tl.iloc[6:]
        return (post["f1_estimated"] - post["f1_realised"]).abs().mean()

    assert gap(timelines["data"]) <= TOLERANCE
    assert gap(timelines["concept"]) > TOLERANCE
    concept = timelines["concept"]
    assert concept["f1_realised"].iloc[6:].mean() < concept["f1_realised"].iloc[:6].mean() - 0.05  # realised sees it
    assert abs(concept["f1_estimated"].iloc[6:].mean() - concept["f1_estimated"].iloc[:6].mean()) < 0.02


def test_known_signals_delay_realised_quality_by_the_label_delay(timelines):
    tl = timelines["concept"]
    known = known_signals(tl, label_delay=1)
    assert math.isnan(known["f1_realised"].iloc[0])
    assert known["f1_realised"].iloc[7] == tl["f1_realised"].iloc[6]
    assert known["f1_estimated"].iloc[7] == tl["f1_estimated"].iloc[7]


def test_retraining_on_recent_labels_restores_f1(monitor):
    months = drift_months(12, 1000, seed=SEED, drifts=[Drift("concept", 6, 3.0)])
    recent = labelled_frame(months, now=7, last=1)
    assert recent["customerID"].isin(months[6].frame["customerID"]).all()   # month 7's labels are not known yet
    new = make_model("logreg", seed=SEED).fit(recent[monitor.columns], (recent["Churn"] == "Yes").astype(int))
    retrained = Monitor(new, monitor.columns, monitor.reference, monitor.reference_proba, monitor.calibrator)
    old_f1 = monitor_months(monitor, months[8:])["f1_realised"]
    new_f1 = monitor_months(retrained, months[8:])["f1_realised"]
    assert (new_f1 > old_f1 + 0.05).all()


# ---------------------------------------------------------------------------------------------- alerts

RULES = """
[f1_realised]
below = 0.57
action = "retrain"

[error_rate]
above = 0.05
action = "page"
"""


def test_rules_fire_on_a_given_series_and_trigger_retraining(tmp_path):
    log = AlertLog(load_rules(RULES))
    series = pd.DataFrame({"f1_realised": [float("nan"), 0.62, 0.55], "error_rate": [0.0, 0.2, 0.01]},
                          index=["m1", "m2", "m3"])
    fired = log.evaluate_frame(series)
    assert [(a.window, a.signal, a.action) for a in fired] == [("m2", "error_rate", "page"),
                                                               ("m3", "f1_realised", "retrain")]
    assert AlertLog.retrain_needed(fired) and not AlertLog.retrain_needed(fired[:1])
    log.write_jsonl(tmp_path / "alerts.jsonl")
    assert [json.loads(line)["signal"] for line in (tmp_path / "alerts.jsonl").read_text().splitlines()] == \
        ["error_rate", "f1_realised"]
    assert log.frame()["value"].tolist() == [0.2, 0.55]


@pytest.mark.parametrize("text, message", [
    ('[f1]\nbelow = 0.5\n', "unknown signal 'f1'"),
    ('[error_rate]\nabove = -0.05\n', "rule 'error_rate': above must be >= 0"),
    ('[latency_p95_ms]\nbelow = -1\n', "rule 'latency_p95_ms': below must be >= 0"),
    ('[error_rate]\nabove = "high"\n', "rule 'error_rate': above must be a number"),
    ('[error_rate]\naction = "page"\n', "rule 'error_rate': give a threshold"),
    ('[error_rate]\nabove = 0.1\nwhen = 3\n', "unknown key"),
    ('[error_rate]\nabove = 0.1\naction = "email"\n', "unknown action 'email'"),
    ('[error_rate\nabove = 0.1\n', "not valid TOML"),
])
def test_invalid_rule_files_are_refused_naming_the_culprit(text, message):
    with pytest.raises(AlertRuleError, match=message.replace("(", r"\(")):
        load_rules(text)


def test_rules_load_from_a_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    assert set(load_rules(path)) == {"f1_realised", "error_rate"}


# ----------------------------------------------------------------------------------- sample-size trap

def test_sample_size_table_and_false_alarms():
    table = sample_size_table(np.random.default_rng(0).normal(size=100_000), sizes=(100, 1000), repeats=60, seed=1)
    assert table.loc[100, "psi_mean"] > 0.1 > table.loc[1000, "psi_mean"]
    assert table.loc[1000, "psi_mean"] == pytest.approx(table.loc[1000, "psi_expected"], rel=0.25)
    alarms = false_alarms(make_customers(4000, seed=2), 500, repeats=15, seed=0)
    assert set(alarms.columns) == {"flagged", "compared", "names"} and alarms["compared"].iloc[0] == 22
    assert 0.2 < alarms["flagged"].mean() < 2.5


# -------------------------------------------------------------------------------------- system signals

def test_window_signals_and_a_log_with_a_torn_last_line(tmp_path):
    path = tmp_path / "requests.jsonl"
    lines = [json.dumps({"t": 1.0 + i, "path": "/score", "batch": str(i), "rows": 5, "status": s, "latency_ms": ms})
             for i, (s, ms) in enumerate([(200, 10.0), (200, 20.0), (400, 1.0), (200, 30.0)])]
    path.write_text("\n".join(lines) + '\n{"t": 9.0, "path": "/sc')
    log = read_request_log(path)
    assert len(log) == 4
    table = window_signals(log.assign(window="w"))
    assert table.loc["w", "requests"] == 4 and table.loc["w", "error_rate"] == 0.25
    assert table.loc["w", "latency_p50_ms"] == pytest.approx(15.0)


def test_service_is_idempotent_and_a_crash_loses_no_batch_and_scores_none_twice(trained, tmp_path):
    split, model = trained
    columns = list(split.X_train.columns)
    batches = {f"b{i}": split.X_test.iloc[i * 20:(i + 1) * 20] for i in range(6)}
    service = ScoringService(model, columns, tmp_path / "out", tmp_path / "log.jsonl", crash_after=3).start()
    first_pid = service.pid
    try:
        result = score_batches(service, batches)
        assert service.pid != first_pid                       # it died after writing b2 and was restarted
        assert result["status"].tolist() == ["scored", "scored", "duplicate", "scored", "scored", "scored"]
        assert result.loc[2, "attempts"] == 2
        written = sorted(p.stem for p in (tmp_path / "out").glob("*.csv"))
        assert written == sorted(batches)                      # every batch once, nothing lost
        rows = sum(len(pd.read_csv(tmp_path / "out" / f"{b}.csv")) for b in written)
        assert rows == sum(len(f) for f in batches.values())
        code, answer = service.score("b0", batches["b0"])      # a retry is answered, not rescored
        assert code == 200 and answer["status"] == "duplicate"
        code, answer = service.score("bad", batches["b0"].drop(columns=["tenure"]))
        assert code == 400 and "tenure" in answer["error"]
    finally:
        service.stop()
    assert not service.alive()
    log = read_request_log(tmp_path / "log.jsonl")
    assert (log["status"] == 400).sum() == 1


def test_data_drift_and_label_shift_in_the_same_month_are_refused():
    """Both choose a month's customers from the pool; one of them would be dropped silently."""
    with pytest.raises(ValueError, match="month 3: data drift and label shift are both active"):
        drift_months(5, 50, seed=0, drifts=[Drift("data", 3, 5.0), Drift("label", 3, 0.4)])
    months = drift_months(5, 50, seed=0, drifts=[Drift("data", 1, 5.0, end=3), Drift("label", 3, 0.4)])
    assert [len(m.changes) for m in months] == [0, 1, 1, 1, 1]
