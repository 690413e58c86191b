"""The learntools-style exercise mechanics and the student-edition transformation."""

import importlib
import pkgutil

import pytest

import mlops_edu.workbook.exercises as exercises
from mlops_edu.workbook.exercises import Exercise, NotAttempted, ____, ch00, contains_placeholder
from mlops_edu.workbook.notebooks import strip_solutions


def _sum_checker(total):
    assert total == 6, f"expected 1 + 2 + 3 = 6, got {total}"
    return "1 + 2 + 3 = 6"


q = Exercise("q9", variables=("total",), checker=_sum_checker, hint="use sum()", solution="total = sum([1, 2, 3])")


def test_check_reads_the_callers_globals(capsys):
    global total
    total = 6
    q.check()
    assert capsys.readouterr().out == "q9 Correct: 1 + 2 + 3 = 6\n"


def test_wrong_answer_raises_with_the_reason():
    with pytest.raises(AssertionError, match=r"q9 Incorrect: expected 1 \+ 2 \+ 3 = 6, got 5"):
        q.status({"total": 5})


def test_placeholder_reports_not_attempted_and_raises_nothing(capsys):
    assert q.status({"total": ____}) == "not attempted"
    assert "q9: not attempted" in capsys.readouterr().out


def test_function_returning_placeholder_is_not_attempted():
    def count(xs):
        return ____

    ex = Exercise("q1", ("count",), lambda f: f([1, 2]) + 1, "", "")
    assert ex.status({"count": count}) == "not attempted"


def test_missing_variable_is_named():
    with pytest.raises(AssertionError, match="define `total` first"):
        q.status({})


def test_hint_and_solution_print(capsys):
    q.hint()
    q.solution()
    assert capsys.readouterr().out == "q9 Hint: use sum()\nq9 Solution:\ntotal = sum([1, 2, 3])\n"


def test_placeholder_refuses_to_be_used():
    for use in (lambda: ____ + 1, lambda: ____(), lambda: ____.mean(), lambda: ____ == 1, lambda: len(____),
                lambda: float(____), lambda: ____[0]):
        with pytest.raises(NotAttempted):
            use()
    assert repr(____) == "____"
    assert contains_placeholder([1, {"a": ____}]) and not contains_placeholder([1, {"a": 2}])


def test_chapter_00_exercises():
    assert ch00.q1.status({"churn_rate": 0.25}) == "correct"
    with pytest.raises(AssertionError, match="share who stayed"):
        ch00.q1.status({"churn_rate": 0.75})
    assert ch00.q2.status({"campaign_drift": "data drift", "pandemic_drift": "concept drift"}) == "correct"
    with pytest.raises(AssertionError, match="must be one of"):
        ch00.q2.status({"campaign_drift": "drift", "pandemic_drift": "concept drift"})


def _all_exercises():
    for info in pkgutil.iter_modules(exercises.__path__):
        module = importlib.import_module(f"mlops_edu.workbook.exercises.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Exercise):
                yield pytest.param(value, id=f"{info.name}.{name}")


@pytest.mark.parametrize("exercise", list(_all_exercises()))
def test_every_exercise_reports_not_attempted_on_placeholders(exercise, capsys):
    assert exercise.status({v: ____ for v in exercise.variables}) == "not attempted"
    assert exercise.hint_text and exercise.solution_text


def test_strip_solutions_keeps_names_and_signatures():
    source = '''import pandas as pd
### BEGIN SOLUTION
services = df[cols].eq("Yes")
n_services = services.sum(axis=1)
best, worst = 1, 2
def count(frame, cols=None):
    """Count add-ons."""
    return frame[cols].eq("Yes").sum(axis=1)
for x in range(3):
    print(x)
### END SOLUTION
print("after")'''
    assert strip_solutions(source) == '''import pandas as pd
# your code here: replace ____
services = ____
n_services = ____
best = ____
worst = ____
def count(frame, cols=None):
    """Count add-ons."""
    return ____
print("after")'''


def test_strip_solutions_keeps_indentation():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    y = x * 2\n    ### END SOLUTION\n    return y"
    assert strip_solutions(source) == "def f(x):\n    # your code here: replace ____\n    y = ____\n    return y"


@pytest.mark.parametrize("source", ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION",
                                    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_strip_solutions_rejects_unbalanced_markers(source):
    with pytest.raises(ValueError, match="SOLUTION"):
        strip_solutions(source)
