"""Chapter 00's helpers: environment check against the pins, chapter map, stores, glossary."""

import pytest

from mlops_edu.workbook.guide import (
    CHAPTERS,
    GLOSSARY,
    chapter_map,
    check_environment,
    glossary,
    mlflow_stores,
    read_pins,
)


def test_environment_matches_the_lock():
    report = check_environment()
    assert report.ok, report.summary()
    assert report.summary().startswith("Setup complete")
    assert report.table["ok"].all()


def test_a_package_off_its_pin_is_named(tmp_path):
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# lock\nmlflow==0.0.1\npandas==1.0.0 ; python_version>'3'\n")
    report = check_environment(constraints, required=("mlflow", "not-a-real-package"))
    assert not report.ok
    text = report.summary()
    assert "mlflow: installed 3.17" in text and "pinned 0.0.1" in text
    assert "not-a-real-package: not installed" in text


def test_read_pins_names_a_bad_line(tmp_path):
    bad = tmp_path / "constraints.txt"
    bad.write_text("numpy==2.0\nmlflow>=3\n")
    with pytest.raises(ValueError, match="line 2: expected 'name==version', got 'mlflow>=3'"):
        read_pins(bad)


def test_chapter_map_follows_the_design():
    table = chapter_map()
    assert list(table.index) == [f"{i:02d}" for i in range(11)]
    assert table.loc["00", "available"]
    assert table.loc["07", "lecture section"] == "9.1" and table.loc["08", "lecture section"] == "9.2"
    assert len(CHAPTERS) == 11


def test_glossary_has_every_term_the_issue_lists():
    terms = set(glossary().index)
    for term in ("model drift", "MLflow Tracking", "MLflow Model Registry", "feature engineering", "feature store",
                 "serving types", "overfitting", "AutoML", "data drift", "concept drift", "CI/CD", "model artifact",
                 "lineage", "hyperparameter", "grid search", "k-fold cross-validation", "champion / challenger",
                 "data-centric AI"):
        assert term in terms
    assert all(t.korean and t.meaning for t in GLOSSARY)


def test_stores_are_relative_to_the_repository():
    stores = mlflow_stores()
    assert stores.loc["09", "store"] == "workspaces/09/mlflow.db"
    assert stores.loc["09", "open it with"].startswith("mlflow ui --backend-store-uri sqlite:///workspaces/09/")
