"""Test session set-up: chapter workspaces of the test run (nbval kernels included) go to a temp folder,
so `pytest` never touches a user's workspaces/ and never archives their runs; with pytest-xdist (the
default, see pyproject.toml) every worker has a folder of its own inside it."""

import os
import shutil
import tempfile

import pytest

from mlops_edu.workbook.config import HOME_ENV, TEMPLATE_ENV

_created: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(HOME_ENV):
        home = tempfile.mkdtemp(prefix="mlops-edu-test-")
        _created.append(home)
        os.environ[HOME_ENV] = home  # inherited by the kernels nbval starts (and by pytest-xdist workers)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        # each worker its own workspaces: two workers must never set up (and move aside) the same chapter
        home = os.path.join(os.environ[HOME_ENV], f"xdist-{worker}")
        os.makedirs(home, exist_ok=True)
        os.environ[HOME_ENV] = home
    if not os.environ.get(TEMPLATE_ENV):
        # one migrated MLflow database for the whole session, also for tests that set their own home
        os.environ[TEMPLATE_ENV] = os.path.join(os.environ[HOME_ENV], "template")


def pytest_unconfigure(config: pytest.Config) -> None:
    for home in _created:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    """Names the package's docstring examples use without importing them (run by --doctest-modules)."""
    import numpy as np
    import pandas as pd

    from mlops_edu.data import make_customers

    doctest_namespace.update(np=np, pd=pd, make_customers=make_customers)
