"""Deployment (lecture 5.2, 6, 10): the model registry, the Challenger's validation and promotion, batch inference.
"""

from mlops_edu.deployment.abtest import (assign_arms, simulate_outcomes, two_proportion_test, sample_size, power_of, ab_test)
from mlops_edu.deployment.approval import (APPROVAL_TAG, APPROVED, PENDING, APPROVER_TAG, ApprovalRequired, request_approval, approve, approval_status, promote_approved)
from mlops_edu.deployment.client import (JSON, FORMATS, ScoringError, BadRequest, InputError, to_payload, classify, check_frame, ScoringClient, probe)
from mlops_edu.deployment.environments import (ENVIRONMENTS, CUSTOMERS, NEW_PAYMENT, RENAMED_SHARE, RECENT_TENURE, DataAccessError, Environment, Platform, rename_payment, make_platform)
from mlops_edu.deployment.inference import (PREDICTION_COLUMN, PROBABILITY_COLUMN, ENGINES, InferenceError, input_columns, score_pandas, spark_available, spark_session, score_spark, batch_score)
from mlops_edu.deployment.latency import (QUANTILES, time_calls, latency_summary, throughput, compare_throughput)
from mlops_edu.deployment.offers import (OFFER_TABLE, LIST_COLUMNS, offer_list, nightly_offer_list, offer_policy_table, break_even_probability)
from mlops_edu.deployment.patterns import (EXPERIMENT, PROMOTED_FROM, DataContractError, unknown_categories, check_contract, TrainingOutcome, training_code, holdout, promote_artifact, copy_across_stores, lineage_table)
from mlops_edu.deployment.registry import (MODEL_NAME, CHAMPION, CHALLENGER, ARCHIVED_TAG, PREVIOUS_CHAMPION_TAG, RegistryError, model_uri, register, set_alias, version_by_alias, aliases, versions_table, lineage, rollback, route_event_messages)
from mlops_edu.deployment.report import (MIN_DESCRIPTION, CHECKS, GAINS, PromotionRule, Check, ValidationReport)
from mlops_edu.deployment.rollout import (CHAMPION_ARM, CHALLENGER_ARM, Guardrails, Request, Router, arm_stats, run_canary, BlueGreen, agreement, routed_share)
from mlops_edu.deployment.serve_workspace import (DEFAULT_PORT, WorkspaceError, workspace_store, resolve_alias, example_request, curl_command, serve_workspace)
from mlops_edu.deployment.serving import (HOST, STARTUP_TIMEOUT, STOP_TIMEOUT, UNSET, ServerError, free_port, port_is_free, absolute_tracking_uri, serve_command, server_env, ping, ModelServer, start_servers, stop_servers, running_servers, scoring_processes)
from mlops_edu.deployment.streaming import (EVENT_TIME, LABEL_TIME, arrivals, micro_batches, StreamResult, run_stream, watermark_tradeoff, write_micro_batches, spark_stream)
from mlops_edu.deployment.validation import (evaluate_version, check_description, load_version, check_signature, check_inference, check_f1_floor, check_gain, compare, write_validation_tags, validate_challenger, Promotion, promote)
