"""Step 1 of the lab (lecture 10): the workspace, the Delta tables, EDA, cleaning, the keyed split.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from mlops_edu.data.lake import TableRef
from mlops_edu.workbook.config import setup_chapter
from mlops_edu.workbook.workspace import ChapterWorkspace

BRONZE = "mlops_churn_bronze_customer"
TRAINING = "mlops_churn_training"
INFERENCE = "mlops_churn_inference"
PREDICTIONS = "mlops_churn_predictions"
EXPERIMENT = "mlops_churn_lab"
"""The MLflow experiment of the lab's training runs."""

SPLITS = (("train", 0.6), ("validation", 0.2), ("test", 0.2))
"""Shares of the labelled rows in each split of ``mlops_churn_training``."""
INFERENCE_SHARE = 0.1
"""Share of customers held back as the (unlabelled) inference table."""

CONFIGS: tuple[dict[str, Any], ...] = (
    {"num_leaves": 7, "learning_rate": 0.05, "n_estimators": 150, "min_child_samples": 40},
    {"num_leaves": 15, "learning_rate": 0.05, "n_estimators": 200, "min_child_samples": 20},
    {"num_leaves": 31, "learning_rate": 0.1, "n_estimators": 100, "min_child_samples": 20},
)
"""The LightGBM configurations step 2 tries (on top of ``mlops_edu.training.DEFAULT_PARAMS``)."""

DROP_FROM_FEATURES = ("split",)


class LabError(ValueError):
    """A lab step cannot run (missing table, no Champion to score with, ...); the message says which."""


# --------------------------------------------------------------------------------------------------
# Workspace for the headless job
# --------------------------------------------------------------------------------------------------

def open_workspace(root: str | Path, seed: int = 4) -> ChapterWorkspace:
    """Use the folder ``root`` as the lab's workspace (MLflow store, Delta lake, logs), keeping what it has.

    Serves lecture section 10. The headless job's counterpart of ``setup_chapter("09")``: nothing is moved
    aside, so running the job again in the same folder registers a new version and compares it with the
    existing Champion. Warnings and library logs go to ``root/logs/chapter.log``.

    Parameters
    ----------
    root : str or pathlib.Path
        The workspace folder.
    seed : int
        The chapter seed.

    Returns
    -------
    ChapterWorkspace
    """
    return setup_chapter("09", seed=seed, experiment=EXPERIMENT, root=root)


# --------------------------------------------------------------------------------------------------
# Step 1: data preparation and feature engineering
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabTables:
    """What step 1 wrote: the bronze version it read, the training and inference tables, split sizes."""

    bronze: TableRef
    training: TableRef
    inference: TableRef
    split_rows: dict[str, int]

    def summary(self) -> pd.DataFrame:
        """One row per table: table, version, rows (no paths: safe to print)."""
        return pd.DataFrame([(t.name, t.version, t.rows) for t in (self.bronze, self.training, self.inference)],
                            columns=["table", "version", "rows"])


def write_bronze(raw: pd.DataFrame, ws: ChapterWorkspace, mode: str = "overwrite") -> TableRef:
    """Land the raw customers, as received, in the bronze Delta table.

    Serves lecture section 10, step 1.

    Parameters
    ----------
    raw : pandas.DataFrame
        The customers as received.
    ws : ChapterWorkspace
        The workspace (the table lives in ``ws.lake``).
    mode : str
        ``"overwrite"`` or ``"append"``.

    Returns
    -------
    TableRef
        The bronze version written and its rows (all rows of that version after an append).
    """
    from mlops_edu.data.lake import write_table

    path = ws.table(BRONZE)
    version = write_table(raw, path, mode=mode)
    from mlops_edu.data.lake import read_table

    return TableRef(BRONZE, path, version, len(read_table(path, version)) if mode == "append" else len(raw))


def eda(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The lab's short EDA: customers per internet service type, churn rate by contract.

    Serves lecture section 10, step 1.

    Parameters
    ----------
    df : pandas.DataFrame
        Customers with ``InternetService``, ``Contract`` and ``Churn``.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``{"internet": customers and share per InternetService, "contract": customers and churn rate per
        Contract}``, sorted by the published category order.

    Raises
    ------
    LabError
        When one of the three columns is missing.
    """
    for col in ("InternetService", "Contract", "Churn"):
        if col not in df.columns:
            raise LabError(f"eda(): column {col!r} is missing")
    internet = df["InternetService"].value_counts().rename("customers").to_frame()
    internet["share"] = (internet["customers"] / len(df)).round(3)
    internet = internet.reindex([c for c in ("DSL", "Fiber optic", "No") if c in internet.index])
    churned = df["Churn"].astype("string").eq("Yes")
    contract = pd.DataFrame({"customers": df.groupby("Contract").size(),
                             "churn_rate": churned.groupby(df["Contract"]).mean().round(3)})
    contract = contract.reindex([c for c in ("Month-to-month", "One year", "Two year") if c in contract.index])
    internet.index.name, contract.index.name = "InternetService", "Contract"
    return {"internet": internet, "contract": contract}


def clean(df: pd.DataFrame) -> pd.DataFrame:
    """Validate the Telco schema, drop duplicate customers (keep the latest row), fill blank TotalCharges.

    Serves lecture section 10, step 1. A blank ``TotalCharges`` belongs to a customer with tenure 0 who has
    not been billed yet: it becomes 0.0 (:func:`mlops_edu.data.fill_unbilled_total_charges`, the one rule,
    which validation guarantees is the only kind of blank).

    Parameters
    ----------
    df : pandas.DataFrame
        Raw customers, label included.

    Returns
    -------
    pandas.DataFrame
        One row per customer, with a new index.

    Raises
    ------
    SchemaError
        Naming the columns that do not fit (:class:`mlops_edu.data.SchemaError`).
    """
    from mlops_edu.data.validation import fill_unbilled_total_charges, validate_customers

    out = df.drop_duplicates("customerID", keep="last").reset_index(drop=True)
    validate_customers(out, require_label=True)
    return fill_unbilled_total_charges(out)


def _bucket(ids: pd.Series, salt: str) -> np.ndarray:
    """A stable number in [0, 1) per id (sha256 of salt + id): the same id always gets the same number."""
    return np.array([int.from_bytes(hashlib.sha256(f"{salt}:{i}".encode()).digest()[:8], "big") / 2.0 ** 64
                     for i in ids.astype(str)])


def assign_split(ids: pd.Series, *, inference_share: float = INFERENCE_SHARE,
                 splits: Sequence[tuple[str, float]] = SPLITS, salt: str = "mlops-churn") -> pd.Series:
    """``"inference"``, ``"train"``, ``"validation"`` or ``"test"`` for each customer id, by a stable hash.

    Serves lecture section 10, step 1. Deterministic and independent of row order and of other customers:
    new data never moves an old customer to another split.

    Parameters
    ----------
    ids : pandas.Series
        Customer ids.
    inference_share : float
        Share held back as the inference table, in [0, 1).
    splits : sequence of (str, float)
        Names and shares of the labelled splits (positive, summing to 1).
    salt : str
        Salt of the hash; another salt gives another split.

    Returns
    -------
    pandas.Series
        Named ``split``, dtype ``string``, with the index of ``ids``.

    Raises
    ------
    LabError
        When the shares are not positive, do not sum to 1, or ``inference_share`` is outside [0, 1).

    >>> assign_split(pd.Series(["7590-VHVEG", "5575-GNVDE"])).tolist()   # doctest: +SKIP
    ['train', 'test']
    """
    shares = np.array([s for _, s in splits], dtype=float)
    if not np.isclose(shares.sum(), 1.0) or (shares <= 0).any() or not 0 <= inference_share < 1:
        raise LabError(f"assign_split(): split shares must be positive and sum to 1, got {list(splits)}")
    u = _bucket(ids, salt)
    labels = np.empty(len(ids), dtype=object)
    labels[:] = splits[-1][0]
    infer = u < inference_share
    v = (u - inference_share) / (1 - inference_share)
    edges = np.cumsum(shares)[:-1]
    for (name, _), edge in zip(reversed(splits[:-1]), reversed(edges)):
        labels[v < edge] = name
    labels[infer] = "inference"
    return pd.Series(labels, index=ids.index, dtype="string", name="split")


def prepare_tables(ws: ChapterWorkspace, bronze_version: int | None = None) -> LabTables:
    """Step 1: read bronze, clean, add features, write the training table (with ``split``) and inference table.

    Serves lecture section 10, step 1.

    Parameters
    ----------
    ws : ChapterWorkspace
        The workspace (tables live in ``ws.lake``).
    bronze_version : int or None
        The bronze version to read (default: the latest).

    Returns
    -------
    LabTables
        The versions and sizes written.

    Raises
    ------
    LabError
        When a split ends up empty (too few customers).
    """
    from mlops_edu.data.lake import read_table, table_version, write_table
    from mlops_edu.training.features import add_features

    bronze_path = ws.table(BRONZE)
    version = table_version(bronze_path) if bronze_version is None else int(bronze_version)
    raw = read_table(bronze_path, version)
    customers = add_features(clean(raw))
    split = assign_split(customers["customerID"])
    training = customers[split != "inference"].assign(split=split[split != "inference"]).reset_index(drop=True)
    inference = customers[split == "inference"].drop(columns=["Churn"]).reset_index(drop=True)
    v_train = write_table(training, ws.table(TRAINING))
    v_infer = write_table(inference, ws.table(INFERENCE))
    counts = {name: int((training["split"] == name).sum()) for name, _ in SPLITS}
    for name, rows in counts.items():
        if rows == 0:
            raise LabError(f"the {name!r} split is empty: {len(customers)} customers are too few for the lab")
    return LabTables(bronze=TableRef(BRONZE, bronze_path, version, len(raw)),
                    training=TableRef(TRAINING, ws.table(TRAINING), v_train, len(training)),
                    inference=TableRef(INFERENCE, ws.table(INFERENCE), v_infer, len(inference)),
                    split_rows=counts)


def history(table: TableRef) -> pd.DataFrame:
    """The Delta history of a lab table without timestamps (version, operation, mode, rows added).

    Serves lecture section 10 (which data version trained which model).

    Parameters
    ----------
    table : TableRef
        The table.

    Returns
    -------
    pandas.DataFrame
    """
    from mlops_edu.data.lake import table_history

    return table_history(table.path).drop(columns=["timestamp"])


def split_frame(training: pd.DataFrame, split: str) -> tuple[pd.DataFrame, pd.Series]:
    """``(X, y)`` of one split of the training table (features only: no id, label, split, teaching columns).

    Serves lecture section 10, steps 2 and 4.

    Parameters
    ----------
    training : pandas.DataFrame
        The training table, with its ``split`` column.
    split : str
        ``"train"``, ``"validation"`` or ``"test"``.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series)

    Raises
    ------
    LabError
        When the split has no rows.
    """
    from mlops_edu.training.features import split_xy

    part = training[training["split"] == split].drop(columns=list(DROP_FROM_FEATURES))
    if part.empty:
        raise LabError(f"the training table has no {split!r} rows")
    return split_xy(part)


