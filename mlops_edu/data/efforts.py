"""Measured efforts, model-centric vs data-centric, on one baseline (lecture 7: "better model or better data?").

Lecture 7.1 lists four properties of good data: unambiguous labels, good cover (all states, not only
Massachusetts), timely feedback, an appropriate size. This module holds the measuring tools of chapter 06:

* Fair comparisons: :func:`fit_and_score` (train on one table, score on the test customers) and
  :func:`paired_bootstrap_gain` (the F1 gain of one model over another on the same customers, with a
  bootstrap interval).
* Coverage: :func:`region_of`, :func:`scores_by_group` (F1 and error per region or state).
* Timely feedback and size: :func:`stack_months`, :func:`learning_curve`, :func:`curve_summary`.
* One baseline: :func:`make_team_data` builds a training table that violates all four properties at
  once, the way real tables do, plus one alternative table per fix and the customers to score next;
  :func:`effort_table` lines the gains of every effort up with their intervals and costs.

The story of the baseline (our example, not the lecture's): it is month 12. The team's table holds the
customers of months 0-5 (labels arrive six months late), from the pilot state Massachusetts only, with a
share of labels flipped by a sloppy manual process. A shock (the ``concept`` knob, default
``"pandemic"``) changed why customers leave from month 6 on. The model must score next month's
customers of all states.

Example
-------
>>> data = make_team_data(per_month=50, seed=0, test_rows=200)
>>> len(data.baseline), data.baseline["state"].unique().tolist(), len(data.flipped)
(300, ['MA'], 60)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.data.generator import make_customers
from mlops_edu.data.months import make_months
from mlops_edu.data.noise import flip_labels
from mlops_edu.data.schema import STRING_DTYPE, US_STATES


# --------------------------------------------------------------------------------------------------
# Fair comparisons: one test set, a paired bootstrap (DESIGN.md "Honest numbers")
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scored:
    """A model trained on one frame and scored on a test frame: 0/1 test labels, probabilities, metrics."""

    y: np.ndarray = field(repr=False)
    proba: np.ndarray = field(repr=False)
    metrics: dict[str, float]
    train_rows: int


def fit_and_score(train: pd.DataFrame, test: pd.DataFrame, kind: str = "lightgbm",
                  params: Mapping[str, Any] | None = None, *, seed: int = 0) -> Scored:
    """Train :func:`mlops_edu.training.make_model` on ``train`` and score it on ``test``.

    Parameters
    ----------
    train, test : pandas.DataFrame
    kind : str
    params : mapping or None
        Model kind and parameters, as in :func:`~mlops_edu.training.make_model`.
    seed : int

    Examples
    --------
    >>> from mlops_edu.data import make_customers
    >>> s = fit_and_score(make_customers(400, seed=0), make_customers(200, seed=1), "logreg")
    >>> sorted(s.metrics)[:2], s.train_rows
    (['accuracy', 'f1'], 400)
    """
    from mlops_edu.training.features import split_xy
    from mlops_edu.training.metrics import classification_metrics
    from mlops_edu.training.models import make_model

    X, y = split_xy(train)
    X_test, y_test = split_xy(test)
    model = make_model(kind, params, seed=seed, X=X).fit(X, y)
    proba = model.predict_proba(X_test)[:, 1]
    return Scored(y_test.to_numpy(), proba, classification_metrics(y_test, proba), len(train))


def paired_bootstrap_gain(y: Sequence[int], proba_base: Sequence[float], proba_new: Sequence[float], *,
                          n_boot: int = 1000, seed: int = 0, threshold: float = 0.5,
                          level: float = 0.95) -> dict[str, float]:
    """F1 gain of a new model over a base model on the same test customers, with a bootstrap interval.

    Both models are scored on the same resampled customers in each of ``n_boot`` rounds (a *paired*
    bootstrap), so the interval reflects which customers happened to land in the test set, not the
    difference between two unrelated draws.

    Parameters
    ----------
    y : sequence of 0/1
    proba_base, proba_new : sequence of float
        The two models' churn probabilities for the same customers.
    n_boot, seed : int
    threshold : float
        Probability at which a customer is flagged.
    level : float

    Returns
    -------
    dict
        ``base``, ``new`` (F1 on the full test set), ``gain`` (new - base), ``low``, ``high`` (the
        ``level`` percentile interval of the gain), from :func:`mlops_edu.training.paired_bootstrap`
        (the workbook's one paired bootstrap).

    Examples
    --------
    >>> y = np.array([1, 0, 1, 0] * 50)
    >>> paired_bootstrap_gain(y, np.full(200, 0.9), y * 0.8, seed=0)["gain"]
    0.333
    """
    from mlops_edu.training.bootstrap import paired_bootstrap
    from mlops_edu.training.metrics import confusion_counts, metric_from_counts

    y = np.asarray(y).astype(int)
    pred = {name: (np.asarray(proba, dtype=float) >= threshold).astype(int)
            for name, proba in (("base", proba_base), ("new", proba_new))}
    f1 = {name: float(metric_from_counts("f1", confusion_counts(y, p))) for name, p in pred.items()}
    gain = paired_bootstrap(y, pred["new"], pred["base"], "f1", n_resamples=n_boot, seed=seed, level=level)
    return {"base": round(f1["base"], 3), "new": round(f1["new"], 3), "gain": round(gain.estimate, 3),
            "low": round(gain.low, 3), "high": round(gain.high, 3)}


# --------------------------------------------------------------------------------------------------
# Coverage (lecture 7.1, "good cover": all states, not only Massachusetts)
# --------------------------------------------------------------------------------------------------

def region_of(states: pd.Series) -> pd.Series:
    """US census region of each state code (``"MA"`` -> ``"Northeast"``).

    Parameters
    ----------
    states : pandas.Series
        State codes (an unknown code gives a missing region).

    >>> region_of(pd.Series(["MA", "TX"])).tolist()
    ['Northeast', 'South']
    """
    return states.map({code: region for code, (_, region, _) in US_STATES.items()}).astype(STRING_DTYPE)


def scores_by_group(y: Sequence[int], proba: Sequence[float], groups: pd.Series,
                    threshold: float = 0.5, min_rows: int = 1) -> pd.DataFrame:
    """Rows, churn rate, F1 and error rate (1 - accuracy) per group (region, state...), largest first.

    Groups with fewer than ``min_rows`` rows are left out (their scores would be mostly luck).

    Parameters
    ----------
    y : sequence of 0/1
    proba : sequence of float
        Labels and churn probabilities, one per row.
    groups : pandas.Series
        Group of each row (by position).
    threshold : float
    min_rows : int

    Examples
    --------
    >>> scores_by_group([1, 0, 1, 0], [0.9, 0.2, 0.1, 0.6], pd.Series(["a", "a", "b", "b"]))["error"].tolist()
    [0.0, 1.0]
    """
    from mlops_edu.training.metrics import confusion_counts, metric_from_counts

    y = np.asarray(y).astype(int)
    pred = (np.asarray(proba, dtype=float) >= threshold).astype(int)
    rows = []
    for name, idx in pd.Series(np.arange(len(y))).groupby(np.asarray(groups, dtype=object)).groups.items():
        idx = np.asarray(list(idx))
        if len(idx) < min_rows:
            continue
        counts = confusion_counts(y[idx], pred[idx])
        rows.append({"group": name, "rows": len(idx), "churn_rate": round(float(y[idx].mean()), 3),
                     "f1": round(float(metric_from_counts("f1", counts)), 3),
                     "error": round(1.0 - float(metric_from_counts("accuracy", counts)), 3)})
    out = pd.DataFrame(rows, columns=["group", "rows", "churn_rate", "f1", "error"])
    return out.sort_values(["rows", "group"], ascending=[False, True], ignore_index=True)


# --------------------------------------------------------------------------------------------------
# Timely feedback and the right size (lecture 7.1)
# --------------------------------------------------------------------------------------------------

def stack_months(months: Sequence[Any], first: int, last: int) -> pd.DataFrame:
    """The customers of months ``first``..``last`` (inclusive) of :func:`mlops_edu.data.make_months`.

    Parameters
    ----------
    months : sequence of MonthBatch
    first, last : int
        Positions in ``months``; ``ValueError`` when outside it.

    >>> from mlops_edu.data import make_months
    >>> len(stack_months(make_months(3, 50, seed=0), 1, 2))
    100
    """
    if not 0 <= first <= last < len(months):
        raise ValueError(f"months {first}..{last} are outside 0..{len(months) - 1}")
    return pd.concat([m.frame for m in months[first:last + 1]], ignore_index=True)


def learning_curve(train: pd.DataFrame, test: pd.DataFrame, sizes: Sequence[int], seeds: Sequence[int],
                   kind: str = "lightgbm", params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Test F1 and ROC AUC of models trained on random subsets of ``train`` of each size, per seed.

    Each (size, seed) draws its own subset (without replacement), so the spread at a size is how much
    the score depends on *which* customers one happened to have.

    Parameters
    ----------
    train, test : pandas.DataFrame
    sizes : sequence of int
        Subset sizes, each between 20 and ``len(train)`` (``ValueError`` otherwise).
    seeds : sequence of int
    kind : str
    params : mapping or None
        As in :func:`fit_and_score`.

    Returns
    -------
    pandas.DataFrame
        One row per (size, seed): ``size``, ``seed``, ``f1``, ``roc_auc``.
    """
    bad = [s for s in sizes if not 20 <= s <= len(train)]
    if bad:
        raise ValueError(f"sizes {bad} must lie between 20 and the {len(train)} training rows")
    rows = []
    for size in sizes:
        for seed in seeds:
            subset = train.sample(n=int(size), random_state=int(seed))
            scored = fit_and_score(subset, test, kind, params, seed=int(seed))
            rows.append({"size": int(size), "seed": int(seed), "f1": scored.metrics["f1"],
                         "roc_auc": scored.metrics["roc_auc"]})
    return pd.DataFrame(rows)


def curve_summary(curve: pd.DataFrame, metric: str = "f1") -> pd.DataFrame:
    """Mean, spread (std over seeds) and gain over the previous size of a :func:`learning_curve`.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`learning_curve`.
    metric : {"f1", "roc_auc"}

    >>> c = pd.DataFrame({"size": [10, 10, 20, 20], "seed": [0, 1, 0, 1], "f1": [0.5, 0.6, 0.7, 0.7]})
    >>> curve_summary(c)["gain"].tolist()
    [nan, 0.15]
    """
    grouped = curve.groupby("size")[metric]
    out = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=0)}).round(3)
    out["gain"] = out["mean"].diff().round(3)
    return out


# --------------------------------------------------------------------------------------------------
# One baseline with the four defects, and the efforts that fix them
# --------------------------------------------------------------------------------------------------

EFFORT_KINDS: tuple[str, ...] = ("model-centric", "data-centric", "both")
"""What an effort improves: the model, the data, or both at once."""


@dataclass(frozen=True)
class TeamData:
    """The team's defective training table, one alternative table per data-centric fix, and the test set.

    Attributes
    ----------
    baseline : pandas.DataFrame
        Months ``stale`` of the one ``state``, labels partly flipped (the four defects).
    true_labels : pandas.Series
        The true ``Churn`` of every baseline row (what a reviewer finds in the event log).
    flipped : pandas.Index
        Index labels of the baseline rows whose label was flipped.
    all_states : pandas.DataFrame
        Good cover: the same months and label noise, customers from every state.
    recent : pandas.DataFrame
        Timely feedback: the months ``recent`` (labels one month late) of the same state, same noise.
    more : pandas.DataFrame
        Double the data: the baseline plus as many more customers of the same months, state and noise.
    test : pandas.DataFrame
        Next month's customers of all states under the new concept, with true labels.
    settings : dict
        The arguments the tables were made with.
    """

    baseline: pd.DataFrame
    true_labels: pd.Series
    flipped: pd.Index
    all_states: pd.DataFrame
    recent: pd.DataFrame
    more: pd.DataFrame
    test: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Rows, states and churn rate of each table (what the team would see)."""
        tables = {"baseline (team's table)": self.baseline, "all states": self.all_states,
                  "recent months": self.recent, "double the data": self.more, "test (next month)": self.test}
        rows = {name: {"rows": len(df), "states": int(df["state"].nunique()),
                       "churn_rate": round(float((df["Churn"] == "Yes").mean()), 3)}
                for name, df in tables.items()}
        return pd.DataFrame.from_dict(rows, orient="index")


def make_team_data(per_month: int = 400, *, seed: int = 0, state: str = "MA", noise: float = 0.2,
                   drift_month: int = 6, concept: str = "pandemic", stale: tuple[int, int] = (0, 5),
                   recent: tuple[int, int] = (8, 10), test_rows: int = 3000) -> TeamData:
    """Build the team's table with the four defects of lecture 7.1 and the tables that fix one each.

    Parameters
    ----------
    per_month : int
        Customers per month and source.
    seed : int
        Seeds every draw (each table its own stream).
    state : str
        The pilot state of the baseline (the lecture's Massachusetts).
    noise : float
        Share of labels flipped uniformly in every training table.
    drift_month, concept : int, str
        From ``drift_month`` on, churn follows ``concept`` (see :class:`mlops_edu.data.Knobs`).
    stale, recent : tuple of int
        First and last month of the baseline and of the timely table.
    test_rows : int
        Size of the test set (next month, all states, true labels).

    Returns
    -------
    TeamData
    """
    schedule = {drift_month: {"concept": concept}}
    n_months = max(stale[1], recent[1]) + 1
    if not 0 < drift_month < n_months:
        raise ValueError(f"drift_month must lie in 1..{n_months - 1}, got {drift_month}")
    pilot = make_months(n_months, per_month, seed=seed, schedule=schedule, states=(state,))
    pilot_more = make_months(n_months, per_month, seed=seed + 1, schedule=schedule, states=(state,))
    everywhere = make_months(n_months, per_month, seed=seed + 2, schedule=schedule)

    def noisy(frame: pd.DataFrame, stream: int) -> tuple[pd.DataFrame, np.ndarray]:
        scenario = flip_labels(frame, noise, seed=seed * 10 + stream)
        return scenario.frame, scenario.flipped

    clean = stack_months(pilot, *stale)
    baseline, flipped = noisy(clean, 0)
    more = pd.concat([baseline, noisy(stack_months(pilot_more, *stale), 1)[0]], ignore_index=True)
    test = make_customers(test_rows, seed=seed + 3, concept=concept)
    settings = {"per_month": per_month, "seed": seed, "state": state, "noise": noise,
                "drift_month": drift_month, "concept": concept, "stale": stale, "recent": recent}
    return TeamData(baseline=baseline, true_labels=clean["Churn"], flipped=baseline.index[flipped],
                    all_states=noisy(stack_months(everywhere, *stale), 2)[0],
                    recent=noisy(stack_months(pilot, *recent), 3)[0], more=more, test=test, settings=settings)


def effort_table(base: Scored, efforts: Mapping[str, tuple[str, Scored, str]], *, n_boot: int = 1000,
                 seed: int = 0) -> pd.DataFrame:
    """One row per effort: its kind, test F1 and ROC AUC, F1 gain over ``base`` with a paired bootstrap
    interval, and its cost; plus the baseline and the trivial "flag everyone" policy for reference.

    Parameters
    ----------
    base : Scored
        The baseline model on the test set.
    efforts : mapping
        ``{name: (kind, scored, cost)}`` with ``kind`` one of :data:`EFFORT_KINDS`; every
        ``scored`` must be on the same test customers as ``base``.
    n_boot, seed : int
        Bootstrap rounds and seed (the same resamples for every row).

    Returns
    -------
    pandas.DataFrame
        Index ``effort``; columns ``kind``, ``f1``, ``roc_auc``, ``gain``, ``low``, ``high``, ``cost``.
    """
    from mlops_edu.training.metrics import classification_metrics

    bad = sorted({kind for kind, _, _ in efforts.values()} - set(EFFORT_KINDS))
    if bad:
        raise ValueError(f"unknown effort kind(s) {bad}; use {list(EFFORT_KINDS)}")
    everyone = classification_metrics(base.y, np.ones(len(base.y)))
    rows = [{"effort": "no model: flag everyone", "kind": "trivial", "f1": round(everyone["f1"], 3),
             "roc_auc": 0.5, "gain": np.nan, "low": np.nan, "high": np.nan, "cost": "none"},
            {"effort": "baseline", "kind": "-", "f1": round(base.metrics["f1"], 3),
             "roc_auc": round(base.metrics["roc_auc"], 3), "gain": 0.0, "low": np.nan, "high": np.nan, "cost": "-"}]
    for name, (kind, scored, cost) in efforts.items():
        if not np.array_equal(scored.y, base.y):
            raise ValueError(f"effort {name!r} was scored on other test customers than the baseline")
        gain = paired_bootstrap_gain(base.y, base.proba, scored.proba, n_boot=n_boot, seed=seed)
        rows.append({"effort": name, "kind": kind, "f1": gain["new"], "roc_auc": round(scored.metrics["roc_auc"], 3),
                     "gain": gain["gain"], "low": gain["low"], "high": gain["high"], "cost": cost})
    return pd.DataFrame(rows).set_index("effort")
