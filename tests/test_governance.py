"""Governance (lecture 4.5), chapter 01: keyed pseudonyms before training, and no raw customerID in the features,
the model's signature and input example, MLflow params, tags or artifacts (the scanner is shown to find leaks)."""

from __future__ import annotations

import json

import mlflow
import pandas as pd
import pytest

import mlops_edu.data.governance as governance
from mlops_edu.data import (find_ids_in_frame, find_raw_ids, make_customers, pseudonymise, pseudonymise_ids,
                            reidentify, train_from_table, write_table)
from mlops_edu.retention import train_offer_model
from mlops_edu.training import log_model, split_xy

KEY = "test-key"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return make_customers(400, seed=9)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    import os

    from mlops_edu import setup_chapter
    from mlops_edu.workbook.config import HOME_ENV

    old = os.environ.get(HOME_ENV)
    os.environ[HOME_ENV] = str(tmp_path_factory.mktemp("governance-home"))
    try:
        yield setup_chapter("98", seed=0)
    finally:
        if old is None:
            os.environ.pop(HOME_ENV, None)
        else:
            os.environ[HOME_ENV] = old


@pytest.fixture(scope="module")
def governed_run(workspace, raw):
    silver = pseudonymise_ids(raw, KEY)
    table = workspace.table("silver_customers")
    write_table(silver, table)
    model, run_id = train_from_table(train_offer_model, table, seed=0, run_name="governed")
    X, _ = split_xy(silver)
    with mlflow.start_run(run_id=run_id):
        log_model(model, X)
        mlflow.set_tag("team", "churn")
        scores = silver[["customerID"]].assign(p=model.predict_proba(X)[:, 1])
        mlflow.log_text(scores.to_csv(index=False), "scores.csv")
    return run_id, X



def test_pseudonyms_are_keyed_stable_and_reversible_only_with_the_key(raw):
    safe = pseudonymise_ids(raw, KEY)
    assert not safe["customerID"].isin(set(raw["customerID"])).any()
    assert safe["customerID"].equals(pseudonymise_ids(raw, KEY)["customerID"])
    assert not safe["customerID"].equals(pseudonymise_ids(raw, "other-key")["customerID"])
    assert safe.drop(columns="customerID").equals(raw.drop(columns="customerID"))
    back = reidentify(safe["customerID"], raw["customerID"], KEY)
    assert back.tolist() == raw["customerID"].tolist()
    assert reidentify(safe["customerID"], raw["customerID"], "guess").isna().all()


def test_no_raw_id_in_features(raw):
    X, _ = split_xy(pseudonymise_ids(raw, KEY))
    assert find_ids_in_frame(X, raw["customerID"]) == []
    assert find_ids_in_frame(raw, raw["customerID"]) == ["customerID"]


def test_governed_run_holds_no_raw_id(governed_run, raw):
    run_id, X = governed_run
    assert find_raw_ids(run_id, raw["customerID"]).empty
    # the scan did look where the pseudonyms are: it finds them when asked for them
    pseudonyms = pseudonymise(raw["customerID"], KEY)
    found = find_raw_ids(run_id, pseudonyms)
    assert set(found["detail"]) == {"scores.csv"}
    # the model's signature has no id column
    client = mlflow.MlflowClient()
    run = client.get_run(run_id)
    logged = client.search_logged_models(experiment_ids=[run.info.experiment_id],
                                         filter_string=f"source_run_id = '{run_id}'")
    assert len(logged) == 1
    signature = mlflow.models.get_model_info(logged[0].model_uri).signature
    assert "customerID" not in signature.inputs.input_names()


def test_scanner_finds_leaks_everywhere(workspace, raw):
    X_raw = raw.drop(columns=["Churn"])
    model = train_offer_model(raw, seed=0)
    with mlflow.start_run(run_name=raw["customerID"].iloc[1]) as run:
        mlflow.log_param("example_customer", raw["customerID"].iloc[0])
        mlflow.set_tag("note", f"look at {raw['customerID'].iloc[2]}")
        mlflow.log_dict({"ids": raw["customerID"].head(3).tolist()}, "debug/ids.json")
        log_model(model, X_raw)  # the raw frame as input example: ids in the model's files
    found = find_raw_ids(run.info.run_id, raw["customerID"])
    places = set(found["place"])
    assert {"run", "param", "tag", "artifact", "model param"} <= places
    in_model = zip(found["place"], found["detail"])
    assert any(p.startswith("model ") and d.endswith("input_example.json") for p, d in in_model)
    assert found.loc[found["detail"] == "debug/ids.json", "ids"].item() == 3
    assert json.loads(json.dumps(found.to_dict()))  # plain data, printable


def test_zip_members_are_scanned():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.json", '{"id": "1234-ABCDE"}')
    assert governance._scan_bytes(buffer.getvalue(), {b"1234-ABCDE"}) == {b"1234-ABCDE"}
