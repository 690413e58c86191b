"""The one implementation of classification metrics, the metric gate and the threshold search.

Lecture 5.1 (evaluate the candidates), the deploy gate of the ML pipeline overview, and section 10 step 4
(the F1 check). Whether a difference between two models is more than noise: :mod:`mlops_edu.training.bootstrap`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from mlops_edu.training.models import TrainingError


THRESHOLD_METRICS: tuple[str, ...] = ("accuracy", "precision", "recall", "f1")
"""Metrics computed from the confusion counts (they depend on the decision threshold)."""


def _labels(values: Any, what: str) -> np.ndarray:
    a = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else
                   (values if hasattr(values, "__array__") else list(values)))
    bad = sorted(set(np.unique(a).tolist()) - {0, 1, False, True})
    if bad:
        raise TrainingError(f"{what}: labels must be 0/1 (1 = churn), found {bad[:5]}")
    return a.astype(bool)


def confusion_counts(y_true: Any, y_pred: Any) -> dict[str, Any]:
    """True/false positives/negatives of 0/1 predictions against 0/1 labels (1 = churn).

    The one confusion implementation of the package: ``y_pred`` is one row of predictions (counts are
    ints) or a 2-d array with one row per model or threshold (counts are arrays, one per row).

    Parameters
    ----------
    y_true : array-like of 0/1
        The labels.
    y_pred : array-like of 0/1, shape (n,) or (m, n)
        The predictions.

    Returns
    -------
    dict
        ``{"tp", "fp", "fn", "tn"}``.

    Examples
    --------
    >>> confusion_counts([1, 0, 1, 0], [1, 1, 0, 0])
    {'tp': 1, 'fp': 1, 'fn': 1, 'tn': 1}
    >>> confusion_counts([1, 0], [[1, 0], [1, 1]])["fp"].tolist()
    [0, 1]
    """
    y = _labels(y_true, "y_true")
    pred = _labels(y_pred, "y_pred")
    if pred.shape[-1] != y.shape[0] or pred.ndim > 2:
        raise TrainingError(f"confusion_counts: y_true has {y.shape[0]} labels but y_pred has shape {pred.shape}")
    counts = {"tp": (pred & y).sum(axis=-1), "fp": (pred & ~y).sum(axis=-1),
              "fn": (~pred & y).sum(axis=-1), "tn": (~pred & ~y).sum(axis=-1)}
    if pred.ndim == 1:
        return {k: int(v) for k, v in counts.items()}
    return counts


def metric_from_counts(metric: str, counts: Mapping[str, Any]) -> Any:
    """Accuracy, precision, recall or F1 from :func:`confusion_counts` (0.0 where undefined, like sklearn's
    ``zero_division=0``); vectorised over rows when the counts are arrays.

    Parameters
    ----------
    metric : {"accuracy", "precision", "recall", "f1"}
        Another name raises ``KeyError``.
    counts : mapping
        ``{"tp", "fp", "fn", "tn"}`` (ints or arrays).

    Returns
    -------
    float or numpy.ndarray

    >>> metric_from_counts("f1", {"tp": 1, "fp": 1, "fn": 1, "tn": 1})
    0.5
    """
    tp, fp, fn, tn = (np.asarray(counts[k], dtype=float) for k in ("tp", "fp", "fn", "tn"))
    num, den = {"accuracy": (tp + tn, tp + fp + fn + tn), "precision": (tp, tp + fp),
                "recall": (tp, tp + fn), "f1": (2 * tp, 2 * tp + fp + fn)}[metric]
    value = np.where(den > 0, num / np.maximum(den, 1), 0.0)
    return float(value) if value.ndim == 0 else value


def _positive_proba(proba: Any) -> np.ndarray:
    p = np.asarray(proba, dtype=float)
    if p.ndim == 2:
        if p.shape[1] != 2:
            raise TrainingError(f"proba: expected one column or two (P(no), P(yes)), got shape {p.shape}")
        p = p[:, 1]
    if p.ndim != 1:
        raise TrainingError(f"proba: expected a 1-d array of churn probabilities, got shape {p.shape}")
    if len(p) and (np.nanmin(p) < 0 or np.nanmax(p) > 1):
        raise TrainingError("proba: probabilities must lie in [0, 1]")
    return p


def classification_metrics(y_true: Sequence[int] | np.ndarray | pd.Series, proba: Any,
                           threshold: float = 0.5) -> dict[str, float]:
    """Accuracy, precision, recall, F1 (churn = Yes is the positive class) and ROC AUC.

    Parameters
    ----------
    y_true : array-like of 0/1
        Labels (1 = churned).
    proba : array-like of float
        Churn probabilities, 1-d, or the 2-column output of ``predict_proba``.
    threshold : float
        A customer is predicted to churn when ``proba >= threshold``.

    Returns
    -------
    dict of str to float
        ``{"accuracy", "precision", "recall", "f1", "roc_auc"}`` as Python floats (ROC AUC is NaN when
        ``y_true`` holds one class only).

    Raises
    ------
    TrainingError
        For labels that are not 0/1, probabilities outside [0, 1], lengths that differ, no rows, or a
        threshold outside [0, 1].

    Example
    -------
    >>> classification_metrics([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.3])["precision"]
    1.0
    """
    y = np.asarray(y_true)
    p = _positive_proba(proba)
    if len(y) != len(p):
        raise TrainingError(f"y_true has {len(y)} rows but proba has {len(p)}")
    if len(y) == 0:
        raise TrainingError("classification_metrics: y_true is empty")
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise TrainingError(f"y_true must be 0/1, found {sorted(set(np.unique(y).tolist()) - {0, 1})[:5]}")
    if not 0.0 <= threshold <= 1.0:
        raise TrainingError(f"threshold must lie in [0, 1], got {threshold}")
    counts = confusion_counts(y, p >= threshold)
    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")
    return {**{m: metric_from_counts(m, counts) for m in THRESHOLD_METRICS}, "roc_auc": auc}



# The deploy gate (the ML pipeline overview's "deploy condition met?"; section 10.5's F1 check)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GateDecision:
    """The one deploy gate of the package: a number, the bar declared before it was seen, the verdict.

    Two rules produce it: :func:`deploy_gate` (a metric must *reach* a threshold, the lecture's "F1 >= 0.8")
    and :func:`mlops_edu.training.bootstrap.interval_gate` (an interval's lower bound must *exceed* a margin,
    the noise-aware rule of chapters 02 and 09).

    Attributes
    ----------
    metric : str
        What the rule looks at, e.g. ``"f1"`` or ``"value_per_customer"``.
    value : float
        The number compared: the metric, or the lower bound of an interval.
    threshold : float
        The bar.
    what : str
        How the number is named in sentences, e.g. ``"test f1"``.
    strict : bool
        ``value > threshold`` is needed (True) or ``value >= threshold`` is enough (False).
    """

    metric: str
    value: float
    threshold: float
    what: str = ""
    strict: bool = False

    @property
    def passed(self) -> bool:
        return self.value > self.threshold if self.strict else self.value >= self.threshold

    @property
    def next_step(self) -> str:
        return "deploy" if self.passed else "back to training"

    def __str__(self) -> str:
        sign = (">" if self.strict else ">=") if self.passed else ("<=" if self.strict else "<")
        return (f"{self.what or self.metric} = {self.value:.3f} {sign} threshold {self.threshold:.3f} -> "
                f"{self.next_step}")


def deploy_gate(test_metrics: Mapping[str, float], threshold: float, metric: str = "f1") -> GateDecision:
    """The metric gate: deploy only when the chosen model's **test** ``metric`` reaches ``threshold``.

    Parameters
    ----------
    test_metrics : mapping of str to float
        The chosen model's test metrics.
    threshold : float
        The bar, in [0, 1], declared before the test.
    metric : str
        Key of ``test_metrics``.

    Returns
    -------
    GateDecision

    Raises
    ------
    TrainingError
        When ``metric`` is missing or ``threshold`` lies outside [0, 1].

    Example
    -------
    >>> print(deploy_gate({"f1": 0.62}, threshold=0.8))
    test f1 = 0.620 < threshold 0.800 -> back to training
    """
    if metric not in test_metrics:
        raise TrainingError(f"deploy_gate: metric {metric!r} not in the metrics {sorted(test_metrics)}")
    if not 0.0 <= threshold <= 1.0:
        raise TrainingError(f"deploy_gate: threshold must lie in [0, 1], got {threshold}")
    return GateDecision(metric=metric, value=float(test_metrics[metric]), threshold=float(threshold),
                        what=f"test {metric}")


def best_threshold(y_true: Sequence[int] | pd.Series, proba: Any, metric: str = "f1",
                   grid: Sequence[float] | None = None) -> tuple[float, float]:
    """The decision threshold that maximises ``metric`` on (validation!) data: ``(threshold, score)``.

    One of the "back to training" moves: tune the threshold on validation data, never on the test set.
    ``grid`` defaults to 0.05, 0.06, ..., 0.95; ties go to the lowest threshold.

    Parameters
    ----------
    y_true : array-like of 0/1
        Validation labels.
    proba : array-like of float
        Churn probabilities (1-d, or two columns).
    metric : {"accuracy", "precision", "recall", "f1"}
    grid : sequence of float, optional
        Thresholds to try.

    Returns
    -------
    tuple of (float, float)

    Raises
    ------
    TrainingError
        For a metric that does not depend on a threshold, and as :func:`confusion_counts`.
    """
    if metric not in THRESHOLD_METRICS:
        raise TrainingError(f"best_threshold: {metric!r} does not depend on a threshold; "
                            "choose accuracy, precision, recall or f1")
    p = _positive_proba(proba)
    thresholds = np.round(np.arange(0.05, 0.955, 0.01), 2) if grid is None else np.asarray(grid, dtype=float)
    scores = metric_from_counts(metric, confusion_counts(y_true, p[None, :] >= thresholds[:, None]))
    i = int(np.argmax(scores))
    return float(thresholds[i]), float(scores[i])


