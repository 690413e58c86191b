"""The data engineer's quality report on a raw extract (lecture 4.2: "missing values, duplicates, inconsistencies").

Lecture 4.2 gives the data engineer quality assurance: handle missing values, duplicate records and
inconsistencies so that the data set is trustworthy. :func:`dirty_extract` makes a deliberately dirty
extract from clean customers and records what it broke; :func:`quality_report` finds such problems in any
Telco-schema frame and counts them per check and column, without stopping at the first one. The pipeline's
gate is :func:`mlops_edu.data.validate_customers`, which refuses the extract and names the culprits.

Example
-------
>>> from mlops_edu.data import make_customers
>>> dirty = dirty_extract(make_customers(500, seed=0), seed=0)
>>> sorted(quality_report(dirty.frame)["check"].unique())
['duplicate id', 'duplicate row', 'inconsistent spelling', 'missing value', 'out of range']
"""

from __future__ import annotations

from dataclasses import dataclass

import re

import numpy as np
import pandas as pd

from mlops_edu.data.schema import CATEGORIES, MAX_TENURE, STRING_DTYPE

RANGES: dict[str, tuple[float, float]] = {"tenure": (0, MAX_TENURE), "MonthlyCharges": (0.01, 200.0),
                                          "TotalCharges": (0.0, 20_000.0), "SeniorCitizen": (0, 1),
                                          "age": (18, 100)}
"""Plausible range of each numeric column (inclusive)."""

_SPELLINGS: dict[str, tuple[str, ...]] = {"Partner": ("yes", "YES"), "InternetService": ("Fiber Optic", " DSL"),
                                          "Contract": ("Month to month",), "PaymentMethod": ("electronic check",)}
_OUT_OF_RANGE: dict[str, tuple[float, ...]] = {"tenure": (-1, 999), "MonthlyCharges": (-20.0,),
                                               "SeniorCitizen": (2,), "age": (7, 130)}
_MISSING: tuple[str, ...] = ("gender", "MonthlyCharges", "PaymentMethod")


@dataclass(frozen=True)
class DirtyExtract:
    """A dirty extract and the log of what was broken: ``injected`` has ``check``, ``column``, ``rows``
    (the number of rows broken that way; a re-sent record makes two rows share an id)."""

    frame: pd.DataFrame
    injected: pd.DataFrame


def _normal(value: object) -> str:
    return " ".join(str(value).replace("-", " ").strip().lower().split())


def dirty_extract(customers: pd.DataFrame, seed: int = 0, per_problem: int = 3) -> DirtyExtract:
    """Break a clean customer frame the ways raw extracts break (lecture 4.2) and log each break.

    Per column: ``per_problem`` missing values (gender, MonthlyCharges, PaymentMethod), inconsistent
    spellings of valid categories ("yes", "Fiber Optic", " DSL", "Month to month", "electronic check"),
    out-of-range numbers (tenure -1 and 999, MonthlyCharges -20, SeniorCitizen 2, age 7 and 130); then
    ``per_problem`` exact duplicate rows and ``per_problem`` re-sent records (same ``customerID``, other
    tenure) are appended. Every broken row is a different customer.

    Parameters
    ----------
    customers : pandas.DataFrame
        Clean Telco-schema customers (with ``age``; at least ``17 x per_problem`` rows).
    seed : int
        Seed of the choice of broken rows.
    per_problem : int
        Rows broken per problem (and per spelling or value).

    Returns
    -------
    DirtyExtract
    """
    rng = np.random.default_rng(seed)
    out = customers.copy().reset_index(drop=True)
    n_breaks = len(_MISSING) + sum(len(v) for v in _SPELLINGS.values()) + sum(len(v) for v in _OUT_OF_RANGE.values())
    pool = rng.choice(len(out), size=per_problem * (n_breaks + 2), replace=False)
    chunks = iter(np.split(pool, n_breaks + 2))
    log = []
    for col in _MISSING:
        out.loc[next(chunks), col] = np.nan
        log.append(("missing value", col, per_problem))
    for col, spellings in _SPELLINGS.items():
        for spelling in spellings:
            out.loc[next(chunks), col] = spelling
        log.append(("inconsistent spelling", col, per_problem * len(spellings)))
    for col, values in _OUT_OF_RANGE.items():
        for value in values:
            out.loc[next(chunks), col] = value
        log.append(("out of range", col, per_problem * len(values)))
    duplicates = out.loc[next(chunks)]
    resent = out.loc[next(chunks)].assign(tenure=lambda t: (t["tenure"] + 1).clip(upper=MAX_TENURE))
    out = pd.concat([out, duplicates, resent], ignore_index=True)
    log += [("duplicate row", "(all)", per_problem), ("duplicate id", "customerID", 2 * per_problem)]
    for col in out.columns:
        if customers[col].dtype == STRING_DTYPE:
            out[col] = out[col].astype(STRING_DTYPE)
    injected = pd.DataFrame(log, columns=["check", "column", "rows"])
    return DirtyExtract(out, injected)


def quality_report(frame: pd.DataFrame) -> pd.DataFrame:
    """Every quality problem of a customer frame, counted per check and column, with examples.

    Checks: ``missing value`` (``TotalCharges`` may be blank only at tenure 0), ``duplicate row`` (exact
    copy of an earlier row), ``duplicate id`` (a ``customerID`` on several different rows),
    ``inconsistent spelling`` (a valid category written differently: case, spaces, dashes),
    ``unknown category``, ``out of range`` (:data:`RANGES`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers; checks of absent columns are skipped.

    Returns
    -------
    pandas.DataFrame
        ``check``, ``column``, ``rows``, ``examples`` (up to three offending values); empty when clean.
    """
    rows: list[dict[str, object]] = []

    def add(check: str, column: str, mask: pd.Series | np.ndarray, values: pd.Series | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            shown = [] if values is None else list(dict.fromkeys(values[mask].astype(str).tolist()))[:3]
            rows.append({"check": check, "column": column, "rows": int(mask.sum()), "examples": shown})

    for col in frame.columns:
        missing = frame[col].isna()
        if col == "TotalCharges" and "tenure" in frame.columns:
            missing &= frame["tenure"] != 0
        add("missing value", col, missing)
    duplicated = frame.duplicated(keep="first")
    add("duplicate row", "(all)", duplicated)
    if "customerID" in frame.columns:
        distinct = frame[~duplicated]
        again = distinct["customerID"].duplicated(keep=False)
        add("duplicate id", "customerID", again, distinct["customerID"])
    for col, allowed in CATEGORIES.items():
        if col not in frame.columns:
            continue
        values = frame[col]
        bad = ~values.isin(allowed) & values.notna()
        fixable = bad & values.map(_normal).isin([_normal(a) for a in allowed])
        add("inconsistent spelling", col, fixable, values)
        add("unknown category", col, bad & ~fixable, values)
    for col, (low, high) in RANGES.items():
        if col in frame.columns:
            values = pd.to_numeric(frame[col], errors="coerce")
            add("out of range", col, (values < low) | (values > high), frame[col])
    return pd.DataFrame(rows, columns=["check", "column", "rows", "examples"])


def schema_problems(error: Exception) -> list[str]:
    """The problems named by a :class:`mlops_edu.data.SchemaError`, one string each (for printing a list).

    Parameters
    ----------
    error : Exception
        The error; its message is split at each ``"; column ..."`` and the like.

    Returns
    -------
    list of str

    >>> schema_problems(ValueError("2 problem(s): column 'a': bad; allowed ['x']; column 'b': worse"))
    ["column 'a': bad; allowed ['x']", "column 'b': worse"]
    """
    text = re.sub(r"^\d+ problem\(s\): ", "", str(error))
    return re.split(r"; (?=column |missing column|unexpected column|the frame)", text)
