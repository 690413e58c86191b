"""Streaming micro-batches and late labels (streaming), the nightly offer list (offers), latency helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_edu.business import business_value
from mlops_edu.data import make_months
from mlops_edu.deployment import inference
from mlops_edu.deployment.latency import compare_throughput, latency_summary, throughput, time_calls
from mlops_edu.deployment.offers import offer_list, offer_policy_table
from mlops_edu.deployment.streaming import arrivals, micro_batches, run_stream, watermark_tradeoff


def score(rows: pd.DataFrame) -> np.ndarray:
    """A row-wise stand-in model: short tenure and month-to-month contract -> churn."""
    return ((rows["tenure"] < 12) & (rows["Contract"] == "Month-to-month")).astype(int).to_numpy()


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return arrivals(make_months(3, 300, seed=1), seed=1)


def test_arrivals_are_ordered_and_labels_come_late(events):
    assert len(events) == 900 and events["customerID"].is_unique
    assert events["event_time"].is_monotonic_increasing
    delay = (events["label_time"] - events["event_time"]).dt.days
    assert delay.min() >= 30 and delay.max() <= 44
    assert events.groupby("month").size().tolist() == [300, 300, 300]


def test_micro_batches_cover_every_row_once(events):
    batches = micro_batches(events, "7D")
    assert sum(len(rows) for _, rows in batches) == len(events)
    for end, rows in batches:
        assert (rows["event_time"] < end).all() and (rows["event_time"] >= end - pd.Timedelta("7D")).all()


def test_streamed_predictions_equal_batch_predictions(events):
    stream = run_stream(events, score, every="7D", watermark="60D")
    assert stream.predictions["customerID"].tolist() == events["customerID"].tolist()
    assert (stream.predictions["predictions"].to_numpy() == score(events)).all()
    joined = stream.joined.set_index("customerID")
    truth = (events.set_index("customerID")["Churn"] == "Yes").astype(int)
    assert (joined["label"] == truth.loc[joined.index]).all()                 # labels joined to the right rows
    last = stream.batches["window_end"].max()
    assert len(joined) == int((events["label_time"] <= last).sum())           # all arrived labels joined


def test_the_watermark_trades_joined_labels_for_state(events):
    short = run_stream(events, score, every="7D", watermark="20D").summary()
    long = run_stream(events, score, every="7D", watermark="60D").summary()
    assert short["joined"] == 0 and short["dropped_late"] == short["labels_arrived"] > 0   # labels need >= 30 days
    assert long["dropped_late"] == 0 and long["joined"] == long["labels_arrived"]
    assert short["max_state_rows"] < long["max_state_rows"]
    table = watermark_tradeoff(events, score, ["20D", "37D", "60D"])
    assert table["joined share"].is_monotonic_increasing and table["joined share"].iloc[-1] == 1.0


@pytest.mark.slow
@pytest.mark.skipif(not inference.spark_available()[0], reason="Spark path skipped: " + inference.spark_available()[1])
def test_spark_structured_streaming_gives_the_batch_predictions(events, tmp_path, monkeypatch):
    import mlflow

    from mlops_edu import setup_chapter
    from mlops_edu.deployment import registry
    from mlops_edu.deployment.streaming import spark_stream, write_micro_batches
    from mlops_edu.training import log_model, make_model, split_xy

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    setup_chapter("96", seed=0)
    X, y = split_xy(events.drop(columns=["event_time", "label_time", "month"]))
    model = make_model("logreg", seed=0, X=X).fit(X, y)
    with mlflow.start_run():
        info = log_model(model, X)
    registry.register(info, description="logreg for the streaming test", alias=registry.CHAMPION)
    uri = registry.model_uri(alias=registry.CHAMPION)
    files = write_micro_batches(events, tmp_path / "in", every="7D")
    spark = inference.spark_session()
    try:
        by_spark = spark_stream(uri, tmp_path / "in", tmp_path / "checkpoint", spark=spark)
    finally:
        spark.stop()
    assert files == by_spark["batch"].nunique()
    expected = pd.Series(model.predict(X), index=events["customerID"].to_numpy())
    assert (by_spark.set_index("customerID")["predictions"] == expected.loc[by_spark["customerID"]].to_numpy()).all()
    assert len(by_spark) == len(events)


# --------------------------------------------------------------------------------------------------
# The nightly offer list
# --------------------------------------------------------------------------------------------------

def test_offer_list_ranks_prices_and_keeps_customers_worth_an_offer():
    scored = pd.DataFrame({"customerID": list("abcde"), "churn_probability": [0.1, 0.9, 0.25, 0.3, 0.6]})
    full = offer_list(scored, keep_all=True)
    assert full["customerID"].tolist() == ["b", "e", "d", "c", "a"] and full["rank"].tolist() == [1, 2, 3, 4, 5]
    assert full["expected_value"].tolist() == [1300.0, 700.0, 100.0, 0.0, -300.0]
    assert offer_list(scored)["customerID"].tolist() == ["b", "e", "d"]        # p = 0.25 breaks even: no offer
    with pytest.raises(ValueError, match="churn_probability"):
        offer_list(scored.drop(columns="churn_probability"))


def test_offer_policy_table_counts_dollars_like_business_value():
    y = np.array([1, 0, 1, 0, 0, 1])
    offer = np.array([1, 1, 0, 0, 0, 1], bool)
    p = np.array([0.8, 0.4, 0.2, 0.1, 0.1, 0.9])
    table = offer_policy_table(y, offer, p, true_probability=p)
    assert table.loc["model list", "realised"] == business_value(y, offer.astype(int)) == 2500.0
    assert table.loc["offers for everyone", "realised"] == business_value(y, np.ones(6, int))
    assert table.loc["no offers"].tolist() == [0, 0.0, 0.0, 0.0]
    assert table.loc["model list", "expected by the model"] == pytest.approx((0.8 + 0.4 + 0.9) * 2000 - 3 * 500)


def test_nightly_offer_list_writes_one_table_version_per_night(tmp_path, monkeypatch):
    from _lab_helpers import log_tiny, tiny_data

    from mlops_edu import setup_chapter
    from mlops_edu.data import read_table, table_history
    from mlops_edu.deployment import registry
    from mlops_edu.deployment.offers import nightly_offer_list

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    setup_chapter("95", seed=0)
    X, y = tiny_data(200, seed=0)
    registry.register(log_tiny(X, y, run_name="tiny"), "t.s.offers", description="tiny offers model", alias="Champion")
    uri = registry.model_uri("t.s.offers", "Champion")
    first, v0 = nightly_offer_list(uri, X, tmp_path / "offers", run_date="2024-06-03", model_version=1)
    second, v1 = nightly_offer_list(uri, X.head(50), tmp_path / "offers", run_date="2024-06-04", model_version=1)
    assert (v0, v1) == (0, 1) and len(table_history(tmp_path / "offers")) == 2
    back = read_table(tmp_path / "offers", version=0)
    assert back["customerID"].tolist() == first["customerID"].tolist() and (back["run_date"] == "2024-06-03").all()
    assert (first["expected_value"] > 0).all() and first["churn_probability"].is_monotonic_decreasing


# --------------------------------------------------------------------------------------------------
# Latency helpers
# --------------------------------------------------------------------------------------------------

def test_latency_summary_and_throughput():
    summary = latency_summary([0.001] * 98 + [0.010, 0.100])
    assert summary["p50_ms"] == 1.0 and summary["requests"] == 100
    assert summary["p99_ms"] > summary["p95_ms"] >= 1.0
    assert len(time_calls(lambda: None, 7, warmup=2)) == 7
    frame = pd.DataFrame({"x": range(50)})
    table = throughput(lambda f: f["x"].to_numpy(), frame, (1, 10, 100), min_rows=100, repeats=1)
    assert table["batch_size"].tolist() == [1, 10, 100] and (table["rows_per_s"] > 0).all()
    both = compare_throughput({"a": len, "b": len}, frame, (1, 5), min_rows=10, repeats=1)
    assert both["how"].tolist() == ["a", "a", "b", "b"]
    with pytest.raises(ValueError):
        latency_summary([])
