"""mlops_edu.deployment.serving and .client against the real `mlflow models serve` on 127.0.0.1.

One server is started for the module (start-up costs seconds) and stopped by the last test, which checks that
no process and no port is left behind. Tests without a server come first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
from _lab_helpers import FEATURES, log_tiny, tiny_data

from mlops_edu.deployment import registry
from mlops_edu.deployment.client import (BadRequest, InputError, ScoringClient, check_frame, classify, probe,
                                         to_payload)
from mlops_edu.deployment.serving import (UNSET, ModelServer, ServerError, absolute_tracking_uri, free_port,
                                          SERVE_ENTRY, port_is_free, running_servers, scoring_processes, serve_command,
                                          server_env, stop_servers)

NAME = "workbook.mlops.test_serving"
JSON = "application/json"


# --------------------------------------------------------------------------------------------------
# Without a server
# --------------------------------------------------------------------------------------------------

def test_child_environment_has_an_absolute_store_and_this_interpreter_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = server_env("sqlite:///mlflow.db")
    assert env["MLFLOW_TRACKING_URI"] == f"sqlite:///{(tmp_path / 'mlflow.db').resolve().as_posix()}"
    assert env["MLFLOW_REGISTRY_URI"] == env["MLFLOW_TRACKING_URI"]
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert "MLFLOW_TRACKING_URI" not in server_env(UNSET)
    assert absolute_tracking_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    command = serve_command("models:/m@Champion", 5123)
    assert command[-8:] == ["-m", "models:/m@Champion", "--env-manager", "local", "-h", "127.0.0.1", "-p", "5123"]
    assert command[0] == sys.executable


def test_serve_command_enters_the_real_mlflow_models_serve():
    """The entry point is the very click command the `mlflow` script runs as `mlflow models serve`: if an
    MLflow upgrade moves it, this fails instead of the servers quietly running something else."""
    import click.testing
    import mlflow.cli
    import mlflow.models.cli

    assert mlflow.cli.cli.commands["models"] is mlflow.models.cli.commands
    command = serve_command("models:/m@Champion", 5123)
    assert command[1:3] == ["-c", SERVE_ENTRY] and command[3] == "serve"
    help_text = click.testing.CliRunner().invoke(mlflow.models.cli.commands, ["serve", "--help"]).output
    assert "--env-manager" in help_text and "Usage: " in help_text


def test_ports():
    port = free_port()
    assert port_is_free(port)
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert not port_is_free(port)
    assert port_is_free(port)


def test_payload_keeps_every_digit_and_nulls():
    frame = pd.DataFrame({"x": [0.1 + 0.2, float("nan")], "s": pd.Series(["a", None], dtype="string"), "n": [1, 2]})
    body = json.loads(json.dumps(to_payload(frame)))
    assert body["dataframe_split"]["columns"] == ["x", "s", "n"]
    assert body["dataframe_split"]["data"] == [[0.30000000000000004, "a", 1], [None, None, 2]]
    assert json.loads(json.dumps(to_payload(frame, "records")))["dataframe_records"][0] == {
        "x": 0.30000000000000004, "s": "a", "n": 1}


@pytest.mark.parametrize("status, message, problem", [
    (400, "Invalid input. Ensure that input is a valid JSON formatted string. Error: 'x'\nInput: \nb''\n", "empty body"),
    (400, "Invalid input. Ensure that input is a valid JSON formatted string. Error: 'x'\nInput: \nb'hello'\n", "not JSON"),
    (400, "The input must be a JSON dictionary with exactly one of the input fields {'a'}. Received dictionary "
          "with input fields: ['dataframe_split', 'dataframe_records'].", "two input keys"),
    (400, "Failed to predict data 'x'. \nError: Model is missing inputs ['tenure'].", "missing column"),
    (400, "Invalid input. Failed to convert column tenure to type 'int64'. Error: 'ValueError(abc)'", "wrong type"),
    (415, "This predictor only supports the following content types", "unsupported content type"),
])
def test_server_messages_are_named(status, message, problem):
    named, detail = classify(status, message)
    assert named == problem
    assert "Failed to predict data" not in detail and "Input:" not in detail


def _telco_signature():
    from mlflow.models import infer_signature

    from mlops_edu.data import make_customers
    from mlops_edu.training import split_xy

    X, _ = split_xy(make_customers(50, seed=0))
    return infer_signature(X, np.zeros(len(X), dtype=int)), X


def test_client_checks_what_the_server_lets_through():
    signature, X = _telco_signature()
    check_frame(X.head(3), signature)                                  # exact columns and types pass
    check_frame(X.head(3).assign(customerID=["a", "b", "c"]), signature)  # the id is allowed, never sent
    cases = {"extra column": X.head(1).assign(coupon="X"),
             "wrong type": X.head(1).assign(MonthlyCharges=70),        # int where the signature says double
             "unknown category": X.head(1).assign(PaymentMethod="Crypto wallet"),
             "missing column": X.head(1).drop(columns="tenure"),
             "empty input": X.head(0)}
    for problem, frame in cases.items():
        with pytest.raises(InputError) as caught:
            check_frame(frame, signature)
        assert caught.value.problem == problem, (problem, str(caught.value))


# --------------------------------------------------------------------------------------------------
# One real server for the rest of the module
# --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """v1 (@Champion) and v2 (shuffled labels) of a tiny model in an isolated store; a server for @Champion."""
    home = tmp_path_factory.mktemp("serving")
    saved = os.environ.get("MLOPS_EDU_HOME")
    os.environ["MLOPS_EDU_HOME"] = str(home)
    from mlops_edu import setup_chapter

    ws = setup_chapter("98", seed=0)
    X, y = tiny_data(300, seed=0)
    v1 = registry.register(log_tiny(X, y, run_name="v1"), NAME, description="tiny model v1", alias=registry.CHAMPION)
    registry.register(log_tiny(X, y, run_name="v2", shuffle_labels=True), NAME, description="tiny model v2", alias=None)
    uri = registry.model_uri(NAME, registry.CHAMPION)
    server = ModelServer(uri, name="test").start()
    yield {"server": server, "uri": uri, "X": X, "ws": ws, "v1": int(v1.version), "home": str(home)}
    server.stop()
    if saved is None:
        os.environ.pop("MLOPS_EDU_HOME", None)
    else:
        os.environ["MLOPS_EDU_HOME"] = saved


def test_served_equals_in_process(served):
    import mlflow

    X = served["X"]
    with ScoringClient.for_model(served["server"].url, served["uri"]) as client:
        answers = client.predict(X)                        # customerID is dropped by the client
    expected = np.asarray(mlflow.pyfunc.load_model(served["uri"]).predict(X[FEATURES]))
    assert answers.shape == (len(X),) and (answers == expected).all()


def test_bad_requests_get_400_named_errors_and_the_server_keeps_serving(served):
    one = served["X"][FEATURES].head(1)
    good = to_payload(one)
    cases = {
        "missing column": (to_payload(one.drop(columns="score")), JSON),
        "wrong type": (to_payload(one.assign(score="high")), JSON),
        "not JSON": (b"score=1", JSON),
        "empty body": (b"", JSON),
        "two input keys": ({**good, "dataframe_records": []}, JSON),
        "no input key": ({"rows": good["dataframe_split"]}, JSON),
        "not a JSON object": ([good], JSON),
        "malformed dataframe_split": ({"dataframe_split": {"columns": ["score"], "data": [[1, 2]]}}, JSON),
        "empty input": ({"dataframe_records": []}, JSON),
    }
    with ScoringClient(served["server"].url) as client:
        table = probe(client, cases)
        assert (table["HTTP"] == 400).all(), table
        assert table["problem"].tolist() == list(cases), table
        assert table["server still serving"].all()
        with pytest.raises(BadRequest, match=r"missing column \(HTTP 400, Model is missing inputs \['score'\]"):
            client.post(cases["missing column"][0])
        assert probe(client, {"plain text": (b"{}", "text/plain")})["HTTP"].tolist() == [415]
        assert client.post(good)["predictions"] in ([0], [1])   # still serving after all of them


def test_the_server_accepts_silently_what_the_client_refuses(served):
    one = served["X"][FEATURES].head(1)
    with ScoringClient(served["server"].url) as raw, ScoringClient.for_model(served["server"].url, served["uri"]) as checked:
        assert raw.post(to_payload(one.assign(extra=1)))["predictions"] == raw.post(to_payload(one))["predictions"]
        with pytest.raises(InputError, match="extra column"):
            checked.predict(one.assign(extra=1))


def test_an_alias_is_resolved_once_at_start(served):
    import mlflow

    X = served["X"][FEATURES]
    v1 = np.asarray(mlflow.pyfunc.load_model(registry.model_uri(NAME, version=1)).predict(X))
    v2 = np.asarray(mlflow.pyfunc.load_model(registry.model_uri(NAME, version=2)).predict(X))
    assert (v1 != v2).any()
    registry.set_alias(registry.CHAMPION, 2, NAME)
    try:
        with ScoringClient(served["server"].url) as client:
            assert (client.predict(X) == v1).all()           # the running server still serves version 1
    finally:
        registry.set_alias(registry.CHAMPION, 1, NAME)


def test_a_server_that_cannot_start_fails_fast_with_its_log(served, tmp_path):
    start = time.perf_counter()
    with pytest.raises(ServerError, match=r"exited with code \d+ before answering /ping(.|\n)*not found"):
        ModelServer(registry.model_uri(NAME, "NoSuchAlias"), startup_timeout=120).start()
    assert time.perf_counter() - start < 60
    # another folder without a tracking URI: MLflow opens ./mlflow.db there, empty
    with pytest.raises(ServerError, match="not found"):
        ModelServer(served["uri"], tracking_uri=UNSET, cwd=tmp_path).start()
    assert (tmp_path / "mlflow.db").is_file()
    assert running_servers() == [served["server"]]


def test_cli_serve_prints_the_url_and_stops_on_sigterm(served):
    ws = served["ws"]
    X = served["X"][FEATURES]
    env = {**os.environ, "MLOPS_EDU_HOME": served["home"]}
    proc = subprocess.Popen([sys.executable, "-m", "mlops_edu", "serve", "--workspace", str(ws.root), "--port", "0",
                             "--model", NAME], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        while not any(line.startswith("try: curl") for line in lines):
            line = proc.stdout.readline()
            assert line, f"serve exited early: {proc.stderr.read()}"
            lines.append(line)
        url = next(line for line in lines if line.startswith("URL:")).split()[1]
        assert url.startswith("http://127.0.0.1:")
        assert "version 1" in lines[0]
        with ScoringClient(url) as client:
            assert (client.predict(X.head(5)) >= 0).all()
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert "stopping (SIGTERM)" in proc.stdout.read()
        assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
        assert port_is_free(int(url.rsplit(":", 1)[1]))
    finally:
        if proc.poll() is None:
            proc.kill()


def test_cli_serve_refuses_what_it_cannot_serve(served, tmp_path, capsys):
    from mlops_edu.__main__ import main

    assert main(["serve", "--workspace", str(tmp_path)]) == 2
    assert "no MLflow store" in capsys.readouterr().err
    assert main(["serve", "--workspace", str(served["ws"].root), "--model", NAME, "--alias", "champion"]) == 2
    assert "did you mean 'Champion'" in capsys.readouterr().err


def test_stop_leaves_no_process_and_no_port(served):
    """Last test of the module: stopping ends the whole process group and frees the port."""
    server = served["server"]
    group = [server.pid] + [c.pid for c in psutil.Process(server.pid).children(recursive=True)]
    assert len(group) >= 2                                   # the mlflow CLI and its uvicorn worker
    server.stop()
    assert not server.alive and port_is_free(server.port)
    assert not [pid for pid in group if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert running_servers() == [] and stop_servers() == 0
    assert scoring_processes(served["home"]) == []
