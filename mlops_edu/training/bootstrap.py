"""Is model A really better than model B on these rows? The paired bootstrap (lecture 10.5, 5.1).

The lab compares the Challenger's F1 with the Champion's (section 10, step 4) and the training pipeline
picks among candidates (section 5.1). On a few thousand held-out customers a difference of 0.002 in F1
is noise: drawing another set of customers of the same size could reverse it. The **paired bootstrap**
measures that noise on the rows at hand: resample the held-out rows with replacement many times, score
*both* models on each resample (the same rows for both: that is the pairing) and collect the difference.
The middle 95 % of the differences is the interval; a decision declared in advance ("promote when the
lower bound exceeds a margin") then follows from it.

Every statistic used here (F1, precision, recall, accuracy, dollars) is a function of the confusion
counts, so a resample only needs the counts of the eight (label, decision of A, decision of B) kinds of
rows. Drawing ``n`` rows with replacement gives multinomial counts of those kinds; sampling the counts
directly is the same distribution as sampling row indices, and thousands of resamples take milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_edu.training.metrics import THRESHOLD_METRICS, GateDecision, _labels, metric_from_counts
from mlops_edu.training.models import TrainingError

MIN_RESAMPLES = 1000
"""Fewer resamples than this give a jumpy 95 % interval; :func:`paired_bootstrap` refuses them."""

STATISTICS = (*THRESHOLD_METRICS, "business_value", "value_per_customer")
"""Statistics :func:`paired_bootstrap` knows by name (a callable on the confusion counts works too)."""

Statistic = Callable[[Mapping[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Interval:
    """A paired-bootstrap interval of ``statistic(A) - statistic(B)`` on the same rows.

    Attributes
    ----------
    statistic : str
        What was compared, e.g. ``"f1"`` or ``"value_per_customer"``.
    estimate : float
        The difference on the rows themselves.
    low, high : float
        The percentile interval of the resampled differences.
    level : float
        Its coverage, e.g. 0.95.
    n_resamples, seed : int
        How it was drawn (the same seed draws the same interval).
    """

    statistic: str
    estimate: float
    low: float
    high: float
    level: float
    n_resamples: int
    seed: int

    def clears(self, margin: float) -> bool:
        """True when the whole interval lies above ``margin`` (``low > margin``): A is better by more than it.

        Parameters
        ----------
        margin : float
            The gain A must exceed.

        Returns
        -------
        bool

        >>> Interval("f1", 0.02, 0.004, 0.03, 0.95, 2000, 0).clears(0.0)
        True
        """
        return self.low > margin

    def as_dict(self, digits: int = 4) -> dict[str, Any]:
        """Plain floats for JSON, tags and ``record``.

        Parameters
        ----------
        digits : int
            Decimals of ``estimate``, ``low`` and ``high``.

        Returns
        -------
        dict
        """
        return {"statistic": self.statistic, "estimate": round(self.estimate, digits), "low": round(self.low, digits),
                "high": round(self.high, digits), "level": self.level, "n_resamples": self.n_resamples,
                "seed": self.seed}

    def __str__(self) -> str:
        return (f"{self.estimate:+.3f} ({self.level:.0%} interval {self.low:+.3f} to {self.high:+.3f}, "
                f"{self.n_resamples} paired resamples)")


def _named_statistic(name: str) -> Statistic:
    if name in THRESHOLD_METRICS:
        return lambda counts: metric_from_counts(name, counts)
    if name in ("business_value", "value_per_customer"):
        from mlops_edu.business import value_of_counts

        def dollars(counts: Mapping[str, np.ndarray]) -> np.ndarray:
            value = np.asarray(value_of_counts(counts["tp"], counts["fp"]), dtype=float)
            if name == "business_value":
                return value
            n = sum(np.asarray(counts[k], dtype=float) for k in ("tp", "fp", "fn", "tn"))
            return value / n
        return dollars
    raise TrainingError(f"paired_bootstrap: unknown statistic {name!r}; choose one of {list(STATISTICS)} "
                        "or pass a function of the confusion counts")


def _counts_of(kinds: np.ndarray, model: int) -> dict[str, np.ndarray]:
    """Confusion counts of model 0 (A) or 1 (B) from counts of the 8 kinds, coded ``4*y + 2*a + b``."""
    flag = 2 if model == 0 else 1
    y1 = np.array([k >= 4 for k in range(8)])
    flagged = np.array([bool(k & flag) for k in range(8)])
    pick = {"tp": y1 & flagged, "fp": ~y1 & flagged, "fn": y1 & ~flagged, "tn": ~y1 & ~flagged}
    return {name: kinds[..., mask].sum(axis=-1) for name, mask in pick.items()}


def paired_bootstrap(y: Any, pred_a: Any, pred_b: Any, statistic: str | Statistic = "f1", *,
                     n_resamples: int = 2000, seed: int = 0, level: float = 0.95) -> Interval:
    """Paired bootstrap interval of ``statistic(A) - statistic(B)`` for 0/1 decisions on the same rows.

    Parameters
    ----------
    y : array-like of 0/1
        The labels of the held-out rows (1 = churn).
    pred_a, pred_b : array-like of 0/1
        The decisions of A (e.g. the Challenger) and B (the Champion, or a policy without a model such
        as ``np.ones_like(y)``: offers for everyone) on the same rows, in the same order.
    statistic : str or callable
        A name from :data:`STATISTICS` (``"f1"``, ``"business_value"`` in dollars, ``"value_per_customer"``
        in dollars per customer, ...) or a function of the confusion counts ``{"tp", "fp", "fn", "tn"}``
        (arrays, one entry per resample) returning one value per resample.
    n_resamples : int
        At least :data:`MIN_RESAMPLES`.
    seed : int
        Seed of the resampling: the same seed gives the same interval.
    level : float
        Coverage of the percentile interval (0.95: the middle 95 % of the resampled differences).

    Returns
    -------
    Interval

    Examples
    --------
    >>> y = [1, 0] * 200
    >>> print(paired_bootstrap(y, y, [0] * 400, "f1", seed=0))   # a perfect model vs flagging nobody
    +1.000 (95% interval +1.000 to +1.000, 2000 paired resamples)
    >>> paired_bootstrap(y, y, y, "value_per_customer").clears(0.0)   # a model against itself: no gain
    False
    """
    if int(n_resamples) < MIN_RESAMPLES:
        raise TrainingError(f"paired_bootstrap: n_resamples must be at least {MIN_RESAMPLES}, got {n_resamples}")
    if not 0.5 <= level < 1:
        raise TrainingError(f"paired_bootstrap: level must lie in [0.5, 1), got {level}")
    labels, a, b = _labels(y, "y"), _labels(pred_a, "pred_a"), _labels(pred_b, "pred_b")
    if labels.ndim != 1 or a.shape != labels.shape or b.shape != labels.shape or len(labels) == 0:
        raise TrainingError(f"paired_bootstrap: y, pred_a and pred_b must be 1-d of the same non-zero length, "
                            f"got {labels.shape}, {a.shape}, {b.shape}")
    name = statistic if isinstance(statistic, str) else getattr(statistic, "__name__", "statistic")
    stat = _named_statistic(statistic) if isinstance(statistic, str) else statistic
    kinds = np.bincount(4 * labels.astype(int) + 2 * a.astype(int) + b.astype(int), minlength=8)
    estimate = float(stat(_counts_of(kinds, 0)) - stat(_counts_of(kinds, 1)))
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(len(labels), kinds / len(labels), size=int(n_resamples))
    differences = np.asarray(stat(_counts_of(drawn, 0)), dtype=float) - np.asarray(stat(_counts_of(drawn, 1)),
                                                                                  dtype=float)
    tail = (1 - level) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    return Interval(statistic=name, estimate=estimate, low=float(low), high=float(high), level=float(level),
                    n_resamples=int(n_resamples), seed=int(seed))


def interval_gate(interval: Interval, margin: float) -> GateDecision:
    """The noise-aware gate: pass only when the interval's lower bound exceeds ``margin`` (declared first).

    Parameters
    ----------
    interval : Interval
        From :func:`paired_bootstrap`.
    margin : float
        The bar the lower bound must exceed (strictly).

    Returns
    -------
    GateDecision

    Examples
    --------
    >>> print(interval_gate(Interval("f1", 0.002, -0.019, 0.023, 0.95, 2000, 4), margin=0.0))
    95% lower bound of the f1 gain = -0.019 <= threshold 0.000 -> back to training
    """
    return GateDecision(metric=interval.statistic, value=float(interval.low), threshold=float(margin),
                        what=f"{interval.level:.0%} lower bound of the {interval.statistic} gain", strict=True)
