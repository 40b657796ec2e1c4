"""A small name -> factory registry, one per concept (spaces, searchers, estimators, ...).

>>> from workbench import spaces
>>> spaces.names()[:1]
['nb201']
>>> spaces.create("nb201").size()
15625
"""
from __future__ import annotations

import difflib
import importlib
import pkgutil
from typing import Any, Callable, Generic, TypeVar

from workbench.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories; ``create(name, **options)`` builds one, a typo lists the valid names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: ``@registry.register("re")`` above a class or factory function."""

        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories and self._factories[name] is not factory:
                raise ValueError(f"{self.kind} name {name!r} is already registered")
            self._factories[name] = factory
            return factory

        return decorate

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name`` (raises UnknownNameError listing the valid names)."""
        try:
            return self._factories[name]
        except (KeyError, TypeError):
            hint = difflib.get_close_matches(str(name), self._factories, n=1)
            maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}{maybe}; registered {self.kind}s: {', '.join(self.names())}"
            ) from None

    def create(self, name: str, **options: Any) -> T:
        """Build the registered ``name`` with ``options`` (names and simple types checked first)."""
        from workbench.validate import check_options

        factory = self.get(name)
        check_options(factory, options, kind=self.kind, name=name)
        return factory(**options)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={self.names()})"


def import_submodules(package_name: str, package_path) -> None:
    """Import every public module of a package so that their ``@register`` decorators run.

    A new space, searcher or estimator is one new file; nothing else needs editing.
    """
    for info in pkgutil.iter_modules(package_path):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package_name}.{info.name}")
