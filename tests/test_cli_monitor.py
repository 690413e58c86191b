"""``python -m mlops_edu monitor``: the drift table as a scheduled job (exit 0 no drift, 3 drift, 2 bad input)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mlops_edu.__main__ import main
from mlops_edu.data import make_customers


@pytest.fixture(scope="module")
def csvs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("monitor")
    customers = make_customers(3000, seed=1).sample(frac=1.0, random_state=0)
    paths = {"reference": folder / "reference.csv", "half": folder / "half.csv", "drift": folder / "drift.csv",
             "fewer": folder / "fewer.csv", "other": folder / "other.csv", "other2": folder / "other2.csv"}
    customers.iloc[:1500].to_csv(paths["reference"], index=False)
    customers.iloc[1500:].drop(columns=["Churn"]).to_csv(paths["half"], index=False)   # a scoring batch
    make_customers(1500, seed=2, young_share=0.9, price_change=0.5).to_csv(paths["drift"], index=False)
    customers.iloc[1500:].drop(columns=["tenure"]).to_csv(paths["fewer"], index=False)
    customers.iloc[:500][["tenure", "Contract"]].to_csv(paths["other"], index=False)      # not Telco: read as is
    customers.iloc[500:1000][["tenure", "Contract"]].to_csv(paths["other2"], index=False)
    return paths


def test_no_drift_exits_0_and_prints_the_table(csvs, capsys):
    code = main(["monitor", "--reference", str(csvs["reference"]), "--current", str(csvs["half"])])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].split() == ["column", "kind", "test", "statistic", "threshold", "drifted"]
    assert "no dataset drift" in out.splitlines()[-1] and "Churn" not in out


def test_dataset_drift_exits_3(csvs, capsys):
    code = main(["monitor", "--reference", str(csvs["reference"]), "--current", str(csvs["drift"])])
    assert code == 3
    assert capsys.readouterr().out.splitlines()[-1].endswith("1500 current rows")


def test_json_output_is_one_object(csvs, capsys):
    code = main(["monitor", "--reference", str(csvs["reference"]), "--current", str(csvs["drift"]), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 3 and data["dataset_drift"] is True and data["drift_share"] >= 0.5
    assert {row["column"] for row in data["columns"] if row["drifted"]} >= {"age", "MonthlyCharges"}


def test_columns_and_drift_share_options(csvs, capsys):
    code = main(["monitor", "--reference", str(csvs["reference"]), "--current", str(csvs["drift"]),
                 "--columns", "gender,age", "--drift-share", "0.5", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert [row["column"] for row in data["columns"]] == ["gender", "age"]
    assert code == 3 and data["drift_share"] == 0.5


@pytest.mark.parametrize("current, extra, message", [
    ("missing.csv", [], "no such CSV file"),
    ("fewer", [], "missing column(s) ['tenure']"),
    ("half", ["--columns", "tenure,nope"], "['nope'] not in the reference"),
    ("half", ["--drift-share", "0"], "--drift-share must be in (0, 1]"),
])
def test_bad_input_exits_2_naming_the_culprit(csvs, capsys, tmp_path, current, extra, message):
    path = csvs.get(current, tmp_path / current)
    code = main(["monitor", "--reference", str(csvs["reference"]), "--current", str(path), *extra])
    captured = capsys.readouterr()
    assert code == 2 and message in captured.err and captured.out == ""


def test_a_csv_that_breaks_the_telco_schema_exits_2(csvs, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    text = csvs["half"].read_text().splitlines()
    text[1] = text[1].replace("Month-to-month", "Monthly") if "Month-to-month" in text[1] else text[1].replace(
        "One year", "Annual").replace("Two year", "Annual")
    bad.write_text("\n".join(text) + "\n")
    code = main(["monitor", "--reference", str(csvs["reference"]), "--current", str(bad)])
    assert code == 2 and "Contract" in capsys.readouterr().err


def test_any_csv_works_and_the_job_runs_as_a_process(csvs):
    done = subprocess.run([sys.executable, "-m", "mlops_edu", "monitor", "--reference", str(csvs["other"]),
                           "--current", str(csvs["other2"]), "--json"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [(r["column"], r["test"]) for r in data["columns"]] == [("tenure", "ks"), ("Contract", "chi2")]
    assert done.stderr == ""
