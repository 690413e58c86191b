"""A small hand-made frame with the Telco schema, independent of the generator in ``mlops_edu.data``:
tests of the training helpers and the lab's CSV loader use it so that they do not rest on the generator."""

from __future__ import annotations

import numpy as np
import pandas as pd


def handmade_customers(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """``n`` customers with the 21 Telco columns, published category strings and a churn signal."""
    rng = np.random.default_rng(seed)
    yn = np.array(["No", "Yes"])
    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.34, 0.44, 0.22])
    phone = rng.choice(yn, n, p=[0.1, 0.9])
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.21, 0.24])
    tenure = rng.integers(0, 73, n)
    addon = {}
    for col in ("OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV",
                "StreamingMovies"):
        addon[col] = np.where(internet == "No", "No internet service", rng.choice(yn, n))
    monthly = np.round(20 + 30 * (internet == "DSL") + 60 * (internet == "Fiber optic") + rng.uniform(0, 15, n), 2)
    total = np.round(monthly * tenure, 2).astype(float)
    total[tenure == 0] = np.nan
    logit = (-1.2 + 1.2 * (contract == "Month-to-month") + 0.6 * (internet == "Fiber optic")
             - 0.03 * tenure + rng.normal(0, 0.5, n))
    churn = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    frame = pd.DataFrame({
        "customerID": [f"{i:04d}-ABCDE" for i in range(n)],
        "gender": rng.choice(["Female", "Male"], n),
        "SeniorCitizen": rng.choice([0, 1], n, p=[0.84, 0.16]).astype("int64"),
        "Partner": rng.choice(yn, n),
        "Dependents": rng.choice(yn, n, p=[0.7, 0.3]),
        "tenure": tenure.astype("int64"),
        "PhoneService": phone,
        "MultipleLines": np.where(phone == "No", "No phone service", rng.choice(yn, n)),
        "InternetService": internet,
        **addon,
        "Contract": contract,
        "PaperlessBilling": rng.choice(yn, n, p=[0.4, 0.6]),
        "PaymentMethod": rng.choice(["Electronic check", "Mailed check", "Bank transfer (automatic)",
                                     "Credit card (automatic)"], n),
        "MonthlyCharges": monthly,
        "TotalCharges": total,
        "Churn": churn,
    })
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    return frame


def customers(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """``n`` generated customers (``mlops_edu.data.make_customers``)."""
    from mlops_edu.data import make_customers

    return make_customers(n=n, seed=seed)
