"""Real-time inference: the real ``mlflow models serve`` scoring server on 127.0.0.1 (lecture 5.2).

Serves lecture section 5.2 ("real-time inferencing: a prediction per request, usually behind an API")
and the deployment stage of the ML pipeline overview ("REST API serving"). :class:`ModelServer` runs::

    mlflow models serve -m <model URI> --env-manager local -h 127.0.0.1 -p <port>

as a child process and owns it for its whole life. It enters that command through its own click group,
``mlflow.models.cli.commands`` (the group the ``mlflow`` script mounts as ``models``: same code, same
options), which skips importing MLflow's tracking server, AI assistant and SageMaker commands: 2.4 s of
the CLI's 4.7 s start-up on a 2-core machine, paid for every server a chapter starts.

* the child gets an **absolute** ``MLFLOW_TRACKING_URI`` (a relative ``sqlite:///mlflow.db`` would open
  an empty store in whatever folder the server starts in), this interpreter's ``bin`` first on ``PATH``
  (the CLI starts ``uvicorn`` by name) and its **own process group**, so stopping it stops the CLI and
  the uvicorn worker together;
* :meth:`ModelServer.start` waits for ``GET /ping`` with a timeout and fails fast, with the last lines of
  the server's log, when the process dies (a wrong URI, a missing alias, a port in use);
* :meth:`ModelServer.stop` always runs: use the server as a context manager; servers still running when
  the interpreter exits are stopped by an ``atexit`` hook, and on Linux the child also receives SIGTERM
  when its parent dies. No process or port is left behind.

The server resolves an alias such as ``models:/name@Champion`` **once, at start**: it downloads that
version and keeps serving it when the alias moves later (chapter 03 shows it).

Example
-------
>>> with ModelServer("models:/workbook.mlops.mlops_churn@Champion") as server:   # doctest: +SKIP
...     print(server.url)
http://127.0.0.1:54321
"""

from __future__ import annotations

import atexit
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Iterable, Sequence

from mlops_edu.deployment.processes import (  # noqa: F401 - scoring_processes stays importable from here
    die_with_parent, group_alive, scoring_processes, signal_group)

HOST = "127.0.0.1"
"""Servers only ever listen on the loopback interface."""
STARTUP_TIMEOUT = 120.0
"""Seconds :meth:`ModelServer.start` waits for ``/ping`` before giving up (start-up takes ~3-8 s)."""
STOP_TIMEOUT = 5.0
"""Seconds :meth:`ModelServer.stop` waits after SIGTERM before it sends SIGKILL."""
UNSET = ""
"""Pass ``tracking_uri=UNSET`` to start a server *without* a tracking URI (the mistake chapter 03 shows)."""

_LIVE: "set[ModelServer]" = set()


class ServerError(RuntimeError):
    """The scoring server could not start (or died); the message ends with the tail of its log."""


# --------------------------------------------------------------------------------------------------
# Ports and URIs
# --------------------------------------------------------------------------------------------------

def free_port(host: str = HOST) -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it).

    >>> 1024 <= free_port() <= 65535
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = HOST) -> bool:
    """True when nothing listens on ``host:port``: a server could bind it now (``SO_REUSEADDR``, as
    servers do, so connections of a stopped server lingering in TIME_WAIT do not count).

    >>> port_is_free(free_port())
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, int(port)))
        except OSError:
            return False
    return True


def absolute_tracking_uri(uri: str) -> str:
    """``uri`` with a relative SQLite or file path made absolute (other URIs are returned unchanged).

    >>> absolute_tracking_uri("http://127.0.0.1:5000")
    'http://127.0.0.1:5000'
    >>> absolute_tracking_uri("sqlite:///mlflow.db").startswith("sqlite:////")
    True
    """
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return "sqlite:///" + Path(uri[len("sqlite:///"):]).resolve().as_posix()
    if uri.startswith("file:") or "://" in uri:
        return uri
    return Path(uri).resolve().as_uri()


def _current_tracking_uri() -> str:
    import mlflow

    return absolute_tracking_uri(mlflow.get_tracking_uri())


SERVE_ENTRY = "import sys; from mlflow.models.cli import commands; sys.exit(commands(prog_name='mlflow models'))"
"""``python -c SERVE_ENTRY serve ...`` runs ``mlflow models serve ...`` without the rest of MLflow's CLI."""


def serve_command(model_uri: str, port: int, host: str = HOST) -> list[str]:
    """The command line of the scoring server: ``mlflow models serve`` run by this interpreter.

    >>> serve_command("models:/m@Champion", 5001)[-9:]
    ['serve', '-m', 'models:/m@Champion', '--env-manager', 'local', '-h', '127.0.0.1', '-p', '5001']
    """
    return [sys.executable, "-c", SERVE_ENTRY, "serve", "-m", model_uri, "--env-manager", "local", "-h", host,
            "-p", str(int(port))]


def server_env(tracking_uri: str | None, tmpdir: str | None = None) -> dict[str, str]:
    """The child's environment: this one, plus an absolute tracking URI (``UNSET``: none at all), this
    interpreter's ``bin`` first on ``PATH``, quiet progress bars and telemetry off."""
    env = dict(os.environ)
    for key in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        env.pop(key, None)
    if tracking_uri != UNSET:
        uri = absolute_tracking_uri(tracking_uri) if tracking_uri else _current_tracking_uri()
        env["MLFLOW_TRACKING_URI"] = env["MLFLOW_REGISTRY_URI"] = uri
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update({"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "TQDM_DISABLE": "1",
                "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "PYTHONUNBUFFERED": "1"})
    if tmpdir:
        env["TMPDIR"] = env["TEMP"] = env["TMP"] = tmpdir
    return env


def ping(url: str, timeout: float = 1.0) -> bool:
    """True when ``GET <url>/ping`` answers 200."""
    host, _, port = url.split("://", 1)[-1].partition(":")
    conn = http.client.HTTPConnection(host, int(port.rstrip("/")), timeout=timeout)
    try:
        conn.request("GET", "/ping")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _default_log_folder() -> Path:
    try:
        from mlops_edu.workbook.config import current_workspace

        return current_workspace().logs
    except RuntimeError:
        return Path(tempfile.gettempdir())


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------

class ModelServer:
    """``mlflow models serve`` for one model URI on 127.0.0.1, started and always stopped by this object.

    Parameters
    ----------
    model_uri : str
        What to serve: ``models:/name@Champion``, ``models:/name/3``, ``models:/m-...``, a run URI or a
        local model folder.
    port : int, optional
        Port to listen on; default a free port picked by the OS.
    tracking_uri : str, optional
        Store the child resolves ``models:/`` URIs against; default the current MLflow tracking URI,
        made absolute. :data:`UNSET` starts the child without one (MLflow then opens ``./mlflow.db``).
    log_file : path, optional
        Where the server's stdout and stderr go; default ``<workspace>/logs/serve-<port>.log``.
    cwd : path, optional
        Working directory of the child (default: this process's).
    startup_timeout : float
        Seconds to wait for ``/ping``.
    name : str, optional
        A label for messages and tables (e.g. ``"blue"``).
    """

    def __init__(self, model_uri: str, *, port: int | None = None, tracking_uri: str | None = None,
                 log_file: str | Path | None = None, cwd: str | Path | None = None,
                 startup_timeout: float = STARTUP_TIMEOUT, name: str | None = None) -> None:
        self.model_uri = str(model_uri)
        self.host = HOST
        self.port = int(port) if port else free_port(HOST)
        self.tracking_uri = tracking_uri
        self.cwd = Path(cwd) if cwd else None
        self.startup_timeout = float(startup_timeout)
        self.name = name or self.model_uri
        self.log_file = Path(log_file) if log_file else _default_log_folder() / f"serve-{self.port}.log"
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen | None = None
        self._log = None
        self._tmp: str | None = None
        self._started_at = 0.0

    # -- properties --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    @property
    def invocations_url(self) -> str:
        """``http://127.0.0.1:<port>/invocations``: POST JSON (``dataframe_split`` or ``dataframe_records``)."""
        return f"{self.url}/invocations"

    @property
    def pid(self) -> int | None:
        """Process id of the ``mlflow models serve`` process (also its process-group id)."""
        return self._proc.pid if self._proc else None

    @property
    def alive(self) -> bool:
        """True while the server process runs."""
        return self._proc is not None and self._proc.poll() is None

    def __repr__(self) -> str:
        state = "running" if self.alive else "stopped"
        return f"ModelServer({self.name!r}, {state})"

    # -- life cycle --------------------------------------------------------------------------------
    def start(self, wait: bool = True) -> "ModelServer":
        """Start the server; with ``wait`` block until ``/ping`` answers (see :meth:`wait_ready`)."""
        if self._proc is not None:
            raise ServerError(f"{self.name}: already started")
        if not port_is_free(self.port, self.host):
            raise ServerError(f"{self.name}: port {self.port} on {self.host} is already in use")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = tempfile.mkdtemp(prefix=f"serve-{self.port}-", dir=self.log_file.parent)
        self._log = open(self.log_file, "wb")
        self._started_at = time.perf_counter()
        self._proc = subprocess.Popen(
            serve_command(self.model_uri, self.port, self.host), stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, env=server_env(self.tracking_uri, self._tmp),
            cwd=self.cwd, start_new_session=True,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None)
        _LIVE.add(self)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float | None = None) -> float:
        """Block until ``/ping`` answers; returns the seconds since :meth:`start`.

        Raises :class:`ServerError` (and stops the server) when the process dies or the timeout passes.
        """
        if self._proc is None:
            raise ServerError(f"{self.name}: not started")
        deadline = self._started_at + (self.startup_timeout if timeout is None else float(timeout))
        while True:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self.stop()
                raise ServerError(f"{self.name}: the server exited with code {code} before answering "
                                  f"/ping. Last lines of its log:\n{self.log_tail()}")
            if ping(self.url, timeout=0.5):
                self.startup_seconds = time.perf_counter() - self._started_at
                return self.startup_seconds
            if time.perf_counter() > deadline:
                self.stop()
                raise ServerError(f"{self.name}: no answer on {self.url}/ping within "
                                  f"{deadline - self._started_at:.0f} s. Last lines of its log:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the whole process group (SIGTERM, then SIGKILL after ``timeout``) and free the port.

        Safe to call twice; called by ``__exit__`` and, as a last resort, at interpreter exit.
        """
        proc, self._proc = self._proc, None
        _LIVE.discard(self)
        if proc is not None:
            signal_group(proc, signal.SIGTERM)
            deadline = time.perf_counter() + timeout
            while (proc.poll() is None or group_alive(proc.pid)) and time.perf_counter() < deadline:
                time.sleep(0.02)
            signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))  # whatever ignored SIGTERM
            proc.wait(timeout=timeout)
            while not port_is_free(self.port, self.host) and time.perf_counter() < deadline + timeout:
                time.sleep(0.02)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def log_tail(self, lines: int = 15) -> str:
        """The last ``lines`` lines of the server's log (progress bars dropped)."""
        if not self.log_file.exists():
            return "(no log)"
        text = self.log_file.read_text(encoding="utf-8", errors="replace").replace("\r", "\n")
        kept = [line for line in text.splitlines() if line.strip() and "Downloading artifacts" not in line]
        return "\n".join(deque(kept, maxlen=lines))

    def __enter__(self) -> "ModelServer":
        if self._proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_servers(servers: Iterable[ModelServer]) -> list[ModelServer]:
    """Start several servers at once and wait for all of them (start-up costs overlap).

    If one fails, every server of the list is stopped and the :class:`ServerError` is raised.
    """
    servers = list(servers)
    try:
        for server in servers:
            server.start(wait=False)
        for server in servers:
            server.wait_ready()
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: Sequence[ModelServer] | None = None) -> int:
    """Stop the given servers (default: every server this process started and did not stop yet).

    Returns how many were running.
    """
    targets = list(_LIVE if servers is None else servers)
    running = sum(1 for s in targets if s.alive)
    for server in targets:  # all shut down at once: one wait instead of one per server
        if server.alive:
            signal_group(server._proc, signal.SIGTERM)
    for server in targets:
        server.stop()
    return running


def running_servers() -> list[ModelServer]:
    """The servers this process started and has not stopped yet."""
    return sorted((s for s in _LIVE if s.alive), key=lambda s: s.port)


atexit.register(stop_servers)
