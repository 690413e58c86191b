"""Cross-validation (lecture 9.2): k-fold passes, spread, stratification, the test set, nested CV.

Chapter 08 asks five questions; each has one function, all built on the shared objective
:class:`mlops_edu.training.KFoldObjective` ("train a churn model and score it by k-fold F1"):

* :func:`kfold_passes` - which folds train and which one validates in each of the K passes;
* :func:`split_vs_kfold` - how much one train/validation split's score moves with its seed, compared
  with the k-fold mean (the single split's spread is wider);
* :func:`optimism_of_picking_on_test` - why the test set is not for tuning: pick the best of many
  configurations by test score, then score it on fresh data from the same generator;
* :func:`fold_churn_rates` / :func:`fold_rate_spread` - stratified vs plain KFold on an imbalanced label;
* :func:`nested_cv` - the honest estimate of a *tuned* model: tuning inside each outer training fold.

The two questions about the optimism of picking (the test set, nested CV) live in
:mod:`mlops_edu.training.optimism`; their names are importable from here too.

Example
-------
>>> spread = split_vs_kfold(X, y, "lightgbm", seeds=range(20), k=5)     # doctest: +SKIP
>>> spread[["single_split", "kfold_mean"]].std()                        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from mlops_edu.training.kfold import FoldScores, KFoldObjective, Preprocessed, make_folds, prepare
from mlops_edu.training.models import TrainingError, make_model
from mlops_edu.training.optimism import (  # noqa: F401 - the test-set and nested-CV names stay importable from here
    NestedCVResult,
    OptimismResult,
    _fresh_f1,
    nested_cv,
    optimism_of_picking_on_test,
    random_configs,
    simulate_test_picking,
)


def kfold_passes(k: int = 3) -> pd.DataFrame:
    """The K passes in the lecture's order (section 9.2): pass 1 trains on folds 1..K-1 and validates on
    fold K, pass 2 validates on fold K-1, ..., pass K validates on fold 1.

    Parameters
    ----------
    k : int
        Number of folds K (at least 2).

    Returns
    -------
    pandas.DataFrame
        Rows ``pass 1..k``, columns ``fold 1..k``, cells ``train``/``validate``.

    Raises
    ------
    TrainingError
        When ``k`` is below 2.

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
    """The K passes in the lecture's order (:func:`kfold_passes`) with their scores.

    Parameters
    ----------
    scores : FoldScores or sequence of float
        ``scores[i]`` is the score on fold ``i + 1`` (the order of :func:`make_folds` and of
        :meth:`KFoldObjective.scores`); K = ``len(scores)``, at least 2.
    digits : int
        Decimals of the scores.

    Returns
    -------
    pandas.DataFrame
        Rows ``pass 1..k``; columns ``trains on`` (e.g. ``"folds 1, 2"``), ``validates on`` (``"fold 3"``)
        and ``F1``.

    Raises
    ------
    TrainingError
        When there are fewer than 2 scores.

    Example
    -------
    >>> table = kfold_pass_table([0.61, 0.60, 0.62])
    >>> table.loc["pass 1", "trains on"], table.loc["pass 1", "validates on"], float(table.loc["pass 1", "F1"])
    ('folds 1, 2', 'fold 3', 0.62)
    """
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
    so only the cut changes between seeds).

    Parameters
    ----------
    X : pandas.DataFrame
        Inputs to split.
    y : pandas.Series or array-like of 0/1
        Their labels.
    kind : str
        The model kind of :func:`make_model`.
    params : mapping or None
        Hyperparameters (None: the kind's defaults).
    seed : int
        Seed of the cut.
    val_size : float
        Share of the rows that validates.
    metric : str
        One of :data:`METRIC_NAMES` (default ``"f1"``).
    prepared : Preprocessed or None
        :func:`prepare` output for ``X`` (saves the stateless steps when many splits share ``X``).

    Returns
    -------
    float
        The validation score of the model trained on the other rows (preprocessing fitted on them only).

    Raises
    ------
    TrainingError
        From :class:`KFoldObjective`: an unknown metric, ``X`` and ``y`` of different lengths, or
        ``prepared`` of another size.
    """
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
    changes (the model is seeded with 0 in both; the seed cuts the split and the k folds alike).

    Parameters
    ----------
    X : pandas.DataFrame
        Inputs (never the test set).
    y : pandas.Series or array-like of 0/1
        Their labels.
    kind : str
        The model kind of :func:`make_model`.
    params : mapping or None
        Hyperparameters (None: the kind's defaults).
    seeds : iterable of int
        One row per seed.
    k : int
        Folds of the k-fold estimate.
    val_size : float or None
        Share of the rows the single split validates on; default ``1/k``.
    X_fresh, y_fresh : pandas.DataFrame, pandas.Series or None
        Fresh customers (new rows from the same generator). With both, each row also gets ``true_f1``:
        the F1 on them of the single split's model (refitted on its training rows, threshold 0.5), what
        that split's score tries to estimate.

    Returns
    -------
    pandas.DataFrame
        ``[seed, single_split, kfold_mean, kfold_std]`` (and ``true_f1``), rounded to 4 decimals;
        ``kfold_std`` is the population std over the folds.

    Raises
    ------
    TrainingError
        When ``seeds`` is empty.
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
    """Mean, std, min and max of the single-split and k-fold estimates (and of ``true_f1``) over the seeds.

    Parameters
    ----------
    spread : pandas.DataFrame
        From :func:`split_vs_kfold`.

    Returns
    -------
    pandas.DataFrame
        Rows ``one split``, ``k-fold mean`` (and ``true F1 (fresh customers)``); columns ``mean``, ``std``
        (population std), ``min``, ``max``; rounded to 3 decimals.
    """
    cols = {"single_split": "one split", "kfold_mean": "k-fold mean"}
    if "true_f1" in spread:
        cols["true_f1"] = "true F1 (fresh customers)"
    out = pd.DataFrame({label: {"mean": spread[c].mean(), "std": spread[c].std(ddof=0), "min": spread[c].min(),
                                "max": spread[c].max()} for c, label in cols.items()}).T
    return out.round(3)


# --------------------------------------------------------------------------------------------------
# Stratification
# --------------------------------------------------------------------------------------------------

def fold_churn_rates(y: Sequence[int] | pd.Series, k: int = 5, seed: int = 0) -> pd.DataFrame:
    """Churn rate of each validation fold for plain ``KFold`` and ``StratifiedKFold`` (both shuffled).

    Parameters
    ----------
    y : sequence of int or pandas.Series
        0/1 labels.
    k : int
        Folds, between 2 and the number of rows.
    seed : int
        Seed of the shuffle (the same for both splitters).

    Returns
    -------
    pandas.DataFrame
        Index ``fold 1..k`` (named ``fold``), columns ``plain`` and ``stratified``; rounded to 3 decimals.

    Raises
    ------
    TrainingError
        From :func:`make_folds`, for ``k`` below 2 or above the number of rows.
    """
    y = np.asarray(y)
    out = {}
    for label, stratified in (("plain", False), ("stratified", True)):
        out[label] = [float(y[val].mean()) for _, val in make_folds(y, k, seed, stratified)]
    frame = pd.DataFrame(out, index=pd.Index([f"fold {i}" for i in range(1, k + 1)], name="fold"))
    return frame.round(3)


def fold_rate_spread(y: Sequence[int] | pd.Series, k: int = 5, seeds: Iterable[int] = range(20)) -> pd.DataFrame:
    """Over many seeds: the mean spread (std across folds) and worst fold-rate gap of plain vs stratified.

    Parameters
    ----------
    y : sequence of int or pandas.Series
        0/1 labels.
    k : int
        Folds per seed.
    seeds : iterable of int
        Seeds of the shuffles; :func:`fold_churn_rates` once per seed.

    Returns
    -------
    pandas.DataFrame
        Rows ``plain`` and ``stratified``; ``mean std of fold rates`` (the population std of the k fold
        rates, averaged over the seeds) and ``worst fold off by`` (the largest distance of a fold's rate from
        the rate of all rows, over every seed and fold); rounded to 4 decimals.
    """
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
