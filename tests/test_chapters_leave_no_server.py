"""Chapters that start scoring servers (03, 05) leave no process and no listening port behind."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from mlops_edu.deployment.serving import scoring_processes
from mlops_edu.workbook.runner import find_chapters, run_chapters

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook"
SERVING_CHAPTERS = [p for p in find_chapters(WORKBOOK) if p.name[:2] in ("03", "05")]


def _listening_ports(pids: list[int]) -> list[int]:
    ports = []
    for pid in pids:
        try:
            ports += [c.laddr.port for c in psutil.Process(pid).net_connections() if c.status == psutil.CONN_LISTEN]
        except psutil.NoSuchProcess:
            pass
    return ports


@pytest.mark.slow
@pytest.mark.parametrize("path", SERVING_CHAPTERS, ids=lambda p: p.stem)
def test_chapter_stops_every_server_it_started(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_EDU_HOME", __import__("os").environ.get("MLOPS_EDU_HOME", str(tmp_path)))  # restored after
    home = tmp_path / "home"
    home.mkdir()
    results = run_chapters([path], jobs=1, quick=True, fail_fast=True, home=home, results=tmp_path / "results",
                           write_back=False, echo=lambda *a, **k: None)
    assert [r.status for r in results] == ["ok"], [(r.cell, r.error) for r in results]
    left = scoring_processes(str(home))
    assert left == [], f"{path.name} left scoring servers running: {left} (ports {_listening_ports(left)})"
