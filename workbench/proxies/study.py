"""The zero-cost correlation study: how well each proxy ranks archs against a benchmark's accuracy.

``correlation_study`` scores a sample of archs with every proxy (or reads a cache of scores), and reports per
proxy Spearman's rho and Kendall's tau against the benchmark's accuracy with bootstrap intervals, plus the
proxy's mean seconds per arch and its ratio to one forward+backward pass of the same network and batch.
``warmup_comparison`` runs a searcher with and without the zero-cost warm-up on a tabular benchmark over
seeds. ``naslib_scores`` reads NASLib's precomputed scores (``zc_nasbench201.json``) for comparison.
Rank statistics come from ``workbench.ranking`` (pure numpy).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

#: Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021, Table 1 (NAS-Bench-201 CIFAR-10,
#: all 15,625 cells): |Spearman rho| of each proxy with the final validation accuracy.
PUBLISHED_RHO = {"synflow": 0.74, "jacob_cov": 0.73, "snip": 0.60, "grad_norm": 0.59, "grasp": 0.51, "fisher": 0.36}
PUBLISHED_SOURCE = "Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021, Table 1 (NB201 CIFAR-10)"

#: this workbench's proxy names -> the keys of NASLib's zero-cost JSON
NASLIB_NAMES = {"synflow": "synflow", "snip": "snip", "grasp": "grasp", "fisher": "fisher", "grad_norm": "grad_norm",
                "jacob_cov": "jacov", "naswot": "nwot", "params": "params", "flops": "flops"}


# --- caches of proxy values ------------------------------------------------------------------------------
def update_cache(cache: dict, arch_text: str, values: Mapping[str, float], seconds: Mapping[str, float]) -> None:
    """Record one arch's proxy values and seconds in a cache dict ({"values": ..., "seconds": ...})."""
    cache.setdefault("values", {}).setdefault(arch_text, {}).update({k: float(v) for k, v in values.items()})
    cache.setdefault("seconds", {}).setdefault(arch_text, {}).update({k: float(v) for k, v in seconds.items()})


def load_cache(path: str | Path) -> dict:
    """A cache written by ``benchmarks/zero_cost_scores.py``."""
    return json.loads(Path(path).read_text())


def naslib_scores(path: str | Path, dataset: str = "cifar10") -> dict[str, dict[str, float]]:
    """NASLib's precomputed scores: arch string -> {proxy (this workbench's names): score, "val_acc": %}."""
    from workbench.benchmarks.naslib import naslib_tuple_to_arch_string

    data = json.loads(Path(path).read_text())
    if dataset not in data:
        raise KeyError(f"{path} has no data set {dataset!r}; it holds {sorted(data)}")
    out = {}
    for key, record in data[dataset].items():
        row = {ours: float(record[theirs]["score"]) for ours, theirs in NASLIB_NAMES.items() if theirs in record}
        row["val_acc"] = float(record["val_accuracy"])
        out[naslib_tuple_to_arch_string(key)] = row
    return out


# --- the study ---------------------------------------------------------------------------------------------
@dataclass
class ProxyCorrelation:
    """One proxy's rank agreement with the benchmark over ``n`` archs, and its cost."""

    proxy: str
    n: int
    spearman: float
    spearman_ci: tuple[float, float]
    kendall: float
    kendall_ci: tuple[float, float]
    seconds: float = float("nan")
    cost_ratio: float = float("nan")
    published: float | None = None

    def as_row(self) -> dict[str, Any]:
        return {"proxy": self.proxy, "n": self.n, "spearman": self.spearman, "spearman_lo": self.spearman_ci[0],
                "spearman_hi": self.spearman_ci[1], "kendall": self.kendall, "kendall_lo": self.kendall_ci[0],
                "kendall_hi": self.kendall_ci[1], "seconds": self.seconds, "cost_ratio": self.cost_ratio,
                "published_abs_rho": self.published}


@dataclass
class CorrelationStudy:
    """Per-proxy correlations; ``values`` (proxy -> array over ``archs``) and ``accuracy`` for scatter plots."""

    rows: list[ProxyCorrelation]
    archs: list[str]
    values: dict[str, np.ndarray]
    accuracy: np.ndarray
    forward_backward_s: float = float("nan")
    meta: dict[str, Any] = field(default_factory=dict)

    def table(self) -> list[dict[str, Any]]:
        return [r.as_row() for r in self.rows]

    def text(self) -> str:
        """The table as aligned text, ours beside the published |rho|."""
        lines = [f"{'proxy':<10} {'n':>5} {'spearman':>8} {'95% interval':>16} {'kendall':>8} {'published |rho|':>16}"
                 f" {'s/arch':>8} {'x fwd+bwd':>9}"]
        for r in self.rows:
            pub = f"{r.published:.2f}" if r.published is not None else "-"
            lines.append(f"{r.proxy:<10} {r.n:5d} {r.spearman:+8.3f} [{r.spearman_ci[0]:+6.3f}, {r.spearman_ci[1]:+6.3f}]"
                         f" {r.kendall:+8.3f} {pub:>16} {r.seconds:8.3f} {r.cost_ratio:9.2f}")
        return "\n".join(lines)


def correlate(values: Mapping[str, Sequence[float]], accuracy: Sequence[float], *, seconds: Mapping[str, float] | None = None,
              forward_backward_s: float = float("nan"), n_boot: int = 1000, level: float = 0.95,
              seed: int = 0) -> list[ProxyCorrelation]:
    """Spearman's rho and Kendall's tau of each proxy's values against ``accuracy``, with bootstrap intervals
    (archs resampled with replacement; non-finite values dropped for that proxy)."""
    from workbench import ranking

    acc = np.asarray(accuracy, dtype=float)
    rows = []
    for name, vals in values.items():
        v = np.asarray(vals, dtype=float)
        ok = np.isfinite(v) & np.isfinite(acc)
        v, a = v[ok], acc[ok]
        rho = ranking.spearman_rho(v, a)
        tau = ranking.kendall_tau(v, a)
        rho_ci = tuple(ranking.bootstrap_interval(ranking.spearman_rho, v, a, n_boot=n_boot, level=level, seed=seed))
        tau_ci = tuple(ranking.bootstrap_interval(ranking.kendall_tau, v, a, n_boot=n_boot, level=level, seed=seed))
        sec = float((seconds or {}).get(name, float("nan")))
        rows.append(ProxyCorrelation(name, int(ok.sum()), float(rho), rho_ci[-2:], float(tau), tau_ci[-2:], sec,
                                     sec / forward_backward_s if forward_backward_s > 0 else float("nan"),
                                     PUBLISHED_RHO.get(name)))
    return rows


def forward_backward_seconds(network, batch, repeats: int = 3) -> float:
    """Median wall seconds of one forward+backward pass (cross-entropy) of ``network`` on ``batch``."""
    import copy

    import torch.nn.functional as F

    net = copy.deepcopy(network)
    net.train()
    times = []
    for _ in range(max(1, repeats)):
        net.zero_grad(set_to_none=True)
        start = time.perf_counter()
        F.cross_entropy(net(batch[0]), batch[1]).backward()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def correlation_study(space, accuracy: Callable[[Any], float], archs: Iterable[Any], proxies: Sequence[str], *,
                      scorer_options: Mapping[str, Any] | None = None, cache: Mapping | None = None,
                      n_boot: int = 1000, level: float = 0.95, seed: int = 0,
                      on_arch: Callable[["CorrelationStudy"], None] | None = None,
                      every: int = 10) -> CorrelationStudy:
    """Score ``archs`` with every proxy and correlate with ``accuracy(arch)`` (e.g. a tabular lookup).

    Values found in ``cache`` (``{"values": {arch_string: {proxy: v}}, "seconds": ...}``) are not recomputed.
    ``on_arch(partial_study)`` is called every ``every`` archs with the study so far (live plots).
    Costs are the mean measured seconds per arch and their ratio to one forward+backward pass of the same
    network and batch, timed in the same process.
    """
    from workbench import proxies as registry
    from workbench.proxies import ProxyScorer

    scorer = ProxyScorer(space, {p: 1.0 for p in proxies}, **dict(scorer_options or {}))
    cached = dict((cache or {}).get("values", {}))
    cached_s = dict((cache or {}).get("seconds", {}))
    texts, accs = [], []
    vals: dict[str, list[float]] = {p: [] for p in proxies}
    secs: dict[str, list[float]] = {p: [] for p in proxies}
    fb: list[float] = []

    def snapshot(final: bool) -> CorrelationStudy:
        arrays = {p: np.asarray(v, dtype=float) for p, v in vals.items()}
        fb_s = float(np.median(fb)) if fb else float("nan")
        mean_s = {p: float(np.mean(s)) if s else float("nan") for p, s in secs.items()}
        rows = correlate(arrays, accs, seconds=mean_s, forward_backward_s=fb_s, n_boot=n_boot if final else 200,
                         level=level, seed=seed) if len(texts) >= 3 else []
        return CorrelationStudy(rows, list(texts), arrays, np.asarray(accs, dtype=float), fb_s,
                                {"scorer": scorer.config(), "published_source": PUBLISHED_SOURCE})

    for arch in archs:
        text = space.to_string(arch)
        got = cached.get(text, {})
        net = None
        for p in proxies:
            if p in got:
                vals[p].append(float(got[p]))
                if p in cached_s.get(text, {}):
                    secs[p].append(float(cached_s[text][p]))
                continue
            if net is None:
                net = scorer.network(arch)
            start = time.perf_counter()
            vals[p].append(registry.compute(p, net, scorer.batch(), seed=scorer.seed))
            secs[p].append(time.perf_counter() - start)
        if net is not None and len(fb) < 20:
            fb.append(forward_backward_seconds(net, scorer.batch(), repeats=1))
        texts.append(text)
        accs.append(float(accuracy(arch)))
        if on_arch is not None and len(texts) % every == 0:
            on_arch(snapshot(False))
    return snapshot(True)


# --- warm-up vs plain search ----------------------------------------------------------------------------------
@dataclass
class WarmupComparison:
    """The chosen arch's accuracy per seed for each variant (``plain``, ``warmup``)."""

    searcher: str
    evaluations: int
    accuracy: dict[str, np.ndarray]
    options: dict[str, dict[str, Any]]
    seconds: float

    def text(self) -> str:
        return "\n".join(f"{row['variant']:8s} {row['searcher']} over {row['seeds']} seeds x {row['evaluations']} "
                         f"evaluations: {row['mean']:.2f} +- {row['std']:.2f} %" for row in self.summary())

    def summary(self) -> list[dict[str, Any]]:
        return [{"variant": k, "searcher": self.searcher, "seeds": len(v), "evaluations": self.evaluations,
                 "mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0}
                for k, v in self.accuracy.items()]


def warmup_comparison(space, estimator, *, searcher: str = "re", seeds: Iterable[int] = range(10),
                      evaluations: int = 100, zero_cost: Mapping[str, Any] | None = None,
                      scorer: Callable[[Any], float] | None = None, searcher_options: Mapping[str, Any] | None = None,
                      report: str | None = None) -> WarmupComparison:
    """Run ``searcher`` with and without ``zero_cost`` (e.g. ``{"proxy": "synflow", "warmup": 100}``) for
    ``evaluations`` evaluations per seed on ``estimator`` (a tabular one: the study is about search, not
    cost); each search returns its best arch by objective, reported by ``report`` (a metric of the Result,
    e.g. ``"val_acc@200"``; default the objective). ``scorer`` shares one proxy scorer (and its memo) across
    seeds; the warm-up's scored archs are proposals like any other and count as evaluations."""
    from workbench import searchers

    zero_cost = dict(zero_cost or {"proxy": "synflow", "warmup": 100})
    variants = {"plain": {}, "warmup": {"zero_cost": zero_cost}}
    out: dict[str, list[float]] = {k: [] for k in variants}
    start = time.perf_counter()
    for s in seeds:
        for variant, extra in variants.items():
            kwargs = {**dict(searcher_options or {}), **extra}
            if extra and scorer is not None:
                kwargs["scorer"] = scorer
            srch = searchers.create(searcher, space=space, seed=int(s), **kwargs)
            best = None
            for _ in range(evaluations):
                arch = srch.ask()
                result = estimator.evaluate(arch)
                srch.tell(arch, result)
                if best is None or result.objective > best.objective:
                    best = result
            out[variant].append(best.metrics[report] if report else best.objective)
    return WarmupComparison(searcher, evaluations, {k: np.asarray(v) for k, v in out.items()},
                            {k: dict(v) for k, v in variants.items()}, time.perf_counter() - start)
