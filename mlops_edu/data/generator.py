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
from typing import Any, Mapping

import numpy as np
import pandas as pd

from mlops_edu.data.inputs import _customer_ids, _generate_inputs, _sigmoid, _str_column, _streams
from mlops_edu.data.knobs import Knobs, Scenario, _describe
from mlops_edu.data.label_model import _logit_from_codes
from mlops_edu.data.noise import flip_labels
from mlops_edu.data.parameters import _STATE_CODES, _STATE_OFFSET
from mlops_edu.data.schema import _ADDON_VALUES, _YES_NO, CATEGORIES, OPTIONAL_SERVICES

# ----------------------------------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------------------------------


def simulate(n: int = 7043, seed: int = 0, **knobs: Any) -> Scenario:
    """Generate ``n`` Telco-schema customers and report what the knobs changed (lecture 5.3, 7).

    Parameters
    ----------
    n : int
        number of customers (>= 1).
    seed : int
        non-negative integer; same seed and knobs -> identical bytes.
    **knobs : dict
        see :class:`Knobs` (e.g. ``young_share=0.4``, ``concept="service_quality"``,
        ``label_noise=0.1``, ``states=("MA",)``).

    Returns
    -------
    Scenario
        The frame, the knobs, one sentence per change, the flipped rows and the true churn
        probabilities.

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
    n : int
        number of customers; the default is the size of the real file.
    seed : int
        non-negative integer; same seed and knobs -> identical bytes, another seed -> other data.
    **knobs : dict
        teaching knobs (drift, concept, label noise, coverage...), see :class:`Knobs` and the
        module docstring. Use :func:`simulate` to also get what the knobs changed.

    Returns
    -------
    pandas.DataFrame
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
        **{col: addon(col) for col in OPTIONAL_SERVICES},
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


