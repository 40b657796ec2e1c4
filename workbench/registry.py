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
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterable, Mapping, TypeVar

from workbench.errors import UnknownNameError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry:
    """One registered name: its factory, the spaces it serves (None: any space) and free-form metadata."""

    name: str
    factory: Callable[..., Any]
    spaces: tuple[str, ...] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """Maps names to factories; ``create(name, **options)`` builds one, a typo lists the valid names.

    Entries say which spaces they serve, so a user interface offers only combinations that can run:

    >>> from workbench import estimators
    >>> estimators.registry.supports("surrogate", "nb201")
    False
    >>> "tabular" in estimators.names(space="nb201")
    True
    """

    def __init__(self, kind: str, plural: str | None = None) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, *, spaces: Iterable[str] | None = None,
                 **meta: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: ``@registry.register("re")`` above a class or factory function.

        ``spaces`` names the search spaces the entry serves (default: the factory's own ``spaces``
        attribute where it has one, else any space); further keywords are kept as metadata."""

        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries and self._entries[name].factory is not factory:
                raise ValueError(f"{self.kind} name {name!r} is already registered")
            served = spaces if spaces is not None else getattr(factory, "spaces", None)
            if isinstance(served, str) or (served is not None and not isinstance(served, (tuple, list, frozenset, set))):
                raise TypeError(f"spaces of {self.kind} {name!r} must be a tuple of space names or None, got {served!r}")
            self._entries[name] = Entry(name, factory, None if served is None else tuple(served), dict(meta))
            return factory

        return decorate

    def names(self, *, space: str | None = None) -> list[str]:
        """Registered names, sorted; with ``space``, only those that serve that space."""
        return sorted(n for n in self._entries if space is None or self.supports(n, space))

    def entry(self, name: str) -> Entry:
        """The entry registered as ``name`` (raises UnknownNameError listing the valid names)."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            hint = difflib.get_close_matches(str(name), self._entries, n=1)
            maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}{maybe}; registered {self.plural}: {', '.join(self.names())}"
            ) from None

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name`` (raises UnknownNameError listing the valid names)."""
        return self.entry(name).factory

    def spaces(self, name: str) -> tuple[str, ...] | None:
        """The spaces ``name`` serves; None when it serves any space."""
        return self.entry(name).spaces

    def supports(self, name: str, space: str) -> bool:
        """Whether ``name`` serves the space named ``space``."""
        served = self.entry(name).spaces
        return served is None or space in served

    def why_not(self, name: str, space: str) -> str | None:
        """None when ``name`` serves ``space``; else a sentence that says which spaces it serves."""
        if self.supports(name, space):
            return None
        return f"the {name!r} {self.kind} serves the {', '.join(self.entry(name).spaces)} space(s), not {space!r}"

    def create(self, name: str, **options: Any) -> T:
        """Build the registered ``name`` with ``options`` (names and simple types checked first)."""
        from workbench.validate import check_options

        factory = self.get(name)
        check_options(factory, options, kind=self.kind, name=name)
        return factory(**options)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={self.names()})"


def import_submodules(package_name: str, package_path) -> None:
    """Import every public module of a package so that their ``@register`` decorators run.

    A new space, searcher or estimator is one new file; nothing else needs editing.
    """
    for info in pkgutil.iter_modules(package_path):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package_name}.{info.name}")
