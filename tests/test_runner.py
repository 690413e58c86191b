"""run_all.py: execution, atomic write-back, failure reporting, normalisation, quick and student modes."""

import json
import platform

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlops_edu.workbook.config import HOME_ENV
from mlops_edu.workbook.notebooks import normalise, student_edition, write_notebook
from mlops_edu.workbook.runner import (ChapterResult, RunnerError, chapter_seconds, find_chapters, longest_first,
                                      main, write_results)


def _notebook(*sources, params=True):
    cells = [new_markdown_cell("# test chapter")]
    if params:
        p = new_code_cell("SEED = 4\nQUICK = False")
        p.metadata["tags"] = ["parameters"]
        cells.append(p)
    cells += [new_code_cell(s) for s in sources]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


OK_CELLS = ("from mlops_edu import setup_chapter, record\nws = setup_chapter('01', seed=SEED)",
            "record('quick', QUICK)\nrecord('answer', 42)\nprint('hello', SEED)",
            "# NBVAL_IGNORE_OUTPUT\nimport time\nprint(time.time())")


@pytest.fixture
def workbook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "workbook"
    folder.mkdir()
    nbformat.write(_notebook(*OK_CELLS), folder / "01_ok.ipynb")
    nbformat.write(_notebook("x = 1", "raise ValueError('broken on purpose')"), folder / "02_broken.ipynb")
    nbformat.write(_notebook("from mlops_edu import setup_chapter\nws = setup_chapter('03')", "print(2 + 2)"),
                   folder / "03_ok.ipynb")
    return folder


def test_find_chapters_orders_and_filters(workbook):
    (workbook / "notes.ipynb").write_text("{}")
    assert [p.name for p in find_chapters(workbook)] == ["01_ok.ipynb", "02_broken.ipynb", "03_ok.ipynb"]
    assert [p.name for p in find_chapters(workbook, "3,1")] == ["01_ok.ipynb", "03_ok.ipynb"]
    with pytest.raises(RunnerError, match="no chapter 07"):
        find_chapters(workbook, "07")


@pytest.mark.parametrize("argv, message", [
    (["--only", "2a"], "'2a' is not a chapter number"),
    (["--only", "07"], "no chapter 07"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--force"], "go with --student"),
])
def test_bad_options_exit_2_and_name_the_option(workbook, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_student_edition_refuses_the_workbook_folder(workbook, capsys):
    before = {p.name: p.read_bytes() for p in workbook.iterdir()}
    assert main(["--student", str(workbook), "--no-verify"]) == 2
    assert "the workbook folder itself" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in workbook.iterdir()} == before


def test_student_edition_never_overwrites_silently(workbook, tmp_path, capsys):
    student = tmp_path / "student"
    assert main(["--only", "01", "--student", str(student), "--no-verify"]) == 0
    answered = student / "01_ok.ipynb"
    answered.write_text(answered.read_text().replace("print(2 + 2)", "print('my answer')"))
    mine = answered.read_bytes()
    assert main(["--only", "01", "--student", str(student), "--no-verify"]) == 2
    assert "already exist" in capsys.readouterr().err and answered.read_bytes() == mine
    assert main(["--only", "01", "--student", str(student), "--no-verify", "--force"]) == 0
    assert (student / "01_ok.ipynb.bak").read_bytes() == mine
    assert main(["--only", "01", "--student", str(student), "--no-verify", "--force"]) == 0
    assert (student / "01_ok.ipynb.bak").read_bytes() == mine and (student / "01_ok.ipynb.bak1").exists()
    assert [p.name for p in find_chapters(student)] == ["01_ok.ipynb"]


def test_written_notebooks_survive_a_jupyter_save(tmp_path):
    """What JupyterLab's save does (nbformat.write of what it read) leaves our files byte-identical."""
    path = tmp_path / "01_x.ipynb"
    write_notebook(normalise(_notebook("print('a')\nprint('b')", "x = 1")), path)
    first = path.read_bytes()
    nbformat.write(nbformat.read(path, as_version=4), path)
    assert path.read_bytes() == first


@pytest.mark.slow
def test_failing_chapter_is_named_and_left_untouched(workbook, capsys):
    broken_before = (workbook / "02_broken.ipynb").read_bytes()
    assert main([]) == 1
    out, err = capsys.readouterr()
    assert "02_broken.ipynb cell 3: In [3]: ValueError: broken on purpose" in err
    assert "2 passed, 1 failed" in out
    assert (workbook / "02_broken.ipynb").read_bytes() == broken_before
    assert (workbook.parent / "results" / "failed" / "02_broken.ipynb").exists()
    executed = nbformat.read(workbook / "01_ok.ipynb", as_version=4)
    assert [c.execution_count for c in executed.cells if c.cell_type == "code"] == [1, 2, 3, 4]
    assert executed.cells[3].outputs[0].text == "hello 4\n"
    assert executed.cells[4].outputs == [], "timings are not committed"
    manifest = json.loads((workbook.parent / "results" / "manifest.json").read_text())
    by_chapter = {c["chapter"]: c for c in manifest["chapters"]}
    assert by_chapter["01"]["records"] == {"answer": 42, "quick": False}
    assert by_chapter["02"]["status"] == "failed" and by_chapter["02"]["cell"] == 3
    assert manifest["packages"]["mlflow"].startswith("3.17")
    assert "| 02 | workbook/02_broken.ipynb | **failed**" in (workbook.parent / "results" / "SUMMARY.md").read_text()
    executed_copy = nbformat.read(workbook.parent / "results" / "executed" / "01_ok.ipynb", as_version=4)
    assert executed_copy.cells[4].outputs, "the executed copy in results/ keeps the timing output"


@pytest.mark.slow
def test_rerun_leaves_bytes_identical_and_jobs_run_in_parallel(workbook, capsys):
    assert main(["--only", "01,03"]) == 0
    first = {p.name: p.read_bytes() for p in workbook.glob("*.ipynb")}
    assert main(["--only", "01,03", "--jobs", "2"]) == 0
    assert {p.name: p.read_bytes() for p in workbook.glob("*.ipynb")} == first
    assert "2 passed, 0 failed" in capsys.readouterr().out


@pytest.mark.slow
def test_fail_fast_stops_and_quick_does_not_write_back(workbook, capsys):
    assert main(["--fail-fast"]) == 1
    assert "1 not run (--fail-fast)" in capsys.readouterr().out
    before = (workbook / "01_ok.ipynb").read_bytes()
    assert main(["--only", "01", "--quick"]) == 0
    assert (workbook / "01_ok.ipynb").read_bytes() == before
    manifest = json.loads((workbook.parent / "results" / "manifest.json").read_text())
    assert manifest["quick"] is True and manifest["chapters"][0]["records"]["quick"] is True


@pytest.mark.slow
def test_student_edition_is_written_and_executes(workbook, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    nbformat.write(_notebook("from mlops_edu import setup_chapter\nws = setup_chapter('04', seed=SEED)",
                             "from mlops_edu.workbook.exercises import ____\nfrom mlops_edu.workbook.exercises.ch00 import q1",
                             "### BEGIN SOLUTION\nchurn_rate = 3 / 12\n### END SOLUTION", "q1.check()"),
                   workbook / "04_exercise.ipynb")
    user_workspace = tmp_path / "workspaces" / "04"
    user_workspace.mkdir(parents=True)
    (user_workspace / "mlflow.db").write_text("the user's runs")
    assert main(["--only", "04", "--student", str(tmp_path / "student")]) == 0
    assert (user_workspace / "mlflow.db").read_text() == "the user's runs"     # verified in a scratch root
    assert not (tmp_path / "workspaces" / ".previous").exists()
    student = nbformat.read(tmp_path / "student" / "04_exercise.ipynb", as_version=4)
    assert "churn_rate = ____" in student.cells[4].source and "3 / 12" not in student.cells[4].source
    assert all(c.outputs == [] for c in student.cells if c.cell_type == "code")
    executed = nbformat.read(tmp_path / "results" / "student" / "executed" / "04_exercise.ipynb", as_version=4)
    check_cell = next(c for c in executed.cells if c.source == "q1.check()")
    assert "q1: not attempted" in check_cell.outputs[0].text


def test_normalise_strips_volatile_metadata_and_is_idempotent():
    nb = _notebook("print(1)", "# NBVAL_IGNORE_OUTPUT\nprint(2)")
    nb.metadata["papermill"] = {"duration": 1.23}
    nb.metadata["language_info"] = {"name": "python", "version": "3.0.0"}
    nb.cells[2].metadata["papermill"] = {"start_time": "2026-11-23T13:00:00"}
    nb.cells[2].metadata["execution"] = {"iopub.status.busy": "2026-11-23T13:00:00"}
    nb.cells[2].metadata["tags"] = ["injected-parameters"]
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nb.cells[1]["id"] = nb.cells[2]["id"] = "same"
    clean = normalise(nb)
    assert "papermill" not in clean.metadata
    assert clean.metadata["language_info"]["version"] == platform.python_version()   # what JupyterLab stores
    assert clean.metadata["kernelspec"]["name"] == "python3"
    assert clean.cells[2].metadata == {}
    assert clean.cells[3].outputs == []
    ids = [c["id"] for c in clean.cells]
    assert len(set(ids)) == len(ids)
    assert normalise(clean) == clean


def test_student_edition_clears_outputs_and_solutions():
    nb = _notebook("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", "q1.check()")
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n")]
    nb.cells[2].execution_count = 3
    student = student_edition(nb)
    assert "answer = ____" in student.cells[2].source and "42" not in student.cells[2].source
    assert student.cells[2].outputs == [] and student.cells[2].execution_count is None


def test_normalise_merges_split_stream_outputs():
    nb = _notebook("print('a'); print('b')")
    out = nbformat.v4.new_output
    nb.cells[2].outputs = [out("stream", name="stdout", text="a"), out("stream", name="stdout", text="\n"),
                           out("stream", name="stdout", text="b\n"), out("display_data", data={"text/plain": "x"}),
                           out("stream", name="stdout", text="c\n")]
    texts = [o.get("text") for o in normalise(nb).cells[2].outputs]
    assert texts == ["a\nb\n", None, "c\n"]


def test_longest_first_orders_by_the_seconds_of_earlier_full_runs(tmp_path):
    chapters = [tmp_path / f"{n}_x.ipynb" for n in ("00", "01", "02", "03")]
    manifest = tmp_path / "manifest.json"
    assert longest_first(chapters, manifest) == chapters                      # no manifest: file order

    def run(results, quick=False):
        write_results(tmp_path, [ChapterResult(c, f"{c}_x.ipynb", status, s) for c, status, s in results],
                      quick=quick, seconds=1.0, repo=tmp_path)

    run([("00", "ok", 5.0), ("01", "ok", 30.0), ("02", "failed", 99.0)])
    run([("00", "ok", 8.0)])                                  # an --only run keeps what the others took
    run([("01", "ok", 1.0)], quick=True)                      # quick timings do not count
    assert chapter_seconds(manifest) == {"00": 8.0, "01": 30.0}
    ordered = [p.name[:2] for p in longest_first(chapters, manifest)]
    assert ordered == ["02", "03", "01", "00"]          # never timed (or failed) first, then longest first
    manifest.write_text("not json")
    assert longest_first(chapters, manifest) == chapters
