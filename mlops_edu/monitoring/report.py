"""The drift report of a batch against the baseline: one row per column, and the dataset verdict (lecture 5.3).

This is the contract other code relies on (the ``monitor`` command, chapters 04 and 10)::

    report = drift_report(reference, current, columns=None)
    report.columns        # DataFrame: column, kind, test, statistic, threshold, drifted
    report.drift_share    # share of compared columns that drifted
    report.dataset_drift  # drift_share >= 0.5 (Evidently's default)

A frame whose columns or column types differ from the reference raises
:class:`mlops_edu.data.SchemaError` naming them, before any test runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.data.schema import ID_COLUMN, TARGET, SchemaError
from mlops_edu.monitoring.drift import (
    DRIFT_SHARE,
    PSI_BINS,
    REPORT_COLUMNS,
    TESTS,
    _family,
    _kind_of,
    _statistic,
    _values,
    default_test,
    is_drift,
)

NOT_COMPARED = (ID_COLUMN, TARGET)
"""Columns a default report leaves out: the key (every value is new) and the label (not known at scoring)."""


@dataclass(frozen=True)
class DriftReport:
    """What :func:`drift_report` found.

    Attributes
    ----------
    columns : DataFrame
        One row per compared column: ``column``, ``kind``, ``test``, ``statistic``, ``threshold``,
        ``drifted``.
    n_reference, n_current : int
        Rows of the two frames.
    share_threshold : float
        The dataset drifts when at least this share of columns drifts.
    """

    columns: pd.DataFrame
    n_reference: int
    n_current: int
    share_threshold: float = DRIFT_SHARE

    @property
    def drift_share(self) -> float:
        """Share of the compared columns that drifted (0.0 when no column was compared)."""
        return float(self.columns["drifted"].mean()) if len(self.columns) else 0.0

    @property
    def dataset_drift(self) -> bool:
        """True when :attr:`drift_share` reaches :attr:`share_threshold`."""
        return bool(len(self.columns)) and self.drift_share >= self.share_threshold

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the columns that drifted, in report order."""
        return self.columns.loc[self.columns["drifted"], "column"].tolist()

    def summary(self) -> str:
        """One sentence: how many columns drifted and the dataset verdict."""
        n, k = len(self.columns), int(self.columns["drifted"].sum())
        verdict = "dataset drift" if self.dataset_drift else "no dataset drift"
        return (f"{k} of {n} columns drifted (share {self.drift_share:.3f}, rule >= {self.share_threshold:g}): "
                f"{verdict}; {self.n_reference} reference rows, {self.n_current} current rows")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (statistics rounded to 6 decimals)."""
        rows = [{"column": r.column, "kind": r.kind, "test": r.test,
                 "statistic": None if np.isnan(r.statistic) else round(float(r.statistic), 6),
                 "threshold": float(r.threshold), "drifted": bool(r.drifted)}
                for r in self.columns.itertuples(index=False)]
        return {"n_reference": self.n_reference, "n_current": self.n_current,
                "drift_share": round(self.drift_share, 6), "share_threshold": self.share_threshold,
                "dataset_drift": self.dataset_drift, "columns": rows}


def check_same_schema(reference: pd.DataFrame, current: pd.DataFrame,
                      columns: Sequence[str] | None = None) -> list[str]:
    """The columns to compare; raise :class:`SchemaError` naming every missing, unexpected or re-typed column.

    Without ``columns``: every column of either frame except ``customerID`` and ``Churn`` must be in both.
    With ``columns``: those must be in both. In both cases a column must have the same type family
    (numbers, strings/categories, datetimes) in both frames.

    Parameters
    ----------
    reference, current : pandas.DataFrame
        Non-empty frames.
    columns : sequence of str, optional
        Columns to compare.

    Returns
    -------
    list of str

    Raises
    ------
    SchemaError
        For a frame that is not a non-empty DataFrame, for every culprit column, or when nothing is left to
        compare.

    >>> a = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    >>> check_same_schema(a, a.assign(x=["1", "2"]))
    Traceback (most recent call last):
    ...
    mlops_edu.data.schema.SchemaError: current frame does not match the reference: column 'x' holds numeric values in the reference but categorical in the current frame
    """
    for name, frame in (("reference", reference), ("current", current)):
        if not isinstance(frame, pd.DataFrame):
            raise SchemaError(f"the {name} must be a pandas DataFrame, got {type(frame).__name__}")
        if len(frame) == 0:
            raise SchemaError(f"the {name} frame is empty (0 rows)")
    problems = []
    if columns is None:
        ref_cols = [c for c in reference.columns if c not in NOT_COMPARED]
        cur_cols = [c for c in current.columns if c not in NOT_COMPARED]
        missing = [c for c in ref_cols if c not in current.columns]
        extra = [c for c in cur_cols if c not in reference.columns]
        if missing:
            problems.append(f"missing column(s) {missing}")
        if extra:
            problems.append(f"unexpected column(s) {extra}")
        chosen = [c for c in ref_cols if c in current.columns]
    else:
        chosen = list(columns)
        for name, frame in (("reference", reference), ("current", current)):
            absent = [c for c in chosen if c not in frame.columns]
            if absent:
                problems.append(f"column(s) {absent} not in the {name} frame")
        chosen = [c for c in chosen if c in reference.columns and c in current.columns]
    for col in chosen:
        ref_family, cur_family = _family(reference[col]), _family(current[col])
        if ref_family != cur_family:
            problems.append(f"column {col!r} holds {ref_family} values in the reference but {cur_family} "
                            "in the current frame")
    if problems:
        raise SchemaError("current frame does not match the reference: " + "; ".join(problems))
    if not chosen:
        raise SchemaError("no column to compare")
    return chosen


def _per_column(value: Any, columns: Sequence[str], what: str) -> dict[str, Any]:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(columns))
        if unknown:
            raise ValueError(f"{what} given for column(s) {unknown} that are not compared")
        return dict(value)
    return {c: value for c in columns}


def drift_report(reference: pd.DataFrame, current: pd.DataFrame, columns: Sequence[str] | None = None, *,
                 test: str | Mapping[str, str] | None = None,
                 threshold: float | Mapping[str, float] | None = None,
                 drift_share: float = DRIFT_SHARE, bins: int = PSI_BINS) -> DriftReport:
    """Compare every column of ``current`` with the ``reference`` (the training data): lecture 5.3.

    Parameters
    ----------
    reference, current : DataFrame
        The baseline and the new batch.
    columns : sequence of str, optional
        Columns to compare; default every column except ``customerID`` and ``Churn``.
    test : str or {column: str}, optional
        Override the default test (:func:`~mlops_edu.monitoring.drift.default_test`, Evidently's rule),
        for every column or per column: ``"ks"``, ``"chi2"``, ``"z"``, ``"wasserstein"``,
        ``"jensenshannon"``, ``"psi"``.
    threshold : float or {column: float}, optional
        Override the test's default threshold (0.05 for p-values, 0.1 for distances).
    drift_share : float
        The dataset drifts when at least this share of columns drifts.
    bins : int
        Quantile bins of PSI and of Jensen-Shannon on numeric columns.

    Returns
    -------
    DriftReport

    Raises
    ------
    SchemaError
        The frames' columns or column types differ (every culprit named).
    ValueError
        ``drift_share`` outside (0, 1], an unknown test, a negative threshold, or an override for a column
        that is not compared.

    Examples
    --------
    >>> from mlops_edu.data import make_customers
    >>> df = make_customers(2000, seed=0)
    >>> report = drift_report(df.iloc[:1000], df.iloc[1000:])
    >>> report.columns.columns.tolist(), report.dataset_drift
    (['column', 'kind', 'test', 'statistic', 'threshold', 'drifted'], False)
    """
    if not 0.0 < float(drift_share) <= 1.0:
        raise ValueError(f"drift_share must be in (0, 1], got {drift_share}")
    chosen = check_same_schema(reference, current, columns)
    tests = _per_column(test, chosen, "test")
    thresholds = _per_column(threshold, chosen, "threshold")
    rows = []
    for col in chosen:
        ref_values, cur_values = _values(reference[col]), _values(current[col])
        kind = _kind_of(ref_values)
        name = tests.get(col) or default_test(kind, len(reference))
        if name not in TESTS:
            raise ValueError(f"column {col!r}: unknown drift test {name!r}; choose one of {sorted(TESTS)}")
        limit = thresholds.get(col)
        limit = TESTS[name][1] if limit is None else float(limit)
        if limit < 0:
            raise ValueError(f"column {col!r}: threshold must be >= 0, got {limit}")
        stat = _statistic(ref_values, cur_values, name, kind, bins, col)
        rows.append((col, kind, name, stat, limit, is_drift(name, stat, limit)))
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    frame["statistic"] = frame["statistic"].astype(float)
    frame["drifted"] = frame["drifted"].astype(bool)
    return DriftReport(frame, n_reference=len(reference), n_current=len(current), share_threshold=float(drift_share))
