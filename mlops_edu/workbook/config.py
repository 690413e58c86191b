"""Chapter set-up: seeds, quiet logs, an isolated workspace and the chapter's MLflow store.

Serves every chapter (DESIGN.md "Reproducibility rules"): a notebook starts with
``ws = setup_chapter("02", seed=SEED)`` and from then on

* ``random`` and ``numpy`` are seeded,
* warnings and MLflow/alembic/LightGBM logging go to ``<workspace>/logs/chapter.log``, not to stderr
  (nbval compares stderr, and MLflow prints table-creation lines only on a first run),
* MLflow telemetry is off and tracking + registry point to an **absolute** sqlite URI inside the
  chapter's workspace (papermill and nbval start kernels in different working directories),
* matplotlib has a fixed style and DPI, pandas a fixed display precision, and numerical libraries use
  one thread (:mod:`mlops_edu.workbook.style`).

Workspaces live under one git-ignored folder, ``<repo>/workspaces/NN``. Re-running a chapter starts a
fresh workspace and moves the previous one to ``workspaces/.previous/NN-<UTC time>``: a user's runs are
never deleted silently (delete ``workspaces/.previous`` yourself when you no longer need them). The
workspace and its MLflow store are made by :mod:`mlops_edu.workbook.workspace`; its names are
importable from here too.
"""

from __future__ import annotations

import json
import logging
import os
import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from mlops_edu.workbook.style import one_thread, style_plots, style_tables
from mlops_edu.workbook.workspace import (  # noqa: F401 - the workspace names stay importable from here
    HOME_ENV,
    TEMPLATE_ENV,
    ChapterWorkspace,
    _fresh_workspace,
    _new_mlflow_db,
    _release_mlflow_stores,
    _template_db,
    mlflow_ui_command,
    repo_root,
    workspace_home,
)

RECORD_ENV = "MLOPS_EDU_RECORD_FILE"
"""Environment variable naming the JSON file that :func:`record` writes (set by the runner)."""

DEFAULT_SEED = 4
_QUIET_LOGGERS = ("mlflow", "alembic", "lightgbm", "py4j", "urllib3", "hyperopt", "numexpr",
                  "matplotlib", "PIL", "databricks", "git", "deltalake", "papermill", "skops")

_current: "ChapterWorkspace | None" = None


def _quiet(log_file: Path) -> None:
    """Send warnings and library logging to ``log_file`` so that nothing reaches stderr.

    Also turns MLflow telemetry and progress bars off (environment defaults a user's own values override).
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    os.environ.setdefault("TQDM_DISABLE", "1")
    handler = logging.FileHandler(log_file, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    warnings.resetwarnings()
    warnings.simplefilter("default")
    logging.captureWarnings(True)
    for name in ("py.warnings", *_QUIET_LOGGERS):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
            if isinstance(old, logging.FileHandler) and old is not handler:
                old.close()
        logger.addHandler(handler)
        logger.setLevel(logging.INFO if name == "py.warnings" else logging.WARNING)
        logger.propagate = False


def use_experiment(name: str, ws: ChapterWorkspace | None = None) -> str:
    """Create (if needed) and activate the MLflow experiment ``name`` with artifacts in the workspace.

    MLflow's sqlite backend would otherwise put artifacts in ``./mlartifacts`` relative to wherever the
    kernel happens to run.

    Parameters
    ----------
    name : str
        Experiment name; a new one stores its artifacts in ``<workspace>/artifacts/<name>`` (``/``
        replaced by ``_``).
    ws : ChapterWorkspace or None
        The workspace; default :func:`current_workspace`.

    Returns
    -------
    str
        The experiment id.

    Raises
    ------
    RuntimeError
        Without ``ws`` when no chapter is set up.
    """
    import mlflow

    ws = ws or current_workspace()
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        location = (ws.artifacts / name.strip("/").replace("/", "_")).as_uri()
        experiment_id = mlflow.create_experiment(name, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def setup_chapter(chapter: str | int, seed: int = DEFAULT_SEED, *, experiment: str | None = None,
                  fresh: bool = True, root: Path | str | None = None) -> ChapterWorkspace:
    """Prepare a chapter: seeds, quiet logs, an isolated workspace and its MLflow store.

    Parameters
    ----------
    chapter : str or int
        Chapter number, ``"02"`` or ``2``.
    seed : int
        Seeds ``random`` and ``numpy``; pass it on to every generator the chapter uses.
    experiment : str or None
        Name of the MLflow experiment to activate (default ``"chapter-NN"``).
    fresh : bool
        Start from an empty workspace (the previous one is moved to ``workspaces/.previous``).
    root : Path, str or None
        Use this folder as the workspace, keeping what it holds (a headless job such as
        ``python -m mlops_edu lab --workspace DIR``); ``fresh`` is then ignored.

    Returns
    -------
    ChapterWorkspace
        The paths of the workspace; it also becomes :func:`current_workspace`, and ``MLFLOW_TRACKING_URI``
        / ``MLFLOW_REGISTRY_URI`` point to its store (for subprocesses too).

    Example
    -------
    >>> ws = setup_chapter("02", seed=4)          # doctest: +SKIP
    >>> ws.tracking_uri.startswith("sqlite:////")  # doctest: +SKIP
    True
    """
    global _current
    chapter = f"{int(chapter):02d}"
    _release_mlflow_stores()  # MLflow must not go on writing into a store that is moved or replaced
    if root is not None:
        root = Path(root).expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = workspace_home() / "workspaces" / chapter
        if fresh:
            _fresh_workspace(root)
        else:
            root.mkdir(parents=True, exist_ok=True)
    ws = ChapterWorkspace(
        chapter=chapter,
        seed=int(seed),
        root=root,
        tracking_uri=f"sqlite:///{(root / 'mlflow.db').as_posix()}",
        artifacts=root / "artifacts",
        lake=root / "lake",
        logs=root / "logs",
        experiment_name=experiment or f"chapter-{chapter}",
    )
    for folder in (ws.artifacts, ws.lake, ws.logs):
        folder.mkdir(parents=True, exist_ok=True)
    _quiet(ws.logs / "chapter.log")
    random.seed(seed)
    np.random.seed(seed)
    one_thread()
    style_plots()
    style_tables()

    os.environ["MLFLOW_TRACKING_URI"] = ws.tracking_uri  # also for subprocesses (serve, spark_udf)
    os.environ["MLFLOW_REGISTRY_URI"] = ws.tracking_uri
    import mlflow  # imported after _quiet: its import-time warnings go to the log

    _quiet(ws.logs / "chapter.log")  # mlflow's import installed its own stderr handler; replace it
    if not ws.mlflow_db.exists():
        _new_mlflow_db(ws.mlflow_db, ws.artifacts)
    mlflow.set_tracking_uri(ws.tracking_uri)
    mlflow.set_registry_uri(ws.tracking_uri)
    _current = ws
    use_experiment(ws.experiment_name, ws)
    return ws


def current_workspace() -> ChapterWorkspace:
    """The workspace of the chapter set up last in this process.

    Returns
    -------
    ChapterWorkspace

    Raises
    ------
    RuntimeError
        When no chapter is set up.
    """
    if _current is None:
        raise RuntimeError("No chapter is set up: call mlops_edu.setup_chapter('NN') first.")
    return _current


def _plain(value: Any) -> Any:
    """Turn numpy scalars/arrays and tuples into JSON values; round floats to 6 decimals.

    Raises
    ------
    TypeError
        For a value that is not a number, string, bool, None, list, tuple or dict (numpy scalars and
        arrays are converted first).
    """
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(f"record(): value of type {type(value).__name__} is not a number, string, list or dict")


def record(name: str, value: Any) -> None:
    """Record a key result of the chapter so that ``run_all.py`` can collect it into results/.

    The value is written to ``$MLOPS_EDU_RECORD_FILE`` when the runner set it, else to
    ``<workspace>/records.json`` (a JSON object; other names in it are kept, the file is replaced atomically).

    Parameters
    ----------
    name : str
        Non-empty key; recording it again replaces the value.
    value : number, str, bool, None, or a list/tuple/dict of them
        Numpy scalars and arrays are converted; floats are rounded to 6 decimals.

    Raises
    ------
    ValueError
        For an empty or non-string name.
    TypeError
        For a value of another type.
    RuntimeError
        Without ``$MLOPS_EDU_RECORD_FILE`` when no chapter is set up.

    Example
    -------
    >>> record("best_f1", 0.6123)  # doctest: +SKIP
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"record(): the name must be a non-empty string, got {name!r}")
    target = os.environ.get(RECORD_ENV)
    path = Path(target) if target else current_workspace().root / "records.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[name] = _plain(value)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
