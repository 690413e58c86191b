"""Clear labels (lecture 7.1), chapter 06: the find_label_issues contract and what confident learning can
and cannot find, on seeded data."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

import mlops_edu.data.datacentric as datacentric
from mlops_edu.data import (detection_experiment, detection_scores, detection_summary, find_label_issues, flip_labels,
                            label_rate_shift, make_customers, rank_label_suspects, relabel)

SYSTEMATIC = {"rate": 0.5, "segment": {"Contract": "Month-to-month", "Churn": "Yes"}}


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return make_customers(1500, seed=4)


@pytest.fixture(scope="module")
def runs(customers) -> pd.DataFrame:
    errors = {"clean": None, "uniform 10%": {"rate": 0.1}, "uniform 20%": {"rate": 0.2}, "systematic": SYSTEMATIC}
    return detection_experiment(customers, errors, seeds=[4, 5]).groupby("error").mean(numeric_only=True)



def test_contract_index_labels_deterministic_and_any_index(customers):
    frame = customers.iloc[:600].copy()
    frame.index = pd.Index([f"row-{i}" for i in range(600)])
    suspects = find_label_issues(frame, seed=3)
    assert isinstance(suspects, pd.Index) and len(suspects) > 0
    assert suspects.isin(frame.index).all() and suspects.is_unique
    assert suspects.equals(find_label_issues(frame, seed=3))
    assert list(suspects) == [i for i in frame.index if i in set(suspects)]  # the frame's order
    renamed = frame.rename(columns={"Churn": "left"})
    assert find_label_issues(renamed, label="left", seed=3).equals(suspects)


def test_cleanlab_prints_nothing(customers, capfd):
    find_label_issues(customers.iloc[:400], seed=0)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_uniform_flips_are_found_better_than_at_random(runs):
    for error in ("uniform 10%", "uniform 20%"):
        row = runs.loc[error]
        assert row["precision"] > 2 * row["flip_rate"], error   # the chapter's rule: lift >= 2
        assert row["recall"] > 0.5, error
        assert row["recall"] > 2 * row["flag_rate"], error      # random flagging finds flag_rate of them


def test_clean_labels_are_still_flagged(runs):
    # churn is random given the features: about one customer in seven or ten is "surprising"
    assert 0.05 < runs.loc["clean", "flag_rate"] < 0.25


def test_systematic_error_is_mostly_missed(runs):
    row = runs.loc["systematic"]
    assert row["recall"] < 0.15
    assert row["precision"] < row["flip_rate"]   # worse than flagging rows at random


def test_label_rate_check_catches_the_systematic_error(customers):
    bad = flip_labels(customers, seed=4, **SYSTEMATIC).frame
    shift = label_rate_shift(make_customers(1500, seed=5), bad, by="Contract")
    assert shift["alert"].tolist() == [True, False, False]
    assert shift.loc["Month-to-month", "change"] < -0.1
    same = label_rate_shift(make_customers(1500, seed=5), customers, by="Contract")
    assert not same["alert"].any()


def test_calibrated_probabilities_flag_fewer_clean_rows(customers):
    balanced = ("logreg", {"class_weight": "balanced"})
    import cleanlab.filter

    y, proba = datacentric.out_of_sample_proba(customers, seed=0, model=balanced)
    balanced_rate = cleanlab.filter.find_label_issues(y, proba, n_jobs=1).mean()
    calibrated_rate = len(find_label_issues(customers, seed=0)) / len(customers)
    assert balanced_rate > 1.15 * calibrated_rate


def test_ranking_puts_flipped_rows_first(customers):
    noisy = flip_labels(customers, 0.2, seed=1)
    ranked = rank_label_suspects(noisy.frame, seed=1)
    assert len(ranked) == len(customers) and ranked.is_unique
    budget = len(customers) // 10
    hits = len(ranked[:budget].intersection(noisy.frame.index[noisy.flipped]))
    assert hits > 2 * 0.2 * budget


def test_detection_scores_and_relabel():
    index = pd.RangeIndex(10)
    scores = detection_scores([1, 2, 3, 4], [3, 4, 5], index)
    assert scores == {"rows": 10, "flagged": 4, "wrong": 3, "flag_rate": 0.4, "flip_rate": 0.3,
                      "precision": 0.5, "recall": pytest.approx(2 / 3)}
    frame = pd.DataFrame({"Churn": ["Yes", "No", "Yes"]}, index=["a", "b", "c"])
    truth = pd.Series(["No", "No", "No"], index=["a", "b", "c"])
    fixed = relabel(frame, ["a"], truth)
    assert fixed["Churn"].tolist() == ["No", "No", "Yes"] and frame["Churn"].tolist() == ["Yes", "No", "Yes"]


def test_detection_summary_keeps_order():
    runs = pd.DataFrame({"error": ["b", "b", "a"], "seed": [0, 1, 0], "flag_rate": [0.1, 0.3, 0.0],
                         "flip_rate": [0.1, 0.1, 0.0], "precision": [0.2, 0.4, 0.0], "recall": [0.5, 0.5, 0.0]})
    summary = detection_summary(runs)
    assert list(summary.index) == ["b", "a"]
    assert summary.loc["b", "flag_rate"] == "0.200 +- 0.100"
    assert np.isclose(float(summary.loc["b", "precision"].split()[0]), 0.3)
