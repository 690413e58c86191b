"""Feature engineering and the preprocessing pipeline (lecture 5.1, "training pipeline"; seed 004).

The lecture's training pipeline turns the raw customer table into model inputs in two steps:

1. **Feature engineering** (:func:`add_features`): new columns a data scientist derives from the raw
   ones, each with a one-line reason (:data:`FEATURE_REASONS`), e.g. the lecture's
   ``num_optional_services``.
2. **Preprocessing** (:func:`build_preprocessor`): a scikit-learn ``ColumnTransformer`` that treats
   boolean, numeric and categorical columns separately (:func:`feature_types` decides which is which),
   imputes blanks, scales numbers and one-hot encodes categories. Categories never seen in training
   (a new payment method next year) are encoded as all-zeros instead of crashing inference.

Both are scikit-learn transformers (:class:`FeatureAdder`, the ``ColumnTransformer``) so that the model
pipeline built by :func:`mlops_edu.training.make_model` accepts the raw 21 Telco columns at inference.

Example
-------
>>> from mlops_edu.training.features import add_features, split_xy, build_preprocessor
>>> X, y = split_xy(add_features(customers))          # doctest: +SKIP
>>> build_preprocessor(X).fit_transform(X).shape      # doctest: +SKIP
(7043, 48)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlops_edu.data.schema import ID_COLUMN, OPTIONAL_SERVICES, TARGET, TEACHING_COLUMNS
from mlops_edu.data.validation import fill_unbilled_total_charges

BOOLEAN_COLUMNS: tuple[str, ...] = ("SeniorCitizen", "Partner", "Dependents", "PhoneService",
                                    "PaperlessBilling", "auto_payment")
NUMERIC_COLUMNS: tuple[str, ...] = ("tenure", "MonthlyCharges", "TotalCharges", "num_optional_services",
                                    "avg_monthly_charge", "age")
CATEGORICAL_COLUMNS: tuple[str, ...] = ("gender", "MultipleLines", "InternetService", *OPTIONAL_SERVICES,
                                        "Contract", "PaymentMethod", "tenure_bucket", "state")
"""Known columns and their kind; columns not listed here are typed by :func:`feature_types` from values."""

ENGINEERED_COLUMNS: tuple[str, ...] = ("num_optional_services", "tenure_bucket", "avg_monthly_charge",
                                       "auto_payment")
FEATURE_REASONS: dict[str, str] = {
    "num_optional_services": "customers who bought more add-ons are more tied in and leave less often",
    "tenure_bucket": "churn risk falls in steps (first year, second year, ...), not along a straight line",
    "avg_monthly_charge": "TotalCharges / tenure: what the customer really paid per month, "
                          "and TotalCharges alone mostly repeats tenure",
    "auto_payment": "customers who pay automatically (bank transfer, credit card) rarely think about "
                    "leaving; electronic-check payers do every month",
}
"""One-line reason for each engineered feature (shown in chapter 02)."""

TENURE_BUCKETS: tuple[tuple[int, int, str], ...] = ((0, 12, "0-12"), (13, 24, "13-24"),
                                                    (25, 48, "25-48"), (49, 10_000, "49+"))

_YES = {"yes", "true", "1", "1.0"}
_NO = {"no", "false", "0", "0.0"}


class FeatureError(ValueError):
    """Bad input to a feature function: the message names the column or value at fault."""


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise FeatureError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FeatureError(f"{what}: missing column(s) {missing}; got columns {list(df.columns)}")


def _per_text(values: np.ndarray, rule: Callable[[str], float], default: float) -> np.ndarray:
    """``rule`` of each value's stripped lower-case text, ``default`` for blanks (one call per distinct value)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([rule(str(u).strip().lower()) for u in uniques] + [default], dtype=float)
    return mapped[codes]  # code -1 (a blank) picks the trailing default


def _lookup(values: np.ndarray, table: dict[str, float], default: float) -> np.ndarray:
    """Map each value through ``table`` by its stripped lower-case text (one look-up per distinct value)."""
    return _per_text(values, lambda text: table.get(text, default), default)


_YES_TABLE = {v: 1.0 for v in _YES}


def add_features(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with the engineered features of chapter 02 (lecture 5.1).

    Works on a frame with the 21 Telco columns alone (teaching columns are optional and kept as they
    are). Recomputes the features if they already exist, so applying it twice is harmless.

    Added columns (reasons in :data:`FEATURE_REASONS`):

    * ``num_optional_services`` (int): how many of :data:`OPTIONAL_SERVICES` are ``"Yes"``;
    * ``tenure_bucket`` (str): ``"0-12"``, ``"13-24"``, ``"25-48"`` or ``"49+"`` months;
    * ``TotalCharges`` of a customer with tenure 0 and a blank total becomes 0: not billed yet
      (:func:`mlops_edu.data.fill_unbilled_total_charges`, the one rule for those blanks);
    * ``avg_monthly_charge`` (float): ``TotalCharges / tenure``; ``MonthlyCharges`` when tenure is 0 or
      TotalCharges is blank;
    * ``auto_payment`` (int 0/1): the payment method is automatic.

    Parameters
    ----------
    df : pandas.DataFrame
        Customers with the Telco columns (not changed).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FeatureError
        A needed column is missing (the message names it), or ``tenure`` is not numeric.

    Example
    -------
    >>> add_features(customers)["num_optional_services"].max() <= 6   # doctest: +SKIP
    True
    """
    needed = (*OPTIONAL_SERVICES, "tenure", "MonthlyCharges", "TotalCharges", "PaymentMethod")
    _require(df, needed, "add_features")
    out = fill_unbilled_total_charges(df)
    # numpy rather than pandas column operations: the served model runs this for every one-row request
    services = np.zeros(len(out), dtype=np.int64)
    for col in OPTIONAL_SERVICES:
        services += _lookup(out[col].to_numpy(dtype=object), _YES_TABLE, 0.0).astype(np.int64)
    out["num_optional_services"] = services
    tenure = pd.to_numeric(out["tenure"], errors="coerce")
    if tenure.isna().any():
        bad = out.loc[tenure.isna(), "tenure"].head(3).tolist()
        raise FeatureError(f"add_features: column 'tenure' must be numeric, got values like {bad}")
    months = tenure.to_numpy(dtype=float)
    labels = np.full(len(out), TENURE_BUCKETS[-1][2], dtype=object)
    for low, high, label in reversed(TENURE_BUCKETS):
        labels[(months >= low) & (months <= high)] = label
    out["tenure_bucket"] = pd.Series(labels, index=out.index, dtype="string")
    total = out["TotalCharges"].to_numpy(dtype=float)
    monthly = pd.to_numeric(out["MonthlyCharges"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        avg = total / np.where(months > 0, months, np.nan)
    out["avg_monthly_charge"] = np.where(np.isnan(avg), monthly, avg)
    out["auto_payment"] = _contains(out["PaymentMethod"].to_numpy(dtype=object), "automatic")
    return out


def _contains(values: np.ndarray, word: str) -> np.ndarray:
    """1 where the lower-case text of a value contains ``word``, else 0 (blanks too), as int64."""
    return _per_text(values, lambda text: float(word in text), 0.0).astype(np.int64)


class FeatureAdder(TransformerMixin, BaseEstimator):
    """:func:`add_features` as a scikit-learn step, so the model pipeline accepts raw Telco rows.

    Stateless: ``fit`` only remembers the input columns; ``transform`` calls :func:`add_features`.
    """

    stateless = True  # learns nothing from data: may be applied once before cross-validation

    def fit(self, X: pd.DataFrame, y: object = None) -> "FeatureAdder":
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return add_features(X)

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        base = list(input_features) if input_features is not None else list(self.feature_names_in_)
        return np.asarray(base + [c for c in ENGINEERED_COLUMNS if c not in base], dtype=object)


def split_xy(df: pd.DataFrame, *, target: str = TARGET,
             keep: Sequence[str] = ()) -> tuple[pd.DataFrame, pd.Series]:
    """Split a customer frame into model inputs ``X`` and the label ``y`` (1 = churned).

    ``X`` drops the label, ``customerID`` (an identifier, never a feature) and the teaching columns
    (``state``, ``age``, ``signup_date``) unless named in ``keep``; so a model trained on generated data
    also runs on the real 21-column Telco file.

    Parameters
    ----------
    df : pd.DataFrame
        customer frame with a ``Churn`` column of ``"Yes"``/``"No"`` (or 1/0, True/False).
    target : str
        name of the label column.
    keep : Sequence[str]
        teaching columns to keep as features, e.g. ``("age",)``.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series)
        ``X``, and ``y`` an int Series named ``"churn"`` with the same index.

    Raises
    ------
    FeatureError
        The label column is missing or holds a value other than Yes/No (named in the message).

    Example
    -------
    >>> X, y = split_xy(customers)      # doctest: +SKIP
    >>> round(y.mean(), 3)              # doctest: +SKIP
    0.265
    """
    _require(df, [target], "split_xy")
    unknown_keep = [c for c in keep if c not in TEACHING_COLUMNS]
    if unknown_keep:
        raise FeatureError(f"split_xy: keep= only takes teaching columns {list(TEACHING_COLUMNS)}, "
                           f"got {unknown_keep}")
    label = df[target]
    text = label.astype("string").str.strip().str.lower()
    bad = label[~text.isin(_YES | _NO) | text.isna()]
    if len(bad):
        raise FeatureError(f"split_xy: column '{target}' must be 'Yes'/'No', found {bad.unique()[:5].tolist()} "
                           f"in {len(bad)} row(s), first at index {bad.index[0]!r}")
    y = text.isin(_YES).astype("int64").rename("churn")
    drop = [target, ID_COLUMN, *(c for c in TEACHING_COLUMNS if c not in keep)]
    X = df.drop(columns=[c for c in drop if c in df.columns])
    return X, y


def feature_types(X: pd.DataFrame) -> dict[str, list[str]]:
    """Sort the columns of ``X`` into ``{"boolean": [...], "numeric": [...], "categorical": [...]}``.

    Known Telco and engineered columns use their documented kind (so a small sample where
    ``num_optional_services`` happens to be 0/1 is still numeric); any other column is typed from its
    values: bool dtype or only Yes/No (or 0/1) -> boolean, other numbers -> numeric, text -> categorical.

    Parameters
    ----------
    X : pandas.DataFrame
        Model inputs.

    Returns
    -------
    dict of str to list of str

    Raises
    ------
    FeatureError
        A column is neither (e.g. dates: derive a number first), named in the message.

    Example
    -------
    >>> feature_types(X)["boolean"]      # doctest: +SKIP
    ['SeniorCitizen', 'Partner', 'Dependents', 'PhoneService', 'PaperlessBilling', 'auto_payment']
    """
    _require(X, [], "feature_types")
    kinds: dict[str, list[str]] = {"boolean": [], "numeric": [], "categorical": []}
    for col in X.columns:
        s = X[col]
        if col in BOOLEAN_COLUMNS:
            kind = "boolean"
        elif col in NUMERIC_COLUMNS:
            kind = "numeric"
        elif col in CATEGORICAL_COLUMNS:
            kind = "categorical"
        elif pd.api.types.is_bool_dtype(s):
            kind = "boolean"
        elif pd.api.types.is_numeric_dtype(s):
            values = set(pd.unique(s.dropna()).tolist())
            kind = "boolean" if values and values <= {0, 1} else "numeric"
        elif pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s) \
                or isinstance(s.dtype, pd.CategoricalDtype):
            values = set(s.dropna().astype(str).str.strip().str.lower().unique().tolist())
            kind = "boolean" if values and values <= {"yes", "no"} else "categorical"
        else:
            raise FeatureError(f"feature_types: column '{col}' has dtype {s.dtype}, which is neither boolean, "
                               "numeric nor categorical; drop it or derive a number from it first")
        kinds[kind].append(str(col))
    return kinds


class _ColumnwiseTransformer(TransformerMixin, BaseEstimator):
    """A stateless column-wise transformer: fitting only remembers the column names."""

    stateless = True

    def fit(self, X: pd.DataFrame, y: object = None) -> "_ColumnwiseTransformer":
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def _frame(self, X: Any) -> pd.DataFrame:
        return X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=self.feature_names_in_)

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        return np.asarray(list(input_features) if input_features is not None else self.feature_names_in_,
                          dtype=object)


class YesNoEncoder(_ColumnwiseTransformer):
    """Map boolean-like columns to 1.0 (Yes/True/1) and 0.0 (No/False/0); anything else becomes NaN.

    NaN is then imputed by the boolean branch of :func:`build_preprocessor`, so an unexpected value at
    inference ("Maybe", a blank) does not crash.
    """

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        frame = self._frame(X)
        table = {**{v: 1.0 for v in _YES}, **{v: 0.0 for v in _NO}}
        out = np.empty(frame.shape)
        for j, col in enumerate(frame.columns):
            out[:, j] = _lookup(frame[col].to_numpy(dtype=object), table, np.nan)
        return out


class CategoryCleaner(_ColumnwiseTransformer):
    """Turn categorical columns into plain Python strings with blanks as ``"missing"``.

    (pandas 3 string columns hold ``pd.NA``, which the one-hot encoder cannot compare.)
    """

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        frame = self._frame(X)
        if len(frame) <= _FEW_ROWS:
            columns = [_plain_strings(frame[c].to_numpy(dtype=object)) for c in frame.columns]
            if all(c is not None for c in columns):
                return np.stack(columns, axis=1) if columns else np.empty((len(frame), 0), dtype=object)
        return frame.astype("string").fillna("missing").to_numpy(dtype=object)


_FEW_ROWS = 64
"""Up to this many rows :class:`CategoryCleaner` skips pandas (a served one-row request pays ~1 ms for it)."""


def _plain_strings(values: np.ndarray) -> np.ndarray | None:
    """``values`` with blanks as ``"missing"`` when every value is a str or a blank; None otherwise (the caller
    then lets pandas convert, the general rule)."""
    out = values.copy()
    for i, v in enumerate(values):
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            out[i] = "missing"
        elif type(v) is not str:
            return None
    return out


def build_preprocessor(X: pd.DataFrame, types: dict[str, list[str]] | None = None) -> ColumnTransformer:
    """The preprocessing step of the training pipeline: one branch per kind of column (lecture 5.1).

    * boolean: Yes/No -> 1/0 (:class:`YesNoEncoder`), unexpected values imputed with the most frequent;
    * numeric: blanks (e.g. ``TotalCharges`` of brand-new customers) -> median, then standardised;
    * categorical: one-hot encoded with ``handle_unknown="ignore"``: a category never seen in training
      becomes all zeros instead of an error.

    Parameters
    ----------
    X : pd.DataFrame
        the training inputs (only their columns and dtypes are read; nothing is fitted here).
    types : dict[str, list[str]] | None
        the output of :func:`feature_types`; computed from ``X`` when omitted.

    Returns
    -------
    sklearn.compose.ColumnTransformer
        Unfitted, with branches ``"bool"``, ``"num"`` and ``"cat"``.

    Example
    -------
    >>> pre = build_preprocessor(X).fit(X)            # doctest: +SKIP
    >>> pre.get_feature_names_out()[:2]               # doctest: +SKIP
    array(['bool__SeniorCitizen', 'bool__Partner'], dtype=object)
    """
    types = types or feature_types(X)
    if not any(types.values()):
        raise FeatureError("build_preprocessor: X has no columns to use as features")
    branches = []
    if types.get("boolean"):
        branches.append(("bool", Pipeline([
            ("yes_no", YesNoEncoder()),
            ("impute", SimpleImputer(strategy="most_frequent", keep_empty_features=True)),
        ]), list(types["boolean"])))
    if types.get("numeric"):
        branches.append(("num", Pipeline([
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
        ]), list(types["numeric"])))
    if types.get("categorical"):
        branches.append(("cat", Pipeline([
            ("clean", CategoryCleaner()),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64)),
        ]), list(types["categorical"])))
    return ColumnTransformer(branches, remainder="drop", verbose_feature_names_out=True)
