"""Exercises of chapter 06, data-centric AI (lecture 7)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.data.datacentric import detection_scores
from mlops_edu.data.efforts import EFFORT_KINDS
from mlops_edu.workbook.exercises import Exercise


def _q1_checker(precision: Any, recall: Any, suspects: pd.Index, flipped: pd.Index, table: pd.DataFrame) -> str:
    expected = detection_scores(suspects, flipped, table.index)
    for name, value in (("precision", precision), ("recall", recall)):
        assert np.ndim(value) == 0, f"`{name}` should be one number, got {type(value).__name__}"
    precision, recall = float(precision), float(recall)
    if abs(precision - expected["recall"]) < 1e-9 and abs(recall - expected["precision"]) < 1e-9 \
            and abs(expected["precision"] - expected["recall"]) > 1e-6:
        raise AssertionError("precision and recall are swapped: precision divides by the suspects, "
                             "recall by the really flipped rows")
    assert abs(precision - expected["precision"]) < 1e-9, \
        f"precision should be (suspects that were really flipped) / (suspects) = {expected['precision']:.3f}, " \
        f"got {precision:.3f}"
    assert abs(recall - expected["recall"]) < 1e-9, \
        f"recall should be (suspects that were really flipped) / (flipped rows) = {expected['recall']:.3f}, " \
        f"got {recall:.3f}"
    return (f"{expected['precision']:.0%} of the suspects are real errors (random flagging: "
            f"{expected['flip_rate']:.0%}), and they hold {expected['recall']:.0%} of the errors")


q1 = Exercise(
    "q1", variables=("precision", "recall", "suspects", "flipped", "table"), checker=_q1_checker,
    hint="The rows both suspected and really flipped are suspects.intersection(flipped); divide their "
         "count by len(suspects) for precision and by len(flipped) for recall.",
    solution="hits = len(suspects.intersection(flipped))\nprecision = hits / len(suspects)\n"
             "recall = hits / len(flipped)")


def _q2_checker(found_ranked: Any, found_random: Any, ranked: pd.Index, flipped: pd.Index, budget: int,
                seed: int) -> str:
    expected_ranked = len(pd.Index(ranked[:budget]).intersection(flipped))
    rows = np.random.default_rng(seed).choice(np.asarray(ranked), size=budget, replace=False)
    expected_random = len(pd.Index(rows).intersection(flipped))
    assert int(found_ranked) == expected_ranked, \
        f"the first {budget} rows of `ranked` hold {expected_ranked} flipped labels, you have {found_ranked}"
    assert int(found_random) == expected_random, \
        f"{budget} random rows (rng.choice(ranked, size=budget, replace=False) with the seed) hold " \
        f"{expected_random} flipped labels, you have {found_random}"
    return (f"the same {budget} reviews find {expected_ranked} errors in confident learning's order and "
            f"{expected_random} at random: the ranking is what makes a review budget pay")


q2 = Exercise(
    "q2", variables=("found_ranked", "found_random", "ranked", "flipped", "REVIEW_BUDGET", "SEED"),
    checker=_q2_checker,
    hint="ranked[:REVIEW_BUDGET] are the rows a reviewer reads first; count how many of them are in `flipped` "
         "(Index.intersection). Do the same for REVIEW_BUDGET rows drawn with np.random.default_rng(SEED).choice.",
    solution="found_ranked = len(ranked[:REVIEW_BUDGET].intersection(flipped))\n"
             "random_rows = np.random.default_rng(SEED).choice(np.asarray(ranked), size=REVIEW_BUDGET, replace=False)\n"
             "found_random = len(pd.Index(random_rows).intersection(flipped))")


def _q3_checker(helpful: Any, efforts: pd.DataFrame) -> str:
    assert isinstance(helpful, (set, list, tuple, pd.Index)), \
        f"`helpful` should be a set of effort names, got {type(helpful).__name__}"
    names = set(helpful)
    unknown = names - set(efforts.index)
    assert not unknown, f"not efforts of the table: {sorted(unknown)}"
    candidates = efforts[efforts["kind"].isin(EFFORT_KINDS)]
    expected = set(candidates.index[candidates["low"] > 0])
    by_gain = set(candidates.index[candidates["gain"] > 0])
    if names == by_gain and names != expected:
        raise AssertionError("a positive gain is not enough under the rule: the whole 95% interval must lie "
                             "above 0 (look at `low`)")
    missing, extra = expected - names, names - expected
    assert not missing and not extra, \
        f"under the rule, helpful efforts are those with `low` > 0; missing {sorted(missing)}, " \
        f"not helpful {sorted(extra)}"
    kinds = candidates.loc[sorted(expected), "kind"].value_counts().to_dict()
    return f"{len(expected)} efforts help beyond test-set luck: {kinds}"


q3 = Exercise(
    "q3", variables=("helpful", "efforts"), checker=_q3_checker,
    hint="Keep the rows of `efforts` whose kind is model-centric, data-centric or both and whose `low` (the lower "
         "end of the 95% interval) is above 0.",
    solution='helpful = set(efforts.index[efforts["kind"].isin(EFFORT_KINDS) & (efforts["low"] > 0)])')

__all__ = ["q1", "q2", "q3"]
