"""``python -m mlops_edu lab``: the lab as a headless job (generated data, a Telco-schema CSV, bad CSVs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _lab_helpers import TELCO_HEADER, write_telco_csv

from mlops_edu.__main__ import main


def _registered_models(workspace: Path) -> list[str]:
    if not (workspace / "mlflow.db").exists():
        return []
    import sqlite3

    with sqlite3.connect(workspace / "mlflow.db") as db:
        return [row[0] for row in db.execute("select name from registered_models")]


def test_cli_on_generated_data_prints_one_json_object(tmp_path):
    workspace = tmp_path / "job"
    env = {**os.environ, "MLOPS_EDU_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "mlops_edu", "lab", "--workspace", str(workspace),
                           "--rows", "800"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # stdout is exactly one JSON object
    assert summary["rows_read"] == 800 and summary["data"].startswith("generated")
    assert set(summary["test_metrics"]) == {"f1", "roc_auc", "precision", "recall"}
    assert summary["registered_model"] == {"name": "workbook.mlops.mlops_churn", "version": 1,
                                           "run_name": summary["registered_model"]["run_name"]}
    assert summary["promoted"] is True and "first deploy" in summary["reason"]
    assert summary["aliases"] == {"Champion": 1}
    assert summary["validation"]["f1_threshold"] == 0.4
    predictions = summary["predictions"]
    assert predictions["rows"] == summary["tables"]["mlops_churn_inference"]["rows"] > 0
    assert Path(predictions["path"]) == workspace / "lake" / "mlops_churn_predictions"
    assert (workspace / "mlflow.db").is_file() and not (tmp_path / "mlruns").exists()


def test_cli_on_a_telco_csv_with_blank_total_charges_then_a_second_run(tmp_path, capsys):
    csv = tmp_path / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    blanks = write_telco_csv(csv, n=700, seed=3, blanks=4)
    assert sum(1 for line in csv.read_text().splitlines()[1:] if line.split(",")[19] == " ") == blanks
    workspace = tmp_path / "job"
    assert main(["lab", "--data", str(csv), "--workspace", str(workspace), "--seed", "1"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["rows_read"] == 700 and first["data"].endswith(csv.name)
    assert first["tables"]["mlops_churn_bronze_customer"]["rows"] == 700
    assert first["promoted"] and first["aliases"] == {"Champion": 1}
    # the same job again with the lecture's 0.8: a second version is registered and refused,
    # and the Champion keeps scoring
    assert main(["lab", "--data", str(csv), "--workspace", str(workspace), "--f1-threshold", "0.8"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["registered_model"]["version"] == 2
    assert second["promoted"] is False and "metric_f1_passed" in second["reason"]
    assert second["validation"]["champion_before"] == 1
    assert second["aliases"] == {"Challenger": 2, "Champion": 1}
    assert second["predictions"]["version"] == 1 and second["predictions"]["scored_by"].endswith("@Champion")


@pytest.mark.parametrize("problem, expected", [
    ("missing", r"missing column\(s\) \['Contract', 'Churn'\]"),
    ("malformed", r"column 'MonthlyCharges': not a number"),
    ("label", r"column 'Churn': unknown value\(s\) \['Maybe'\]"),
])
def test_cli_rejects_a_csv_that_does_not_fit_and_registers_nothing(tmp_path, capsys, problem, expected):
    import pandas as pd

    csv = tmp_path / "customers.csv"
    write_telco_csv(csv, n=60, seed=0)
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    if problem == "missing":
        frame = frame.drop(columns=["Contract", "Churn"])
    elif problem == "malformed":
        frame.loc[5, "MonthlyCharges"] = "n/a"
    else:
        frame.loc[2, "Churn"] = "Maybe"
    frame.to_csv(csv, index=False)
    workspace = tmp_path / "job"
    assert main(["lab", "--data", str(csv), "--workspace", str(workspace)]) == 2
    err = capsys.readouterr()
    assert err.out == ""
    assert "error: " in err.err and "nothing was written or registered" in err.err
    import re

    assert re.search(expected, err.err), err.err
    assert _registered_models(workspace) == [] and not workspace.exists()


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["lab", "--workspace", str(tmp_path / "w"), "--f1-threshold", "2"]) == 2
    assert "--f1-threshold must lie in [0, 1]" in capsys.readouterr().err
    assert main(["lab", "--workspace", str(tmp_path / "w"), "--data", str(tmp_path / "nope.csv")]) == 2
    assert "no such CSV file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["lab", "--workspace", str(tmp_path / "w"), "--engine", "polars"])
    assert len(TELCO_HEADER) == 21
