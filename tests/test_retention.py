"""The retention business case (lecture 3.2, 4.1), chapter 01: the churn definition as code, the profit curve in
the one accounting of business.py, the expected-value rule, and the BI vs ML comparison on seeded months."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from mlops_edu.business import business_value, break_even_precision
from mlops_edu.data import AS_OF, label_churn, make_customers, make_events, make_months, stack_months
from mlops_edu.retention import (bi_report, definition_table, expected_value_offers, policy_table, profit_curve,
                                 segment_offers, skip_purchases, train_offer_model)


@pytest.fixture(scope="module")
def world():
    customers = make_customers(3000, seed=4)
    return customers, make_events(customers, seed=4)



def test_ninety_day_definition_reproduces_churn(world):
    customers, events = world
    labels = label_churn(events, AS_OF, no_purchase_days=90, cancel_within_days=30).set_index("customerID")
    assert (labels.loc[customers["customerID"], "Churn"].to_numpy() == customers["Churn"].to_numpy()).all()


def test_definitions_move_the_rate_on_a_gappy_log(world):
    customers, events = world
    truth = customers.set_index("customerID")["Churn"]
    clean = definition_table(events, AS_OF, days=(30, 90, 180), truth=truth)
    assert clean.loc[90, ["labelled_differently", "stayers_counted", "leavers_missed"]].tolist() == [0, 0, 0]
    gappy = definition_table(skip_purchases(events, 0.2, seed=1), AS_OF, days=(30, 60, 90, 180), truth=truth)
    rates = gappy["churn_rate"]
    assert rates.is_monotonic_decreasing and rates[30] > rates[90] + 0.05
    assert gappy.loc[30, "stayers_counted"] > 5 * gappy.loc[90, "stayers_counted"]
    assert gappy.loc[180, "leavers_missed"] > 0 and gappy.loc[90, "leavers_missed"] == 0
    assert gappy["chosen"].tolist() == [False, False, True, False]
    with pytest.raises(ValueError, match="chosen"):
        definition_table(events, AS_OF, days=(30, 60), chosen=90)


def test_skip_purchases_keeps_cancellations(world):
    _, events = world
    assert skip_purchases(events, 0.0).equals(events.reset_index(drop=True))
    none = skip_purchases(events, 1.0)
    assert set(none["event"]) == {"cancel"} and len(none) == (events["event"] == "cancel").sum()


def test_profit_curve_uses_the_one_accounting():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = rng.random(300)
    curve = profit_curve(y, p, thresholds=[0.0, 0.3, 0.7, 1.01])
    for t, value in zip(curve["threshold"], curve["value"]):
        assert value == business_value(y, (p >= t).astype(int))
    assert curve["value"].iloc[-1] == 0.0
    assert np.array_equal(expected_value_offers(p), p > break_even_precision())


def test_ml_beats_bi_beats_offers_for_everyone():
    months = make_months(4, 1200, seed=4)
    history, nxt = stack_months(months, 0, 2), months[3].frame
    y = nxt["Churn"].eq("Yes").to_numpy()
    model = train_offer_model(history, seed=4)
    proba = model.predict_proba(nxt.drop(columns=["Churn"]))[:, 1]
    assert abs(proba.mean() - y.mean()) < 0.03            # calibrated: no class weights
    report = bi_report(history)
    assert report.index[0] == "Month-to-month" and report["churn_rate"].is_monotonic_decreasing
    policies = {"bi": segment_offers(report, nxt), "ml": expected_value_offers(proba)}
    table = policy_table(y, policies, n_boot=300, seed=0)
    assert table.loc["ml", "value"] > table.loc["bi", "value"] > table.loc["offers for everyone", "value"]
    assert table.loc["ml", "low"] > 0 and table.loc["bi", "low"] > 0
    assert table.loc["no offers", "value"] == 0 and np.isnan(table.loc["no offers", "roi"])
    vs_bi = policy_table(y, policies, n_boot=300, seed=0, reference="bi")
    assert vs_bi.loc["bi", "vs_reference"] == 0 and vs_bi.loc["ml", "low"] > 0
    with pytest.raises(ValueError, match="reference"):
        policy_table(y, policies, reference="nope")


def test_policy_kpis():
    y = np.array([1, 1, 0, 0])
    table = policy_table(y, {"half": [True, False, True, False]}, n_boot=50)
    row = table.loc["half"]
    assert (row["offers"], row["spent"], row["kept_churners"], row["value"]) == (2, 1000.0, 1, 1000.0)
    assert row["roi"] == 1.0 and row["churn_rate_after"] == 0.25
    assert isinstance(table, pd.DataFrame) and table.index[0] == "no offers"
