"""``python -m mlops_edu serve --workspace DIR``: serve a lab workspace's model over HTTP until stopped.

Serves lecture section 5.2 (real-time inference as an API) for the workspaces the workbook makes: the
headless lab's (``python -m mlops_edu lab --workspace DIR``) and chapter 09's (``workspaces/09``). The
workspace's MLflow store is ``DIR/mlflow.db``; the command checks that the alias exists (and says so
when only another spelling of it does: aliases are case-sensitive), starts a
:class:`~mlops_edu.deployment.serving.ModelServer` on 127.0.0.1 with the store's *absolute* URI, prints
the URL and a ``curl`` example built from the model's own input example, and stops the server on Ctrl+C
or SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable

from mlops_edu.deployment.registry import CHAMPION, MODEL_NAME, model_uri
from mlops_edu.deployment.serving import ModelServer, ServerError, absolute_tracking_uri, port_is_free

DEFAULT_PORT = 5001
"""Port of ``python -m mlops_edu serve`` (``mlflow ui`` uses 5000); ``--port 0`` picks a free one."""


class WorkspaceError(ValueError):
    """The workspace cannot be served (no store, no such model or alias, port taken); says why."""


def workspace_store(workspace: str | Path) -> str:
    """The absolute ``sqlite:///`` URI of ``DIR/mlflow.db``; :class:`WorkspaceError` if there is none.

    Parameters
    ----------
    workspace : str or pathlib.Path
        The workspace folder ``DIR`` (``~`` is expanded).

    Returns
    -------
    str

    Raises
    ------
    WorkspaceError
        When ``DIR/mlflow.db`` is not a file.
    """
    db = Path(workspace).expanduser().resolve() / "mlflow.db"
    if not db.is_file():
        raise WorkspaceError(f"no MLflow store at {db}: run `python -m mlops_edu lab --workspace "
                             f"{Path(workspace)}` first, or point --workspace at a chapter's workspace "
                             "(e.g. workspaces/09)")
    return absolute_tracking_uri(f"sqlite:///{db.as_posix()}")


def resolve_alias(tracking_uri: str, alias: str = CHAMPION, name: str = MODEL_NAME) -> int:
    """The version ``name@alias`` points to in the store; :class:`WorkspaceError` naming the aliases
    that do exist (and a near miss in spelling) otherwise.

    Parameters
    ----------
    tracking_uri : str
        The store (tracking and registry).
    alias : str
        Alias to resolve (case-sensitive).
    name : str
        Registered-model name.

    Returns
    -------
    int

    Raises
    ------
    WorkspaceError
        When the model is not registered or has no such alias.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        registered = client.get_registered_model(name)
    except MlflowException:
        models = [m.name for m in client.search_registered_models()]
        raise WorkspaceError(f"the workspace has no registered model {name!r} (it has {models or 'none'})") from None
    present = dict(registered.aliases)
    if alias not in present:
        near = [a for a in present if a.lower() == alias.lower()]
        hint = f"; aliases are case-sensitive: did you mean {near[0]!r}?" if near else ""
        raise WorkspaceError(f"{name}@{alias} does not exist (aliases: {present or 'none'}){hint}")
    return int(present[alias])


def example_request(uri: str, tracking_uri: str, rows: int = 1) -> dict[str, Any] | None:
    """The first ``rows`` rows of the model's saved serving input example (``serving_input_example.json``),
    or None when the model was logged without an input example.

    Points MLflow's tracking and registry URI at ``tracking_uri`` (for the whole process) to download it.

    Parameters
    ----------
    uri : str
        Model URI, e.g. ``models:/name@Champion``.
    tracking_uri : str
        The store holding the model.
    rows : int
        Rows of the example to keep.

    Returns
    -------
    dict or None
        A ``dataframe_split`` or ``dataframe_records`` body.
    """
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        path = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"{uri}/serving_input_example.json"))
        example = json.loads(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - no example saved: the curl line says so
        return None
    split = example.get("dataframe_split")
    if isinstance(split, dict) and isinstance(split.get("data"), list):
        example = {"dataframe_split": {**split, "data": split["data"][:rows]}}
    elif isinstance(example.get("dataframe_records"), list):
        example = {"dataframe_records": example["dataframe_records"][:rows]}
    return example


def curl_command(url: str, body: dict[str, Any] | None) -> str:
    """A shell line that scores ``body`` on the server at ``url``.

    Parameters
    ----------
    url : str
        The server's base URL.
    body : dict or None
        Request body; ``None`` puts a ``"..."`` placeholder body in the line.

    Returns
    -------
    str

    >>> curl_command("http://127.0.0.1:5001", {"dataframe_records": [{"tenure": 3}]})
    'curl -s http://127.0.0.1:5001/invocations -H \\'Content-Type: application/json\\' -d \\'{"dataframe_records": [{"tenure": 3}]}\\''
    """
    data = json.dumps(body if body is not None else {"dataframe_split": {"columns": ["..."], "data": [["..."]]}})
    return f"curl -s {url}/invocations -H 'Content-Type: application/json' -d '{data}'"


def serve_workspace(workspace: str | Path, *, alias: str = CHAMPION, port: int = DEFAULT_PORT,
                    name: str = MODEL_NAME, echo: Callable[[str], None] = print,
                    ready: Callable[[ModelServer], None] | None = None) -> int:
    """Serve ``name@alias`` of a workspace until Ctrl+C or SIGTERM; returns the exit code.

    0 after a requested stop, 1 when the server failed to start or died on its own (its log tail goes to
    stderr).

    Parameters
    ----------
    workspace : str or pathlib.Path
        Workspace folder with ``mlflow.db``; the server log goes to ``DIR/logs/serve.log``.
    alias : str
        Alias to serve.
    port : int
        Port on 127.0.0.1; 0 picks a free one.
    name : str
        Registered-model name.
    echo : callable
        Prints the start-up lines (URL, ``curl`` example, log file).
    ready : callable or None
        Called with the started :class:`~mlops_edu.deployment.serving.ModelServer` (e.g. by tests).

    Returns
    -------
    int

    Raises
    ------
    WorkspaceError
        For a workspace that cannot be served or a port in use (nothing is started).
    """
    tracking_uri = workspace_store(workspace)
    version = resolve_alias(tracking_uri, alias, name)
    if port and not port_is_free(port):
        raise WorkspaceError(f"port {port} on 127.0.0.1 is in use: pass --port N (or --port 0 for a free one)")
    uri = model_uri(name, alias)
    root = Path(workspace).expanduser().resolve()
    server = ModelServer(uri, port=port or None, tracking_uri=tracking_uri, name=f"{name}@{alias}",
                         log_file=root / "logs" / "serve.log")
    stop = _StopFlag()
    with stop.installed():
        try:
            server.start()
        except ServerError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        try:
            echo(f"serving {uri} (version {version}) from {root}")
            echo(f"URL: {server.url}  (POST JSON to {server.invocations_url}; GET {server.url}/ping)")
            echo("try: " + curl_command(server.url, example_request(uri, tracking_uri)))
            echo(f"server log: {server.log_file}; stop with Ctrl+C")
            sys.stdout.flush()
            if ready is not None:
                ready(server)
            while server.alive and not stop.requested:
                time.sleep(0.2)
            if not stop.requested:
                print(f"error: the server stopped on its own. Last lines of its log:\n{server.log_tail()}",
                      file=sys.stderr)
                return 1
            echo(f"stopping ({stop.requested})")
            return 0
        finally:
            server.stop()


class _StopFlag:
    """Turns SIGINT/SIGTERM into a flag while installed (the previous handlers come back afterwards)."""

    def __init__(self) -> None:
        self.requested: str | None = None

    def _handle(self, signum: int, frame: Any) -> None:
        self.requested = signal.Signals(signum).name

    def installed(self) -> "_Installed":
        return _Installed(self)


class _Installed:
    def __init__(self, flag: _StopFlag) -> None:
        self.flag = flag
        self.saved: dict[int, Any] = {}

    def __enter__(self) -> _StopFlag:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.saved[sig] = signal.signal(sig, self.flag._handle)
        return self.flag

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)
