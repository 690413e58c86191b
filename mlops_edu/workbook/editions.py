"""Where the runner writes for people other than the instructor: the student edition (never overwriting a
student's work) and the graders' gradebook run (``run_all.py --student`` and ``--grade``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mlops_edu.workbook.notebooks import write_student_edition
from mlops_edu.workbook.workspace import HOME_ENV


class RunnerError(ValueError):
    """A bad option or folder given to the runner; the message names it (``run_all.py`` exits 2)."""


def grade_submissions(folder: Path, *, results: Path, timeout: int, sanitize: Path) -> int:
    """``--grade``: grade every submission in a scratch workspace; 0 when every notebook was graded.

    Parameters
    ----------
    folder : Path
        One sub-folder per student (:func:`~mlops_edu.workbook.gradebook.submissions`).
    results : Path
        Gets ``grades.csv`` and ``grades/<student>.md``.
    timeout : int
        Seconds each notebook may run (at least 1).
    sanitize : Path
        The nbval sanitize file (no sanitising when it does not exist).

    Returns
    -------
    int

    Raises
    ------
    RunnerError
        When ``folder`` is not a folder, ``timeout`` is below 1, or there is no student notebook.
    """
    from mlops_edu.workbook import gradebook

    if not folder.is_dir():
        raise RunnerError(f"--grade: no folder {folder}")
    if timeout < 1:
        raise RunnerError(f"--timeout must be at least 1 second, got {timeout}")
    pairs = gradebook.submissions(folder)
    if not pairs:
        raise RunnerError(f"--grade: no student folders with NN_*.ipynb notebooks in {folder}")
    sanitizers = gradebook.load_sanitizers(sanitize) if sanitize.exists() else []
    grades: list = []
    previous_home = os.environ.get(HOME_ENV)
    with tempfile.TemporaryDirectory(prefix="mlops-edu-grading-") as scratch:
        try:
            from mlops_edu.workbook.execution import ensure_kernel

            kernel = ensure_kernel(Path(scratch))
            os.environ[HOME_ENV] = scratch          # the students' chapters write their workspaces here
            for student, notebook in pairs:
                rows = gradebook.grade_notebook(student, notebook, timeout=timeout, kernel=kernel,
                                                sanitizers=sanitizers)
                print(f"{student:<20} {notebook.name:<36} {rows[0].status}")
                grades += rows
        finally:
            if previous_home is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = previous_home
    table, reports = gradebook.write_grades(grades, results)
    print(f"\n{len(pairs)} notebooks of {len(reports)} students graded: {table.name} and grades/ in {results.name}/")
    return 0


def _backup(path: Path) -> Path:
    """Move ``path`` aside as ``NAME.ipynb.bak`` (or ``.bak1``, ``.bak2``, ... if taken); returns the backup.

    Raises
    ------
    RunnerError
        When 1000 backup names are taken.
    """
    for n in range(1000):
        backup = path.with_name(f"{path.name}.bak{n or ''}")
        if not backup.exists():
            os.replace(path, backup)
            return backup
    raise RunnerError(f"too many backups of {path.name} in {path.parent}; remove some")


def student_edition_into(chapters: list[Path], target: Path, *, workbook: Path, force: bool = False) -> list[Path]:
    """Write the student edition of ``chapters`` into ``target`` without ever losing a student's work.

    Refuses the workbook folder itself (it would replace the committed chapters) and, unless ``force``,
    any notebook that already exists in ``target`` (a student's answers are data); with ``force`` the old
    file is kept as ``NAME.ipynb.bak``.

    Parameters
    ----------
    chapters : list of Path
        Chapter notebooks.
    target : Path
        The folder of the student edition.
    workbook : Path
        The workbook folder (refused as ``target``).
    force : bool
        Replace existing notebooks, keeping backups.

    Returns
    -------
    list of Path
        The written notebooks.

    Raises
    ------
    RunnerError
        For the workbook folder, or for existing notebooks without ``force``.
    """
    if target.resolve() == workbook.resolve():
        raise RunnerError(f"--student {target.name}: that is the workbook folder itself; the student edition "
                          "would replace the committed chapters. Choose another folder, e.g. student/")
    existing = [target / c.name for c in chapters if (target / c.name).exists()]
    if existing and not force:
        raise RunnerError(f"--student: {len(existing)} notebook(s) already exist in {target.name}/ "
                          f"({', '.join(p.name for p in existing)}); they may hold a student's answers. "
                          "Use another folder, or --force to replace them (old files kept as NAME.ipynb.bak)")
    for path in existing:
        backup = _backup(path)
        print(f"kept {path.name} as {backup.name}")
    return write_student_edition(chapters, target)


