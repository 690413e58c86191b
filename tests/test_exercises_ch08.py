"""Exercises of chapter 08: the reference solution is correct, ____ is 'not attempted', wrong answers fail."""

from __future__ import annotations

import pandas as pd
import pytest
from _telco_sample import customers
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from mlops_edu.training import OptimismResult, make_model, split_xy
from mlops_edu.workbook.exercises import ____
from mlops_edu.workbook.exercises.ch08 import q1, q2, q3


def _status(exercise, namespace):
    """"correct" / "not attempted" (``status`` where the framework has it, else ``check``'s return value)."""
    return exercise.status(namespace) if hasattr(exercise, "status") else exercise.check(namespace)



def test_q1_kfold_by_hand():
    X_small, y_small = split_xy(customers(300, seed=2))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=4)
    manual_scores = []
    for train_idx, val_idx in folds.split(X_small, y_small):
        model = make_model("logreg", X=X_small)
        model.fit(X_small.iloc[train_idx], y_small.iloc[train_idx])
        manual_scores.append(f1_score(y_small.iloc[val_idx], model.predict(X_small.iloc[val_idx])))
    ns = {"manual_scores": manual_scores, "X_small": X_small, "y_small": y_small, "folds": folds}
    assert _status(q1, ns) == "correct"
    assert _status(q1, {**ns, "manual_scores": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="fold 1"):
        _status(q1, {**ns, "manual_scores": [s + 0.01 for s in manual_scores]})
    with pytest.raises(AssertionError, match="5 scores"):
        _status(q1, {**ns, "manual_scores": manual_scores[:3]})


def test_q2_spreads():
    spread = pd.DataFrame({"seed": [0, 1, 2, 3], "single_split": [0.60, 0.66, 0.58, 0.63],
                           "kfold_mean": [0.61, 0.62, 0.612, 0.615], "kfold_std": [0.02, 0.03, 0.02, 0.025]})
    ok = {"single_std": spread["single_split"].std(), "kfold_std": spread["kfold_mean"].std(), "spread": spread}
    assert _status(q2, ok) == "correct"
    assert _status(q2, {**ok, "single_std": spread["single_split"].std(ddof=0),
                     "kfold_std": spread["kfold_mean"].std(ddof=0)}) == "correct"
    assert _status(q2, {**ok, "single_std": ____}) == "not attempted"
    with pytest.raises(AssertionError, match="swapped"):
        _status(q2, {**ok, "single_std": ok["kfold_std"], "kfold_std": ok["single_std"]})
    with pytest.raises(AssertionError, match="within"):
        _status(q2, {**ok, "kfold_std": spread["kfold_std"].mean()})


def test_q3_optimism():
    table = pd.DataFrame({"validation": [0.60, 0.64, 0.61], "test": [0.66, 0.61, 0.62],
                          "fresh": [0.60, 0.62, 0.61]}, index=pd.Index([1, 2, 3], name="config"))
    result = OptimismResult(table, pd.DataFrame())
    assert _status(q3, {"optimism": 0.06, "result": result}) == "correct"
    assert _status(q3, {"optimism": ____, "result": result}) == "not attempted"
    with pytest.raises(AssertionError, match="validation"):
        _status(q3, {"optimism": 0.61 - 0.62, "result": result})
    with pytest.raises(AssertionError, match="sign"):
        _status(q3, {"optimism": -0.06, "result": result})
