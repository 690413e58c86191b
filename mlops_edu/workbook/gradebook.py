"""The gradebook: ``python run_all.py --grade SUBMISSIONS/`` grades every student's copies of the chapters.

For graders (DESIGN.md, "Graders"), in the spirit of nbgrader's autograde and otter-grader, offline and
with the workbook's own checkers. ``SUBMISSIONS/`` holds one folder per student with their ``NN_*.ipynb``.
For each notebook, and without ever modifying the student's file:

1. it is read (a file that is not a notebook is graded as such and the run goes on);
2. a copy is executed top to bottom in a fresh kernel of this interpreter, in a scratch workspace, with a
   time limit (a notebook that loops forever is stopped and graded as "timeout"); errors do not stop the
   run, so every exercise is reached;
3. its stored outputs are compared with the fresh ones as nbval does (same sanitising rules, cells marked
   ``# NBVAL_IGNORE_OUTPUT`` skipped): an output the code does not produce is flagged as not reproducible;
4. every ``qN.check()`` cell is read from the fresh run: correct, wrong (with the checker's message) or
   not attempted.

Results: ``results/grades.csv`` (student, chapter, exercise, status, message; one ``(notebook)`` row per
notebook for execution and reproducibility) and ``results/grades/<student>.md``.
"""

from __future__ import annotations

import configparser
import csv
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from mlops_edu.workbook.notebooks import CHAPTER_RE, is_ignored_output_cell

CHECK_CELL = re.compile(r"^\s*(q\d+)\.check\(\)", re.M)
NOTEBOOK_ROW = "(notebook)"
STATUSES = ("correct", "wrong", "not attempted", "not run", "executed", "error", "timeout", "not reproducible",
            "not a notebook")


@dataclass(frozen=True)
class Grade:
    """One row of the gradebook.

    Attributes
    ----------
    student : str
        The student's folder name.
    chapter : str
        Two-digit chapter number.
    exercise : str
        ``qN``, or ``(notebook)`` for the row about execution and reproducibility.
    status : str
        One of :data:`STATUSES`.
    message : str
        The checker's message or what went wrong.
    """

    student: str
    chapter: str
    exercise: str
    status: str
    message: str = ""


def load_sanitizers(cfg: Path) -> list[tuple[re.Pattern[str], str]]:
    """The regex/replace pairs of an nbval sanitize file (what nbval masks before comparing).

    Parameters
    ----------
    cfg : Path
        The sanitize file, one section per rule with ``regex`` and ``replace``.

    Returns
    -------
    list of (re.Pattern, str)
    """
    parser = configparser.ConfigParser()
    parser.read(cfg, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def _output_text(output: Any) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f"{output.get('name')}: {output.get('text', '')}"
    if kind == "error":
        return f"error: {output.get('ename')}: {output.get('evalue')}"
    data = output.get("data", {})
    return "\n".join(f"{mime}: {data[mime]}" for mime in ("text/plain", "text/html", "text/markdown") if mime in data)


def comparable_outputs(cell: Any, sanitizers: list[tuple[re.Pattern[str], str]]) -> list[str]:
    """A code cell's outputs as nbval compares them: text only (images are not compared), sanitised.

    Parameters
    ----------
    cell : nbformat.NotebookNode
        A code cell.
    sanitizers : list of (re.Pattern, str)
        From :func:`load_sanitizers`.

    Returns
    -------
    list of str
        One text per output (streams, errors, and the plain-text, HTML and Markdown data); empty ones
        dropped.
    """
    texts = []
    for output in cell.get("outputs", []):
        text = _output_text(output)
        for pattern, replace in sanitizers:
            text = pattern.sub(replace, text)
        if text:
            texts.append(text)
    return texts


def unreproducible_cells(stored: Any, fresh: Any, sanitizers: list[tuple[re.Pattern[str], str]]) -> list[int]:
    """Indices of code cells whose stored outputs differ from the fresh run's (cells with no stored output
    and ``# NBVAL_IGNORE_OUTPUT`` cells are not compared, as in nbval).

    Parameters
    ----------
    stored, fresh : nbformat.NotebookNode
        The notebook as submitted and as executed again.
    sanitizers : list of (re.Pattern, str)
        From :func:`load_sanitizers`.

    Returns
    -------
    list of int
        0-based cell indices.
    """
    bad = []
    for i, (old, new) in enumerate(zip(stored.cells, fresh.cells)):
        if old.cell_type != "code" or is_ignored_output_cell(old) or not old.get("outputs"):
            continue
        if comparable_outputs(old, sanitizers) != comparable_outputs(new, sanitizers):
            bad.append(i)
    return bad


def exercise_grades(fresh: Any) -> list[tuple[str, str, str]]:
    """``(exercise, status, message)`` of every ``qN.check()`` cell of an executed notebook.

    A cell with an error output is ``wrong`` (message ``"Name: value"``), one that printed ``not attempted``
    is ``not attempted``, one that printed ``Correct`` is ``correct``; a cell with neither did not run
    (``not run``: an earlier timeout or a dead kernel). Messages are cut at 500 characters.

    Parameters
    ----------
    fresh : nbformat.NotebookNode
        The executed notebook.

    Returns
    -------
    list of (str, str, str)
    """
    grades = []
    for cell in fresh.cells:
        match = CHECK_CELL.match(cell.source) if cell.cell_type == "code" else None
        if not match:
            continue
        name = match.group(1)
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        if errors:
            grades.append((name, "wrong", f"{errors[0].get('ename')}: {errors[0].get('evalue')}"[:500]))
        elif "not attempted" in text:
            grades.append((name, "not attempted", ""))
        elif "Correct" in text:
            grades.append((name, "correct", text.strip()[:500]))
        else:
            grades.append((name, "not run", "the cell did not run (an earlier timeout or a dead kernel)"))
    return grades


def _budget_client(budget: float):
    """An nbclient ``NotebookClient`` whose time limit is for the whole notebook, not per cell: each cell
    may use what the cells before it left of ``budget`` seconds.

    Parameters
    ----------
    budget : float
        Seconds for the whole notebook, counted from this call.

    Returns
    -------
    type
        The client class; a cell that starts with no time left raises ``CellTimeoutError``.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    class BudgetClient(NotebookClient):
        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise CellTimeoutError.error_from_timeout_and_cell("notebook time limit used up", budget, cell)
            self.timeout = max(1, int(remaining))
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    BudgetClient._deadline = time.monotonic() + budget
    return BudgetClient


def execute_copy(path: Path, *, timeout: int, kernel: str, workdir: Path) -> tuple[Any, str | None]:
    """Execute a copy of ``path`` in ``workdir`` within ``timeout`` seconds for the whole notebook; returns
    the executed notebook and a problem, if any ("timeout: ..." or "error: ..."). Errors in cells do not
    stop the run (every exercise is reached).

    Parameters
    ----------
    path : Path
        The student's notebook (only read).
    timeout : int
        Seconds for the whole notebook.
    kernel : str
        Kernel name.
    workdir : Path
        Where the copy is written and run.

    Returns
    -------
    tuple of (nbformat.NotebookNode, str or None)
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    copy = workdir / path.name
    shutil.copyfile(path, copy)
    nb = nbformat.read(copy, as_version=4)
    client = _budget_client(timeout)(nb, timeout=timeout, kernel_name=kernel, allow_errors=True,
                                     resources={"metadata": {"path": str(workdir)}}, interrupt_on_timeout=False)
    try:
        client.execute()
    except CellTimeoutError:
        return nb, f"timeout: the notebook ran longer than its limit of {timeout} s and was stopped"
    except DeadKernelError as error:
        return nb, f"error: the kernel died ({error})"
    return nb, None


def grade_notebook(student: str, path: Path, *, timeout: int, kernel: str,
                   sanitizers: list[tuple[re.Pattern[str], str]]) -> list[Grade]:
    """Every row of the gradebook for one student's notebook (the file itself is only read).

    Parameters
    ----------
    student : str
        The student's name (folder).
    path : Path
        The notebook.
    timeout : int
        Seconds the whole notebook may run.
    kernel : str
        Kernel name.
    sanitizers : list of (re.Pattern, str)
        From :func:`load_sanitizers`.

    Returns
    -------
    list of Grade
        The ``(notebook)`` row first (``executed``, ``not reproducible``, ``timeout``, ``error`` or
        ``not a notebook``), then one row per exercise.
    """
    chapter = path.name[:2]
    try:
        stored = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable file is graded, not fatal
        return [Grade(student, chapter, NOTEBOOK_ROW, "not a notebook", f"{type(error).__name__}: {error}"[:300])]
    with tempfile.TemporaryDirectory(prefix=f"grade-{student}-{chapter}-") as scratch:
        fresh, problem = execute_copy(path, timeout=timeout, kernel=kernel, workdir=Path(scratch))
    rows = [Grade(student, chapter, name, status, message) for name, status, message in exercise_grades(fresh)]
    if problem:
        status = "timeout" if problem.startswith("timeout") else "error"
        return [Grade(student, chapter, NOTEBOOK_ROW, status, problem), *rows]
    bad = unreproducible_cells(stored, fresh, sanitizers)
    if bad:
        note = f"stored outputs of cell(s) {bad} are not what the code produces"
        return [Grade(student, chapter, NOTEBOOK_ROW, "not reproducible", note), *rows]
    return [Grade(student, chapter, NOTEBOOK_ROW, "executed", "outputs reproduce"), *rows]


def submissions(folder: Path) -> list[tuple[str, Path]]:
    """``(student, notebook)`` pairs: one sub-folder per student, chapter files ``NN_*.ipynb`` inside.

    Parameters
    ----------
    folder : Path
        The submissions folder (hidden sub-folders are skipped).

    Returns
    -------
    list of (str, Path)
        Sorted by student, then notebook.
    """
    pairs = []
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        pairs += [(student.name, nb) for nb in sorted(student.glob("*.ipynb")) if CHAPTER_RE.match(nb.name)]
    return pairs


def write_grades(grades: list[Grade], results: Path) -> tuple[Path, list[Path]]:
    """``results/grades.csv`` and one Markdown report per student in ``results/grades/``.

    Parameters
    ----------
    grades : list of Grade
        Every row.
    results : Path
        The results folder (created if needed).

    Returns
    -------
    tuple of (Path, list of Path)
        The CSV file and the reports.
    """
    results.mkdir(parents=True, exist_ok=True)
    table = results / "grades.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "chapter", "exercise", "status", "message"])
        writer.writerows([g.student, g.chapter, g.exercise, g.status, g.message] for g in grades)
    reports = []
    (results / "grades").mkdir(exist_ok=True)
    for student in sorted({g.student for g in grades}):
        mine = [g for g in grades if g.student == student]
        exercises = [g for g in mine if g.exercise != NOTEBOOK_ROW]
        correct = sum(g.status == "correct" for g in exercises)
        lines = [f"# {student}", "", f"{correct} of {len(exercises)} exercises correct.", "",
                 "| chapter | exercise | status | message |", "|---|---|---|---|"]
        lines += [f"| {g.chapter} | {g.exercise} | {g.status} | {g.message.replace('|', '/').replace(chr(10), ' ')} |"
                  for g in mine]
        report = results / "grades" / f"{student}.md"
        report.write_text("\n".join(lines) + "\n", encoding="utf-8")
        reports.append(report)
    return table, reports
