"""NAS Workbench: search spaces x search strategies x performance estimators, run live or in batch.

>>> import workbench as wb
>>> wb.spaces.create("nb201").size()        # subpackages load on first use (torch only where needed)
15625
>>> run = wb.Run(space="nb201", searcher="re", estimator="tabular", budget=wb.Budget(evaluations=50))
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from workbench._version import __version__
from workbench.errors import (BudgetError, DataError, EvaluationError, OutOfSpaceError, UnknownNameError,
                              WorkbenchError)

#: names re-exported from a subpackage, also loaded on first access
_LAZY_NAMES = {"Run": "runs", "Budget": "runs", "RunStatus": "runs", "Result": "records", "study": "studies"}

__all__ = ["Budget", "BudgetError", "DataError", "EvaluationError", "OutOfSpaceError", "Result", "Run", "RunStatus",
           "UnknownNameError", "WorkbenchError", "__version__", "study"]


def submodules() -> list[str]:
    """The public subpackages and modules, which ``workbench.<name>`` imports on first access (so ``import
    workbench`` stays light: torch loads only with the parts that train)."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))


def __getattr__(name: str) -> Any:
    if not name.startswith("_") and name in submodules():
        return importlib.import_module(f"{__name__}.{name}")  # also binds it as an attribute of this package
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(submodules()))
