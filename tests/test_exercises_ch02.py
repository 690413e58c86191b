"""Exercises of chapter 02: the reference solution is correct, ____ is 'not attempted', wrong answers fail."""

from __future__ import annotations

import pandas as pd
import pytest
from _telco_sample import customers

from mlops_edu.data import OPTIONAL_SERVICES
from mlops_edu.training import split_xy
from mlops_edu.workbook.exercises import ____
from mlops_edu.workbook.exercises.ch02 import q1, q2, q3


def _status(exercise, namespace):
    """"correct" / "not attempted" (``status`` where the framework has it, else ``check``'s return value)."""
    return exercise.status(namespace) if hasattr(exercise, "status") else exercise.check(namespace)



@pytest.fixture(scope="module")
def X_train() -> pd.DataFrame:
    return split_xy(customers(300, seed=1))[0]


def test_q1_num_optional_services(X_train):
    solution = (X_train[list(OPTIONAL_SERVICES)] == "Yes").sum(axis=1)
    assert _status(q1, {"n_services": solution, "X_train": X_train}) == "correct"
    assert _status(q1, {"n_services": ____, "X_train": X_train}) == "not attempted"
    counts_no_internet = (X_train[list(OPTIONAL_SERVICES)] != "No").sum(axis=1)
    with pytest.raises(AssertionError, match="only 'Yes' counts"):
        _status(q1, {"n_services": counts_no_internet, "X_train": X_train})
    with pytest.raises(AssertionError, match="one count per customer"):
        _status(q1, {"n_services": solution.head(10), "X_train": X_train})


def test_q2_f1_of_offers_for_everyone():
    y_test = pd.Series([1] * 27 + [0] * 73)
    expected = 2 * 0.27 / 1.27
    assert _status(q2, {"everyone_f1": expected, "y_test": y_test}) == "correct"
    assert _status(q2, {"everyone_f1": ____, "y_test": y_test}) == "not attempted"
    with pytest.raises(AssertionError, match="churn rate"):
        _status(q2, {"everyone_f1": 0.27, "y_test": y_test})
    with pytest.raises(AssertionError, match="recall"):
        _status(q2, {"everyone_f1": 1.0, "y_test": y_test})
    with pytest.raises(AssertionError, match="0.425"):
        _status(q2, {"everyone_f1": 0.5, "y_test": y_test})


def test_q3_baseline_accuracy():
    y_test = pd.Series([0, 0, 0, 1])
    assert _status(q3, {"baseline_accuracy": 0.75, "y_test": y_test}) == "correct"
    assert _status(q3, {"baseline_accuracy": ____, "y_test": y_test}) == "not attempted"
    with pytest.raises(AssertionError, match="churn rate"):
        _status(q3, {"baseline_accuracy": 0.25, "y_test": y_test})
    with pytest.raises(AssertionError, match="0.750"):
        _status(q3, {"baseline_accuracy": 0.5, "y_test": y_test})
