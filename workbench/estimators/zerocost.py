"""Zero-cost estimator: score an untrained network with a zero-cost proxy instead of training it.

Mellor et al. (ICML 2021) and Abdelfattah et al. (ICLR 2021) rank architectures from one minibatch at
initialisation, in milliseconds to seconds instead of hours. ``proxy`` is one proxy name (the objective is
its raw value; higher is better) or a mapping of names to weights, a ``Vote`` (z-scores of log-scaled values
against a fixed seeded reference sample, see ``workbench.proxies.Vote``). ``cost_s`` is the measured wall
time of the scoring; the Result's metrics hold every proxy's raw value (and ``vote`` for a vote).
"""
from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

from workbench.estimators import register
from workbench.estimators._base import Estimator, Result


@register("zerocost")
class ZeroCostEstimator(Estimator):
    """Score ``space.build(arch)`` (any space with ``build()``) by ``proxy`` on a minibatch of ``dataset``.

    ``build`` options pass through to the space (default: the benchmark's size, e.g. NB201 C=16, N=5);
    ``input_shape`` and ``num_classes`` set the network's input and output (default 3 x 32 x 32, 10 classes,
    CIFAR-10's); the ``batch_size`` images of ``dataset`` (chosen by ``seed``) are resized to ``input_shape``.
    """

    name = "zerocost"

    def __init__(self, *, space, proxy: str | Mapping[str, float] = "synflow", dataset: str = "digits",
                 batch_size: int = 64, seed: int = 0, input_shape: Sequence[int] = (3, 32, 32), num_classes: int = 10,
                 build: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None,
                 reference: int | Mapping[str, Sequence[float]] = 16) -> None:
        from workbench.errors import OutOfSpaceError
        from workbench.proxies import ProxyScorer
        from workbench.spaces._base import SearchSpace

        if getattr(type(space), "build", SearchSpace.build) is SearchSpace.build:
            raise OutOfSpaceError(f"the zerocost estimator needs a space with build(); {space.name!r} has none")
        self.space = space
        self.scorer = ProxyScorer(space, proxy, seed=seed, dataset=dataset, batch_size=batch_size,
                                  input_shape=input_shape, num_classes=num_classes, build=build, data=data,
                                  reference=reference)

    def evaluate(self, arch: Any) -> Result:
        arch = self.space.validate(arch)
        vote = self.scorer.vote() if len(self.scorer.names) > 1 else None  # the reference is not this arch's cost
        self.scorer.batch()
        start = time.perf_counter()
        values = self.scorer.values(arch)
        cost = time.perf_counter() - start
        objective = self.scorer.objective(values)
        metrics = dict(values)
        if vote is not None:
            metrics["vote"] = objective
        return Result(objective=objective, metrics=metrics, cost_s=cost)

    def options(self) -> dict[str, Any]:
        return self.scorer.config()
