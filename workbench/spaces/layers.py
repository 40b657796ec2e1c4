"""The layer-sequence space of the first NAS papers: plain chains of layers (NAS-RL, MetaQNN).

Zoph & Le (ICLR 2017, "Neural Architecture Search with Reinforcement Learning") let an LSTM emit a
convolutional network layer by layer: filter size, number of filters, stride, and "anchor points" that
connect a layer to any earlier one (skip connections, concatenated along channels). Baker et al. (ICLR 2017,
"Designing Neural Network Architectures using Reinforcement Learning", MetaQNN) chose layers with
Q-learning from convolution, pooling and fully connected layers, ending in the classifier.

An arch here is a tuple of ``Layer`` values, written one token per layer joined by ``" | "``::

    conv3-16 | conv5-32-s2 | conv3-32+1 | pool2-s2 | fc64
    ^ 3x3, 16 filters       ^ skip input from layer 1 (concatenated)     ^ 64 units

Rules (checked by ``validate`` with errors that name the layer): at least one layer, at most
``max_depth``; no convolution or pooling after a fully connected layer, at most ``max_fc`` of them, and
only where the feature map is at most ``fc_max_size`` pixels wide (MetaQNN's rule); no downsampling of a
1x1 map; a skip must come from an earlier convolution or pooling layer whose output has the size of this
layer's input. Every conv/pool layer maps size ``R`` to ``ceil(R / stride)``, so sizes depend only on
the product of strides and ``build`` works for any input size.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from workbench.errors import OutOfSpaceError
from workbench.spaces import register
from workbench.spaces._base import SearchSpace, as_choices, as_int, check_text, shorten

KINDS = ("conv", "pool", "fc")


@dataclass(frozen=True, order=True)
class Layer:
    """One layer: ``conv`` (kernel, filters, stride, skips), ``pool`` (kernel, stride) or ``fc`` (units)."""

    kind: str
    kernel: int = 0
    filters: int = 0
    stride: int = 1
    units: int = 0
    skips: tuple[int, ...] = ()

    def text(self) -> str:
        if self.kind == "conv":
            s = f"conv{self.kernel}-{self.filters}" + (f"-s{self.stride}" if self.stride != 1 else "")
            return s + "".join(f"+{j}" for j in self.skips)
        if self.kind == "pool":
            return f"pool{self.kernel}-s{self.stride}"
        return f"fc{self.units}"


def conv(kernel: int, filters: int, stride: int = 1, skips: Sequence[int] = ()) -> Layer:
    return Layer("conv", kernel=kernel, filters=filters, stride=stride, skips=tuple(skips))


def pool(kernel: int, stride: int) -> Layer:
    return Layer("pool", kernel=kernel, stride=stride)


def fc(units: int) -> Layer:
    return Layer("fc", units=units)


MAX_DIGITS = 6  # numbers in a layer token have at most 6 digits (no space uses a million filters)
_N = "([0-9]{1,%d})" % MAX_DIGITS
_TOKEN = re.compile(rf"(?:conv{_N}-{_N}(?:-s{_N})?((?:\+[0-9]{{1,{MAX_DIGITS}}})*)|pool{_N}-s{_N}|fc{_N})")
_EXAMPLE = "'conv3-16 | pool2-s2 | fc64'"


def parse_layer(token: str) -> Layer:
    token = check_text(token, "a layer token", "'conv3-16-s2+0'").strip()
    m = _TOKEN.fullmatch(token)
    if m is None:
        raise OutOfSpaceError(
            f"cannot read layer {shorten(token)}; accepted forms: 'conv<k>-<filters>[-s<stride>][+<skip>...]', "
            f"'pool<k>-s<stride>', 'fc<units>' with numbers of at most {MAX_DIGITS} digits "
            f"(e.g. 'conv3-16-s2+0', 'pool2-s2', 'fc64')"
        )
    if m.group(1):
        skips = tuple(int(x) for x in m.group(4).split("+")[1:]) if m.group(4) else ()
        return conv(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1), skips)
    if m.group(5):
        return pool(int(m.group(5)), int(m.group(6)))
    return fc(int(m.group(7)))


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_fields(i: int, layer: Any) -> None:
    """Refuse a Layer whose fields are not of its kind's types (before any arithmetic on them)."""
    if not isinstance(layer, Layer):
        raise OutOfSpaceError(f"layer {i} is not a Layer value, got {type(layer).__name__}: {shorten(layer)}")
    if not isinstance(layer.kind, str) or layer.kind not in KINDS:
        raise OutOfSpaceError(f"layer {i}: unknown layer kind {shorten(layer.kind)}; accepted: {', '.join(KINDS)}")
    for name in ("kernel", "filters", "stride", "units"):
        value = getattr(layer, name)
        if not _is_int(value) or not 0 <= value < 10**MAX_DIGITS:
            raise OutOfSpaceError(f"layer {i}: {name} must be an integer in 0..{10**MAX_DIGITS - 1}, "
                                  f"got {shorten(value)}")
    if not isinstance(layer.skips, tuple) or len(layer.skips) > 64 or not all(_is_int(j) for j in layer.skips):
        raise OutOfSpaceError(f"layer {i}: skips must be a tuple of layer numbers, got {shorten(layer.skips)}")


@register("layers")
class LayersSpace(SearchSpace):
    """Chains of conv / pool / fc layers with optional skip connections (NAS-RL and MetaQNN).

    Defaults are small enough to train on digits or Fashion-MNIST on a CPU in seconds; MetaQNN's own
    CIFAR-10 choices were kernels (1, 3, 5), filters (64, 128, 256, 512), pools (5,3) (3,2) (2,2), fc units
    (512, 256, 128), 12 layers: pass them as options to reproduce its scale.
    """

    name = "layers"

    def __init__(self, *, max_depth: int = 6, kernel_sizes: Sequence[int] = (1, 3, 5),
                 filters: Sequence[int] = (8, 16, 32), strides: Sequence[int] = (1, 2),
                 pools: Sequence[Sequence[int]] = ((2, 2), (3, 2)), fc_units: Sequence[int] = (64, 32),
                 max_fc: int = 2, fc_max_size: int = 8, input_size: int = 28, skips: bool = True) -> None:
        if max_depth < 1:
            raise ValueError(f"max_depth must be >= 1, got {max_depth}")
        for name, values in (("kernel_sizes", kernel_sizes), ("filters", filters), ("strides", strides)):
            if not values or any(int(v) < 1 for v in values):
                raise ValueError(f"{name} must be a non-empty list of positive ints, got {list(values)}")
        if any(int(k) % 2 == 0 for k in kernel_sizes):
            raise ValueError(f"convolution kernel sizes must be odd (same padding), got {list(kernel_sizes)}")
        self.max_depth = int(max_depth)
        self.kernel_sizes = tuple(int(k) for k in kernel_sizes)
        self.filters = tuple(int(f) for f in filters)
        self.strides = tuple(int(s) for s in strides)
        self.pools = tuple((int(k), int(s)) for k, s in pools)
        self.fc_units = tuple(int(u) for u in fc_units)
        self.max_fc = int(max_fc) if self.fc_units else 0
        self.fc_max_size = int(fc_max_size)
        self.input_size = int(input_size)
        self.skips = bool(skips)
        kinds = ["conv"] + (["pool"] if self.pools else []) + (["fc"] if self.max_fc else [])
        self.kinds = tuple(kinds)

    def options(self) -> dict[str, Any]:
        return {"max_depth": self.max_depth, "kernel_sizes": list(self.kernel_sizes), "filters": list(self.filters),
                "strides": list(self.strides), "pools": [list(p) for p in self.pools],
                "fc_units": list(self.fc_units), "max_fc": self.max_fc, "fc_max_size": self.fc_max_size,
                "input_size": self.input_size, "skips": self.skips}

    # --- text --------------------------------------------------------------------------------------
    def to_string(self, arch: Any) -> str:
        return " | ".join(layer.text() for layer in self.validate(arch))

    def from_string(self, text: str) -> tuple[Layer, ...]:
        check_text(text, "a layers arch text", _EXAMPLE, max(1_000, 100 * self.max_depth))
        if not text.strip():
            raise OutOfSpaceError(f"a layers arch needs at least one layer, got empty text; e.g. {_EXAMPLE}")
        tokens = text.split("|")
        if len(tokens) > self.max_depth:
            raise OutOfSpaceError(f"a layers arch has 1..{self.max_depth} layers, got {len(tokens):,}: {shorten(text)}")
        return self.validate(tuple(parse_layer(t) for t in tokens))

    # --- membership --------------------------------------------------------------------------------
    def sizes(self, arch: Sequence[Layer], input_size: int | None = None) -> list[int]:
        """Feature-map width before each layer and after the last (``len(arch) + 1`` values)."""
        size = int(input_size or self.input_size)
        out = [size]
        for layer in arch:
            if layer.kind in ("conv", "pool"):
                size = math.ceil(size / layer.stride)
            out.append(size)
        return out

    def validate(self, arch: Any) -> tuple[Layer, ...]:
        if isinstance(arch, str):
            return self.from_string(arch)
        if not isinstance(arch, (tuple, list)):
            raise OutOfSpaceError(
                f"a layers arch is its text or a tuple of Layer values, got {type(arch).__name__}: {shorten(arch)}"
            )
        if not 1 <= len(arch) <= self.max_depth:
            raise OutOfSpaceError(f"a layers arch has 1..{self.max_depth} layers, got {len(arch):,}")
        arch = tuple(arch)
        for i, layer in enumerate(arch):
            _check_fields(i, layer)
        factors = [1]
        num_fc = 0
        for i, layer in enumerate(arch):
            where = f"layer {i} ({layer.text()})"
            size = math.ceil(self.input_size / factors[-1])
            if layer.kind == "conv":
                self._check(where, "kernel size", layer.kernel, self.kernel_sizes)
                self._check(where, "filters", layer.filters, self.filters)
                self._check(where, "stride", layer.stride, self.strides)
            elif layer.kind == "pool":
                self._check(where, "pool (kernel, stride)", (layer.kernel, layer.stride), self.pools)
            elif layer.kind == "fc":
                self._check(where, "units", layer.units, self.fc_units)
                num_fc += 1
                if num_fc > self.max_fc:
                    raise OutOfSpaceError(f"{where}: at most {self.max_fc} fully connected layers are allowed")
                if size > self.fc_max_size:
                    raise OutOfSpaceError(
                        f"{where}: a fully connected layer needs a feature map of at most {self.fc_max_size}x"
                        f"{self.fc_max_size}, here it is {size}x{size} (for input {self.input_size}); downsample first"
                    )
            else:
                raise OutOfSpaceError(f"{where}: unknown layer kind {layer.kind!r}; accepted: {', '.join(KINDS)}")
            if layer.kind != "fc" and num_fc:
                raise OutOfSpaceError(f"{where}: no convolution or pooling may follow a fully connected layer")
            if layer.kind != "fc" and layer.stride > 1 and size == 1:
                raise OutOfSpaceError(f"{where}: cannot downsample a 1x1 feature map")
            if layer.skips:
                if layer.kind != "conv" or not self.skips:
                    raise OutOfSpaceError(f"{where}: only convolutions take skip inputs"
                                          + ("" if self.skips else " (and this space has skips=False)"))
                if list(layer.skips) != sorted(set(layer.skips)):
                    raise OutOfSpaceError(f"{where}: skip sources must be distinct and increasing, got {layer.skips}")
                for j in layer.skips:
                    if not 0 <= j <= i - 2:
                        allowed = f"layers 0..{i - 2}" if i >= 2 else "none here"
                        raise OutOfSpaceError(
                            f"{where}: a skip comes from a layer before the previous one ({allowed}), got {j}"
                        )
                    if arch[j].kind == "fc":
                        raise OutOfSpaceError(f"{where}: a skip cannot come from the fully connected layer {j}")
                    if factors[j + 1] != factors[-1]:
                        raise OutOfSpaceError(
                            f"{where}: skip from layer {j} has the wrong size: its output is 1/{factors[j + 1]} of the "
                            f"input, this layer's input is 1/{factors[-1]}"
                        )
            factors.append(factors[-1] * (layer.stride if layer.kind != "fc" else 1))
        return arch

    @staticmethod
    def _check(where: str, what: str, value: Any, accepted: Sequence[Any]) -> None:
        if value not in accepted:
            raise OutOfSpaceError(f"{where}: {what} {value!r} is not in this space; accepted: {list(accepted)}")

    # --- decisions: a fixed sequence, as the NAS-RL controller emits it ------------------------------
    def decisions(self) -> list[tuple[str, Sequence[Any]]]:
        """Per layer i: type (conv, pool, fc, stop; layer 0 cannot stop), kernel, filters, stride, pool,
        units, then one yes/no skip decision per layer j < i - 1. Decisions that do not apply are ignored."""
        out: list[tuple[str, Sequence[Any]]] = []
        for i in range(self.max_depth):
            out.append((f"layer {i} type", self.kinds if i == 0 else self.kinds + ("stop",)))
            out.append((f"layer {i} kernel", self.kernel_sizes))
            out.append((f"layer {i} filters", self.filters))
            out.append((f"layer {i} stride", self.strides))
            if self.pools:
                out.append((f"layer {i} pool", self.pools))
            if self.max_fc:
                out.append((f"layer {i} units", self.fc_units))
            if self.skips:
                out.extend((f"layer {i} skip from {j}", (False, True)) for j in range(i - 1))
        return out

    def _layout(self) -> list[dict[str, Any]]:
        """Index of each decision per layer (cached)."""
        cached = getattr(self, "_layout_cache", None)
        if cached is not None:
            return cached
        layout, k = [], 0
        for i in range(self.max_depth):
            entry = {"type": k, "kernel": k + 1, "filters": k + 2, "stride": k + 3}
            k += 4
            if self.pools:
                entry["pool"] = k
                k += 1
            if self.max_fc:
                entry["units"] = k
                k += 1
            entry["skips"] = list(range(k, k + (max(i - 1, 0) if self.skips else 0)))
            k += len(entry["skips"])
            layout.append(entry)
        self._layout_cache = layout
        self._num_decisions = k
        return layout

    def from_decisions(self, choices: Sequence[int]) -> tuple[Layer, ...]:
        """Decode a decision vector. Choices that would break a rule end the network there (an fc too early, a
        conv after an fc, downsampling a 1x1 map) or are dropped (a skip of the wrong size)."""
        layout = self._layout()
        choices = as_choices(choices, self._num_decisions, "the layers space")
        decisions = self.decisions()
        choices = [as_int(c, f"decision {name!r}", 0, len(options) - 1) for c, (name, options) in zip(choices, decisions)]
        layers: list[Layer] = []
        factors = [1]
        num_fc = 0
        for i, entry in enumerate(layout):
            kinds = decisions[entry["type"]][1]
            kind = kinds[int(choices[entry["type"]])]
            size = math.ceil(self.input_size / factors[-1])
            if kind == "stop":
                break
            if kind == "conv":
                if num_fc:
                    break
                stride = self.strides[int(choices[entry["stride"]])]
                if size == 1 and stride > 1:
                    if 1 not in self.strides:
                        break
                    stride = 1
                skips = tuple(j for j, d in enumerate(entry["skips"]) if int(choices[d]) == 1
                              and factors[j + 1] == factors[-1])
                layer = conv(self.kernel_sizes[int(choices[entry["kernel"]])],
                             self.filters[int(choices[entry["filters"]])], stride, skips)
            elif kind == "pool":
                if num_fc or size == 1:
                    break
                k, s = self.pools[int(choices[entry["pool"]])]
                layer = pool(k, s)
            else:
                if num_fc >= self.max_fc or size > self.fc_max_size:
                    break
                layer = fc(self.fc_units[int(choices[entry["units"]])])
                num_fc += 1
            layers.append(layer)
            factors.append(factors[-1] * (layer.stride if layer.kind != "fc" else 1))
        if not layers:
            # layer 0 could not be placed (an fc on a large input): use its convolution choices instead
            entry = layout[0]
            layers.append(conv(self.kernel_sizes[int(choices[entry["kernel"]])],
                               self.filters[int(choices[entry["filters"]])], self.strides[int(choices[entry["stride"]])]))
        return tuple(layers)

    def to_decisions(self, arch: Any) -> list[int]:
        arch = self.validate(arch)
        layout = self._layout()
        decisions = self.decisions()
        out = [0] * self._num_decisions
        for i, entry in enumerate(layout):
            kinds = decisions[entry["type"]][1]
            if i >= len(arch):
                out[entry["type"]] = kinds.index("stop")
                break
            layer = arch[i]
            out[entry["type"]] = kinds.index(layer.kind)
            if layer.kind == "conv":
                out[entry["kernel"]] = self.kernel_sizes.index(layer.kernel)
                out[entry["filters"]] = self.filters.index(layer.filters)
                out[entry["stride"]] = self.strides.index(layer.stride)
                for j in layer.skips:
                    out[entry["skips"][j]] = 1
            elif layer.kind == "pool":
                out[entry["pool"]] = self.pools.index((layer.kernel, layer.stride))
            else:
                out[entry["units"]] = self.fc_units.index(layer.units)
        return out

    # --- exploration -------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> tuple[Layer, ...]:
        """Uniform over the decision encoding (then decoded, so deeper nets are rarer)."""
        return self.from_decisions([int(rng.integers(len(options))) for _, options in self.decisions()])

    def neighbours(self, arch: Any) -> list[tuple[Layer, ...]]:
        """Every distinct arch one decision away."""
        arch = self.validate(arch)
        base = self.to_decisions(arch)
        seen = {arch}
        out = []
        for d, (_, options) in enumerate(self.decisions()):
            for c in range(len(options)):
                if c == base[d]:
                    continue
                choices = list(base)
                choices[d] = c
                other = self.from_decisions(choices)
                if other not in seen:
                    seen.add(other)
                    out.append(other)
        return out

    def mutate(self, arch: Any, rng: np.random.Generator) -> tuple[Layer, ...]:
        arch = self.validate(arch)
        base = self.to_decisions(arch)
        decisions = self.decisions()
        for _ in range(1000):
            d = int(rng.integers(len(decisions)))
            options = decisions[d][1]
            c = int(rng.integers(len(options) - 1))
            choices = list(base)
            choices[d] = c if c < base[d] else c + 1
            other = self.from_decisions(choices)
            if other != arch:
                return other
        nbrs = self.neighbours(arch)
        return nbrs[int(rng.integers(len(nbrs)))]

    # --- views ---------------------------------------------------------------------------------------
    def to_graph(self, arch: Any):
        import networkx as nx

        arch = self.validate(arch)
        g = nx.DiGraph(space=self.name, arch=self.to_string(arch))
        sizes = self.sizes(arch)
        g.add_node("input", op="input", label=f"input {sizes[0]}x{sizes[0]}", layer=0)
        previous = "input"
        for i, layer in enumerate(arch):
            g.add_node(i, op=layer.kind, label=layer.text(), layer=i + 1, size=sizes[i + 1])
            g.add_edge(previous, i, op="chain")
            for j in layer.skips:
                g.add_edge(j, i, op="skip")
            previous = i
        g.add_node("output", op="output", label="classifier", layer=len(arch) + 1)
        g.add_edge(previous, "output", op="chain")
        return g

    def encode(self, arch: Any) -> np.ndarray:
        """One-hot of each decision, concatenated (fixed length)."""
        choices = self.to_decisions(arch)
        parts = []
        for c, (_, options) in zip(choices, self.decisions()):
            one = np.zeros(len(options), dtype=np.float32)
            one[c] = 1.0
            parts.append(one)
        return np.concatenate(parts)

    def build(self, arch: Any, num_classes: int, in_channels: int = 3, *, input_size: int | None = None,
              **options: Any):
        """A ``LayersNetwork``: each conv is conv-BN-ReLU (same padding), pools are max pools, fc layers are
        linear-ReLU; global average pooling ends the convolutional part when there is no fc layer."""
        from workbench.nn.layers_network import LayersNetwork

        arch = self.validate(arch)
        return LayersNetwork(arch, num_classes=num_classes, in_channels=in_channels,
                             input_size=int(input_size or self.input_size), **options)

    def __repr__(self) -> str:
        return f"LayersSpace(max_depth={self.max_depth}, input_size={self.input_size})"
