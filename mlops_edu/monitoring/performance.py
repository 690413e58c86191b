"""Model quality in production, with and without labels (lecture 5.3, "model quality").

Labels arrive late (a customer has churned or not only a month later), so monitoring has two views:

* **realised quality** (:func:`realised_quality`): once the labels of a month are known, the same
  metrics and dollars as at training time (:func:`mlops_edu.training.classification_metrics`,
  :func:`mlops_edu.business.business_value`);
* **estimated quality without labels** (:func:`estimate_quality`), the confidence-based idea (NannyML's
  CBPE): if the model's probabilities are calibrated, a customer scored p who gets an offer is a true
  positive with probability p and a false positive with probability 1 - p, so summing p and 1 - p over
  the batch gives the *expected* confusion matrix, and from it F1 and dollars. The calibration is learnt
  once, on labelled validation rows (:func:`fit_calibrator`, isotonic regression).

The estimate follows the real F1 when only the inputs drift (the calibration P(churn | X) still holds) and
is blind to concept drift, where P(churn | X) itself changed: only realised quality shows that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression

from mlops_edu.business import business_value, value_of_counts
from mlops_edu.training.metrics import classification_metrics, confusion_counts, metric_from_counts


@dataclass(frozen=True)
class Calibrator:
    """Maps the model's churn scores to calibrated probabilities (isotonic regression on labelled rows)."""

    isotonic: IsotonicRegression

    def __call__(self, proba: Any) -> np.ndarray:
        return np.clip(self.isotonic.predict(np.asarray(proba, dtype=float)), 0.0, 1.0)


def fit_calibrator(proba: Any, y: Any) -> Calibrator:
    """Learn the calibration of a model's scores on labelled validation rows (never on the test set).

    Parameters
    ----------
    proba : array-like of float
        The model's churn scores.
    y : array-like of 0/1
        Their labels.

    Returns
    -------
    Calibrator
        Clips scores outside the fitted range; outputs lie in [0, 1].

    >>> cal = fit_calibrator([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
    >>> cal([0.15, 0.85]).tolist()
    [0.0, 1.0]
    """
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(np.asarray(proba, dtype=float), np.asarray(y, dtype=float))
    return Calibrator(iso)


def expected_counts(calibrated: Any, decisions: Any) -> dict[str, float]:
    """The expected confusion counts of 0/1 ``decisions`` when each row churns with probability ``calibrated``.

    Parameters
    ----------
    calibrated : array-like of float
        Calibrated churn probability per row.
    decisions : array-like of 0/1
        1 = offer.

    Returns
    -------
    dict of str to float
        ``tp``, ``fp``, ``fn``, ``tn``.

    >>> expected_counts([0.75, 0.25], [1, 0])
    {'tp': 0.75, 'fp': 0.25, 'fn': 0.25, 'tn': 0.75}
    """
    p = np.asarray(calibrated, dtype=float)
    d = np.asarray(decisions).astype(bool)
    return {"tp": float(p[d].sum()), "fp": float((1 - p[d]).sum()),
            "fn": float(p[~d].sum()), "tn": float((1 - p[~d]).sum())}


def estimate_quality(proba: Any, decisions: Any, calibrator: Calibrator) -> dict[str, float]:
    """Label-free estimate of F1, precision, recall, churn rate and dollars of one batch (confidence-based).

    Parameters
    ----------
    proba : array-like
        The model's churn scores of the batch.
    decisions : array-like of 0/1
        The offers made (the model's predictions).
    calibrator : Calibrator
        From :func:`fit_calibrator`.

    Returns
    -------
    dict of str to float
        ``f1``, ``precision``, ``recall``, ``churn_rate`` and ``business_value`` (expected dollars relative
        to no offers).
    """
    counts = expected_counts(calibrator(proba), decisions)
    out = {m: float(metric_from_counts(m, counts)) for m in ("f1", "precision", "recall")}
    out["churn_rate"] = (counts["tp"] + counts["fn"]) / max(len(np.asarray(decisions)), 1)
    out["business_value"] = float(value_of_counts(counts["tp"], counts["fp"]))
    return out


def realised_quality(y: Any, proba: Any, decisions: Any) -> dict[str, float]:
    """The real F1, precision, recall, ROC AUC, churn rate and dollars once the labels are known.

    Parameters
    ----------
    y : array-like of 0/1
        The labels that arrived.
    proba : array-like of float
        The model's churn scores (for ROC AUC).
    decisions : array-like of 0/1
        The offers made.

    Returns
    -------
    dict of str to float
        ``f1``, ``precision``, ``recall``, ``roc_auc``, ``churn_rate`` and ``business_value``.
    """
    y_arr = np.asarray(y).astype(int)
    metrics = classification_metrics(y_arr, np.asarray(proba, dtype=float))
    d = np.asarray(decisions).astype(int)
    counts = confusion_counts(y_arr, d)
    out = {m: float(metric_from_counts(m, counts)) for m in ("f1", "precision", "recall")}
    out["roc_auc"] = float(metrics["roc_auc"])
    out["churn_rate"] = float(y_arr.mean())
    out["business_value"] = business_value(y_arr, d)
    return out
