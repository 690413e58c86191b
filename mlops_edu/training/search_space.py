"""The search space of hyperparameter tuning (lecture 9.1): parameters, grids, sampling.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_edu.training.models import TrainingError

Objective = Callable[[Mapping[str, Any]], float]
METHODS: tuple[str, ...] = ("grid", "random", "tpe", "optuna", "genetic")
"""The search methods of lecture 9.1: grid, random, Bayesian (TPE, in the two libraries the lecture names:
hyperopt and Optuna) and genetic."""
METHOD_LABELS: dict[str, str] = {"grid": "grid", "random": "random", "tpe": "TPE (hyperopt)",
                                 "optuna": "TPE (Optuna)", "genetic": "genetic"}


class TuningError(TrainingError):
    """Bad input to a tuning function: the message names the parameter or value at fault."""



# --------------------------------------------------------------------------------------------------
# The search space
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """One hyperparameter: its range (``log`` scale or linear, ``integer`` or float) and grid values.

    Example
    -------
    >>> Param("num_leaves", 4, 128, log=True, integer=True, grid=(8, 32)).sample(np.random.default_rng(0))
    36
    """

    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = False
    grid: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise TuningError(f"Param {self.name!r}: low={self.low} must be below high={self.high}")
        if self.log and self.low <= 0:
            raise TuningError(f"Param {self.name!r}: a log-scale range needs low > 0, got {self.low}")
        outside = [g for g in self.grid if not self.low <= g <= self.high]
        if outside:
            raise TuningError(f"Param {self.name!r}: grid values {outside} lie outside [{self.low}, {self.high}]")

    def from_unit(self, u: float) -> Any:
        """Map ``u`` in [0, 1] to a value (log-uniformly when ``log``).

        Parameters
        ----------
        u : float
            Clipped to [0, 1].

        Returns
        -------
        int or float
            As :meth:`cast`.
        """
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            value = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + u * (self.high - self.low)
        return self.cast(value)

    def to_unit(self, value: Any) -> float:
        """Inverse of :meth:`from_unit`.

        Parameters
        ----------
        value : float
            A value of the parameter (not clipped: outside the range gives outside [0, 1]).

        Returns
        -------
        float
        """
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def cast(self, value: float) -> Any:
        """Clip to the range; round to int for integer parameters; plain Python number.

        Parameters
        ----------
        value : float

        Returns
        -------
        int or float
        """
        value = min(max(float(value), self.low), self.high)
        return int(round(value)) if self.integer else float(value)

    def sample(self, rng: np.random.Generator) -> Any:
        """A random value (uniform on the log scale when ``log``).

        Parameters
        ----------
        rng : numpy.random.Generator

        Returns
        -------
        int or float
        """
        return self.from_unit(rng.random())

    def hyperopt(self) -> Any:
        """The hyperopt expression for this parameter."""
        from hyperopt import hp

        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return hp.qloguniform(self.name, lo, hi, 1) if self.integer else hp.loguniform(self.name, lo, hi)
        return hp.quniform(self.name, self.low, self.high, 1) if self.integer else \
            hp.uniform(self.name, self.low, self.high)

    def optuna(self, trial: Any) -> Any:
        """Ask an Optuna ``trial`` for this parameter (``suggest_int`` / ``suggest_float``, log when ``log``).

        Parameters
        ----------
        trial : optuna.trial.Trial

        Returns
        -------
        int or float
        """
        if self.integer:
            return int(trial.suggest_int(self.name, math.ceil(self.low), math.floor(self.high), log=self.log))
        return float(trial.suggest_float(self.name, self.low, self.high, log=self.log))


SearchSpace = tuple[Param, ...]

DEFAULT_SPACE: SearchSpace = (
    Param("num_leaves", 4, 128, log=True, integer=True, grid=(8, 64)),
    Param("learning_rate", 0.005, 0.3, log=True, grid=(0.01, 0.1)),
    Param("min_child_samples", 5, 300, log=True, integer=True, grid=(10, 100)),
    Param("reg_lambda", 0.01, 100.0, log=True, grid=(0.1, 10.0)),
)
"""The LightGBM space of chapter 07: 4 parameters, each with 2 grid values -> a 16-point grid."""


def _check_space(space: Sequence[Param]) -> SearchSpace:
    space = tuple(space)
    if not space or not all(isinstance(p, Param) for p in space):
        raise TuningError("the search space must be a non-empty sequence of Param")
    names = [p.name for p in space]
    if len(set(names)) != len(names):
        raise TuningError(f"duplicate parameter names in the space: {names}")
    return space


def grid_points(space: Sequence[Param]) -> list[dict[str, Any]]:
    """Every combination of the parameters' grid values, in nested-loop order (last parameter fastest).

    Parameters
    ----------
    space : sequence of Param
        Every parameter needs grid values.

    Returns
    -------
    list of dict

    Raises
    ------
    TuningError
        For an empty space, duplicate names or a parameter without grid values.
    """
    space = _check_space(space)
    empty = [p.name for p in space if not p.grid]
    if empty:
        raise TuningError(f"parameters without grid values: {empty}")
    return [{p.name: p.cast(v) for p, v in zip(space, combo)}
            for combo in itertools.product(*(p.grid for p in space))]


