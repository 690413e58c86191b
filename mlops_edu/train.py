"""The training pipeline of lecture 5.1 (seed 004): split, fit, evaluate, gate, log to MLflow.

One module, in the order of the lecture's flow:

* :func:`make_model` builds a candidate (logistic regression, random forest, LightGBM) as one
  scikit-learn ``Pipeline``: feature engineering -> preprocessing -> classifier, so the logged model takes
  the raw 21 Telco columns.
* :func:`classification_metrics` scores predicted churn probabilities (accuracy, precision, recall, F1 of
  churn = Yes, ROC AUC).
* :func:`log_model` logs a fitted pipeline to MLflow with signature, input example and explicit
  ``pip_requirements``.
"""

from __future__ import annotations

import importlib.metadata as _metadata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.pipeline import Pipeline

from mlops_edu.features import (BOOLEAN_COLUMNS, CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, TEACHING_COLUMNS,
                                FeatureAdder, add_features, build_preprocessor, feature_types)

MODEL_KINDS: tuple[str, ...] = ("logreg", "random_forest", "lightgbm")
"""The candidates named in the lecture (section 5.1)."""

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "logreg": {"C": 1.0, "max_iter": 1000, "class_weight": "balanced"},
    "random_forest": {"n_estimators": 200, "max_depth": 8, "min_samples_leaf": 5,
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
    """The classifier's hyperparameters: :data:`DEFAULT_PARAMS` of ``kind`` updated by ``params``."""
    if kind not in MODEL_KINDS:
        raise TrainingError(f"unknown model kind {kind!r}; choose one of {list(MODEL_KINDS)}")
    merged = dict(DEFAULT_PARAMS[kind])
    merged.update(dict(params or {}))
    return merged


def make_model(kind: str, params: Mapping[str, Any] | None = None, seed: int = 0,
               X: pd.DataFrame | None = None, *, engineer: bool = True) -> Pipeline:
    """A candidate model of the training pipeline (lecture 5.1) as one scikit-learn ``Pipeline``.

    Steps: ``"features"`` (:class:`~mlops_edu.features.FeatureAdder`, only when ``engineer``),
    ``"preprocess"`` (:func:`~mlops_edu.features.build_preprocessor`), ``"model"`` (the classifier).

    Parameters
    ----------
    kind: ``"logreg"``, ``"random_forest"`` or ``"lightgbm"``.
    params: hyperparameters that override :data:`DEFAULT_PARAMS` (e.g. ``{"num_leaves": 31}``).
    seed: the classifier's ``random_state``.
    X: training inputs; their columns decide the preprocessing branches. ``None``: the 21 Telco columns.
    engineer: add the engineered features of :func:`~mlops_edu.features.add_features` inside the pipeline.

    Returns
    -------
    An unfitted ``Pipeline``; ``fit(X, y)`` then ``predict_proba(X)[:, 1]`` gives churn probabilities.

    Raises
    ------
    TrainingError: unknown ``kind`` or a hyperparameter the classifier does not have (named).

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


def _positive_proba(proba: Any) -> np.ndarray:
    p = np.asarray(proba, dtype=float)
    if p.ndim == 2:
        if p.shape[1] != 2:
            raise TrainingError(f"proba: expected one column or two (P(no), P(yes)), got shape {p.shape}")
        p = p[:, 1]
    if p.ndim != 1:
        raise TrainingError(f"proba: expected a 1-d array of churn probabilities, got shape {p.shape}")
    if len(p) and (np.nanmin(p) < 0 or np.nanmax(p) > 1):
        raise TrainingError("proba: probabilities must lie in [0, 1]")
    return p


def classification_metrics(y_true: Sequence[int] | np.ndarray | pd.Series, proba: Any,
                           threshold: float = 0.5) -> dict[str, float]:
    """Accuracy, precision, recall, F1 (churn = Yes is the positive class) and ROC AUC.

    Parameters
    ----------
    y_true: 0/1 labels (1 = churned).
    proba: churn probabilities, 1-d, or the 2-column output of ``predict_proba``.
    threshold: a customer is predicted to churn when ``proba >= threshold``.

    Returns
    -------
    ``{"accuracy", "precision", "recall", "f1", "roc_auc"}`` as Python floats (ROC AUC is NaN when
    ``y_true`` holds one class only).

    Example
    -------
    >>> classification_metrics([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.3])["precision"]
    1.0
    """
    y = np.asarray(y_true)
    p = _positive_proba(proba)
    if len(y) != len(p):
        raise TrainingError(f"y_true has {len(y)} rows but proba has {len(p)}")
    if len(y) == 0:
        raise TrainingError("classification_metrics: y_true is empty")
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise TrainingError(f"y_true must be 0/1, found {sorted(set(np.unique(y).tolist()) - {0, 1})[:5]}")
    if not 0.0 <= threshold <= 1.0:
        raise TrainingError(f"threshold must lie in [0, 1], got {threshold}")
    pred = (p >= threshold).astype(int)
    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "roc_auc": auc,
    }


_BASE_REQUIREMENTS = ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "skops")
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "lightgbm.", "mlops_edu.", "builtins.", "collections.",
                     "scipy.", "pandas.")


def pip_requirements(pipeline: Any | None = None) -> list[str]:
    """Exact pins of what loading the model needs (passed to MLflow so that nothing is inferred).

    Inferring requirements makes MLflow load the model in a subprocess (3-4 s per model); the list here
    is the installed versions of mlflow, scikit-learn, pandas, numpy, scipy, skops and, when the pipeline
    holds a LightGBM model, lightgbm.
    """
    names = list(_BASE_REQUIREMENTS)
    if pipeline is None or "lightgbm" in type(_final_estimator(pipeline)).__module__:
        names.append("lightgbm")
    return [f"{name}=={_metadata.version(name)}" for name in names]


def _final_estimator(pipeline: Any) -> Any:
    return pipeline.steps[-1][1] if isinstance(pipeline, Pipeline) else pipeline


def trusted_types(pipeline: Any) -> list[str]:
    """The types skops must be told to trust to load ``pipeline`` (only sklearn, numpy, lightgbm, scipy
    and mlops_edu types are accepted; anything else raises :class:`TrainingError`)."""
    import skops.io as sio

    untrusted = sio.get_untrusted_types(data=sio.dumps(pipeline))
    foreign = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if foreign:
        raise TrainingError(f"log_model: the pipeline holds types outside sklearn/numpy/lightgbm/mlops_edu: "
                            f"{foreign}")
    return sorted(untrusted)


def log_model(pipeline: Pipeline, X_example: pd.DataFrame, name: str = "model", *,
              pyfunc_predict_fn: str = "predict", n_example: int = 5, **kwargs: Any) -> Any:
    """Log a fitted pipeline to the active MLflow run (sklearn flavour, skops format).

    The model gets a signature (inferred from ``X_example`` and the model's output), an input example
    (the first ``n_example`` rows), explicit :func:`pip_requirements` (nothing is inferred) and the
    skops trusted types needed to load it back.

    Parameters
    ----------
    pipeline: a fitted pipeline from :func:`make_model` (any fitted scikit-learn estimator works).
    X_example: inputs in the form the model will be called with (e.g. the raw Telco columns).
    name: the model's name in the run (MLflow 3 ``name=``).
    pyfunc_predict_fn: what ``mlflow.pyfunc`` calls: ``"predict"`` (0/1) or ``"predict_proba"``.
    kwargs: passed on to ``mlflow.sklearn.log_model`` (e.g. ``registered_model_name``, ``params``).

    Returns
    -------
    ``mlflow.models.model.ModelInfo`` (``.model_uri`` loads it back with ``mlflow.pyfunc.load_model``).

    Example
    -------
    >>> with mlflow.start_run(run_name="lightgbm"):        # doctest: +SKIP
    ...     info = log_model(model, X_train)
    """
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    if not isinstance(X_example, pd.DataFrame) or X_example.empty:
        raise TrainingError("log_model: X_example must be a non-empty DataFrame of model inputs")
    if pyfunc_predict_fn not in ("predict", "predict_proba"):
        raise TrainingError(f"log_model: pyfunc_predict_fn must be 'predict' or 'predict_proba', "
                            f"got {pyfunc_predict_fn!r}")
    example = X_example.head(n_example).copy()
    output = getattr(pipeline, pyfunc_predict_fn)(example)
    signature = infer_signature(example, output)
    return mlflow.sklearn.log_model(
        pipeline, name=name, signature=signature, input_example=example,
        pip_requirements=pip_requirements(pipeline), serialization_format="skops",
        skops_trusted_types=trusted_types(pipeline), pyfunc_predict_fn=pyfunc_predict_fn, **kwargs)
