"""Tiny sklearn churn-like models logged to an isolated MLflow store (for the registry/inference tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ["score", "plan"]


def tiny_data(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Rows with a numeric and a string column; the label depends mostly on ``score``."""
    rng = np.random.default_rng(seed)
    score = rng.normal(0, 1, n)
    plan = rng.choice(["basic", "plus", "pro"], n)
    y = ((score + 0.5 * (plan == "basic") + rng.normal(0, 0.5, n)) > 0.7).astype("int64")
    X = pd.DataFrame({"customerID": [f"c{i:04d}" for i in range(n)], "score": score,
                      "plan": pd.Series(plan, dtype="string")})
    return X, pd.Series(y, name="churn")


def tiny_pipeline(X: pd.DataFrame, y: pd.Series, *, shuffle_labels: bool = False, seed: int = 0):
    """A fitted LogisticRegression pipeline; ``shuffle_labels`` makes a useless (worse) model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    labels = y.sample(frac=1.0, random_state=seed).to_numpy() if shuffle_labels else y.to_numpy()
    pre = ColumnTransformer([("num", "passthrough", ["score"]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"])])
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(class_weight="balanced"))])
    return model.fit(X[FEATURES].astype({"plan": object}), labels)


def log_tiny(X: pd.DataFrame, y: pd.Series, *, run_name: str, shuffle_labels: bool = False,
             signature: bool = True):
    """Fit and log a tiny model in a new run; returns its ModelInfo."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    model = tiny_pipeline(X, y, shuffle_labels=shuffle_labels)
    example = X[FEATURES].head(5)
    with mlflow.start_run(run_name=run_name):
        return mlflow.sklearn.log_model(
            model, name="model", pip_requirements=["scikit-learn", "pandas"],
            signature=infer_signature(example, model.predict(example)) if signature else None)


TELCO_HEADER = ("customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure", "PhoneService",
                "MultipleLines", "InternetService", "OnlineSecurity", "OnlineBackup", "DeviceProtection",
                "TechSupport", "StreamingTV", "StreamingMovies", "Contract", "PaperlessBilling", "PaymentMethod",
                "MonthlyCharges", "TotalCharges", "Churn")


def write_telco_csv(path, n: int = 400, seed: int = 0, blanks: int = 3) -> int:
    """Write a hand-made CSV laid out like the public IBM Telco file; returns how many TotalCharges are blank.

    As in the published file: 21 columns in the published order, ``SeniorCitizen`` 0/1, ``Churn`` Yes/No,
    and a blank (a single space) ``TotalCharges`` for ``blanks`` customers with tenure 0.
    """
    rng = np.random.default_rng(seed)
    yn = np.array(["No", "Yes"])
    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.34, 0.44, 0.22])
    phone = rng.choice(yn, n, p=[0.1, 0.9])
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.21, 0.24])
    tenure = rng.integers(1, 73, n)
    tenure[:blanks] = 0
    monthly = np.round(20 + 30 * (internet == "DSL") + 60 * (internet == "Fiber optic") + rng.uniform(0, 15, n), 2)
    total = [" " if t == 0 else f"{m * t:.2f}" for m, t in zip(monthly, tenure)]
    logit = -1.0 + 1.5 * (contract == "Month-to-month") + 0.7 * (internet == "Fiber optic") - 0.03 * tenure
    churn = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    churn[tenure == 0] = "No"
    rows = {
        "customerID": [f"{1000 + i:04d}-HAND{chr(65 + i % 26)}" for i in range(n)],
        "gender": rng.choice(["Female", "Male"], n),
        "SeniorCitizen": rng.choice([0, 1], n, p=[0.84, 0.16]),
        "Partner": rng.choice(yn, n),
        "Dependents": rng.choice(yn, n, p=[0.7, 0.3]),
        "tenure": tenure,
        "PhoneService": phone,
        "MultipleLines": np.where(phone == "No", "No phone service", rng.choice(yn, n)),
        "InternetService": internet,
        **{c: np.where(internet == "No", "No internet service", rng.choice(yn, n))
           for c in ("OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV",
                     "StreamingMovies")},
        "Contract": contract,
        "PaperlessBilling": rng.choice(yn, n, p=[0.4, 0.6]),
        "PaymentMethod": rng.choice(["Electronic check", "Mailed check", "Bank transfer (automatic)",
                                     "Credit card (automatic)"], n),
        "MonthlyCharges": monthly,
        "TotalCharges": total,
        "Churn": churn,
    }
    pd.DataFrame(rows, columns=list(TELCO_HEADER)).to_csv(path, index=False)
    return blanks
