"""Data tests for mlops_edu.data (in the spirit of Made With ML's tests/data).

Schema, determinism, calibration to the published facts of the real Telco file (n=50,000), effect
directions, every knob changes what it claims and nothing else, the churn definition on hand-made
events, the CSV loader, and >= 15 bad inputs that must raise SchemaError naming the culprit.
"""

from __future__ import annotations

import hashlib

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops_edu import data as D
from mlops_edu.monitoring import psi
from mlops_edu.data import (
    AS_OF,
    CANONICAL_DTYPES,
    CATEGORIES,
    PUBLISHED_FACTS,
    TEACHING_COLUMNS,
    TELCO_COLUMNS,
    SchemaError,
    calibration_table,
    churn_probability,
    flip_labels,
    label_churn,
    load_telco_csv,
    make_customers,
    make_events,
    make_months,
    simulate,
    validate_customers,
)

N_BIG = 50_000
INPUTS = [c for c in TELCO_COLUMNS if c != "Churn"] + list(TEACHING_COLUMNS)

TELCO_HEADER = ("customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,"
                "InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,"
                "StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn")


@pytest.fixture(scope="module")
def base() -> D.Scenario:
    """The 50,000-customer baseline, generated once for the module."""
    return simulate(N_BIG, seed=0)


@pytest.fixture(scope="module")
def big(base: D.Scenario) -> pd.DataFrame:
    return base.frame


@pytest.fixture()
def small() -> pd.DataFrame:
    return make_customers(300, seed=5)


def frame_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


def churn_rate(df: pd.DataFrame, mask=None) -> float:
    y = df["Churn"].to_numpy(dtype=object) == "Yes"
    return float(y[np.asarray(mask, dtype=bool)].mean() if mask is not None else y.mean())


# ------------------------------------------------------------------------------------------ schema


def test_schema_is_exactly_the_telco_header_plus_teaching_columns(big):
    assert ",".join(TELCO_COLUMNS) == TELCO_HEADER
    assert list(big.columns) == list(TELCO_COLUMNS) + list(TEACHING_COLUMNS)
    only = make_customers(50, seed=0, teaching_columns=False)
    assert list(only.columns) == list(TELCO_COLUMNS)
    assert isinstance(big.index, pd.RangeIndex) and len(big) == N_BIG


def test_canonical_dtypes(big):
    for col, want in CANONICAL_DTYPES.items():
        got = big[col].dtype
        if want == "str":
            assert isinstance(got, pd.StringDtype) and got == pd.StringDtype(na_value=np.nan), (col, got)
        else:
            assert got == np.dtype(want), (col, got)


def test_categories_exactly_as_published(big):
    for col, allowed in CATEGORIES.items():
        assert set(big[col].unique()) == set(allowed), col
    assert set(big["SeniorCitizen"].unique()) == {0, 1}
    assert big["customerID"].str.fullmatch(r"\d{4}-[A-Z]{5}").all()
    assert big["customerID"].is_unique
    assert set(big["state"].unique()) <= set(D.US_STATES)


def test_features_hang_together(big):
    no_net = big["InternetService"] == "No"
    for col in D.OPTIONAL_SERVICES:
        assert ((big[col] == "No internet service") == no_net).all(), col
    assert ((big["MultipleLines"] == "No phone service") == (big["PhoneService"] == "No")).all()
    assert (big.loc[big["PhoneService"] == "No", "InternetService"] == "DSL").all()
    assert big["tenure"].between(0, 72).all()
    assert big["MonthlyCharges"].between(18.25, 118.75).all()
    ok = big["tenure"] > 0
    ratio = big.loc[ok, "TotalCharges"] / (big.loc[ok, "MonthlyCharges"] * big.loc[ok, "tenure"])
    assert ratio.between(0.8, 1.25).all()
    assert ratio.median() == pytest.approx(1.0, abs=0.01)
    assert (big["TotalCharges"].isna() == (big["tenure"] == 0)).all()
    assert (big.loc[big["tenure"] == 0, "Churn"] == "No").all()
    assert (big["SeniorCitizen"] == (big["age"] >= 65)).all()
    assert big["age"].between(18, 90).all()
    months = (AS_OF - big["signup_date"]).dt.days / 30.4375
    assert (months > big["tenure"] - 0.05).all() and (months < big["tenure"] + 1.0).all()


def test_quirk_eleven_blank_total_charges_by_default():
    df = make_customers()
    assert len(df) == 7043
    assert int(df["TotalCharges"].isna().sum()) == 11
    assert int((df["tenure"] == 0).sum()) == 11
    off = make_customers(7043, seed=0, blank_total_charges=False)
    assert off["TotalCharges"].notna().all() and (off["tenure"] > 0).all()


def test_tenure_peaks_at_1_and_72(big):
    counts = big["tenure"].value_counts().sort_index()
    assert counts[1] == counts.loc[1:71].max()
    assert counts[72] > counts.loc[48:71].max()


def test_generated_frame_validates(big):
    assert validate_customers(big) is big


# ------------------------------------------------------------------------------------ determinism


def test_same_seed_identical_bytes_and_other_seed_differs():
    a, b = make_customers(2000, seed=3), make_customers(2000, seed=3)
    assert hashlib.sha256(frame_bytes(a)).hexdigest() == hashlib.sha256(frame_bytes(b)).hexdigest()
    pd.testing.assert_frame_equal(a, b)
    c = make_customers(2000, seed=4)
    assert frame_bytes(a) != frame_bytes(c)
    assert (a["customerID"] != c["customerID"]).mean() > 0.99
    assert (a["tenure"] != c["tenure"]).mean() > 0.5


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_seed_or_size_rejected(bad):
    with pytest.raises(ValueError):
        make_customers(10, seed=bad)
    with pytest.raises(ValueError):
        make_customers(bad if bad != 1.5 else 0, seed=0)


def test_unknown_knob_is_named():
    with pytest.raises(TypeError, match="allowed knobs"):
        make_customers(10, seed=0, young_shar=0.3)
    with pytest.raises(ValueError, match="young_share"):
        make_customers(10, seed=0, young_share=1.5)
    with pytest.raises(ValueError, match="states"):
        make_customers(10, seed=0, states=("XX",))
    with pytest.raises(ValueError, match="concept"):
        make_customers(10, seed=0, concept="fashion")


# ------------------------------------------------------------------------------------ calibration

_TOLERANCE = {"%": 3.0, "months": 2.0, "$": 1.5, "r": 0.03}
_FACT_TOLERANCE = {"TotalCharges mean": 23.0}     # 1 % of the mean: its standard deviation is about $2,270


@pytest.fixture(scope="module")
def calibration(big) -> pd.DataFrame:
    return calibration_table(big).set_index("fact")


_KNOWN_GAPS = {
    "TotalCharges mean": "generated tenure and MonthlyCharges are uncorrelated, so TotalCharges averages about "
                         "2,100 against 2,283 (see calibration._FACT_SCALE: the fix tried makes the data easier)",
    "tenure-MonthlyCharges correlation": "-0.01 against the real file's 0.248 (see calibration._FACT_SCALE)",
}


def _fact_param(fact):
    name = fact[0]
    if name in _KNOWN_GAPS:
        return pytest.param(*fact, id=name, marks=pytest.mark.xfail(strict=True, reason=_KNOWN_GAPS[name]))
    return pytest.param(*fact, id=name)


@pytest.mark.parametrize("fact,published,unit", [_fact_param(f) for f in PUBLISHED_FACTS])
def test_calibrated_to_published_fact(calibration, fact, published, unit):
    generated = calibration.loc[fact, "generated"]
    tolerance = _FACT_TOLERANCE.get(fact, _TOLERANCE[unit])
    assert abs(generated - published) <= tolerance, f"{fact}: {generated} vs published {published} {unit}"


def test_committed_block_is_what_the_calibration_script_writes(tmp_path):
    """The # <calibrated> block of parameters.py is exactly what `python -m mlops_edu.data.calibration --write`
    writes from the values in force (so the script, not a hand edit, owns it)."""
    from mlops_edu.data import calibration as cal
    from mlops_edu.data import parameters

    copy = tmp_path / "parameters.py"
    copy.write_text(Path(parameters.__file__).read_text(encoding="utf-8"), encoding="utf-8")
    cal.write_block(copy)
    assert copy.read_text(encoding="utf-8") == Path(parameters.__file__).read_text(encoding="utf-8")
    assert {name for name, _ in cal.FITTED} <= set(vars(parameters))


def test_calibration_fit_moves_a_detuned_parameter_back(monkeypatch):
    """The fit is real: detune the churn intercept, fit only it, and the churn rate is back on target."""
    from mlops_edu.data import calibration as cal

    monkeypatch.setattr(cal, "FITTED", (("_CHURN", "b0"),))
    original = cal._get("_CHURN", "b0")
    try:
        cal._set("_CHURN", "b0", original + 0.5)
        cal.fit(n=20_000, iterations=3, ridge=0.0)
        rate = calibration_table(make_customers(20_000, seed=0)).set_index("fact").loc["churn rate", "generated"]
        assert abs(rate - 26.5) < 0.6
        assert abs(cal._get("_CHURN", "b0") - original) < 0.1
    finally:
        cal._set("_CHURN", "b0", original)


def test_calibration_table_shape(calibration):
    assert list(calibration.reset_index().columns) == ["fact", "unit", "published", "generated", "difference"]
    assert len(calibration) == len(PUBLISHED_FACTS) >= 55


def test_as_hard_as_the_real_file():
    """5-fold CV of a logistic regression: ROC AUC about 0.84 and F1 about 0.60, not a toy."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df = make_customers(7043, seed=0)
    X = df[list(TELCO_COLUMNS[1:-1])].fillna({"TotalCharges": 0.0})
    y = (df["Churn"] == "Yes").astype(int)
    cat = [c for c in X.columns if X[c].dtype == "str"]
    num = [c for c in X.columns if c not in cat]
    model = make_pipeline(ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), cat),
                                             ("n", StandardScaler(), num)]), LogisticRegression(max_iter=1000))
    cv = cross_validate(model, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0), scoring=("roc_auc", "f1"))
    auc, f1 = float(cv["test_roc_auc"].mean()), float(cv["test_f1"].mean())
    assert 0.81 <= auc <= 0.87, auc
    assert 0.52 <= f1 <= 0.66, f1


# -------------------------------------------------------------------------------- effect directions


def test_marginal_effect_directions(big):
    r = lambda col, val: churn_rate(big, big[col] == val)  # noqa: E731
    assert r("Contract", "Month-to-month") > r("Contract", "One year") > r("Contract", "Two year")
    assert r("InternetService", "Fiber optic") > r("InternetService", "DSL") > r("InternetService", "No")
    ec = r("PaymentMethod", "Electronic check")
    assert all(ec > r("PaymentMethod", v) for v in CATEGORIES["PaymentMethod"][1:])
    assert r("SeniorCitizen", 1) > r("SeniorCitizen", 0)
    assert r("Partner", "Yes") < r("Partner", "No")
    assert r("Dependents", "Yes") < r("Dependents", "No")
    assert r("PaperlessBilling", "Yes") > r("PaperlessBilling", "No")
    assert r("OnlineSecurity", "Yes") < r("OnlineSecurity", "No")
    assert r("TechSupport", "Yes") < r("TechSupport", "No")
    buckets = [churn_rate(big, big["tenure"].between(a, b)) for a, b in ((0, 12), (13, 24), (25, 48), (49, 72))]
    assert buckets == sorted(buckets, reverse=True)
    assert big["tenure"].corr((big["Contract"] != "Month-to-month").astype(float)) > 0.3  # contract ~ tenure


@pytest.mark.parametrize("col,worse,better", [
    ("Contract", "Month-to-month", "Two year"),
    ("PaymentMethod", "Electronic check", "Credit card (automatic)"),
    ("InternetService", "Fiber optic", "DSL"),
    ("PaperlessBilling", "Yes", "No"),
    ("Dependents", "No", "Yes"),
])
def test_label_model_directions_all_else_equal(small, col, worse, better):
    """Counterfactual: change one input for every customer, keep the rest: the risk moves one way
    (all-states average behaviour, i.e. the 21 Telco columns; single regions may differ, see coverage)."""
    telco = small[list(TELCO_COLUMNS)]
    keep = (telco["InternetService"] != "No") if col == "InternetService" else np.ones(len(telco), bool)
    a, b = telco[keep].copy(), telco[keep].copy()
    a[col], b[col] = worse, better
    pa_, pb = churn_probability(a), churn_probability(b)
    live = a["tenure"].to_numpy() > 0
    assert (pa_[live] > pb[live]).all()


def test_label_model_tenure_and_security_directions(small):
    longer = small.assign(tenure=np.minimum(small["tenure"] + 24, 72))
    live = (small["tenure"] > 0).to_numpy()
    assert (churn_probability(longer)[live] <= churn_probability(small)[live] + 1e-12).all()
    net = small[small["InternetService"] != "No"]
    assert (churn_probability(net.assign(OnlineSecurity="Yes", TechSupport="Yes"))
            <= churn_probability(net.assign(OnlineSecurity="No", TechSupport="No"))).all()


def test_label_model_matches_observed_labels(base):
    """churn_proba is the real label model: calibrated in probability deciles."""
    y = base.frame["Churn"].to_numpy(dtype=object) == "Yes"
    p = base.churn_proba
    assert np.allclose(p, churn_probability(base.frame))
    bins = np.quantile(p, np.linspace(0, 1, 11))
    idx = np.clip(np.searchsorted(bins, p, side="right") - 1, 0, 9)
    for k in range(10):
        assert abs(y[idx == k].mean() - p[idx == k].mean()) < 0.02


# ------------------------------------------------------------------------------------------- knobs


def test_baseline_scenario_reports_no_change(base):
    assert base.changes == () and base.description.startswith("baseline")
    assert base.flipped.size == 0


def test_data_drift_moves_age_not_the_label_model(base):
    drift = simulate(N_BIG, seed=0, young_share=0.3)
    assert drift.changes and drift.changes[0].startswith("data drift")
    assert psi(base.frame["age"], drift.frame["age"]) > 0.2
    assert psi(base.frame["SeniorCitizen"], drift.frame["SeniorCitizen"]) > 0.01
    # the label model is untouched: same function, and the observed labels follow it
    assert np.array_equal(drift.churn_proba, churn_probability(drift.frame))
    assert churn_rate(drift.frame) == pytest.approx(drift.churn_proba.mean(), abs=0.01)
    # what does not depend on age stays byte-identical
    for col in ("customerID", "gender", "state"):
        assert drift.frame[col].equals(base.frame[col]), col
    young = drift.frame["age"] < 30
    assert young.mean() > base.frame["age"].lt(30).mean() + 0.2


def test_service_mix_knob(base):
    mix = {"Fiber optic": 0.6, "DSL": 0.25, "No": 0.15}
    sc = simulate(N_BIG, seed=0, service_mix=mix)
    shares = sc.frame["InternetService"].value_counts(normalize=True)
    for k, v in mix.items():
        assert shares[k] == pytest.approx(v, abs=0.015)
    assert psi(base.frame["InternetService"], sc.frame["InternetService"]) > 0.05
    assert np.array_equal(sc.churn_proba, churn_probability(sc.frame))
    for col in ("customerID", "gender", "age", "Contract", "tenure", "state"):
        assert sc.frame[col].equals(base.frame[col]), col


def test_price_change_knob(base):
    sc = simulate(N_BIG, seed=0, price_change=0.1)
    # +10 %, then rounded to 5 cents like every price
    assert (sc.frame["MonthlyCharges"] - 1.1 * base.frame["MonthlyCharges"]).abs().max() <= 0.055
    for col in ("Contract", "tenure", "InternetService", "PaymentMethod", "age"):
        assert sc.frame[col].equals(base.frame[col]), col
    assert churn_rate(sc.frame) > churn_rate(base.frame)  # price-driven world: dearer -> more churn
    assert "MonthlyCharges" in sc.description


@pytest.mark.parametrize("concept", ["service_quality", "pandemic"])
def test_concept_drift_keeps_inputs_changes_labels(base, concept):
    sc = simulate(N_BIG, seed=0, concept=concept)
    assert sc.changes and sc.changes[0].startswith("concept drift")
    for col in INPUTS:
        assert sc.frame[col].equals(base.frame[col]), col
    for col in ("tenure", "MonthlyCharges", "TotalCharges", "age", "Contract", "PaymentMethod"):
        assert psi(base.frame[col], sc.frame[col]) < 0.05, col
    # also against an independent sample of the baseline: input PSI stays small
    other = make_customers(N_BIG, seed=1)
    for col in ("tenure", "MonthlyCharges", "Contract", "InternetService", "age"):
        assert psi(other[col], sc.frame[col]) < 0.05, col
    changed = (sc.frame["Churn"] != base.frame["Churn"]).mean()
    assert changed > 0.03
    y_new = sc.frame["Churn"] == "Yes"
    from sklearn.metrics import roc_auc_score
    auc_old_model = roc_auc_score(y_new, base.churn_proba)
    auc_new_model = roc_auc_score(y_new, sc.churn_proba)
    assert auc_new_model - auc_old_model > 0.01  # the old relationship no longer fits as well
    if concept == "service_quality":  # same churn level, different reasons
        assert churn_rate(sc.frame) == pytest.approx(churn_rate(base.frame), abs=0.015)
        gap = lambda f: churn_rate(f, f["OnlineSecurity"] == "No") - churn_rate(f, f["OnlineSecurity"] == "Yes")  # noqa: E731
        assert gap(sc.frame) > gap(base.frame) + 0.03
    else:
        assert churn_rate(sc.frame) > churn_rate(base.frame) + 0.05


def test_concept_strength_zero_is_the_baseline():
    a = make_customers(1000, seed=2)
    b = make_customers(1000, seed=2, concept="pandemic", concept_strength=0.0)
    assert frame_bytes(a) == frame_bytes(b)
    half = simulate(1000, seed=2, concept="pandemic", concept_strength=0.5).churn_proba.mean()
    full = simulate(1000, seed=2, concept="pandemic").churn_proba.mean()
    assert simulate(1000, seed=2).churn_proba.mean() < half < full


def test_label_noise_flips_exactly_the_requested_share(base):
    sc = simulate(N_BIG, seed=0, label_noise=0.1)
    assert sc.flipped.size == 5000
    diff = np.flatnonzero((sc.frame["Churn"] != base.frame["Churn"]).to_numpy())
    assert np.array_equal(diff, sc.flipped)
    for col in INPUTS:
        assert sc.frame[col].equals(base.frame[col]), col
    assert "flipped 5000 of 50000" in sc.description


def test_label_noise_in_a_segment_and_ambiguous_mode(big):
    seg = {"Contract": "Month-to-month"}
    in_seg = int((big["Contract"] == "Month-to-month").sum())
    res = flip_labels(big, 0.2, seed=1, segment=seg)
    assert res.flipped.size == round(0.2 * in_seg)
    assert (big["Contract"].iloc[res.flipped] == "Month-to-month").all()
    assert (res.frame["Churn"].iloc[res.flipped].to_numpy() != big["Churn"].iloc[res.flipped].to_numpy()).all()
    assert big["Churn"].equals(make_customers(N_BIG, seed=0)["Churn"])  # the input frame is not modified
    p = churn_probability(big)
    amb = flip_labels(big, 0.05, seed=1, mode="ambiguous", proba=p)
    uni = flip_labels(big, 0.05, seed=1)
    fence = lambda idx: float((p[idx] * (1 - p[idx])).mean())  # noqa: E731
    assert amb.flipped.size == uni.flipped.size == 2500
    assert fence(amb.flipped) > fence(uni.flipped) + 0.03
    with pytest.raises(ValueError, match="Contrakt"):
        flip_labels(big, 0.1, segment={"Contrakt": "Two year"})


def test_coverage_one_state_with_state_dependent_behaviour():
    ma = simulate(5000, seed=0, states=("MA",))
    assert set(ma.frame["state"]) == {"MA"} and "MA" in ma.description
    # same customers, another state: other risks (the behaviour depends on the state)
    p_ma = churn_probability(ma.frame)
    p_tx = churn_probability(ma.frame.assign(state="TX"))
    assert np.abs(p_ma - p_tx).mean() > 0.02
    # the input mix of one state differs from all states
    allstates = make_customers(5000, seed=0)
    assert (ma.frame["InternetService"] == "Fiber optic").mean() > (allstates["InternetService"] == "Fiber optic").mean()
    # without a state column the all-states average behaviour is used (Telco-only frames work)
    p_none = churn_probability(ma.frame.drop(columns=list(TEACHING_COLUMNS)))
    assert np.isfinite(p_none[ma.frame["tenure"] > 0]).all()


def test_coverage_matters_for_a_model():
    """Lecture 7: a model trained on Massachusetts alone transfers worse to all states."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def xy(df):
        X = df[list(TELCO_COLUMNS[1:-1])].fillna({"TotalCharges": 0.0})
        return X, (df["Churn"] == "Yes").astype(int)

    test_x, test_y = xy(make_customers(20000, seed=99))
    aucs = {}
    for name, kn in (("MA", {"states": ("MA",)}), ("all", {})):
        X, y = xy(make_customers(5000, seed=1, **kn))
        cat = [c for c in X.columns if X[c].dtype == "str"]
        num = [c for c in X.columns if c not in cat]
        m = make_pipeline(ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), cat),
                                             ("n", StandardScaler(), num)]), LogisticRegression(max_iter=1000))
        aucs[name] = roc_auc_score(test_y, m.fit(X, y).predict_proba(test_x)[:, 1])
    assert aucs["all"] - aucs["MA"] > 0.01, aucs


def test_make_months_batches_with_delayed_labels():
    months = make_months(4, 300, seed=0, schedule={2: {"young_share": 0.5}}, label_delay=2)
    assert [m.period for m in months] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert [m.labels_available for m in months] == [2, 3, 4, 5]
    assert "Churn" not in months[0].features.columns and len(months[0].labels) == 300
    assert months[1].changes == () and months[2].changes[0].startswith("data drift")
    assert months[3].knobs.young_share == 0.5  # the schedule holds from its month on
    ids = pd.concat([m.frame["customerID"] for m in months])
    assert ids.is_unique
    for m in months:
        validate_customers(m.frame)
        assert m.frame["signup_date"].max() <= pd.Period(m.period, "M").to_timestamp(how="end")
    again = make_months(4, 300, seed=0, schedule={2: {"young_share": 0.5}}, label_delay=2)
    assert all(frame_bytes(a.frame) == frame_bytes(b.frame) for a, b in zip(months, again))
    assert not months[0].frame["customerID"].equals(months[1].frame["customerID"])
    with pytest.raises(ValueError, match="schedule"):
        make_months(3, 10, schedule={5: {"young_share": 0.1}})


# ------------------------------------------------------------------------ events and churn definition


def test_events_reproduce_the_labels(small):
    ev = make_events(small, seed=0)
    assert list(ev.columns) == ["customerID", "date", "event", "amount"]
    assert set(ev["event"]) <= {"purchase", "cancel"}
    assert (ev["date"] <= AS_OF).all()
    lab = label_churn(ev, AS_OF).set_index("customerID")
    assert (lab.loc[small["customerID"], "Churn"].to_numpy() == small["Churn"].to_numpy()).all()
    assert set(lab["reason"]) <= {"", "no purchase", "cancelled", "both"}


def test_label_churn_on_hand_made_events():
    d = lambda days: AS_OF - pd.Timedelta(days=days)  # noqa: E731
    ev = pd.DataFrame([
        ("a_recent", d(10), "purchase"),
        ("b_exactly_90", d(90), "purchase"),          # still within 90 days -> stays
        ("c_91_days", d(91), "purchase"),             # lapsed -> churn
        ("d_cancel_30", d(5), "purchase"), ("d_cancel_30", d(30), "cancel"),   # cancelled in the window
        ("e_cancel_31", d(5), "purchase"), ("e_cancel_31", d(31), "cancel"),   # too long ago -> stays
        ("f_future", d(200), "purchase"), ("f_future", AS_OF + pd.Timedelta(days=3), "purchase"),  # ignored
        ("g_only_cancel", d(3), "cancel"),            # both reasons
    ], columns=["customerID", "date", "event"])
    lab = label_churn(ev, AS_OF).set_index("customerID")
    want = {"a_recent": "No", "b_exactly_90": "No", "c_91_days": "Yes", "d_cancel_30": "Yes",
            "e_cancel_31": "No", "f_future": "Yes", "g_only_cancel": "Yes"}
    assert lab["Churn"].to_dict() == want
    assert lab.loc["c_91_days", "reason"] == "no purchase"
    assert lab.loc["d_cancel_30", "reason"] == "cancelled"
    assert lab.loc["g_only_cancel", "reason"] == "both"
    assert lab.loc["c_91_days", "days_since_purchase"] == 91
    # the thresholds are parameters of the definition
    lab60 = label_churn(ev, AS_OF, no_purchase_days=60).set_index("customerID")
    assert lab60.loc["b_exactly_90", "Churn"] == "Yes"
    with pytest.raises(SchemaError, match="refund"):
        label_churn(ev.assign(event="refund"), AS_OF)
    with pytest.raises(SchemaError, match="date"):
        label_churn(ev.drop(columns=["date"]), AS_OF)


# ------------------------------------------------------------------------------------------- loader


def test_loader_on_hand_made_csv_with_blanks(tmp_path):
    rows = [
        "7590-VHVEG,Female,0,Yes,No,1,No,No phone service,DSL,No,Yes,No,No,No,No,Month-to-month,Yes,"
        "Electronic check,29.85,29.85,No",
        "5575-GNVDE,Male,0,No,No,34,Yes,No,DSL,Yes,No,Yes,No,No,No,One year,No,Mailed check,56.95,1889.5,No",
        "4472-LVYGI,Female,0,Yes,Yes,0,No,No phone service,DSL,Yes,No,Yes,Yes,Yes,No,Two year,Yes,"
        "Bank transfer (automatic),52.55, ,No",
        "9237-HQITU,Female,1,No,No,2,Yes,No,Fiber optic,No,No,No,No,No,No,Month-to-month,Yes,"
        "Electronic check,70.7,151.65,Yes",
        "3115-CZMZD,Male,0,No,Yes,0,Yes,No,No,No internet service,No internet service,No internet service,"
        "No internet service,No internet service,No internet service,Two year,No,Mailed check,20.25, ,No",
    ]
    path = tmp_path / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    path.write_text(TELCO_HEADER + "\n" + "\n".join(rows) + "\n")
    df = load_telco_csv(path)
    assert list(df.columns) == list(TELCO_COLUMNS) and len(df) == 5
    assert df["TotalCharges"].isna().tolist() == [False, False, True, False, True]
    assert df["TotalCharges"].iloc[1] == 1889.5
    for col in TELCO_COLUMNS:
        want = CANONICAL_DTYPES[col]
        assert (isinstance(df[col].dtype, pd.StringDtype) if want == "str" else df[col].dtype == want), col
    assert df["SeniorCitizen"].tolist() == [0, 0, 0, 1, 0]


def test_loader_round_trip_of_a_generated_frame(tmp_path, small):
    path = tmp_path / "customers.csv"
    small.to_csv(path, index=False)
    back = load_telco_csv(path)
    pd.testing.assert_frame_equal(back, small)


@pytest.mark.parametrize("edit,culprit", [
    (lambda t: t.replace("1889.5", "abc"), "TotalCharges"),
    (lambda t: t.replace(",34,", ",thirty,"), "tenure"),
    (lambda t: t.replace("Mailed check", "Bitcoin"), "Bitcoin"),
    (lambda t: t.replace("customerID,", ""), "customerID"),
])
def test_loader_names_bad_values(tmp_path, edit, culprit):
    line = "5575-GNVDE,Male,0,No,No,34,Yes,No,DSL,Yes,No,Yes,No,No,No,One year,No,Mailed check,56.95,1889.5,No"
    path = tmp_path / "bad.csv"
    path.write_text(edit(TELCO_HEADER + "\n" + line + "\n"))
    with pytest.raises(SchemaError, match=culprit) as err:
        load_telco_csv(path)
    assert "bad.csv" in str(err.value)


def test_loader_missing_file_names_it(tmp_path):
    with pytest.raises(SchemaError, match="nope.csv"):
        load_telco_csv(tmp_path / "nope.csv")


# ---------------------------------------------------------------------------------- bad inputs


def _set(col, value, rows=(3,)):
    def f(df):
        df = df.copy()
        vals = df[col].to_numpy(dtype=object).copy()
        for r in rows:
            vals[r] = value
        df[col] = pd.Series(vals, index=df.index).astype(df[col].dtype) if not isinstance(value, str) or \
            df[col].dtype == "str" else pd.Series(vals, index=df.index)
        return df
    return f


def _astype(col, dtype):
    return lambda df: df.assign(**{col: df[col].astype(dtype)})


BAD_INPUTS = [
    ("missing column", lambda df: df.drop(columns=["tenure"]), "tenure"),
    ("missing label", lambda df: df.drop(columns=["Churn"]), "Churn"),
    ("extra column", lambda df: df.assign(favourite_colour="blue"), "favourite_colour"),
    ("tenure as strings", _astype("tenure", "str"), "tenure"),
    ("charges as strings", _astype("MonthlyCharges", "str"), "MonthlyCharges"),
    ("senior as Yes/No", lambda df: df.assign(SeniorCitizen=np.where(df["SeniorCitizen"] == 1, "Yes", "No")),
     "SeniorCitizen"),
    ("label as 0/1", lambda df: df.assign(Churn=(df["Churn"] == "Yes").astype(int)), "Churn"),
    ("unknown category", _set("Contract", "Three year"), "Three year"),
    ("lower-case yes", _set("Partner", "yes"), "Partner"),
    ("negative charge", _set("MonthlyCharges", -5.0), "MonthlyCharges"),
    ("negative total", _set("TotalCharges", -1.0), "TotalCharges"),
    ("infinite charge", _set("MonthlyCharges", np.inf), "MonthlyCharges"),
    ("tenure > 72", _set("tenure", 73), "tenure"),
    ("negative tenure", _set("tenure", -1), "tenure"),
    ("senior = 2", _set("SeniorCitizen", 2), "SeniorCitizen"),
    ("non-binary label", _set("Churn", "Maybe"), "Maybe"),
    ("empty frame", lambda df: df.iloc[:0], "empty"),
    ("duplicate ids", lambda df: df.assign(customerID=df["customerID"].where(df.index != 4, df["customerID"].iloc[3])),
     "duplicate"),
    ("missing gender", _set("gender", np.nan), "gender"),
    ("blank total with tenure", lambda df: df.assign(TotalCharges=df["TotalCharges"].where(df.index != 3, np.nan),
                                                     tenure=df["tenure"].where(df.index != 3, 5)), "TotalCharges"),
    ("add-on without internet", lambda df: df.assign(
        InternetService=df["InternetService"].where(df.index != 3, "DSL"),
        OnlineSecurity=df["OnlineSecurity"].where(df.index != 3, "No internet service")), "OnlineSecurity"),
    ("lines without phone", lambda df: df.assign(
        PhoneService=df["PhoneService"].where(df.index != 3, "Yes"),
        MultipleLines=df["MultipleLines"].where(df.index != 3, "No phone service")), "MultipleLines"),
    ("unknown state", _set("state", "XX"), "XX"),
    ("age too low", _set("age", 5), "age"),
    ("signup date as text", _astype("signup_date", "str"), "signup_date"),
    ("duplicated column name", lambda df: pd.concat([df, df[["gender"]]], axis=1), "gender"),
    ("not a frame", lambda df: df.to_dict(), "DataFrame"),
]


@pytest.mark.parametrize("name,corrupt,culprit", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_schema_error_naming_the_culprit(small, name, corrupt, culprit):
    bad = corrupt(small.copy())
    with pytest.raises(SchemaError) as err:
        validate_customers(bad)
    assert culprit in str(err.value), str(err.value)
    assert isinstance(err.value, ValueError)


def test_error_names_the_first_offending_rows(small):
    bad = _set("tenure", 99, rows=(3, 7, 8))(small)
    with pytest.raises(SchemaError, match=r"rows \[3, 7, 8\]"):
        validate_customers(bad)


def test_all_problems_reported_at_once(small):
    bad = _set("Contract", "Forever")(small).assign(tenure=small["tenure"].where(small.index != 5, 100))
    with pytest.raises(SchemaError) as err:
        validate_customers(bad)
    assert "Forever" in str(err.value) and "tenure" in str(err.value) and "2 problem(s)" in str(err.value)


def test_optional_columns(small):
    validate_customers(small[list(TELCO_COLUMNS)])  # teaching columns are optional
    validate_customers(small.drop(columns=["Churn"]), require_label=False)  # scoring frames
    validate_customers(small.assign(num_optional_services=1), allow_extra=True)
    obj = small.astype({c: object for c in small.columns if small[c].dtype == "str"})
    validate_customers(obj)  # object columns holding strings are fine too


def test_psi_of_the_monitoring_module():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=20000), rng.normal(size=20000)
    assert psi(a, b) < 0.01
    assert psi(a, b + 1.0) > 0.2
    assert psi(pd.Series(["x"] * 50 + ["y"] * 50), pd.Series(["x"] * 90 + ["y"] * 10)) > 0.2
