"""MLOps = code + data (lecture 3.1): which code and which table version made a model, and rebuilding it.

Traditional software is code; an AI system is code *and* data (lecture 3.1). A model is reproducible only
when a run records both: :func:`code_version` fingerprints the training code, :func:`train_from_table`
trains from one Delta table version inside an MLflow run that records the code version, the table and
its version (params) and the dataset input (lineage), and :func:`run_lineage` reads them back so that
the same code can be run on the same data again. :func:`prediction_change` says how far two models'
predictions for the same customers are apart.

Example
-------
>>> code_version(prediction_change) == code_version(prediction_change)
True
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlops_edu.data.lake import dataset_source, read_table


def code_version(*objects: Any) -> str:
    """Fingerprint of the source code of functions, classes or modules (12 hex characters of SHA-256).

    Same code -> same fingerprint, on any machine; change one character of the code and it changes.
    (In a repository the git commit plays this role; the fingerprint also works in a notebook.)

    Parameters
    ----------
    *objects : function, class or module
        Objects whose source :func:`inspect.getsource` can read, hashed in order.

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    for obj in objects:
        digest.update(inspect.getsource(obj).encode())
    return digest.hexdigest()[:12]


def train_from_table(train: Callable[..., Any], table: str | Path, version: int | None = None, *, seed: int = 0,
                     run_name: str = "train") -> tuple[Any, str]:
    """Train ``train(frame, seed=seed)`` on a Delta table version inside an MLflow run that records lineage.

    The run gets params ``code_version`` (:func:`code_version` of ``train``), ``data_table`` (the table's
    folder name), ``data_version`` (the version read: the latest when ``version`` is None) and ``seed``,
    and the table version as its training dataset input (:func:`mlops_edu.data.lake.dataset_source`).

    Parameters
    ----------
    train : callable
        ``train(frame, seed=seed) -> model``.
    table : str or pathlib.Path
        The Delta table folder.
    version : int or None
        Table version to train on; ``None`` for the latest.
    seed : int
        Passed to ``train`` and logged.
    run_name : str
        Name of the MLflow run (in the active experiment).

    Returns
    -------
    tuple
        ``(model, run_id)``.
    """
    import mlflow

    from mlops_edu.data.lake import table_version

    version = table_version(table) if version is None else int(version)
    frame = read_table(table, version=version)
    with mlflow.start_run(run_name=run_name) as run:
        model = train(frame, seed=seed)
        mlflow.log_params({"code_version": code_version(train), "data_table": Path(table).name,
                           "data_version": version, "seed": seed})
        dataset = mlflow.data.from_pandas(frame, source=dataset_source(table, version), name=Path(table).name)
        mlflow.log_input(dataset, context="training")
    return model, run.info.run_id


def run_lineage(run_id: str) -> dict[str, Any]:
    """What :func:`train_from_table` recorded in a run: ``code_version``, ``data_table``, ``data_version``, ``seed``.

    Parameters
    ----------
    run_id : str
        A run made by :func:`train_from_table`.

    Returns
    -------
    dict
        ``data_version`` and ``seed`` as int.
    """
    from mlflow import MlflowClient

    params = MlflowClient().get_run(run_id).data.params
    return {"code_version": params["code_version"], "data_table": params["data_table"],
            "data_version": int(params["data_version"]), "seed": int(params["seed"])}


def prediction_change(proba_a: Sequence[float], proba_b: Sequence[float], threshold: float = 0.25) -> dict[str, float]:
    """How far two models' churn probabilities for the same customers are apart.

    Returns ``max_abs_diff`` (largest probability difference) and ``decisions_changed`` (customers whose
    offer decision ``p >= threshold`` differs; the default is the break-even precision).

    Parameters
    ----------
    proba_a, proba_b : sequence of float
        Churn probabilities of the same customers, in the same order.
    threshold : float
        Offer threshold.

    >>> prediction_change([0.1, 0.3], [0.1, 0.2])
    {'max_abs_diff': 0.1, 'decisions_changed': 1}
    """
    a, b = np.asarray(proba_a, dtype=float), np.asarray(proba_b, dtype=float)
    return {"max_abs_diff": round(float(np.max(np.abs(a - b))), 6),
            "decisions_changed": int(((a >= threshold) != (b >= threshold)).sum())}
