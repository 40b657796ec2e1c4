"""A chain of ShuffleNetV2 choice blocks: Single Path One-Shot's block search space (Guo et al., ECCV 2020).

Each of the chain's layers is one of four blocks: ShuffleNetV2 units with a 3x3, 5x5 or 7x7 depthwise
convolution, or an Xception-like unit (``workbench.nn.choice_chain``). The paper's chain has 20 layers
(4^20 archs) on ImageNet; this space is sized for a CPU: a stride-2 stem and ``stages`` (layers per stage,
default 2, 2, 2: 4^6 = 4,096 archs) whose first layer halves the resolution and doubles the width, so a
supernet trains on Fashion-MNIST in minutes. An arch is the tuple of block names, written joined by ``-``::

    3x3-7x7-xception-5x5-3x3-3x3

>>> space = spaces.create("spos_chain")
>>> net = space.build(space.sample(rng), num_classes=10, in_channels=1, channels=8)
>>> supernet = space.supernet(num_classes=10, in_channels=1)       # every block in every layer
"""
from __future__ import annotations

import itertools
from typing import Any, Iterator, Sequence

import numpy as np

from workbench.errors import OutOfSpaceError
from workbench.spaces import register
from workbench.spaces._base import SearchSpace

BLOCKS: tuple[str, ...] = ("3x3", "5x5", "7x7", "xception")  # the same names as workbench.nn.choice_chain
_INDEX = {b: i for i, b in enumerate(BLOCKS)}
_MAX_TEXT = 4096


@register("spos_chain")
class SPOSChainSpace(SearchSpace):
    """Per layer one of ``BLOCKS``; ``stages`` gives the number of layers of each stage."""

    name = "spos_chain"
    ops = BLOCKS

    def __init__(self, stages: Sequence[int] = (2, 2, 2)) -> None:
        stages = tuple(stages) if isinstance(stages, (list, tuple)) else stages
        if not isinstance(stages, tuple) or not stages or len(stages) > 5 or any(
                isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 8 for d in stages):
            raise ValueError(f"stages must be 1 to 5 stage depths, each an integer in 1..8, got {stages!r}")
        self.stages = stages
        self.layers = sum(stages)

    def __repr__(self) -> str:
        return f"SPOSChainSpace(stages={list(self.stages)})"

    def options(self) -> dict[str, Any]:
        return {"stages": list(self.stages)}

    # --- text ------------------------------------------------------------------------------------
    def to_string(self, arch: Any) -> str:
        return "-".join(self.validate(arch))

    def from_string(self, text: str) -> tuple[str, ...]:
        if not isinstance(text, str):
            raise OutOfSpaceError(f"a spos_chain arch string must be str, got {type(text).__name__}: {text!r:.80}")
        if len(text) > _MAX_TEXT:
            raise OutOfSpaceError(f"not a spos_chain arch string: {len(text)} characters (at most {_MAX_TEXT})")
        tokens = text.strip().split("-")
        return self._check(tuple(t.strip() for t in tokens), text)

    def _check(self, ops: tuple, original: Any) -> tuple[str, ...]:
        shown = repr(original)[:120]
        if len(ops) != self.layers:
            raise OutOfSpaceError(f"not a spos_chain arch: {shown} has {len(ops)} layer(s), this space has "
                                  f"{self.layers} ({'-'.join(['3x3'] * self.layers)}, stages {list(self.stages)})")
        for i, op in enumerate(ops):
            if not isinstance(op, str) or op not in _INDEX:
                raise OutOfSpaceError(f"not a spos_chain arch: {shown}: layer {i} is {op!r:.40}; accepted blocks: "
                                      f"{', '.join(BLOCKS)}")
        return ops

    def validate(self, arch: Any) -> tuple[str, ...]:
        if isinstance(arch, str):
            return self.from_string(arch)
        if isinstance(arch, (tuple, list)) and len(arch) <= 64:
            return self._check(tuple(arch), arch)
        raise OutOfSpaceError(f"not a spos_chain arch: {arch!r:.120}; expected {self.layers} block names "
                              f"({', '.join(BLOCKS)}) as a tuple or joined by '-'")

    # --- exploration -----------------------------------------------------------------------------
    def size(self) -> int:
        return len(BLOCKS) ** self.layers

    def enumerate(self) -> Iterator[tuple[str, ...]]:
        return iter(itertools.product(BLOCKS, repeat=self.layers))

    def sample(self, rng: np.random.Generator) -> tuple[str, ...]:
        return tuple(BLOCKS[int(k)] for k in rng.integers(len(BLOCKS), size=self.layers))

    def mutate(self, arch: Any, rng: np.random.Generator) -> tuple[str, ...]:
        arch = list(self.validate(arch))
        i = int(rng.integers(self.layers))
        arch[i] = [b for b in BLOCKS if b != arch[i]][int(rng.integers(len(BLOCKS) - 1))]
        return tuple(arch)

    def neighbours(self, arch: Any) -> list[tuple[str, ...]]:
        arch = self.validate(arch)
        return [arch[:i] + (b,) + arch[i + 1:] for i in range(self.layers) for b in BLOCKS if b != arch[i]]

    def decisions(self) -> list[tuple[str, Sequence[str]]]:
        return [(f"layer {i}", BLOCKS) for i in range(self.layers)]

    def from_decisions(self, choices: Sequence[int]) -> tuple[str, ...]:
        try:
            values = [int(c) for c in choices]
        except (TypeError, ValueError, OverflowError):
            raise OutOfSpaceError(f"spos_chain decisions must be integers, got {choices!r:.120}") from None
        if len(values) != self.layers or any(not 0 <= c < len(BLOCKS) for c in values):
            raise OutOfSpaceError(f"spos_chain decisions must be {self.layers} integers in 0..{len(BLOCKS) - 1}, "
                                  f"got {choices!r:.120}")
        return tuple(BLOCKS[c] for c in values)

    def to_decisions(self, arch: Any) -> list[int]:
        return [_INDEX[b] for b in self.validate(arch)]

    # --- views -----------------------------------------------------------------------------------
    def to_graph(self, arch: Any):
        import networkx as nx

        arch = self.validate(arch)
        g = nx.DiGraph(space=self.name, arch=self.to_string(arch))
        g.add_node(0, op="input", label="stem", layer=0)
        for i, op in enumerate(arch, start=1):
            g.add_node(i, op="output" if i == self.layers else "feature", label=str(i), layer=i)
            g.add_edge(i - 1, i, op=op)
        return g

    def encode(self, arch: Any) -> np.ndarray:
        out = np.zeros((self.layers, len(BLOCKS)), dtype=np.float32)
        out[np.arange(self.layers), self.to_decisions(arch)] = 1.0
        return out.ravel()

    # --- networks --------------------------------------------------------------------------------
    def build(self, arch: Any, num_classes: int, in_channels: int = 3, *, channels: int = 8, **options: Any):
        """The stand-alone chain: stem width ``channels``, stage widths ``2, 4, 8 x channels``."""
        from workbench.nn.choice_chain import ChoiceChain

        return ChoiceChain([(b,) for b in self.validate(arch)], num_classes, in_channels, channels=channels,
                           stages=self.stages, **options)

    def supernet_options(self) -> dict[str, Any]:
        return {"channels": 8, "track_running_stats": True}

    def supernet(self, num_classes: int, in_channels: int = 3, **options: Any):
        """Every block in every layer (``ChoiceChain`` with all of ``BLOCKS`` per layer)."""
        from workbench.nn.choice_chain import ChoiceChain

        return ChoiceChain([BLOCKS] * self.layers, num_classes, in_channels, stages=self.stages,
                           **self._supernet_kwargs(options))

    def derive(self, weights: Any, ops: Sequence[str] = BLOCKS) -> tuple[str, ...]:
        """The block of largest weight in each layer; ``weights`` is ``{"layers": (layers x blocks)}``."""
        w = np.asarray(weights["layers"] if isinstance(weights, dict) else weights, dtype=np.float64)
        return self.validate(tuple(ops[int(k)] for k in w.argmax(axis=-1)))
