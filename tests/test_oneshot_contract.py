"""Conformance of every registered one-shot strategy with the contract (``workbench.oneshot._base``): a step
returns a typed report, derive gives an arch of the space, state_dict round trips continue identically (also
from inside an epoch), equal seeds give equal runs, and a run killed with SIGKILL at a random moment resumes
to the very numbers of an uninterrupted run (issue 9, item 1)."""
from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import pytest
import torch

from workbench import Budget, Run, oneshot
from workbench.records import ArchDistribution, EpochReport
from workbench.runs.store import Store

#: tiny settings: seconds per run (digits, 2 channels, 1 cell per stage)
TINY = dict(data="digits", data_options={"limit": 240}, batch_size=16, channels=2, cells_per_stage=1, layers=2,
            batches_per_step=3)
TINY_MOBILENET = {"name": "mobilenet", "options": {"input_size": 8, "strides": [1, 1, 2, 1, 2, 1, 1], "depths": [1, 2],
                                                   "kernels": [3, 5], "expands": [3, 4]}}
#: per strategy, the space it is checked on and options beyond TINY
_SEARCH = {"eval_examples": 48, "recal_batches": 1, "probe_archs": 2}
SETUPS = {"darts": ("nb201", {"order": 1}), "gdas": ("nb201", {"epochs": 6}),
          "rsps": ("nb201", {**_SEARCH, "search_samples": 3}),
          "spos": ("nb201", {**_SEARCH, "population": 3, "generations": 2, "top_k": 2}),
          "fairnas": ("nb201", {**_SEARCH, "population": 3, "generations": 2, "top_k": 2, "batches_per_step": 2}),
          "enas": ("nb201", {**_SEARCH, "controller_steps": 3, "derive_samples": 2}),
          "proxyless": (TINY_MOBILENET, {}), "ofa": (TINY_MOBILENET, {"calibration_batches": 1})}
STRATEGIES = oneshot.names()


def _setup(name: str) -> tuple[str, dict]:
    space, extra = SETUPS.get(name, ("nb201", {}))
    return space, {**TINY, **extra}


def options_of(name: str) -> dict:
    return _setup(name)[1]


def _make(name: str, seed: int = 0):
    space, options = _setup(name)
    return oneshot.create(name, space=space, seed=seed, **options)


def _comparable(report: EpochReport) -> tuple:
    """Everything of a report but its wall-clock seconds."""
    metrics = {k: v for k, v in report.metrics.items() if k != "seconds"}
    return report.epoch, metrics, report.distribution, report.arch, dict(report.scores), report.partial


def _weights(strategy) -> dict:
    return {k: v.clone() for k, v in strategy.model_.state_dict().items()}


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_every_strategy_is_checked():
    assert {"darts", "gdas"} <= set(STRATEGIES)


@pytest.mark.parametrize("name", STRATEGIES)
def test_step_reports_a_typed_epoch_and_derives_an_arch_of_the_space(name):
    strategy = _make(name)
    assert isinstance(strategy, oneshot.OneShotStrategy)
    report = strategy.step()
    assert isinstance(report, EpochReport) and report.epoch == 0 and not report.partial
    space = strategy.space
    assert report.arch == space.to_string(strategy.derive()) and space.validate(strategy.derive()) is not None
    m = report.metrics
    assert m["batches"] == options_of(name)["batches_per_step"]
    assert 0.0 <= m["train_acc"] <= 100.0 and m["train_loss"] > 0
    dist = strategy.distribution()
    assert dist is None or isinstance(dist, ArchDistribution)
    if dist is not None:
        assert report.distribution == dist and dist.kind in ("alphas", "probabilities", "counts")
        assert all(len(m) == len(dist.rows) for m in dist.groups.values())
    assert strategy.step().epoch == 1
    options = strategy.options()
    assert options["seed"] == 0 and options["batch_size"] == TINY["batch_size"]


@pytest.mark.slow
@pytest.mark.parametrize("name", STRATEGIES)
def test_state_dict_round_trip_continues_identically_even_inside_an_epoch(name):
    first = _make(name, seed=3)
    first.step()
    partial = first.step(should_stop=lambda: True)  # stops after the first batch
    assert partial.partial and partial.epoch == 1 and partial.metrics["batches"] == 1
    data = first.checkpoint_bytes()
    second = _make(name, seed=99)  # another seed: everything must come from the checkpoint
    second.load_checkpoint_bytes(data)
    assert _same_weights(_weights(first), _weights(second))
    for _ in range(2):
        a, b = first.step(), second.step()
        assert _comparable(a) == _comparable(b)
    assert _same_weights(_weights(first), _weights(second))
    assert first.derive() == second.derive()


@pytest.mark.parametrize("name", STRATEGIES)
def test_same_seed_same_run_other_seed_other_run(name):
    a, b, c = _make(name, seed=5), _make(name, seed=5), _make(name, seed=6)
    ra, rb, rc = a.step(), b.step(), c.step()
    assert _comparable(ra) == _comparable(rb) and _same_weights(_weights(a), _weights(b))
    assert not _same_weights(_weights(a), _weights(c))


def test_a_foreign_checkpoint_is_refused():
    from workbench.errors import WorkbenchError

    darts = _make("darts")
    with pytest.raises(WorkbenchError, match="not a checkpoint of the 'darts' strategy"):
        darts.load_checkpoint_bytes(b"garbage")
    gdas = _make("gdas")
    with pytest.raises(WorkbenchError, match="checkpoint of 'darts' on 'nb201' cannot restore 'gdas'"):
        gdas.load_checkpoint_bytes(darts.checkpoint_bytes())


# --- kill -9 and resume ------------------------------------------------------------------------------
EPOCHS = 4

def _child(name: str, path: str, cache: str) -> None:
    """The run that gets killed, in a process forked from a fresh one (the forkserver: a forked copy of this
    process, whose torch has started its OpenMP threads, can hang in its first parallel region). The server
    imports torch and the workbench once, so each child starts in milliseconds, not seconds. The server's
    environment is the one of its first use: this test's cache is set here."""
    try:
        os.environ["WORKBENCH_CACHE"] = cache
        space, options = _setup(name)
        Run(space=space, strategy=name, strategy_options=options, budget=Budget(epochs=EPOCHS), seed=11, store=path,
            run_id="killed").run()
    finally:
        os._exit(0)


def _records(store: Store, run_id: str) -> list:
    return [({k: v for k, v in e["metrics"].items() if k != "seconds"}, e["alphas"], e["arch"])
            for e in store.epochs(run_id)]


def _reference(name: str, path) -> Run:
    space, options = _setup(name)
    return Run(space=space, strategy=name, strategy_options=options, budget=Budget(epochs=EPOCHS), seed=11,
               store=path, run_id="reference").run()


_FORKSERVER = multiprocessing.get_context("forkserver")
_FORKSERVER.set_forkserver_preload(["torch", "workbench.oneshot", "workbench.runs", __name__])


def _kill_at_random_moment(name: str, path, rng: random.Random) -> int:
    """Run in a child process and SIGKILL it once ``k`` epochs are stored, plus a random delay."""
    child = _FORKSERVER.Process(target=_child, args=(name, str(path), os.environ["WORKBENCH_CACHE"]), daemon=True)
    child.start()
    k = EPOCHS - 2  # kill inside epoch k+1 (or k+2): at a random moment within half an epoch after the k-th
    deadline = time.monotonic() + 240
    try:
        while True:
            assert child.is_alive(), f"the child run ended (exit code {child.exitcode}) before it was killed"
            assert time.monotonic() < deadline, "the child run made no progress"
            try:
                done = len(Store(path).epochs("killed"))
            except Exception:  # noqa: BLE001 - the child may not have created its run yet
                done = 0
            if done >= k:
                break
            time.sleep(0.01)
        stored = Store(path).epochs("killed")  # one epoch's time: the gap between the last two stored
        epoch_s = stored[k - 1]["finished_at"] - stored[k - 2]["finished_at"]
        time.sleep(rng.uniform(0.0, min(0.3, 0.5 * epoch_s)))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    assert child.exitcode == -signal.SIGKILL
    return len(Store(path).epochs("killed"))


@pytest.mark.slow
@pytest.mark.parametrize("name", STRATEGIES)
def test_sigkill_at_a_random_moment_then_resume_is_bit_exact(name, tmp_path, monkeypatch):
    from workbench import costs

    # ProxylessNAS reads this device's latency table: the reference (here) and the killed run (in a child
    # process) must use the same one, so it is measured once into a fresh cache that the child loads
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    costs._MEMO.clear()
    path = tmp_path / "runs.sqlite"
    reference = _reference(name, path)
    stored = _kill_at_random_moment(name, path, random.Random(f"{name}-kill"))
    assert 1 <= stored <= EPOCHS
    resumed = Run.restore("killed", store=path).run()
    assert resumed.status == "finished" and len(resumed.epochs) == EPOCHS
    store = Store(path)
    assert _records(store, "killed") == _records(store, "reference")
    assert _same_weights(_weights(resumed.strategy), _weights(reference.strategy))
    assert [e.arch for e in resumed.epochs] == [e.arch for e in reference.epochs]


@pytest.mark.slow
@pytest.mark.parametrize("name, kept", [("darts", 2), ("gdas", 0)])
def test_epochs_newer_than_the_checkpoint_are_dropped_and_recomputed(name, kept, tmp_path):
    """A store whose newest checkpoint is older than its newest epoch, or that has none (as a run of an older
    workbench left it): the resume drops those epochs explicitly and computes them again from the state
    the checkpoint holds (or from the start)."""
    path = tmp_path / "runs.sqlite"
    reference = _reference(name, path)
    space, options = _setup(name)
    Run(space=space, strategy=name, strategy_options=options, budget=Budget(epochs=3), seed=11, store=path,
        run_id="old").run()
    store = Store(path)
    with store._write() as cur:  # keep only the checkpoint after epoch `kept` (of 3 stored epochs)
        cur.execute("DELETE FROM checkpoints WHERE run_id='old' AND step>?", (kept,))
    assert (store.latest_checkpoint("old") or (0,))[0] == kept and len(store.epochs("old")) == 3
    resumed = Run.restore("old", store=path, budget=Budget(epochs=EPOCHS))
    assert len(resumed.epochs) == kept and len(store.epochs("old")) == kept  # the later ones are gone
    resumed.run()
    assert _records(store, "old") == _records(store, "reference")
    assert _same_weights(_weights(resumed.strategy), _weights(reference.strategy))
