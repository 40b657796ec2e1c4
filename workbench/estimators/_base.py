"""The estimator interface: ``evaluate(arch) -> Result``."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from workbench.records import Result


class Estimator(ABC):
    """Base class: ``evaluate(arch)`` returns a ``Result``. ``space`` is the space the estimator serves."""

    name: str = ""
    #: names of the spaces this estimator accepts; None means any space
    spaces: tuple[str, ...] | None = None

    def check_space(self, space) -> None:
        """Raise a clear error if ``space`` is not one this estimator can evaluate."""
        from workbench.errors import OutOfSpaceError

        if self.spaces is not None and getattr(space, "name", None) not in self.spaces:
            raise OutOfSpaceError(
                f"the {self.name!r} estimator serves the {', '.join(self.spaces)} space(s), "
                f"not {getattr(space, 'name', space)!r}"
            )

    @abstractmethod
    def evaluate(self, arch: Any) -> Result:
        """Estimate the performance of ``arch``."""

    def options(self) -> dict[str, Any]:
        """The constructor's options, JSON-able: with the space they rebuild an equal estimator,
        ``estimators.create(e.name, space=e.space, **e.options())`` (a run records them in its store)."""
        return {}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}({opts})"
