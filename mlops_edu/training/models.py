"""The candidate models of lecture 5.1 as scikit-learn pipelines: features -> preprocessing -> classifier.

The logged model takes the raw 21 Telco columns, so inference code needs no feature code of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from mlops_edu.data.schema import TEACHING_COLUMNS
from mlops_edu.training.features import (
    BOOLEAN_COLUMNS,
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    FeatureAdder,
    add_features,
    build_preprocessor,
    feature_types,
)

MODEL_KINDS: tuple[str, ...] = ("logreg", "random_forest", "lightgbm")
"""The candidates named in the lecture (section 5.1)."""

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "logreg": {"C": 1.0, "solver": "liblinear", "max_iter": 1000, "class_weight": "balanced"},
    "random_forest": {"n_estimators": 100, "max_depth": 8, "min_samples_leaf": 5,
                      "class_weight": "balanced", "n_jobs": 1},
    "lightgbm": {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15, "min_child_samples": 20,
                 "subsample": 1.0, "colsample_bytree": 1.0, "class_weight": "balanced",
                 "deterministic": True, "force_row_wise": True, "verbose": -1, "n_jobs": 1},
}
"""Default hyperparameters per kind (``class_weight="balanced"``: churners are about a quarter of rows,
and the lecture's metric is F1 of churn = Yes)."""

METRIC_NAMES: tuple[str, ...] = ("accuracy", "precision", "recall", "f1", "roc_auc")


class TrainingError(ValueError):
    """Bad input to a training function: the message names the argument or value at fault."""


def _classifier(kind: str, params: Mapping[str, Any], seed: int) -> Any:
    if kind == "logreg":
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression(random_state=seed, **params)
    if kind == "random_forest":
        from sklearn.ensemble import RandomForestClassifier
        return RandomForestClassifier(random_state=seed, **params)
    from lightgbm import LGBMClassifier
    return LGBMClassifier(random_state=seed, **params)


def _telco_types() -> dict[str, list[str]]:
    skip = set(TEACHING_COLUMNS)
    return {"boolean": [c for c in BOOLEAN_COLUMNS if c not in skip],
            "numeric": [c for c in NUMERIC_COLUMNS if c not in skip],
            "categorical": [c for c in CATEGORICAL_COLUMNS if c not in skip]}


def model_params(kind: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The classifier's hyperparameters: :data:`DEFAULT_PARAMS` of ``kind`` updated by ``params``.

    Parameters
    ----------
    kind : str
        One of :data:`MODEL_KINDS`.
    params : mapping or None
        Overrides (not checked here).

    Returns
    -------
    dict

    Raises
    ------
    TrainingError
        For an unknown ``kind``.
    """
    if kind not in MODEL_KINDS:
        raise TrainingError(f"unknown model kind {kind!r}; choose one of {list(MODEL_KINDS)}")
    merged = dict(DEFAULT_PARAMS[kind])
    merged.update(dict(params or {}))
    return merged


def make_model(kind: str, params: Mapping[str, Any] | None = None, seed: int = 0,
               X: pd.DataFrame | None = None, *, engineer: bool = True) -> Pipeline:
    """A candidate model of the training pipeline (lecture 5.1) as one scikit-learn ``Pipeline``.

    Steps: ``"features"`` (:class:`~mlops_edu.training.features.FeatureAdder`, only when ``engineer``),
    ``"preprocess"`` (:func:`~mlops_edu.training.features.build_preprocessor`), ``"model"`` (the classifier).

    Parameters
    ----------
    kind : str
        ``"logreg"``, ``"random_forest"`` or ``"lightgbm"``.
    params : mapping or None
        Hyperparameters that override :data:`DEFAULT_PARAMS` (e.g. ``{"num_leaves": 31}``).
    seed : int
        The classifier's ``random_state``.
    X : pandas.DataFrame or None
        Training inputs; their columns decide the preprocessing branches. ``None``: the 21 Telco columns.
    engineer : bool
        Add the engineered features of :func:`~mlops_edu.training.features.add_features` inside the pipeline.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Unfitted; ``fit(X, y)`` then ``predict_proba(X)[:, 1]`` gives churn probabilities.

    Raises
    ------
    TrainingError
        Unknown ``kind``, a hyperparameter the classifier does not have (named), or ``X`` not a DataFrame.

    Example
    -------
    >>> model = make_model("lightgbm", {"num_leaves": 7}, seed=4, X=X_train).fit(X_train, y_train)  # doctest: +SKIP
    """
    merged = model_params(kind, params)
    if kind != "lightgbm":  # LightGBM takes any of its many native parameters as keyword arguments
        unknown = sorted(set(merged) - set(_classifier(kind, {}, seed).get_params()))
        if unknown:
            raise TrainingError(f"make_model({kind!r}): unknown hyperparameter(s) {unknown}")
    clf = _classifier(kind, merged, seed)
    if X is None:
        types = _telco_types()
    else:
        if not isinstance(X, pd.DataFrame):
            raise TrainingError(f"make_model: X must be a pandas DataFrame, got {type(X).__name__}")
        types = feature_types(add_features(X) if engineer else X)
    steps: list[tuple[str, Any]] = [("features", FeatureAdder())] if engineer else []
    steps += [("preprocess", build_preprocessor(pd.DataFrame(), types)), ("model", clf)]
    return Pipeline(steps)


