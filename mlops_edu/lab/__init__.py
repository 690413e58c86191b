"""The end-to-end lab of lecture 10 as five steps (and one headless job); it composes data/, training/ and
deployment/ and owns nothing they own. Figures: :mod:`mlops_edu.lab.plots`.
"""

from mlops_edu.lab.job import (MIN_ROWS, MIN_PER_CLASS, threshold_from, load_customers, check_learnable, LabJob, check_input, run_job, run_lab, strict_json)
from mlops_edu.lab.scoring import (holdout, batch_inference, lineage_chain)
from mlops_edu.lab.tables import (BRONZE, TRAINING, INFERENCE, PREDICTIONS, EXPERIMENT, SPLITS, INFERENCE_SHARE, CONFIGS, DROP_FROM_FEATURES, LabError, open_workspace, LabTables, write_bronze, eda, clean, assign_split, prepare_tables, history, split_frame)
from mlops_edu.lab.training import (AUTOLOG, run_tags, training_dataset, log_validation, train_configs, lab_runs, Registered, best_run, logged_model_uri, describe_run, register_best, run_contents, lineage_table)
