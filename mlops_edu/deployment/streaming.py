"""Streaming inference: micro-batches scored as they arrive, late labels joined under a watermark.

Serves lecture section 2 (Table 1, the three serving types: batch, **streaming**, real-time) and 5.2
(the inference pipeline). Customers of :func:`mlops_edu.data.make_months` arrive one by one over the
months (:func:`arrivals`); a stream processor cuts the arrivals into micro-batches (one per ``every``,
e.g. a week) and scores each batch the moment it closes (:func:`run_stream`). The truth comes later:
a customer's churn label arrives ``label_delay`` months (plus a few days) after the customer was scored.

Joining predictions with labels needs **state**: the processor remembers every prediction until its
label arrives. A **watermark** bounds that state: predictions whose event time is older than "latest
event seen minus ``watermark``" are dropped from the state, and a label that arrives after that is
dropped too (it is counted, not joined). A longer watermark joins more labels and keeps more state.

Scoring micro-batches gives exactly the predictions that scoring everything at once gives (the model is
row-wise); :func:`run_stream` makes that check easy, and :func:`spark_stream` does the same scoring
with Spark Structured Streaming on a folder of Parquet files (``trigger(availableNow=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from mlops_edu.deployment.inference import PREDICTION_COLUMN as PREDICTION

EVENT_TIME = "event_time"
LABEL_TIME = "label_time"


def arrivals(months: Sequence[Any], seed: int = 0, label_jitter_days: int = 14) -> pd.DataFrame:
    """One row per customer of ``months`` (a list of :class:`~mlops_edu.data.MonthBatch`), with times.

    ``event_time``: a seeded moment inside the customer's month (when the customer is scored);
    ``label_time``: ``event_time`` plus the month's ``label_delay`` (in 30-day months) plus 0 to
    ``label_jitter_days`` days: when the true ``Churn`` becomes known. Sorted by ``event_time``.

    Parameters
    ----------
    months : sequence of MonthBatch
        Months with ``period``, ``frame`` and ``label_delay``.
    seed : int
        Seed of the event times and the jitter.
    label_jitter_days : int
        Most days of jitter added to a label's arrival.

    Returns
    -------
    pandas.DataFrame
        The months' customers with ``event_time``, ``label_time`` and ``month`` added, index reset.

    Example
    -------
    >>> from mlops_edu.data import make_months
    >>> a = arrivals(make_months(2, 50, seed=0), seed=0)
    >>> len(a), bool((a["label_time"] > a["event_time"]).all())
    (100, True)
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 5]))
    parts = []
    for batch in months:
        start = pd.Period(batch.period, freq="M").to_timestamp(how="start")
        days = pd.Period(batch.period, freq="M").days_in_month
        n = len(batch.frame)
        offset = pd.to_timedelta(np.sort(rng.random(n)) * days * 86400, unit="s").round("s")
        frame = batch.frame.copy()
        frame[EVENT_TIME] = (start + offset).astype("datetime64[us]")
        delay = batch.label_delay * 30 + rng.integers(0, label_jitter_days + 1, n)
        frame[LABEL_TIME] = (frame[EVENT_TIME] + pd.to_timedelta(delay, unit="D")).astype("datetime64[us]")
        frame["month"] = batch.period
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True).sort_values([EVENT_TIME, "customerID"], kind="stable")
    return out.reset_index(drop=True)


def micro_batches(frame: pd.DataFrame, every: str = "7D", time_column: str = EVENT_TIME) -> list[tuple[pd.Timestamp, pd.DataFrame]]:
    """Cut ``frame`` into consecutive windows of length ``every``: ``[(window_end, rows), ...]``.

    Windows start at midnight of the first event; empty windows are kept (a stream has quiet weeks).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with a time column.
    every : str
        Window length (pandas offset, e.g. ``"7D"``).
    time_column : str
        Column of event times.

    Returns
    -------
    list of (pandas.Timestamp, pandas.DataFrame)
        Empty for an empty ``frame``.
    """
    if len(frame) == 0:
        return []
    times = pd.to_datetime(frame[time_column])
    start = times.min().normalize()
    step = pd.Timedelta(every)
    n = int(np.floor((times.max() - start) / step)) + 1
    ends = [start + step * (i + 1) for i in range(n)]
    index = np.floor((times - start) / step).astype(int).to_numpy()
    return [(end, frame[index == i]) for i, end in enumerate(ends)]


@dataclass
class StreamResult:
    """What :func:`run_stream` produced.

    Attributes
    ----------
    predictions : pandas.DataFrame
        ``customerID``, ``event_time``, ``batch`` (micro-batch number), ``predictions``, in arrival order.
    joined : pandas.DataFrame
        Predictions whose label arrived while they were still in the state: ``customerID``,
        ``predictions``, ``label`` (0/1), ``label_time``.
    batches : pandas.DataFrame
        One row per micro-batch: ``batch``, ``window_end``, ``scored``, ``labels_arrived``, ``joined``,
        ``dropped_late`` (labels whose prediction had left the state), ``state_rows``, ``watermark``.
    """

    predictions: pd.DataFrame
    joined: pd.DataFrame
    batches: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        """Scored rows, labels arrived / joined / dropped as late, the largest state (rows)."""
        b = self.batches
        return {"micro_batches": int(len(b)), "scored": int(b["scored"].sum()),
                "labels_arrived": int(b["labels_arrived"].sum()), "joined": int(b["joined"].sum()),
                "dropped_late": int(b["dropped_late"].sum()), "max_state_rows": int(b["state_rows"].max())}


def run_stream(events: pd.DataFrame, score: Callable[[pd.DataFrame], Any], *, every: str = "7D",
               watermark: str = "60D", label_column: str = "Churn", id_column: str = "customerID") -> StreamResult:
    """Score ``events`` micro-batch by micro-batch and join the late labels under a watermark.

    At the end of each window the processor (1) scores the window's rows with ``score`` (the model sees
    the rows without ``Churn`` and the time columns), (2) adds them to the state, (3) moves the
    watermark to "latest event time seen minus ``watermark``", (4) receives the labels whose
    ``label_time`` fell in the window and joins those whose prediction is still in the state, and
    (5) drops from the state the predictions older than the watermark.

    Parameters
    ----------
    events : pandas.DataFrame
        Output of :func:`arrivals` (features, ``Churn``, ``event_time``, ``label_time``).
    score : callable
        ``score(rows) -> predictions`` (0/1), e.g. a loaded pyfunc model's ``predict``.
    every : str
        Window length (pandas offset, e.g. ``"7D"``).
    watermark : str
        How long a prediction waits in the state for its label.
    label_column : str
        Column of the ``"Yes"``/``"No"`` label.
    id_column : str
        Key joining predictions and labels.

    Returns
    -------
    StreamResult
    """
    features = events.drop(columns=[label_column, EVENT_TIME, LABEL_TIME, "month"], errors="ignore")
    labels = events[[id_column, label_column, LABEL_TIME]].copy()
    labels["label"] = (labels[label_column].astype(str) == "Yes").astype("int64")
    wait = pd.Timedelta(watermark)
    state = pd.DataFrame({id_column: pd.Series(dtype="string"), EVENT_TIME: pd.Series(dtype="datetime64[us]"),
                          PREDICTION: pd.Series(dtype="int64")})
    scored_parts, joined_parts, log = [], [], []
    previous_end = pd.Timestamp.min
    latest = pd.Timestamp.min
    for number, (end, rows) in enumerate(micro_batches(events, every)):
        if len(rows):
            out = pd.DataFrame({id_column: rows[id_column].to_numpy(), EVENT_TIME: rows[EVENT_TIME].to_numpy(),
                                "batch": number,
                                PREDICTION: np.asarray(score(features.loc[rows.index])).astype("int64")})
            scored_parts.append(out)
            state = pd.concat([state, out.drop(columns="batch")], ignore_index=True)
            latest = max(latest, rows[EVENT_TIME].max())
        mark = latest - wait
        arrived = labels[(labels[LABEL_TIME] > previous_end) & (labels[LABEL_TIME] <= end)]
        match = arrived.merge(state, on=id_column, how="inner")
        joined_parts.append(match[[id_column, PREDICTION, "label", LABEL_TIME]])
        state = state[~state[id_column].isin(match[id_column])]
        state = state[state[EVENT_TIME] >= mark]
        log.append({"batch": number, "window_end": end, "scored": int(len(rows)),
                    "labels_arrived": int(len(arrived)), "joined": int(len(match)),
                    "dropped_late": int(len(arrived) - len(match)), "state_rows": int(len(state)),
                    "watermark": mark})
        previous_end = end
    predictions = pd.concat(scored_parts, ignore_index=True) if scored_parts else state.assign(batch=0)
    joined = pd.concat(joined_parts, ignore_index=True)
    return StreamResult(predictions=predictions, joined=joined, batches=pd.DataFrame(log))


def watermark_tradeoff(events: pd.DataFrame, score: Callable[[pd.DataFrame], Any], watermarks: Sequence[str],
                       every: str = "7D") -> pd.DataFrame:
    """For each watermark: the share of labels joined and the largest state, from :func:`run_stream`.

    ``score`` runs once per micro-batch per watermark; pass a cheap one (e.g. a dict lookup of
    predictions already made) when only the join is of interest.

    Parameters
    ----------
    events : pandas.DataFrame
        Output of :func:`arrivals`.
    score : callable
        As in :func:`run_stream`.
    watermarks : sequence of str
        Watermarks to compare (pandas offsets, e.g. ``"30D"``).
    every : str
        Window length.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``watermark``: ``labels joined``, ``dropped as late``, ``joined share``, ``max state rows``.
    """
    rows = []
    for mark in watermarks:
        s = run_stream(events, score, every=every, watermark=mark).summary()
        rows.append({"watermark": mark, "labels joined": s["joined"], "dropped as late": s["dropped_late"],
                     "joined share": round(s["joined"] / max(s["labels_arrived"], 1), 3),
                     "max state rows": s["max_state_rows"]})
    return pd.DataFrame(rows).set_index("watermark")


# --------------------------------------------------------------------------------------------------
# The same scoring with Spark Structured Streaming (spark extra, Java 17)
# --------------------------------------------------------------------------------------------------

def write_micro_batches(events: pd.DataFrame, folder: str | Path, every: str = "7D") -> int:
    """Write each micro-batch of ``events`` (features and ``customerID`` only) as one Parquet file in
    ``folder`` (``batch-00000.parquet``, ...): the folder source of :func:`spark_stream`. Returns the
    number of files.

    Empty windows write no file; each file has a ``batch`` column (the micro-batch number).

    Parameters
    ----------
    events : pandas.DataFrame
        Output of :func:`arrivals`.
    folder : str or pathlib.Path
        Created if needed.
    every : str
        Window length.

    Returns
    -------
    int
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for number, (_, rows) in enumerate(micro_batches(events, every)):
        if len(rows):
            drop = ["Churn", EVENT_TIME, LABEL_TIME, "month", "signup_date"]
            rows.drop(columns=drop, errors="ignore").assign(batch=np.int64(number)).to_parquet(
                folder / f"batch-{number:05d}.parquet", index=False)
            count += 1
    return count


def spark_stream(model_uri: str, folder: str | Path, checkpoint: str | Path, spark: Any = None,
                 id_column: str = "customerID") -> pd.DataFrame:
    """Score the Parquet files of ``folder`` with Spark Structured Streaming, one file per micro-batch.

    ``readStream`` over the folder (``maxFilesPerTrigger=1``), the model applied with
    ``mlflow.pyfunc.spark_udf(..., env_manager="local")``, ``foreachBatch`` collecting the results,
    ``trigger(availableNow=True)``: every file present is processed, then the query stops.

    Parameters
    ----------
    model_uri : str
        Registry or model URI.
    folder : str or pathlib.Path
        Folder of Parquet files (:func:`write_micro_batches`).
    checkpoint : str or pathlib.Path
        Checkpoint location of the streaming query.
    spark : pyspark.sql.SparkSession or None
        Default: :func:`~mlops_edu.deployment.inference.spark_session`.
    id_column : str
        Key column kept in the result.

    Returns
    -------
    pandas.DataFrame
        ``customerID``, ``batch``, ``predictions``, sorted by ``batch`` and ``customerID``.

    Raises
    ------
    ValueError
        When ``folder`` holds no Parquet file.
    """
    import mlflow
    import pyarrow.parquet as pq

    from mlops_edu.deployment.inference import input_columns, spark_session

    spark = spark or spark_session()
    files = sorted(Path(folder).glob("*.parquet"))
    if not files:
        raise ValueError(f"spark_stream(): no Parquet files in {Path(folder).name!r}")
    schema = spark.createDataFrame(pq.read_table(files[0]).to_pandas().head(1)).schema
    needed = input_columns(model_uri)
    predict = mlflow.pyfunc.spark_udf(spark, model_uri, env_manager="local", result_type="long")
    collected: list[pd.DataFrame] = []

    def handle(batch_df: Any, batch_id: int) -> None:
        out = batch_df.select(id_column, "batch", predict(*needed).alias(PREDICTION)).toPandas()
        collected.append(out)

    query = (spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).parquet(str(folder))
             .writeStream.foreachBatch(handle).option("checkpointLocation", str(checkpoint))
             .trigger(availableNow=True).start())
    query.awaitTermination()
    result = pd.concat(collected, ignore_index=True) if collected else pd.DataFrame(columns=[id_column, "batch", PREDICTION])
    result[PREDICTION] = result[PREDICTION].astype("int64")
    return result.sort_values(["batch", id_column], kind="stable").reset_index(drop=True)
