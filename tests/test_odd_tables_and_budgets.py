"""Issue 9, items 6 and 7: non-finite accuracies in a table fail only their trial and never become best; a
budget that the estimator can never use up (``sim_seconds`` on a table without training times) is refused
at the start with a message that says why and what to use. Tables are built here, no shared data needed."""
from __future__ import annotations

import math

import numpy as np
import pytest

from workbench import Budget, Run, benchmarks, estimators, spaces
from workbench.errors import BudgetError


def _nb201_csv(path, special: dict[int, str]) -> str:
    """An NB201 table CSV (the official index order, 15,625 rows) with made-up accuracies; ``special`` maps a
    row to the text written in its c10_valid_200ep cell (``inf``, ``nan``, ...). No training times."""
    space = spaces.create("nb201")
    lines = ["index,arch_str,c10_valid_200ep,c10_test_12ep"]
    for i, arch in enumerate(space.enumerate()):
        acc = special.get(i, f"{50 + (i * 37 % 4000) / 100:.2f}")
        lines.append(f'{i},"{space.to_string(arch)}",{acc},{40 + (i % 500) / 10:.1f}')
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def odd_csv(tmp_path_factory):
    """Every 7th row +inf, every 11th NaN, every 13th -inf (about 30 % of the table)."""
    special = {}
    for i in range(15625):
        if i % 13 == 0:
            special[i] = "-inf"
        if i % 11 == 0:
            special[i] = "nan"
        if i % 7 == 0:
            special[i] = "inf"
    return _nb201_csv(tmp_path_factory.mktemp("odd") / "nb201_odd.csv", special)


def test_non_finite_accuracies_fail_only_their_trials_and_never_become_best(odd_csv, tmp_path):
    run = Run(space="nb201", searcher="random", estimator="tabular", estimator_options={"benchmark": odd_csv},
              budget=120, seed=0, store=tmp_path / "runs.sqlite").run()
    assert run.status == "finished" and len(run.trials) == 120
    failed = [t for t in run.trials if t.status == "failed"]
    ok = [t for t in run.trials if t.status == "ok"]
    assert failed and ok, "about 30% of the table is non-finite: both kinds of trial must occur"
    assert all(math.isfinite(t.objective) for t in ok)
    assert all(t.result is None and t.error for t in failed)
    assert math.isfinite(run.best.objective)
    assert run.best.objective == max(t.objective for t in ok)
    # the archs that failed are exactly those whose table cell is not finite
    table = benchmarks.load(odd_csv)
    column = table.column("cifar10", "val_acc", 200)
    space = spaces.create("nb201")
    for t in run.trials:
        finite = math.isfinite(column[space.code(t.arch)])
        assert finite == (t.status == "ok"), (t.arch, t.status)


def test_sim_seconds_budget_on_a_table_without_training_times_is_refused_at_start(odd_csv):
    with pytest.raises(BudgetError) as err:
        Run(space="nb201", searcher="random", estimator="tabular", estimator_options={"benchmark": odd_csv},
            budget=Budget(sim_seconds=12000), seed=0)
    message = str(err.value)
    for part in ("sim_seconds=12000", "'tabular'", "no training times", "evaluations=N", "cost_s"):
        assert part in message, message


def test_sim_seconds_with_an_evaluation_cap_or_a_per_lookup_cost_runs(odd_csv, tmp_path):
    capped = Run(space="nb201", searcher="random", estimator="tabular", estimator_options={"benchmark": odd_csv},
                 budget=Budget(evaluations=15, sim_seconds=12000), seed=0).run()
    assert capped.status == "finished" and len(capped.trials) == 15
    est = estimators.create("tabular", space=spaces.create("nb201"), benchmark=odd_csv, cost_s=1000.0)
    assert est.charges_sim_time
    charged = Run(space="nb201", searcher="random", estimator=est, budget=Budget(sim_seconds=12000), seed=0).run()
    assert charged.status == "finished"
    assert charged.progress().sim_seconds >= 12000


def test_a_table_with_training_times_charges_them():
    space = spaces.create("nb201")
    archs = [space.to_string(a) for a in space.enumerate()]
    n = len(archs)
    rng = np.random.default_rng(0)
    table = benchmarks.Table(name="timed", space_name="nb201", arch_strings=np.array(archs),
                             columns={"cifar10/val_acc@200": rng.uniform(10, 90, n),
                                      "cifar10/train_time_s@200": rng.uniform(1000, 2000, n)})
    est = estimators.create("tabular", space=space, benchmark=table, report=[])
    assert est.charges_sim_time
    run = Run(space=space, searcher="random", estimator=est, budget=Budget(sim_seconds=10_000), seed=0).run()
    assert 5 <= len(run.trials) <= 11 and run.progress().sim_seconds >= 10_000
    free = benchmarks.Table(name="free", space_name="nb201", arch_strings=np.array(archs),
                            columns={"cifar10/val_acc@200": rng.uniform(10, 90, n),
                                     "cifar10/train_time_s@200": np.zeros(n)})
    assert not estimators.create("tabular", space=space, benchmark=free, report=[]).charges_sim_time


def test_an_epochs_only_budget_for_a_search_is_refused(odd_csv):
    with pytest.raises(BudgetError, match="epochs count one-shot epochs only"):
        Run(space="nb201", searcher="random", estimator="tabular", estimator_options={"benchmark": odd_csv},
            budget=Budget(epochs=3), seed=0)
