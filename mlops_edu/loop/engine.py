"""The closed loop, month by month (lecture 8 and the ML pipeline overview's feedback arrow).

Every month :class:`ClosedLoop` runs the stages of the pipeline overview on that month's batch:

1. **ingest and validate**: the batch is checked against the Champion's baseline profile; a batch that
   fails (a unit bug) is quarantined: nothing is scored until the upstream job re-delivers it fixed;
2. **score**: the Champion, loaded from the MLflow registry by alias, serves in a scoring server
   (:class:`~mlops_edu.monitoring.ScoringService`) that receives the batch in micro-batches and writes one
   output per micro-batch (a retry never scores twice);
3. **monitor**: input drift against the Champion's training data, the label-free F1 estimate, and the
   realised F1 of last month (its labels arrive one month late) when last month was scored by this Champion;
4. **alert**: the rule file; a ``retrain`` alert (level 2/3) or the calendar (level 1) starts
5. **retrain** on the most recent labelled months, logged to MLflow and registered as ``@Challenger``;
6. **validate**: the checks of chapter 09 (description, signature, inference, F1 floor) and the
   noise-aware comparison with the Champion (:func:`~mlops_edu.training.bootstrap.paired_bootstrap` of the
   dollars per customer on the same held-out customers, lower bound above a declared margin);
7. **promote and deploy**: ``@Champion`` moves, the server restarts with the new model from the next
   month; with a post-deploy check a deploy that cannot score production rows is rolled back at once.

Everything a month did is one row of :attr:`ClosedLoop.history`; what happened, in words, is
:attr:`ClosedLoop.events`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.data.months import MonthBatch
from mlops_edu.deployment import registry
from mlops_edu.loop.levels import Level
from mlops_edu.monitoring.alerts import AlertLog, Rule
from mlops_edu.monitoring.drift import psi
from mlops_edu.monitoring.performance import Calibrator, estimate_quality, fit_calibrator, realised_quality
from mlops_edu.monitoring.profiles import Profile, profile
from mlops_edu.monitoring.report import drift_report
from mlops_edu.monitoring.service import ScoringService, ServiceError, score_batches
from mlops_edu.monitoring.timeline import labelled_frame
from mlops_edu.training.bootstrap import paired_bootstrap

STATIC_CHECKS = ("has_description", "has_signature", "inference_passed", "metric_f1_passed")
"""Chapter 09's checks the loop keeps; the Champion comparison is its own paired bootstrap (``value_gain_passed``)."""


@dataclass
class Deployed:
    """What the loop keeps about a registered version: the fitted model and its training baseline."""

    version: int
    model: Any
    reference: pd.DataFrame
    baseline: Profile
    calibrator: Calibrator
    holdout_proba: np.ndarray


@dataclass
class LoopConfig:
    """The fixed choices of a loop, written down before it runs.

    Attributes
    ----------
    name : str
        Registered model name.
    columns : list of str
        The model's input columns.
    rules : dict of Rule
        Alert rules (:func:`~mlops_edu.monitoring.load_rules`).
    margin : float
        Dollars per customer the bootstrap's lower bound must exceed to promote.
    level : float
        Coverage of that paired-bootstrap interval (0.9: the middle 90 % of the resampled gains).
    f1_floor : float
        Chapter 09's F1 check (the business floor 0.4 by default).
    train_months : int
        Labelled months a retraining uses.
    holdout_share : float
        Share of those rows held out for validation.
    micro_batches : int
        Requests a month's batch is split into (when ``server``).
    server : bool
        Score through the scoring server (a child process; needed to kill it in a chaos test) or in this
        process with the same model (faster; the same numbers).
    seed : int
        Seed of models, splits and bootstraps.
    """

    name: str
    columns: list[str]
    rules: Mapping[str, Rule]
    margin: float = 0.0
    level: float = 0.9
    f1_floor: float = 0.4
    train_months: int = 2
    holdout_share: float = 0.3
    micro_batches: int = 4
    server: bool = True
    seed: int = 0


@dataclass
class ClosedLoop:
    """One maturity level running the loop over monthly batches (see the module docstring)."""

    level: Level
    config: LoopConfig
    months: Sequence[MonthBatch]
    root: Path
    history: list[dict[str, Any]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    versions: dict[int, Deployed] = field(default_factory=dict)
    champion: int | None = None
    service: ScoringService | None = None
    alerts: AlertLog | None = None
    trainings: int = 0
    timings: list[dict[str, float]] = field(default_factory=list)

    # ------------------------------------------------------------------------------------- set-up
    def start(self, model: Any, X_train: pd.DataFrame, X_holdout: pd.DataFrame, y_holdout: Any, info: Any) -> None:
        """Register the first model (already logged, ``info``) and make it the Champion."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.alerts = AlertLog(self.config.rules)
        mv = registry.register(info, self.config.name, description="first churn model of the loop, trained "
                               "on the launch data", alias=registry.CHAMPION)
        self._remember(int(mv.version), model, X_train, X_holdout, y_holdout)
        self._deploy(int(mv.version), month=-1)

    def _remember(self, version: int, model: Any, X_train: pd.DataFrame, X_holdout: pd.DataFrame, y_holdout: Any) -> None:
        proba = np.asarray(model.predict_proba(X_holdout[self.config.columns]))[:, 1]
        self.versions[version] = Deployed(version, model, X_train[self.config.columns], profile(X_train[self.config.columns]),
                                          fit_calibrator(proba, y_holdout), proba)

    # --------------------------------------------------------------------------------------- deploy
    def _serve(self, version: int) -> None:
        """Load ``version`` from the registry and serve it (a restarted server, or the in-process model)."""
        import mlflow

        if self.service is not None:
            self.service.stop()
        loaded = mlflow.pyfunc.load_model(registry.model_uri(self.config.name, version=version))
        model = loaded.get_raw_model()
        columns = list(getattr(model, "feature_names_in_", self.config.columns))
        self.service = ScoringService(model, columns, self.root / "outbox", self.root / "requests.jsonl")
        if self.config.server:
            self.service.start()

    def _deploy(self, version: int, month: int, probe: pd.DataFrame | None = None) -> bool:
        """Serve ``version``; with a post-deploy check, score ``probe`` and roll back if that fails."""
        previous = self.champion
        self._serve(version)
        if self.level.post_deploy_check and probe is not None and previous is not None:
            code, answer = self._probe(f"post-deploy-check-{month}-v{version}", probe)
            if code != 200:
                rolled_from, rolled_to = registry.rollback(self.config.name)
                self.events.append(f"{self.months[month].period}: v{version} failed its post-deploy check ({answer.get('error')}); "
                                   f"rolled back v{rolled_from} -> v{rolled_to} automatically")
                self._serve(rolled_to)
                return False
        self.champion = version
        return True

    def _probe(self, name: str, probe: pd.DataFrame) -> tuple[int, dict[str, Any]]:
        if self.config.server:
            return self.service.score(name, probe)
        missing = [c for c in self.service.columns if c not in probe.columns]
        return (400, {"error": f"missing input column(s) {missing}"}) if missing else (200, {})

    def close(self) -> None:
        """Stop the scoring server."""
        if self.service is not None:
            self.service.stop()

    # ---------------------------------------------------------------------------------- one month
    def _score(self, month: int, frame: pd.DataFrame,
               crash_after: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
        """(churn probability, 0/1 offer, scored?, ledger) of each row of ``frame``."""
        if not self.config.server:  # the same model in this process: one batch, one pass
            proba = np.asarray(self.service.model.predict_proba(frame[self.service.columns]))[:, 1]
            ledger = pd.DataFrame({"batch": [self.months[month].period], "rows": [len(frame)], "status": ["scored"],
                                   "attempts": [1]})
            return proba, (proba > 0.5).astype(int), np.ones(len(frame), dtype=bool), ledger
        period = self.months[month].period
        chunks = np.array_split(np.arange(len(frame)), self.config.micro_batches)
        batches = {f"{period}-{i:02d}": frame.iloc[idx] for i, idx in enumerate(chunks)}
        if crash_after is not None:
            self.service.stop()
            self.service.crash_after = crash_after
            self.service.start()
        try:
            ledger = score_batches(self.service, batches, max_restarts=3 if self.level.supervise else 0)
        except ServiceError as error:
            self.events.append(f"{self.months[month].period}: scoring stopped: {error}")
            ledger = pd.DataFrame({"batch": [], "rows": [], "status": [], "attempts": []})
        self.service.crash_after = None
        retried = int((ledger["attempts"] > 1).sum()) if len(ledger) else 0
        if retried:
            self.events.append(f"{self.months[month].period}: the scoring server died mid-month and was restarted; "
                               f"{retried} micro-batch(es) retried, {len(ledger)} of {len(batches)} answered")
        proba, decisions = np.full(len(frame), np.nan), np.zeros(len(frame), dtype=int)
        for name, idx in zip(batches, chunks):
            path = self.root / "outbox" / f"{name}.csv"
            if path.exists() and name in set(ledger["batch"]):
                out = pd.read_csv(path)
                proba[idx], decisions[idx] = out["churn_probability"].to_numpy(), out["predictions"].to_numpy()
        return proba, decisions, ~np.isnan(proba), ledger

    def step(self, month: int, *, corrupt: bool = False, crash_after: int | None = None,
             bad_challenger: bool = False, bad_deploy: Any = None) -> dict[str, Any]:
        """Run the loop once for ``month`` (fault hooks for the chaos tests; see :mod:`mlops_edu.loop.faults`)."""
        from mlops_edu.loop.faults import charges_fixed

        batch = self.months[month]
        live = self.versions[self.champion]
        features = batch.frame.drop(columns=["Churn"])
        incoming = _corrupt(features) if corrupt else features
        row = {"month": month, "period": batch.period, "live": self.champion, "rows_in": len(incoming),
               "quarantined": 0}
        problems = live.baseline.check(incoming[self.config.columns]) if self.level.quarantine else []
        if problems:
            (self.root / "quarantine").mkdir(exist_ok=True)
            incoming.to_csv(self.root / "quarantine" / f"{batch.period}.csv", index=False)
            row["quarantined"] = len(incoming)
            self.events.append(f"{self.months[month].period}: batch quarantined, {len(incoming)} rows held: {problems[0]}")
            incoming = charges_fixed(incoming)      # the upstream job fixes its units and delivers again
        proba, decisions, scored, ledger = self._score(month, incoming, crash_after)
        row.update(rows_scored=int(scored.sum()), micro_batches=len(ledger),
                   retried=int((ledger["attempts"] > 1).sum()) if len(ledger) else 0)
        y = (batch.labels == "Yes").to_numpy().astype(int)
        real = realised_quality(y, np.nan_to_num(proba, nan=0.0), decisions)
        row.update(f1=real["f1"], value=real["business_value"], churn_rate=real["churn_rate"])
        signals = self._signals(month, incoming, proba[scored], decisions[scored])
        row.update(signals)
        fired = self.alerts.evaluate(batch.period, signals)
        row["alerts"] = ", ".join(sorted({a.signal for a in fired})) or "-"
        retrain = (self.level.triggered and AlertLog.retrain_needed(fired)) or self.level.scheduled(month) or bad_challenger
        row.update(trained=False, promoted=None, refused=False, rolled_back=False)
        self.history.append(row)
        if retrain and month + 1 < len(self.months):
            self._retrain(month, row, scramble=bad_challenger)
        if bad_deploy is not None:
            self._bad_deploy(month, row, bad_deploy)
        return row

    def _signals(self, month: int, frame: pd.DataFrame, proba: np.ndarray, decisions: np.ndarray) -> dict[str, float]:
        live = self.versions[self.champion]
        report = drift_report(live.reference, frame[self.config.columns])
        est = estimate_quality(proba, decisions, live.calibrator)
        last = self.history[-1] if self.history else None
        known = last["f1"] if last is not None and last["live"] == self.champion else float("nan")
        return {"input_drift_share": report.drift_share, "prediction_psi": psi(live.holdout_proba, proba),
                "f1_estimated": est["f1"], "f1_realised": known}

    # ------------------------------------------------------------------------- retrain and validate
    def _retrain(self, month: int, row: dict[str, Any], scramble: bool = False) -> None:
        import time

        import mlflow
        from sklearn.model_selection import train_test_split

        from mlops_edu.training import log_model, make_model

        cfg, clock = self.config, {"start": time.perf_counter()}
        recent = labelled_frame(self.months, now=month, last=cfg.train_months)
        y = (recent["Churn"] == "Yes").to_numpy().astype(int)
        train, hold, y_train, y_hold = train_test_split(recent, y, test_size=cfg.holdout_share, stratify=y,
                                                        random_state=cfg.seed + month)
        if scramble:   # chaos: the training job read a table whose labels were shuffled
            y_train = np.random.default_rng(cfg.seed + month).permutation(y_train)
        model = make_model("logreg", seed=cfg.seed).fit(train[cfg.columns], y_train)
        self.trainings += 1
        clock["train"] = time.perf_counter()
        with mlflow.start_run(run_name=f"retrain-{self.months[month].period}"):
            info = log_model(model, train[cfg.columns])
        why = "scheduled" if self.level.scheduled(month) else "alert"
        mv = registry.register(info, cfg.name, alias=registry.CHALLENGER,
                               description=f"churn model retrained at {self.months[month].period} ({why}) on the "
                                           f"last {cfg.train_months} labelled month(s)")
        version = int(mv.version)
        clock["log and register"] = time.perf_counter()
        self._remember(version, model, train, hold, y_hold)
        row.update(trained=True)
        promoted, detail = self._validate(version, hold, y_hold, self.months[month].frame)
        clock["validate"] = time.perf_counter()
        if not promoted:
            row["refused"] = True
            self.events.append(f"{self.months[month].period}: v{version} ({why}) refused: {detail}")
        else:
            deployed = self._deploy(version, month, probe=self.months[month].frame.drop(columns=["Churn"]).head(50))
            row["promoted"] = version if deployed else None
            row["rolled_back"] = not deployed
            self.events.append(f"{self.months[month].period}: v{version} ({why}) promoted and deployed: {detail}")
        clock["deploy"] = time.perf_counter()
        steps = list(clock)
        self.timings.append({"month": month, "version": version,
                             **{f"{b} s": clock[b] - clock[a] for a, b in pairwise(steps)}})

    def _validate(self, version: int, hold: pd.DataFrame, y_hold: np.ndarray, sample: pd.DataFrame) -> tuple[bool, str]:
        """Chapter 09's checks and the paired bootstrap; promote when all pass. Returns (promoted, why)."""
        from mlops_edu.deployment.validation import check_gain, promote, validate_challenger

        cfg = self.config
        report = validate_challenger(hold[cfg.columns], y_hold, sample[cfg.columns].head(50), name=cfg.name,
                                     f1_threshold=cfg.f1_floor, write_tags=False)
        champion, challenger = self.versions[self.champion].model, self.versions[version].model
        gain = paired_bootstrap(y_hold, challenger.predict(hold[cfg.columns]), champion.predict(hold[cfg.columns]),
                                "value_per_customer", seed=cfg.seed + version, level=cfg.level)
        value_check = check_gain("value_gain_passed", gain, cfg.margin, f"Champion v{self.champion}")
        report.checks = [c for c in report.checks if c.name in STATIC_CHECKS] + [value_check]
        outcome = promote(report)
        failed = "; ".join(f"{c.name}: {c.detail}" for c in report.checks if not c.passed)
        return outcome.promoted, value_check.detail if outcome.promoted else failed

    def _bad_deploy(self, month: int, row: dict[str, Any], model: Any) -> None:
        """Chaos: a release job skips validation and ships ``model`` (see :func:`~mlops_edu.loop.faults.renamed_column_model`)."""
        import mlflow

        from mlops_edu.deployment.report import PromotionRule
        from mlops_edu.deployment.validation import Check, ValidationReport, promote
        from mlops_edu.training import log_model

        example = _renamed(self.months[month].frame.drop(columns=["Churn"]))[list(model.feature_names_in_)]
        with mlflow.start_run(run_name=f"hotfix-{self.months[month].period}"):
            info = log_model(model, example)
        mv = registry.register(info, self.config.name, alias=registry.CHALLENGER,
                               description="hotfix release built from the feature job's renamed column table")
        version = int(mv.version)
        skipped = Check("validation_skipped", True, "the release job shipped without running any check")
        promote(ValidationReport(self.config.name, version, self.champion, PromotionRule(), checks=[skipped]))
        deployed = self._deploy(version, month, probe=self.months[month].frame.drop(columns=["Churn"]).head(50))
        row["rolled_back"] = not deployed
        if deployed:
            row["promoted"] = version
            self.events.append(f"{self.months[month].period}: v{version} shipped without validation and is live")

    # ------------------------------------------------------------------------------------------ run
    def run(self, faults: Mapping[int, Mapping[str, Any]] | None = None) -> pd.DataFrame:
        """Step through every month (``faults`` = ``{month: {hook: value}}`` for :meth:`step`); returns
        :meth:`table`. The scoring server is stopped at the end."""
        try:
            for month in range(len(self.months)):
                self.step(month, **dict((faults or {}).get(month, {})))
        finally:
            self.close()
        return self.table()

    def table(self) -> pd.DataFrame:
        """The history as a frame indexed by period (F1 and dollars of each month's offers)."""
        return pd.DataFrame(self.history).set_index("period")


def _corrupt(frame: pd.DataFrame) -> pd.DataFrame:
    from mlops_edu.monitoring.shifts import charges_in_cents

    return charges_in_cents(frame)


def _renamed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"tenure": "tenure_months"})

