"""NAS Workbench: search spaces x search strategies x performance estimators, run live or in batch."""
from __future__ import annotations

from workbench._version import __version__
from workbench.errors import (BudgetError, DataError, EvaluationError, OutOfSpaceError, UnknownNameError,
                              WorkbenchError)

__all__ = ["Budget", "BudgetError", "DataError", "EvaluationError", "OutOfSpaceError", "Run",
           "UnknownNameError", "WorkbenchError", "__version__", "study"]


def __getattr__(name: str):
    if name in ("Run", "Budget"):
        from workbench import runs

        return getattr(runs, name)
    if name == "study":  # many searches over one table in one process (workbench.studies)
        from workbench.studies import study

        return study
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
