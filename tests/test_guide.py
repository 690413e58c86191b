"""Chapter 00's helpers: environment check against the pins, chapter map, stores, glossary, chapter links."""

import re
from pathlib import Path

import pytest

from mlops_edu.workbook.guide import (
    CHAPTERS,
    GLOSSARY,
    broken_chapter_links,
    chapter_map,
    chapter_references,
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


def test_chapter_map_marks_what_exists(tmp_path):
    (tmp_path / "00_start_here.ipynb").write_text("{}")
    (tmp_path / "09_lab_end_to_end.ipynb").write_text("{}")
    table = chapter_map(tmp_path)
    assert list(table.index) == [c.number for c in CHAPTERS]
    assert table.index[table["available"]].tolist() == ["00", "09"]
    assert table.loc["09", "notebook"] == "09_lab_end_to_end.ipynb"


def test_every_chapter_reference_points_to_an_existing_notebook():
    assert broken_chapter_links() == []


def test_a_reference_to_a_missing_chapter_is_found(tmp_path):
    import nbformat

    cell = nbformat.v4.new_markdown_cell("**Next:** chapter 03, then chapters 07 and 09.")
    nb = nbformat.v4.new_notebook(cells=[cell])
    nbformat.write(nb, tmp_path / "02_training_pipeline.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "07_tuning.ipynb")
    assert broken_chapter_links(tmp_path) == ["02_training_pipeline.ipynb: chapter 03",
                                              "02_training_pipeline.ipynb: chapter 09"]
    assert chapter_references("see chapter 5.3 of the lecture") == set()   # a lecture section is no chapter


def test_glossary_sections_are_the_lectures():
    sections = {t.english: t.lecture for t in GLOSSARY}
    assert sections["MLOps"].startswith("3")                     # section 3 defines MLOps
    assert sections["champion / challenger"] == "10.5" and "10" in sections["MLflow Model Registry"]
    assert sections["AutoML"] == "2"                             # only in the review of the previous lecture
    lecture = (Path(__file__).resolve().parents[2] / "shared" / "lecture" / "000_f551807894243ee5.txt")
    if lecture.exists():                                         # the notes are outside the repository
        text = lecture.read_text(encoding="utf-8")
        for number in {n.strip() for t in GLOSSARY for n in t.lecture.split(",")}:
            assert re.search(rf"^{re.escape(number)}\s", text, re.M), f"section {number} is not in the lecture"


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
