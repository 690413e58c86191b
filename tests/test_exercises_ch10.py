"""Exercises of chapter 10: the reference solution is correct, ____ is 'not attempted', wrong answers fail."""

from __future__ import annotations

import pytest

from mlops_edu.workbook.exercises import ____
from mlops_edu.workbook.exercises.ch10 import Q3_LEVELS, q1, q2, q3


def test_q1_gain_per_customer():
    assert q1.status({"gain_per_customer": 500.0}) == "correct"
    assert q1.status({"gain_per_customer": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="divide by 6"):
        q1.status({"gain_per_customer": 3000.0})
    with pytest.raises(AssertionError, match="not the other way round"):
        q1.status({"gain_per_customer": -500.0})


def test_q2_batches_after_a_retry():
    assert q2.status({"batches_scored": 4, "scored_twice": 0}) == "correct"
    assert q2.status({"batches_scored": ____, "scored_twice": 0}) == "not attempted"
    with pytest.raises(AssertionError, match="distinct"):
        q2.status({"batches_scored": 5, "scored_twice": 0})
    with pytest.raises(AssertionError, match="duplicate"):
        q2.status({"batches_scored": 4, "scored_twice": 1})


def test_q3_levels():
    assert q3.status({"levels_of": dict(Q3_LEVELS)}) == "correct"
    assert q3.status({"levels_of": ____}) == "not attempted"
    wrong = dict(Q3_LEVELS)
    wrong[next(iter(wrong))] = 2
    with pytest.raises(AssertionError, match="level 1"):
        q3.status({"levels_of": wrong})
    with pytest.raises(AssertionError, match="missing"):
        q3.status({"levels_of": {}})
