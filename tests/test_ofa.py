"""Once-for-All: the elastic network's subnets are the space's networks (and the ``ofa`` package's), and a tiny
progressive-shrinking run specialises to a latency limit without retraining."""
from __future__ import annotations

import numpy as np
import pytest

from workbench import oneshot, spaces


def _tiny_space():
    return spaces.create("mobilenet", input_size=8, strides=(1, 1, 2, 1, 2, 1, 1))


def test_elastic_subnets_equal_their_exported_networks():
    import torch

    from workbench.nn.cost import count_params
    from workbench.nn.elastic_mobilenet import ElasticMobileNet

    space = _tiny_space()
    torch.manual_seed(0)
    net = ElasticMobileNet(space, num_classes=10, in_channels=1)
    with torch.no_grad():
        for block in net.stages[0]:
            for t in block.transforms.values():
                t.add_(0.05 * torch.randn_like(t))
    net.eval()
    x = torch.randn(3, 1, 8, 8)
    rng = np.random.default_rng(0)
    for arch in [net.largest, space.sample(rng), space.sample(rng)]:
        net.set_active(arch)
        sub = net.subnet(arch).eval()
        assert torch.allclose(net(x), sub(x), atol=1e-5)
        assert count_params(sub) == count_params(space.build(arch, 10, 1))
    net.set_active(net.largest)
    before = net(x)
    net.sort_channels()  # a permutation of the middle channels: the largest network computes the same function
    assert torch.allclose(before, net(x), atol=1e-5)


def test_elastic_parameter_counts_equal_the_ofa_package():
    ofa_mbv3 = pytest.importorskip(
        "ofa.imagenet_classification.elastic_nn.networks",
        reason="the `ofa` package (dev extra: pip install ofa) is not installed; parameter equality not checked")
    from workbench.nn.cost import count_params
    from workbench.nn.elastic_mobilenet import ElasticMobileNet

    space = spaces.create("mobilenet")
    elastic = ElasticMobileNet(space, num_classes=10, in_channels=3)
    ofa = ofa_mbv3.OFAMobileNetV3(n_classes=10, width_mult=0.25, ks_list=[3, 5, 7], expand_ratio_list=[3, 4, 6],
                                  depth_list=[2, 3, 4], dropout_rate=0)
    rng = np.random.default_rng(1)
    for arch in [elastic.largest] + [space.sample(rng) for _ in range(3)]:
        ofa.set_active_subnet(**space.to_ofa(arch))
        assert count_params(elastic.subnet(arch)) == count_params(ofa.get_active_subnet())


@pytest.mark.slow
def test_progressive_shrinking_then_specialise_under_a_latency_limit():
    from workbench.costs import LatencyTable

    space = spaces.create("mobilenet", input_size=8, strides=(1, 1, 2, 1, 2, 1, 1), depths=(1, 2), kernels=(3, 5),
                          expands=(3, 4))
    ofa = oneshot.create("ofa", space=space, data="digits", batch_size=32, batches_per_step=2, seed=0,
                         calibration_batches=1)
    reports = [ofa.step() for _ in range(6)]
    assert [r.metrics["phase"] for r in reports] == [0, 1, 2, 3, 4, 5]  # largest, kernel, depth x2, expand x2
    assert all(0 <= r.metrics["smallest_val_acc"] <= 100 for r in reports)
    state = ofa.state_dict()
    table = LatencyTable.measure(space, in_channels=1, warmup=1, repeats=3, cache=False)
    low, high = table.predict_ms(ofa.smallest()), table.predict_ms(ofa.net.largest)
    limit = low + 0.3 * (high - low)
    out = ofa.specialise(limit, table, population=8, generations=2, predictor_samples=6)
    assert out["latency_ms"] <= limit
    assert 0 <= out["val_acc"] <= 100 and 0 <= out["test_acc"] <= 100
    assert space.validate(out["arch"]) == ofa.derive()
    again = oneshot.create("ofa", space=space, data="digits", batch_size=32, batches_per_step=2, seed=5,
                           calibration_batches=1)
    again.load_checkpoint_bytes(ofa.checkpoint_bytes())
    assert again.derive() == ofa.derive() and again.epoch_ == 6
    assert set(state) >= {"net", "optimizer", "epoch"}
