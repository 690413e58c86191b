"""Where a chapter's files live: the workspaces folder, one chapter's workspace and its MLflow store.

The lower half of the chapter set-up (:mod:`mlops_edu.workbook.config`, which re-exports every name
here): workspaces live under one git-ignored folder, ``<repo>/workspaces/NN`` (or under
``$MLOPS_EDU_HOME``); a workspace that is replaced is moved to ``workspaces/.previous``, never deleted;
each chapter's MLflow store is a copy of one migrated template database, and MLflow's cached stores
are released before a store is moved or replaced.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import sqlite3
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "MLOPS_EDU_HOME"
"""Environment variable naming the folder that holds ``workspaces/`` (default: the repository root)."""
TEMPLATE_ENV = "MLOPS_EDU_TEMPLATE_DIR"
"""Environment variable naming the folder that caches an empty, migrated MLflow database (default
``<workspaces>/.template``)."""


@dataclass(frozen=True)
class ChapterWorkspace:
    """Where one chapter keeps everything it writes.

    Attributes
    ----------
    chapter : str
        Two-digit chapter number, e.g. ``"02"``.
    seed : int
        The seed the chapter was set up with.
    root : Path
        ``workspaces/NN`` (absolute).
    tracking_uri : str
        ``sqlite:////abs/path/workspaces/NN/mlflow.db``, used for tracking and registry.
    artifacts : Path
        Folder for MLflow artifacts of this chapter's experiments.
    lake : Path
        Folder for the chapter's Delta tables.
    logs : Path
        Folder for the chapter log (warnings and library logging).
    experiment_name : str
        The MLflow experiment set active by :func:`setup_chapter`.
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
        """The chapter's MLflow database, ``root / "mlflow.db"``."""
        return self.root / "mlflow.db"

    def table(self, name: str) -> Path:
        """Path of the Delta table ``name`` in this chapter's lake."""
        return self.lake / name

    def relative(self, path: Path | str) -> str:
        """``path`` relative to the workspaces folder's parent, for printing without machine paths.

        Parameters
        ----------
        path : Path or str
            Any path; one outside that folder gives just its file name.

        Returns
        -------
        str
            A POSIX path, e.g. ``"workspaces/02/mlflow.db"``.
        """
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

    Parameters
    ----------
    db : str
        Path of the sqlite store, relative to the repository root.

    Returns
    -------
    str

    Example
    -------
    >>> mlflow_ui_command("workspaces/02/mlflow.db")
    'mlflow ui --backend-store-uri sqlite:///workspaces/02/mlflow.db --port 5000'
    """
    return f"mlflow ui --backend-store-uri sqlite:///{db} --port 5000"


def repo_root() -> Path | None:
    """The workbook repository: the nearest folder, from the current directory upwards (then from the
    package's own folder), that has both a ``workbook`` folder and a ``pyproject.toml``; else None.

    Returns
    -------
    Path or None
    """
    here = Path.cwd().resolve()
    for start in (here, Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            if (folder / "workbook").is_dir() and (folder / "pyproject.toml").is_file():
                return folder
    return None


def workspace_home() -> Path:
    """The folder that holds ``workspaces/``: ``$MLOPS_EDU_HOME``, else the repository root (see
    :func:`repo_root`), else the current directory.

    Returns
    -------
    Path
        Absolute.
    """
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
    fails loudly when an MLflow upgrade renames them. Does nothing when MLflow was never imported.

    Parameters
    ----------
    uri : str or None
        Dispose only the engines of this URI (the registries' caches are left as they are); None: every
        sqlite engine, and the caches are cleared.
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
    makes a chapter's set-up (and every test that sets one up) that much faster. It lives in
    ``$MLOPS_EDU_TEMPLATE_DIR``, default ``<workspaces>/.template``, as ``mlflow-<version>.db``.

    Returns
    -------
    Path
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
    in the workspace (never in ``./mlruns`` of whatever folder the kernel runs in).

    Parameters
    ----------
    db : Path
        The database to write (atomically).
    artifacts : Path
        The workspace's artifact folder; the Default experiment gets ``artifacts / "Default"``.
    """
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
