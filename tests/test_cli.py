"""``python -m mlops_edu lab``: the lab as a headless job and its contract.

Exit 0 and one strict JSON object; exit 2 for bad input with nothing written (checked before the
workspace is touched); exit 1 for a failure after something was written, naming the log with the traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _lab_helpers import TELCO_HEADER, write_generated_csv, write_telco_csv

from mlops_edu.__main__ import main


def _registered_models(workspace: Path) -> list[str]:
    if not (workspace / "mlflow.db").exists():
        return []
    import sqlite3

    with sqlite3.connect(workspace / "mlflow.db") as db:
        return [row[0] for row in db.execute("select name from registered_models")]


def _strict_loads(text: str) -> dict:
    def refuse(constant):
        raise AssertionError(f"not strict JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def test_cli_on_generated_data_prints_one_strict_json_object(tmp_path):
    workspace = tmp_path / "job"
    env = {**os.environ, "MLOPS_EDU_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "mlops_edu", "lab", "--workspace", str(workspace),
                           "--rows", "1500", "--seed", "1"], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    summary = _strict_loads(done.stdout)  # stdout is exactly one JSON object
    assert summary["rows_read"] == 1500 and summary["data"].startswith("generated")
    assert set(summary["test_metrics"]) == {"f1", "roc_auc", "precision", "recall"}
    assert summary["registered_model"]["name"] == "workbook.mlops.mlops_churn"
    assert summary["registered_model"]["version"] == 1
    baselines = summary["baselines"]
    assert baselines["no offers"] == 0.0 and baselines["best"] in ("no offers", "offers for everyone")
    assert summary["validation"]["f1_threshold"] is None and "metric_f1_passed" not in summary["validation"]["checks"]
    assert summary["validation"]["compared_with"] == f"{baselines['best']} (no model)"
    gain = summary["validation"]["gains"]["value_per_customer"]
    assert gain["n_resamples"] == 2000 and gain["seed"] == 1 and gain["low"] > 0
    assert summary["promoted"] is True and "first deploy" in summary["reason"]
    assert summary["aliases"] == {"Champion": 1}
    predictions = summary["predictions"]
    assert predictions["rows"] == summary["tables"]["mlops_churn_inference"]["rows"] > 0
    assert Path(predictions["path"]) == workspace / "lake" / "mlops_churn_predictions"
    assert (workspace / "mlflow.db").is_file() and not (tmp_path / "mlruns").exists()


def test_cli_on_a_telco_csv_then_the_same_job_again_is_refused(tmp_path, capsys):
    csv = tmp_path / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    blanks = write_generated_csv(csv, n=1500, seed=2)
    assert blanks > 0 and sum(1 for line in csv.read_text().splitlines()[1:] if line.split(",")[19] == " ") == blanks
    workspace = tmp_path / "job"
    assert main(["lab", "--data", str(csv), "--workspace", str(workspace), "--seed", "1"]) == 0
    first = _strict_loads(capsys.readouterr().out)
    assert first["rows_read"] == 1500 and first["data"].endswith(csv.name)
    assert first["tables"]["mlops_churn_bronze_customer"]["rows"] == 1500
    assert first["promoted"] and first["aliases"] == {"Champion": 1}
    # the same job on the same data trains the same model: its gain is exactly 0 and it is refused,
    # by the lecture's F1 floor as well; the Champion keeps scoring
    assert main(["lab", "--data", str(csv), "--workspace", str(workspace), "--seed", "1",
                 "--f1-threshold", "0.8"]) == 0
    second = _strict_loads(capsys.readouterr().out)
    assert second["registered_model"]["version"] == 2
    assert second["validation"]["checks"] == {"has_description": True, "has_signature": True,
                                              "inference_passed": True, "metric_f1_passed": False,
                                              "f1_gain_passed": False, "value_gain_passed": False}
    assert second["validation"]["gains"]["f1"]["estimate"] == 0.0 == second["validation"]["gains"]["f1"]["high"]
    assert second["validation"]["compared_with"] == "Champion v1"
    assert second["promoted"] is False and second["reason"].startswith("refused: metric_f1_passed")
    assert second["aliases"] == {"Challenger": 2, "Champion": 1}
    assert second["predictions"]["version"] == 1 and second["predictions"]["scored_by"].endswith("@Champion")


def _assert_refused_before_writing(capsys, workspace: Path, pattern: str) -> None:
    err = capsys.readouterr()
    assert err.out == ""
    assert err.err.startswith("error: ") and err.err.rstrip().endswith("(nothing was written or registered)")
    assert re.search(pattern, err.err), err.err
    assert not workspace.exists() and _registered_models(workspace) == []


@pytest.mark.parametrize("problem, expected", [
    ("missing", r"missing column\(s\) \['Contract', 'Churn'\]"),
    ("malformed", r"column 'MonthlyCharges': not a number"),
    ("label", r"column 'Churn': unknown value\(s\) \['Maybe'\]"),
    ("few rows", r"150 customers are too few to learn from: the lab needs at least 200"),
    ("few churners", r"\d+ churners among 600 customers are too few to learn from"),
])
def test_cli_refuses_bad_data_before_writing_anything(tmp_path, capsys, problem, expected):
    csv = tmp_path / "customers.csv"
    write_telco_csv(csv, n=150 if problem == "few rows" else 600, seed=0)
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    if problem == "missing":
        frame = frame.drop(columns=["Contract", "Churn"])
    elif problem == "malformed":
        frame.loc[5, "MonthlyCharges"] = "n/a"
    elif problem == "label":
        frame.loc[2, "Churn"] = "Maybe"
    elif problem == "few churners":
        frame.loc[frame.index[frame["Churn"] == "Yes"][20:], "Churn"] = "No"
    frame.to_csv(csv, index=False)
    workspace = tmp_path / "job"
    assert main(["lab", "--data", str(csv), "--workspace", str(workspace)]) == 2
    _assert_refused_before_writing(capsys, workspace, expected)


@pytest.mark.parametrize("args, expected", [
    (["--f1-threshold", "2"], r"--f1-threshold must lie in \[0, 1\]"),
    (["--f1-threshold", "high"], "--f1-threshold must be a number"),
    (["--data", "nope.csv"], "no such CSV file"),
    (["--rows", "150"], "--rows must be at least 200"),
    (["--min-gain-usd", "nan"], "--min-gain-usd must be a finite number"),
])
def test_cli_refuses_bad_options_before_writing_anything(tmp_path, capsys, args, expected):
    workspace = tmp_path / "w"
    args = [a if a != "nope.csv" else str(tmp_path / a) for a in args]
    assert main(["lab", "--workspace", str(workspace), *args]) == 2
    _assert_refused_before_writing(capsys, workspace, expected)


def test_cli_unknown_engine_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["lab", "--workspace", str(tmp_path / "w"), "--engine", "polars"])
    assert stop.value.code == 2 and "invalid choice: 'polars'" in capsys.readouterr().err
    assert len(TELCO_HEADER) == 21


def test_cli_failure_after_writing_exits_1_and_names_the_log(tmp_path, capsys, monkeypatch):
    from mlops_edu.lab import job

    def broken(*args, **kwargs):
        raise RuntimeError("the training cluster is gone")
    monkeypatch.setattr(job, "train_configs", broken)
    workspace = tmp_path / "job"
    assert main(["lab", "--workspace", str(workspace), "--rows", "300"]) == 1
    err = capsys.readouterr()
    assert err.out == ""
    assert "error: the lab failed after writing to" in err.err
    assert "RuntimeError: the training cluster is gone" in err.err
    log = Path(re.search(r"the traceback is in (\S+)", err.err).group(1))
    assert log == workspace.resolve() / "logs" / "chapter.log"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: the training cluster is gone" in text
    assert (workspace / "lake" / "mlops_churn_bronze_customer").is_dir()   # it had written: hence 1, not 2


def test_strict_json_turns_nan_into_null_with_a_reason():
    from mlops_edu.lab import strict_json

    text = strict_json({"test_metrics": {"roc_auc": float("nan"), "f1": 0.5}, "values": [float("inf"), 1.0]})
    data = _strict_loads(text)
    assert data["test_metrics"]["roc_auc"] is None and "undefined" in data["test_metrics"]["roc_auc_null_reason"]
    assert data["test_metrics"]["f1"] == 0.5 and data["values"] == [None, 1.0]
