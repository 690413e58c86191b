"""Exercises of chapter 09 (the end-to-end lab, lecture section 10).

q1 step 3 by hand on a sandbox model (``mlflow.register_model``, a version tag, the ``Challenger`` alias),
q2 the dollar value with the one accounting (relative to doing nothing), q3 the promotion by hand
(``set_registered_model_alias`` / ``delete_registered_model_alias``), q4 the model URI batch inference loads.
q1 and q3 are checked by their effect on the registry, not by the text of the answer.
"""

from __future__ import annotations

import math
from typing import Any

from mlops_edu.deployment.registry import MODEL_NAME
from mlops_edu.workbook.exercises import Exercise

SANDBOX = "workbook.sandbox.my_churn"
"""The registered model the exercises write to, so that the chapter's own model is never touched by them."""


def _check_value(value: float) -> str:
    assert isinstance(value, (int, float)), f"`value` should be a number of dollars, got {type(value).__name__}"
    assert not math.isclose(value, 120 * 1500 - 80 * 500 - 60 * 2000), (
        "you subtracted the 60 missed churners: relative to doing nothing they cost $0, because doing nothing "
        "loses them too. Counting them again double-counts the loss")
    assert not math.isclose(value, 120 * 1500 - 80 * 500 + 60 * 2000), (
        "you added the 60 missed churners as a gain: that is the sign error of the reference lab's step 04")
    assert not math.isclose(value, 120 * 2000 - 80 * 500), (
        "a kept churner is worth $2000 - $500 = $1500: the customer kept minus the discount they received")
    assert not math.isclose(value, 120 * 1500 + 80 * 500), "a false positive costs the discount: subtract it"
    assert math.isclose(value, 140_000), f"expected 120 x 1500 - 80 x 500 = 140000, got {value}"
    return ("120 x $1500 - 80 x $500 = $140,000 relative to doing nothing; the 60 missed churners count $0, "
            "as they would without a model.")


def _client():
    from mlflow import MlflowClient

    return MlflowClient()


def _version_of(sandbox: Any) -> int:
    assert hasattr(sandbox, "version") and hasattr(sandbox, "name"), (
        "`sandbox` should be what mlflow.register_model returns (a ModelVersion), got "
        f"{type(sandbox).__name__}")
    assert sandbox.name == SANDBOX, f"register under the sandbox name {SANDBOX!r}, not {sandbox.name!r}"
    return int(sandbox.version)


def _check_registered(sandbox: Any) -> str:
    import mlflow

    version = _version_of(sandbox)
    mv = _client().get_model_version(SANDBOX, str(version))
    assert mv.run_id, "the sandbox version should come from the best run's logged model"
    f1 = mlflow.get_run(mv.run_id).data.metrics.get("val_f1")
    tag = mv.tags.get("F1score")
    assert tag is not None, (f"version {version} of {SANDBOX} has no tag 'F1score' yet: "
                             "client.set_model_version_tag(SANDBOX, sandbox.version, 'F1score', ...)")
    assert f1 is not None and tag == f"{f1:.3f}", (
        f"the tag F1score should be the run's validation F1 with 3 decimals, {f1:.3f}, got {tag!r}")
    aliases = {a: int(v) for a, v in _client().get_registered_model(SANDBOX).aliases.items()}
    assert aliases.get("Challenger") == version, (
        f"the alias Challenger should point at version {version}; aliases now {dict(aliases)}")
    return (f"{SANDBOX} v{version} carries F1score={tag} and @Challenger: the registry, not a notebook variable, "
            "now says what this model is and where it stands.")


def _check_promoted(promoted_version: Any) -> str:
    assert isinstance(promoted_version, (int, str)) and str(promoted_version).isdigit(), (
        f"`promoted_version` should be the version number you promoted, got {promoted_version!r}")
    aliases = {a: int(v) for a, v in _client().get_registered_model(SANDBOX).aliases.items()}
    assert aliases.get("Champion") == int(promoted_version), (
        f"@Champion should point at version {promoted_version}; aliases now {aliases}")
    assert "Challenger" not in aliases, (
        f"after a promotion the Challenger alias is removed (delete_registered_model_alias); aliases now {aliases}")
    return ("promotion is two alias moves: @Champion to the validated version, @Challenger deleted; "
            "the batch job, which loads @Champion, follows without a code change.")


def _check_uri(champion_uri: str) -> str:
    assert isinstance(champion_uri, str), f"`champion_uri` should be a string, got {type(champion_uri).__name__}"
    uri = champion_uri.strip()
    assert uri.startswith("models:/"), "registry URIs start with 'models:/' (runs:/ would pin one training run)"
    assert MODEL_NAME in uri, f"use the registered model's three-part name {MODEL_NAME!r}"
    assert "@Challenger" not in uri, "the Challenger has not passed validation yet: production never loads it"
    assert "@" in uri, ("a version number pins one model: every promotion or rollback would need a change to the "
                        "inference code. Load it by alias instead")
    assert uri == f"models:/{MODEL_NAME}@Champion", f"expected 'models:/{MODEL_NAME}@Champion', got {uri!r}"
    return "batch inference loads whatever @Champion points to: promotion and rollback move the alias, not the code."


q1 = Exercise(
    "q1", variables=("sandbox",), checker=_check_registered,
    hint=("mlflow.register_model(model_uri, name) returns the new version; then "
          "client.set_model_version_tag(name, version, key, value) and "
          "client.set_registered_model_alias(name, alias, version)."),
    solution=('sandbox = mlflow.register_model(lab.logged_model_uri(best["run_id"]), SANDBOX)\n'
              'client.set_model_version_tag(SANDBOX, sandbox.version, "F1score", f"{best[\'metrics.val_f1\']:.3f}")\n'
              'client.set_registered_model_alias(SANDBOX, "Challenger", sandbox.version)'),
)

q2 = Exercise(
    "q2", variables=("value",), checker=_check_value,
    hint="Relative to doing nothing: a kept churner +$1500, a wasted discount -$500, a missed churner $0.",
    solution="value = 120 * 1500 - 80 * 500",
)

q3 = Exercise(
    "q3", variables=("promoted_version",), checker=_check_promoted,
    hint="client.set_registered_model_alias(SANDBOX, 'Champion', version), then "
         "client.delete_registered_model_alias(SANDBOX, 'Challenger').",
    solution=("promoted_version = sandbox.version\n"
              'client.set_registered_model_alias(SANDBOX, "Champion", promoted_version)\n'
              'client.delete_registered_model_alias(SANDBOX, "Challenger")'),
)

q4 = Exercise(
    "q4", variables=("champion_uri",), checker=_check_uri,
    hint="models:/<three-part name>@<alias>: which alias does production follow?",
    solution='champion_uri = "models:/workbook.mlops.mlops_churn@Champion"',
)
