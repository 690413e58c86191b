"""mlops_edu: the helper package of the mlops-workbook, laid out like the lecture "MLOps".

``data/`` (the churn data), ``training/`` (pipeline 5.1, tuning 9.1, k-fold 9.2), ``deployment/``
(registry, validation, inference), ``business.py`` (the churn business case), ``lab/`` (the end-to-end
lab of section 10) and ``workbook/`` (chapter set-up, runner, exercises). Notebooks start with::

    from mlops_edu import setup_chapter, record
    ws = setup_chapter("02", seed=SEED)
"""

from mlops_edu.workbook.config import current_workspace, record, setup_chapter, use_experiment
from mlops_edu.workbook.workspace import ChapterWorkspace

__version__ = "0.1.0"
__all__ = ["ChapterWorkspace", "current_workspace", "record", "setup_chapter", "use_experiment", "__version__"]
