"""Three environments, dev, staging and prod, each with its own MLflow store and Delta data (lecture 6).

Serves lecture section 6 (ML deployment patterns: "promote from dev to staging to prod") and 6.3 (the
first benefit of deploy-code: **data access control**, "sensitive prod data never has to come to dev or
staging; each environment trains on its own data"). An :class:`Environment` is a folder with an MLflow
store (``mlflow.db``, its own registry), an artifact folder and a Delta lake. A :class:`Platform` holds
the three and an access policy enforced in code: code running in one environment that reads another
environment's table gets a :class:`DataAccessError` (a ``PermissionError``) naming both.

The data (:func:`make_platform`): prod holds the full customer table with real customer IDs; staging and
dev hold samples of an older snapshot with **pseudonymised** IDs (:func:`mlops_edu.data.pseudonymise`).
Prod also holds what samples of old data do not: customers who signed up after the payment provider
renamed ``"Electronic check"`` to ``"Digital wallet"`` (``RENAMED_SHARE`` of the recent electronic-check
customers). Chapter 05 shows which deployment pattern notices.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
import pandas as pd

ENVIRONMENTS = ("dev", "staging", "prod")
"""The environments of lecture 6, in promotion order."""
CUSTOMERS = "customers"
"""Name of each environment's customer table."""
NEW_PAYMENT = "Digital wallet"
"""The payment method that exists only in prod's recent data."""
RENAMED_SHARE = 0.9
"""Share of recent "Electronic check" customers in prod whose payment method reads ``NEW_PAYMENT``."""
RECENT_TENURE = 12
"""Customers with at most this many months of tenure count as recent sign-ups."""


class DataAccessError(PermissionError):
    """Code running in one environment asked for another environment's data."""


@dataclass(frozen=True)
class Environment:
    """One environment: a folder with its own MLflow store, artifacts and Delta lake.

    Attributes
    ----------
    name : str
        ``"dev"``, ``"staging"`` or ``"prod"``.
    root : pathlib.Path
        The environment's folder (absolute).
    """

    name: str
    root: Path

    @property
    def tracking_uri(self) -> str:
        """Absolute ``sqlite:///`` URI of the environment's store (tracking and registry)."""
        return f"sqlite:///{(self.root / 'mlflow.db').as_posix()}"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    def __repr__(self) -> str:
        return f"Environment({self.name!r})"


@dataclass
class Platform:
    """The three environments and who may read what.

    Attributes
    ----------
    environments : dict
        ``{name: Environment}``.
    may_read : dict
        ``{reader: {environments whose tables it may read}}``; default: each only its own.
    reads : list
        Every granted read as ``(reader, owner, table, rows)``, in order (an audit log).
    true_churn_probability : pandas.Series, optional
        The generator's P(churn) of each prod customer (by ``customerID``): known only because the data
        are simulated; chapter 05's A/B test draws outcomes from it.
    """

    environments: dict[str, Environment]
    may_read: dict[str, set[str]] = field(default_factory=dict)
    reads: list[tuple[str, str, str, int]] = field(default_factory=list)
    true_churn_probability: pd.Series | None = None

    def __getitem__(self, name: str) -> Environment:
        if name not in self.environments:
            raise KeyError(f"no environment {name!r}; there are {list(self.environments)}")
        return self.environments[name]

    def read(self, reader: str, owner: str, table: str = CUSTOMERS) -> pd.DataFrame:
        """``table`` of environment ``owner``, for code running in ``reader``; DataAccessError if not allowed.

        A granted read is appended to :attr:`reads`.

        Parameters
        ----------
        reader : str
            Environment the code runs in.
        owner : str
            Environment whose table is read.
        table : str
            Table name in ``owner``'s lake.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        DataAccessError
            When ``may_read`` does not let ``reader`` read ``owner``'s tables.
        KeyError
            When ``owner`` is not an environment.

        >>> platform.read("dev", "prod")            # doctest: +SKIP
        Traceback (most recent call last):
        DataAccessError: code running in 'dev' may not read 'prod' data (table 'customers') ...
        """
        from mlops_edu.data.lake import read_table

        allowed = self.may_read.get(reader, {reader})
        if owner not in allowed:
            raise DataAccessError(f"code running in {reader!r} may not read {owner!r} data (table {table!r}); "
                                  f"{reader!r} may read {sorted(allowed)} only")
        frame = read_table(self[owner].lake / table)
        self.reads.append((reader, owner, table, len(frame)))
        return frame

    @contextlib.contextmanager
    def use(self, name: str) -> Iterator[Environment]:
        """Point MLflow (tracking and registry, also for child processes) at ``name``'s store; restore after.

        Parameters
        ----------
        name : str
            Environment to use.

        Yields
        ------
        Environment
        """
        import mlflow

        env = self[name]
        saved = (mlflow.get_tracking_uri(), mlflow.get_registry_uri(),
                 os.environ.get("MLFLOW_TRACKING_URI"), os.environ.get("MLFLOW_REGISTRY_URI"))
        mlflow.set_tracking_uri(env.tracking_uri)
        mlflow.set_registry_uri(env.tracking_uri)
        os.environ["MLFLOW_TRACKING_URI"] = os.environ["MLFLOW_REGISTRY_URI"] = env.tracking_uri
        try:
            yield env
        finally:
            mlflow.set_tracking_uri(saved[0])
            mlflow.set_registry_uri(saved[1])
            for key, value in (("MLFLOW_TRACKING_URI", saved[2]), ("MLFLOW_REGISTRY_URI", saved[3])):
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def experiment(self, name: str, experiment: str) -> str:
        """Create (if needed) and activate ``experiment`` in ``name``'s store; call inside :meth:`use`.

        Parameters
        ----------
        name : str
            Environment whose artifact folder holds a new experiment's artifacts.
        experiment : str
            Experiment name.

        Returns
        -------
        str
            The experiment id.
        """
        import mlflow

        found = mlflow.get_experiment_by_name(experiment)
        if found is None:
            location = (self[name].artifacts / experiment).as_uri()
            experiment_id = mlflow.create_experiment(experiment, artifact_location=location)
        else:
            experiment_id = found.experiment_id
        mlflow.set_experiment(experiment_id=experiment_id)
        return experiment_id

    def summary(self) -> pd.DataFrame:
        """Per environment: rows of its customer table, churn rate, whether IDs are real, new payment rows."""
        from mlops_edu.data.lake import read_table

        rows = []
        for name, env in self.environments.items():
            frame = read_table(env.lake / CUSTOMERS)
            rows.append({"environment": name, "customers": len(frame),
                         "churn rate": round(float((frame["Churn"] == "Yes").mean()), 3),
                         "IDs": "pseudonymised" if not frame["customerID"].str.contains("-").any() else "real",
                         f"'{NEW_PAYMENT}' rows": int((frame["PaymentMethod"] == NEW_PAYMENT).sum())})
        return pd.DataFrame(rows).set_index("environment")


def rename_payment(frame: pd.DataFrame, seed: int, share: float = RENAMED_SHARE) -> pd.DataFrame:
    """Prod's recent sign-ups: ``share`` of the electronic-check customers with tenure <= RECENT_TENURE
    pay by ``NEW_PAYMENT`` (a value the Telco schema does not know).

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers with ``tenure`` and ``PaymentMethod`` (not changed).
    seed : int
        Seed of the choice of renamed customers.
    share : float
        Probability that a candidate customer is renamed.

    Returns
    -------
    pandas.DataFrame
        A copy, ``PaymentMethod`` keeping its dtype.
    """
    out = frame.copy()
    out["PaymentMethod"] = out["PaymentMethod"].astype(object)
    candidates = np.flatnonzero((out["tenure"].to_numpy() <= RECENT_TENURE)
                                & (out["PaymentMethod"].to_numpy() == "Electronic check"))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 6]))
    chosen = candidates[rng.random(candidates.size) < share]
    out.iloc[chosen, out.columns.get_loc("PaymentMethod")] = NEW_PAYMENT
    out["PaymentMethod"] = out["PaymentMethod"].astype(frame["PaymentMethod"].dtype)
    return out


def make_platform(root: str | Path, *, seed: int = 4, n_prod: int = 7043,
                  samples: Mapping[str, float] | None = None, key: str = "workbook-pseudonym-key") -> Platform:
    """Create dev, staging and prod under ``root``: one MLflow store, artifact folder and lake each.

    Parameters
    ----------
    root : path
        Folder for the three environments (e.g. ``ws.root / "platform"``).
    seed : int
        Seeds the customers, the samples and the renamed payments.
    n_prod : int
        Customers in prod's table.
    samples : mapping
        Share of the *old snapshot* each non-prod environment gets; default ``{"dev": 0.1, "staging": 0.3}``
        (both keys are needed).
    key : str
        Pseudonymisation key of the non-prod IDs.

    Returns
    -------
    Platform
        The environments; each table written as version 0 of ``<env>/lake/customers``.
    """
    from mlops_edu.data.generator import make_customers
    from mlops_edu.data.lake import pseudonymise, write_table
    from mlops_edu.workbook.workspace import _new_mlflow_db

    samples = dict(samples or {"dev": 0.1, "staging": 0.3})
    root = Path(root).expanduser().resolve()
    from mlops_edu.data.label_model import churn_probability

    snapshot = make_customers(n_prod, seed=seed)           # what the business looked like a while ago
    current = make_customers(n_prod, seed=seed + 1)
    truth = pd.Series(churn_probability(current.drop(columns="Churn")), index=current["customerID"].to_numpy())
    prod = rename_payment(current, seed)
    environments = {}
    for name in ENVIRONMENTS:
        env = Environment(name, root / name)
        for folder in (env.artifacts, env.lake):
            folder.mkdir(parents=True, exist_ok=True)
        if not (env.root / "mlflow.db").exists():
            _new_mlflow_db(env.root / "mlflow.db", env.artifacts)
        if name == "prod":
            frame = prod
        else:
            frame = snapshot.sample(frac=samples[name], random_state=seed + len(name)).reset_index(drop=True)
            frame["customerID"] = pseudonymise(frame["customerID"], key)
        write_table(frame, env.lake / CUSTOMERS)
        environments[name] = env
    return Platform(environments, true_churn_probability=truth)
