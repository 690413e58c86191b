"""Replays of search methods on a tabular benchmark (lecture 9.1): distributions instead of anecdotes.

Each search method of :mod:`mlops_edu.training.tune` runs on a :class:`~mlops_edu.training.TabularBenchmark`
many times (one run per seed), its objective a lookup in the table, every run at the same budget. The runs
give best-so-far bands, the distribution of evaluations needed to reach a target, and a verdict between two
methods under a rule fixed before the result (:meth:`Replays.compare`).

* :func:`replay`, :func:`replay_methods`: the methods on the table;
* :class:`Replays`: bands, evaluations-to-target, summary, :meth:`Replays.compare`; :func:`verdict_table`;
* :func:`log_replays`: the comparison in MLflow.

Example
-------
>>> from mlops_edu.training.benchmark import SMALL_SPACE, TabularBenchmark
>>> bench = TabularBenchmark.from_scores(SMALL_SPACE, lambda p: p["a"] / 10 + p["b"])
>>> replay(bench, "random", budget=4, seed=0).best_score
0.8
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.training.benchmark import TabularBenchmark, grid_size
from mlops_edu.training.search_space import METHOD_LABELS, METHODS, TuningError
from mlops_edu.training.tune import (SearchResult, Trial, genetic_search, grid_search, optuna_search,
                                     random_search, tpe_search)



class _Memo:
    """The table as a memoised objective: a configuration seen before costs nothing (as with
    :class:`KFoldObjective`, which caches its results); ``trials`` keeps each new configuration once."""

    def __init__(self, bench: TabularBenchmark) -> None:
        self.bench, self.trials, self.proposals = bench, [], 0
        self.seen: dict[tuple[Any, ...], float] = {}

    def __call__(self, indices: Mapping[str, Any]) -> float:
        params = {a.name: a.level(indices[a.name]) for a in self.bench.space}
        key = self.bench._key(params)
        self.proposals += 1
        if key not in self.seen:
            self.seen[key] = self.bench.score(params)
            self.trials.append(Trial(len(self.trials) + 1, params, self.seen[key]))
        return self.seen[key]


def replay(bench: TabularBenchmark, method: str, *, budget: int | None = None, seed: int = 0,
           n_startup: int = 5, population: int = 4, max_proposals: int = 20) -> SearchResult:
    """Run one search ``method`` of :data:`METHODS` on the table (lookups instead of fits; lecture 9.1).

    Parameters
    ----------
    bench : TabularBenchmark
        the table.
    method : str
        ``"grid"``, ``"random"``, ``"tpe"`` (hyperopt), ``"optuna"`` or ``"genetic"``.
    budget : int | None
        distinct configurations to evaluate (default and, for the grid, only allowed value: the grid's size).
    seed : int
        the method's seed (the grid: the order of the values in its loops).
    n_startup : int
        random trials before TPE takes over (both libraries).
    population : int
        the genetic search's population.
    max_proposals : int
        give up after ``max_proposals x budget`` proposals.

    Returns
    -------
    SearchResult
        one trial per distinct configuration, in order; ``proposals`` counts repeats too.

    Notes
    -----
    Every method searches over level *indices* (ordinal: neighbouring levels are neighbours), with the
    functions of :mod:`mlops_edu.training.tune`. The budget counts *configurations evaluated* (model fits
    / k): a configuration proposed again is answered from memory for free, as the shared objective does,
    and the search goes on until ``budget`` distinct configurations are scored (or it has made
    ``max_proposals x budget`` proposals). The grid evaluates the developer's grid in nested-loop order;
    its loop order is arbitrary, so ``seed`` shuffles the order of the values in each loop. ``budget``
    defaults to the grid's size; the grid refuses any other. The result's trials hold level values, one per
    distinct configuration; ``proposals`` counts every proposal, repeats included.
    """
    if method not in METHODS:
        raise TuningError(f"unknown search method {method!r}; choose from {list(METHODS)}")
    n_grid = grid_size(bench.space)
    budget = n_grid if budget is None else int(budget)
    if method == "grid" and budget != n_grid:
        raise TuningError(f"equal budget: the grid has {n_grid} points but budget={budget}")
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(a.grid)) if method == "grid" else None for a in bench.space]
    space = tuple(a.index_param(order) for a, order in zip(bench.space, orders))
    memo, cap = _Memo(bench), max_proposals * budget

    def spent() -> bool:
        return len(memo.trials) >= budget

    runners: dict[str, Callable[[], SearchResult]] = {
        "grid": lambda: grid_search(memo, space, spent),
        "random": lambda: random_search(memo, space, cap, seed, spent),
        "tpe": lambda: tpe_search(memo, space, cap, seed, n_startup, spent),
        "optuna": lambda: optuna_search(memo, space, cap, seed, n_startup, spent),
        "genetic": lambda: genetic_search(memo, space, cap, seed, population, stop=spent),
    }
    seconds = runners[method]().seconds
    return SearchResult(method, memo.trials, seconds, proposals=memo.proposals)


@dataclass
class Replays:
    """Many replays per method on one table: ``runs[method]`` lists one :class:`SearchResult` per seed."""

    runs: dict[str, list[SearchResult]]
    budget: int

    @property
    def methods(self) -> list[str]:
        return list(self.runs)

    def best_so_far(self, method: str) -> np.ndarray:
        """Seeds x evaluations: the best score found after each evaluation.

        Parameters
        ----------
        method : str
            A method of :attr:`runs`.

        Returns
        -------
        numpy.ndarray
        """
        return np.array([r.best_so_far() for r in self.runs[method]])

    def bands(self) -> pd.DataFrame:
        """Per method and evaluation: the 25th percentile, median and 75th percentile of best-so-far."""
        rows = []
        for method in self.runs:
            curves = self.best_so_far(method)
            q25, q50, q75 = np.percentile(curves, [25, 50, 75], axis=0)
            for i in range(curves.shape[1]):
                rows.append({"method": method, "evaluation": i + 1, "q25": float(q25[i]),
                             "median": float(q50[i]), "q75": float(q75[i])})
        return pd.DataFrame(rows)

    def evals_to_target(self, target: float) -> pd.DataFrame:
        """One row per method and seed: evaluations until the first trial scoring >= ``target``
        (``None``: not within the budget) and the best score at the end of the budget.

        Parameters
        ----------
        target : float
            The score that counts as reached.

        Returns
        -------
        pandas.DataFrame
            ``method``, ``run``, ``evaluations``, ``best``, ``proposals``.
        """
        rows = []
        for method, results in self.runs.items():
            for seed, res in enumerate(results):
                reached = res.evals_to_reach(target, tol=0.0)
                rows.append({"method": method, "run": seed, "evaluations": reached,
                             "best": float(res.best_score), "proposals": res.proposals})
        return pd.DataFrame(rows)

    def summary(self, target: float, digits: int = 3) -> pd.DataFrame:
        """Per method: runs, share reaching ``target`` within the budget, median (and quartiles of)
        evaluations-to-target (misses counted as budget + 1), median best score at the end, and the median
        number of proposals the budget took (repeated configurations are free, see :func:`replay`).

        Parameters
        ----------
        target : float
            The score that counts as reached.
        digits : int
            Decimals of ``reached`` and ``best_median``.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``method`` (its label).
        """
        frame = self.evals_to_target(target)
        rows = {}
        for method, part in frame.groupby("method", sort=False):
            evals = self._censored(part["evaluations"])
            q25, q50, q75 = np.percentile(evals, [25, 50, 75])
            rows[METHOD_LABELS.get(method, method)] = {
                "runs": len(part), "reached": round(float(part["evaluations"].notna().mean()), digits),
                "evals_q25": float(q25), "evals_median": float(q50), "evals_q75": float(q75),
                "best_median": round(float(part["best"].median()), digits),
                "proposals_median": float(part["proposals"].median())}
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "method"
        return table

    def _censored(self, evaluations: pd.Series) -> np.ndarray:
        return evaluations.fillna(self.budget + 1).to_numpy(dtype=float)

    def compare(self, target: float, method: str, baseline: str, *, n_boot: int = 2000, seed: int = 0,
                level: float = 0.95) -> dict[str, Any]:
        """The verdict on "``method`` needs fewer evaluations to reach ``target`` than ``baseline``".

        Parameters
        ----------
        target : float
            the score that counts as reached (e.g. :meth:`TabularBenchmark.target`).
        method, baseline : str
            two methods of the replays.
        n_boot : int
            bootstrap resamples.
        seed : int
            seeds the bootstrap.
        level : float
            coverage of the interval.

        Returns
        -------
        dict
            medians, their difference, the interval (``low``, ``high``) and ``verdict``.

        Notes
        -----
        Statistic: median evaluations-to-target of ``method`` minus that of ``baseline`` (misses count
        as budget + 1), with a percentile bootstrap interval (runs resampled within each method,
        ``n_boot`` times). Rule: "fewer" when the whole interval lies below 0, "more" when above 0,
        otherwise "no difference shown".
        """
        frame = self.evals_to_target(target)
        a = self._censored(frame.loc[frame["method"] == method, "evaluations"])
        b = self._censored(frame.loc[frame["method"] == baseline, "evaluations"])
        if not len(a) or not len(b):
            raise TuningError(f"compare: no runs for {method if not len(a) else baseline!r}")
        rng = np.random.default_rng(seed)
        boot = (np.median(rng.choice(a, (n_boot, len(a))), axis=1)
                - np.median(rng.choice(b, (n_boot, len(b))), axis=1))
        low, high = np.percentile(boot, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
        diff = float(np.median(a) - np.median(b))
        verdict = "fewer" if high < 0 else "more" if low > 0 else "no difference shown"
        return {"method": METHOD_LABELS.get(method, method), "baseline": METHOD_LABELS.get(baseline, baseline),
                "median": float(np.median(a)), "baseline_median": float(np.median(b)), "difference": diff,
                "low": float(low), "high": float(high), "verdict": verdict}


def replay_methods(bench: TabularBenchmark, methods: Iterable[str] = METHODS, *, seeds: Iterable[int] = range(20),
                   budget: int | None = None, n_startup: int = 5, population: int = 4) -> Replays:
    """Replay every method once per seed, all at the same ``budget`` (default: the grid's size).

    Parameters
    ----------
    bench : TabularBenchmark
        the table.
    methods : Iterable[str]
        methods of :data:`METHODS`.
    seeds : Iterable[int]
        one replay per seed and method.
    budget, n_startup, population : int
        as in :func:`replay`.

    Returns
    -------
    Replays
        raises ``TuningError`` if any replay did not use exactly ``budget`` configurations.
    """
    budget = grid_size(bench.space) if budget is None else int(budget)
    seeds = list(seeds)
    if not seeds:
        raise TuningError("replay_methods: seeds is empty")
    runs = {m: [replay(bench, m, budget=budget, seed=s, n_startup=n_startup, population=population)
                for s in seeds] for m in methods}
    for method, results in runs.items():
        wrong = [len(r.trials) for r in results if len(r.trials) != budget]
        if wrong:
            raise TuningError(f"{method}: a replay used {wrong[0]} evaluations instead of {budget}")
    return Replays(runs, budget)


def verdict_table(replays: Replays, target: float, pairs: Sequence[tuple[str, str]], *, n_boot: int = 2000,
                  seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """:meth:`Replays.compare` for each (method, baseline) pair, one row each.

    Parameters
    ----------
    replays : Replays
    target : float
        The score that counts as reached.
    pairs : sequence of (str, str)
        ``(method, baseline)`` pairs.
    n_boot, seed : int
        Bootstrap resamples and seed (the same for every pair).
    level : float
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(method, baseline)`` labels.
    """
    rows = [replays.compare(target, m, b, n_boot=n_boot, seed=seed, level=level) for m, b in pairs]
    table = pd.DataFrame(rows).set_index(["method", "baseline"])
    return table


def log_replays(bench: TabularBenchmark, replays: Replays, target: float,
                extra_params: Mapping[str, Any] | None = None) -> str:
    """Log the benchmark as one MLflow parent run ``tabular-benchmark`` (the table as ``benchmark.json``)
    with one nested child run ``replay-<method>`` per method: its share of runs reaching ``target``,
    median evaluations-to-target and, as a step metric, the median best-so-far curve. Returns the parent
    run id (for code, not for printing).

    Parameters
    ----------
    bench : TabularBenchmark
        The table logged.
    replays : Replays
        From :func:`replay_methods` on ``bench``.
    target : float
        The score that counts as reached.
    extra_params : mapping or None
        More params of the parent run.

    Returns
    -------
    str
    """
    import mlflow
    from mlflow.entities import Metric

    summary = replays.summary(target)
    bands = replays.bands()
    client = mlflow.MlflowClient()
    with mlflow.start_run(run_name="tabular-benchmark") as parent:
        mlflow.log_params({"configurations": len(bench), "budget": replays.budget, "target": round(target, 4),
                           "runs_per_method": len(next(iter(replays.runs.values()))), **dict(extra_params or {})})
        mlflow.log_table(bench.table, "benchmark.json")
        for method in replays.methods:
            row = summary.loc[METHOD_LABELS.get(method, method)]
            with mlflow.start_run(run_name=f"replay-{method}", nested=True) as child:
                mlflow.log_param("method", method)
                curve = bands[bands["method"] == method]
                stamp = int(time.time() * 1000)
                metrics = [Metric(name, float(row[column]), stamp, 0) for name, column in
                           (("reached_share", "reached"), ("evals_median", "evals_median"),
                            ("best_median", "best_median"))]
                metrics += [Metric("median_best_so_far", float(v), stamp, int(step))
                            for step, v in zip(curve["evaluation"], curve["median"])]
                client.log_batch(child.info.run_id, metrics=metrics)  # one call instead of one per step
        return parent.info.run_id
