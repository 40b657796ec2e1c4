"""How well one set of scores ranks architectures compared with the truth: pure numpy.

Weight-sharing supernets, zero-cost proxies and surrogates are all judged the same way: do they put the
architectures in the order that stand-alone training (or a benchmark table) does? The CVPR 2021
Lightweight NAS Challenge scored supernets by Kendall's tau; the zero-cost literature reports Spearman's rho.

>>> import numpy as np
>>> from workbench.ranking import fidelity
>>> truth = np.array([70.1, 80.4, 90.2, 85.0, 60.3])
>>> scores = np.array([0.1, 0.3, 0.5, 0.2, 0.0])
>>> r = fidelity(scores, truth, k=2, n_boot=200, seed=0)
>>> round(r.kendall_tau, 3), round(r.spearman_rho, 3), r.top_k_precision, round(r.regret, 3)
(0.8, 0.9, 0.5, 0.0)

Every statistic treats ties as the standard definitions do (Kendall's tau-b, Spearman's rho on average
ranks), so the values equal ``scipy.stats.kendalltau`` / ``spearmanr``; scipy is not needed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["RankingFidelity", "bootstrap_interval", "fidelity", "kendall_tau", "regret", "spearman_rho",
           "top_k_precision"]

Statistic = Callable[[np.ndarray, np.ndarray], float]


def _pair(scores, truth) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(scores, dtype=float).ravel()
    y = np.asarray(truth, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"scores and truth must have the same length, got {x.size} and {y.size}")
    if x.size < 2:
        raise ValueError(f"a ranking needs at least 2 architectures, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        bad = int(np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))[0])
        raise ValueError(f"scores and truth must be finite; position {bad} holds ({x[bad]!r}, {y[bad]!r})")
    return x, y


def _tied_pairs(sorted_values: np.ndarray) -> int:
    """Number of pairs with equal values in an already sorted array."""
    if sorted_values.size < 2:
        return 0
    starts = np.flatnonzero(np.concatenate(([True], sorted_values[1:] != sorted_values[:-1], [True])))
    counts = np.diff(starts)
    return int(np.sum(counts * (counts - 1) // 2))


def _inversions(ranks: np.ndarray) -> int:
    """Pairs i < j with ranks[i] > ranks[j], for integer ranks in [0, n): a bottom-up merge sort in numpy."""
    n = ranks.size
    keys = ranks.astype(np.int64)
    idx = np.arange(n)
    total = 0
    width = 1
    while width < n:
        block = idx // (2 * width)
        is_left = (idx % (2 * width)) < width
        offset = block * n
        left = np.sort(keys[is_left] + offset[is_left])  # each run already sorted; offset keeps blocks apart
        right_keys = keys[~is_left] + offset[~is_left]
        right_block = block[~is_left]
        end_of_left = np.searchsorted(left, (right_block + 1) * n, side="left")
        not_greater = np.searchsorted(left, right_keys, side="right")
        total += int(np.sum(end_of_left - not_greater))
        keys = np.sort(keys + offset) - offset  # merge: sort within blocks of 2*width
        width *= 2
    return total


def kendall_tau(scores, truth) -> float:
    """Kendall's tau-b of ``scores`` against ``truth`` (ties counted as tau-b does), in O(n log^2 n).

    NaN when either side is constant (no order to compare)."""
    x, y = _pair(scores, truth)
    n = x.size
    order = np.lexsort((y, x))  # by x, then y: ties in x contribute no inversions
    xs, ys = x[order], y[order]
    n0 = n * (n - 1) // 2
    n1 = _tied_pairs(xs)
    n2 = _tied_pairs(np.sort(y))
    # pairs tied in both: within runs of equal x, runs of equal y (ys is sorted inside each x run)
    both = np.concatenate(([True], (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1]), [True]))
    counts = np.diff(np.flatnonzero(both))
    n3 = int(np.sum(counts * (counts - 1) // 2))
    y_ranks = np.searchsorted(np.unique(ys), ys)  # dense integer ranks
    swaps = _inversions(y_ranks)
    denominator = np.sqrt(float(n0 - n1) * float(n0 - n2))
    if denominator == 0:
        return float("nan")
    return float((n0 - n1 - n2 + n3 - 2 * swaps) / denominator)


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_values[1:] != sorted_values[:-1])))
    ends = np.concatenate((starts[1:], [values.size]))
    mean_rank = (starts + ends - 1) / 2.0  # 0-based average rank of each tie group
    ranks = np.empty(values.size)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def spearman_rho(scores, truth) -> float:
    """Spearman's rho (Pearson correlation of average ranks). NaN when either side is constant."""
    x, y = _pair(scores, truth)
    rx, ry = _average_ranks(x), _average_ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denominator = np.sqrt(np.dot(rx, rx) * np.dot(ry, ry))
    if denominator == 0:
        return float("nan")
    return float(np.dot(rx, ry) / denominator)


def _check_k(k: int, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(f"k must be an integer from 1 to the number of architectures ({n}), got {k!r}")
    return int(k)


def top_k_precision(scores, truth, k: int) -> float:
    """Fraction of the ``k`` best architectures by ``scores`` that are among the ``k`` best by ``truth``.

    Ties are broken by position (the earlier architecture first), on both sides."""
    x, y = _pair(scores, truth)
    k = _check_k(k, x.size)
    by_score = np.argsort(-x, kind="mergesort")[:k]
    by_truth = np.argsort(-y, kind="mergesort")[:k]
    return float(np.intersect1d(by_score, by_truth).size / k)


def regret(scores, truth) -> float:
    """``max(truth)`` minus the truth of the architecture the scores rank first (in truth's units).

    When several architectures share the top score, the expected regret of picking one of them at random."""
    x, y = _pair(scores, truth)
    chosen = y[x == x.max()]
    return float(y.max() - chosen.mean())


def bootstrap_interval(statistic: Statistic, scores, truth, *, n_boot: int = 1000, level: float = 0.95,
                       seed: int | None = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(scores, truth)``, resampling architectures in pairs.

    Resamples where the statistic is undefined (NaN, e.g. all scores tied) are left out."""
    x, y = _pair(scores, truth)
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    rng = np.random.default_rng(seed)
    values = np.empty(int(n_boot))
    for b in range(int(n_boot)):
        pick = rng.integers(0, x.size, x.size)
        values[b] = statistic(x[pick], y[pick])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class RankingFidelity:
    """How well scores rank ``n`` architectures against the truth, with bootstrap intervals at ``level``."""

    n: int
    kendall_tau: float
    kendall_interval: tuple[float, float]
    spearman_rho: float
    spearman_interval: tuple[float, float]
    k: int
    top_k_precision: float
    regret: float
    level: float = 0.95
    n_boot: int = 1000

    def to_dict(self) -> dict:
        return {"n": self.n, "kendall_tau": self.kendall_tau, "kendall_interval": list(self.kendall_interval),
                "spearman_rho": self.spearman_rho, "spearman_interval": list(self.spearman_interval),
                "k": self.k, "top_k_precision": self.top_k_precision, "regret": self.regret,
                "level": self.level, "n_boot": self.n_boot}


def fidelity(scores, truth, *, k: int | None = None, n_boot: int = 1000, level: float = 0.95,
             seed: int | None = 0) -> RankingFidelity:
    """Kendall's tau and Spearman's rho with bootstrap intervals, top-``k`` precision and regret.

    ``k`` defaults to the top 10 % (at least 1). The same seed gives the same intervals."""
    x, y = _pair(scores, truth)
    k = _check_k(max(1, x.size // 10) if k is None else k, x.size)
    return RankingFidelity(
        n=int(x.size),
        kendall_tau=kendall_tau(x, y),
        kendall_interval=bootstrap_interval(kendall_tau, x, y, n_boot=n_boot, level=level, seed=seed),
        spearman_rho=spearman_rho(x, y),
        spearman_interval=bootstrap_interval(spearman_rho, x, y, n_boot=n_boot, level=level, seed=seed),
        k=k,
        top_k_precision=top_k_precision(x, y, k),
        regret=regret(x, y),
        level=level,
        n_boot=int(n_boot),
    )
