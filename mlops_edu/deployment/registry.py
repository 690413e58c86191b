"""The model registry of the lab: register, describe, tag, aliases, lineage, rollback.

Serves lecture section 10 (the end-to-end lab), steps 3 and 4, done with the open-source MLflow model
registry instead of Unity Catalog:

* :func:`register` puts a logged model under a three-part name in the spirit of the lab's
  ``<catalog>.<schema>.mlops_churn`` (default :data:`MODEL_NAME` = ``workbook.mlops.mlops_churn``) with
  a description and tags, and gives it the alias ``Challenger``.
* :func:`mlops_edu.deployment.validation.validate_challenger` runs the automated checks of the lab on the
  ``Challenger`` and writes each result back as a model-version tag; Champion and Challenger are compared
  on the *same* held-out rows with a paired bootstrap (:mod:`mlops_edu.deployment.validation`).
* :func:`mlops_edu.deployment.validation.promote` moves ``Champion`` to the validated Challenger, removes
  ``Challenger`` and tags the old champion ``archived``; :func:`rollback` moves ``Champion`` back to the
  previous version, one alias move.

Aliases, not stages: inference code always loads ``models:/<name>@Champion``; promotion and rollback
move a pointer and never touch the inference code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

MODEL_NAME = "workbook.mlops.mlops_churn"
"""Default registered-model name: ``<catalog>.<schema>.mlops_churn`` as in the lab (section 10)."""
CHAMPION = "Champion"
"""Alias of the model version that production (batch inference) loads."""
CHALLENGER = "Challenger"
"""Alias of the newly registered candidate waiting for validation."""

ARCHIVED_TAG = "archived"
PREVIOUS_CHAMPION_TAG = "previous_champion"


class RegistryError(ValueError):
    """A registry operation cannot be done (missing alias, refused promotion, nothing to roll back)."""



def _client():
    from mlflow import MlflowClient

    return MlflowClient()


def model_uri(name: str = MODEL_NAME, alias: str | None = CHAMPION, version: int | str | None = None) -> str:
    """The registry URI of a model version, by alias (``models:/name@Champion``) or by version.

    Serves lecture section 10.

    Parameters
    ----------
    name : str
        Registered-model name.
    alias : str or None
        Alias to point at (default ``Champion``); ignored when ``version`` is given.
    version : int, str or None
        Version number; takes precedence over ``alias``.

    Returns
    -------
    str
        ``models:/<name>/<version>`` or ``models:/<name>@<alias>``.

    Raises
    ------
    ValueError
        When neither an alias nor a version is given.

    >>> model_uri("workbook.mlops.mlops_churn", "Challenger")
    'models:/workbook.mlops.mlops_churn@Challenger'
    >>> model_uri("workbook.mlops.mlops_churn", version=3)
    'models:/workbook.mlops.mlops_churn/3'
    """
    if version is not None:
        return f"models:/{name}/{int(version)}"
    if not alias:
        raise ValueError("model_uri(): give an alias or a version")
    return f"models:/{name}@{alias}"



# --------------------------------------------------------------------------------------------------
# Registration, aliases, tags (section 10, step 3)
# --------------------------------------------------------------------------------------------------

def _run_and_model_id(model: Any) -> tuple[str, str | None, str | None]:
    """(source uri, run id, model id) of a ModelInfo, a ``models:/m-...`` URI or a ``runs:/`` URI."""
    if hasattr(model, "model_uri"):  # mlflow.models.model.ModelInfo
        return model.model_uri, getattr(model, "run_id", None), getattr(model, "model_id", None)
    uri = str(model)
    if uri.startswith("runs:/"):
        return uri, uri[len("runs:/"):].split("/", 1)[0], None
    if uri.startswith("models:/m-"):
        model_id = uri[len("models:/"):].split("/", 1)[0]
        logged = _client().get_logged_model(model_id)
        return uri, logged.source_run_id, model_id
    raise ValueError(f"register(): expected a ModelInfo, 'models:/m-...' or 'runs:/...' URI, got {uri!r}")


def register(model: Any, name: str = MODEL_NAME, *, description: str | None = None,
             tags: Mapping[str, Any] | None = None, alias: str | None = CHALLENGER,
             model_description: str | None = None):
    """Register a logged model as a new version of ``name``, describe it, tag it, give it an alias.

    Serves section 10, step 3 ("register the best run, add a description and tags, set @Challenger").
    Uses :class:`mlflow.MlflowClient` directly (``mlflow.register_model`` prints to stderr).

    Parameters
    ----------
    model : ModelInfo or str
        The :class:`mlflow.models.model.ModelInfo` returned by ``log_model``, or its ``models:/m-...`` URI,
        or a ``runs:/<run_id>/<path>`` URI.
    name : str
        Registered-model name, e.g. ``workbook.mlops.mlops_churn`` (created if it does not exist).
    description : str or None
        Description of this model version (validation wants >= 20 characters).
    tags : mapping or None
        Model-version tags, e.g. ``{"f1_score": 0.61}`` (values are stored as strings).
    alias : str or None
        Alias to point at the new version (default ``Challenger``; ``None`` for none).
    model_description : str or None
        Description of the registered model itself, set only when it is created.

    Returns
    -------
    mlflow.entities.model_registry.ModelVersion
        The new version (version numbers start at 1).

    Raises
    ------
    ValueError
        When ``model`` is neither a ModelInfo nor a ``models:/m-...`` or ``runs:/`` URI.

    Example
    -------
    >>> mv = register(info, description="LightGBM churn model, best F1 on validation")  # doctest: +SKIP
    >>> mv.version                                                                     # doctest: +SKIP
    '1'
    """
    from mlflow.exceptions import MlflowException

    client = _client()
    source, run_id, model_id = _run_and_model_id(model)
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description=model_description)
    mv = client.create_model_version(name, source=source, run_id=run_id, model_id=model_id,
                                     description=description,
                                     tags={k: str(v) for k, v in (tags or {}).items()})
    if alias:
        client.set_registered_model_alias(name, alias, mv.version)
    return client.get_model_version(name, mv.version)


def set_alias(alias: str, version: int | str, name: str = MODEL_NAME) -> None:
    """Point ``alias`` at ``version`` (an alias names exactly one version; the old pointer moves).

    Serves lecture section 10, steps 3 and 4.

    Parameters
    ----------
    alias : str
        Alias to set, e.g. ``Champion``.
    version : int or str
        Model version the alias points at afterwards.
    name : str
        Registered-model name.
    """
    _client().set_registered_model_alias(name, alias, str(int(version)))


def version_by_alias(alias: str, name: str = MODEL_NAME):
    """The ModelVersion behind ``name@alias``, or ``None`` when the alias (or the model) does not exist.

    This is the lab's ``try: client.get_model_version_by_alias(...) except: first deploy`` (section 10, step 4).

    Parameters
    ----------
    alias : str
        Alias to resolve.
    name : str
        Registered-model name.

    Returns
    -------
    mlflow.entities.model_registry.ModelVersion or None
    """
    from mlflow.exceptions import MlflowException

    try:
        return _client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def aliases(name: str = MODEL_NAME) -> dict[str, int]:
    """The aliases of ``name`` as ``{alias: version}``, sorted by alias; ``{}`` if the model is unknown.

    Serves lecture section 10, steps 3 and 4.

    Parameters
    ----------
    name : str
        Registered-model name.

    Returns
    -------
    dict of str to int

    >>> aliases("workbook.mlops.mlops_churn")   # doctest: +SKIP
    {'Champion': 1}
    """
    from mlflow.exceptions import MlflowException

    try:
        rm = _client().get_registered_model(name)
    except MlflowException:
        return {}
    return {a: int(v) for a, v in sorted(rm.aliases.items())}


def versions_table(name: str = MODEL_NAME, tags: Iterable[str] = (), *, description: bool = True) -> pd.DataFrame:
    """One row per version of ``name``: its aliases, description and chosen tags (no ids, no times).

    Serves lecture section 10, steps 3 and 4.

    Parameters
    ----------
    name : str
        Registered-model name.
    tags : iterable of str
        Model-version tags to show as columns (``""`` where a version lacks one).
    description : bool
        Include the ``description`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``version``, ``aliases`` (``"-"`` for none), ``description`` and one per tag, by version.
    """
    client = _client()
    by_version: dict[int, list[str]] = {}
    for alias, version in aliases(name).items():
        by_version.setdefault(version, []).append(alias)
    rows = []
    for mv in sorted(client.search_model_versions(f"name = '{name}'"), key=lambda m: int(m.version)):
        row = {"version": int(mv.version), "aliases": ", ".join(by_version.get(int(mv.version), [])) or "-"}
        if description:
            row["description"] = mv.description or ""
        for tag in tags:
            row[tag] = mv.tags.get(tag, "")
        rows.append(row)
    return pd.DataFrame(rows)


def _version(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def lineage(version: int | str, name: str = MODEL_NAME) -> dict[str, Any]:
    """Where a model version comes from: its run and the dataset (Delta table and version) logged as input.

    Serves section 10, step 3 ("show the model version's lineage"). ``table`` is the folder name of the
    Delta table, so nothing machine-specific is shown. MLflow 3.17 drops a Delta version of 0 from the
    serialised source, so the version is also read from the input tag ``delta_table_version`` when the lab
    logged one. Run and model ids are random: do not print them in a notebook.

    Parameters
    ----------
    version : int or str
        Model version.
    name : str
        Registered-model name.

    Returns
    -------
    dict
        ``model``, ``version``, ``aliases``, ``run_name``, ``run_id``, ``model_id`` and ``datasets`` (a list
        of ``{"name", "context", "source_type", "table", "table_version"}``).
    """
    client = _client()
    mv = client.get_model_version(name, str(int(version)))
    out: dict[str, Any] = {"model": name, "version": int(mv.version), "aliases": sorted(mv.aliases),
                           "run_name": None, "run_id": mv.run_id,
                           "model_id": getattr(mv, "model_id", None), "datasets": []}
    if not out["model_id"] and str(mv.source or "").startswith("models:/m-"):
        out["model_id"] = str(mv.source)[len("models:/"):].split("/", 1)[0]
    if not mv.run_id:
        return out
    run = client.get_run(mv.run_id)
    out["run_name"] = run.info.run_name
    for dataset_input in (run.inputs.dataset_inputs if run.inputs else []):
        ds = dataset_input.dataset
        input_tags = {t.key: t.value for t in dataset_input.tags}
        context = input_tags.get("mlflow.data.context")
        try:
            source = json.loads(ds.source)
        except (TypeError, ValueError):
            source = {}
        path = source.get("path") or source.get("delta_table_name") or ""
        out["datasets"].append({
            "name": ds.name, "context": context, "source_type": ds.source_type,
            "table": str(path).rstrip("/").rsplit("/", 1)[-1] if path else None,
            "table_version": _version(source.get("delta_table_version", input_tags.get("delta_table_version"))),
        })
    return out



def rollback(name: str = MODEL_NAME, to_version: int | None = None) -> tuple[int, int]:
    """Move ``Champion`` back to the previous champion: one alias move, no retraining, no redeploy.

    Serves lecture section 10. The rolled-back version is tagged
    ``rolled_back=True`` and the restored one loses its ``archived`` tag.

    Parameters
    ----------
    name : str
        Registered-model name.
    to_version : int or None
        Version to go back to; default the ``previous_champion`` tag of the current Champion.

    Returns
    -------
    tuple of (int, int)
        ``(from_version, to_version)``.

    Raises
    ------
    RegistryError
        When there is no Champion, or no ``to_version`` and no ``previous_champion`` tag.
    """
    client = _client()
    champion = version_by_alias(CHAMPION, name)
    if champion is None:
        raise RegistryError(f"{name}@{CHAMPION} does not exist: nothing to roll back")
    if to_version is None:
        previous = champion.tags.get(PREVIOUS_CHAMPION_TAG)
        if not previous:
            raise RegistryError(f"{name}@{CHAMPION} (v{champion.version}) has no previous champion to roll back to")
        to_version = int(previous)
    client.get_model_version(name, str(int(to_version)))  # raises if the version does not exist
    client.set_registered_model_alias(name, CHAMPION, str(int(to_version)))  # the one alias move
    client.set_model_version_tag(name, champion.version, "rolled_back", "True")
    client.delete_model_version_tag(name, str(int(to_version)), ARCHIVED_TAG)
    return int(champion.version), int(to_version)


def route_event_messages(log_file: str | Path) -> None:
    """Send MLflow's event messages ("Successfully registered model ...") to ``log_file`` instead of stderr.

    ``mlflow.register_model`` prints them with ``mlflow.utils.logging_utils.eprint`` to the stream
    ``MLFLOW_LOGGING_STREAM``; ``disable_logging()`` does not last, because every silent ``mlflow.autolog``
    call enables that stream again when it returns. Replacing the stream does last. This uses a private
    MLflow name, so ``tests/test_registry.py`` checks it: an MLflow upgrade that renames it fails there.

    Parameters
    ----------
    log_file : str or pathlib.Path
        File the messages are appended to (a second call with the same file does nothing).

    Raises
    ------
    RegistryError
        When this MLflow has no ``MLFLOW_LOGGING_STREAM`` to reroute.
    """
    from mlflow.utils import logging_utils

    if not hasattr(logging_utils, "MLFLOW_LOGGING_STREAM"):
        raise RegistryError("this MLflow has no mlflow.utils.logging_utils.MLFLOW_LOGGING_STREAM to reroute")
    import atexit

    current = logging_utils.MLFLOW_LOGGING_STREAM
    if getattr(current, "name", None) == str(Path(log_file)):
        return
    stream = open(log_file, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives as long as the kernel
    atexit.register(stream.close)
    logging_utils.MLFLOW_LOGGING_STREAM = stream
    if hasattr(current, "name") and hasattr(current, "close"):  # a file of an earlier call
        current.close()
