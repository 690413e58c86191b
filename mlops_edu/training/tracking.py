"""MLflow logging of models, candidates and searches: signature, input example, pinned requirements.

Lecture 5.1 ("log to MLflow") and section 10 step 2 (tracking).
"""

from __future__ import annotations

import importlib.metadata as _metadata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from mlops_edu.training.candidates import Candidate
from mlops_edu.training.models import TrainingError
from mlops_edu.training.tune import SearchResult

_BASE_REQUIREMENTS = ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "skops")
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "lightgbm.", "mlops_edu.", "builtins.", "collections.",
                     "scipy.", "pandas.")


def pip_requirements(pipeline: Any | None = None) -> list[str]:
    """Exact pins of what loading the model needs (passed to MLflow so that nothing is inferred).

    Inferring requirements makes MLflow load the model in a subprocess (3-4 s per model); the list here
    is the installed versions of mlflow, scikit-learn, pandas, numpy, scipy, skops and, when the pipeline
    holds a LightGBM model, lightgbm.

    Parameters
    ----------
    pipeline : estimator or None
        The fitted pipeline (or estimator); ``None`` includes lightgbm.

    Returns
    -------
    list of str
        ``name==version`` pins.
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

    Computed once per pipeline structure (serialising a forest to find its types takes a second).

    Parameters
    ----------
    pipeline : estimator
        The fitted pipeline.

    Returns
    -------
    list of str

    Raises
    ------
    TrainingError
        When the pipeline holds a type outside the trusted packages.
    """
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
    pipeline : sklearn.pipeline.Pipeline
        A fitted pipeline from :func:`make_model` (any fitted scikit-learn estimator works).
    X_example : pandas.DataFrame
        Inputs in the form the model will be called with (e.g. the raw Telco columns).
    name : str
        The model's name in the run (MLflow 3 ``name=``).
    pyfunc_predict_fn : {"predict", "predict_proba"}
        What ``mlflow.pyfunc`` calls: ``"predict"`` (0/1) or ``"predict_proba"``.
    n_example : int
        Rows of ``X_example`` kept as the input example (and used for the signature).
    **kwargs
        Passed on to ``mlflow.sklearn.log_model`` (e.g. ``registered_model_name``, ``params``).

    Returns
    -------
    mlflow.models.model.ModelInfo
        ``.model_uri`` loads it back with ``mlflow.pyfunc.load_model``.

    Raises
    ------
    TrainingError
        For an empty or non-DataFrame ``X_example``, another ``pyfunc_predict_fn``, or untrusted types.

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
    candidate : Candidate
        From :func:`~mlops_edu.training.fit_candidate`.
    run_name : str or None
        Defaults to the candidate's kind (always explicit: random names would differ per run).
    X_example : pandas.DataFrame or None
        Model inputs for the signature and input example (needed when ``log_the_model``).
    figures : mapping of str to Figure, or None
        ``{"confusion_matrix": fig, ...}`` logged as ``figures/<name>.png``.
    extra_metrics : mapping of str to float, or None
        E.g. test metrics of the chosen model (NaN metrics are not logged).
    tags : mapping of str to str, or None
        Run tags.
    dataset : pandas.DataFrame or None
        The training frame, logged as the run's input (lineage) under ``dataset_name``.
    dataset_name : str
        Name of the logged dataset.
    log_the_model : bool
        Log the fitted pipeline with :func:`log_model`.

    Returns
    -------
    CandidateRun
        The run id is for code, not for printing.

    Raises
    ------
    TrainingError
        When ``log_the_model`` and no ``X_example`` (checked before a run is started).
    """
    import mlflow

    info = None
    if log_the_model and X_example is None:
        raise TrainingError("log_candidate: pass X_example (model inputs) to log the model")
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
            info = log_model(candidate.model, X_example, name="model")
        for name, fig in dict(figures or {}).items():
            mlflow.log_figure(fig, f"figures/{name}.png")
    return CandidateRun(run.info.run_id, info)



# --------------------------------------------------------------------------------------------------
# MLflow: one parent run per method, each trial a nested run
# --------------------------------------------------------------------------------------------------

def log_search(result: SearchResult, *, parent_name: str | None = None,
               extra_params: Mapping[str, Any] | None = None) -> str:
    """Log ``result`` as a parent run ``search-<method>`` with one nested child run per trial.

    The parent holds the method, the budget, the best score (``best_cv_f1``) and the best configuration
    (params prefixed ``best_``); each child holds its configuration, ``cv_f1`` and ``trial``. Returns the
    parent run id (for code, not for printing).

    Parameters
    ----------
    result : SearchResult
        From one of :mod:`mlops_edu.training.tune`'s searches.
    parent_name : str or None
        Parent run name; default ``search-<method>``.
    extra_params : mapping or None
        More params of the parent run.

    Returns
    -------
    str
    """
    import mlflow

    width = len(str(len(result.trials)))
    with mlflow.start_run(run_name=parent_name or f"search-{result.method}") as parent:
        mlflow.log_params({"method": result.method, "budget": len(result.trials), **dict(extra_params or {}),
                           **{f"best_{k}": v for k, v in result.best_params.items()}})
        mlflow.log_metrics({"best_cv_f1": result.best_score, "search_seconds": result.seconds})
        for trial in result.trials:
            with mlflow.start_run(run_name=f"{result.method}-{trial.number:0{width}d}", nested=True):
                mlflow.log_params(trial.params)
                mlflow.log_metrics({"cv_f1": trial.score, "trial": trial.number, "seconds": trial.seconds})
        for step, value in enumerate(result.best_so_far(), start=1):
            mlflow.log_metric("best_so_far_cv_f1", value, step=step)
        return parent.info.run_id
