"""The published marginals of the real Telco file and the report that compares a frame with them.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

# ----------------------------------------------------------------------------------------------------
# Calibration report
# ----------------------------------------------------------------------------------------------------


def _rate(df: pd.DataFrame, mask: Any) -> float:
    m = np.asarray(mask, dtype=bool)
    return float((df["Churn"].to_numpy(dtype=object)[m] == "Yes").mean() * 100) if m.any() else float("nan")


def _share(mask: Any) -> float:
    return float(np.asarray(mask, dtype=bool).mean() * 100)


def _facts() -> list[tuple[str, float, str, Callable[[pd.DataFrame], float]]]:
    f: list[tuple[str, float, str, Callable[[pd.DataFrame], float]]] = []
    f.append(("churn rate", 26.5, "%", lambda d: _rate(d, np.ones(len(d)))))
    for val, share, rate in (("Month-to-month", 55.0, 42.7), ("One year", 20.9, 11.3), ("Two year", 24.1, 2.8)):
        f.append((f"Contract={val} share", share, "%", lambda d, v=val: _share(d["Contract"] == v)))
        f.append((f"Contract={val} churn", rate, "%", lambda d, v=val: _rate(d, d["Contract"] == v)))
    for val, share, rate in (("Fiber optic", 44.0, 41.9), ("DSL", 34.4, 19.0), ("No", 21.7, 7.4)):
        f.append((f"InternetService={val} share", share, "%", lambda d, v=val: _share(d["InternetService"] == v)))
        f.append((f"InternetService={val} churn", rate, "%", lambda d, v=val: _rate(d, d["InternetService"] == v)))
    for val, share, rate in (("Electronic check", 33.6, 45.3), ("Mailed check", 22.9, 19.1),
                             ("Bank transfer (automatic)", 21.9, 16.7), ("Credit card (automatic)", 21.6, 15.2)):
        f.append((f"PaymentMethod={val} share", share, "%", lambda d, v=val: _share(d["PaymentMethod"] == v)))
        f.append((f"PaymentMethod={val} churn", rate, "%", lambda d, v=val: _rate(d, d["PaymentMethod"] == v)))
    f.append(("SeniorCitizen share", 16.2, "%", lambda d: _share(d["SeniorCitizen"] == 1)))
    f.append(("SeniorCitizen=1 churn", 41.7, "%", lambda d: _rate(d, d["SeniorCitizen"] == 1)))
    f.append(("SeniorCitizen=0 churn", 23.6, "%", lambda d: _rate(d, d["SeniorCitizen"] == 0)))
    for col, share, yes, no in (("Partner", 48.3, 19.7, 33.0), ("Dependents", 30.0, 15.5, 31.3),
                                ("PaperlessBilling", 59.2, 33.6, 16.3)):
        f.append((f"{col}=Yes share", share, "%", lambda d, c=col: _share(d[c] == "Yes")))
        f.append((f"{col}=Yes churn", yes, "%", lambda d, c=col: _rate(d, d[c] == "Yes")))
        f.append((f"{col}=No churn", no, "%", lambda d, c=col: _rate(d, d[c] == "No")))
    for col, share, yes, no in (("OnlineSecurity", 28.7, 14.6, 41.8), ("TechSupport", 29.0, 15.2, 41.6)):
        f.append((f"{col}=Yes share", share, "%", lambda d, c=col: _share(d[c] == "Yes")))
        f.append((f"{col}=Yes churn", yes, "%", lambda d, c=col: _rate(d, d[c] == "Yes")))
        f.append((f"{col}=No churn", no, "%", lambda d, c=col: _rate(d, d[c] == "No")))
    f.append(("StreamingTV=Yes share", 38.4, "%", lambda d: _share(d["StreamingTV"] == "Yes")))
    f.append(("StreamingTV=Yes churn", 30.1, "%", lambda d: _rate(d, d["StreamingTV"] == "Yes")))
    f.append(("PhoneService=Yes share", 90.3, "%", lambda d: _share(d["PhoneService"] == "Yes")))
    for lo, hi, rate in ((0, 12, 47.4), (13, 24, 28.7), (25, 48, 20.4), (49, 72, 9.5)):
        f.append((f"tenure {lo}-{hi} churn", rate, "%",
                  lambda d, a=lo, b=hi: _rate(d, d["tenure"].between(a, b))))
    f.append(("tenure mean", 32.4, "months", lambda d: float(d["tenure"].mean())))
    f.append(("tenure median", 29.0, "months", lambda d: float(d["tenure"].median())))
    for val, mean in (("Month-to-month", 18.0), ("One year", 42.0), ("Two year", 56.7)):
        f.append((f"tenure mean, {val}", mean, "months",
                  lambda d, v=val: float(d.loc[d["Contract"] == v, "tenure"].mean())))
    f.append(("MonthlyCharges mean", 64.8, "$", lambda d: float(d["MonthlyCharges"].mean())))
    for val, mean in (("DSL", 58.1), ("Fiber optic", 91.5), ("No", 21.1)):
        f.append((f"MonthlyCharges mean, {val}", mean, "$",
                  lambda d, v=val: float(d.loc[d["InternetService"] == v, "MonthlyCharges"].mean())))
    mc = lambda d: d["MonthlyCharges"]  # noqa: E731
    f.append(("charges <=35 churn", 10.9, "%", lambda d: _rate(d, mc(d) <= 35)))
    f.append(("charges 35-70 churn", 23.9, "%", lambda d: _rate(d, (mc(d) > 35) & (mc(d) <= 70))))
    f.append(("charges 70-90 churn", 37.8, "%", lambda d: _rate(d, (mc(d) > 70) & (mc(d) <= 90))))
    f.append(("charges >90 churn", 32.8, "%", lambda d: _rate(d, mc(d) > 90)))
    f.append(("Electronic check: Month-to-month share", 78.0, "%",
              lambda d: _share(d.loc[d["PaymentMethod"] == "Electronic check", "Contract"] == "Month-to-month")))
    f.append(("MonthlyCharges min", 18.25, "$", lambda d: float(d["MonthlyCharges"].min())))
    f.append(("MonthlyCharges max", 118.75, "$", lambda d: float(d["MonthlyCharges"].max())))
    return f


PUBLISHED_FACTS: tuple[tuple[str, float, str], ...] = tuple((a, b, c) for a, b, c, _ in _facts())
"""(fact, published value, unit) about the real Telco file (7,043 rows) that the defaults reproduce."""


def calibration_table(df: pd.DataFrame) -> pd.DataFrame:
    """Published fact vs the same statistic of ``df`` (lecture 4: is the data what we think it is?).

    Returns
    -------
    DataFrame ``fact``, ``unit``, ``published``, ``generated``, ``difference`` (rounded to 1 decimal).

    Example::

        >>> calibration_table(make_customers(7043, seed=0)).columns.tolist()
        ['fact', 'unit', 'published', 'generated', 'difference']
    """
    rows = []
    for name, pub, unit, fn in _facts():
        gen = fn(df)
        rows.append((name, unit, pub, round(gen, 1), round(gen - pub, 1)))
    return pd.DataFrame(rows, columns=["fact", "unit", "published", "generated", "difference"])

