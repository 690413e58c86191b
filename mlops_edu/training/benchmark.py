"""A tabular benchmark of hyperparameter search (lecture 9.1): score a finite space once, replay searches on it.

One run of each search method is an anecdote: which method first finds a good configuration depends on
the seed. To compare methods by *distributions*, every configuration of a finite search space is scored
once with the shared objective (:class:`mlops_edu.training.KFoldObjective`, k-fold F1) and kept in a
table; each method is then *replayed* on that table over many seeds. In a replay the objective is a
lookup, so it costs microseconds instead of k model fits, and all methods see exactly the same scores.
(This is how tabular benchmarks of hyperparameter optimisation work, e.g. HPOBench or NAS-Bench-101.)

* :class:`Axis`, :data:`BENCHMARK_SPACE`: the finite space (levels per hyperparameter) and the
  developer's grid (a few levels per hyperparameter, the grid search's nested loops);
* :func:`build_benchmark`: the table, cached as a JSON file (e.g. in the chapter workspace);
* the replays of the search methods on the table live in :mod:`mlops_edu.training.replays`.

Example
-------
>>> bench = TabularBenchmark.from_scores(SMALL_SPACE, lambda p: p["a"] / 10 + p["b"])
>>> len(bench), bench.score({"a": 2, "b": 0.5})
(6, 0.7)
>>> bench.best_configuration()
{'a': 3, 'b': 0.5}
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.training.search_space import Objective, Param, TuningError


@dataclass(frozen=True)
class Axis:
    """One hyperparameter of a finite space: its ``levels`` (ascending) and the developer's ``grid``
    (the levels a grid search's nested loop runs over; a subset of ``levels``)."""

    name: str
    levels: tuple[Any, ...]
    grid: tuple[Any, ...]

    def __post_init__(self) -> None:
        if len(self.levels) < 2 or list(self.levels) != sorted(set(self.levels)):
            raise TuningError(f"Axis {self.name!r}: levels must be at least 2 distinct ascending values, "
                              f"got {self.levels}")
        outside = [g for g in self.grid if g not in self.levels]
        if not self.grid or outside:
            raise TuningError(f"Axis {self.name!r}: grid values {outside or '()'} are not among the levels")

    def index_param(self, grid_order: Sequence[int] | None = None) -> Param:
        """The axis as a :class:`Param` over level *indices* (-0.5 .. n-0.5: every level equally likely
        when sampled uniformly); its grid holds the indices of the grid levels (in ``grid_order``).

        Parameters
        ----------
        grid_order : sequence of int or None
            Positions in ``grid`` giving the order of the Param's grid; default the axis's order.

        Returns
        -------
        Param
        """
        grid = tuple(self.levels.index(g) for g in self.grid)
        if grid_order is not None:
            grid = tuple(grid[i] for i in grid_order)
        return Param(self.name, -0.5, len(self.levels) - 0.5, integer=True, grid=grid)

    def level(self, index: Any) -> Any:
        """The level at ``index`` (rounded and clipped into range).

        Parameters
        ----------
        index : float
            A level index, e.g. from :meth:`index_param`.
        """
        i = min(max(int(math.floor(float(index) + 0.5)), 0), len(self.levels) - 1)
        return self.levels[i]


TableSpace = tuple[Axis, ...]

BENCHMARK_SPACE: TableSpace = (
    Axis("num_leaves", (2, 4, 8, 16, 32, 64), grid=(4, 16, 64)),
    Axis("learning_rate", (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64), grid=(0.01, 0.08, 0.64)),
    Axis("min_child_samples", (5, 10, 20, 40, 80), grid=(5, 20, 80)),
)
"""Chapter 07's finite LightGBM space: 6 x 7 x 5 = 210 configurations; the grid is 3 x 3 x 3 = 27 points."""

SMALL_SPACE: TableSpace = (Axis("a", (1, 2, 3), grid=(1, 3)), Axis("b", (0.3, 0.5), grid=(0.3, 0.5)))
"""A 6-configuration space for examples and tests."""


def configurations(space: Sequence[Axis]) -> list[dict[str, Any]]:
    """Every combination of the levels, in nested-loop order (last axis fastest).

    Parameters
    ----------
    space : sequence of Axis
        A non-empty space with distinct axis names (``TuningError`` otherwise).

    Returns
    -------
    list of dict
    """
    space = _check(space)
    return [dict(zip((a.name for a in space), combo)) for combo in itertools.product(*(a.levels for a in space))]


def grid_configurations(space: Sequence[Axis]) -> list[dict[str, Any]]:
    """The developer's grid: every combination of the axes' grid values, in nested-loop order.

    Parameters
    ----------
    space : sequence of Axis
        A non-empty space with distinct axis names (``TuningError`` otherwise).

    Returns
    -------
    list of dict
    """
    space = _check(space)
    return [dict(zip((a.name for a in space), combo)) for combo in itertools.product(*(a.grid for a in space))]


def grid_size(space: Sequence[Axis]) -> int:
    """Number of points of the developer's grid (the budget every method gets).

    Parameters
    ----------
    space : sequence of Axis
        A non-empty space with distinct axis names (``TuningError`` otherwise).

    Returns
    -------
    int
    """
    return int(np.prod([len(a.grid) for a in _check(space)]))


def _check(space: Sequence[Axis]) -> TableSpace:
    space = tuple(space)
    if not space or not all(isinstance(a, Axis) for a in space):
        raise TuningError("a table space must be a non-empty sequence of Axis")
    names = [a.name for a in space]
    if len(set(names)) != len(names):
        raise TuningError(f"duplicate axis names: {names}")
    return space


# --------------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------------

@dataclass
class TabularBenchmark:
    """Every configuration of ``space`` with its score: ``table`` has one row per configuration (the
    axis values, ``cv_f1``, ``fold_std``) in nested-loop order. ``seconds``: time it took to build."""

    space: TableSpace
    table: pd.DataFrame
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.space = _check(self.space)
        self._lookup = {self._key(row): float(s) for row, s in
                        zip(self.table[self.names].to_dict("records"), self.table["cv_f1"])}

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.space]

    def __len__(self) -> int:
        return len(self.table)

    def _key(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(float(params[n]) for n in self.names)

    def score(self, params: Mapping[str, Any]) -> float:
        """The stored score of one configuration (a lookup: no model is fitted).

        Parameters
        ----------
        params : mapping
            A value for every axis.

        Returns
        -------
        float

        Raises
        ------
        TuningError
            When the configuration is not in the table.
        """
        try:
            return self._lookup[self._key(params)]
        except KeyError:
            raise TuningError(f"configuration {dict(params)} is not in the table") from None

    def target(self, top_share: float) -> float:
        """The score of the ``ceil(top_share x n)``-th best configuration: reaching it = reaching the top.

        Parameters
        ----------
        top_share : float
            In (0, 1), e.g. 0.05 for the top 5 %.

        Returns
        -------
        float

        Raises
        ------
        TuningError
            When ``top_share`` lies outside (0, 1).
        """
        if not 0 < top_share < 1:
            raise TuningError(f"top_share must lie in (0, 1), got {top_share}")
        ranked = np.sort(self.table["cv_f1"].to_numpy())[::-1]
        return float(ranked[math.ceil(top_share * len(ranked)) - 1])

    def top(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` best configurations.

        Parameters
        ----------
        n : int

        Returns
        -------
        pandas.DataFrame
            Rows of :attr:`table`, best first (ties in table order).
        """
        return self.table.sort_values("cv_f1", ascending=False, kind="stable").head(n)

    def configuration(self, row: int) -> dict[str, Any]:
        """The configuration of table row ``row`` with the axes' own value types (ints stay ints).

        Parameters
        ----------
        row : int
            Position in :attr:`table`.

        Returns
        -------
        dict
        """
        values = self.table.iloc[int(row)]
        return {a.name: a.levels[[float(v) for v in a.levels].index(float(values[a.name]))] for a in self.space}

    def best_configuration(self) -> dict[str, Any]:
        """The configuration with the highest score (the first one on ties)."""
        return self.configuration(int(np.argmax(self.table["cv_f1"].to_numpy())))

    @classmethod
    def from_scores(cls, space: Sequence[Axis], objective: Objective | Any) -> TabularBenchmark:
        """Score every configuration once. ``objective.scores(params)`` (a :class:`KFoldObjective`) gives
        the fold spread too; a plain callable gives the score only (``fold_std`` 0).

        Parameters
        ----------
        space : sequence of Axis
        objective : KFoldObjective or callable

        Returns
        -------
        TabularBenchmark
        """
        started = time.perf_counter()
        rows = []
        for params in configurations(space):
            if hasattr(objective, "scores"):
                folds = objective.scores(params)
                rows.append({**params, "cv_f1": folds.mean, "fold_std": folds.std})
            else:
                rows.append({**params, "cv_f1": float(objective(params)), "fold_std": 0.0})
        return cls(tuple(space), pd.DataFrame(rows), time.perf_counter() - started)

    def save(self, path: Path | str, key: str = "") -> None:
        """Write the table (and the ``key`` describing how it was made) as JSON: floats round-trip exactly.

        Parameters
        ----------
        path : pathlib.Path or str
            File to write.
        key : str
            How the table was made (e.g. :func:`objective_key`).
        """
        payload = {"key": key, "space": [[a.name, list(a.levels), list(a.grid)] for a in self.space],
                   "rows": self.table.to_dict("records")}
        Path(path).write_text(json.dumps(payload), encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str, key: str = "") -> TabularBenchmark | None:
        """The table saved at ``path`` when it was made with the same ``key``, else None.

        Parameters
        ----------
        path : pathlib.Path or str
            File written by :meth:`save` (missing: None).
        key : str
            What the saved key must equal.

        Returns
        -------
        TabularBenchmark or None
        """
        path = Path(path)
        if not path.exists():
            return None
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("key") != key:
            return None
        space = tuple(Axis(n, tuple(levels), tuple(grid)) for n, levels, grid in payload["space"])
        return cls(space, pd.DataFrame(payload["rows"]))


def objective_key(objective: Any, extra: str = "") -> str:
    """A fingerprint of a :class:`KFoldObjective` (kind, metric, seed, base parameters, labels, folds):
    a cached table is reused only for the objective that made it.

    Parameters
    ----------
    objective : KFoldObjective
        Its kind, metric, seed, threshold, base parameters, labels and folds are hashed.
    extra : str
        Hashed too (e.g. ``repr`` of the space).

    Returns
    -------
    str
        16 hex characters.
    """
    digest = hashlib.sha256()
    for part in (objective.kind, objective.metric, objective.seed, objective.threshold,
                 sorted(objective.base_params.items()), extra):
        digest.update(repr(part).encode())
    digest.update(np.asarray(objective.y).tobytes())
    for train, val in objective.folds:
        digest.update(np.asarray(train).tobytes() + b"|" + np.asarray(val).tobytes())
    return digest.hexdigest()[:16]


def build_benchmark(objective: Any, space: Sequence[Axis] = BENCHMARK_SPACE, *,
                    cache: Path | str | None = None, key: str | None = None) -> TabularBenchmark:
    """The tabular benchmark of ``objective`` over ``space`` (lecture 9.1), computed in this process.

    Parameters
    ----------
    objective : KFoldObjective or callable
        the shared objective (``objective.scores(params)`` gives each configuration's folds).
    space : Sequence[Axis]
        the finite space; every configuration is scored once.
    cache : Path | str | None
        a JSON file: read when it was made by the same objective and space (see :func:`objective_key`),
        else written after scoring.
    key : str | None
        what the cache must match (default: :func:`objective_key` of ``objective`` and ``space``).

    Returns
    -------
    TabularBenchmark
        one row per configuration, in nested-loop order.
    """
    space = _check(space)
    if key is None:
        key = objective_key(objective, repr(space)) if hasattr(objective, "folds") else repr(space)
    if cache is not None:
        cached = TabularBenchmark.load(cache, key)
        if cached is not None and cached.space == space:
            return cached
    bench = TabularBenchmark.from_scores(space, objective)
    if cache is not None:
        bench.save(cache, key)
    return bench
