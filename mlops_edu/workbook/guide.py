"""Chapter 00 ("start here"): environment check, chapter map, MLflow stores, bilingual glossary.

Serves the workbook's orientation chapter: before any lecture section, a student checks that the
environment matches the pins the workbook was executed with, sees which chapter mirrors which lecture
section, learns where every chapter's MLflow store lives, and gets the lecture's terms in English and
Korean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from mlops_edu.workbook.packages import workbook_packages
from mlops_edu.workbook.workspace import mlflow_ui_command, repo_root

@dataclass(frozen=True)
class Chapter:
    """One chapter of the workbook.

    Attributes
    ----------
    number : str
        Two digits, e.g. ``"02"``.
    notebook : str
        The notebook's name without ``.ipynb``.
    lecture : str
        The lecture sections it mirrors (``"-"``: none).
    what : str
        What happens in it.
    """

    number: str
    notebook: str
    lecture: str
    what: str


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("00", "00_start_here", "-", "environment check, chapter map, exercises, MLflow UI, glossary"),
    Chapter("01", "01_mlops_and_roles", "3, 4", "BI vs ML on churn; churn definition as code; KPI and ROI; roles x stages"),
    Chapter("02", "02_training_pipeline", "5.1", "split, feature engineering, candidates, overfitting, deploy gate, MLflow"),
    Chapter("03", "03_inference_pipeline", "5.2, 2", "nightly batch list; real-time REST scoring; streaming micro-batches"),
    Chapter("04", "04_monitoring_pipeline", "5.3", "baselines; data drift, concept drift, quality decay; alerts; retraining"),
    Chapter("05", "05_deployment_patterns", "6", "dev/staging/prod; deploy-model vs deploy-code; canary, blue/green, rollback"),
    Chapter("06", "06_data_centric_ai", "7", "label noise, coverage, timely feedback, data size"),
    Chapter("07", "07_hyperparameter_tuning", "9.1", "2x2 grid loop; grid vs random vs TPE vs genetic at equal budget"),
    Chapter("08", "08_cross_validation", "9.2", "K=3 passes; spread; tuning on the test set; stratification; nested CV"),
    Chapter("09", "09_lab_end_to_end", "10", "Delta tables, MLflow lineage, registry aliases, validation, batch inference"),
    Chapter("10", "10_closed_loop", "8", "the whole loop over simulated months: maturity levels 1 to 3"),
)


@dataclass(frozen=True)
class Term:
    """One term of the lecture, in English and Korean.

    Attributes
    ----------
    english, korean : str
        The term in both languages.
    meaning : str
        A one-line meaning.
    lecture : str
        The lecture sections where it appears.
    """

    english: str
    korean: str
    meaning: str
    lecture: str


GLOSSARY: tuple[Term, ...] = (
    Term("MLOps", "엠엘옵스 (MLOps)", "DevOps for machine learning: code and data, built, deployed and monitored together", "3.1"),
    Term("churn", "고객 이탈", "a customer leaving; the lecture's business case is predicting it before it happens", "3.2"),
    Term("model drift", "모델 드리프트", "a deployed model's quality decaying over time as the world changes", "2, 5.3"),
    Term("data drift", "데이터 드리프트", "the distribution of the inputs changes (e.g. a campaign brings younger customers)", "5.3"),
    Term("concept drift", "개념 드리프트 (컨셉 드리프트)", "the relationship between inputs and label changes (why customers leave)", "5.3"),
    Term("MLflow Tracking", "MLflow 트래킹 (실험 추적)", "records runs: parameters, metrics, artifacts and dataset lineage", "2, 10.3"),
    Term("MLflow Model Registry", "MLflow 모델 레지스트리", "versioned models with descriptions, tags and aliases (Champion, Challenger)", "2, 10.4"),
    Term("feature engineering", "피처 엔지니어링 (특성 공학)", "turning raw columns into model inputs, e.g. num_optional_services", "2, 5.1, 10.2"),
    Term("feature store", "피처 스토어", "a shared, versioned place for features used in training and serving", "2, 5.1"),
    Term("serving types", "서빙 유형 (배치, 실시간, 스트리밍)", "batch, real-time (REST) and streaming inference", "2, 5.2"),
    Term("overfitting", "과적합", "fitting the training data so closely that validation performance drops", "2, 5.1"),
    Term("AutoML", "자동화 머신러닝 (AutoML)", "automatic search over models and hyperparameters", "2"),
    Term("CI/CD", "지속적 통합 / 지속적 배포 (CI/CD)", "automatically test, build and deploy every change", "4.4, 6.3"),
    Term("model artifact", "모델 아티팩트", "the stored, loadable model with its signature and requirements", "5.1, 11"),
    Term("lineage", "리니지 (계보)", "which data version and which code produced which model and which predictions", "10.3, 10.4"),
    Term("hyperparameter", "하이퍼파라미터", "a setting chosen before training (tree depth, number of trees)", "9.1"),
    Term("grid search", "그리드 서치", "try every combination of listed hyperparameter values", "9.1"),
    Term("k-fold cross-validation", "K-겹 교차 검증", "train K times, each time validating on a different fold", "9.2"),
    Term("champion / challenger", "챔피언 / 챌린저", "the model in production vs the candidate that must beat it", "10.5"),
    Term("data-centric AI", "데이터 중심 AI", "improve the data (labels, coverage, feedback, size) rather than the model", "7"),
    Term("inference", "추론", "using a trained model to score new customers", "5.2"),
    Term("retraining", "재학습", "training again on fresh data when monitoring raises an alert", "5.3, 6.2"),
)
"""The lecture's terms; ``lecture`` names the sections of the lecture notes where each appears (section 2 is
the review of the previous lecture, 11 the lecture's own glossary)."""


def chapter_map(workbook: Path | None = None) -> pd.DataFrame:
    """The chapter map against the lecture sections, with whether each notebook exists in ``workbook``.

    Parameters
    ----------
    workbook : Path or None
        Folder of the notebooks; default ``<repository>/workbook`` (the current folder outside a repository).

    Returns
    -------
    pandas.DataFrame
        Index ``chapter``; columns ``notebook``, ``lecture section``, ``what happens``, ``available``.
    """
    root = repo_root()
    workbook = workbook or (root / "workbook" if root else Path("."))
    return pd.DataFrame(
        [{"chapter": c.number, "notebook": f"{c.notebook}.ipynb", "lecture section": c.lecture,
          "what happens": c.what, "available": (workbook / f"{c.notebook}.ipynb").exists()} for c in CHAPTERS]
    ).set_index("chapter")


def glossary() -> pd.DataFrame:
    """The lecture's terms in English and Korean with a one-line meaning and the lecture section.

    Returns
    -------
    pandas.DataFrame
        Index ``english``; columns ``korean``, ``meaning``, ``lecture``.
    """
    return pd.DataFrame([vars(t) for t in GLOSSARY]).set_index("english")


def mlflow_stores() -> pd.DataFrame:
    """Where each chapter's MLflow store lives and the command that opens it (run from the repo root).

    Returns
    -------
    pandas.DataFrame
        Index ``chapter``; columns ``store`` and ``open it with``.
    """
    rows = []
    for c in CHAPTERS:
        db = f"workspaces/{c.number}/mlflow.db"
        rows.append({"chapter": c.number, "store": db, "open it with": mlflow_ui_command(db)})
    return pd.DataFrame(rows).set_index("chapter")


@dataclass(frozen=True)
class EnvironmentReport:
    """Result of :func:`check_environment`: a table of the required packages and the mismatches.

    Attributes
    ----------
    table : pandas.DataFrame
        Index ``package``; columns ``pinned``, ``installed`` and ``ok`` (empty without a constraints file).
    problems : tuple of str
        One line per problem.
    """

    table: pd.DataFrame
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def summary(self) -> str:
        """One sentence when the set-up is complete, else one line per problem."""
        if self.ok:
            return ("Setup complete: every required package is installed and every installed package "
                    "pinned in constraints.txt has its pinned version.")
        return "Setup is off:\n" + "\n".join(f"  - {p}" for p in self.problems)


def read_pins(path: Path) -> dict[str, str]:
    """``{normalised name: version}`` from a ``name==version`` constraints file.

    Comments (``#``) and blank lines are skipped, an environment marker after ``;`` is allowed; names are
    normalised (lower case, runs of ``-``, ``_``, ``.`` as one ``-``).

    Parameters
    ----------
    path : Path
        The constraints file.

    Returns
    -------
    dict of str to str

    Raises
    ------
    ValueError
        For a line that is not ``name==version``, naming the file and line.
    """
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)\s*(;.*)?", line)
        if not match:
            raise ValueError(f"{path.name} line {number}: expected 'name==version', got {line!r}")
        pins[_normalise(match.group(1))] = match.group(2)
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_environment(constraints: Path | None = None,
                      required: tuple[str, ...] | None = None) -> EnvironmentReport:
    """Compare the installed packages with the pins in ``constraints.txt``.

    Every package in ``required`` must be installed; every installed package that is pinned must have
    exactly the pinned version. Returns the table of required packages and the list of problems, each
    naming the package, its pinned and its installed version.

    Parameters
    ----------
    constraints : Path or None
        The constraints file; default ``constraints.txt`` of the repository (of the current folder outside
        one). A missing file is one problem.
    required : tuple of str or None
        Packages that must be installed; default :func:`~mlops_edu.workbook.packages.workbook_packages`
        with the ``dev`` extra.

    Returns
    -------
    EnvironmentReport
    """
    required = workbook_packages(("dev",)) if required is None else required   # the one package list
    root = repo_root()
    constraints = constraints or (root / "constraints.txt" if root else Path("constraints.txt"))
    if not constraints.exists():
        return EnvironmentReport(pd.DataFrame(), (f"constraints file not found: {constraints.name}",))
    pins = read_pins(constraints)
    installed = {_normalise(d.metadata["Name"]): d.version for d in metadata.distributions()}
    problems = []
    for name in required:
        if _normalise(name) not in installed:
            problems.append(f"{name}: not installed (pinned {pins.get(_normalise(name), '?')})")
    for name, version in sorted(pins.items()):
        have = installed.get(name)
        if have is not None and have != version:
            problems.append(f"{name}: installed {have}, pinned {version}")
    table = pd.DataFrame(
        [{"package": n, "pinned": pins.get(_normalise(n), "-"), "installed": installed.get(_normalise(n), "missing")}
         for n in required]
    ).set_index("package")
    table["ok"] = table["pinned"] == table["installed"]
    return EnvironmentReport(table, tuple(problems))


CHAPTER_REFERENCE = re.compile(r"\b[Cc]hapters?\s+((?:\d{2}(?:\s*(?:,|and|or|to|-|–)\s*)?)+)")
"""``chapter 02``, ``chapters 07 and 08``, ``chapters 01, 02, 03 and 09``: a reference to notebooks by number."""


def chapter_references(text: str) -> set[str]:
    """The chapter numbers a text refers to.

    Parameters
    ----------
    text : str
        Markdown or printed output.

    Returns
    -------
    set of str
        Two-digit numbers.

    Example
    -------
    >>> sorted(chapter_references("Next: chapter 03. Chapters 07 and 08 return; see chapters 01, 02 and 09."))
    ['01', '02', '03', '07', '08', '09']
    """
    return {number for match in CHAPTER_REFERENCE.finditer(text) for number in re.findall(r"\d{2}", match.group(1))}


def broken_chapter_links(workbook: Path | None = None) -> list[str]:
    """Every reference, in a chapter's markdown or printed output, to a chapter whose notebook does not exist.

    Parameters
    ----------
    workbook : Path or None
        Folder of the notebooks; default ``<repository>/workbook`` (``workbook`` outside a repository).

    Returns
    -------
    list of str
        Lines ``"<notebook>: chapter NN"`` (empty when every reference resolves).
    """
    import nbformat

    root = repo_root()
    workbook = workbook or (root / "workbook" if root else Path("workbook"))
    existing = {p.name[:2] for p in workbook.glob("[0-9][0-9]_*.ipynb")}
    problems = []
    for path in sorted(workbook.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
        texts += ["".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        for number in sorted(set().union(*(chapter_references(t) for t in texts)) - existing):
            problems.append(f"{path.name}: chapter {number}")
    return problems
