"""mlops_edu.lab: the five steps of the lecture-10 lab on Delta tables, MLflow and the registry.

One module-scoped run of the whole flow (small data, isolated store) feeds most tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_edu import business, lab
from mlops_edu.deployment import registry, validation

CONFIGS = ({"num_leaves": 7, "n_estimators": 60}, {"num_leaves": 15, "n_estimators": 60})


def test_assign_split_is_stable_and_order_independent():
    ids = pd.Series([f"{i:04d}-ABCDE" for i in range(4000)])
    split = lab.assign_split(ids)
    assert set(split) == {"inference", "train", "validation", "test"}
    shares = split.value_counts(normalize=True)
    assert abs(shares["inference"] - 0.1) < 0.02 and abs(shares["train"] - 0.54) < 0.03
    shuffled = ids.sample(frac=1.0, random_state=1)
    assert lab.assign_split(shuffled).reindex(ids.index).equals(split)
    more = pd.concat([ids, pd.Series(["9999-NEWER"])], ignore_index=True)
    assert lab.assign_split(more).iloc[:4000].equals(split)  # new data never moves an old customer
    with pytest.raises(lab.LabError, match="sum to 1"):
        lab.assign_split(ids, splits=(("train", 0.5), ("test", 0.3)))


def test_eda_and_clean():
    from mlops_edu.data import SchemaError, make_customers

    raw = make_customers(300, seed=1)
    tables = lab.eda(raw)
    assert list(tables["internet"].index) == ["DSL", "Fiber optic", "No"]
    assert tables["internet"]["customers"].sum() == 300
    contract = tables["contract"]
    m2m = raw["Contract"] == "Month-to-month"
    assert contract.loc["Month-to-month", "churn_rate"] == round((raw.loc[m2m, "Churn"] == "Yes").mean(), 3)
    duplicated = pd.concat([raw, raw.tail(1)], ignore_index=True)
    cleaned = lab.clean(duplicated)
    assert len(cleaned) == 300 and cleaned["TotalCharges"].notna().all()
    assert (cleaned.loc[raw["TotalCharges"].isna().to_numpy(), "TotalCharges"] == 0).all()
    with pytest.raises(SchemaError, match="Contract"):
        lab.clean(raw.drop(columns=["Contract"]))
    with pytest.raises(lab.LabError, match="'Churn'"):
        lab.eda(raw.drop(columns=["Churn"]))


def test_threshold_from():
    assert lab.threshold_from(None)[0] is None and "dollar gate" in lab.threshold_from(None)[1]
    assert lab.threshold_from("0.8")[0] == 0.8
    with pytest.raises(lab.LabError, match=r"\[0, 1\]"):
        lab.threshold_from("1.5")
    with pytest.raises(lab.LabError, match="number"):
        lab.threshold_from("high")


ANYTHING_GOES = validation.PromotionRule(min_gain_f1=-1.0, min_gain_usd=-2000.0)
"""A declared rule no Challenger can fail (gains never fall below -1 in F1 or -$2000 per customer)."""


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    """The lab's steps on 1500 generated customers; every decision below is fixed by construction.

    Round 1: the lecture's F1 >= 0.8 refuses, the declared dollar rule promotes (a first deploy against the
    best policy without a model). Round 2: the same configuration retrained on the same table is the same
    model: gain exactly 0, refused. Round 3: new data, a retrained Challenger under a rule that accepts
    anything: promoted; then batch inference and a rollback to v1.
    """
    from mlops_edu import setup_chapter
    from mlops_edu.data import make_customers

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLOPS_EDU_HOME", str(tmp_path_factory.mktemp("lab")))
        ws = setup_chapter("99", seed=0)
        out: dict = {"ws": ws}
        lab.write_bronze(make_customers(1500, seed=1), ws)
        out["prep1"] = prep1 = lab.prepare_tables(ws)
        out["runs1"] = lab.train_configs(ws, prep1, CONFIGS, seed=0)
        out["reg1"] = lab.register_best(ws, prep1)
        out["lineage1"] = lab.lineage_table(out["reg1"].version)
        X, y, sample = lab.holdout(prep1)
        out["y1"] = y
        out["refused"] = validation.validate_challenger(X, y, sample, f1_threshold=0.8)
        out["refusal"] = validation.promote(out["refused"])
        out["report1"] = validation.validate_challenger(X, y, sample)
        out["promotion1"] = validation.promote(out["report1"])
        lab.train_configs(ws, prep1, [out["reg1"].config], seed=0, run_prefix="again")
        out["reg_same"] = lab.register_best(ws, prep1)
        out["report_same"] = validation.validate_challenger(X, y, sample)
        out["promotion_same"] = validation.promote(out["report_same"])
        out["bronze2"] = lab.write_bronze(make_customers(400, seed=2), ws, mode="append")
        out["prep2"] = prep2 = lab.prepare_tables(ws)
        out["runs2"] = lab.train_configs(ws, prep2, [out["reg1"].config], seed=0, run_prefix="retrain")
        out["reg2"] = lab.register_best(ws, prep2)
        X2, y2, sample2 = lab.holdout(prep2)
        out["report2"] = validation.validate_challenger(X2, y2, sample2, rule=ANYTHING_GOES)
        out["promotion2"] = validation.promote(out["report2"])
        out["aliases2"] = registry.aliases()
        out["predictions"], out["scored"] = lab.batch_inference(ws, prep2)
        out["chain"] = lab.lineage_chain(prep2, out["predictions"])
        yield out


def test_step1_tables_and_history(flow):
    prep1, prep2 = flow["prep1"], flow["prep2"]
    assert prep1.summary()["version"].tolist() == [0, 0, 0]
    assert prep1.training.rows + prep1.inference.rows == prep1.bronze.rows == 1500
    assert prep2.summary()["version"].tolist() == [1, 1, 1] and prep2.bronze.rows == 1900
    assert sum(prep1.split_rows.values()) == prep1.training.rows
    from mlops_edu.data import read_table

    training = read_table(prep1.training.path)
    inference = read_table(prep1.inference.path)
    assert "num_optional_services" in training and set(training["split"]) == {"train", "validation", "test"}
    assert "Churn" not in inference and "num_optional_services" in inference
    assert not set(training["customerID"]) & set(inference["customerID"])
    history = lab.history(prep2.training)
    assert history["version"].tolist() == [0, 1] and "timestamp" not in history


def test_step2_runs_hold_lineage_metrics_figures_and_model(flow):
    import mlflow

    runs = flow["runs1"]
    assert runs["run_name"].tolist() == ["lightgbm-1", "lightgbm-2"]
    assert runs["val_f1"].between(0, 1).all() and "test_f1" not in runs   # no test column for every candidate
    run = mlflow.get_run(flow["reg1"].run_id)
    assert {"val_f1", "val_roc_auc"} <= set(run.data.metrics)
    assert not {k for k in run.data.metrics if k.startswith("test_")}     # test rows are for validation only
    assert run.data.params["model__num_leaves"] in {"7", "15"}  # mlflow.autolog of the pipeline
    assert run.inputs.dataset_inputs[0].dataset.name == lab.TRAINING
    artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run.info.run_id, artifact_path="figures")}
    assert "figures/roc_and_confusion.png" in artifacts
    from mlflow.models import get_model_info

    info = get_model_info(flow["reg1"].model_uri)
    assert info.signature is not None and "num_optional_services" in info.signature.inputs.input_names()
    requirements = mlflow.artifacts.load_text(
        mlflow.artifacts.download_artifacts(artifact_uri=f"{flow['reg1'].model_uri}/requirements.txt"))
    assert "lightgbm==" in requirements and "mlflow==" in requirements


def test_step3_best_run_registered_with_lineage(flow):
    reg1, runs = flow["reg1"], flow["runs1"]
    assert reg1.version == 1 and reg1.run_name == runs.sort_values("val_f1", ascending=False)["run_name"].iloc[0]
    assert "trained on mlops_churn_training v0" in reg1.description and len(reg1.description) >= 20
    lineage = flow["lineage1"]["value"].to_dict()
    assert lineage["registered model"] == "workbook.mlops.mlops_churn v1"
    assert lineage["input dataset (training)"] == (
        "mlops_churn_training (Delta table mlops_churn_training, version 0)")  # version 0 kept via the tag


def test_step4_lecture_floor_refuses_then_the_dollar_rule_promotes(flow):
    refused = flow["refused"]
    assert refused.failed == ["metric_f1_passed"] and not flow["refusal"].promoted
    report1 = flow["report1"]
    assert flow["promotion1"].promoted and report1.champion_version is None
    policy, dollars = business.best_trivial_policy(flow["y1"])
    assert report1.reference == f"{policy} (no model)" and report1.baseline_value == dollars
    assert report1.intervals["value_per_customer"].low > 0 and report1.intervals["f1"].low > 0


def test_step4_the_same_model_again_is_refused(flow):
    same = flow["report_same"]
    assert flow["reg_same"].version == 2 and same.champion_version == 1
    assert same.intervals["f1"].estimate == 0.0 == same.intervals["value_per_customer"].high
    assert same.failed == ["f1_gain_passed", "value_gain_passed"] and not flow["promotion_same"].promoted


def test_step4_a_declared_rule_decides_round_three(flow):
    report2 = flow["report2"]
    assert report2.champion_version == 1 and report2.challenger_version == 3
    assert set(report2.comparison().index) == {"Challenger (v3)", "Champion (v1)"}
    assert flow["promotion2"].promoted and flow["aliases2"] == {"Champion": 3}


def test_step5_predictions_and_lineage_chain(flow):
    table = flow["predictions"]
    assert table.name == lab.PREDICTIONS and table.version == 0 and table.rows == flow["prep2"].inference.rows
    from mlops_edu.data import read_table

    stored = read_table(table.path)
    assert {"customerID", "predictions", "churn_probability", "model_version"} <= set(stored.columns)
    assert set(stored["predictions"]) <= {0, 1} and stored["churn_probability"].between(0, 1).all()
    np.testing.assert_array_equal(stored["predictions"], (stored["churn_probability"] > 0.5).astype(int))
    assert (stored["model_version"] == 3).all()
    kinds = [k for k, _ in flow["chain"]]
    assert kinds == ["bronze table", "training table", "MLflow run", "model version", "alias", "predictions table"]
    labels = dict(flow["chain"])
    assert labels["bronze table"].endswith("v1") and labels["model version"].endswith("v3")
    assert labels["training table"].endswith("v1")


def test_rollback_after_round_three(flow):
    assert registry.rollback() == (3, 1)
    assert registry.aliases() == {"Champion": 1}


def test_batch_inference_without_champion_is_a_clear_error(tmp_path, monkeypatch):
    from mlops_edu import setup_chapter
    from mlops_edu.data import make_customers

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    ws = setup_chapter("99", seed=0)
    lab.write_bronze(make_customers(200, seed=0), ws)
    prep = lab.prepare_tables(ws)
    with pytest.raises(lab.LabError, match="Champion does not exist"):
        lab.batch_inference(ws, prep)


# --------------------------------------------------------------------------------------------------
# exercises of chapter 09: q1 and q4 by value, q2 and q3 by their effect on the registry
# --------------------------------------------------------------------------------------------------

@pytest.fixture
def sandbox_store(tmp_path, monkeypatch):
    """An isolated store with one run that logged a tiny model and a val_f1 (what the chapter's `best` is)."""
    import mlflow
    from _lab_helpers import log_tiny, tiny_data

    from mlops_edu import setup_chapter

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    setup_chapter("99", seed=0)
    X, y = tiny_data(200, seed=0)
    log_tiny(X, y, run_name="best")
    run = mlflow.last_active_run()
    mlflow.MlflowClient().log_metric(run.info.run_id, "val_f1", 0.61234)
    from mlops_edu.workbook.exercises import ch09

    return {"mlflow": mlflow, "lab": lab, "client": mlflow.MlflowClient(), "SANDBOX": ch09.SANDBOX,
            "best": {"run_id": run.info.run_id, "metrics.val_f1": 0.61234}}


def _run_solution(exercise, namespace):
    exec(exercise.solution_text, namespace)  # noqa: S102 - our own reference solution
    return namespace


@pytest.mark.parametrize("name", ["q2", "q4"])
def test_ch09_value_exercises(name, capsys):
    from mlops_edu.workbook.exercises import NOT_ATTEMPTED, ____, ch09

    exercise = getattr(ch09, name)
    assert exercise.status(_run_solution(exercise, {})) == "correct"
    assert f"{name} Correct" in capsys.readouterr().out
    assert exercise.status({v: ____ for v in exercise.variables}) == NOT_ATTEMPTED


def test_ch09_registry_exercises_are_checked_by_their_effect(sandbox_store, capsys):
    from mlops_edu.workbook.exercises import NOT_ATTEMPTED, ____, ch09

    ns = sandbox_store
    client, name = ns["client"], ch09.SANDBOX
    assert ch09.q1.status({"sandbox": ____}) == NOT_ATTEMPTED
    # registering without the tag and the alias is not enough: the checker reads the registry
    bare = ns["mlflow"].register_model(lab.logged_model_uri(ns["best"]["run_id"]), name)
    with pytest.raises(AssertionError, match="no tag 'F1score'"):
        ch09.q1.check({"sandbox": bare})
    client.set_model_version_tag(name, bare.version, "F1score", "0.6")
    with pytest.raises(AssertionError, match="0.612"):
        ch09.q1.check({"sandbox": bare})
    _run_solution(ch09.q1, ns)
    assert ch09.q1.status(ns) == "correct" and int(ns["sandbox"].version) == 2
    # q3: not yet promoted, then half-promoted, then the reference solution
    assert ch09.q3.status({"promoted_version": ____}) == NOT_ATTEMPTED
    with pytest.raises(AssertionError, match="@Champion should point at version 2"):
        ch09.q3.check({"promoted_version": "2"})
    client.set_registered_model_alias(name, "Champion", "2")
    with pytest.raises(AssertionError, match="Challenger alias is removed"):
        ch09.q3.check({"promoted_version": "2"})
    _run_solution(ch09.q3, ns)
    assert ch09.q3.status(ns) == "correct"
    assert {a: int(v) for a, v in client.get_registered_model(name).aliases.items()} == {"Champion": 2}
    assert "q3 Correct" in capsys.readouterr().out


@pytest.mark.parametrize("name, wrong, message", [
    ("q2", {"value": 120 * 1500 - 80 * 500 - 60 * 2000}, "double-counts"),
    ("q2", {"value": 120 * 1500 - 80 * 500 + 60 * 2000}, "sign error"),
    ("q2", {"value": 120 * 2000 - 80 * 500}, r"\$2000 - \$500"),
    ("q1", {"sandbox": "models:/workbook.sandbox.my_churn/1"}, "ModelVersion"),
    ("q3", {"promoted_version": "the new one"}, "version number"),
    ("q4", {"champion_uri": "models:/workbook.mlops.mlops_churn/2"}, "alias"),
    ("q4", {"champion_uri": "models:/workbook.mlops.mlops_churn@Challenger"}, "validation"),
])
def test_ch09_wrong_answers_say_what_is_wrong(name, wrong, message):
    from mlops_edu.workbook.exercises import ch09

    with pytest.raises(AssertionError, match=message):
        getattr(ch09, name).check(wrong)
