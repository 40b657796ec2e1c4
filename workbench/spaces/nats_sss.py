"""The NATS-Bench size search space (Dong et al., TPAMI 2021): channel widths of a fixed network.

The network is NB201's macro skeleton with one fixed cell per stage; what varies is the output channel count
of its 5 layers (the stem conv and first cell, the first residual block, the second cell, the second residual
block, the third cell), each one of 8, 16, ..., 64. That is 8**5 = 32,768 configurations, written as in NATS::

    64:64:64:64:64      the largest network
    8:8:40:32:40        NATS index 284

An arch here is the tuple of the 5 channel counts. The numbering (``code``) is NATS' index: base-8 digits,
the first layer most significant, so ``8:8:8:8:16`` is 1 and ``8:8:8:16:32`` is 11.
"""
from __future__ import annotations

import itertools
import re
from typing import Any, Iterator, Sequence

import numpy as np

from workbench.errors import OutOfSpaceError
from workbench.spaces import register
from workbench.spaces._base import SearchSpace, as_choices, as_int, check_text, shorten

CHANNELS: tuple[int, ...] = (8, 16, 24, 32, 40, 48, 56, 64)
# What each width sets, in NATS' order (AutoDL-Projects' infer.shape.tiny model with N=1 cell per stage).
LAYERS: tuple[str, ...] = ("stem + cell 1", "residual block 1", "cell 2", "residual block 2", "cell 3")
_INDEX = {c: i for i, c in enumerate(CHANNELS)}
_NUMBER = re.compile(r"\s*[0-9]{1,4}\s*")  # ASCII digits only: no '+16', '1_6' or non-Latin digits


def _fail(value: Any, problem: str) -> OutOfSpaceError:
    return OutOfSpaceError(f"not a NATS size-space arch: {shorten(value)}: {problem}; accepted: 5 channel counts "
                           f"from {list(CHANNELS)} joined by ':', e.g. '64:64:64:64:64'")


@register("nats_sss")
class NATSSizeSpace(SearchSpace):
    """NATS-Bench's size space: 5 layers x 8 widths = 32,768 archs; ``build`` gives the network NATS trains."""

    name = "nats_sss"
    channels = CHANNELS
    layers = LAYERS

    # --- text --------------------------------------------------------------------------------------
    def to_string(self, arch: Any) -> str:
        return ":".join(str(c) for c in self.validate(arch))

    def from_string(self, text: str) -> tuple[int, ...]:
        check_text(text, "a NATS size-space arch", "'64:64:64:64:64'", 1_000)
        parts = text.strip().split(":")
        if len(parts) != len(LAYERS):
            raise _fail(text, f"it has {len(parts):,} part(s), expected {len(LAYERS)}")
        for part in parts:
            if not _NUMBER.fullmatch(part):
                raise _fail(text, f"part {shorten(part, 20)} is not an integer (digits 0-9)")
        return self.validate(tuple(int(p) for p in parts))

    def validate(self, arch: Any) -> tuple[int, ...]:
        if isinstance(arch, str):
            return self.from_string(arch)
        if not isinstance(arch, (tuple, list)):
            raise _fail(arch, f"expected a string or a tuple of 5 ints, got {type(arch).__name__}")
        if len(arch) != len(LAYERS):
            raise _fail(arch, f"it has {len(arch):,} layer(s), expected {len(LAYERS)}")
        out = []
        for layer, c in zip(LAYERS, arch):
            if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)) or int(c) not in _INDEX:
                raise _fail(arch, f"{layer} has {shorten(c, 30)} channels")
            out.append(int(c))
        return tuple(out)

    # --- numbering ---------------------------------------------------------------------------------
    def code(self, arch: Any) -> int:
        """NATS' index of ``arch`` (its position in ``enumerate()`` order)."""
        code = 0
        for c in self.validate(arch):
            code = code * len(CHANNELS) + _INDEX[c]
        return code

    def from_code(self, code: int) -> tuple[int, ...]:
        code = as_int(code, "a NATS size-space code", 0, self.size() - 1)
        digits = []
        for _ in LAYERS:
            code, d = divmod(code, len(CHANNELS))
            digits.append(CHANNELS[d])
        return tuple(reversed(digits))

    def size(self) -> int:
        return len(CHANNELS) ** len(LAYERS)

    def enumerate(self) -> Iterator[tuple[int, ...]]:
        return iter(itertools.product(CHANNELS, repeat=len(LAYERS)))

    # --- exploration -------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> tuple[int, ...]:
        return tuple(CHANNELS[i] for i in rng.integers(0, len(CHANNELS), size=len(LAYERS)))

    def mutate(self, arch: Any, rng: np.random.Generator) -> tuple[int, ...]:
        arch = list(self.validate(arch))
        layer = int(rng.integers(len(LAYERS)))
        choices = [c for c in CHANNELS if c != arch[layer]]
        arch[layer] = choices[int(rng.integers(len(choices)))]
        return tuple(arch)

    def neighbours(self, arch: Any) -> list[tuple[int, ...]]:
        arch = self.validate(arch)
        return [arch[:i] + (c,) + arch[i + 1:] for i in range(len(LAYERS)) for c in CHANNELS if c != arch[i]]

    def decisions(self) -> list[tuple[str, Sequence[int]]]:
        return [(f"{layer} channels", CHANNELS) for layer in LAYERS]

    def from_decisions(self, choices: Sequence[int]) -> tuple[int, ...]:
        choices = as_choices(choices, len(LAYERS), "the NATS size space")
        return tuple(CHANNELS[as_int(c, f"NATS size-space decision {i} ({layer})", 0, len(CHANNELS) - 1)]
                     for i, (c, layer) in enumerate(zip(choices, LAYERS)))

    def to_decisions(self, arch: Any) -> list[int]:
        return [_INDEX[c] for c in self.validate(arch)]

    # --- views -------------------------------------------------------------------------------------
    def to_graph(self, arch: Any):
        """A chain input -> 5 layers -> output; each layer node's ``op`` names it and its width."""
        import networkx as nx

        arch = self.validate(arch)
        g = nx.DiGraph(space=self.name, arch=self.to_string(arch))
        g.add_node(0, op="input", label="input", layer=0)
        for i, (layer, c) in enumerate(zip(LAYERS, arch), start=1):
            g.add_node(i, op=f"{layer} ({c})", label=str(c), layer=i, channels=c)
            g.add_edge(i - 1, i, op=f"{c} channels")
        g.add_node(len(LAYERS) + 1, op="output", label="output", layer=len(LAYERS) + 1)
        g.add_edge(len(LAYERS), len(LAYERS) + 1, op="classifier")
        return g

    def encode(self, arch: Any) -> np.ndarray:
        out = np.zeros((len(LAYERS), len(CHANNELS)), dtype=np.float32)
        for i, c in enumerate(self.validate(arch)):
            out[i, _INDEX[c]] = 1.0
        return out.ravel()

    # --- network -----------------------------------------------------------------------------------
    def build(self, arch: Any, num_classes: int, in_channels: int = 3, **options: Any):
        """The NATS size-space network for ``arch``: stem, cell, residual block, cell, residual block, cell
        with the 5 widths of ``arch``, each cell the fixed NATS one; parameter counts equal NATS' own.
        ``cell=`` (6 NB201 op names in edge order) swaps the cell. Any input size and channel count."""
        from workbench.nn.nats_sss import NATSSizeNetwork

        return NATSSizeNetwork(self.validate(arch), num_classes=num_classes, in_channels=in_channels, **options)
