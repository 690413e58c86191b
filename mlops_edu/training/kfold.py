"""THE shared objective of chapters 02, 07 and 08: k-fold F1 of a churn model (lecture 9.1, 9.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from mlops_edu.training.metrics import confusion_counts, metric_from_counts
from mlops_edu.training.models import METRIC_NAMES, TrainingError, make_model, model_params

# --------------------------------------------------------------------------------------------------
# THE shared objective: k-fold F1 (chapters 02, 07, 08; lecture 9.1 and 9.2)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FoldScores:
    """Scores of one configuration on each of the k validation folds."""

    scores: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        """Population standard deviation over folds (as scikit-learn's ``std_test_score``)."""
        return float(np.std(self.scores))

    def __str__(self) -> str:
        return f"{self.mean:.3f} +- {self.std:.3f} over {len(self.scores)} folds"


def make_folds(y: Sequence[int] | pd.Series, k: int = 5, seed: int = 0,
               stratified: bool = True, shuffle: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """The k (train index, validation index) pairs; stratified keeps each fold's churn rate equal.

    Parameters
    ----------
    y : array-like of 0/1
        Labels (only their count and, when stratified, their values matter).
    k : int
        Folds, between 2 and the number of rows.
    seed : int
        Seed of the shuffle (ignored without ``shuffle``).
    stratified : bool
        StratifiedKFold instead of KFold.
    shuffle : bool
        Shuffle the rows before cutting.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        Row positions.

    Raises
    ------
    TrainingError
        When ``k`` is below 2 or above the number of rows.
    """
    y = np.asarray(y)
    if k < 2 or k > len(y):
        raise TrainingError(f"k must be between 2 and the number of rows ({len(y)}), got {k}")
    splitter = (StratifiedKFold if stratified else KFold)(n_splits=k, shuffle=shuffle,
                                                           random_state=seed if shuffle else None)
    return [(tr, va) for tr, va in splitter.split(np.zeros(len(y)), y)]


def _take(data: Any, idx: np.ndarray) -> Any:
    return data.iloc[idx] if isinstance(data, (pd.DataFrame, pd.Series)) else data[idx]


@dataclass
class Preprocessed:
    """Inputs after the preprocessing steps that learn nothing from data (see :func:`prepare`).

    ``branches`` holds, per branch of the ColumnTransformer, the stateless output for all rows and the
    remaining (learning) steps; ``fallback`` is set when the pipeline has another layout.
    """

    branches: list[tuple[Any, Pipeline | None]]
    n_rows: int
    fallback: tuple[Pipeline, pd.DataFrame] | None = None

    def fold_matrices(self, folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Model-ready (train, validation) matrices per fold; learning steps fitted on the training fold.

        Parameters
        ----------
        folds : sequence of (numpy.ndarray, numpy.ndarray)
            (train, validation) row positions, e.g. :func:`make_folds`.

        Returns
        -------
        list of (numpy.ndarray, numpy.ndarray)
        """
        if self.fallback is not None:
            pre, X = self.fallback
            out = []
            for tr, va in folds:
                fitted = clone(pre).fit(_take(X, tr))
                out.append((fitted.transform(_take(X, tr)), fitted.transform(_take(X, va))))
            return out
        out = []
        for tr, va in folds:
            train_parts, val_parts = [], []
            for part, rest in self.branches:
                if rest is None:
                    train_parts.append(np.asarray(_take(part, tr), dtype=float))
                    val_parts.append(np.asarray(_take(part, va), dtype=float))
                else:
                    fitted = clone(rest)
                    train_parts.append(np.asarray(fitted.fit_transform(_take(part, tr)), dtype=float))
                    val_parts.append(np.asarray(fitted.transform(_take(part, va)), dtype=float))
            out.append((np.hstack(train_parts), np.hstack(val_parts)))
        return out


def prepare(preprocess: Pipeline, X: pd.DataFrame) -> Preprocessed:
    """Run the steps of ``preprocess`` that learn nothing from data (``stateless = True``: feature
    engineering, Yes/No mapping, category cleaning) once on all of ``X``.

    ``preprocess`` is the pipeline of :func:`make_model` without its classifier (``model[:-1]``).

    Parameters
    ----------
    preprocess : sklearn.pipeline.Pipeline
        The preprocessing steps.
    X : pandas.DataFrame
        All training inputs.

    Returns
    -------
    Preprocessed
        With ``fallback`` set when the pipeline does not end in one ColumnTransformer that drops the rest.
    """
    steps = list(preprocess.steps)
    data: Any = X
    while steps and not isinstance(steps[0][1], ColumnTransformer) and getattr(steps[0][1], "stateless", False):
        data = clone(steps[0][1]).fit(data).transform(data)
        steps = steps[1:]
    if len(steps) != 1 or not isinstance(steps[0][1], ColumnTransformer) or \
            getattr(steps[0][1], "remainder", "drop") != "drop":
        return Preprocessed([], len(X), fallback=(preprocess, X))
    branches: list[tuple[Any, Pipeline | None]] = []
    for _, branch, columns in steps[0][1].transformers:
        if branch == "drop":
            continue
        sub = list(branch.steps) if isinstance(branch, Pipeline) else [("step", branch)]
        part: Any = data[list(columns)]
        while sub and getattr(sub[0][1], "stateless", False):
            part = clone(sub[0][1]).fit(part).transform(part)
            sub = sub[1:]
        branches.append((part, Pipeline(sub) if sub else None))
    return Preprocessed(branches, len(X))


def fold_matrices(preprocess: Pipeline, X: pd.DataFrame,
                  folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Model-ready (train, validation) matrices per fold, preprocessing fitted on each training fold only.

    Stateless steps run once on all of ``X`` (:func:`prepare`); the steps that learn (imputers, scaler,
    one-hot categories) are fitted per fold. The result equals
    ``clone(preprocess).fit(X_train_fold).transform(...)`` per fold, several times faster.

    Parameters
    ----------
    preprocess : sklearn.pipeline.Pipeline
        As in :func:`prepare`.
    X : pandas.DataFrame
        All training inputs.
    folds : sequence of (numpy.ndarray, numpy.ndarray)
        (train, validation) row positions.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
    """
    return prepare(preprocess, X).fold_matrices(folds)


def _one_metric(y: np.ndarray, proba: np.ndarray, metric: str, threshold: float) -> float:
    """One metric (the objective's inner loop); equal to ``classification_metrics(...)[metric]``."""
    if metric == "roc_auc":
        return float(roc_auc_score(y, proba)) if len(np.unique(y)) == 2 else float("nan")
    return metric_from_counts(metric, confusion_counts(y, np.asarray(proba) >= threshold))


def _key(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, _plain(v)) for k, v in params.items()))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


class KFoldObjective:
    """"Train a churn model on the training data and score it by k-fold F1" - built once, used by
    chapters 02, 07 (the tuning objective) and 08 (cross-validation).

    The folds are fixed at construction (seeded). Feature engineering and preprocessing are fitted on
    each training fold once and cached (they do not depend on the hyperparameters), so each evaluation
    only fits the classifier k times. The result equals scikit-learn's
    ``cross_val_score(make_model(kind, params, seed, X), X, y, cv=<same folds>, scoring="f1")``.
    Results are memoised per configuration; :attr:`n_evaluations` counts evaluations asked for,
    :attr:`n_fits` the classifier fits actually done.

    Parameters
    ----------
    X, y : pandas.DataFrame, array-like of 0/1
        Training inputs and 0/1 labels (never the test set: see chapter 08).
    kind : str
        The model kind of :func:`make_model`.
    k : int
        Number of folds.
    seed : int
        Seeds the folds and the model.
    stratified : bool
        StratifiedKFold (default) or plain KFold (both shuffled).
    base_params : mapping or None
        Fixed hyperparameters under the tuned ones.
    metric : str
        One of :data:`METRIC_NAMES` (default ``"f1"``).
    threshold : float
        Decision threshold of the threshold metrics.
    engineer : bool
        Add the engineered features (as in :func:`make_model`).
    folds : sequence of (numpy.ndarray, numpy.ndarray) or None
        Explicit (train index, validation index) pairs instead of ``k``/``stratified`` (e.g. one pair
        for a single train/validation split).
    prepared : Preprocessed or None
        :func:`prepare` output for ``X`` (saves the stateless steps when many objectives share X).

    Raises
    ------
    TrainingError
        For an unknown metric, ``X`` and ``y`` of different lengths, or ``prepared`` of another size.

    Example
    -------
    >>> objective = KFoldObjective(X_train, y_train, "lightgbm", k=3, seed=4)   # doctest: +SKIP
    >>> round(objective({"num_leaves": 7, "learning_rate": 0.05}), 3)          # doctest: +SKIP
    0.612
    """

    def __init__(self, X: pd.DataFrame, y: Sequence[int] | pd.Series, kind: str = "lightgbm", *, k: int = 5,
                 seed: int = 0, stratified: bool = True, base_params: Mapping[str, Any] | None = None,
                 metric: str = "f1", threshold: float = 0.5, engineer: bool = True,
                 folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
                 prepared: Preprocessed | None = None) -> None:
        if metric not in METRIC_NAMES:
            raise TrainingError(f"unknown metric {metric!r}; choose one of {list(METRIC_NAMES)}")
        if len(X) != len(y):
            raise TrainingError(f"X has {len(X)} rows but y has {len(y)}")
        self.kind, self.k, self.seed, self.metric, self.threshold = kind, k, seed, metric, threshold
        self.stratified = stratified
        self.base_params = dict(base_params or {})
        self.y = np.asarray(y).astype(int)
        self.folds = [(np.asarray(tr), np.asarray(va)) for tr, va in folds] if folds is not None \
            else make_folds(self.y, k, seed, stratified)
        self.k = len(self.folds)
        if prepared is None:
            template = make_model(kind, self.base_params, seed=seed, X=X, engineer=engineer)
            prepared = prepare(template[:-1], X)
        elif prepared.n_rows != len(X):
            raise TrainingError(f"prepared data has {prepared.n_rows} rows but X has {len(X)}")
        self._prep = prepared.fold_matrices(self.folds)
        self._cache: dict[tuple[tuple[str, Any], ...], FoldScores] = {}
        self.n_evaluations = 0
        self.n_fits = 0

    def scores(self, params: Mapping[str, Any] | None = None) -> FoldScores:
        """Per-fold scores of the configuration ``params`` (on top of ``base_params``).

        Parameters
        ----------
        params : mapping or None
            Hyperparameters to evaluate (memoised: the same configuration is fitted once).

        Returns
        -------
        FoldScores
        """
        params = {k: _plain(v) for k, v in dict(params or {}).items()}
        self.n_evaluations += 1
        key = _key(params)
        if key in self._cache:
            return self._cache[key]
        merged = model_params(self.kind, {**self.base_params, **params})
        clf = make_model(self.kind, merged, seed=self.seed, engineer=False).steps[-1][1]
        out = []
        for (train_idx, val_idx), (A_train, A_val) in zip(self.folds, self._prep):
            fitted = clone(clf).fit(A_train, self.y[train_idx])
            self.n_fits += 1
            proba = fitted.predict_proba(A_val)[:, 1]
            out.append(_one_metric(self.y[val_idx], proba, self.metric, self.threshold))
        result = FoldScores(tuple(out))
        self._cache[key] = result
        return result

    def __call__(self, params: Mapping[str, Any] | None = None) -> float:
        """Mean k-fold score of ``params`` (what a tuner maximises)."""
        return self.scores(params).mean


def kfold_f1(X: pd.DataFrame, y: Sequence[int] | pd.Series, kind: str = "lightgbm",
             params: Mapping[str, Any] | None = None, *, k: int = 5, seed: int = 0,
             stratified: bool = True) -> FoldScores:
    """k-fold F1 of one configuration (lecture 9.2): a one-off :class:`KFoldObjective`.

    Parameters
    ----------
    X : pandas.DataFrame
        Training inputs.
    y : array-like of 0/1
        Their labels.
    kind : str
        Model kind.
    params : mapping or None
        Hyperparameters.
    k : int
        Folds.
    seed : int
        Seed of the folds and the model.
    stratified : bool
        StratifiedKFold or KFold.

    Returns
    -------
    FoldScores

    Example
    -------
    >>> print(kfold_f1(X_train, y_train, "logreg", k=5, seed=4))   # doctest: +SKIP
    0.615 +- 0.012 over 5 folds
    """
    return KFoldObjective(X, y, kind, k=k, seed=seed, stratified=stratified).scores(params)
