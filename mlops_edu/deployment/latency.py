"""Latency and throughput of a scoring function: percentiles per request, rows per second per batch size.

Serves lecture section 5.2 ("main considerations: performance (latency), throughput, scalability").
The same two measurements work for any ``score(frame)`` callable: the model in this process
(``model.predict``) or the scoring server over HTTP (``ScoringClient.predict``), so the price of the
network hop and the JSON round trip is read off one table.

Timings depend on the machine and its load: show them in cells marked ``# NBVAL_IGNORE_OUTPUT`` and
never in a checked output.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

QUANTILES = (50, 95, 99)
"""The latency percentiles reported: p50 (the typical request), p95 and p99 (the slow tail)."""


def time_calls(call: Callable[[], Any], n: int, warmup: int = 5) -> np.ndarray:
    """Seconds of ``n`` calls of ``call()`` (after ``warmup`` untimed calls), one per call.

    Parameters
    ----------
    call : callable
        Called without arguments.
    n : int
        Timed calls.
    warmup : int
        Untimed calls first.

    Returns
    -------
    numpy.ndarray
        ``n`` durations in seconds.

    Raises
    ------
    ValueError
        When ``n < 1``.

    >>> len(time_calls(lambda: None, 10, warmup=0))
    10
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    for _ in range(int(warmup)):
        call()
    out = np.empty(int(n))
    for i in range(int(n)):
        start = time.perf_counter()
        call()
        out[i] = time.perf_counter() - start
    return out


def latency_summary(seconds: Iterable[float], quantiles: Iterable[int] = QUANTILES) -> dict[str, float]:
    """``{"p50_ms": ..., "p95_ms": ..., "p99_ms": ..., "mean_ms": ..., "requests": n}`` of request times.

    Parameters
    ----------
    seconds : iterable of float
        Request times in seconds.
    quantiles : iterable of int
        Percentiles to report (each as ``p<q>_ms``).

    Returns
    -------
    dict of str to float
        Milliseconds rounded to 3 decimals, and ``requests`` (an int).

    Raises
    ------
    ValueError
        When there are no timings.

    >>> latency_summary([0.001, 0.002, 0.003, 0.004])["p50_ms"]
    2.5
    """
    values = np.asarray(list(seconds), dtype=float) * 1000.0
    if values.size == 0:
        raise ValueError("no timings to summarise")
    out = {f"p{int(q)}_ms": round(float(np.percentile(values, q)), 3) for q in quantiles}
    out["mean_ms"] = round(float(values.mean()), 3)
    out["requests"] = int(values.size)
    return out


def throughput(score: Callable[[pd.DataFrame], Any], frame: pd.DataFrame, batch_sizes: Iterable[int],
               *, min_rows: int = 1000, max_calls: int = 200, repeats: int = 3) -> pd.DataFrame:
    """Rows per second of ``score`` for each batch size (the median of ``repeats`` runs).

    Each run scores the same batch (the first ``size`` rows of ``frame``, repeated when it has fewer) until
    at least ``min_rows`` rows or ``max_calls`` calls are done.

    Parameters
    ----------
    score : callable
        Takes a DataFrame, returns its predictions.
    frame : pandas.DataFrame
        Rows to draw batches from.
    batch_sizes : iterable of int
        E.g. ``(1, 10, 100, 1000)``.
    min_rows : int
        Rows a run scores at least (unless ``max_calls`` stops it first).
    max_calls : int
        Calls a run makes at most.
    repeats : int
        Runs per batch size (each with one untimed warm-up call).

    Returns
    -------
    pandas.DataFrame
        ``batch_size``, ``ms_per_batch``, ``rows_per_s``.

    Raises
    ------
    ValueError
        When ``frame`` has no rows or a batch size is below 1.
    """
    if len(frame) == 0:
        raise ValueError("throughput(): the frame has no rows")
    rows = []
    for size in batch_sizes:
        size = int(size)
        if size < 1:
            raise ValueError(f"batch sizes must be >= 1, got {size}")
        batch = frame.iloc[np.arange(size) % len(frame)]
        calls = max(1, min(int(max_calls), -(-int(min_rows) // size)))
        runs = [time_calls(lambda: score(batch), calls, warmup=1).sum() / calls for _ in range(int(repeats))]
        per_batch = float(np.median(runs))
        rows.append({"batch_size": size, "ms_per_batch": per_batch * 1000.0, "rows_per_s": size / per_batch})
    return pd.DataFrame(rows)


def compare_throughput(scorers: Mapping[str, Callable[[pd.DataFrame], Any]], frame: pd.DataFrame,
                       batch_sizes: Iterable[int], **kwargs: Any) -> pd.DataFrame:
    """:func:`throughput` of several scorers in one long table with a ``how`` column (e.g. "in-process",
    "HTTP"), ready for :func:`mlops_edu.deployment.plots.plot_throughput`.

    Parameters
    ----------
    scorers : mapping of str to callable
        ``{how: score}``, each ``score`` as in :func:`throughput`.
    frame : pandas.DataFrame
        Rows to draw batches from.
    batch_sizes : iterable of int
        Batch sizes, the same for every scorer.
    **kwargs
        Passed on to :func:`throughput`.

    Returns
    -------
    pandas.DataFrame
        ``how``, ``batch_size``, ``ms_per_batch``, ``rows_per_s``.
    """
    sizes = list(batch_sizes)
    parts = [throughput(fn, frame, sizes, **kwargs).assign(how=name) for name, fn in scorers.items()]
    return pd.concat(parts, ignore_index=True)[["how", "batch_size", "ms_per_batch", "rows_per_s"]]
