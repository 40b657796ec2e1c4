"""``ProxyScorer``: arch -> proxy value, building the space's own network; ``Vote``: several proxies as one.

A scorer is what a searcher's zero-cost warm-up and the ``zerocost`` estimator share. It is not an
estimator: it returns a bare float (or a dict of raw values), charges nothing and records nothing.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np


def signed_log(value: float) -> float:
    """sign(v) * log(1 + |v|): puts proxies whose values span many orders of magnitude on one scale."""
    return math.copysign(math.log1p(abs(value)), value)


class Vote:
    """A weighted vote of several proxies, free of their units and scales.

    A weighted sum of raw values would be meaningless: synflow spans 1e10..1e40, naswot a few hundred,
    jacob_cov is negative. Each raw value v is first put on a log scale, t = sign(v) log(1 + |v|), then
    standardised against a fixed reference: z = (t - mean_t) / std_t, mean and std taken over the proxy's
    values on a seeded reference sample of the space. The vote is sum_i w_i z_i / sum_i |w_i|. The reference
    is fixed, so an arch's vote does not depend on which archs were scored before it (a running reference
    would make the same arch score differently over a search). Negative weights turn a proxy around.
    """

    def __init__(self, weights: Mapping[str, float], reference: Mapping[str, Sequence[float]]) -> None:
        self.weights = {str(k): float(w) for k, w in weights.items()}
        missing = [k for k in self.weights if k not in reference]
        if missing:
            raise ValueError(f"the vote's reference lacks {missing}; it holds {sorted(reference)}")
        self.reference = {k: (float(reference[k][0]), float(reference[k][1])) for k in self.weights}
        self.total = sum(abs(w) for w in self.weights.values()) or 1.0

    @classmethod
    def from_samples(cls, weights: Mapping[str, float], samples: Mapping[str, Sequence[float]]) -> "Vote":
        """Reference mean and std of the log-scaled values of each proxy's ``samples``."""
        reference = {}
        for name, values in samples.items():
            t = np.array([signed_log(v) for v in values if math.isfinite(v)], dtype=float)
            if t.size == 0:
                raise ValueError(f"proxy {name!r} gave no finite value on the reference sample")
            std = float(t.std())
            reference[name] = (float(t.mean()), std if std > 0 else 1.0)
        return cls(weights, reference)

    def __call__(self, values: Mapping[str, float]) -> float:
        total = 0.0
        for name, w in self.weights.items():
            mean, std = self.reference[name]
            v = values[name]
            z = (signed_log(v) - mean) / std if math.isfinite(v) else (-10.0 if v < 0 else 10.0)
            total += w * z
        return total / self.total


def parse_proxy(proxy: str | Mapping[str, float]) -> dict[str, float]:
    """``"synflow"`` -> {"synflow": 1.0}; a mapping of names to weights is checked against the registry."""
    from workbench import proxies

    weights = {proxy: 1.0} if isinstance(proxy, str) else dict(proxy) if isinstance(proxy, Mapping) else None
    if not weights:
        raise ValueError(f"proxy must be a proxy name or a non-empty mapping of names to weights, got {proxy!r}; "
                         f"proxies: {', '.join(proxies.names())}")
    for name, w in weights.items():
        proxies.registry.get(name)  # UnknownNameError lists the valid names
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w):
            raise ValueError(f"the weight of proxy {name!r} must be a finite number, got {w!r}")
    return {k: float(w) for k, w in weights.items()}


class ProxyScorer:
    """Score archs of ``space`` by a proxy (or a ``Vote`` of proxies): ``scorer(arch) -> float``.

    The network is ``space.build(arch, num_classes, in_channels, **build)`` (the benchmark's size by default:
    NB201 is C=16, N=5 for 3 x 32 x 32 images and 10 classes), initialised with PyTorch's default scheme from
    a ``torch.Generator`` seeded with ``seed`` (the global generator is left as it was). Data-dependent proxies
    see ``batch_size`` images of ``dataset`` chosen by ``seed`` and adapted to ``input_shape``. Values are
    memoised per arch (they are deterministic).
    """

    def __init__(self, space, proxy: str | Mapping[str, float] = "synflow", *, seed: int = 0,
                 dataset: str = "digits", batch_size: int = 64, input_shape: Sequence[int] = (3, 32, 32),
                 num_classes: int = 10, build: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None,
                 reference: int | Mapping[str, Sequence[float]] = 16) -> None:
        from workbench import proxies

        self.space = space
        self.weights = parse_proxy(proxy)
        self.proxy = proxy if isinstance(proxy, str) else dict(self.weights)
        self.seed = int(seed)
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.input_shape = tuple(int(v) for v in input_shape)
        if len(self.input_shape) != 3:
            raise ValueError(f"input_shape must be (channels, height, width), got {input_shape!r}")
        self.num_classes = int(num_classes)
        self.build_options = dict(build or {})
        self.data_options = dict(data or {})
        self.needs_data = any(name not in proxies.DATA_FREE for name in self.weights)
        self.reference = reference
        self._vote: Vote | None = None
        self._batch = None
        self._memo: dict[str, dict[str, float]] = {}

    @property
    def names(self) -> list[str]:
        return list(self.weights)

    def batch(self):
        """The fixed minibatch (random-free zeros of the input shape when every proxy is data-free)."""
        if self._batch is None:
            import torch

            from workbench import proxies

            if self.needs_data:
                self._batch = proxies.batch(self.dataset, self.batch_size, self.seed, self.input_shape,
                                            **self.data_options)
            else:
                self._batch = (torch.zeros((self.batch_size, *self.input_shape)),
                               torch.zeros(self.batch_size, dtype=torch.long))
        return self._batch

    def network(self, arch):
        """The space's network for ``arch``, initialised from ``seed`` (global random state untouched)."""
        import torch

        from workbench.proxies._common import default_init_, generator

        with torch.random.fork_rng(devices=[]):
            net = self.space.build(self.space.validate(arch), num_classes=self.num_classes,
                                   in_channels=self.input_shape[0], **self.build_options)
        return default_init_(net, generator(self.seed))

    def values(self, arch) -> dict[str, float]:
        """Every proxy's raw value for ``arch``."""
        key = self.space.to_string(arch)  # not key(): isomorphic cells differ in params and flops
        if key not in self._memo:
            from workbench import proxies

            net = self.network(arch)
            batch = self.batch()
            self._memo[key] = {name: proxies.compute(name, net, batch, seed=self.seed) for name in self.weights}
        return dict(self._memo[key])

    def preload(self, values: Mapping[str, Mapping[str, float]]) -> int:
        """Remember values computed elsewhere with this scorer's configuration (e.g. a cache written by
        ``benchmarks/zero_cost_scores.py`` for the same network, seed and batch): arch string -> {proxy: v}.
        Entries lacking one of this scorer's proxies are skipped; returns how many were taken."""
        taken = 0
        for text, row in values.items():
            if all(name in row for name in self.weights):
                self._memo[self.space.to_string(text)] = {name: float(row[name]) for name in self.weights}
                taken += 1
        return taken

    def vote(self) -> Vote:
        """The vote over this scorer's proxies (its reference computed on first use)."""
        if self._vote is None:
            if isinstance(self.reference, Mapping):
                self._vote = Vote(self.weights, self.reference)
            else:
                rng = np.random.default_rng(np.random.SeedSequence(self.seed).spawn(1)[0])
                samples: dict[str, list[float]] = {name: [] for name in self.weights}
                for _ in range(int(self.reference)):
                    for name, v in self.values(self.space.sample(rng)).items():
                        samples[name].append(v)
                self._vote = Vote.from_samples(self.weights, samples)
        return self._vote

    def objective(self, values: Mapping[str, float]) -> float:
        """One proxy: its raw value; several: their vote."""
        if len(self.weights) == 1:
            (name, w), = self.weights.items()
            return math.copysign(1.0, w) * values[name]
        return self.vote()(values)

    def __call__(self, arch) -> float:
        return self.objective(self.values(arch))

    def config(self) -> dict[str, Any]:
        """The constructor's options, JSON-able: ``ProxyScorer(space, **config())`` scores the same."""
        return {"proxy": self.proxy, "seed": self.seed, "dataset": self.dataset, "batch_size": self.batch_size,
                "input_shape": list(self.input_shape), "num_classes": self.num_classes, "build": dict(self.build_options),
                "data": dict(self.data_options),
                "reference": ({k: list(v) for k, v in self.reference.items()} if isinstance(self.reference, Mapping)
                              else int(self.reference))}

    def __repr__(self) -> str:
        return f"ProxyScorer({self.space.name!r}, {self.proxy!r}, seed={self.seed})"
