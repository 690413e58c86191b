"""A client for the scoring server: JSON requests, named errors, and checks the server does not make.

Serves lecture section 5.2 (real-time inference "usually as an API"; its considerations: latency,
throughput, scalability, security). :class:`ScoringClient` posts ``{"dataframe_split": ...}`` to
``/invocations`` of a :class:`~mlops_edu.deployment.serving.ModelServer` and turns the server's answers
into Python:

* a 200 gives the predictions as a numpy array;
* a 4xx raises :class:`BadRequest` whose ``problem`` names what is wrong ("missing column",
  "wrong type", "not JSON", "two input keys", "empty body", ...) and whose message keeps the server's
  own words without the data dump MLflow puts in front of them;
* before sending, :meth:`ScoringClient.check` compares the frame with the model's **signature** (and,
  for Telco frames, with :func:`mlops_edu.data.validate_customers`), because the server lets some
  mistakes through silently: extra columns are dropped, integers are accepted for floats, and an
  unknown category is scored (its one-hot block is all zeros). These become :class:`InputError`.

Example
-------
>>> client = ScoringClient(server.url, signature=model_signature)     # doctest: +SKIP
>>> client.predict(customers.head(3))                                # doctest: +SKIP
array([1, 0, 0])
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

import numpy as np
import pandas as pd

JSON = "application/json"
FORMATS = ("dataframe_split", "dataframe_records")
"""The two pandas request formats of the scoring protocol (one key per request)."""


class ScoringError(ValueError):
    """A scoring request failed. ``problem`` names the kind of mistake, ``detail`` says what exactly."""

    def __init__(self, problem: str, detail: str, status: int | None = None) -> None:
        self.problem = problem
        self.detail = detail
        self.status = status
        where = f"HTTP {status}, " if status else ""
        super().__init__(f"{problem} ({where}{detail})" if detail else f"{problem} ({where.rstrip(', ')})")


class BadRequest(ScoringError):
    """The server refused the request (HTTP 4xx); the server keeps running."""


class InputError(ScoringError):
    """The client refused to send a frame that does not match the model's signature (nothing was sent)."""


# --------------------------------------------------------------------------------------------------
# Payloads
# --------------------------------------------------------------------------------------------------

def _plain(values: list[Any]) -> list[Any]:
    return [None if isinstance(v, float) and math.isnan(v) else
            (v.isoformat() if isinstance(v, pd.Timestamp) else (None if v is pd.NA else v)) for v in values]


def to_payload(frame: pd.DataFrame, orient: str = "split") -> dict[str, Any]:
    """The JSON body for ``frame``: ``{"dataframe_split": {"columns", "data"}}`` or
    ``{"dataframe_records": [...]}``. Floats keep every digit (``json`` writes ``repr``), NaN becomes null.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows to send (timestamps become ISO strings).
    orient : {"split", "records"}
        Request format.

    Raises
    ------
    ValueError
        When ``orient`` is neither ``"split"`` nor ``"records"``.

    >>> to_payload(pd.DataFrame({"tenure": [3], "MonthlyCharges": [70.35]}))
    {'dataframe_split': {'columns': ['tenure', 'MonthlyCharges'], 'data': [[3, 70.35]]}}
    """
    columns = [str(c) for c in frame.columns]
    values = [_plain(frame[c].tolist()) for c in frame.columns]
    rows = [list(row) for row in zip(*values)] if columns else []
    if orient == "split":
        return {"dataframe_split": {"columns": columns, "data": rows}}
    if orient == "records":
        return {"dataframe_records": [dict(zip(columns, row)) for row in rows]}
    raise ValueError(f"orient must be 'split' or 'records', got {orient!r}")


# --------------------------------------------------------------------------------------------------
# Reading the server's error messages
# --------------------------------------------------------------------------------------------------

_RULES: tuple[tuple[str, str], ...] = (
    ("empty body", r"valid JSON formatted string.*Input: \n?b?''"),
    ("not JSON", r"valid JSON formatted string"),
    ("not a JSON object", r"Received a list|Received unexpected input type"),
    ("two input keys", r"exactly one of the input fields.*Received dictionary with input fields: \[[^\]]*,"),
    ("no input key", r"exactly one of the input fields"),
    ("malformed dataframe_split", r"not a valid dataframe representation|split format must have"),
    ("missing value", r"Failed to convert column .*NoneType|Incompatible input types.*None"),
    ("wrong type", r"Failed to convert column|Incompatible input types"),
    ("empty input", r"Failed to predict data 'Empty DataFrame"),
    ("missing column", r"Model is missing inputs"),
)


def _short(message: str) -> str:
    """The server's message without the data dump MLflow prefixes to prediction errors."""
    message = re.sub(r"Failed to predict data '.*?'\.\s*\nError: ", "", message, flags=re.S)
    message = re.sub(r"Failed to enforce schema of data '.*?' with schema '.*?'\.\s*Error: ", "", message, flags=re.S)
    message = re.sub(r"\s*Input: \n.*", "", message, flags=re.S)
    message = re.sub(r"\s*IMPORTANT: The MLflow Model scoring protocol.*", "", message, flags=re.S)
    return " ".join(message.split())[:300]


def classify(status: int, message: str) -> tuple[str, str]:
    """``(problem, detail)`` for an error answer of the scoring server.

    Parameters
    ----------
    status : int
        HTTP status of the answer.
    message : str
        The server's error message; ``detail`` is it shortened (no data dump, at most 300 characters).

    >>> classify(400, "Model is missing inputs ['tenure'].")
    ('missing column', "Model is missing inputs ['tenure'].")
    >>> classify(415, "This predictor only supports the following content types")[0]
    'unsupported content type'
    """
    if status == 415:
        return "unsupported content type", _short(message)
    if status == 404:
        return "no such endpoint", _short(message)
    for problem, pattern in _RULES:
        if re.search(pattern, message, flags=re.S):
            return problem, _short(message)
    return f"HTTP {status}", _short(message)


# --------------------------------------------------------------------------------------------------
# Checks the server does not make
# --------------------------------------------------------------------------------------------------

def _kind(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "long"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.StringDtype) or series.dropna().map(lambda v: isinstance(v, str)).all():
        return "string"
    return str(dtype)


_COMPATIBLE = {"long": {"long", "integer"}, "integer": {"long", "integer"}, "double": {"double", "float"},
               "float": {"double", "float"}, "string": {"string"}, "boolean": {"boolean"},
               "datetime": {"datetime"}}


def check_frame(frame: pd.DataFrame, signature: Any, *, id_columns: tuple[str, ...] = ("customerID",)) -> None:
    """Raise :class:`InputError` when ``frame`` does not match ``signature`` exactly.

    Checks (in this order, first failure raised): not empty; no missing column; no extra column (except
    ``id_columns``, which the client does not send); each column's type equals the signature's (an
    integer column for a ``double`` input is refused, the server would accept it); for frames of Telco
    columns, :func:`mlops_edu.data.validate_customers` (unknown categories, ranges, missing values).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows to score.
    signature : mlflow.models.ModelSignature or mlflow.types.Schema
        The model's signature (its ``inputs`` are used).
    id_columns : tuple of str
        Columns that identify rows and are never sent.

    Raises
    ------
    InputError
        At the first failed check, with ``problem`` naming it.
    """
    schema = getattr(signature, "inputs", signature)
    wanted = {spec.name: spec.type.name if hasattr(spec.type, "name") else str(spec.type)
              for spec in schema.inputs}
    sent = [c for c in frame.columns if c not in id_columns]
    if len(frame) == 0:
        raise InputError("empty input", "the frame has no rows")
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise InputError("missing column", f"the model needs {missing}")
    extra = [c for c in sent if c not in wanted]
    if extra:
        raise InputError("extra column", f"{extra} are not model inputs (the server would drop them silently)")
    for name, want in wanted.items():
        got = _kind(frame[name])
        if got not in _COMPATIBLE.get(want, {want}):
            raise InputError("wrong type", f"column {name!r} holds {got} values, the model's signature says {want}"
                             + (" (the server would accept them silently)" if (got, want) == ("long", "double") else ""))
    _check_telco(frame, list(wanted))


def _check_telco(frame: pd.DataFrame, inputs: list[str]) -> None:
    """:func:`validate_customers` when the model's inputs are exactly the Telco feature columns."""
    from mlops_edu.data.schema import ID_COLUMN, TARGET, TELCO_COLUMNS, SchemaError
    from mlops_edu.data.validation import validate_customers

    features = [c for c in TELCO_COLUMNS if c not in (ID_COLUMN, TARGET)]
    if sorted(inputs) != sorted(features):
        return
    checked = frame[features].copy()
    checked.insert(0, ID_COLUMN, frame[ID_COLUMN].to_numpy() if ID_COLUMN in frame.columns
                   else [f"row-{i}" for i in range(len(frame))])
    checked[ID_COLUMN] = checked[ID_COLUMN].astype("string")
    try:
        validate_customers(checked, require_label=False)
    except SchemaError as error:
        text = str(error)
        problem = "unknown category" if "unknown value" in text else "invalid value"
        raise InputError(problem, re.sub(r"^\d+ problem\(s\): ", "", text)) from None


# --------------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------------

class ScoringClient:
    """Talk to a scoring server over HTTP (one kept-alive connection).

    Parameters
    ----------
    url : str
        The server's base URL, e.g. ``http://127.0.0.1:5001`` (or a ``ModelServer``'s ``url``).
    signature : mlflow.models.ModelSignature, optional
        The served model's signature; with it, :meth:`predict` checks frames before sending them and
        sends only the signature's columns.
    validate : bool
        Run :meth:`check` before sending (default True when a signature is given).
    timeout : float
        Seconds to wait for an answer.
    """

    def __init__(self, url: str, signature: Any = None, *, validate: bool = True, timeout: float = 30.0) -> None:
        import requests

        self.url = str(getattr(url, "url", url)).rstrip("/")
        self.signature = signature
        self.validate = bool(validate and signature is not None)
        self.timeout = float(timeout)
        self._session = requests.Session()

    @classmethod
    def for_model(cls, url: str, model_uri: str, **kwargs: Any) -> "ScoringClient":
        """A client that knows the signature of ``model_uri`` (read from the model's MLmodel file).

        Parameters
        ----------
        url : str
            The server's base URL.
        model_uri : str
            URI of the served model, e.g. ``models:/name@Champion``.
        **kwargs
            Passed on to :class:`ScoringClient` (``validate``, ``timeout``).
        """
        from mlflow.models import get_model_info

        return cls(url, signature=get_model_info(model_uri).signature, **kwargs)

    def close(self) -> None:
        """Close the HTTP connection."""
        self._session.close()

    def __enter__(self) -> "ScoringClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def inputs(self) -> list[str] | None:
        """The signature's input column names (None without a signature)."""
        return None if self.signature is None else list(self.signature.inputs.input_names())

    def check(self, frame: pd.DataFrame) -> None:
        """Raise :class:`InputError` if ``frame`` does not match the signature (see :func:`check_frame`).

        Parameters
        ----------
        frame : pandas.DataFrame
            Rows to score; the client's error is ``"no signature"`` when it has none.
        """
        if self.signature is None:
            raise InputError("no signature", "this client was made without the model's signature")
        check_frame(frame, self.signature)

    def post(self, body: Any, content_type: str = JSON) -> Any:
        """POST ``body`` to ``/invocations`` as is: a dict/list is sent as JSON, bytes/str unchanged.

        Returns the decoded JSON answer of a 200.

        Parameters
        ----------
        body : dict, list, str or bytes
            Request body.
        content_type : str
            ``Content-Type`` header (default ``application/json``).

        Raises
        ------
        BadRequest
            For a 4xx answer.
        ScoringError
            For any other failure (``"server unreachable"`` when the request does not get through).
        """
        import requests

        data = json.dumps(body) if isinstance(body, (dict, list)) else body
        try:
            answer = self._session.post(f"{self.url}/invocations", data=data,
                                        headers={"Content-Type": content_type}, timeout=self.timeout)
        except requests.RequestException as error:
            raise ScoringError("server unreachable", f"{self.url}: {type(error).__name__}") from None
        if answer.status_code == 200:
            return answer.json()
        try:
            message = answer.json().get("message", answer.text)
        except ValueError:
            message = answer.text
        problem, detail = classify(answer.status_code, str(message))
        kind = BadRequest if 400 <= answer.status_code < 500 else ScoringError
        raise kind(problem, detail, answer.status_code)

    def predict(self, frame: pd.DataFrame, orient: str = "split") -> np.ndarray:
        """Score ``frame`` on the server; returns one prediction per row, in order.

        With a signature, the frame is checked first (:class:`InputError`, nothing sent) and only the
        signature's columns are sent; ``customerID`` and other id columns are never sent.

        Parameters
        ----------
        frame : pandas.DataFrame
            Rows to score.
        orient : {"split", "records"}
            Request format (:func:`to_payload`); errors of the server are raised as in :meth:`post`.
        """
        if self.validate:
            self.check(frame)
        if self.signature is not None:
            frame = frame[self.inputs]
        else:
            frame = frame.drop(columns=[c for c in ("customerID",) if c in frame.columns])
        answer = self.post(to_payload(frame, orient))
        return np.asarray(answer["predictions"] if isinstance(answer, Mapping) else answer)

    def healthy(self) -> bool:
        """True when ``/ping`` answers 200."""
        try:
            return self._session.get(f"{self.url}/ping", timeout=2).status_code == 200
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return False


def probe(client: "ScoringClient", cases: Mapping[str, tuple[Any, str]]) -> pd.DataFrame:
    """Send each raw request of ``{name: (body, content_type)}`` and tabulate how it was answered.

    Columns: ``HTTP`` (the status), ``problem`` (the client's name for the error, ``-`` for a 200),
    ``server still serving`` (``/ping`` right after the request). Used by chapter 03 and the tests.

    Parameters
    ----------
    client : ScoringClient
        Client of the server to probe.
    cases : mapping of str to (body, content_type)
        Raw requests by name (the index of the table).
    """
    rows = []
    for name, (body, content_type) in cases.items():
        try:
            client.post(body, content_type)
            status, problem = 200, "-"
        except ScoringError as error:
            status, problem = error.status, error.problem
        rows.append({"request": name, "HTTP": status, "problem": problem, "server still serving": client.healthy()})
    return pd.DataFrame(rows).set_index("request")
