"""Label noise on an existing frame (lecture 7: clear labels): flip a share of labels, uniformly or in a segment.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from mlops_edu.data.knobs import Knobs, Scenario
from mlops_edu.data.label_model import churn_probability
from mlops_edu.data.schema import STRING_DTYPE, SchemaError

# ----------------------------------------------------------------------------------------------------
# Label noise (lecture 7)
# ----------------------------------------------------------------------------------------------------


def _segment_mask(df: pd.DataFrame, segment: Mapping[str, Any] | None) -> np.ndarray:
    if segment is None:
        return np.ones(len(df), dtype=bool)
    mask = np.ones(len(df), dtype=bool)
    for col, val in segment.items():
        if col not in df.columns:
            raise ValueError(f"noise segment: unknown column {col!r}")
        vals = [val] if isinstance(val, (str, int, float, np.integer, np.floating)) else list(val)
        mask &= df[col].isin(vals).to_numpy()
    return mask


def flip_labels(df: pd.DataFrame, rate: float, seed: int = 0, segment: Mapping[str, Any] | None = None,
                mode: str = "uniform", proba: np.ndarray | None = None) -> Scenario:
    """Flip exactly ``round(rate x rows in scope)`` Churn labels: label noise (lecture 7).

    Parameters
    ----------
    df : pd.DataFrame
        canonical customer frame with ``Churn`` (not modified; a copy is returned).
    rate : float
        share of the rows in scope to flip, 0..1.
    seed : int
        non-negative integer.
    segment : Mapping[str, Any] | None
        ``{column: value or list of values}``; only matching rows are in scope (e.g.
        ``{"Contract": "Month-to-month"}``: noisy labels concentrated where the stakeholders disagree).
    mode : str
        ``"uniform"`` or ``"ambiguous"`` (rows are picked with weight p(1-p), customers on the fence;
        ``proba`` defaults to :func:`churn_probability`).
    proba : np.ndarray | None
        true churn probabilities used by ``mode="ambiguous"``.

    Returns
    -------
    Scenario
        The new frame, ``flipped`` (sorted row positions) and a sentence.

    Example::

        >>> res = flip_labels(make_customers(1000, seed=0), 0.1, seed=1)
        >>> len(res.flipped)
        100
    """
    if "Churn" not in df.columns:
        raise SchemaError("flip_labels: the frame has no 'Churn' column")
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate!r}")
    if mode not in ("uniform", "ambiguous"):
        raise ValueError(f"mode must be 'uniform' or 'ambiguous', got {mode!r}")
    scope = np.flatnonzero(_segment_mask(df, segment))
    k = int(round(float(rate) * scope.size))
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)).spawn(1)[0])
    if k == 0:
        chosen = np.empty(0, dtype=np.int64)
    elif mode == "uniform":
        chosen = rng.choice(scope, size=k, replace=False)
    else:
        p = churn_probability(df) if proba is None else np.asarray(proba, dtype=float)
        w = p[scope] * (1 - p[scope]) + 1e-9
        # weighted sampling without replacement (Efraimidis-Spirakis keys), vectorised
        keys = rng.random(scope.size) ** (1.0 / w)
        chosen = scope[np.argsort(-keys, kind="stable")[:k]]
    chosen = np.sort(chosen).astype(np.int64)
    out = df.copy()
    churn = out["Churn"].to_numpy(dtype=object).copy()
    churn[chosen] = np.where(churn[chosen] == "Yes", "No", "Yes")
    out["Churn"] = pd.Series(churn, index=out.index, dtype=STRING_DTYPE)
    where = "all rows" if segment is None else "rows with " + ", ".join(f"{a}={b!r}" for a, b in segment.items())
    how = "uniformly" if mode == "uniform" else "preferring ambiguous customers (p near 0.5)"
    msg = (f"label noise (7): flipped {k} of {scope.size} Churn labels ({rate:.0%} of {where}) {how}; "
           "inputs unchanged.")
    knobs = Knobs(label_noise=float(rate), noise_segment=segment, noise_mode=mode)
    return Scenario(frame=out, knobs=knobs, changes=(msg,), flipped=chosen, churn_proba=proba)


