"""Exercises of chapter 01: the reference solution is correct, ____ is 'not attempted', wrong answers fail."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from mlops_edu.data import AS_OF, label_churn, make_customers, make_events, pseudonymise
from mlops_edu.retention import skip_purchases
from mlops_edu.workbook.exercises import ____
from mlops_edu.workbook.exercises.ch01 import q1, q2, q3


def test_q1_expected_value_offers():
    p = np.random.default_rng(0).random(200)
    assert q1.status({"offer": p * 1500 - (1 - p) * 500 > 0, "proba_next": p}) == "correct"
    assert q1.status({"offer": ____, "proba_next": p}) == "not attempted"
    with pytest.raises(AssertionError, match="already pays"):
        q1.status({"offer": p >= 0.5, "proba_next": p})
    with pytest.raises(AssertionError, match="one decision per customer"):
        q1.status({"offer": (p > 0.25)[:10], "proba_next": p})


@pytest.fixture(scope="module")
def events():
    return skip_purchases(make_events(make_customers(800, seed=1), seed=1), 0.2, seed=1)


def test_q2_sales_definition(events):
    def rate(days, cancel):
        return label_churn(events, AS_OF, no_purchase_days=days, cancel_within_days=cancel)["Churn"].eq("Yes").mean()

    ns = {"events": events, "AS_OF": AS_OF}
    assert q2.status({**ns, "churn_rate_sales": rate(45, 14)}) == "correct"
    assert q2.status({**ns, "churn_rate_sales": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="cancel_within_days=14"):
        q2.status({**ns, "churn_rate_sales": rate(45, 30)})
    with pytest.raises(AssertionError, match="90/30"):
        q2.status({**ns, "churn_rate_sales": rate(90, 30)})
    with pytest.raises(AssertionError, match="between 0 and 1"):
        q2.status({**ns, "churn_rate_sales": 120})


def test_q3_pseudonyms():
    raw = make_customers(100, seed=2)
    ns = {"raw": raw, "SECRET_KEY": "k"}
    assert q3.status({**ns, "training_ids": pseudonymise(raw["customerID"], "k")}) == "correct"
    assert q3.status({**ns, "training_ids": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="raw customer id"):
        q3.status({**ns, "training_ids": raw["customerID"]})
    plain = pd.Series([hashlib.sha256(v.encode()).hexdigest()[:16] for v in raw["customerID"]])
    with pytest.raises(AssertionError, match="plain hash"):
        q3.status({**ns, "training_ids": plain})
    with pytest.raises(AssertionError, match="same key"):
        q3.status({**ns, "training_ids": pseudonymise(raw["customerID"], "other")})
