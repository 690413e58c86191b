"""Exercises of chapter 09 (the end-to-end lab, lecture section 10).

q1 the business value in dollars, q2 the F1 floor that follows from the business case, q3 promotion as
an alias move, q4 the model URI batch inference loads.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from mlops_edu.deployment.registry import MODEL_NAME
from mlops_edu.workbook.exercises import Exercise, NotAttempted, contains_placeholder


def _check_value(value: float) -> str:
    assert isinstance(value, (int, float)), f"`value` should be a number of dollars, got {type(value).__name__}"
    assert not math.isclose(value, 120 * 1500 - 80 * 500), (
        "you left out the 60 churners the model missed: each false negative costs $2000")
    assert not math.isclose(value, 120 * 2000 - 80 * 500 - 60 * 2000), (
        "a true positive is worth $2000 - $500 = $1500: the kept customer minus the discount they received")
    assert not math.isclose(value, 120 * 1500 + 80 * 500 - 60 * 2000), "a false positive costs the discount: subtract it"
    assert math.isclose(value, 20_000), f"expected 120 x 1500 - 80 x 500 - 60 x 2000 = 20000, got {value}"
    return "120 x $1500 - 80 x $500 - 60 x $2000 = $20,000: the missed churners cost more than the wasted discounts."


def _check_uri(champion_uri: str) -> str:
    assert isinstance(champion_uri, str), f"`champion_uri` should be a string, got {type(champion_uri).__name__}"
    uri = champion_uri.strip()
    assert uri.startswith("models:/"), "registry URIs start with 'models:/' (runs:/ would pin one training run)"
    assert MODEL_NAME in uri, f"use the registered model's three-part name {MODEL_NAME!r}"
    assert "@Challenger" not in uri, "the Challenger has not passed validation yet: production never loads it"
    assert "@" in uri, ("a version number pins one model: every promotion or rollback would need a change to the "
                        "inference code. Load it by alias instead")
    assert uri == f"models:/{MODEL_NAME}@Champion", f"expected 'models:/{MODEL_NAME}@Champion', got {uri!r}"
    return "batch inference loads whatever @Champion points to: promotion and rollback move the alias, not the code."


def _check_floor(f1_floor: float) -> str:
    assert isinstance(f1_floor, (int, float)), f"`f1_floor` should be a number, got {type(f1_floor).__name__}"
    assert not math.isclose(f1_floor, 0.15, abs_tol=1e-3), (
        "0.15 = 300/2000 is the break-even *precision*; turn it into an F1 with recall at most 1")
    assert not math.isclose(f1_floor, 0.4, abs_tol=1e-3), "0.4 is the floor for a $500 discount; this one costs $300"
    p = 300 / 2000
    assert math.isclose(f1_floor, 2 * p / (1 + p), abs_tol=1e-3), (
        f"expected 2p/(1+p) with p = 300/2000, i.e. about 0.261, got {f1_floor}")
    return "a cheaper discount pays off at a lower precision (0.15), so the F1 floor drops to about 0.261."


def _check_promotion(promote_aliases: Callable[[dict[str, int], int], Any]) -> str:
    assert callable(promote_aliases), "`promote_aliases` should be a function (aliases, challenger) -> aliases"
    cases = [
        ({"Challenger": 1}, 1, {"Champion": 1}),
        ({"Champion": 1, "Challenger": 2}, 2, {"Champion": 2}),
        ({"Champion": 2, "Challenger": 3, "Shadow": 1}, 3, {"Champion": 3, "Shadow": 1}),
    ]
    for before, challenger, expected in cases:
        copy = dict(before)
        result = promote_aliases(copy, challenger)
        if contains_placeholder(result):
            raise NotAttempted("promote_aliases")
        assert isinstance(result, dict), f"promote_aliases should return a dict, got {type(result).__name__}"
        assert "Challenger" not in result, f"after a promotion the Challenger alias is removed; got {result}"
        assert result.get("Champion") == challenger, (
            f"Champion should point to version {challenger} for {before}, got {result}")
        assert result == expected, f"for {before} expected {expected} (other aliases stay), got {result}"
    return "promotion is two alias moves: Champion -> the validated version, Challenger deleted; nothing else changes."


q1 = Exercise(
    "q1", variables=("value",), checker=_check_value,
    hint="value = TP x 1500 - FP x 500 - FN x 2000 (true negatives are worth nothing either way).",
    solution="value = 120 * 1500 - 80 * 500 - 60 * 2000",
)

q2 = Exercise(
    "q2", variables=("f1_floor",), checker=_check_floor,
    hint="Break-even precision p = discount / cost of a lost customer; the F1 floor is 2p / (1 + p).",
    solution="p = 300 / 2000\nf1_floor = 2 * p / (1 + p)",
)

q3 = Exercise(
    "q3", variables=("promote_aliases",), checker=_check_promotion,
    hint="Copy the dict, set result['Champion'] = challenger, then remove the 'Challenger' key.",
    solution=("def promote_aliases(aliases, challenger):\n"
              "    result = {k: v for k, v in aliases.items() if k != \"Challenger\"}\n"
              "    result[\"Champion\"] = challenger\n"
              "    return result"),
)

q4 = Exercise(
    "q4", variables=("champion_uri",), checker=_check_uri,
    hint="models:/<three-part name>@<alias>: which alias does production follow?",
    solution='champion_uri = "models:/workbook.mlops.mlops_churn@Champion"',
)
