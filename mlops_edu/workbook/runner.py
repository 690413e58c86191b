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

Executing the chapters is :mod:`mlops_edu.workbook.execution`; its public names are importable from here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlops_edu.workbook.editions import RunnerError, grade_submissions, student_edition_into
from mlops_edu.workbook.execution import (  # noqa: F401 - the execution names stay importable from here
    ChapterResult,
    _rel,
    chapter_seconds,
    ensure_kernel,
    execute_chapter,
    longest_first,
    run_chapters,
)
from mlops_edu.workbook.notebooks import CHAPTER_RE
from mlops_edu.workbook.packages import package_versions
from mlops_edu.workbook.workspace import HOME_ENV


# --------------------------------------------------------------------------------------------- finding
def parse_only(only: str) -> set[str]:
    """Chapter numbers of ``--only`` ("0,2" or "00,02") as two-digit strings.

    Parameters
    ----------
    only : str
        Comma-separated chapter numbers of one or two digits (spaces ignored).

    Returns
    -------
    set of str

    Raises
    ------
    RunnerError
        When a token is not a chapter number, or none is given.

    Example
    -------
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
    """The chapter notebooks ``NN_*.ipynb`` of ``workbook`` in order, filtered by ``only`` ("00,02").

    Parameters
    ----------
    workbook : Path
        The folder of the chapters.
    only : str or None
        As in :func:`parse_only`; None or empty: every chapter.

    Returns
    -------
    list of Path

    Raises
    ------
    RunnerError
        When ``only`` is not a list of chapter numbers or names a chapter ``workbook`` does not have.
    """
    chapters = sorted(p for p in workbook.glob("*.ipynb") if CHAPTER_RE.match(p.name))
    if only:
        wanted = parse_only(only)
        unknown = wanted - {p.name[:2] for p in chapters}
        if unknown:
            raise RunnerError(f"--only: no chapter {', '.join(sorted(unknown))} in {workbook.name}/ "
                              f"(have {', '.join(p.name[:2] for p in chapters)})")
        chapters = [p for p in chapters if p.name[:2] in wanted]
    return chapters



# ---------------------------------------------------------------------------------------------- results
def git_commit(repo: Path) -> dict[str, Any]:
    """``{"commit": HEAD's hash or None, "dirty": uncommitted changes?}`` of the repository ``repo``."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False).stdout.strip()

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def write_results(results_dir: Path, chapter_results: list[ChapterResult], *, quick: bool, seconds: float,
                  repo: Path) -> dict[str, Any]:
    """Write ``manifest.json`` and ``SUMMARY.md`` into ``results_dir``; returns the manifest.

    Parameters
    ----------
    results_dir : Path
        Created if needed.
    chapter_results : list of ChapterResult
        The chapters of this run.
    quick : bool
        A ``--quick`` run (its times do not update ``seconds_by_chapter``).
    seconds : float
        Wall time of the whole run.
    repo : Path
        The repository whose commit is recorded.

    Returns
    -------
    dict
        Python, platform, git commit, quick, total seconds, package versions, the chapters and
        ``seconds_by_chapter`` (kept from the previous manifest, updated by the passing chapters).
    """
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
    """The command line of ``run_all.py`` (``--workbook`` and ``--results`` are hidden options)."""
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
    """``run_all.py``: 0 every chapter passed, 1 a chapter failed, 2 a bad option (named on stderr).

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code (``--book`` and ``--student --no-verify`` return 0 when written; ``--grade`` returns
        what :func:`~mlops_edu.workbook.editions.grade_submissions` does).
    """
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
