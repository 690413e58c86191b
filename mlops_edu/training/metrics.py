"""The one implementation of classification metrics, the metric gate and the threshold search.

Lecture 5.1 (evaluate the candidates), the seed-004 deploy gate, and section 10 step 4 (the F1 check).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from mlops_edu.training.models import TrainingError


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
    y_true: 0/1 labels (1 = churned).
    proba: churn probabilities, 1-d, or the 2-column output of ``predict_proba``.
    threshold: a customer is predicted to churn when ``proba >= threshold``.

    Returns
    -------
    ``{"accuracy", "precision", "recall", "f1", "roc_auc"}`` as Python floats (ROC AUC is NaN when
    ``y_true`` holds one class only).

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
    pred = (p >= threshold).astype(int)
    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "roc_auc": auc,
    }



# The deploy gate of seed 004
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GateDecision:
    """The outcome of :func:`deploy_gate`."""

    metric: str
    value: float
    threshold: float

    @property
    def passed(self) -> bool:
        return self.value >= self.threshold

    @property
    def next_step(self) -> str:
        return "deploy" if self.passed else "back to training"

    def __str__(self) -> str:
        sign = ">=" if self.passed else "<"
        return (f"test {self.metric} = {self.value:.3f} {sign} threshold {self.threshold:.3f} -> "
                f"{self.next_step}")


def deploy_gate(test_metrics: Mapping[str, float], threshold: float, metric: str = "f1") -> GateDecision:
    """Seed 004's gate: deploy only when the chosen model's **test** ``metric`` reaches ``threshold``.

    Example
    -------
    >>> print(deploy_gate({"f1": 0.62}, threshold=0.8))
    test f1 = 0.620 < threshold 0.800 -> back to training
    """
    if metric not in test_metrics:
        raise TrainingError(f"deploy_gate: metric {metric!r} not in the metrics {sorted(test_metrics)}")
    if not 0.0 <= threshold <= 1.0:
        raise TrainingError(f"deploy_gate: threshold must lie in [0, 1], got {threshold}")
    return GateDecision(metric=metric, value=float(test_metrics[metric]), threshold=float(threshold))


def best_threshold(y_true: Sequence[int] | pd.Series, proba: Any, metric: str = "f1",
                   grid: Sequence[float] | None = None) -> tuple[float, float]:
    """The decision threshold that maximises ``metric`` on (validation!) data: ``(threshold, score)``.

    One of the "back to training" moves: tune the threshold on validation data, never on the test set.
    ``grid`` defaults to 0.05, 0.06, ..., 0.95; ties go to the lowest threshold.
    """
    if metric not in ("accuracy", "precision", "recall", "f1"):
        raise TrainingError(f"best_threshold: {metric!r} does not depend on a threshold; "
                            "choose accuracy, precision, recall or f1")
    y = np.asarray(y_true).astype(bool)
    p = _positive_proba(proba)
    thresholds = np.round(np.arange(0.05, 0.955, 0.01), 2) if grid is None else np.asarray(grid, dtype=float)
    pred = p[None, :] >= thresholds[:, None]
    tp = (pred & y).sum(axis=1).astype(float)
    fp = (pred & ~y).sum(axis=1).astype(float)
    fn = (~pred & y).sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = {
            "accuracy": (tp + (~pred & ~y).sum(axis=1)) / len(y),
            "precision": np.where(tp + fp > 0, tp / (tp + fp), 0.0),
            "recall": np.where(tp + fn > 0, tp / (tp + fn), 0.0),
            "f1": np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0),
        }[metric]
    i = int(np.argmax(scores))
    return float(thresholds[i]), float(scores[i])


