"""Steps 4 and 5 of the lab (lecture 10): the held-out rows for validation, batch inference, lineage.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.deployment import registry
from mlops_edu.lab.tables import BRONZE, PREDICTIONS, TRAINING, LabError, LabTables, TableRef, split_frame
from mlops_edu.workbook.workspace import ChapterWorkspace

# --------------------------------------------------------------------------------------------------
# Step 4: validation inputs
# --------------------------------------------------------------------------------------------------

def holdout(prepared: LabTables, sample_rows: int = 200) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """``(X_test, y_test, inference_sample)``: the held-out rows both models are judged on, and rows to score.

    Serves lecture section 10, step 4.

    Parameters
    ----------
    prepared : LabTables
        Table versions written by step 1.
    sample_rows : int
        Rows of the inference table in the sample (the first ones).

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series, pandas.DataFrame)
    """
    from mlops_edu.data.lake import read_table

    training = read_table(prepared.training.path, prepared.training.version)
    X_test, y_test = split_frame(training, "test")
    sample = read_table(prepared.inference.path, prepared.inference.version).head(sample_rows)
    return X_test, y_test, sample


# --------------------------------------------------------------------------------------------------
# Step 5: batch inference and lineage
# --------------------------------------------------------------------------------------------------

def batch_inference(ws: ChapterWorkspace, prepared: LabTables, *, engine: str = "pandas",
                    name: str = registry.MODEL_NAME, spark: Any = None) -> tuple[TableRef, pd.DataFrame]:
    """Step 5: ``@Champion`` scores the inference table; the result becomes ``mlops_churn_predictions``.

    Serves lecture section 10, step 5. The predictions table holds the inference table's columns plus
    ``predictions`` (1 = churn), ``churn_probability`` and ``model_version`` (which Champion scored it).

    Parameters
    ----------
    ws : ChapterWorkspace
        The workspace (the predictions table is written into its lake).
    prepared : LabTables
        Table versions written by step 1.
    engine : str
        ``"pandas"`` or ``"spark"`` (:mod:`mlops_edu.deployment.inference`).
    name : str
        Registered-model name.
    spark : SparkSession or None
        Session for ``engine="spark"``.

    Returns
    -------
    tuple of (TableRef, pandas.DataFrame)
        The predictions table written and the predictions frame.

    Raises
    ------
    LabError
        When ``name@Champion`` does not exist.
    """
    from mlops_edu.data.lake import read_table, write_table
    from mlops_edu.deployment.inference import batch_score

    champion = registry.version_by_alias(registry.CHAMPION, name)
    if champion is None:
        raise LabError(f"{name}@{registry.CHAMPION} does not exist: no model has been promoted yet")
    rows = read_table(prepared.inference.path, prepared.inference.version)
    scored = batch_score(registry.model_uri(name, registry.CHAMPION), rows, engine=engine, spark=spark)
    scored["model_version"] = np.int64(champion.version)
    path = ws.table(PREDICTIONS)
    version = write_table(scored, path)
    return TableRef(PREDICTIONS, path, version, len(scored)), scored


def lineage_chain(prepared: LabTables, predictions: TableRef, name: str = registry.MODEL_NAME) -> list[tuple[str, str]]:
    """Bronze version -> training version -> run -> model version -> alias -> predictions version.

    Serves lecture section 10, step 5. Reads the Champion's lineage from the registry (its run, the dataset
    logged as the run's input and the bronze version the run was tagged with), so the chain is what MLflow
    recorded, not what the notebook remembers: after a rollback it shows the older tables the restored
    Champion came from.

    Parameters
    ----------
    prepared : LabTables
        Step 1's tables (the bronze version is the fallback when the run has no tag).
    predictions : TableRef
        The predictions table of :func:`batch_inference`.
    name : str
        Registered-model name.

    Returns
    -------
    list of (str, str)
        ``(kind, label)`` pairs, as :func:`mlops_edu.lab.plots.plot_lineage_chain` draws them.

    Raises
    ------
    LabError
        When ``name@Champion`` does not exist.
    """
    champion = registry.version_by_alias(registry.CHAMPION, name)
    if champion is None:
        raise LabError(f"{name}@{registry.CHAMPION} does not exist")
    lin = registry.lineage(champion.version, name)
    ds = lin["datasets"][0] if lin["datasets"] else {"table": TRAINING, "table_version": None}
    bronze = prepared.bronze.version
    if lin["run_id"]:
        import mlflow

        bronze = mlflow.get_run(lin["run_id"]).data.tags.get("bronze_table_version", bronze)
    return [("bronze table", f"{BRONZE}\nv{bronze}"),
            ("training table", f"{ds['table']}\nv{ds['table_version']}"),
            ("MLflow run", str(lin["run_name"])),
            ("model version", f"{name}\nv{lin['version']}"),
            ("alias", f"@{registry.CHAMPION}"),
            ("predictions table", f"{predictions.name}\nv{predictions.version}")]


