"""Exercises of chapter 00 (start here): how ``check()``, ``hint()`` and ``solution()`` work."""

from __future__ import annotations

import math

from mlops_edu.workbook.exercises import Exercise

DRIFT_KINDS = ("data drift", "concept drift", "no drift")


def _check_churn_rate(churn_rate: float) -> str:
    assert isinstance(churn_rate, (int, float)), f"`churn_rate` should be a number, got {type(churn_rate).__name__}"
    assert 0 <= churn_rate <= 1, f"a rate is a share between 0 and 1, got {churn_rate}"
    assert not math.isclose(churn_rate, 9 / 12, abs_tol=1e-3), "that is the share who stayed (9 of 12)"
    assert math.isclose(churn_rate, 3 / 12, abs_tol=1e-3), f"3 of 12 customers left: expected 0.25, got {churn_rate}"
    return "3 of 12 customers left, a churn rate of 25%."


def _check_drift(campaign_drift: str, pandemic_drift: str) -> str:
    for name, value in (("campaign_drift", campaign_drift), ("pandemic_drift", pandemic_drift)):
        assert value in DRIFT_KINDS, f"`{name}` must be one of {DRIFT_KINDS}, got {value!r}"
    assert campaign_drift == "data drift", (
        "a campaign that brings younger customers changes who the inputs describe (the age mix), "
        "not why customers leave")
    assert pandemic_drift == "concept drift", (
        "the customers look the same; what changed is the reason they leave (the label relationship)")
    return "inputs changing is data drift; the input-label relationship changing is concept drift."


q1 = Exercise(
    "q1", variables=("churn_rate",), checker=_check_churn_rate,
    hint="Divide the number of customers who left by the number of customers.",
    solution="churn_rate = 3 / 12",
)

q2 = Exercise(
    "q2", variables=("campaign_drift", "pandemic_drift"), checker=_check_drift,
    hint="Ask: did the inputs (who the customers are) change, or the reason they leave?",
    solution='campaign_drift = "data drift"\npandemic_drift = "concept drift"',
)
