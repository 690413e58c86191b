"""Steps 2 and 3 of the lab (lecture 10): train and track the candidates, register the best.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd

from mlops_edu.deployment import registry
from mlops_edu.lab.tables import CONFIGS, EXPERIMENT, TRAINING, LabError, LabTables, split_frame
from mlops_edu.workbook.config import use_experiment
from mlops_edu.workbook.workspace import ChapterWorkspace

# --------------------------------------------------------------------------------------------------
# Step 2: training and tracking
# --------------------------------------------------------------------------------------------------

def _config_label(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


AUTOLOG = {"log_models": False, "log_datasets": False, "log_input_examples": False, "silent": True}
"""``mlflow.autolog`` settings of the lab: params, metrics and figures automatically; the model and its
dataset are logged by hand (the model with pinned requirements, the dataset as a Delta table version)."""


def run_tags(prepared: LabTables, params: Mapping[str, Any]) -> dict[str, str]:
    """Lecture 10, step 2: the tags of a lab run (the table versions that trained it, its configuration).

    Parameters
    ----------
    prepared : LabTables
        Step 1's tables.
    params : mapping
        The run's LightGBM configuration (stored as sorted JSON in ``lab_config``).

    Returns
    -------
    dict of str to str
    """
    return {"training_table_version": str(prepared.training.version),
            "bronze_table_version": str(prepared.bronze.version), "lab_step": "2-training",
            "lab_config": json.dumps(dict(params), sort_keys=True)}


def training_dataset(prepared: LabTables, training: pd.DataFrame | None = None):
    """Lecture 10, step 2: the training table version as an MLflow dataset sourced from the Delta table.

    Parameters
    ----------
    prepared : LabTables
        Step 1's tables.
    training : pandas.DataFrame or None
        The training table if already read (default: read ``prepared.training``'s version).

    Returns
    -------
    mlflow.data.pandas_dataset.PandasDataset
        Named ``mlops_churn_training``, target ``Churn``.
    """
    import mlflow

    from mlops_edu.data.lake import dataset_source, read_table

    table = prepared.training
    frame = read_table(table.path, table.version) if training is None else training
    return mlflow.data.from_pandas(frame, source=dataset_source(table.path, table.version), name=TRAINING,
                                   targets="Churn")


def log_validation(model: Any, X_val: pd.DataFrame, y_val: pd.Series, title: str = "validation") -> dict[str, float]:
    """Lecture 10, step 2: log ``val_*`` metrics, ROC curve and confusion matrix of the validation rows.

    Parameters
    ----------
    model : estimator
        A fitted classifier with ``predict_proba``.
    X_val : pandas.DataFrame
        Validation features.
    y_val : pandas.Series
        Validation labels.
    title : str
        Title of the figure (logged as ``figures/roc_and_confusion.png``).

    Returns
    -------
    dict of str to float
        The validation metrics, without the ``val_`` prefix.
    """
    import matplotlib.pyplot as plt
    import mlflow

    from mlops_edu.lab import plots as lab_plots
    from mlops_edu.training.metrics import classification_metrics

    proba = model.predict_proba(X_val)[:, 1]
    val = classification_metrics(y_val, proba)
    mlflow.log_metrics({f"val_{k}": v for k, v in val.items()})
    fig = lab_plots.plot_roc_and_confusion(y_val.to_numpy(), proba, title=title)
    mlflow.log_figure(fig, "figures/roc_and_confusion.png")
    plt.close(fig)
    return val


def train_configs(ws: ChapterWorkspace, prepared: LabTables, configs: Sequence[Mapping[str, Any]] = CONFIGS,
                  *, seed: int = 4, run_prefix: str = "lightgbm", first: int = 1) -> pd.DataFrame:
    """Step 2: one MLflow run per LightGBM configuration on the training table version of ``prepared``.

    Serves lecture section 10, step 2. Each run (named ``<run_prefix>-<i>``, tagged by :func:`run_tags`)
    holds, in this order: the dataset lineage (``mlflow.log_input`` of the Delta table version, *before*
    training), what ``mlflow.autolog`` records (:data:`AUTOLOG`: params, training metrics and figures), the
    validation metrics and figure (:func:`log_validation`) and the model (``mlops_edu.training.log_model``:
    signature, input example, pinned requirements). The test rows are not touched: they judge only the
    registered Challenger (step 4).

    Parameters
    ----------
    ws : ChapterWorkspace
        The workspace (its MLflow store holds the experiment :data:`~mlops_edu.lab.tables.EXPERIMENT`).
    prepared : LabTables
        Step 1's tables.
    configs : sequence of mapping
        LightGBM configurations, one run each.
    seed : int
        Seed of every model.
    run_prefix : str
        Start of the run names.
    first : int
        Number of the first run.

    Returns
    -------
    pandas.DataFrame
        One row per run: run_name, the configuration, val_f1, val_roc_auc (rounded, no ids).
    """
    import mlflow

    from mlops_edu.data.lake import read_table
    from mlops_edu.training.models import make_model
    from mlops_edu.training.tracking import log_model

    use_experiment(EXPERIMENT, ws)
    training = read_table(prepared.training.path, prepared.training.version)
    X_train, y_train = split_frame(training, "train")
    X_val, y_val = split_frame(training, "validation")
    dataset = training_dataset(prepared, training)
    rows = []
    mlflow.autolog(**AUTOLOG)
    try:
        for i, params in enumerate(configs, start=first):
            run_name = f"{run_prefix}-{i}"
            with mlflow.start_run(run_name=run_name):
                mlflow.log_input(dataset, context="training",
                                 tags={"delta_table_version": str(prepared.training.version)})
                mlflow.set_tags(run_tags(prepared, params))
                model = make_model("lightgbm", dict(params), seed=seed, X=X_train, engineer=False)
                model.fit(X_train, y_train)
                val = log_validation(model, X_val, y_val, title=f"{run_name} (validation)")
                log_model(model, X_train, name="model")
            rows.append({"run_name": run_name, "config": _config_label(params),
                         "val_f1": round(val["f1"], 3), "val_roc_auc": round(val["roc_auc"], 3)})
    finally:
        mlflow.autolog(disable=True)
    return pd.DataFrame(rows)


def lab_runs(training_version: int, metric: str = "val_f1") -> pd.DataFrame:
    """Lecture 10, step 3: ``mlflow.search_runs`` over the runs trained on ``training_version``, best first.

    Parameters
    ----------
    training_version : int
        Version of the training table (the runs' ``training_table_version`` tag).
    metric : str
        Metric to sort by, descending (ties by run name).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    LabError
        When the experiment does not exist or no run was trained on that version.
    """
    import mlflow

    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        raise LabError(f"no experiment {EXPERIMENT!r}: run train_configs() first")
    runs = mlflow.search_runs(experiment_names=[EXPERIMENT],
                              filter_string=f"tags.training_table_version = '{int(training_version)}'",
                              order_by=[f"metrics.{metric} DESC", "attributes.run_name ASC"])
    if runs.empty:
        raise LabError(f"no run trained on {TRAINING} version {training_version}")
    return runs


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
    """Lecture 10, step 3: the run with the highest ``metric`` among those trained on ``training_version``.

    Parameters
    ----------
    ws : ChapterWorkspace
        The workspace (not used: the active tracking store is searched).
    training_version : int
        Version of the training table.
    metric : str
        Metric to maximise.

    Returns
    -------
    pandas.Series
        The ``search_runs`` row of the best run.
    """
    return lab_runs(training_version, metric).iloc[0]


def logged_model_uri(run_id: str) -> str:
    """Lecture 10, step 3: ``models:/<model id>`` of the model logged in run ``run_id`` (to register).

    Parameters
    ----------
    run_id : str
        The run.

    Returns
    -------
    str

    Raises
    ------
    LabError
        When the run has no logged model.
    """
    import mlflow

    run = mlflow.get_run(run_id)
    models = mlflow.search_logged_models(experiment_ids=[run.info.experiment_id],
                                         filter_string=f"source_run_id = '{run_id}'", output_format="list")
    if not models:
        raise LabError(f"run {run.info.run_name!r} has no logged model")
    return f"models:/{models[0].model_id}"


def describe_run(run: pd.Series, prepared: LabTables) -> str:
    """Lecture 10, step 3: the model-version description of a ``search_runs`` row (what, trained on, scores).

    Parameters
    ----------
    run : pandas.Series
        A ``search_runs`` row with ``tags.lab_config`` and the ``val_f1`` and ``val_roc_auc`` metrics.
    prepared : LabTables
        Step 1's tables (for the training table version).

    Returns
    -------
    str
    """
    config = json.loads(run.get("tags.lab_config") or "{}")
    f1, auc = (float(run.get(f"metrics.{k}", float("nan"))) for k in ("val_f1", "val_roc_auc"))
    return (f"LightGBM churn classifier ({_config_label(config) or 'default parameters'}) trained on "
            f"{TRAINING} v{prepared.training.version}; validation F1 {f1:.3f}, ROC AUC {auc:.3f}.")


def register_best(ws: ChapterWorkspace, prepared: LabTables, name: str = registry.MODEL_NAME) -> Registered:
    """Step 3: register the best run by validation F1 as ``name``, with description, tags and ``@Challenger``.

    Serves lecture section 10, step 3.

    Parameters
    ----------
    ws : ChapterWorkspace
        The workspace.
    prepared : LabTables
        Step 1's tables; only runs trained on its training version compete.
    name : str
        Registered-model name.

    Returns
    -------
    Registered
    """
    run = best_run(ws, prepared.training.version)
    metrics = {k[len("metrics."):]: float(v) for k, v in run.items() if k.startswith("metrics.") and pd.notna(v)}
    config = json.loads(run.get("tags.lab_config") or "{}")
    description = describe_run(run, prepared)
    mv = registry.register(logged_model_uri(run["run_id"]), name,
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
    """What one training run holds, as a printable table (no ids).

    Serves lecture section 10, step 2: dataset input, params, metrics, artifacts, the logged model and its
    pinned requirements.

    Parameters
    ----------
    run_id : str
        The run.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``holds``, one column ``value``.
    """
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.get_run(run_id)
    inputs = [f"{d.dataset.name} (Delta, version "
              f"{next((t.value for t in d.tags if t.key == 'delta_table_version'), '?')})"
              for d in (run.inputs.dataset_inputs if run.inputs else [])]
    params = run.data.params
    config = json.loads(run.data.tags.get("lab_config") or "{}")
    shown = [f"{k}={params.get(f'model__{k}', v)}" for k, v in config.items()]
    metrics = run.data.metrics
    mine = [k for k in ("val_f1", "val_roc_auc") if k in metrics]
    metric_text = (", ".join(f"{k}={metrics[k]:.3f}" for k in mine)
                   + f" (+{len(metrics) - len(mine)} training_* metrics from autolog)")

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
    """Lecture 10, step 3: the lineage of a model version as a printable table (no run or model ids).

    Parameters
    ----------
    version : int
        Model version.
    name : str
        Registered-model name.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``link``, one column ``value``: the model, its aliases, its run and its input datasets.
    """
    lin = registry.lineage(version, name)
    rows = [("registered model", f"{lin['model']} v{lin['version']}"),
            ("aliases", ", ".join(lin["aliases"]) or "-"),
            ("training run", lin["run_name"])]
    for ds in lin["datasets"]:
        rows.append((f"input dataset ({ds['context']})",
                     f"{ds['name']} (Delta table {ds['table']}, version {ds['table_version']})"))
    return pd.DataFrame(rows, columns=["link", "value"]).set_index("link")


