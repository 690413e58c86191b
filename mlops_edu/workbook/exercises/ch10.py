"""Exercises of chapter 10 (the closed loop, lecture 8).

q1 the paired dollar gain of a Challenger, q2 counting micro-batches after a crash and a retry,
q3 the lecture's maturity levels.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlops_edu.business import business_value
from mlops_edu.workbook.exercises import Exercise

Q1_Y = (1, 1, 0, 0, 1, 0)
Q1_CHAMPION = (1, 0, 1, 0, 0, 0)
Q1_CHALLENGER = (1, 1, 0, 0, 1, 1)
Q2_ANSWERS = (("m5-00", "scored"), ("m5-01", "scored"), ("m5-01", "duplicate"), ("m5-02", "scored"),
              ("m5-03", "scored"))
Q3_LEVELS = {"a data scientist emails a model file to engineering": 1,
             "an alert starts the retraining pipeline, which validates and promotes without a person": 2,
             "production is broken on purpose to test that it heals itself": 3,
             "a failed deploy goes back to the previous version automatically": 3}


def _number(value: Any, name: str) -> float:
    assert isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool), (
        f"`{name}` should be a number, got {type(value).__name__}")
    return float(value)


def _check_gain(gain_per_customer: float) -> str:
    value = _number(gain_per_customer, "gain_per_customer")
    total = business_value(Q1_Y, Q1_CHALLENGER) - business_value(Q1_Y, Q1_CHAMPION)
    expected = total / len(Q1_Y)
    assert not math.isclose(value, total, abs_tol=1e-6), "that is the total over 6 customers; divide by 6"
    assert not math.isclose(value, -expected, abs_tol=1e-6), "Challenger minus Champion, not the other way round"
    assert math.isclose(value, expected, abs_tol=1e-6), f"expected {expected:+.0f} $ per customer, got {value:+.0f}"
    return (f"{expected:+.0f} $ per customer on the same six customers; the loop bootstraps this mean to see "
            "whether it is more than luck.")


def _check_batches(batches_scored: int, scored_twice: int) -> str:
    scored, twice = _number(batches_scored, "batches_scored"), _number(scored_twice, "scored_twice")
    assert scored != len(Q2_ANSWERS), "count distinct micro-batches, not answers: m5-01 was answered twice"
    assert scored == 4, f"four micro-batches (m5-00 .. m5-03) have an output, got {scored:g}"
    assert twice == 0, ("the second answer for m5-01 says 'duplicate': the server found the output and did not "
                        "score it again")
    return "5 answers, 4 micro-batches, none scored twice: retries are safe because outputs are written once."


def _check_levels(levels_of: dict) -> str:
    assert isinstance(levels_of, dict), f"`levels_of` should be a dict, got {type(levels_of).__name__}"
    missing = [p for p in Q3_LEVELS if p not in levels_of]
    assert not missing, f"give a level for every practice; missing: {missing}"
    for practice, level in Q3_LEVELS.items():
        assert levels_of[practice] == level, f"{practice!r}: the lecture puts this at level {level}, not {levels_of[practice]}"
    return "manual hand-over (1), automated pipelines (2), resilience and rollback (3)."


q1 = Exercise(
    "q1", variables=("gain_per_customer",), checker=_check_gain,
    hint=("Turn each model's offers into dollars per customer (offer to a churner +1500, to a stayer -500, "
          "no offer 0), subtract the Champion's from the Challenger's, and take the mean."),
    solution=("def dollars(offers):\n    return np.where(offers == 1, np.where(y == 1, 1500, -500), 0)\n"
              "gain_per_customer = float((dollars(challenger_offers) - dollars(champion_offers)).mean())"),
)

q2 = Exercise(
    "q2", variables=("batches_scored", "scored_twice"), checker=_check_batches,
    hint="A set of the batch ids gives the distinct micro-batches; 'duplicate' means the output already existed.",
    solution=("batches_scored = len({batch for batch, status in answers})\n"
              "scored_twice = sum(1 for batch in {b for b, _ in answers}\n"
              "                   if sum(s == \"scored\" for b, s in answers if b == batch) > 1)"),
)

q3 = Exercise(
    "q3", variables=("levels_of",), checker=_check_levels,
    hint="Level 1: manual. Level 2: automation and reproducibility. Level 3: CI/CD, Chaos Monkey, rollback.",
    solution="levels_of = {practices[0]: 1, practices[1]: 2, practices[2]: 3, practices[3]: 3}",
)
