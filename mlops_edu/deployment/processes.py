"""The scoring servers' child processes: their own process group, death with the parent, leftovers.

Serves :mod:`mlops_edu.deployment.serving` (lecture 5.2): a server is a process group (the CLI and its
uvicorn worker), stopped as one, and a test can prove that a chapter left none behind.
"""

from __future__ import annotations

import os
import signal
import subprocess


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM when the process that started it dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to the process group of ``proc`` (on Windows: terminate ``proc``); gone is fine."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, sig)
        else:  # pragma: no cover - Windows
            proc.terminate()
    except (ProcessLookupError, PermissionError):
        pass


def group_alive(pgid: int) -> bool:
    """True while a process of the process group ``pgid`` runs.

    Zombies do not count: they hold no port and no memory, and an orphaned uvicorn worker can stay a
    zombie for a second until the container's init reaps it (measured: the port is free after 0.09 s,
    the last zombie gone after 1.2 s).
    """
    if not hasattr(os, "killpg"):  # pragma: no cover - Windows
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    import psutil

    for proc in psutil.process_iter(["status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid:
                return True
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return False


def scoring_processes(home: str | None = None) -> list[int]:
    """Process ids of every ``mlflow models serve`` CLI or uvicorn scoring worker on this machine (any
    parent); with ``home``, only those whose environment has ``MLOPS_EDU_HOME == home`` (the servers a
    chapter or test run started). Used to prove that nothing was left behind."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if not any(mark in cmd for mark in ("models serve", "mlflow.models.cli", "mlflow.pyfunc.scoring_server")):
                continue
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if home is not None and proc.environ().get("MLOPS_EDU_HOME") != str(home):
                continue
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found.append(int(proc.info["pid"]))
    return sorted(found)
