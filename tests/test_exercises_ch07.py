"""Exercises of chapter 07: the reference solution is correct, ____ is 'not attempted', wrong answers fail."""

from __future__ import annotations

import numpy as np
import pytest
from hyperopt import hp

from mlops_edu.workbook.exercises import ____
from mlops_edu.workbook.exercises.ch07 import q1, q2, q3


def _status(exercise, namespace):
    """"correct" / "not attempted" (``status`` where the framework has it, else ``check``'s return value)."""
    return exercise.status(namespace) if hasattr(exercise, "status") else exercise.check(namespace)



class FakeObjective:
    """Stands in for KFoldObjective: a deterministic score per configuration."""

    k = 3

    def __call__(self, params):
        return round(0.5 + params["num_leaves"] / 1000 + params["learning_rate"], 6)


def test_q1_nested_loop():
    objective = FakeObjective()
    scores = {}
    for n in [7, 31]:
        for r in [0.05, 0.1]:
            scores[(n, r)] = objective({"num_leaves": n, "learning_rate": r})
    assert _status(q1, {"scores": scores, "objective": objective}) == "correct"
    assert _status(q1, {"scores": ____, "objective": objective}) == "not attempted"
    with pytest.raises(AssertionError, match="missing pairs"):
        _status(q1, {"scores": {(7, 0.05): scores[(7, 0.05)]}, "objective": objective})
    wrong = dict(scores)
    wrong[(31, 0.1)] = 0.0
    with pytest.raises(AssertionError, match=r"scores\[\(31, 0.1\)\]"):
        _status(q1, {"scores": wrong, "objective": objective})


def test_q2_grid_cost():
    assert _status(q2, {"n_fits": 4 ** 5 * 5}) == "correct"
    assert _status(q2, {"n_fits": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="swaps"):
        _status(q2, {"n_fits": 5 ** 4 * 5})
    with pytest.raises(AssertionError, match="once per fold"):
        _status(q2, {"n_fits": 4 ** 5})
    with pytest.raises(AssertionError, match="multiply"):
        _status(q2, {"n_fits": 100})


def test_q3_hyperopt_space():
    good = {"num_leaves": hp.quniform("num_leaves", 8, 128, 1),
            "learning_rate": hp.loguniform("learning_rate", np.log(0.01), np.log(0.3))}
    assert _status(q3, {"space": good}) == "correct"
    assert _status(q3, {"space": ____}) == "not attempted"
    uniform = {"num_leaves": hp.quniform("num_leaves", 8, 128, 1),
               "learning_rate": hp.uniform("learning_rate", 0.01, 0.3)}
    with pytest.raises(AssertionError, match="log"):
        _status(q3, {"space": uniform})
    not_int = {"num_leaves": hp.uniform("num_leaves", 8, 128), "learning_rate": good["learning_rate"]}
    with pytest.raises(AssertionError, match="whole numbers"):
        _status(q3, {"space": not_int})
    with pytest.raises(AssertionError, match="keys"):
        _status(q3, {"space": {"num_leaves": good["num_leaves"]}})
