"""Raw events and the stakeholder's churn definition as code (lecture 4.1).

:func:`make_events` turns customers into purchases and cancellations with dates; :func:`label_churn`
applies "no repurchase in 90 days or cancelled within a month" and gives back the labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops_edu.data.schema import AS_OF, STRING_DTYPE, SchemaError

# ----------------------------------------------------------------------------------------------------
# Raw events and the stakeholder's churn definition (lecture 4.1)
# ----------------------------------------------------------------------------------------------------


def make_events(customers: pd.DataFrame, seed: int = 0, as_of: Any = None, history_days: int = 365,
                no_purchase_days: int = 90, cancel_within_days: int = 30) -> pd.DataFrame:
    """Raw purchase and cancellation events consistent with the customers' ``Churn`` (lecture 4.1).

    Staying customers buy about every 30 days up to ``as_of``. Churners either stopped buying more
    than ``no_purchase_days`` ago ("lapsed") or cancelled their subscription in the last
    ``cancel_within_days`` days. So ``label_churn(make_events(df), as_of)`` gives back ``df["Churn"]``.

    Parameters
    ----------
    customers : pd.DataFrame
        frame with ``customerID``, ``Churn``, ``tenure``, ``MonthlyCharges`` (``signup_date``
        used when present).
    seed : int
        non-negative integer.
    as_of : Any
        the labelling date (default: :data:`AS_OF`).
    history_days : int
        how far back the event log goes.
    no_purchase_days, cancel_within_days : int
        the definition the events are built to satisfy.

    Returns
    -------
    pandas.DataFrame
        ``customerID`` (str), ``date`` (datetime64[us]), ``event`` ("purchase" | "cancel"), ``amount``
        (float, NaN for cancellations), sorted by customer and date.

    Example::

        >>> df = make_customers(200, seed=0)
        >>> ev = make_events(df, seed=0)
        >>> bool((label_churn(ev, AS_OF).set_index("customerID").loc[df.customerID, "Churn"].to_numpy()
        ...       == df["Churn"].to_numpy()).all())
        True
    """
    for col in ("customerID", "Churn", "tenure", "MonthlyCharges"):
        if col not in customers.columns:
            raise SchemaError(f"make_events: missing column {col!r}")
    as_of = pd.Timestamp(AS_OF if as_of is None else as_of).normalize()
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 4]))
    n = len(customers)
    churn = customers["Churn"].to_numpy(dtype=object) == "Yes"
    if "signup_date" in customers.columns:
        signup_age = (as_of - pd.to_datetime(customers["signup_date"])).dt.days.to_numpy()
    else:
        signup_age = np.floor(customers["tenure"].to_numpy() * 30.4375 + 15).astype(np.int64)
    signup_age = np.maximum(signup_age, 0)
    u = rng.random((4, n))
    # days before as_of of the last purchase, and of a cancellation (-1 = none)
    lapse_ok = signup_age > no_purchase_days + 1
    lapsed = churn & lapse_ok & (u[0] < 0.5)
    cancelled = churn & ~lapsed
    last = np.where(lapsed,
                    no_purchase_days + 1 + np.floor(u[1] * np.maximum(np.minimum(signup_age, history_days)
                                                                      - no_purchase_days - 1, 1)),
                    np.floor(u[1] * np.minimum(30, signup_age + 1)))
    last = np.minimum(last, signup_age).astype(np.int64)
    cancel = np.where(cancelled, np.floor(u[2] * np.minimum(cancel_within_days + 1, last + 1)), -1).astype(np.int64)
    cancel = np.where(cancelled, np.minimum(cancel, last), -1)
    # purchases every 30 days (+-3) going back from `last` while within history and after sign-up
    kmax = history_days // 27 + 1
    steps = np.arange(kmax)[None, :] * 30 + np.round((rng.random((n, kmax)) - 0.5) * 6).astype(np.int64)
    steps[:, 0] = 0
    days = last[:, None] + steps
    keep = (days <= np.minimum(signup_age, history_days)[:, None])
    row, col = np.nonzero(keep)
    amount = np.round(customers["MonthlyCharges"].to_numpy(dtype=float)[row]
                      * (1 + 0.02 * (rng.random(row.size) - 0.5)), 2)
    ids = customers["customerID"].to_numpy(dtype=object)
    as_of64 = np.datetime64(as_of.to_datetime64(), "us")
    purch = pd.DataFrame({"customerID": ids[row],
                          "date": as_of64 - days[row, col].astype("timedelta64[D]").astype("timedelta64[us]"),
                          "event": "purchase", "amount": amount})
    ci = np.flatnonzero(cancel >= 0)
    canc = pd.DataFrame({"customerID": ids[ci],
                         "date": as_of64 - cancel[ci].astype("timedelta64[D]").astype("timedelta64[us]"),
                         "event": "cancel", "amount": np.nan})
    ev = pd.concat([purch, canc], ignore_index=True)
    ev = ev.sort_values(["customerID", "date", "event"], kind="stable", ignore_index=True)
    ev["customerID"] = ev["customerID"].astype(STRING_DTYPE)
    ev["event"] = ev["event"].astype(STRING_DTYPE)
    ev["date"] = ev["date"].astype("datetime64[us]")
    ev["amount"] = ev["amount"].astype(np.float64)
    return ev


def label_churn(events: pd.DataFrame, as_of: Any, no_purchase_days: int = 90,
                cancel_within_days: int = 30) -> pd.DataFrame:
    """Turn the stakeholder's definition into labels (lecture 4.1).

    A customer churned at ``as_of`` if they made **no purchase in the last** ``no_purchase_days`` days
    (a purchase exactly ``no_purchase_days`` days before ``as_of`` still counts) **or cancelled their
    subscription within the last** ``cancel_within_days`` days (inclusive). Events after ``as_of`` are
    ignored; a customer without any purchase up to ``as_of`` counts as "no purchase".

    Parameters
    ----------
    events : pd.DataFrame
        ``customerID``, ``date``, ``event`` ("purchase" | "cancel") columns.
    as_of : Any
        the labelling date.
    no_purchase_days, cancel_within_days : int
        the two thresholds of the definition (positive integers).

    Returns
    -------
    pandas.DataFrame
        One row per customer (sorted by id): ``customerID``, ``last_purchase`` (datetime or NaT),
        ``days_since_purchase`` (float, NaN if never), ``cancelled_recently`` (bool), ``reason``
        ("no purchase", "cancelled", "both" or ""), ``Churn`` ("Yes"/"No").

    Example::

        >>> ev = pd.DataFrame({"customerID": ["a", "b"], "date": pd.to_datetime(["2024-12-01", "2024-08-01"]),
        ...                    "event": ["purchase", "purchase"]})
        >>> label_churn(ev, "2024-12-31")["Churn"].tolist()
        ['No', 'Yes']
    """
    for col in ("customerID", "date", "event"):
        if col not in events.columns:
            raise SchemaError(f"label_churn: events lack the column {col!r}")
    if no_purchase_days < 1 or cancel_within_days < 0:
        raise ValueError("no_purchase_days must be >= 1 and cancel_within_days >= 0")
    bad = sorted(set(events["event"].dropna().unique()) - {"purchase", "cancel"})
    if bad:
        raise SchemaError(f"label_churn: unknown event type(s) {bad}; expected 'purchase' or 'cancel'")
    as_of = pd.Timestamp(as_of).normalize()
    ev = events[["customerID", "date", "event"]].copy()
    ev["date"] = pd.to_datetime(ev["date"])
    if ev["date"].isna().any():
        raise SchemaError(f"label_churn: column 'date' has missing dates in rows {list(ev.index[ev['date'].isna()][:5])}")
    ids = pd.Index(sorted(ev["customerID"].astype(str).unique()), name="customerID")
    past = ev[ev["date"] <= as_of]
    purchases = past[past["event"] == "purchase"].groupby("customerID")["date"].max()
    cancels = past[past["event"] == "cancel"].groupby("customerID")["date"].max()
    last = purchases.reindex(ids)
    days = (as_of - last).dt.days.astype(float)
    no_buy = ~(days <= no_purchase_days)
    cancel_days = (as_of - cancels.reindex(ids)).dt.days
    cancelled = (cancel_days <= cancel_within_days).fillna(False).astype(bool)
    churn = no_buy.to_numpy() | cancelled.to_numpy()
    reason = np.select([no_buy.to_numpy() & cancelled.to_numpy(), no_buy.to_numpy(), cancelled.to_numpy()],
                       ["both", "no purchase", "cancelled"], "")
    return pd.DataFrame({
        "customerID": pd.Series(ids, dtype=STRING_DTYPE),
        "last_purchase": last.to_numpy(),
        "days_since_purchase": days.to_numpy(),
        "cancelled_recently": cancelled.to_numpy(),
        "reason": pd.Series(reason, dtype=STRING_DTYPE),
        "Churn": pd.Series(np.where(churn, "Yes", "No"), dtype=STRING_DTYPE),
    })


