"""Deploy model vs deploy code, measured (lecture 6.1, 6.2, 6.3).

* **Deploy model** (6.1): train once in dev; copy the model *artifact* to staging, then to prod
  (:func:`promote_artifact`). Across separate stores that is a download and a new
  ``create_model_version`` from the copied files: ``MlflowClient.copy_model_version`` resolves its
  source in the *destination* store and cannot reach another sqlite file. What does not travel with the
  files is the lineage: the run, its metrics and the dataset it was trained on stay in dev.
* **Deploy code** (6.2): the same reviewed training code (:func:`training_code`) runs in each environment,
  on that environment's data, and registers the model there with full lineage. It costs a training per
  environment (6.3: "more compute"), and it is the only one of the two that ever runs the training code
  on prod data, so it is the one that notices what prod data hold and samples do not (6.3: "real data
  problems").

The training code starts with a **data contract**: every categorical value must be one the Telco schema
knows (:func:`unknown_categories`); a new one stops the run with :class:`DataContractError` until a
reviewed change accepts it (``accept={"PaymentMethod": ["Digital wallet"]}``).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from mlops_edu.deployment.environments import CUSTOMERS, Platform
from mlops_edu.deployment.registry import CHALLENGER, MODEL_NAME

EXPERIMENT = "churn-training"
"""The training experiment of every environment."""
PROMOTED_FROM = "promoted_from"
"""Model-version tag that says where a copied artifact came from (``"dev v1"``)."""


class DataContractError(ValueError):
    """The training data hold values the contract does not know; the message names column, values, rows."""


def unknown_categories(frame: pd.DataFrame, accept: Mapping[str, Sequence[str]] | None = None) -> dict[str, dict[str, int]]:
    """``{column: {value: rows}}`` of categorical values outside the Telco schema (and outside ``accept``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers (columns not in the schema, and ``Churn``, are not checked).
    accept : mapping of str to sequence of str, optional
        Extra values accepted per column.

    Returns
    -------
    dict of str to dict of str to int
        Empty when every value is known.

    >>> from mlops_edu.data import make_customers
    >>> df = make_customers(20, seed=0)
    >>> df.loc[0, "Contract"] = "Lifetime"
    >>> unknown_categories(df)
    {'Contract': {'Lifetime': 1}}
    """
    from mlops_edu.data.schema import CATEGORIES

    accept = {k: set(v) for k, v in (accept or {}).items()}
    found: dict[str, dict[str, int]] = {}
    for column, allowed in CATEGORIES.items():
        if column not in frame.columns or column == "Churn":
            continue
        values = frame[column].dropna().astype(str)
        bad = values[~values.isin(set(allowed) | accept.get(column, set()))]
        if len(bad):
            found[column] = {str(k): int(v) for k, v in bad.value_counts().sort_index().items()}
    return found


def check_contract(frame: pd.DataFrame, env: str, accept: Mapping[str, Sequence[str]] | None = None) -> None:
    """Raise :class:`DataContractError` naming every unknown categorical value of ``frame`` (with its rows).

    Parameters
    ----------
    frame : pandas.DataFrame
        Training data.
    env : str
        Environment named in the message.
    accept : mapping of str to sequence of str, optional
        As in :func:`unknown_categories`.

    Raises
    ------
    DataContractError
        When any categorical value is unknown.

    >>> from mlops_edu.data import make_customers
    >>> check_contract(make_customers(20, seed=0).assign(Contract="Lifetime"), "prod")
    Traceback (most recent call last):
    ...
    mlops_edu.deployment.patterns.DataContractError: data contract: Contract: unknown value(s) {'Lifetime': 20} in prod data
    """
    unknown = unknown_categories(frame, accept)
    if unknown:
        message = "; ".join(f"{col}: unknown value(s) {vals}" for col, vals in unknown.items())
        raise DataContractError(f"data contract: {message} in {env} data")


@dataclass
class TrainingOutcome:
    """One run of the training code in one environment.

    ``status`` is ``"registered"`` or ``"refused"`` (the data contract stopped it: see ``error``).
    ``test`` holds F1 and ROC AUC on the environment's own held-out 20 %.
    """

    environment: str
    status: str
    rows: int
    seconds: float
    version: int | None = None
    test: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def training_code(platform: Platform, env: str, *, seed: int = 4, name: str = MODEL_NAME,
                  accept: Mapping[str, Sequence[str]] | None = None, kind: str = "lightgbm") -> TrainingOutcome:
    """The reviewed training code, run *in* environment ``env`` on ``env``'s own data.

    Steps: read ``env``'s customer table (through the platform's access control) -> data contract
    (:func:`unknown_categories`) -> stratified split (20 % held out) -> fit ``kind`` -> log the model with
    the Delta table as the run's input (lineage) -> register it in ``env``'s registry as ``@Challenger``.

    Returns a :class:`TrainingOutcome`; a contract violation returns ``status="refused"`` with the
    message, and nothing is logged or registered.

    Parameters
    ----------
    platform : Platform
        The three environments (reads go through its access control).
    env : str
        Environment the code runs in and reads from.
    seed : int
        Seed of the split and the model.
    name : str
        Registered-model name.
    accept : mapping of str to sequence of str, optional
        Values the reviewed change accepts (:func:`check_contract`).
    kind : str
        Model kind for :func:`mlops_edu.training.make_model`.
    """
    import mlflow

    from mlops_edu.data.lake import dataset_source, table_version
    from mlops_edu.deployment import registry
    from mlops_edu.training import classification_metrics, log_model, make_model, split_dataset

    start = time.perf_counter()
    frame = platform.read(env, env, CUSTOMERS)
    try:
        check_contract(frame, env, accept)
    except DataContractError as error:
        return TrainingOutcome(env, "refused", len(frame), time.perf_counter() - start, error=str(error))
    split = split_dataset(frame, val_size=0.2, test_size=0.2, seed=seed)   # validation is not needed: fit on it too
    X_fit = pd.concat([split.X_train, split.X_val])
    y_fit = pd.concat([split.y_train, split.y_val])
    model = make_model(kind, seed=seed, X=X_fit).fit(X_fit, y_fit)
    test = classification_metrics(split.y_test, model.predict_proba(split.X_test)[:, 1])
    table = platform[env].lake / CUSTOMERS
    with platform.use(env):
        platform.experiment(env, EXPERIMENT)
        with mlflow.start_run(run_name=f"{kind}-{env}"):
            mlflow.log_input(mlflow.data.from_pandas(frame, source=dataset_source(table), name=CUSTOMERS),
                             context="training", tags={"delta_table_version": str(table_version(table))})
            mlflow.log_metrics({f"test_{k}": float(v) for k, v in test.items()})
            info = log_model(model, X_fit)
        mv = registry.register(info, name, description=f"{kind} churn pipeline trained in {env} on {env} data",
                               tags={"trained_in": env}, alias=CHALLENGER)
    return TrainingOutcome(env, "registered", len(frame), time.perf_counter() - start, int(mv.version),
                           {k: round(float(test[k]), 3) for k in ("f1", "roc_auc")})


def holdout(platform: Platform, env: str, seed: int = 4) -> tuple[pd.DataFrame, pd.Series]:
    """The held-out 20 % of ``env``'s data that :func:`training_code` does not train on (read *in* ``env``).

    Parameters
    ----------
    platform : Platform
        The three environments.
    env : str
        Environment whose data are read.
    seed : int
        The seed :func:`training_code` was given.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series)
        Features and labels.
    """
    from mlops_edu.training import split_dataset

    split = split_dataset(platform.read(env, env, CUSTOMERS), val_size=0.2, test_size=0.2, seed=seed)
    return split.X_test, split.y_test


def promote_artifact(platform: Platform, source: str, target: str, version: int, *, name: str = MODEL_NAME,
                     alias: str | None = CHALLENGER) -> int:
    """Copy ``name`` version ``version`` of ``source``'s registry into ``target``'s (deploy model, 6.1).

    The model's files are downloaded from ``source``'s store, copied into ``target``'s artifact folder
    and registered there with ``create_model_version`` (tag :data:`PROMOTED_FROM`). Returns the new
    version number in ``target``. No run, metric or dataset goes along: see
    :func:`mlops_edu.deployment.registry.lineage` in both stores.

    Parameters
    ----------
    platform : Platform
        The three environments.
    source, target : str
        Environments to copy from and to.
    version : int
        Version in ``source``'s registry.
    name : str
        Registered-model name (the same in both).
    alias : str or None
        Alias given to the new version in ``target`` (``None`` for none).
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    with platform.use(source):
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{int(version)}"))
        description = MlflowClient().get_model_version(name, str(int(version))).description
    copy = platform[target].artifacts / "promoted" / f"{name}-{source}-v{int(version)}"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(local, copy)
    client = MlflowClient(tracking_uri=platform[target].tracking_uri, registry_uri=platform[target].tracking_uri)
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name)
    mv = client.create_model_version(name, source=copy.as_uri(), description=description,
                                     tags={PROMOTED_FROM: f"{source} v{int(version)}"})
    if alias:
        client.set_registered_model_alias(name, alias, mv.version)
    return int(mv.version)


def copy_across_stores(platform: Platform, source: str, target: str, version: int, *, name: str = MODEL_NAME) -> str:
    """Try ``MlflowClient.copy_model_version`` from ``source`` to ``target``; returns what happened.

    The client of ``target`` looks ``models:/name/version`` up in ``target``'s own registry, so across two
    sqlite stores it fails ("not found") when ``target`` lacks that version.

    Parameters
    ----------
    platform : Platform
        The three environments.
    source, target : str
        Environments to copy from and to.
    version : int
        Version in ``source``'s registry.
    name : str
        Registered-model name.

    Returns
    -------
    str
        ``"failed: ..."`` (the first line of MLflow's error) or what was copied.
    """
    import contextlib
    import io

    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=platform[target].tracking_uri, registry_uri=platform[target].tracking_uri)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            mv = client.copy_model_version(f"models:/{name}/{int(version)}", name)
        except MlflowException as error:
            return f"failed: {error.message.splitlines()[0]}"
    return f"copied {target}'s own version to version {mv.version}: not the {source} model"


def lineage_table(platform: Platform, versions: Mapping[str, int], name: str = MODEL_NAME) -> pd.DataFrame:
    """What each environment's registry knows about a model version: run, metrics, training data, origin.

    Parameters
    ----------
    platform : Platform
        The three environments.
    versions : mapping of str to int
        ``{environment: version}``, one row each.
    name : str
        Registered-model name.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``environment``: ``version``, ``training run``, ``test F1 logged``, ``training data``
        and ``origin`` (``"-"`` where the registry does not know).
    """
    from mlflow import MlflowClient

    from mlops_edu.deployment import registry

    rows = []
    for env, version in versions.items():
        with platform.use(env):
            info = registry.lineage(version, name)
            mv = MlflowClient().get_model_version(name, str(int(version)))
            metrics = MlflowClient().get_run(mv.run_id).data.metrics if mv.run_id else {}
        data = info["datasets"][0] if info["datasets"] else None
        rows.append({"environment": env, "version": int(version),
                     "training run": info["run_name"] or "-",
                     "test F1 logged": round(metrics["test_f1"], 3) if "test_f1" in metrics else "-",
                     "training data": f"{data['table']} v{data['table_version']}" if data else "-",
                     "origin": mv.tags.get(PROMOTED_FROM, f"trained in {env}")})
    return pd.DataFrame(rows).set_index("environment")
