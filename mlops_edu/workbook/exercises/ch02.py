"""Exercises of chapter 02, the training pipeline (lecture 5.1, seed 004)."""

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


_GATE_REASONS = {
    "f1": "F1 balances the coupons wasted on stayers (precision) against the churners missed (recall), "
          "and ignores the many easy 'stays' that flatter accuracy",
    "recall": "recall counts the churners caught; it is the right gate when a coupon is cheap compared with "
              "a lost customer (check precision too, or everyone gets a coupon)",
}
_GATE_WRONG = {
    "accuracy": "about three in four customers stay: a model that predicts 'stays' for everyone is about 73% "
                "accurate and catches no churner",
    "precision": "precision alone rewards flagging only a handful of sure cases: most churners would leave "
                 "without an offer",
    "roc_auc": "ROC AUC rates the ranking over all thresholds; the gate must judge the list marketing will "
               "actually receive at the chosen threshold",
}


def _q2_checker(gate_metric: Any) -> str:
    assert isinstance(gate_metric, str), f"give the metric's name as a string, e.g. 'f1'; got {gate_metric!r}"
    name = gate_metric.strip().lower().replace(" ", "_").replace("-", "_")
    name = {"f1_score": "f1", "auc": "roc_auc", "rocauc": "roc_auc"}.get(name, name)
    if name in _GATE_WRONG:
        raise AssertionError(f"'{gate_metric}': {_GATE_WRONG[name]}")
    assert name in _GATE_REASONS, \
        f"'{gate_metric}' is not one of the metrics in the table: accuracy, precision, recall, f1, roc_auc"
    return _GATE_REASONS[name]


q2 = Exercise(
    "q2", variables=("gate_metric",), checker=_q2_checker,
    hint="Churners are about a quarter of customers. Which metric does a model that never predicts churn "
         "score well on, and which one punishes it?",
    solution='gate_metric = "f1"   # the lecture\'s gate; "recall" is defensible when coupons are cheap')


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
