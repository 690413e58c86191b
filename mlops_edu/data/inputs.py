"""Draw the customers' inputs: who they are, what they signed, what they use, how they pay.

Steps 1 to 4 of the generative model described in :mod:`mlops_edu.data.generator`.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import ndtr as _ndtr

from mlops_edu.data.knobs import Knobs
from mlops_edu.data.parameters import (
    _COMMIT_MEAN,
    _COMMIT_SD,
    _ENGAGEMENT,
    _GENDER_MALE,
    _P_ADDON,
    _P_COMMIT,
    _P_CONTRACT,
    _P_DEPENDENTS,
    _P_INTERNET,
    _P_ML,
    _P_PAPERLESS,
    _P_PARTNER,
    _P_PAYMENT,
    _P_PHONE,
    _P_TENURE,
    _PRICE,
    _REGION_INTERNET,
    _SENIOR_SHARE,
    _STATE_CODES,
    _STATE_REGION,
    _STATE_WEIGHT,
)
from mlops_edu.data.schema import CATEGORIES, MAX_TENURE, OPTIONAL_SERVICES, STRING_DTYPE

# ----------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _draw_categorical(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw: row i gets category k with probability probs[i, k] (u uniform in [0, 1))."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    return (u[:, None] >= cum[:, :-1]).sum(axis=1)


def _softmax(scores: np.ndarray) -> np.ndarray:
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _str_column(codes: np.ndarray, values: Sequence[str]) -> pd.Series:
    """Fast codes -> pandas "str" column (via an Arrow take)."""
    arr = pa.array(list(values), type=pa.large_string()).take(pa.array(codes.astype(np.int64)))
    return pd.Series(arr.to_pandas(types_mapper={pa.large_string(): STRING_DTYPE}.get), dtype=STRING_DTYPE)


def _customer_ids(rng: np.random.Generator, n: int) -> pd.Series:
    """Unique ids in the published format "DDDD-LLLLL" (4 digits, dash, 5 capital letters)."""
    space = 10_000 * 26 ** 5
    ids = rng.integers(0, space, size=n)
    # redraw duplicates (rare) until all are unique; deterministic given the stream
    while True:
        _, first = np.unique(ids, return_index=True)
        if first.size == n:
            break
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        ids[dup] = rng.integers(0, space, size=int(dup.sum()))
    num, let = ids // 26 ** 5, ids % 26 ** 5
    buf = np.empty((n, 10), dtype=np.uint8)
    for k in range(4):
        buf[:, 3 - k] = 48 + (num // 10 ** k) % 10
    buf[:, 4] = ord("-")
    for k in range(5):
        buf[:, 9 - k] = 65 + (let // 26 ** k) % 26
    arr = pa.array(buf.view("S10").ravel(), type=pa.binary(10)).cast(pa.large_string())
    return pd.Series(arr.to_pandas(types_mapper={pa.large_string(): STRING_DTYPE}.get), dtype=STRING_DTYPE)


def _streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent random streams per stage: a knob that changes one stage leaves the others alone."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    names = ("ids", "inputs", "labels", "noise", "state", "quirk")
    return {k: np.random.default_rng(s) for k, s in zip(names, np.random.SeedSequence(int(seed)).spawn(len(names)))}


# ----------------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------------


def _kumaraswamy_ppf(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """Inverse CDF of the Kumaraswamy(a, b) distribution on (0, 1) (a closed-form Beta look-alike)."""
    return (1.0 - (1.0 - u) ** (1.0 / b)) ** (1.0 / a)


def _generate_inputs(n: int, st: dict[str, np.random.Generator], k: Knobs) -> dict[str, np.ndarray]:
    """Draw every input column as numpy codes (see the module docstring for the story)."""
    rng = st["inputs"]
    # A fixed block of random numbers per variable, always drawn in the same order whatever the knobs:
    # common random numbers, so a knob changes only what depends on it.
    u = rng.random((22, n))
    g = rng.standard_normal((6, n))
    draws = dict(u=u, g=g, beta_age=rng.beta(1.5, 1.3, size=n), exp_senior=rng.exponential(7.5, size=n),
                 young_age=rng.integers(18, 30, size=n))
    c = _draw_people(n, st, k, draws)
    c.update(_draw_contract_and_tenure(n, u, g, c["commit"]))
    c.update(_draw_services(n, u, g, k, c))
    c["payment"] = _draw_payment(n, u, c)
    c.update(_draw_charges(u, g, k, c))
    return {name: c[name] for name in ("state", "region", "age", "senior", "male", "partner", "dependents",
                                       "contract", "tenure", "payment", "phone", "ml", "internet",
                                       *OPTIONAL_SERVICES, "monthly", "total", "paperless", "signup_days")}


def _draw_people(n: int, st: dict[str, np.random.Generator], k: Knobs,
                 d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Step 1, who: state, age, gender, partner, dependents, and the latent commitment they imply."""
    u = d["u"]
    w = _STATE_WEIGHT.copy()
    if k.states is not None:
        w = np.where(np.isin(np.array(_STATE_CODES), k.states), w, 0.0)
    state = st["state"].choice(len(_STATE_CODES), size=n, p=w / w.sum())
    senior_draw = u[0] < _SENIOR_SHARE
    age = np.where(senior_draw, 65 + np.minimum(np.floor(d["exp_senior"]), 25), 18 + np.floor(47 * d["beta_age"]))
    if k.young_share > 0:
        age = np.where(u[1] < k.young_share, d["young_age"], age)
    age = age.astype(np.int64)
    senior = (age >= 65).astype(np.int64)
    agez = (np.minimum(age, 64) - 42.0) / 13.0  # working-age position; seniors count as 64
    p = _P_PARTNER
    partner = u[3] < _sigmoid(p["a"] + p["age30"] * (age >= 30) + p["age70"] * (age >= 70))
    p = _P_DEPENDENTS
    dependents = u[4] < _sigmoid(p["a"] + p["partner"] * partner + p["senior"] * senior
                                 + p["age30_55"] * ((age >= 30) & (age < 55)) + p["young"] * (age < 25))
    p = _P_COMMIT
    commit = p["partner"] * partner + p["dep"] * dependents + p["senior"] * senior + p["agez"] * agez + d["g"][0]
    return dict(state=state, region=_STATE_REGION[state], age=age, senior=senior, agez=agez, young=age < 30,
                male=u[2] < _GENDER_MALE, partner=partner, dependents=dependents, commit=commit)


def _draw_contract_and_tenure(n: int, u: np.ndarray, g: np.ndarray, commit: np.ndarray) -> dict[str, np.ndarray]:
    """Step 2: contract and tenure (a Gaussian copula ties tenure to commitment within each contract)."""
    p = _P_CONTRACT
    scores = np.stack([np.zeros(n), p["a1"] + p["l1"] * commit, p["a2"] + p["l2"] * commit], axis=1)
    contract = _draw_categorical(u[5], _softmax(scores))
    p = _P_TENURE
    c_std = (commit - _COMMIT_MEAN) / _COMMIT_SD
    ut = np.clip(_ndtr(p["rho"] * c_std + math.sqrt(1 - p["rho"] ** 2) * g[1]), 1e-12, 1 - 1e-12)
    v = np.clip((ut - p["m2m_one"]) / (1 - p["m2m_one"]), 0.0, 1 - 1e-12)
    t_m2m = np.where(ut < p["m2m_one"], 1, np.minimum(1 + np.floor(-p["m2m_scale"] * np.log1p(-v)), MAX_TENURE))
    def capped(kind: str) -> np.ndarray:   # one- and two-year contracts: a Kumaraswamy body, a share at the cap
        cap, a, b = p[f"{kind}_cap"], p[f"{kind}_a"], p[f"{kind}_b"]
        body = 1 + np.floor(_kumaraswamy_ppf(np.minimum(ut / (1 - cap), 1 - 1e-12), a, b) * MAX_TENURE)
        return np.where(ut > 1 - cap, MAX_TENURE, body)

    t_one, t_two = capped("one"), capped("two")
    tenure = np.minimum(np.select([contract == 0, contract == 1], [t_m2m, t_one], t_two), MAX_TENURE)
    tenure = tenure.astype(np.int64)
    return dict(contract=contract, tenure=tenure, tz=(tenure - 32.0) / 24.0)


def _draw_services(n: int, u: np.ndarray, g: np.ndarray, k: Knobs, c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Step 3: phone, internet type, the six add-ons and multiple lines."""
    senior, commit, agez, tz = c["senior"], c["commit"], c["agez"], c["tz"]
    phone = u[8] < _P_PHONE
    p = _P_INTERNET
    sf = (p["fib"] + p["fib_senior"] * senior + p["fib_commit"] * commit + p["fib_young"] * c["young"]
          + _REGION_INTERNET[c["region"], 0])
    sn = p["no"] + p["no_commit"] * commit + p["no_agez"] * agez + _REGION_INTERNET[c["region"], 1]
    probs = _softmax(np.stack([np.zeros(n), sf, sn], axis=1))
    probs[~phone] = (1.0, 0.0, 0.0)  # no phone -> DSL, as in the real file
    if k.service_mix:
        probs = _rake_columns(probs, k.service_mix)
    internet = _draw_categorical(u[9], probs)
    has_net = internet != 2
    fiber = internet == 1
    p = _ENGAGEMENT
    engagement = p["commit"] * commit + p["noise"] * g[2]
    out = dict(phone=phone, internet=internet, has_net=has_net, fiber=fiber)
    for j, (col, (a, bt, bf, ba)) in enumerate(_P_ADDON.items()):
        logit = a + engagement + bt * tz + bf * fiber + ba * agez
        out[col] = has_net & (u[10 + j] < _sigmoid(logit))
    p = _P_ML
    out["ml"] = phone & (u[16] < _sigmoid(p["a"] + p["tenure"] * (c["tenure"] - 32) + p["fiber"] * fiber))
    return out


def _draw_payment(n: int, u: np.ndarray, c: dict[str, np.ndarray]) -> np.ndarray:
    """Step 4, after services: fiber users pay by electronic check, long-standing ones automatically."""
    commit, fiber, has_net, contract = c["commit"], c["fiber"], c["has_net"], c["contract"]
    p = _P_PAYMENT
    auto = p["auto_commit"] * commit + p["auto_tenure"] * c["tz"]
    scores = np.stack([
        p["ec"] + p["ec_commit"] * commit + p["ec_fiber"] * fiber + p["ec_nonet"] * ~has_net
        + p["ec_senior"] * c["senior"] + p["ec_one"] * (contract == 1) + p["ec_two"] * (contract == 2),
        p["mc_agez"] * c["agez"] + p["mc_nonet"] * ~has_net,
        p["bt"] + auto,
        p["cc"] + auto,
    ], axis=1)
    return _draw_categorical(u[7], _softmax(scores))


def _draw_charges(u: np.ndarray, g: np.ndarray, k: Knobs, c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Step 5: the monthly price of the services, the total billed so far, paperless billing, sign-up day."""
    tenure, internet, fiber = c["tenure"], c["internet"], c["fiber"]
    p = _PRICE
    n_prot = (c["OnlineSecurity"].astype(np.int64) + c["OnlineBackup"] + c["DeviceProtection"] + c["TechSupport"])
    n_stream = c["StreamingTV"].astype(np.int64) + c["StreamingMovies"]
    price = (p["phone"] * c["phone"] + p["ml"] * c["ml"] + p["dsl"] * (internet == 0) + p["fiber"] * fiber
             + p["addon"] * n_prot + p["stream"] * n_stream + p["noise"] * g[3])
    price = np.clip(price, 18.25, 118.75)  # the real file's published minimum and maximum MonthlyCharges
    if k.price_change:
        price = price * (1.0 + k.price_change)
    monthly = np.round(price * 20.0) / 20.0  # 5-cent steps like the real file
    total = np.where(tenure <= 1, monthly * tenure,
                     monthly + (tenure - 1) * monthly * np.exp(0.04 * g[4]))
    p = _P_PAPERLESS
    paperless = u[17] < _sigmoid(p["a"] + p["internet"] * c["has_net"] + p["fiber"] * fiber + p["commit"] * c["commit"]
                                 + p["senior"] * c["senior"] + p["agez"] * c["agez"])
    signup_days = np.floor(tenure * 30.4375 + u[18] * 30.0).astype(np.int64)
    return dict(monthly=monthly, total=np.round(total, 2), paperless=paperless, signup_days=signup_days)


def _rake_columns(probs: np.ndarray, mix: Mapping[str, float]) -> np.ndarray:
    """Re-weight the InternetService columns so their mean shares match ``mix`` (rows stay valid)."""
    cats = CATEGORIES["InternetService"]
    named = {cats.index(c): float(v) for c, v in mix.items()}
    out = probs.copy()
    for _ in range(30):
        share = out.mean(axis=0)
        rest = 1.0 - sum(named.values())
        rest_now = sum(share[j] for j in range(3) if j not in named)
        w = np.ones(3)
        for j in range(3):
            if j in named:
                w[j] = named[j] / max(share[j], 1e-12)
            elif rest_now > 0:
                w[j] = rest / rest_now
        out = out * w
        out /= out.sum(axis=1, keepdims=True)
    return out


