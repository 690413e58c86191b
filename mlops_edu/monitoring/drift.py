"""Data drift tests per column, PSI, and the drift report (lecture 5.3, "data drift").

The lecture's recipe: keep the statistics of the data the model was trained on (the baseline) and compare
each new batch with it; a difference above a threshold counts as drift. This module does the comparison
for one column (:func:`column_drift`) and for a whole frame (:func:`drift_report`), with scipy:

==================  ============  ==========================================  =====================
test                kind          statistic                                   drift when
==================  ============  ==========================================  =====================
``ks``              numeric       two-sample Kolmogorov-Smirnov p-value       p < 0.05
``chi2``            categorical   chi-squared test of homogeneity p-value     p < 0.05
``z``               binary        two-proportion Z-test p-value (pooled)      p < 0.05
``wasserstein``     numeric       Wasserstein distance / reference std        distance >= 0.1
``jensenshannon``   any           Jensen-Shannon distance, base 2 (0..1)      distance >= 0.1
``psi``             any           population stability index                  psi >= 0.1
==================  ============  ==========================================  =====================

The default test of a column follows Evidently's published rule (the "data drift algorithm" of
Evidently <= 0.6, docs-old.evidentlyai.com/reference/data-drift-algorithm): with at most 1,000 reference
rows, KS for numeric columns with more than 5 distinct values, the Z-test for binary columns and
chi-squared for other categorical columns, each at p 0.05; with more reference rows, the normalised
Wasserstein distance for numeric columns and the Jensen-Shannon distance for categorical ones, each at
0.1; the dataset drifts when at least 50 % of the columns drift. Two deliberate differences: our
chi-squared is the two-sample test of homogeneity (Evidently's treats the reference shares as exact,
which flags too often when the reference is small), and our Jensen-Shannon distance uses base 2, so it
lies in [0, 1] (scipy's default natural log gives 0.83 times our value). Every choice can be overridden.

Why the rule switches from p-values to distances: on a large window a p-value flags any difference, even
one that does not matter, and a distance does not; on a small window distances are noisy (the expected
PSI of two samples of the *same* distribution is about ``(B - 1)(1/n + 1/m)``: 0.18 for 100 against 100
rows, above the 0.1 rule of thumb). Chapter 04 measures both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon as _js_distance

TESTS: dict[str, tuple[str, float]] = {
    "ks": ("p_value", 0.05), "chi2": ("p_value", 0.05), "z": ("p_value", 0.05),
    "wasserstein": ("distance", 0.1), "jensenshannon": ("distance", 0.1), "psi": ("distance", 0.1),
}
"""Test name -> (what the statistic is, default threshold). A p-value drifts below its threshold,
a distance at or above it."""
NUMERIC_ONLY = ("ks", "wasserstein")
SMALL_REFERENCE = 1000
"""Evidently's switch: at most this many reference rows -> p-value tests, more -> distances."""
DRIFT_SHARE = 0.5
"""The dataset drifts when at least this share of the compared columns drifts (Evidently's default)."""
PSI_BINS = 10
EMPTY_BIN = 1e-4
"""Share given to an empty bin in PSI, so that the logarithm stays finite."""
REPORT_COLUMNS = ("column", "kind", "test", "statistic", "threshold", "drifted")


# --------------------------------------------------------------------------------------------------
# Column kinds and shares
# --------------------------------------------------------------------------------------------------

def _family(s: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if pd.api.types.is_bool_dtype(s.dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(s.dtype):
        return "numeric"
    return "categorical"


def _values(s: Any) -> np.ndarray:
    """The non-missing values as a numpy array: floats for numbers (datetimes as days), strings otherwise."""
    if isinstance(s, np.ndarray) and s.dtype.kind in "fiub" and s.dtype.kind != "b":
        v = s.astype(float)
        return v[~np.isnan(v)]
    if isinstance(s, np.ndarray) and s.dtype.kind in "UO":
        return s[~pd.isna(s)].astype(object)
    s = s if isinstance(s, pd.Series) else pd.Series(s)
    family = _family(s)
    if family == "datetime":
        s = s.dropna()
        return s.astype("datetime64[us]").astype("int64").to_numpy(float) / 86_400e6
    if family == "numeric":
        v = s.to_numpy(dtype=float, na_value=np.nan)
        return v[~np.isnan(v)]
    v = s.to_numpy(dtype=object)
    return v[~pd.isna(v)]


def _labels(values: np.ndarray) -> np.ndarray:
    """Category labels of values (an object array of strings): numbers without a trailing ".0" (1.0 -> "1")."""
    codes, uniques = pd.factorize(values)
    names = np.array([f"{x:g}" if isinstance(x, (float, np.floating)) else str(x) for x in uniques], dtype=object)
    return names[codes]


def column_kind(reference: Any) -> str:
    """``"numeric"`` (numbers or dates with more than 5 distinct values), ``"binary"`` (2 distinct values)
    or ``"categorical"``: what decides the default test.

    Parameters
    ----------
    reference : array-like or pandas.Series
        The reference sample (missing values are ignored).

    >>> column_kind(pd.Series([0, 1, 1, 0])), column_kind(pd.Series(["a", "b", "c"]))
    ('binary', 'categorical')
    """
    return _kind_of(_values(reference))


def _kind_of(values: np.ndarray) -> str:
    n_unique = len(pd.unique(values))
    if values.dtype.kind == "f" and n_unique > 5:
        return "numeric"
    return "binary" if n_unique <= 2 else "categorical"


def _category_counts(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(categories, reference counts, current counts) over the union of the categories, sorted by label."""
    codes, uniques = pd.factorize(np.concatenate([ref.astype(object), cur.astype(object)]))
    names = np.array([f"{x:g}" if isinstance(x, (float, np.floating)) else str(x) for x in uniques], dtype=object)
    order = np.argsort(names.astype(str), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    codes = rank[codes]
    ref_counts = np.bincount(codes[: len(ref)], minlength=len(names))
    cur_counts = np.bincount(codes[len(ref):], minlength=len(names))
    return names[order], ref_counts, cur_counts


def psi_edges(reference: Any, bins: int = PSI_BINS) -> np.ndarray:
    """Inner bin edges of PSI: the reference's quantiles at 1/B, ..., (B-1)/B (ties merged); the outer bins
    are open, so a value beyond the reference's range still lands in a bin.

    Parameters
    ----------
    reference : array-like of float
        NaN is ignored.
    bins : int
        Number of bins B.

    Raises
    ------
    ValueError
        When the reference has no values.

    >>> psi_edges(np.arange(100), bins=4).tolist()
    [24.75, 49.5, 74.25]
    """
    values = np.asarray(reference, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ValueError("psi_edges: the reference has no values")
    return np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))


def binned_counts(values: Any, edges: np.ndarray) -> np.ndarray:
    """Counts of ``values`` in the open-ended bins ``(-inf, e1), [e1, e2), ..., [ek, inf)``.

    Parameters
    ----------
    values : array-like of float
        NaN is not counted.
    edges : numpy.ndarray
        Sorted inner edges (:func:`psi_edges`).

    Returns
    -------
    numpy.ndarray of int
        ``len(edges) + 1`` counts.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    return np.bincount(np.searchsorted(edges, v, side="right"), minlength=len(edges) + 1)


def _counts(ref: np.ndarray, cur: np.ndarray, kind: str, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of two clean samples (:func:`_values`) over the same bins (numeric) or categories (others)."""
    if kind == "numeric":
        edges = psi_edges(ref, bins)
        return binned_counts(ref, edges), binned_counts(cur, edges)
    _, ref_counts, cur_counts = _category_counts(ref, cur)
    return ref_counts, cur_counts


def psi_from_shares(reference_shares: Any, current_shares: Any) -> float:
    """PSI = sum over bins of (current - reference) x ln(current / reference); an empty bin counts 0.0001.

    Parameters
    ----------
    reference_shares, current_shares : array-like of float
        Shares of the same bins.

    >>> round(psi_from_shares([0.5, 0.5], [0.9, 0.1]), 3)
    0.879
    """
    e = np.asarray(reference_shares, dtype=float)
    a = np.asarray(current_shares, dtype=float)
    e = np.where(e == 0, EMPTY_BIN, e)
    a = np.where(a == 0, EMPTY_BIN, a)
    return float(np.sum((a - e) * np.log(a / e)))


def psi(reference: Any, current: Any, bins: int = PSI_BINS, kind: str | None = None) -> float:
    """Population stability index of ``current`` against ``reference`` (lecture 5.3).

    Numeric columns (more than 5 distinct values): ``bins`` bins at the reference's quantiles with open
    outer edges; other columns: one bin per category. Empty bins count 0.0001. Rule of thumb: below 0.1
    stable, 0.1-0.25 moderate, above 0.25 major shift; but with no shift at all its expected value is
    about ``(B - 1)(1/n + 1/m)`` (:func:`expected_psi_no_shift`), so small samples cross 0.1 by chance.

    Parameters
    ----------
    reference, current : array-like or Series
        The two samples (missing values are ignored).
    bins : int
        Number of quantile bins B for numeric columns.
    kind : str, optional
        ``"numeric"``, ``"categorical"`` or ``"binary"``; default :func:`column_kind` of the reference.

    Returns
    -------
    float
        NaN when either sample has no values.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=20_000), rng.normal(size=20_000)
    >>> psi(a, b) < 0.01, psi(a, b + 1) > 0.2
    (True, True)
    """
    ref, cur = _values(reference), _values(current)
    ref_counts, cur_counts = _counts(ref, cur, kind or _kind_of(ref), bins)
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return float("nan")
    return psi_from_shares(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum())


def expected_psi_no_shift(n: int, m: int, bins: int = PSI_BINS) -> float:
    """The PSI two samples of the same distribution show by chance: about ``(B - 1)(1/n + 1/m)``.

    PSI is a symmetrised Kullback-Leibler divergence; for small differences it is a chi-squared statistic
    divided by the sample sizes, with B - 1 degrees of freedom.

    Parameters
    ----------
    n, m : int
        Sizes of the two samples.
    bins : int
        Number of bins B.

    >>> round(expected_psi_no_shift(100, 100), 2)
    0.18
    """
    return (bins - 1) * (1.0 / n + 1.0 / m)


# --------------------------------------------------------------------------------------------------
# One column
# --------------------------------------------------------------------------------------------------

def _z_test(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    if len(ref_counts) < 2:
        return 1.0
    n1, n2 = ref_counts.sum(), cur_counts.sum()
    p1, p2 = ref_counts[0] / n1, cur_counts[0] / n2
    pooled = (ref_counts[0] + cur_counts[0]) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    return float(2 * stats.norm.sf(abs(p1 - p2) / se))


def _chi2_test(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    keep = (ref_counts + cur_counts) > 0
    table = np.vstack([ref_counts[keep], cur_counts[keep]])
    if table.shape[1] < 2:
        return 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(statistic, table.shape[1] - 1))


def column_statistic(reference: pd.Series, current: pd.Series, test: str, kind: str | None = None,
                     bins: int = PSI_BINS) -> float:
    """The statistic of ``test`` (see :data:`TESTS`) comparing two samples of one column.

    Parameters
    ----------
    reference, current : pandas.Series
        The two samples (missing values are ignored).
    test : str
        A key of :data:`TESTS`.
    kind : str, optional
        Default :func:`column_kind` of the reference.
    bins : int
        Quantile bins of ``psi`` and ``jensenshannon`` on numeric columns.

    Returns
    -------
    float
        A p-value or a distance; NaN when either sample has no values.

    Raises
    ------
    ValueError
        For an unknown test, or ``ks``/``wasserstein`` on a column that is not numeric.

    >>> column_statistic(pd.Series([1.0, 2, 3, 4, 5, 6]), pd.Series([1.0, 2, 3, 4, 5, 6]), "wasserstein")
    0.0
    """
    ref, cur = _values(reference), _values(current)
    return _statistic(ref, cur, test, kind or _kind_of(ref), bins, getattr(reference, "name", None))


def _statistic(ref: np.ndarray, cur: np.ndarray, test: str, kind: str, bins: int = PSI_BINS,
               name: Any = None) -> float:
    """:func:`column_statistic` on clean samples (:func:`_values`)."""
    if test not in TESTS:
        raise ValueError(f"unknown drift test {test!r}; choose one of {sorted(TESTS)}")
    if test in NUMERIC_ONLY and kind != "numeric":
        raise ValueError(f"test {test!r} needs a numeric column with more than 5 distinct values; "
                         f"column {name!r} is {kind}")
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    if test == "ks":
        return float(stats.ks_2samp(ref, cur).pvalue)
    if test == "wasserstein":
        norm = max(float(np.std(ref)), 0.001)
        return float(stats.wasserstein_distance(ref, cur) / norm)
    ref_counts, cur_counts = _counts(ref, cur, "categorical" if test == "z" else kind, bins)
    if test == "z":
        return _z_test(ref_counts, cur_counts)
    if test == "chi2":
        return _chi2_test(ref_counts, cur_counts)
    if test == "psi":
        return psi_from_shares(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum())
    return float(_js_distance(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum(), base=2))


def default_test(kind: str, n_reference: int) -> str:
    """Evidently's rule: p-value tests up to 1,000 reference rows, distances above.

    Parameters
    ----------
    kind : str
        ``"numeric"``, ``"binary"`` or ``"categorical"`` (:func:`column_kind`).
    n_reference : int
        Reference rows.

    >>> default_test("numeric", 500), default_test("binary", 500), default_test("binary", 5000)
    ('ks', 'z', 'jensenshannon')
    """
    if n_reference <= SMALL_REFERENCE:
        return {"numeric": "ks", "binary": "z"}.get(kind, "chi2")
    return "wasserstein" if kind == "numeric" else "jensenshannon"


def is_drift(test: str, statistic: float, threshold: float) -> bool:
    """A p-value drifts when it is below the threshold, a distance when it reaches it (NaN never drifts).

    Parameters
    ----------
    test : str
        A key of :data:`TESTS` (says whether ``statistic`` is a p-value or a distance).
    statistic, threshold : float
    """
    if np.isnan(statistic):
        return False
    return bool(statistic < threshold) if TESTS[test][0] == "p_value" else bool(statistic >= threshold)
