"""The training pipeline (lecture 5.1, 9.1, 9.2): features, models, metrics, tracking, k-fold, tuning.

Figures live in :mod:`mlops_edu.training.plots` (``from mlops_edu.training import plots``).
"""

from mlops_edu.training.benchmark import (Axis, TableSpace, BENCHMARK_SPACE, SMALL_SPACE, configurations, grid_configurations, grid_size, TabularBenchmark, objective_key, build_benchmark)
from mlops_edu.training.bootstrap import (MIN_RESAMPLES, STATISTICS, Statistic, Interval, paired_bootstrap, interval_gate)
from mlops_edu.training.candidates import (Split, split_dataset, Candidate, LABELS, fit_candidate, train_candidates, comparison_table, best_candidate, SIMPLEST_FIRST, kfold_table, simplest_within_one_se)
from mlops_edu.training.crossval import (kfold_passes, kfold_pass_table, single_split_score, split_vs_kfold, spread_summary, fold_churn_rates, fold_rate_spread)
from mlops_edu.training.diagnostics import (CAPACITY_PARAMS, capacity_curve, best_capacity, churn_drivers, NOT_APPLICABLE)
from mlops_edu.training.distributed import (STUDY, SAMPLERS, DistributedRun, run_optuna_workers, worker_main, build_benchmark_distributed, spark_trials_search)
from mlops_edu.training.features import (BOOLEAN_COLUMNS, NUMERIC_COLUMNS, CATEGORICAL_COLUMNS, ENGINEERED_COLUMNS, FEATURE_REASONS, TENURE_BUCKETS, FeatureError, add_features, FeatureAdder, split_xy, feature_types, YesNoEncoder, CategoryCleaner, build_preprocessor)
from mlops_edu.training.kfold import (FoldScores, make_folds, Preprocessed, prepare, fold_matrices, KFoldObjective, kfold_f1)
from mlops_edu.training.metrics import (THRESHOLD_METRICS, confusion_counts, metric_from_counts, classification_metrics, GateDecision, deploy_gate, best_threshold)
from mlops_edu.training.models import (MODEL_KINDS, DEFAULT_PARAMS, METRIC_NAMES, TrainingError, model_params, make_model)
from mlops_edu.training.optimism import (OptimismResult, random_configs, optimism_of_picking_on_test, simulate_test_picking, NestedCVResult, nested_cv)
from mlops_edu.training.replays import (replay, Replays, replay_methods, verdict_table, log_replays)
from mlops_edu.training.search_space import (Objective, METHODS, METHOD_LABELS, TuningError, Param, SearchSpace, DEFAULT_SPACE, grid_points)
from mlops_edu.training.tracking import (pip_requirements, trusted_types, log_model, CandidateRun, log_candidate, log_search)
from mlops_edu.training.tune import (Trial, SearchResult, lecture_grid_loop, grid_search, random_search, tpe_search, optuna_search, genetic_search, run_searches, grid_cost_table)
