"""Governance (lecture 4.5): pseudonymised ids before training, and proof that no raw id leaks downstream.

The governance officer of lecture 4.5 oversees privacy (anonymisation) and access control across the
pipeline. The workbook's rule: ``customerID`` is replaced by a keyed hash
(:func:`mlops_edu.data.lake.pseudonymise`, HMAC-SHA256) before any table a model is trained from, so

* :func:`pseudonymise_ids` gives the training copy of a table (joins still work: same id, same pseudonym);
* :func:`find_raw_ids` scans everything an MLflow run holds (run name, params, tags, metric names, dataset
  inputs, every artifact file, and the logged models with their signature, input example, params and
  tags) for raw ids, and :func:`find_ids_in_frame` does the same for a table of features;
* :func:`reidentify` maps pseudonyms back to raw ids, which only works with the key *and* the raw table:
  access to people needs both.

Example
-------
>>> raw = pd.DataFrame({"customerID": ["7590-VHVEG", "5575-GNVDE"], "tenure": [1, 34]})
>>> safe = pseudonymise_ids(raw, key="course-secret")
>>> find_ids_in_frame(safe, raw["customerID"])
[]
>>> reidentify(safe["customerID"], raw["customerID"], "course-secret").tolist()
['7590-VHVEG', '5575-GNVDE']
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from mlops_edu.data.lake import pseudonymise
from mlops_edu.data.schema import ID_COLUMN

_TOKEN = re.compile(rb"[0-9A-Za-z][0-9A-Za-z_-]*")


def pseudonymise_ids(frame: pd.DataFrame, key: str | bytes, column: str = ID_COLUMN) -> pd.DataFrame:
    """A copy of ``frame`` whose ``column`` holds keyed-hash pseudonyms instead of raw ids.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (not changed).
    key : str or bytes
        Secret key of :func:`mlops_edu.data.lake.pseudonymise`.
    column : str
        Identifier column.

    Returns
    -------
    pandas.DataFrame
    """
    out = frame.copy()
    out[column] = pseudonymise(out[column], key)
    return out


def reidentify(pseudonyms: pd.Series, raw_ids: Iterable[str], key: str | bytes) -> pd.Series:
    """The raw id behind each pseudonym (missing where none of ``raw_ids`` hashes to it under ``key``).

    Needs both the secret key and the raw table: with a wrong key nothing matches.

    Parameters
    ----------
    pseudonyms : pandas.Series
        Pseudonyms to resolve.
    raw_ids : iterable of str
        The raw identifiers (the raw table's ids).
    key : str or bytes
        The key the pseudonyms were made with.

    Returns
    -------
    pandas.Series
        String dtype, same index as ``pseudonyms``.
    """
    raw = pd.Series(list(raw_ids), dtype="str")
    lookup = pd.Series(raw.to_numpy(), index=pseudonymise(raw, key).to_numpy())
    lookup = lookup[~lookup.index.duplicated()]
    return pd.Series(lookup.reindex(pd.Series(pseudonyms).to_numpy()).to_numpy(), index=pd.Series(pseudonyms).index,
                     dtype="str")


def _ids_in(data: bytes, ids: set[bytes]) -> set[bytes]:
    return {tok for tok in _TOKEN.findall(data) if tok in ids}


def _scan_bytes(data: bytes, ids: set[bytes]) -> set[bytes]:
    found = _ids_in(data, ids)
    if data[:4] == b"PK\x03\x04":  # a zip archive (e.g. a skops model): scan its members too
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                found |= _ids_in(archive.read(member), ids)
    return found


def find_ids_in_frame(frame: pd.DataFrame, raw_ids: Iterable[str]) -> list[str]:
    """Columns of ``frame`` (names or values) that contain any of ``raw_ids``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table of features.
    raw_ids : iterable of str
        The raw identifiers that must not appear (a value matches only when equal to one).

    Returns
    -------
    list of str
        Empty when the frame is clean.
    """
    ids = set(map(str, raw_ids))
    return [str(col) for col in frame.columns
            if str(col) in ids or frame[col].astype("str").isin(ids).any()]


def _run_texts(client: Any, run: Any) -> list[tuple[str, str, bytes]]:
    info, data = run.info, run.data
    texts = [("run", "name", str(info.run_name or "").encode())]
    texts += [("param", k, f"{k}={v}".encode()) for k, v in data.params.items()]
    texts += [("tag", k, f"{k}={v}".encode()) for k, v in data.tags.items()]
    texts += [("metric", k, k.encode()) for k in data.metrics]
    for item in run.inputs.dataset_inputs if run.inputs else []:
        d = item.dataset
        described = " ".join(map(str, (d.name, d.digest, d.source, d.schema, d.profile)))
        texts.append(("dataset", d.name, described.encode()))
    for model in client.search_logged_models(experiment_ids=[info.experiment_id],
                                             filter_string=f"source_run_id = '{info.run_id}'"):
        texts += [("model param", f"{model.name}/{k}", f"{k}={v}".encode()) for k, v in (model.params or {}).items()]
        texts += [("model tag", f"{model.name}/{k}", f"{k}={v}".encode()) for k, v in (model.tags or {}).items()]
    return texts


def _artifact_files(client: Any, run: Any, folder: Path) -> list[tuple[str, str, Path]]:
    import mlflow

    files = []
    roots = [("artifact", mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(folder / "run")))]
    for i, model in enumerate(client.search_logged_models(experiment_ids=[run.info.experiment_id],
                                                          filter_string=f"source_run_id = '{run.info.run_id}'")):
        roots.append((f"model {model.name}", mlflow.artifacts.download_artifacts(
            artifact_uri=model.artifact_location, dst_path=str(folder / f"model{i}"))))
    for place, root in roots:
        root = Path(root)
        files += [(place, p.relative_to(root).as_posix(), p) for p in sorted(root.rglob("*")) if p.is_file()]
    return files


def find_raw_ids(run_id: str, raw_ids: Iterable[str]) -> pd.DataFrame:
    """Every place in an MLflow run where a raw id appears (lecture 4.5: no raw id downstream of the lake).

    Scans the run name, params, tags, metric names, dataset inputs (name, digest, source, schema,
    profile), every run artifact, and every model logged from the run (its files: ``MLmodel`` with the
    signature, the input example, the serialised model, requirements; and its params and tags). Zip
    archives are opened and their members scanned.

    Parameters
    ----------
    run_id : str
        The run (in the current tracking store).
    raw_ids : iterable of str
        The raw identifiers that must not appear.

    Returns
    -------
    pandas.DataFrame
        ``place``, ``detail`` (param name, artifact path...), ``ids`` (how many distinct raw ids); empty
        when the run is clean.
    """
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.get_run(run_id)
    ids = {str(i).encode() for i in raw_ids}
    hits = [(place, detail, len(found)) for place, detail, text in _run_texts(client, run)
            if (found := _ids_in(text, ids))]
    with tempfile.TemporaryDirectory(prefix="mlops-edu-scan-") as tmp:
        for place, detail, path in _artifact_files(client, run, Path(tmp)):
            found = _scan_bytes(path.read_bytes(), ids)
            if found:
                hits.append((place, detail, len(found)))
    return pd.DataFrame(hits, columns=["place", "detail", "ids"])
