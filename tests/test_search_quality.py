"""Black-box search on the real NAS-Bench-201 table: regularized evolution beats random search."""
from __future__ import annotations

import numpy as np

from workbench import Run, estimators


def _final_val_acc(searcher: str, seed: int, estimator) -> float:
    run = Run(space=estimator.space, searcher=searcher, estimator=estimator, budget=200, seed=seed).run()
    return run.best.metrics["val_acc@200"]


def test_regularized_evolution_beats_random_search(nb201, nb201_table):
    est = estimators.create("tabular", space=nb201, benchmark=nb201_table, dataset="cifar10", metric="val_acc", epochs=200)
    seeds = range(50)
    re = np.array([_final_val_acc("re", s, est) for s in seeds])
    rs = np.array([_final_val_acc("random", s, est) for s in seeds])
    optimum = float(nb201_table.column("cifar10", "val_acc", 200).max())
    assert re.mean() > rs.mean()
    # both are real searches: close to, never above, the best cell of the table
    assert re.max() <= optimum and rs.max() <= optimum
    assert optimum - re.mean() < 1.0
    # a paired comparison over seeds, not just the means
    assert (re > rs).sum() > (re < rs).sum()
