"""The churn business case in dollars: one accounting for the whole workbook (lecture 4, section 10 step 4).

A customer who churns costs the company ``COST_CHURN`` = $2,000; a retention offer (the lab's discount)
costs ``COST_DISCOUNT`` = $500 and keeps a churner who gets it. Every value here is counted **relative to
doing nothing** (no offers), so the accounting has one zero:

============  ==================================  ===========
prediction    the customer ...                    value
============  ==================================  ===========
offer (TP)    would have churned, stays           +1,500 (2,000 saved - 500 spent)
offer (FP)    would have stayed anyway            -500 (the discount is given away)
no offer (FN) churns, as without a model          0
no offer (TN) stays, as without a model           0
============  ==================================  ===========

So "no offers" is worth exactly $0, a perfect model is worth ``1,500 x churners``, value is linear in the
counts, and an offer pays off on average when at least ``500 / 2,000`` = 25 % of the customers who get
one would have churned (the break-even precision). Chapters 01, 02, 03 and 09 share this module.

A sign error in such a formula is easy to make and easy to catch: the property "a model that flags nobody
is worth exactly $0" fails at once for a formula that also counts the missed churners (chapter 09 shows
this on the public Databricks reference lab, whose step 04 adds ``fn * cost_false_negative`` as a gain).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlops_edu.training.metrics import confusion_counts

COST_CHURN = 2000.0
"""Dollars lost when a customer churns (the lab's business case)."""
COST_DISCOUNT = 500.0
"""Dollars a retention offer costs (the lab's business case)."""
TRIVIAL_POLICIES = ("no offers", "offers for everyone")
"""The two policies that need no model: every decision is compared with the better of them."""


def usd(value: float) -> str:
    """Dollars for people.

    Parameters
    ----------
    value : float
        Dollars (negative values get a leading ``-``).

    Returns
    -------
    str
        Rounded to whole dollars with thousands separators.

    >>> usd(-682000.0)
    '-$682,000'
    """
    return f"{'-' if value < 0 else ''}${abs(value):,.0f}"


def _check_costs(cost_churn: float, cost_discount: float) -> None:
    if not 0 < cost_discount < cost_churn:
        raise ValueError(f"need 0 < cost_discount < cost_churn, got cost_discount={cost_discount}, "
                         f"cost_churn={cost_churn}")


def value_of_counts(tp: Any, fp: Any, *, cost_churn: float = COST_CHURN, cost_discount: float = COST_DISCOUNT) -> Any:
    """Dollars of ``tp`` kept churners and ``fp`` wasted offers, relative to no offers (arrays work too).

    Parameters
    ----------
    tp : int or array-like
        Kept churners (true positives).
    fp : int or array-like
        Wasted offers (false positives).
    cost_churn, cost_discount : float
        The business case ($2,000 and $500); need ``0 < cost_discount < cost_churn``.

    Returns
    -------
    float or numpy.ndarray
        ``tp x (cost_churn - cost_discount) - fp x cost_discount``; an array when the counts are arrays.

    Raises
    ------
    ValueError
        When ``cost_discount`` is not between 0 and ``cost_churn``.

    >>> value_of_counts(2, 1)
    2500.0
    """
    _check_costs(cost_churn, cost_discount)
    value = np.asarray(tp, dtype=float) * (cost_churn - cost_discount) - np.asarray(fp, dtype=float) * cost_discount
    return float(value) if value.ndim == 0 else value


def business_value(y_true: Any, y_pred: Any, *, cost_churn: float = COST_CHURN,
                   cost_discount: float = COST_DISCOUNT) -> float:
    """Dollar value of 0/1 offer decisions against 0/1 churn labels, relative to making no offers.

    Parameters
    ----------
    y_true : array-like of 0/1
        1 = the customer churns without an offer.
    y_pred : array-like of 0/1
        1 = the customer gets an offer.
    cost_churn, cost_discount : float
        The business case ($2,000 and $500).

    Returns
    -------
    float
        ``TP x (cost_churn - cost_discount) - FP x cost_discount``: +1,500 per kept churner, -500 per
        wasted offer; missed churners and untouched loyal customers count 0.

    Examples
    --------
    >>> business_value([1, 1, 0, 1], [1, 0, 1, 1])   # 2 TP, 1 FP, 1 FN
    2500.0
    >>> business_value([1, 0, 1], [0, 0, 0])         # no offers: exactly nothing
    0.0
    """
    c = confusion_counts(y_true, y_pred)
    return value_of_counts(c["tp"], c["fp"], cost_churn=cost_churn, cost_discount=cost_discount)


def perfect_value(y_true: Any, *, cost_churn: float = COST_CHURN, cost_discount: float = COST_DISCOUNT) -> float:
    """The ceiling: an offer to every churner and to nobody else (``1,500 x churners``).

    Parameters
    ----------
    y_true : array-like of 0/1
        1 = the customer churns without an offer.
    cost_churn, cost_discount : float
        The business case ($2,000 and $500); need ``0 < cost_discount < cost_churn``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When ``cost_discount`` is not between 0 and ``cost_churn``.

    >>> perfect_value([1, 0, 0, 1])
    3000.0
    """
    return business_value(y_true, y_true, cost_churn=cost_churn, cost_discount=cost_discount)


def trivial_policy_values(y_true: Any, *, cost_churn: float = COST_CHURN,
                          cost_discount: float = COST_DISCOUNT) -> dict[str, float]:
    """Dollars of the two policies that need no model: no offers ($0) and offers for everyone.

    With a churn rate above the break-even precision (25 %), offers for everyone pay off, so a model has
    to beat *that*, not $0.

    Parameters
    ----------
    y_true : array-like of 0/1
        1 = the customer churns without an offer.
    cost_churn, cost_discount : float
        The business case ($2,000 and $500); need ``0 < cost_discount < cost_churn``.

    Returns
    -------
    dict of str to float
        ``{"no offers": 0.0, "offers for everyone": dollars}``.

    Raises
    ------
    ValueError
        When ``cost_discount`` is not between 0 and ``cost_churn``.

    >>> trivial_policy_values([1, 0, 0, 1])
    {'no offers': 0.0, 'offers for everyone': 2000.0}
    """
    y = np.asarray(y_true)
    return {"no offers": 0.0,
            "offers for everyone": business_value(y, np.ones_like(y), cost_churn=cost_churn,
                                                  cost_discount=cost_discount)}


def best_trivial_policy(y_true: Any, *, cost_churn: float = COST_CHURN,
                        cost_discount: float = COST_DISCOUNT) -> tuple[str, float]:
    """The better of the two trivial policies on these labels: ``(name, dollars)``.

    Parameters
    ----------
    y_true : array-like of 0/1
        1 = the customer churns without an offer.
    cost_churn, cost_discount : float
        The business case ($2,000 and $500); need ``0 < cost_discount < cost_churn``.

    Returns
    -------
    tuple of (str, float)
        The policy name (``"no offers"`` on a tie) and its dollars.

    Raises
    ------
    ValueError
        When ``cost_discount`` is not between 0 and ``cost_churn``.

    >>> best_trivial_policy([1, 0, 0, 0, 0])
    ('no offers', 0.0)
    """
    values = trivial_policy_values(y_true, cost_churn=cost_churn, cost_discount=cost_discount)
    name = max(TRIVIAL_POLICIES, key=lambda k: (values[k], k == "no offers"))
    return name, values[name]


def break_even_precision(cost_churn: float = COST_CHURN, cost_discount: float = COST_DISCOUNT) -> float:
    """The share of offer recipients who must be real churners for offers to pay: ``500 / 2000``.

    Parameters
    ----------
    cost_churn, cost_discount : float
        The business case ($2,000 and $500); need ``0 < cost_discount < cost_churn``.

    Returns
    -------
    float
        ``cost_discount / cost_churn``.

    Raises
    ------
    ValueError
        When ``cost_discount`` is not between 0 and ``cost_churn``.

    >>> break_even_precision()
    0.25
    """
    _check_costs(cost_churn, cost_discount)
    return cost_discount / cost_churn


def offer_expected_value(churn_probability: Any, *, cost_churn: float = COST_CHURN,
                         cost_discount: float = COST_DISCOUNT) -> Any:
    """Expected dollars of making one customer an offer, given their churn probability ``p``:
    ``p x 1,500 - (1 - p) x 500`` (positive exactly when ``p`` exceeds the break-even precision).

    Parameters
    ----------
    churn_probability : float or array-like
        Churn probability ``p`` of each customer.
    cost_churn, cost_discount : float
        The business case ($2,000 and $500); need ``0 < cost_discount < cost_churn``.

    Returns
    -------
    float or numpy.ndarray
        A float for a scalar ``p``, else an array of the same shape.

    Raises
    ------
    ValueError
        When ``cost_discount`` is not between 0 and ``cost_churn``.

    >>> offer_expected_value(0.25)
    0.0
    """
    p = np.asarray(churn_probability, dtype=float)
    value = value_of_counts(p, 1.0 - p, cost_churn=cost_churn, cost_discount=cost_discount)
    return value


def break_even_f1(cost_churn: float = COST_CHURN, cost_discount: float = COST_DISCOUNT) -> float:
    """The F1 floor that guarantees the break-even precision: ``2p / (1 + p)`` for ``p = 0.25``, i.e. 0.4.

    Because F1 = 2PR/(P+R) <= 2P/(P+1) (recall is at most 1), a model with F1 >= 0.4 has precision >= 0.25.
    It is a floor, not a gate: offers for everyone already reach F1 = 2r/(1+r) at churn rate r (0.42 at
    r = 0.265), so a no-skill policy passes it (chapter 09); decisions compare dollars instead.

    Parameters
    ----------
    cost_churn, cost_discount : float
        The business case ($2,000 and $500); need ``0 < cost_discount < cost_churn``.

    Returns
    -------
    float
        ``2p / (1 + p)`` for the break-even precision ``p``, rounded to 6 decimals.

    Raises
    ------
    ValueError
        When ``cost_discount`` is not between 0 and ``cost_churn``.

    >>> break_even_f1()
    0.4
    """
    p = break_even_precision(cost_churn, cost_discount)
    return round(2 * p / (1 + p), 6)


def policy_table(y_true: Any, decisions: dict[str, Any] | None = None, *, cost_churn: float = COST_CHURN,
                 cost_discount: float = COST_DISCOUNT) -> Any:
    """Dollars, F1, precision, recall and share flagged of the trivial policies (and of ``decisions``).

    The two policies that need no model are the baselines every model is judged against; the table also
    shows their F1, which is why an F1 gate near 0.4 is no gate: offers for everyone reach it.

    Parameters
    ----------
    y_true : array-like of 0/1
        1 = the customer churns without an offer.
    decisions : dict of str to array-like of 0/1, or None
        More policies to add as rows, by name (1 = offer).
    cost_churn, cost_discount : float
        The business case ($2,000 and $500); need ``0 < cost_discount < cost_churn``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``policy``; columns ``dollars``, ``f1``, ``precision``, ``recall`` and ``flagged``
        (rounded to 3 decimals).

    Raises
    ------
    ValueError
        When ``cost_discount`` is not between 0 and ``cost_churn``.

    >>> policy_table([1, 0, 0, 1])[["dollars", "f1"]]  # doctest: +NORMALIZE_WHITESPACE
                         dollars     f1
    policy
    no offers                0.0  0.000
    offers for everyone   2000.0  0.667
    """
    import pandas as pd

    from mlops_edu.training.metrics import metric_from_counts

    y = np.asarray(y_true).astype(int)
    rows = {"no offers": np.zeros_like(y), "offers for everyone": np.ones_like(y), **(decisions or {})}
    table = {}
    for name, pred in rows.items():
        counts = confusion_counts(y, np.asarray(pred).astype(int))
        table[name] = {"dollars": value_of_counts(counts["tp"], counts["fp"], cost_churn=cost_churn,
                                                  cost_discount=cost_discount),
                       **{m: round(float(metric_from_counts(m, counts)), 3) for m in ("f1", "precision", "recall")},
                       "flagged": round(float(np.mean(pred)), 3)}
    return pd.DataFrame.from_dict(table, orient="index").rename_axis("policy")


def accounting_properties(value: Any, y_true: Any, *, seed: int = 0) -> dict[str, bool]:
    """Check a dollar formula ``value(y_true, offers)`` against the three properties of one accounting.

    1. flagging nobody is worth exactly $0 (doing nothing is the zero);
    2. a perfect model is worth ``1,500 x churners``;
    3. value is additive: the two halves of the customers add up to the whole (random offers).

    A formula that counts a missed churner as a gain or as a loss fails property 1 at once.

    Parameters
    ----------
    value : callable
        ``value(y_true, offers) -> dollars``, e.g. :func:`business_value`.
    y_true : array-like of 0/1
        Churn labels to check it on.
    seed : int
        Seed of the random offers of property 3.

    Returns
    -------
    dict of str to bool
        One entry per property, ``True`` when it holds (property 2 uses the module's default costs).

    >>> list(accounting_properties(business_value, [1, 0, 0, 1, 1, 0]).values())
    [True, True, True]
    """
    y = np.asarray(y_true).astype(int)
    offers = np.random.default_rng(seed).integers(0, 2, len(y))
    half = len(y) // 2
    return {
        "flagging nobody is worth $0": bool(np.isclose(value(y, np.zeros_like(y)), 0.0)),
        "a perfect model is worth $1,500 x churners": bool(np.isclose(value(y, y),
                                                                      (COST_CHURN - COST_DISCOUNT) * y.sum())),
        "value adds up over customers": bool(np.isclose(value(y, offers), value(y[:half], offers[:half])
                                                        + value(y[half:], offers[half:]))),
    }
