"""What graders rely on: every committed chapter is executed, clean, follows the chapter anatomy, and its
student edition executes with every exercise "not attempted" and leaves no scoring server behind. (nbval itself re-executes each chapter and
compares outputs; it would pass a notebook without outputs, hence these checks.)"""

import contextlib
import re
from pathlib import Path

import nbformat
import psutil
import pytest

from mlops_edu.deployment.serving import scoring_processes
from mlops_edu.workbook.config import HOME_ENV
from mlops_edu.workbook.notebooks import CHAPTER_RE, write_student_edition
from mlops_edu.workbook.runner import find_chapters, run_chapters

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook"
CHAPTERS = find_chapters(WORKBOOK)
MACHINE_PATH = re.compile(r"(/tmp/|/root/|/home/|/work/|/Users/|[A-Z]:\\\\)[^\s'\"]*")
RUN_ID = re.compile(r"\b[0-9a-f]{32}\b")
CHECK_CELL = re.compile(r"^(q\d+)\.check\(\)")


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def _text(output) -> str:
    return "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_survives_open_and_save_in_jupyter(path):
    """JupyterLab's save is nbformat.write of the notebook it read (with the kernel's language_info):
    opening and saving an unchanged chapter must leave git clean."""
    import platform

    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["language_info"]["version"] == platform.python_version()
    text = nbformat.writes(nb)
    assert (text if text.endswith("\n") else text + "\n") == path.read_text(encoding="utf-8")


def test_the_workbook_has_its_first_chapter():
    assert CHAPTERS and CHAPTERS[0].name == "00_start_here.ipynb"
    assert all(CHAPTER_RE.match(p.name) for p in CHAPTERS)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_executed_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    for i, cell in enumerate(_code_cells(nb)):
        if cell.execution_count is None:
            problems.append(f"cell {i}: not executed")
        for out in cell.outputs:
            if out.output_type == "error":
                problems.append(f"cell {i}: error output {out.ename}: {out.evalue}")
            if out.output_type == "stream" and out.name == "stderr":
                problems.append(f"cell {i}: writes to stderr: {out.text[:80]!r}")
            text = _text(out)
            if MACHINE_PATH.search(text):
                problems.append(f"cell {i}: prints a machine path {MACHINE_PATH.search(text).group(0)[:60]}")
            if RUN_ID.search(text):
                problems.append(f"cell {i}: prints an MLflow run id")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_anatomy(path):
    number = path.name[:2]
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {number}"), \
        "the first cell is the title '# NN ...'"
    code = _code_cells(nb)
    params = code[0]
    assert "parameters" in params.metadata.get("tags", []), "the first code cell is tagged 'parameters'"
    assert re.search(r"^SEED = \d+", params.source, re.M) and re.search(r"^QUICK = False", params.source, re.M)
    assert re.search(rf'setup_chapter\("{number}"', code[1].source), f'the second code cell calls setup_chapter("{number}", ...)'
    assert any("record(" in c.source for c in code), "key results are recorded with record()"
    assert "summary" in nb.cells[-1].source.lower(), "the chapter ends with a summary"

    solutions = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "### BEGIN SOLUTION" in c.source]
    assert 2 <= len(solutions) <= 4, f"2 to 4 exercises, found {len(solutions)}"
    for i in solutions:
        check = nb.cells[i + 1]
        match = CHECK_CELL.match(check.source)
        assert match, f"cell {i + 1} (after a solution) must start with qN.check()"
        printed = "".join(_text(o) for o in check.outputs)
        assert f"{match.group(1)} Correct" in printed, f"{match.group(1)}: the reference solution must pass"


def _listening_ports(pids: list[int]) -> list[int]:
    ports = []
    for pid in pids:
        try:
            ports += [c.laddr.port for c in psutil.Process(pid).net_connections() if c.status == psutil.CONN_LISTEN]
        except psutil.NoSuchProcess:
            pass
    return ports


def _check_student_edition(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A quick run of a chapter's student edition checks both what students get and that the chapter (03 and
    05 start scoring servers) leaves no process and no listening port behind."""
    written = write_student_edition([path], tmp_path / "student")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv(HOME_ENV, str(home))
    results = run_chapters(written, jobs=1, quick=True, fail_fast=False, home=home, results=tmp_path / "results",
                           write_back=False, echo=lambda *a, **k: None)
    left = scoring_processes(str(home))
    ports = _listening_ports(left)
    for pid in left:  # do not leak them into the rest of the session
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()
    failed = [f"{r.notebook} cell {r.cell}: {r.error}" for r in results if r.status != "ok"]
    assert not failed, "\n".join(failed)
    assert not left, f"{path.name} left scoring servers running: pids {left}, listening on {ports}"
    for copy in written:
        student = nbformat.read(copy, as_version=4)
        assert "### BEGIN SOLUTION" not in "".join(c.source for c in student.cells if c.cell_type == "code")
        executed = nbformat.read(tmp_path / "results" / "executed" / copy.name, as_version=4)
        checks = [c for c in executed.cells if c.cell_type == "code" and CHECK_CELL.match(c.source)]
        assert checks
        for cell in checks:
            name = CHECK_CELL.match(cell.source).group(1)
            assert f"{name}: not attempted" in "".join(_text(o) for o in cell.outputs), f"{copy.name} {name}"


def _student_test(path: Path):
    @pytest.mark.slow
    def test_student_edition_executes_not_attempted_and_leaves_no_server(self, tmp_path, monkeypatch):
        _check_student_edition(path, tmp_path, monkeypatch)

    return test_student_edition_executes_not_attempted_and_leaves_no_server


# One class per chapter: pytest-xdist's --dist loadscope schedules each class on its own, so the eleven
# student-edition runs spread over the workers (a module's tests, and a notebook's cells, stay together).
for _path in CHAPTERS:
    _name = f"TestStudentEdition{_path.name[:2]}"
    globals()[_name] = type(_name, (), {"test_executes_not_attempted_and_leaves_no_server": _student_test(_path)})

