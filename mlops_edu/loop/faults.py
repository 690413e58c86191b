"""Faults for the chaos tests of the closed loop (lecture 8, level 3: "Netflix's Chaos Monkey").

Each fault is a hook of :meth:`~mlops_edu.loop.engine.ClosedLoop.step`, given per month to
:meth:`~mlops_edu.loop.engine.ClosedLoop.run` as ``{month: {hook: value}}``:

* ``corrupt=True``: the month's batch arrives with charges in cents. Validation against the Champion's
  baseline quarantines it (written to ``quarantine/``), nothing is scored, and the upstream job re-delivers
  it fixed (:func:`charges_fixed`): every customer is scored once, none is lost.
* ``bad_challenger=True``: a retraining job reads a table whose labels were shuffled; its Challenger is
  worse than the Champion and the noise-aware comparison refuses it.
* ``bad_deploy=model``: a release job skips validation and ships a model built on a renamed column
  (:func:`renamed_column_model`); production rows cannot be scored by it, the post-deploy check fails and
  the registry rolls ``@Champion`` back.
* ``crash_after=k``: the scoring server dies right after writing its k-th output of the month, before
  answering; the supervisor restarts it and retries, and the idempotent outbox answers the retry
  "duplicate" instead of scoring twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def charges_fixed(frame: pd.DataFrame) -> pd.DataFrame:
    """The upstream job's fix of the cents bug: charges back to dollars."""
    out = frame.copy()
    out["MonthlyCharges"] = out["MonthlyCharges"] / 100
    out["TotalCharges"] = out["TotalCharges"] / 100
    return out


def renamed_column_model(frame: pd.DataFrame, columns: Sequence[str], seed: int = 0) -> Any:
    """A churn model fitted on a table where the feature job renamed ``tenure`` to ``tenure_months``:
    fine offline, unusable on production rows (which still say ``tenure``)."""
    from mlops_edu.training import make_model

    renamed = frame.rename(columns={"tenure": "tenure_months"})
    inputs = [("tenure_months" if c == "tenure" else c) for c in columns]
    y = (frame["Churn"] == "Yes").to_numpy().astype(int)
    return make_model("logreg", seed=seed, X=renamed[inputs], engineer=False).fit(renamed[inputs], y)


def reconcile(history: pd.DataFrame) -> pd.DataFrame:
    """Row counts per month: received, quarantined, scored, and whether they add up (no row lost)."""
    out = history[["rows_in", "quarantined", "rows_scored", "micro_batches", "retried"]].copy()
    out["all rows scored once"] = out["rows_scored"] == out["rows_in"]
    return out


def alias_history(events: Sequence[str]) -> list[str]:
    """The events that moved ``@Champion`` (promotions and rollbacks)."""
    return [e for e in events if "promoted" in e or "rolled back" in e or "shipped" in e]

