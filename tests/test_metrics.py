"""The one confusion / F1 implementation agrees with scikit-learn, row by row and vectorised."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from mlops_edu.training import TrainingError, best_threshold, classification_metrics
from mlops_edu.training.metrics import confusion_counts, metric_from_counts

SKLEARN = {"accuracy": accuracy_score, "f1": lambda y, p: f1_score(y, p, zero_division=0),
           "precision": lambda y, p: precision_score(y, p, zero_division=0),
           "recall": lambda y, p: recall_score(y, p, zero_division=0)}


@pytest.mark.parametrize("seed", range(5))
def test_metrics_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    preds = rng.integers(0, 2, (7, 300))
    preds[0] = 0                                   # nobody flagged: precision undefined -> 0
    rows = confusion_counts(y, preds)
    for metric, fn in SKLEARN.items():
        vectorised = metric_from_counts(metric, rows)
        for i, pred in enumerate(preds):
            expected = fn(y, pred)
            assert metric_from_counts(metric, confusion_counts(y, pred)) == pytest.approx(expected)
            assert vectorised[i] == pytest.approx(expected)


def test_classification_metrics_and_threshold_search_agree_with_sklearn():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    proba = np.clip(0.3 * y + rng.random(400) * 0.7, 0, 1)
    m = classification_metrics(y, proba, threshold=0.4)
    pred = (proba >= 0.4).astype(int)
    for metric, fn in SKLEARN.items():
        assert m[metric] == pytest.approx(fn(y, pred))
    t, score = best_threshold(y, proba)
    assert score == pytest.approx(max(f1_score(y, (proba >= g).astype(int)) for g in np.round(np.arange(0.05, 0.955, 0.01), 2)))
    assert f1_score(y, (proba >= t).astype(int)) == pytest.approx(score)


def test_bad_labels_are_named():
    with pytest.raises(TrainingError, match="0/1"):
        confusion_counts([0, 2], [0, 1])
    with pytest.raises(TrainingError, match="3 labels"):
        confusion_counts([0, 1, 1], [0, 1])


# --------------------------------------------------------------------------------------------------
# the paired bootstrap and the one gate
# --------------------------------------------------------------------------------------------------

from mlops_edu import business  # noqa: E402
from mlops_edu.training import GateDecision, Interval, deploy_gate, interval_gate, paired_bootstrap  # noqa: E402


def _two_models(n, seed, acc_a=0.8, acc_b=0.78):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    a = np.where(rng.random(n) < acc_a, y, 1 - y)
    b = np.where(rng.random(n) < acc_b, y, 1 - y)
    return y, a, b


@pytest.mark.parametrize("statistic", ["f1", "value_per_customer"])
def test_bootstrap_of_counts_equals_resampling_rows(statistic):
    """Multinomial draws of the 8 kinds of rows give the same interval as resampling row indices."""
    y, a, b = _two_models(600, seed=1)
    fast = paired_bootstrap(y, a, b, statistic, n_resamples=20000, seed=3)
    rng = np.random.default_rng(7)
    diffs = []
    for _ in range(4000):
        i = rng.integers(0, len(y), len(y))
        if statistic == "f1":
            diffs.append(f1_score(y[i], a[i]) - f1_score(y[i], b[i]))
        else:
            diffs.append((business.business_value(y[i], a[i]) - business.business_value(y[i], b[i])) / len(y))
    low, high = np.quantile(diffs, [0.025, 0.975])
    width = high - low
    assert fast.low == pytest.approx(low, abs=0.06 * width) and fast.high == pytest.approx(high, abs=0.06 * width)
    expected = (f1_score(y, a) - f1_score(y, b) if statistic == "f1" else
                (business.business_value(y, a) - business.business_value(y, b)) / len(y))
    assert fast.estimate == pytest.approx(expected)


def test_bootstrap_is_seeded_and_decides_by_sample_size():
    y, a, b = _two_models(400, seed=2)
    first = paired_bootstrap(y, a, b, "f1", seed=4)
    assert first == paired_bootstrap(y, a, b, "f1", seed=4)
    assert first != paired_bootstrap(y, a, b, "f1", seed=5)
    assert first.low < 0 < first.high and not first.clears(0.0)           # 400 rows: within noise
    y, a, b = _two_models(40000, seed=2)
    assert paired_bootstrap(y, a, b, "f1", seed=4).clears(0.0)               # the same gap on 40,000 rows: real


def test_bootstrap_of_a_model_against_itself_and_of_a_callable():
    y, a, _ = _two_models(300, seed=0)
    same = paired_bootstrap(y, a, a, "value_per_customer")
    assert (same.estimate, same.low, same.high) == (0.0, 0.0, 0.0) and not same.clears(0.0)
    total = paired_bootstrap(y, a, np.zeros_like(y), "business_value", seed=1)
    per = paired_bootstrap(y, a, np.zeros_like(y), "value_per_customer", seed=1)
    assert total.estimate == business.business_value(y, a) and per.estimate == pytest.approx(total.estimate / 300)

    def tp(counts):
        return np.asarray(counts["tp"], dtype=float)
    iv = paired_bootstrap(y, a, np.zeros_like(y), tp, seed=1)
    assert iv.statistic == "tp" and iv.estimate == float(((a == 1) & (y == 1)).sum())


def test_bootstrap_refuses_bad_input():
    y, a, b = _two_models(50, seed=0)
    with pytest.raises(TrainingError, match="at least 1000"):
        paired_bootstrap(y, a, b, n_resamples=999)
    with pytest.raises(TrainingError, match="same non-zero length"):
        paired_bootstrap(y, a[:-1], b)
    with pytest.raises(TrainingError, match="unknown statistic"):
        paired_bootstrap(y, a, b, "dollars")


def test_one_gate_two_rules():
    assert deploy_gate({"f1": 0.8}, 0.8).passed                      # the lecture's ">= 0.8": reaching passes
    at_margin = interval_gate(Interval("f1", 0.01, 0.0, 0.02, 0.95, 2000, 0), margin=0.0)
    assert isinstance(at_margin, GateDecision) and not at_margin.passed   # a lower bound must exceed the margin
    assert interval_gate(Interval("f1", 0.01, 0.001, 0.02, 0.95, 2000, 0), margin=0.0).next_step == "deploy"
    assert str(deploy_gate({"f1": 0.62}, 0.8)) == "test f1 = 0.620 < threshold 0.800 -> back to training"
