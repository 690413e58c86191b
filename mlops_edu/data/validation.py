"""Load the public Telco CSV and validate any customer frame against the schema (lecture 4: data quality).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from mlops_edu.data.parameters import _STATE_CODES
from mlops_edu.data.schema import (
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


_NUMERIC_KINDS = {"SeniorCitizen": "int", "tenure": "int", "age": "int", "MonthlyCharges": "float",
                  "TotalCharges": "float"}


def _parse_number_column(s: pd.Series, col: str, kind: str) -> tuple[pd.Series | None, str | None]:
    """A CSV text column as int64/float64 (blank -> NaN for floats), or the problem that prevents it."""
    blank = s == ""
    num = pd.to_numeric(s.where(~blank), errors="coerce")
    bad = num.isna() & ~blank
    if bad.any():
        return None, f"column {col!r}: not a number in {_rows(bad, s.index)} (e.g. {s[bad].iloc[0]!r})"
    if kind == "float":
        return num.astype(np.float64), None
    if blank.any():
        return None, f"column {col!r}: blank values in {_rows(blank, s.index)}"
    frac = num != np.round(num)
    if frac.any():
        return None, f"column {col!r}: non-integer values in {_rows(frac, s.index)}"
    return num.astype(np.int64), None


def _parse_text_columns(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Strip every cell, then type numbers, dates and strings as in the canonical frame."""
    df = raw.copy()
    problems = []
    for col in df.columns:
        df[col] = df[col].str.strip()
        if col in _NUMERIC_KINDS:
            parsed, problem = _parse_number_column(df[col], col, _NUMERIC_KINDS[col])
            if problem:
                problems.append(problem)
            else:
                df[col] = parsed
        elif col == "signup_date":
            d = pd.to_datetime(df[col].replace("", None), errors="coerce")
            if d.isna().any():
                problems.append(f"column 'signup_date': not a date in {_rows(d.isna(), df.index)}")
            else:
                df[col] = d.astype("datetime64[us]")
        else:
            df[col] = df[col].replace("", np.nan).astype(STRING_DTYPE)
    return df, problems


def load_telco_csv(path: str | Path) -> pd.DataFrame:
    """Read the public IBM Telco CSV (or any CSV of that schema) into the canonical frame (lecture 10.2, lab step 1).

    Blank ``TotalCharges`` strings (the 11 new customers) become NaN; ``SeniorCitizen`` and ``tenure``
    become ``int64``; teaching columns are parsed when present. The result is validated.

    Parameters
    ----------
    path : str | Path
        the CSV file.

    Returns
    -------
    pandas.DataFrame
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
    df, problems = _parse_text_columns(raw)
    if problems:
        raise SchemaError(f"{path}: " + "; ".join(problems))
    try:
        validate_customers(df, require_label="Churn" in df.columns)
    except SchemaError as exc:
        raise SchemaError(f"{path}: {exc}") from None
    order = [c for c in TELCO_COLUMNS + TEACHING_COLUMNS if c in df.columns]
    return df[order].reset_index(drop=True)


def fill_unbilled_total_charges(df: pd.DataFrame) -> pd.DataFrame:
    """The one rule for a blank ``TotalCharges``: a customer with tenure 0 has not been billed yet, so the
    total is 0 (not the median of everybody else). Returns a copy; other blanks are left for validation
    to name.

    Parameters
    ----------
    df : pandas.DataFrame
        Customers with ``tenure`` and ``TotalCharges`` (text or numbers).

    Returns
    -------
    pandas.DataFrame
        ``TotalCharges`` as float (unparseable values become NaN).

    >>> import pandas as pd
    >>> fill_unbilled_total_charges(pd.DataFrame({"tenure": [0, 5], "TotalCharges": [None, 99.5]}))["TotalCharges"].tolist()
    [0.0, 99.5]
    """
    out = df.copy()
    total = pd.to_numeric(out["TotalCharges"], errors="coerce")
    unbilled = total.isna() & (pd.to_numeric(out["tenure"], errors="coerce") == 0)
    out["TotalCharges"] = total.mask(unbilled, 0.0).astype(float)
    return out


def _is_str_col(s: pd.Series) -> bool:
    if isinstance(s.dtype, pd.StringDtype):
        return True
    if s.dtype == object:
        vals = s.dropna()
        return bool(vals.map(lambda v: isinstance(v, str)).all())
    return False


_DTYPE_CHECKS: dict[str, tuple[str, Callable[[pd.Series], bool]]] = {
    "str": ("strings", _is_str_col),
    "int64": ("integers", lambda s: pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)),
    "float64": ("numbers", lambda s: pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)),
    "datetime64[us]": ("datetimes", lambda s: pd.api.types.is_datetime64_any_dtype(s.dtype)),
}
"""dtype family of each canonical dtype: (what the message calls it, the check)."""


@dataclass(frozen=True)
class Rule:
    """One declarative data-quality rule: the typed columns it needs, the rows it flags, its message.

    ``bad(df)`` returns a boolean mask of offending rows; ``message(df, bad)`` names the column and an
    example (the row labels are appended by :func:`validate_customers`). Both may only read columns,
    ``df[name]``: :func:`validate_customers` passes them a view that builds each column once.
    """

    columns: tuple[str, ...]
    bad: Callable[[pd.DataFrame], np.ndarray]
    message: Callable[[pd.DataFrame, np.ndarray], str]


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    return df[name].to_numpy()


def _missing_rule(col: str) -> Rule:
    def bad(df: pd.DataFrame) -> np.ndarray:
        na = df[col].isna().to_numpy()
        return na & (_col(df, "tenure") != 0) if col == "TotalCharges" else na
    what = "missing values (allowed only for tenure 0)" if col == "TotalCharges" else "missing values"
    needs = (col, "tenure") if col == "TotalCharges" else (col,)
    return Rule(needs, bad, lambda df, m: f"column {col!r}: {what}")


def _category_rule(col: str, allowed: tuple[str, ...]) -> Rule:
    label = " (the label must be 'Yes' or 'No')" if col == "Churn" else ""
    return Rule((col,), lambda df: (~df[col].isin(allowed) & df[col].notna()).to_numpy(),
                lambda df, m: f"column {col!r}: unknown value(s) {sorted(set(df[col][m].astype(str)))[:5]}{label}; "
                              f"allowed {list(allowed)}")


def _range_rule(col: str, low: float, high: float, what: str) -> Rule:
    return Rule((col,), lambda df: (_col(df, col) < low) | (_col(df, col) > high),
                lambda df, m: f"column {col!r}: out of range {what} (e.g. {_col(df, col)[m][0]})")


def _charge_rule(col: str, zero_ok: bool) -> Rule:
    def bad(df: pd.DataFrame) -> np.ndarray:
        v = df[col].to_numpy(dtype=float)
        return ~np.isnan(v) & (~np.isfinite(v) | (v < 0) | ((v == 0) & (not zero_ok)))
    return Rule((col,), bad, lambda df, m: f"column {col!r}: negative, zero or infinite charge "
                                           f"(e.g. {df[col].to_numpy(dtype=float)[m][0]})")


def _flag_rule(col: str, flag: str, parent: str, parent_value: str) -> Rule:
    """``col`` holds ``flag`` exactly when ``parent == parent_value`` (checked where both are valid values)."""
    def bad(df: pd.DataFrame) -> np.ndarray:
        mismatch = (_col(df, col) == flag) != (_col(df, parent) == parent_value)
        return mismatch & df[col].isin(CATEGORIES[col]).to_numpy() & df[parent].isin(CATEGORIES[parent]).to_numpy()
    return Rule((col, parent), bad, lambda df, m: f"column {col!r}: {flag!r} must match {parent} == {parent_value!r}")


RULES: tuple[Rule, ...] = (
    *(_missing_rule(c) for c in (*TELCO_COLUMNS, *TEACHING_COLUMNS)),
    *(_category_rule(c, allowed) for c, allowed in CATEGORIES.items()),
    Rule(("SeniorCitizen",), lambda df: ~df["SeniorCitizen"].isin([0, 1]).to_numpy(),
         lambda df, m: f"column 'SeniorCitizen': values must be 0 or 1, got "
                       f"{sorted(set(df['SeniorCitizen'][m].tolist()))[:5]}"),
    _range_rule("tenure", 0, MAX_TENURE, f"0..{MAX_TENURE} months"),
    _charge_rule("MonthlyCharges", zero_ok=False),
    _charge_rule("TotalCharges", zero_ok=True),
    _range_rule("age", 18, 100, "18..100"),
    Rule(("state",), lambda df: (~df["state"].isin(_STATE_CODES) & df["state"].notna()).to_numpy(),
         lambda df, m: f"column 'state': unknown US state code(s) {sorted(set(df['state'][m].astype(str)))[:5]}"),
    *(_flag_rule(c, "No internet service", "InternetService", "No") for c in OPTIONAL_SERVICES),
    _flag_rule("MultipleLines", "No phone service", "PhoneService", "No"),
    Rule(("customerID",), lambda df: df["customerID"].duplicated(keep=False).to_numpy() & df["customerID"].notna().to_numpy(),
         lambda df, m: f"column 'customerID': duplicate id(s) {sorted(set(df['customerID'][m]))[:5]}"),
    Rule(("customerID",), lambda df: (df["customerID"].astype(str).str.strip() == "").to_numpy() & df["customerID"].notna().to_numpy(),
         lambda df, m: "column 'customerID': empty id(s)"),
)
"""The data-quality rules of the Telco schema, in the order their problems are reported (lecture 4: the
data engineer's checks). A rule runs only when every column it needs is present with the right dtype."""


class _Columns:
    """Read-only ``frame[column]`` that builds each column once: the rules ask for the same columns about 130
    times, and on the one-row frames a scoring client checks, building them was most of the cost."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._built: dict[str, pd.Series] = {}

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self._built:
            self._built[name] = self._frame[name]
        return self._built[name]


def _structure_problems(df: pd.DataFrame, require_label: bool, allow_extra: bool) -> tuple[list[str], bool]:
    """Missing/unexpected columns and emptiness; the flag says whether row checks can run at all."""
    cols = [str(c) for c in df.columns]
    dup_cols = sorted({c for c in cols if cols.count(c) > 1})
    if dup_cols:
        raise SchemaError(f"duplicated column name(s) {dup_cols}")
    problems = []
    missing = [c for c in TELCO_COLUMNS if (require_label or c != "Churn") and c not in df.columns]
    if missing:
        problems.append(f"missing column(s) {missing}")
    extra = [c for c in cols if c not in TELCO_COLUMNS and c not in TEACHING_COLUMNS]
    if extra and not allow_extra:
        problems.append(f"unexpected column(s) {extra} (allowed: the 21 Telco columns and {list(TEACHING_COLUMNS)})")
    if len(df) == 0:
        problems.append("the frame is empty (0 rows)")
    return problems, not (missing or len(df) == 0)


def _dtype_problems(df: pd.DataFrame) -> tuple[list[str], set[str]]:
    problems, typed_ok = [], set()
    for col in (c for c in (*TELCO_COLUMNS, *TEACHING_COLUMNS) if c in df.columns):
        kind, check = _DTYPE_CHECKS[CANONICAL_DTYPES[col]]
        if check(df[col]):
            typed_ok.add(col)
        else:
            problems.append(f"column {col!r}: wrong dtype {df[col].dtype} (expected {kind})")
    return problems, typed_ok


def validate_customers(df: pd.DataFrame, *, require_label: bool = True, allow_extra: bool = False) -> pd.DataFrame:
    """Check a customer frame against the Telco schema; raise :class:`SchemaError` naming every problem.

    Checks the structure (a non-empty DataFrame; no missing, unexpected or duplicated columns: teaching
    columns are optional, ``Churn`` too with ``require_label=False``, e.g. for scoring), the dtypes, then
    every rule of :data:`RULES`: no missing values except ``TotalCharges`` of tenure-0 customers; categories
    exactly as published; ``SeniorCitizen`` in {0, 1}; ``tenure`` in 0..72; charges finite and >= 0
    (``MonthlyCharges`` > 0); add-ons "No internet service" exactly when ``InternetService`` is "No";
    ``MultipleLines`` "No phone service" exactly when ``PhoneService`` is "No"; ``customerID`` unique and
    not empty; ``state`` a US state code, ``age`` 18..100. Each message names the culprit column, an
    example value and the first offending rows (index labels).

    Parameters
    ----------
    df : pandas.DataFrame
        The frame to check.
    require_label : bool
        ``Churn`` must be present.
    allow_extra : bool
        Tolerate columns outside the schema (e.g. engineered features).

    Returns
    -------
    pandas.DataFrame
        ``df`` itself (unchanged), so calls can be chained.

    Examples
    --------
    >>> from mlops_edu.data import make_customers
    >>> validate_customers(make_customers(50, seed=0).drop(columns=["tenure"]))
    Traceback (most recent call last):
    ...
    mlops_edu.data.schema.SchemaError: 1 problem(s): missing column(s) ['tenure']
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame, got {type(df).__name__}")
    problems, rows_checkable = _structure_problems(df, require_label, allow_extra)
    if rows_checkable:
        dtype_problems, typed_ok = _dtype_problems(df)
        problems += dtype_problems
        columns = _Columns(df)
        for rule in RULES:
            if set(rule.columns) <= typed_ok:
                bad = np.asarray(rule.bad(columns), dtype=bool)
                if bad.any():
                    problems.append(f"{rule.message(columns, bad)} in {_rows(bad, df.index)}")
    if problems:
        raise SchemaError(f"{len(problems)} problem(s): " + "; ".join(problems))
    return df
