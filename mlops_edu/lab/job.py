"""The whole lab as one headless job: ``python -m mlops_edu lab`` ("deploy code, not notebooks", lecture 6, 10).

The job's contract:

* :func:`check_input` refuses bad input **before the workspace is touched**: a bad option, a CSV that
  does not fit the Telco schema, or data the model cannot learn from (too few rows, too few churners or
  stayers). It raises :class:`~mlops_edu.lab.tables.LabError` or :class:`~mlops_edu.data.SchemaError`
  (both ``ValueError``); the command line exits 2 and nothing is written.
* :func:`run_job` then runs steps 1-5 and returns a summary that :func:`strict_json` turns into strict
  JSON (no NaN or Infinity: ``null`` and a ``<key>_null_reason``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from mlops_edu import business
from mlops_edu.deployment import registry, validation
from mlops_edu.lab.scoring import batch_inference, holdout
from mlops_edu.lab.tables import CONFIGS, PREDICTIONS, LabError, open_workspace, prepare_tables, write_bronze
from mlops_edu.lab.training import register_best, train_configs

MIN_ROWS = 200
"""Fewer labelled customers than this cannot fill train, validation and test splits: bad input."""
MIN_PER_CLASS = 50
"""Fewer churners (or stayers) than this leave a test split with a handful of them: bad input."""


# --------------------------------------------------------------------------------------------------
# Input: everything checked before the workspace is touched (exit 2)
# --------------------------------------------------------------------------------------------------

def threshold_from(value: str | float | None) -> tuple[float | None, str]:
    """Parse ``--f1-threshold``: ``None`` (default: no F1 floor, the dollar gate decides) or a number in [0, 1].

    Serves lecture section 10 (the lab's deploy gate).

    Parameters
    ----------
    value : str, float or None
        The option as given; ``None``, ``""`` or ``"none"`` mean no F1 floor.

    Returns
    -------
    tuple of (float or None, str)
        The threshold and a sentence saying where it came from.

    Raises
    ------
    LabError
        When the value is not a number or lies outside [0, 1].

    >>> threshold_from("0.8")
    (0.8, "the lecture's F1 floor, given on the command line")
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None, "none declared: the dollar gate against the Champion or the best policy without a model decides"
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LabError(f"--f1-threshold must be a number in [0, 1], got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise LabError(f"--f1-threshold must lie in [0, 1], got {number}")
    return number, "the lecture's F1 floor, given on the command line"


def load_customers(data: str | Path | None, *, n: int = 7043, seed: int = 4) -> pd.DataFrame:
    """The lab's raw customers: a Telco-schema CSV (validated, blank TotalCharges allowed) or generated data.

    Serves lecture section 10, step 1.

    Parameters
    ----------
    data : str, pathlib.Path or None
        CSV with the 21 Telco columns (label ``Churn`` included); ``None`` generates customers.
    n : int
        Customers to generate when ``data`` is ``None``.
    seed : int
        Seed of the generated customers.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    SchemaError
        Naming the missing or malformed columns (:class:`mlops_edu.data.SchemaError`).
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


def check_learnable(raw: pd.DataFrame, *, min_rows: int = MIN_ROWS, min_per_class: int = MIN_PER_CLASS) -> None:
    """Refuse data a churn model cannot learn from: too few distinct customers, churners or stayers.

    Serves lecture section 10 (input checks of the headless job).

    Parameters
    ----------
    raw : pandas.DataFrame
        Customers with ``customerID`` and ``Churn`` (duplicate ids count once, the last row kept).
    min_rows : int
        Fewest distinct customers accepted.
    min_per_class : int
        Fewest churners, and fewest stayers, accepted.

    Raises
    ------
    LabError
        Naming which count is too small.

    >>> import pandas as pd
    >>> check_learnable(pd.DataFrame({"customerID": ["a", "b"], "Churn": ["Yes", "No"]}))
    Traceback (most recent call last):
    ...
    mlops_edu.lab.tables.LabError: 2 customers are too few to learn from: the lab needs at least 200 ...
    """
    customers = raw.drop_duplicates("customerID", keep="last")
    churn = customers["Churn"].astype("string").eq("Yes")
    if len(customers) < min_rows:
        raise LabError(f"{len(customers)} customers are too few to learn from: the lab needs at least {min_rows} "
                       "(60% train, 20% validation, 20% test after 10% are held back for inference)")
    for label, count in (("churners", int(churn.sum())), ("customers who stayed", int((~churn).sum()))):
        if count < min_per_class:
            raise LabError(f"{count} {label} among {len(customers)} customers are too few to learn from: "
                           f"the lab needs at least {min_per_class}")


@dataclass(frozen=True)
class LabJob:
    """A checked job: the raw customers and every option, ready to run (nothing written yet)."""

    raw: pd.DataFrame = field(repr=False)
    data: str
    workspace: Path
    rule: validation.PromotionRule
    f1_threshold_source: str
    engine: str
    seed: int


def check_input(data: str | Path | None, workspace: str | Path, *, f1_threshold: str | float | None = None,
                min_gain_usd: float = 0.0, min_gain_f1: float = 0.0, engine: str = "pandas", seed: int = 4,
                n: int = 7043) -> LabJob:
    """Check every input of the job without writing anything; raise a ``ValueError`` naming the problem.

    Serves lecture sections 6 and 10 ("deploy code, not notebooks": bad input exits 2 before any write).

    Parameters
    ----------
    data : str, pathlib.Path or None
        Telco CSV, or ``None`` for generated customers (:func:`load_customers`).
    workspace : str or pathlib.Path
        Folder of the workspace; must be a folder if it exists.
    f1_threshold : str, float or None
        ``--f1-threshold`` (:func:`threshold_from`).
    min_gain_usd, min_gain_f1 : float
        Declared margins of the promotion rule (finite numbers).
    engine : str
        Batch-inference engine, one of :data:`mlops_edu.deployment.inference.ENGINES`.
    seed : int
        Seed of the generated data and of the promotion rule's bootstrap.
    n : int
        Rows to generate when ``data`` is ``None`` (at least :data:`MIN_ROWS`).

    Returns
    -------
    LabJob

    Raises
    ------
    LabError or SchemaError
        Both are ``ValueError``.
    """
    from mlops_edu.deployment.inference import ENGINES, spark_available

    if engine not in ENGINES:
        raise LabError(f"--engine must be one of {list(ENGINES)}, got {engine!r}")
    if engine == "spark" and not spark_available()[0]:
        raise LabError(f"--engine spark: {spark_available()[1]}")
    threshold, source = threshold_from(f1_threshold)
    for option, margin in (("--min-gain-usd", min_gain_usd), ("--min-gain-f1", min_gain_f1)):
        if not math.isfinite(float(margin)):
            raise LabError(f"{option} must be a finite number, got {margin}")
    root = Path(workspace).expanduser()
    if root.exists() and not root.is_dir():
        raise LabError(f"--workspace {root} exists and is not a folder")
    if data is None and n < MIN_ROWS:
        raise LabError(f"--rows must be at least {MIN_ROWS}, got {n}")
    raw = load_customers(data, n=n, seed=seed)
    check_learnable(raw)
    rule = validation.PromotionRule(f1_threshold=threshold, min_gain_usd=float(min_gain_usd),
                                    min_gain_f1=float(min_gain_f1), seed=seed)
    label = str(Path(data).resolve()) if data is not None else f"generated (n={n}, seed={seed})"
    return LabJob(raw=raw, data=label, workspace=root, rule=rule, f1_threshold_source=source, engine=engine,
                  seed=seed)


# --------------------------------------------------------------------------------------------------
# The five steps (everything after this point writes into the workspace)
# --------------------------------------------------------------------------------------------------

def _policy_summary(report: validation.ValidationReport) -> dict[str, Any]:
    best = max(business.TRIVIAL_POLICIES, key=lambda k: (report.trivial_values.get(k, 0.0), k == "no offers"))
    return {**{k: round(float(v), 2) for k, v in report.trivial_values.items()}, "best": best}


def _validation_summary(job: LabJob, report: validation.ValidationReport) -> dict[str, Any]:
    return {"rule": str(job.rule), "f1_threshold": job.rule.f1_threshold,
            "f1_threshold_source": job.f1_threshold_source,
            "margins": {"f1": job.rule.min_gain_f1, "usd_per_customer": job.rule.min_gain_usd},
            "checks": {c.name: c.passed for c in report.checks},
            "compared_with": report.reference, "champion_before": report.champion_version,
            "gains": {k: iv.as_dict() for k, iv in report.intervals.items()}}


def _score_with_champion(job: LabJob, ws: Any, prepared: Any) -> dict[str, Any] | None:
    if registry.version_by_alias(registry.CHAMPION) is None:
        return None
    spark = None
    if job.engine == "spark":
        from mlops_edu.deployment.inference import spark_session

        spark = spark_session(log_file=ws.logs / "spark.log")
    try:
        table, _ = batch_inference(ws, prepared, engine=job.engine, spark=spark)
    finally:
        if spark is not None:
            spark.stop()
    return {"table": PREDICTIONS, "path": str(table.path), "version": table.version, "rows": table.rows,
            "scored_by": f"{registry.MODEL_NAME}@{registry.CHAMPION}"}


def run_job(job: LabJob, configs: Sequence[Mapping[str, Any]] = CONFIGS) -> dict[str, Any]:
    """Steps 1-5 on a checked job; returns the summary printed by ``python -m mlops_edu lab``.

    Serves lecture section 10 (all five steps).

    Parameters
    ----------
    job : LabJob
        From :func:`check_input`.
    configs : sequence of mapping
        LightGBM configurations step 2 trains (default :data:`~mlops_edu.lab.tables.CONFIGS`).

    Returns
    -------
    dict
        ``rows_read``, ``data``, ``tables``, ``runs``, ``test_metrics``, ``business_value_usd``,
        ``baselines`` (no offers, offers for everyone, the better one), ``registered_model``,
        ``validation`` (rule, checks, the paired-bootstrap gains), ``promoted``, ``reason``,
        ``predictions``, ``aliases``, ``engine``.
    """
    ws = open_workspace(job.workspace, seed=job.seed)
    write_bronze(job.raw, ws)
    prepared = prepare_tables(ws)
    runs = train_configs(ws, prepared, configs, seed=job.seed)
    challenger = register_best(ws, prepared)
    X_test, y_test, sample = holdout(prepared)
    report = validation.validate_challenger(X_test, y_test, sample, rule=job.rule)
    promotion = validation.promote(report)
    test = report.challenger_metrics or {}
    summary: dict[str, Any] = {
        "rows_read": int(len(job.raw)), "data": job.data,
        "tables": {t.name: {"version": t.version, "rows": t.rows}
                   for t in (prepared.bronze, prepared.training, prepared.inference)},
        "runs": int(len(runs)),
        "test_metrics": {k: round(float(test[k]), 4) for k in ("f1", "roc_auc", "precision", "recall") if k in test},
        "business_value_usd": round(float(test["business_value"]), 2) if "business_value" in test else None,
        "baselines": _policy_summary(report),
        "registered_model": {"name": challenger.name, "version": challenger.version, "run_name": challenger.run_name},
        "validation": _validation_summary(job, report),
        "promoted": promotion.promoted, "reason": promotion.reason, "engine": job.engine,
    }
    summary["predictions"] = _score_with_champion(job, ws, prepared)
    if summary["predictions"] is None:
        summary["reason"] += "; no Champion exists, so batch inference did not run"
    summary["aliases"] = registry.aliases()
    return summary


def run_lab(data: str | Path | None, workspace: str | Path, *, f1_threshold: str | float | None = None,
            engine: str = "pandas", seed: int = 4, n: int = 7043, min_gain_usd: float = 0.0,
            min_gain_f1: float = 0.0, configs: Sequence[Mapping[str, Any]] = CONFIGS) -> dict[str, Any]:
    """:func:`check_input` then :func:`run_job`: the whole lab in one call (bad input raises before writing).

    Serves lecture section 10. The parameters are those of :func:`check_input` and :func:`run_job`.

    Returns
    -------
    dict
        The summary of :func:`run_job`.
    """
    job = check_input(data, workspace, f1_threshold=f1_threshold, min_gain_usd=min_gain_usd,
                      min_gain_f1=min_gain_f1, engine=engine, seed=seed, n=n)
    return run_job(job, configs)


# --------------------------------------------------------------------------------------------------
# Strict JSON
# --------------------------------------------------------------------------------------------------

def _strict(value: Any) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, float) and not math.isfinite(item):
                out[key] = None
                out[f"{key}_null_reason"] = (f"{item} is not a number JSON can hold: the value is undefined on "
                                             "these rows (e.g. ROC AUC with one class only)")
            else:
                out[key] = _strict(item)
        return out
    if isinstance(value, (list, tuple)):
        return [None if isinstance(v, float) and not math.isfinite(v) else _strict(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return _strict(value.item())
    return value


def strict_json(summary: Mapping[str, Any], indent: int | None = None) -> str:
    """The summary as strict JSON: NaN/Infinity become ``null`` next to a ``<key>_null_reason``.

    Parameters
    ----------
    summary : mapping
        E.g. the output of :func:`run_job`; numpy scalars are converted.
    indent : int or None
        Passed to :func:`json.dumps`.

    Returns
    -------
    str

    >>> text = strict_json({"roc_auc": float("nan"), "f1": 0.5})
    >>> json.loads(text)["roc_auc"], "roc_auc_null_reason" in text
    (None, True)
    """
    return json.dumps(_strict(summary), allow_nan=False, indent=indent)
