"""Exercises of chapter 06: the reference solution is correct, ____ is 'not attempted', wrong answers fail."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_edu.workbook.exercises import ____
from mlops_edu.workbook.exercises.ch06 import q1, q2, q3


@pytest.fixture()
def detection():
    table = pd.DataFrame({"Churn": ["Yes"] * 10}, index=[f"r{i}" for i in range(10)])
    return {"suspects": pd.Index(["r0", "r1", "r2", "r3"]), "flipped": pd.Index(["r2", "r3", "r4"]), "table": table}


def test_q1_precision_recall(detection):
    assert q1.status({**detection, "precision": 0.5, "recall": 2 / 3}) == "correct"
    assert q1.status({**detection, "precision": ____, "recall": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="swapped"):
        q1.status({**detection, "precision": 2 / 3, "recall": 0.5})
    with pytest.raises(AssertionError, match="recall should be"):
        q1.status({**detection, "precision": 0.5, "recall": 0.2})


def test_q2_review_budget():
    ranked = pd.Index([f"r{i}" for i in range(20)])
    flipped = pd.Index(["r0", "r1", "r15"])
    rows = np.random.default_rng(3).choice(np.asarray(ranked), size=5, replace=False)
    random_hits = len(pd.Index(rows).intersection(flipped))
    ns = {"ranked": ranked, "flipped": flipped, "REVIEW_BUDGET": 5, "SEED": 3}
    assert q2.status({**ns, "found_ranked": 2, "found_random": random_hits}) == "correct"
    assert q2.status({**ns, "found_ranked": ____, "found_random": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="first 5 rows"):
        q2.status({**ns, "found_ranked": 3, "found_random": random_hits})


def test_q3_helpful_efforts():
    efforts = pd.DataFrame({"kind": ["trivial", "-", "model-centric", "data-centric", "data-centric", "both"],
                            "gain": [np.nan, 0.0, 0.1, 0.02, 0.03, 0.12],
                            "low": [np.nan, np.nan, 0.08, -0.01, 0.01, 0.1]},
                           index=["flag everyone", "baseline", "tune", "fresh", "cover", "tune+cover"])
    assert q3.status({"efforts": efforts, "helpful": {"tune", "cover", "tune+cover"}}) == "correct"
    assert q3.status({"efforts": efforts, "helpful": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="interval"):
        q3.status({"efforts": efforts, "helpful": {"tune", "cover", "fresh", "tune+cover"}})
    with pytest.raises(AssertionError, match="not efforts"):
        q3.status({"efforts": efforts, "helpful": {"magic"}})
