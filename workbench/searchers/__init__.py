"""Black-box search strategies (ask/tell): ``create(name, space=..., seed=..., **hp)``, ``names()``."""
from __future__ import annotations

from workbench.registry import Registry
from workbench.searchers._base import Searcher

registry: Registry[Searcher] = Registry("searcher")
register = registry.register
names = registry.names


def create(name: str, *, space, seed: int | None = None, **hyperparameters) -> Searcher:
    """Build the searcher registered as ``name`` for ``space`` (a SearchSpace or a space name).
    ``create(s.name, space=s.space, **s.options())`` rebuilds an equal searcher."""
    if isinstance(space, str):
        from workbench import spaces

        space = spaces.create(space)
    return registry.create(name, space=space, seed=seed, **hyperparameters)


from workbench.registry import import_submodules  # noqa: E402

import_submodules(__name__, __path__)  # every public module registers itself

__all__ = ["Searcher", "create", "names", "register", "registry"]
