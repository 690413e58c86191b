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
