"""mlops_edu.deployment.registry: registration, aliases, validation checks, champion vs challenger, promotion, rollback.

Tiny sklearn models in an isolated MLflow store (MLOPS_EDU_HOME + setup_chapter("99")).
"""

from __future__ import annotations

import numpy as np
import pytest
from _lab_helpers import FEATURES, log_tiny, tiny_data

from mlops_edu import business
from mlops_edu.deployment import registry, validation

NAME = "workbook.mlops.test_churn"
DESCRIPTION = "Logistic regression on score and plan, balanced classes"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    from mlops_edu import setup_chapter

    return setup_chapter("99", seed=0)


@pytest.fixture(scope="module")
def data():
    X, y = tiny_data(400, seed=0)
    X_hold, y_hold = tiny_data(300, seed=1)
    return X, y, X_hold, y_hold


def _register(data, run_name, **kwargs):
    X, y, _, _ = data
    shuffle = kwargs.pop("shuffle_labels", False)
    signature = kwargs.pop("signature", True)
    info = log_tiny(X, y, run_name=run_name, shuffle_labels=shuffle, signature=signature)
    kwargs.setdefault("description", DESCRIPTION)
    return registry.register(info, NAME, tags={"f1_score": 0.5}, **kwargs)


def _install_weak_champion(data):
    """A useless earlier Champion (trained on shuffled labels), put in place by hand."""
    mv = _register(data, "weak", shuffle_labels=True, alias=None)
    registry.set_alias(registry.CHAMPION, mv.version, NAME)
    return int(mv.version)


def _validate(data, threshold=0.5, **rule):
    _, _, X_hold, y_hold = data
    return validation.validate_challenger(X_hold, y_hold, X_hold.head(20), name=NAME, f1_threshold=threshold,
                                          rule=validation.PromotionRule(seed=0, **rule))


def test_register_describes_tags_and_sets_challenger(store, data):
    assert registry.aliases(NAME) == {}
    assert registry.version_by_alias(registry.CHAMPION, NAME) is None
    mv = _register(data, "first", model_description="churn models of the tests")
    assert int(mv.version) == 1 and mv.description == DESCRIPTION
    assert mv.tags["f1_score"] == "0.5"
    assert registry.aliases(NAME) == {"Challenger": 1}
    assert registry.model_uri(NAME, "Challenger") == f"models:/{NAME}@Challenger"
    import mlflow

    loaded = mlflow.pyfunc.load_model(registry.model_uri(NAME, "Challenger"))
    assert loaded.metadata.get_input_schema().input_names() == FEATURES
    table = registry.versions_table(NAME, tags=["f1_score"])
    assert table.to_dict("records") == [{"version": 1, "aliases": "Challenger", "description": DESCRIPTION,
                                         "f1_score": "0.5"}]
    with pytest.raises(ValueError, match="ModelInfo"):
        registry.register("s3://somewhere/model", NAME)


def test_lineage_names_run_and_delta_version(store, data):
    import mlflow
    from mlflow.data.delta_dataset_source import DeltaDatasetSource

    X, y, _, _ = data
    source = DeltaDatasetSource(path=str(store.table("mlops_churn_training")), delta_table_version=3)
    with mlflow.start_run(run_name="with-lineage"):
        mlflow.log_input(mlflow.data.from_pandas(X.assign(Churn=y), source=source, name="mlops_churn_training",
                                                 targets="Churn"), context="training")
        import mlflow.sklearn
        from _lab_helpers import tiny_pipeline
        info = mlflow.sklearn.log_model(tiny_pipeline(X, y), name="model", pip_requirements=["scikit-learn"])
    mv = registry.register(info, NAME, description=DESCRIPTION)
    lin = registry.lineage(mv.version, NAME)
    assert lin["run_name"] == "with-lineage" and lin["version"] == 1 and lin["aliases"] == ["Challenger"]
    assert lin["datasets"] == [{"name": "mlops_churn_training", "context": "training", "source_type": "delta_table",
                                "table": "mlops_churn_training", "table_version": 3}]
    assert lin["model_id"].startswith("m-")


def test_first_deploy_challenger_wins(store, data):
    _register(data, "v1")
    report = _validate(data)
    assert report.champion_version is None and report.passed, report.reason()
    policy, dollars = business.best_trivial_policy(data[3])
    assert report.reference == f"{policy} (no model)" and report.baseline_value == dollars
    assert "gain over " + policy in report.check("value_gain_passed").detail
    assert report.challenger_metrics["business_value"] > report.baseline_value
    assert report.trivial_values == business.trivial_policy_values(data[3])
    assert [c.name for c in report.checks] == list(validation.CHECKS)
    tags = registry.version_by_alias(registry.CHALLENGER, NAME).tags
    assert all(tags[c] == "True" for c in validation.CHECKS)
    assert tags["f1_threshold"] == "0.500" and float(tags["validation_f1"]) == round(report.challenger_metrics["f1"], 3)
    interval = report.intervals["value_per_customer"]
    assert float(tags["value_gain_per_customer_low"]) == pytest.approx(interval.low, abs=1e-4) and interval.low > 0
    assert tags["compared_with"] == report.reference and "2000 paired resamples" in tags["bootstrap"]
    assert list(report.comparison().index) == ["Challenger (v1)", f"{policy} (no model)"]
    result = validation.promote(report)
    assert result.promoted and result.new_champion == 1 and result.old_champion is None
    assert "first deploy" in result.reason
    assert registry.aliases(NAME) == {"Champion": 1}


def test_f1_gate_refuses_below_threshold(store, data):
    _register(data, "v1")
    report = _validate(data, threshold=0.99)
    assert not report.passed and report.failed == ["metric_f1_passed"]
    assert "< threshold 0.990" in report.check("metric_f1_passed").detail
    result = validation.promote(report)
    assert not result.promoted and result.reason.startswith("refused: metric_f1_passed")
    assert registry.aliases(NAME) == {"Challenger": 1}
    assert registry.version_by_alias(registry.CHALLENGER, NAME).tags["metric_f1_passed"] == "False"


def test_better_challenger_is_promoted_and_old_champion_archived(store, data):
    assert _install_weak_champion(data) == 1
    assert registry.aliases(NAME) == {"Champion": 1}
    _register(data, "strong")
    report = _validate(data)
    assert report.champion_version == 1 and report.passed, report.reason()
    assert report.challenger_metrics["f1"] > report.champion_metrics["f1"]
    assert list(report.comparison().index) == ["Challenger (v2)", "Champion (v1)"]
    result = validation.promote(report)
    assert result.promoted and (result.new_champion, result.old_champion) == (2, 1)
    assert registry.aliases(NAME) == {"Champion": 2}
    from mlflow import MlflowClient

    client = MlflowClient()
    assert client.get_model_version(NAME, "1").tags["archived"] == "True"
    assert client.get_model_version(NAME, "2").tags["previous_champion"] == "1"


def test_worse_challenger_is_refused_on_the_same_rows(store, data):
    _register(data, "strong")
    validation.promote(_validate(data))
    _register(data, "weak", shuffle_labels=True)
    report = _validate(data, threshold=0.0)
    assert not report.passed
    assert report.failed == ["f1_gain_passed", "value_gain_passed"]
    assert "gain over Champion v1" in report.check("f1_gain_passed").detail
    assert report.intervals["f1"].high < 0          # clearly worse, not merely "not better"
    result = validation.promote(report)
    assert not result.promoted and result.new_champion == 1
    assert registry.aliases(NAME) == {"Challenger": 2, "Champion": 1}


def test_invalid_challenger_without_description_or_signature_is_refused(store, data):
    _install_weak_champion(data)
    _register(data, "undocumented", description="tiny")
    report = _validate(data)
    assert report.failed == ["has_description"]
    assert "4 characters" in report.check("has_description").detail
    assert not validation.promote(report).promoted
    _register(data, "unsigned", signature=False)  # the new version takes over the Challenger alias
    report = _validate(data)
    assert report.challenger_version == 3
    assert "has_signature" in report.failed and "inference_passed" in report.failed
    assert not validation.promote(report).promoted
    assert registry.aliases(NAME) == {"Challenger": 3, "Champion": 1}


def test_rollback_is_one_alias_move(store, data):
    with pytest.raises(registry.RegistryError, match="nothing to roll back"):
        registry.rollback(NAME)
    _install_weak_champion(data)
    with pytest.raises(registry.RegistryError, match="no previous champion"):
        registry.rollback(NAME)
    _register(data, "strong")
    validation.promote(_validate(data))
    assert registry.aliases(NAME) == {"Champion": 2}
    assert registry.rollback(NAME) == (2, 1)
    assert registry.aliases(NAME) == {"Champion": 1}
    from mlflow import MlflowClient

    client = MlflowClient()
    assert client.get_model_version(NAME, "2").tags["rolled_back"] == "True"
    assert "archived" not in client.get_model_version(NAME, "1").tags


def test_validate_needs_a_challenger_and_promote_a_current_one(store, data):
    with pytest.raises(registry.RegistryError, match="Challenger"):
        _validate(data)
    _register(data, "v1")
    report = _validate(data)
    _register(data, "v2")  # Challenger moved on: the old report must not promote anything
    with pytest.raises(registry.RegistryError, match="no longer version 1"):
        validation.promote(report)


def test_no_f1_floor_declared_means_no_f1_floor_check(store, data):
    _register(data, "v1")
    report = _validate(data, threshold=None)
    assert [c.name for c in report.checks] == [c for c in validation.CHECKS if c != "metric_f1_passed"]
    assert "f1_threshold" not in registry.version_by_alias(registry.CHALLENGER, NAME).tags


def test_an_identical_challenger_is_not_promoted(store, data):
    """Same model, same rows: the gain is exactly 0, its interval [0, 0] does not clear a margin of 0."""
    _register(data, "strong")
    assert validation.promote(_validate(data)).promoted
    _register(data, "strong-again")                  # the same training code on the same data
    report = _validate(data)
    for statistic in ("f1", "value_per_customer"):
        iv = report.intervals[statistic]
        assert (iv.estimate, iv.low, iv.high) == (0.0, 0.0, 0.0)
    assert report.failed == ["f1_gain_passed", "value_gain_passed"]
    assert not validation.promote(report).promoted and registry.aliases(NAME) == {"Challenger": 2, "Champion": 1}


def test_promotion_follows_the_interval_and_the_declared_margin(store, data):
    """A clearly better Challenger passes at margin 0 and is refused when the margin exceeds its lower bound."""
    _install_weak_champion(data)
    _register(data, "strong")
    report = _validate(data)
    gain = report.intervals["value_per_customer"]
    assert report.passed and gain.low > 0
    strict = _validate(data, min_gain_usd=gain.low + 1.0)          # the same rows, a higher bar
    assert strict.intervals["value_per_customer"] == gain         # same seed, same interval
    assert strict.failed == ["value_gain_passed"]
    assert not validation.promote(strict).promoted
    tags = registry.version_by_alias(registry.CHALLENGER, NAME).tags
    assert tags["value_gain_passed"] == "False"
    assert float(tags["value_gain_per_customer_margin"]) == pytest.approx(gain.low + 1.0, abs=1e-3)
    assert validation.promote(_validate(data)).promoted           # back to margin 0: promoted


def test_the_reference_is_offers_for_everyone_when_churn_is_common(store, data):
    """With churn above the break-even 25 %, the first Challenger must beat offers for everyone, not $0."""
    _register(data, "v1")
    _, _, X_hold, y_hold = data
    churny = y_hold.to_numpy().astype(bool)
    keep = churny | (np.cumsum(~churny) <= churny.sum())       # about half churners
    report = validation.validate_challenger(X_hold[keep], y_hold[keep], X_hold.head(20), name=NAME)
    assert report.reference == "offers for everyone (no model)"
    assert report.baseline_value == report.trivial_values["offers for everyone"] > 0
    assert report.reference_metrics["recall"] == 1.0


def test_a_first_model_without_skill_is_not_deployed(store, data):
    """A model trained on shuffled labels must beat the best policy without a model, and cannot."""
    _register(data, "no-skill", shuffle_labels=True)
    report = _validate(data, threshold=None)
    assert report.champion_version is None and report.reference.endswith("(no model)")
    assert "value_gain_passed" in report.failed and report.intervals["value_per_customer"].low < 0
    assert not validation.promote(report).promoted and registry.aliases(NAME) == {"Challenger": 1}


def test_register_model_messages_go_to_the_log_not_stderr(store, data, capfd):
    """mlflow.register_model prints through a private MLflow stream; route_event_messages keeps it off stderr
    even after a silent autolog call (which re-enables MLflow's event stream)."""
    import mlflow

    X, y, _, _ = data
    registry.route_event_messages(store.logs / "chapter.log")
    mlflow.autolog(silent=True, log_models=False)
    mlflow.autolog(disable=True)
    info = log_tiny(X, y, run_name="quiet")
    capfd.readouterr()
    mlflow.register_model(info.model_uri, NAME)
    assert capfd.readouterr().err == ""
    assert f"Successfully registered model '{NAME}'" in (store.logs / "chapter.log").read_text()
