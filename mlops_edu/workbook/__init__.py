"""The teaching machine: chapter set-up (:mod:`.config`, the workspace in :mod:`.workspace`), the runner
behind ``run_all.py`` (:mod:`.runner`, chapters executed by :mod:`.execution`), notebook files and the
student edition (:mod:`.notebooks`), chapter 00's guide (:mod:`.guide`) and the exercises of every chapter
(:mod:`.exercises`)."""

from mlops_edu.workbook.config import (
    current_workspace,
    record,
    setup_chapter,
    use_experiment,
)
from mlops_edu.workbook.workspace import ChapterWorkspace
