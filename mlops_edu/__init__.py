"""mlops_edu: the helper package of the mlops-workbook (one module per idea of the lecture "MLOps").

Notebooks start with::

    from mlops_edu import setup_chapter, record
    ws = setup_chapter("02", seed=SEED)
"""


__version__ = "0.1.0"
__all__ = ["ChapterWorkspace", "current_workspace", "record", "setup_chapter", "use_experiment", "__version__"]
