"""Exercises of chapters 03 and 05: reference solutions pass, ____ is 'not attempted', typical mistakes are named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_edu.business import offer_expected_value
from mlops_edu.data import make_customers
from mlops_edu.deployment.abtest import sample_size
from mlops_edu.deployment.rollout import Request
from mlops_edu.training import split_xy
from mlops_edu.workbook.exercises import ____
from mlops_edu.workbook.exercises import ch03, ch05


@pytest.fixture(scope="module")
def customer() -> pd.DataFrame:
    return split_xy(make_customers(20, seed=2))[0].head(1)


def test_ch03_q1_request_body(customer):
    inputs = list(customer.columns)
    body = {"dataframe_records": customer[inputs].to_dict(orient="records")}
    ns = {"body": body, "customer": customer, "model_inputs": inputs}
    assert ch03.q1.status(ns) == "correct"
    assert ch03.q1.status({**ns, "body": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="exactly one input key"):
        ch03.q1.status({**ns, "body": {**body, "dataframe_split": {}}})
    with pytest.raises(AssertionError, match="lacks model inputs"):
        ch03.q1.status({**ns, "body": {"dataframe_records": customer[inputs[1:]].to_dict(orient="records")}})
    wrong = customer.assign(tenure=customer["tenure"] + 1)
    with pytest.raises(AssertionError, match="column 'tenure'"):
        ch03.q1.status({**ns, "body": {"dataframe_records": wrong[inputs].to_dict(orient="records")}})


def test_ch03_q2_p95():
    timings = np.geomspace(0.001, 0.050, 200)            # a slow tail: mean, median and p95 differ
    assert ch03.q2.status({"p95_ms": float(np.percentile(timings, 95) * 1000), "timings": timings}) == "correct"
    assert ch03.q2.status({"p95_ms": ____, "timings": timings}) == "not attempted"
    with pytest.raises(AssertionError, match="in seconds"):
        ch03.q2.status({"p95_ms": float(np.percentile(timings, 95)), "timings": timings})
    with pytest.raises(AssertionError, match="median"):
        ch03.q2.status({"p95_ms": float(np.percentile(timings, 50) * 1000), "timings": timings})


def test_ch03_q3_offers():
    scored = pd.DataFrame({"churn_probability": np.linspace(0.0, 0.9, 19)})
    n = int((offer_expected_value(scored["churn_probability"]) > 0).sum())
    assert ch03.q3.status({"n_offers": n, "scored": scored}) == "correct"
    assert ch03.q3.status({"n_offers": ____, "scored": scored}) == "not attempted"
    with pytest.raises(AssertionError, match="0.5"):
        ch03.q3.status({"n_offers": int((scored["churn_probability"] >= 0.5).sum()), "scored": scored})


def test_ch05_q1_reads_through_the_platform(tmp_path, monkeypatch):
    from mlops_edu import setup_chapter
    from mlops_edu.deployment.environments import make_platform

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    setup_chapter("94", seed=0)
    platform = make_platform(tmp_path / "p", seed=0, n_prod=300)
    with pytest.raises(AssertionError, match="audit log"):
        ch05.q1.status({"staging_rows": 90, "platform": platform})           # right number, not read through it
    rows = len(platform.read("staging", "staging"))
    assert ch05.q1.status({"staging_rows": rows, "platform": platform}) == "correct"
    assert ch05.q1.status({"staging_rows": ____, "platform": platform}) == "not attempted"


def test_ch05_q2_sample_size():
    assert ch05.q2.status({"n_per_arm": sample_size(0.80, 0.82)}) == "correct"
    assert ch05.q2.status({"n_per_arm": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="both arms"):
        ch05.q2.status({"n_per_arm": 2 * sample_size(0.80, 0.82)})


def test_ch05_q3_exposed_requests():
    class Log:
        log = [Request(0, "champion", 0, None, None, 0.0), Request(1, "challenger", None, 0, "BadRequest", 0.0),
               Request(2, "challenger", None, 0, "BadRequest", 0.0), Request(3, "champion", 1, None, None, 0.0)]

    assert ch05.q3.status({"exposed": 2, "broken_router": Log()}) == "correct"
    assert ch05.q3.status({"exposed": ____, "broken_router": Log()}) == "not attempted"
    with pytest.raises(AssertionError, match="every request"):
        ch05.q3.status({"exposed": 4, "broken_router": Log()})
