"""Cross-validation (lecture 9.2): k-fold passes, spread, stratification, the test set, nested CV.

Chapter 08 asks five questions; each has one function here, all built on the shared objective
:class:`mlops_edu.training.KFoldObjective` ("train a churn model and score it by k-fold F1"):

* :func:`kfold_passes` - which folds train and which one validates in each of the K passes;
* :func:`split_vs_kfold` - how much one train/validation split's score moves with its seed, compared
  with the k-fold mean (the single split's spread is wider);
* :func:`optimism_of_picking_on_test` - why the test set is not for tuning: pick the best of many
  configurations by test score, then score it on fresh data from the same generator;
* :func:`fold_churn_rates` / :func:`fold_rate_spread` - stratified vs plain KFold on an imbalanced label;
* :func:`nested_cv` - the honest estimate of a *tuned* model: tuning inside each outer training fold.

Example
-------
>>> spread = split_vs_kfold(X, y, "lightgbm", seeds=range(20), k=5)     # doctest: +SKIP
>>> spread[["single_split", "kfold_mean"]].std()                        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from mlops_edu.training.kfold import FoldScores, KFoldObjective, Preprocessed, make_folds, prepare
from mlops_edu.training.metrics import classification_metrics, confusion_counts, metric_from_counts
from mlops_edu.training.models import TrainingError, make_model, model_params


def kfold_passes(k: int = 3) -> pd.DataFrame:
    """The K passes in the lecture's order (section 9.2): pass 1 trains on folds 1..K-1 and validates on
    fold K, pass 2 validates on fold K-1, ..., pass K validates on fold 1. Rows ``pass 1..k``, columns
    ``fold 1..k``, cells ``train``/``validate``.

    Example
    -------
    >>> kfold_passes(3).loc["pass 1"].tolist()
    ['train', 'train', 'validate']
    """
    if k < 2:
        raise TrainingError(f"k must be at least 2, got {k}")
    return pd.DataFrame([["validate" if f == k - 1 - p else "train" for f in range(k)] for p in range(k)],
                        index=[f"pass {p + 1}" for p in range(k)], columns=[f"fold {f + 1}" for f in range(k)])


def kfold_pass_table(scores: FoldScores | Sequence[float], digits: int = 3) -> pd.DataFrame:
    """The K passes in the lecture's order with their scores: ``scores[i]`` is the score on fold ``i + 1``
    (the order of :func:`make_folds` and of :meth:`KFoldObjective.scores`)."""
    values = list(scores.scores if isinstance(scores, FoldScores) else scores)
    k = len(values)
    passes = kfold_passes(k)
    rows = {}
    for name, row in passes.iterrows():
        val = int(np.flatnonzero(row.to_numpy() == "validate")[0])
        rows[name] = {"trains on": "folds " + ", ".join(str(f + 1) for f in range(k) if f != val),
                      "validates on": f"fold {val + 1}", "F1": round(float(values[val]), digits)}
    return pd.DataFrame.from_dict(rows, orient="index")


def single_split_score(X: pd.DataFrame, y: pd.Series, kind: str = "lightgbm",
                       params: Mapping[str, Any] | None = None, *, seed: int = 0, val_size: float = 0.2,
                       metric: str = "f1", prepared: Preprocessed | None = None) -> float:
    """Score of one stratified train/validation split cut with ``seed`` (the model itself is seeded with 0,
    so only the cut changes between seeds)."""
    y_arr = np.asarray(y).astype(int)
    objective = KFoldObjective(X, y_arr, kind, seed=0, base_params=params, metric=metric,
                               folds=[_split_indices(y_arr, val_size, seed)], prepared=prepared)
    return objective.scores().mean


def _split_indices(y: np.ndarray, val_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (sorted) training and validation rows of one stratified split cut with ``seed``."""
    train_idx, val_idx = train_test_split(np.arange(len(y)), test_size=val_size, random_state=seed, stratify=y)
    return np.sort(train_idx), np.sort(val_idx)


def split_vs_kfold(X: pd.DataFrame, y: pd.Series, kind: str = "lightgbm",
                   params: Mapping[str, Any] | None = None, *, seeds: Iterable[int] = range(20), k: int = 5,
                   val_size: float | None = None, X_fresh: pd.DataFrame | None = None,
                   y_fresh: pd.Series | None = None) -> pd.DataFrame:
    """For each seed: the score of one split vs the k-fold mean, both on ``X``/``y`` (lecture 9.2).

    ``val_size`` defaults to ``1/k`` so both hold out the same share per fit; only the seed of the cut
    changes (the model is seeded with 0 in both). Returns ``[seed, single_split, kfold_mean, kfold_std]``;
    with fresh customers (``X_fresh``, ``y_fresh``: new rows from the same generator) also ``true_f1``,
    the F1 on them of the single split's model: what that split's score tries to estimate.
    """
    val_size = val_size if val_size is not None else 1.0 / k
    y_arr = np.asarray(y).astype(int)
    prepared = prepare(make_model(kind, params, seed=0, X=X)[:-1], X)
    rows = []
    for seed in seeds:
        single = single_split_score(X, y_arr, kind, params, seed=seed, val_size=val_size, prepared=prepared)
        folds = KFoldObjective(X, y_arr, kind, seed=0, base_params=params, folds=make_folds(y_arr, k, seed),
                               prepared=prepared).scores()
        row = {"seed": int(seed), "single_split": round(single, 4), "kfold_mean": round(folds.mean, 4),
               "kfold_std": round(folds.std, 4)}
        if X_fresh is not None and y_fresh is not None:
            train_idx, _ = _split_indices(y_arr, val_size, seed)
            model = make_model(kind, params, seed=0, X=X).fit(X.iloc[train_idx], y_arr[train_idx])
            row["true_f1"] = round(_fresh_f1(model, X_fresh, y_fresh), 4)
        rows.append(row)
    if not rows:
        raise TrainingError("split_vs_kfold: seeds is empty")
    return pd.DataFrame(rows)


def spread_summary(spread: pd.DataFrame) -> pd.DataFrame:
    """Mean, std, min and max of the single-split and k-fold estimates (and of ``true_f1``) over the seeds."""
    cols = {"single_split": "one split", "kfold_mean": "k-fold mean"}
    if "true_f1" in spread:
        cols["true_f1"] = "true F1 (fresh customers)"
    out = pd.DataFrame({label: {"mean": spread[c].mean(), "std": spread[c].std(ddof=0), "min": spread[c].min(),
                                "max": spread[c].max()} for c, label in cols.items()}).T
    return out.round(3)


# --------------------------------------------------------------------------------------------------
# The test set is not for tuning
# --------------------------------------------------------------------------------------------------

@dataclass
class OptimismResult:
    """Scores of every configuration and the two ways to pick one (see :func:`optimism_of_picking_on_test`).

    ``fresh_pred`` (configurations x fresh rows, 0/1 predictions) and ``fresh_y`` keep what
    :func:`simulate_test_picking` needs to repeat the experiment on many test sets without refitting.
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
    """``n`` configurations drawn from a space (seeded): a :class:`~mlops_edu.training.Param` space is
    sampled; a finite :class:`~mlops_edu.training.Axis` space (chapter 07's table) gives ``n`` different
    configurations of it."""
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

    Returns
    -------
    :class:`OptimismResult` with ``table`` (one row per configuration) and ``summary`` (rows
    "picked on validation" / "picked on test"; columns config, reported_f1, fresh_f1, optimism).
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

    Each round draws, from the fresh customers, a "validation" set and a "test" set of ``test_size`` rows
    (default: the size of the real test set); the remaining fresh rows give each configuration's true F1.
    Returns one row per round with the optimism (reported test F1 - true F1) of the configuration picked
    on the test set and of the one picked on the validation set.
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
# Stratification
# --------------------------------------------------------------------------------------------------

def fold_churn_rates(y: Sequence[int] | pd.Series, k: int = 5, seed: int = 0) -> pd.DataFrame:
    """Churn rate of each validation fold for plain ``KFold`` and ``StratifiedKFold`` (both shuffled)."""
    y = np.asarray(y)
    out = {}
    for label, stratified in (("plain", False), ("stratified", True)):
        out[label] = [float(y[val].mean()) for _, val in make_folds(y, k, seed, stratified)]
    frame = pd.DataFrame(out, index=pd.Index([f"fold {i}" for i in range(1, k + 1)], name="fold"))
    return frame.round(3)


def fold_rate_spread(y: Sequence[int] | pd.Series, k: int = 5, seeds: Iterable[int] = range(20)) -> pd.DataFrame:
    """Over many seeds: the mean spread (std across folds) and worst fold-rate gap of plain vs stratified."""
    y = np.asarray(y)
    overall = float(y.mean())
    stats: dict[str, list[tuple[float, float]]] = {"plain": [], "stratified": []}
    for seed in seeds:
        rates = fold_churn_rates(y, k, seed)
        for label in stats:
            r = rates[label].to_numpy()
            stats[label].append((float(r.std()), float(np.abs(r - overall).max())))
    return pd.DataFrame({label: {"mean std of fold rates": np.mean([s for s, _ in v]),
                                 "worst fold off by": np.max([m for _, m in v])}
                         for label, v in stats.items()}).T.round(4)


# --------------------------------------------------------------------------------------------------
# Nested cross-validation
# --------------------------------------------------------------------------------------------------

@dataclass
class NestedCVResult:
    """Outer-fold scores of a tuned model, and the (optimistic) score of tuning on all folds at once.

    ``outer``: one row per outer fold (``chosen_config`` numbered from 1, ``inner_cv_f1``, ``outer_f1`` and,
    with fresh customers, ``fresh_f1``: the true F1 of that fold's tuned model). ``non_nested_best``: the
    best ``outer_k``-fold score over the configurations on all rows, for ``non_nested_params``;
    ``non_nested_fresh``: the true F1 of that configuration refitted on all rows (None without fresh rows).
    """

    outer: pd.DataFrame
    non_nested_best: float
    non_nested_params: dict[str, Any]
    non_nested_fresh: float | None = None

    @property
    def nested_mean(self) -> float:
        return float(self.outer["outer_f1"].mean())

    @property
    def nested_std(self) -> float:
        return float(self.outer["outer_f1"].std(ddof=0))

    def versus_truth(self, digits: int = 3) -> pd.DataFrame:
        """The two estimates next to what they estimate, measured on fresh customers: the non-nested best
        CV F1 against the true F1 of the configuration it chose, the nested mean against the mean true F1
        of the outer folds' tuned models."""
        if self.non_nested_fresh is None or "fresh_f1" not in self.outer:
            raise TrainingError("versus_truth needs nested_cv(..., X_fresh=..., y_fresh=...)")
        rows = {"non-nested (tune and score on the same folds)": (self.non_nested_best, self.non_nested_fresh),
                "nested": (self.nested_mean, float(self.outer["fresh_f1"].mean()))}
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "true_f1"])
        table["estimate - true"] = table["estimate"] - table["true_f1"]
        return table.round(digits)


def _fresh_f1(model: Any, X_fresh: pd.DataFrame | None, y_fresh: Any) -> float | None:
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
    X, y : pd.DataFrame, pd.Series
        the data to cross-validate (never the test set).
    configs : Sequence[Mapping[str, Any]]
        the configurations tuning chooses from.
    kind : str
        the model kind of :func:`make_model`.
    outer_k, inner_k : int
        outer folds (scoring) and inner folds (choosing).
    seed : int
        seeds the folds and the models.
    base_params : Mapping[str, Any] | None
        fixed hyperparameters under each configuration.
    X_fresh, y_fresh : pd.DataFrame, pd.Series
        fresh customers from the same generator: each tuned model's true F1 is measured on them.

    Returns
    -------
    NestedCVResult
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
