"""The monitoring pipeline (lecture 5.3): baseline profiles, drift tests, label-free quality estimates, alerts.
"""

from mlops_edu.monitoring.alerts import (SIGNALS, ACTIONS, AlertRuleError, Rule, parse_rules, load_rules, Alert, AlertLog)
from mlops_edu.monitoring.cli import (read_batch, run_monitor)
from mlops_edu.monitoring.drift import (TESTS, NUMERIC_ONLY, SMALL_REFERENCE, DRIFT_SHARE, PSI_BINS, EMPTY_BIN, REPORT_COLUMNS, column_kind, psi_edges, binned_counts, psi_from_shares, psi, expected_psi_no_shift, column_statistic, default_test, is_drift)
from mlops_edu.monitoring.performance import (Calibrator, fit_calibrator, expected_counts, estimate_quality, realised_quality)
from mlops_edu.monitoring.profiles import (QUANTILES, PROFILE_ARTIFACT, ColumnProfile, Profile, profile, log_profile, load_profile, profile_json)
from mlops_edu.monitoring.report import (NOT_COMPARED, DriftReport, check_same_schema, drift_report)
from mlops_edu.monitoring.sampling import (sample_size_table, false_alarms)
from mlops_edu.monitoring.service import (PROBABILITY, PREDICTION, ServiceError, ScoringService, score_batches)
from mlops_edu.monitoring.shifts import (COMPETITOR_SEGMENT, KINDS, weighted_sample, younger_weights, resample_inputs, label_shift, concept_shift, charges_in_cents, Drift, drift_months)
from mlops_edu.monitoring.system import (SYSTEM_SIGNALS, read_request_log, Window, send_window, label_windows, windows_table, window_signals, process_signals, cpu_seconds)
from mlops_edu.monitoring.timeline import (Monitor, monitor_months, known_signals, labelled_frame)
