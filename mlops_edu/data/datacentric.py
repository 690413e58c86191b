"""Clear labels, measured (lecture 7.1, "unambiguous labels"): confident learning and its honest limits.

Lecture section 7 asks whether systematically improving the *data* beats improving the *model*; the
first property of good data it names is unambiguous labels. This module finds suspect labels and
measures how good the suspects are:

* :func:`find_label_issues`: confident learning with ``cleanlab`` 2.9 (``cleanlab.filter.find_label_issues``)
  on out-of-sample probabilities (:func:`out_of_sample_proba`, ``cross_val_predict`` with ``n_jobs=1``).
* :func:`rank_label_suspects`: what a reviewer with time for ``m`` rows looks at first;
  :func:`relabel`: the reviewer's corrections.
* :func:`detection_scores` and :func:`detection_experiment`: precision and recall of the suspects against
  the rows really flipped, for uniform and systematic errors, over several seeds.
* :func:`label_rate_shift`: the validation check that catches a systematic error confident learning misses.

Coverage, timely feedback, size and the model-centric vs data-centric table live in
:mod:`mlops_edu.data.efforts`.

Example
-------
>>> from mlops_edu.data import make_customers, flip_labels
>>> noisy = flip_labels(make_customers(600, seed=0), 0.2, seed=1)
>>> suspects = find_label_issues(noisy.frame, seed=0)
>>> scores = detection_scores(suspects, noisy.frame.index[noisy.flipped], noisy.frame.index)
>>> scores["precision"] > scores["flip_rate"]      # better than flagging rows at random
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.data.noise import flip_labels
from mlops_edu.data.schema import STRING_DTYPE, TARGET

CONFIDENT_LEARNING_MODEL: tuple[str, dict[str, Any]] = ("logreg", {"class_weight": None})
"""The model whose out-of-sample probabilities confident learning reads: a logistic regression
*without* class weights. Confident learning compares each row's probability of its given label with the
class's average, so it needs calibrated probabilities; ``class_weight="balanced"`` (the training default)
pushes every churn probability up and makes it flag more clean rows (on 1,500 clean customers 18 %
against 14 %; ``tests/test_datacentric.py``)."""


# --------------------------------------------------------------------------------------------------
# Clear labels: confident learning (lecture 7.1, "unambiguous labels")
# --------------------------------------------------------------------------------------------------

def out_of_sample_proba(frame: pd.DataFrame, label: str = TARGET, *, seed: int = 0, k: int = 5,
                        model: tuple[str, Mapping[str, Any] | None] = CONFIDENT_LEARNING_MODEL
                        ) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels and out-of-sample class probabilities of every row (``cross_val_predict``, ``n_jobs=1``).

    Each row is scored by a model that never saw it (stratified ``k``-fold, shuffled with ``seed``), so a
    row's probability cannot simply repeat its own (possibly wrong) label.

    Parameters
    ----------
    frame : pandas.DataFrame
        Telco-schema customers with the label column.
    label : str
        The label column (``"Yes"``/``"No"``).
    seed : int
        Seeds the folds and the model.
    k : int
        Number of folds.
    model : tuple of (str, dict or None)
        ``(kind, params)`` for :func:`mlops_edu.training.make_model`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(y, proba)``: labels of shape ``(n,)`` and probabilities of shape ``(n, 2)``.

    Examples
    --------
    >>> from mlops_edu.data import make_customers
    >>> y, p = out_of_sample_proba(make_customers(300, seed=0), seed=0)
    >>> p.shape, bool(np.allclose(p.sum(axis=1), 1))
    ((300, 2), True)
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from mlops_edu.training.features import split_xy
    from mlops_edu.training.models import make_model

    X, y = split_xy(frame, target=label)
    kind, params = model
    estimator = make_model(kind, params, seed=seed, X=X)
    # feature engineering learns nothing from data: apply it once, cross-validate the steps that learn
    X = estimator[:1].fit_transform(X)
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    proba = cross_val_predict(estimator[1:], X, y, cv=folds, method="predict_proba", n_jobs=1)
    return y.to_numpy(), np.asarray(proba, dtype=float)


def find_label_issues(frame: pd.DataFrame, label: str = "Churn", *, seed: int = 0) -> pd.Index:
    """Rows whose label looks wrong to confident learning (lecture 7.1): the suspects a person should review.

    ``cleanlab.filter.find_label_issues`` (cleanlab 2.9, ``prune_by_noise_rate``, ``n_jobs=1``) on the
    out-of-sample probabilities of :func:`out_of_sample_proba`. A suspect is a row whose given label is
    improbable for a model that never saw it; on churn data many suspects are *correct but surprising*
    (churn is random given the features), so the list is for review, not for deletion without a look.

    Parameters
    ----------
    frame : pandas.DataFrame
        Telco-schema customers with the label column.
    label : str
        The label column.
    seed : int
        Seeds the folds and the model: same frame and seed -> same suspects.

    Returns
    -------
    pandas.Index
        The index labels of the suspected rows, in the frame's order.

    Examples
    --------
    >>> from mlops_edu.data import make_customers
    >>> df = make_customers(400, seed=0)
    >>> suspects = find_label_issues(df, seed=0)
    >>> bool(suspects.isin(df.index).all()), suspects.equals(find_label_issues(df, seed=0))
    (True, True)
    """
    import cleanlab.filter

    y, proba = out_of_sample_proba(frame, label, seed=seed)
    mask = cleanlab.filter.find_label_issues(y, proba, n_jobs=1, verbose=False)
    return frame.index[np.asarray(mask, dtype=bool)]


def rank_label_suspects(frame: pd.DataFrame, label: str = TARGET, *, seed: int = 0) -> pd.Index:
    """Every row's index label, most suspicious first (lowest out-of-sample probability of its own label).

    A reviewer with time for ``m`` rows reads the first ``m`` (cleanlab's ``self_confidence`` label
    quality score; ties keep the frame's order).

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers with ``label``.
    label : str
        The label column.
    seed : int
        Seed of the folds and the model (:func:`out_of_sample_proba`).

    Returns
    -------
    pandas.Index

    Examples
    --------
    >>> from mlops_edu.data import make_customers
    >>> df = make_customers(300, seed=0)
    >>> ranked = rank_label_suspects(df, seed=0)
    >>> len(ranked) == len(df) and ranked.is_unique
    True
    """
    from cleanlab.rank import get_label_quality_scores

    y, proba = out_of_sample_proba(frame, label, seed=seed)
    quality = get_label_quality_scores(y, proba, method="self_confidence")
    return frame.index[np.argsort(quality, kind="stable")]


def detection_scores(flagged: Iterable[Any], truly_wrong: Iterable[Any], index: pd.Index) -> dict[str, float]:
    """How good a list of suspects is against the rows known to be wrong (lecture 7.1).

    Precision (share of suspects that are really wrong) and recall (share of wrong rows found) come from
    :func:`mlops_edu.training.metrics.confusion_counts` (the one confusion implementation). Flagging rows
    at random has an expected precision equal to ``flip_rate``: that is the trivial baseline.

    Parameters
    ----------
    flagged : iterable
        Index labels of the suspects.
    truly_wrong : iterable
        Index labels of the rows whose label is really wrong.
    index : pandas.Index
        All rows.

    Returns
    -------
    dict
        ``rows``, ``flagged``, ``wrong``, ``flag_rate``, ``flip_rate``, ``precision``, ``recall``.

    Examples
    --------
    >>> detection_scores([1, 2], [2, 3], pd.RangeIndex(10))["precision"]
    0.5
    """
    from mlops_edu.training.metrics import confusion_counts, metric_from_counts

    index = pd.Index(index)
    pred = index.isin(list(flagged))
    true = index.isin(list(truly_wrong))
    counts = confusion_counts(true, pred)
    return {"rows": int(len(index)), "flagged": int(pred.sum()), "wrong": int(true.sum()),
            "flag_rate": float(pred.mean()), "flip_rate": float(true.mean()),
            "precision": float(metric_from_counts("precision", counts)),
            "recall": float(metric_from_counts("recall", counts))}


def relabel(frame: pd.DataFrame, rows: Iterable[Any], truth: pd.Series, label: str = TARGET) -> pd.DataFrame:
    """A copy of ``frame`` where the reviewed ``rows`` carry their true label (a reviewer's corrections).

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers with ``label``.
    rows : iterable
        Index labels of the reviewed rows.
    truth : pandas.Series
        True labels, indexed like ``frame``.
    label : str
        The label column (string dtype afterwards).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> df = pd.DataFrame({"Churn": ["Yes", "No"]})
    >>> relabel(df, [0], pd.Series(["No", "No"]))["Churn"].tolist()
    ['No', 'No']
    """
    out = frame.copy()
    rows = pd.Index(list(rows))
    out.loc[rows, label] = truth.loc[rows].to_numpy()
    out[label] = out[label].astype(STRING_DTYPE)
    return out



def label_rate_shift(reference: pd.DataFrame, current: pd.DataFrame, by: str, label: str = TARGET,
                     tolerance: float = 0.1) -> pd.DataFrame:
    """Churn rate per segment in a reference table and a new extract, and whether it moved too much.

    The validation check that catches what confident learning cannot: a systematic label error (a bad
    join that marks one segment's churners as staying) is learned by the model, but it moves that
    segment's label rate far from last quarter's (lecture 4.2 quality assurance, 7.1 clear labels).

    Parameters
    ----------
    reference, current : pandas.DataFrame
        The trusted table (e.g. the previous Delta version) and the new extract.
    by : str
        The segment column, e.g. ``"Contract"``.
    label : str
        The label column (``"Yes"``/``"No"``).
    tolerance : float
        Largest accepted absolute change of a segment's rate.

    Returns
    -------
    pandas.DataFrame
        Index: the segments; columns ``reference``, ``current``, ``change``, ``alert``.

    Examples
    --------
    >>> ref = pd.DataFrame({"Contract": ["a", "a", "b", "b"], "Churn": ["Yes", "No", "Yes", "No"]})
    >>> cur = pd.DataFrame({"Contract": ["a", "a", "b", "b"], "Churn": ["No", "No", "Yes", "No"]})
    >>> label_rate_shift(ref, cur, "Contract")["alert"].tolist()
    [True, False]
    """
    rates = {name: (frame[label] == "Yes").groupby(frame[by]).mean()
             for name, frame in (("reference", reference), ("current", current))}
    out = pd.DataFrame(rates).round(3)
    out["change"] = (out["current"] - out["reference"]).round(3)
    out["alert"] = out["change"].abs() > tolerance
    out.index.name = by
    return out


def detection_experiment(frame: pd.DataFrame, errors: Mapping[str, Mapping[str, Any] | None],
                         seeds: Sequence[int]) -> pd.DataFrame:
    """Inject each kind of label error with each seed, run :func:`find_label_issues`, score the suspects.

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers with true labels.
    errors : mapping
        ``{name: None}`` for the clean labels, or ``{name: flip_labels keyword arguments}``, e.g.
        ``{"uniform 10%": {"rate": 0.1}, "systematic": {"rate": 0.5, "segment": {"Contract":
        "Month-to-month", "Churn": "Yes"}}}`` (half of the month-to-month churners marked "No").
    seeds : sequence of int
        One run per seed (the seed picks the flipped rows and the folds).

    Returns
    -------
    pandas.DataFrame
        One row per (error, seed): ``error``, ``seed`` and the keys of :func:`detection_scores`.
    """
    rows = []
    for name, spec in errors.items():
        for seed in seeds:
            if spec is None:
                noisy, wrong = frame, frame.index[:0]
            else:
                scenario = flip_labels(frame, seed=int(seed), **dict(spec))
                noisy, wrong = scenario.frame, scenario.frame.index[scenario.flipped]
            suspects = find_label_issues(noisy, seed=int(seed))
            rows.append({"error": name, "seed": int(seed), **detection_scores(suspects, wrong, noisy.index)})
    return pd.DataFrame(rows)


def detection_summary(experiment: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread (std over seeds) of the flag rate, flip rate, precision and recall per error kind.

    Parameters
    ----------
    experiment : pandas.DataFrame
        From :func:`detection_experiment`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``error`` in first-seen order; each cell ``"mean +- std"`` (population std, 3 decimals).

    >>> runs = pd.DataFrame({"error": ["a", "a"], "seed": [0, 1], "flag_rate": [0.1, 0.2], "flip_rate": [0.1, 0.1],
    ...                      "precision": [0.5, 0.7], "recall": [0.4, 0.6]})
    >>> detection_summary(runs).loc["a", "precision"]
    '0.600 +- 0.100'
    """
    order = list(dict.fromkeys(experiment["error"]))
    out = {}
    for col in ("flag_rate", "flip_rate", "precision", "recall"):
        grouped = experiment.groupby("error", sort=False)[col]
        mean, std = grouped.mean(), grouped.std(ddof=0)
        out[col] = [f"{mean[e]:.3f} +- {std[e]:.3f}" for e in order]
    return pd.DataFrame(out, index=pd.Index(order, name="error"))
