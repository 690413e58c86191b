"""The Telco schema: columns, categories, canonical dtypes, US states, and the error bad input raises.

Lecture sections 3 and 4 (the churn data a stakeholder, a data engineer and a data scientist share):
every frame in the workbook, generated or read from the public IBM "Telco Customer Churn" CSV, has exactly
these 21 columns (:data:`TELCO_COLUMNS`), these category strings (:data:`CATEGORIES`) and these dtypes
(:data:`CANONICAL_DTYPES`), plus the teaching columns ``state``, ``age`` and ``signup_date``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

# ----------------------------------------------------------------------------------------------------
# Schema
# ----------------------------------------------------------------------------------------------------
TELCO_COLUMNS: tuple[str, ...] = (
    "customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure", "PhoneService",
    "MultipleLines", "InternetService", "OnlineSecurity", "OnlineBackup", "DeviceProtection",
    "TechSupport", "StreamingTV", "StreamingMovies", "Contract", "PaperlessBilling", "PaymentMethod",
    "MonthlyCharges", "TotalCharges", "Churn",
)
"""The 21 columns of the IBM Telco Customer Churn CSV, in the published order."""

TEACHING_COLUMNS: tuple[str, ...] = ("state", "age", "signup_date")
"""Columns the real file lacks, added for drift (age), coverage (state) and events (signup_date)."""

OPTIONAL_SERVICES: tuple[str, ...] = (
    "OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies",
)
"""The six add-on services a customer can hold on top of internet ("No internet service" without it),
counted by the lecture's engineered feature ``num_optional_services``."""

TARGET = "Churn"
"""The label column: ``"Yes"`` (the customer left) or ``"No"``."""
ID_COLUMN = "customerID"
"""The customer key (pseudonymised before training in chapter 01)."""

_YES_NO = ("No", "Yes")
_ADDON_VALUES = ("No", "Yes", "No internet service")
CATEGORIES: dict[str, tuple[str, ...]] = {
    "gender": ("Female", "Male"),
    "Partner": _YES_NO,
    "Dependents": _YES_NO,
    "PhoneService": _YES_NO,
    "MultipleLines": ("No", "Yes", "No phone service"),
    "InternetService": ("DSL", "Fiber optic", "No"),
    **{c: _ADDON_VALUES for c in OPTIONAL_SERVICES},
    "Contract": ("Month-to-month", "One year", "Two year"),
    "PaperlessBilling": _YES_NO,
    "PaymentMethod": ("Electronic check", "Mailed check", "Bank transfer (automatic)",
                      "Credit card (automatic)"),
    "Churn": _YES_NO,
}
"""Allowed values of every string column of the Telco schema (exactly as published)."""

STRING_DTYPE = pd.StringDtype(na_value=np.nan)  # pandas' default "str" dtype
CANONICAL_DTYPES: dict[str, Any] = {
    **{c: "str" for c in TELCO_COLUMNS},
    "SeniorCitizen": "int64", "tenure": "int64", "MonthlyCharges": "float64", "TotalCharges": "float64",
    "state": "str", "age": "int64", "signup_date": "datetime64[us]",
}
"""dtype of every column of the canonical frame (``"str"`` is pandas' default string dtype)."""

MAX_TENURE = 72
AS_OF = pd.Timestamp("2024-12-31")
"""Default reference date: ``signup_date`` is about ``tenure`` months before it."""

# state -> (name, region, population in millions, 2020 census, rounded). Regions: US census regions.
_REGIONS = ("Northeast", "Midwest", "South", "West")
US_STATES: dict[str, tuple[str, str, float]] = {
    "CT": ("Connecticut", "Northeast", 3.6), "ME": ("Maine", "Northeast", 1.4),
    "MA": ("Massachusetts", "Northeast", 7.0), "NH": ("New Hampshire", "Northeast", 1.4),
    "RI": ("Rhode Island", "Northeast", 1.1), "VT": ("Vermont", "Northeast", 0.6),
    "NJ": ("New Jersey", "Northeast", 9.3), "NY": ("New York", "Northeast", 20.2),
    "PA": ("Pennsylvania", "Northeast", 13.0),
    "IL": ("Illinois", "Midwest", 12.8), "IN": ("Indiana", "Midwest", 6.8), "MI": ("Michigan", "Midwest", 10.1),
    "OH": ("Ohio", "Midwest", 11.8), "WI": ("Wisconsin", "Midwest", 5.9), "IA": ("Iowa", "Midwest", 3.2),
    "KS": ("Kansas", "Midwest", 2.9), "MN": ("Minnesota", "Midwest", 5.7), "MO": ("Missouri", "Midwest", 6.2),
    "NE": ("Nebraska", "Midwest", 2.0), "ND": ("North Dakota", "Midwest", 0.8),
    "SD": ("South Dakota", "Midwest", 0.9),
    "DE": ("Delaware", "South", 1.0), "FL": ("Florida", "South", 21.5), "GA": ("Georgia", "South", 10.7),
    "MD": ("Maryland", "South", 6.2), "NC": ("North Carolina", "South", 10.4),
    "SC": ("South Carolina", "South", 5.1), "VA": ("Virginia", "South", 8.6),
    "DC": ("District of Columbia", "South", 0.7), "WV": ("West Virginia", "South", 1.8),
    "AL": ("Alabama", "South", 5.0), "KY": ("Kentucky", "South", 4.5), "MS": ("Mississippi", "South", 3.0),
    "TN": ("Tennessee", "South", 6.9), "AR": ("Arkansas", "South", 3.0), "LA": ("Louisiana", "South", 4.7),
    "OK": ("Oklahoma", "South", 4.0), "TX": ("Texas", "South", 29.1),
    "AZ": ("Arizona", "West", 7.2), "CO": ("Colorado", "West", 5.8), "ID": ("Idaho", "West", 1.8),
    "MT": ("Montana", "West", 1.1), "NV": ("Nevada", "West", 3.1), "NM": ("New Mexico", "West", 2.1),
    "UT": ("Utah", "West", 3.3), "WY": ("Wyoming", "West", 0.6), "AK": ("Alaska", "West", 0.7),
    "CA": ("California", "West", 39.5), "HI": ("Hawaii", "West", 1.5), "OR": ("Oregon", "West", 4.2),
    "WA": ("Washington", "West", 7.7),
}
"""US state code -> (name, census region, population in millions): the ``state`` column's universe."""


class SchemaError(ValueError):
    """A customer frame or CSV does not follow the Telco schema; the message names every culprit."""

