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
    and a blank (a single space) ``TotalCharges`` for ``blanks`` customers with tenure 0 (who have not
    churned); every other customer has tenure >= 1.
    """
    from _telco_sample import handmade_customers

    frame = handmade_customers(n, seed)
    zero = np.arange(n) < blanks
    frame["tenure"] = np.where(zero, 0, frame["tenure"].clip(lower=1))
    total = (frame["MonthlyCharges"] * frame["tenure"]).map("{:.2f}".format)
    frame["TotalCharges"] = total.where(~zero, " ")
    frame.loc[zero, "Churn"] = "No"
    frame[list(TELCO_HEADER)].to_csv(path, index=False)
    return blanks


def write_generated_csv(path, n: int = 1500, seed: int = 1) -> int:
    """Generated customers written as the public file is laid out (21 columns, blank TotalCharges as " ").

    Returns how many TotalCharges are blank.
    """
    from mlops_edu.data import make_customers

    frame = make_customers(n, seed=seed)[list(TELCO_HEADER)]
    blanks = int(frame["TotalCharges"].isna().sum())
    frame.to_csv(path, index=False, na_rep=" ")
    return blanks
