"""The MobileNet space of hardware-aware NAS (ProxylessNAS, Cai et al. ICLR 2019; Once-for-All, ICLR 2020).

A chain of stages of inverted-residual (MBConv) blocks with a fixed skeleton (widths, strides, activations,
squeeze-excite placement: see ``workbench.nn.mobilenet``). What is searched: each stage's depth (2/3/4 by
default) and, per block, the depthwise kernel (3/5/7) and the expand ratio (3/4/6). With 5 stages that is
(9^2 + 9^3 + 9^4)^5, about 2 * 10^19 networks, the size of OFA's MobileNetV3 space.

An arch is a tuple of stages, each a tuple of ``(kernel, expand)`` pairs. Its text is one token ``k<kernel>e<expand>``
per block, blocks joined by spaces, stages by ``" | "``::

    k3e4 k5e6 | k7e3 k3e3 k5e4 | k3e6 k3e6 | k5e3 k5e3 k5e3 k5e3 | k7e6 k3e4

The defaults are OFA's MobileNetV3 skeleton at ``width_mult=0.25`` (widths 8, 8 | 8, 16, 24, 32, 40 | 240, 320)
on 28x28 inputs with a stride-1 stem, so a network trains on Fashion-MNIST or CIFAR on a CPU and its parameter
count equals that of the ``ofa`` package's ``OFAMobileNetV3(width_mult=0.25)`` subnet of the same setting
(strides and resolution have no parameters).
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

from workbench.errors import OutOfSpaceError
from workbench.spaces import register
from workbench.spaces._base import SearchSpace, as_choices, as_int

MAX_TEXT = 4000  # characters: longer text is refused before it is parsed
_TOKEN = re.compile(r"^k(\d{1,2})e(\d{1,2})$")

#: OFA MobileNetV3's base widths (stem, first block, five stages, final expand, last channel)
OFA_BASE_WIDTHS = (16, 16, 24, 40, 80, 112, 160, 960, 1280)
OFA_ACTS = ("relu", "relu", "hswish", "hswish", "hswish")
OFA_SE = (False, True, False, True, True)


def ofa_widths(width_mult: float = 1.0) -> tuple[int, ...]:
    """The widths of OFA's MobileNetV3 at ``width_mult`` (every width rounded to a multiple of 8)."""
    from workbench.nn.mobilenet_spec import make_divisible

    return tuple(make_divisible(w * width_mult) for w in OFA_BASE_WIDTHS)


def _ints(name: str, values: Sequence[Any]) -> tuple[int, ...]:
    out = tuple(int(v) for v in values)
    if not out or any(v < 1 for v in out) or len(set(out)) != len(out):
        raise ValueError(f"{name} must be distinct positive integers, got {list(values)}")
    return tuple(sorted(out))


@register("mobilenet")
class MobileNetSpace(SearchSpace):
    """MBConv chains: per stage a depth, per block a kernel and an expand ratio (see the module docstring)."""

    name = "mobilenet"

    def __init__(self, *, kernels: Sequence[int] = (3, 5, 7), expands: Sequence[int] = (3, 4, 6),
                 depths: Sequence[int] = (2, 3, 4), width_mult: float = 0.25, widths: Sequence[int] | None = None,
                 strides: Sequence[int] = (1, 1, 2, 2, 2, 1, 2), acts: Sequence[str] = OFA_ACTS,
                 se: Sequence[bool] = OFA_SE, input_size: int = 28, dropout: float = 0.0) -> None:
        self.kernels = _ints("kernels", kernels)
        self.expands = _ints("expands", expands)
        self.depths = _ints("depths", depths)
        if any(k % 2 == 0 for k in self.kernels):
            raise ValueError(f"kernels must be odd (same padding), got {list(self.kernels)}")
        self.width_mult = float(width_mult)
        self.widths = tuple(int(w) for w in widths) if widths is not None else ofa_widths(self.width_mult)
        if len(self.widths) < 5 or any(w < 1 for w in self.widths):
            raise ValueError("widths are stem, first block, one per stage (at least one), final expand, last "
                             f"channel: at least 5 positive ints, got {list(self.widths)}")
        self.num_stages = len(self.widths) - 4
        self.strides = tuple(int(s) for s in strides)
        self.acts = tuple(str(a) for a in acts)
        self.se = tuple(bool(x) for x in se)
        for name, values, n in (("strides", self.strides, self.num_stages + 2), ("acts", self.acts, self.num_stages),
                                ("se", self.se, self.num_stages)):
            if len(values) != n:
                raise ValueError(f"{name} needs {n} values for {self.num_stages} stages, got {list(values)}")
        if any(s not in (1, 2) for s in self.strides):
            raise ValueError(f"strides must be 1 or 2, got {list(self.strides)}")
        if any(a not in ("relu", "hswish") for a in self.acts):
            raise ValueError(f"acts must be 'relu' or 'hswish', got {list(self.acts)}")
        self.input_size = int(input_size)
        if self.input_size < 1:
            raise ValueError(f"input_size must be >= 1, got {input_size}")
        self.dropout = float(dropout)

    def options(self) -> dict[str, Any]:
        return {"kernels": list(self.kernels), "expands": list(self.expands), "depths": list(self.depths),
                "width_mult": self.width_mult, "widths": list(self.widths), "strides": list(self.strides),
                "acts": list(self.acts), "se": list(self.se), "input_size": self.input_size,
                "dropout": self.dropout}

    def config(self, num_classes: int = 10, in_channels: int = 3, input_size: int | None = None):
        """The ``MobileNetConfig`` (torch-free) that ``build`` and the cost models use."""
        from workbench.nn.mobilenet_spec import MobileNetConfig

        return MobileNetConfig(widths=self.widths, strides=self.strides, acts=self.acts, se=self.se,
                               input_size=int(input_size or self.input_size), in_channels=int(in_channels),
                               num_classes=int(num_classes), dropout=self.dropout)

    # --- text --------------------------------------------------------------------------------------
    def to_string(self, arch: Any) -> str:
        arch = self.validate(arch)
        return " | ".join(" ".join(f"k{k}e{e}" for k, e in stage) for stage in arch)

    def from_string(self, text: str) -> tuple:
        if not isinstance(text, str):
            raise OutOfSpaceError(f"a mobilenet arch text must be str, got {type(text).__name__}: {text!r}")
        if len(text) > MAX_TEXT:
            raise OutOfSpaceError(f"a mobilenet arch text has at most {MAX_TEXT} characters, got {len(text)}")
        parts = text.split("|")
        if len(parts) != self.num_stages:
            raise OutOfSpaceError(
                f"a mobilenet arch has {self.num_stages} stages separated by '|', got {len(parts)} in {text[:80]!r}; "
                f"e.g. {self.example_text()!r}")
        arch = []
        for s, part in enumerate(parts):
            stage = []
            for token in part.split():
                m = _TOKEN.match(token)
                if m is None:
                    raise OutOfSpaceError(f"stage {s}: cannot read block {token[:40]!r}; a block is 'k<kernel>e<expand>' "
                                          f"with kernel in {list(self.kernels)}, expand in {list(self.expands)}")
                stage.append((int(m.group(1)), int(m.group(2))))
            arch.append(tuple(stage))
        return self.validate(tuple(arch))

    def example_text(self) -> str:
        k, e, d = self.kernels[0], self.expands[0], self.depths[0]
        return " | ".join(" ".join([f"k{k}e{e}"] * d) for _ in range(self.num_stages))

    # --- membership --------------------------------------------------------------------------------
    def validate(self, arch: Any) -> tuple:
        if isinstance(arch, str):
            return self.from_string(arch)
        if not isinstance(arch, (tuple, list)):
            raise OutOfSpaceError(f"a mobilenet arch is its text or a tuple of stages of (kernel, expand) pairs, "
                                  f"got {type(arch).__name__}: {str(arch)[:80]}")
        if len(arch) != self.num_stages:
            raise OutOfSpaceError(f"a mobilenet arch has {self.num_stages} stages, got {len(arch)}")
        out = []
        for s, stage in enumerate(arch):
            if not isinstance(stage, (tuple, list)) or len(stage) not in self.depths:
                n = len(stage) if isinstance(stage, (tuple, list)) else type(stage).__name__
                raise OutOfSpaceError(f"stage {s}: depth {n} is not in this space; accepted depths: {list(self.depths)}")
            blocks = []
            for i, block in enumerate(stage):
                if not isinstance(block, (tuple, list)) or len(block) != 2:
                    raise OutOfSpaceError(f"stage {s} block {i}: a block is a (kernel, expand) pair, got {block!r}")
                k, e = block
                if isinstance(k, bool) or isinstance(e, bool) or k not in self.kernels or e not in self.expands:
                    raise OutOfSpaceError(f"stage {s} block {i}: (kernel, expand) = {tuple(block)!r} is not in this "
                                          f"space; kernels {list(self.kernels)}, expands {list(self.expands)}")
                blocks.append((int(k), int(e)))
            out.append(tuple(blocks))
        return tuple(out)

    def size(self) -> int:
        per_block = len(self.kernels) * len(self.expands)
        return sum(per_block ** d for d in self.depths) ** self.num_stages

    # --- decisions ---------------------------------------------------------------------------------
    def decisions(self) -> list[tuple[str, Sequence[Any]]]:
        """Per stage: its depth, then kernel and expand of every block slot (slots past the depth are ignored)."""
        out: list[tuple[str, Sequence[Any]]] = []
        for s in range(self.num_stages):
            out.append((f"stage {s} depth", self.depths))
            for i in range(max(self.depths)):
                out.append((f"stage {s} block {i} kernel", self.kernels))
                out.append((f"stage {s} block {i} expand", self.expands))
        return out

    def from_decisions(self, choices: Sequence[int]) -> tuple:
        decisions = self.decisions()
        choices = [as_int(c, f"decision {name!r}", 0, len(options) - 1)
                   for c, (name, options) in zip(as_choices(choices, len(decisions), "the mobilenet space"), decisions)]
        per_stage = 1 + 2 * max(self.depths)
        arch = []
        for s in range(self.num_stages):
            base = s * per_stage
            depth = self.depths[int(choices[base])]
            arch.append(tuple((self.kernels[int(choices[base + 1 + 2 * i])], self.expands[int(choices[base + 2 + 2 * i])])
                              for i in range(depth)))
        return tuple(arch)

    def to_decisions(self, arch: Any) -> list[int]:
        arch = self.validate(arch)
        out: list[int] = []
        for stage in arch:
            out.append(self.depths.index(len(stage)))
            for i in range(max(self.depths)):
                k, e = stage[i] if i < len(stage) else (self.kernels[0], self.expands[0])
                out += [self.kernels.index(k), self.expands.index(e)]
        return out

    # --- exploration -------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> tuple:
        """Uniform per decision: each stage's depth, each block's kernel and expand ratio."""
        return self.from_decisions([int(rng.integers(len(options))) for _, options in self.decisions()])

    def _edits(self, arch: tuple) -> list[tuple[int, int, Any]]:
        """Every single change: (stage, block or -1 for depth, new value)."""
        edits = []
        for s, stage in enumerate(arch):
            edits += [(s, -1, d) for d in self.depths if d != len(stage)]
            for i, (k, e) in enumerate(stage):
                edits += [(s, i, (k2, e)) for k2 in self.kernels if k2 != k]
                edits += [(s, i, (k, e2)) for e2 in self.expands if e2 != e]
        return edits

    @staticmethod
    def _apply(arch: tuple, edit: tuple[int, int, Any]) -> tuple:
        s, i, value = edit
        stage = list(arch[s])
        if i < 0:  # a new depth: drop the last blocks, or repeat the last block
            stage = stage[:value] + [stage[-1]] * max(0, value - len(stage))
        else:
            stage[i] = value
        return arch[:s] + (tuple(stage),) + arch[s + 1:]

    def neighbours(self, arch: Any) -> list[tuple]:
        arch = self.validate(arch)
        return [self._apply(arch, edit) for edit in self._edits(arch)]

    def mutate(self, arch: Any, rng: np.random.Generator) -> tuple:
        """One random change: a stage's depth (new blocks are sampled), or one block's kernel or expand ratio."""
        arch = self.validate(arch)
        edits = self._edits(arch)
        s, i, value = edits[int(rng.integers(len(edits)))]
        if i < 0 and value > len(arch[s]):
            extra = tuple((self.kernels[int(rng.integers(len(self.kernels)))],
                           self.expands[int(rng.integers(len(self.expands)))]) for _ in range(value - len(arch[s])))
            return arch[:s] + (arch[s] + extra,) + arch[s + 1:]
        return self._apply(arch, (s, i, value))

    # --- views ---------------------------------------------------------------------------------------
    def to_graph(self, arch: Any):
        """A chain: input, stem, one node per block (op ``MB<e> <k>x<k>``), head; edges say ``identity`` where
        the block has a residual connection, else ``chain``."""
        import networkx as nx

        from workbench.nn.mobilenet_spec import block_specs

        arch = self.validate(arch)
        g = nx.DiGraph(space=self.name, arch=self.to_string(arch))
        g.add_node("input", op="input", label=f"input {self.input_size}x{self.input_size}", layer=0)
        g.add_node("stem", op="stem", label=f"stem conv3x3-{self.widths[0]}, MB1 3x3-{self.widths[1]}", layer=1)
        g.add_edge("input", "stem", op="chain")
        previous, layer = "stem", 2
        for s, stage in enumerate(block_specs(self.config(), arch)):
            for i, spec in enumerate(stage):
                node = f"s{s}b{i}"
                op = f"MB{spec.expand} {spec.kernel}x{spec.kernel}"
                g.add_node(node, op=op, stage=s, block=i, layer=layer,
                           label=f"{op}{' SE' if spec.se else ''} {spec.out_channels}ch s{spec.stride} "
                                 f"({spec.input_size}x{spec.input_size})")
                g.add_edge(previous, node, op="identity" if spec.residual else "chain")
                previous, layer = node, layer + 1
        g.add_node("head", op="head", label=f"head 1x1-{self.widths[-2]}, pool, 1x1-{self.widths[-1]}, linear",
                   layer=layer)
        g.add_edge(previous, "head", op="chain")
        return g

    def encode(self, arch: Any) -> np.ndarray:
        """Per stage a one-hot depth, then per block slot one-hot kernel and expand (zeros past the depth)."""
        arch = self.validate(arch)
        parts = []
        for stage in arch:
            one = np.zeros(len(self.depths), dtype=np.float32)
            one[self.depths.index(len(stage))] = 1
            parts.append(one)
            for i in range(max(self.depths)):
                kk = np.zeros(len(self.kernels), dtype=np.float32)
                ee = np.zeros(len(self.expands), dtype=np.float32)
                if i < len(stage):
                    kk[self.kernels.index(stage[i][0])] = 1
                    ee[self.expands.index(stage[i][1])] = 1
                parts += [kk, ee]
        return np.concatenate(parts)

    def to_ofa(self, arch: Any) -> dict[str, list[int]]:
        """``arch`` as the ``ofa`` package's ``set_active_subnet(ks=..., e=..., d=...)`` arguments (Cai et al.'s
        encoding: per stage a depth, and a kernel and an expand ratio for every block slot up to the largest
        depth; slots past a stage's depth hold the smallest choices, which that network ignores)."""
        arch = self.validate(arch)
        ks, es, ds = [], [], []
        filler = (min(self.kernels), min(self.expands))
        for stage in arch:
            ds.append(len(stage))
            for i in range(max(self.depths)):
                k, e = stage[i] if i < len(stage) else filler
                ks.append(k)
                es.append(e)
        return {"ks": ks, "e": es, "d": ds}

    # --- costs ---------------------------------------------------------------------------------------
    def costs(self, arch: Any, num_classes: int = 10, in_channels: int = 3) -> dict[str, int]:
        """Exact ``params`` and ``flops`` (batch 1) of ``build(arch)``, computed without building it."""
        from workbench.nn.mobilenet_spec import network_costs

        params, flops = network_costs(self.config(num_classes, in_channels), self.validate(arch))
        return {"params": params, "flops": flops}

    def latency_keys(self, arch: Any, num_classes: int = 10, in_channels: int = 3) -> list[str]:
        """The latency-table keys whose sum is the network's latency: stem, every block, head."""
        from workbench.nn.mobilenet_spec import block_specs

        config = self.config(num_classes, in_channels)
        return (["stem"] + [spec.key() for stage in block_specs(config, self.validate(arch)) for spec in stage]
                + ["head"])

    def latency_entries(self, batch_size: int = 1, num_classes: int = 10, in_channels: int = 3) -> list:
        """``(key, make_module, input_shape)`` for the stem, the head and every distinct block shape this space
        can build (per stage: first block and later blocks, each kernel x expand ratio): a latency table."""
        from workbench.nn.mobilenet_spec import BlockSpec, block_specs, head_input_size

        config = self.config(num_classes, in_channels)
        largest = tuple(((self.kernels[0], self.expands[0]),) * max(self.depths) for _ in range(self.num_stages))
        entries = []

        def block(spec):
            def make():
                from workbench.nn.mobilenet import MBConv

                return MBConv(spec)
            return make

        def part(kind):
            def make():
                from workbench.nn import mobilenet as m

                return m.Stem(config) if kind == "stem" else m.Head(config)
            return make

        b = int(batch_size)
        entries.append(("stem", part("stem"), (b, config.in_channels, config.input_size, config.input_size)))
        for stage in block_specs(config, largest):
            for base in stage[:2]:
                for k in self.kernels:
                    for e in self.expands:
                        spec = BlockSpec(base.in_channels, base.out_channels, k, e, base.stride, base.input_size,
                                         base.act, base.se)
                        entries.append((spec.key(), block(spec), (b, spec.in_channels, spec.input_size,
                                                                  spec.input_size)))
        r = head_input_size(config)
        entries.append(("head", part("head"), (b, config.widths[-3], r, r)))
        return entries

    # --- weight sharing ------------------------------------------------------------------------------
    def supernet_options(self) -> dict[str, Any]:
        return {}

    def supernet(self, num_classes: int, in_channels: int = 3, **options: Any):
        """ProxylessNAS's supernet: every slot holds every (kernel, expand) block, plus ``zero`` where a stage
        may end (``workbench.nn.supernet_mobilenet``)."""
        from workbench.nn.supernet_mobilenet import ProxylessMobileNetSupernet

        self._supernet_kwargs(options)
        return ProxylessMobileNetSupernet(self, num_classes, in_channels)

    def derive(self, weights: Any, ops: Sequence[str]) -> tuple:
        """Per slot the op of largest weight (NaN: not offered); a stage keeps its non-``zero`` slots in order."""
        w = np.asarray(weights["layers"] if isinstance(weights, dict) else weights, dtype=np.float64)
        w = np.where(np.isnan(w), -np.inf, w)
        depth = max(self.depths)
        arch = []
        for s in range(self.num_stages):
            chosen = [str(ops[int(j)]) for j in w[s * depth:(s + 1) * depth].argmax(axis=-1)]
            arch.append(tuple((int(m.group(1)), int(m.group(2))) for m in map(_TOKEN.match, chosen) if m))
        return self.validate(tuple(arch))

    def build(self, arch: Any, num_classes: int = 10, in_channels: int = 3, *, input_size: int | None = None,
              **options: Any):
        """A ``MobileNetNetwork`` (``workbench.nn.mobilenet``); ``dropout`` may be overridden."""
        from workbench.nn.mobilenet import MobileNetNetwork

        unknown = set(options) - {"dropout"}
        if unknown:
            raise TypeError(f"unknown build options {sorted(unknown)} for the mobilenet space; accepted: dropout")
        config = self.config(num_classes, in_channels, input_size)
        if "dropout" in options:
            from dataclasses import replace

            config = replace(config, dropout=float(options["dropout"]))
        return MobileNetNetwork(config, self.validate(arch))

    def __repr__(self) -> str:
        return f"MobileNetSpace(widths={list(self.widths)}, input_size={self.input_size})"
