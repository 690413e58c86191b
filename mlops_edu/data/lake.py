"""Delta tables for the workbook: write, append, time travel, history, lineage, pseudonymisation.

Lecture sections served: 5.1 (the training pipeline reads a *versioned* table), 9/10 (the lab's
five steps on Delta tables), 4 (governance: PII never reaches training).

Everything uses ``deltalake`` (delta-rs, no JVM). Tables are folders (``ws.table("customers")``).

* :func:`write_table` writes a pandas frame (``mode="overwrite"`` or ``"append"``) and returns the new
  version number (0 for the first write).
* :func:`read_table` reads the latest or a given ``version`` (time travel) and returns the **same
  canonical dtypes** that were written (pandas "str" for strings, ``int64``, ``float64``, ``bool``,
  ``datetime64[us]``); the index is not stored (a RangeIndex comes back).
* :func:`table_history` lists the versions (version, operation, mode, rows added, timestamp).
* :func:`dataset_source` gives the MLflow ``DeltaDatasetSource`` of a table version, for
  ``mlflow.data.from_pandas(df, source=...)`` + ``mlflow.log_input`` (dataset lineage in the run).
* :func:`pseudonymise` replaces identifiers by a keyed hash (governance, lecture 4.5).

The bronze -> training flow of the lab lives in :mod:`mlops_edu.lab.tables` (one flow, not two).

Example::

    >>> from mlops_edu.data import make_customers
    >>> v = write_table(make_customers(100, seed=0), "/tmp/lake/customers")   # doctest: +SKIP
    >>> read_table("/tmp/lake/customers", version=v).shape                   # doctest: +SKIP
    (100, 24)
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from mlops_edu.data.schema import STRING_DTYPE


def _to_arrow(df: pd.DataFrame) -> pa.Table:
    """pandas -> Arrow with stable types: strings as large_string, datetimes as timestamp[us]."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"write_table expects a pandas DataFrame, got {type(df).__name__}")
    if df.columns.duplicated().any():
        raise ValueError(f"duplicated column names: {sorted(set(df.columns[df.columns.duplicated()]))}")
    fields, arrays = [], []
    for col in df.columns:
        s = df[col]
        name = str(col)
        if isinstance(s.dtype, pd.StringDtype):
            arr = pa.array(s.array).cast(pa.large_string())
        elif s.dtype == object:
            kind = pd.api.types.infer_dtype(s, skipna=True)
            if kind not in ("string", "empty"):
                raise ValueError(f"column {name!r}: mixed types ({kind}); cast it before writing")
            arr = pa.array(s.astype(STRING_DTYPE).array).cast(pa.large_string())
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            if getattr(s.dtype, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            arr = pa.array(s.astype("datetime64[us]").to_numpy(), type=pa.timestamp("us"))
        elif isinstance(s.dtype, pd.CategoricalDtype):
            arr = pa.array(s.astype(STRING_DTYPE).to_numpy(dtype=object, na_value=None), type=pa.large_string())
        else:
            arr = pa.array(s.to_numpy())
        fields.append(pa.field(name, arr.type))
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas with the canonical dtypes (str / int64 / float64 / bool / datetime64[us])."""
    cols = {}
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
            cols[name] = pd.Series(col.to_pylist() if col.null_count == len(col) else
                                   col.cast(pa.large_string()).to_pandas(), dtype=STRING_DTYPE)
        elif pa.types.is_timestamp(t):
            s = col.to_pandas()
            if getattr(s.dtype, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            cols[name] = s.astype("datetime64[us]")
        elif pa.types.is_integer(t):
            cols[name] = col.to_pandas().astype("int64") if col.null_count == 0 else col.to_pandas().astype("float64")
        elif pa.types.is_floating(t):
            cols[name] = col.to_pandas().astype("float64")
        else:
            cols[name] = col.to_pandas()
    return pd.DataFrame(cols, columns=table.column_names)


def write_table(df: pd.DataFrame, path: str | Path, mode: str = "overwrite") -> int:
    """Write ``df`` as a Delta table version and return the new version number (lecture 10.2, lab step 1).

    Parameters
    ----------
    df : pandas.DataFrame
        The frame (its index is not stored; object columns must hold strings only).
    path : str or pathlib.Path
        The table folder (created if needed).
    mode : {"overwrite", "append"}
        ``"overwrite"`` (new version replaces the data; the schema may change) or ``"append"`` (rows
        added; the schema must match).

    Returns
    -------
    int
        The table version just written (0, 1, 2, ...).

    Raises
    ------
    TypeError
        When ``df`` is not a DataFrame.
    ValueError
        For an unknown mode, duplicated or mixed-type columns, or a write that Delta refuses.

    Example::

        >>> write_table(make_customers(10), ws.table("customers"))          # doctest: +SKIP
        0
    """
    from deltalake import write_deltalake

    if mode not in ("overwrite", "append"):
        raise ValueError(f"mode must be 'overwrite' or 'append', got {mode!r}")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    table = _to_arrow(df)
    kwargs: dict[str, Any] = {"schema_mode": "overwrite"} if mode == "overwrite" else {}
    try:
        write_deltalake(str(path), table, mode=mode, **kwargs)
    except Exception as exc:  # deltalake raises its own error types; name the table and the mode
        raise ValueError(f"could not {mode} Delta table {path.name!r}: {exc}") from exc
    return table_version(path)


def table_version(path: str | Path) -> int:
    """Latest version number of the Delta table at ``path``.

    Parameters
    ----------
    path : str or pathlib.Path
        The table folder.

    Returns
    -------
    int

    Raises
    ------
    FileNotFoundError
        When there is no Delta table at ``path``.
    """
    from deltalake import DeltaTable

    return int(DeltaTable(str(_existing(path))).version())


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not (path / "_delta_log").is_dir():
        raise FileNotFoundError(f"no Delta table at {path} (missing _delta_log); write_table() it first")
    return path


def read_table(path: str | Path, version: int | None = None) -> pd.DataFrame:
    """Read the latest or a given version of a Delta table (time travel, lecture 10.1).

    Parameters
    ----------
    path : str or pathlib.Path
        The table folder.
    version : int or None
        ``None`` for the latest, else a version number from :func:`write_table` / history.

    Returns
    -------
    pandas.DataFrame
        With the dtypes that were written and a RangeIndex.

    Raises
    ------
    FileNotFoundError
        When there is no Delta table at ``path``.
    ValueError
        When ``version`` is not an existing version number.

    Example::

        >>> read_table(ws.table("customers"), version=0).shape              # doctest: +SKIP
        (10, 24)
    """
    from deltalake import DeltaTable

    path = _existing(path)
    latest = int(DeltaTable(str(path)).version())
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, (int, np.integer)) or not 0 <= version <= latest:
            raise ValueError(f"table {path.name!r} has versions 0..{latest}; got version={version!r}")
        dt = DeltaTable(str(path), version=int(version))
    else:
        dt = DeltaTable(str(path))
    return _to_pandas(dt.to_pyarrow_table())


def table_history(path: str | Path) -> pd.DataFrame:
    """The versions of a Delta table, oldest first (lecture 10.3: which data trained which model?).

    Parameters
    ----------
    path : str or pathlib.Path
        The table folder.

    Returns
    -------
    pandas.DataFrame
        ``version`` (int), ``operation`` ("WRITE", ...), ``mode`` ("Overwrite"/"Append"), ``rows_added``
        (int, -1 if unknown), ``timestamp`` (datetime64[ms], UTC; varies between runs: do not print it in
        a checked notebook output).

    Raises
    ------
    FileNotFoundError
        When there is no Delta table at ``path``.
    """
    from deltalake import DeltaTable

    hist = DeltaTable(str(_existing(path))).history()
    rows = []
    for h in hist:
        metrics = h.get("operationMetrics") or {}
        rows.append({
            "version": int(h.get("version", -1)),
            "operation": str(h.get("operation", "")),
            "mode": str((h.get("operationParameters") or {}).get("mode", "")),
            "rows_added": int(metrics.get("num_added_rows", -1)),
            "timestamp": pd.Timestamp(int(h.get("timestamp", 0)), unit="ms"),
        })
    out = pd.DataFrame(rows, columns=["version", "operation", "mode", "rows_added", "timestamp"])
    out = out.sort_values("version", ignore_index=True)
    for c in ("operation", "mode"):
        out[c] = out[c].astype(STRING_DTYPE)
    return out


def dataset_source(path: str | Path, version: int | None = None):
    """MLflow lineage source of a Delta table version (lecture 5.1: log which data trained the model).

    Parameters
    ----------
    path : str or pathlib.Path
        The table folder (stored as an absolute path).
    version : int or None
        Table version (default: the latest).

    Returns
    -------
    mlflow.data.delta_dataset_source.DeltaDatasetSource
        Use it as ``mlflow.log_input(mlflow.data.from_pandas(df, source=src, name="customers"),
        context="training")``. Note: MLflow 3.17 omits a version of 0 when it serialises the source (its
        ``to_dict`` tests the version for truth), so the run shows the path only for version 0.

    Raises
    ------
    FileNotFoundError
        When there is no Delta table at ``path``.
    ValueError
        When ``version`` is not an existing version number.
    """
    from mlflow.data.delta_dataset_source import DeltaDatasetSource

    path = _existing(path).resolve()
    latest = table_version(path)
    if version is None:
        version = latest
    if isinstance(version, bool) or not isinstance(version, (int, np.integer)) or not 0 <= version <= latest:
        raise ValueError(f"table {path.name!r} has versions 0..{latest}; got version={version!r}")
    return DeltaDatasetSource(path=str(path), delta_table_version=int(version))


# ----------------------------------------------------------------------------------------------------
# Governance: pseudonymisation
# ----------------------------------------------------------------------------------------------------


def pseudonymise(values: pd.Series, key: str | bytes, length: int = 16) -> pd.Series:
    """Replace identifiers by a keyed hash (HMAC-SHA256, hex, ``length`` characters) (lecture 4).

    The same id and key always give the same pseudonym (joins still work); without the key nobody
    can recompute or reverse it (unlike a plain hash of a guessable id). Missing values stay missing.

    Parameters
    ----------
    values : pandas.Series
        Identifiers (any values; hashed as ``str(value)``).
    key : str or bytes
        The secret key (non-empty).
    length : int
        Hex characters kept, 8 to 64.

    Returns
    -------
    pandas.Series
        String dtype, same index as ``values``.

    Raises
    ------
    ValueError
        For an empty key or a length outside 8..64.

    Example::

        >>> pseudonymise(pd.Series(["7590-VHVEG"]), key="course-secret").str.len().tolist()
        [16]
    """
    if isinstance(key, str):
        key = key.encode()
    if not key:
        raise ValueError("pseudonymise needs a non-empty secret key")
    if not 8 <= int(length) <= 64:
        raise ValueError(f"length must be in 8..64 hex characters, got {length}")
    vals = pd.Series(values).to_numpy(dtype=object)
    out = np.array([None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                    else hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:length] for v in vals],
                   dtype=object)
    return pd.Series(out, index=getattr(values, "index", None), dtype=STRING_DTYPE)


@dataclass(frozen=True)
class TableRef:
    """A Delta table version: ``path`` (folder), ``version``, ``rows``."""

    name: str
    path: Path
    version: int
    rows: int
