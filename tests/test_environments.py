"""dev/staging/prod (environments), deploy model vs deploy code (patterns), the approval gate (approval)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from mlops_edu.deployment import registry
from mlops_edu.deployment.approval import (APPROVAL_TAG, ApprovalRequired, approval_status, approve, promote_approved,
                                           request_approval)
from mlops_edu.deployment.environments import NEW_PAYMENT, DataAccessError, make_platform, rename_payment
from mlops_edu.deployment.patterns import (PROMOTED_FROM, copy_across_stores, holdout, lineage_table,
                                           promote_artifact, training_code, unknown_categories)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    home = tmp_path_factory.mktemp("platform")
    saved = os.environ.get("MLOPS_EDU_HOME")
    os.environ["MLOPS_EDU_HOME"] = str(home)
    from mlops_edu import setup_chapter

    setup_chapter("97", seed=0)
    yield make_platform(home / "platform", seed=3, n_prod=900)
    if saved is None:
        os.environ.pop("MLOPS_EDU_HOME", None)
    else:
        os.environ["MLOPS_EDU_HOME"] = saved


def test_dev_cannot_read_prod_data(platform):
    with pytest.raises(DataAccessError, match=r"code running in 'dev' may not read 'prod' data \(table 'customers'\)"):
        platform.read("dev", "prod")
    with pytest.raises(PermissionError):
        platform.read("staging", "prod")
    assert len(platform.read("dev", "dev")) == 90
    assert platform.reads[-1] == ("dev", "dev", "customers", 90)
    assert not any(owner == "prod" and reader != "prod" for reader, owner, _, _ in platform.reads)


def test_environments_hold_their_own_data(platform):
    summary = platform.summary()
    assert summary["customers"].to_dict() == {"dev": 90, "staging": 270, "prod": 900}
    assert summary.loc["prod", "IDs"] == "real" and summary.loc["dev", "IDs"] == "pseudonymised"
    assert summary.loc["prod", f"'{NEW_PAYMENT}' rows"] > 0 and summary.loc["staging", f"'{NEW_PAYMENT}' rows"] == 0
    assert len({env.tracking_uri for env in platform.environments.values()}) == 3
    assert platform.true_churn_probability.between(0, 1).all() and len(platform.true_churn_probability) == 900


def test_rename_payment_touches_only_recent_electronic_checks():
    from mlops_edu.data import make_customers

    before = make_customers(400, seed=1)
    after = rename_payment(before, seed=1, share=1.0)
    changed = after["PaymentMethod"] != before["PaymentMethod"]
    assert changed.any()
    assert (before.loc[changed, "PaymentMethod"] == "Electronic check").all() and (before.loc[changed, "tenure"] <= 12).all()
    assert unknown_categories(after) == {"PaymentMethod": {NEW_PAYMENT: int(changed.sum())}}
    assert unknown_categories(after, accept={"PaymentMethod": [NEW_PAYMENT]}) == {}


def test_deploy_code_refuses_what_only_prod_holds_and_deploy_model_loses_lineage(platform):
    dev = training_code(platform, "dev", seed=0)
    assert dev.status == "registered" and dev.version == 1 and dev.rows == 90
    # deploy model: copy_model_version cannot reach another store; a file copy + create_model_version can
    assert copy_across_stores(platform, "dev", "prod", dev.version).startswith("failed: ")
    staging_v = promote_artifact(platform, "dev", "staging", dev.version)
    prod_v = promote_artifact(platform, "staging", "prod", staging_v)
    table = lineage_table(platform, {"dev": dev.version, "prod": prod_v})
    assert table.loc["dev", "training run"] == "lightgbm-dev" and table.loc["dev", "training data"] == "customers v0"
    assert table.loc["prod", "training run"] == "-" and table.loc["prod", "training data"] == "-"
    assert table.loc["prod", "origin"] == "staging v1"
    # the copied model scores prod rows
    import mlflow

    X, _ = holdout(platform, "prod", seed=0)
    with platform.use("prod"):
        assert len(mlflow.pyfunc.load_model(registry.model_uri(version=prod_v)).predict(X)) == len(X)
    assert mlflow.get_tracking_uri() != platform["prod"].tracking_uri      # use() restored the chapter's store
    # deploy code: the same code in prod meets the unknown payment method and refuses
    refused = training_code(platform, "prod", seed=0)
    assert refused.status == "refused" and refused.version is None
    assert f"PaymentMethod: unknown value(s) {{'{NEW_PAYMENT}'" in refused.error
    accepted = training_code(platform, "prod", seed=0, accept={"PaymentMethod": [NEW_PAYMENT]})
    assert accepted.status == "registered" and accepted.version == prod_v + 1
    table = lineage_table(platform, {"prod": accepted.version})
    assert table.loc["prod", "training run"] == "lightgbm-prod" and table.loc["prod", "origin"] == "trained in prod"


def test_unapproved_promotion_is_refused_and_rollback_restores_the_old_version(platform):
    with platform.use("prod"):
        old, new = 1, 2                                   # the copied dev model and the prod-trained one
        assert registry.versions_table()["version"].tolist() == [old, new], "run after the deploy test"
        with pytest.raises(ApprovalRequired, match=f"{APPROVAL_TAG!r} tag reads 'missing'"):
            promote_approved(old)
        approve(old, approver="tester")
        assert promote_approved(old) == (None, old)
        request_approval(new)
        with pytest.raises(ApprovalRequired, match="reads 'pending', not 'approved'"):
            promote_approved(new)
        assert registry.aliases()[registry.CHAMPION] == old                 # the alias did not move
        approve(new, approver="tester")
        assert approval_status(new) == "approved"
        assert promote_approved(new) == (old, new) and registry.aliases()[registry.CHAMPION] == new
        assert registry.rollback() == (new, old) and registry.aliases()[registry.CHAMPION] == old
        with pytest.raises(ValueError):
            approve(new, approver=" ")
