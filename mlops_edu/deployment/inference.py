"""Batch inference: score a table with the registered model, with pandas or with Spark.

Serves lecture section 5.2 (the inference pipeline) and section 10, step 5 of the lab ("load @Champion,
score the inference table, write the predictions table"). The model is always loaded by URI
(``models:/workbook.mlops.mlops_churn@Champion``), so promotion and rollback change what is scored
without touching this code.

Two engines give identical results:

* ``pandas``: :func:`score_pandas` loads the model with :func:`mlflow.pyfunc.load_model` in this process.
* ``spark``: :func:`score_spark` scores a local Spark DataFrame with
  ``mlflow.pyfunc.spark_udf(spark, uri, env_manager="local")`` as the lab does on Databricks, on a
  local SparkSession (:func:`spark_session`; needs the ``spark`` extra and Java 17).

Both return the input columns plus ``predictions`` (0/1, 1 = churn, the pyfunc ``predict``) and
``churn_probability`` (the classifier's ``predict_proba`` for class 1).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PREDICTION_COLUMN = "predictions"
"""Column with the 0/1 prediction (1 = churn), as in the lab's predictions table."""
PROBABILITY_COLUMN = "churn_probability"
"""Column with the predicted probability of churn."""
ENGINES = ("pandas", "spark")
_ROW = "__row_id__"
_LOG4J2 = """# written by mlops_edu.deployment.inference.spark_session: Spark logs errors only
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


class InferenceError(ValueError):
    """The table cannot be scored (missing input columns, unknown engine)."""


def _load(model_uri: str):
    import mlflow

    return mlflow.pyfunc.load_model(model_uri)


def input_columns(model: Any) -> list[str]:
    """The input column names of a model's signature (``model`` is a URI or a loaded PyFuncModel).

    Parameters
    ----------
    model : str or mlflow.pyfunc.PyFuncModel
        Model URI or loaded model.

    Returns
    -------
    list of str

    Raises
    ------
    InferenceError
        When the model has no input signature.
    """
    pyfunc_model = _load(model) if isinstance(model, str) else model
    schema = pyfunc_model.metadata.get_input_schema()
    if schema is None:
        raise InferenceError("the model has no input signature: cannot tell which columns to score")
    return list(schema.input_names())


def _check_columns(df: pd.DataFrame, needed: list[str]) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise InferenceError(f"the table to score lacks the model's input columns {missing}")


def _scores(pyfunc_model: Any, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """0/1 predictions and churn probabilities from ONE pass of the model.

    The pyfunc's ``predict`` and the raw model's ``predict_proba`` would run the whole pipeline (features,
    preprocessing, trees) twice; a scikit-learn classifier's ``predict`` is ``classes_[argmax(proba)]``, so
    one ``predict_proba`` gives both (``tests/test_inference.py`` checks they equal the pyfunc's ``predict``).
    """
    raw = pyfunc_model.get_raw_model()
    if not (hasattr(raw, "predict_proba") and hasattr(raw, "classes_")):
        raise InferenceError(f"the model ({type(raw).__name__}) has no predict_proba")
    proba = np.asarray(raw.predict_proba(X), dtype="float64")
    predictions = np.asarray(raw.classes_)[np.argmax(proba, axis=1)].astype("int64")
    return predictions, proba[:, 1]


def score_pandas(model: Any, df: pd.DataFrame) -> pd.DataFrame:
    """Score ``df`` in this process with pandas; returns ``df`` plus ``predictions`` and ``churn_probability``.

    Parameters
    ----------
    model : str or mlflow.pyfunc.PyFuncModel
        A model URI (``models:/name@Champion``, ``models:/m-...``) or a loaded PyFuncModel.
    df : pandas.DataFrame
        The rows to score; it must hold the model's input columns (others, e.g. ``customerID``, are
        kept in the output and not given to the model).

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``predictions`` (int 0/1) and ``churn_probability`` (float) added.

    Raises
    ------
    InferenceError
        When the model has no signature or no ``predict_proba``, or ``df`` lacks an input column.

    Example
    -------
    >>> out = score_pandas("models:/workbook.mlops.mlops_churn@Champion", inference_df)  # doctest: +SKIP
    >>> out[["customerID", "predictions", "churn_probability"]].head()                  # doctest: +SKIP
    """
    pyfunc_model = _load(model) if isinstance(model, str) else model
    needed = input_columns(pyfunc_model)
    _check_columns(df, needed)
    X = df[needed]
    out = df.copy()
    out[PREDICTION_COLUMN], out[PROBABILITY_COLUMN] = _scores(pyfunc_model, X)
    return out


def spark_available() -> tuple[bool, str]:
    """``(True, "")`` when pyspark imports and Java is on the PATH, else ``(False, why not)``."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False, "pyspark is not installed (pip install 'mlops-edu[spark]')"
    import shutil

    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return False, "Java is not installed (Spark needs Java 17)"
    return True, ""


def spark_session(app_name: str = "mlops-edu-lab", cores: int = 1, log_file: str | Path | None = None):
    """A quiet local SparkSession bound to 127.0.0.1 (no UI, one shuffle partition, Arrow on).

    Sets ``SPARK_LOCAL_IP=127.0.0.1`` and makes Spark's Python workers use this interpreter
    (``PYSPARK_PYTHON``), so they see the same packages as the notebook. The JVM's start-up lines go to
    ``log_file`` (default ``<workspace>/logs/spark.log`` of the current chapter) instead of stderr.

    Parameters
    ----------
    app_name : str
        Spark application name.
    cores : int
        Local cores (``local[cores]``).
    log_file : str, pathlib.Path or None
        Where the JVM's stderr goes while the session starts; ``None`` for the default above (or a file
        in the temp folder outside a chapter).

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    InferenceError
        When pyspark or Java is missing (:func:`spark_available`).
    """
    ok, why = spark_available()
    if not ok:
        raise InferenceError(f"the spark engine is not available: {why}")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    log4j = Path(tempfile.gettempdir()) / "mlops_edu_spark_log4j2.properties"
    if not log4j.is_file():
        log4j.write_text(_LOG4J2, encoding="utf-8")
    builder = (SparkSession.builder.master(f"local[{int(cores)}]").appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.session.timeZone", "UTC"))
    builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j.as_uri()}")
    with _stderr_to(Path(log_file) if log_file else _spark_log_file()):  # the JVM inherits fd 2: its start-up chatter goes to the log
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _spark_log_file() -> Path:
    """``<workspace>/logs/spark.log`` of the current chapter, else a file in the temp folder."""
    try:
        from mlops_edu.workbook.config import current_workspace

        return current_workspace().logs / "spark.log"
    except RuntimeError:
        return Path(tempfile.gettempdir()) / "mlops_edu_spark.log"


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Point file descriptor 2 at ``path`` while the block runs (child processes keep it afterwards)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        sys.stderr.flush()
    except (AttributeError, ValueError):
        pass
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def score_spark(model_uri: str, df: pd.DataFrame, spark: Any = None) -> pd.DataFrame:
    """Score ``df`` on a local Spark DataFrame with ``mlflow.pyfunc.spark_udf(..., env_manager="local")``.

    ``predictions`` come from the spark_udf (the model's pyfunc ``predict``, as in the lab);
    ``churn_probability`` from a pandas UDF calling the same model's ``predict_proba``. Returns a pandas
    DataFrame with the same rows, order and columns as :func:`score_pandas` (identical values).

    Parameters
    ----------
    model_uri : str
        Registry or model URI, e.g. ``models:/workbook.mlops.mlops_churn@Champion``.
    df : pandas.DataFrame
        The rows to score (pandas); they are turned into a Spark DataFrame.
    spark : pyspark.sql.SparkSession or None
        A SparkSession (default: :func:`spark_session`).

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``predictions`` and ``churn_probability`` added.

    Raises
    ------
    InferenceError
        When the model has no signature, ``df`` lacks an input column, or Spark is not available.
    """
    import mlflow
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType

    spark = spark or spark_session()
    pyfunc_model = _load(model_uri)
    needed = input_columns(pyfunc_model)
    _check_columns(df, needed)
    frame = df.reset_index(drop=True).copy()
    frame[_ROW] = np.arange(len(frame), dtype="int64")
    sdf = spark.createDataFrame(frame)

    predict = mlflow.pyfunc.spark_udf(spark, model_uri, env_manager="local", result_type="long")
    raw = pyfunc_model.get_raw_model()

    @F.pandas_udf(DoubleType())
    def churn_probability(*columns: pd.Series) -> pd.Series:
        X = pd.concat(columns, axis=1)
        X.columns = needed
        return pd.Series(raw.predict_proba(X)[:, 1].astype("float64"))

    scored = (sdf.withColumn(PREDICTION_COLUMN, predict(*needed))
                 .withColumn(PROBABILITY_COLUMN, churn_probability(*needed))
                 .select(_ROW, PREDICTION_COLUMN, PROBABILITY_COLUMN)
                 .toPandas()
                 .sort_values(_ROW))
    out = df.copy()
    out[PREDICTION_COLUMN] = scored[PREDICTION_COLUMN].to_numpy().astype("int64")
    out[PROBABILITY_COLUMN] = scored[PROBABILITY_COLUMN].to_numpy().astype("float64")
    return out


def batch_score(model_uri: str, df: pd.DataFrame, engine: str = "pandas", spark: Any = None) -> pd.DataFrame:
    """Score ``df`` with the engine named ``"pandas"`` (default) or ``"spark"``; same output either way.

    Parameters
    ----------
    model_uri : str
        Registry or model URI (:func:`score_pandas` also takes a loaded model).
    df : pandas.DataFrame
        The rows to score.
    engine : {"pandas", "spark"}
        Which of :func:`score_pandas` and :func:`score_spark` scores.
    spark : pyspark.sql.SparkSession or None
        Session for the spark engine (ignored by pandas).

    Returns
    -------
    pandas.DataFrame
        ``df`` plus ``predictions`` and ``churn_probability``.

    Raises
    ------
    InferenceError
        For an unknown engine, and as raised by the engine.

    >>> preds = batch_score("models:/workbook.mlops.mlops_churn@Champion", df, engine="pandas")  # doctest: +SKIP
    """
    if engine == "pandas":
        return score_pandas(model_uri, df)
    if engine == "spark":
        return score_spark(model_uri, df, spark=spark)
    raise InferenceError(f"unknown engine {engine!r}: choose one of {ENGINES}")
