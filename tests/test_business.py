"""The one business accounting (relative to doing nothing: TP +1500, FP -500, FN 0, TN 0) and its properties."""

import numpy as np
import pytest

from mlops_edu import business


def _random_case(rng, n=200):
    y = rng.integers(0, 2, n)
    pred = rng.integers(0, 2, n)
    return y, pred


def test_flagging_nobody_is_worth_exactly_zero():
    rng = np.random.default_rng(0)
    for _ in range(50):
        y, _ = _random_case(rng)
        assert business.business_value(y, np.zeros_like(y)) == 0.0


def test_a_perfect_model_is_worth_1500_per_churner():
    rng = np.random.default_rng(1)
    for _ in range(50):
        y, _ = _random_case(rng)
        assert business.business_value(y, y) == 1500.0 * y.sum() == business.perfect_value(y)


def test_value_is_linear_in_the_counts():
    rng = np.random.default_rng(2)
    y1, p1 = _random_case(rng)
    y2, p2 = _random_case(rng)
    joined = business.business_value(np.r_[y1, y2], np.r_[p1, p2])
    assert joined == business.business_value(y1, p1) + business.business_value(y2, p2)
    assert business.business_value([1, 1, 0, 1], [1, 0, 1, 1]) == 2 * 1500 - 500


def test_a_double_counting_formula_fails_the_zero_property():
    """The sign error of a formula that also counts missed churners (-2000 per FN, or +2000 as a gain)."""
    y = np.array([1, 0, 1, 0, 0])
    nobody = np.zeros_like(y)

    def double_counting(y_true, y_pred):
        tp = int(((y_true == 1) & (y_pred == 1)).sum())
        fp = int(((y_true == 0) & (y_pred == 1)).sum())
        fn = int(((y_true == 1) & (y_pred == 0)).sum())
        return tp * 1500 - fp * 500 - fn * 2000

    assert double_counting(y, nobody) != 0.0
    assert business.business_value(y, nobody) == 0.0


def test_trivial_policies_and_break_even():
    y = np.array([1] * 30 + [0] * 70)   # churn 30 % > 25 %: offers for everyone pay off
    values = business.trivial_policy_values(y)
    assert values == {"no offers": 0.0, "offers for everyone": 30 * 1500.0 - 70 * 500.0}
    assert business.best_trivial_policy(y) == ("offers for everyone", 10000.0)
    assert business.best_trivial_policy(np.array([1] * 20 + [0] * 80)) == ("no offers", 0.0)
    assert business.break_even_precision() == 0.25
    assert business.offer_expected_value(0.25) == 0.0
    assert business.offer_expected_value(0.5) == pytest.approx(500.0)
    with pytest.raises(ValueError, match="cost_discount"):
        business.break_even_precision(cost_churn=100, cost_discount=500)


def test_break_even_f1_guarantees_break_even_precision():
    assert business.break_even_f1() == 0.4
    assert business.break_even_f1(cost_churn=1000, cost_discount=500) == pytest.approx(2 / 3, abs=1e-6)
    rng = np.random.default_rng(0)
    for _ in range(2000):
        tp, fp, fn = rng.integers(0, 100, 3)
        if tp == 0:
            continue
        f1 = 2 * tp / (2 * tp + fp + fn)
        if f1 >= 0.4:
            assert tp / (tp + fp) >= 0.25 - 1e-12


def test_offers_for_everyone_pass_an_f1_04_gate():
    """Why F1 >= 0.4 is a floor and not a gate: a no-skill policy at churn rate 26.5 % passes it."""
    from mlops_edu.training.metrics import confusion_counts, metric_from_counts

    y = np.array([1] * 265 + [0] * 735)
    f1_everyone = metric_from_counts("f1", confusion_counts(y, np.ones_like(y)))
    assert f1_everyone == pytest.approx(2 * 0.265 / 1.265, abs=1e-9)
    assert f1_everyone >= business.break_even_f1()


def _step04_formula(y_true, y_pred):
    """The dollar value as the public mlops-end2end step 04 counts it (in our words): a missed churner is +2000."""
    from mlops_edu.training.metrics import confusion_counts

    c = confusion_counts(y_true, y_pred)
    return c["tp"] * 1500 - c["fp"] * 500 + c["fn"] * 2000


def test_accounting_properties_pass_for_ours_and_catch_the_sign_error():
    y = np.array([1, 0, 0, 1, 1, 0, 0, 0, 1, 0])
    ours = business.accounting_properties(business.business_value, y)
    assert all(ours.values()) and len(ours) == 3
    theirs = business.accounting_properties(_step04_formula, y)
    assert theirs["flagging nobody is worth $0"] is False
    assert theirs["a perfect model is worth $1,500 x churners"] is True    # the error hides from this property
    assert _step04_formula(y, np.zeros_like(y)) > _step04_formula(y, y)   # doing nothing beats a perfect model


def test_policy_table_shows_both_baselines_and_their_f1():
    y = np.array([1] * 27 + [0] * 73)
    table = business.policy_table(y, {"model": np.r_[np.ones(20), np.zeros(80)]})
    assert list(table.index) == ["no offers", "offers for everyone", "model"]
    assert table.loc["no offers", "dollars"] == 0.0 and table.loc["no offers", "f1"] == 0.0
    assert table.loc["offers for everyone", "dollars"] == 27 * 1500 - 73 * 500
    assert table.loc["offers for everyone", "f1"] == round(2 * 0.27 / 1.27, 3) >= business.break_even_f1()
    assert table.loc["model", "dollars"] == 20 * 1500 and table.loc["model", "flagged"] == 0.2
