"""Exercises of chapter 04: the reference solution is correct, ____ is 'not attempted', wrong answers fail."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_edu.workbook.exercises import ____
from mlops_edu.workbook.exercises.ch04 import CUR_COUNTS, REF_COUNTS, q1, q2, q3, q4


def test_q1_psi_by_hand():
    ref = np.array(REF_COUNTS) / sum(REF_COUNTS)
    cur = np.array(CUR_COUNTS) / sum(CUR_COUNTS)
    value = float(np.sum((cur - ref) * np.log(cur / ref)))
    assert q1.status({"psi_by_hand": value}) == "correct"
    assert q1.status({"psi_by_hand": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="ln\\(current / reference\\)"):
        q1.status({"psi_by_hand": -value})
    with pytest.raises(AssertionError, match="Kullback-Leibler"):
        q1.status({"psi_by_hand": float(np.sum(cur * np.log(cur / ref)))})


def test_q2_probability_of_a_false_alarm():
    assert q2.status({"p_any": 1 - 0.95 ** 19, "n_columns": 19}) == "correct"
    assert q2.status({"p_any": ____, "n_columns": 19}) == "not attempted"
    with pytest.raises(AssertionError, match="expected \\*number\\*"):
        q2.status({"p_any": 19 * 0.05, "n_columns": 19})
    with pytest.raises(AssertionError, match="complement"):
        q2.status({"p_any": 0.95 ** 19, "n_columns": 19})


def test_q3_expected_f1():
    tp, fp, fn = 0.9 + 0.6 + 0.3, 0.1 + 0.4 + 0.7, 0.2 + 0.1
    assert q3.status({"f1_estimated": 2 * tp / (2 * tp + fp + fn)}) == "correct"
    assert q3.status({"f1_estimated": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="probability p"):
        q3.status({"f1_estimated": 1.0})


def test_q4_rule_file():
    good = '[error_rate]\nabove = 0.02\naction = "page"\n\n[f1_realised]\nbelow = 0.6\naction = "retrain"\n'
    assert q4.status({"my_rules": good}) == "correct"
    assert q4.status({"my_rules": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="refused"):
        q4.status({"my_rules": good.replace("0.02", "-0.02")})
    with pytest.raises(AssertionError, match="retrain"):
        q4.status({"my_rules": good.replace('"retrain"', '"notify"')})
