"""The monitoring pipeline month by month: which signal sees which drift (lecture 5.3).

:class:`Monitor` holds what monitoring needs from training time: the model, its input columns, the
training inputs (the baseline of the drift tests), the predictions on held-out rows (the baseline of
prediction drift) and the calibration learnt on them (for the label-free estimate). Every month
:meth:`Monitor.month_signals` computes four signals:

* **input drift**: share of the input columns whose drift test fires (:func:`drift_report`);
* **prediction drift**: PSI of this month's predicted probabilities against the baseline predictions;
* **estimated quality**: F1 and dollars estimated without labels (:func:`estimate_quality`);
* **realised quality**: the real F1 and dollars, known only ``label_delay`` months later.

:func:`monitor_months` makes the table over months; :func:`known_signals` shifts the realised columns to
the month in which they become known, which is what alert rules can see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.data.months import MonthBatch
from mlops_edu.monitoring.drift import psi
from mlops_edu.monitoring.performance import Calibrator, estimate_quality, realised_quality
from mlops_edu.monitoring.report import drift_report


def _yes(labels: pd.Series) -> np.ndarray:
    return (labels.to_numpy(dtype=object) == "Yes").astype(int)


@dataclass
class Monitor:
    """The monitoring pipeline of one deployed model (see the module docstring).

    Attributes
    ----------
    model : fitted estimator
        ``predict_proba`` and ``predict`` on frames of ``columns``.
    columns : list of str
        The model's input columns (what the drift tests compare).
    reference : DataFrame
        The training inputs.
    reference_proba : array
        Predicted churn probabilities on held-out rows of the training period.
    calibrator : Calibrator
        Learnt on the same held-out rows.
    """

    model: Any
    columns: list[str]
    reference: pd.DataFrame
    reference_proba: np.ndarray
    calibrator: Calibrator

    def score(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(churn probability, 0/1 offer decision) of each row.

        Parameters
        ----------
        frame : pandas.DataFrame
            Rows with the model's input columns (others are ignored).

        Returns
        -------
        tuple of (numpy.ndarray, numpy.ndarray)
        """
        X = frame[self.columns]
        return np.asarray(self.model.predict_proba(X))[:, 1], np.asarray(self.model.predict(X)).astype(int)

    def month_signals(self, batch: MonthBatch) -> dict[str, Any]:
        """The four signals of one month (realised quality included: known only ``label_delay`` later).

        Parameters
        ----------
        batch : MonthBatch
            One month of customers, with its labels.

        Returns
        -------
        dict
            ``month``, ``period``, ``labels_known``, ``input_drift_share``, ``drifted_columns``,
            ``prediction_psi``, and estimated and realised ``f1``, ``churn_rate`` and ``value``.
        """
        proba, decisions = self.score(batch.frame)
        report = drift_report(self.reference[self.columns], batch.frame[self.columns])
        est = estimate_quality(proba, decisions, self.calibrator)
        real = realised_quality(_yes(batch.labels), proba, decisions)
        return {"month": batch.month, "period": batch.period, "labels_known": batch.labels_available,
                "input_drift_share": report.drift_share, "drifted_columns": ", ".join(report.drifted_columns),
                "prediction_psi": psi(self.reference_proba, proba),
                "f1_estimated": est["f1"], "f1_realised": real["f1"],
                "churn_rate_estimated": est["churn_rate"], "churn_rate_realised": real["churn_rate"],
                "value_estimated": est["business_value"], "value_realised": real["business_value"]}


def monitor_months(monitor: Monitor, months: Sequence[MonthBatch]) -> pd.DataFrame:
    """One row per month (index ``period``): the signals of :meth:`Monitor.month_signals`.

    Parameters
    ----------
    monitor : Monitor
    months : sequence of MonthBatch

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame([monitor.month_signals(b) for b in months]).set_index("period")


def known_signals(timeline: pd.DataFrame, label_delay: int = 1) -> pd.DataFrame:
    """What an alert rule can see at the end of each month: this month's input, prediction and estimated
    signals, and the realised F1, dollars and churn-rate gap of the month ``label_delay`` earlier (NaN
    before any labels have arrived).

    Parameters
    ----------
    timeline : pandas.DataFrame
        From :func:`monitor_months`, one row per month in order.
    label_delay : int
        Months until the labels arrive (rows to shift).

    Returns
    -------
    pandas.DataFrame
        ``input_drift_share``, ``prediction_psi``, ``f1_estimated``, ``value_estimated``, ``f1_realised``,
        ``value_realised``, ``churn_rate_gap``.
    """
    out = timeline[["input_drift_share", "prediction_psi", "f1_estimated", "value_estimated"]].copy()
    late = timeline[["f1_realised", "value_realised"]].shift(label_delay)
    gap = (timeline["churn_rate_realised"] - timeline["churn_rate_estimated"]).shift(label_delay)
    return out.assign(f1_realised=late["f1_realised"], value_realised=late["value_realised"], churn_rate_gap=gap)


def labelled_frame(months: Sequence[MonthBatch], now: int, last: int) -> pd.DataFrame:
    """The customers (with labels) of the ``last`` most recent months whose labels are known at month ``now``:
    the training data of a retraining run.

    Parameters
    ----------
    months : sequence of MonthBatch
        In month order.
    now : int
        The current month.
    last : int
        How many of the labelled months to keep.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        When no month has labels at month ``now``.
    """
    known = [b for b in months if b.labels_available <= now]
    if not known:
        raise ValueError(f"no month has labels at month {now}")
    return pd.concat([b.frame for b in known[-last:]], ignore_index=True)
