"""The retention business case around the dollars of :mod:`mlops_edu.business` (lecture 3.2 and 4.1).

:mod:`mlops_edu.business` values one offer decision (TP +1,500, FP -500, relative to no offers). This module
holds what the business stakeholder of lecture 4.1 decides around it, as code:

* the churn definition (:func:`definition_table`: how "no purchase in N days" moves the churn rate);
* the BI report of who left (:func:`bi_report`) and the segment rule a BI dashboard suggests
  (:func:`segment_offers`), against an ML model of who will leave (:func:`train_offer_model`);
* the profit curve over the offer threshold (:func:`profit_curve`) and the expected-value rule
  (:func:`expected_value_offers`);
* the KPIs of a policy: offers, money spent, kept churners, value, ROI and the churn rate after the
  campaign, with a paired bootstrap interval against the best policy without a model (:func:`policy_table`).

Example
-------
>>> import numpy as np
>>> curve = profit_curve([1, 0, 1, 0], np.array([0.9, 0.6, 0.4, 0.1]), thresholds=[0.0, 0.5, 1.0])
>>> curve["value"].tolist()
[2000.0, 1000.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.business import (
    COST_CHURN,
    COST_DISCOUNT,
    best_trivial_policy,
    break_even_precision,
    offer_expected_value,
    value_of_counts,
)
from mlops_edu.training.metrics import confusion_counts

OFFER_MODEL: tuple[str, dict[str, Any]] = ("logreg", {"class_weight": None})
"""The model behind offer decisions: a logistic regression without class weights, so that its
probabilities are calibrated and the expected value of an offer (``p x 1,500 - (1 - p) x 500``) can be
read from them (``class_weight="balanced"`` would inflate every churn probability)."""


def train_offer_model(customers: pd.DataFrame, seed: int = 0) -> Any:
    """Fit the churn model that decides offers (:data:`OFFER_MODEL`) on labelled customers.

    Parameters
    ----------
    customers : pandas.DataFrame
        Telco-schema customers with the label ``Churn``.
    seed : int
        Seed of the model.

    Returns
    -------
    estimator
        The fitted model (:func:`mlops_edu.training.models.make_model`); ``predict_proba`` gives churn
        probabilities.

    Examples
    --------
    >>> from mlops_edu.data import make_customers
    >>> model = train_offer_model(make_customers(300, seed=0))
    >>> model.predict_proba(make_customers(5, seed=1).drop(columns=["Churn"])).shape
    (5, 2)
    """
    from mlops_edu.training.features import split_xy
    from mlops_edu.training.models import make_model

    X, y = split_xy(customers)
    kind, params = OFFER_MODEL
    return make_model(kind, params, seed=seed, X=X).fit(X, y)


# --------------------------------------------------------------------------------------------------
# The stakeholder's churn definition (lecture 4.1)
# --------------------------------------------------------------------------------------------------

def definition_table(events: pd.DataFrame, as_of: Any, days: Sequence[int] = (30, 60, 90), *, chosen: int = 90,
                     cancel_within_days: int = 30, truth: pd.Series | None = None) -> pd.DataFrame:
    """Churners under "no purchase in N days, or cancelled within a month" for several N (lecture 4.1).

    Parameters
    ----------
    events : pandas.DataFrame
        Raw events (:func:`mlops_edu.data.make_events`).
    as_of : date-like
        The labelling date.
    days : sequence of int
        The values of N to compare.
    chosen : int
        The stakeholder's N (the lecture: 90); the other definitions are compared with it.
    cancel_within_days : int
        The cancellation window (the lecture: one month).
    truth : pandas.Series, optional
        ``"Yes"``/``"No"`` per ``customerID`` (index): who really left. When given, every customer in it
        is labelled (a customer without any event counts as "no purchase") and the table gains
        ``stayers_counted`` and ``leavers_missed``: customers the definition gets wrong.

    Returns
    -------
    pandas.DataFrame
        Index ``days``; columns ``churners``, ``churn_rate``, ``labelled_differently`` (customers whose
        label differs from the chosen definition), ``chosen`` (and the two truth columns).

    Raises
    ------
    ValueError
        When ``chosen`` is not one of ``days``.
    """
    from mlops_edu.data.events import label_churn

    if chosen not in days:
        raise ValueError(f"the chosen definition ({chosen} days) must be one of days={list(days)}")
    labels = {d: label_churn(events, as_of, no_purchase_days=d, cancel_within_days=cancel_within_days)
              .set_index("customerID")["Churn"].eq("Yes") for d in days}
    left = None if truth is None else pd.Series(truth).astype(str).eq("Yes")
    if left is not None:
        labels = {d: lab.reindex(left.index, fill_value=True) for d, lab in labels.items()}
    reference = labels[chosen]
    rows = []
    for d, lab in labels.items():
        row = {"days": d, "churners": int(lab.sum()), "churn_rate": round(float(lab.mean()), 3),
               "labelled_differently": int((lab != reference).sum()), "chosen": d == chosen}
        if left is not None:
            row.update(stayers_counted=int((lab & ~left).sum()), leavers_missed=int((~lab & left).sum()))
        rows.append(row)
    return pd.DataFrame(rows).set_index("days")


def skip_purchases(events: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """A messier purchase log: each purchase is missing with probability ``share`` (a customer skips a month).

    :func:`mlops_edu.data.make_events` writes a clean log where staying customers buy every month like
    clockwork, so every definition between 30 and 90 days agrees on it; real logs have gaps (holidays, a
    month paid in advance), and that is where the definition starts to matter. Cancellations are kept.

    Parameters
    ----------
    events : pandas.DataFrame
        Raw events with an ``event`` column (``"purchase"`` rows may be dropped).
    share : float
        Probability in [0, 1] that a purchase is missing.
    seed : int
        Seed of the random gaps.

    Returns
    -------
    pandas.DataFrame
        The remaining events, with a fresh index.

    Raises
    ------
    ValueError
        When ``share`` lies outside [0, 1].

    >>> ev = pd.DataFrame({"customerID": ["a"] * 4, "date": pd.to_datetime(["2024-01-01"] * 4),
    ...                    "event": ["purchase"] * 3 + ["cancel"]})
    >>> skip_purchases(ev, 1.0)["event"].tolist()
    ['cancel']
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must lie in [0, 1], got {share}")
    skipped = (events["event"] == "purchase").to_numpy() & (np.random.default_rng(seed).random(len(events)) < share)
    return events[~skipped].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# BI vs ML (lecture 3.2)
# --------------------------------------------------------------------------------------------------

def bi_report(customers: pd.DataFrame, by: str = "Contract") -> pd.DataFrame:
    """The BI question, "who left?": customers, churners and churn rate per segment, highest rate first.

    Parameters
    ----------
    customers : pandas.DataFrame
        Customers with ``Churn`` (``"Yes"``/``"No"``) and the column ``by``.
    by : str
        Column that defines the segments.

    Returns
    -------
    pandas.DataFrame
        Index the segments; columns ``customers``, ``churners`` and ``churn_rate`` (rounded to 3 decimals).

    >>> bi_report(pd.DataFrame({"Contract": ["a", "a", "b"], "Churn": ["Yes", "No", "No"]}))["churn_rate"].tolist()
    [0.5, 0.0]
    """
    left = customers["Churn"].eq("Yes")
    out = left.groupby(customers[by]).agg(customers="size", churners="sum")
    out["churn_rate"] = (out["churners"] / out["customers"]).round(3)
    return out.sort_values("churn_rate", ascending=False)


def segment_offers(report: pd.DataFrame, customers: pd.DataFrame, by: str = "Contract",
                   min_rate: float | None = None) -> np.ndarray:
    """The rule a BI report suggests: offer to every customer of a segment whose past churn rate reached
    ``min_rate`` (default: the break-even precision, 25 %). Returns one bool per customer.

    Parameters
    ----------
    report : pandas.DataFrame
        A :func:`bi_report`: indexed by segment, with ``churn_rate``.
    customers : pandas.DataFrame
        Customers to decide for, with the column ``by``.
    by : str
        Column that holds the segment (the one ``report`` was grouped by).
    min_rate : float or None
        Lowest past churn rate of a targeted segment; ``None`` for the break-even precision.

    Returns
    -------
    numpy.ndarray of bool
        ``True`` = offer.

    >>> rep = pd.DataFrame({"churn_rate": [0.4, 0.1]}, index=pd.Index(["a", "b"], name="Contract"))
    >>> segment_offers(rep, pd.DataFrame({"Contract": ["b", "a"]})).tolist()
    [False, True]
    """
    threshold = break_even_precision() if min_rate is None else float(min_rate)
    targeted = report.index[report["churn_rate"] >= threshold]
    return customers[by].isin(targeted).to_numpy()


def expected_value_offers(proba: Sequence[float], *, cost_churn: float = COST_CHURN,
                          cost_discount: float = COST_DISCOUNT) -> np.ndarray:
    """Offer exactly where the expected value of an offer is positive (``p`` above the break-even 25 %).

    Parameters
    ----------
    proba : sequence of float
        Churn probability per customer.
    cost_churn, cost_discount : float
        The business case ($2,000 and $500).

    Returns
    -------
    numpy.ndarray of bool
        ``True`` = offer.

    Raises
    ------
    ValueError
        When ``cost_discount`` is not between 0 and ``cost_churn``.

    >>> expected_value_offers([0.1, 0.3]).tolist()
    [False, True]
    """
    return np.asarray(offer_expected_value(np.asarray(proba, dtype=float), cost_churn=cost_churn,
                                           cost_discount=cost_discount)) > 0


def profit_curve(y: Sequence[int], proba: Sequence[float], thresholds: Sequence[float] | None = None) -> pd.DataFrame:
    """Dollars (relative to no offers) of offering to everyone with ``proba >= threshold``, per threshold.

    Parameters
    ----------
    y : sequence of 0/1
        Churn labels.
    proba : sequence of float
        Churn probability per customer.
    thresholds : sequence of float or None
        Thresholds to evaluate; ``None`` for 0.00, 0.01, ..., 1.00.

    Returns
    -------
    pandas.DataFrame
        ``threshold``, ``offers``, ``tp``, ``fp``, ``value`` (from :func:`mlops_edu.business.value_of_counts`).
    """
    t = np.round(np.linspace(0, 1, 101), 2) if thresholds is None else np.asarray(thresholds, dtype=float)
    decisions = np.asarray(proba, dtype=float)[None, :] >= t[:, None]
    counts = confusion_counts(np.asarray(y), decisions)
    return pd.DataFrame({"threshold": t, "offers": decisions.sum(axis=1), "tp": counts["tp"], "fp": counts["fp"],
                         "value": value_of_counts(counts["tp"], counts["fp"])})


# --------------------------------------------------------------------------------------------------
# KPI and ROI of offer policies, with intervals (lecture 4.1: "KPI: churn rate, retention, ROI of the discount")
# --------------------------------------------------------------------------------------------------

def _per_customer_value(y: np.ndarray, offer: np.ndarray) -> np.ndarray:
    return value_of_counts(offer & y, offer & ~y)


def policy_table(y: Sequence[int], policies: Mapping[str, Sequence[bool]], *, n_boot: int = 1000, seed: int = 0,
                 level: float = 0.95, reference: str | None = None) -> pd.DataFrame:
    """KPIs of offer policies on the same customers, and each policy's gain over the best trivial policy.

    Columns: ``offers``, ``spent`` (offers x $500), ``kept_churners``, ``value`` (dollars relative to no
    offers), ``roi`` (value / spent), ``churn_rate_after`` (if every kept churner stays), and
    ``vs_reference``, ``low``, ``high``: the value minus that of the ``reference`` policy (default: the
    better of "no offers" and "offers for everyone" on these customers), with its ``level`` paired bootstrap
    interval (the same resampled customers for every policy). The two trivial policies are the first rows.

    Parameters
    ----------
    y : sequence of 0/1
        Churn labels.
    policies : mapping of str to sequence of bool
        Offer decisions per policy name (``True`` = offer), one per customer.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resamples.
    level : float
        Coverage of the interval, e.g. 0.95.
    reference : str or None
        Policy the gains are measured against; ``None`` for the best trivial policy.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``policy``, with the columns above (``roi`` is NaN for a policy that spends nothing).

    Raises
    ------
    ValueError
        When ``reference`` is not one of the policies.

    Examples
    --------
    >>> t = policy_table([1, 0, 0, 1], {"model": [True, False, False, True]}, n_boot=200)
    >>> float(t.loc["model", "value"]), float(t.loc["model", "vs_reference"])
    (3000.0, 1000.0)
    """
    y = np.asarray(y).astype(bool)
    best_name = best_trivial_policy(y)[0] if reference is None else reference
    all_policies = {"no offers": np.zeros(len(y), bool), "offers for everyone": np.ones(len(y), bool),
                    **{k: np.asarray(v, dtype=bool) for k, v in policies.items()}}
    if best_name not in all_policies:
        raise ValueError(f"reference {best_name!r} is not one of the policies {list(all_policies)}")
    values = {name: _per_customer_value(y, offer) for name, offer in all_policies.items()}
    rows = np.random.default_rng(seed).integers(0, len(y), size=(n_boot, len(y)))
    tail = (1.0 - level) / 2 * 100
    out = []
    for name, offer in all_policies.items():
        spent = float(offer.sum() * COST_DISCOUNT)
        value = float(values[name].sum())
        diff = values[name][rows].sum(axis=1) - values[best_name][rows].sum(axis=1)
        out.append({"policy": name, "offers": int(offer.sum()), "spent": spent, "kept_churners": int((offer & y).sum()),
                    "value": value, "roi": round(value / spent, 3) if spent else np.nan,
                    "churn_rate_after": round(float((y & ~offer).mean()), 3),
                    "vs_reference": value - float(values[best_name].sum()),
                    "low": float(np.percentile(diff, tail)), "high": float(np.percentile(diff, 100 - tail))})
    return pd.DataFrame(out).set_index("policy")
