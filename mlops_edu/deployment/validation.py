"""Automated validation of the Challenger and its promotion (lecture section 10, step 4): one function per check.

The lab loads ``@Challenger``, runs automated checks (a description, the F1 floor) and compares it with
``@Champion`` (a first deploy has none). Here the comparison is noise-aware: both models score the
**same** held-out rows and a paired bootstrap (:func:`mlops_edu.training.bootstrap.paired_bootstrap`)
gives an interval of the gain in F1 and in dollars per customer; the Challenger is promoted only when
each interval's lower bound exceeds a margin declared in advance (:class:`PromotionRule`). On a first
deploy the Challenger must beat the better of the two policies that need no model (no offers, offers
for everyone; :func:`mlops_edu.business.best_trivial_policy`) in the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd

from mlops_edu.business import best_trivial_policy, business_value, trivial_policy_values
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
from mlops_edu.deployment.report import (  # noqa: F401 - CHECKS and MIN_DESCRIPTION stay importable from here
    CHECKS,
    GAINS,
    MIN_DESCRIPTION,
    Check,
    PromotionRule,
    ValidationReport,
    _signed_dollars,
)
from mlops_edu.training.bootstrap import Interval, interval_gate, paired_bootstrap
from mlops_edu.training.metrics import (THRESHOLD_METRICS, classification_metrics, confusion_counts, deploy_gate,
                                        metric_from_counts)

# --------------------------------------------------------------------------------------------------
# Scoring on the held-out rows
# --------------------------------------------------------------------------------------------------

def _metrics(y: np.ndarray, proba: np.ndarray | None, pred: np.ndarray) -> dict[str, float]:
    """Held-out metrics of 0/1 decisions ``pred`` (ROC AUC from ``proba``; NaN for a policy without scores)."""
    counts = confusion_counts(y, pred)
    metrics = {m: float(metric_from_counts(m, counts)) for m in THRESHOLD_METRICS}
    metrics["roc_auc"] = classification_metrics(y, proba)["roc_auc"] if proba is not None else float("nan")
    metrics.update({k: float(v) for k, v in counts.items()})
    metrics["business_value"] = business_value(y, pred)
    return metrics


def _decisions(model: Any, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    from mlops_edu.deployment.inference import score_pandas

    scored = score_pandas(model, X)
    return scored["churn_probability"].to_numpy(dtype=float), scored["predictions"].to_numpy().astype(int)


def evaluate_version(model: Any, X: pd.DataFrame, y: Iterable[int]) -> dict[str, float]:
    """Score ``X`` with a model (URI or loaded PyFuncModel); return held-out metrics and the dollar value.

    Metrics: accuracy, precision, recall, f1, roc_auc (on the churn probability), the confusion counts
    tp/fp/fn/tn and ``business_value`` of the 0/1 predictions. All plain floats.

    Parameters
    ----------
    model : str or mlflow.pyfunc.PyFuncModel
    X : pandas.DataFrame
        Held-out rows (the model's input columns).
    y : iterable of int
        Their 0/1 labels.

    Returns
    -------
    dict of str to float
    """
    y_arr = np.asarray(y).astype(int)
    proba, pred = _decisions(model, X)
    return _metrics(y_arr, proba, pred)


# --------------------------------------------------------------------------------------------------
# The checks, one function each
# --------------------------------------------------------------------------------------------------

def check_description(version: Any, min_chars: int = MIN_DESCRIPTION) -> Check:
    """``has_description``: the model version says what it is in at least ``min_chars`` characters.

    Parameters
    ----------
    version : ModelVersion
        Its ``description`` is checked (stripped; none counts as empty).
    min_chars : int
    """
    text = (getattr(version, "description", None) or "").strip()
    return Check("has_description", len(text) >= min_chars,
                 f"description has {len(text)} characters (minimum {min_chars})")


def load_version(uri: str) -> tuple[Any, str | None]:
    """``(loaded pyfunc model, None)`` or ``(None, why it does not load)``.

    Parameters
    ----------
    uri : str
        Model URI.
    """
    import mlflow

    try:
        return mlflow.pyfunc.load_model(uri), None
    except Exception as error:  # noqa: BLE001 - a model that does not load fails every later check
        return None, f"the model does not load: {type(error).__name__}: {error}"


def check_signature(loaded: Any, load_error: str | None = None) -> Check:
    """``has_signature``: the logged model declares its input columns.

    Parameters
    ----------
    loaded : mlflow.pyfunc.PyFuncModel or None
        From :func:`load_version`; ``None`` fails the check with ``load_error``.
    load_error : str or None
    """
    signature = loaded.metadata.signature if loaded is not None else None
    if loaded is None:
        detail = load_error or "the model does not load"
    elif signature is None:
        detail = "the model was logged without a signature"
    else:
        detail = f"signature with {len(signature.inputs.input_names())} input columns"
    return Check("has_signature", signature is not None, detail)


def check_inference(loaded: Any, X_sample: pd.DataFrame, load_error: str | None = None) -> Check:
    """``inference_passed``: one 0/1 prediction and one probability in [0, 1] per row of ``X_sample``.

    Parameters
    ----------
    loaded : mlflow.pyfunc.PyFuncModel or None
        As in :func:`check_signature`.
    X_sample : pandas.DataFrame
        Rows of the inference table; a scoring error fails the check.
    load_error : str or None
    """
    if loaded is None:
        return Check("inference_passed", False, load_error or "the model does not load")
    try:
        proba, pred = _decisions(loaded, X_sample)
    except Exception as error:  # noqa: BLE001 - the check reports any scoring failure
        return Check("inference_passed", False,
                     f"scoring {len(X_sample)} inference rows failed: {type(error).__name__}: {error}")
    ok = (len(pred) == len(X_sample) and set(np.unique(pred).tolist()) <= {0, 1}
          and bool(np.all((proba >= 0) & (proba <= 1))))
    return Check("inference_passed", ok, f"scored {len(X_sample)} inference rows" if ok
                 else "predictions are not one 0/1 label and one probability per row")


def check_f1_floor(metrics: dict[str, float], threshold: float) -> Check:
    """``metric_f1_passed``: held-out F1 reaches the floor (:func:`~mlops_edu.training.metrics.deploy_gate`).

    Parameters
    ----------
    metrics : dict of str to float
        Held-out metrics with ``f1`` (:func:`evaluate_version`).
    threshold : float
    """
    gate = deploy_gate(metrics, threshold, "f1")
    return Check("metric_f1_passed", gate.passed,
                 f"F1 {gate.value:.3f} {'>=' if gate.passed else '<'} threshold {threshold:.3f}")


def check_gain(name: str, interval: Interval, margin: float, reference: str) -> Check:
    """``f1_gain_passed`` / ``value_gain_passed``: the interval's lower bound exceeds ``margin``.

    Parameters
    ----------
    name : str
        Check name (its tag).
    interval : Interval
        Paired-bootstrap gain (``value_per_customer`` is shown in dollars).
    margin : float
    reference : str
        What the gain is over, for the detail sentence.
    """
    gate = interval_gate(interval, margin)
    money = interval.statistic == "value_per_customer"
    show = _signed_dollars if money else (lambda v: f"{v:+.3f}")
    unit = " per customer" if money else ""
    return Check(name, gate.passed,
                 f"gain over {reference} {show(interval.estimate)}{unit}, {interval.level:.0%} interval "
                 f"{show(interval.low)} to {show(interval.high)}: lower bound "
                 f"{'above' if gate.passed else 'not above'} the margin {show(margin)}")


def compare(y: np.ndarray, challenger_pred: np.ndarray, reference_pred: np.ndarray,
            rule: PromotionRule) -> dict[str, Interval]:
    """Paired-bootstrap intervals of the Challenger's gain in F1 and in dollars per customer, same rows.

    Parameters
    ----------
    y : numpy.ndarray
        0/1 labels of the held-out rows.
    challenger_pred, reference_pred : numpy.ndarray
        0/1 decisions on those rows.
    rule : PromotionRule
        Resamples, seed and level of the bootstrap.

    Returns
    -------
    dict of str to Interval
        Keyed ``"f1"`` and ``"value_per_customer"``.
    """
    return {statistic: paired_bootstrap(y, challenger_pred, reference_pred, statistic,
                                        n_resamples=rule.n_resamples, seed=rule.seed, level=rule.level)
            for statistic in GAINS.values()}


def write_validation_tags(report: ValidationReport) -> None:
    """Each check as a ``True``/``False`` tag, plus the numbers and the intervals that decided.

    Parameters
    ----------
    report : ValidationReport
        Tags go to its Challenger version.
    """
    client, name, version = _client(), report.name, str(report.challenger_version)
    tags = {c.name: str(c.passed) for c in report.checks}
    if report.rule.f1_threshold is not None:
        tags["f1_threshold"] = f"{report.rule.f1_threshold:.3f}"
    if report.challenger_metrics is not None:
        tags["validation_f1"] = f"{report.challenger_metrics['f1']:.3f}"
        tags["business_value"] = f"{report.challenger_metrics['business_value']:.0f}"
    if report.intervals:
        tags["compared_with"] = report.reference
        tags["bootstrap"] = (f"{report.rule.n_resamples} paired resamples, seed {report.rule.seed}, "
                             f"{report.rule.level:.0%} interval")
    for check, statistic in GAINS.items():
        if statistic in report.intervals:
            iv = report.intervals[statistic]
            prefix = "f1_gain" if statistic == "f1" else "value_gain_per_customer"
            tags.update({prefix: f"{iv.estimate:.4f}", f"{prefix}_low": f"{iv.low:.4f}",
                         f"{prefix}_high": f"{iv.high:.4f}", f"{prefix}_margin": f"{report.rule.margin(check):g}"})
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


# --------------------------------------------------------------------------------------------------
# Validation: the checks in order (section 10, step 4)
# --------------------------------------------------------------------------------------------------

def _reference(champion: Any, name: str, X: pd.DataFrame, y: np.ndarray) -> tuple[str, np.ndarray, dict]:
    """The Champion's decisions on the held-out rows, or the best policy without a model on a first deploy."""
    if champion is not None:
        proba, pred = _decisions(model_uri(name, version=champion.version), X)
        return f"Champion v{champion.version}", pred, _metrics(y, proba, pred)
    policy, _ = best_trivial_policy(y)
    pred = np.ones_like(y) if policy == "offers for everyone" else np.zeros_like(y)
    return f"{policy} (no model)", pred, _metrics(y, None, pred)


def validate_challenger(X_holdout: pd.DataFrame, y_holdout: Iterable[int], X_sample: pd.DataFrame, *,
                        name: str = MODEL_NAME, rule: PromotionRule | None = None,
                        f1_threshold: float | None = None, write_tags: bool = True) -> ValidationReport:
    """Run the lab's automated checks on ``name@Challenger`` and tag the version with the results.

    Serves section 10, step 4. The checks (each written back as a model-version tag when ``write_tags``):
    ``has_description``, ``has_signature``, ``inference_passed`` (:func:`check_inference` on
    ``X_sample``), ``metric_f1_passed`` (only when the rule has an F1 floor), then the comparison on the
    held-out rows with the Champion, or on a first deploy with the best policy without a model:
    ``f1_gain_passed`` and ``value_gain_passed`` (:func:`check_gain` on :func:`compare`'s intervals).

    Parameters
    ----------
    X_holdout, y_holdout : DataFrame, array-like of 0/1
        Rows neither model trained on; both models are scored on exactly these.
    X_sample : DataFrame
        Rows of the inference table (no label) for the scoring check.
    name : str
        Registered model.
    rule : PromotionRule, optional
        Declared in advance; default ``PromotionRule()`` (no F1 floor, margins 0, 2000 resamples).
    f1_threshold : float, optional
        Shortcut for ``PromotionRule(f1_threshold=...)`` (the lecture's F1 floor).
    write_tags : bool
        Write the results to the model version.

    Returns
    -------
    ValidationReport
        ``report.passed`` says whether :func:`promote` will accept it.

    Raises
    ------
    RegistryError
        When ``name@Challenger`` does not exist.
    """
    rule = rule or PromotionRule()
    if f1_threshold is not None:
        rule = PromotionRule(**{**asdict(rule), "f1_threshold": float(f1_threshold)})
    challenger = version_by_alias(CHALLENGER, name)
    if challenger is None:
        raise RegistryError(f"{name}@{CHALLENGER} does not exist: register a model with alias {CHALLENGER!r} first")
    champion = version_by_alias(CHAMPION, name)
    if champion is not None and champion.version == challenger.version:
        champion = None
    y = np.asarray(y_holdout).astype(int)
    report = ValidationReport(name=name, challenger_version=int(challenger.version),
                              champion_version=int(champion.version) if champion is not None else None, rule=rule)
    loaded, load_error = load_version(model_uri(name, version=challenger.version))
    report.checks += [check_description(challenger, rule.min_description), check_signature(loaded, load_error),
                      check_inference(loaded, X_sample, load_error)]
    report.checks += _holdout_checks(report, loaded, load_error, champion, X_holdout, y)
    if write_tags:
        write_validation_tags(report)
    return report


def _holdout_checks(report: ValidationReport, loaded: Any, load_error: str | None, champion: Any,
                    X: pd.DataFrame, y: np.ndarray) -> list[Check]:
    rule, names = report.rule, ([] if report.rule.f1_threshold is None else ["metric_f1_passed"]) + list(GAINS)
    report.trivial_values = trivial_policy_values(y)
    try:
        if loaded is None:
            raise RegistryError(load_error or "the model does not load")
        proba, pred = _decisions(loaded, X)
    except Exception as error:  # noqa: BLE001 - every held-out check fails with the reason
        return [Check(n, False, f"held-out scoring failed: {type(error).__name__}: {error}") for n in names]
    report.challenger_metrics = _metrics(y, proba, pred)
    report.reference, reference_pred, report.reference_metrics = _reference(champion, report.name, X, y)
    report.intervals = compare(y, pred, reference_pred, rule)
    checks = [] if rule.f1_threshold is None else [check_f1_floor(report.challenger_metrics, rule.f1_threshold)]
    return checks + [check_gain(check, report.intervals[statistic], rule.margin(check), report.reference)
                     for check, statistic in GAINS.items()]


# --------------------------------------------------------------------------------------------------
# Promotion (section 10, step 4; rollback is registry.rollback)
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
    :func:`~mlops_edu.deployment.registry.rollback` goes back to). A refused Challenger keeps its alias
    and its failed-check tags; the Champion does not move.

    Parameters
    ----------
    report : ValidationReport
        From :func:`validate_challenger`.

    Returns
    -------
    Promotion
        ``promoted``, ``reason``, ``new_champion``, ``old_champion`` (when refused, both the unmoved Champion).

    Raises
    ------
    RegistryError
        When ``Challenger`` no longer points at the report's version.
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
    first = " (first deploy)" if old is None else ""
    return Promotion(True, f"promoted{first}: {report.reason()}", version, old)
