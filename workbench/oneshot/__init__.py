"""Weight-sharing (one-shot) strategies, step-driven: ``create(name, space=..., data=..., **options)``, ``names()``.

Every strategy implements ``OneShotStrategy`` (``workbench.oneshot._base``): ``step(should_stop=None)``
trains one epoch (or ``batches_per_step`` batches) and returns a frozen ``EpochReport``
(``workbench.records``: metrics with accuracies in percent, the ``ArchDistribution`` (alphas, controller
probabilities or choice counts, with named axes), the derived arch's text, ``partial`` for a step stopped
inside an epoch); ``derive()`` returns the current arch; ``state_dict()`` / ``load_state_dict()`` (and
``checkpoint_bytes()``) save and restore weights, optimizer states, architecture parameters, random
generators and the position inside an epoch; ``options()`` lists its options. The space provides the
supernet (``space.supernet()``) and the rule that derives an arch (``space.derive()``). A ``Run`` given an
estimator estimates each epoch's derived arch with it.
"""
from __future__ import annotations

from workbench.oneshot._base import OneShotStrategy
from workbench.registry import Registry

registry: Registry = Registry("one-shot strategy", plural="one-shot strategies")
register = registry.register
names = registry.names


def create(name: str, *, space, **options):
    """Build the one-shot strategy registered as ``name`` for ``space`` (a SearchSpace, a space name, or a
    ``{"name": ..., "options": {...}}`` dict as ``Run`` takes)."""
    if isinstance(space, (str, dict)):
        from workbench import spaces

        space = spaces.create(space) if isinstance(space, str) else spaces.create(space["name"],
                                                                                  **space.get("options", {}))
    return registry.create(name, space=space, **options)


from workbench.registry import import_submodules  # noqa: E402

import_submodules(__name__, __path__)  # every public module registers itself

__all__ = ["OneShotStrategy", "create", "names", "register", "registry"]
