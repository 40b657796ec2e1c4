"""Exceptions of the workbench: each message names the bad value and what is accepted."""
from __future__ import annotations


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""


class OutOfSpaceError(WorkbenchError, ValueError):
    """An architecture (or its text) is not a member of the search space it was given to."""


class UnknownNameError(WorkbenchError, ValueError):
    """A registry was asked for a name it does not hold."""


class DataError(WorkbenchError, OSError):
    """A data or benchmark file is missing, truncated or of a foreign format."""


class BudgetError(WorkbenchError, ValueError):
    """A budget was malformed (negative, empty, unknown unit)."""


class EvaluationError(WorkbenchError, RuntimeError):
    """An evaluation could not produce a usable result (for example a NaN loss)."""
