"""Automated validation of the Challenger (lecture section 10, step 4): one small function per check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from mlops_edu.business import best_trivial_policy, business_value, usd
from mlops_edu.training.metrics import confusion_counts
from mlops_edu.deployment.registry import (
    ARCHIVED_TAG,
    CHALLENGER,
    CHAMPION,
    MODEL_NAME,
    PREVIOUS_CHAMPION_TAG,
    RegistryError,
    _client,
    model_uri,
    version_by_alias,
)

MIN_DESCRIPTION = 20
"""A model-version description shorter than this many characters fails ``has_description``."""

CHECKS = ("has_description", "has_signature", "inference_passed", "metric_f1_passed",
          "metric_f1_vs_champion_passed", "business_value_passed")
"""Names of the validation checks, in the order they run; each becomes a model-version tag."""


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
            rows["best policy without a model"] = {"business_value": self.baseline_value}
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

    Metrics: accuracy, precision, recall, f1, roc_auc (from :func:`mlops_edu.training.classification_metrics`
    on the churn probability), the confusion counts tp/fp/fn/tn and ``business_value`` of the 0/1
    predictions. All plain floats.
    """
    from mlops_edu.deployment.inference import score_pandas
    from mlops_edu.training.metrics import classification_metrics

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

    from mlops_edu.deployment.inference import score_pandas

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
            baseline_name, report.baseline_value = best_trivial_policy(y_arr)
            checks.append(Check("metric_f1_vs_champion_passed", True, "first deploy: no Champion to compare with"))
        else:
            report.champion_metrics = evaluate_version(model_uri(name, version=champion.version), X_holdout, y_arr)
            report.baseline_value = report.champion_metrics["business_value"]
            pm = report.champion_metrics
            message = _threshold_check("f1", cm, pm)
            checks.append(Check("metric_f1_vs_champion_passed", message is None,
                                f"F1 {cm['f1']:.3f} vs Champion v{champion.version} {pm['f1']:.3f} on the same rows"))
        who = f"Champion v{champion.version}" if champion is not None else f"{baseline_name} (no model)"
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


