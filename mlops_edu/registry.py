"""The model registry of the lab: register, describe, tag, aliases, validation, promotion, rollback.

Serves lecture section 10 (the end-to-end lab), steps 3 and 4, done with the open-source MLflow model
registry instead of Unity Catalog:

* :func:`register` puts a logged model under a three-part name in the spirit of the lab's
  ``<catalog>.<schema>.mlops_churn`` (default :data:`MODEL_NAME` = ``workbook.mlops.mlops_churn``) with
  a description and tags, and gives it the alias ``Challenger``.
* :func:`validate_challenger` runs the automated checks of the lab on the ``Challenger`` and writes each
  result back as a model-version tag (``has_description``, ``has_signature``, ``inference_passed``,
  ``metric_f1_passed``, ``metric_f1_vs_champion_passed``, ``business_value_passed``). Champion and
  Challenger are scored on the *same* held-out rows and compared with
  :func:`mlflow.validate_evaluation_results` and :class:`mlflow.models.MetricThreshold`.
* :func:`promote` moves ``Champion`` to the validated Challenger, removes ``Challenger`` and tags the old
  champion ``archived``; :func:`rollback` moves ``Champion`` back to the previous version, one alias move.
* :func:`business_value` is the lab's dollar value of a churn model: a lost customer costs $2000 and a
  retention discount $500, so ``value = TP*1500 - FP*500 - FN*2000``.

Aliases, not stages: inference code always loads ``models:/<name>@Champion``; promotion and rollback
move a pointer and never touch the inference code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

MODEL_NAME = "workbook.mlops.mlops_churn"
"""Default registered-model name: ``<catalog>.<schema>.mlops_churn`` as in the lab (section 10)."""
CHAMPION = "Champion"
"""Alias of the model version that production (batch inference) loads."""
CHALLENGER = "Challenger"
"""Alias of the newly registered candidate waiting for validation."""
COST_CHURN = 2000.0
"""Dollars lost when a customer churns (the lab's business case)."""
COST_DISCOUNT = 500.0
"""Dollars a retention discount costs (the lab's business case)."""
MIN_DESCRIPTION = 20
"""A model-version description shorter than this many characters fails ``has_description``."""

CHECKS = ("has_description", "has_signature", "inference_passed", "metric_f1_passed",
          "metric_f1_vs_champion_passed", "business_value_passed")
"""Names of the validation checks, in the order they run; each becomes a model-version tag."""

ARCHIVED_TAG = "archived"
PREVIOUS_CHAMPION_TAG = "previous_champion"


class RegistryError(ValueError):
    """A registry operation cannot be done (missing alias, refused promotion, nothing to roll back)."""


def usd(value: float) -> str:
    """Dollars for people: ``-682000`` -> ``'-$682,000'``.

    >>> usd(-682000.0)
    '-$682,000'
    """
    return f"{'-' if value < 0 else ''}${abs(value):,.0f}"


def _client():
    from mlflow import MlflowClient

    return MlflowClient()


def model_uri(name: str = MODEL_NAME, alias: str | None = CHAMPION, version: int | str | None = None) -> str:
    """The registry URI of a model version, by alias (``models:/name@Champion``) or by version.

    >>> model_uri("workbook.mlops.mlops_churn", "Challenger")
    'models:/workbook.mlops.mlops_churn@Challenger'
    >>> model_uri("workbook.mlops.mlops_churn", version=3)
    'models:/workbook.mlops.mlops_churn/3'
    """
    if version is not None:
        return f"models:/{name}/{int(version)}"
    if not alias:
        raise ValueError("model_uri(): give an alias or a version")
    return f"models:/{name}@{alias}"


# --------------------------------------------------------------------------------------------------
# Business case (section 10, step 4)
# --------------------------------------------------------------------------------------------------

def confusion_counts(y_true: Iterable[int], y_pred: Iterable[int]) -> dict[str, int]:
    """Counts of true/false positives/negatives for 0/1 labels (1 = churn).

    >>> confusion_counts([1, 0, 1, 0], [1, 1, 0, 0])
    {'tp': 1, 'fp': 1, 'fn': 1, 'tn': 1}
    """
    t = np.asarray(list(y_true) if not hasattr(y_true, "__array__") else y_true).astype(int)
    p = np.asarray(list(y_pred) if not hasattr(y_pred, "__array__") else y_pred).astype(int)
    if t.shape != p.shape:
        raise ValueError(f"confusion_counts(): y_true has {t.size} labels but y_pred has {p.size}")
    bad = sorted(set(np.unique(np.concatenate([t, p])).tolist()) - {0, 1})
    if bad:
        raise ValueError(f"confusion_counts(): labels must be 0/1 (1 = churn), found {bad}")
    return {"tp": int(((t == 1) & (p == 1)).sum()), "fp": int(((t == 0) & (p == 1)).sum()),
            "fn": int(((t == 1) & (p == 0)).sum()), "tn": int(((t == 0) & (p == 0)).sum())}


def business_value(y_true: Iterable[int], y_pred: Iterable[int], *, cost_churn: float = COST_CHURN,
                   cost_discount: float = COST_DISCOUNT) -> float:
    """The lab's dollar value of churn predictions: ``TP*1500 - FP*500 - FN*2000`` (section 10, step 4).

    A true positive keeps a customer for the price of the discount (``cost_churn - cost_discount``), a
    false positive gives the discount away, a false negative loses the customer; true negatives cost
    nothing.

    >>> business_value([1, 1, 0, 1], [1, 0, 1, 1])   # 2 TP, 1 FP, 1 FN
    500.0
    """
    c = confusion_counts(y_true, y_pred)
    return float(c["tp"] * (cost_churn - cost_discount) - c["fp"] * cost_discount - c["fn"] * cost_churn)


def no_model_value(y_true: Iterable[int], *, cost_churn: float = COST_CHURN) -> float:
    """Dollar value of doing nothing (nobody gets a discount): every churner is lost.

    The baseline a first Challenger must beat when there is no Champion yet.

    >>> no_model_value([1, 0, 0, 1])
    -4000.0
    """
    y = np.asarray(list(y_true) if not hasattr(y_true, "__array__") else y_true).astype(int)
    return float(-cost_churn * int((y == 1).sum()))


def break_even_f1(cost_churn: float = COST_CHURN, cost_discount: float = COST_DISCOUNT) -> float:
    """The F1 threshold that follows from the business case instead of from a wish.

    A discount pays off when the customer it goes to would really have churned: the break-even
    precision is ``cost_discount / cost_churn`` = 500 / 2000 = 0.25. Because F1 = 2PR/(P+R) <= 2P/(P+1)
    (recall is at most 1), a model with ``F1 >= 2p/(1+p)`` for ``p = 0.25`` necessarily has precision
    >= 0.25: its discounts are not given away at a loss. With the lab's dollars that floor is F1 = 0.4.

    >>> break_even_f1()
    0.4
    """
    if not 0 < cost_discount < cost_churn:
        raise ValueError(f"break_even_f1(): need 0 < cost_discount < cost_churn, got {cost_discount}, {cost_churn}")
    p = cost_discount / cost_churn
    return round(2 * p / (1 + p), 6)


# --------------------------------------------------------------------------------------------------
# Registration, aliases, tags (section 10, step 3)
# --------------------------------------------------------------------------------------------------

def _run_and_model_id(model: Any) -> tuple[str, str | None, str | None]:
    """(source uri, run id, model id) of a ModelInfo, a ``models:/m-...`` URI or a ``runs:/`` URI."""
    if hasattr(model, "model_uri"):  # mlflow.models.model.ModelInfo
        return model.model_uri, getattr(model, "run_id", None), getattr(model, "model_id", None)
    uri = str(model)
    if uri.startswith("runs:/"):
        return uri, uri[len("runs:/"):].split("/", 1)[0], None
    if uri.startswith("models:/m-"):
        model_id = uri[len("models:/"):].split("/", 1)[0]
        logged = _client().get_logged_model(model_id)
        return uri, logged.source_run_id, model_id
    raise ValueError(f"register(): expected a ModelInfo, 'models:/m-...' or 'runs:/...' URI, got {uri!r}")


def register(model: Any, name: str = MODEL_NAME, *, description: str | None = None,
             tags: Mapping[str, Any] | None = None, alias: str | None = CHALLENGER,
             model_description: str | None = None):
    """Register a logged model as a new version of ``name``, describe it, tag it, give it an alias.

    Serves section 10, step 3 ("register the best run, add a description and tags, set @Challenger").
    Uses :class:`mlflow.MlflowClient` directly (``mlflow.register_model`` prints to stderr).

    Parameters
    ----------
    model: the :class:`mlflow.models.model.ModelInfo` returned by ``log_model``, or its
        ``models:/m-...`` URI, or a ``runs:/<run_id>/<path>`` URI.
    name: registered-model name, e.g. ``workbook.mlops.mlops_churn``.
    description: description of this model version (validation wants >= 20 characters).
    tags: model-version tags, e.g. ``{"f1_score": 0.61}`` (values are stored as strings).
    alias: alias to point at the new version (default ``Challenger``; ``None`` for none).
    model_description: description of the registered model itself, set when it is created.

    Returns
    -------
    The new :class:`mlflow.entities.model_registry.ModelVersion` (version numbers start at 1).

    Example
    -------
    >>> mv = register(info, description="LightGBM churn model, best F1 on validation")  # doctest: +SKIP
    >>> mv.version                                                                     # doctest: +SKIP
    '1'
    """
    from mlflow.exceptions import MlflowException

    client = _client()
    source, run_id, model_id = _run_and_model_id(model)
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description=model_description)
    mv = client.create_model_version(name, source=source, run_id=run_id, model_id=model_id,
                                     description=description,
                                     tags={k: str(v) for k, v in (tags or {}).items()})
    if alias:
        client.set_registered_model_alias(name, alias, mv.version)
    return client.get_model_version(name, mv.version)


def set_alias(alias: str, version: int | str, name: str = MODEL_NAME) -> None:
    """Point ``alias`` at ``version`` (an alias names exactly one version; the old pointer moves)."""
    _client().set_registered_model_alias(name, alias, str(int(version)))


def version_by_alias(alias: str, name: str = MODEL_NAME):
    """The ModelVersion behind ``name@alias``, or ``None`` when the alias (or the model) does not exist.

    This is the lab's ``try: client.get_model_version_by_alias(...) except: first deploy``.
    """
    from mlflow.exceptions import MlflowException

    try:
        return _client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def aliases(name: str = MODEL_NAME) -> dict[str, int]:
    """The aliases of ``name`` as ``{alias: version}``, sorted by alias; ``{}`` if the model is unknown.

    >>> aliases("workbook.mlops.mlops_churn")   # doctest: +SKIP
    {'Champion': 1}
    """
    from mlflow.exceptions import MlflowException

    try:
        rm = _client().get_registered_model(name)
    except MlflowException:
        return {}
    return {a: int(v) for a, v in sorted(rm.aliases.items())}


def versions_table(name: str = MODEL_NAME, tags: Iterable[str] = (), *, description: bool = True) -> pd.DataFrame:
    """One row per version: version, aliases, description (unless ``description=False``) and the chosen
    tags (no ids, no times)."""
    client = _client()
    by_version: dict[int, list[str]] = {}
    for alias, version in aliases(name).items():
        by_version.setdefault(version, []).append(alias)
    rows = []
    for mv in sorted(client.search_model_versions(f"name = '{name}'"), key=lambda m: int(m.version)):
        row = {"version": int(mv.version), "aliases": ", ".join(by_version.get(int(mv.version), [])) or "-"}
        if description:
            row["description"] = mv.description or ""
        for tag in tags:
            row[tag] = mv.tags.get(tag, "")
        rows.append(row)
    return pd.DataFrame(rows)


def _version(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def lineage(version: int | str, name: str = MODEL_NAME) -> dict[str, Any]:
    """Where a model version comes from: its run and the dataset (Delta table and version) logged as input.

    Serves section 10, step 3 ("show the model version's lineage"). Returns a dict with
    ``model``, ``version``, ``aliases``, ``run_name``, ``run_id``, ``model_id`` and ``datasets`` (a list of
    ``{"name", "context", "source_type", "table", "table_version"}``; ``table`` is the folder name of
    the Delta table, so nothing machine-specific is shown). MLflow 3.17 drops a Delta version of 0 from
    the serialised source, so the version is also read from the input tag ``delta_table_version`` when
    the lab logged one. Run and model ids are random: do not print
    them in a notebook.
    """
    client = _client()
    mv = client.get_model_version(name, str(int(version)))
    out: dict[str, Any] = {"model": name, "version": int(mv.version), "aliases": sorted(mv.aliases),
                           "run_name": None, "run_id": mv.run_id,
                           "model_id": getattr(mv, "model_id", None), "datasets": []}
    if not out["model_id"] and str(mv.source or "").startswith("models:/m-"):
        out["model_id"] = str(mv.source)[len("models:/"):].split("/", 1)[0]
    if not mv.run_id:
        return out
    run = client.get_run(mv.run_id)
    out["run_name"] = run.info.run_name
    for dataset_input in (run.inputs.dataset_inputs if run.inputs else []):
        ds = dataset_input.dataset
        input_tags = {t.key: t.value for t in dataset_input.tags}
        context = input_tags.get("mlflow.data.context")
        try:
            source = json.loads(ds.source)
        except (TypeError, ValueError):
            source = {}
        path = source.get("path") or source.get("delta_table_name") or ""
        out["datasets"].append({
            "name": ds.name, "context": context, "source_type": ds.source_type,
            "table": str(path).rstrip("/").rsplit("/", 1)[-1] if path else None,
            "table_version": _version(source.get("delta_table_version", input_tags.get("delta_table_version"))),
        })
    return out


# --------------------------------------------------------------------------------------------------
# Validation: checks, champion vs challenger (section 10, step 4)
# --------------------------------------------------------------------------------------------------

@dataclass
class Check:
    """One validation check: its tag name, whether it passed, and why (one sentence)."""

    name: str
    passed: bool
    detail: str


@dataclass
class ValidationReport:
    """What :func:`validate_challenger` found.

    Attributes
    ----------
    name, challenger_version, champion_version (None on a first deploy), f1_threshold,
    checks: the :class:`Check` list in :data:`CHECKS` order,
    challenger_metrics, champion_metrics: held-out metrics (f1, precision, recall, accuracy, roc_auc,
        business_value, tp, fp, fn, tn); champion_metrics is None on a first deploy,
    baseline_value: the dollars the Challenger had to beat (the Champion's, or doing nothing).
    """

    name: str
    challenger_version: int
    champion_version: int | None
    f1_threshold: float
    checks: list[Check] = field(default_factory=list)
    challenger_metrics: dict[str, float] | None = None
    champion_metrics: dict[str, float] | None = None
    baseline_value: float | None = None

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[str]:
        """Names of the checks that failed."""
        return [c.name for c in self.checks if not c.passed]

    def check(self, name: str) -> Check:
        """The check called ``name``."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r}; checks are {[c.name for c in self.checks]}")

    def table(self) -> pd.DataFrame:
        """The checks as a table: check, passed, detail."""
        return pd.DataFrame([{"check": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks])

    def comparison(self) -> pd.DataFrame:
        """Challenger vs Champion (or doing nothing) on the same held-out rows, rounded to 3 decimals."""
        keys = ("f1", "precision", "recall", "roc_auc", "tp", "fp", "fn", "business_value")
        rows = {f"Challenger (v{self.challenger_version})": self.challenger_metrics or {}}
        if self.champion_version is not None:
            rows[f"Champion (v{self.champion_version})"] = self.champion_metrics or {}
        else:
            rows["no model (nobody gets a discount)"] = {"business_value": self.baseline_value}
        frame = pd.DataFrame({k: {key: v.get(key, np.nan) for key in keys} for k, v in rows.items()}).T
        return frame.astype(float).round(3)

    def reason(self) -> str:
        """One sentence: why the Challenger may or may not be promoted."""
        if self.passed:
            who = (f"beats or ties Champion v{self.champion_version}" if self.champion_version is not None
                   else "first deploy, no Champion yet")
            return f"all {len(self.checks)} checks passed ({who})"
        return "; ".join(f"{c.name}: {c.detail}" for c in self.checks if not c.passed)


def evaluate_version(model: Any, X: pd.DataFrame, y: Iterable[int]) -> dict[str, float]:
    """Score ``X`` with a model (URI or loaded PyFuncModel); return held-out metrics and the dollar value.

    Metrics: accuracy, precision, recall, f1, roc_auc (from :func:`mlops_edu.train.classification_metrics`
    on the churn probability), the confusion counts tp/fp/fn/tn and ``business_value`` of the 0/1
    predictions. All plain floats.
    """
    from mlops_edu.inference import score_pandas
    from mlops_edu.train import classification_metrics

    y_arr = np.asarray(y).astype(int)
    scored = score_pandas(model, X)
    metrics = {k: float(v) for k, v in classification_metrics(y_arr, scored["churn_probability"].to_numpy()).items()}
    counts = confusion_counts(y_arr, scored["predictions"].to_numpy())
    metrics.update({k: float(v) for k, v in counts.items()})
    metrics["business_value"] = business_value(y_arr, scored["predictions"].to_numpy())
    return metrics


def _threshold_check(metric: str, candidate: Mapping[str, float], baseline: Mapping[str, float] | None,
                     *, threshold: float | None = None) -> str | None:
    """Run :func:`mlflow.validate_evaluation_results` for one metric; None if it passes, else the message.

    With ``baseline`` the candidate must be *no worse* than the baseline (``min_relative_change=0.0``:
    candidate >= baseline, ties pass); with ``threshold`` it must reach the value.
    """
    import mlflow
    from mlflow.models import MetricThreshold
    from mlflow.models.evaluation import EvaluationResult
    from mlflow.models.evaluation.validation import ModelValidationFailedException

    if baseline is not None:
        rule = MetricThreshold(min_relative_change=0.0, greater_is_better=True)
        base = EvaluationResult(metrics={metric: float(baseline[metric])}, artifacts={})
    else:
        rule = MetricThreshold(threshold=float(threshold), greater_is_better=True)
        base = None
    try:
        mlflow.validate_evaluation_results({metric: rule}, EvaluationResult(
            metrics={metric: float(candidate[metric])}, artifacts={}), base)
    except ModelValidationFailedException as failure:
        return str(failure.message)
    return None


def validate_challenger(X_holdout: pd.DataFrame, y_holdout: Iterable[int], X_sample: pd.DataFrame, *,
                        name: str = MODEL_NAME, f1_threshold: float = 0.8,
                        min_description: int = MIN_DESCRIPTION, write_tags: bool = True) -> ValidationReport:
    """Run the lab's automated checks on ``name@Challenger`` and tag the version with the results.

    Serves section 10, step 4. The checks (each written back as a model-version tag ``"True"``/``"False"``
    when ``write_tags``):

    1. ``has_description``: the version description has at least ``min_description`` characters.
    2. ``has_signature``: the logged model has an input signature.
    3. ``inference_passed``: it scores ``X_sample`` (rows of the inference table) without error,
       one 0/1 prediction and one probability in [0, 1] per row.
    4. ``metric_f1_passed``: F1 on the held-out rows >= ``f1_threshold``.
    5. ``metric_f1_vs_champion_passed``: F1 no worse than the Champion's on the *same* rows
       (passes on a first deploy, when ``@Champion`` does not exist).
    6. ``business_value_passed``: dollars (:func:`business_value`) no worse than the Champion's, or
       better than doing nothing on a first deploy.

    Comparisons use :func:`mlflow.validate_evaluation_results` with :class:`mlflow.models.MetricThreshold`.
    Also tags ``validation_f1``, ``business_value`` and ``f1_threshold``.

    Returns
    -------
    :class:`ValidationReport`; ``report.passed`` says whether :func:`promote` will accept it.
    """
    client = _client()
    challenger = version_by_alias(CHALLENGER, name)
    if challenger is None:
        raise RegistryError(f"{name}@{CHALLENGER} does not exist: register a model with alias "
                            f"{CHALLENGER!r} first")
    champion = version_by_alias(CHAMPION, name)
    if champion is not None and champion.version == challenger.version:
        champion = None
    y_arr = np.asarray(y_holdout).astype(int)
    report = ValidationReport(name=name, challenger_version=int(challenger.version),
                              champion_version=int(champion.version) if champion is not None else None,
                              f1_threshold=float(f1_threshold))
    checks = report.checks
    uri = model_uri(name, version=challenger.version)

    description = (challenger.description or "").strip()
    checks.append(Check("has_description", len(description) >= min_description,
                        f"description has {len(description)} characters (minimum {min_description})"))

    import mlflow

    try:
        loaded = mlflow.pyfunc.load_model(uri)
    except Exception as error:  # noqa: BLE001 - a model that does not load fails every later check
        loaded, load_error = None, f"the model does not load: {type(error).__name__}: {error}"
    signature = loaded.metadata.signature if loaded is not None else None
    if loaded is None:
        sig_detail = load_error
    elif signature is None:
        sig_detail = "the model was logged without a signature"
    else:
        sig_detail = f"signature with {len(signature.inputs.input_names())} input columns"
    checks.append(Check("has_signature", signature is not None, sig_detail))

    from mlops_edu.inference import score_pandas

    try:
        if loaded is None:
            raise RegistryError(load_error)
        scored = score_pandas(loaded, X_sample)
        proba = scored["churn_probability"].to_numpy(dtype=float)
        ok = (len(scored) == len(X_sample) and set(np.unique(scored["predictions"])) <= {0, 1}
              and bool(np.all((proba >= 0) & (proba <= 1))))
        detail = (f"scored {len(X_sample)} inference rows" if ok
                  else "predictions are not one 0/1 label and one probability per row")
    except Exception as error:  # noqa: BLE001 - the check reports any scoring failure
        ok, detail = False, f"scoring {len(X_sample)} inference rows failed: {type(error).__name__}: {error}"
    checks.append(Check("inference_passed", ok, detail))

    try:
        if loaded is None:
            raise RegistryError(load_error)
        report.challenger_metrics = evaluate_version(loaded, X_holdout, y_arr)
    except Exception as error:  # noqa: BLE001
        failure = f"held-out scoring failed: {type(error).__name__}: {error}"
        checks += [Check("metric_f1_passed", False, failure),
                   Check("metric_f1_vs_champion_passed", False, failure),
                   Check("business_value_passed", False, failure)]
    else:
        cm = report.challenger_metrics
        message = _threshold_check("f1", cm, None, threshold=f1_threshold)
        checks.append(Check("metric_f1_passed", message is None,
                            f"F1 {cm['f1']:.3f} {'>=' if message is None else '<'} threshold {f1_threshold:.3f}"))
        if champion is None:
            report.baseline_value = no_model_value(y_arr)
            checks.append(Check("metric_f1_vs_champion_passed", True, "first deploy: no Champion to compare with"))
        else:
            report.champion_metrics = evaluate_version(model_uri(name, version=champion.version), X_holdout, y_arr)
            report.baseline_value = report.champion_metrics["business_value"]
            pm = report.champion_metrics
            message = _threshold_check("f1", cm, pm)
            checks.append(Check("metric_f1_vs_champion_passed", message is None,
                                f"F1 {cm['f1']:.3f} vs Champion v{champion.version} {pm['f1']:.3f} on the same rows"))
        who = f"Champion v{champion.version}" if champion is not None else "doing nothing"
        message = _threshold_check("business_value", cm, {"business_value": report.baseline_value})
        checks.append(Check("business_value_passed", message is None,
                            f"{usd(cm['business_value'])} vs {who} {usd(report.baseline_value)}"))

    if write_tags:
        for c in checks:
            client.set_model_version_tag(name, challenger.version, c.name, str(c.passed))
        client.set_model_version_tag(name, challenger.version, "f1_threshold", f"{f1_threshold:.3f}")
        if report.challenger_metrics is not None:
            client.set_model_version_tag(name, challenger.version, "validation_f1",
                                         f"{report.challenger_metrics['f1']:.3f}")
            client.set_model_version_tag(name, challenger.version, "business_value",
                                         f"{report.challenger_metrics['business_value']:.0f}")
    return report


# --------------------------------------------------------------------------------------------------
# Promotion and rollback (section 10, step 4; section 6 "rollback")
# --------------------------------------------------------------------------------------------------

@dataclass
class Promotion:
    """What :func:`promote` did: promoted or not, why, and the versions involved."""

    promoted: bool
    reason: str
    new_champion: int | None
    old_champion: int | None


def promote(report: ValidationReport) -> Promotion:
    """Promote the validated Challenger if (and only if) every check of ``report`` passed.

    Promotion = move ``Champion`` to the Challenger's version, delete the ``Challenger`` alias, tag the
    old champion ``archived=True`` and the new one ``previous_champion=<old version>`` (what
    :func:`rollback` goes back to). A refused Challenger keeps its alias and its failed-check tags; the
    Champion does not move.

    Returns
    -------
    :class:`Promotion` (``promoted``, ``reason``, ``new_champion``, ``old_champion``).
    """
    client = _client()
    name, version = report.name, report.challenger_version
    current = version_by_alias(CHALLENGER, name)
    if current is None or int(current.version) != version:
        raise RegistryError(f"{name}@{CHALLENGER} is no longer version {version}: validate it again")
    champion = version_by_alias(CHAMPION, name)
    old = int(champion.version) if champion is not None else None
    if not report.passed:
        return Promotion(False, f"refused: {report.reason()}", old, old)
    client.set_registered_model_alias(name, CHAMPION, str(version))
    client.delete_registered_model_alias(name, CHALLENGER)
    if old is not None and old != version:
        client.set_model_version_tag(name, str(old), ARCHIVED_TAG, "True")
        client.set_model_version_tag(name, str(version), PREVIOUS_CHAMPION_TAG, str(old))
    return Promotion(True, f"promoted: {report.reason()}", version, old)


def rollback(name: str = MODEL_NAME, to_version: int | None = None) -> tuple[int, int]:
    """Move ``Champion`` back to the previous champion: one alias move, no retraining, no redeploy.

    Parameters
    ----------
    name: registered model.
    to_version: version to go back to; default the ``previous_champion`` tag of the current Champion.

    Returns
    -------
    ``(from_version, to_version)``. The rolled-back version is tagged ``rolled_back=True`` and the
    restored one loses its ``archived`` tag.
    """
    client = _client()
    champion = version_by_alias(CHAMPION, name)
    if champion is None:
        raise RegistryError(f"{name}@{CHAMPION} does not exist: nothing to roll back")
    if to_version is None:
        previous = champion.tags.get(PREVIOUS_CHAMPION_TAG)
        if not previous:
            raise RegistryError(f"{name}@{CHAMPION} (v{champion.version}) has no previous champion to roll back to")
        to_version = int(previous)
    client.get_model_version(name, str(int(to_version)))  # raises if the version does not exist
    client.set_registered_model_alias(name, CHAMPION, str(int(to_version)))  # the one alias move
    client.set_model_version_tag(name, champion.version, "rolled_back", "True")
    client.delete_model_version_tag(name, str(int(to_version)), ARCHIVED_TAG)
    return int(champion.version), int(to_version)


__all__ = [
    "MODEL_NAME", "CHAMPION", "CHALLENGER", "COST_CHURN", "COST_DISCOUNT", "MIN_DESCRIPTION", "CHECKS",
    "RegistryError", "Check", "ValidationReport", "Promotion", "usd", "model_uri", "confusion_counts",
    "business_value", "no_model_value", "break_even_f1", "register", "set_alias", "version_by_alias",
    "aliases", "versions_table", "lineage", "evaluate_version", "validate_challenger", "promote", "rollback",
]
