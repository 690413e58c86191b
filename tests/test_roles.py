"""The roles x stages matrix of lecture 4, as data."""


from mlops_edu.roles import ROLES, STAGES, role_cards, roles_matrix



def test_matrix_follows_the_lecture_summary():
    m = roles_matrix()
    assert m.shape == (5, 7) and list(m.index) == list(ROLES) and list(m.columns) == list(STAGES)
    assert (m.loc["governance officer"] == "oversees").all()
    leads = {stage: list(m.index[m[stage] == "leads"]) for stage in m.columns}
    assert leads["1. data preparation"] == ["data engineer"]
    assert all(leads[s] == ["data scientist"] for s in ("2. EDA", "3. feature engineering", "4. model training"))
    assert leads["5. model validation"] == []                    # decided together
    assert set(m.index[m["5. model validation"] == "collaborates"]) == {"data scientist", "ML engineer",
                                                                       "business stakeholder"}
    assert leads["6. deployment"] == leads["7. monitoring"] == ["ML engineer"]
    assert set(m.values.ravel()) <= {"", "leads", "collaborates", "oversees"}


def test_cards():
    cards = role_cards()
    assert cards.loc["data scientist", "leads"].count(",") == 2
    assert cards.loc["business stakeholder", "leads"] == "-"
    assert cards["lecture"].str.len().gt(0).all()
