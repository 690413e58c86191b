"""The churn data (lecture 3, 4, 5, 7, 8): the Telco schema, the generator and its knobs, validation, Delta tables.
"""

from mlops_edu.data.calibration import PUBLISHED_FACTS, calibration_table
from mlops_edu.data.events import label_churn, make_events
from mlops_edu.data.generator import make_customers, simulate
from mlops_edu.data.knobs import Knobs, Scenario
from mlops_edu.data.label_model import churn_logit, churn_probability
from mlops_edu.data.lake import (
    MedallionResult,
    TableRef,
    dataset_source,
    medallion,
    pseudonymise,
    read_table,
    table_history,
    table_version,
    write_table,
)
from mlops_edu.data.months import MonthBatch, make_months
from mlops_edu.data.noise import flip_labels
from mlops_edu.data.schema import (
    AS_OF,
    CANONICAL_DTYPES,
    CATEGORIES,
    ID_COLUMN,
    MAX_TENURE,
    OPTIONAL_SERVICES,
    STRING_DTYPE,
    TARGET,
    TEACHING_COLUMNS,
    TELCO_COLUMNS,
    US_STATES,
    SchemaError,
)
from mlops_edu.data.validation import (
    RULES,
    Rule,
    fill_unbilled_total_charges,
    load_telco_csv,
    validate_customers,
)
