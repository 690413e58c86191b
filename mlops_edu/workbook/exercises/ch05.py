"""Exercises of chapter 05, deployment patterns (lecture 6 and the pipeline overview's deployment stage).

q1 read data the way access control allows, q2 the customers an A/B test needs, q3 how many requests the
broken canary answered before the automatic rollback.
"""

from __future__ import annotations

import math
from typing import Any

from mlops_edu.deployment.abtest import sample_size
from mlops_edu.deployment.environments import CUSTOMERS, Platform
from mlops_edu.workbook.exercises import Exercise


def _q1_checker(staging_rows: Any, platform: Platform) -> str:
    from mlops_edu.data.lake import read_table

    expected = len(read_table(platform["staging"].lake / CUSTOMERS))
    assert isinstance(staging_rows, int), f"`staging_rows` should be a whole number, got {type(staging_rows).__name__}"
    granted = [r for r in platform.reads if r[0] == "staging" and r[1] == "staging"]
    assert granted, ("the platform's audit log shows no read by code running in 'staging' of staging's table: "
                     "use platform.read(reader, owner)")
    assert staging_rows == expected, f"staging's customer table has {expected} rows, you have {staging_rows}"
    return (f"staging code read its own {expected} rows; the same call asking for 'prod' raises "
            "DataAccessError, so prod data never leave prod")


q1 = Exercise(
    "q1", variables=("staging_rows", "platform"), checker=_q1_checker,
    hint="platform.read(reader, owner) returns the owner's customer table if the reader may read it.",
    solution='staging_rows = len(platform.read("staging", "staging"))')


def _q2_checker(n_per_arm: Any) -> str:
    expected = sample_size(0.80, 0.82)
    assert isinstance(n_per_arm, (int, float)), f"`n_per_arm` should be a number, got {type(n_per_arm).__name__}"
    if math.isclose(float(n_per_arm), 2 * expected, rel_tol=1e-9):
        raise AssertionError("that is both arms together: sample_size gives customers per arm")
    if math.isclose(float(n_per_arm), sample_size(0.80, 0.82, power=0.5), rel_tol=1e-9):
        raise AssertionError("that is for 50 % power: ask for 80 %")
    assert int(n_per_arm) == expected, f"expected sample_size(0.80, 0.82) = {expected} per arm, got {n_per_arm}"
    return (f"{expected:,} customers per arm ({2 * expected:,} in all) to see 80 % -> 82 % retention four times "
            "in five: small business effects need big tests")


q2 = Exercise(
    "q2", variables=("n_per_arm",), checker=_q2_checker,
    hint="sample_size(rate_a, rate_b) uses alpha 0.05 and 80 % power by default.",
    solution="n_per_arm = sample_size(0.80, 0.82)")


def _q3_checker(exposed: Any, broken_router: Any) -> str:
    expected = sum(1 for r in broken_router.log if r.arm == "challenger")
    failed = sum(1 for r in broken_router.log if r.arm == "challenger" and r.error)
    total = sum(1 for r in broken_router.log if r.arm != "shadow")
    assert isinstance(exposed, int), f"`exposed` should be a whole number, got {type(exposed).__name__}"
    if exposed == total:
        raise AssertionError("that counts every request; only the ones routed to the challenger met the broken model")
    assert exposed == expected, f"the log shows {expected} requests answered by the challenger, you have {exposed}"
    return (f"{expected} of {total} requests ({failed} of them failed) met the broken model before the rollback: "
            "a canary limits the damage to its share of one stage")


q3 = Exercise(
    "q3", variables=("exposed", "broken_router"), checker=_q3_checker,
    hint="broken_router.log holds one Request per call; count those whose arm is 'challenger'.",
    solution='exposed = sum(1 for r in broken_router.log if r.arm == "challenger")')

__all__ = ["q1", "q2", "q3"]
