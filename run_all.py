"""Instructors' entry point: re-execute every workbook chapter (see `python run_all.py --help`)."""

import sys

from mlops_edu.workbook.runner import main

if __name__ == "__main__":
    sys.exit(main())
