"""MLOps = code + data (lecture 3.1), chapter 01: the same code on another table version gives another model;
the code version plus the recorded Delta version rebuilds the model exactly."""

from __future__ import annotations

import os

import numpy as np
import pytest

from mlops_edu.data import (code_version, make_months, prediction_change, run_lineage, stack_months,
                            train_from_table, write_table)
from mlops_edu.retention import train_offer_model
from mlops_edu.workbook.config import HOME_ENV


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    from mlops_edu import setup_chapter

    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    yield setup_chapter("97", seed=0)
    assert os.environ[HOME_ENV] == str(tmp_path)



def test_code_version_is_a_fingerprint_of_the_source():
    assert code_version(train_offer_model) == code_version(train_offer_model)
    assert len(code_version(train_offer_model)) == 12
    assert code_version(train_offer_model) != code_version(prediction_change)
    assert code_version(train_offer_model, prediction_change) != code_version(train_offer_model)


def test_code_alone_does_not_rebuild_a_model_code_and_data_do(workspace):
    months = make_months(5, 400, seed=3)
    table = workspace.table("customers")
    first = write_table(stack_months(months, 0, 1), table)
    original, run = train_from_table(train_offer_model, table, first, seed=3, run_name="original")
    write_table(stack_months(months, 2, 3), table, mode="append")
    X = months[4].frame.drop(columns=["Churn"])
    p = original.predict_proba(X)[:, 1]

    latest, latest_run = train_from_table(train_offer_model, table, seed=3, run_name="latest")
    recorded = run_lineage(run)
    assert recorded == {"code_version": code_version(train_offer_model), "data_table": "customers",
                        "data_version": 0, "seed": 3}
    assert run_lineage(latest_run)["data_version"] == 1
    rebuilt, _ = train_from_table(train_offer_model, table, recorded["data_version"], seed=recorded["seed"])

    assert prediction_change(p, latest.predict_proba(X)[:, 1])["max_abs_diff"] > 0.01
    assert np.array_equal(p, rebuilt.predict_proba(X)[:, 1])

    import mlflow

    source = mlflow.get_run(run).inputs.dataset_inputs[0].dataset
    assert source.source_type == "delta_table" and source.name == "customers"
