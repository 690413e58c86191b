"""Tests for mlops_edu.data.lake: Delta round trips keep the canonical dtypes, time travel, history,
MLflow lineage source and keyed-hash pseudonymisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_edu.data import (
    CANONICAL_DTYPES,
    dataset_source,
    make_customers,
    pseudonymise,
    read_table,
    table_history,
    table_version,
    write_table,
)


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return make_customers(500, seed=1)


def test_round_trip_keeps_canonical_dtypes(tmp_path, customers):
    path = tmp_path / "customers"
    assert write_table(customers, path) == 0
    back = read_table(path)
    pd.testing.assert_frame_equal(back, customers)
    for col, want in CANONICAL_DTYPES.items():
        got = back[col].dtype
        assert (isinstance(got, pd.StringDtype) if want == "str" else got == np.dtype(want)), (col, got)
    assert back["TotalCharges"].isna().sum() == customers["TotalCharges"].isna().sum()


def test_round_trip_of_other_types(tmp_path):
    df = pd.DataFrame({
        "s": pd.Series(["a", None, "c"], dtype="str"),
        "o": pd.Series(["x", "y", None], dtype=object),
        "cat": pd.Categorical(["u", "v", "u"]),
        "i": np.array([1, 2, 3], dtype=np.int32),
        "f": [0.5, np.nan, 1.5],
        "b": [True, False, True],
        "t": pd.to_datetime(["2024-01-01", "2024-06-30", None]),
    })
    write_table(df, tmp_path / "t")
    back = read_table(tmp_path / "t")
    assert back["s"].isna().tolist() == [False, True, False] and back["s"].dtype == "str"
    assert back["o"].dtype == "str" and back["cat"].tolist() == ["u", "v", "u"]
    assert back["i"].dtype == np.int64 and back["f"].dtype == np.float64 and back["b"].dtype == bool
    assert back["t"].dtype == "datetime64[us]" and back["t"].isna().tolist() == [False, False, True]


def test_append_overwrite_time_travel_and_history(tmp_path, customers):
    path = tmp_path / "customers"
    assert write_table(customers.iloc[:100], path) == 0
    assert write_table(customers.iloc[100:150], path, mode="append") == 1
    assert len(read_table(path)) == 150
    assert write_table(customers.iloc[:10], path, mode="overwrite") == 2
    assert table_version(path) == 2
    assert len(read_table(path)) == 10
    pd.testing.assert_frame_equal(read_table(path, version=0), customers.iloc[:100].reset_index(drop=True))
    assert len(read_table(path, version=1)) == 150
    hist = table_history(path)
    assert hist["version"].tolist() == [0, 1, 2]
    assert hist["mode"].tolist() == ["Overwrite", "Append", "Overwrite"]
    assert hist["rows_added"].tolist() == [100, 50, 10]
    assert list(hist.columns) == ["version", "operation", "mode", "rows_added", "timestamp"]


def test_overwrite_may_change_the_schema_append_may_not(tmp_path, customers):
    path = tmp_path / "t"
    write_table(customers, path)
    write_table(customers[["customerID", "Churn"]], path, mode="overwrite")
    assert list(read_table(path).columns) == ["customerID", "Churn"]
    with pytest.raises(ValueError, match="append"):
        write_table(customers[["customerID", "tenure"]], path, mode="append")


def test_bad_calls_are_named(tmp_path, customers):
    with pytest.raises(ValueError, match="mode"):
        write_table(customers, tmp_path / "t", mode="upsert")
    with pytest.raises(FileNotFoundError, match="no Delta table"):
        read_table(tmp_path / "missing")
    write_table(customers, tmp_path / "t")
    with pytest.raises(ValueError, match="versions 0..0"):
        read_table(tmp_path / "t", version=3)
    with pytest.raises(ValueError, match="versions 0..0"):
        dataset_source(tmp_path / "t", version=-1)
    with pytest.raises(TypeError, match="DataFrame"):
        write_table([1, 2, 3], tmp_path / "u")
    with pytest.raises(ValueError, match="mixed types"):
        write_table(pd.DataFrame({"x": pd.Series(["a", 1], dtype=object)}), tmp_path / "v")


def test_dataset_source(tmp_path, customers):
    from mlflow.data.delta_dataset_source import DeltaDatasetSource

    path = tmp_path / "customers"
    write_table(customers, path)
    write_table(customers.iloc[:5], path, mode="append")
    src = dataset_source(path, 1)
    assert isinstance(src, DeltaDatasetSource)
    assert src.to_dict() == {"path": str(path.resolve()), "delta_table_version": 1}
    assert dataset_source(path).to_dict()["delta_table_version"] == 1  # default: the latest


def test_dataset_source_in_an_mlflow_run(tmp_path, monkeypatch, customers):
    import mlflow

    from mlops_edu import setup_chapter

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    ws = setup_chapter("99", seed=0)
    path = ws.table("customers")
    write_table(customers, path)
    v = write_table(customers.iloc[:20], path, mode="append")
    ds = mlflow.data.from_pandas(read_table(path, version=v), source=dataset_source(path, v), name="customers")
    with mlflow.start_run(run_name="lineage-test") as run:
        mlflow.log_input(ds, context="training")
    got = mlflow.get_run(run.info.run_id).inputs.dataset_inputs[0].dataset
    assert got.name == "customers" and got.source_type == "delta_table"
    assert '"delta_table_version": 1' in got.source


def test_pseudonymise_is_keyed_and_stable():
    ids = pd.Series(["7590-VHVEG", "5575-GNVDE", None], dtype="str")
    a = pseudonymise(ids, key="k1")
    assert a.iloc[:2].str.fullmatch(r"[0-9a-f]{16}").all() and a.isna().iloc[2]
    assert a.equals(pseudonymise(ids, key="k1"))
    assert (pseudonymise(ids, key="k2").iloc[:2] != a.iloc[:2]).all()
    assert a.iloc[0] != a.iloc[1]
    import hashlib
    assert a.iloc[0] != hashlib.sha256(b"7590-VHVEG").hexdigest()[:16]  # not a plain hash
    with pytest.raises(ValueError, match="key"):
        pseudonymise(ids, key="")
    nullable = pd.Series(["7590-VHVEG", pd.NA], dtype="string")           # pandas' nullable strings hold pd.NA
    assert pseudonymise(nullable, key="k1").isna().tolist() == [False, True]
