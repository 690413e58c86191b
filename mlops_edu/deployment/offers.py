"""Batch inference for marketing: the nightly offer list (lecture 5.2, "batch inferencing").

The lecture's example of batch inference: every night, score the customers and hand marketing the list
of "customers likely to churn next week". Here the list is ranked by churn probability and carries, per
customer, the expected dollars of a retention offer from :func:`mlops_edu.business.offer_expected_value`
(``p x 1,500 - (1 - p) x 500``). Only customers whose offer is worth something (``p`` above the break-even
25 %) are kept, and each night's list is written as a new version of one Delta table, so marketing can
read last Tuesday's list back (time travel).

The expected value trusts the model's probabilities; a model trained with ``class_weight="balanced"``
over-states them. :func:`offer_policy_table` therefore puts the model's own estimate next to what the
list is worth with the true labels and with the generator's true probabilities.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.business import (COST_CHURN, COST_DISCOUNT, break_even_precision, business_value,
                                offer_expected_value)
from mlops_edu.deployment.inference import PROBABILITY_COLUMN, score_pandas

OFFER_TABLE = "marketing_offer_list"
"""Name of the Delta table that holds the nightly lists (one version per night)."""
LIST_COLUMNS = ("rank", "customerID", PROBABILITY_COLUMN, "expected_value", "model_version", "run_date")


def offer_list(scored: pd.DataFrame, *, id_column: str = "customerID", keep_all: bool = False,
               cost_churn: float = COST_CHURN, cost_discount: float = COST_DISCOUNT) -> pd.DataFrame:
    """Rank scored customers by churn probability and add the expected value of an offer.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`~mlops_edu.deployment.inference.score_pandas` (has ``churn_probability``).
    id_column : str
        The customer key kept in the list (row numbers when ``scored`` lacks it).
    keep_all : bool
        Keep every customer (with ``offer`` False below break-even) instead of only those worth an offer.
    cost_churn, cost_discount : float
        The business case ($2,000 and $500).

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1 = most likely to churn), ``customerID``, ``churn_probability``, ``expected_value``
        (dollars), ``offer`` (expected value > 0); sorted by rank; index reset.

    Raises
    ------
    ValueError
        When ``scored`` has no ``churn_probability`` column.

    Examples
    --------
    >>> scored = pd.DataFrame({"customerID": ["a", "b", "c"], "churn_probability": [0.1, 0.9, 0.3]})
    >>> offer_list(scored)[["rank", "customerID", "expected_value"]].to_dict("list")
    {'rank': [1, 2], 'customerID': ['b', 'c'], 'expected_value': [1300.0, 100.0]}
    """
    if PROBABILITY_COLUMN not in scored.columns:
        raise ValueError(f"offer_list(): the frame has no {PROBABILITY_COLUMN!r} column; score it first")
    p = scored[PROBABILITY_COLUMN].to_numpy(dtype=float)
    out = pd.DataFrame({id_column: scored[id_column].to_numpy() if id_column in scored.columns
                        else np.arange(len(scored)),
                        PROBABILITY_COLUMN: p})
    out["expected_value"] = np.round(offer_expected_value(p, cost_churn=cost_churn,
                                                          cost_discount=cost_discount), 2)
    out["offer"] = out["expected_value"] > 0
    out = out.sort_values([PROBABILITY_COLUMN, id_column], ascending=[False, True], kind="stable")
    out.insert(0, "rank", np.arange(1, len(out) + 1, dtype="int64"))
    if not keep_all:
        out = out[out["offer"]]
    return out.reset_index(drop=True)


def nightly_offer_list(model_uri: str, customers: pd.DataFrame, table: str | Path, *, run_date: str,
                       model_version: int | None = None) -> tuple[pd.DataFrame, int]:
    """Score ``customers`` with ``model_uri``, build the offer list and write it as a new table version.

    Parameters
    ----------
    model_uri : str
        Normally ``models:/<name>@Champion`` (promotion changes what is scored, not this code).
    customers : pandas.DataFrame
        Tonight's customers (the model's input columns plus ``customerID``).
    table : path
        The Delta table folder (e.g. ``ws.table(OFFER_TABLE)``).
    run_date : str
        The night, e.g. ``"2024-05-01"``, stored in every row.
    model_version : int, optional
        Stored in every row, so the list says which model made it.

    Returns
    -------
    tuple of (pandas.DataFrame, int)
        The list (columns :data:`LIST_COLUMNS`; ``model_version`` -1 when not given) and the table version
        written.
    """
    from mlops_edu.data.lake import write_table

    ranked = offer_list(score_pandas(model_uri, customers))
    ranked["model_version"] = np.int64(-1 if model_version is None else model_version)
    ranked["run_date"] = str(run_date)
    ranked = ranked[list(LIST_COLUMNS)]
    return ranked, write_table(ranked, table, mode="overwrite")


def offer_policy_table(y_true: Any, offer: Any, model_probability: Any,
                       true_probability: Any | None = None) -> pd.DataFrame:
    """Dollars of the offer list against the two policies that need no model, three ways.

    Rows: ``model list`` (``offer``), ``offers for everyone``, ``no offers``. Columns: ``offers``,
    ``expected by the model`` (sum of the expected value with the model's probabilities),
    ``expected, true probabilities`` (with the generator's P(churn), when given) and ``realised``
    (:func:`mlops_edu.business.business_value` with the true labels).

    Parameters
    ----------
    y_true : array-like of 0/1
        True churn labels.
    offer : array-like of bool
        The model's list: ``True`` = offer.
    model_probability : array-like of float
        The model's churn probability per customer.
    true_probability : array-like of float, optional
        The generator's churn probability per customer.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``policy``, with the columns above (dollars relative to no offers).
    """
    y = np.asarray(y_true, dtype=int)
    masks = {"model list": np.asarray(offer, dtype=bool), "offers for everyone": np.ones(len(y), bool),
             "no offers": np.zeros(len(y), bool)}
    p_model = np.asarray(model_probability, dtype=float)
    rows = []
    for name, mask in masks.items():
        row = {"policy": name, "offers": int(mask.sum()),
               "expected by the model": float(offer_expected_value(p_model[mask]).sum()) if mask.any() else 0.0}
        if true_probability is not None:
            p_true = np.asarray(true_probability, dtype=float)
            row["expected, true probabilities"] = float(offer_expected_value(p_true[mask]).sum()) if mask.any() else 0.0
        row["realised"] = business_value(y, mask.astype(int))
        rows.append(row)
    return pd.DataFrame(rows).set_index("policy")


def break_even_probability() -> float:
    """The churn probability above which an offer pays on average (the break-even precision, 0.25).

    >>> break_even_probability()
    0.25
    """
    return break_even_precision()
