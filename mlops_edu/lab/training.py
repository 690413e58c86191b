"""Steps 2 and 3 of the lab (lecture 10): train and track the candidates, register the best.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd

from mlops_edu.deployment import registry
from mlops_edu.lab.tables import CONFIGS, EXPERIMENT, TRAINING, LabError, LabTables, split_frame
from mlops_edu.workbook.config import ChapterWorkspace, use_experiment

# --------------------------------------------------------------------------------------------------
# Step 2: training and tracking
# --------------------------------------------------------------------------------------------------

def _config_label(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def train_configs(ws: ChapterWorkspace, prepared: LabTables, configs: Sequence[Mapping[str, Any]] = CONFIGS,
                     *, seed: int = 4, run_prefix: str = "lightgbm") -> pd.DataFrame:
    """Step 2: one MLflow run per LightGBM configuration on the training table version of ``prepared``.

    Each run (named ``<run_prefix>-<i>``, tagged ``training_table_version``) holds, in this order: the
    dataset lineage (``mlflow.log_input`` of the Delta table and its version, *before* training), the
    LightGBM params and feature importance (``mlflow.lightgbm.autolog``, quiet, models logged by hand),
    validation metrics (``val_f1``, ...), the ROC curve and confusion matrix on the validation rows, and
    the model (``mlops_edu.training.log_model``: signature, input example, pinned requirements). The test
    rows are not touched: they judge only the registered Challenger (step 4).

    Returns
    -------
    One row per run: run_name, the configuration, val_f1, val_roc_auc (rounded, no ids).
    """
    import matplotlib.pyplot as plt
    import mlflow
    import mlflow.lightgbm

    from mlops_edu.lab import plots as lab_plots
    from mlops_edu.data.lake import dataset_source, read_table
    from mlops_edu.training.metrics import classification_metrics
    from mlops_edu.training.models import make_model
    from mlops_edu.training.tracking import log_model

    use_experiment(EXPERIMENT, ws)
    table = prepared.training
    training = read_table(table.path, table.version)
    X_train, y_train = split_frame(training, "train")
    X_val, y_val = split_frame(training, "validation")
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
                mlflow.log_metrics({f"val_{k}": v for k, v in val.items()})
                fig = lab_plots.plot_roc_and_confusion(y_val.to_numpy(), val_proba, title=f"{run_name} (validation)")
                mlflow.log_figure(fig, "figures/roc_and_confusion.png")
                plt.close(fig)
                log_model(model, X_train, name="model")
            rows.append({"run_name": run_name, "config": _config_label(params),
                         "val_f1": round(val["f1"], 3), "val_roc_auc": round(val["roc_auc"], 3)})
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
        raise LabError(f"no experiment {EXPERIMENT!r}: run train_configs() first")
    runs = mlflow.search_runs([experiment.experiment_id],
                              filter_string=f"tags.training_table_version = '{int(training_version)}'",
                              order_by=[f"metrics.{metric} DESC", "attributes.run_name ASC"])
    if runs.empty:
        raise LabError(f"no run trained on {TRAINING} version {training_version}")
    return runs.iloc[0]


def register_best(ws: ChapterWorkspace, prepared: LabTables, name: str = registry.MODEL_NAME) -> Registered:
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
    metric_text = ", ".join(f"{k}={metrics[k]:.3f}" for k in ("val_f1", "val_roc_auc") if k in metrics)

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


