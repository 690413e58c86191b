"""mlops_edu.deployment.inference: batch scoring with pandas and with Spark (spark_udf, env_manager="local")."""

from __future__ import annotations

import time

import numpy as np
import pytest
from _lab_helpers import FEATURES, log_tiny, tiny_data, tiny_pipeline

from mlops_edu.deployment import inference, registry

NAME = "workbook.mlops.test_churn"
SPARK_OK, SPARK_WHY = inference.spark_available()


@pytest.fixture
def champion(tmp_path, monkeypatch):
    """A tiny model registered as NAME@Champion in an isolated store; returns (uri, X, y)."""
    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    from mlops_edu import setup_chapter

    setup_chapter("99", seed=0)
    X, y = tiny_data(300, seed=0)
    info = log_tiny(X, y, run_name="champion")
    registry.register(info, NAME, description="tiny logistic regression for the inference tests", alias=registry.CHAMPION)
    return registry.model_uri(NAME, registry.CHAMPION), X, y


def test_score_pandas_keeps_inputs_and_adds_predictions(champion):
    uri, X, y = champion
    out = inference.batch_score(uri, X, engine="pandas")
    assert list(out.columns) == [*X.columns, "predictions", "churn_probability"]
    assert out.index.equals(X.index) and out["customerID"].equals(X["customerID"])
    assert out["predictions"].dtype == "int64" and out["churn_probability"].dtype == "float64"
    reference = tiny_pipeline(X, y)
    np.testing.assert_allclose(out["churn_probability"], reference.predict_proba(X[FEATURES].astype({"plan": object}))[:, 1])
    np.testing.assert_array_equal(out["predictions"], (out["churn_probability"] > 0.5).astype(int))
    assert inference.input_columns(uri) == FEATURES


def test_one_pass_scoring_equals_the_pyfuncs_predict(champion):
    """score_pandas runs the pipeline once; its 0/1 predictions are exactly the pyfunc's predict."""
    import mlflow.pyfunc

    uri, frame, _ = champion
    model = mlflow.pyfunc.load_model(uri)
    scored = inference.score_pandas(model, frame)
    X = frame[inference.input_columns(model)]
    np.testing.assert_array_equal(scored["predictions"].to_numpy(), np.asarray(model.predict(X)).astype("int64"))
    np.testing.assert_allclose(scored["churn_probability"].to_numpy(),
                               model.get_raw_model().predict_proba(X)[:, 1])


def test_score_pandas_errors_name_the_problem(champion):
    uri, X, _ = champion
    with pytest.raises(inference.InferenceError, match=r"\['plan'\]"):
        inference.score_pandas(uri, X.drop(columns=["plan"]))
    with pytest.raises(inference.InferenceError, match="unknown engine 'polars'"):
        inference.batch_score(uri, X, engine="polars")


@pytest.mark.skipif(not SPARK_OK, reason=f"Spark path skipped: {SPARK_WHY}")
def test_spark_udf_gives_identical_predictions(champion):
    uri, X, _ = champion
    X = X.sample(frac=1.0, random_state=3)  # a shuffled, non-default index must come back in order
    start = time.perf_counter()
    spark = inference.spark_session()
    try:
        by_spark = inference.batch_score(uri, X, engine="spark", spark=spark)
    finally:
        spark.stop()
    seconds = time.perf_counter() - start
    by_pandas = inference.batch_score(uri, X, engine="pandas")
    assert list(by_spark.columns) == list(by_pandas.columns)
    assert by_spark.index.equals(by_pandas.index)
    np.testing.assert_array_equal(by_spark["predictions"].to_numpy(), by_pandas["predictions"].to_numpy())
    np.testing.assert_allclose(by_spark["churn_probability"], by_pandas["churn_probability"], rtol=0, atol=1e-12)
    print(f"spark session + scoring of {len(X)} rows: {seconds:.1f} s")
