"""Performance estimators: ``create(name, space=..., **options)``, ``names()``, ``Result``."""
from __future__ import annotations

from workbench.estimators._base import Estimator, Result
from workbench.registry import Registry

registry: Registry[Estimator] = Registry("estimator")
register = registry.register
names = registry.names


def create(name: str, *, space, **options) -> Estimator:
    """Build the estimator registered as ``name`` for ``space`` (a SearchSpace or a space name)."""
    if isinstance(space, str):
        from workbench import spaces

        space = spaces.create(space)
    return registry.create(name, space=space, **options)


from workbench.estimators import tabular as _tabular  # noqa: E402,F401
from workbench.estimators import train as _train  # noqa: E402,F401

__all__ = ["Estimator", "Result", "create", "names", "register", "registry"]
