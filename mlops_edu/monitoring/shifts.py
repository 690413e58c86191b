"""Drift simulated the honest way, on real batches (lecture 5.3: data drift, concept drift; and label shift).

Each kind of drift changes exactly one part of P(X, y) = P(y | X) P(X), so a monitoring signal that reacts
to it can be credited or blamed fairly:

* **data drift** (:func:`resample_inputs`): customers are resampled with weights that depend on their
  inputs only (the lecture's example: a campaign brings younger customers). Rows keep their labels, so
  P(churn | X) is untouched and only P(X) moves.
* **concept drift** (:func:`concept_shift`): P(churn | X) changes in a segment (our example: a competitor's
  fiber offer buys internet customers out of their one- and two-year contracts) and every input byte stays the same.
* **label shift** (:func:`label_shift`): resampling stratified by class changes the churn rate P(y) and
  keeps P(X | y).
* a **pipeline bug that looks like drift** (:func:`charges_in_cents`): an upstream job starts writing
  charges in cents. Nothing about customers changed; validation must stop the batch.

:func:`drift_months` applies them from a given month on to the monthly batches of
:func:`mlops_edu.data.make_months` (labels arrive ``label_delay`` months later).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.data.label_model import churn_logit
from mlops_edu.data.months import MonthBatch, make_months
from mlops_edu.data.noise import _segment_mask
from mlops_edu.data.schema import STRING_DTYPE

COMPETITOR_SEGMENT: dict[str, Any] = {"InternetService": ["Fiber optic", "DSL"], "Contract": ["One year", "Two year"]}
"""Our concept-drift example: the internet customers on one- and two-year contracts, whom a competitor's
fiber offer buys out of their contracts (they used to be the safest customers)."""
KINDS = ("data", "concept", "label", "bug")


def _rng(seed: int, *salt: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), *salt]))


def weighted_sample(weights: Any, k: int, seed: int = 0) -> np.ndarray:
    """``k`` row positions drawn without replacement with probability proportional to ``weights``
    (Efraimidis-Spirakis keys), sorted.

    Parameters
    ----------
    weights : array-like of float
        One weight >= 0 per row.
    k : int
        Rows to draw.
    seed : int
        Seed of the keys.

    Returns
    -------
    numpy.ndarray of int

    Raises
    ------
    ValueError
        When ``k`` exceeds the rows or a weight is negative.

    >>> weighted_sample([1, 1, 1, 1000], 1, seed=0).tolist()
    [3]
    """
    w = np.asarray(weights, dtype=float)
    if k > w.size:
        raise ValueError(f"cannot draw {k} rows from {w.size}")
    if (w < 0).any():
        raise ValueError("weights must be >= 0")
    keys = _rng(seed, 1).random(w.size) ** (1.0 / np.maximum(w, 1e-12))
    return np.sort(np.argsort(-keys, kind="stable")[:k])


def younger_weights(frame: pd.DataFrame, factor: float = 4.0, below: int = 30) -> np.ndarray:
    """Weight ``factor`` for customers younger than ``below`` years, 1 for the others (inputs only).

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers with ``age``.
    factor : float
        Weight of the younger customers.
    below : int
        Age limit in years.

    Returns
    -------
    numpy.ndarray of float
    """
    return np.where(frame["age"].to_numpy() < below, float(factor), 1.0)


def resample_inputs(pool: pd.DataFrame, n: int, weights: Any, seed: int = 0) -> pd.DataFrame:
    """Data drift: ``n`` customers of ``pool`` drawn with input-dependent ``weights`` (labels ride along).

    P(churn | X) is exactly the pool's; only the mix of customers changes.

    Parameters
    ----------
    pool : pandas.DataFrame
        Customers to draw from.
    n : int
        Customers to keep.
    weights : array-like of float
        One weight per row of ``pool`` (e.g. :func:`younger_weights`).
    seed : int
        Seed of the draw.

    Returns
    -------
    pandas.DataFrame
        In pool order, index reset.
    """
    return pool.iloc[weighted_sample(weights, n, seed)].reset_index(drop=True)


def label_shift(pool: pd.DataFrame, n: int, churn_rate: float, seed: int = 0) -> pd.DataFrame:
    """Label shift: ``n`` customers of ``pool`` with exactly ``round(n x churn_rate)`` churners, drawn
    uniformly within each class (P(X | churn) unchanged).

    Parameters
    ----------
    pool : pandas.DataFrame
        Customers with ``Churn``.
    n : int
        Customers to keep.
    churn_rate : float
        Churn rate of the result, in [0, 1].
    seed : int
        Seed of the draw.

    Returns
    -------
    pandas.DataFrame
        In pool order, index reset.

    Raises
    ------
    ValueError
        When ``churn_rate`` lies outside [0, 1] or the pool has too few churners or stayers.
    """
    if not 0.0 <= churn_rate <= 1.0:
        raise ValueError(f"churn_rate must be in [0, 1], got {churn_rate}")
    yes = np.flatnonzero(pool["Churn"].to_numpy(dtype=object) == "Yes")
    no = np.flatnonzero(pool["Churn"].to_numpy(dtype=object) != "Yes")
    k = round(n * churn_rate)
    if k > yes.size or n - k > no.size:
        raise ValueError(f"the pool has {yes.size} churners and {no.size} stayers; {k} and {n - k} needed")
    rng = _rng(seed, 2)
    rows = np.sort(np.concatenate([rng.choice(yes, k, replace=False), rng.choice(no, n - k, replace=False)]))
    return pool.iloc[rows].reset_index(drop=True)


def concept_shift(frame: pd.DataFrame, segment: Mapping[str, Any] | None = None, logit_shift: float = 2.5,
                  seed: int = 0) -> pd.DataFrame:
    """Concept drift: in ``segment`` the churn log-odds move by ``logit_shift``; inputs stay byte-identical.

    Labels are redrawn only where needed: with a positive shift a stayer of the segment becomes a churner
    with probability (p' - p) / (1 - p), so each row's churn probability becomes exactly p' = sigmoid(logit
    + shift), where p is the generator's true probability (:func:`mlops_edu.data.churn_logit`); churners
    stay churners. A negative shift works the other way round. Rows outside the segment are untouched.

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers with the generator's columns and ``Churn``.
    segment : mapping, optional
        ``{column: values}`` of the segment; default :data:`COMPETITOR_SEGMENT`.
    logit_shift : float
        Change of the churn log-odds in the segment.
    seed : int
        Seed of the relabelling.

    Returns
    -------
    pandas.DataFrame
        A copy with the new ``Churn``.
    """
    segment = COMPETITOR_SEGMENT if segment is None else segment
    mask = _segment_mask(frame, segment)
    logit = churn_logit(frame)
    p = 1.0 / (1.0 + np.exp(-logit))
    p_new = 1.0 / (1.0 + np.exp(-(logit + float(logit_shift))))
    churn = frame["Churn"].to_numpy(dtype=object) == "Yes"
    u = _rng(seed, 3).random(len(frame))
    with np.errstate(divide="ignore", invalid="ignore"):
        if logit_shift >= 0:
            flip = ~churn & (u < np.nan_to_num((p_new - p) / (1.0 - p)))
        else:
            flip = churn & (u < np.nan_to_num((p - p_new) / p))
    flip &= mask
    out = frame.copy()
    out["Churn"] = pd.Series(np.where(churn ^ flip, "Yes", "No"), index=frame.index, dtype=STRING_DTYPE)
    return out


def charges_in_cents(frame: pd.DataFrame) -> pd.DataFrame:
    """A pipeline bug: ``MonthlyCharges`` and ``TotalCharges`` written in cents (x 100).

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers (not changed).

    Returns
    -------
    pandas.DataFrame
        A copy.
    """
    out = frame.copy()
    out["MonthlyCharges"] = out["MonthlyCharges"] * 100
    out["TotalCharges"] = out["TotalCharges"] * 100
    return out


@dataclass(frozen=True)
class Drift:
    """One drift of :func:`drift_months`: its kind, the month it starts, and its size.

    Attributes
    ----------
    kind : str
        ``"data"`` (younger customers, weight ``size`` for age < 30), ``"concept"`` (logit shift ``size``
        in :data:`COMPETITOR_SEGMENT`), ``"label"`` (churn rate ``size``) or ``"bug"`` (charges in cents).
    start : int
        First month affected.
    end : int or None
        First month no longer affected (None = to the end; a bug usually lasts one month).
    size : float
        Strength (see ``kind``).
    """

    kind: str
    start: int
    size: float = 0.0
    end: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"drift kind must be one of {KINDS}, got {self.kind!r}")

    def active(self, month: int) -> bool:
        """True when the drift affects ``month`` (from ``start``, before ``end``).

        Parameters
        ----------
        month : int
            Month number of a :class:`~mlops_edu.data.MonthBatch`.

        Returns
        -------
        bool
        """
        return month >= self.start and (self.end is None or month < self.end)

    def describe(self) -> str:
        return {"data": f"data drift (5.3): a campaign brings younger customers (weight {self.size:g} for age < 30)",
                "concept": f"concept drift (5.3): a competitor's fiber offer buys internet customers out of their "
                           f"contracts (churn log-odds +{self.size:g} there); inputs unchanged",
                "label": f"label shift: churn rate resampled to {self.size:.0%}",
                "bug": "pipeline bug: charges written in cents"}[self.kind]


def drift_months(n_months: int, per_month: int, seed: int = 0, drifts: Sequence[Drift] = (),
                 label_delay: int = 1, pool_factor: int = 8, **knobs: Any) -> list[MonthBatch]:
    """Monthly batches of :func:`mlops_edu.data.make_months` with ``drifts`` switched on from their month.

    Every month draws a pool of ``pool_factor x per_month`` customers and keeps ``per_month`` of them:
    uniformly, or weighted (data drift) or stratified (label shift); then concept drift relabels and a
    bug corrupts. Months before any drift are ordinary samples of the baseline.

    Parameters
    ----------
    n_months : int
        Months to generate.
    per_month : int
        Customers per month.
    seed : int
        Seed of the months and of every drift.
    drifts : sequence of Drift
        The drifts (data drift and label shift may not be active in the same month).
    label_delay : int
        Months until a batch's labels arrive.
    pool_factor : int
        Pool size per month, in multiples of ``per_month``.
    **knobs
        Passed on to :func:`mlops_edu.data.make_months`.

    Returns
    -------
    list of MonthBatch
        Each with ``changes``: the descriptions of the drifts active in that month.

    Raises
    ------
    ValueError
        When a data drift and a label shift are active in the same month.

    Examples
    --------
    >>> months = drift_months(3, 200, seed=0, drifts=[Drift("concept", start=2, size=3.0)])
    >>> [len(m.frame) for m in months], months[2].changes[0][:30]
    ([200, 200, 200], 'concept drift (5.3): a competi')
    """
    base = make_months(n_months, per_month * pool_factor, seed=seed, label_delay=label_delay, **knobs)
    out = []
    for batch in base:
        m, pool = batch.month, batch.frame
        active = [d for d in drifts if d.active(m)]
        kinds = {d.kind: d for d in active}
        if "data" in kinds and "label" in kinds:
            raise ValueError(f"month {m}: data drift and label shift are both active, but each one chooses the "
                             "month's customers from the pool; give them months that do not overlap")
        if "data" in kinds:
            frame = resample_inputs(pool, per_month, younger_weights(pool, kinds["data"].size), seed=seed * 1000 + m)
        elif "label" in kinds:
            frame = label_shift(pool, per_month, kinds["label"].size, seed=seed * 1000 + m)
        else:
            frame = pool.iloc[weighted_sample(np.ones(len(pool)), per_month, seed * 1000 + m)].reset_index(drop=True)
        if "concept" in kinds:
            frame = concept_shift(frame, logit_shift=kinds["concept"].size, seed=seed * 1000 + m)
        if "bug" in kinds:
            frame = charges_in_cents(frame)
        out.append(dataclasses.replace(batch, frame=frame, changes=tuple(d.describe() for d in active)))
    return out
