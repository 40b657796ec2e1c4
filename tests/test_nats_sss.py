"""The NATS-Bench size space: 32,768 channel configurations, numbered as NATS numbers them."""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from workbench import spaces
from workbench.errors import OutOfSpaceError


@pytest.fixture(scope="module")
def sss():
    return spaces.create("nats_sss")


def test_size_and_numbering_match_nats(sss):
    assert sss.size() == 32768 == len(list(sss.enumerate()))
    # NATS' meta_archs: index 0, 1, 11, 284 and the last one
    for index, text in ((0, "8:8:8:8:8"), (1, "8:8:8:8:16"), (11, "8:8:8:16:32"), (284, "8:8:40:32:40"), (32767, "64:64:64:64:64")):
        assert sss.code(text) == index and sss.to_string(sss.from_code(index)) == text


def test_numbering_matches_the_official_meta_file(sss):
    meta = SHARED_DATA / "nb201" / "nats_official_format" / "NATS-sss-v1_0-50262-simple" / "meta.pickle.pbz2"
    if not meta.exists():
        pytest.skip(f"official NATS sss meta file not found at {meta}")
    from workbench.benchmarks._unpickle import load_pbz2

    assert load_pbz2(meta)["meta_archs"] == [sss.to_string(a) for a in sss.enumerate()]


@pytest.mark.parametrize("bad,why", [("8:8:8:8", "4 part"), ("8:8:8:8:12", "12 channels"), ("a:8:8:8:8", "integer"),
                                     ((8, 8, 8, 8, 72), "72 channels"), (5, "expected a string")])
def test_validate_says_what_is_wrong(sss, bad, why):
    with pytest.raises(OutOfSpaceError, match=why):
        sss.validate(bad)


def test_exploration_and_views(sss):
    rng = np.random.default_rng(0)
    arch = sss.sample(rng)
    assert sss.validate(arch) == arch
    child = sss.mutate(arch, rng)
    assert sum(a != b for a, b in zip(arch, child)) == 1
    assert len(sss.neighbours(arch)) == 5 * 7 and child in sss.neighbours(arch)
    assert sss.from_decisions(sss.to_decisions(arch)) == arch
    enc = sss.encode("8:16:24:32:64")
    assert enc.shape == (40,) and enc.sum() == 5 and np.flatnonzero(enc).tolist() == [0, 9, 18, 27, 39]
    g = sss.to_graph("8:16:24:32:64")
    assert g.number_of_nodes() == 7 and all("op" in d for _, d in g.nodes(data=True)) and all("op" in d for *_, d in g.edges(data=True))
    with pytest.raises(NotImplementedError):
        sss.build(arch, num_classes=10)
