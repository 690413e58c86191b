"""Exercises of chapter 07, hyperparameter tuning (lecture 9.1)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlops_edu.workbook.exercises import Exercise

LEAVES = (7, 31)
RATES = (0.05, 0.1)


def _q1_checker(scores: Any, objective: Any) -> str:
    assert isinstance(scores, dict), f"scores must be a dict {{(num_leaves, learning_rate): cv_f1}}, got {type(scores).__name__}"
    expected_keys = [(n, r) for n in LEAVES for r in RATES]
    missing = [k for k in expected_keys if k not in scores]
    assert not missing, f"missing pairs {missing}: loop over num_leaves in {list(LEAVES)} and learning_rate in {list(RATES)}"
    extra = [k for k in scores if k not in expected_keys]
    assert not extra, f"unexpected keys {extra}: only the 2 x 2 = 4 pairs belong in the grid"
    for n, r in expected_keys:
        want = objective({"num_leaves": n, "learning_rate": r})
        got = scores[(n, r)]
        assert isinstance(got, (int, float, np.floating)), \
            f"scores[{(n, r)}] should be the objective's number, got {got!r}"
        assert math.isclose(float(got), want, abs_tol=1e-9), \
            f"scores[{(n, r)}] = {float(got):.4f}, but objective({{'num_leaves': {n}, 'learning_rate': {r}}}) = {want:.4f}"
    best = max(scores, key=scores.get)
    return f"4 configurations, 4 x {objective.k} = {4 * objective.k} fits; the best pair is {best}"


q1 = Exercise(
    "q1", variables=("scores", "objective"), checker=_q1_checker,
    hint="Two for-loops, one inside the other; call objective({'num_leaves': n, 'learning_rate': r}) "
         "in the inner loop and store the result under the key (n, r).",
    solution=("scores = {}\n"
              "for n in [7, 31]:\n"
              "    for r in [0.05, 0.1]:\n"
              "        scores[(n, r)] = objective({\"num_leaves\": n, \"learning_rate\": r})"))


def _qspace_checker(space: Any) -> str:
    from hyperopt.pyll import stochastic

    assert isinstance(space, dict), f"space must be a dict of hyperopt expressions, got {type(space).__name__}"
    assert set(space) == {"num_leaves", "learning_rate"}, \
        f"space must have exactly the keys 'num_leaves' and 'learning_rate', got {sorted(space)}"
    rng = np.random.default_rng(0)
    draws = [stochastic.sample(space, rng=rng) for _ in range(300)]
    leaves = np.array([d["num_leaves"] for d in draws], dtype=float)
    rates = np.array([d["learning_rate"] for d in draws], dtype=float)
    assert np.all(leaves == np.round(leaves)), "num_leaves must be whole numbers: use hp.quniform(..., 1) " \
                                               "or hp.qloguniform(..., 1)"
    assert leaves.min() >= 8 and leaves.max() <= 128, \
        f"num_leaves should stay within [8, 128], your draws run from {leaves.min():.0f} to {leaves.max():.0f}"
    assert leaves.max() - leaves.min() >= 60, "num_leaves barely varies: give it the whole range 8 to 128"
    assert rates.min() >= 0.01 - 1e-12 and rates.max() <= 0.3 + 1e-12, \
        f"learning_rate should stay within [0.01, 0.3], your draws run from {rates.min():.4f} to {rates.max():.4f}"
    median = float(np.median(rates))
    assert median < 0.1, (f"the median learning rate drawn is {median:.3f}: a uniform range spends most trials "
                          "above 0.1; use hp.loguniform('learning_rate', np.log(0.01), np.log(0.3))")
    assert rates.min() < 0.02 and rates.max() > 0.2, "learning_rate should cover the whole range 0.01 to 0.3"
    return (f"the median learning rate drawn is {median:.3f}: on a log scale 0.01-0.03 gets as many trials "
            "as 0.1-0.3")


q3 = Exercise(
    "q3", variables=("space",), checker=_qspace_checker,
    hint="hp.quniform('num_leaves', 8, 128, 1) gives whole numbers; a learning rate belongs on a log scale: "
         "hp.loguniform takes the log of the bounds.",
    solution=("space = {\n"
              "    \"num_leaves\": hp.quniform(\"num_leaves\", 8, 128, 1),\n"
              "    \"learning_rate\": hp.loguniform(\"learning_rate\", np.log(0.01), np.log(0.3)),\n"
              "}"))


def _qfits_checker(n_fits: Any) -> str:
    value = int(n_fits)
    assert value == n_fits, f"a number of fits is a whole number, got {n_fits!r}"
    if value == 5 ** 4 * 5:
        raise AssertionError("5 ** 4 swaps the roles: 4 values for each of 5 parameters is 4 ** 5 combinations")
    if value in (4 * 5 * 5, 4 * 5):
        raise AssertionError("the values multiply: every value of one parameter meets every combination of "
                             "the others, so the grid has 4 x 4 x 4 x 4 x 4 points")
    if value == 4 ** 5:
        raise AssertionError("that is the number of combinations; each one is fitted once per fold (5 folds)")
    assert value == 4 ** 5 * 5, f"expected 4 ** 5 combinations x 5 folds; got {value}"
    return "5,120 fits: at 2 s per fit that is almost 3 hours for a modest grid"


q2 = Exercise(
    "q2", variables=("n_fits",), checker=_qfits_checker,
    hint="Combinations = (values per parameter) ** (number of parameters); each is fitted once per fold.",
    solution="n_fits = 4 ** 5 * 5")

__all__ = ["q1", "q2", "q3"]
