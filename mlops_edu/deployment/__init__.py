"""Deployment (lecture 5.2, 6, 10): the model registry, the Challenger's validation and promotion, batch inference.
"""

from mlops_edu.deployment.inference import (PREDICTION_COLUMN, PROBABILITY_COLUMN, ENGINES, InferenceError, input_columns, score_pandas, spark_available, spark_session, score_spark, batch_score)
from mlops_edu.deployment.registry import (MODEL_NAME, CHAMPION, CHALLENGER, ARCHIVED_TAG, PREVIOUS_CHAMPION_TAG, RegistryError, model_uri, register, set_alias, version_by_alias, aliases, versions_table, lineage, rollback, route_event_messages)
from mlops_edu.deployment.report import (MIN_DESCRIPTION, CHECKS, GAINS, PromotionRule, Check, ValidationReport)
from mlops_edu.deployment.validation import (evaluate_version, check_description, load_version, check_signature, check_inference, check_f1_floor, check_gain, compare, write_validation_tags, validate_challenger, Promotion, promote)
