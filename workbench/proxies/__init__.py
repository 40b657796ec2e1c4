"""Zero-cost proxies: score an untrained network from one minibatch (or from no data at all).

Each proxy is a pure function ``proxy(network, batch, *, seed) -> float`` registered under its name; higher
means "predicted better" (the sign conventions of Abdelfattah et al.'s zero-cost-nas code). A proxy never
changes the caller's network (it works on a copy when it must alter weights or layers), draws any random
numbers from a ``torch.Generator`` seeded with ``seed``, and touches no global random state.

>>> from workbench import proxies
>>> proxies.names()
['fisher', 'flops', 'grad_norm', 'grasp', 'jacob_cov', 'naswot', 'params', 'snip', 'synflow', 'zen']
>>> scorer = proxies.ProxyScorer(space, "synflow")        # arch -> float, builds the space's own network
>>> scorer(arch)

``batch(dataset, size, seed, shape)`` draws the fixed minibatch the data-dependent proxies see.
This package imports torch lazily: importing it costs nothing until a proxy runs.
"""
from __future__ import annotations

from typing import Any, Callable

from workbench.registry import Registry

Proxy = Callable[..., float]

registry: Registry[float] = Registry("proxy")
register = registry.register
names = registry.names

#: proxies that ignore the batch's values (only its shape matters)
DATA_FREE = frozenset({"synflow", "zen", "params", "flops"})


def compute(name: str, network, batch, *, seed: int = 0, **options: Any) -> float:
    """Run the proxy registered as ``name`` on ``network`` with ``batch`` = ``(x, y)``."""
    return float(registry.get(name)(network, batch, seed=seed, **options))


from workbench.registry import import_submodules  # noqa: E402

import_submodules(__name__, __path__)  # every public module registers itself

from workbench.proxies._data import batch  # noqa: E402
from workbench.proxies._scorer import ProxyScorer, Vote  # noqa: E402

__all__ = ["DATA_FREE", "ProxyScorer", "Vote", "batch", "compute", "names", "register", "registry"]
