"""Zero-cost warm-up and move proposal for black-box searchers (Abdelfattah et al., ICLR 2021, section 5).

Warm-up: before the search proper, score ``warmup`` random archs with a zero-cost proxy and propose the
``top`` best first (regularized evolution's initial population; REINFORCE's first samples, which the
controller learns from like any told arch). Move proposal: draw ``proposals`` candidates (mutations of the
tournament winner, or samples of the controller) and propose the one the proxy scores highest.

The searcher never calls an estimator: the guide holds a proxy *scorer*, a callable arch -> float built from
the proxy registry and the space (``workbench.proxies.ProxyScorer``), or one handed in. Its archs are drawn
from a generator of its own (spawned from the searcher's seed), so enabling it does not shift the searcher's
own random stream, and its state (the scored pool, how far it has been proposed) round-trips exactly.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

#: the keys of a searcher's ``zero_cost`` option that the guide reads; the rest configure the scorer
GUIDE_KEYS = ("warmup", "top", "proposals", "proxy")


class ZeroCostGuide:
    """``zero_cost = {"proxy": "synflow", "warmup": 100, "top": 10, "proposals": 0, **scorer options}``."""

    def __init__(self, space, seed: int | None, options: Mapping[str, Any], *, top: int,
                 scorer: Callable[[Any], float] | None = None) -> None:
        opts = dict(options)
        unknown_types = [k for k in ("warmup", "proposals") if not isinstance(opts.get(k, 0), int)
                         or isinstance(opts.get(k, 0), bool) or opts.get(k, 0) < 0]
        if unknown_types:
            raise ValueError(f"zero_cost {unknown_types} must be non-negative ints, got "
                             f"{ {k: opts[k] for k in unknown_types} }")
        self.space = space
        self.warmup = int(opts.pop("warmup", 0))
        self.top = int(opts.pop("top", None) or top)
        self.proposals = int(opts.pop("proposals", 0))
        if self.top < 1:
            raise ValueError(f"zero_cost top must be >= 1, got {self.top}")
        self.proxy = opts.pop("proxy", "synflow")
        if "scorer" in opts:
            raise ValueError(f"zero_cost records a scorer that was handed in as an object ({opts['scorer']!r}); "
                             f"pass that object as the searcher's scorer=..., or give the proxy's options instead")
        self.scorer_options = opts
        self._scorer = scorer
        if scorer is None:  # fail now on a bad proxy name, not at the first ask
            from workbench.proxies._scorer import parse_proxy

            parse_proxy(self.proxy)
        self.seed = int(np.random.SeedSequence(seed).spawn(2)[1].generate_state(1)[0])
        self._pool: list[Any] | None = None
        self._next = 0

    @classmethod
    def maybe(cls, space, seed, options: Mapping[str, Any] | None, *, top: int, scorer=None) -> "ZeroCostGuide | None":
        """A guide when ``options`` asks for a warm-up or move proposals, else None (the default: off)."""
        if not options:
            return None
        if not isinstance(options, Mapping):
            raise ValueError(f"zero_cost must be a mapping such as {{'proxy': 'synflow', 'warmup': 100}}, got {options!r}")
        return cls(space, seed, options, top=top, scorer=scorer)

    @property
    def scorer(self) -> Callable[[Any], float]:
        if self._scorer is None:
            from workbench.proxies import ProxyScorer

            self._scorer = ProxyScorer(self.space, self.proxy, **self.scorer_options)
        return self._scorer

    def candidates(self) -> list[Any]:
        """The ``warmup`` distinct random archs the warm-up scores (drawn from the guide's own generator)."""
        rng = np.random.default_rng(self.seed)
        seen: dict[str, Any] = {}
        for _ in range(50 * self.warmup):
            if len(seen) >= self.warmup:
                break
            arch = self.space.sample(rng)
            seen.setdefault(self.space.to_string(arch), arch)
        return list(seen.values())

    def pool(self) -> list[Any]:
        """The ``top`` best of ``warmup`` distinct random archs by the proxy, best first (scored once)."""
        if self._pool is None:
            archs = self.candidates()
            scores = [float(self.scorer(a)) for a in archs]
            order = sorted(range(len(archs)), key=lambda i: -scores[i] if scores[i] == scores[i] else float("inf"))
            self._pool = [archs[i] for i in order[: self.top]]
        return self._pool

    def next_warm(self) -> Any | None:
        """The next warm-up arch to propose, or None once they are all proposed (or warm-up is off)."""
        if not self.warmup:
            return None
        pool = self.pool()
        if self._next >= len(pool):
            return None
        self._next += 1
        return pool[self._next - 1]

    def best(self, candidates: Sequence[Any]) -> Any:
        """The candidate the proxy scores highest (the first of equals)."""
        scores = [float(self.scorer(a)) for a in candidates]
        return candidates[int(np.nanargmax(scores))] if any(s == s for s in scores) else candidates[0]

    def options(self) -> dict[str, Any]:
        """The searcher's ``zero_cost`` option as the store records it (the searcher records ``scorer`` as None):
        with a ``ProxyScorer`` (built here or handed in) they rebuild an equal guide; a plain callable handed in
        is named under ``scorer``, which a rebuild refuses, saying why."""
        out = {"warmup": self.warmup, "top": self.top, "proposals": self.proposals}
        config = getattr(self._scorer, "config", None)
        if self._scorer is None or not callable(config):
            out.update(proxy=self.proxy, **self.scorer_options)
        else:
            out.update(config())
        if self._scorer is not None and not callable(config):
            out["scorer"] = getattr(self._scorer, "__qualname__", type(self._scorer).__name__)
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "next": self._next,
                "pool": None if self._pool is None else [self.space.to_string(a) for a in self._pool]}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.seed = int(state["seed"])
        self._next = int(state["next"])
        self._pool = None if state["pool"] is None else [self.space.from_string(a) for a in state["pool"]]
