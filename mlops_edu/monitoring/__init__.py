"""The monitoring pipeline (lecture 5.3) and the closed loop's signals: baselines, drift, quality, alerts.

``drift_report(reference, current)`` is the contract the ``monitor`` command and chapters 04 and 10 use.
Figures live in :mod:`mlops_edu.monitoring.plots`.
"""

from mlops_edu.monitoring.drift import (TESTS, SMALL_REFERENCE, DRIFT_SHARE, PSI_BINS, EMPTY_BIN, column_kind, psi_edges, binned_counts, psi_from_shares, psi, expected_psi_no_shift, column_statistic, default_test, is_drift)
from mlops_edu.monitoring.report import (NOT_COMPARED, DriftReport, check_same_schema, drift_report)
