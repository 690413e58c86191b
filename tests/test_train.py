"""Unit tests of mlops_edu.training (chapter 02: candidates, metrics, MLflow logging)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _telco_sample import customers

from mlops_edu.training import (
    MODEL_KINDS,
    TrainingError,
    classification_metrics,
    log_model,
    make_model,
    pip_requirements,
    split_xy,
)


@pytest.fixture(scope="module")
def xy() -> tuple[pd.DataFrame, pd.Series]:
    return split_xy(customers(600, seed=2))


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_make_model_fits_and_predicts(kind, xy):
    X, y = xy
    model = make_model(kind, seed=0, X=X)
    assert [name for name, _ in model.steps] == ["features", "preprocess", "model"]
    proba = model.fit(X, y).predict_proba(X)[:, 1]
    assert proba.shape == (len(X),) and ((proba >= 0) & (proba <= 1)).all()
    assert classification_metrics(y, proba)["roc_auc"] > 0.6


def test_make_model_is_seeded(xy):
    X, y = xy
    a = make_model("lightgbm", {"subsample": 0.7, "subsample_freq": 1}, seed=3, X=X).fit(X, y)
    b = make_model("lightgbm", {"subsample": 0.7, "subsample_freq": 1}, seed=3, X=X).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_make_model_params_and_errors(xy):
    X, _ = xy
    assert make_model("random_forest", {"max_depth": 3}, X=X).named_steps["model"].max_depth == 3
    assert make_model("lightgbm", {"num_leaves": 7}, X=X).named_steps["model"].num_leaves == 7
    assert make_model("logreg").named_steps["preprocess"] is not None       # X=None: the Telco schema
    with pytest.raises(TrainingError, match="xgboost"):
        make_model("xgboost", X=X)
    with pytest.raises(TrainingError, match="max_dept"):
        make_model("random_forest", {"max_dept": 3}, X=X)


def test_model_accepts_raw_rows_with_unseen_values(xy):
    X, y = xy
    model = make_model("logreg", X=X).fit(X, y)
    new = X.head(3).copy().astype({"PaymentMethod": object, "InternetService": object})
    new.loc[new.index[0], "PaymentMethod"] = "Crypto wallet"
    new.loc[new.index[1], "InternetService"] = "Satellite"
    assert np.isfinite(model.predict_proba(new)).all()


def test_classification_metrics_by_hand():
    m = classification_metrics([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.3])
    assert m == {"accuracy": 0.75, "precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "roc_auc": 1.0}
    assert all(type(v) is float for v in m.values())
    two_col = classification_metrics([0, 1], np.array([[0.9, 0.1], [0.2, 0.8]]))
    assert two_col["f1"] == 1.0
    low = classification_metrics([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.3], threshold=0.35)
    assert low["recall"] == 1.0
    assert np.isnan(classification_metrics([1, 1], [0.2, 0.9])["roc_auc"])


@pytest.mark.parametrize("y, p, match", [([0, 1], [0.5], "rows"), ([0, 2], [0.1, 0.2], "0/1"),
                                         ([0, 1], [0.1, 1.5], r"\[0, 1\]"), ([], [], "empty")])
def test_classification_metrics_bad_input(y, p, match):
    with pytest.raises(TrainingError, match=match):
        classification_metrics(y, p)


def test_pip_requirements_are_pinned(xy):
    X, y = xy
    reqs = pip_requirements(make_model("logreg", X=X))
    assert all("==" in r for r in reqs)
    assert {r.split("==")[0] for r in reqs} >= {"mlflow", "scikit-learn", "pandas", "skops"}
    assert not any(r.startswith("lightgbm") for r in reqs)
    assert any(r.startswith("lightgbm==") for r in pip_requirements(make_model("lightgbm", X=X)))


def test_log_model_round_trip(xy, tmp_path, monkeypatch):
    import mlflow

    from mlops_edu import setup_chapter

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    setup_chapter("99", seed=0)
    X, y = xy
    model = make_model("lightgbm", {"n_estimators": 20}, X=X).fit(X, y)
    with mlflow.start_run(run_name="log-model-test"):
        info = log_model(model, X, name="churn_model")
    assert info.signature is not None and info.saved_input_example_info is not None
    assert "TotalCharges" in info.signature.inputs.input_names()
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(X.head(20)), model.predict(X.head(20)))
    reqs = (tmp_path / "workspaces").rglob("requirements.txt")
    text = next(reqs).read_text()
    assert "lightgbm==" in text and "skops==" in text
    with pytest.raises(TrainingError, match="X_example"):
        log_model(model, X.head(0))


# ---------------------------------------------------------------------------------------------------
# The training pipeline of chapter 02 and the shared k-fold objective
# ---------------------------------------------------------------------------------------------------

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402

from mlops_edu.training import (  # noqa: E402
    CandidateRun,
    GateDecision,
    KFoldObjective,
    best_candidate,
    best_capacity,
    best_threshold,
    capacity_curve,
    churn_drivers,
    comparison_table,
    deploy_gate,
    fold_matrices,
    kfold_f1,
    log_candidate,
    make_folds,
    split_dataset,
    train_candidates,
)


@pytest.fixture(scope="module")
def split():
    return split_dataset(customers(1000, seed=5), seed=4)


def test_split_is_stratified_seeded_and_disjoint(split):
    balance = split.balance()
    assert list(balance.index) == ["train", "validation", "test"]
    assert list(balance["rows"]) == [600, 200, 200]
    assert balance["churn_rate"].max() - balance["churn_rate"].min() <= 0.006
    ids = [set(x.index) for x, _ in split.parts().values()]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    again = split_dataset(customers(1000, seed=5), seed=4)
    assert again.X_test.index.equals(split.X_test.index)
    assert not split_dataset(customers(1000, seed=5), seed=5).X_test.index.equals(split.X_test.index)
    with pytest.raises(TrainingError, match="val_size"):
        split_dataset(customers(100, seed=5), val_size=0.6, test_size=0.5)


def test_candidates_comparison_and_choice(split):
    cands = train_candidates(split, params={"random_forest": {"n_estimators": 20}}, seed=0)
    assert list(cands) == ["logreg", "random_forest", "lightgbm"]
    table = comparison_table(cands)
    assert list(table.columns) == ["accuracy", "precision", "recall", "f1", "roc_auc"]
    assert table["f1"].is_monotonic_decreasing
    assert "fit_seconds" in comparison_table(cands, timings=True)
    best = best_candidate(cands)
    assert best.val_metrics["f1"] == max(c.val_metrics["f1"] for c in cands.values())
    assert cands["random_forest"].params["n_estimators"] == 20
    with pytest.raises(TrainingError, match="xgboost"):
        train_candidates(split, params={"xgboost": {}})


def test_capacity_curve_shows_overfitting(split):
    curve = capacity_curve(split, "lightgbm", values=(2, 8, 64), seed=0)
    assert list(curve.columns) == ["num_leaves", "train", "validation", "gap"]
    assert curve["train"].is_monotonic_increasing                    # more capacity, better on seen data
    assert curve["gap"].iloc[-1] > curve["gap"].iloc[0] + 0.1        # ... and the curves part
    assert best_capacity(curve)["value"] != 64                       # validation does not peak at the max
    assert isinstance(best_capacity(curve)["value"], int)


def test_churn_drivers_in_plain_words(split):
    model = make_model("logreg", X=split.X_train).fit(split.X_train, split.y_train)
    drivers = churn_drivers(model, split.X_val, split.y_val, top=4, n_repeats=2, seed=0)
    assert len(drivers) == 4 and drivers["importance"].is_monotonic_decreasing
    assert set(drivers["feature"]) <= set(split.X_val.columns)
    assert all(text.startswith("churn ") for text in drivers["reading"])


def test_an_add_on_is_read_among_customers_with_the_service(split):
    """'No' vs 'Yes' among internet customers, never 'No' vs 'No internet service'."""
    from mlops_edu.training.diagnostics import _plain_reading

    X, y = split.X_train, split.y_train
    reading = _plain_reading(X["OnlineSecurity"], y)
    assert "No internet service" not in reading and reading.endswith("(customers with the service)")
    internet = X["InternetService"] != "No"
    rates = y[internet].groupby(X.loc[internet, "OnlineSecurity"].astype(str)).mean()
    assert f"churn {rates.max():.0%} for '{rates.idxmax()}' vs {rates.min():.0%} for '{rates.idxmin()}'" in reading


def test_kfold_table_and_the_one_standard_error_rule(split):
    from mlops_edu.training import kfold_table, simplest_within_one_se

    table = kfold_table(split, ("logreg", "lightgbm"), {"lightgbm": {"n_estimators": 30}}, k=3, seed=0)
    assert list(table.index) == ["logistic regression", "LightGBM"]
    direct = kfold_f1(split.X_train, split.y_train, "lightgbm", {"n_estimators": 30}, k=3, seed=0)
    assert table.loc["LightGBM", "mean"] == round(direct.mean, 4)
    folds = table.loc["LightGBM", ["fold_1", "fold_2", "fold_3"]].to_numpy(dtype=float)
    assert table.loc["LightGBM", "se"] == pytest.approx(np.std(folds, ddof=1) / np.sqrt(3), abs=1e-4)
    rows = {"kind": ["logreg", "random_forest", "lightgbm"], "mean": [0.600, 0.598, 0.611], "se": [0.01] * 3}
    close = pd.DataFrame(rows)
    assert simplest_within_one_se(close) == ("lightgbm", 0.601)      # logreg 0.600 misses the bar by 0.001
    assert simplest_within_one_se(close.assign(se=[0.01, 0.01, 0.012])) == ("logreg", 0.599)  # within noise
    assert simplest_within_one_se(close.assign(se=[0.01, 0.01, 0.005])) == ("lightgbm", 0.606)  # clearly best
    far = close.assign(mean=[0.55, 0.605, 0.611], se=[0.01, 0.01, 0.008])
    assert simplest_within_one_se(far) == ("random_forest", 0.603)
    with pytest.raises(TrainingError, match="simplicity order"):
        simplest_within_one_se(close.assign(kind=["logreg", "random_forest", "xgboost"]))


def test_deploy_gate_both_branches():
    decision = deploy_gate({"f1": 0.62, "roc_auc": 0.84}, threshold=0.8)
    assert isinstance(decision, GateDecision) and not decision.passed
    assert decision.next_step == "back to training"
    assert str(decision) == "test f1 = 0.620 < threshold 0.800 -> back to training"
    assert deploy_gate({"f1": 0.62}, threshold=0.6).next_step == "deploy"
    assert deploy_gate({"f1": 0.8}, threshold=0.8).passed            # reaching the threshold passes
    assert deploy_gate({"roc_auc": 0.84}, 0.8, metric="roc_auc").passed
    with pytest.raises(TrainingError, match="recall"):
        deploy_gate({"f1": 0.6}, 0.5, metric="recall")


def test_best_threshold_matches_classification_metrics():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    p = np.clip(0.35 * y + rng.random(400) * 0.65, 0, 1)
    t, score = best_threshold(y, p)
    assert score == pytest.approx(classification_metrics(y, p, t)["f1"])
    assert all(classification_metrics(y, p, u)["f1"] <= score + 1e-12 for u in np.arange(0.05, 0.96, 0.05))
    with pytest.raises(TrainingError, match="threshold"):
        best_threshold(y, p, metric="roc_auc")


@pytest.mark.parametrize("kind, params", [("lightgbm", {"n_estimators": 30}), ("logreg", None)])
def test_kfold_objective_equals_cross_val_score(xy, kind, params):
    X, y = xy
    objective = KFoldObjective(X, y, kind, k=4, seed=3, base_params=params)
    expected = cross_val_score(make_model(kind, params, seed=3, X=X), X, y, scoring="f1",
                               cv=StratifiedKFold(4, shuffle=True, random_state=3))
    np.testing.assert_allclose(objective.scores().scores, expected, atol=1e-12)
    assert objective() == pytest.approx(expected.mean())
    assert kfold_f1(X, y, kind, params, k=4, seed=3).mean == pytest.approx(expected.mean())


def test_kfold_objective_memoises_and_counts(xy):
    X, y = xy
    objective = KFoldObjective(X, y, "lightgbm", k=3, seed=0, base_params={"n_estimators": 10})
    a = objective({"num_leaves": 7})
    b = objective({"num_leaves": np.int64(7)})
    assert a == b and objective.n_evaluations == 2 and objective.n_fits == 3
    assert objective.scores({"num_leaves": 7}).std >= 0
    with pytest.raises(TrainingError, match="rows"):
        KFoldObjective(X, y.iloc[:-1])
    with pytest.raises(TrainingError, match="metric"):
        KFoldObjective(X, y, metric="auc")


def test_fold_matrices_equal_fitting_the_pipeline_per_fold(xy):
    X, y = xy
    pre = make_model("lightgbm", X=X)[:-1]
    folds = make_folds(y, 3, seed=1)
    for (tr, va), (a_tr, a_va) in zip(folds, fold_matrices(pre, X, folds)):
        fitted = clone(pre).fit(X.iloc[tr])
        np.testing.assert_array_equal(fitted.transform(X.iloc[tr]), a_tr)
        np.testing.assert_array_equal(fitted.transform(X.iloc[va]), a_va)


def test_make_folds_stratified_vs_plain(xy):
    _, y = xy
    y = np.asarray(y)
    strat = [y[va].mean() for _, va in make_folds(y, 5, seed=0, stratified=True)]
    assert max(strat) - min(strat) < 0.02
    assert sorted(np.concatenate([va for _, va in make_folds(y, 5, seed=0)])) == list(range(len(y)))
    with pytest.raises(TrainingError, match="between 2"):
        make_folds(y, 1)


def test_log_candidate_logs_everything(split, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt
    import mlflow

    from mlops_edu import setup_chapter

    monkeypatch.setenv("MLOPS_EDU_HOME", str(tmp_path))
    ws = setup_chapter("99", seed=0)
    cand = train_candidates(split, kinds=("lightgbm",), params={"lightgbm": {"n_estimators": 20}})["lightgbm"]
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    logged = log_candidate(cand, run_name="lightgbm", X_example=split.X_train, figures={"roc": fig},
                           extra_metrics={"test_f1": 0.5}, tags={"chosen": "true"},
                           dataset=customers(50, seed=1))
    plt.close(fig)
    assert isinstance(logged, CandidateRun) and logged.model_info is not None
    run = mlflow.get_run(logged.run_id)
    assert run.info.run_name == "lightgbm" and run.data.tags["chosen"] == "true"
    assert run.data.params["model_kind"] == "lightgbm" and run.data.params["n_estimators"] == "20"
    assert {"val_f1", "train_f1", "val_roc_auc", "test_f1", "fit_seconds"} <= set(run.data.metrics)
    assert [a.path for a in mlflow.MlflowClient().list_artifacts(logged.run_id, "figures")] == ["figures/roc.png"]
    assert len(run.inputs.dataset_inputs) == 1
    assert ws.experiment_name == "chapter-99"
    without = log_candidate(cand, run_name="no-model", log_the_model=False)
    assert without.model_info is None
    with pytest.raises(TrainingError, match="X_example"):
        log_candidate(cand, run_name="oops")
    names = mlflow.search_runs(experiment_names=[ws.experiment_name])["tags.mlflow.runName"].tolist()
    assert "oops" not in names and mlflow.active_run() is None, "refused before any run was started"
