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


from workbench.spaces import nb201 as _nb201  # noqa: E402,F401  (registers "nb201")

__all__ = ["Arch", "OutOfSpaceError", "SearchSpace", "create", "names", "register", "registry"]
