"""run_all.py --grade: each of the six kinds of submission is graded as what it is, and nothing a student
handed in is modified (nbgrader's autograde and otter-grader are the anchors)."""

import csv

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlops_edu.workbook.gradebook import comparable_outputs, exercise_grades, unreproducible_cells
from mlops_edu.workbook.notebooks import student_edition
from mlops_edu.workbook.runner import main

EXERCISE = ("from mlops_edu.workbook.exercises import Exercise, ____\n"
            "def _check(x):\n"
            "    assert x == 42, f'expected 42, got {x}'\n"
            "    return 'the answer'\n"
            "q1 = Exercise('q1', ('x',), _check, hint='think', solution='x = 42')")


def _chapter(answer: str = "x = 42", last: str = "print('done')"):
    nb = new_notebook(cells=[new_markdown_cell("# 01 test chapter"), new_code_cell(EXERCISE),
                             new_code_cell(f"### BEGIN SOLUTION\n{answer}\n### END SOLUTION"),
                             new_code_cell("q1.check()"), new_code_cell(last)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _executed(nb):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=60, allow_errors=True).execute()
    return nb


@pytest.fixture
def submissions(tmp_path):
    folder = tmp_path / "submissions"
    correct = _executed(_chapter())
    edited = _executed(_chapter())
    edited.cells[4].outputs[0]["text"] = "done, and a better number: 0.99\n"
    cases = {"alice": correct, "bob": _executed(_chapter("x = 41")), "carol": student_edition(_chapter()),
             "dave": edited, "eve": _chapter(last="while True:\n    pass")}
    for student, nb in cases.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, folder / student / "01_test.ipynb")
    (folder / "frank").mkdir()
    (folder / "frank" / "01_test.ipynb").write_text("this is not a notebook", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_six_kinds_of_submission_are_graded_as_what_they_are(submissions, tmp_path, capsys):
    before = {p: p.read_bytes() for p in submissions.rglob("*") if p.is_file()}
    assert main(["--grade", str(submissions), "--timeout", "20", "--results", str(tmp_path / "results")]) == 0
    assert {p: p.read_bytes() for p in submissions.rglob("*") if p.is_file()} == before   # nothing modified
    rows = list(csv.DictReader((tmp_path / "results" / "grades.csv").open(encoding="utf-8")))
    got = {(r["student"], r["exercise"]): (r["status"], r["message"]) for r in rows}
    assert got[("alice", "(notebook)")][0] == "executed" and got[("alice", "q1")][0] == "correct"
    assert got[("bob", "q1")][0] == "wrong" and "expected 42, got 41" in got[("bob", "q1")][1]
    assert got[("carol", "q1")][0] == "not attempted" and got[("carol", "(notebook)")][0] == "executed"
    assert got[("dave", "(notebook)")][0] == "not reproducible" and "[4]" in got[("dave", "(notebook)")][1]
    assert got[("eve", "(notebook)")][0] == "timeout" and got[("eve", "q1")][0] == "correct"
    assert got[("frank", "(notebook)")][0] == "not a notebook"
    report = (tmp_path / "results" / "grades" / "bob.md").read_text(encoding="utf-8")
    assert "0 of 1 exercises correct" in report and "expected 42, got 41" in report


def test_comparison_masks_what_nbval_masks_and_nothing_else():
    nb = _chapter()
    cell = nb.cells[4]
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="run 0123456789abcdef0123456789abcdef f1 0.61\n")]
    masked = comparable_outputs(cell, [(__import__("re").compile(r"\b[0-9a-f]{32}\b"), "RUN-ID")])
    assert masked == ["stdout: run RUN-ID f1 0.61\n"]
    fresh = nbformat.from_dict(nb)
    fresh.cells[4].outputs = [nbformat.v4.new_output("stream", name="stdout", text="run ffffffffffffffffffffffffffffffff f1 0.62\n")]
    sanitizers = [(__import__("re").compile(r"\b[0-9a-f]{32}\b"), "RUN-ID")]
    assert unreproducible_cells(nb, fresh, sanitizers) == [4]                 # the metric differs
    fresh.cells[4].outputs[0]["text"] = "run ffffffffffffffffffffffffffffffff f1 0.61\n"
    assert unreproducible_cells(nb, fresh, sanitizers) == []                  # only the id differs


def test_exercise_grades_read_the_check_cells():
    nb = _chapter()
    nb.cells[3].outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="q1 Incorrect: no",
                                                  traceback=[])]
    assert exercise_grades(nb) == [("q1", "wrong", "AssertionError: q1 Incorrect: no")]
    nb.cells[3].outputs = []
    assert exercise_grades(nb) == [("q1", "not run", "the cell did not run (an earlier timeout or a dead kernel)")]


def test_grade_needs_a_folder_of_students(tmp_path, capsys):
    assert main(["--grade", str(tmp_path / "nowhere")]) == 2
    assert "no folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["--grade", str(tmp_path / "empty")]) == 2
