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
never deleted silently (delete ``workspaces/.previous`` yourself when you no longer need them).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlops_edu.workbook.style import one_thread, style_plots, style_tables

HOME_ENV = "MLOPS_EDU_HOME"
"""Environment variable naming the folder that holds ``workspaces/`` (default: the repository root)."""
RECORD_ENV = "MLOPS_EDU_RECORD_FILE"
TEMPLATE_ENV = "MLOPS_EDU_TEMPLATE_DIR"
"""Environment variable naming the folder that caches an empty, migrated MLflow database (default
``<workspaces>/.template``)."""
"""Environment variable naming the JSON file that :func:`record` writes (set by the runner)."""

DEFAULT_SEED = 4
_QUIET_LOGGERS = ("mlflow", "alembic", "lightgbm", "py4j", "urllib3", "hyperopt", "numexpr",
                  "matplotlib", "PIL", "databricks", "git", "deltalake", "papermill", "skops")

_current: "ChapterWorkspace | None" = None


@dataclass(frozen=True)
class ChapterWorkspace:
    """Where one chapter keeps everything it writes.

    Attributes
    ----------
    chapter : str
        two-digit chapter number, e.g. ``"02"``.
    seed : int
        the seed the chapter was set up with.
    root : Path
        ``workspaces/NN`` (absolute).
    tracking_uri : str
        ``sqlite:////abs/path/workspaces/NN/mlflow.db``, used for tracking and registry.
    artifacts : Path
        folder for MLflow artifacts of this chapter's experiments.
    lake : Path
        folder for the chapter's Delta tables.
    logs : Path
        folder for the chapter log (warnings and library logging).
    experiment_name : str
        the MLflow experiment set active by :func:`setup_chapter`.
    """

    chapter: str
    seed: int
    root: Path
    tracking_uri: str
    artifacts: Path
    lake: Path
    logs: Path
    experiment_name: str

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    def table(self, name: str) -> Path:
        """Path of the Delta table ``name`` in this chapter's lake."""
        return self.lake / name

    def relative(self, path: Path | str) -> str:
        """``path`` relative to the workspaces folder's parent, for printing without machine paths."""
        try:
            return Path(path).resolve().relative_to(self.root.parent.parent).as_posix()
        except ValueError:
            return Path(path).name

    def mlflow_ui_command(self) -> str:
        """The command that opens this chapter's runs in the MLflow UI (run it from the repository root)."""
        return mlflow_ui_command(self.relative(self.mlflow_db))

    def __repr__(self) -> str:  # no absolute paths in notebook outputs
        return (f"ChapterWorkspace(chapter={self.chapter!r}, seed={self.seed}, "
                f"root={self.relative(self.root)!r}, experiment={self.experiment_name!r})")


def mlflow_ui_command(db: str) -> str:
    """The one ``mlflow ui`` command of the workbook, for a store path relative to the repository root.

    >>> mlflow_ui_command("workspaces/02/mlflow.db")
    'mlflow ui --backend-store-uri sqlite:///workspaces/02/mlflow.db --port 5000'
    """
    return f"mlflow ui --backend-store-uri sqlite:///{db} --port 5000"


def repo_root() -> Path | None:
    """The workbook repository: the nearest folder, from the current directory upwards (then from the
    package's own folder), that has both a ``workbook`` folder and a ``pyproject.toml``; else None."""
    here = Path.cwd().resolve()
    for start in (here, Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            if (folder / "workbook").is_dir() and (folder / "pyproject.toml").is_file():
                return folder
    return None


def workspace_home() -> Path:
    """The folder that holds ``workspaces/``: ``$MLOPS_EDU_HOME``, else the repository root (see
    :func:`repo_root`), else the current directory."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return repo_root() or Path.cwd().resolve()


def _release_mlflow_stores(uri: str | None = None) -> None:
    """Forget MLflow's cached stores and close their SQLite connections (all sqlite ones, or ``uri``'s).

    MLflow caches one store (and one SQLAlchemy engine) per URI for the life of the process. When a
    chapter is set up again in the same kernel, the old database has been moved to
    ``workspaces/.previous``; without this, MLflow would go on writing into the moved file.

    MLflow 3.17 has no public way to close a store, so this is the ONE place that touches its private
    names (``SqlAlchemyStore._engine_map``/``_engine_map_lock`` and the store registries'
    ``_get_store_with_resolved_uri`` cache); ``tests/test_config.py::test_mlflow_private_names_exist``
    fails loudly when an MLflow upgrade renames them.
    """
    if "mlflow" not in sys.modules:
        return
    from mlflow.store.model_registry.sqlalchemy_store import (
        SqlAlchemyStore as RegistryStore,
    )
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    for store in (TrackingStore, RegistryStore):
        with store._engine_map_lock:
            for key in [u for u in store._engine_map if (u == uri if uri else u.startswith("sqlite:"))]:
                store._engine_map.pop(key).dispose()
    if uri is not None:
        return
    for registry in (tracking_utils._tracking_store_registry, registry_utils._model_registry_store_registry):
        if registry is not None:
            type(registry)._get_store_with_resolved_uri.cache_clear()


def _template_db() -> Path:
    """An empty MLflow database with every migration applied, made once per MLflow version.

    Creating an MLflow sqlite store runs ~130 alembic migrations (about 4 s); copying this file instead
    makes a chapter's set-up (and every test that sets one up) that much faster.
    """
    import mlflow

    folder = Path(os.environ.get(TEMPLATE_ENV) or workspace_home() / "workspaces" / ".template")
    template = folder / f"mlflow-{mlflow.__version__}.db"
    if not template.exists():
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".mlflow-", suffix=".db", dir=folder)
        os.close(fd)
        os.unlink(tmp)
        uri = f"sqlite:///{Path(tmp).as_posix()}"
        SqlAlchemyStore(uri, (folder / "unused-artifacts").as_uri())
        _release_mlflow_stores(uri)
        os.replace(tmp, template)  # atomic: parallel chapters may race to make it
    return template


def _new_mlflow_db(db: Path, artifacts: Path) -> None:
    """Create the chapter's MLflow database from the template; its Default experiment stores artifacts
    in the workspace (never in ``./mlruns`` of whatever folder the kernel runs in)."""
    tmp = db.with_suffix(".db.tmp")
    shutil.copyfile(_template_db(), tmp)
    with sqlite3.connect(tmp) as connection:
        connection.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                           ((artifacts / "Default").as_uri(),))
    connection.close()
    os.replace(tmp, db)


def _fresh_workspace(root: Path) -> None:
    """Create ``root`` empty; an existing non-empty one is moved aside, never deleted."""
    if root.exists() and any(root.iterdir()):
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        previous = root.parent / ".previous" / f"{root.name}-{stamp}"
        previous.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(root), str(previous))
    root.mkdir(parents=True, exist_ok=True)


def _quiet(log_file: Path) -> None:
    """Send warnings and library logging to ``log_file`` so that nothing reaches stderr."""
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
    kernel happens to run. Returns the experiment id.
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
    chapter : str | int
        chapter number, ``"02"`` or ``2``.
    seed : int
        seeds ``random`` and ``numpy``; pass it on to every generator the chapter uses.
    experiment : str | None
        name of the MLflow experiment to activate (default ``"chapter-NN"``).
    fresh : bool
        start from an empty workspace (the previous one is moved to ``workspaces/.previous``).
    root : Path | str | None
        use this folder as the workspace, keeping what it holds (a headless job such as
        ``python -m mlops_edu lab --workspace DIR``); ``fresh`` is then ignored.

    Returns
    -------
    ChapterWorkspace with the paths of the workspace.

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
    """The workspace of the chapter set up last in this process."""
    if _current is None:
        raise RuntimeError("No chapter is set up: call mlops_edu.setup_chapter('NN') first.")
    return _current


def _plain(value: Any) -> Any:
    """Turn numpy scalars/arrays and tuples into JSON values; round floats to 6 decimals."""
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

    The value (a number, string, bool, or a list/dict of them; numpy scalars are converted) is written
    to ``$MLOPS_EDU_RECORD_FILE`` when the runner set it, else to ``<workspace>/records.json``.

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
