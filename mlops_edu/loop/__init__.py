"""The closed loop of lecture 8 and the ML pipeline overview: monthly batches through ingest, validation,
scoring, monitoring, alerts, retraining, validation, promotion and deployment, at different maturity levels.
"""

from mlops_edu.loop.engine import STATIC_CHECKS, ClosedLoop, Deployed, LoopConfig
from mlops_edu.loop.faults import alias_history, charges_fixed, reconcile, renamed_column_model
from mlops_edu.loop.levels import LEVEL_1, LEVEL_3, Level
from mlops_edu.loop.report import first_month, level_summary, levels_table, value_difference
