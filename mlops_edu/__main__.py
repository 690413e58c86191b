"""Command line of the workbook: ``python -m mlops_edu <command>``.

``lab`` runs the end-to-end lab of lecture section 10 as a headless job ("deploy code, not notebooks"):
Delta tables -> MLflow runs with dataset lineage -> registry (``@Challenger``) -> validation and promotion
(``@Champion``) -> batch inference into ``mlops_churn_predictions``. It prints one JSON object on stdout.

Examples::

    python -m mlops_edu lab --workspace /tmp/lab                       # generated Telco-schema data
    python -m mlops_edu lab --data WA_Fn-UseC_-Telco-Customer-Churn.csv --workspace /tmp/lab
    python -m mlops_edu lab --workspace /tmp/lab --f1-threshold 0.8    # the lecture's wish: refused

Exit codes: 0 the job ran (promoted or not: see ``"promoted"`` and ``"reason"``), 2 bad input (a CSV that
does not fit the Telco schema, a bad option; nothing is registered), 1 any other failure.

``monitor`` compares a batch with the baseline (lecture 5.3) and prints the drift table, one row per column
(``--json`` for one JSON object), so that a scheduler can run it as a job::

    python -m mlops_edu monitor --reference training.csv --current 2024-07.csv

Exit codes: 0 no dataset drift, 3 dataset drift, 2 bad input (a missing or unreadable file, columns or
types that differ between the two files, a bad option).
"""

from __future__ import annotations

import argparse
import json
import sys
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
    lab.add_argument("--f1-threshold", default="business", metavar="F1",
                     help="F1 the Challenger must reach on held-out rows: a number in [0, 1] (the lecture's "
                          "example is 0.8) or 'business' (default): 0.4, the F1 that guarantees the "
                          "break-even precision 500/2000 of the discount campaign")
    lab.add_argument("--engine", choices=("pandas", "spark"), default="pandas",
                     help="batch inference engine (spark needs the spark extra and Java 17)")
    lab.add_argument("--seed", type=int, default=4, help="seed of the generated data and the models (default 4)")
    lab.add_argument("--rows", type=int, default=7043,
                     help="customers to generate when --data is not given (default 7043, the real file's size)")
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
    from mlops_edu.lab.job import run_lab

    summary = run_lab(args.data, args.workspace, f1_threshold=args.f1_threshold, engine=args.engine,
                      seed=args.seed, n=args.rows)
    print(json.dumps(summary, indent=2, sort_keys=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 bad input, 1 other failure)."""
    args = _parser().parse_args(argv)
    if args.command == "monitor":
        return _monitor(args)
    try:
        if args.command == "lab":
            if args.rows < 100:
                raise ValueError(f"--rows must be at least 100, got {args.rows}")
            return _lab(args)
    except ValueError as error:  # SchemaError, LabError, InferenceError: bad input, named in the message
        note = " (nothing was written or registered)" if _is_input_error(error) else ""
        print(f"error: {error}{note}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - a job reports the failure and exits non-zero
        print(f"error: the lab failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 1


def _is_input_error(error: Exception) -> bool:
    from mlops_edu.data.schema import SchemaError

    return isinstance(error, SchemaError)


if __name__ == "__main__":
    sys.exit(main())
