"""The whole lab as one headless job: ``python -m mlops_edu lab`` ("deploy code, not notebooks").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from mlops_edu import business
from mlops_edu.deployment import registry, validation
from mlops_edu.lab.scoring import batch_inference, holdout
from mlops_edu.lab.tables import CONFIGS, PREDICTIONS, LabError, open_workspace, prepare_tables, write_bronze
from mlops_edu.lab.training import register_best, train_configs

# --------------------------------------------------------------------------------------------------
# The whole lab as one job (python -m mlops_edu lab)
# --------------------------------------------------------------------------------------------------

def threshold_from(value: str | float | None) -> tuple[float, str]:
    """Parse ``--f1-threshold``: a number in [0, 1], or ``"business"`` (default) for :func:`business.break_even_f1`."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "business"):
        return business.break_even_f1(), ("business case: a $500 discount pays off when precision >= "
                                          "500/2000 = 0.25, guaranteed by F1 >= 0.4")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LabError(f"--f1-threshold must be a number in [0, 1] or 'business', got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise LabError(f"--f1-threshold must lie in [0, 1], got {number}")
    return number, "given on the command line"


def load_customers(data: str | Path | None, *, n: int = 7043, seed: int = 4) -> pd.DataFrame:
    """The lab's raw customers: a Telco-schema CSV (validated, blank TotalCharges allowed) or generated data.

    Raises :class:`mlops_edu.data.SchemaError` naming the missing or malformed columns.
    """
    from mlops_edu.data.generator import make_customers
    from mlops_edu.data.schema import TELCO_COLUMNS, SchemaError
    from mlops_edu.data.validation import load_telco_csv, validate_customers

    if data is None:
        return make_customers(n, seed=seed)
    path = Path(data)
    if path.is_file():  # the lab needs the label too: name every missing column, Churn included, at once
        try:
            header = [str(c).strip() for c in pd.read_csv(path, nrows=0).columns]
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise SchemaError(f"{path}: not a readable CSV ({exc})") from exc
        missing = [c for c in TELCO_COLUMNS if c not in header]
        if missing:
            raise SchemaError(f"{path}: missing column(s) {missing}; the lab needs the 21 columns of the "
                              f"IBM Telco Customer Churn file, label Churn included")
    frame = load_telco_csv(path)
    validate_customers(frame, require_label=True)
    return frame


def run_lab(data: str | Path | None, workspace: str | Path, *, f1_threshold: str | float | None = None,
            engine: str = "pandas", seed: int = 4, n: int = 7043,
            configs: Sequence[Mapping[str, Any]] = CONFIGS) -> dict[str, Any]:
    """Steps 1-5 without Jupyter; returns the JSON-ready summary printed by ``python -m mlops_edu lab``.

    The CSV is loaded and validated *before* the workspace is touched: a file that does not fit raises
    :class:`mlops_edu.data.SchemaError` and nothing is written or registered.

    Returns
    -------
    ``{"rows_read", "data", "tables", "test_metrics", "registered_model", "validation", "promoted",
    "reason", "aliases", "predictions", "engine"}``.
    """
    from mlops_edu.deployment.inference import ENGINES

    if engine not in ENGINES:
        raise LabError(f"--engine must be one of {list(ENGINES)}, got {engine!r}")
    threshold, threshold_source = threshold_from(f1_threshold)
    raw = load_customers(data, n=n, seed=seed)

    ws = open_workspace(workspace, seed=seed)
    write_bronze(raw, ws)
    prepared = prepare_tables(ws)
    runs = train_configs(ws, prepared, configs, seed=seed)
    challenger = register_best(ws, prepared)
    X_test, y_test, sample = holdout(prepared)
    report = validation.validate_challenger(X_test, y_test, sample, f1_threshold=threshold)
    promotion = validation.promote(report)
    test = report.challenger_metrics or {}
    summary: dict[str, Any] = {
        "rows_read": int(len(raw)),
        "data": str(Path(data).resolve()) if data is not None else f"generated (n={n}, seed={seed})",
        "tables": {t.name: {"version": t.version, "rows": t.rows}
                   for t in (prepared.bronze, prepared.training, prepared.inference)},
        "runs": int(len(runs)),
        "test_metrics": {k: round(float(test[k]), 4) for k in ("f1", "roc_auc", "precision", "recall") if k in test},
        "business_value_usd": round(float(test["business_value"]), 2) if "business_value" in test else None,
        "registered_model": {"name": challenger.name, "version": challenger.version,
                             "run_name": challenger.run_name},
        "validation": {"f1_threshold": threshold, "f1_threshold_source": threshold_source,
                       "checks": {c.name: c.passed for c in report.checks},
                       "champion_before": report.champion_version},
        "promoted": promotion.promoted,
        "reason": promotion.reason,
        "engine": engine,
    }
    if registry.version_by_alias(registry.CHAMPION) is not None:
        spark = None
        if engine == "spark":
            from mlops_edu.deployment.inference import spark_session

            spark = spark_session(log_file=ws.logs / "spark.log")
        try:
            table, _ = batch_inference(ws, prepared, engine=engine, spark=spark)
        finally:
            if spark is not None:
                spark.stop()
        summary["predictions"] = {"table": PREDICTIONS, "path": str(table.path), "version": table.version,
                                  "rows": table.rows,
                                  "scored_by": f"{registry.MODEL_NAME}@{registry.CHAMPION}"}
    else:
        summary["predictions"] = None
        summary["reason"] += "; no Champion exists, so batch inference did not run"
    summary["aliases"] = registry.aliases()
    return summary
