"""Drift statistics and the drift report (lecture 5.3): PSI, the six tests, Evidently's rule, the contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlops_edu.data import make_customers
from mlops_edu.data.schema import SchemaError
from mlops_edu.monitoring import (
    DriftReport,
    binned_counts,
    column_kind,
    column_statistic,
    default_test,
    drift_report,
    expected_psi_no_shift,
    is_drift,
    profile,
    psi,
    psi_edges,
    psi_from_shares,
)
from mlops_edu.monitoring.drift import EMPTY_BIN, REPORT_COLUMNS


@pytest.fixture(scope="module")
def customers():
    return make_customers(6000, seed=3)


# ------------------------------------------------------------------------------------------------ PSI

@pytest.mark.parametrize("n", [200, 1000])
def test_psi_under_no_shift_is_close_to_b_minus_1_times_1_over_n_plus_1_over_m(n):
    rng = np.random.default_rng(n)
    values = [psi(rng.normal(size=n), rng.normal(size=n)) for _ in range(400)]
    expected = expected_psi_no_shift(n, n)
    assert expected == pytest.approx(9 * 2 / n)
    assert np.mean(values) == pytest.approx(expected, rel=0.12)


def test_psi_noise_alone_crosses_the_rule_of_thumb_at_100_rows():
    rng = np.random.default_rng(0)
    values = np.array([psi(rng.normal(size=100), rng.normal(size=100)) for _ in range(200)])
    assert expected_psi_no_shift(100, 100) == pytest.approx(0.18)
    assert (values >= 0.1).mean() > 0.7
    assert np.mean(values) > 0.15


def test_psi_bins_are_reference_quantiles_with_open_outer_edges():
    edges = psi_edges(np.arange(1000.0))
    assert len(edges) == 9
    counts = binned_counts(np.array([-1e9, 5.0, 1e9]), edges)
    assert counts.tolist() == [2] + [0] * 8 + [1]   # beyond the range: the open outer bins
    reference_counts = binned_counts(np.arange(1000.0), edges)
    assert reference_counts.tolist() == [100] * 10


def test_psi_counts_an_empty_bin_as_0_0001():
    value = psi_from_shares([0.5, 0.5], [1.0, 0.0])
    expected = (1.0 - 0.5) * np.log(1.0 / 0.5) + (EMPTY_BIN - 0.5) * np.log(EMPTY_BIN / 0.5)
    assert np.isfinite(value) and value == pytest.approx(expected)


def test_psi_of_categories_and_a_shift():
    a = pd.Series(["x"] * 50 + ["y"] * 50)
    b = pd.Series(["x"] * 90 + ["y"] * 10)
    assert psi(a, b) == pytest.approx(0.4 * np.log(0.9 / 0.5) - 0.4 * np.log(0.1 / 0.5))
    rng = np.random.default_rng(1)
    x = rng.normal(size=20_000)
    assert psi(x, rng.normal(size=20_000)) < 0.01
    assert psi(x, rng.normal(size=20_000) + 1) > 0.2


def test_psi_of_the_stored_profile_equals_psi_of_the_training_rows(customers):
    base = profile(customers.iloc[:4000])
    batch = customers.iloc[4000:5000]
    for col in ("tenure", "MonthlyCharges", "Contract", "SeniorCitizen", "state"):
        assert base[col].psi(batch[col]) == pytest.approx(psi(customers.iloc[:4000][col], batch[col]), abs=1e-12)


# ------------------------------------------------------------------------------------------- the tests

def test_column_kinds():
    assert column_kind(pd.Series([0, 1, 1, 0])) == "binary"
    assert column_kind(pd.Series(["a", "b", "c"])) == "categorical"
    assert column_kind(pd.Series([1, 2, 3, 4, 5])) == "categorical"          # 5 distinct numbers
    assert column_kind(pd.Series(np.arange(100.0))) == "numeric"
    assert column_kind(pd.Series(pd.date_range("2024-01-01", periods=30))) == "numeric"


def test_evidently_rule_switches_at_1000_reference_rows():
    assert [default_test(k, 1000) for k in ("numeric", "binary", "categorical")] == ["ks", "z", "chi2"]
    assert [default_test(k, 1001) for k in ("numeric", "binary", "categorical")] == \
        ["wasserstein", "jensenshannon", "jensenshannon"]


def test_p_value_tests_match_scipy_and_distances_have_their_scale():
    rng = np.random.default_rng(2)
    a, b = pd.Series(rng.normal(size=500)), pd.Series(rng.normal(size=500) + 0.3)
    assert column_statistic(a, b, "ks") == pytest.approx(stats.ks_2samp(a, b).pvalue)
    # Wasserstein divided by the reference's standard deviation: a one-sd shift is about 1
    assert column_statistic(a, a + a.std(ddof=0), "wasserstein") == pytest.approx(1.0, rel=1e-6)
    x, y = pd.Series(["a"] * 60 + ["b"] * 40), pd.Series(["a"] * 40 + ["b"] * 60)
    table = np.array([[60, 40], [40, 60]])
    assert column_statistic(x, y, "chi2") == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
    # two-proportion Z test, pooled: its p-value equals the 2x2 chi-squared one
    assert column_statistic(x, y, "z") == pytest.approx(column_statistic(x, y, "chi2"))
    # Jensen-Shannon distance in base 2 lies in [0, 1]: disjoint categories are exactly 1
    assert column_statistic(pd.Series(["a"] * 10), pd.Series(["b"] * 10), "jensenshannon") == pytest.approx(1.0)
    assert column_statistic(x, x, "jensenshannon") == pytest.approx(0.0)


def test_numeric_tests_refuse_categorical_columns():
    with pytest.raises(ValueError, match="needs a numeric column"):
        column_statistic(pd.Series(["a", "b"] * 5), pd.Series(["a", "b"] * 5), "ks")
    with pytest.raises(ValueError, match="unknown drift test"):
        column_statistic(pd.Series([1.0] * 10), pd.Series([1.0] * 10), "t-test")


def test_is_drift_direction():
    assert is_drift("ks", 0.01, 0.05) and not is_drift("ks", 0.2, 0.05)
    assert is_drift("psi", 0.1, 0.1) and not is_drift("wasserstein", 0.09, 0.1)
    assert not is_drift("jensenshannon", float("nan"), 0.1)


def test_p_values_are_calibrated_under_no_shift():
    rng = np.random.default_rng(5)
    flags = [column_statistic(pd.Series(rng.normal(size=300)), pd.Series(rng.normal(size=300)), "ks") < 0.05
             for _ in range(300)]
    assert 0.02 < np.mean(flags) < 0.09


# ------------------------------------------------------------------------------------------ the report

def test_report_contract_columns_and_defaults(customers):
    report = drift_report(customers.iloc[:3000], customers.iloc[3000:])
    assert isinstance(report, DriftReport)
    assert list(report.columns.columns) == list(REPORT_COLUMNS)
    assert "customerID" not in set(report.columns["column"]) and "Churn" not in set(report.columns["column"])
    assert len(report.columns) == customers.shape[1] - 2
    assert report.columns["drifted"].dtype == bool
    assert report.drift_share == pytest.approx(report.columns["drifted"].mean())
    assert set(report.columns["test"]) <= {"wasserstein", "jensenshannon"}      # 3,000 reference rows


def test_two_random_halves_of_one_frame_show_no_dataset_drift(customers):
    shuffled = customers.sample(frac=1.0, random_state=0)
    for size in (800, 3000):   # p-value tests, then distances
        report = drift_report(shuffled.iloc[:size], shuffled.iloc[size:2 * size])
        assert not report.dataset_drift
        assert report.drift_share < 0.2


def test_a_big_shift_is_dataset_drift(customers):
    moved = make_customers(3000, seed=9, young_share=0.9, price_change=0.5)
    report = drift_report(customers.iloc[:3000], moved)
    assert report.dataset_drift and report.drift_share >= 0.5
    assert {"age", "MonthlyCharges", "SeniorCitizen"} <= set(report.drifted_columns)


def test_schema_errors_name_the_columns(customers):
    ref, cur = customers.iloc[:1000], customers.iloc[1000:2000]
    with pytest.raises(SchemaError, match=r"missing column\(s\) \['tenure'\]"):
        drift_report(ref, cur.drop(columns=["tenure"]))
    with pytest.raises(SchemaError, match=r"unexpected column\(s\) \['extra'\]"):
        drift_report(ref, cur.assign(extra=1.0))
    with pytest.raises(SchemaError, match="'MonthlyCharges' holds numeric values in the reference but categorical"):
        drift_report(ref, cur.assign(MonthlyCharges=cur["MonthlyCharges"].astype(str)))
    with pytest.raises(SchemaError, match=r"\['nope'\] not in the reference"):
        drift_report(ref, cur, columns=["tenure", "nope"])
    with pytest.raises(SchemaError, match="empty"):
        drift_report(ref, cur.iloc[:0])
    # a scoring batch without the label is fine: Churn is never compared
    assert len(drift_report(ref, cur.drop(columns=["Churn"])).columns) == customers.shape[1] - 2


def test_overrides(customers):
    ref, cur = customers.iloc[:2000], customers.iloc[2000:3000]
    report = drift_report(ref, cur, ["tenure", "Contract"], test="psi", threshold={"Contract": 0.0})
    assert report.columns["test"].tolist() == ["psi", "psi"]
    assert report.columns.set_index("column").loc["Contract", "drifted"]       # threshold 0 always fires
    assert report.columns.set_index("column").loc["tenure", "threshold"] == 0.1
    assert drift_report(ref, cur, ["tenure"], test={"tenure": "ks"}).columns["test"].tolist() == ["ks"]
    with pytest.raises(ValueError, match="not compared"):
        drift_report(ref, cur, ["tenure"], test={"Contract": "chi2"})
    with pytest.raises(ValueError, match="unknown drift test"):
        drift_report(ref, cur, ["tenure"], test="anova")
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        drift_report(ref, cur, ["tenure"], threshold=-0.1)
    one = drift_report(ref, cur, ["tenure", "Contract"], threshold={"Contract": 0.0}, drift_share=0.5)
    assert one.drift_share == 0.5 and one.dataset_drift
    assert not drift_report(ref, cur, ["tenure", "Contract"], threshold={"Contract": 0.0}, drift_share=0.6).dataset_drift


def test_report_to_dict_is_json_ready(customers):
    import json

    data = drift_report(customers.iloc[:500], customers.iloc[500:1000]).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"n_reference", "n_current", "drift_share", "share_threshold", "dataset_drift", "columns"}
