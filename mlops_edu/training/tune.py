"""Hyperparameter tuning (lecture 9.1): grid, random, Bayesian (TPE in hyperopt and in Optuna) and genetic search.

Every search maximises the same objective, :class:`mlops_edu.training.KFoldObjective` ("train a churn
model and score it by k-fold F1"), over the same :class:`SearchSpace`, at the same evaluation budget,
and returns a :class:`SearchResult` (every trial in order) so the methods can be compared by
best-so-far curves and by *evaluations needed to reach a target score*.

* :func:`lecture_grid_loop`: the lecture's own example, depth in [3, 5] x trees in [100, 200] as two
  nested for-loops (4 fits).
* :func:`grid_search`, :func:`random_search`, :func:`tpe_search` (hyperopt), :func:`optuna_search`,
  :func:`genetic_search`, :func:`run_searches`: the methods, one run each (:mod:`mlops_edu.training.benchmark`
  compares many runs of each on a tabular benchmark).
* :func:`grid_cost_table`: the grid's cost explosion as parameters and values grow.
* :func:`log_search`: one MLflow parent run per method, each trial a nested child run.

Example
-------
>>> objective = KFoldObjective(X_train, y_train, "lightgbm", k=3, seed=4)         # doctest: +SKIP
>>> results = run_searches(objective, DEFAULT_SPACE, seed=4)                       # doctest: +SKIP
>>> {method: round(result.best_score, 3) for method, result in results.items()}     # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.training.search_space import (
    DEFAULT_SPACE,
    METHODS,
    Objective,
    Param,
    TuningError,
    _check_space,
    grid_points,
)

# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Trial:
    """One evaluation: its number (1-based), configuration, score and seconds."""

    number: int
    params: dict[str, Any]
    score: float
    seconds: float = field(default=0.0, compare=False)


@dataclass
class SearchResult:
    """All trials of one search method, in the order they were evaluated."""

    method: str
    trials: list[Trial]
    seconds: float = 0.0
    proposals: int = 0
    """Configurations proposed, repeats included (set by replays on a memoised objective; 0: not counted)."""

    @property
    def scores(self) -> list[float]:
        return [t.score for t in self.trials]

    @property
    def best(self) -> Trial:
        """The best trial (the first one on ties)."""
        if not self.trials:
            raise TuningError(f"{self.method}: no trials")
        return max(self.trials, key=lambda t: (t.score, -t.number))

    @property
    def best_score(self) -> float:
        return self.best.score

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best.params)

    def best_so_far(self) -> list[float]:
        """Best score after each evaluation (the convergence curve)."""
        return [float(v) for v in np.maximum.accumulate(self.scores)] if self.trials else []

    def evals_to_reach(self, target: float, tol: float = 0.005) -> int | None:
        """Evaluations needed until the best-so-far score is within ``tol`` of ``target`` (None: never).

        Parameters
        ----------
        target : float
            E.g. the best grid score.
        tol : float
        """
        for trial in self.trials:
            if trial.score >= target - tol - 1e-12:
                return trial.number
        return None


class _Counter:
    """Wraps an objective: numbers the trials, times them, enforces the budget, asks ``stop`` after each."""

    def __init__(self, objective: Objective, method: str, budget: int,
                 stop: Callable[[], bool] | None = None) -> None:
        if budget < 1:
            raise TuningError(f"{method}: budget must be at least 1 evaluation, got {budget}")
        self.objective, self.method, self.budget, self.stop = objective, method, budget, stop
        self.trials: list[Trial] = []

    def __call__(self, params: Mapping[str, Any]) -> float:
        if len(self.trials) >= self.budget:
            raise TuningError(f"{self.method}: budget of {self.budget} evaluations exceeded")
        start = time.perf_counter()
        score = float(self.objective(dict(params)))
        self.trials.append(Trial(len(self.trials) + 1, dict(params), score, time.perf_counter() - start))
        return score

    @property
    def done(self) -> bool:
        """The budget is spent, or ``stop()`` says so."""
        return len(self.trials) >= self.budget or (self.stop is not None and bool(self.stop()))

    def result(self, started: float) -> SearchResult:
        return SearchResult(self.method, self.trials, time.perf_counter() - started)


# --------------------------------------------------------------------------------------------------
# The methods (each takes ``stop``: called after every evaluation, the search ends when it returns True)
# --------------------------------------------------------------------------------------------------

def lecture_grid_loop(objective: Objective, depths: Sequence[int] = (3, 5),
                      trees: Sequence[int] = (100, 200)) -> pd.DataFrame:
    """The lecture's example as it is written on the slide: two nested for-loops, one fit per pair.

    Returns a DataFrame ``[max_depth, n_estimators, cv_f1]`` in loop order (4 rows by default).

    Parameters
    ----------
    objective : callable
        ``objective(params) -> score``, e.g. a :class:`~mlops_edu.training.kfold.KFoldObjective`.
    depths, trees : sequence of int
        Values of ``max_depth`` (outer loop) and ``n_estimators`` (inner loop).
    """
    rows = []
    for depth in depths:
        for n_trees in trees:
            score = objective({"max_depth": int(depth), "n_estimators": int(n_trees)})
            rows.append({"max_depth": int(depth), "n_estimators": int(n_trees), "cv_f1": round(float(score), 4)})
    return pd.DataFrame(rows)


def grid_search(objective: Objective, space: Sequence[Param] = DEFAULT_SPACE,
                stop: Callable[[], bool] | None = None) -> SearchResult:
    """Evaluate every grid point (:func:`grid_points`) in nested-loop order.

    Parameters
    ----------
    objective, space, stop
        As in :func:`random_search` (the budget is the grid's size).
    """
    points = grid_points(space)
    counter, started = _Counter(objective, "grid", len(points), stop), time.perf_counter()
    for params in points:
        if counter.done:
            break
        counter(params)
    return counter.result(started)


def random_search(objective: Objective, space: Sequence[Param] = DEFAULT_SPACE, budget: int = 16,
                  seed: int = 0, stop: Callable[[], bool] | None = None) -> SearchResult:
    """``budget`` configurations drawn independently from the space (log-uniform where ``log``).

    Parameters
    ----------
    objective : callable
        ``objective(params) -> score`` to maximise.
    space : sequence of Param
        The search space.
    budget : int
        Evaluations (at least 1).
    seed : int
        Seed of the draws.
    stop : callable or None
        Asked after every evaluation; the search ends when it returns True.

    Returns
    -------
    SearchResult
    """
    space = _check_space(space)
    rng = np.random.default_rng(seed)
    counter, started = _Counter(objective, "random", budget, stop), time.perf_counter()
    while not counter.done:
        counter({p.name: p.sample(rng) for p in space})
    return counter.result(started)


def tpe_search(objective: Objective, space: Sequence[Param] = DEFAULT_SPACE, budget: int = 16,
               seed: int = 0, n_startup: int = 5, stop: Callable[[], bool] | None = None) -> SearchResult:
    """Bayesian optimisation with hyperopt's Tree-structured Parzen Estimator (``rstate`` seeded).

    The first ``n_startup`` trials are random (hyperopt's default is 20, i.e. a 16-trial budget would be
    pure random search); afterwards TPE proposes points where good trials were dense.

    Parameters
    ----------
    objective, space, budget, seed, stop
        As in :func:`random_search`.
    n_startup : int
        Random trials before TPE proposes.
    """
    from functools import partial

    from hyperopt import STATUS_OK, Trials, fmin, tpe

    space = _check_space(space)
    counter, started = _Counter(objective, "tpe", budget, stop), time.perf_counter()

    def loss(raw: Mapping[str, Any]) -> dict[str, Any]:
        params = {p.name: p.cast(raw[p.name]) for p in space}
        return {"loss": -counter(params), "status": STATUS_OK}

    fmin(loss, {p.name: p.hyperopt() for p in space}, algo=partial(tpe.suggest, n_startup_jobs=n_startup),
         max_evals=budget, trials=Trials(), rstate=np.random.default_rng(seed), show_progressbar=False,
         early_stop_fn=(lambda _trials, *args: (counter.done, args)) if stop is not None else None)
    return counter.result(started)


def optuna_search(objective: Objective, space: Sequence[Param] = DEFAULT_SPACE, budget: int = 16,
                  seed: int = 0, n_startup: int = 5, stop: Callable[[], bool] | None = None) -> SearchResult:
    """Bayesian optimisation with Optuna's TPE sampler (``TPESampler(seed=seed)``), Optuna's logging silenced.

    The same algorithm family as :func:`tpe_search` in the other library the lecture names; the first
    ``n_startup`` trials are random (Optuna's default is 10).

    Parameters
    ----------
    objective, space, budget, seed, stop
        As in :func:`random_search`.
    n_startup : int
        Random trials before TPE proposes.
    """
    import optuna

    space = _check_space(space)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    counter, started = _Counter(objective, "optuna", budget, stop), time.perf_counter()
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(lambda trial: counter({p.name: p.optuna(trial) for p in space}), n_trials=budget,
                   callbacks=[lambda study, _trial: study.stop() if counter.done else None])
    return counter.result(started)


def genetic_search(objective: Objective, space: Sequence[Param] = DEFAULT_SPACE, budget: int = 16,
                   seed: int = 0, population: int = 4, mutation_rate: float = 0.3,
                   mutation_scale: float = 0.15, stop: Callable[[], bool] | None = None) -> SearchResult:
    """A small genetic algorithm: random first generation, then children by crossover and mutation.

    The first generation is drawn exactly like :func:`random_search`'s first ``population`` trials (same
    seed): both methods start from the same random configurations, what follows is the difference.

    Each generation: pick two parents by tournament (the better of two random members of the current
    population), mix their genes (uniform crossover: each parameter from one parent or the other), then
    mutate each gene with probability ``mutation_rate`` (Gaussian step of ``mutation_scale`` on the
    [0, 1]-scaled range). The next population is the best ``population`` of parents and children
    (elitism, clones dropped). Stops after ``budget`` evaluations.

    Parameters
    ----------
    objective, space, budget, seed, stop
        As in :func:`random_search`.
    population : int
        Members per generation (at least 2).
    mutation_rate, mutation_scale : float
        Mutation probability per gene (in [0, 1]) and Gaussian step on the [0, 1]-scaled range.
    """
    space = _check_space(space)
    if population < 2:
        raise TuningError(f"genetic: population must be at least 2, got {population}")
    if not 0 <= mutation_rate <= 1:
        raise TuningError(f"genetic: mutation_rate must lie in [0, 1], got {mutation_rate}")
    rng = np.random.default_rng(seed)
    counter, started = _Counter(objective, "genetic", budget, stop), time.perf_counter()
    members: list[tuple[float, dict[str, Any]]] = []
    for _ in range(min(population, budget)):
        if counter.done:
            break
        params = {p.name: p.sample(rng) for p in space}
        members.append((counter(params), params))
    while not counter.done:
        children = []
        for _ in range(min(population, budget - len(counter.trials))):
            if counter.done:
                break
            mum, dad = (_tournament(members, rng) for _ in range(2))
            child = {}
            for p in space:
                gene = mum[p.name] if rng.random() < 0.5 else dad[p.name]
                if rng.random() < mutation_rate:
                    gene = p.from_unit(p.to_unit(gene) + rng.normal(0.0, mutation_scale))
                child[p.name] = p.cast(gene)
            children.append((counter(child), child))
        members = _survivors(members + children, population)
    return counter.result(started)


def _survivors(members: list[tuple[float, dict[str, Any]]], population: int) -> list[tuple[float, dict[str, Any]]]:
    """The best ``population`` *distinct* configurations (elitism without clones: on a discrete space a
    child often equals a parent, and a population of copies can no longer recombine)."""
    kept: list[tuple[float, dict[str, Any]]] = []
    for score, params in sorted(members, key=lambda m: -m[0]):
        if all(params != other for _, other in kept):
            kept.append((score, params))
        if len(kept) == population:
            break
    return kept


def _tournament(members: list[tuple[float, dict[str, Any]]], rng: np.random.Generator) -> dict[str, Any]:
    i, j = rng.choice(len(members), size=2, replace=len(members) < 2)
    return members[i][1] if members[i][0] >= members[j][0] else members[j][1]


def run_searches(objective: Objective, space: Sequence[Param] = DEFAULT_SPACE, *, seed: int = 0,
                 methods: Iterable[str] = METHODS, budget: int | None = None,
                 n_startup: int = 5, population: int = 4) -> dict[str, SearchResult]:
    """Run the methods at the **same budget**: the grid's size unless ``budget`` is given (then the grid
    must have exactly that many points).

    Parameters
    ----------
    objective, space, seed
        As in :func:`random_search`.
    methods : iterable of str
        Names from :data:`METHODS`.
    budget : int or None
        Evaluations per method.
    n_startup, population : int
        Passed to the TPE searches and the genetic search.

    Returns
    -------
    dict of str to SearchResult

    Raises
    ------
    TuningError
        For an unknown method, or a budget that differs from the grid's size.
    """
    methods = tuple(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise TuningError(f"unknown search method(s) {unknown}; choose from {list(METHODS)}")
    n_grid = len(grid_points(space)) if "grid" in methods or budget is None else None
    if budget is None:
        budget = n_grid
    elif n_grid is not None and n_grid != budget:
        raise TuningError(f"equal budget: the grid has {n_grid} points but budget={budget}")
    runners: dict[str, Callable[[], SearchResult]] = {
        "grid": lambda: grid_search(objective, space),
        "random": lambda: random_search(objective, space, budget, seed),
        "tpe": lambda: tpe_search(objective, space, budget, seed, n_startup),
        "optuna": lambda: optuna_search(objective, space, budget, seed, n_startup),
        "genetic": lambda: genetic_search(objective, space, budget, seed, population),
    }
    return {m: runners[m]() for m in methods}


def grid_cost_table(n_params: Sequence[int] = (1, 2, 3, 4, 5, 6), n_values: Sequence[int] = (2, 3, 5, 10),
                    folds: int = 5, seconds_per_fit: float | None = None) -> pd.DataFrame:
    """The grid's cost explosion: model fits = values ** parameters x folds.

    Rows: number of parameters; columns: values per parameter. With ``seconds_per_fit`` the cells are
    hours instead of fits.

    Parameters
    ----------
    n_params, n_values : sequence of int
        Rows and columns.
    folds : int
        Fits per configuration (at least 1).
    seconds_per_fit : float or None
    """
    if folds < 1:
        raise TuningError(f"folds must be at least 1, got {folds}")
    table = pd.DataFrame({f"{v} values": [v ** p * folds for p in n_params] for v in n_values},
                         index=pd.Index(list(n_params), name="parameters"))
    if seconds_per_fit is not None:
        table = (table * seconds_per_fit / 3600).round(1)
    return table


