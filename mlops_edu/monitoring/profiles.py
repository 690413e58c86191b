"""The baseline profile of the training data, kept with the model (lecture 5.3: "store the baseline statistics").

The lecture's answer to "how is drift detected automatically?": store the statistics (mean, variance,
distribution) of the data the model was trained on, and compare every new batch with them. A
:class:`Profile` holds, per column, its kind, the share of missing values, and either quantiles and the
PSI bin shares (numeric columns) or the category shares (others). It is small JSON, so it is logged as an
artifact of the model's MLflow run (:func:`log_profile`) and monitoring compares with what *this* model
saw (:func:`load_profile`), not with whatever training data happens to be around later.

The profile also knows the range each numeric column had, which is what data *validation* checks
(:meth:`Profile.check`): a pipeline bug (charges in cents) puts values far outside it, a real drift does
not. Drift tests answer "did the world change?", validation "is this batch possible at all?".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.data.schema import SchemaError
from mlops_edu.monitoring.drift import (
    PSI_BINS,
    _labels,
    _values,
    binned_counts,
    column_kind,
    psi_edges,
    psi_from_shares,
)
from mlops_edu.monitoring.report import NOT_COMPARED

QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
PROFILE_ARTIFACT = "baseline_profile.json"
"""File name of the profile in the model's MLflow run."""


@dataclass(frozen=True)
class ColumnProfile:
    """The baseline statistics of one column.

    Attributes
    ----------
    column, kind : str
        Name and kind (``"numeric"``, ``"binary"``, ``"categorical"``; see
        :func:`~mlops_edu.monitoring.drift.column_kind`).
    missing_share : float
        Share of missing values.
    quantiles : dict
        ``{"q0": min, "q5": ..., "q100": max}`` (numeric columns; empty otherwise).
    edges : list of float
        Inner PSI bin edges (numeric columns).
    shares : dict
        Share of the non-missing values per PSI bin (``"bin0"``, ...) or per category.
    """

    column: str
    kind: str
    missing_share: float
    quantiles: dict[str, float] = field(default_factory=dict)
    edges: list[float] = field(default_factory=list)
    shares: dict[str, float] = field(default_factory=dict)

    def current_shares(self, values: pd.Series) -> np.ndarray:
        """Shares of ``values`` over this profile's bins or categories (new categories are ignored).

        Parameters
        ----------
        values : pandas.Series
            The column in a new batch (missing values are ignored).

        Returns
        -------
        numpy.ndarray
            One share per bin or category of :attr:`shares` (all 0 when there are no values).
        """
        v = _values(values)
        if len(v) == 0:
            return np.zeros(len(self.shares))
        if self.kind == "numeric":
            counts = binned_counts(v, np.asarray(self.edges))
        else:
            counts = pd.Series(_labels(v)).value_counts().reindex(list(self.shares), fill_value=0).to_numpy()
        return counts / len(v)

    def psi(self, values: pd.Series) -> float:
        """PSI of ``values`` against this baseline (equals :func:`~mlops_edu.monitoring.drift.psi` against
        the training column itself).

        Parameters
        ----------
        values : pandas.Series
            The column in a new batch.

        Returns
        -------
        float
        """
        if self.kind != "numeric":  # a category never seen in training is a bin of its own
            v = pd.Series(_labels(_values(values)))
            cats = sorted(set(self.shares) | set(v))
            ref = np.array([self.shares.get(c, 0.0) for c in cats])
            cur = v.value_counts(normalize=True).reindex(cats, fill_value=0).to_numpy()
            return psi_from_shares(ref, cur)
        return psi_from_shares(np.array(list(self.shares.values())), self.current_shares(values))


def _column_profile(s: pd.Series, bins: int) -> ColumnProfile:
    kind = column_kind(s)
    values = _values(s)
    missing = float(s.isna().mean())
    if kind == "numeric":
        arr = values
        qs = {f"q{int(q * 100)}": float(np.quantile(arr, q)) for q in QUANTILES}
        edges = psi_edges(arr, bins)
        counts = binned_counts(arr, edges)
        shares = {f"bin{i}": float(c / counts.sum()) for i, c in enumerate(counts)}
        return ColumnProfile(str(s.name), kind, missing, qs, [float(e) for e in edges], shares)
    shares = pd.Series(_labels(values)).value_counts(normalize=True).sort_index()
    return ColumnProfile(str(s.name), kind, missing, shares={k: float(v) for k, v in shares.items()})


@dataclass(frozen=True)
class Profile:
    """The baseline of a frame: one :class:`ColumnProfile` per column, and the row count."""

    n_rows: int
    columns: tuple[ColumnProfile, ...]

    def __getitem__(self, name: str) -> ColumnProfile:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(f"no column {name!r} in the profile; columns are {self.names}")

    @property
    def names(self) -> list[str]:
        """The profiled columns, in order."""
        return [c.column for c in self.columns]

    def table(self) -> pd.DataFrame:
        """One row per column: kind, missing share, median and range, or the top categories (for reading)."""
        rows = []
        for c in self.columns:
            if c.kind == "numeric":
                summary = (f"median {c.quantiles['q50']:.4g}, 5-95% {c.quantiles['q5']:.4g}..{c.quantiles['q95']:.4g}, "
                           f"range {c.quantiles['q0']:.4g}..{c.quantiles['q100']:.4g}")
            else:
                top = sorted(c.shares.items(), key=lambda kv: -kv[1])[:3]
                summary = ", ".join(f"{k} {v:.0%}" for k, v in top) + (" ..." if len(c.shares) > 3 else "")
            rows.append({"column": c.column, "kind": c.kind, "missing": round(c.missing_share, 3),
                         "baseline": summary})
        return pd.DataFrame(rows).set_index("column")

    def psi(self, frame: pd.DataFrame) -> pd.Series:
        """PSI of every profiled column of ``frame`` against the baseline (a column ``frame`` lacks is NaN).

        Parameters
        ----------
        frame : pandas.DataFrame
            A new batch.

        Returns
        -------
        pandas.Series
            Named ``psi``, indexed by column.
        """
        return pd.Series({c.column: c.psi(frame[c.column]) if c.column in frame.columns else float("nan")
                          for c in self.columns}, name="psi")

    def check(self, frame: pd.DataFrame, *, range_margin: float = 0.5, max_outside: float = 0.01) -> list[str]:
        """Data validation against the baseline: the problems of ``frame`` (empty list = the batch is possible).

        Flags a profiled column that is missing, a numeric column with more than ``max_outside`` of its
        values outside the training range widened by ``range_margin`` x its span on each side (a real
        drift moves values a little, a unit bug by orders of magnitude), and a missing share above
        the baseline's by more than 0.1.

        Parameters
        ----------
        frame : pandas.DataFrame
            A new batch.
        range_margin : float
            Widening of the training range on each side, as a share of its span.
        max_outside : float
            Largest share of values allowed outside the widened range.

        Returns
        -------
        list of str
            One sentence per problem.
        """
        problems = []
        for c in self.columns:
            if c.column not in frame.columns:
                problems.append(f"column {c.column!r} is missing")
                continue
            s = frame[c.column]
            if float(s.isna().mean()) > c.missing_share + 0.1:
                problems.append(f"column {c.column!r}: {s.isna().mean():.0%} missing (baseline {c.missing_share:.0%})")
            if c.kind != "numeric":
                continue
            lo, hi = c.quantiles["q0"], c.quantiles["q100"]
            pad = range_margin * (hi - lo)
            v = _values(s)
            outside = float(((v < lo - pad) | (v > hi + pad)).mean()) if v.size else 0.0
            if outside > max_outside:
                problems.append(f"column {c.column!r}: {outside:.0%} of values outside the training range "
                                f"{lo:.4g}..{hi:.4g} (+-{range_margin:.0%} of its span), e.g. {v[(v < lo - pad) | (v > hi + pad)][0]:.4g}")
        return problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what :func:`log_profile` stores)."""
        return {"n_rows": self.n_rows, "columns": [asdict(c) for c in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """The inverse of :meth:`to_dict`.

        Parameters
        ----------
        data : dict
            Output of :meth:`to_dict` (e.g. read back from the run's JSON artifact).

        Returns
        -------
        Profile
        """
        return cls(int(data["n_rows"]), tuple(ColumnProfile(**c) for c in data["columns"]))


def profile(frame: pd.DataFrame, columns: Sequence[str] | None = None, bins: int = PSI_BINS) -> Profile:
    """The baseline profile of ``frame`` (lecture 5.3): per column kind, missing share, quantiles or shares.

    Parameters
    ----------
    frame : DataFrame
        The training data (inputs; ``customerID`` and ``Churn`` are left out unless named).
    columns : sequence of str, optional
        Columns to profile.
    bins : int
        PSI bins of numeric columns.

    Returns
    -------
    Profile

    Raises
    ------
    SchemaError
        When ``frame`` is not a non-empty DataFrame or lacks a named column.

    Examples
    --------
    >>> from mlops_edu.data import make_customers
    >>> base = profile(make_customers(1000, seed=0))
    >>> base["Contract"].kind, round(base["tenure"].quantiles["q50"])
    ('categorical', 30)
    """
    if not isinstance(frame, pd.DataFrame) or len(frame) == 0:
        raise SchemaError("profile: expected a non-empty DataFrame")
    cols = [c for c in frame.columns if c not in NOT_COMPARED] if columns is None else list(columns)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SchemaError(f"profile: column(s) {missing} not in the frame")
    return Profile(len(frame), tuple(_column_profile(frame[c], bins) for c in cols))


def log_profile(base: Profile, artifact_file: str = PROFILE_ARTIFACT) -> None:
    """Log the profile as a JSON artifact of the active MLflow run (the model's run).

    Parameters
    ----------
    base : Profile
        The baseline (:func:`profile`).
    artifact_file : str
        Artifact path in the run.
    """
    import mlflow

    mlflow.log_dict(base.to_dict(), artifact_file)


def load_profile(run_id: str, artifact_file: str = PROFILE_ARTIFACT) -> Profile:
    """Load the profile logged with a model's run.

    Parameters
    ----------
    run_id : str
        The model's MLflow run.
    artifact_file : str
        Artifact path the profile was logged under.

    Returns
    -------
    Profile
    """
    import mlflow

    return Profile.from_dict(mlflow.artifacts.load_dict(f"runs:/{run_id}/{artifact_file}"))


def profile_json(base: Profile) -> str:
    """The profile as indented JSON text.

    Parameters
    ----------
    base : Profile

    Returns
    -------
    str
    """
    return json.dumps(base.to_dict(), indent=1)
