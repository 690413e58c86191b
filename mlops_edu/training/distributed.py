"""Distributed tuning: one search, several processes (the ML pipeline overview's "distributed training").

The same hyperparameter search (lecture 9.1) spread over workers by an existing engine, not a home-made pool:

* **Optuna with a shared study storage**: every worker process opens the same study in one storage (here
  a journal file, :class:`optuna.storages.JournalStorage`) and asks it for its next trial; the storage
  hands out trial numbers and collects results. :func:`run_optuna_workers` starts ``n_workers`` real
  processes (:func:`worker_main`), each running ``study.optimize``; on a cluster the same code runs on
  several machines sharing a database. With ``sampler="grid"`` every configuration of the space is put
  in the study's queue (``study.enqueue_trial``) and each worker takes the next waiting one, so the
  workers split an exhaustive grid between them: :func:`build_benchmark_distributed` computes the tabular
  benchmark that way. With ``sampler="tpe"`` each worker's TPE learns from every worker's results.
* **hyperopt's SparkTrials**: ``fmin`` sends each trial to Spark as a task and runs ``parallelism`` of
  them at once (:func:`spark_trials_search`; optional: needs the ``spark`` extra and Java 17).

Both workers use the chapter's objective (:class:`~mlops_edu.training.KFoldObjective` on the same data,
folds and seed), so every trial's score equals the tabular benchmark's entry for its configuration.

Example
-------
>>> run = run_optuna_workers(X_train, y_train, ws.root / "optuna", sampler="tpe", trials_per_worker=8)  # doctest: +SKIP
>>> run.per_worker()                                                                                 # doctest: +SKIP
{0: 8, 1: 8}
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.training.benchmark import BENCHMARK_SPACE, Axis, TableSpace, TabularBenchmark, configurations
from mlops_edu.training.search_space import TuningError
from mlops_edu.training.tune import SearchResult, Trial

STUDY = "chapter-07"
SAMPLERS = ("grid", "tpe")
"""``grid``: every configuration, queued in the study; ``tpe``: a Bayesian search shared by the workers."""
_WORKER = "import sys; from mlops_edu.training.distributed import worker_main; sys.exit(worker_main())"


@dataclass
class DistributedRun:
    """The trials of one distributed search: ``trials`` has one row per trial (``number``, ``worker``, the
    configuration, ``value``, ``fold_std``, ``seconds`` of fitting, ``state``); ``seconds`` is the wall time
    from launching the workers until all ended, ``ready`` each worker's seconds from launch until its
    objective was built (start-up)."""

    trials: pd.DataFrame
    seconds: float
    n_workers: int
    ready: dict[int, float]

    def per_worker(self) -> dict[int, int]:
        """Trials per worker."""
        return {int(w): int(n) for w, n in self.trials.groupby("worker").size().items()}

    def timing(self) -> dict[str, float]:
        """Wall time against work: ``fitting`` is the sum of every trial's fitting seconds (what one process
        would spend on them one after the other), ``speedup`` = fitting / (wall - start-up)."""
        startup = max(self.ready.values()) if self.ready else 0.0
        fitting = float(self.trials["seconds"].sum())
        return {"workers": self.n_workers, "wall": self.seconds, "start_up": startup, "fitting": fitting,
                "speedup": fitting / max(self.seconds - startup, 1e-9)}


def _storage(journal: Path) -> Any:
    """Optuna's journal storage on ``journal`` (appends flushed, not forced to disk: see :func:`_scratch_backend`)."""
    import optuna

    return optuna.storages.JournalStorage(_scratch_backend(journal))


def _scratch_backend(journal: Path) -> Any:
    """Optuna's ``JournalFileBackend`` (file lock, append-only log) without an ``fsync`` after every append.

    The journal lives in the chapter workspace, which is scratch space: losing its last lines in a power cut
    costs nothing, while forcing each of the ~6 appends per trial to disk costs milliseconds each on a busy
    disk, paid under the lock that the workers share. Every append is still flushed under the lock, so the
    other workers read it at once.
    """
    from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock

    class ScratchJournalFileBackend(JournalFileBackend):
        def __init__(self, path: str) -> None:
            self.scratch_lock, self.scratch_path = JournalFileSymlinkLock(path), path
            super().__init__(path, lock_obj=self.scratch_lock)

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            self.scratch_lock.acquire()
            try:
                with open(self.scratch_path, "ab") as f:
                    f.write(text.encode("utf-8"))
                    f.flush()
            finally:
                self.scratch_lock.release()

    return ScratchJournalFileBackend(str(journal))


def _suggest(trial: Any, space: Sequence[Axis]) -> dict[str, Any]:
    """A configuration of the table space: each axis as an ordinal level index (as in the replays)."""
    return {a.name: a.level(a.index_param().optuna(trial)) for a in space}


def _space_json(space: Sequence[Axis]) -> str:
    return json.dumps([[a.name, list(a.levels), list(a.grid)] for a in space])


def _space_from_json(text: str) -> TableSpace:
    return tuple(Axis(n, tuple(levels), tuple(grid)) for n, levels, grid in json.loads(text))


def run_optuna_workers(X: pd.DataFrame, y: Sequence[int] | pd.Series, workdir: Path | str, *, n_workers: int = 2,
                       sampler: str = "tpe", trials_per_worker: int = 8, space: Sequence[Axis] = BENCHMARK_SPACE,
                       k: int = 3, seed: int = 0, base_params: Mapping[str, Any] | None = None, n_startup: int = 5,
                       study: str = STUDY, timeout: float = 600.0) -> DistributedRun:
    """Run one Optuna study with ``n_workers`` processes sharing a journal-file storage in ``workdir``.

    Parameters
    ----------
    X, y : pd.DataFrame, Sequence[int]
        the training data (written once to ``workdir``).
    workdir : Path | str
        holds the data file and the study's journal (e.g. in the chapter workspace).
    n_workers : int
        worker processes started.
    sampler : str
        ``"grid"`` (every configuration, queued) or ``"tpe"`` (a shared Bayesian search).
    trials_per_worker : int
        trials each worker runs with ``sampler="tpe"``.
    space : Sequence[Axis]
        the finite space the trials draw from.
    k, seed : int
    base_params : mapping or None
        The objective's folds, seed and fixed hyperparameters (as :class:`KFoldObjective`).
    n_startup : int
        random trials before TPE takes over.
    study : str
        prefix of the study's name.
    timeout : float
        seconds a worker may run.

    Returns
    -------
    DistributedRun
        every trial with its worker, configuration and score; wall and start-up times.

    The training data are written once to ``workdir`` (as a shared data store would hold them); each
    worker rebuilds the chapter's objective (LightGBM, ``k`` folds, ``seed``, ``base_params``) from them.
    ``sampler="tpe"``: each worker runs ``trials_per_worker`` trials with ``TPESampler(seed=seed + worker)``.
    ``sampler="grid"``: every configuration of ``space`` is queued in the study (``enqueue_trial``) and the
    workers take waiting trials until none is left (``trials_per_worker`` is ignored). Which worker gets
    which trial depends on timing; the scores of the configurations do not.
    """
    import optuna

    if sampler not in SAMPLERS:
        raise TuningError(f"unknown sampler {sampler!r}; choose from {list(SAMPLERS)}")
    if n_workers < 1 or trials_per_worker < 1:
        raise TuningError(f"need at least one worker and one trial, got {n_workers} and {trials_per_worker}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"{study}-{sampler}-{n_workers}w"
    data, journal = workdir / "training_data.pkl", workdir / f"{name}.journal"
    pd.to_pickle((X, pd.Series(np.asarray(y).astype(int))), data)
    for stale in (journal, journal.with_name(journal.name + ".lock")):
        stale.unlink(missing_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    created = optuna.create_study(study_name=name, storage=_storage(journal), direction="maximize")
    if sampler == "grid":
        for config in configurations(space):
            created.enqueue_trial({a.name: a.levels.index(config[a.name]) for a in space})
    launched = time.time()
    args = ["--data", str(data), "--journal", str(journal), "--study", name, "--trials", str(trials_per_worker),
            "--seed", str(seed), "--k", str(k), "--base-params", json.dumps(dict(base_params or {})),
            "--space", _space_json(space), "--n-startup", str(n_startup), "--launched", repr(launched),
            "--sampler", sampler]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, *args, "--worker", str(w)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for w in range(n_workers)]
    failures = []
    for w, proc in enumerate(procs):
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"worker {w} exited with {proc.returncode}: {err.strip()[-800:]}")
    seconds = time.time() - launched
    if failures:
        raise TuningError("; ".join(failures))
    loaded = optuna.load_study(study_name=name, storage=_storage(journal))
    return DistributedRun(_trials_frame(loaded, space), seconds, n_workers,
                          {int(w[len("ready_"):]): float(v) for w, v in loaded.user_attrs.items()
                           if w.startswith("ready_")})


def _trials_frame(study: Any, space: Sequence[Axis]) -> pd.DataFrame:
    rows = []
    for t in study.trials:
        result = t.user_attrs.get("result", {})
        rows.append({"number": t.number + 1, "worker": result.get("worker"), **result.get("config", {}),
                     "value": t.value, "fold_std": result.get("fold_std"), "seconds": result.get("seconds"),
                     "state": t.state.name})
    return pd.DataFrame(rows, columns=["number", "worker", *(a.name for a in space), "value", "fold_std", "seconds",
                                       "state"])


def worker_main(argv: Sequence[str] | None = None) -> int:
    """One worker process: load the shared study and run its trials (started by :func:`run_optuna_workers`)."""
    parser = argparse.ArgumentParser(description="An Optuna worker of chapter 07's distributed search.")
    for flag in ("--data", "--journal", "--study", "--base-params", "--space", "--sampler"):
        parser.add_argument(flag, required=True)
    for flag in ("--trials", "--seed", "--k", "--n-startup", "--worker"):
        parser.add_argument(flag, type=int, required=True)
    parser.add_argument("--launched", type=float, default=time.time())
    ns = parser.parse_args(argv)

    import optuna

    from mlops_edu.training.kfold import KFoldObjective

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y = pd.read_pickle(ns.data)
    objective = KFoldObjective(X, y, "lightgbm", k=ns.k, seed=ns.seed, base_params=json.loads(ns.base_params))
    space = _space_from_json(ns.space)
    if ns.sampler == "grid":  # the trials are queued with their parameters: the sampler is never asked
        sampler = optuna.samplers.RandomSampler(seed=ns.seed + ns.worker)
    else:
        sampler = optuna.samplers.TPESampler(seed=ns.seed + ns.worker, n_startup_trials=ns.n_startup)
    study = optuna.load_study(study_name=ns.study, storage=_storage(Path(ns.journal)), sampler=sampler)
    study.set_user_attr(f"ready_{ns.worker}", time.time() - ns.launched)

    def run_trial(trial: Any) -> float:
        config = _suggest(trial, space)
        started = time.perf_counter()
        folds = objective.scores(config)
        trial.set_user_attr("result", {"worker": ns.worker, "config": config, "fold_std": folds.std,
                                       "seconds": time.perf_counter() - started})  # one write to the storage
        return folds.mean

    def stop_when_queue_is_empty(study: Any, _trial: Any) -> None:
        if not study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)):
            study.stop()

    if ns.sampler == "grid":
        study.optimize(run_trial, n_trials=None, callbacks=[stop_when_queue_is_empty])
    else:
        study.optimize(run_trial, n_trials=ns.trials)
    return 0


def build_benchmark_distributed(X: pd.DataFrame, y: Sequence[int] | pd.Series, workdir: Path | str, *,
                                space: Sequence[Axis] = BENCHMARK_SPACE, n_workers: int = 2, k: int = 3,
                                seed: int = 0, base_params: Mapping[str, Any] | None = None,
                                cache: Path | str | None = None) -> tuple[TabularBenchmark, DistributedRun | None]:
    """The tabular benchmark computed by ``n_workers`` processes sharing one Optuna study (every configuration
    queued in the study, each worker taking the next waiting one).

    Equal to ``build_benchmark(KFoldObjective(X, y, "lightgbm", k=k, seed=seed, base_params=base_params),
    space)``: each configuration's score does not depend on the process that computed it. A configuration
    evaluated twice (a worker that found the queue empty a moment too late) is kept once. With ``cache``, a table
    saved there from the same data, settings and space is read instead (the run is then None).

    Parameters
    ----------
    X, y, workdir, n_workers, k, seed, base_params
        As in :func:`run_optuna_workers`.
    space : sequence of Axis
        Every configuration is queued once.
    cache : pathlib.Path, str or None
        JSON file of the table (:meth:`TabularBenchmark.save`).

    Returns
    -------
    tuple of (TabularBenchmark, DistributedRun or None)

    Raises
    ------
    TuningError
        When the workers leave a configuration unscored.
    """
    space = tuple(space)
    key = _data_key(X, y, space, k, seed, base_params)
    if cache is not None:
        cached = TabularBenchmark.load(cache, key)
        if cached is not None and cached.space == space:
            return cached, None
    run = run_optuna_workers(X, y, workdir, n_workers=n_workers, sampler="grid", space=space, k=k, seed=seed,
                             base_params=base_params)
    done = run.trials[run.trials["state"] == "COMPLETE"]
    names = [a.name for a in space]
    scored = {tuple(float(row[n]) for n in names): (float(row["value"]), float(row["fold_std"]))
              for row in done.to_dict("records")}
    missing = [c for c in configurations(space) if tuple(float(c[n]) for n in names) not in scored]
    if missing:
        raise TuningError(f"the workers left {len(missing)} configurations unscored, e.g. {missing[0]}")
    rows = []
    for config in configurations(space):
        value, std = scored[tuple(float(config[n]) for n in names)]
        rows.append({**config, "cv_f1": value, "fold_std": std})
    bench = TabularBenchmark(space, pd.DataFrame(rows), run.seconds)
    if cache is not None:
        bench.save(cache, key)
    return bench, run


def _data_key(X: pd.DataFrame, y: Sequence[int] | pd.Series, space: Sequence[Axis], k: int, seed: int,
              base_params: Mapping[str, Any] | None) -> str:
    """A fingerprint of the data and settings a distributed table was computed from."""
    import hashlib

    digest = hashlib.sha256(pd.util.hash_pandas_object(X, index=True).to_numpy().tobytes())
    digest.update(np.asarray(y).astype(int).tobytes())
    digest.update(repr((tuple(space), k, seed, sorted(dict(base_params or {}).items()))).encode())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------------------------------
# hyperopt's SparkTrials (optional)
# --------------------------------------------------------------------------------------------------

def spark_trials_search(objective: Any, space: Sequence[Axis] = BENCHMARK_SPACE, *, budget: int = 8,
                        parallelism: int = 2, seed: int = 0, n_startup: int = 5, spark: Any = None) -> SearchResult:
    """hyperopt's TPE with ``SparkTrials``: each trial is a Spark task, ``parallelism`` run at once.

    Parameters
    ----------
    objective : KFoldObjective or callable
        scores a configuration (shipped to Spark's Python workers).
    space : Sequence[Axis]
        the finite space (searched over level indices, as in the replays).
    budget : int
        trials.
    parallelism : int
        trials running at once.
    seed, n_startup : int
        hyperopt's ``rstate`` seed and its random start-up trials.
    spark : SparkSession | None
        a session to use; None starts (and stops) a local one.

    Returns
    -------
    SearchResult
        the completed trials (``seconds``: wall time of the whole search).

    ``objective`` (e.g. the chapter's :class:`KFoldObjective`) is shipped to Spark's Python workers;
    ``spark`` is a session from :func:`mlops_edu.deployment.inference.spark_session` (a local one with
    ``parallelism`` cores is started and stopped when None). Raises ``TuningError`` when Spark is
    unavailable (see :func:`mlops_edu.deployment.inference.spark_available`).
    """
    from functools import partial

    from hyperopt import STATUS_OK, SparkTrials, fmin, tpe

    from mlops_edu.deployment.inference import spark_available, spark_session

    ok, why = spark_available()
    if not ok:
        raise TuningError(f"SparkTrials needs Spark: {why}")
    logging.getLogger("hyperopt-spark").setLevel(logging.WARNING)  # its "Total Trials: ..." line goes to stderr
    own = spark is None
    spark = spark_session("mlops-edu-tuning", cores=parallelism) if own else spark
    axes = tuple(space)

    def loss(raw: Mapping[str, Any]) -> dict[str, Any]:
        config = {a.name: a.level(raw[a.name]) for a in axes}
        return {"loss": -float(objective(config)), "status": STATUS_OK, "config": config}

    started = time.perf_counter()
    try:
        trials = SparkTrials(parallelism=parallelism, spark_session=spark)
        fmin(loss, {a.name: a.index_param().hyperopt() for a in axes}, max_evals=budget, trials=trials,
             algo=partial(tpe.suggest, n_startup_jobs=n_startup), rstate=np.random.default_rng(seed),
             show_progressbar=False)
    finally:
        if own:
            spark.stop()
    done = [t for t in trials.trials if t["result"].get("status") == STATUS_OK]
    return SearchResult("tpe", [Trial(i + 1, t["result"]["config"], -t["result"]["loss"]) for i, t in enumerate(done)],
                        time.perf_counter() - started, proposals=len(trials.trials))
