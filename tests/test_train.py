"""Unit tests of mlops_edu.train (chapter 02: candidates, metrics, MLflow logging)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_edu.features import split_xy
from mlops_edu.train import (MODEL_KINDS, TrainingError, classification_metrics, log_model, make_model,
                             pip_requirements)

from _telco_sample import customers


@pytest.fixture(scope="module")
def xy() -> tuple[pd.DataFrame, pd.Series]:
    return split_xy(customers(600, seed=2))


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_make_model_fits_and_predicts(kind, xy):
    X, y = xy
    model = make_model(kind, seed=0, X=X)
    assert [name for name, _ in model.steps] == ["features", "preprocess", "model"]
    proba = model.fit(X, y).predict_proba(X)[:, 1]
    assert proba.shape == (len(X),) and ((proba >= 0) & (proba <= 1)).all()
    assert classification_metrics(y, proba)["roc_auc"] > 0.6


def test_make_model_is_seeded(xy):
    X, y = xy
    a = make_model("lightgbm", {"subsample": 0.7, "subsample_freq": 1}, seed=3, X=X).fit(X, y)
    b = make_model("lightgbm", {"subsample": 0.7, "subsample_freq": 1}, seed=3, X=X).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_make_model_params_and_errors(xy):
    X, _ = xy
    assert make_model("random_forest", {"max_depth": 3}, X=X).named_steps["model"].max_depth == 3
    assert make_model("lightgbm", {"num_leaves": 7}, X=X).named_steps["model"].num_leaves == 7
    assert make_model("logreg").named_steps["preprocess"] is not None       # X=None: the Telco schema
    with pytest.raises(TrainingError, match="xgboost"):
        make_model("xgboost", X=X)
    with pytest.raises(TrainingError, match="max_dept"):
        make_model("random_forest", {"max_dept": 3}, X=X)


def test_model_accepts_raw_rows_with_unseen_values(xy):
    X, y = xy
    model = make_model("logreg", X=X).fit(X, y)
    new = X.head(3).copy().astype({"PaymentMethod": object, "InternetService": object})
    new.loc[new.index[0], "PaymentMethod"] = "Crypto wallet"
    new.loc[new.index[1], "InternetService"] = "Satellite"
    assert np.isfinite(model.predict_proba(new)).all()


def test_classification_metrics_by_hand():
    m = classification_metrics([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.3])
    assert m == {"accuracy": 0.75, "precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "roc_auc": 1.0}
    assert all(type(v) is float for v in m.values())
    two_col = classification_metrics([0, 1], np.array([[0.9, 0.1], [0.2, 0.8]]))
    assert two_col["f1"] == 1.0
    low = classification_metrics([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.3], threshold=0.35)
    assert low["recall"] == 1.0
    assert np.isnan(classification_metrics([1, 1], [0.2, 0.9])["roc_auc"])


@pytest.mark.parametrize("y, p, match", [([0, 1], [0.5], "rows"), ([0, 2], [0.1, 0.2], "0/1"),
                                         ([0, 1], [0.1, 1.5], r"\[0, 1\]"), ([], [], "empty")])
def test_classification_metrics_bad_input(y, p, match):
    with pytest.raises(TrainingError, match=match):
        classification_metrics(y, p)


def test_pip_requirements_are_pinned(xy):
    X, y = xy
    reqs = pip_requirements(make_model("logreg", X=X))
    assert all("==" in r for r in reqs)
    assert {r.split("==")[0] for r in reqs} >= {"mlflow", "scikit-learn", "pandas", "skops"}
    assert not any(r.startswith("lightgbm") for r in reqs)
    assert any(r.startswith("lightgbm==") for r in pip_requirements(make_model("lightgbm", X=X)))


def test_log_model_round_trip(xy, tmp_path, monkeypatch):
    import mlflow

    from mlops_edu import setup_chapter

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    setup_chapter("99", seed=0)
    X, y = xy
    model = make_model("lightgbm", {"n_estimators": 20}, X=X).fit(X, y)
    with mlflow.start_run(run_name="log-model-test"):
        info = log_model(model, X, name="churn_model")
    assert info.signature is not None and info.saved_input_example_info is not None
    assert "TotalCharges" in info.signature.inputs.input_names()
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(X.head(20)), model.predict(X.head(20)))
    reqs = (tmp_path / "workspaces").rglob("requirements.txt")
    text = next(reqs).read_text()
    assert "lightgbm==" in text and "skops==" in text
    with pytest.raises(TrainingError, match="X_example"):
        log_model(model, X.head(0))
