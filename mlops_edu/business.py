"""The churn business case: what a retention offer is worth, in dollars (lecture 4, section 10 step 4).

Chapters 01, 02, 03 and 09 share this accounting.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

COST_CHURN = 2000.0
"""Dollars lost when a customer churns (the lab's business case)."""
COST_DISCOUNT = 500.0
"""Dollars a retention discount costs (the lab's business case)."""

def usd(value: float) -> str:
    """Dollars for people: ``-682000`` -> ``'-$682,000'``.

    >>> usd(-682000.0)
    '-$682,000'
    """
    return f"{'-' if value < 0 else ''}${abs(value):,.0f}"


# --------------------------------------------------------------------------------------------------
# Business case (section 10, step 4)
# --------------------------------------------------------------------------------------------------

def confusion_counts(y_true: Iterable[int], y_pred: Iterable[int]) -> dict[str, int]:
    """Counts of true/false positives/negatives for 0/1 labels (1 = churn).

    >>> confusion_counts([1, 0, 1, 0], [1, 1, 0, 0])
    {'tp': 1, 'fp': 1, 'fn': 1, 'tn': 1}
    """
    t = np.asarray(list(y_true) if not hasattr(y_true, "__array__") else y_true).astype(int)
    p = np.asarray(list(y_pred) if not hasattr(y_pred, "__array__") else y_pred).astype(int)
    if t.shape != p.shape:
        raise ValueError(f"confusion_counts(): y_true has {t.size} labels but y_pred has {p.size}")
    bad = sorted(set(np.unique(np.concatenate([t, p])).tolist()) - {0, 1})
    if bad:
        raise ValueError(f"confusion_counts(): labels must be 0/1 (1 = churn), found {bad}")
    return {"tp": int(((t == 1) & (p == 1)).sum()), "fp": int(((t == 0) & (p == 1)).sum()),
            "fn": int(((t == 1) & (p == 0)).sum()), "tn": int(((t == 0) & (p == 0)).sum())}


def business_value(y_true: Iterable[int], y_pred: Iterable[int], *, cost_churn: float = COST_CHURN,
                   cost_discount: float = COST_DISCOUNT) -> float:
    """The lab's dollar value of churn predictions: ``TP*1500 - FP*500 - FN*2000`` (section 10, step 4).

    A true positive keeps a customer for the price of the discount (``cost_churn - cost_discount``), a
    false positive gives the discount away, a false negative loses the customer; true negatives cost
    nothing.

    >>> business_value([1, 1, 0, 1], [1, 0, 1, 1])   # 2 TP, 1 FP, 1 FN
    500.0
    """
    c = confusion_counts(y_true, y_pred)
    return float(c["tp"] * (cost_churn - cost_discount) - c["fp"] * cost_discount - c["fn"] * cost_churn)


def no_model_value(y_true: Iterable[int], *, cost_churn: float = COST_CHURN) -> float:
    """Dollar value of doing nothing (nobody gets a discount): every churner is lost.

    The baseline a first Challenger must beat when there is no Champion yet.

    >>> no_model_value([1, 0, 0, 1])
    -4000.0
    """
    y = np.asarray(list(y_true) if not hasattr(y_true, "__array__") else y_true).astype(int)
    return float(-cost_churn * int((y == 1).sum()))


def break_even_f1(cost_churn: float = COST_CHURN, cost_discount: float = COST_DISCOUNT) -> float:
    """The F1 threshold that follows from the business case instead of from a wish.

    A discount pays off when the customer it goes to would really have churned: the break-even
    precision is ``cost_discount / cost_churn`` = 500 / 2000 = 0.25. Because F1 = 2PR/(P+R) <= 2P/(P+1)
    (recall is at most 1), a model with ``F1 >= 2p/(1+p)`` for ``p = 0.25`` necessarily has precision
    >= 0.25: its discounts are not given away at a loss. With the lab's dollars that floor is F1 = 0.4.

    >>> break_even_f1()
    0.4
    """
    if not 0 < cost_discount < cost_churn:
        raise ValueError(f"break_even_f1(): need 0 < cost_discount < cost_churn, got {cost_discount}, {cost_churn}")
    p = cost_discount / cost_churn
    return round(2 * p / (1 + p), 6)


