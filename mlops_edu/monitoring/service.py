"""A small scoring server with its own request log, for system monitoring and chaos tests (lecture 5.3, 8).

The pipeline overview's monitoring row lists "system resource monitoring" next to model and data drift,
and level 3 of the maturity model (section 8) asks that production survive deliberate faults (Netflix's
Chaos Monkey). Both need a server whose behaviour we can observe and break. :class:`ScoringService`:

* runs in a child process on 127.0.0.1 (an ephemeral port), forked from the caller so that the fitted
  model is not reloaded (spawned, with the model pickled, where fork does not exist);
* ``POST /score`` with a JSON body ``{"batch": id, "columns": [...], "data": [[...], ...]}`` scores the rows
  and writes ``<outbox>/<batch>.csv`` atomically (temporary file + rename). A batch id whose output exists
  is answered ``"duplicate"`` and not scored again: retrying is always safe (idempotent writes);
* writes one JSON line per request to its log (time, path, batch, rows, HTTP status, latency in ms):
  what :mod:`mlops_edu.monitoring.system` turns into request counts, error rates and latency percentiles;
* has fault hooks for chaos tests: ``crash_after=k`` makes the process die (``os._exit``) right after
  writing its k-th new output and before answering, the worst moment for a client; ``POST /chaos``
  with ``{"slow_ms": 150}`` makes every later request slower.

:func:`score_batches` is the client side of the closed loop: it sends each batch, restarts a dead server
and retries unanswered batches, so that no batch is lost and none is scored twice.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PROBABILITY = "churn_probability"
PREDICTION = "predictions"


class ServiceError(RuntimeError):
    """The scoring service did not start or could not score a batch after every retry."""


def _frame_payload(batch: str, frame: pd.DataFrame) -> bytes:
    body = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
    return json.dumps({"batch": str(batch), "columns": body["columns"], "data": body["data"]}).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # the service writes its own JSON log
        return

    def _reply(self, status: int, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._reply(200, {"status": "ok"}) if self.path == "/health" else self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        start = time.perf_counter()
        batch, rows, status = None, 0, 500
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path == "/chaos":
                self.server.slow_ms = float(body.get("slow_ms", 0))
                status, payload = 200, {"slow_ms": self.server.slow_ms}
            elif self.path == "/score":
                batch = str(body["batch"])
                status, payload = self.server.score(batch, pd.DataFrame(body["data"], columns=body["columns"]))
                rows = int(payload.get("rows", 0))
            else:
                status, payload = 404, {"error": "not found"}
        except (KeyError, ValueError, TypeError) as error:
            status, payload = 400, {"error": f"{type(error).__name__}: {error}"}
        if self.server.slow_ms:
            time.sleep(self.server.slow_ms / 1000)
        self.server.log({"t": round(time.time(), 6), "path": self.path, "batch": batch, "rows": rows,
                         "status": status, "latency_ms": round((time.perf_counter() - start) * 1000, 3)})
        self._reply(status, payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, model: Any, columns: list[str], outbox: Path, log_path: Path, crash_after: int | None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.model, self.columns, self.outbox = model, columns, outbox
        self.crash_after, self.written, self.slow_ms = crash_after, 0, 0.0
        self._log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the life of the server
        self._lock = threading.Lock()

    def log(self, record: Mapping[str, Any]) -> None:
        with self._lock:
            self._log.write(json.dumps(record) + "\n")

    def score(self, batch: str, frame: pd.DataFrame) -> tuple[int, dict[str, Any]]:
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            return 400, {"error": f"missing input column(s) {missing}"}
        target = self.outbox / f"{batch}.csv"
        with self._lock:
            if target.exists():
                return 200, {"batch": batch, "rows": len(frame), "status": "duplicate"}
            proba = np.asarray(self.model.predict_proba(frame[self.columns]))
            decision = np.asarray(self.model.classes_)[np.argmax(proba, axis=1)].astype(int)  # = predict, one pass
            out = pd.DataFrame({"row": np.arange(len(frame)), PROBABILITY: proba[:, 1].round(6), PREDICTION: decision})
            tmp = target.with_suffix(".tmp")
            out.to_csv(tmp, index=False)
            os.replace(tmp, target)  # atomic: a reader sees no file or the whole file
            self.written += 1
            if self.crash_after is not None and self.written >= self.crash_after:
                os._exit(137)  # chaos: die after the write, before the answer
        return 200, {"batch": batch, "rows": len(frame), "status": "scored"}


def _serve(model: Any, columns: list[str], outbox: str, log_path: str, crash_after: int | None, conn: Any) -> None:
    server = _Server(model, columns, Path(outbox), Path(log_path), crash_after)
    conn.send(server.server_address[1])
    conn.close()
    server.serve_forever(poll_interval=0.05)


@dataclass
class ScoringService:
    """A scoring server in a child process (see the module docstring). Use as a context manager.

    Parameters
    ----------
    model : fitted estimator
        Anything with ``predict_proba`` and ``classes_`` on a frame of ``columns`` (e.g. a pipeline of
        :func:`mlops_edu.training.make_model`, or the raw model of a registry version).
    columns : list of str
        The model's input columns.
    outbox : Path
        Folder of the per-batch outputs.
    log_path : Path
        The JSON-lines request log (appended to; it survives restarts).
    crash_after : int, optional
        Chaos hook: the process dies right after writing this many new outputs.
    """

    model: Any
    columns: list[str]
    outbox: Path
    log_path: Path
    crash_after: int | None = None
    process: Any = None
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        """True while the child process runs."""
        return self.process is not None and self.process.is_alive()

    def start(self, timeout: float = 10.0) -> ScoringService:
        """Fork the server and wait until ``/health`` answers.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the port, and again for ``/health``.

        Returns
        -------
        ScoringService
            ``self``, running.

        Raises
        ------
        ServiceError
            When the child does not report its port or does not answer ``/health`` in time (it is stopped).
        """
        Path(self.outbox).mkdir(parents=True, exist_ok=True)
        # fork: the child shares the fitted model without reloading it; spawn where fork does not exist (Windows)
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        parent, child = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_serve, args=(self.model, list(self.columns), str(self.outbox),
                                                        str(self.log_path), self.crash_after, child), daemon=True)
        self.process.start()
        child.close()
        if not parent.poll(timeout):
            self.stop()
            raise ServiceError("the scoring service did not report its port")
        self.port = parent.recv()
        parent.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise ServiceError("the scoring service did not answer /health")

    def stop(self) -> None:
        """Terminate the child process (if it still runs) and wait for it."""
        if self.process is not None:
            if self.process.is_alive():
                self.process.terminate()
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(5)

    def kill(self) -> None:
        """SIGKILL the child process (what a crashing host does)."""
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(5)

    def __enter__(self) -> ScoringService:  # noqa: PYI034
        return self.start() if not self.alive() else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def post(self, path: str, payload: bytes, timeout: float = 30.0) -> tuple[int, dict[str, Any]]:
        """POST raw JSON bytes; returns (HTTP status, answer). Connection errors propagate (OSError).

        Parameters
        ----------
        path : str
            ``"/score"`` or ``"/chaos"``.
        payload : bytes
            JSON body.
        timeout : float
            Seconds to wait for the answer.

        Returns
        -------
        tuple of (int, dict)
            HTTP error answers are returned too, not raised.
        """
        request = urllib.request.Request(f"{self.url}{path}", data=payload,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def score(self, batch: str, frame: pd.DataFrame) -> tuple[int, dict[str, Any]]:
        """Send one batch to ``/score``.

        Parameters
        ----------
        batch : str
            Batch id (its output is ``<outbox>/<batch>.csv``).
        frame : pandas.DataFrame
            Rows to score, with the model's input columns.

        Returns
        -------
        tuple of (int, dict)
            As :meth:`post`; the answer has ``rows`` and ``status`` (``scored`` or ``duplicate``) on a 200.
        """
        return self.post("/score", _frame_payload(batch, frame))


def score_batches(service: ScoringService, batches: Mapping[str, pd.DataFrame], *, max_restarts: int = 3,
                  on_restart: Callable[[ScoringService], None] | None = None) -> pd.DataFrame:
    """Send every batch; when the server dies, restart it (with the chaos hook off) and retry.

    Returns one row per batch: ``batch``, ``rows``, ``status`` (``scored`` or ``duplicate``: answered by a
    server that had already written the output), ``attempts``. Raises :class:`ServiceError` after
    ``max_restarts`` restarts.

    Parameters
    ----------
    service : ScoringService
        A started service (it is restarted in place).
    batches : mapping of str to pandas.DataFrame
        ``{batch id: rows}``, sent in order.
    max_restarts : int
        Restarts allowed over all batches together.
    on_restart : callable or None
        Called with the service after each restart.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ServiceError
        When a batch is refused with an HTTP status other than 200, or after ``max_restarts`` restarts.
    """
    rows, restarts = [], 0
    for batch, frame in batches.items():
        attempts = 0
        while True:
            attempts += 1
            try:
                code, answer = service.score(batch, frame)
            except OSError:
                code, answer = None, {}
            if code == 200:
                rows.append({"batch": batch, "rows": int(answer["rows"]), "status": answer["status"],
                             "attempts": attempts})
                break
            if code is not None:
                raise ServiceError(f"batch {batch!r} refused with HTTP {code}: {answer.get('error')}")
            if restarts >= max_restarts:
                raise ServiceError(f"batch {batch!r}: the service died {restarts + 1} times")
            restarts += 1
            service.stop()
            service.crash_after = None
            service.start()
            if on_restart is not None:
                on_restart(service)
    return pd.DataFrame(rows)
