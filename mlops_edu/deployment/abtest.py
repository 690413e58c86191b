"""An A/B test of two models' offer lists on retained customers (the pipeline overview's evaluation stage).

The ML pipeline overview lists "A/B test" under model evaluation: offline metrics say which model ranks
churners better; an A/B test says which one *keeps more customers*. Customers are randomised (seeded)
between arm A (offers from model A's list) and arm B (model B's list). Outcomes are simulated from the
generator's **true** churn probabilities: a customer churns with probability ``p``; an offer keeps a
would-be churner with probability ``offer_success``. The retention rates of the two arms are compared
with a two-proportion z-test, and :func:`sample_size` says how many customers per arm it would take to
detect a difference of a given size (the power calculation), which is usually the sobering part.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.business import COST_CHURN, COST_DISCOUNT


def assign_arms(n: int, seed: int = 0, share_b: float = 0.5) -> np.ndarray:
    """Seeded random assignment of ``n`` customers to ``"A"`` or ``"B"`` (``share_b`` of them to B).

    Parameters
    ----------
    n : int
        Customers to assign.
    seed : int
        Seed of the assignment.
    share_b : float
        Probability that a customer goes to arm B.

    Returns
    -------
    numpy.ndarray of str
        ``"A"`` or ``"B"`` per customer.

    >>> assign_arms(6, seed=1).tolist()
    ['A', 'A', 'A', 'B', 'A', 'A']
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 8]))
    return np.where(rng.random(int(n)) < share_b, "B", "A")


def simulate_outcomes(true_p: Any, offered: Any, *, offer_success: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Simulated outcome per customer: ``would_churn`` (drawn from ``true_p``), ``offered``, ``retained``
    (stays: would not churn, or would and the offer worked) and ``value`` in dollars relative to no offers
    (+1,500 for a churner kept by an offer, -500 for any other offer).

    Parameters
    ----------
    true_p : array-like of float
        True churn probability of each customer.
    offered : array-like of bool
        Whether each customer gets an offer.
    offer_success : float
        Probability that an offer keeps a would-be churner.
    seed : int
        Seed of the simulated churn and offer outcomes.

    Returns
    -------
    pandas.DataFrame
        One row per customer with the four columns above.
    """
    p = np.asarray(true_p, dtype=float)
    offered = np.asarray(offered, dtype=bool)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 9]))
    would_churn = rng.random(p.size) < p
    saved = would_churn & offered & (rng.random(p.size) < offer_success)
    value = np.where(saved, COST_CHURN - COST_DISCOUNT, 0.0) - np.where(offered & ~saved, COST_DISCOUNT, 0.0)
    return pd.DataFrame({"would_churn": would_churn, "offered": offered, "retained": ~would_churn | saved,
                         "value": value})


def two_proportion_test(successes_a: int, n_a: int, successes_b: int, n_b: int, alpha: float = 0.05) -> dict[str, float]:
    """Two-sided z-test of equal proportions with a pooled variance, and a Wald interval of the difference.

    Parameters
    ----------
    successes_a, n_a : int
        Successes and customers of arm A.
    successes_b, n_b : int
        Successes and customers of arm B.
    alpha : float
        Significance level; the interval has coverage ``1 - alpha``.

    Returns
    -------
    dict of str to float
        ``rate_a``, ``rate_b``, ``difference`` (B - A), ``ci_low``, ``ci_high``, ``z``, ``p_value``
        (``z`` is 0 when the pooled variance is 0).

    >>> round(two_proportion_test(500, 1000, 550, 1000)["p_value"], 4)
    0.0252
    """
    from scipy.stats import norm

    pa, pb = successes_a / n_a, successes_b / n_b
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (pb - pa) / se_pooled if se_pooled > 0 else 0.0
    se = math.sqrt(pa * (1 - pa) / n_a + pb * (1 - pb) / n_b)
    q = norm.ppf(1 - alpha / 2)
    return {"rate_a": pa, "rate_b": pb, "difference": pb - pa, "ci_low": pb - pa - q * se,
            "ci_high": pb - pa + q * se, "z": z, "p_value": float(2 * norm.sf(abs(z)))}


def sample_size(rate_a: float, rate_b: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Customers needed *per arm* to detect ``rate_b - rate_a`` with a two-sided test at ``alpha`` and
    the given power (normal approximation).

    Parameters
    ----------
    rate_a, rate_b : float
        The two proportions to tell apart.
    alpha : float
        Significance level of the two-sided test.
    power : float
        Probability of detecting the difference.

    Returns
    -------
    int
        Customers per arm, rounded up.

    Raises
    ------
    ValueError
        When the two rates are equal.

    >>> sample_size(0.80, 0.82)
    6039
    """
    from scipy.stats import norm

    if rate_a == rate_b:
        raise ValueError("sample_size(): the two rates are equal: no sample size detects no difference")
    za, zb = norm.ppf(1 - alpha / 2), norm.ppf(power)
    p_bar = (rate_a + rate_b) / 2
    root = za * math.sqrt(2 * p_bar * (1 - p_bar)) + zb * math.sqrt(rate_a * (1 - rate_a) + rate_b * (1 - rate_b))
    return int(math.ceil(root ** 2 / (rate_a - rate_b) ** 2))


def power_of(n_per_arm: int, rate_a: float, rate_b: float, alpha: float = 0.05) -> float:
    """Probability that a test with ``n_per_arm`` customers per arm detects ``rate_b - rate_a``.

    Parameters
    ----------
    n_per_arm : int
        Customers per arm.
    rate_a, rate_b : float
        The two true proportions.
    alpha : float
        Significance level of the two-sided test.

    Returns
    -------
    float

    >>> round(power_of(6039, 0.80, 0.82), 2)
    0.8
    """
    from scipy.stats import norm

    za = norm.ppf(1 - alpha / 2)
    p_bar = (rate_a + rate_b) / 2
    se0 = math.sqrt(2 * p_bar * (1 - p_bar) / n_per_arm)
    se1 = math.sqrt((rate_a * (1 - rate_a) + rate_b * (1 - rate_b)) / n_per_arm)
    d = abs(rate_b - rate_a)
    return float(norm.cdf((d - za * se0) / se1) + norm.cdf((-d - za * se0) / se1))


def ab_test(true_p: Any, offers_a: Any, offers_b: Any, *, seed: int = 0, offer_success: float = 0.5,
            alpha: float = 0.05) -> tuple[pd.DataFrame, dict[str, float]]:
    """Randomise customers between two offer lists, simulate the outcomes, test retention.

    Parameters
    ----------
    true_p : array-like
        The generator's churn probability of each customer.
    offers_a, offers_b : array-like of bool
        Whether model A's (B's) list would make each customer an offer.
    seed : int
        Seed of the arm assignment and of the simulated outcomes.
    offer_success : float
        Probability that an offer keeps a would-be churner.
    alpha : float
        Significance level of the test and of the intervals.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        Per arm: customers, offers, retained, retention rate, dollars and dollars per customer; and the
        :func:`two_proportion_test` result (B - A) plus ``n_needed``, the customers per arm needed to
        detect the observed difference with 80 % power, and ``dollars_difference`` (per customer, B - A)
        with its interval ``dollars_ci_low`` .. ``dollars_ci_high``.

    Raises
    ------
    ValueError
        When an offer list's length differs from ``true_p``'s, or an arm gets no customers.
    """
    n = len(np.asarray(true_p))
    for name, offers in (("offers_a", offers_a), ("offers_b", offers_b)):
        if len(np.asarray(offers)) != n:
            raise ValueError(f"{name} has {len(np.asarray(offers))} entries for {n} customers in true_p")
    arms = assign_arms(n, seed)
    empty = [arm for arm in ("A", "B") if not (arms == arm).any()]
    if empty:
        raise ValueError(f"arm {empty[0]} got no customers out of {n}: an A/B test needs customers in both arms")
    offered = np.where(arms == "A", np.asarray(offers_a, bool), np.asarray(offers_b, bool))
    outcome = simulate_outcomes(true_p, offered, offer_success=offer_success, seed=seed).assign(arm=arms)
    table = outcome.groupby("arm").agg(customers=("retained", "size"), offers=("offered", "sum"),
                                       retained=("retained", "sum"), dollars=("value", "sum"))
    table["retention"] = (table["retained"] / table["customers"]).round(4)
    table["dollars per customer"] = (table["dollars"] / table["customers"]).round(2)
    test = two_proportion_test(int(table.loc["A", "retained"]), int(table.loc["A", "customers"]),
                               int(table.loc["B", "retained"]), int(table.loc["B", "customers"]), alpha)
    test["n_needed"] = (sample_size(test["rate_a"], test["rate_b"], alpha) if test["rate_a"] != test["rate_b"]
                        else float("inf"))
    test.update(_mean_difference(outcome.loc[arms == "A", "value"].to_numpy(),
                                 outcome.loc[arms == "B", "value"].to_numpy(), alpha))
    return table, test


def _mean_difference(a: np.ndarray, b: np.ndarray, alpha: float) -> dict[str, float]:
    """Dollars per customer, B - A, with a normal (Welch) interval."""
    from scipy.stats import norm

    diff = float(b.mean() - a.mean())
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    q = norm.ppf(1 - alpha / 2)
    return {"dollars_difference": diff, "dollars_ci_low": diff - q * se, "dollars_ci_high": diff + q * se}
