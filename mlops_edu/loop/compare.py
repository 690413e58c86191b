"""The noise-aware Champion/Challenger comparison of the closed loop (lecture 8, section 10 step 4).

Two models scored on the *same* held-out customers differ by a dollar amount per customer (the
accounting of :mod:`mlops_edu.business`: +1,500 for a kept churner, -500 for a wasted offer). A paired
bootstrap of that difference gives an interval; the Challenger is promoted only when the interval's lower
bound clears a margin declared before the comparison. A Challenger that is better by luck of the held-out
rows is therefore refused, and so is one that is merely "no worse".

This module is the loop's own small version of the comparison; ``mlops_edu.deployment.validation`` is
being rewritten with the same rule, and the loop switches to it when it lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_edu.business import usd, value_of_counts


def dollars_per_customer(y: Any, decisions: Any) -> np.ndarray:
    """Dollars of each customer's decision relative to no offer: +1,500 kept churner, -500 wasted offer, 0 else.

    >>> dollars_per_customer([1, 0, 1, 0], [1, 1, 0, 0]).tolist()
    [1500.0, -500.0, 0.0, 0.0]
    """
    y_arr = np.asarray(y).astype(bool)
    d = np.asarray(decisions).astype(bool)
    return np.asarray(value_of_counts(y_arr & d, ~y_arr & d), dtype=float)


@dataclass(frozen=True)
class Comparison:
    """A paired bootstrap of the Challenger's dollars minus the Champion's, per customer.

    Attributes
    ----------
    mean, low, high : float
        Mean difference per customer and the interval's bounds.
    margin : float
        What the lower bound must exceed (dollars per customer).
    level : float
        Confidence level of the interval (e.g. 0.9).
    n : int
        Customers compared.
    """

    mean: float
    low: float
    high: float
    margin: float
    level: float
    n: int

    @property
    def promote(self) -> bool:
        """True when the interval's lower bound clears the margin."""
        return self.low > self.margin

    def describe(self) -> str:
        """One sentence with the numbers and the verdict."""
        verdict = "clears" if self.promote else "does not clear"
        return (f"Challenger - Champion {usd(self.mean)} per customer on the same {self.n} rows, "
                f"{self.level:.0%} interval [{usd(self.low)}, {usd(self.high)}]: lower bound {verdict} the "
                f"margin {usd(self.margin)}")


def paired_bootstrap(y: Any, champion_decisions: Any, challenger_decisions: Any, *, margin: float = 0.0,
                     level: float = 0.9, n_boot: int = 2000, seed: int = 0) -> Comparison:
    """Compare two models' offers on the same customers: bootstrap the mean dollar difference per customer.

    Parameters
    ----------
    y : array-like of 0/1
        Churn labels of the held-out customers.
    champion_decisions, challenger_decisions : array-like of 0/1
        Each model's offers to the same customers.
    margin : float
        Dollars per customer the lower bound must exceed (declared before the comparison).
    level : float
        Confidence level of the percentile interval.
    n_boot : int
        Bootstrap resamples (customers drawn with replacement, the same draw for both models).
    seed : int
        Seed of the resampling.

    Examples
    --------
    >>> y = [1, 0] * 200
    >>> better = paired_bootstrap(y, [0] * 400, y, seed=0)        # the Challenger offers exactly the churners
    >>> better.promote, round(better.mean)
    (True, 750)
    >>> paired_bootstrap(y, y, y).promote                           # identical models: no evidence
    False
    """
    diff = dollars_per_customer(y, challenger_decisions) - dollars_per_customer(y, champion_decisions)
    n = diff.size
    if n == 0:
        raise ValueError("paired_bootstrap: no customers to compare")
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return Comparison(float(diff.mean()), float(low), float(high), float(margin), float(level), int(n))
