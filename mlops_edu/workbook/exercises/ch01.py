"""Exercises of chapter 01, MLOps, the business case and the roles (lecture 3, 4)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.business import break_even_precision
from mlops_edu.data.events import label_churn
from mlops_edu.data.lake import pseudonymise
from mlops_edu.workbook.exercises import Exercise


def _q1_checker(offer: Any, proba_next: Any) -> str:
    p = np.asarray(proba_next, dtype=float)
    got = np.asarray(offer)
    assert got.shape == p.shape, f"expected one decision per customer ({p.shape[0]}), got shape {got.shape}"
    assert got.dtype == bool or set(np.unique(got).tolist()) <= {0, 1}, \
        "expected True/False (offer or not) per customer"
    got = got.astype(bool)
    expected = p * 1500 - (1 - p) * 500 > 0
    if np.array_equal(got, p >= 0.5) and not np.array_equal(expected, p >= 0.5):
        raise AssertionError("p >= 0.5 offers only to likely churners; an offer already pays when "
                             "p x $1,500 > (1 - p) x $500")
    wrong = int((got != expected).sum())
    assert wrong == 0, f"{wrong} decision(s) differ from 'offer when p x 1,500 - (1 - p) x 500 > 0'"
    return (f"{int(expected.sum())} offers: every customer with p above {break_even_precision():.2f}, where a "
            "$500 offer is expected to save more than it costs")


q1 = Exercise(
    "q1", variables=("offer", "proba_next"), checker=_q1_checker,
    hint="An offer to a customer with churn probability p is worth p x $1,500 (a churner kept) minus "
         "(1 - p) x $500 (a discount given away) on average; offer where that is positive.",
    solution="offer = proba_next * 1500 - (1 - proba_next) * 500 > 0")


def _q2_checker(churn_rate_sales: Any, events: pd.DataFrame, AS_OF: Any) -> str:
    assert np.ndim(churn_rate_sales) == 0, \
        f"`churn_rate_sales` should be one number (a share), got {type(churn_rate_sales).__name__}"
    value = float(churn_rate_sales)

    def rate(days: int, cancel: int) -> float:
        labels = label_churn(events, AS_OF, no_purchase_days=days, cancel_within_days=cancel)
        return float(labels["Churn"].eq("Yes").mean())

    expected = rate(45, 14)
    assert 0.0 <= value <= 1.0, f"give the share of customers (between 0 and 1), got {value}"
    for days, cancel, what in ((90, 30, "the stakeholder's 90/30 definition"), (45, 30, "45 days but still 30 days "
                               "for cancellations"), (90, 14, "14 days for cancellations but still 90 days")):
        if abs(value - rate(days, cancel)) < 1e-9 and abs(expected - rate(days, cancel)) > 1e-9:
            raise AssertionError(f"that is the rate under {what}: pass no_purchase_days=45 and cancel_within_days=14")
    assert abs(value - expected) < 1e-9, \
        f"under 'no purchase in 45 days or cancelled within 14' the churn rate is {expected:.3f}, got {value:.3f}"
    return (f"{expected:.1%} of the customers in the log count as churners under the sales team's definition: "
            "a different target, a different model, a different campaign budget")


q2 = Exercise(
    "q2", variables=("churn_rate_sales", "events", "AS_OF"), checker=_q2_checker,
    hint="label_churn(events, AS_OF, no_purchase_days=..., cancel_within_days=...) gives one row per customer "
         "with Churn 'Yes'/'No'; the rate is the mean of Churn == 'Yes'.",
    solution='churn_rate_sales = label_churn(events, AS_OF, no_purchase_days=45, cancel_within_days=14)'
             '["Churn"].eq("Yes").mean()')


def _q3_checker(training_ids: Any, raw: pd.DataFrame, SECRET_KEY: Any) -> str:
    ids = pd.Series(training_ids)
    assert len(ids) == len(raw), f"expected one pseudonym per customer ({len(raw)}), got {len(ids)}"
    leaked = ids.isin(set(raw["customerID"])).sum()
    assert leaked == 0, f"{leaked} raw customer id(s) are still in `training_ids`"
    plain = pd.Series([hashlib.sha256(str(v).encode()).hexdigest()[:16] for v in raw["customerID"]])
    assert not ids.reset_index(drop=True).equals(plain), \
        "a plain hash of a guessable id can be recomputed by anyone: use the keyed hash (pseudonymise with the key)"
    expected = pseudonymise(raw["customerID"], SECRET_KEY)
    assert ids.reset_index(drop=True).astype(str).equals(expected.reset_index(drop=True).astype(str)), \
        "expected pseudonymise(raw['customerID'], SECRET_KEY): the same key gives the same pseudonym, " \
        "so joins still work"
    return "no raw id reaches training, and only the key holder can link a pseudonym back to a person"


q3 = Exercise(
    "q3", variables=("training_ids", "raw", "SECRET_KEY"), checker=_q3_checker,
    hint="mlops_edu.data.pseudonymise(values, key) replaces each id by a keyed hash (HMAC-SHA256).",
    solution='training_ids = pseudonymise(raw["customerID"], SECRET_KEY)')

__all__ = ["q1", "q2", "q3"]
