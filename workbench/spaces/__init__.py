"""Search spaces: ``create(name, **options)``, ``names()``, and the ``SearchSpace`` interface."""
from __future__ import annotations

from workbench.errors import OutOfSpaceError
from workbench.registry import Registry
from workbench.spaces._base import Arch, SearchSpace

registry: Registry[SearchSpace] = Registry("space")
register = registry.register
names = registry.names


def create(name: str, **options) -> SearchSpace:
    """Build the search space registered as ``name``."""
    return registry.create(name, **options)


from workbench.registry import import_submodules  # noqa: E402

import_submodules(__name__, __path__)  # every public module registers itself

__all__ = ["Arch", "OutOfSpaceError", "SearchSpace", "create", "names", "register", "registry"]
