"""The churn data layer: a Telco-schema customer generator with teaching knobs, a loader, validation.

Lecture sections served: 3 and 4 (the churn use case, the stakeholder's churn definition, data quality),
5.1-5.3 (the data every pipeline trains, scores and monitors), 7 (data-centric AI: label noise,
coverage, data size), 8 (the closed loop over months).

Every chapter needs customers and nothing may be downloaded at run time, so :func:`make_customers`
generates them with **exactly the schema of the public IBM "Telco Customer Churn" sample**
(:data:`TELCO_COLUMNS`, same names, same category strings) plus three teaching columns the real file
lacks (:data:`TEACHING_COLUMNS`: ``state``, ``age``, ``signup_date``). Users who have the real CSV pass it
to :func:`load_telco_csv` and get the same canonical typed frame; everything downstream needs only the
21 Telco columns.

Canonical frame (what :func:`make_customers`, :func:`load_telco_csv` and ``lake.read_table`` return):
``SeniorCitizen``, ``tenure`` (and ``age``) are ``int64``; ``MonthlyCharges`` and ``TotalCharges`` are
``float64`` (``TotalCharges`` is NaN where the real file has a blank); ``signup_date`` is
``datetime64[us]``; every other column is the pandas string dtype ``"str"`` holding exactly the published
strings (``Churn`` is ``"Yes"``/``"No"``). See :data:`CANONICAL_DTYPES`.

The generative model (the causal story, in the order the generator draws)
---------------------------------------------------------------------------
1. *Who the customer is.* ``age`` (16 % are 65+, i.e. ``SeniorCitizen`` = 1), ``gender``, ``state``
   (US states weighted by population; each state belongs to a census region). ``Partner`` depends on
   age, ``Dependents`` mostly on ``Partner`` (and is rare among seniors). A hidden *commitment* (not a
   column) grows with partner and dependents and is lower for seniors: it ties the rest together.
2. *What they signed.* ``Contract`` is a multinomial logit of commitment (committed customers sign for
   one or two years). ``tenure`` depends on the contract (means 18 / 42 / 57 months, a spike at 1 month
   among month-to-month customers, a cap at 72) and, within a contract, on commitment (a Gaussian
   copula).
3. *What they use.* ``PhoneService`` (90 %); customers without phone have DSL (as in the real file).
   ``InternetService`` depends on seniority, age, commitment and region (Fiber is popular among seniors
   and the uncommitted, rarer in the rural Midwest; committed customers more often have no internet).
   The six add-ons exist only with internet ("No internet service" otherwise) and share a latent
   *engagement* (commitment + noise): security and tech support are common on DSL, streaming on Fiber,
   all grow with tenure. ``MultipleLines`` exists only with phone ("No phone service" otherwise).
4. *How they pay.* ``PaymentMethod`` is a multinomial logit: electronic check for the uncommitted, Fiber
   users and seniors (so ~78 % of electronic-check payers are month-to-month), mailed check for older
   customers without internet, automatic payment for committed long-standing customers.
   ``MonthlyCharges`` is a price list over the services held (phone ~19, extra lines 5, DSL ~24, Fiber
   ~54, each protective add-on 5, each streaming service 10) plus a small customer-specific
   discount/surcharge, in 5-cent steps; ``TotalCharges`` is about ``MonthlyCharges x tenure`` (past
   price changes add a few percent of noise). ``PaperlessBilling`` depends on internet, fiber,
   commitment, seniority and age.
5. *Why they leave* (:func:`churn_logit`). The churn log-odds add up: contract (one year -1.3, two years
   -2.0 vs month-to-month), tenure (-0.08 per month over the first year), payment (electronic check
   +0.2 to +0.4 vs the others), internet (no internet -0.9; Fiber +0.1 plus its price), price (+0.006 per
   dollar: the "price-driven" world), OnlineSecurity and TechSupport (-0.8 and -0.7), StreamingTV
   (+0.5), senior (+0.5), partner (-0.1), dependents (-0.4), paperless billing (+0.4), and a
   region/state effect the 21 Telco columns do not show (Fiber is flaky in the South and reliable in the
   Northeast, the West is price sensitive, the Northeast is not). A customer with tenure 0 has not had a
   chance to leave (``Churn`` = "No"). ``Churn`` is a Bernoulli draw from these probabilities.
   The marginal differences of the real file (seniors 41.7 % vs 23.6 %, ...) arise mostly through the
   correlated inputs, as in the real data, so the data is as hard as the real file: 5-fold CV of a
   logistic regression or LightGBM reaches ROC AUC about 0.84 and F1 about 0.58, not a toy.
The defaults are calibrated to the published marginals of the real file (:data:`PUBLISHED_FACTS`,
checked by :func:`calibration_table`; the churn coefficients are a least-squares fit to those rates with
a ridge toward effect sizes typical of logistic regressions on the real file and sign constraints).
Randomness comes from independent streams per stage (ids, inputs, labels, label noise), and every
stage draws the same random numbers whatever the knobs, so a knob that touches only labels leaves every
input byte unchanged and a knob that touches age moves only what depends on age.

Knobs (keyword arguments of :func:`make_customers` / :func:`simulate`, see :class:`Knobs`)
-----------------------------------------------------------------------------------------
``simulate(n, seed, **knobs)`` returns a :class:`Scenario`: the frame plus what the knobs changed
(``changes``: one sentence per active knob), the flipped rows of label noise (``flipped``) and the true
churn probability of each row (``churn_proba``). ``make_customers`` returns only the frame.

* Data drift, lecture 5.3 ("a campaign brings younger customers"): ``young_share=0.4`` replaces 40 % of
  customers by campaign sign-ups aged 18-29 (their contracts, services and payments follow from their
  age); ``service_mix={"Fiber optic": 0.6, "DSL": 0.25, "No": 0.15}`` moves the internet mix;
  ``price_change=0.1`` raises every monthly charge by 10 %. The label model (P(churn | inputs)) is
  unchanged: only the inputs move.  -> chapter 04 (drift tests), chapter 10 (closed loop).
* Concept drift, lecture 5.3: ``concept="service_quality"`` (customers stop caring about price and leave
  over missing security/tech support and flaky fiber; overall churn stays about the same) or
  ``concept="pandemic"`` (a shock: month-to-month, senior and electronic-check customers leave much
  more, streaming customers stay); ``concept_strength`` in [0, 1] blends from the baseline (0) to the
  full new concept (1) for gradual drift. Inputs are byte-identical to the baseline with the same seed.
  -> chapters 04 and 10.
* Label noise / ambiguous labels, lecture 7: ``label_noise=0.1`` flips exactly 10 % of the labels in
  scope; ``noise_segment={"Contract": "Month-to-month"}`` concentrates them in a segment;
  ``noise_mode="ambiguous"`` picks customers on the fence (probability near 0.5) rather than uniformly.
  ``Scenario.flipped`` holds the flipped row positions. :func:`flip_labels` does the same to an existing
  frame.  -> chapter 06 (confident learning).
* Coverage, lecture 7 (the Massachusetts example): ``states=("MA",)`` draws customers from those states
  only. Behaviour depends on the region (see step 5), so a model trained on one state transfers worse
  to all states.  -> chapter 06.
* Time, lecture 5.3 and 8: :func:`make_months` returns monthly :class:`MonthBatch` es whose true labels
  arrive ``label_delay`` months later, with a ``schedule`` that switches knobs on from a given month.
  -> chapters 04 and 10.
* Quirk of the real file: ``blank_total_charges=True`` (default) gives ``round(n x 11/7043)`` new
  customers tenure 0 and a blank (NaN) ``TotalCharges``; ``teaching_columns=False`` drops ``state``,
  ``age`` and ``signup_date``.

Raw events for the stakeholder's churn definition (lecture 4.1): :func:`make_events` turns customers into
purchases and cancellations with dates; :func:`label_churn` applies "no repurchase in 90 days or
cancelled within a month" and gives back the labels.

Example::

    >>> from mlops_edu.data import make_customers, validate_customers
    >>> df = make_customers(n=1000, seed=0)
    >>> list(df.columns[:3])
    ['customerID', 'gender', 'SeniorCitizen']
    >>> validate_customers(df) is df
    True
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import ndtr as _ndtr

__all__ = [
    "TELCO_COLUMNS", "TEACHING_COLUMNS", "CATEGORIES", "CANONICAL_DTYPES", "ADDON_COLUMNS", "US_STATES",
    "PUBLISHED_FACTS", "AS_OF", "SchemaError", "Knobs", "Scenario", "MonthBatch", "make_customers",
    "simulate", "churn_logit", "churn_probability", "flip_labels", "make_months", "make_events",
    "label_churn", "load_telco_csv", "validate_customers", "calibration_table",
]

# ----------------------------------------------------------------------------------------------------
# Schema
# ----------------------------------------------------------------------------------------------------
TELCO_COLUMNS: tuple[str, ...] = (
    "customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure", "PhoneService",
    "MultipleLines", "InternetService", "OnlineSecurity", "OnlineBackup", "DeviceProtection",
    "TechSupport", "StreamingTV", "StreamingMovies", "Contract", "PaperlessBilling", "PaymentMethod",
    "MonthlyCharges", "TotalCharges", "Churn",
)
"""The 21 columns of the IBM Telco Customer Churn CSV, in the published order."""

TEACHING_COLUMNS: tuple[str, ...] = ("state", "age", "signup_date")
"""Columns the real file lacks, added for drift (age), coverage (state) and events (signup_date)."""

ADDON_COLUMNS: tuple[str, ...] = (
    "OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies",
)
"""The six internet add-ons ("No internet service" when InternetService is "No")."""

_YES_NO = ("No", "Yes")
_ADDON_VALUES = ("No", "Yes", "No internet service")
CATEGORIES: dict[str, tuple[str, ...]] = {
    "gender": ("Female", "Male"),
    "Partner": _YES_NO,
    "Dependents": _YES_NO,
    "PhoneService": _YES_NO,
    "MultipleLines": ("No", "Yes", "No phone service"),
    "InternetService": ("DSL", "Fiber optic", "No"),
    **{c: _ADDON_VALUES for c in ADDON_COLUMNS},
    "Contract": ("Month-to-month", "One year", "Two year"),
    "PaperlessBilling": _YES_NO,
    "PaymentMethod": ("Electronic check", "Mailed check", "Bank transfer (automatic)",
                      "Credit card (automatic)"),
    "Churn": _YES_NO,
}
"""Allowed values of every string column of the Telco schema (exactly as published)."""

_STR = pd.StringDtype(na_value=np.nan)  # pandas' default "str" dtype
CANONICAL_DTYPES: dict[str, Any] = {
    **{c: "str" for c in TELCO_COLUMNS},
    "SeniorCitizen": "int64", "tenure": "int64", "MonthlyCharges": "float64", "TotalCharges": "float64",
    "state": "str", "age": "int64", "signup_date": "datetime64[us]",
}
"""dtype of every column of the canonical frame (``"str"`` is pandas' default string dtype)."""

MAX_TENURE = 72
AS_OF = pd.Timestamp("2024-12-31")
"""Default reference date: ``signup_date`` is about ``tenure`` months before it."""

# state -> (name, region, population in millions, 2020 census, rounded). Regions: US census regions.
_REGIONS = ("Northeast", "Midwest", "South", "West")
US_STATES: dict[str, tuple[str, str, float]] = {
    "CT": ("Connecticut", "Northeast", 3.6), "ME": ("Maine", "Northeast", 1.4),
    "MA": ("Massachusetts", "Northeast", 7.0), "NH": ("New Hampshire", "Northeast", 1.4),
    "RI": ("Rhode Island", "Northeast", 1.1), "VT": ("Vermont", "Northeast", 0.6),
    "NJ": ("New Jersey", "Northeast", 9.3), "NY": ("New York", "Northeast", 20.2),
    "PA": ("Pennsylvania", "Northeast", 13.0),
    "IL": ("Illinois", "Midwest", 12.8), "IN": ("Indiana", "Midwest", 6.8), "MI": ("Michigan", "Midwest", 10.1),
    "OH": ("Ohio", "Midwest", 11.8), "WI": ("Wisconsin", "Midwest", 5.9), "IA": ("Iowa", "Midwest", 3.2),
    "KS": ("Kansas", "Midwest", 2.9), "MN": ("Minnesota", "Midwest", 5.7), "MO": ("Missouri", "Midwest", 6.2),
    "NE": ("Nebraska", "Midwest", 2.0), "ND": ("North Dakota", "Midwest", 0.8),
    "SD": ("South Dakota", "Midwest", 0.9),
    "DE": ("Delaware", "South", 1.0), "FL": ("Florida", "South", 21.5), "GA": ("Georgia", "South", 10.7),
    "MD": ("Maryland", "South", 6.2), "NC": ("North Carolina", "South", 10.4),
    "SC": ("South Carolina", "South", 5.1), "VA": ("Virginia", "South", 8.6),
    "DC": ("District of Columbia", "South", 0.7), "WV": ("West Virginia", "South", 1.8),
    "AL": ("Alabama", "South", 5.0), "KY": ("Kentucky", "South", 4.5), "MS": ("Mississippi", "South", 3.0),
    "TN": ("Tennessee", "South", 6.9), "AR": ("Arkansas", "South", 3.0), "LA": ("Louisiana", "South", 4.7),
    "OK": ("Oklahoma", "South", 4.0), "TX": ("Texas", "South", 29.1),
    "AZ": ("Arizona", "West", 7.2), "CO": ("Colorado", "West", 5.8), "ID": ("Idaho", "West", 1.8),
    "MT": ("Montana", "West", 1.1), "NV": ("Nevada", "West", 3.1), "NM": ("New Mexico", "West", 2.1),
    "UT": ("Utah", "West", 3.3), "WY": ("Wyoming", "West", 0.6), "AK": ("Alaska", "West", 0.7),
    "CA": ("California", "West", 39.5), "HI": ("Hawaii", "West", 1.5), "OR": ("Oregon", "West", 4.2),
    "WA": ("Washington", "West", 7.7),
}
"""US state code -> (name, census region, population in millions): the ``state`` column's universe."""

_STATE_CODES = tuple(US_STATES)
_STATE_REGION = np.array([_REGIONS.index(US_STATES[s][1]) for s in _STATE_CODES])
_STATE_WEIGHT = np.array([US_STATES[s][2] for s in _STATE_CODES])
# A fixed per-state churn offset (local competition), the same in every seed: a property of the world.
_STATE_OFFSET = np.array([((zlib.crc32(s.encode()) % 1001) / 1000.0 - 0.5) * 0.5 for s in _STATE_CODES])

# ----------------------------------------------------------------------------------------------------
# Errors and results
# ----------------------------------------------------------------------------------------------------


class SchemaError(ValueError):
    """A customer frame or CSV does not follow the Telco schema; the message names every culprit."""


@dataclass(frozen=True)
class Knobs:
    """The teaching knobs of :func:`simulate` (all off by default; see the module docstring).

    Attributes
    ----------
    young_share: data drift (5.3): share of customers replaced by campaign sign-ups aged 18-29.
    service_mix: data drift: target shares of ``InternetService`` values, e.g. ``{"Fiber optic": 0.6}``
        (values not named keep their relative weight).
    price_change: data drift: relative change of every monthly charge (0.1 = +10 %).
    concept: concept drift (5.3): ``"baseline"`` (price-driven), ``"service_quality"`` or ``"pandemic"``.
    concept_strength: 0..1, blend between the baseline and ``concept`` (gradual drift).
    label_noise: label noise (7): share of labels in scope that are flipped (exactly, after rounding).
    noise_segment: ``{column: value or values}``: only rows matching every entry are in scope.
    noise_mode: ``"uniform"`` (any row in scope) or ``"ambiguous"`` (rows with churn probability near 0.5
        are more likely to be flipped).
    states: coverage (7): draw customers from these state codes only (``None`` = all states).
    blank_total_charges: reproduce the real file's quirk (tenure 0, blank ``TotalCharges``).
    teaching_columns: add ``state``, ``age``, ``signup_date``.
    as_of: reference date of ``signup_date``.
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
    frame: the customers (canonical frame).
    knobs: the :class:`Knobs` used.
    changes: one human-readable sentence per active knob (empty for the baseline).
    flipped: row positions (0-based, ``frame.iloc``) whose ``Churn`` was flipped by label noise.
    churn_proba: the true P(churn) of each row under the scenario's label model (before label noise).
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


# ----------------------------------------------------------------------------------------------------
# Generator parameters (calibrated to PUBLISHED_FACTS; see calibration_table)
# ----------------------------------------------------------------------------------------------------
# <calibrated> (rewritten by the calibration script; see calibration_table)
_SENIOR_SHARE = 0.1637
_P_PARTNER = dict(a=-0.8609, age30=0.95, age70=-0.25)
_P_DEPENDENTS = dict(a=-2.3051, partner=2.35, senior=-1.6, age30_55=0.5, young=-0.8)
_P_COMMIT = dict(partner=0.6, dep=0.3, senior=-0.8, agez=0.2)
_COMMIT_MEAN, _COMMIT_SD = 0.3138, 1.1081
_P_CONTRACT = dict(a1=-1.1463, a2=-1.9644, l1=1.0, l2=2.0)
_P_TENURE = dict(rho=0.5, m2m_one=0.1, m2m_scale=26.8227, one_a=1.2256, one_b=1.1, one_cap=0.03,
                 two_a=1.9378, two_b=1.0, two_cap=0.05)
_P_PHONE = 0.903
_P_INTERNET = dict(fib=0.4657, no=-0.5624, fib_senior=1.0, fib_commit=-0.5, fib_young=0.3, no_commit=0.4,
                   no_agez=0.3)
_P_PAYMENT = dict(ec=0.2384, bt=-0.1145, cc=-0.1297, ec_commit=-0.6, ec_fiber=0.8, ec_nonet=-0.6,
                  ec_senior=0.7, ec_one=-0.2275, ec_two=-0.7275, auto_commit=0.4, auto_tenure=0.25,
                  mc_agez=0.25, mc_nonet=0.5)
_P_ML = dict(a=-0.4502, tenure=0.035, fiber=0.6)
_P_ADDON = {  # intercept, tenure_z, fiber, age_z
    'OnlineSecurity': (-0.3021, 0.4, -1.0, 0.0),
    'OnlineBackup': (-0.2249, 0.5, -0.3, 0.0),
    'DeviceProtection': (-0.4119, 0.5, 0.0, 0.0),
    'TechSupport': (-0.275, 0.4, -1.0, 0.0),
    'StreamingTV': (-0.6167, 0.3, 1.0, -0.3),
    'StreamingMovies': (-0.6159, 0.3, 1.0, -0.3),
}
_ENGAGEMENT = dict(commit=0.8, noise=0.8)
_PRICE = dict(phone=18.5625, ml=5.0, dsl=24.0656, fiber=53.5395, addon=5.0, stream=10.0, noise=1.2)
_P_PAPERLESS = dict(a=-0.4963, internet=0.9, fiber=0.6, commit=-0.3, senior=0.6, agez=-0.15)
_GENDER_MALE = 0.505
_CHURN = dict(b0=0.2677, one=-1.2891, two=-2.0113, t1=-0.0773, t2=-0.0, t3=-0.0, t4=-0.0092, mc=-0.4151,
              bt=-0.1798, cc=-0.3198, fiber=0.1184, no=-0.8835, price=0.006, os=-0.8026, ob=-0.0, dp=-0.0,
              ts=-0.7307, stv=0.5193, sm=0.1097, senior=0.4831, partner=-0.1038, dep=-0.4036,
              paperless=0.402)
# </calibrated>
_REGION_INTERNET = np.array([[0.25, -0.25], [-0.25, 0.45], [0.0, 0.0], [0.05, -0.15]])  # (fiber, no) by region
# region behaviour (Northeast, Midwest, South, West): churn offset, fiber delta, price multiplier, EC delta
_REGION_CHURN = np.array([[0.0, -0.9, 0.3, -0.2],
                          [-0.1, 0.2, 1.0, 0.0],
                          [0.1, 0.5, 1.0, 0.3],
                          [0.0, -0.1, 1.8, 0.0]])
_POP_SHARE = _STATE_WEIGHT / _STATE_WEIGHT.sum()
_REGION_AVERAGE = np.bincount(_STATE_REGION, weights=_POP_SHARE, minlength=4) @ _REGION_CHURN
_STATE_OFFSET_AVERAGE = float(_POP_SHARE @ _STATE_OFFSET)
_CONCEPTS = {
    "baseline": "churn is price-driven (the calibrated default)",
    "service_quality": "customers ignore price and leave over missing security/tech support and flaky fiber",
    "pandemic": "a shock: month-to-month, senior and electronic-check customers leave much more, streamers stay",
}
_CONCEPT_B0 = {"baseline": 0.0, "service_quality": -0.1, "pandemic": 0.0}  # service_quality keeps the churn level

# ----------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _draw_categorical(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw: row i gets category k with probability probs[i, k] (u uniform in [0, 1))."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    return (u[:, None] >= cum[:, :-1]).sum(axis=1)


def _softmax(scores: np.ndarray) -> np.ndarray:
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _str_column(codes: np.ndarray, values: Sequence[str]) -> pd.Series:
    """Fast codes -> pandas "str" column (via an Arrow take)."""
    arr = pa.array(list(values), type=pa.large_string()).take(pa.array(codes.astype(np.int64)))
    return pd.Series(arr.to_pandas(types_mapper={pa.large_string(): _STR}.get), dtype=_STR)


def _customer_ids(rng: np.random.Generator, n: int) -> pd.Series:
    """Unique ids in the published format "DDDD-LLLLL" (4 digits, dash, 5 capital letters)."""
    space = 10_000 * 26 ** 5
    ids = rng.integers(0, space, size=n)
    # redraw duplicates (rare) until all are unique; deterministic given the stream
    while True:
        _, first = np.unique(ids, return_index=True)
        if first.size == n:
            break
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        ids[dup] = rng.integers(0, space, size=int(dup.sum()))
    num, let = ids // 26 ** 5, ids % 26 ** 5
    buf = np.empty((n, 10), dtype=np.uint8)
    for k in range(4):
        buf[:, 3 - k] = 48 + (num // 10 ** k) % 10
    buf[:, 4] = ord("-")
    for k in range(5):
        buf[:, 9 - k] = 65 + (let // 26 ** k) % 26
    arr = pa.array(buf.view("S10").ravel(), type=pa.binary(10)).cast(pa.large_string())
    return pd.Series(arr.to_pandas(types_mapper={pa.large_string(): _STR}.get), dtype=_STR)


def _streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent random streams per stage: a knob that changes one stage leaves the others alone."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    names = ("ids", "inputs", "labels", "noise", "state", "quirk")
    return {k: np.random.default_rng(s) for k, s in zip(names, np.random.SeedSequence(int(seed)).spawn(len(names)))}


# ----------------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------------


def _kumaraswamy_ppf(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """Inverse CDF of the Kumaraswamy(a, b) distribution on (0, 1) (a closed-form Beta look-alike)."""
    return (1.0 - (1.0 - u) ** (1.0 / b)) ** (1.0 / a)


def _generate_inputs(n: int, st: dict[str, np.random.Generator], k: Knobs) -> dict[str, np.ndarray]:
    """Draw every input column as numpy codes (see the module docstring for the story)."""
    rng = st["inputs"]
    # A fixed block of random numbers per variable, always drawn in the same order whatever the knobs:
    # common random numbers, so a knob changes only what depends on it.
    u = rng.random((22, n))
    g = rng.standard_normal((6, n))
    beta_age = rng.beta(1.5, 1.3, size=n)
    exp_senior = rng.exponential(7.5, size=n)
    young_age = rng.integers(18, 30, size=n)

    # 1. who: state, age, gender, partner, dependents
    w = _STATE_WEIGHT.copy()
    if k.states is not None:
        w = np.where(np.isin(np.array(_STATE_CODES), k.states), w, 0.0)
    state = st["state"].choice(len(_STATE_CODES), size=n, p=w / w.sum())
    region = _STATE_REGION[state]
    senior_draw = u[0] < _SENIOR_SHARE
    age = np.where(senior_draw, 65 + np.minimum(np.floor(exp_senior), 25), 18 + np.floor(47 * beta_age))
    if k.young_share > 0:
        age = np.where(u[1] < k.young_share, young_age, age)
    age = age.astype(np.int64)
    senior = (age >= 65).astype(np.int64)
    agez = (np.minimum(age, 64) - 42.0) / 13.0  # working-age position; seniors count as 64
    young = age < 30
    male = u[2] < _GENDER_MALE
    p = _P_PARTNER
    partner = u[3] < _sigmoid(p["a"] + p["age30"] * (age >= 30) + p["age70"] * (age >= 70))
    p = _P_DEPENDENTS
    dependents = u[4] < _sigmoid(p["a"] + p["partner"] * partner + p["senior"] * senior
                                 + p["age30_55"] * ((age >= 30) & (age < 55)) + p["young"] * (age < 25))
    p = _P_COMMIT
    commit = p["partner"] * partner + p["dep"] * dependents + p["senior"] * senior + p["agez"] * agez + g[0]

    # 2. contract and tenure (a Gaussian copula ties tenure to commitment within each contract)
    p = _P_CONTRACT
    scores = np.stack([np.zeros(n), p["a1"] + p["l1"] * commit, p["a2"] + p["l2"] * commit], axis=1)
    contract = _draw_categorical(u[5], _softmax(scores))
    p = _P_TENURE
    c_std = (commit - _COMMIT_MEAN) / _COMMIT_SD
    ut = np.clip(_ndtr(p["rho"] * c_std + math.sqrt(1 - p["rho"] ** 2) * g[1]), 1e-12, 1 - 1e-12)
    v = np.clip((ut - p["m2m_one"]) / (1 - p["m2m_one"]), 0.0, 1 - 1e-12)
    t_m2m = np.where(ut < p["m2m_one"], 1, np.minimum(1 + np.floor(-p["m2m_scale"] * np.log1p(-v)), MAX_TENURE))
    t_one = np.where(ut > 1 - p["one_cap"], MAX_TENURE,
                     1 + np.floor(_kumaraswamy_ppf(np.minimum(ut / (1 - p["one_cap"]), 1 - 1e-12), p["one_a"], p["one_b"]) * MAX_TENURE))
    t_two = np.where(ut > 1 - p["two_cap"], MAX_TENURE,
                     1 + np.floor(_kumaraswamy_ppf(np.minimum(ut / (1 - p["two_cap"]), 1 - 1e-12), p["two_a"], p["two_b"]) * MAX_TENURE))
    tenure = np.minimum(np.select([contract == 0, contract == 1], [t_m2m, t_one], t_two), MAX_TENURE)
    tenure = tenure.astype(np.int64)
    tz = (tenure - 32.0) / 24.0
    m2m, one, two = contract == 0, contract == 1, contract == 2

    # 3. services
    phone = u[8] < _P_PHONE
    p = _P_INTERNET
    sf = (p["fib"] + p["fib_senior"] * senior + p["fib_commit"] * commit + p["fib_young"] * young
          + _REGION_INTERNET[region, 0])
    sn = p["no"] + p["no_commit"] * commit + p["no_agez"] * agez + _REGION_INTERNET[region, 1]
    probs = _softmax(np.stack([np.zeros(n), sf, sn], axis=1))
    probs[~phone] = (1.0, 0.0, 0.0)  # no phone -> DSL, as in the real file
    if k.service_mix:
        probs = _rake_columns(probs, k.service_mix)
    internet = _draw_categorical(u[9], probs)
    has_net = internet != 2
    fiber = internet == 1
    p = _ENGAGEMENT
    engagement = p["commit"] * commit + p["noise"] * g[2]
    addons = {}
    for j, (col, (a, bt, bf, ba)) in enumerate(_P_ADDON.items()):
        logit = a + engagement + bt * tz + bf * fiber + ba * agez
        addons[col] = has_net & (u[10 + j] < _sigmoid(logit))
    p = _P_ML
    ml = phone & (u[16] < _sigmoid(p["a"] + p["tenure"] * (tenure - 32) + p["fiber"] * fiber))

    # 4. payment (after services: fiber users pay by electronic check, long-standing ones automatically)
    p = _P_PAYMENT
    auto = p["auto_commit"] * commit + p["auto_tenure"] * tz
    scores = np.stack([
        p["ec"] + p["ec_commit"] * commit + p["ec_fiber"] * fiber + p["ec_nonet"] * ~has_net
        + p["ec_senior"] * senior + p["ec_one"] * one + p["ec_two"] * two,
        p["mc_agez"] * agez + p["mc_nonet"] * ~has_net,
        p["bt"] + auto,
        p["cc"] + auto,
    ], axis=1)
    payment = _draw_categorical(u[7], _softmax(scores))

    # 5. charges, billing
    p = _PRICE
    n_prot = (addons["OnlineSecurity"].astype(np.int64) + addons["OnlineBackup"] + addons["DeviceProtection"]
              + addons["TechSupport"])
    n_stream = addons["StreamingTV"].astype(np.int64) + addons["StreamingMovies"]
    price = (p["phone"] * phone + p["ml"] * ml + p["dsl"] * (internet == 0) + p["fiber"] * fiber
             + p["addon"] * n_prot + p["stream"] * n_stream + p["noise"] * g[3])
    price = np.clip(price, 18.25, 118.75)
    if k.price_change:
        price = price * (1.0 + k.price_change)
    monthly = np.round(price * 20.0) / 20.0  # 5-cent steps like the real file
    total = np.where(tenure <= 1, monthly * tenure,
                     monthly + (tenure - 1) * monthly * np.exp(0.04 * g[4]))
    total = np.round(total, 2)
    p = _P_PAPERLESS
    paperless = u[17] < _sigmoid(p["a"] + p["internet"] * has_net + p["fiber"] * fiber + p["commit"] * commit
                                 + p["senior"] * senior + p["agez"] * agez)
    signup_days = np.floor(tenure * 30.4375 + u[18] * 30.0).astype(np.int64)

    return dict(state=state, region=region, age=age, senior=senior, male=male, partner=partner,
                dependents=dependents, contract=contract, tenure=tenure, payment=payment, phone=phone,
                ml=ml, internet=internet, **{c: addons[c] for c in ADDON_COLUMNS}, monthly=monthly,
                total=total, paperless=paperless, signup_days=signup_days)


def _rake_columns(probs: np.ndarray, mix: Mapping[str, float]) -> np.ndarray:
    """Re-weight the InternetService columns so their mean shares match ``mix`` (rows stay valid)."""
    cats = CATEGORIES["InternetService"]
    named = {cats.index(c): float(v) for c, v in mix.items()}
    out = probs.copy()
    for _ in range(30):
        share = out.mean(axis=0)
        rest = 1.0 - sum(named.values())
        rest_now = sum(share[j] for j in range(3) if j not in named)
        w = np.ones(3)
        for j in range(3):
            if j in named:
                w[j] = named[j] / max(share[j], 1e-12)
            elif rest_now > 0:
                w[j] = rest / rest_now
        out = out * w
        out /= out.sum(axis=1, keepdims=True)
    return out


# ----------------------------------------------------------------------------------------------------
# The label model
# ----------------------------------------------------------------------------------------------------


def _logit_from_codes(c: Mapping[str, np.ndarray], concept: str = "baseline", strength: float = 1.0) -> np.ndarray:
    b = _CHURN
    contract, tenure, payment, internet = c["contract"], c["tenure"], c["payment"], c["internet"]
    m = c["monthly"]
    region = c.get("region")
    n = len(tenure)
    if region is None:  # no state column: the population-average behaviour of all states
        reg = np.broadcast_to(_REGION_AVERAGE, (n, 4))
        off = np.full(n, _STATE_OFFSET_AVERAGE)
    else:
        known = (region >= 0)[:, None]
        reg = np.where(known, _REGION_CHURN[np.maximum(region, 0)], _REGION_AVERAGE)
        off = c.get("state_offset", np.full(n, _STATE_OFFSET_AVERAGE))
    t = tenure.astype(float)
    tenure_term = (b["t1"] * np.minimum(t, 12) + b["t2"] * np.clip(t - 12, 0, 12)
                   + b["t3"] * np.clip(t - 24, 0, 24) + b["t4"] * np.clip(t - 48, 0, 24))
    price_term = b["price"] * (m - 65.0)
    fiber = internet == 1
    os_, ts = c["OnlineSecurity"].astype(float), c["TechSupport"].astype(float)
    stream = c["StreamingTV"].astype(float) + c["StreamingMovies"].astype(float)
    price_mult = reg[:, 2]
    fib_coef = b["fiber"] + reg[:, 1]
    prot = b["os"] * os_ + b["ts"] * ts
    s = float(strength)
    extra = np.zeros(n)
    if concept == "service_quality":
        price_mult = price_mult * (1.0 - s)
        prot = prot * (1.0 + s)
        fib_coef = fib_coef + 0.7 * s
        extra += _CONCEPT_B0["service_quality"] * s
    elif concept == "pandemic":
        extra += s * (0.9 * (contract == 0) + 0.5 * c["senior"] + 0.4 * (payment == 0) - 0.3 * stream)
    logit = (b["b0"] + reg[:, 0] + off
             + np.array([0.0, b["one"], b["two"]])[contract]
             + tenure_term
             + np.array([0.0, b["mc"], b["bt"], b["cc"]])[payment] + reg[:, 3] * (payment == 0)
             + np.where(fiber, fib_coef, 0.0) + b["no"] * (internet == 2)
             + price_mult * price_term
             + prot + b["ob"] * c["OnlineBackup"] + b["dp"] * c["DeviceProtection"]
             + b["stv"] * c["StreamingTV"] + b["sm"] * c["StreamingMovies"]
             + b["senior"] * c["senior"] + b["partner"] * c["partner"] + b["dep"] * c["dependents"]
             + b["paperless"] * c["paperless"] + extra)
    return np.where(tenure == 0, -np.inf, logit)


def _codes_from_frame(df: pd.DataFrame) -> dict[str, np.ndarray]:
    def code(col: str) -> np.ndarray:
        cats = CATEGORIES[col]
        vals = df[col].to_numpy(dtype=object)
        out = pd.Categorical(vals, categories=list(cats)).codes.astype(np.int64)
        if (out < 0).any():
            raise SchemaError(f"column {col!r}: unknown value(s) {sorted(set(vals[out < 0]) - {None})[:5]}")
        return out

    c: dict[str, np.ndarray] = {
        "contract": code("Contract"), "tenure": df["tenure"].to_numpy(dtype=np.int64),
        "payment": code("PaymentMethod"), "internet": code("InternetService"),
        "monthly": df["MonthlyCharges"].to_numpy(dtype=float),
        "senior": df["SeniorCitizen"].to_numpy(dtype=np.int64),
        "partner": code("Partner"), "dependents": code("Dependents"), "paperless": code("PaperlessBilling"),
    }
    for col in ADDON_COLUMNS:
        c[col] = (code(col) == 1).astype(np.int64)
    if "state" in df.columns:
        idx = pd.Categorical(df["state"].to_numpy(dtype=object), categories=list(_STATE_CODES)).codes
        c["region"] = np.where(idx >= 0, _STATE_REGION[np.maximum(idx, 0)], -1)
        c["state_offset"] = np.where(idx >= 0, _STATE_OFFSET[np.maximum(idx, 0)], _STATE_OFFSET_AVERAGE)
    return c


def churn_logit(df: pd.DataFrame, concept: str = "baseline", strength: float = 1.0) -> np.ndarray:
    """True churn log-odds of each customer under the generator's label model (lecture 5.1, 5.3).

    Parameters
    ----------
    df: a canonical customer frame (the 21 Telco columns; ``state`` used when present, otherwise the
        all-states average behaviour).
    concept: ``"baseline"``, ``"service_quality"`` or ``"pandemic"`` (see :class:`Knobs`).
    strength: blend 0..1 between the baseline and ``concept``.

    Returns
    -------
    float array; ``-inf`` for tenure 0 (a brand-new customer cannot have left yet).

    Example::

        >>> p = churn_probability(make_customers(100, seed=1))
        >>> bool(((p >= 0) & (p <= 1)).all())
        True
    """
    if concept not in _CONCEPTS:
        raise ValueError(f"concept must be one of {sorted(_CONCEPTS)}, got {concept!r}")
    return _logit_from_codes(_codes_from_frame(df), concept, strength)


def churn_probability(df: pd.DataFrame, concept: str = "baseline", strength: float = 1.0) -> np.ndarray:
    """True P(churn) of each customer (the sigmoid of :func:`churn_logit`): the best any model can do."""
    return _sigmoid(churn_logit(df, concept, strength))


# ----------------------------------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------------------------------


def simulate(n: int = 7043, seed: int = 0, **knobs: Any) -> Scenario:
    """Generate ``n`` Telco-schema customers and report what the knobs changed (lecture 5.3, 7).

    Parameters
    ----------
    n: number of customers (>= 1).
    seed: non-negative integer; same seed and knobs -> identical bytes.
    **knobs: see :class:`Knobs` (e.g. ``young_share=0.4``, ``concept="service_quality"``,
        ``label_noise=0.1``, ``states=("MA",)``).

    Returns
    -------
    :class:`Scenario` with the frame, the knobs, one sentence per change, the flipped rows and the
    true churn probabilities.

    Example::

        >>> sc = simulate(2000, seed=0, young_share=0.4)
        >>> sc.changes[0].startswith("data drift")
        True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = int(n)
    try:
        k = Knobs(**knobs)
    except TypeError as exc:
        allowed = [f.name for f in dataclasses.fields(Knobs)]
        raise TypeError(f"unknown knob in {sorted(knobs)}; allowed knobs: {allowed}") from exc
    st = _streams(seed)
    c = _generate_inputs(n, st, k)
    c["state_offset"] = _STATE_OFFSET[c["state"]]

    # the real file's quirk: brand-new customers with tenure 0 and a blank TotalCharges
    n_new = int(round(n * 11 / 7043)) if k.blank_total_charges else 0
    if n_new:
        rows = st["quirk"].choice(np.flatnonzero(c["contract"] == 2) if (c["contract"] == 2).sum() >= n_new
                                  else np.arange(n), size=n_new, replace=False)
        c["tenure"][rows] = 0
        c["total"][rows] = np.nan
        c["signup_days"][rows] = np.floor(st["quirk"].random(n_new) * 30).astype(np.int64)

    logit = _logit_from_codes(c, k.concept, k.concept_strength)
    proba = _sigmoid(logit)
    churn = st["labels"].random(n) < proba

    frame = _assemble(c, churn, st["ids"], k)
    changes = _describe(k)
    flipped = np.empty(0, dtype=np.int64)
    if k.label_noise > 0:
        res = flip_labels(frame, k.label_noise, seed=int(st["noise"].integers(2**31)),
                          segment=k.noise_segment, mode=k.noise_mode, proba=proba)
        frame, flipped = res.frame, res.flipped
        changes = changes + res.changes
    return Scenario(frame=frame, knobs=k, changes=changes, flipped=flipped, churn_proba=proba)


def make_customers(n: int = 7043, seed: int = 0, **knobs: Any) -> pd.DataFrame:
    """Generate ``n`` customers with exactly the Telco schema (+ teaching columns) (lectures 3-8).

    Parameters
    ----------
    n: number of customers; the default is the size of the real file.
    seed: non-negative integer; same seed and knobs -> identical bytes, another seed -> other data.
    **knobs: teaching knobs (drift, concept, label noise, coverage...), see :class:`Knobs` and the
        module docstring. Use :func:`simulate` to also get what the knobs changed.

    Returns
    -------
    The canonical frame: :data:`TELCO_COLUMNS` then :data:`TEACHING_COLUMNS`, dtypes as
    :data:`CANONICAL_DTYPES`, a RangeIndex.

    Example::

        >>> df = make_customers(7043, seed=0)
        >>> df.shape, int(df["TotalCharges"].isna().sum())
        ((7043, 24), 11)
    """
    return simulate(n, seed, **knobs).frame


def _assemble(c: Mapping[str, np.ndarray], churn: np.ndarray, rng_ids: np.random.Generator, k: Knobs) -> pd.DataFrame:
    n = len(churn)
    yn = lambda b: _str_column(np.asarray(b, dtype=np.int64), _YES_NO)  # noqa: E731
    addon = lambda col: _str_column(np.where(c["internet"] == 2, 2, c[col].astype(np.int64)), _ADDON_VALUES)  # noqa: E731
    cols: dict[str, pd.Series] = {
        "customerID": _customer_ids(rng_ids, n),
        "gender": _str_column(c["male"].astype(np.int64), CATEGORIES["gender"]),
        "SeniorCitizen": pd.Series(c["senior"].astype(np.int64)),
        "Partner": yn(c["partner"]),
        "Dependents": yn(c["dependents"]),
        "tenure": pd.Series(c["tenure"].astype(np.int64)),
        "PhoneService": yn(c["phone"]),
        "MultipleLines": _str_column(np.where(c["phone"], c["ml"].astype(np.int64), 2), CATEGORIES["MultipleLines"]),
        "InternetService": _str_column(c["internet"], CATEGORIES["InternetService"]),
        **{col: addon(col) for col in ADDON_COLUMNS},
        "Contract": _str_column(c["contract"], CATEGORIES["Contract"]),
        "PaperlessBilling": yn(c["paperless"]),
        "PaymentMethod": _str_column(c["payment"], CATEGORIES["PaymentMethod"]),
        "MonthlyCharges": pd.Series(c["monthly"].astype(np.float64)),
        "TotalCharges": pd.Series(c["total"].astype(np.float64)),
        "Churn": yn(churn),
    }
    if k.teaching_columns:
        cols["state"] = _str_column(c["state"], _STATE_CODES)
        cols["age"] = pd.Series(c["age"].astype(np.int64))
        as_of = np.datetime64(k.as_of.normalize().to_datetime64(), "us")
        cols["signup_date"] = pd.Series(as_of - c["signup_days"].astype("timedelta64[D]").astype("timedelta64[us]"))
    return pd.DataFrame(cols)


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


# ----------------------------------------------------------------------------------------------------
# Label noise (lecture 7)
# ----------------------------------------------------------------------------------------------------


def _segment_mask(df: pd.DataFrame, segment: Mapping[str, Any] | None) -> np.ndarray:
    if segment is None:
        return np.ones(len(df), dtype=bool)
    mask = np.ones(len(df), dtype=bool)
    for col, val in segment.items():
        if col not in df.columns:
            raise ValueError(f"noise segment: unknown column {col!r}")
        vals = [val] if isinstance(val, (str, int, float, np.integer, np.floating)) else list(val)
        mask &= df[col].isin(vals).to_numpy()
    return mask


def flip_labels(df: pd.DataFrame, rate: float, seed: int = 0, segment: Mapping[str, Any] | None = None,
                mode: str = "uniform", proba: np.ndarray | None = None) -> Scenario:
    """Flip exactly ``round(rate x rows in scope)`` Churn labels: label noise (lecture 7).

    Parameters
    ----------
    df: canonical customer frame with ``Churn`` (not modified; a copy is returned).
    rate: share of the rows in scope to flip, 0..1.
    seed: non-negative integer.
    segment: ``{column: value or list of values}``; only matching rows are in scope (e.g.
        ``{"Contract": "Month-to-month"}``: noisy labels concentrated where the stakeholders disagree).
    mode: ``"uniform"`` or ``"ambiguous"`` (rows are picked with weight p(1-p), customers on the fence;
        ``proba`` defaults to :func:`churn_probability`).
    proba: true churn probabilities used by ``mode="ambiguous"``.

    Returns
    -------
    :class:`Scenario` with the new frame, ``flipped`` (sorted row positions) and a sentence.

    Example::

        >>> res = flip_labels(make_customers(1000, seed=0), 0.1, seed=1)
        >>> len(res.flipped)
        100
    """
    if "Churn" not in df.columns:
        raise SchemaError("flip_labels: the frame has no 'Churn' column")
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate!r}")
    if mode not in ("uniform", "ambiguous"):
        raise ValueError(f"mode must be 'uniform' or 'ambiguous', got {mode!r}")
    scope = np.flatnonzero(_segment_mask(df, segment))
    k = int(round(float(rate) * scope.size))
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)).spawn(1)[0])
    if k == 0:
        chosen = np.empty(0, dtype=np.int64)
    elif mode == "uniform":
        chosen = rng.choice(scope, size=k, replace=False)
    else:
        p = churn_probability(df) if proba is None else np.asarray(proba, dtype=float)
        w = p[scope] * (1 - p[scope]) + 1e-9
        # weighted sampling without replacement (Efraimidis-Spirakis keys), vectorised
        keys = rng.random(scope.size) ** (1.0 / w)
        chosen = scope[np.argsort(-keys, kind="stable")[:k]]
    chosen = np.sort(chosen).astype(np.int64)
    out = df.copy()
    churn = out["Churn"].to_numpy(dtype=object).copy()
    churn[chosen] = np.where(churn[chosen] == "Yes", "No", "Yes")
    out["Churn"] = pd.Series(churn, index=out.index, dtype=_STR)
    where = "all rows" if segment is None else "rows with " + ", ".join(f"{a}={b!r}" for a, b in segment.items())
    how = "uniformly" if mode == "uniform" else "preferring ambiguous customers (p near 0.5)"
    msg = (f"label noise (7): flipped {k} of {scope.size} Churn labels ({rate:.0%} of {where}) {how}; "
           "inputs unchanged.")
    knobs = Knobs(label_noise=float(rate), noise_segment=segment, noise_mode=mode)
    return Scenario(frame=out, knobs=knobs, changes=(msg,), flipped=chosen, churn_proba=proba)


# ----------------------------------------------------------------------------------------------------
# Time: monthly batches (lecture 5.3, 8)
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthBatch:
    """The customers scored in one month; their true labels arrive ``label_delay`` months later.

    Attributes
    ----------
    month: 0-based month index.
    period: ``"YYYY-MM"``.
    frame: the month's customers with their (eventually known) ``Churn``.
    knobs: the knobs in force that month.
    changes: what the knobs changed relative to the baseline.
    label_delay: months until the labels are known.
    """

    month: int
    period: str
    frame: pd.DataFrame
    knobs: Knobs
    changes: tuple[str, ...]
    label_delay: int = 1

    @property
    def features(self) -> pd.DataFrame:
        """What the model sees at scoring time (the frame without ``Churn``)."""
        return self.frame.drop(columns=["Churn"])

    @property
    def labels(self) -> pd.Series:
        """The true ``Churn`` (known only from month ``labels_available`` on)."""
        return self.frame["Churn"]

    @property
    def labels_available(self) -> int:
        """Month index from which this batch's labels are known."""
        return self.month + self.label_delay


def make_months(n_months: int = 12, per_month: int = 1000, seed: int = 0, start: str = "2024-01",
                schedule: Mapping[int, Mapping[str, Any]] | None = None, label_delay: int = 1,
                **knobs: Any) -> list[MonthBatch]:
    """Monthly batches of new customers for monitoring and the closed loop (lecture 5.3, 8).

    Parameters
    ----------
    n_months: number of months.
    per_month: customers per month.
    seed: non-negative integer (each month draws from its own stream derived from it).
    start: first month, ``"YYYY-MM"``; ``signup_date`` is counted back from each month's last day.
    schedule: ``{month_index: {knob: value}}``: from that month on these knobs apply (later entries
        update earlier ones), e.g. ``{6: {"young_share": 0.5}, 9: {"concept": "pandemic"}}``.
        Gradual drift: one entry per month, e.g. ``{m: {"concept": "service_quality",
        "concept_strength": m / 11} for m in range(12)}``.
    label_delay: months until the true labels arrive (``MonthBatch.labels_available``).
    **knobs: knobs in force in every month (before the schedule).

    Returns
    -------
    list of :class:`MonthBatch`; customer ids are unique across all months.

    Example::

        >>> months = make_months(3, 200, seed=0, schedule={2: {"young_share": 0.5}})
        >>> [m.period for m in months], months[2].changes[0][:10]
        (['2024-01', '2024-02', '2024-03'], 'data drift')
    """
    if n_months < 1 or per_month < 1:
        raise ValueError(f"n_months and per_month must be >= 1, got {n_months}, {per_month}")
    if label_delay < 0:
        raise ValueError(f"label_delay must be >= 0, got {label_delay}")
    schedule = dict(schedule or {})
    bad = [m for m in schedule if not 0 <= int(m) < n_months]
    if bad:
        raise ValueError(f"schedule months {bad} are outside 0..{n_months - 1}")
    first = pd.Period(start, freq="M")
    ids = _customer_ids(np.random.default_rng(np.random.SeedSequence([int(seed), 99])), n_months * per_month)
    current = dict(knobs)
    out = []
    for m in range(n_months):
        current.update(schedule.get(m, {}))
        period = first + m
        as_of = period.to_timestamp(how="end").normalize()
        sc = simulate(per_month, seed=int(np.random.SeedSequence([int(seed), m]).generate_state(1)[0]),
                      **{**current, "as_of": as_of})
        frame = sc.frame
        frame["customerID"] = ids.iloc[m * per_month:(m + 1) * per_month].to_numpy()
        frame["customerID"] = frame["customerID"].astype(_STR)
        out.append(MonthBatch(month=m, period=str(period), frame=frame, knobs=sc.knobs, changes=sc.changes,
                              label_delay=int(label_delay)))
    return out


# ----------------------------------------------------------------------------------------------------
# Raw events and the stakeholder's churn definition (lecture 4.1)
# ----------------------------------------------------------------------------------------------------


def make_events(customers: pd.DataFrame, seed: int = 0, as_of: Any = None, history_days: int = 365,
                no_purchase_days: int = 90, cancel_within_days: int = 30) -> pd.DataFrame:
    """Raw purchase and cancellation events consistent with the customers' ``Churn`` (lecture 4.1).

    Staying customers buy about every 30 days up to ``as_of``. Churners either stopped buying more
    than ``no_purchase_days`` ago ("lapsed") or cancelled their subscription in the last
    ``cancel_within_days`` days. So ``label_churn(make_events(df), as_of)`` gives back ``df["Churn"]``.

    Parameters
    ----------
    customers: frame with ``customerID``, ``Churn``, ``tenure``, ``MonthlyCharges`` (``signup_date``
        used when present).
    seed: non-negative integer.
    as_of: the labelling date (default: :data:`AS_OF`).
    history_days: how far back the event log goes.
    no_purchase_days, cancel_within_days: the definition the events are built to satisfy.

    Returns
    -------
    DataFrame ``customerID`` (str), ``date`` (datetime64[us]), ``event`` ("purchase" | "cancel"),
    ``amount`` (float, NaN for cancellations), sorted by customer and date.

    Example::

        >>> df = make_customers(200, seed=0)
        >>> ev = make_events(df, seed=0)
        >>> bool((label_churn(ev, AS_OF).set_index("customerID").loc[df.customerID, "Churn"].to_numpy()
        ...       == df["Churn"].to_numpy()).all())
        True
    """
    for col in ("customerID", "Churn", "tenure", "MonthlyCharges"):
        if col not in customers.columns:
            raise SchemaError(f"make_events: missing column {col!r}")
    as_of = pd.Timestamp(AS_OF if as_of is None else as_of).normalize()
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 4]))
    n = len(customers)
    churn = customers["Churn"].to_numpy(dtype=object) == "Yes"
    if "signup_date" in customers.columns:
        signup_age = (as_of - pd.to_datetime(customers["signup_date"])).dt.days.to_numpy()
    else:
        signup_age = np.floor(customers["tenure"].to_numpy() * 30.4375 + 15).astype(np.int64)
    signup_age = np.maximum(signup_age, 0)
    u = rng.random((4, n))
    # days before as_of of the last purchase, and of a cancellation (-1 = none)
    lapse_ok = signup_age > no_purchase_days + 1
    lapsed = churn & lapse_ok & (u[0] < 0.5)
    cancelled = churn & ~lapsed
    last = np.where(lapsed,
                    no_purchase_days + 1 + np.floor(u[1] * np.maximum(np.minimum(signup_age, history_days)
                                                                      - no_purchase_days - 1, 1)),
                    np.floor(u[1] * np.minimum(30, signup_age + 1)))
    last = np.minimum(last, signup_age).astype(np.int64)
    cancel = np.where(cancelled, np.floor(u[2] * np.minimum(cancel_within_days + 1, last + 1)), -1).astype(np.int64)
    cancel = np.where(cancelled, np.minimum(cancel, last), -1)
    # purchases every 30 days (+-3) going back from `last` while within history and after sign-up
    kmax = history_days // 27 + 1
    steps = np.arange(kmax)[None, :] * 30 + np.round((rng.random((n, kmax)) - 0.5) * 6).astype(np.int64)
    steps[:, 0] = 0
    days = last[:, None] + steps
    keep = (days <= np.minimum(signup_age, history_days)[:, None])
    row, col = np.nonzero(keep)
    amount = np.round(customers["MonthlyCharges"].to_numpy(dtype=float)[row]
                      * (1 + 0.02 * (rng.random(row.size) - 0.5)), 2)
    ids = customers["customerID"].to_numpy(dtype=object)
    as_of64 = np.datetime64(as_of.to_datetime64(), "us")
    purch = pd.DataFrame({"customerID": ids[row],
                          "date": as_of64 - days[row, col].astype("timedelta64[D]").astype("timedelta64[us]"),
                          "event": "purchase", "amount": amount})
    ci = np.flatnonzero(cancel >= 0)
    canc = pd.DataFrame({"customerID": ids[ci],
                         "date": as_of64 - cancel[ci].astype("timedelta64[D]").astype("timedelta64[us]"),
                         "event": "cancel", "amount": np.nan})
    ev = pd.concat([purch, canc], ignore_index=True)
    ev = ev.sort_values(["customerID", "date", "event"], kind="stable", ignore_index=True)
    ev["customerID"] = ev["customerID"].astype(_STR)
    ev["event"] = ev["event"].astype(_STR)
    ev["date"] = ev["date"].astype("datetime64[us]")
    ev["amount"] = ev["amount"].astype(np.float64)
    return ev


def label_churn(events: pd.DataFrame, as_of: Any, no_purchase_days: int = 90,
                cancel_within_days: int = 30) -> pd.DataFrame:
    """Turn the stakeholder's definition into labels (lecture 4.1).

    A customer churned at ``as_of`` if they made **no purchase in the last** ``no_purchase_days`` days
    (a purchase exactly ``no_purchase_days`` days before ``as_of`` still counts) **or cancelled their
    subscription within the last** ``cancel_within_days`` days (inclusive). Events after ``as_of`` are
    ignored; a customer without any purchase up to ``as_of`` counts as "no purchase".

    Parameters
    ----------
    events: ``customerID``, ``date``, ``event`` ("purchase" | "cancel") columns.
    as_of: the labelling date.
    no_purchase_days, cancel_within_days: the two thresholds of the definition (positive integers).

    Returns
    -------
    DataFrame per customer (sorted by id): ``customerID``, ``last_purchase`` (datetime or NaT),
    ``days_since_purchase`` (float, NaN if never), ``cancelled_recently`` (bool), ``reason``
    ("no purchase", "cancelled", "both" or ""), ``Churn`` ("Yes"/"No").

    Example::

        >>> ev = pd.DataFrame({"customerID": ["a", "b"], "date": pd.to_datetime(["2024-12-01", "2024-08-01"]),
        ...                    "event": ["purchase", "purchase"]})
        >>> label_churn(ev, "2024-12-31")["Churn"].tolist()
        ['No', 'Yes']
    """
    for col in ("customerID", "date", "event"):
        if col not in events.columns:
            raise SchemaError(f"label_churn: events lack the column {col!r}")
    if no_purchase_days < 1 or cancel_within_days < 0:
        raise ValueError("no_purchase_days must be >= 1 and cancel_within_days >= 0")
    bad = sorted(set(events["event"].dropna().unique()) - {"purchase", "cancel"})
    if bad:
        raise SchemaError(f"label_churn: unknown event type(s) {bad}; expected 'purchase' or 'cancel'")
    as_of = pd.Timestamp(as_of).normalize()
    ev = events[["customerID", "date", "event"]].copy()
    ev["date"] = pd.to_datetime(ev["date"])
    if ev["date"].isna().any():
        raise SchemaError(f"label_churn: column 'date' has missing dates in rows {list(ev.index[ev['date'].isna()][:5])}")
    ids = pd.Index(sorted(ev["customerID"].astype(str).unique()), name="customerID")
    past = ev[ev["date"] <= as_of]
    purchases = past[past["event"] == "purchase"].groupby("customerID")["date"].max()
    cancels = past[past["event"] == "cancel"].groupby("customerID")["date"].max()
    last = purchases.reindex(ids)
    days = (as_of - last).dt.days.astype(float)
    no_buy = ~(days <= no_purchase_days)
    cancel_days = (as_of - cancels.reindex(ids)).dt.days
    cancelled = (cancel_days <= cancel_within_days).fillna(False).astype(bool)
    churn = no_buy.to_numpy() | cancelled.to_numpy()
    reason = np.select([no_buy.to_numpy() & cancelled.to_numpy(), no_buy.to_numpy(), cancelled.to_numpy()],
                       ["both", "no purchase", "cancelled"], "")
    return pd.DataFrame({
        "customerID": pd.Series(ids, dtype=_STR),
        "last_purchase": last.to_numpy(),
        "days_since_purchase": days.to_numpy(),
        "cancelled_recently": cancelled.to_numpy(),
        "reason": pd.Series(reason, dtype=_STR),
        "Churn": pd.Series(np.where(churn, "Yes", "No"), dtype=_STR),
    })


# ----------------------------------------------------------------------------------------------------
# Loader and validation
# ----------------------------------------------------------------------------------------------------


def _rows(mask: np.ndarray | pd.Series, index: pd.Index, k: int = 5) -> str:
    idx = list(index[np.asarray(mask, dtype=bool)][:k])
    more = int(np.asarray(mask, dtype=bool).sum()) - len(idx)
    return f"rows {idx}" + (f" (+{more} more)" if more > 0 else "")


def load_telco_csv(path: str | Path) -> pd.DataFrame:
    """Read the public IBM Telco CSV (or any CSV of that schema) into the canonical frame (lecture 9 lab).

    Blank ``TotalCharges`` strings (the 11 new customers) become NaN; ``SeniorCitizen`` and ``tenure``
    become ``int64``; teaching columns are parsed when present. The result is validated.

    Parameters
    ----------
    path: the CSV file.

    Returns
    -------
    The canonical frame (see :data:`CANONICAL_DTYPES`).

    Raises
    ------
    SchemaError naming the file and the culprit columns/rows (missing file, unparsable numbers, ...).

    Example::

        >>> df = load_telco_csv("WA_Fn-UseC_-Telco-Customer-Churn.csv")   # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: no such CSV file")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not a readable CSV ({exc})") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    df = raw.copy()
    problems = []
    for col in df.columns:
        df[col] = df[col].str.strip()
    numeric = {"SeniorCitizen": "int", "tenure": "int", "age": "int", "MonthlyCharges": "float",
               "TotalCharges": "float"}
    for col, kind in numeric.items():
        if col not in df.columns:
            continue
        s = df[col]
        blank = s == ""
        num = pd.to_numeric(s.where(~blank), errors="coerce")
        bad = num.isna() & ~blank
        if bad.any():
            problems.append(f"column {col!r}: not a number in {_rows(bad, df.index)} "
                            f"(e.g. {s[bad].iloc[0]!r})")
            continue
        if kind == "int":
            if blank.any():
                problems.append(f"column {col!r}: blank values in {_rows(blank, df.index)}")
                continue
            if (num != np.round(num)).any():
                frac = num != np.round(num)
                problems.append(f"column {col!r}: non-integer values in {_rows(frac, df.index)}")
                continue
            df[col] = num.astype(np.int64)
        else:
            df[col] = num.astype(np.float64)
    if "signup_date" in df.columns:
        d = pd.to_datetime(df["signup_date"].replace("", None), errors="coerce")
        bad = d.isna()
        if bad.any():
            problems.append(f"column 'signup_date': not a date in {_rows(bad, df.index)}")
        else:
            df["signup_date"] = d.astype("datetime64[us]")
    for col in df.columns:
        if col not in numeric and col != "signup_date":
            df[col] = df[col].replace("", np.nan).astype(_STR)
    if problems:
        raise SchemaError(f"{path}: " + "; ".join(problems))
    try:
        validate_customers(df, require_label="Churn" in df.columns)
    except SchemaError as exc:
        raise SchemaError(f"{path}: {exc}") from None
    order = [c for c in TELCO_COLUMNS + TEACHING_COLUMNS if c in df.columns]
    return df[order].reset_index(drop=True)


def _is_str_col(s: pd.Series) -> bool:
    if isinstance(s.dtype, pd.StringDtype):
        return True
    if s.dtype == object:
        vals = s.dropna()
        return bool(vals.map(lambda v: isinstance(v, str)).all())
    return False


def validate_customers(df: pd.DataFrame, *, require_label: bool = True, allow_extra: bool = False) -> pd.DataFrame:
    """Check a customer frame against the Telco schema; raise :class:`SchemaError` naming every problem.

    Checks: it is a non-empty DataFrame; no missing, unexpected or duplicated columns (teaching columns
    are optional; ``Churn`` is optional with ``require_label=False``, e.g. for scoring); dtypes (strings,
    integers, numbers); no missing values except ``TotalCharges`` of tenure-0 customers; categories
    exactly as published; ``SeniorCitizen`` in {0, 1}; ``tenure`` in 0..72; charges finite and >= 0
    (``MonthlyCharges`` > 0); add-ons "No internet service" exactly when ``InternetService`` is "No";
    ``MultipleLines`` "No phone service" exactly when ``PhoneService`` is "No"; ``customerID`` unique;
    ``Churn`` "Yes"/"No"; ``state`` a US state code, ``age`` 18..100, ``signup_date`` a datetime.
    The message names each culprit column/value and the first offending rows (index labels).

    Parameters
    ----------
    df: the frame to check.
    require_label: ``Churn`` must be present.
    allow_extra: tolerate columns outside the schema (e.g. engineered features).

    Returns
    -------
    ``df`` itself (unchanged), so calls can be chained.

    Example::

        >>> validate_customers(make_customers(50, seed=0).drop(columns=["tenure"]))
        Traceback (most recent call last):
        ...
        mlops_edu.data.SchemaError: 1 problem(s): missing column(s) ['tenure']
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame, got {type(df).__name__}")
    problems: list[str] = []
    cols = [str(c) for c in df.columns]
    dup_cols = sorted({c for c in cols if cols.count(c) > 1})
    if dup_cols:
        raise SchemaError(f"duplicated column name(s) {dup_cols}")
    required = [c for c in TELCO_COLUMNS if require_label or c != "Churn"]
    missing = [c for c in required if c not in df.columns]
    if missing:
        problems.append(f"missing column(s) {missing}")
    extra = [c for c in cols if c not in TELCO_COLUMNS and c not in TEACHING_COLUMNS]
    if extra and not allow_extra:
        problems.append(f"unexpected column(s) {extra} (allowed: the 21 Telco columns and {list(TEACHING_COLUMNS)})")
    if len(df) == 0:
        problems.append("the frame is empty (0 rows)")
    if problems and (missing or len(df) == 0):
        raise SchemaError(f"{len(problems)} problem(s): " + "; ".join(problems))
    idx = df.index
    present = [c for c in list(TELCO_COLUMNS) + list(TEACHING_COLUMNS) if c in df.columns]

    # dtypes
    typed_ok: set[str] = set()
    for col in present:
        s = df[col]
        want = CANONICAL_DTYPES[col]
        if want == "str":
            ok = _is_str_col(s)
            kind = "strings"
        elif want == "int64":
            ok = pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
            kind = "integers"
        elif want == "float64":
            ok = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
            kind = "numbers"
        else:
            ok = pd.api.types.is_datetime64_any_dtype(s.dtype)
            kind = "datetimes"
        if ok:
            typed_ok.add(col)
        else:
            problems.append(f"column {col!r}: wrong dtype {s.dtype} (expected {kind})")

    # missing values
    for col in present:
        if col not in typed_ok:
            continue
        na = df[col].isna().to_numpy()
        if col == "TotalCharges" and "tenure" in typed_ok:
            na = na & (df["tenure"].to_numpy() != 0)
        if na.any():
            what = "missing values (allowed only for tenure 0)" if col == "TotalCharges" else "missing values"
            problems.append(f"column {col!r}: {what} in {_rows(na, idx)}")

    # categories
    for col, allowed in CATEGORIES.items():
        if col in typed_ok:
            s = df[col]
            bad = (~s.isin(allowed) & s.notna()).to_numpy()
            if bad.any():
                vals = sorted(set(s[bad].astype(str)))[:5]
                label = " (the label must be 'Yes' or 'No')" if col == "Churn" else ""
                problems.append(f"column {col!r}: unknown value(s) {vals}{label} in {_rows(bad, idx)}; "
                                f"allowed {list(allowed)}")

    # ranges
    if "SeniorCitizen" in typed_ok:
        bad = ~df["SeniorCitizen"].isin([0, 1]).to_numpy()
        if bad.any():
            problems.append(f"column 'SeniorCitizen': values must be 0 or 1, got "
                            f"{sorted(set(df['SeniorCitizen'][bad].tolist()))[:5]} in {_rows(bad, idx)}")
    if "tenure" in typed_ok:
        t = df["tenure"].to_numpy()
        bad = (t < 0) | (t > MAX_TENURE)
        if bad.any():
            problems.append(f"column 'tenure': out of range 0..{MAX_TENURE} months "
                            f"(e.g. {t[bad][0]}) in {_rows(bad, idx)}")
    for col, low_ok in (("MonthlyCharges", False), ("TotalCharges", True)):
        if col in typed_ok:
            v = df[col].to_numpy(dtype=float)
            bad = ~np.isnan(v) & (~np.isfinite(v) | (v < 0) | ((v == 0) & (not low_ok)))
            if bad.any():
                problems.append(f"column {col!r}: negative, zero or infinite charge (e.g. {v[bad][0]}) in "
                                f"{_rows(bad, idx)}")
    if "age" in typed_ok:
        a = df["age"].to_numpy()
        bad = (a < 18) | (a > 100)
        if bad.any():
            problems.append(f"column 'age': out of range 18..100 (e.g. {a[bad][0]}) in {_rows(bad, idx)}")
    if "state" in typed_ok:
        s = df["state"]
        bad = (~s.isin(_STATE_CODES) & s.notna()).to_numpy()
        if bad.any():
            problems.append(f"column 'state': unknown US state code(s) {sorted(set(s[bad].astype(str)))[:5]} "
                            f"in {_rows(bad, idx)}")

    # consistency between columns
    if {"InternetService", *ADDON_COLUMNS} <= typed_ok:
        no_net = (df["InternetService"] == "No").to_numpy()
        for col in ADDON_COLUMNS:
            flag = (df[col] == "No internet service").to_numpy()
            bad = (flag != no_net) & df[col].isin(CATEGORIES[col]).to_numpy() & df["InternetService"].isin(
                CATEGORIES["InternetService"]).to_numpy()
            if bad.any():
                problems.append(f"column {col!r}: 'No internet service' must match InternetService == 'No' "
                                f"in {_rows(bad, idx)}")
    if {"PhoneService", "MultipleLines"} <= typed_ok:
        no_phone = (df["PhoneService"] == "No").to_numpy()
        flag = (df["MultipleLines"] == "No phone service").to_numpy()
        bad = (flag != no_phone) & df["MultipleLines"].isin(CATEGORIES["MultipleLines"]).to_numpy() & df[
            "PhoneService"].isin(_YES_NO).to_numpy()
        if bad.any():
            problems.append(f"column 'MultipleLines': 'No phone service' must match PhoneService == 'No' "
                            f"in {_rows(bad, idx)}")

    # ids
    if "customerID" in typed_ok:
        ids = df["customerID"]
        dup = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
        if dup.any():
            problems.append(f"column 'customerID': duplicate id(s) {sorted(set(ids[dup]))[:5]} in {_rows(dup, idx)}")
        empty = (ids.astype(str).str.strip() == "").to_numpy() & ids.notna().to_numpy()
        if empty.any():
            problems.append(f"column 'customerID': empty id(s) in {_rows(empty, idx)}")

    if problems:
        raise SchemaError(f"{len(problems)} problem(s): " + "; ".join(problems))
    return df


# ----------------------------------------------------------------------------------------------------
# Calibration report
# ----------------------------------------------------------------------------------------------------


def _rate(df: pd.DataFrame, mask: Any) -> float:
    m = np.asarray(mask, dtype=bool)
    return float((df["Churn"].to_numpy(dtype=object)[m] == "Yes").mean() * 100) if m.any() else float("nan")


def _share(mask: Any) -> float:
    return float(np.asarray(mask, dtype=bool).mean() * 100)


def _facts() -> list[tuple[str, float, str, Callable[[pd.DataFrame], float]]]:
    f: list[tuple[str, float, str, Callable[[pd.DataFrame], float]]] = []
    f.append(("churn rate", 26.5, "%", lambda d: _rate(d, np.ones(len(d)))))
    for val, share, rate in (("Month-to-month", 55.0, 42.7), ("One year", 20.9, 11.3), ("Two year", 24.1, 2.8)):
        f.append((f"Contract={val} share", share, "%", lambda d, v=val: _share(d["Contract"] == v)))
        f.append((f"Contract={val} churn", rate, "%", lambda d, v=val: _rate(d, d["Contract"] == v)))
    for val, share, rate in (("Fiber optic", 44.0, 41.9), ("DSL", 34.4, 19.0), ("No", 21.7, 7.4)):
        f.append((f"InternetService={val} share", share, "%", lambda d, v=val: _share(d["InternetService"] == v)))
        f.append((f"InternetService={val} churn", rate, "%", lambda d, v=val: _rate(d, d["InternetService"] == v)))
    for val, share, rate in (("Electronic check", 33.6, 45.3), ("Mailed check", 22.9, 19.1),
                             ("Bank transfer (automatic)", 21.9, 16.7), ("Credit card (automatic)", 21.6, 15.2)):
        f.append((f"PaymentMethod={val} share", share, "%", lambda d, v=val: _share(d["PaymentMethod"] == v)))
        f.append((f"PaymentMethod={val} churn", rate, "%", lambda d, v=val: _rate(d, d["PaymentMethod"] == v)))
    f.append(("SeniorCitizen share", 16.2, "%", lambda d: _share(d["SeniorCitizen"] == 1)))
    f.append(("SeniorCitizen=1 churn", 41.7, "%", lambda d: _rate(d, d["SeniorCitizen"] == 1)))
    f.append(("SeniorCitizen=0 churn", 23.6, "%", lambda d: _rate(d, d["SeniorCitizen"] == 0)))
    for col, share, yes, no in (("Partner", 48.3, 19.7, 33.0), ("Dependents", 30.0, 15.5, 31.3),
                                ("PaperlessBilling", 59.2, 33.6, 16.3)):
        f.append((f"{col}=Yes share", share, "%", lambda d, c=col: _share(d[c] == "Yes")))
        f.append((f"{col}=Yes churn", yes, "%", lambda d, c=col: _rate(d, d[c] == "Yes")))
        f.append((f"{col}=No churn", no, "%", lambda d, c=col: _rate(d, d[c] == "No")))
    for col, share, yes, no in (("OnlineSecurity", 28.7, 14.6, 41.8), ("TechSupport", 29.0, 15.2, 41.6)):
        f.append((f"{col}=Yes share", share, "%", lambda d, c=col: _share(d[c] == "Yes")))
        f.append((f"{col}=Yes churn", yes, "%", lambda d, c=col: _rate(d, d[c] == "Yes")))
        f.append((f"{col}=No churn", no, "%", lambda d, c=col: _rate(d, d[c] == "No")))
    f.append(("StreamingTV=Yes share", 38.4, "%", lambda d: _share(d["StreamingTV"] == "Yes")))
    f.append(("StreamingTV=Yes churn", 30.1, "%", lambda d: _rate(d, d["StreamingTV"] == "Yes")))
    f.append(("PhoneService=Yes share", 90.3, "%", lambda d: _share(d["PhoneService"] == "Yes")))
    for lo, hi, rate in ((0, 12, 47.4), (13, 24, 28.7), (25, 48, 20.4), (49, 72, 9.5)):
        f.append((f"tenure {lo}-{hi} churn", rate, "%",
                  lambda d, a=lo, b=hi: _rate(d, d["tenure"].between(a, b))))
    f.append(("tenure mean", 32.4, "months", lambda d: float(d["tenure"].mean())))
    f.append(("tenure median", 29.0, "months", lambda d: float(d["tenure"].median())))
    for val, mean in (("Month-to-month", 18.0), ("One year", 42.0), ("Two year", 56.7)):
        f.append((f"tenure mean, {val}", mean, "months",
                  lambda d, v=val: float(d.loc[d["Contract"] == v, "tenure"].mean())))
    f.append(("MonthlyCharges mean", 64.8, "$", lambda d: float(d["MonthlyCharges"].mean())))
    for val, mean in (("DSL", 58.1), ("Fiber optic", 91.5), ("No", 21.1)):
        f.append((f"MonthlyCharges mean, {val}", mean, "$",
                  lambda d, v=val: float(d.loc[d["InternetService"] == v, "MonthlyCharges"].mean())))
    mc = lambda d: d["MonthlyCharges"]  # noqa: E731
    f.append(("charges <=35 churn", 10.9, "%", lambda d: _rate(d, mc(d) <= 35)))
    f.append(("charges 35-70 churn", 23.9, "%", lambda d: _rate(d, (mc(d) > 35) & (mc(d) <= 70))))
    f.append(("charges 70-90 churn", 37.8, "%", lambda d: _rate(d, (mc(d) > 70) & (mc(d) <= 90))))
    f.append(("charges >90 churn", 32.8, "%", lambda d: _rate(d, mc(d) > 90)))
    f.append(("Electronic check: Month-to-month share", 78.0, "%",
              lambda d: _share(d.loc[d["PaymentMethod"] == "Electronic check", "Contract"] == "Month-to-month")))
    f.append(("MonthlyCharges min", 18.25, "$", lambda d: float(d["MonthlyCharges"].min())))
    f.append(("MonthlyCharges max", 118.75, "$", lambda d: float(d["MonthlyCharges"].max())))
    return f


PUBLISHED_FACTS: tuple[tuple[str, float, str], ...] = tuple((a, b, c) for a, b, c, _ in _facts())
"""(fact, published value, unit) about the real Telco file (7,043 rows) that the defaults reproduce."""


def calibration_table(df: pd.DataFrame) -> pd.DataFrame:
    """Published fact vs the same statistic of ``df`` (lecture 4: is the data what we think it is?).

    Returns
    -------
    DataFrame ``fact``, ``unit``, ``published``, ``generated``, ``difference`` (rounded to 1 decimal).

    Example::

        >>> calibration_table(make_customers(7043, seed=0)).columns.tolist()
        ['fact', 'unit', 'published', 'generated', 'difference']
    """
    rows = []
    for name, pub, unit, fn in _facts():
        gen = fn(df)
        rows.append((name, unit, pub, round(gen, 1), round(gen - pub, 1)))
    return pd.DataFrame(rows, columns=["fact", "unit", "published", "generated", "difference"])


def _psi(expected: Any, actual: Any, bins: int = 10) -> float:
    """Population stability index between two samples (numeric: quantile bins of ``expected``;
    strings: categories). Used by the data tests; the monitoring module has the teaching version."""
    e = pd.Series(expected)
    a = pd.Series(actual)
    if pd.api.types.is_numeric_dtype(e.dtype) and e.nunique() > bins:
        edges = np.unique(np.quantile(e.to_numpy(dtype=float), np.linspace(0, 1, bins + 1)))
        edges[0], edges[-1] = -np.inf, np.inf
        pe = np.histogram(e, edges)[0] / len(e)
        pa_ = np.histogram(a, edges)[0] / len(a)
    else:
        cats = sorted(set(e.astype(str)) | set(a.astype(str)))
        pe = e.astype(str).value_counts(normalize=True).reindex(cats, fill_value=0).to_numpy()
        pa_ = a.astype(str).value_counts(normalize=True).reindex(cats, fill_value=0).to_numpy()
    pe = np.clip(pe, 1e-4, None)
    pa_ = np.clip(pa_, 1e-4, None)
    return float(np.sum((pa_ - pe) * np.log(pa_ / pe)))
