"""Supernets agree with the networks their spaces build: with one-hot weights on an arch, the supernet is that
arch's network (same ops, same weights, same outputs)."""
from __future__ import annotations

import pytest
import torch

from workbench import spaces
from workbench.nn.darts_network import DARTSNetwork, reduction_layers
from workbench.nn.supernet_darts import DARTS_OP_NAMES, DARTSSupernet, darts_edges
from workbench.nn.supernet_nb201 import NB201Supernet
from workbench.spaces.darts import DARTS_OPS, DARTS_V2, Genotype


def _seeded(factory, seed=0):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return factory()


def test_op_names_are_the_spaces():
    assert NB201Supernet(10, channels=2, cells_per_stage=1).ops == spaces.create("nb201").ops
    assert DARTS_OP_NAMES == DARTS_OPS


def test_nb201_supernet_with_one_hot_weights_is_the_derived_network():
    space = spaces.create("nb201")
    arch = space.from_string("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|")
    supernet = _seeded(lambda: NB201Supernet(num_classes=5, in_channels=1, channels=4, cells_per_stage=2))
    derived = space.build(arch, num_classes=5, in_channels=1, channels=4, cells_per_stage=2)
    mapping = {}
    for key, value in supernet.state_dict().items():
        if key == "alphas":
            continue
        name = key.removeprefix("network.")
        parts = name.split(".")
        if parts[0] == "cells" and parts[2] == "edges":  # cells.i.edges.e.ops.k.rest -> cells.i.edges.e.rest
            e, k = int(parts[3]), int(parts[5])
            if supernet.ops[k] != arch[e]:
                continue
            name = ".".join(parts[:4] + parts[6:])
        mapping[name] = value
    missing, unexpected = derived.load_state_dict(mapping, strict=False)
    assert not unexpected
    assert all(k.endswith((".weight", ".bias")) and ".edges." in k for k in missing)  # affine BN of the cells only
    one_hot = torch.zeros(6, 5)
    one_hot[torch.arange(6), torch.tensor([supernet.ops.index(op) for op in arch])] = 1.0
    x = torch.randn(8, 1, 7, 7, generator=torch.Generator().manual_seed(1))
    expected = derived(x)
    assert torch.allclose(supernet(x, weights={"normal": one_hot}), expected, atol=1e-5)
    index = {"normal": [supernet.ops.index(op) for op in arch]}
    assert torch.allclose(supernet(x, weights={"normal": one_hot}, index=index), expected, atol=1e-5)


def test_darts_supernet_with_one_hot_weights_is_the_derived_network():
    genotype = Genotype(
        normal=[("sep_conv_3x3", 0), ("skip_connect", 1), ("dil_conv_3x3", 1), ("sep_conv_5x5", 2),
                ("skip_connect", 0), ("dil_conv_5x5", 3), ("sep_conv_3x3", 4), ("skip_connect", 1)],
        reduce=[("sep_conv_5x5", 0), ("dil_conv_3x3", 1), ("skip_connect", 2), ("sep_conv_3x3", 1),
                ("dil_conv_5x5", 0), ("skip_connect", 2), ("sep_conv_3x3", 3), ("dil_conv_3x3", 4)])
    layers = 3
    supernet = _seeded(lambda: DARTSSupernet(num_classes=4, in_channels=2, channels=3, layers=layers))
    derived = DARTSNetwork(genotype, num_classes=4, in_channels=2, channels=3, layers=layers)
    edges = darts_edges(4)
    weights = {}
    for kind in ("normal", "reduce"):
        w = torch.zeros(len(edges), len(DARTS_OPS))
        w[:, DARTS_OPS.index("none")] = 1.0
        for k, (op, src) in enumerate(getattr(genotype, kind)):
            e = edges.index((src, 2 + k // 2))
            w[e] = 0.0
            w[e, DARTS_OPS.index(op)] = 1.0
        weights[kind] = w
    mapping = {}
    for key, value in supernet.state_dict().items():
        parts = key.split(".")
        if parts[0].startswith("alphas"):
            continue
        if parts[0] == "cells" and parts[2] == "edges":
            cell = int(parts[1])
            pairs = genotype.reduce if cell in reduction_layers(layers) else genotype.normal
            src, node = edges[int(parts[3])]
            op = DARTS_OPS[int(parts[5])]
            for k, pair in enumerate(pairs):
                if pair == (op, src) and 2 + k // 2 == node:
                    mapping[".".join(["cells", parts[1], "ops", str(k)] + parts[6:])] = value
            continue
        mapping[key] = value
    missing, unexpected = derived.load_state_dict(mapping, strict=False)
    assert not unexpected
    assert all(k.endswith((".weight", ".bias")) for k in missing)
    x = torch.randn(6, 2, 9, 9, generator=torch.Generator().manual_seed(2))
    assert torch.allclose(supernet(x, weights=weights), derived(x), atol=1e-5)


@pytest.mark.parametrize("size", [5, 8, 9])
def test_supernets_take_any_input_size_and_expose_their_alphas(size):
    nb201 = NB201Supernet(num_classes=3, in_channels=1, channels=2, cells_per_stage=1)
    darts = DARTSSupernet(num_classes=3, in_channels=3, channels=2, layers=3)
    assert nb201(torch.randn(2, 1, size, size)).shape == (2, 3)
    assert darts(torch.randn(2, 3, size, size)).shape == (2, 3)
    assert [tuple(a.shape) for a in nb201.arch_parameters()] == [(6, 5)]
    assert [tuple(a.shape) for a in darts.arch_parameters()] == [(14, 8), (14, 8)]
    for net in (nb201, darts):
        ids = {id(a) for a in net.arch_parameters()}
        assert not ids & {id(p) for p in net.weights()}
        assert len(net.weights()) + len(ids) == len(list(net.parameters()))


def test_darts_network_matches_the_paper_size():
    """DARTS (second order) at 36 channels and 20 cells has 3.3M parameters (Liu et al. 2019, table 1)."""
    net = DARTSNetwork(DARTS_V2, num_classes=10)
    params = sum(p.numel() for p in net.parameters())
    assert round(params / 1e6, 1) == 3.3
    assert net(torch.randn(1, 3, 32, 32)).shape == (1, 10)


def test_bad_op_names_are_named():
    with pytest.raises(ValueError, match="unknown NB201 op"):
        NB201Supernet(10, ops=("none", "conv_9x9"))
    with pytest.raises(ValueError, match="unknown DARTS op"):
        DARTSSupernet(10, ops=("none", "conv_9x9"))
