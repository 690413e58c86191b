"""Exercises of chapter 08, cross-validation (lecture 9.2)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.workbook.exercises import Exercise


def _q1_checker(manual_scores: Any, X_small: pd.DataFrame, y_small: pd.Series, folds: Any) -> str:
    from sklearn.model_selection import cross_val_score

    from mlops_edu.training.models import make_model

    scores = np.asarray(manual_scores, dtype=float)
    k = folds.get_n_splits()
    assert scores.ndim == 1 and len(scores) == k, f"expected one F1 per fold ({k} scores), got {scores.shape}"
    expected = cross_val_score(make_model("logreg", X=X_small), X_small, y_small, cv=folds, scoring="f1")
    for i, (got, want) in enumerate(zip(scores, expected), start=1):
        assert math.isclose(got, want, abs_tol=1e-9), (
            f"fold {i}: you have {got:.4f}, cross_val_score has {want:.4f}; fit on the training rows of the "
            "fold, score F1 of predict() on its validation rows")
    return f"mean of your {k} scores = {scores.mean():.4f} = cross_val_score(...).mean()"


q1 = Exercise(
    "q1", variables=("manual_scores", "X_small", "y_small", "folds"), checker=_q1_checker,
    hint="for train_idx, val_idx in folds.split(X_small, y_small): fit make_model('logreg', X=X_small) on "
         "X_small.iloc[train_idx], then f1_score on X_small.iloc[val_idx].",
    solution=("manual_scores = []\n"
              "for train_idx, val_idx in folds.split(X_small, y_small):\n"
              "    model = make_model(\"logreg\", X=X_small)\n"
              "    model.fit(X_small.iloc[train_idx], y_small.iloc[train_idx])\n"
              "    manual_scores.append(f1_score(y_small.iloc[val_idx], model.predict(X_small.iloc[val_idx])))"))


def _close_to_std(value: float, column: pd.Series) -> bool:
    return any(math.isclose(value, float(column.std(ddof=d)), abs_tol=1e-6) for d in (0, 1))


def _q2_checker(single_std: Any, kfold_std: Any, spread: pd.DataFrame) -> str:
    single_std, kfold_std = float(single_std), float(kfold_std)
    if _close_to_std(single_std, spread["kfold_mean"]) and _close_to_std(kfold_std, spread["single_split"]):
        raise AssertionError("the two are swapped: single_std is the spread of the 'single_split' column")
    if math.isclose(kfold_std, float(spread["kfold_std"].mean()), abs_tol=1e-6):
        raise AssertionError("'kfold_std' in the table is the spread *within* one k-fold run; the question is "
                             "how much the k-fold **mean** moves between seeds: the std of 'kfold_mean'")
    assert _close_to_std(single_std, spread["single_split"]), \
        f"single_std should be the standard deviation of spread['single_split']; got {single_std:.4f}"
    assert _close_to_std(kfold_std, spread["kfold_mean"]), \
        f"kfold_std should be the standard deviation of spread['kfold_mean']; got {kfold_std:.4f}"
    return f"one split moves {single_std / kfold_std:.1f} times as much as the k-fold mean between seeds"


q2 = Exercise(
    "q2", variables=("single_std", "kfold_std", "spread"), checker=_q2_checker,
    hint="Each row of spread is one seed; take .std() of the 'single_split' column and of the 'kfold_mean' column.",
    solution=('single_std = spread["single_split"].std()\n'
              'kfold_std = spread["kfold_mean"].std()'))


def _q3_checker(optimism: Any, result: Any) -> str:
    table = result.table
    best = table["test"].idxmax()
    expected = float(table.loc[best, "test"] - table.loc[best, "fresh"])
    value = float(optimism)
    val_best = table["validation"].idxmax()
    if val_best != best and math.isclose(value, float(table.loc[val_best, "test"] - table.loc[val_best, "fresh"]),
                                         abs_tol=1e-6):
        raise AssertionError("that is the configuration picked on *validation*; the question is about the one "
                             "with the best *test* score")
    if math.isclose(value, -expected, abs_tol=1e-6) and expected != 0:
        raise AssertionError("the sign is flipped: optimism = reported (test) - true (fresh)")
    assert math.isclose(value, expected, abs_tol=1e-6), \
        f"expected test - fresh of configuration {best} (the best test score), {expected:.4f}; got {value:.4f}"
    return f"configuration {best} looks {expected:+.3f} better on the test set than it is"


q3 = Exercise(
    "q3", variables=("optimism", "result"), checker=_q3_checker,
    hint="best = result.table['test'].idxmax(); then compare its 'test' and 'fresh' columns.",
    solution=('best = result.table["test"].idxmax()\n'
              'optimism = result.table.loc[best, "test"] - result.table.loc[best, "fresh"]'))

__all__ = ["q1", "q2", "q3"]
