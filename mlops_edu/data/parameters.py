"""Constants of the generator's world: per-state behaviour and the calibrated coefficients.

The block between ``# <calibrated>`` and ``# </calibrated>`` is rewritten by
``python -m mlops_edu.data.calibration`` from the published targets (:mod:`mlops_edu.data.calibration`);
the constants outside it are design choices, each documented where it is defined.
"""

from __future__ import annotations

import zlib

import numpy as np

from mlops_edu.data.schema import _REGIONS, US_STATES

_STATE_CODES = tuple(US_STATES)
_STATE_REGION = np.array([_REGIONS.index(US_STATES[s][1]) for s in _STATE_CODES])
_STATE_WEIGHT = np.array([US_STATES[s][2] for s in _STATE_CODES])
# A fixed per-state churn offset (local competition), the same in every seed: a property of the world.
_STATE_OFFSET = np.array([((zlib.crc32(s.encode()) % 1001) / 1000.0 - 0.5) * 0.5 for s in _STATE_CODES])


# ----------------------------------------------------------------------------------------------------
# Generator parameters (calibrated to PUBLISHED_FACTS; see calibration_table)
# ----------------------------------------------------------------------------------------------------
# <calibrated> (rewritten by `python -m mlops_edu.data.calibration --write`; see FITTED there)
_SENIOR_SHARE = 0.1637
_P_PARTNER = dict(a=-0.8609, age30=0.95, age70=-0.25)
_P_DEPENDENTS = dict(a=-2.3051, partner=2.35, senior=-1.6, age30_55=0.5, young=-0.8)
_P_COMMIT = dict(partner=0.6, dep=0.3, senior=-0.8, agez=0.2)
_COMMIT_MEAN, _COMMIT_SD = 0.3138, 1.1081
_P_CONTRACT = dict(a1=-1.1463, a2=-1.9644, l1=1.0, l2=2.0)
_P_TENURE = dict(rho=0.5, m2m_one=0.1, m2m_scale=26.8227, one_a=1.2256, one_b=1.1, one_cap=0.03, two_a=1.9378,
                 two_b=1.0, two_cap=0.05)
_P_PHONE = 0.903
_P_INTERNET = dict(fib=0.4657, no=-0.5624, fib_senior=1.0, fib_commit=-0.5, fib_young=0.3, no_commit=0.4, no_agez=0.3)
_P_PAYMENT = dict(ec=0.2384, bt=-0.1145, cc=-0.1297, ec_commit=-0.6, ec_fiber=0.8, ec_nonet=-0.6, ec_senior=0.7,
                  ec_one=-0.2275, ec_two=-0.7275, auto_commit=0.4, auto_tenure=0.25, mc_agez=0.25, mc_nonet=0.5)
_P_ML = dict(a=-0.4502, tenure=0.035, fiber=0.6)
_P_ADDON = {  # intercept, tenure_z, fiber, age_z
    'OnlineSecurity': (-0.3021, 0.4, -1.0, 0.0),
    'OnlineBackup': (-0.2249, 0.5, -0.3, 0.0),
    'DeviceProtection': (-0.4119, 0.5, 0.0, 0.0),
    'TechSupport': (-0.275, 0.4, -1.0, 0.0),
    'StreamingTV': (-0.6167, 0.3, 1.0, -0.3),
    'StreamingMovies': (-0.6159, 0.3, 1.0, -0.3),
}
_ENGAGEMENT = dict(commit=0.8, noise=0.8)
_PRICE = dict(phone=18.5625, ml=5.0, dsl=24.0656, fiber=53.5395, addon=5.0, stream=10.0, noise=1.2)
_P_PAPERLESS = dict(a=-0.4963, internet=0.9, fiber=0.6, commit=-0.3, senior=0.6, agez=-0.15)
_GENDER_MALE = 0.505
_CHURN = dict(b0=0.2677, one=-1.2891, two=-2.0113, t1=-0.0773, t2=-0.0, t3=-0.0, t4=-0.0092, mc=-0.4151, bt=-0.1798,
              cc=-0.3198, fiber=0.1184, no=-0.8835, price=0.006, os=-0.8026, ob=-0.0, dp=-0.0, ts=-0.7307,
              stv=0.5193, sm=0.1097, senior=0.4831, partner=-0.1038, dep=-0.4036, paperless=0.402)
# </calibrated>
# Design choices, not fitted (the real file has no state column, so no published rate constrains them).
# They give the coverage experiment of lecture 7 (one state vs all states) something to miss; their size is
# set so that a model trained on Massachusetts alone loses a few points of AUC on all states (chapter 06):
# _REGION_INTERNET: logit shifts of (Fiber optic, No internet) by census region (Northeast, Midwest,
#   South, West): fiber is common in the Northeast, rarer in the rural Midwest, where more customers have
#   no internet at all.
_REGION_INTERNET = np.array([[0.25, -0.25], [-0.25, 0.45], [0.0, 0.0], [0.05, -0.15]])
# _REGION_CHURN: per region, (churn offset, extra fiber churn, multiplier of the price effect, extra
#   electronic-check churn): fiber is reliable in the Northeast (-0.9) and flaky in the South (+0.5); the
#   West is price sensitive (1.8 x the price slope), the Northeast is not (0.3 x). Averaged over the
#   population (_REGION_AVERAGE) the label model equals the calibrated one, so the published rates hold.
_REGION_CHURN = np.array([[0.0, -0.9, 0.3, -0.2],
                          [-0.1, 0.2, 1.0, 0.0],
                          [0.1, 0.5, 1.0, 0.3],
                          [0.0, -0.1, 1.8, 0.0]])
_POP_SHARE = _STATE_WEIGHT / _STATE_WEIGHT.sum()
_REGION_AVERAGE = np.bincount(_STATE_REGION, weights=_POP_SHARE, minlength=4) @ _REGION_CHURN
_STATE_OFFSET_AVERAGE = float(_POP_SHARE @ _STATE_OFFSET)
# Concept drift (lecture 5.3): the coefficients of each concept are in label_model._logit_from_codes and are
# illustrative, not fitted: "service_quality" removes the price effect and doubles the protection effect
# (+0.7 on fiber), with an intercept (_CONCEPT_B0) that keeps the overall churn rate about the same, so that
# only who churns moves, not how many; "pandemic" adds +0.9 month-to-month, +0.5 senior, +0.4 electronic
# check and -0.3 per streaming service: a shock that raises churn where the lecture's examples put it.
_CONCEPTS = {
    "baseline": "churn is price-driven (the calibrated default)",
    "service_quality": "customers ignore price and leave over missing security/tech support and flaky fiber",
    "pandemic": "a shock: month-to-month, senior and electronic-check customers leave much more, streamers stay",
}
_CONCEPT_B0 = {"baseline": 0.0, "service_quality": -0.1, "pandemic": 0.0}  # service_quality keeps the churn level

