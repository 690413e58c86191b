"""Exercises in the learntools style: ``q1.check()``, ``q1.hint()``, ``q1.solution()``.

Each chapter has a module ``mlops_edu.workbook.exercises.chNN`` that defines ``q1``, ``q2``, ... as
:class:`Exercise` objects. In the notebook the student's code sits between ``### BEGIN SOLUTION`` and
``### END SOLUTION``; the student edition replaces it by ``name = ____``. ``check()`` reads the named
variables from the notebook and

* prints ``Correct: ...`` when the answer is right,
* raises ``AssertionError("Incorrect: ...")`` saying what is wrong,
* prints ``not attempted`` (and raises nothing) while a variable still holds the ``____`` placeholder.

Example (a chapter module)::

    def _check_total(total):
        assert total == 6, f"expected 1 + 2 + 3 = 6, got {total}"
        return "the sum of 1, 2 and 3 is 6"

    q1 = Exercise("q1", variables=("total",), checker=_check_total,
                  hint="Use the built-in sum().", solution="total = sum([1, 2, 3])")
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

NOT_ATTEMPTED = "not attempted"


class NotAttempted(Exception):
    """Raised when an answer still contains the ``____`` placeholder."""


class Placeholder:
    """The ``____`` a student replaces with code. Using it in a check raises :class:`NotAttempted`."""

    _instance: "Placeholder | None" = None

    def __new__(cls) -> "Placeholder":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "____"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotAttempted(name)

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise NotAttempted("____")

    __call__ = __getitem__ = __iter__ = __len__ = __float__ = __int__ = __index__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __array__ = __bool__ = _refuse

    def __eq__(self, other: object) -> bool:
        raise NotAttempted("____")

    __hash__ = object.__hash__


____ = Placeholder()


def contains_placeholder(value: Any) -> bool:
    """True when ``value`` is the placeholder or a list/tuple/dict/set holding it."""
    if value is ____:
        return True
    if isinstance(value, (list, tuple, set)):
        return any(contains_placeholder(v) for v in value)
    if isinstance(value, dict):
        return any(contains_placeholder(v) for v in (*value.keys(), *value.values()))
    return False


_MISSING = object()


class Exercise:
    """One exercise: the variables it reads from the notebook and the function that checks them.

    Parameters
    ----------
    name : str
        ``"q1"``, shown in every message.
    variables : tuple[str, ...]
        names the student's code must define; ``check()`` reads them from the notebook.
    checker : Callable[..., str | None]
        called with the variables' values; raises AssertionError with a helpful message when
        wrong, returns an optional sentence explaining why the answer is right.
    hint : str
        one nudge, printed by ``hint()``.
    solution : str
        the reference code, printed by ``solution()``.
    """

    def __init__(self, name: str, variables: tuple[str, ...], checker: Callable[..., str | None],
                 hint: str, solution: str) -> None:
        self.name = name
        self.variables = tuple(variables)
        self.checker = checker
        self.hint_text = hint
        self.solution_text = solution

    def __repr__(self) -> str:
        return f"Exercise({self.name!r}, variables={self.variables!r})"

    def _values(self, namespace: dict[str, Any]) -> list[Any]:
        values = [namespace.get(v, _MISSING) for v in self.variables]
        missing = [v for v, value in zip(self.variables, values) if value is _MISSING]
        if missing:
            raise AssertionError(f"{self.name}: define {', '.join(f'`{m}`' for m in missing)} first "
                                 "(run the cell above this one)")
        return values

    def check(self, namespace: dict[str, Any] | None = None) -> None:
        """Print ``Correct`` or ``not attempted``; raise AssertionError saying what is wrong otherwise.

        ``namespace`` defaults to the globals of the caller (the notebook).
        """
        if namespace is None:
            frame = inspect.currentframe()
            namespace = frame.f_back.f_globals if frame and frame.f_back else {}
        self.status(namespace)

    def status(self, namespace: dict[str, Any]) -> str:
        """Like :meth:`check` for the variables in ``namespace``; returns "correct" or "not attempted"."""
        values = self._values(namespace)
        try:
            if any(contains_placeholder(v) for v in values):
                raise NotAttempted(self.name)
            message = self.checker(*values)
        except NotAttempted:
            print(f"{self.name}: {NOT_ATTEMPTED} - replace ____ with your code, then run this cell again.")
            return NOT_ATTEMPTED
        except AssertionError as wrong:
            raise AssertionError(f"{self.name} Incorrect: {wrong}") from None
        print(f"{self.name} Correct" + (f": {message}" if message else ""))
        return "correct"

    def hint(self) -> None:
        """Print the hint."""
        print(f"{self.name} Hint: {self.hint_text}")

    def solution(self) -> None:
        """Print the reference solution."""
        print(f"{self.name} Solution:\n{self.solution_text}")


__all__ = ["Exercise", "NotAttempted", "Placeholder", "____", "contains_placeholder", "NOT_ATTEMPTED"]
