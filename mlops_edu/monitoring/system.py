"""System signals of the scoring server: requests, errors, latency, CPU and memory per window.

The pipeline overview's monitoring stage lists "system resource monitoring" beside model and data drift:
a model that drifts and a server that is slow or failing both cost money, and both should raise an
alert through the same rules (:mod:`mlops_edu.monitoring.alerts`). The request side comes from the
server's own JSON-lines log (:class:`~mlops_edu.monitoring.service.ScoringService` writes one line per
request); CPU and memory come from the operating system through ``psutil``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SYSTEM_SIGNALS = ("requests", "error_rate", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms")


def read_request_log(path: str | Path) -> pd.DataFrame:
    """The server's request log as a frame: ``t`` (seconds), ``path``, ``batch``, ``rows``, ``status``,
    ``latency_ms`` (an incomplete last line, from a crash mid-write, is skipped).

    Parameters
    ----------
    path : str or pathlib.Path
        The JSON-lines log (every line that is not valid JSON is skipped).

    Returns
    -------
    pandas.DataFrame
        Empty, with these columns, when no line is readable.
    """
    records = []
    for line in Path(path).read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    columns = ["t", "path", "batch", "rows", "status", "latency_ms"]
    return pd.DataFrame(records, columns=columns) if records else pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class Window:
    """A named span of traffic and what the server process used during it."""

    name: str
    start: float
    end: float
    cpu_percent: float
    memory_mb: float


def send_window(service: Any, name: str, frames: Sequence[pd.DataFrame]) -> Window:
    """Send each frame as one scoring request (batch ids ``<name>-<i>``); measure the server's CPU (percent of
    one core over the window) and memory (MB at the end). Refused requests are part of the traffic.

    Parameters
    ----------
    service : ScoringService
        A running :class:`~mlops_edu.monitoring.service.ScoringService` (its ``score`` and ``pid``).
    name : str
        Window name.
    frames : sequence of pandas.DataFrame
        One request each.

    Returns
    -------
    Window
    """
    start, cpu_before = time.time(), cpu_seconds(service.pid)
    for i, frame in enumerate(frames):
        service.score(f"{name}-{i}", frame)
    end = time.time()
    cpu = 100 * (cpu_seconds(service.pid) - cpu_before) / max(end - start, 1e-9)
    return Window(name, start, end, cpu, process_signals(service.pid, interval=0.0)["memory_mb"])


def label_windows(requests: pd.DataFrame, windows: Sequence[Window]) -> pd.DataFrame:
    """Tag each request with the window whose time span holds it (requests outside every window are dropped).

    Parameters
    ----------
    requests : pandas.DataFrame
        From :func:`read_request_log` (uses ``t``).
    windows : sequence of Window
        Spans ``start`` .. ``end`` (inclusive).

    Returns
    -------
    pandas.DataFrame
        A copy with a ``window`` column.
    """
    out = requests.copy()
    out["window"] = None
    for w in windows:
        out.loc[(out["t"] >= w.start) & (out["t"] <= w.end), "window"] = w.name
    return out.dropna(subset=["window"])


def windows_table(log_path: str | Path, windows: Sequence[Window], path: str = "/score") -> pd.DataFrame:
    """Per window: the request signals of :func:`window_signals` from the server's log, plus CPU and memory.

    Parameters
    ----------
    log_path : str or pathlib.Path
        The server's request log.
    windows : sequence of Window
        From :func:`send_window`; rows come in this order.
    path : str
        Only requests to this endpoint count.

    Returns
    -------
    pandas.DataFrame
        Indexed by window: :data:`SYSTEM_SIGNALS`, ``cpu_percent`` and ``memory_mb``.
    """
    requests = read_request_log(log_path)
    table = window_signals(label_windows(requests[requests["path"] == path], windows), order=[w.name for w in windows])
    usage = pd.DataFrame({w.name: {"cpu_percent": w.cpu_percent, "memory_mb": w.memory_mb} for w in windows}).T
    return table.join(usage)


def window_signals(requests: pd.DataFrame, by: str = "window", order: Iterable[str] | None = None) -> pd.DataFrame:
    """Per window: request count, error rate (HTTP status >= 400) and latency percentiles in ms.

    Parameters
    ----------
    requests : pandas.DataFrame
        Requests with ``status``, ``latency_ms`` and the column ``by``.
    by : str
        Column naming the window.
    order : iterable of str, optional
        Row order (windows without requests become NaN rows).

    Returns
    -------
    pandas.DataFrame
        ``requests``, ``error_rate``, ``latency_p50_ms``, ``latency_p95_ms``, ``latency_p99_ms``.

    >>> log = pd.DataFrame({"window": ["a", "a", "b"], "status": [200, 500, 200], "latency_ms": [10., 30., 5.]})
    >>> window_signals(log)[["requests", "error_rate"]].to_dict("index")
    {'a': {'requests': 2.0, 'error_rate': 0.5}, 'b': {'requests': 1.0, 'error_rate': 0.0}}
    """
    def one(group: pd.DataFrame) -> pd.Series:
        lat = group["latency_ms"].to_numpy(float)
        return pd.Series({"requests": float(len(group)), "error_rate": float((group["status"] >= 400).mean()),
                          **{f"latency_p{q}_ms": float(np.percentile(lat, q)) for q in (50, 95, 99)}})

    table = pd.DataFrame({w: one(g) for w, g in requests.groupby(by, sort=False)}).T
    if order is not None:
        table = table.reindex(list(order))
    return table.rename_axis(by)


def process_signals(pid: int, interval: float = 0.2) -> dict[str, float]:
    """CPU (percent of one core, measured over ``interval`` seconds) and resident memory (MB) of a process.

    Parameters
    ----------
    pid : int
        Process id.
    interval : float
        Seconds to measure CPU over (blocks that long; with 0 the CPU reading is psutil's meaningless
        first value, as each call makes a new ``psutil.Process``).

    Returns
    -------
    dict of str to float
        ``cpu_percent`` and ``memory_mb``.
    """
    import psutil

    proc = psutil.Process(pid)
    cpu = proc.cpu_percent(interval=interval)
    return {"cpu_percent": float(cpu), "memory_mb": float(proc.memory_info().rss / 2**20)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (difference two readings for a window).

    Parameters
    ----------
    pid : int
        Process id.

    Returns
    -------
    float
    """
    import psutil

    times: Any = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)
