"""Unit tests of mlops_edu.training.features (chapter 02: feature engineering and preprocessing)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _telco_sample import customers, handmade_customers

from mlops_edu.data import OPTIONAL_SERVICES
from mlops_edu.training import (
    ENGINEERED_COLUMNS,
    FEATURE_REASONS,
    FeatureError,
    add_features,
    build_preprocessor,
    feature_types,
    split_xy,
)

TELCO_21 = ["customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure", "PhoneService",
            "MultipleLines", "InternetService", "OnlineSecurity", "OnlineBackup", "DeviceProtection",
            "TechSupport", "StreamingTV", "StreamingMovies", "Contract", "PaperlessBilling", "PaymentMethod",
            "MonthlyCharges", "TotalCharges", "Churn"]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return customers(600, seed=1)


def test_optional_services_are_the_columns_that_need_internet():
    """num_optional_services counts exactly the columns whose published values include "No internet service"."""
    from mlops_edu.data import CATEGORIES

    needs_internet = tuple(c for c, values in CATEGORIES.items() if "No internet service" in values)
    assert OPTIONAL_SERVICES == needs_internet and len(needs_internet) == 6


def test_an_unbilled_customer_has_total_charges_zero_everywhere():
    """One rule for a blank TotalCharges (tenure 0: not billed yet -> 0), in features and in the fitted pipeline."""
    from mlops_edu.training import make_model

    frame = handmade_customers(60, seed=2)
    frame.loc[[0, 1], ["tenure", "TotalCharges"]] = [0, np.nan]
    out = add_features(frame)
    assert out.loc[[0, 1], "TotalCharges"].tolist() == [0.0, 0.0]
    assert out["TotalCharges"].notna().all()
    X, y = split_xy(frame)
    pipe = make_model("logreg", seed=0).fit(X, y)
    filled = X.assign(TotalCharges=X["TotalCharges"].fillna(0.0))
    np.testing.assert_allclose(pipe.predict_proba(X), pipe.predict_proba(filled))


def test_num_optional_services_counts_yes(df):
    out = add_features(df)
    expected = (df[list(OPTIONAL_SERVICES)] == "Yes").sum(axis=1)
    assert (out["num_optional_services"] == expected).all()
    assert out["num_optional_services"].between(0, 6).all()
    no_internet = df["InternetService"] == "No"
    assert (out.loc[no_internet, "num_optional_services"] == 0).all()


def test_add_features_on_21_columns_only_and_leaves_input_alone(df):
    raw = df[TELCO_21].copy()
    before = raw.copy()
    out = add_features(raw)
    pd.testing.assert_frame_equal(raw, before)
    assert list(out.columns) == TELCO_21 + list(ENGINEERED_COLUMNS)
    assert set(FEATURE_REASONS) == set(ENGINEERED_COLUMNS)
    pd.testing.assert_frame_equal(add_features(out), out)  # idempotent


def test_add_features_values():
    frame = handmade_customers(50, seed=3)
    frame.loc[0, ["tenure", "TotalCharges", "MonthlyCharges"]] = [0, np.nan, 50.0]
    frame.loc[1, ["tenure", "TotalCharges", "MonthlyCharges"]] = [10, 600.0, 70.0]
    frame.loc[2, ["tenure", "PaymentMethod"]] = [13, "Credit card (automatic)"]
    frame.loc[3, ["tenure", "PaymentMethod"]] = [72, "Electronic check"]
    out = add_features(frame)
    assert out.loc[0, "avg_monthly_charge"] == 50.0        # tenure 0: the monthly charge
    assert out.loc[1, "avg_monthly_charge"] == 60.0        # 600 / 10
    assert out.loc[0, "tenure_bucket"] == "0-12" and out.loc[2, "tenure_bucket"] == "13-24"
    assert out.loc[3, "tenure_bucket"] == "49+"
    assert out.loc[2, "auto_payment"] == 1 and out.loc[3, "auto_payment"] == 0


def test_add_features_names_missing_column(df):
    with pytest.raises(FeatureError, match="TechSupport"):
        add_features(df.drop(columns=["TechSupport"]))
    with pytest.raises(FeatureError, match="DataFrame"):
        add_features([1, 2, 3])


def test_split_xy(df):
    X, y = split_xy(df)
    assert "Churn" not in X and "customerID" not in X
    assert set(y.unique()) <= {0, 1} and y.name == "churn"
    assert (y == (df["Churn"] == "Yes").astype(int)).all()
    assert X.index.equals(y.index)


def test_split_xy_drops_teaching_columns_unless_kept(df):
    frame = df.assign(state="MA", age=40, signup_date=pd.Timestamp("2024-01-01"))
    X, _ = split_xy(frame)
    assert not {"state", "age", "signup_date"} & set(X.columns)
    X_age, _ = split_xy(frame, keep=("age",))
    assert "age" in X_age and "state" not in X_age
    with pytest.raises(FeatureError, match="tenure"):
        split_xy(frame, keep=("tenure",))


def test_split_xy_bad_label(df):
    bad = df.copy()
    bad["Churn"] = bad["Churn"].astype(object)
    bad.loc[bad.index[5], "Churn"] = "Maybe"
    with pytest.raises(FeatureError, match="Maybe"):
        split_xy(bad)
    with pytest.raises(FeatureError, match="Churn"):
        split_xy(df.drop(columns=["Churn"]))


def test_feature_types_known_and_inferred(df):
    X, _ = split_xy(add_features(df))
    kinds = feature_types(X)
    assert set(sum(kinds.values(), [])) == set(X.columns)
    assert "SeniorCitizen" in kinds["boolean"] and "Partner" in kinds["boolean"]
    assert {"tenure", "MonthlyCharges", "TotalCharges", "num_optional_services"} <= set(kinds["numeric"])
    assert {"Contract", "PaymentMethod", "tenure_bucket"} <= set(kinds["categorical"])
    small = X.head(3).assign(num_optional_services=[0, 1, 0])   # looks 0/1 but is a count
    assert "num_optional_services" in feature_types(small)["numeric"]
    extra = pd.DataFrame({"flag": [True, False], "yn": ["yes", "No"], "n": [1.5, 2.0], "c": ["a", "b"]})
    assert feature_types(extra) == {"boolean": ["flag", "yn"], "numeric": ["n"], "categorical": ["c"]}
    with pytest.raises(FeatureError, match="when"):
        feature_types(pd.DataFrame({"when": pd.to_datetime(["2024-01-01"])}))


def test_preprocessor_branches_and_no_nan(df):
    X, _ = split_xy(df)
    pre = build_preprocessor(X)
    assert [name for name, _, _ in pre.transformers] == ["bool", "num", "cat"]
    out = pre.fit_transform(X)
    assert out.shape[0] == len(X) and np.isfinite(out).all()   # TotalCharges blanks imputed
    names = list(pre.get_feature_names_out())
    assert "bool__Partner" in names and "num__tenure" in names and "cat__Contract_Two year" in names


def test_unseen_categories_and_values_do_not_crash(df):
    X, _ = split_xy(df)
    pre = build_preprocessor(X).fit(X)
    new = X.head(4).copy()
    new["PaymentMethod"] = new["PaymentMethod"].astype(object)
    new.loc[new.index[0], "PaymentMethod"] = "Crypto wallet"        # never seen
    new["Partner"] = new["Partner"].astype(object)
    new.loc[new.index[1], "Partner"] = "Maybe"                       # not yes/no
    new.loc[new.index[2], "MonthlyCharges"] = np.nan                 # blank number
    new["Contract"] = new["Contract"].astype(object)
    new.loc[new.index[3], "Contract"] = None                         # blank category
    out = pre.transform(new)
    assert np.isfinite(out).all()
    names = list(pre.get_feature_names_out())
    pay = [i for i, n in enumerate(names) if n.startswith("cat__PaymentMethod_")]
    assert out[0, pay].sum() == 0          # unknown category -> all zeros


def test_preprocessor_rejects_empty():
    with pytest.raises(FeatureError, match="no columns"):
        build_preprocessor(pd.DataFrame(index=range(3)))


# ------------------------------------------------------------------ the numpy paths equal the pandas rules

def _pandas_add_features(df: pd.DataFrame) -> pd.DataFrame:
    """add_features as first written with pandas column operations: the reference of the numpy version."""
    from mlops_edu.data import fill_unbilled_total_charges

    yes = {"yes", "true", "1", "1.0"}

    def _yes(s: pd.Series) -> pd.Series:
        return s.map(lambda v: 0.0 if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                     else float(str(v).strip().lower() in yes)).astype(float)

    out = fill_unbilled_total_charges(df)
    out["num_optional_services"] = sum(_yes(out[c]) for c in OPTIONAL_SERVICES).astype("int64")
    tenure = pd.to_numeric(out["tenure"], errors="coerce")
    labels = np.full(len(out), "49+", dtype=object)
    for low, high, label in reversed(((0, 12, "0-12"), (13, 24, "13-24"), (25, 48, "25-48"), (49, 10_000, "49+"))):
        labels[(tenure >= low).to_numpy() & (tenure <= high).to_numpy()] = label
    out["tenure_bucket"] = pd.Series(labels, index=out.index, dtype="string")
    total = pd.to_numeric(out["TotalCharges"], errors="coerce")
    monthly = pd.to_numeric(out["MonthlyCharges"], errors="coerce").astype(float)
    out["avg_monthly_charge"] = (total / tenure.where(tenure > 0)).fillna(monthly).astype(float)
    method = out["PaymentMethod"].astype("string").str.lower()
    out["auto_payment"] = method.str.contains("automatic", regex=False).fillna(False).astype("int64")
    return out


def _awkward(n: int = 40) -> pd.DataFrame:
    """Customers with the values a served request can carry: blanks, odd spellings, unknown categories."""
    frame = handmade_customers(n, seed=3).drop(columns="Churn")
    frame = frame.astype({c: object for c in frame.columns if frame[c].dtype != float and c != "tenure"})
    frame.loc[0, "TechSupport"] = None
    frame.loc[1, "StreamingTV"] = " YES "
    frame.loc[2, "OnlineBackup"] = "true"
    frame.loc[3, "PaymentMethod"] = None
    frame.loc[4, "PaymentMethod"] = "Crypto (AUTOMATIC)"
    frame.loc[5, ["tenure", "TotalCharges"]] = [0, np.nan]
    frame.loc[6, "DeviceProtection"] = 1
    frame.loc[7, "Contract"] = np.nan
    frame.loc[8, "gender"] = 3.0
    return frame


@pytest.mark.parametrize("rows", [1, 5, 40])
def test_add_features_equals_the_pandas_rules(rows):
    for frame in (_awkward().head(rows), customers(rows, seed=2)):
        pd.testing.assert_frame_equal(add_features(frame), _pandas_add_features(frame))


@pytest.mark.parametrize("rows", [1, 8, 64, 65, 200])
def test_category_cleaner_few_rows_path_equals_the_pandas_rule(rows):
    """Up to 64 rows the cleaner skips pandas; its output must be what pandas gives, whatever the values."""
    from mlops_edu.training import CategoryCleaner

    frame = pd.concat([_awkward()] * 5, ignore_index=True).head(rows)
    cats = ["gender", "Contract", "PaymentMethod", "TechSupport", "StreamingTV"]
    for part in (frame[cats], frame[cats].astype("string"), frame[["Contract", "TechSupport"]].fillna("x")):
        got = CategoryCleaner().fit(part).transform(part)
        want = part.astype("string").fillna("missing").to_numpy(dtype=object)
        assert got.dtype == object and got.shape == want.shape
        assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in want]
        assert (got == want).all()
