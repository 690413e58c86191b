"""The data engineer's quality report (lecture 4.2), chapter 01: every injected problem is found, a clean table
has none, and validation refuses the dirty extract naming each culprit column."""

from __future__ import annotations


import pandas as pd
import pytest

from mlops_edu.data import (SchemaError, dirty_extract, make_customers, quality_report, schema_problems,
                            validate_customers)


@pytest.fixture(scope="module")
def extract():
    return dirty_extract(make_customers(800, seed=2), seed=3)



def test_report_finds_every_injected_problem(extract):
    report = quality_report(extract.frame).groupby(["check", "column"])["rows"].sum()
    injected = extract.injected.set_index(["check", "column"])["rows"]
    assert report.reindex(injected.index).tolist() == injected.tolist()
    assert set(report.index) == set(injected.index)   # and nothing else


def test_clean_table_has_no_problem():
    assert quality_report(make_customers(800, seed=2)).empty


def test_dirty_extract_is_reproducible_and_leaves_the_input_alone():
    clean = make_customers(300, seed=1)
    before = clean.copy()
    a, b = dirty_extract(clean, seed=5), dirty_extract(clean, seed=5)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(clean, before)
    assert len(a.frame) == len(clean) + 2 * 3


def test_spelling_vs_unknown_category():
    frame = make_customers(50, seed=0)
    frame.loc[0, "Contract"] = "two-year"      # a valid value written differently
    frame.loc[1, "Contract"] = "Lifetime"      # not a value at all
    report = quality_report(frame).set_index("check")
    assert report.loc["inconsistent spelling", "examples"] == ["two-year"]
    assert report.loc["unknown category", "examples"] == ["Lifetime"]


def test_blank_total_charges_allowed_only_for_new_customers():
    frame = make_customers(2000, seed=0)
    assert frame["TotalCharges"].isna().any() and quality_report(frame).empty   # tenure-0 blanks are fine
    frame.loc[frame.index[frame["tenure"] > 0][0], "TotalCharges"] = float("nan")
    report = quality_report(frame)
    assert report[["check", "column", "rows"]].values.tolist() == [["missing value", "TotalCharges", 1]]


def test_validation_refuses_and_names_every_column(extract):
    with pytest.raises(SchemaError) as refused:
        validate_customers(extract.frame)
    problems = schema_problems(refused.value)
    named = " ".join(problems)
    for column in set(extract.injected["column"]) - {"(all)"}:
        assert f"'{column}'" in named, column
    assert all(p.startswith("column ") for p in problems)
