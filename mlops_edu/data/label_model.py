"""Why customers leave: the churn log-odds of the generator (its true P(churn | inputs)).

Step 5 of the generative model; concept drift (lecture 5.3) swaps or blends these coefficients.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from mlops_edu.data.inputs import _sigmoid
from mlops_edu.data.parameters import (
    _CHURN,
    _CONCEPT_B0,
    _CONCEPTS,
    _REGION_AVERAGE,
    _REGION_CHURN,
    _STATE_CODES,
    _STATE_OFFSET,
    _STATE_OFFSET_AVERAGE,
    _STATE_REGION,
)
from mlops_edu.data.schema import CATEGORIES, OPTIONAL_SERVICES, SchemaError

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
    for col in OPTIONAL_SERVICES:
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
    df : pandas.DataFrame
        A canonical customer frame (the 21 Telco columns; ``state`` used when present, otherwise the
        all-states average behaviour).
    concept : str
        ``"baseline"``, ``"service_quality"`` or ``"pandemic"`` (see :class:`Knobs`).
    strength : float
        Blend 0..1 between the baseline and ``concept``.

    Returns
    -------
    numpy.ndarray of float
        ``-inf`` for tenure 0 (a brand-new customer cannot have left yet).

    Raises
    ------
    ValueError
        For an unknown ``concept``.
    SchemaError
        For a category value the schema does not know.

    Example::

        >>> p = churn_probability(make_customers(100, seed=1))
        >>> bool(((p >= 0) & (p <= 1)).all())
        True
    """
    if concept not in _CONCEPTS:
        raise ValueError(f"concept must be one of {sorted(_CONCEPTS)}, got {concept!r}")
    return _logit_from_codes(_codes_from_frame(df), concept, strength)


def churn_probability(df: pd.DataFrame, concept: str = "baseline", strength: float = 1.0) -> np.ndarray:
    """True P(churn) of each customer (the sigmoid of :func:`churn_logit`): the best any model can do.

    Parameters
    ----------
    df : pandas.DataFrame
        As in :func:`churn_logit`.
    concept : str
        As in :func:`churn_logit`.
    strength : float
        As in :func:`churn_logit`.

    Returns
    -------
    numpy.ndarray of float
        0 for tenure 0.
    """
    return _sigmoid(churn_logit(df, concept, strength))


