"""Overfitting shown, not told, and the churn drivers in plain words (lecture 5.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from mlops_edu.training.candidates import Split
from mlops_edu.training.metrics import classification_metrics
from mlops_edu.training.models import METRIC_NAMES, TrainingError, make_model

# Overfitting shown, not told
# --------------------------------------------------------------------------------------------------

CAPACITY_PARAMS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "lightgbm": ("num_leaves", (2, 4, 8, 16, 32, 64, 128),
                 {"n_estimators": 50, "learning_rate": 0.1, "min_child_samples": 3}),
    "random_forest": ("max_depth", (1, 2, 4, 6, 8, 12, 16, 24),
                      {"n_estimators": 100, "min_samples_leaf": 1}),
}
"""Default capacity knob per kind: (parameter, values to try, fixed parameters)."""


def capacity_curve(split: Split, kind: str = "lightgbm", param: str | None = None,
                   values: Sequence[Any] | None = None, params: Mapping[str, Any] | None = None,
                   seed: int = 0, metric: str = "f1", threshold: float = 0.5) -> pd.DataFrame:
    """Training vs validation score as one capacity knob grows (lecture 5.1: overfitting).

    Parameters
    ----------
    split : Split
        Train and validation rows (:func:`~mlops_edu.training.split_dataset`).
    kind : str
        Model kind.
    param : str or None
        The capacity knob; default from :data:`CAPACITY_PARAMS`.
    values : sequence or None
        Values of the knob, in order; default from :data:`CAPACITY_PARAMS`.
    params : mapping or None
        Other hyperparameters (the fixed ones of :data:`CAPACITY_PARAMS` apply only with its knob).
    seed : int
        Seed of every model.
    metric : str
        One of :data:`METRIC_NAMES`.
    threshold : float
        Decision threshold of the threshold metrics.

    Returns
    -------
    pandas.DataFrame
        Columns ``[param, "train", "validation", "gap"]`` (gap = train - validation), one row per value.
        :func:`best_capacity` names the value where validation peaks; beyond it the curves part.

    Raises
    ------
    TrainingError
        For an unknown metric, or no knob and values for ``kind``.
    """
    if metric not in METRIC_NAMES:
        raise TrainingError(f"unknown metric {metric!r}; choose one of {list(METRIC_NAMES)}")
    default_param, default_values, fixed = CAPACITY_PARAMS.get(kind, (None, (), {}))
    param = param or default_param
    values = tuple(values if values is not None else default_values)
    if not param or not values:
        raise TrainingError(f"capacity_curve: give param= and values= for kind {kind!r}")
    base = {**fixed, **dict(params or {})} if param == default_param else dict(params or {})
    rows = []
    for value in values:
        model = make_model(kind, {**base, param: value}, seed=seed, X=split.X_train)
        model.fit(split.X_train, split.y_train)
        train = classification_metrics(split.y_train, model.predict_proba(split.X_train), threshold)[metric]
        val = classification_metrics(split.y_val, model.predict_proba(split.X_val), threshold)[metric]
        rows.append({param: value, "train": round(train, 4), "validation": round(val, 4),
                     "gap": round(train - val, 4)})
    return pd.DataFrame(rows)


def best_capacity(curve: pd.DataFrame) -> dict[str, Any]:
    """The row of ``curve`` where the validation score peaks: ``{param, value, train, validation, gap}``.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`capacity_curve` (the knob is its first column; ties go to the first row).

    Returns
    -------
    dict
    """
    param = curve.columns[0]
    i = int(np.argmax(curve["validation"].to_numpy()))
    value = curve[param].iloc[i]
    return {"param": param, "value": value.item() if hasattr(value, "item") else value,
            "train": float(curve["train"].iloc[i]), "validation": float(curve["validation"].iloc[i]),
            "gap": float(curve["gap"].iloc[i])}


# --------------------------------------------------------------------------------------------------
# Which factors drive churn (the data scientist's answer, in plain words)
# --------------------------------------------------------------------------------------------------

def churn_drivers(model: Pipeline, X: pd.DataFrame, y: pd.Series, *, top: int = 6, n_repeats: int = 3,
                  seed: int = 0, scoring: str = "roc_auc") -> pd.DataFrame:
    """Permutation importance of the **raw** columns, with a plain-words reading of each.

    Shuffling one input column on validation data and measuring how much ROC AUC drops tells how much
    the model relies on it; the ``reading`` column says which values go with more churn in ``X``/``y``.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A fitted model on the raw columns of ``X``.
    X : pandas.DataFrame
        Validation inputs.
    y : pandas.Series
        Their 0/1 labels.
    top : int
        Rows kept.
    n_repeats : int
        Shuffles per column.
    seed : int
        Seed of the shuffles.
    scoring : str
        scikit-learn scorer name.

    Returns
    -------
    pandas.DataFrame
        ``[feature, importance, reading]`` sorted by importance, ``top`` rows.
    """
    from sklearn.inspection import permutation_importance

    result = permutation_importance(model, X, y, scoring=scoring, n_repeats=n_repeats, random_state=seed,
                                    n_jobs=1)
    order = np.argsort(-result.importances_mean, kind="stable")[:top]
    rows = []
    for i in order:
        col = X.columns[i]
        rows.append({"feature": col, "importance": round(float(result.importances_mean[i]), 4),
                     "reading": _plain_reading(X[col], y)})
    return pd.DataFrame(rows)


NOT_APPLICABLE = ("No internet service", "No phone service")
"""Values that say a customer lacks the base service: an add-on column is read among the others only."""


def _plain_reading(column: pd.Series, y: pd.Series) -> str:
    """Which values of ``column`` go with more churn, in words.

    Numbers: churn in the bottom vs top quartile. Categories: the highest vs the lowest churn rate; for an
    add-on (``OnlineSecurity``, ``MultipleLines``, ...) only among customers who have the base service, so
    that 'No' is compared with 'Yes', not with 'No internet service'.

    >>> col = pd.Series(["Yes", "No", "No", "No internet service"] * 25, name="TechSupport")
    >>> _plain_reading(col, pd.Series([0, 1, 0, 0] * 25))
    "churn 50% for 'No' vs 0% for 'Yes' (customers with the service)"
    """
    y = pd.Series(np.asarray(y), index=column.index)
    numeric = pd.api.types.is_numeric_dtype(column) and column.nunique() > 2
    if numeric:
        values = pd.to_numeric(column, errors="coerce")
        low, high = values.quantile(0.25), values.quantile(0.75)
        lo_rate, hi_rate = y[values <= low].mean(), y[values >= high].mean()
        return f"churn {lo_rate:.0%} when {column.name} <= {low:.0f} vs {hi_rate:.0%} when >= {high:.0f}"
    text = column.astype("string").fillna("missing")
    has_service = ~text.isin(NOT_APPLICABLE)
    note = " (customers with the service)" if (~has_service).any() and has_service.any() else ""
    rates = y[has_service].groupby(text[has_service]).mean().sort_values(kind="stable")
    return f"churn {rates.iloc[-1]:.0%} for '{rates.index[-1]}' vs {rates.iloc[0]:.0%} for '{rates.index[0]}'{note}"
