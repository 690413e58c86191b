"""Exercises of chapter 03, the inference pipeline (lecture 5.2 and section 2's serving types).

q1 a scoring request in the ``dataframe_records`` format, q2 the p95 latency of measured requests,
q3 how many customers of tonight's list are worth an offer.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.business import offer_expected_value
from mlops_edu.workbook.exercises import Exercise


def _q1_checker(body: Any, customer: pd.DataFrame, model_inputs: list[str]) -> str:
    assert isinstance(body, dict), f"`body` should be a dict (it becomes the JSON object), got {type(body).__name__}"
    assert list(body) == ["dataframe_records"], (
        f"the scoring server wants exactly one input key, here 'dataframe_records'; your keys are {list(body)}")
    records = body["dataframe_records"]
    assert isinstance(records, list) and len(records) == 1, \
        f"'dataframe_records' holds a list with one dict per row; one customer -> a list of length 1, got {records!r:.80}"
    row = records[0]
    assert isinstance(row, dict), f"each record is a dict {{column: value}}, got {type(row).__name__}"
    missing = [c for c in model_inputs if c not in row]
    extra = [c for c in row if c not in model_inputs]
    assert not missing, f"the record lacks model inputs {missing}: the server would answer HTTP 400 'missing column'"
    assert not extra, (f"the record has columns the model does not take {extra}: the server drops them silently, "
                       "so leave them out (customerID identifies the row in your system, not in the request)")
    try:
        text = json.dumps(body)
    except TypeError as error:
        raise AssertionError(f"the body is not JSON-serialisable ({error}): use .tolist() or plain Python values") from None
    back = json.loads(text)["dataframe_records"][0]
    expected = customer.iloc[0]
    for column in model_inputs:
        want, got = expected[column], back[column]
        same = (math.isclose(float(want), float(got)) if isinstance(want, (int, float, np.number))
                and isinstance(got, (int, float)) else str(want) == str(got))
        assert same, f"column {column!r}: the customer has {want!r}, your record says {got!r}"
    return (f"one record with the model's {len(model_inputs)} inputs; the same customer in 'dataframe_split' "
            "would be {'columns': [...], 'data': [[...]]}")


q1 = Exercise(
    "q1", variables=("body", "customer", "model_inputs"), checker=_q1_checker,
    hint="customer[model_inputs].to_dict(orient='records') gives a list of {column: value} dicts.",
    solution='body = {"dataframe_records": customer[model_inputs].to_dict(orient="records")}')


def _q2_checker(p95_ms: Any, timings: Any) -> str:
    seconds = np.asarray(timings, dtype=float)
    assert isinstance(p95_ms, (int, float, np.number)), f"`p95_ms` should be a number, got {type(p95_ms).__name__}"
    value = float(p95_ms)
    expected = float(np.percentile(seconds, 95) * 1000)
    if math.isclose(value, expected / 1000, rel_tol=1e-6):
        raise AssertionError("that is the p95 in seconds: multiply by 1000 for milliseconds")
    if math.isclose(value, float(seconds.mean() * 1000), rel_tol=1e-6):
        raise AssertionError("that is the mean: the p95 is the time 95 % of the requests stay under")
    if math.isclose(value, float(np.percentile(seconds, 50) * 1000), rel_tol=1e-6):
        raise AssertionError("that is the median (p50): the p95 looks at the slow tail")
    assert math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-9), \
        "not the 95th percentile of `timings` in milliseconds: use np.percentile(timings, 95) * 1000"
    return "95 % of the requests were at least this fast; a service-level objective is usually set on p95 or p99"


q2 = Exercise(
    "q2", variables=("p95_ms", "timings"), checker=_q2_checker,
    hint="`timings` holds seconds per request; np.percentile(..., 95) gives the 95th percentile.",
    solution="p95_ms = float(np.percentile(timings, 95) * 1000)")


def _q3_checker(n_offers: Any, scored: pd.DataFrame) -> str:
    p = scored["churn_probability"].to_numpy(dtype=float)
    expected = int((offer_expected_value(p) > 0).sum())
    assert isinstance(n_offers, (int, np.integer)), f"`n_offers` should be a whole number, got {type(n_offers).__name__}"
    value = int(n_offers)
    if value == int((p >= 0.5).sum()):
        raise AssertionError("that counts p >= 0.5, the model's default threshold: an offer pays off well below it")
    if value == len(p) - expected:
        raise AssertionError("that counts the customers NOT worth an offer")
    assert value == expected, (f"expected {expected} customers with a positive expected offer value "
                               f"(p x 1500 - (1 - p) x 500 > 0), got {value}")
    return (f"{expected} of {len(p)} customers: an offer pays off on average when p > 500 / 2000 = 0.25, "
            "far below the 0.5 of a plain 'will churn' prediction")


q3 = Exercise(
    "q3", variables=("n_offers", "scored"), checker=_q3_checker,
    hint="offer_expected_value(p) is p x 1500 - (1 - p) x 500; count the customers where it is above 0.",
    solution='n_offers = int((offer_expected_value(scored["churn_probability"]) > 0).sum())')

__all__ = ["q1", "q2", "q3"]
