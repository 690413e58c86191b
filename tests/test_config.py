"""setup_chapter and record: isolated workspace, absolute MLflow URI, quiet logs, seeds, nothing lost."""

import json
import random
from pathlib import Path

import numpy as np
import pytest

import mlops_edu
from mlops_edu.workbook import record, setup_chapter, use_experiment
from mlops_edu.workbook.config import HOME_ENV, RECORD_ENV, workspace_home


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    monkeypatch.delenv(RECORD_ENV, raising=False)
    return tmp_path


def test_workspace_lives_under_home_with_absolute_sqlite_uri(home):
    ws = setup_chapter("2", seed=1)
    assert ws.chapter == "02"
    assert ws.root == home / "workspaces" / "02"
    assert ws.tracking_uri == f"sqlite:///{home}/workspaces/02/mlflow.db"
    assert ws.tracking_uri.startswith("sqlite:////")
    for folder in (ws.artifacts, ws.lake, ws.logs):
        assert folder.is_dir()
    import mlflow

    assert mlflow.get_tracking_uri() == ws.tracking_uri
    experiment = mlflow.get_experiment_by_name("chapter-02")
    assert experiment.artifact_location.startswith(ws.artifacts.as_uri())


def test_repr_and_ui_command_show_no_machine_path(home):
    ws = setup_chapter("03")
    assert str(home) not in repr(ws)
    assert "root='workspaces/03'" in repr(ws)
    assert ws.mlflow_ui_command() == "mlflow ui --backend-store-uri sqlite:///workspaces/03/mlflow.db --port 5000"


def test_rerun_keeps_previous_workspace_and_its_runs(home):
    import mlflow

    setup_chapter("04")
    with mlflow.start_run(run_name="first"):
        mlflow.log_metric("f1", 0.5)
    ws = setup_chapter("04")
    assert mlflow.search_runs().empty, "a re-run starts from an empty store"
    previous = list((ws.root.parent / ".previous").glob("04-*"))
    assert len(previous) == 1 and (previous[0] / "mlflow.db").exists()
    mlflow.set_tracking_uri(f"sqlite:///{previous[0] / 'mlflow.db'}")
    assert mlflow.search_runs(search_all_experiments=True)["tags.mlflow.runName"].tolist() == ["first"]


def test_chapter_writes_nothing_to_stderr(home, capfd):
    import logging

    import mlflow

    ws = setup_chapter("05")  # first run: MLflow creates its tables (it logs that at INFO)
    with mlflow.start_run(run_name="quiet"):
        mlflow.log_param("p", 1)
    logging.getLogger("mlflow.tracking").warning("this goes to the chapter log")
    out, err = capfd.readouterr()
    assert err == ""
    assert "this goes to the chapter log" in (ws.logs / "chapter.log").read_text()


def test_seeds_make_draws_repeatable(home):
    setup_chapter("06", seed=7)
    first = (random.random(), np.random.rand())
    setup_chapter("06", seed=7)
    assert (random.random(), np.random.rand()) == first


def test_use_experiment_puts_artifacts_in_the_workspace(home):
    import mlflow

    ws = setup_chapter("07")
    experiment_id = use_experiment("tuning/grid")
    experiment = mlflow.get_experiment(experiment_id)
    assert experiment.name == "tuning/grid"
    assert experiment.artifact_location == (ws.artifacts / "tuning_grid").as_uri()
    assert use_experiment("tuning/grid") == experiment_id  # idempotent


def test_record_converts_numpy_and_rounds(home):
    ws = setup_chapter("08")
    record("f1", np.float64(0.612345678))
    record("counts", {"grid": np.int64(4), "tpe": [1, 2.0000001]})
    data = json.loads((ws.root / "records.json").read_text())
    assert data == {"f1": 0.612346, "counts": {"grid": 4, "tpe": [1, 2.0]}}


def test_record_writes_to_the_runner_file(home, monkeypatch, tmp_path):
    target = tmp_path / "records.json"
    monkeypatch.setenv(RECORD_ENV, str(target))
    setup_chapter("09")
    record("promoted", True)
    assert json.loads(target.read_text()) == {"promoted": True}


def test_record_rejects_what_json_cannot_hold(home):
    setup_chapter("10")
    with pytest.raises(TypeError, match="record\\(\\): value of type object"):
        record("bad", object())
    with pytest.raises(ValueError, match="non-empty string"):
        record("", 1)


def test_workspace_home_defaults_to_the_repository(monkeypatch):
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.chdir(Path(mlops_edu.__file__).parents[1] / "workbook")
    assert workspace_home() == Path(mlops_edu.__file__).parents[1]


def test_a_given_root_is_used_as_is_and_kept(tmp_path):
    import mlflow

    job = tmp_path / "job"
    ws = setup_chapter("09", root=job, experiment="lab")
    with mlflow.start_run(run_name="first"):
        pass
    again = setup_chapter("09", root=job, experiment="lab")
    assert again.root == ws.root == job.resolve()
    assert mlflow.search_runs()["tags.mlflow.runName"].tolist() == ["first"], "a job's workspace keeps its runs"
    assert not (job.parent / ".previous").exists()


def test_new_store_is_copied_from_a_migrated_template(home, monkeypatch, tmp_path):
    import mlflow

    monkeypatch.setenv("MLOPS_EDU_TEMPLATE_DIR", str(tmp_path / "template"))
    ws = setup_chapter("01")
    template = tmp_path / "template" / f"mlflow-{mlflow.__version__}.db"
    assert template.exists()
    assert mlflow.get_experiment("0").artifact_location == (ws.artifacts / "Default").as_uri()
    with mlflow.start_run(run_name="from-template"):
        mlflow.log_metric("f1", 0.5)
    client = mlflow.MlflowClient()
    client.create_registered_model("workbook.mlops.demo")
    assert [m.name for m in client.search_registered_models()] == ["workbook.mlops.demo"]
    assert len(list(tmp_path.joinpath("template").iterdir())) == 1, "no temporary files are left behind"


def test_mlflow_private_names_exist():
    """config._release_mlflow_stores relies on these private MLflow names (no public way to close a store):
    an MLflow upgrade that renames them must fail here, not silently keep writing into a moved database."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    for store in (TrackingStore, RegistryStore):
        assert isinstance(store._engine_map, dict)
        assert hasattr(store._engine_map_lock, "__enter__")
    for registry in (tracking_utils._tracking_store_registry, registry_utils._model_registry_store_registry):
        assert callable(type(registry)._get_store_with_resolved_uri.cache_clear)


def test_set_up_twice_writes_into_the_new_store(tmp_path, monkeypatch):
    import mlflow

    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    setup_chapter("98", seed=1)
    with mlflow.start_run(run_name="first"):
        pass
    ws = setup_chapter("98", seed=1)
    with mlflow.start_run(run_name="second"):
        pass
    names = mlflow.search_runs(search_all_experiments=True)["tags.mlflow.runName"].tolist()
    assert names == ["second"]
    assert ws.mlflow_db.exists()
