"""Rollout patterns in front of two scoring servers: canary, blue/green, shadow (ML pipeline overview).

The deployment stage of the ML pipeline overview names "REST API serving" and "canary and blue/green
strategies"; its interview answer: blue/green runs old and new side by side and switches all traffic at
once (fast rollback), canary shows the new version to a small share first (5 % in its example) and grows
it while nothing goes wrong. Shadow, our addition, sends copies of the traffic to the new version and
never returns its answers.

A :class:`Router` sits in front of two backends (anything with ``predict(frame)``, normally a
:class:`~mlops_edu.deployment.client.ScoringClient` per server). Each request carries one customer:

* **canary**: a seeded coin sends ``share`` of the requests to the challenger (:meth:`Router.set_share`);
  :func:`run_canary` grows the share stage by stage and rolls back automatically (share 0) as soon as a
  guardrail is crossed (error rate, agreement with the champion);
* **blue/green**: :class:`BlueGreen` holds the live colour; :meth:`BlueGreen.switch` moves all traffic at
  once, and rolling back is switching again;
* **shadow**: ``Router(mode="shadow")`` answers from the champion and sends a copy to the challenger,
  whose answers and errors are logged, never returned.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

CHAMPION_ARM = "champion"
CHALLENGER_ARM = "challenger"


@dataclass
class Guardrails:
    """Limits the challenger must respect during a canary stage (checked after each stage).

    Attributes
    ----------
    max_error_rate : float
        Highest share of failed challenger requests allowed.
    min_agreement : float
        Lowest share of challenger answers equal to the champion's answer for the same request; above 0 it
        needs those answers (a ``Router(compare=False)`` stage fails rather than passing unchecked).
    min_requests : int
        Challenger requests needed before a stage can pass.
    """

    max_error_rate: float = 0.02
    min_agreement: float = 0.8
    min_requests: int = 10

    def verdict(self, stats: dict[str, float]) -> str | None:
        """The first guardrail ``stats`` (of the challenger) crosses, as a sentence; None when all hold.

        Checked in order: requests, error rate, agreement (a NaN agreement, nothing compared, holds).

        Parameters
        ----------
        stats : dict of str to float
            The challenger's ``requests``, ``error_rate`` and ``agreement`` (a row of :func:`arm_stats`).

        Returns
        -------
        str or None
        """
        if stats["requests"] < self.min_requests:
            return f"only {int(stats['requests'])} challenger requests (< {self.min_requests})"
        if stats["error_rate"] > self.max_error_rate:
            return f"error rate {stats['error_rate']:.2f} > {self.max_error_rate:.2f}"
        if self.min_agreement > 0 and np.isnan(stats["agreement"]):
            return "agreement not measured (the champion was not asked: Router(compare=False))"
        if stats["agreement"] < self.min_agreement:
            return f"agreement {stats['agreement']:.2f} < {self.min_agreement:.2f}"
        return None


@dataclass
class Request:
    """One routed request: which arm answered, its answer (None on error), the reference answer of the
    other model when one was asked, the error (if any) and the seconds the caller waited."""

    number: int
    arm: str
    answer: int | None
    reference: int | None
    error: str | None
    seconds: float


class Router:
    """Send one-customer requests to a champion or a challenger backend.

    Parameters
    ----------
    champion, challenger : object with ``predict(frame)``
        The two backends (e.g. ScoringClients of two servers).
    mode : str
        ``"canary"`` (a share of requests goes to the challenger) or ``"shadow"`` (all answers come from
        the champion; the challenger gets a copy).
    share : float
        Canary share of requests sent to the challenger, 0..1.
    seed : int
        Seeds the coin of each request (same seed, same split).
    compare : bool
        Canary: also ask the champion for requests the challenger answers (agreement), not returned.
    concurrency : int
        Requests :meth:`send` keeps in flight at once, as callers of a live service do (1: one after
        the other). The coin is drawn in request order before any is sent, so the split, the answers
        and the log are the same for every value; only the waiting times differ.
    """

    def __init__(self, champion: Any, challenger: Any, *, mode: str = "canary", share: float = 0.0,
                 seed: int = 0, compare: bool = True, concurrency: int = 1) -> None:
        if mode not in ("canary", "shadow"):
            raise ValueError(f"mode must be 'canary' or 'shadow', got {mode!r}")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
        self.backends = {CHAMPION_ARM: champion, CHALLENGER_ARM: challenger}
        self.mode = mode
        self.compare = compare
        self.concurrency = concurrency
        self._rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))
        self.log: list[Request] = []
        self.events: list[str] = []
        self.share = 0.0
        self.set_share(share)

    def set_share(self, share: float) -> None:
        """Send ``share`` (0..1) of the next requests to the challenger (canary mode).

        Parameters
        ----------
        share : float
            Share in [0, 1].

        Raises
        ------
        ValueError
            When ``share`` lies outside [0, 1].
        """
        if not 0.0 <= float(share) <= 1.0:
            raise ValueError(f"share must lie in [0, 1], got {share}")
        self.share = float(share)

    def rollback(self, reason: str) -> None:
        """All traffic back to the champion (share 0); the reason is kept in :attr:`events`.

        Parameters
        ----------
        reason : str
            Why, stored as ``"rolled back: <reason>"``.
        """
        self.set_share(0.0)
        self.events.append(f"rolled back: {reason}")

    @staticmethod
    def _call(backend: Any, frame: pd.DataFrame) -> tuple[int | None, str | None, float]:
        start = time.perf_counter()
        try:
            answer = int(np.asarray(backend.predict(frame))[0])
            error = None
        except Exception as exc:  # noqa: BLE001 - a failed request is data for the guardrails
            answer, error = None, f"{type(exc).__name__}: {getattr(exc, 'problem', exc)}"
        return answer, error, time.perf_counter() - start

    def _arm(self) -> str:
        """The arm of the next request: the seeded coin in canary mode, the champion in shadow mode."""
        if self.mode == "shadow":
            return CHAMPION_ARM
        return CHALLENGER_ARM if self._rng.random() < self.share else CHAMPION_ARM

    def _route(self, number: int, arm: str, frame: pd.DataFrame) -> list[Request]:
        """Send one request to ``arm`` (and its copy or reference call); touches no state of the router."""
        if self.mode == "shadow":
            answer, error, seconds = self._call(self.backends[CHAMPION_ARM], frame)
            copy, copy_error, copy_seconds = self._call(self.backends[CHALLENGER_ARM], frame)
            return [Request(number, CHAMPION_ARM, answer, copy, error, seconds),
                    Request(number, "shadow", copy, answer, copy_error, copy_seconds)]
        answer, error, seconds = self._call(self.backends[arm], frame)
        reference = None
        if arm == CHALLENGER_ARM and self.compare:
            reference = self._call(self.backends[CHAMPION_ARM], frame)[0]
        return [Request(number, arm, answer, reference, error, seconds)]

    def __call__(self, frame: pd.DataFrame) -> int | None:
        """Route one request (a one-row frame); returns the answer the caller gets (None on error)."""
        records = self._route(len(self.log), self._arm(), frame)
        self.log.extend(records)
        return records[0].answer

    def send(self, frame: pd.DataFrame) -> list[int | None]:
        """Route every row of ``frame`` as its own request, ``concurrency`` of them in flight at once.

        Parameters
        ----------
        frame : pandas.DataFrame
            One customer per row.

        Returns
        -------
        list of int or None
            The answers the callers get (None on error), in row order; the log is in row order too.
        """
        step = 2 if self.mode == "shadow" else 1       # a shadow request logs the answer and its copy
        jobs = [(len(self.log) + step * i, self._arm(), frame.iloc[[i]]) for i in range(len(frame))]
        if self.concurrency == 1:
            results = [self._route(*job) for job in jobs]
        else:
            with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="router") as pool:
                results = list(pool.map(lambda job: self._route(*job), jobs))
        for records in results:
            self.log.extend(records)
        return [records[0].answer for records in results]

    def stats(self, since: int = 0) -> pd.DataFrame:
        """Per arm, over the requests logged from position ``since`` on: requests, share of them,
        errors, error rate, agreement (answers equal to the reference), p50 and p95 latency in ms.

        Parameters
        ----------
        since : int
            Position in :attr:`log` to start from.

        Returns
        -------
        pandas.DataFrame
            See :func:`arm_stats`.
        """
        return arm_stats(self.log[since:])


def arm_stats(log: Sequence[Request]) -> pd.DataFrame:
    """The table of :meth:`Router.stats` for a list of :class:`Request`.

    Parameters
    ----------
    log : sequence of Request
        Logged requests (shadow copies have the arm ``"shadow"`` and no ``share``).

    Returns
    -------
    pandas.DataFrame
        Indexed by arm: ``requests``, ``share``, ``errors``, ``error_rate``, ``agreement`` (NaN when nothing
        was compared), ``p50_ms``, ``p95_ms``; empty with these columns for an empty log.
    """
    frame = pd.DataFrame([r.__dict__ for r in log])
    if frame.empty:
        return pd.DataFrame(columns=["requests", "share", "errors", "error_rate", "agreement", "p50_ms", "p95_ms"])
    callers = frame[frame["arm"] != "shadow"]
    rows = {}
    for arm, part in frame.groupby("arm", sort=False):
        compared = part.dropna(subset=["answer", "reference"])
        rows[arm] = {"requests": int(len(part)),
                     "share": round(len(part) / max(len(callers), 1), 3) if arm != "shadow" else float("nan"),
                     "errors": int(part["error"].notna().sum()),
                     "error_rate": round(float(part["error"].notna().mean()), 3),
                     "agreement": round(float((compared["answer"] == compared["reference"]).mean()), 3)
                     if len(compared) else float("nan"),
                     "p50_ms": round(float(part["seconds"].median() * 1000), 2),
                     "p95_ms": round(float(part["seconds"].quantile(0.95) * 1000), 2)}
    return pd.DataFrame.from_dict(rows, orient="index")


def run_canary(router: Router, traffic: pd.DataFrame, stages: Sequence[float] = (0.1, 0.25, 0.5, 1.0),
               requests_per_stage: int = 100, guardrails: Guardrails | None = None) -> tuple[pd.DataFrame, str]:
    """Grow the challenger's share stage by stage; roll back automatically when a guardrail is crossed.

    Each stage routes ``requests_per_stage`` consecutive rows of ``traffic`` (wrapping around), then checks
    the challenger's stats of that stage against ``guardrails``.

    Parameters
    ----------
    router : Router
        A canary router (its share is set per stage, and to 0 on rollback).
    traffic : pandas.DataFrame
        Rows to send, one customer per request.
    stages : sequence of float
        Challenger shares, in order.
    requests_per_stage : int
        Requests routed per stage.
    guardrails : Guardrails or None
        Limits checked after each stage (default :class:`Guardrails`).

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        One row per stage run (share, challenger requests, actual share, errors, error rate, agreement,
        verdict) and the
        outcome: ``"promoted: ..."`` or ``"rolled back at ...: <reason>"``.
    """
    guardrails = guardrails or Guardrails()
    rows, cursor = [], 0
    for share in stages:
        router.set_share(share)
        start = len(router.log)
        index = np.arange(cursor, cursor + int(requests_per_stage)) % len(traffic)
        cursor += int(requests_per_stage)
        router.send(traffic.iloc[index])
        stats = router.stats(since=start)
        ch = stats.loc[CHALLENGER_ARM].to_dict() if CHALLENGER_ARM in stats.index else \
            {"requests": 0, "errors": 0, "error_rate": 0.0, "agreement": float("nan")}
        problem = guardrails.verdict(ch)
        rows.append({"stage share": share, "challenger requests": int(ch["requests"]),
                     "actual share": round(int(ch["requests"]) / int(requests_per_stage), 3),
                     "errors": int(ch["errors"]), "error rate": ch["error_rate"], "agreement": ch["agreement"],
                     "verdict": "pass" if problem is None else f"rollback: {problem}"})
        if problem is not None:
            router.rollback(f"at {share:.0%}: {problem}")
            return pd.DataFrame(rows), f"rolled back at {share:.0%}: {problem}"
    return pd.DataFrame(rows), f"promoted: the challenger answers {stages[-1]:.0%} of requests"


@dataclass
class BlueGreen:
    """Two live backends, one of them serving all traffic; switching is one pointer move.

    Attributes
    ----------
    blue, green : object with ``predict(frame)``
    live : str
        ``"blue"`` or ``"green"``.
    switches : list
        ``(from, to, seconds the switch took)`` for every switch.
    """

    blue: Any
    green: Any
    live: str = "blue"
    switches: list[tuple[str, str, float]] = field(default_factory=list)

    def __call__(self, frame: pd.DataFrame) -> Any:
        """Answer a request from the live colour."""
        return (self.blue if self.live == "blue" else self.green).predict(frame)

    def switch(self) -> float:
        """Send all traffic to the other colour; returns the seconds the switch took."""
        start = time.perf_counter()
        old = self.live
        self.live = "green" if old == "blue" else "blue"
        seconds = time.perf_counter() - start
        self.switches.append((old, self.live, seconds))
        return seconds


def agreement(answers: Sequence[Any], reference: Sequence[Any]) -> float:
    """Share of positions where two answer lists agree (None never agrees).

    Parameters
    ----------
    answers, reference : sequence
        Answers, compared position by position (the shorter length counts).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When there is nothing to compare.

    >>> agreement([1, 0, 1, None], [1, 1, 1, 0])
    0.5
    """
    pairs = list(zip(answers, reference))
    if not pairs:
        raise ValueError("agreement(): no answers")
    return sum(a is not None and a == b for a, b in pairs) / len(pairs)


def routed_share(log: Sequence[Request], arm: str = CHALLENGER_ARM) -> float:
    """Share of logged caller requests that ``arm`` answered.

    Parameters
    ----------
    log : sequence of Request
        Logged requests (shadow copies are not caller requests).
    arm : str
        ``"champion"`` or ``"challenger"``.

    Returns
    -------
    float
        0 for an empty log.
    """
    callers = [r for r in log if r.arm != "shadow"]
    return sum(r.arm == arm for r in callers) / max(len(callers), 1)

