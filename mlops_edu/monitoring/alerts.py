"""Alert rules from one file, the alert log, and the retraining trigger (lecture 5.3, "actions").

The lecture: when drift or a drop in quality is detected, send an alert or start the retraining pipeline
automatically. Here every threshold lives in one TOML file, one table per signal::

    [f1_realised]          # F1 of the latest month whose labels have arrived
    below = 0.57
    action = "retrain"

    [error_rate]           # share of the scoring server's requests that failed
    above = 0.05
    action = "page"

:func:`load_rules` validates the file before anything runs: an unknown signal, an unknown key, a
negative or non-numeric threshold, a rule without ``above``/``below`` or an unknown action is an
:class:`AlertRuleError` naming it. :class:`AlertLog` evaluates the rules window by window (a month, a
minute of traffic) and keeps every alert; :meth:`AlertLog.retrain_needed` is the retraining trigger.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

SIGNALS: dict[str, str] = {
    "input_drift_share": "share of the model's input columns whose drift test fires (drift_report)",
    "dataset_drift": "1 when at least half of the input columns drift, else 0",
    "prediction_psi": "PSI of the predicted churn probabilities against the reference predictions",
    "f1_estimated": "F1 estimated without labels from calibrated probabilities (confidence-based)",
    "value_estimated": "dollars of the offers estimated without labels",
    "f1_realised": "F1 of the latest month whose labels have arrived",
    "value_realised": "dollars of the offers of the latest month whose labels have arrived",
    "churn_rate_gap": "realised churn rate minus the rate the calibrated model expected, same month",
    "validation_problems": "number of problems the batch validation found",
    "requests": "requests the scoring server answered in the window",
    "error_rate": "share of the scoring server's requests that failed (HTTP status >= 400)",
    "latency_p50_ms": "median latency of the scoring server, ms",
    "latency_p95_ms": "95th percentile latency of the scoring server, ms",
    "latency_p99_ms": "99th percentile latency of the scoring server, ms",
    "cpu_percent": "CPU of the scoring server process, percent of one core",
    "memory_mb": "resident memory of the scoring server process, MB",
}
"""Every signal a rule may name, with what it measures."""
ACTIONS = ("notify", "retrain", "page")
"""What an alert asks for: tell the team, start the retraining pipeline, or wake the on-call engineer."""


class AlertRuleError(ValueError):
    """The rule file is invalid; the message names the signal and the key at fault."""


@dataclass(frozen=True)
class Rule:
    """Thresholds of one signal: it fires when the value is above ``above`` or below ``below``."""

    signal: str
    above: float | None = None
    below: float | None = None
    action: str = "notify"

    def fires(self, value: float | None) -> bool:
        """True when ``value`` crosses a threshold (a missing or NaN value never fires).

        Parameters
        ----------
        value : float or None
            The signal's value in one window.

        Returns
        -------
        bool
        """
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return (self.above is not None and value > self.above) or (self.below is not None and value < self.below)

    def describe(self) -> str:
        parts = ([f"> {self.above:g}"] if self.above is not None else []) + (
            [f"< {self.below:g}"] if self.below is not None else [])
        return f"{self.signal} {' or '.join(parts)}"


def _threshold(signal: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AlertRuleError(f"rule {signal!r}: {key} must be a number, got {value!r}")
    if value < 0 or math.isnan(value):
        raise AlertRuleError(f"rule {signal!r}: {key} must be >= 0, got {value!r}")
    return float(value)


def parse_rules(data: Mapping[str, Any]) -> dict[str, Rule]:
    """Validate a parsed rule file (``{signal: {"above"/"below": number, "action": str}}``) into rules.

    Parameters
    ----------
    data : mapping
        The parsed TOML: one table per signal of :data:`SIGNALS`; ``action`` defaults to ``"notify"``.

    Returns
    -------
    dict of str to Rule
        By signal.

    Raises
    ------
    AlertRuleError
        For an unknown signal, action or key, a missing threshold, or a threshold that is not a number >= 0.
    """
    rules = {}
    for signal, spec in data.items():
        if signal not in SIGNALS:
            raise AlertRuleError(f"unknown signal {signal!r}; known signals: {sorted(SIGNALS)}")
        if not isinstance(spec, Mapping):
            raise AlertRuleError(f"rule {signal!r}: expected a table with above/below/action, got {spec!r}")
        unknown = sorted(set(spec) - {"above", "below", "action"})
        if unknown:
            raise AlertRuleError(f"rule {signal!r}: unknown key(s) {unknown}; allowed: above, below, action")
        if "above" not in spec and "below" not in spec:
            raise AlertRuleError(f"rule {signal!r}: give a threshold 'above' or 'below'")
        action = spec.get("action", "notify")
        if action not in ACTIONS:
            raise AlertRuleError(f"rule {signal!r}: unknown action {action!r}; allowed: {list(ACTIONS)}")
        rules[signal] = Rule(signal, *(_threshold(signal, k, spec[k]) if k in spec else None
                                       for k in ("above", "below")), action=action)
    return rules


def load_rules(source: str | Path) -> dict[str, Rule]:
    """Read and validate a TOML rule file (a path, or the TOML text itself when it contains a newline).

    Parameters
    ----------
    source : str or pathlib.Path
        Path of the rule file, or its text.

    Returns
    -------
    dict of str to Rule

    Raises
    ------
    AlertRuleError
        When the text is not valid TOML, and as :func:`parse_rules`.

    >>> load_rules('[error_rate]\\nabove = 0.05\\naction = "page"\\n')["error_rate"].describe()
    'error_rate > 0.05'
    >>> load_rules('[f1]\\nbelow = 0.5\\n')
    Traceback (most recent call last):
    ...
    mlops_edu.monitoring.alerts.AlertRuleError: unknown signal 'f1'; known signals: ['churn_rate_gap', 'cpu_percent', 'dataset_drift', 'error_rate', 'f1_estimated', 'f1_realised', 'input_drift_share', 'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'memory_mb', 'prediction_psi', 'requests', 'validation_problems', 'value_estimated', 'value_realised']
    """
    text = str(source) if "\n" in str(source) else Path(source).read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AlertRuleError(f"the rule file is not valid TOML: {error}") from None
    return parse_rules(data)


@dataclass(frozen=True)
class Alert:
    """One fired rule: in which window, on which signal, with which value, asking for which action."""

    window: str
    signal: str
    value: float
    rule: str
    action: str


@dataclass
class AlertLog:
    """Evaluates rules window by window and keeps every alert that fired."""

    rules: Mapping[str, Rule]
    alerts: list[Alert] = field(default_factory=list)

    def evaluate(self, window: str, signals: Mapping[str, Any]) -> list[Alert]:
        """Check every rule whose signal is in ``signals``; log and return the alerts that fired.

        Parameters
        ----------
        window : str
            Name of the window (a month, a minute of traffic).
        signals : mapping of str to float
            Signal values of the window; signals without a rule are ignored.

        Returns
        -------
        list of Alert
        """
        fired = [Alert(str(window), name, float(signals[name]), rule.describe(), rule.action)
                 for name, rule in self.rules.items() if name in signals and rule.fires(signals[name])]
        self.alerts.extend(fired)
        return fired

    def evaluate_frame(self, table: pd.DataFrame) -> list[Alert]:
        """Evaluate every row of ``table`` (index = window, columns = signals) in order.

        Parameters
        ----------
        table : pandas.DataFrame
            One row per window; columns that are not in :data:`SIGNALS` are ignored.

        Returns
        -------
        list of Alert
            The alerts that fired, all windows together.
        """
        fired = []
        for window, row in table.iterrows():
            fired += self.evaluate(str(window), {k: v for k, v in row.items() if k in SIGNALS})
        return fired

    @staticmethod
    def retrain_needed(alerts: list[Alert]) -> bool:
        """The retraining trigger: True when one of ``alerts`` asks for ``retrain``.

        Parameters
        ----------
        alerts : list of Alert
            E.g. the alerts of the latest window.

        Returns
        -------
        bool
        """
        return any(a.action == "retrain" for a in alerts)

    def frame(self) -> pd.DataFrame:
        """The alert log as a table (values rounded to 3 decimals)."""
        table = pd.DataFrame([asdict(a) for a in self.alerts], columns=["window", "signal", "value", "rule", "action"])
        table["value"] = table["value"].astype(float).round(3)
        return table

    def write_jsonl(self, path: str | Path) -> None:
        """Write the alert log as JSON lines (what a pager or a chat bot would read).

        Parameters
        ----------
        path : str or pathlib.Path
            File to write (overwritten).
        """
        Path(path).write_text("".join(json.dumps(asdict(a)) + "\n" for a in self.alerts))
