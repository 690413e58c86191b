"""What the closed loop's runs show: value with its noise, compute, time to detection and recovery (lecture 8)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def value_difference(a: pd.DataFrame, b: pd.DataFrame, *, level: float = 0.9, n_boot: int = 5000,
                     seed: int = 0) -> dict[str, float]:
    """Mean monthly dollars of run ``b`` minus run ``a`` on the same months, with a bootstrap interval over months.

    >>> a = pd.DataFrame({"value": [100.0, 100.0, 100.0, 100.0]})
    >>> value_difference(a, a.assign(value=[110.0, 120.0, 100.0, 130.0]))["mean"]
    15.0
    """
    diff = b["value"].to_numpy(float) - a["value"].to_numpy(float)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, size=(n_boot, diff.size))].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return {"mean": float(diff.mean()), "low": float(low), "high": float(high), "months": int(diff.size)}


def first_month(history: pd.DataFrame, mask: pd.Series, start: int) -> int | None:
    """The first month index >= ``start`` where ``mask`` holds (None if never)."""
    hits = history.loc[mask.to_numpy() & (history["month"].to_numpy() >= start), "month"]
    return int(hits.iloc[0]) if len(hits) else None


def level_summary(history: pd.DataFrame, drift_start: int, f1_floor: float, label_delay: int = 1) -> dict[str, object]:
    """One run in numbers: trainings, promotions, mean and spread of monthly dollars and F1, and for the drift
    starting at ``drift_start``: months until the first retraining that saw labels from after the drift
    (detection), months until a model trained on them is live (recovery), and the months whose F1 falls
    below ``f1_floor`` after the drift."""
    after = history["month"] >= drift_start
    seen = drift_start + label_delay          # the first month whose retraining can see post-drift labels
    reaction = first_month(history, history["trained"], seen)
    promoted = first_month(history, history["promoted"].notna(), seen)
    below = int(((history["f1"] < f1_floor) & after).sum())
    return {"trainings": int(history["trained"].sum()), "promotions": int(history["promoted"].notna().sum()),
            "mean monthly value": float(history["value"].mean()), "value std": float(history["value"].std()),
            "mean F1": float(history["f1"].mean()),
            "months to detection": None if reaction is None else reaction - drift_start,
            "months to recovery": None if promoted is None else promoted + 1 - drift_start,
            "months below the F1 floor": below}


def levels_table(runs: Mapping[str, pd.DataFrame], drift_start: int, f1_floor: float,
                 label_delay: int = 1) -> pd.DataFrame:
    """:func:`level_summary` of each run, one row per level."""
    return pd.DataFrame({name: level_summary(h, drift_start, f1_floor, label_delay) for name, h in runs.items()}).T
