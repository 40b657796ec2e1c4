"""ProxylessNAS on the one-shot contract: a higher latency weight derives a faster network (table and clock)."""
from __future__ import annotations

import pytest

from workbench import oneshot, spaces
from workbench.records import EpochReport


@pytest.mark.slow
def test_higher_latency_weight_gives_a_faster_derived_network():
    from workbench.costs import LatencyTable
    from workbench.nn.latency import measure_ms

    space = spaces.create("mobilenet", input_size=8, strides=(1, 1, 2, 1, 2, 1, 1))
    table = LatencyTable.measure(space, in_channels=1, warmup=1, repeats=5, cache=False)
    derived = {}
    for weight in (0.0, 5.0):
        s = oneshot.create("proxyless", space=space, data="digits", latency_weight=weight, latency_table=table,
                           batches_per_step=3, batch_size=32, arch_lr=0.1, device="cpu", seed=0)
        report = s.step()
        assert isinstance(report, EpochReport) and report.distribution.kind == "probabilities"
        assert report.metrics["derived_latency_ms"] == pytest.approx(table.predict_ms(s.derive()))
        derived[weight] = s.derive()
    slow, fast = derived[0.0], derived[5.0]
    assert table.predict_ms(fast) < table.predict_ms(slow)
    measured = {w: measure_ms(space.build(a, 10, 1), (1, 1, 8, 8), "cpu", warmup=2, repeats=15)
                for w, a in derived.items()}
    assert measured[5.0] < measured[0.0], measured


def test_supernet_index_round_trip_and_derive():
    import numpy as np

    space = spaces.create("mobilenet", input_size=8, strides=(1, 1, 2, 1, 2, 1, 1))
    net = space.supernet(10, 1)
    arch = space.sample(np.random.default_rng(0))
    index = net.index_of(arch)
    assert net.arch_of(index) == arch
    weights = np.full((len(net.rows), len(net.ops)), 0.0)
    for r, j in enumerate(index["layers"]):
        weights[r, j] = 1.0
    assert space.derive({"layers": weights}, net.ops) == arch


@pytest.mark.slow
def test_the_latency_table_travels_with_the_checkpoint(tmp_path, monkeypatch):
    """A run resumed where this device's table is missing or different (another machine, a cleared cache)
    goes on with the latencies it started with: the table is in the checkpoint."""
    from workbench.costs import LatencyTable
    from workbench.errors import DataError

    space = spaces.create("mobilenet", input_size=8, strides=(1, 1, 2, 1, 2, 1, 1))
    table = LatencyTable.measure(space, in_channels=1, warmup=0, repeats=1, cache=False)
    options = dict(space=space, data="digits", latency_weight=1.0, batches_per_step=2, batch_size=16,
                   device="cpu", seed=0)
    first = oneshot.create("proxyless", latency_table=table, **options)
    first.step()
    saved = first.checkpoint_bytes()
    other = LatencyTable({k: 2.0 * v + 1.0 for k, v in table.entries.items()}, space=space, info={})
    resumed = oneshot.create("proxyless", latency_table=other, **options)
    resumed.load_checkpoint_bytes(saved)
    assert resumed.table_.entries == table.entries and resumed.latency_ref_ == first.latency_ref_
    first.step(), resumed.step()
    assert first.derive() == resumed.derive()
    assert float(first.expected_latency_ms().detach()) == float(resumed.expected_latency_ms().detach())
    # a fingerprint (what options() records) names a table measured before; an unknown one is refused
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="no latency table 0123456789abcdef"):
        oneshot.create("proxyless", latency_table="0123456789abcdef", **options).step()
    with pytest.raises(DataError, match="16 lowercase hex digits"):
        oneshot.create("proxyless", latency_table="../../etc/passwd", **options).step()
    with pytest.raises(ValueError, match="latency_table must be"):
        oneshot.create("proxyless", latency_table=3.5, **options)


@pytest.mark.slow
def test_a_run_given_an_uncached_table_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    """The store records a table by its fingerprint; in a process whose cache lacks it (another machine),
    the restored run takes the table from its checkpoint, and goes on exactly as the uninterrupted run."""
    from workbench import Budget, Run
    from workbench.costs import LatencyTable

    space = spaces.create("mobilenet", input_size=8, strides=(1, 1, 2, 1, 2, 1, 1))
    table = LatencyTable.measure(space, in_channels=1, warmup=0, repeats=1, cache=False)
    strategy = {"name": "proxyless", "options": {"data": "digits", "latency_weight": 1.0, "batches_per_step": 2,
                                                 "batch_size": 16, "device": "cpu"}}
    path = tmp_path / "runs.sqlite"

    def run(run_id, epochs):
        s = oneshot.create("proxyless", space=space, latency_table=table, seed=5, **strategy["options"])
        return Run(space=space, strategy=s, budget=Budget(epochs=epochs), store=path, run_id=run_id).run()

    straight = run("straight", 2)
    run("halted", 1)
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr("workbench.costs._MEMO", {})
    resumed = Run.restore("halted", store=path, budget=Budget(epochs=2)).run()
    assert resumed.strategy.options()["latency_table"] == table.info["fingerprint"]
    assert resumed.strategy.table_.entries == table.entries
    assert [e.arch for e in resumed.epochs] == [e.arch for e in straight.epochs]
    assert resumed.epochs[-1].metrics["expected_latency_ms"] == straight.epochs[-1].metrics["expected_latency_ms"]
