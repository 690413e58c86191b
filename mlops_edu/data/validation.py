"""Load the public Telco CSV and validate any customer frame against the schema (lecture 4: data quality).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlops_edu.data.parameters import _STATE_CODES
from mlops_edu.data.schema import (
    _YES_NO,
    CANONICAL_DTYPES,
    CATEGORIES,
    MAX_TENURE,
    OPTIONAL_SERVICES,
    STRING_DTYPE,
    TEACHING_COLUMNS,
    TELCO_COLUMNS,
    SchemaError,
)

# ----------------------------------------------------------------------------------------------------
# Loader and validation
# ----------------------------------------------------------------------------------------------------


def _rows(mask: np.ndarray | pd.Series, index: pd.Index, k: int = 5) -> str:
    idx = list(index[np.asarray(mask, dtype=bool)][:k])
    more = int(np.asarray(mask, dtype=bool).sum()) - len(idx)
    return f"rows {idx}" + (f" (+{more} more)" if more > 0 else "")


def load_telco_csv(path: str | Path) -> pd.DataFrame:
    """Read the public IBM Telco CSV (or any CSV of that schema) into the canonical frame (lecture 9 lab).

    Blank ``TotalCharges`` strings (the 11 new customers) become NaN; ``SeniorCitizen`` and ``tenure``
    become ``int64``; teaching columns are parsed when present. The result is validated.

    Parameters
    ----------
    path: the CSV file.

    Returns
    -------
    The canonical frame (see :data:`CANONICAL_DTYPES`).

    Raises
    ------
    SchemaError naming the file and the culprit columns/rows (missing file, unparsable numbers, ...).

    Example::

        >>> df = load_telco_csv("WA_Fn-UseC_-Telco-Customer-Churn.csv")   # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: no such CSV file")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not a readable CSV ({exc})") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    df = raw.copy()
    problems = []
    for col in df.columns:
        df[col] = df[col].str.strip()
    numeric = {"SeniorCitizen": "int", "tenure": "int", "age": "int", "MonthlyCharges": "float",
               "TotalCharges": "float"}
    for col, kind in numeric.items():
        if col not in df.columns:
            continue
        s = df[col]
        blank = s == ""
        num = pd.to_numeric(s.where(~blank), errors="coerce")
        bad = num.isna() & ~blank
        if bad.any():
            problems.append(f"column {col!r}: not a number in {_rows(bad, df.index)} "
                            f"(e.g. {s[bad].iloc[0]!r})")
            continue
        if kind == "int":
            if blank.any():
                problems.append(f"column {col!r}: blank values in {_rows(blank, df.index)}")
                continue
            if (num != np.round(num)).any():
                frac = num != np.round(num)
                problems.append(f"column {col!r}: non-integer values in {_rows(frac, df.index)}")
                continue
            df[col] = num.astype(np.int64)
        else:
            df[col] = num.astype(np.float64)
    if "signup_date" in df.columns:
        d = pd.to_datetime(df["signup_date"].replace("", None), errors="coerce")
        bad = d.isna()
        if bad.any():
            problems.append(f"column 'signup_date': not a date in {_rows(bad, df.index)}")
        else:
            df["signup_date"] = d.astype("datetime64[us]")
    for col in df.columns:
        if col not in numeric and col != "signup_date":
            df[col] = df[col].replace("", np.nan).astype(STRING_DTYPE)
    if problems:
        raise SchemaError(f"{path}: " + "; ".join(problems))
    try:
        validate_customers(df, require_label="Churn" in df.columns)
    except SchemaError as exc:
        raise SchemaError(f"{path}: {exc}") from None
    order = [c for c in TELCO_COLUMNS + TEACHING_COLUMNS if c in df.columns]
    return df[order].reset_index(drop=True)


def _is_str_col(s: pd.Series) -> bool:
    if isinstance(s.dtype, pd.StringDtype):
        return True
    if s.dtype == object:
        vals = s.dropna()
        return bool(vals.map(lambda v: isinstance(v, str)).all())
    return False


def validate_customers(df: pd.DataFrame, *, require_label: bool = True, allow_extra: bool = False) -> pd.DataFrame:
    """Check a customer frame against the Telco schema; raise :class:`SchemaError` naming every problem.

    Checks: it is a non-empty DataFrame; no missing, unexpected or duplicated columns (teaching columns
    are optional; ``Churn`` is optional with ``require_label=False``, e.g. for scoring); dtypes (strings,
    integers, numbers); no missing values except ``TotalCharges`` of tenure-0 customers; categories
    exactly as published; ``SeniorCitizen`` in {0, 1}; ``tenure`` in 0..72; charges finite and >= 0
    (``MonthlyCharges`` > 0); add-ons "No internet service" exactly when ``InternetService`` is "No";
    ``MultipleLines`` "No phone service" exactly when ``PhoneService`` is "No"; ``customerID`` unique;
    ``Churn`` "Yes"/"No"; ``state`` a US state code, ``age`` 18..100, ``signup_date`` a datetime.
    The message names each culprit column/value and the first offending rows (index labels).

    Parameters
    ----------
    df: the frame to check.
    require_label: ``Churn`` must be present.
    allow_extra: tolerate columns outside the schema (e.g. engineered features).

    Returns
    -------
    ``df`` itself (unchanged), so calls can be chained.

    Example::

        >>> validate_customers(make_customers(50, seed=0).drop(columns=["tenure"]))
        Traceback (most recent call last):
        ...
        mlops_edu.data.SchemaError: 1 problem(s): missing column(s) ['tenure']
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame, got {type(df).__name__}")
    problems: list[str] = []
    cols = [str(c) for c in df.columns]
    dup_cols = sorted({c for c in cols if cols.count(c) > 1})
    if dup_cols:
        raise SchemaError(f"duplicated column name(s) {dup_cols}")
    required = [c for c in TELCO_COLUMNS if require_label or c != "Churn"]
    missing = [c for c in required if c not in df.columns]
    if missing:
        problems.append(f"missing column(s) {missing}")
    extra = [c for c in cols if c not in TELCO_COLUMNS and c not in TEACHING_COLUMNS]
    if extra and not allow_extra:
        problems.append(f"unexpected column(s) {extra} (allowed: the 21 Telco columns and {list(TEACHING_COLUMNS)})")
    if len(df) == 0:
        problems.append("the frame is empty (0 rows)")
    if problems and (missing or len(df) == 0):
        raise SchemaError(f"{len(problems)} problem(s): " + "; ".join(problems))
    idx = df.index
    present = [c for c in list(TELCO_COLUMNS) + list(TEACHING_COLUMNS) if c in df.columns]

    # dtypes
    typed_ok: set[str] = set()
    for col in present:
        s = df[col]
        want = CANONICAL_DTYPES[col]
        if want == "str":
            ok = _is_str_col(s)
            kind = "strings"
        elif want == "int64":
            ok = pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
            kind = "integers"
        elif want == "float64":
            ok = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
            kind = "numbers"
        else:
            ok = pd.api.types.is_datetime64_any_dtype(s.dtype)
            kind = "datetimes"
        if ok:
            typed_ok.add(col)
        else:
            problems.append(f"column {col!r}: wrong dtype {s.dtype} (expected {kind})")

    # missing values
    for col in present:
        if col not in typed_ok:
            continue
        na = df[col].isna().to_numpy()
        if col == "TotalCharges" and "tenure" in typed_ok:
            na = na & (df["tenure"].to_numpy() != 0)
        if na.any():
            what = "missing values (allowed only for tenure 0)" if col == "TotalCharges" else "missing values"
            problems.append(f"column {col!r}: {what} in {_rows(na, idx)}")

    # categories
    for col, allowed in CATEGORIES.items():
        if col in typed_ok:
            s = df[col]
            bad = (~s.isin(allowed) & s.notna()).to_numpy()
            if bad.any():
                vals = sorted(set(s[bad].astype(str)))[:5]
                label = " (the label must be 'Yes' or 'No')" if col == "Churn" else ""
                problems.append(f"column {col!r}: unknown value(s) {vals}{label} in {_rows(bad, idx)}; "
                                f"allowed {list(allowed)}")

    # ranges
    if "SeniorCitizen" in typed_ok:
        bad = ~df["SeniorCitizen"].isin([0, 1]).to_numpy()
        if bad.any():
            problems.append(f"column 'SeniorCitizen': values must be 0 or 1, got "
                            f"{sorted(set(df['SeniorCitizen'][bad].tolist()))[:5]} in {_rows(bad, idx)}")
    if "tenure" in typed_ok:
        t = df["tenure"].to_numpy()
        bad = (t < 0) | (t > MAX_TENURE)
        if bad.any():
            problems.append(f"column 'tenure': out of range 0..{MAX_TENURE} months "
                            f"(e.g. {t[bad][0]}) in {_rows(bad, idx)}")
    for col, low_ok in (("MonthlyCharges", False), ("TotalCharges", True)):
        if col in typed_ok:
            v = df[col].to_numpy(dtype=float)
            bad = ~np.isnan(v) & (~np.isfinite(v) | (v < 0) | ((v == 0) & (not low_ok)))
            if bad.any():
                problems.append(f"column {col!r}: negative, zero or infinite charge (e.g. {v[bad][0]}) in "
                                f"{_rows(bad, idx)}")
    if "age" in typed_ok:
        a = df["age"].to_numpy()
        bad = (a < 18) | (a > 100)
        if bad.any():
            problems.append(f"column 'age': out of range 18..100 (e.g. {a[bad][0]}) in {_rows(bad, idx)}")
    if "state" in typed_ok:
        s = df["state"]
        bad = (~s.isin(_STATE_CODES) & s.notna()).to_numpy()
        if bad.any():
            problems.append(f"column 'state': unknown US state code(s) {sorted(set(s[bad].astype(str)))[:5]} "
                            f"in {_rows(bad, idx)}")

    # consistency between columns
    if {"InternetService", *OPTIONAL_SERVICES} <= typed_ok:
        no_net = (df["InternetService"] == "No").to_numpy()
        for col in OPTIONAL_SERVICES:
            flag = (df[col] == "No internet service").to_numpy()
            bad = (flag != no_net) & df[col].isin(CATEGORIES[col]).to_numpy() & df["InternetService"].isin(
                CATEGORIES["InternetService"]).to_numpy()
            if bad.any():
                problems.append(f"column {col!r}: 'No internet service' must match InternetService == 'No' "
                                f"in {_rows(bad, idx)}")
    if {"PhoneService", "MultipleLines"} <= typed_ok:
        no_phone = (df["PhoneService"] == "No").to_numpy()
        flag = (df["MultipleLines"] == "No phone service").to_numpy()
        bad = (flag != no_phone) & df["MultipleLines"].isin(CATEGORIES["MultipleLines"]).to_numpy() & df[
            "PhoneService"].isin(_YES_NO).to_numpy()
        if bad.any():
            problems.append(f"column 'MultipleLines': 'No phone service' must match PhoneService == 'No' "
                            f"in {_rows(bad, idx)}")

    # ids
    if "customerID" in typed_ok:
        ids = df["customerID"]
        dup = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
        if dup.any():
            problems.append(f"column 'customerID': duplicate id(s) {sorted(set(ids[dup]))[:5]} in {_rows(dup, idx)}")
        empty = (ids.astype(str).str.strip() == "").to_numpy() & ids.notna().to_numpy()
        if empty.any():
            problems.append(f"column 'customerID': empty id(s) in {_rows(empty, idx)}")

    if problems:
        raise SchemaError(f"{len(problems)} problem(s): " + "; ".join(problems))
    return df


