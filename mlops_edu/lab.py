"""The end-to-end lab of lecture section 10, offline: five steps as functions.

The notebook ``workbook/09_lab_end_to_end.ipynb`` calls them one by one; ``python -m mlops_edu lab``
(:func:`run_lab`) chains them as a headless job ("deploy code, not notebooks").

1. **Data preparation** (:func:`write_bronze`, :func:`eda`, :func:`clean`, :func:`prepare_tables`): the raw
   customers land in the Delta table ``mlops_churn_bronze_customer``; cleaned rows with engineered
   features (``num_optional_services``, ...) go to ``mlops_churn_training`` with a ``split`` column
   (train / validation / test) and the rows to score to ``mlops_churn_inference`` (no label).
2. **Training and tracking** (:func:`train_candidates`): one MLflow run per LightGBM configuration; each
   run first logs its dataset lineage (the Delta table and version), then params (sklearn autolog),
   validation and test metrics, the ROC curve and confusion matrix, and the model with pinned
   requirements.
3. **Registry** (:func:`register_best`): the best run by validation F1 (``mlflow.search_runs``) is
   registered as ``workbook.mlops.mlops_churn`` with a description and tags, alias ``Challenger``.
4. **Validation and promotion** (:func:`holdout`, then :func:`mlops_edu.registry.validate_challenger` and
   :func:`mlops_edu.registry.promote`): automated checks, Champion vs Challenger on the same rows.
5. **Batch inference** (:func:`batch_inference`): ``@Champion`` scores the inference table into
   ``mlops_churn_predictions``; :func:`lineage_chain` names every link from bronze table to predictions.

Splits are decided by a keyed hash of ``customerID`` (:func:`assign_split`), so a customer stays in the
same split when new data arrives: a later test set never contains rows an earlier Champion trained on,
and Champion and Challenger are compared fairly on the same held-out rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from mlops_edu import registry
from mlops_edu.config import ChapterWorkspace, setup_chapter, use_experiment

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
"""The LightGBM configurations step 2 tries (on top of ``mlops_edu.train.DEFAULT_PARAMS``)."""

DROP_FROM_FEATURES = ("split",)


class LabError(ValueError):
    """A lab step cannot run (missing table, no Champion to score with, ...); the message says which."""


# --------------------------------------------------------------------------------------------------
# Workspace for the headless job
# --------------------------------------------------------------------------------------------------

def open_workspace(root: str | Path, seed: int = 4) -> ChapterWorkspace:
    """Use the folder ``root`` as the lab's workspace (MLflow store, Delta lake, logs), keeping what it has.

    The headless job's counterpart of ``setup_chapter("09")``: nothing is moved aside, so running the
    job again in the same folder registers a new version and compares it with the existing Champion.
    Warnings and library logs go to ``root/logs/chapter.log``.
    """
    return setup_chapter("09", seed=seed, experiment=EXPERIMENT, root=root)


# --------------------------------------------------------------------------------------------------
# Step 1: data preparation and feature engineering
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    """A Delta table version written by the lab: ``name``, ``path``, ``version``, ``rows``."""

    name: str
    path: Path
    version: int
    rows: int


@dataclass(frozen=True)
class Prepared:
    """What step 1 wrote: the bronze version it read, the training and inference tables, split sizes."""

    bronze: Table
    training: Table
    inference: Table
    split_rows: dict[str, int]

    def summary(self) -> pd.DataFrame:
        """One row per table: table, version, rows (no paths: safe to print)."""
        return pd.DataFrame([(t.name, t.version, t.rows) for t in (self.bronze, self.training, self.inference)],
                            columns=["table", "version", "rows"])


def write_bronze(raw: pd.DataFrame, ws: ChapterWorkspace, mode: str = "overwrite") -> Table:
    """Land the raw customers, as received, in the bronze Delta table (``mode`` overwrite or append)."""
    from mlops_edu.lake import write_table

    path = ws.table(BRONZE)
    version = write_table(raw, path, mode=mode)
    from mlops_edu.lake import read_table

    return Table(BRONZE, path, version, len(read_table(path, version)) if mode == "append" else len(raw))


def eda(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The lab's short EDA: customers per internet service type, churn rate by contract.

    Returns ``{"internet": customers and share per InternetService, "contract": customers and churn
    rate per Contract}``, sorted by the published category order.
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

    A blank ``TotalCharges`` belongs to a customer with tenure 0 who has not been billed yet: it becomes
    0.0. Raises :class:`mlops_edu.data.SchemaError` naming the columns that do not fit.
    """
    from mlops_edu.data import validate_customers

    out = df.drop_duplicates("customerID", keep="last").reset_index(drop=True)
    validate_customers(out, require_label=True)
    out["TotalCharges"] = out["TotalCharges"].fillna(0.0).astype("float64")
    return out


def _bucket(ids: pd.Series, salt: str) -> np.ndarray:
    """A stable number in [0, 1) per id (sha256 of salt + id): the same id always gets the same number."""
    return np.array([int.from_bytes(hashlib.sha256(f"{salt}:{i}".encode()).digest()[:8], "big") / 2.0 ** 64
                     for i in ids.astype(str)])


def assign_split(ids: pd.Series, *, inference_share: float = INFERENCE_SHARE,
                 splits: Sequence[tuple[str, float]] = SPLITS, salt: str = "mlops-churn") -> pd.Series:
    """``"inference"``, ``"train"``, ``"validation"`` or ``"test"`` for each customer id, by a stable hash.

    Deterministic and independent of row order and of other customers: new data never moves an old
    customer to another split.

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


def prepare_tables(ws: ChapterWorkspace, bronze_version: int | None = None) -> Prepared:
    """Step 1: read bronze, clean, add features, write the training table (with ``split``) and inference table.

    Parameters
    ----------
    ws: the workspace (tables live in ``ws.lake``).
    bronze_version: the bronze version to read (default: the latest).

    Returns
    -------
    :class:`Prepared` with the versions and sizes written.
    """
    from mlops_edu.features import add_features
    from mlops_edu.lake import read_table, table_version, write_table

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
    return Prepared(bronze=Table(BRONZE, bronze_path, version, len(raw)),
                    training=Table(TRAINING, ws.table(TRAINING), v_train, len(training)),
                    inference=Table(INFERENCE, ws.table(INFERENCE), v_infer, len(inference)),
                    split_rows=counts)


def history(table: Table) -> pd.DataFrame:
    """The Delta history of a lab table without timestamps (version, operation, mode, rows added)."""
    from mlops_edu.lake import table_history

    return table_history(table.path).drop(columns=["timestamp"])


def split_frame(training: pd.DataFrame, split: str) -> tuple[pd.DataFrame, pd.Series]:
    """``(X, y)`` of one split of the training table (features only: no id, label, split, teaching columns)."""
    from mlops_edu.features import split_xy

    part = training[training["split"] == split].drop(columns=list(DROP_FROM_FEATURES))
    if part.empty:
        raise LabError(f"the training table has no {split!r} rows")
    return split_xy(part)


# --------------------------------------------------------------------------------------------------
# Step 2: training and tracking
# --------------------------------------------------------------------------------------------------

def _config_label(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def train_candidates(ws: ChapterWorkspace, prepared: Prepared, configs: Sequence[Mapping[str, Any]] = CONFIGS,
                     *, seed: int = 4, run_prefix: str = "lightgbm") -> pd.DataFrame:
    """Step 2: one MLflow run per LightGBM configuration on the training table version of ``prepared``.

    Each run (named ``<run_prefix>-<i>``, tagged ``training_table_version``) holds, in this order: the
    dataset lineage (``mlflow.log_input`` of the Delta table and its version, *before* training), the
    LightGBM params and feature importance (``mlflow.lightgbm.autolog``, quiet, models logged by hand),
    validation and test metrics (``val_f1``, ``test_f1``, ...), the ROC
    curve and confusion matrix on the validation rows, and the model (``mlops_edu.train.log_model``:
    signature, input example, pinned requirements).

    Returns
    -------
    One row per run: run_name, the configuration, val_f1, val_roc_auc, test_f1 (rounded, no ids).
    """
    import matplotlib.pyplot as plt
    import mlflow
    import mlflow.lightgbm

    from mlops_edu import lab_plots
    from mlops_edu.lake import dataset_source, read_table
    from mlops_edu.train import classification_metrics, log_model, make_model

    use_experiment(EXPERIMENT, ws)
    table = prepared.training
    training = read_table(table.path, table.version)
    X_train, y_train = split_frame(training, "train")
    X_val, y_val = split_frame(training, "validation")
    X_test, y_test = split_frame(training, "test")
    dataset = mlflow.data.from_pandas(training, source=dataset_source(table.path, table.version),
                                      name=TRAINING, targets="Churn")
    rows = []
    mlflow.lightgbm.autolog(log_models=False, log_datasets=False, log_input_examples=False, silent=True)
    try:
        for i, params in enumerate(configs, start=1):
            run_name = f"{run_prefix}-{i}"
            with mlflow.start_run(run_name=run_name):
                mlflow.log_input(dataset, context="training",
                                 tags={"delta_table_version": str(table.version)})
                mlflow.set_tags({"training_table_version": str(table.version),
                                 "bronze_table_version": str(prepared.bronze.version), "lab_step": "2-training",
                                 "lab_config": json.dumps(dict(params), sort_keys=True)})
                model = make_model("lightgbm", dict(params), seed=seed, X=X_train, engineer=False)
                model.fit(X_train, y_train)
                val_proba = model.predict_proba(X_val)[:, 1]
                val = classification_metrics(y_val, val_proba)
                test = classification_metrics(y_test, model.predict_proba(X_test)[:, 1])
                mlflow.log_metrics({**{f"val_{k}": v for k, v in val.items()},
                                    **{f"test_{k}": v for k, v in test.items()}})
                fig = lab_plots.roc_and_confusion(y_val.to_numpy(), val_proba, title=f"{run_name} (validation)")
                mlflow.log_figure(fig, "figures/roc_and_confusion.png")
                plt.close(fig)
                log_model(model, X_train, name="model")
            rows.append({"run_name": run_name, "config": _config_label(params),
                         "val_f1": round(val["f1"], 3), "val_roc_auc": round(val["roc_auc"], 3),
                         "test_f1": round(test["f1"], 3)})
    finally:
        mlflow.lightgbm.autolog(disable=True)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Step 3: registry
# --------------------------------------------------------------------------------------------------

@dataclass
class Registered:
    """The Challenger registered by :func:`register_best` (ids are for code, not for printing)."""

    name: str
    version: int
    run_name: str
    run_id: str
    model_uri: str
    description: str
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


def best_run(ws: ChapterWorkspace, training_version: int, metric: str = "val_f1") -> pd.Series:
    """The run with the highest ``metric`` among the runs trained on ``training_version`` (search_runs)."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        raise LabError(f"no experiment {EXPERIMENT!r}: run train_candidates() first")
    runs = mlflow.search_runs([experiment.experiment_id],
                              filter_string=f"tags.training_table_version = '{int(training_version)}'",
                              order_by=[f"metrics.{metric} DESC", "attributes.run_name ASC"])
    if runs.empty:
        raise LabError(f"no run trained on {TRAINING} version {training_version}")
    return runs.iloc[0]


def register_best(ws: ChapterWorkspace, prepared: Prepared, name: str = registry.MODEL_NAME) -> Registered:
    """Step 3: register the best run by validation F1 as ``name``, with description, tags and ``@Challenger``."""
    import mlflow

    run = best_run(ws, prepared.training.version)
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    models = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id],
                                         filter_string=f"source_run_id = '{run['run_id']}'", output_format="list")
    if not models:
        raise LabError(f"run {run['tags.mlflow.runName']!r} has no logged model")
    metrics = {k[len("metrics."):]: float(v) for k, v in run.items() if k.startswith("metrics.") and pd.notna(v)}
    config = json.loads(run.get("tags.lab_config") or "{}")
    description = (f"LightGBM churn classifier ({_config_label(config) or 'default parameters'}) trained on "
                   f"{TRAINING} v{prepared.training.version}; validation F1 {metrics.get('val_f1', float('nan')):.3f}, "
                   f"ROC AUC {metrics.get('val_roc_auc', float('nan')):.3f}.")
    mv = registry.register(f"models:/{models[0].model_id}", name,
                           description=description,
                           tags={"f1_score": f"{metrics.get('val_f1', float('nan')):.3f}",
                                 "training_table": TRAINING,
                                 "training_table_version": str(prepared.training.version),
                                 "run_name": run["tags.mlflow.runName"]},
                           alias=registry.CHALLENGER,
                           model_description="Telco churn classifier of the mlops-workbook lab (lecture 10).")
    return Registered(name=name, version=int(mv.version), run_name=str(run["tags.mlflow.runName"]),
                      run_id=str(run["run_id"]), model_uri=registry.model_uri(name, version=mv.version),
                      description=description, config=config, metrics=metrics)


def run_contents(run_id: str) -> pd.DataFrame:
    """What one training run holds, as a printable table (no ids): dataset input, params, metrics,
    artifacts, the logged model and its pinned requirements (section 10, step 2)."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.get_run(run_id)
    inputs = [f"{d.dataset.name} (Delta, version "
              f"{next((t.value for t in d.tags if t.key == 'delta_table_version'), '?')})"
              for d in (run.inputs.dataset_inputs if run.inputs else [])]
    params = run.data.params
    shown = [f"{k}={params[k]}" for k in ("num_leaves", "learning_rate", "num_boost_round", "min_child_samples")
             if k in params]
    metrics = run.data.metrics
    metric_text = ", ".join(f"{k}={metrics[k]:.3f}" for k in ("val_f1", "val_roc_auc", "test_f1") if k in metrics)

    def walk(path: str | None = None) -> list[str]:
        found = []
        for item in client.list_artifacts(run_id, path):
            found += walk(item.path) if item.is_dir else [item.path]
        return found

    models = mlflow.search_logged_models(experiment_ids=[run.info.experiment_id],
                                         filter_string=f"source_run_id = '{run_id}'", output_format="list")
    model_text, requirements = "-", "-"
    if models:
        info = mlflow.models.get_model_info(f"models:/{models[0].model_id}")
        n_inputs = len(info.signature.inputs.input_names()) if info.signature else 0
        model_text = (f"'{models[0].name}': flavours {', '.join(sorted(info.flavors))}; "
                      f"signature with {n_inputs} input columns")
        text = mlflow.artifacts.load_text(f"{models[0].artifact_location.rstrip('/')}/requirements.txt")
        requirements = ", ".join(line for line in text.splitlines() if line.strip())
    rows = [("run", run.info.run_name), ("dataset input", "; ".join(inputs) or "-"),
            ("params", f"{', '.join(shown)} (+{len(params) - len(shown)} more from autolog)"),
            ("metrics", metric_text), ("artifacts", ", ".join(sorted(walk()))), ("model", model_text),
            ("pinned requirements", requirements)]
    return pd.DataFrame(rows, columns=["holds", "value"]).set_index("holds")


def lineage_table(version: int, name: str = registry.MODEL_NAME) -> pd.DataFrame:
    """The lineage of a model version as a printable table (no run or model ids)."""
    lin = registry.lineage(version, name)
    rows = [("registered model", f"{lin['model']} v{lin['version']}"),
            ("aliases", ", ".join(lin["aliases"]) or "-"),
            ("training run", lin["run_name"])]
    for ds in lin["datasets"]:
        rows.append((f"input dataset ({ds['context']})",
                     f"{ds['name']} (Delta table {ds['table']}, version {ds['table_version']})"))
    return pd.DataFrame(rows, columns=["link", "value"]).set_index("link")


# --------------------------------------------------------------------------------------------------
# Step 4: validation inputs
# --------------------------------------------------------------------------------------------------

def holdout(prepared: Prepared, sample_rows: int = 200) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """``(X_test, y_test, inference_sample)``: the held-out rows both models are judged on, and rows to score."""
    from mlops_edu.lake import read_table

    training = read_table(prepared.training.path, prepared.training.version)
    X_test, y_test = split_frame(training, "test")
    sample = read_table(prepared.inference.path, prepared.inference.version).head(sample_rows)
    return X_test, y_test, sample


# --------------------------------------------------------------------------------------------------
# Step 5: batch inference and lineage
# --------------------------------------------------------------------------------------------------

def batch_inference(ws: ChapterWorkspace, prepared: Prepared, *, engine: str = "pandas",
                    name: str = registry.MODEL_NAME, spark: Any = None) -> tuple[Table, pd.DataFrame]:
    """Step 5: ``@Champion`` scores the inference table; the result becomes ``mlops_churn_predictions``.

    The predictions table holds the inference table's columns plus ``predictions`` (1 = churn),
    ``churn_probability`` and ``model_version`` (which Champion scored it). ``engine`` is ``"pandas"``
    or ``"spark"`` (:mod:`mlops_edu.inference`).

    Returns
    -------
    ``(Table, predictions frame)``.
    """
    from mlops_edu.inference import batch_score
    from mlops_edu.lake import read_table, write_table

    champion = registry.version_by_alias(registry.CHAMPION, name)
    if champion is None:
        raise LabError(f"{name}@{registry.CHAMPION} does not exist: no model has been promoted yet")
    rows = read_table(prepared.inference.path, prepared.inference.version)
    scored = batch_score(registry.model_uri(name, registry.CHAMPION), rows, engine=engine, spark=spark)
    scored["model_version"] = np.int64(champion.version)
    path = ws.table(PREDICTIONS)
    version = write_table(scored, path)
    return Table(PREDICTIONS, path, version, len(scored)), scored


def lineage_chain(prepared: Prepared, predictions: Table, name: str = registry.MODEL_NAME) -> list[tuple[str, str]]:
    """Bronze version -> training version -> run -> model version -> alias -> predictions version.

    Reads the Champion's lineage from the registry (its run, the dataset logged as the run's input and
    the bronze version the run was tagged with), so the chain is what MLflow recorded, not what the
    notebook remembers: after a rollback it shows the older tables the restored Champion came from.
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


# --------------------------------------------------------------------------------------------------
# The whole lab as one job (python -m mlops_edu lab)
# --------------------------------------------------------------------------------------------------

def threshold_from(value: str | float | None) -> tuple[float, str]:
    """Parse ``--f1-threshold``: a number in [0, 1], or ``"business"`` (default) for :func:`registry.break_even_f1`."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "business"):
        return registry.break_even_f1(), ("business case: a $500 discount pays off when precision >= "
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
    from mlops_edu.data import TELCO_COLUMNS, SchemaError, load_telco_csv, make_customers, validate_customers

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
    from mlops_edu.inference import ENGINES

    if engine not in ENGINES:
        raise LabError(f"--engine must be one of {list(ENGINES)}, got {engine!r}")
    threshold, threshold_source = threshold_from(f1_threshold)
    raw = load_customers(data, n=n, seed=seed)

    ws = open_workspace(workspace, seed=seed)
    write_bronze(raw, ws)
    prepared = prepare_tables(ws)
    runs = train_candidates(ws, prepared, configs, seed=seed)
    challenger = register_best(ws, prepared)
    X_test, y_test, sample = holdout(prepared)
    report = registry.validate_challenger(X_test, y_test, sample, f1_threshold=threshold)
    promotion = registry.promote(report)
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
            from mlops_edu.inference import spark_session

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


__all__ = ["BRONZE", "TRAINING", "INFERENCE", "PREDICTIONS", "EXPERIMENT", "SPLITS", "INFERENCE_SHARE", "CONFIGS",
           "LabError", "Table", "Prepared", "Registered", "open_workspace", "write_bronze", "eda", "clean",
           "assign_split", "prepare_tables", "history", "split_frame", "train_candidates", "best_run",
           "register_best", "run_contents", "lineage_table", "holdout", "batch_inference", "lineage_chain", "threshold_from",
           "load_customers", "run_lab"]
