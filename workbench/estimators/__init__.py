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


from workbench.registry import import_submodules  # noqa: E402

import_submodules(__name__, __path__)  # every public module registers itself

__all__ = ["Estimator", "Result", "create", "names", "register", "registry"]
