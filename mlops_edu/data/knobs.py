"""The teaching knobs of the generator (drift, concept, label noise, coverage) and a scenario's record.

Lecture sections 5.3 (data and concept drift), 7 (label noise, coverage) and 8 (the closed loop).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from mlops_edu.data.parameters import _CONCEPTS
from mlops_edu.data.schema import AS_OF, CATEGORIES, US_STATES


@dataclass(frozen=True)
class Knobs:
    """The teaching knobs of :func:`simulate` (all off by default; see the module docstring).

    Attributes
    ----------
    young_share : float
        data drift (5.3): share of customers replaced by campaign sign-ups aged 18-29.
    service_mix : Mapping[str, float] | None
        data drift: target shares of ``InternetService`` values, e.g. ``{"Fiber optic": 0.6}``
        (values not named keep their relative weight).
    price_change : float
        data drift: relative change of every monthly charge (0.1 = +10 %).
    concept : str
        concept drift (5.3): ``"baseline"`` (price-driven), ``"service_quality"`` or ``"pandemic"``.
    concept_strength : float
        0..1, blend between the baseline and ``concept`` (gradual drift).
    label_noise : float
        label noise (7): share of labels in scope that are flipped (exactly, after rounding).
    noise_segment : Mapping[str, Any] | None
        ``{column: value or values}``: only rows matching every entry are in scope.
    noise_mode : str
        ``"uniform"`` (any row in scope) or ``"ambiguous"`` (rows with churn probability near 0.5
        are more likely to be flipped).
    states : tuple[str, ...] | None
        coverage (7): draw customers from these state codes only (``None`` = all states).
    blank_total_charges : bool
        reproduce the real file's quirk (tenure 0, blank ``TotalCharges``).
    teaching_columns : bool
        add ``state``, ``age``, ``signup_date``.
    as_of : pd.Timestamp
        reference date of ``signup_date``.
    """

    young_share: float = 0.0
    service_mix: Mapping[str, float] | None = None
    price_change: float = 0.0
    concept: str = "baseline"
    concept_strength: float = 1.0
    label_noise: float = 0.0
    noise_segment: Mapping[str, Any] | None = None
    noise_mode: str = "uniform"
    states: tuple[str, ...] | None = None
    blank_total_charges: bool = True
    teaching_columns: bool = True
    as_of: pd.Timestamp = AS_OF

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.young_share) <= 1.0:
            raise ValueError(f"young_share must be in [0, 1], got {self.young_share!r}")
        if not -0.9 <= float(self.price_change) <= 10.0:
            raise ValueError(f"price_change must be in [-0.9, 10], got {self.price_change!r}")
        if self.concept not in _CONCEPTS:
            raise ValueError(f"concept must be one of {sorted(_CONCEPTS)}, got {self.concept!r}")
        if not 0.0 <= float(self.concept_strength) <= 1.0:
            raise ValueError(f"concept_strength must be in [0, 1], got {self.concept_strength!r}")
        if not 0.0 <= float(self.label_noise) <= 1.0:
            raise ValueError(f"label_noise must be in [0, 1], got {self.label_noise!r}")
        if self.noise_mode not in ("uniform", "ambiguous"):
            raise ValueError(f"noise_mode must be 'uniform' or 'ambiguous', got {self.noise_mode!r}")
        if self.service_mix is not None:
            bad = [k for k in self.service_mix if k not in CATEGORIES["InternetService"]]
            if bad:
                raise ValueError(f"service_mix: unknown InternetService value(s) {bad}; "
                                 f"allowed {list(CATEGORIES['InternetService'])}")
            vals = list(self.service_mix.values())
            if any(not 0.0 <= float(v) <= 1.0 for v in vals) or sum(vals) > 1.0 + 1e-9:
                raise ValueError(f"service_mix shares must be in [0, 1] and sum to <= 1, got {self.service_mix}")
        if self.states is not None:
            states = (self.states,) if isinstance(self.states, str) else tuple(self.states)
            bad = [s for s in states if s not in US_STATES]
            if bad or not states:
                raise ValueError(f"states: unknown state code(s) {bad or states}; use codes like 'MA'")
            object.__setattr__(self, "states", states)
        object.__setattr__(self, "as_of", pd.Timestamp(self.as_of))

    def active(self) -> dict[str, Any]:
        """The knobs that differ from the defaults (what a scenario changed)."""
        default = Knobs()
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}


@dataclass(frozen=True)
class Scenario:
    """What :func:`simulate` (or :func:`flip_labels`) made, and what its knobs changed.

    Attributes
    ----------
    frame : pd.DataFrame
        the customers (canonical frame).
    knobs : Knobs
        the :class:`Knobs` used.
    changes : tuple[str, ...]
        one human-readable sentence per active knob (empty for the baseline).
    flipped : np.ndarray
        row positions (0-based, ``frame.iloc``) whose ``Churn`` was flipped by label noise.
    churn_proba : np.ndarray | None
        the true P(churn) of each row under the scenario's label model (before label noise).
    """

    frame: pd.DataFrame
    knobs: Knobs
    changes: tuple[str, ...]
    flipped: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    churn_proba: np.ndarray | None = None

    @property
    def description(self) -> str:
        """All changes as one paragraph ("baseline: no knob changed" when none)."""
        return " ".join(self.changes) if self.changes else "baseline: no knob changed."



def _describe(k: Knobs) -> tuple[str, ...]:
    out = []
    if k.young_share:
        out.append(f"data drift (5.3): a campaign replaced {k.young_share:.0%} of customers by sign-ups aged 18-29; "
                   "age, SeniorCitizen and everything that depends on age (contract, services, payment) moved; "
                   "the label model is unchanged.")
    if k.service_mix:
        mix = ", ".join(f"{a} {b:.0%}" for a, b in k.service_mix.items())
        out.append(f"data drift (5.3): InternetService mix moved to {mix}; add-ons and charges follow; "
                   "the label model is unchanged.")
    if k.price_change:
        out.append(f"data drift (5.3): every MonthlyCharges changed by {k.price_change:+.0%} "
                   "(TotalCharges follow); the label model is unchanged.")
    if k.concept != "baseline" and k.concept_strength > 0:
        out.append(f"concept drift (5.3): {k.concept} at strength {k.concept_strength:.2f}: "
                   f"{_CONCEPTS[k.concept]}; inputs are unchanged, only Churn moved.")
    if k.states is not None:
        out.append(f"coverage (7): customers from {', '.join(k.states)} only; state-dependent behaviour applies.")
    if not k.blank_total_charges:
        out.append("quirk off: no tenure-0 customers with blank TotalCharges.")
    if not k.teaching_columns:
        out.append("teaching columns dropped: only the 21 Telco columns.")
    return tuple(out)


