"""The people of MLOps (lecture 4): five roles, seven pipeline stages, who leads, collaborates, oversees.

The data here is the lecture's own summary table ("역할별 ML 파이프라인 참여도 요약", section 4) and the
mission of each role (4.1-4.5), so chapter 01 renders it instead of retyping it.

Example
-------
>>> roles_matrix().loc["ML engineer", "6. deployment"]
'leads'
"""

from __future__ import annotations

import pandas as pd

ROLES: dict[str, tuple[str, str, str]] = {
    "business stakeholder": ("비즈니스 이해관계자", "owns the business value: defines the problem (what is churn?), "
                             "sets the KPIs (churn rate, retention, ROI of the discount), checks the result",
                             "a clear problem and KPIs"),
    "data engineer": ("데이터 엔지니어", "builds the data pipelines: collects (CRM, web logs, payments), ETL/ELT, "
                      "quality assurance (missing values, duplicates, inconsistencies), infrastructure",
                      "a trustworthy production-grade data set"),
    "data scientist": ("데이터 사이언티스트", "turns data into predictions: EDA, feature engineering, model "
                       "selection and training, evaluation, interpretation with the business",
                       "a validated model"),
    "ML engineer": ("머신러닝 엔지니어", "turns the prototype into a product: deployment (API, batch scoring), "
                    "CI/CD, monitoring (accuracy, drift, latency, bias), scalability",
                    "a model in production, monitored"),
    "governance officer": ("데이터 거버넌스 책임자", "oversees security, privacy (anonymisation) and access "
                           "control across the whole pipeline", "compliance"),
}
"""Role -> (Korean name in the lecture, mission, deliverable) (lecture 4.1-4.5)."""

STAGES: dict[str, dict[str, str]] = {
    "1. data preparation": {"data engineer": "leads"},
    "2. EDA": {"data scientist": "leads"},
    "3. feature engineering": {"data scientist": "leads"},
    "4. model training": {"data scientist": "leads"},
    "5. model validation": {"data scientist": "collaborates", "ML engineer": "collaborates",
                            "business stakeholder": "collaborates"},
    "6. deployment": {"ML engineer": "leads", "business stakeholder": "collaborates"},
    "7. monitoring": {"ML engineer": "leads", "business stakeholder": "collaborates"},
}
"""Stage -> {role: part} from the lecture's summary; the governance officer oversees every stage."""

OVERSEER = "governance officer"


def roles_matrix() -> pd.DataFrame:
    """Roles (rows) x stages (columns): "leads", "collaborates", "oversees" or "" (lecture 4 summary).

    >>> roles_matrix().loc["governance officer"].unique().tolist()
    ['oversees']
    """
    table = pd.DataFrame("", index=list(ROLES), columns=list(STAGES))
    for stage, parts in STAGES.items():
        for role, part in parts.items():
            table.loc[role, stage] = part
        table.loc[OVERSEER, stage] = "oversees"
    table.index.name = "role"
    return table


def role_cards() -> pd.DataFrame:
    """One row per role: its name in the lecture (Korean), mission and deliverable; plus the stages it leads.

    >>> role_cards().loc["data engineer", "leads"]
    '1. data preparation'
    """
    matrix = roles_matrix()
    rows = {role: {"lecture": ko, "mission": mission, "deliverable": deliverable,
                   "leads": ", ".join(matrix.columns[matrix.loc[role] == "leads"]) or "-"}
            for role, (ko, mission, deliverable) in ROLES.items()}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "role"
    return out
