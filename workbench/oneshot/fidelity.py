"""Ranking fidelity of a supernet: does it order architectures as stand-alone training does?

A single-path strategy given ``probe_archs`` reports, every epoch, the accuracy its supernet gives each arch
of a fixed sample with inherited weights (``EpochReport.scores``). ``ground_truth`` gives the same archs'
true accuracies: on a CPU, each one trained stand-alone on the same small task with the same network size
(the ``train`` estimator), cached in a run store and reused by every later call with the same recipe; on
CIFAR-10 with a GPU, the NB201 table (``estimator="tabular"``, nothing to cache). ``score_fidelity`` and
``epoch_fidelity`` compare them with ``workbench.ranking.fidelity`` (Kendall tau, Spearman rho, top-k
precision, regret, bootstrap intervals): the CVPR 2021 Lightweight NAS Challenge's question.

>>> truth = ground_truth(space, strategy.probes(), estimator="train",
...                      estimator_options={"dataset": "fashion-mnist", "epochs": 3, "build": {"channels": 4}},
...                      store="runs.sqlite")
>>> [f.kendall_tau for f in epoch_fidelity(run.epochs, truth)]
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from workbench.ranking import RankingFidelity, fidelity

GROUND_TRUTH_KIND = "ground-truth"


def _estimator_options(estimator) -> dict[str, Any]:
    return dict(estimator.options() if hasattr(estimator, "options") else estimator.config())


def recipe_id(space, estimator_name: str, options: Mapping[str, Any]) -> str:
    """The store run id of a ground-truth recipe: a digest of the space and the estimator with its options."""
    text = json.dumps({"space": space.name, "space_repr": repr(space), "estimator": estimator_name,
                       "options": options}, sort_keys=True, default=repr)
    return "gt-" + hashlib.sha1(text.encode()).hexdigest()[:12]


def ground_truth(space, archs: Iterable[Any], *, estimator: str = "train", estimator_options: Mapping | None = None,
                 store: Any = None, objective: str | None = None) -> dict[str, float]:
    """``{arch text: true accuracy}`` of ``archs`` by ``estimator`` (its objective, or the metric ``objective``).

    With a ``store`` (a ``Store`` or a path), results are kept as the trials of one run per recipe (kind
    ``ground-truth``, id from ``recipe_id``) and archs already there are not evaluated again.
    """
    from workbench import estimators
    from workbench.records import Result
    from workbench.runs.events import Trial
    from workbench.runs.store import Store

    if isinstance(space, str):
        from workbench import spaces

        space = spaces.create(space)
    est = estimators.create(estimator, space=space, **dict(estimator_options or {}))
    options = _estimator_options(est)
    texts = list(dict.fromkeys(space.to_string(space.validate(a)) for a in archs))
    known: dict[str, Result] = {}
    db = None
    if store is not None:
        db = store if isinstance(store, Store) else Store(store)
        run_id = recipe_id(space, estimator, options)
        try:
            db.run_info(run_id)
        except KeyError:
            try:
                db.create_run(run_id, kind=GROUND_TRUTH_KIND, seed=None, name=f"ground truth ({estimator})",
                              config={"space": {"name": space.name, "options": {}},
                                      "estimator": {"name": estimator, "options": options}})
            except sqlite3.IntegrityError:  # another process created it meanwhile
                pass
        known = {t.arch: t.result for t in db.trials(run_id) if t.ok}
    out: dict[str, float] = {}
    for text in texts:
        if text not in known:
            t0 = time.perf_counter()
            result = est.evaluate(space.from_string(text))
            known[text] = result
            if db is not None:
                trial = Trial(len(db.trials(run_id)), text, result, wall_s=time.perf_counter() - t0,
                              finished_at=time.time())
                try:
                    db.add_trial(run_id, trial)
                except sqlite3.IntegrityError:  # another process added a trial of that number: append again
                    db.add_trial(run_id, Trial(len(db.trials(run_id)), text, result, wall_s=trial.wall_s,
                                               finished_at=trial.finished_at))
        r = known[text]
        out[text] = float(r.objective if objective is None else r.metrics[objective])
    return out


def score_fidelity(scores: Mapping[str, float], truth: Mapping[str, float], *, k: int | None = None,
                   n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> RankingFidelity:
    """Fidelity of ``scores`` against ``truth`` over the archs both have (by arch text)."""
    common = [a for a in scores if a in truth]
    if len(common) < 2:
        raise ValueError(f"scores and truth share {len(common)} arch(s); a ranking needs at least 2")
    return fidelity(np.array([scores[a] for a in common]), np.array([truth[a] for a in common]), k=k,
                    n_boot=n_boot, level=level, seed=seed)


def epoch_fidelity(epochs: Sequence[Any], truth: Mapping[str, float], **options: Any) -> list[RankingFidelity | None]:
    """``score_fidelity`` of every epoch's ``scores`` (EpochFinished events or EpochReports); None for an
    epoch without scores."""
    return [score_fidelity(e.scores, truth, **options) if len(e.scores) >= 2 else None for e in epochs]


#: per method, the search settings of the ranking-fidelity study (small: the search is not what it measures)
STUDY_SEARCH = {"spos": {"population": 6, "generations": 2, "top_k": 3},
                "fairnas": {"population": 6, "generations": 2, "top_k": 3},
                "rsps": {"search_samples": 10}, "enas": {"derive_samples": 5}}


def study_setup(*, methods: Sequence[str] = ("spos", "fairnas", "rsps"), data: str = "fashion-mnist",
                limit: int = 2000, channels: int = 4, archs: int = 30, epochs: int = 10, gt_epochs: int = 3,
                seed: int = 0, store: Any = None, batches_per_epoch: int | None = None,
                device: str = "cpu") -> tuple[dict[str, float], dict[str, Any]]:
    """The ranking-fidelity study of ``benchmarks/oneshot_tau.py`` and notebook 05: ``(truth, runs)``.

    NB201 networks of ``channels`` channels and 1 cell per stage on the first ``limit`` training images of
    ``data``. ``truth``: ``archs`` archs sampled with seed 0, each trained stand-alone by the ``train``
    estimator (``gt_epochs`` epochs, batch 64; cached in ``store``). ``runs``: one unstarted ``Run`` per
    method (budget ``epochs`` epochs, batch 64, SGD lr 0.05 cosine as the ground truth's training) whose
    strategy scores the same archs
    after every epoch (batch norms recalibrated on 2 training batches, 512 held-out images).
    """
    from workbench import oneshot, spaces
    from workbench.runs import Budget, Run

    space = spaces.create("nb201")
    size = {"channels": channels, "cells_per_stage": 1}
    probes = oneshot.create("rsps", space=space, probe_archs=archs, probe_seed=0).probes()
    truth = ground_truth(space, probes, estimator="train", store=store,
                         estimator_options={"dataset": data, "data": {"limit": limit}, "epochs": gt_epochs,
                                            "build": size, "batch_size": 64, "seed": 0, "device": device})
    common = dict(data=data, data_options={"limit": limit}, **size, batch_size=64, lr=0.05, eval_examples=512,
                  recal_batches=2, probe_archs=archs, probe_seed=0, epochs=epochs, device=device,
                  batches_per_step=batches_per_epoch)
    runs = {m: Run(space=space, strategy=m, strategy_options={**common, **STUDY_SEARCH.get(m, {})},
                   budget=Budget(epochs=epochs), seed=seed, store=store, name=f"tau study {m}") for m in methods}
    return truth, runs


__all__ = ["GROUND_TRUTH_KIND", "STUDY_SEARCH", "epoch_fidelity", "ground_truth", "recipe_id", "score_fidelity",
           "study_setup"]
