"""Exercises of chapter 04 (the monitoring pipeline, lecture 5.3).

q1 PSI by hand, q2 false alarms when many columns are tested, q3 the label-free F1 estimate,
q4 an alert rule file.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlops_edu.monitoring.alerts import AlertRuleError, load_rules
from mlops_edu.monitoring.drift import psi_from_shares
from mlops_edu.monitoring.performance import expected_counts
from mlops_edu.training.metrics import metric_from_counts
from mlops_edu.workbook.exercises import Exercise

REF_COUNTS = (250, 250, 250, 250)
CUR_COUNTS = (100, 250, 250, 400)
Q3_PROBA = (0.9, 0.6, 0.3, 0.2, 0.1)
Q3_OFFERS = (1, 1, 1, 0, 0)


def _number(value: Any, name: str) -> float:
    assert isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool), (
        f"`{name}` should be a number, got {type(value).__name__}")
    return float(value)


def _check_psi(psi_by_hand: float) -> str:
    value = _number(psi_by_hand, "psi_by_hand")
    ref = np.array(REF_COUNTS) / sum(REF_COUNTS)
    cur = np.array(CUR_COUNTS) / sum(CUR_COUNTS)
    expected = psi_from_shares(ref, cur)
    assert not math.isclose(value, -expected, abs_tol=1e-6), (
        "the logarithm is ln(current / reference), not ln(reference / current)")
    assert not math.isclose(value, float(np.sum(cur * np.log(cur / ref))), abs_tol=1e-4), (
        "that is the Kullback-Leibler divergence KL(current || reference); PSI multiplies the log by "
        "(current - reference), which makes it symmetric")
    assert value >= 0, "PSI is never negative: each term (a - e) ln(a / e) is >= 0"
    assert math.isclose(value, expected, abs_tol=1e-4), f"expected {expected:.4f}, got {value:.4f}"
    moved = (CUR_COUNTS[-1] - REF_COUNTS[-1]) / sum(CUR_COUNTS)
    return (f"PSI = {expected:.3f}: {moved:.0%} of the customers moved from the first bin to the last, a "
            "'moderate' shift by the rule of thumb (0.1 to 0.25).")


def _check_p_any(p_any: float, n_columns: int) -> str:
    value = _number(p_any, "p_any")
    assert not math.isclose(value, n_columns * 0.05, abs_tol=1e-6), (
        f"{n_columns} x 0.05 is the expected *number* of false flags; the question asks for the probability "
        "that at least one column is flagged")
    assert not math.isclose(value, 0.95 ** n_columns, abs_tol=1e-6), (
        "0.95 ** k is the probability that *no* column is flagged; take the complement")
    expected = 1 - 0.95 ** n_columns
    assert math.isclose(value, expected, abs_tol=1e-3), f"expected 1 - 0.95 ** {n_columns} = {expected:.3f}, got {value:.3f}"
    return (f"with {n_columns} independent tests at p 0.05, a month with no drift at all raises at least one "
            f"flag with probability {expected:.2f}")


def _check_f1_est(f1_estimated: float) -> str:
    value = _number(f1_estimated, "f1_estimated")
    counts = expected_counts(Q3_PROBA, Q3_OFFERS)
    expected = float(metric_from_counts("f1", counts))
    naive = 2 * 3 / (2 * 3 + 0 + 0)
    assert not math.isclose(value, naive, abs_tol=1e-6), (
        "a customer who gets an offer is a true positive only with probability p: use p and 1 - p, not 1 and 0")
    assert math.isclose(value, expected, abs_tol=1e-3), (
        f"expected TP = 0.9 + 0.6 + 0.3, FP = 0.1 + 0.4 + 0.7, FN = 0.2 + 0.1; F1 = 2TP / (2TP + FP + FN) = "
        f"{expected:.3f}, got {value:.3f}")
    return f"F1 is about {expected:.3f} before a single label has arrived (if the probabilities are calibrated)."


def _check_rules(my_rules: str) -> str:
    assert isinstance(my_rules, str), f"`my_rules` should be the TOML text (a string), got {type(my_rules).__name__}"
    try:
        rules = load_rules(my_rules if "\n" in my_rules else my_rules + "\n")
    except AlertRuleError as error:
        raise AssertionError(f"the rule file is refused: {error}") from None
    assert set(rules) == {"error_rate", "f1_realised"}, (
        f"write exactly two rules, [error_rate] and [f1_realised]; got {sorted(rules)}")
    err, f1 = rules["error_rate"], rules["f1_realised"]
    assert err.above is not None and math.isclose(err.above, 0.02), "error_rate should fire above 0.02"
    assert f1.below is not None and math.isclose(f1.below, 0.6), "f1_realised should fire below 0.6"
    assert err.action == "page", "a failing server needs a person now: action = \"page\""
    assert f1.action == "retrain", "a quality drop starts the retraining pipeline: action = \"retrain\""
    assert err.fires(0.05) and not err.fires(0.01) and f1.fires(0.55) and not f1.fires(0.65)
    return "both rules load, validate and fire where they should."


q1 = Exercise(
    "q1", variables=("psi_by_hand",), checker=_check_psi,
    hint="Turn both count lists into shares, then sum (current - reference) * ln(current / reference) over the bins.",
    solution=("ref = np.array(ref_counts) / sum(ref_counts)\ncur = np.array(cur_counts) / sum(cur_counts)\n"
              "psi_by_hand = float(np.sum((cur - ref) * np.log(cur / ref)))"),
)

q2 = Exercise(
    "q2", variables=("p_any", "n_columns"), checker=_check_p_any,
    hint="P(no column flagged) = 0.95 ** n_columns when the tests are independent; you want the complement.",
    solution="p_any = 1 - 0.95 ** n_columns",
)

q3 = Exercise(
    "q3", variables=("f1_estimated",), checker=_check_f1_est,
    hint=("Among customers with an offer, expected TP = sum of p and expected FP = sum of (1 - p); among those "
          "without, expected FN = sum of p. Then F1 = 2TP / (2TP + FP + FN)."),
    solution=("p, offer = np.array(q3_proba), np.array(q3_offers) == 1\n"
              "tp, fp, fn = p[offer].sum(), (1 - p[offer]).sum(), p[~offer].sum()\n"
              "f1_estimated = 2 * tp / (2 * tp + fp + fn)"),
)

q4 = Exercise(
    "q4", variables=("my_rules",), checker=_check_rules,
    hint='One TOML table per signal, e.g. [error_rate] with above = 0.02 and action = "page".',
    solution=('my_rules = """\n[error_rate]\nabove = 0.02\naction = "page"\n\n'
              '[f1_realised]\nbelow = 0.6\naction = "retrain"\n"""'),
)
