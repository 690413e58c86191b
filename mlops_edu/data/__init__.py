"""The churn data (lecture 3, 4, 5, 7, 8): the Telco schema, the generator and its knobs, validation, Delta tables.
"""

from mlops_edu.data.calibration import (PUBLISHED_FACTS, calibration_table)
from mlops_edu.data.datacentric import (CONFIDENT_LEARNING_MODEL, out_of_sample_proba, find_label_issues, rank_label_suspects, detection_scores, relabel, label_rate_shift, detection_experiment, detection_summary)
from mlops_edu.data.efforts import (Scored, fit_and_score, paired_bootstrap_gain, region_of, scores_by_group, stack_months, learning_curve, curve_summary, EFFORT_KINDS, TeamData, make_team_data, effort_table)
from mlops_edu.data.events import (make_events, label_churn)
from mlops_edu.data.generator import (simulate, make_customers)
from mlops_edu.data.governance import (pseudonymise_ids, reidentify, find_ids_in_frame, find_raw_ids)
from mlops_edu.data.knobs import (Knobs, Scenario)
from mlops_edu.data.label_model import (churn_logit, churn_probability)
from mlops_edu.data.lake import (write_table, table_version, read_table, table_history, dataset_source, pseudonymise, TableRef)
from mlops_edu.data.lineage import (code_version, train_from_table, run_lineage, prediction_change)
from mlops_edu.data.months import (MonthBatch, make_months)
from mlops_edu.data.noise import (flip_labels)
from mlops_edu.data.quality import (RANGES, DirtyExtract, dirty_extract, quality_report, schema_problems)
from mlops_edu.data.schema import (TELCO_COLUMNS, TEACHING_COLUMNS, OPTIONAL_SERVICES, TARGET, ID_COLUMN, CATEGORIES, STRING_DTYPE, CANONICAL_DTYPES, MAX_TENURE, AS_OF, US_STATES, SchemaError)
from mlops_edu.data.validation import (load_telco_csv, fill_unbilled_total_charges, Rule, RULES, validate_customers)
