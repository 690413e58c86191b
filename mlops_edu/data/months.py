"""Time: monthly batches of customers whose labels arrive late (lecture 5.3 monitoring, 8 the closed loop).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from mlops_edu.data.generator import simulate
from mlops_edu.data.inputs import _customer_ids
from mlops_edu.data.knobs import Knobs
from mlops_edu.data.schema import STRING_DTYPE

# ----------------------------------------------------------------------------------------------------
# Time: monthly batches (lecture 5.3, 8)
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthBatch:
    """The customers scored in one month; their true labels arrive ``label_delay`` months later.

    Attributes
    ----------
    month : int
        0-based month index.
    period : str
        ``"YYYY-MM"``.
    frame : pd.DataFrame
        the month's customers with their (eventually known) ``Churn``.
    knobs : Knobs
        the knobs in force that month.
    changes : tuple[str, ...]
        what the knobs changed relative to the baseline.
    label_delay : int
        months until the labels are known.
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
    n_months : int
        number of months.
    per_month : int
        customers per month.
    seed : int
        non-negative integer (each month draws from its own stream derived from it).
    start : str
        first month, ``"YYYY-MM"``; ``signup_date`` is counted back from each month's last day.
    schedule : Mapping[int, Mapping[str, Any]] | None
        ``{month_index: {knob: value}}``: from that month on these knobs apply (later entries
        update earlier ones), e.g. ``{6: {"young_share": 0.5}, 9: {"concept": "pandemic"}}``.
        Gradual drift: one entry per month, e.g. ``{m: {"concept": "service_quality",
        "concept_strength": m / 11} for m in range(12)}``.
    label_delay : int
        months until the true labels arrive (``MonthBatch.labels_available``).
    **knobs : dict
        knobs in force in every month (before the schedule).

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
        frame["customerID"] = frame["customerID"].astype(STRING_DTYPE)
        out.append(MonthBatch(month=m, period=str(period), frame=frame, knobs=sc.knobs, changes=sc.changes,
                              label_delay=int(label_delay)))
    return out



