"""What the Challenger's validation decides and why (lecture section 10, step 4): the rule declared in
advance, one :class:`Check` per test, and the :class:`ValidationReport` that :func:`promote` reads.

Filled by :func:`mlops_edu.deployment.validation.validate_challenger`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlops_edu.training.bootstrap import Interval

MIN_DESCRIPTION = 20
"""A model-version description shorter than this many characters fails ``has_description``."""

CHECKS = ("has_description", "has_signature", "inference_passed", "metric_f1_passed", "f1_gain_passed",
          "value_gain_passed")
"""Names of the validation checks, in the order they run; each becomes a model-version tag.
``metric_f1_passed`` runs only when the rule declares an F1 floor."""

GAINS = {"f1_gain_passed": "f1", "value_gain_passed": "value_per_customer"}
"""Which paired-bootstrap statistic each comparison check looks at."""


@dataclass(frozen=True)
class PromotionRule:
    """The promotion rule, declared before any result is seen (a chapter's parameters cell).

    Attributes
    ----------
    f1_threshold : float or None
        The lecture's F1 floor (section 10.5 names 0.8); ``None`` declares none.
    min_gain_f1 : float
        The lower bound of the F1 gain over the Champion (or the best policy without a model) must exceed it.
    min_gain_usd : float
        The same for the gain in dollars **per held-out customer**.
    n_resamples, seed, level : int, int, float
        The paired bootstrap: resamples (>= 1000), its seed, the interval's coverage.
    min_description : int
        Characters the model-version description needs.
    """

    f1_threshold: float | None = None
    min_gain_f1: float = 0.0
    min_gain_usd: float = 0.0
    n_resamples: int = 2000
    seed: int = 0
    level: float = 0.95
    min_description: int = MIN_DESCRIPTION

    def margin(self, check: str) -> float:
        """The margin of ``f1_gain_passed`` or ``value_gain_passed``.

        Parameters
        ----------
        check : str
            ``"f1_gain_passed"`` gives ``min_gain_f1``; any other name gives ``min_gain_usd``.

        Returns
        -------
        float
        """
        return self.min_gain_f1 if check == "f1_gain_passed" else self.min_gain_usd

    def __str__(self) -> str:
        floor = f"F1 >= {self.f1_threshold:g}; " if self.f1_threshold is not None else ""
        return (f"{floor}promote when the {self.level:.0%} paired-bootstrap interval ({self.n_resamples} resamples, "
                f"seed {self.seed}) of the gain over the Champion, or over the best policy without a model, "
                f"has its lower bound above {self.min_gain_f1:+g} in F1 and above "
                f"{_signed_dollars(self.min_gain_usd)} per customer")


@dataclass
class Check:
    """One validation check: its tag name, whether it passed, and why (one sentence)."""

    name: str
    passed: bool
    detail: str


@dataclass
class ValidationReport:
    """What :func:`validate_challenger` found.

    Attributes
    ----------
    name : str
        Registered model.
    challenger_version : int
    champion_version : int or None
        None on a first deploy.
    rule : PromotionRule
    reference : str
        What the Challenger was compared with: ``"Champion v1"`` or a policy without a model.
    checks : list of Check
        In :data:`CHECKS` order.
    challenger_metrics, reference_metrics : dict or None
        Held-out metrics (f1, precision, recall, accuracy, roc_auc, tp, fp, fn, tn, business_value).
    intervals : dict
        ``{"f1": Interval, "value_per_customer": Interval}``: the paired-bootstrap gains.
    trivial_values : dict
        Dollars of no offers and offers for everyone on the same rows.
    """

    name: str
    challenger_version: int
    champion_version: int | None
    rule: PromotionRule
    reference: str = ""
    checks: list[Check] = field(default_factory=list)
    challenger_metrics: dict[str, float] | None = None
    reference_metrics: dict[str, float] | None = None
    intervals: dict[str, Interval] = field(default_factory=dict)
    trivial_values: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[str]:
        """Names of the checks that failed."""
        return [c.name for c in self.checks if not c.passed]

    @property
    def f1_threshold(self) -> float | None:
        return self.rule.f1_threshold

    @property
    def champion_metrics(self) -> dict[str, float] | None:
        """The Champion's held-out metrics (None on a first deploy)."""
        return self.reference_metrics if self.champion_version is not None else None

    @property
    def baseline_value(self) -> float | None:
        """The dollars the Challenger had to beat: the Champion's, or the best policy without a model."""
        return None if self.reference_metrics is None else self.reference_metrics["business_value"]

    def check(self, name: str) -> Check:
        """The check called ``name``.

        Parameters
        ----------
        name : str
            One of :data:`CHECKS`.

        Returns
        -------
        Check

        Raises
        ------
        KeyError
            When no check of that name ran.
        """
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r}; checks are {[c.name for c in self.checks]}")

    def table(self) -> pd.DataFrame:
        """The checks as a table: check, passed, detail."""
        return pd.DataFrame([{"check": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks])

    def comparison(self) -> pd.DataFrame:
        """Challenger vs the reference (Champion or policy) on the same held-out rows, rounded to 3 decimals."""
        keys = ("f1", "precision", "recall", "roc_auc", "tp", "fp", "fn", "business_value")
        rows = {f"Challenger (v{self.challenger_version})": self.challenger_metrics or {},
                (f"Champion (v{self.champion_version})" if self.champion_version is not None
                 else self.reference or "reference"): self.reference_metrics or {}}
        frame = pd.DataFrame({k: {key: v.get(key, np.nan) for key in keys} for k, v in rows.items()}).T
        return frame.astype(float).round(3)

    def gains(self) -> pd.DataFrame:
        """The paired-bootstrap gains with their margins: statistic, estimate, low, high, margin, clears."""
        rows = []
        for check, statistic in GAINS.items():
            if statistic in self.intervals:
                iv, margin = self.intervals[statistic], self.rule.margin(check)
                rows.append({"gain in": statistic, "estimate": round(iv.estimate, 3), "low": round(iv.low, 3),
                             "high": round(iv.high, 3), "margin": margin, "clears": iv.clears(margin)})
        return pd.DataFrame(rows).set_index("gain in") if rows else pd.DataFrame()

    def reason(self) -> str:
        """One sentence: why the Challenger may or may not be promoted."""
        if self.passed:
            return f"all {len(self.checks)} checks passed (gains over {self.reference} clear the margins)"
        return "; ".join(f"{c.name}: {c.detail}" for c in self.checks if not c.passed)


def _signed_dollars(value: float) -> str:
    """``+$6.05`` / ``-$3.20``: a gain per customer.

    >>> _signed_dollars(-3.2)
    '-$3.20'
    """
    return f"{'-' if value < 0 else '+'}${abs(value):,.2f}"
