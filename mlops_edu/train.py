"""The training pipeline of lecture 5.1 (seed 004): split, fit, evaluate, gate, log to MLflow.

One module, in the order of the lecture's flow:

* :func:`split_dataset`: stratified, seeded train / validation / test split (:class:`Split`).
* :func:`make_model` builds a candidate (logistic regression, random forest, LightGBM) as one
  scikit-learn ``Pipeline``: feature engineering -> preprocessing -> classifier, so the logged model takes
  the raw 21 Telco columns.
* :func:`classification_metrics` scores predicted churn probabilities (accuracy, precision, recall, F1 of
  churn = Yes, ROC AUC); :func:`train_candidates` and :func:`comparison_table` compare the candidates
  on validation data.
* :func:`capacity_curve`: training vs validation score as model capacity grows (overfitting shown).
* :func:`churn_drivers`: permutation importance of the raw columns, in plain words.
* :func:`deploy_gate`: the seed-004 decision "good enough on the test set? deploy : back to training".
* :func:`log_model` / :func:`log_candidate`: MLflow logging with signature, input example, explicit
  ``pip_requirements`` and figures.
* :class:`KFoldObjective` / :func:`kfold_f1`: THE objective of chapters 02, 07 and 08, "train a churn
  model and score it by k-fold F1" (lecture 9.1 and 9.2).
"""

from __future__ import annotations

import importlib.metadata as _metadata
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from mlops_edu.features import (BOOLEAN_COLUMNS, CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, TEACHING_COLUMNS,
                                FeatureAdder, add_features, build_preprocessor, feature_types, split_xy)

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


_TRUSTED_CACHE: dict[tuple[str, ...], list[str]] = {}


def _structure(estimator: Any) -> tuple[str, ...]:
    """The classes an estimator is made of (two pipelines of the same structure need the same types)."""
    names = {f"{type(estimator).__module__}.{type(estimator).__qualname__}"}
    if hasattr(estimator, "get_params"):
        for value in estimator.get_params(deep=True).values():
            if hasattr(value, "fit") or hasattr(value, "transform"):
                names.add(f"{type(value).__module__}.{type(value).__qualname__}")
    return tuple(sorted(names))


def trusted_types(pipeline: Any) -> list[str]:
    """The types skops must be told to trust to load ``pipeline`` (only sklearn, numpy, lightgbm, scipy
    and mlops_edu types are accepted; anything else raises :class:`TrainingError`).

    Computed once per pipeline structure (serialising a forest to find its types takes a second)."""
    import skops.io as sio

    key = _structure(pipeline)
    if key not in _TRUSTED_CACHE:
        untrusted = sio.get_untrusted_types(data=sio.dumps(pipeline))
        foreign = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if foreign:
            raise TrainingError(f"log_model: the pipeline holds types outside sklearn/numpy/lightgbm/mlops_edu: "
                                f"{foreign}")
        _TRUSTED_CACHE[key] = sorted(untrusted)
    return list(_TRUSTED_CACHE[key])


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
    df: customers with the Telco columns and ``Churn`` (see :func:`~mlops_edu.features.split_xy`).
    val_size, test_size: shares of all rows for validation and test (the rest trains).
    seed: ``random_state`` of both cuts.
    stratify: keep the churn rate of every part equal to the overall rate.
    keep: teaching columns to keep as features (passed to ``split_xy``).

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
    """Fit one candidate on ``split``'s training part and score it on training and validation data."""
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
    params: per-kind hyperparameter overrides, e.g. ``{"lightgbm": {"num_leaves": 7}}``.

    Returns
    -------
    ``{kind: Candidate}`` in the order of ``kinds``.
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
    """The candidate with the best validation ``metric`` (ties: the first in order)."""
    if metric not in METRIC_NAMES:
        raise TrainingError(f"unknown metric {metric!r}; choose one of {list(METRIC_NAMES)}")
    if not candidates:
        raise TrainingError("best_candidate: no candidates")
    return max(candidates.values(), key=lambda c: c.val_metrics[metric])


# --------------------------------------------------------------------------------------------------
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

    Returns
    -------
    DataFrame with columns ``[param, "train", "validation", "gap"]`` (gap = train - validation), one row
    per value. :func:`best_capacity` names the value where validation peaks; beyond it the curves part.
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
    """The row of ``curve`` where the validation score peaks: ``{param, value, train, validation, gap}``."""
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

    Returns
    -------
    DataFrame ``[feature, importance, reading]`` sorted by importance, ``top`` rows.
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


def _plain_reading(column: pd.Series, y: pd.Series) -> str:
    y = pd.Series(np.asarray(y), index=column.index)
    numeric = pd.api.types.is_numeric_dtype(column) and column.nunique() > 2
    if numeric:
        values = pd.to_numeric(column, errors="coerce")
        low, high = values.quantile(0.25), values.quantile(0.75)
        lo_rate, hi_rate = y[values <= low].mean(), y[values >= high].mean()
        return (f"churn {lo_rate:.0%} when {column.name} <= {low:.0f} vs {hi_rate:.0%} when >= {high:.0f}")
    rates = y.groupby(column.astype("string").fillna("missing")).mean().sort_values(kind="stable")
    return (f"churn {rates.iloc[-1]:.0%} for '{rates.index[-1]}' vs {rates.iloc[0]:.0%} for "
            f"'{rates.index[0]}'")


# --------------------------------------------------------------------------------------------------
# The deploy gate of seed 004
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GateDecision:
    """The outcome of :func:`deploy_gate`."""

    metric: str
    value: float
    threshold: float

    @property
    def passed(self) -> bool:
        return self.value >= self.threshold

    @property
    def next_step(self) -> str:
        return "deploy" if self.passed else "back to training"

    def __str__(self) -> str:
        sign = ">=" if self.passed else "<"
        return (f"test {self.metric} = {self.value:.3f} {sign} threshold {self.threshold:.3f} -> "
                f"{self.next_step}")


def deploy_gate(test_metrics: Mapping[str, float], threshold: float, metric: str = "f1") -> GateDecision:
    """Seed 004's gate: deploy only when the chosen model's **test** ``metric`` reaches ``threshold``.

    Example
    -------
    >>> print(deploy_gate({"f1": 0.62}, threshold=0.8))
    test f1 = 0.620 < threshold 0.800 -> back to training
    """
    if metric not in test_metrics:
        raise TrainingError(f"deploy_gate: metric {metric!r} not in the metrics {sorted(test_metrics)}")
    if not 0.0 <= threshold <= 1.0:
        raise TrainingError(f"deploy_gate: threshold must lie in [0, 1], got {threshold}")
    return GateDecision(metric=metric, value=float(test_metrics[metric]), threshold=float(threshold))


def best_threshold(y_true: Sequence[int] | pd.Series, proba: Any, metric: str = "f1",
                   grid: Sequence[float] | None = None) -> tuple[float, float]:
    """The decision threshold that maximises ``metric`` on (validation!) data: ``(threshold, score)``.

    One of the "back to training" moves: tune the threshold on validation data, never on the test set.
    ``grid`` defaults to 0.05, 0.06, ..., 0.95; ties go to the lowest threshold.
    """
    if metric not in ("accuracy", "precision", "recall", "f1"):
        raise TrainingError(f"best_threshold: {metric!r} does not depend on a threshold; "
                            "choose accuracy, precision, recall or f1")
    y = np.asarray(y_true).astype(bool)
    p = _positive_proba(proba)
    thresholds = np.round(np.arange(0.05, 0.955, 0.01), 2) if grid is None else np.asarray(grid, dtype=float)
    pred = p[None, :] >= thresholds[:, None]
    tp = (pred & y).sum(axis=1).astype(float)
    fp = (pred & ~y).sum(axis=1).astype(float)
    fn = (~pred & y).sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = {
            "accuracy": (tp + (~pred & ~y).sum(axis=1)) / len(y),
            "precision": np.where(tp + fp > 0, tp / (tp + fp), 0.0),
            "recall": np.where(tp + fn > 0, tp / (tp + fn), 0.0),
            "f1": np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0),
        }[metric]
    i = int(np.argmax(scores))
    return float(thresholds[i]), float(scores[i])


# --------------------------------------------------------------------------------------------------
# MLflow logging of a candidate
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CandidateRun:
    """What :func:`log_candidate` logged: the run id and the model's ``ModelInfo`` (None if not logged)."""

    run_id: str
    model_info: Any = None


def log_candidate(candidate: Candidate, *, run_name: str | None = None, X_example: pd.DataFrame | None = None,
                  figures: Mapping[str, Any] | None = None, extra_metrics: Mapping[str, float] | None = None,
                  tags: Mapping[str, str] | None = None, dataset: pd.DataFrame | None = None,
                  dataset_name: str = "customers", log_the_model: bool = True) -> CandidateRun:
    """Log one candidate as an MLflow run: params, train/validation metrics, model, figures.

    Parameters
    ----------
    run_name: defaults to the candidate's kind (always explicit: random names would differ per run).
    X_example: model inputs for the signature and input example (needed when ``log_the_model``).
    figures: ``{"confusion_matrix": fig, ...}`` logged as ``figures/<name>.png``.
    extra_metrics: e.g. test metrics of the chosen model.
    dataset: the training frame, logged as the run's input (lineage) under ``dataset_name``.

    Returns
    -------
    :class:`CandidateRun` (the run id is for code, not for printing).
    """
    import mlflow

    info = None
    with mlflow.start_run(run_name=run_name or candidate.kind) as run:
        mlflow.log_params({"model_kind": candidate.kind, **{k: v for k, v in candidate.params.items()}})
        metrics = {f"train_{k}": v for k, v in candidate.train_metrics.items()}
        metrics.update({f"val_{k}": v for k, v in candidate.val_metrics.items()})
        metrics["fit_seconds"] = candidate.fit_seconds
        metrics.update(dict(extra_metrics or {}))
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if not np.isnan(v)})
        if tags:
            mlflow.set_tags(dict(tags))
        if dataset is not None:
            mlflow.log_input(mlflow.data.from_pandas(dataset, name=dataset_name), context="training")
        if log_the_model:
            if X_example is None:
                raise TrainingError("log_candidate: pass X_example (model inputs) to log the model")
            info = log_model(candidate.model, X_example, name="model")
        for name, fig in dict(figures or {}).items():
            mlflow.log_figure(fig, f"figures/{name}.png")
    return CandidateRun(run.info.run_id, info)


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
    """The k (train index, validation index) pairs; stratified keeps each fold's churn rate equal."""
    y = np.asarray(y)
    if k < 2 or k > len(y):
        raise TrainingError(f"k must be between 2 and the number of rows ({len(y)}), got {k}")
    splitter = (StratifiedKFold if stratified else KFold)(n_splits=k, shuffle=shuffle,
                                                           random_state=seed if shuffle else None)
    return [(tr, va) for tr, va in splitter.split(np.zeros(len(y)), y)]


def _take(data: Any, idx: np.ndarray) -> Any:
    return data.iloc[idx] if isinstance(data, (pd.DataFrame, pd.Series)) else data[idx]


@dataclass
class Prepared:
    """Inputs after the preprocessing steps that learn nothing from data (see :func:`prepare`).

    ``branches`` holds, per branch of the ColumnTransformer, the stateless output for all rows and the
    remaining (learning) steps; ``fallback`` is set when the pipeline has another layout.
    """

    branches: list[tuple[Any, Pipeline | None]]
    n_rows: int
    fallback: tuple[Pipeline, pd.DataFrame] | None = None

    def fold_matrices(self, folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Model-ready (train, validation) matrices per fold; learning steps fitted on the training fold."""
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


def prepare(preprocess: Pipeline, X: pd.DataFrame) -> Prepared:
    """Run the steps of ``preprocess`` that learn nothing from data (``stateless = True``: feature
    engineering, Yes/No mapping, category cleaning) once on all of ``X``.

    ``preprocess`` is the pipeline of :func:`make_model` without its classifier (``model[:-1]``).
    """
    steps = list(preprocess.steps)
    data: Any = X
    while steps and not isinstance(steps[0][1], ColumnTransformer) and getattr(steps[0][1], "stateless", False):
        data = clone(steps[0][1]).fit(data).transform(data)
        steps = steps[1:]
    if len(steps) != 1 or not isinstance(steps[0][1], ColumnTransformer) or \
            getattr(steps[0][1], "remainder", "drop") != "drop":
        return Prepared([], len(X), fallback=(preprocess, X))
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
    return Prepared(branches, len(X))


def fold_matrices(preprocess: Pipeline, X: pd.DataFrame,
                  folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Model-ready (train, validation) matrices per fold, preprocessing fitted on each training fold only.

    Stateless steps run once on all of ``X`` (:func:`prepare`); the steps that learn (imputers, scaler,
    one-hot categories) are fitted per fold. The result equals
    ``clone(preprocess).fit(X_train_fold).transform(...)`` per fold, several times faster.
    """
    return prepare(preprocess, X).fold_matrices(folds)


def _one_metric(y: np.ndarray, proba: np.ndarray, metric: str, threshold: float) -> float:
    """One metric, fast (the objective's inner loop); equal to ``classification_metrics(...)[metric]``."""
    if metric == "roc_auc":
        return float(roc_auc_score(y, proba)) if len(np.unique(y)) == 2 else float("nan")
    y = np.asarray(y).astype(bool)
    pred = np.asarray(proba) >= threshold
    tp = float(np.sum(pred & y))
    fp = float(np.sum(pred & ~y))
    fn = float(np.sum(~pred & y))
    if metric == "accuracy":
        return float(np.mean(pred == y))
    if metric == "precision":
        return tp / (tp + fp) if tp + fp else 0.0
    if metric == "recall":
        return tp / (tp + fn) if tp + fn else 0.0
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


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
    X, y: training inputs and 0/1 labels (never the test set: see chapter 08).
    kind: the model kind of :func:`make_model`.
    k: number of folds. seed: seeds the folds and the model.
    stratified: StratifiedKFold (default) or plain KFold (both shuffled).
    base_params: fixed hyperparameters under the tuned ones.
    metric: one of :data:`METRIC_NAMES` (default ``"f1"``). threshold: decision threshold.
    folds: explicit (train index, validation index) pairs instead of ``k``/``stratified`` (e.g. one pair
        for a single train/validation split).
    prepared: :func:`prepare` output for ``X`` (saves the stateless steps when many objectives share X).

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
                 prepared: Prepared | None = None) -> None:
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
        """Per-fold scores of the configuration ``params`` (on top of ``base_params``)."""
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

    Example
    -------
    >>> print(kfold_f1(X_train, y_train, "logreg", k=5, seed=4))   # doctest: +SKIP
    0.615 +- 0.012 over 5 folds
    """
    return KFoldObjective(X, y, kind, k=k, seed=seed, stratified=stratified).scores(params)
