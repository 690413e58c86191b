"""The ``monitor`` job: ``python -m mlops_edu monitor --reference A.csv --current B.csv [--json]`` (lecture 5.3).

A scheduler (cron, Airflow, a CI job) runs it on every new batch: it prints the drift table of
:func:`~mlops_edu.monitoring.drift_report` and its exit code says what happened, so the scheduler can branch on
it: 0 no dataset drift, 3 dataset drift, 2 bad input (the message on stderr names the file, column or option).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from mlops_edu.data.schema import TELCO_COLUMNS, SchemaError

EXIT_OK, EXIT_BAD_INPUT, EXIT_DRIFT = 0, 2, 3


def read_batch(path: str | Path) -> pd.DataFrame:
    """Read a CSV: a file with the Telco columns (``Churn`` optional) through
    :func:`mlops_edu.data.load_telco_csv` (typed and validated), any other CSV with ``pandas.read_csv``.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV file.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    SchemaError
        Naming the file, for a missing, empty or unreadable file (and as ``load_telco_csv`` for a Telco file).
    """
    from mlops_edu.data.validation import load_telco_csv

    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: no such CSV file")
    try:
        header = [c.strip() for c in pd.read_csv(path, nrows=0).columns]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise SchemaError(f"{path}: not a readable CSV ({error})") from None
    if all(c in header for c in TELCO_COLUMNS if c != "Churn"):
        return load_telco_csv(path)
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise SchemaError(f"{path}: not a readable CSV ({error})") from None
    if frame.empty:
        raise SchemaError(f"{path}: the file has no rows")
    return frame


def run_monitor(reference: str | Path, current: str | Path, *, columns: str | None = None,
                drift_share: float = 0.5, as_json: bool = False) -> int:
    """Run the job: print the drift table (or JSON) on stdout and return the exit code (0, 3 or 2).

    Bad input is reported on stderr and gives exit code 2; nothing raises.

    Parameters
    ----------
    reference, current : str or pathlib.Path
        CSV files of the reference and the current batch (:func:`read_batch`).
    columns : str or None
        Comma-separated columns to test; ``None`` for the default of ``drift_report``.
    drift_share : float
        Share of drifting columns, in (0, 1], that counts as dataset drift.
    as_json : bool
        Print the report as JSON instead of a table and a summary.

    Returns
    -------
    int
        ``EXIT_OK`` (0), ``EXIT_DRIFT`` (3) or ``EXIT_BAD_INPUT`` (2).
    """
    from mlops_edu.monitoring.report import drift_report

    try:
        if not 0.0 < drift_share <= 1.0:
            raise ValueError(f"--drift-share must be in (0, 1], got {drift_share}")
        ref, cur = read_batch(reference), read_batch(current)
        chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
        report = drift_report(ref, cur, chosen, drift_share=drift_share)
    except (SchemaError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        table = report.columns.copy()
        table["statistic"] = table["statistic"].map(lambda v: f"{v:.4g}")
        print(table.to_string(index=False))
        print(report.summary())
    return EXIT_DRIFT if report.dataset_drift else EXIT_OK
