"""Split, candidates and their comparison (lecture 5.1: "train several models, evaluate, pick").
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from mlops_edu.training.features import split_xy
from mlops_edu.training.metrics import classification_metrics
from mlops_edu.training.models import METRIC_NAMES, MODEL_KINDS, TrainingError, make_model, model_params

# --------------------------------------------------------------------------------------------------
# Split (lecture 5.1: "split the data into training, validation and test sets")
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Split:
    """A train / validation / test split: inputs ``X_*`` (DataFrames) and 0/1 labels ``y_*`` (Series)."""

    X_train: pd.DataFrame
    y_train: pd.Series
    X_val: pd.DataFrame
    y_val: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series
    seed: int = 0

    def parts(self) -> dict[str, tuple[pd.DataFrame, pd.Series]]:
        """``{"train": (X, y), "validation": (X, y), "test": (X, y)}``."""
        return {"train": (self.X_train, self.y_train), "validation": (self.X_val, self.y_val),
                "test": (self.X_test, self.y_test)}

    def balance(self) -> pd.DataFrame:
        """Rows, churners and churn rate of each part (stratification keeps the rate equal)."""
        rows = {name: {"rows": len(y), "churners": int(y.sum()), "churn_rate": round(float(y.mean()), 3)}
                for name, (_, y) in self.parts().items()}
        return pd.DataFrame.from_dict(rows, orient="index")


def split_dataset(df: pd.DataFrame, *, val_size: float = 0.2, test_size: float = 0.2, seed: int = 0,
                  stratify: bool = True, keep: Sequence[str] = ()) -> Split:
    """Split a customer frame into train / validation / test, stratified on churn and seeded.

    Parameters
    ----------
    df : pandas.DataFrame
        Customers with the Telco columns and ``Churn`` (see :func:`~mlops_edu.training.features.split_xy`).
    val_size, test_size : float
        Shares of all rows for validation and test (the rest trains).
    seed : int
        ``random_state`` of both cuts.
    stratify : bool
        Keep the churn rate of every part equal to the overall rate.
    keep : sequence of str
        Teaching columns to keep as features (passed to ``split_xy``).

    Returns
    -------
    Split

    Raises
    ------
    TrainingError
        When the sizes leave no rows to train on, or ``Churn`` has one value only.

    Example
    -------
    >>> s = split_dataset(customers, seed=4)     # doctest: +SKIP
    >>> s.balance()["churn_rate"].nunique()      # doctest: +SKIP
    1
    """
    if not (0 < val_size < 1 and 0 < test_size < 1 and val_size + test_size < 1):
        raise TrainingError(f"split_dataset: val_size={val_size} and test_size={test_size} must be in (0, 1) "
                            "and leave rows to train on")
    X, y = split_xy(df, keep=keep)
    if y.nunique() < 2:
        raise TrainingError("split_dataset: the label 'Churn' has one value only; nothing to learn")
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=test_size, random_state=seed,
                                                      stratify=y if stratify else None)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=val_size / (1 - test_size),
                                                      random_state=seed, stratify=y_rest if stratify else None)
    return Split(X_train, y_train, X_val, y_val, X_test, y_test, seed)


# --------------------------------------------------------------------------------------------------
# Candidates and their comparison (lecture 5.1: "train several models, evaluate, pick the best")
# --------------------------------------------------------------------------------------------------

@dataclass
class Candidate:
    """One fitted candidate: its pipeline, hyperparameters, fit time and scores."""

    kind: str
    model: Pipeline
    params: dict[str, Any]
    fit_seconds: float
    train_metrics: dict[str, float]
    val_metrics: dict[str, float]
    val_proba: np.ndarray = field(repr=False)


LABELS: dict[str, str] = {"logreg": "logistic regression", "random_forest": "random forest",
                          "lightgbm": "LightGBM"}


def fit_candidate(kind: str, split: Split, params: Mapping[str, Any] | None = None, seed: int = 0,
                  threshold: float = 0.5) -> Candidate:
    """Fit one candidate on ``split``'s training part and score it on training and validation data.

    Parameters
    ----------
    kind : str
        Model kind (:func:`~mlops_edu.training.make_model`).
    split : Split
        Train and validation rows.
    params : mapping or None
        Hyperparameter overrides.
    seed : int
        Seed of the model.
    threshold : float
        Decision threshold of the metrics.

    Returns
    -------
    Candidate
    """
    model = make_model(kind, params, seed=seed, X=split.X_train)
    start = time.perf_counter()
    model.fit(split.X_train, split.y_train)
    seconds = time.perf_counter() - start
    val_proba = model.predict_proba(split.X_val)[:, 1]
    return Candidate(kind=kind, model=model, params=model_params(kind, params), fit_seconds=seconds,
                     train_metrics=classification_metrics(split.y_train, model.predict_proba(split.X_train),
                                                          threshold),
                     val_metrics=classification_metrics(split.y_val, val_proba, threshold), val_proba=val_proba)


def train_candidates(split: Split, kinds: Iterable[str] = MODEL_KINDS,
                     params: Mapping[str, Mapping[str, Any]] | None = None, seed: int = 0,
                     threshold: float = 0.5) -> dict[str, Candidate]:
    """Fit every candidate of the lecture (logistic regression, random forest, LightGBM) on ``split``.

    Parameters
    ----------
    split : Split
        Train and validation rows.
    kinds : iterable of str
        Model kinds to fit.
    params : mapping of str to mapping, or None
        Per-kind hyperparameter overrides, e.g. ``{"lightgbm": {"num_leaves": 7}}``.
    seed : int
        Seed of every model.
    threshold : float
        Decision threshold of the metrics.

    Returns
    -------
    dict of str to Candidate
        ``{kind: Candidate}`` in the order of ``kinds``.

    Raises
    ------
    TrainingError
        When ``params`` names a kind that is not in ``kinds``.
    """
    params = params or {}
    unknown = set(params) - set(kinds)
    if unknown:
        raise TrainingError(f"train_candidates: params given for {sorted(unknown)}, which are not in kinds")
    return {kind: fit_candidate(kind, split, params.get(kind), seed, threshold) for kind in kinds}


def comparison_table(candidates: Mapping[str, Candidate], *, timings: bool = False,
                     digits: int = 3) -> pd.DataFrame:
    """Validation metrics of the candidates, one row each, best F1 first.

    ``timings=True`` adds ``fit_seconds`` (varies between runs: show it in a ``# NBVAL_IGNORE_OUTPUT`` cell).

    Parameters
    ----------
    candidates : mapping of str to Candidate
        From :func:`train_candidates`.
    timings : bool
        Add ``fit_seconds``.
    digits : int
        Decimals of the metrics.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``candidate`` (its label), sorted by F1 then ROC AUC.
    """
    rows = {}
    for kind, cand in candidates.items():
        row = {m: round(cand.val_metrics[m], digits) for m in METRIC_NAMES}
        if timings:
            row["fit_seconds"] = round(cand.fit_seconds, 2)
        rows[LABELS.get(kind, kind)] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "candidate"
    return table.sort_values(["f1", "roc_auc"], ascending=False, kind="stable")


def best_candidate(candidates: Mapping[str, Candidate], metric: str = "f1") -> Candidate:
    """The candidate with the best validation ``metric`` (ties: the first in order).

    Parameters
    ----------
    candidates : mapping of str to Candidate
    metric : str
        One of :data:`~mlops_edu.training.models.METRIC_NAMES`.

    Returns
    -------
    Candidate

    Raises
    ------
    TrainingError
        For an unknown metric or no candidates.
    """
    if metric not in METRIC_NAMES:
        raise TrainingError(f"unknown metric {metric!r}; choose one of {list(METRIC_NAMES)}")
    if not candidates:
        raise TrainingError("best_candidate: no candidates")
    return max(candidates.values(), key=lambda c: c.val_metrics[metric])


# --------------------------------------------------------------------------------------------------
# Choosing under noise (lecture 5.1 "evaluate and pick", with the rule stated before the scores)
# --------------------------------------------------------------------------------------------------

SIMPLEST_FIRST: tuple[str, ...] = ("logreg", "random_forest", "lightgbm")
"""Candidates from the fewest moving parts to the most: a linear model with one weight per input, a forest of
independent trees, then boosted trees built one on another (more knobs, more ways to overfit)."""


def kfold_table(split: Split, kinds: Iterable[str] = MODEL_KINDS,
                params: Mapping[str, Mapping[str, Any]] | None = None, *, k: int = 5, seed: int = 0) -> pd.DataFrame:
    """k-fold F1 of each candidate on the training part, all on the same folds (lecture 9.2).

    Parameters
    ----------
    split : Split
        Its training part is cut into folds.
    kinds : iterable of str
        Model kinds.
    params : mapping of str to mapping, or None
        Per-kind hyperparameter overrides.
    k : int
        Folds.
    seed : int
        Seed of the folds and the models.

    Returns
    -------
    pandas.DataFrame
        One row per candidate (its label as index): ``kind``, ``mean``, ``std`` (over folds, ``ddof=0``),
        ``se`` (standard error of the mean, ``std(ddof=1) / sqrt(k)``) and ``fold_1`` ... ``fold_k``; rounded
        to 4 decimals.
    """
    from mlops_edu.training.kfold import kfold_f1

    params = params or {}
    rows = {}
    for kind in kinds:
        scores = np.asarray(kfold_f1(split.X_train, split.y_train, kind, params.get(kind), k=k, seed=seed).scores)
        rows[LABELS.get(kind, kind)] = {"kind": kind, "mean": scores.mean(), "std": scores.std(),
                                        "se": scores.std(ddof=1) / np.sqrt(len(scores)),
                                        **{f"fold_{i}": s for i, s in enumerate(scores, start=1)}}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "candidate"
    return table.round(4)


def simplest_within_one_se(table: pd.DataFrame, order: Sequence[str] = SIMPLEST_FIRST) -> tuple[str, float]:
    """The one-standard-error rule: the simplest candidate whose mean k-fold F1 reaches ``best mean - best se``.

    Differences smaller than the noise of the best score are not evidence; among the candidates they cannot
    separate, take the one with the fewest moving parts. Returns ``(kind, the bar it had to reach)``.

    Parameters
    ----------
    table : pandas.DataFrame
        With ``kind``, ``mean`` and ``se`` (:func:`kfold_table`).
    order : sequence of str
        Kinds from simplest to most complex.

    Returns
    -------
    tuple of (str, float)

    Raises
    ------
    TrainingError
        For an empty table or a kind missing from ``order``.

    >>> t = pd.DataFrame({"kind": ["logreg", "lightgbm"], "mean": [0.60, 0.61], "se": [0.01, 0.012]})
    >>> simplest_within_one_se(t)
    ('logreg', 0.598)
    """
    if table.empty:
        raise TrainingError("simplest_within_one_se: no candidates")
    best = table.loc[table["mean"].idxmax()]
    bar = round(float(best["mean"] - best["se"]), 6)
    unknown = set(table["kind"]) - set(order)
    if unknown:
        raise TrainingError(f"simplest_within_one_se: {sorted(unknown)} missing from the simplicity order "
                            f"{list(order)}")
    eligible = set(table.loc[table["mean"] >= bar, "kind"])
    return next(kind for kind in order if kind in eligible), bar
