"""Re-execute the workbook: papermill orchestration, output normalisation, student edition, results.

Serves the instructors' entry point ``python run_all.py`` (DESIGN.md "Reproducibility rules"):

* every ``workbook/NN_*.ipynb`` runs top to bottom in a fresh kernel of *this* interpreter (a kernelspec
  named ``mlops-edu`` is written into the workspaces folder and put first on ``JUPYTER_PATH``, so a
  user-level ``python3`` kernel of another environment cannot hijack the run);
* the executed copy replaces the committed notebook only on success, atomically (``os.replace``);
  a failing chapter leaves the committed notebook untouched and its executed copy in ``results/failed``;
* written notebooks are normalised (no papermill timings, no volatile metadata, stable cell ids, sorted
  keys, outputs of ``# NBVAL_IGNORE_OUTPUT`` cells stripped) so that re-running leaves git clean;
* values recorded with :func:`mlops_edu.record` land in ``results/manifest.json`` and ``results/SUMMARY.md``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from mlops_edu.workbook.config import HOME_ENV, RECORD_ENV
from mlops_edu.workbook.editions import RunnerError, grade_submissions, student_edition_into
from mlops_edu.workbook.notebooks import (
    CHAPTER_RE,
    KERNEL_NAME,
    normalise,
    write_notebook,
)
from mlops_edu.workbook.packages import package_versions


@dataclass
class ChapterResult:
    """What happened to one chapter in a run."""

    chapter: str
    notebook: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str | None = None
    cell: int | None = None
    records: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- finding
def parse_only(only: str) -> set[str]:
    """Chapter numbers of ``--only`` ("0,2" or "00,02") as two-digit strings.

    >>> sorted(parse_only("0, 02,9"))
    ['00', '02', '09']
    """
    tokens = [x for x in only.replace(" ", "").split(",") if x]
    bad = [x for x in tokens if not (x.isdigit() and len(x) <= 2)]
    if bad or not tokens:
        raise RunnerError(f"--only: {', '.join(repr(x) for x in bad) or repr(only)} is not a chapter number; "
                          "give comma-separated numbers such as 00,02")
    return {f"{int(x):02d}" for x in tokens}


def find_chapters(workbook: Path, only: str | None = None) -> list[Path]:
    """The chapter notebooks ``NN_*.ipynb`` of ``workbook`` in order, filtered by ``only`` ("00,02")."""
    chapters = sorted(p for p in workbook.glob("*.ipynb") if CHAPTER_RE.match(p.name))
    if only:
        wanted = parse_only(only)
        unknown = wanted - {p.name[:2] for p in chapters}
        if unknown:
            raise RunnerError(f"--only: no chapter {', '.join(sorted(unknown))} in {workbook.name}/ "
                              f"(have {', '.join(p.name[:2] for p in chapters)})")
        chapters = [p for p in chapters if p.name[:2] in wanted]
    return chapters


def _temp_path(prefix: str, suffix: str) -> Path:
    """A fresh temporary file name (the file is created and its descriptor closed)."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    os.close(fd)
    return Path(name)


# -------------------------------------------------------------------------------------------- executing
def ensure_kernel(home: Path) -> str:
    """Write a kernelspec for this interpreter under ``home`` and put it first on JUPYTER_PATH."""
    spec_dir = home / "workspaces" / ".jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.log_level=CRITICAL"],
        "display_name": "Python 3 (mlops-edu)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    jupyter_path = str(home / "workspaces" / ".jupyter")
    parts = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p and p != jupyter_path]
    os.environ["JUPYTER_PATH"] = os.pathsep.join([jupyter_path, *parts])
    return KERNEL_NAME


def _error_text(exc: BaseException) -> tuple[str, int | None, int | None]:
    """``"Name: value"``, the cell index (0-based, as JupyterLab counts) and the execution count."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(exc).__name__}: {exc}"
    return text, getattr(exc, "cell_index", None), getattr(exc, "exec_count", None)


def execute_chapter(path: Path, *, quick: bool, home: Path, failed_dir: Path, executed_dir: Path,
                    write_back: bool, parameters: dict[str, Any] | None = None) -> ChapterResult:
    """Execute one chapter with papermill; on success write it back (normalised) if ``write_back``."""
    import papermill

    kernel = ensure_kernel(home)
    params = dict(parameters or {})
    if quick:
        params["QUICK"] = True
    os.environ[HOME_ENV] = str(home)
    record_file = _temp_path(f"records-{path.stem}-", ".json")
    record_file.unlink()
    os.environ[RECORD_ENV] = str(record_file)
    tmp_out = _temp_path(f"{path.stem}-", ".ipynb")
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(path), str(tmp_out), parameters=params or None, kernel_name=kernel, cwd=str(path.parent),
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
        )
    except Exception as exc:  # papermill raises PapermillExecutionError, or kernel/IO errors
        seconds = time.perf_counter() - start
        error, cell, exec_count = _error_text(exc)
        if exec_count is not None:
            error = f"In [{exec_count}]: {error}"
        if tmp_out.exists():
            failed_dir.mkdir(parents=True, exist_ok=True)
            nb = nbformat.read(tmp_out, as_version=4)
            write_notebook(normalise(nb, keep_volatile_outputs=True), failed_dir / path.name)
        tmp_out.unlink(missing_ok=True)
        return ChapterResult(path.name[:2], _rel(path), "failed", round(seconds, 1), error.strip()[:2000], cell,
                             _read_records(record_file))
    finally:
        os.environ.pop(RECORD_ENV, None)
    seconds = time.perf_counter() - start
    executed = nbformat.read(tmp_out, as_version=4)
    tmp_out.unlink(missing_ok=True)
    write_notebook(normalise(executed, keep_volatile_outputs=True), executed_dir / path.name)
    if write_back:
        write_notebook(normalise(executed), path)
    return ChapterResult(path.name[:2], _rel(path), "ok", round(seconds, 1), records=_read_records(record_file))


def _read_records(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name


def _execute_in_worker(kwargs: dict[str, Any]) -> ChapterResult:
    return execute_chapter(**kwargs)


def chapter_seconds(manifest: Path) -> dict[str, float]:
    """Each chapter's seconds in the last full (not ``--quick``) run that executed it, from ``manifest.json``
    (its ``seconds_by_chapter``, kept across ``--only`` runs); empty when there is no readable manifest."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in data.get("seconds_by_chapter", {}).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def longest_first(chapters: list[Path], manifest: Path) -> list[Path]:
    """``chapters`` ordered by :func:`chapter_seconds`, longest first.

    With several jobs the run ends when its last chapter does; starting the long chapters first keeps a
    long one from starting last (chapters never timed go first, then file order).
    """
    seconds = chapter_seconds(manifest)
    return sorted(chapters, key=lambda p: -seconds.get(p.name[:2], float("inf")))


def run_chapters(chapters: list[Path], *, jobs: int, quick: bool, fail_fast: bool, home: Path,
                 results: Path, write_back: bool, echo=print) -> list[ChapterResult]:
    """Execute ``chapters`` (in parallel when ``jobs`` > 1, longest first as the last run in ``results``
    measured them), printing one progress line per chapter; results come back in the order given."""
    common = dict(quick=quick, home=home, failed_dir=results / "failed", executed_dir=results / "executed",
                  write_back=write_back)
    done: list[ChapterResult] = []

    def report(result: ChapterResult) -> None:
        done.append(result)
        line = f"[{len(done)}/{len(chapters)}] {result.notebook:<42} {result.status:<6} {result.seconds:6.1f} s"
        if result.status != "ok":
            where = f"cell {result.cell}" if result.cell is not None else "before the first cell"
            line += f"\n      {result.notebook}, {where}: {result.error.splitlines()[0] if result.error else ''}"
        echo(line, flush=True)

    if jobs <= 1:
        for path in chapters:
            echo(f"      running {path.name} ...", flush=True)
            report(execute_chapter(path, **common))
            if fail_fast and done[-1].status != "ok":
                break
    else:
        context = multiprocessing.get_context("spawn")
        with futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            pending = {pool.submit(_execute_in_worker, dict(path=p, **common)): p
                       for p in longest_first(chapters, results / "manifest.json")}
            for future in futures.as_completed(pending):
                report(future.result())
                if fail_fast and done[-1].status != "ok":
                    for other in pending:
                        other.cancel()
                    break
    order = {p.name[:2]: i for i, p in enumerate(chapters)}
    return sorted(done, key=lambda r: order[r.chapter])


# ---------------------------------------------------------------------------------------------- results
def git_commit(repo: Path) -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False).stdout.strip()

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def write_results(results_dir: Path, chapter_results: list[ChapterResult], *, quick: bool, seconds: float,
                  repo: Path) -> dict[str, Any]:
    """Write ``manifest.json`` and ``SUMMARY.md`` into ``results_dir``; returns the manifest."""
    results_dir.mkdir(parents=True, exist_ok=True)
    by_chapter = chapter_seconds(results_dir / "manifest.json")
    if not quick:
        by_chapter.update({r.chapter: r.seconds for r in chapter_results if r.status == "ok"})
    manifest = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": git_commit(repo),
        "quick": quick,
        "total_seconds": round(seconds, 1),
        "packages": package_versions(),
        "chapters": [asdict(r) for r in chapter_results],
        "seconds_by_chapter": dict(sorted(by_chapter.items())),
    }
    (results_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                               encoding="utf-8")
    lines = ["# Workbook run", "", f"- commit: `{manifest['git']['commit']}`"
             f"{' (with uncommitted changes)' if manifest['git']['dirty'] else ''}",
             f"- quick mode: {quick}", f"- total: {seconds:.1f} s", "",
             "| chapter | notebook | status | seconds | recorded results |", "|---|---|---|---:|---|"]
    for r in chapter_results:
        recs = "; ".join(f"{k} = {json.dumps(v)}" for k, v in sorted(r.records.items()))
        first_line = ((r.error or "").splitlines() or [""])[0]
        status = r.status if r.status == "ok" else f"**{r.status}** (cell {r.cell}: {first_line})"
        lines.append(f"| {r.chapter} | {r.notebook} | {status} | {r.seconds:.1f} | {recs} |")
    (results_dir / "SUMMARY.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def _table(chapter_results: list[ChapterResult]) -> str:
    rows = [f"{'chapter':<8}{'notebook':<44}{'status':<8}{'seconds':>8}"]
    rows += [f"{r.chapter:<8}{r.notebook:<44}{r.status:<8}{r.seconds:>8.1f}" for r in chapter_results]
    return "\n".join(rows)


# -------------------------------------------------------------------------------------------------- CLI
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_all.py", description="Re-execute the workbook chapters with papermill and collect results.")
    parser.add_argument("--only", help="comma-separated chapter numbers, e.g. 00,02")
    parser.add_argument("--jobs", type=int, default=1, help="chapters executed in parallel (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help="inject QUICK=True (smaller data, fewer trials): a smoke run; the committed "
                             "notebooks are left as they are, executed copies go to results/executed")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failing chapter")
    parser.add_argument("--student", metavar="DIR", type=Path,
                        help="write the student edition into DIR (solutions -> ____, outputs cleared) and "
                             "check that it executes (in quick mode, into results/student)")
    parser.add_argument("--no-verify", action="store_true", help="with --student: write only, do not execute")
    parser.add_argument("--force", action="store_true",
                        help="with --student: replace notebooks that already exist in DIR (each old file is "
                             "kept as NAME.ipynb.bak, NAME.ipynb.bak1, ...)")
    parser.add_argument("--book", action="store_true",
                        help="render the executed chapters (as committed, nothing re-executed) into a static "
                             "web book in results/book/ (Sphinx + myst-nb, offline)")
    parser.add_argument("--grade", metavar="SUBMISSIONS", type=Path,
                        help="grade every student's notebooks (one folder per student) into results/grades.csv "
                             "and results/grades/<student>.md; the students' files are never modified")
    parser.add_argument("--timeout", type=int, default=300,
                        help="with --grade: seconds a notebook may run before it is stopped (default 300)")
    parser.add_argument("--workbook", type=Path, default=Path("workbook"), help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=Path("results"), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """``run_all.py``: 0 every chapter passed, 1 a chapter failed, 2 a bad option (named on stderr)."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except RunnerError as error:
        print(f"run_all.py: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    repo = Path.cwd().resolve()
    workbook = args.workbook.resolve()
    if not workbook.is_dir():
        raise RunnerError(f"no workbook folder at {args.workbook} (run it from the repository root)")
    if args.jobs < 1:
        raise RunnerError(f"--jobs must be at least 1, got {args.jobs}")
    if (args.force or args.no_verify) and not args.student:
        raise RunnerError("--force and --no-verify go with --student DIR")
    results = args.results.resolve()
    if args.book:
        from mlops_edu.workbook.book import build_book

        index = build_book(workbook, results / "book", chapters=find_chapters(workbook, args.only))
        print(f"web book: {_rel(index)} (open it in a browser, or serve results/book/ with any static server)")
        return 0
    if args.grade is not None:
        return grade_submissions(args.grade, results=results, timeout=args.timeout,
                                 sanitize=workbook / "nbval_sanitize.cfg")
    home = Path(os.environ.get(HOME_ENV) or repo).resolve()
    chapters = find_chapters(workbook, args.only)
    if not chapters:
        raise RunnerError(f"no chapter notebooks NN_*.ipynb in {args.workbook}")
    start = time.perf_counter()
    if args.student:
        written = student_edition_into(chapters, args.student.resolve(), workbook=workbook, force=args.force)
        print(f"student edition: {len(written)} notebooks written to {args.student}")
        if args.no_verify:
            return 0
        print("checking that the student edition executes (quick mode, in a scratch workspace) ...")
        with tempfile.TemporaryDirectory(prefix="mlops-edu-student-") as scratch:
            chapter_results = run_chapters(written, jobs=args.jobs, quick=True, fail_fast=args.fail_fast,
                                           home=Path(scratch), results=results / "student", write_back=False)
    else:
        write_back = not args.quick
        chapter_results = run_chapters(chapters, jobs=args.jobs, quick=args.quick, fail_fast=args.fail_fast,
                                       home=home, results=results, write_back=write_back)
        write_results(results, chapter_results, quick=args.quick, seconds=time.perf_counter() - start, repo=repo)
    print()
    print(_table(chapter_results))
    failed = [r for r in chapter_results if r.status != "ok"]
    skipped = len(chapters) - len(chapter_results)
    print(f"\n{len(chapter_results) - len(failed)} passed, {len(failed)} failed"
          + (f", {skipped} not run (--fail-fast)" if skipped else "")
          + f" in {time.perf_counter() - start:.1f} s")
    for r in failed:
        print(f"FAILED {r.notebook} cell {r.cell}: {r.error}", file=sys.stderr)
        print(f"       the committed notebook is unchanged; the executed copy is in "
              f"{_rel(results / ('student' if args.student else '') / 'failed' / Path(r.notebook).name)}",
              file=sys.stderr)
    return 1 if failed or skipped else 0


if __name__ == "__main__":
    sys.exit(main())
