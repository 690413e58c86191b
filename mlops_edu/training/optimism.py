"""The optimism of picking (lecture 9.2): why the test set is not for tuning, and nested CV.

Two of chapter 08's questions, both measured against fresh customers from the same generator (the
true score of a model); :mod:`mlops_edu.training.crossval` re-exports every name:

* :func:`optimism_of_picking_on_test` / :func:`simulate_test_picking` - pick the best of many
  configurations by test score and the reported score flatters it; picking on validation does not;
* :func:`nested_cv` - the honest estimate of a *tuned* model: tuning inside each outer training fold,
  against the optimistic best CV score of tuning and scoring on the same folds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from mlops_edu.training.kfold import KFoldObjective, make_folds
from mlops_edu.training.metrics import classification_metrics, confusion_counts, metric_from_counts
from mlops_edu.training.models import TrainingError, make_model, model_params

# --------------------------------------------------------------------------------------------------
# The test set is not for tuning
# --------------------------------------------------------------------------------------------------

@dataclass
class OptimismResult:
    """Scores of every configuration and the two ways to pick one (see :func:`optimism_of_picking_on_test`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per configuration (index ``config``, numbered from 1): its score on ``validation``,
        ``test`` and ``fresh``.
    summary : pandas.DataFrame
        Rows ``picked on validation`` / ``picked on test``; columns ``config``, ``reported_f1``,
        ``fresh_f1``, ``optimism``.
    fresh_pred : numpy.ndarray or None
        Configurations x fresh rows, 0/1 (boolean) predictions at threshold 0.5; with ``fresh_y`` what
        :func:`simulate_test_picking` needs to repeat the experiment on many test sets without refitting.
    fresh_y : numpy.ndarray or None
        The fresh rows' 0/1 labels.
    test_size : int
        Rows of the real test set (the default test size of :func:`simulate_test_picking`).
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    fresh_pred: np.ndarray | None = None
    fresh_y: np.ndarray | None = None
    test_size: int = 0

    @property
    def optimism(self) -> float:
        """Reported (test) minus true (fresh) F1 of the configuration picked by its test score."""
        return float(self.summary.loc["picked on test", "optimism"])

    @property
    def honest_gap(self) -> float:
        """The same for the configuration picked on validation (close to 0 on average)."""
        return float(self.summary.loc["picked on validation", "optimism"])


def random_configs(space: Sequence[Any], n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` configurations drawn from a space (seeded).

    A :class:`~mlops_edu.training.Param` space is sampled (``n`` independent draws); a finite
    :class:`~mlops_edu.training.Axis` space (chapter 07's table) gives ``n`` different configurations of it.

    Parameters
    ----------
    space : sequence of Param or sequence of Axis
        The search space.
    n : int
        Configurations to draw.
    seed : int
        Seed of the draws.

    Returns
    -------
    list of dict

    Raises
    ------
    TrainingError
        When an Axis space has fewer than ``n`` configurations.
    """
    from mlops_edu.training.benchmark import Axis, configurations

    rng = np.random.default_rng(seed)
    space = list(space)
    if space and all(isinstance(a, Axis) for a in space):
        every = configurations(space)
        if n > len(every):
            raise TrainingError(f"random_configs: the space has {len(every)} configurations, asked for {n}")
        return [every[i] for i in rng.choice(len(every), size=n, replace=False)]
    return [{p.name: p.sample(rng) for p in space} for _ in range(n)]


def optimism_of_picking_on_test(X_train: pd.DataFrame, y_train: pd.Series, X_val: pd.DataFrame, y_val: pd.Series,
                          X_test: pd.DataFrame, y_test: pd.Series, X_fresh: pd.DataFrame, y_fresh: pd.Series,
                          configs: Sequence[Mapping[str, Any]], kind: str = "lightgbm", seed: int = 0,
                          metric: str = "f1") -> OptimismResult:
    """Why the test set is not for tuning (lecture 9.2), measured.

    Every configuration is fitted on the training data and scored on validation, test and *fresh* data
    (many new customers from the same generator: the configuration's true score). Picking the
    configuration with the best **test** score and reporting that score is optimistic: the winner is partly
    the configuration that was lucky on those test rows. Picking on validation and reporting test is not.
    The preprocessing is fitted once on the training data and shared; each configuration refits only the
    classifier. Scores use threshold 0.5; ties go to the first configuration.

    Parameters
    ----------
    X_train, y_train : pandas.DataFrame, pandas.Series
        Rows every configuration is fitted on.
    X_val, y_val : pandas.DataFrame, pandas.Series
        Validation rows (the honest way to pick).
    X_test, y_test : pandas.DataFrame, pandas.Series
        Test rows (the score that is reported).
    X_fresh, y_fresh : pandas.DataFrame, pandas.Series
        Fresh customers from the same generator (the true score).
    configs : sequence of mapping
        Hyperparameters of each configuration (over the kind's defaults).
    kind : str
        The model kind of :func:`make_model`.
    seed : int
        Seed of every model.
    metric : str
        The metric of the table and the summary (default ``"f1"``).

    Returns
    -------
    OptimismResult
        ``table`` (one row per configuration) and ``summary`` (rows "picked on validation" / "picked on
        test"; columns config, reported_f1 (test), fresh_f1, optimism = reported - fresh), rounded to 4
        decimals.

    Raises
    ------
    TrainingError
        When ``configs`` is empty.
    """
    if not configs:
        raise TrainingError("optimism_of_picking_on_test: configs is empty")
    template = make_model(kind, None, seed=seed, X=X_train)
    prep = clone(template[:-1]).fit(X_train, y_train)
    A_train = prep.transform(X_train)
    parts = {"validation": (prep.transform(X_val), np.asarray(y_val)),
             "test": (prep.transform(X_test), np.asarray(y_test)),
             "fresh": (prep.transform(X_fresh), np.asarray(y_fresh))}
    rows = []
    fresh_pred = []
    for i, params in enumerate(configs, start=1):
        clf = make_model(kind, model_params(kind, params), seed=seed, engineer=False).steps[-1][1]
        clf.fit(A_train, np.asarray(y_train))
        row: dict[str, Any] = {"config": i}
        for name, (A, y) in parts.items():
            proba = clf.predict_proba(A)
            row[name] = round(classification_metrics(y, proba, 0.5)[metric], 4)
            if name == "fresh":
                fresh_pred.append(proba[:, 1] >= 0.5)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("config")
    summary = {}
    for label, column in (("picked on validation", "validation"), ("picked on test", "test")):
        best = int(table[column].idxmax())
        summary[label] = {"config": best, "reported_f1": table.loc[best, "test"],
                          "fresh_f1": table.loc[best, "fresh"],
                          "optimism": round(table.loc[best, "test"] - table.loc[best, "fresh"], 4)}
    return OptimismResult(table, pd.DataFrame.from_dict(summary, orient="index"), np.vstack(fresh_pred),
                          parts["fresh"][1].astype(int), len(y_test))


def _f1_of_rows(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    """F1 of every row of ``pred`` (configurations x customers) against ``y``."""
    return metric_from_counts("f1", confusion_counts(y, pred))


def simulate_test_picking(result: OptimismResult, n_rounds: int = 200, test_size: int | None = None,
                          seed: int = 0) -> pd.DataFrame:
    """Repeat the test-set experiment on ``n_rounds`` fresh test sets, without refitting anything.

    Each round draws, from the fresh customers, a "validation" set and a "test" set of ``test_size`` rows;
    the remaining fresh rows give each configuration's true F1. Scores are F1 (whatever the metric of
    ``result``).

    Parameters
    ----------
    result : OptimismResult
        From :func:`optimism_of_picking_on_test` (it keeps the fresh predictions).
    n_rounds : int
        Test sets drawn.
    test_size : int or None
        Rows of each drawn set; default the size of the real test set.
    seed : int
        Seed of the draws.

    Returns
    -------
    pandas.DataFrame
        One row per round (index ``round``, from 1): ``picked_on_test`` and ``picked_on_validation``, the
        optimism (reported test F1 - true F1) of the configuration picked on the test set and of the one
        picked on the validation set.

    Raises
    ------
    TrainingError
        When ``result`` holds no fresh predictions, ``test_size`` is below 10, or the fresh rows are too few
        for two sets of that size plus a remainder of more than 10.
    """
    if result.fresh_pred is None or result.fresh_y is None:
        raise TrainingError("simulate_test_picking: the result holds no fresh predictions")
    m = int(test_size or result.test_size)
    n = result.fresh_pred.shape[1]
    if m < 10 or 2 * m >= n - 10:
        raise TrainingError(f"simulate_test_picking: test_size={m} needs more fresh rows than {n} "
                            "(two sets of that size plus a remainder)")
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_rounds):
        order = rng.permutation(n)
        val, test, rest = order[:m], order[m:2 * m], order[2 * m:]
        f1_val = _f1_of_rows(result.fresh_pred[:, val], result.fresh_y[val])
        f1_test = _f1_of_rows(result.fresh_pred[:, test], result.fresh_y[test])
        f1_true = _f1_of_rows(result.fresh_pred[:, rest], result.fresh_y[rest])
        by_test, by_val = int(np.argmax(f1_test)), int(np.argmax(f1_val))
        rows.append({"round": r + 1,
                     "picked_on_test": float(f1_test[by_test] - f1_true[by_test]),
                     "picked_on_validation": float(f1_test[by_val] - f1_true[by_val])})
    return pd.DataFrame(rows).set_index("round")


# --------------------------------------------------------------------------------------------------
# Nested cross-validation
# --------------------------------------------------------------------------------------------------

@dataclass
class NestedCVResult:
    """Outer-fold scores of a tuned model, and the (optimistic) score of tuning on all folds at once.

    Attributes
    ----------
    outer : pandas.DataFrame
        One row per outer fold (index ``outer_fold``): ``chosen_config`` numbered from 1, ``inner_cv_f1``,
        ``outer_f1`` and, with fresh customers, ``fresh_f1``: the true F1 of that fold's tuned model.
    non_nested_best : float
        The best ``outer_k``-fold score over the configurations on all rows, for ``non_nested_params``.
    non_nested_params : dict
        The configuration that score belongs to.
    non_nested_fresh : float or None
        The true F1 of that configuration refitted on all rows (None without fresh rows).
    """

    outer: pd.DataFrame
    non_nested_best: float
    non_nested_params: dict[str, Any]
    non_nested_fresh: float | None = None

    @property
    def nested_mean(self) -> float:
        """Mean ``outer_f1`` over the outer folds: the nested estimate."""
        return float(self.outer["outer_f1"].mean())

    @property
    def nested_std(self) -> float:
        """Population std of ``outer_f1`` over the outer folds."""
        return float(self.outer["outer_f1"].std(ddof=0))

    def versus_truth(self, digits: int = 3) -> pd.DataFrame:
        """The two estimates next to what they estimate, measured on fresh customers: the non-nested best
        CV F1 against the true F1 of the configuration it chose, the nested mean against the mean true F1
        of the outer folds' tuned models.

        Parameters
        ----------
        digits : int
            Decimals of the table.

        Returns
        -------
        pandas.DataFrame
            Rows ``non-nested (tune and score on the same folds)`` and ``nested``; columns ``estimate``,
            ``true_f1`` and ``estimate - true``.

        Raises
        ------
        TrainingError
            When the result has no fresh scores (``nested_cv`` was called without ``X_fresh``/``y_fresh``).
        """
        if self.non_nested_fresh is None or "fresh_f1" not in self.outer:
            raise TrainingError("versus_truth needs nested_cv(..., X_fresh=..., y_fresh=...)")
        rows = {"non-nested (tune and score on the same folds)": (self.non_nested_best, self.non_nested_fresh),
                "nested": (self.nested_mean, float(self.outer["fresh_f1"].mean()))}
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "true_f1"])
        table["estimate - true"] = table["estimate"] - table["true_f1"]
        return table.round(digits)


def _fresh_f1(model: Any, X_fresh: pd.DataFrame | None, y_fresh: Any) -> float | None:
    """F1 (threshold 0.5) of ``model`` on the fresh customers; None without them."""
    if X_fresh is None or y_fresh is None:
        return None
    return float(classification_metrics(np.asarray(y_fresh), model.predict_proba(X_fresh), 0.5)["f1"])


def nested_cv(X: pd.DataFrame, y: pd.Series, configs: Sequence[Mapping[str, Any]], kind: str = "lightgbm", *,
              outer_k: int = 5, inner_k: int = 3, seed: int = 0, base_params: Mapping[str, Any] | None = None,
              X_fresh: pd.DataFrame | None = None, y_fresh: pd.Series | None = None) -> NestedCVResult:
    """Nested CV (lecture 9.2): tune inside each outer training fold, score on the untouched outer fold.

    For each of ``outer_k`` folds: pick the best of ``configs`` by ``inner_k``-fold F1 on the outer
    training rows only, refit it on them, score it on the outer validation fold. The mean of those
    scores estimates how the *whole procedure* (tuning included) does on new data. For contrast,
    ``non_nested_best`` is the best ``outer_k``-fold score over ``configs`` on all rows: the number people
    report when they tune and evaluate on the same folds. The same as scikit-learn's
    ``cross_validate(GridSearchCV(model, configs, cv=inner folds), X, y, cv=outer folds)`` (stratified,
    shuffled folds seeded with ``seed``; ties go to the first configuration).

    Parameters
    ----------
    X, y : pandas.DataFrame, pandas.Series
        The data to cross-validate (never the test set).
    configs : sequence of mapping
        The configurations tuning chooses from.
    kind : str
        The model kind of :func:`make_model`.
    outer_k, inner_k : int
        Outer folds (scoring) and inner folds (choosing).
    seed : int
        Seeds the folds and the models.
    base_params : mapping or None
        Fixed hyperparameters under each configuration.
    X_fresh, y_fresh : pandas.DataFrame, pandas.Series or None
        Fresh customers from the same generator: each tuned model's true F1 is measured on them.

    Returns
    -------
    NestedCVResult

    Raises
    ------
    TrainingError
        When ``configs`` is empty.
    """
    if not configs:
        raise TrainingError("nested_cv: configs is empty")
    y_arr = np.asarray(y).astype(int)
    rows = []
    for fold, (train_idx, val_idx) in enumerate(make_folds(y_arr, outer_k, seed), start=1):
        X_tr, y_tr = X.iloc[train_idx], y_arr[train_idx]
        inner = KFoldObjective(X_tr, y_tr, kind, k=inner_k, seed=seed, base_params=base_params)
        scored = [(inner(c), i) for i, c in enumerate(configs)]
        inner_best, best_i = max(scored, key=lambda s: (s[0], -s[1]))
        params = {**dict(base_params or {}), **dict(configs[best_i])}
        model = make_model(kind, params, seed=seed, X=X_tr).fit(X_tr, y_tr)
        outer = classification_metrics(y_arr[val_idx], model.predict_proba(X.iloc[val_idx]), 0.5)["f1"]
        row = {"outer_fold": fold, "chosen_config": best_i + 1, "inner_cv_f1": round(inner_best, 4),
               "outer_f1": round(outer, 4)}
        fresh = _fresh_f1(model, X_fresh, y_fresh)
        if fresh is not None:
            row["fresh_f1"] = round(fresh, 4)
        rows.append(row)
    flat = KFoldObjective(X, y_arr, kind, k=outer_k, seed=seed, base_params=base_params)
    flat_scores = [(flat(c), i) for i, c in enumerate(configs)]
    best_score, best_i = max(flat_scores, key=lambda s: (s[0], -s[1]))
    chosen = dict(configs[best_i])
    fresh = None
    if X_fresh is not None and y_fresh is not None:
        final = make_model(kind, {**dict(base_params or {}), **chosen}, seed=seed, X=X).fit(X, y_arr)
        fresh = _fresh_f1(final, X_fresh, y_fresh)
    return NestedCVResult(pd.DataFrame(rows).set_index("outer_fold"), float(best_score), chosen, fresh)
