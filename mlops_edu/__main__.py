"""Command line of the workbook: ``python -m mlops_edu <command>``.

``serve`` serves a lab workspace's ``@Champion`` over HTTP on 127.0.0.1 (``mlflow models serve``) until
Ctrl+C or SIGTERM: ``python -m mlops_edu serve --workspace DIR [--alias Champion] [--port N]``.

``lab`` runs the end-to-end lab of lecture section 10 as a headless job ("deploy code, not notebooks"):
Delta tables -> MLflow runs with dataset lineage -> registry (``@Challenger``) -> validation and promotion
(``@Champion``) -> batch inference into ``mlops_churn_predictions``. It prints one JSON object on stdout.

Examples::

    python -m mlops_edu lab --workspace /tmp/lab                       # generated Telco-schema data
    python -m mlops_edu lab --data WA_Fn-UseC_-Telco-Customer-Churn.csv --workspace /tmp/lab
    python -m mlops_edu lab --workspace /tmp/lab --f1-threshold 0.8    # the lecture's F1 floor: refused

Exit codes of ``lab``: 0 the job ran (promoted or not: see ``"promoted"`` and ``"reason"``); 2 bad input
(a bad option, a CSV that does not fit the Telco schema, too few rows or churners to learn from), checked
before anything is written; 1 a failure after the workspace was touched, whose traceback is in the
workspace log named on stderr.

``monitor`` compares a batch with the baseline (lecture 5.3) and prints the drift table, one row per column
(``--json`` for one JSON object), so that a scheduler can run it as a job::

    python -m mlops_edu monitor --reference training.csv --current 2024-07.csv

Exit codes: 0 no dataset drift, 3 dataset drift, 2 bad input (a missing or unreadable file, columns or
types that differ between the two files, a bad option).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlops_edu",
                                     description="Command line of the mlops-workbook helper package.")
    commands = parser.add_subparsers(dest="command", required=True)
    lab = commands.add_parser(
        "lab", help="run the end-to-end lab (lecture 10) as a job and print one JSON object",
        description="Steps 1-5 of the lab without Jupyter: Delta tables, MLflow tracking with dataset "
                    "lineage, registry aliases, validation, promotion and batch inference.")
    lab.add_argument("--data", metavar="PATH.csv", default=None,
                     help="a CSV with the IBM Telco Customer Churn schema (the public file works unchanged); "
                          "default: generated Telco-schema data")
    lab.add_argument("--workspace", metavar="DIR", required=True,
                     help="folder for the MLflow store, the Delta tables and the logs; run the job again in "
                          "the same folder to compare a new Challenger with the Champion")
    lab.add_argument("--f1-threshold", default=None, metavar="F1",
                     help="an F1 floor the Challenger must also reach on held-out rows, e.g. the lecture's 0.8 "
                          "(default: none; the dollar gate decides)")
    lab.add_argument("--min-gain-usd", type=float, default=0.0, metavar="USD",
                     help="margin in dollars per held-out customer: promote only when the 95%% paired-bootstrap "
                          "interval of the gain over the Champion (or over the best policy without a model) has "
                          "its lower bound above it (default 0)")
    lab.add_argument("--min-gain-f1", type=float, default=0.0, metavar="F1",
                     help="the same margin for the gain in F1 (default 0)")
    lab.add_argument("--engine", choices=("pandas", "spark"), default="pandas",
                     help="batch inference engine (spark needs the spark extra and Java 17)")
    lab.add_argument("--seed", type=int, default=4, help="seed of the generated data and the models (default 4)")
    lab.add_argument("--rows", type=int, default=7043,
                     help="customers to generate when --data is not given (default 7043, the real file's size)")
    _add_serve_parser(commands)
    _add_monitor(commands)
    return parser


def _add_monitor(commands: argparse._SubParsersAction) -> None:
    monitor = commands.add_parser(
        "monitor", help="compare a batch with the baseline (lecture 5.3): drift table, exit 3 on dataset drift",
        description="Per-column drift tests of CURRENT against REFERENCE (Evidently's default rule: p-value "
                    "tests up to 1,000 reference rows, distances above; the dataset drifts when at least half "
                    "the columns drift). Exit codes: 0 no dataset drift, 3 dataset drift, 2 bad input.")
    monitor.add_argument("--reference", metavar="A.csv", required=True,
                         help="the baseline, e.g. the training data (files with the Telco columns are read and "
                              "validated as Telco data; any other CSV is read as it is)")
    monitor.add_argument("--current", metavar="B.csv", required=True, help="the batch to check")
    monitor.add_argument("--columns", metavar="COL,COL", default=None,
                         help="comma-separated columns to compare (default: every column but customerID and Churn)")
    monitor.add_argument("--drift-share", type=float, default=0.5, metavar="SHARE",
                         help="dataset drift when at least this share of the columns drifts (default 0.5)")
    monitor.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def _monitor(args: argparse.Namespace) -> int:
    from mlops_edu.monitoring.cli import run_monitor

    return run_monitor(args.reference, args.current, columns=args.columns, drift_share=args.drift_share,
                       as_json=args.json)


def _lab(args: argparse.Namespace) -> int:
    """Check the input (exit 2, nothing written), run the job (exit 1 names the log), print strict JSON."""
    from mlops_edu.lab.job import check_input, run_job, strict_json

    try:
        job = check_input(args.data, args.workspace, f1_threshold=args.f1_threshold, min_gain_usd=args.min_gain_usd,
                          min_gain_f1=args.min_gain_f1, engine=args.engine, seed=args.seed, n=args.rows)
    except ValueError as error:  # SchemaError, LabError: bad input, named in the message
        print(f"error: {error} (nothing was written or registered)", file=sys.stderr)
        return 2
    try:
        summary = run_job(job)
    except Exception as error:  # noqa: BLE001 - a job reports the failure and exits non-zero
        log = _log_traceback(job.workspace)
        print(f"error: the lab failed after writing to {job.workspace}: {type(error).__name__}: {error}\n"
              f"the traceback is in {log}", file=sys.stderr)
        return 1
    print(strict_json(summary, indent=2))
    return 0


def _log_traceback(workspace: Path) -> Path:
    """Append the current exception's traceback to the workspace log; return the log's path."""
    import traceback

    log = Path(workspace).expanduser().resolve() / "logs" / "chapter.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("python -m mlops_edu lab failed:\n" + traceback.format_exc())
    return log


def _add_serve_parser(commands: argparse._SubParsersAction) -> None:
    """``serve``: the real-time scoring server of a lab workspace (lecture 5.2)."""
    from mlops_edu.deployment.serve_workspace import DEFAULT_PORT

    serve = commands.add_parser(
        "serve", help="serve a lab workspace's model over HTTP on 127.0.0.1 (mlflow models serve)",
        description="Start `mlflow models serve` for models:/<model>@<alias> of a workspace made by "
                    "`python -m mlops_edu lab --workspace DIR` (or chapter 09's workspaces/09); print the URL "
                    "and a curl example; stop cleanly on Ctrl+C or SIGTERM.")
    serve.add_argument("--workspace", metavar="DIR", required=True, help="the workspace folder (holds mlflow.db)")
    serve.add_argument("--alias", default="Champion", help="registry alias to serve (case-sensitive; default Champion)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument("--model", default=None, metavar="NAME",
                       help="registered model name (default: the lab's workbook.mlops.mlops_churn)")


def _serve(args: argparse.Namespace) -> int:
    from mlops_edu.deployment.registry import MODEL_NAME
    from mlops_edu.deployment.serve_workspace import WorkspaceError, serve_workspace

    if not 0 <= args.port <= 65535:
        print(f"error: --port must be between 0 and 65535, got {args.port}", file=sys.stderr)
        return 2
    try:
        return serve_workspace(args.workspace, alias=args.alias, port=args.port, name=args.model or MODEL_NAME)
    except WorkspaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code of the sub-command (each documents its own codes)."""
    args = _parser().parse_args(argv)
    handlers = {"lab": _lab, "serve": _serve, "monitor": _monitor}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
