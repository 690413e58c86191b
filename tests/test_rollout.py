"""mlops_edu.deployment.rollout (canary, shadow, blue/green) with in-process backends, and abtest."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlops_edu.deployment.abtest import (ab_test, assign_arms, power_of, sample_size, simulate_outcomes,
                                         two_proportion_test)
from mlops_edu.deployment.rollout import (CHALLENGER_ARM, BlueGreen, Guardrails, Router, agreement, routed_share,
                                          run_canary)


class Constant:
    """A backend that answers ``value`` for every row and counts its calls."""

    def __init__(self, value: int) -> None:
        self.value = value
        self.calls = 0

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        return np.full(len(frame), self.value)


class Broken:
    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        raise ValueError("missing column")


class Echo:
    """Answers the row's ``x`` (so two Echo backends always agree)."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["x"].to_numpy()


TRAFFIC = pd.DataFrame({"x": np.arange(2000) % 2})


@pytest.mark.parametrize("share", [0.05, 0.1, 0.25, 0.5])
def test_canary_share_matches_the_seeded_split(share):
    router = Router(Constant(0), Constant(1), share=share, seed=3)
    answers = router.send(TRAFFIC)
    n = len(TRAFFIC)
    got = routed_share(router.log)
    assert abs(got - share) < 4 * math.sqrt(share * (1 - share) / n)        # within 4 binomial sds
    assert sum(a == 1 for a in answers) == round(got * n)                    # callers got the arm's answer
    again = Router(Constant(0), Constant(1), share=share, seed=3)
    again.send(TRAFFIC)
    assert [r.arm for r in again.log] == [r.arm for r in router.log]          # same seed, same split


def test_canary_rolls_back_a_broken_challenger_automatically():
    champion = Constant(0)
    router = Router(champion, Broken(), seed=0)
    stages, outcome = run_canary(router, TRAFFIC, (0.1, 0.25, 0.5, 1.0), 200, Guardrails(max_error_rate=0.02))
    assert outcome.startswith("rolled back at 10%: error rate 1.00")
    assert len(stages) == 1 and stages.loc[0, "verdict"].startswith("rollback")
    assert router.share == 0.0 and router.events == ["rolled back: at 10%: error rate 1.00 > 0.02"]
    after = len(router.log)
    router.send(TRAFFIC.head(50))
    assert all(r.arm == "champion" and r.error is None for r in router.log[after:])


def test_canary_promotes_a_healthy_challenger_and_checks_agreement():
    stages, outcome = run_canary(Router(Echo(), Echo(), seed=1), TRAFFIC, (0.1, 0.5, 1.0), 300)
    assert outcome.startswith("promoted") and stages["verdict"].eq("pass").all()
    assert stages["agreement"].eq(1.0).all() and stages["errors"].eq(0).all()
    assert stages["actual share"].iloc[-1] == 1.0
    disagreeing = Router(Constant(0), Constant(1), seed=1)
    _, outcome = run_canary(disagreeing, TRAFFIC, (0.5,), 100, Guardrails(min_agreement=0.8))
    few = Router(Echo(), Echo(), seed=1)
    _, outcome_few = run_canary(few, TRAFFIC, (0.01,), 50, Guardrails(min_requests=10))
    assert outcome_few.startswith("rolled back at 1%: only")
    assert outcome == "rolled back at 50%: agreement 0.00 < 0.80"
    unmeasured = Router(Echo(), Echo(), seed=1, compare=False)              # no reference answers to agree with
    _, outcome_unmeasured = run_canary(unmeasured, TRAFFIC, (0.5,), 100, Guardrails(min_agreement=0.8))
    assert outcome_unmeasured.startswith("rolled back at 50%: agreement not measured")
    _, outcome_no_floor = run_canary(Router(Echo(), Echo(), seed=1, compare=False), TRAFFIC, (0.5,), 100,
                                     Guardrails(min_agreement=0.0))
    assert outcome_no_floor.startswith("promoted")


def test_shadow_never_returns_the_challengers_answer_or_error():
    champion, challenger = Constant(0), Constant(1)
    router = Router(champion, challenger, mode="shadow")
    assert router.send(TRAFFIC.head(30)) == [0] * 30
    assert champion.calls == challenger.calls == 30
    stats = router.stats()
    assert stats.loc["shadow", "requests"] == 30 and stats.loc["shadow", "agreement"] == 0.0
    broken = Router(Constant(1), Broken(), mode="shadow")
    assert broken.send(TRAFFIC.head(10)) == [1] * 10
    assert broken.stats().loc["shadow", "error_rate"] == 1.0 and broken.stats().loc["champion", "errors"] == 0


def test_blue_green_switches_everything_and_rolls_back_by_switching_again():
    bg = BlueGreen(Constant(0), Constant(1))
    assert bg(TRAFFIC.head(3)).tolist() == [0, 0, 0]
    seconds = bg.switch()
    assert bg.live == "green" and bg(TRAFFIC.head(3)).tolist() == [1, 1, 1] and seconds < 0.01
    bg.switch()
    assert bg.live == "blue" and [s[:2] for s in bg.switches] == [("blue", "green"), ("green", "blue")]


class Slow:
    """Answers the row's ``x`` (or its opposite), after a short wait; records how many calls overlap."""

    def __init__(self, flip: bool = False) -> None:
        import threading

        self.flip, self.lock, self.active, self.most = flip, threading.Lock(), 0, 0

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        import time

        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        time.sleep(0.002)
        with self.lock:
            self.active -= 1
        x = frame["x"].to_numpy()
        if self.flip and int(x[0]) % 5 == 0:
            raise ValueError("a row the challenger cannot score")
        return 1 - x if self.flip else x


@pytest.mark.parametrize("mode", ["canary", "shadow"])
def test_concurrent_requests_give_the_log_of_sequential_ones(mode):
    """In-flight requests change the waiting only: same coin, same answers, errors and log order."""
    traffic = pd.DataFrame({"x": np.arange(120) % 7})
    logs = {}
    for concurrency in (1, 4):
        champion, challenger = Slow(), Slow(flip=True)
        router = Router(champion, challenger, mode=mode, share=0.3, seed=5, concurrency=concurrency)
        answers = router.send(traffic)
        answers += router.send(traffic.head(10))                         # numbering goes on across calls
        logs[concurrency] = (answers, [(r.number, r.arm, r.answer, r.reference, r.error) for r in router.log])
        if concurrency > 1:
            assert champion.most > 1                                     # requests really were in flight
    assert logs[1] == logs[4]


def test_router_rejects_bad_settings():
    with pytest.raises(ValueError, match="share"):
        Router(Constant(0), Constant(1), share=1.5)
    with pytest.raises(ValueError, match="mode"):
        Router(Constant(0), Constant(1), mode="linear")
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="concurrency"):
            Router(Constant(0), Constant(1), concurrency=bad)
    assert agreement([1, None], [1, 1]) == 0.5


# --------------------------------------------------------------------------------------------------
# A/B test
# --------------------------------------------------------------------------------------------------

def test_two_proportion_test_matches_the_textbook():
    # 0.50 vs 0.55 on 1000 each: pooled z = 0.05 / sqrt(.525 * .475 * 2 / 1000) = 2.2389
    result = two_proportion_test(500, 1000, 550, 1000)
    assert result["z"] == pytest.approx(2.2389, abs=1e-3)
    assert result["p_value"] == pytest.approx(0.02516, abs=1e-4)
    assert result["ci_low"] < 0.05 < result["ci_high"]
    assert two_proportion_test(500, 1000, 500, 1000)["p_value"] == pytest.approx(1.0)


def test_sample_size_gives_the_promised_power():
    n = sample_size(0.80, 0.82)
    assert power_of(n, 0.80, 0.82) == pytest.approx(0.80, abs=0.01)
    assert power_of(n // 4, 0.80, 0.82) < 0.35
    assert sample_size(0.80, 0.84) < n / 3                   # twice the effect, about a quarter of the customers
    with pytest.raises(ValueError):
        sample_size(0.8, 0.8)


def test_simulated_outcomes_follow_the_probabilities():
    p = np.full(20000, 0.3)
    none = simulate_outcomes(p, np.zeros(p.size, bool), offer_success=0.5, seed=1)
    assert none["retained"].mean() == pytest.approx(0.7, abs=0.01) and (none["value"] == 0).all()
    every = simulate_outcomes(p, np.ones(p.size, bool), offer_success=0.5, seed=1)
    assert every["retained"].mean() == pytest.approx(0.85, abs=0.01)      # half of the churners kept
    assert every["value"].mean() == pytest.approx(0.15 * 1500 - 0.85 * 500, abs=15)


def test_ab_test_detects_a_real_difference_and_randomises_evenly():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.1, 0.6, 20000)
    arms = assign_arms(p.size, seed=2)
    assert abs((arms == "B").mean() - 0.5) < 0.02
    table, test = ab_test(p, np.zeros(p.size, bool), p > 0.3, seed=2, offer_success=0.8)
    assert test["difference"] > 0 and test["p_value"] < 0.001 and test["ci_low"] > 0
    assert table.loc["A", "offers"] == 0 and table.loc["B", "offers"] > 0
    _, same = ab_test(p, p > 0.3, p > 0.3, seed=2)               # identical lists: only chance differs
    assert same["p_value"] > 0.05 and same["ci_low"] < 0 < same["ci_high"]


def test_ab_test_names_bad_inputs_instead_of_a_key_error():
    p = np.full(40, 0.3)
    with pytest.raises(ValueError, match="offers_b has 39 entries for 40 customers"):
        ab_test(p, p > 0.2, np.ones(39, bool))
    with pytest.raises(ValueError, match="arm [AB] got no customers out of 1"):
        ab_test(p[:1], p[:1] > 0.2, p[:1] > 0.2)
