"""Exercises of chapter 02, the training pipeline (lecture 5.1 and the ML pipeline overview's deploy gate)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.training.features import OPTIONAL_SERVICES, add_features
from mlops_edu.workbook.exercises import Exercise


def _check_services(n_services: Any, X_train: pd.DataFrame) -> str:
    expected = add_features(X_train)["num_optional_services"].to_numpy()
    got = np.asarray(n_services)
    assert got.ndim == 1, f"expected one count per customer (a Series), got an array of shape {got.shape}"
    assert len(got) == len(expected), f"expected one count per customer ({len(expected)}), got {len(got)}"
    assert np.issubdtype(got.dtype, np.number) or got.dtype == bool, \
        f"expected numbers (counts), got values like {got[:3].tolist()}"
    assert got.min() >= 0 and got.max() <= len(OPTIONAL_SERVICES), \
        f"a customer holds between 0 and {len(OPTIONAL_SERVICES)} add-ons, your counts run from {got.min()} to {got.max()}"
    wrong = np.flatnonzero(got != expected)
    if len(wrong):
        i = wrong[0]
        row = X_train.iloc[i][list(OPTIONAL_SERVICES)].tolist()
        raise AssertionError(f"{len(wrong)} customer(s) counted wrongly, e.g. row {i} with add-ons {row}: "
                             f"expected {expected[i]}, you have {got[i]} (only 'Yes' counts)")
    return (f"the mean customer holds {expected.mean():.2f} of the {len(OPTIONAL_SERVICES)} add-ons; "
            "'No internet service' is not a service")


def _q1_checker(n_services: Any, X_train: pd.DataFrame) -> str:
    return _check_services(n_services, X_train)


q1 = Exercise(
    "q1", variables=("n_services", "X_train"), checker=_q1_checker,
    hint="Compare the six columns of OPTIONAL_SERVICES with 'Yes' and sum across each row (axis=1).",
    solution='n_services = (X_train[list(OPTIONAL_SERVICES)] == "Yes").sum(axis=1)')


def _q2_checker(everyone_f1: Any, y_test: pd.Series) -> str:
    from mlops_edu.business import break_even_f1

    rate = float(np.mean(y_test))
    expected = 2 * rate / (1 + rate)
    assert isinstance(everyone_f1, (int, float, np.floating)), (
        f"`everyone_f1` should be a number (an F1 score), got {type(everyone_f1).__name__}")
    value = float(everyone_f1)
    assert not abs(value - rate) < 1e-3, (
        f"{value:.3f} is the churn rate, which is the policy's precision; F1 also counts its recall (1.0)")
    assert not abs(value - 1.0) < 1e-3, (
        "1.0 is the policy's recall (every churner gets an offer); F1 also counts precision")
    assert abs(value - expected) < 1e-3, (
        f"expected F1 = 2PR/(P+R) with precision P = churn rate {rate:.3f} and recall R = 1, i.e. {expected:.3f}; "
        f"got {value:.3f}")
    return (f"offers for everyone reach F1 {expected:.3f} >= {break_even_f1()}: a gate at the break-even F1 lets a "
            "policy with no model through; the gate must compare dollars with it instead")


q2 = Exercise(
    "q2", variables=("everyone_f1", "y_test"), checker=_q2_checker,
    hint="Offers for everyone flag every test customer: recall is 1, precision is the churn rate of y_test. "
         "F1 = 2PR / (P + R).",
    solution="rate = float(y_test.mean())\neveryone_f1 = 2 * rate / (1 + rate)")


def _q3_checker(baseline_accuracy: Any, y_test: pd.Series) -> str:
    expected = float(1 - np.mean(y_test))
    value = float(baseline_accuracy)
    if abs(value - (1 - expected)) < 1e-3 and abs(expected - 0.5) > 0.01:
        raise AssertionError(f"{value:.3f} is the churn rate: the share the 'nobody churns' model gets WRONG")
    assert abs(value - expected) < 1e-3, \
        f"expected the share of test customers who stayed, {expected:.3f}; got {value:.3f}"
    return (f"a model that never predicts churn is {expected:.1%} accurate and useless: "
            "accuracy alone cannot gate a churn model")


q3 = Exercise(
    "q3", variables=("baseline_accuracy", "y_test"), checker=_q3_checker,
    hint="The baseline predicts 0 (stays) for everyone; it is right exactly for the customers with y_test == 0.",
    solution="baseline_accuracy = float((y_test == 0).mean())")

__all__ = ["q1", "q2", "q3"]
