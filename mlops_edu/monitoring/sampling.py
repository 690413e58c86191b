"""The sample-size trap, measured: what drift statistics say when nothing drifted (lecture 5.3, thresholds).

The lecture sets a threshold on the difference between the baseline and new data. How large a
difference is *noise* depends on the sample size, and the two families of statistics fail in opposite
directions:

* a **distance** (PSI, Wasserstein, Jensen-Shannon) is biased upwards on small samples: two samples of
  the same distribution show PSI about ``(B - 1)(1/n + 1/m)``, 0.18 for 100 against 100 rows, so the 0.1
  rule of thumb fires on noise;
* a **p-value** is calibrated under no shift (it falls below 0.05 in 5 % of checks, whatever the size) but
  on a large window it flags differences too small to matter: at 100,000 rows a one-dollar price change
  is "significant".

And testing many columns at p 0.05 flags some of them by chance in most checks (:func:`false_alarms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mlops_edu.monitoring.drift import PSI_BINS, column_statistic, expected_psi_no_shift, psi
from mlops_edu.monitoring.report import drift_report


def _ks_pvalue(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample KS p-value: scipy's up to 10,000 rows, the classic asymptotic formula above (same answer
    to three decimals there, and much faster)."""
    if max(len(a), len(b)) <= 10_000:
        return float(stats.ks_2samp(a, b).pvalue)
    a_s, b_s = np.sort(a), np.sort(b)
    grid = np.concatenate([a_s, b_s])
    d = np.max(np.abs(np.searchsorted(a_s, grid, side="right") / len(a) - np.searchsorted(b_s, grid, side="right") / len(b)))
    return float(stats.kstwobign.sf(d * np.sqrt(len(a) * len(b) / (len(a) + len(b)))))


def sample_size_table(pool: Any, sizes: Sequence[int] = (100, 1000, 100_000), repeats: int = 200,
                      shift: float = 1.0, seed: int = 0, bins: int = PSI_BINS,
                      repeats_large: int | None = None) -> pd.DataFrame:
    """PSI, KS and Wasserstein at several sample sizes, with no shift and with a small shift.

    For each size n, ``repeats`` times: draw a reference and a current sample of n values each from
    ``pool`` (with replacement, so both come from the same distribution) and compute the statistics; then
    add ``shift`` to the current sample and compute them again.

    Parameters
    ----------
    pool : array-like of numbers
        The population (e.g. many customers' ``MonthlyCharges``).
    sizes : sequence of int
        Sample sizes n (= m).
    repeats : int
        Draws per size up to 10,000.
    shift : float
        The small shift added to the current sample.
    seed : int
        Seed of the draws.
    bins : int
        PSI bins B.
    repeats_large : int or None
        Draws per size above 10,000; default ``max(repeats // 4, 10)``.

    Returns
    -------
    pandas.DataFrame
        Indexed by n: ``repeats``, ``psi_mean`` (no shift), ``psi_expected`` ((B-1)(1/n+1/m)),
        ``psi_over_0.1`` (share of draws with PSI >= 0.1, no shift), ``ks_flags`` (share with KS p < 0.05,
        no shift), ``ks_flags_shifted`` and ``wasserstein_shifted`` (mean normalised Wasserstein distance)
        with the shift.
    """
    values = np.asarray(pool, dtype=float)
    values = values[~np.isnan(values)]
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        r = repeats if n <= 10_000 else (repeats_large or max(repeats // 4, 10))
        psis, ks, ks_shift, wd_shift = [], [], [], []
        for _ in range(r):
            ref, cur = rng.choice(values, n), rng.choice(values, n)
            psis.append(psi(ref, cur, bins, kind="numeric"))
            ks.append(_ks_pvalue(ref, cur) < 0.05)
            ks_shift.append(_ks_pvalue(ref, cur + shift) < 0.05)
            wd_shift.append(column_statistic(pd.Series(ref), pd.Series(cur + shift), "wasserstein", "numeric"))
        rows.append({"n": n, "repeats": r, "psi_mean": float(np.mean(psis)),
                     "psi_expected": expected_psi_no_shift(n, n, bins), "psi_over_0.1": float(np.mean(np.array(psis) >= 0.1)),
                     "ks_flags": float(np.mean(ks)), "ks_flags_shifted": float(np.mean(ks_shift)),
                     "wasserstein_shifted": float(np.mean(wd_shift))})
    return pd.DataFrame(rows).set_index("n")


def false_alarms(pool: pd.DataFrame, n: int, repeats: int = 50, seed: int = 0,
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
    """How many columns a drift report flags when nothing drifted: ``repeats`` reports of two disjoint
    random samples of ``n`` rows of ``pool``.

    Parameters
    ----------
    pool : pandas.DataFrame
        Rows of one distribution (e.g. generated customers).
    n : int
        Rows per sample.
    repeats : int
        Reports to run.
    seed : int
        Seed of the samples.
    columns : sequence of str, optional
        Columns to compare (default as in :func:`~mlops_edu.monitoring.drift_report`).

    Returns
    -------
    pandas.DataFrame
        One row per report: ``flagged`` (columns that drifted), ``compared`` (columns compared), ``names``.

    Raises
    ------
    ValueError
        When ``pool`` has fewer than ``2 * n`` rows.
    """
    rng = np.random.default_rng(seed)
    if 2 * n > len(pool):
        raise ValueError(f"the pool has {len(pool)} rows; two disjoint samples of {n} need {2 * n}")
    rows = []
    for _ in range(repeats):
        idx = rng.permutation(len(pool))[: 2 * n]
        report = drift_report(pool.iloc[idx[:n]], pool.iloc[idx[n:]], columns)
        rows.append({"flagged": int(report.columns["drifted"].sum()), "compared": len(report.columns),
                     "names": ", ".join(report.drifted_columns)})
    return pd.DataFrame(rows)
