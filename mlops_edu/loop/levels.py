"""Maturity levels of the closed loop (lecture 8) as policies the loop engine follows.

The lecture's three levels, and what each means for our churn loop:

* **level 1 (beginner)**: a data scientist retrains by hand on a schedule (here every 6 months) and hands
  the model over; monitoring is not acted on.
* **level 2 (intermediate)**: automation and reproducibility: monitoring alerts trigger the retraining
  pipeline, and validation and promotion run without a person.
* **level 3 (advanced)**: everything of level 2, plus resilience (a dead scoring server is restarted, a
  corrupt batch is quarantined) and rollback (a deploy that fails its post-deploy check goes back to the
  previous Champion automatically); the lecture's Chaos Monkey tests exactly that.

On months without faults levels 2 and 3 take the same decisions, so chapter 10 runs them as one policy
("level 2/3") against level 1, and tests level 3's resilience with injected faults.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    """What a maturity level does (see the module docstring).

    Attributes
    ----------
    name : str
        For tables and plots.
    schedule_every : int or None
        Retrain every this many months, whatever monitoring says (level 1).
    triggered : bool
        Retrain when an alert asks for it.
    post_deploy_check : bool
        Score a production sample right after a deploy and roll back automatically if it fails.
    supervise : bool
        Restart a dead scoring server and retry the batches it did not answer.
    quarantine : bool
        Hold a batch that fails validation instead of scoring it.
    """

    name: str
    schedule_every: int | None = None
    triggered: bool = False
    post_deploy_check: bool = False
    supervise: bool = False
    quarantine: bool = False

    def scheduled(self, month: int) -> bool:
        """True when the schedule asks for a retraining at ``month`` (never at month 0)."""
        return bool(self.schedule_every) and month > 0 and month % int(self.schedule_every) == 0


LEVEL_1 = Level("level 1: manual, every 6 months", schedule_every=6)
"""Retrain every 6 months by hand; no automation acts on monitoring."""
LEVEL_3 = Level("level 2/3: triggered, automatic", triggered=True, post_deploy_check=True, supervise=True,
                quarantine=True)
"""Alerts trigger retraining; validation, promotion, deploy, rollback and restarts are automatic."""
