"""Weight-sharing (one-shot) strategies, step-driven: ``create(name, space=..., data=..., **hp)``, ``names()``.

A one-shot strategy owns a supernet and its optimizers. ``step(should_stop=None)`` trains one epoch (or
a given number of batches) and returns a dict: ``metrics`` (losses, accuracies), ``alphas`` where the
method has architecture weights, ``ops``/``edges`` naming their axes, and ``arch`` (the derived arch's text).
``derive()`` returns the current arch; ``checkpoint_bytes()`` / ``load_checkpoint_bytes()`` save and restore
weights, optimizer states and alphas so a run can resume.
"""
from __future__ import annotations

from workbench.registry import Registry

registry: Registry = Registry("one-shot strategy", plural="one-shot strategies")
register = registry.register
names = registry.names


def create(name: str, *, space, **options):
    """Build the one-shot strategy registered as ``name`` for ``space`` (a SearchSpace or a space name)."""
    if isinstance(space, str):
        from workbench import spaces

        space = spaces.create(space)
    return registry.create(name, space=space, **options)


from workbench.registry import import_submodules  # noqa: E402

import_submodules(__name__, __path__)  # every public module registers itself

__all__ = ["create", "names", "register", "registry"]
