"""Unit tests for :mod:`caseflow.streams` and :mod:`caseflow.distributions`.

Statistical checks use fixed seeds and 100,000 draws, with tolerances of roughly 4-5 standard errors, so
they are deterministic and would catch a sampler that is wrong by a meaningful amount.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.distributions import BandedSampler, BranchSampler, cumulative
from caseflow.model.entities import Family
from caseflow.scenario import Banded, load_scenario
from caseflow.streams import (
    DrawBlock,
    GammaDraws,
    Stream,
    Streams,
    bisect_right,
    bisect_right_native,
    stream_seed,
)

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "caseflow"
BASELINE = REPO / "scenarios" / "baseline.toml"

N = 100_000


def draws(stream: Stream, n: int) -> list[float]:
    return [stream.random() for _ in range(n)]


# ------------------------------------------------------------------------------ reproducibility


def test_same_seed_replication_name_gives_identical_sequences() -> None:
    # 5,000 draws cross the 2,048-number block boundary twice
    a = draws(Streams(7, 3)["assessment"], 5000)
    b = draws(Streams(7, 3)["assessment"], 5000)
    assert a == b


def test_stream_is_cached_per_registry() -> None:
    s = Streams(1, 0)
    first = s["x"]
    assert s["x"] is first
    v1 = first.random()
    v2 = s["x"].random()  # continues the same stream, does not restart it
    fresh = Streams(1, 0)["x"]
    assert [fresh.random(), fresh.random()] == [v1, v2]
    assert v1 != v2


def test_different_names_replications_and_seeds_differ() -> None:
    base = draws(Streams(7, 3)["assessment"], 100)
    assert draws(Streams(7, 3)["assessment2"], 100) != base
    assert draws(Streams(7, 4)["assessment"], 100) != base
    assert draws(Streams(8, 3)["assessment"], 100) != base
    # not merely shifted copies of one another either
    others = [
        draws(Streams(7, 3)["assessment2"], 1000),
        draws(Streams(7, 4)["assessment"], 1000),
        draws(Streams(8, 3)["assessment"], 1000),
    ]
    base_set = set(draws(Streams(7, 3)["assessment"], 1000))
    for o in others:
        assert len(base_set & set(o)) == 0


def test_adding_a_stream_does_not_change_another() -> None:
    alone = Streams(11, 2)
    expected = draws(alone["arrivals"], 3000)

    busy = Streams(11, 2)
    got: list[float] = []
    for i in range(3000):
        if i % 7 == 0:
            busy[f"new_feature_{i % 3}"].random()  # new streams created and drawn from, interleaved
        busy["zz_extra"].exponential(2.0)
        got.append(busy["arrivals"].random())
    assert got == expected
    assert busy.names[0] == "new_feature_0"
    assert set(busy.names) == {"arrivals", "new_feature_0", "new_feature_1", "new_feature_2", "zz_extra"}


def test_order_of_first_use_does_not_matter() -> None:
    s1 = Streams(3, 0)
    a1, b1 = draws(s1["a"], 10), draws(s1["b"], 10)
    s2 = Streams(3, 0)
    b2, a2 = draws(s2["b"], 10), draws(s2["a"], 10)
    assert (a1, b1) == (a2, b2)
    assert s1.names == ["a", "b"]
    assert s2.names == ["b", "a"]


def test_stream_seed_follows_documented_scheme() -> None:
    ss = stream_seed(42, 5, "cp_plan")
    assert ss.entropy == 42
    assert ss.spawn_key == (5, zlib.crc32(b"cp_plan"))
    expected = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(42, spawn_key=(5, zlib.crc32(b"cp_plan"))))
    ).random(10)
    got = np.array(draws(Streams(42, 5)["cp_plan"], 10))
    np.testing.assert_array_equal(got, expected)


def test_uniform_array_and_generator_use_the_same_stream() -> None:
    s = Streams(9, 1)["arrivals"]
    assert isinstance(s.generator, np.random.Generator)
    arr = s.uniform_array(50)
    ref = Streams(9, 1)["arrivals"].generator.random(50)
    np.testing.assert_array_equal(arr, ref)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 9000), min_size=1, max_size=12))
def test_blocks_are_the_stream_in_order(sizes: list[int]) -> None:
    """Blocks of uniforms (each family's own draws) are consecutive pieces of the stream's sequence,
    whatever their sizes and however they straddle the buffer's refills."""
    s = Streams(3, 0)["families.draws"]
    blocks = [s.uniforms(n) for n in sizes]
    assert [len(b) for b in blocks] == sizes
    expected = np.random.Generator(np.random.PCG64(stream_seed(3, 0, "families.draws")))
    flat = list(itertools.chain.from_iterable(blocks))
    assert flat == expected.random(len(flat)).tolist()  # numpy's draws do not depend on their chunks
    assert len(set(flat)) == len(flat)  # no number handed out twice


def test_negative_seed_or_replication_rejected() -> None:
    with pytest.raises(ValueError):
        Streams(-1, 0)
    with pytest.raises(ValueError):
        Streams(0, -1)


@pytest.mark.untraced
def test_model_stream_names_do_not_collide() -> None:
    # Streams are keyed by crc32(name): two names with the same crc32 would share numbers. Check the
    # names the model actually uses (one short replication) are distinct under crc32.
    from caseflow.replication import simulate

    out = simulate(load_scenario(BASELINE), seed=1, replication=0, years=1)
    names = out.stream_names
    assert len(names) >= 5
    crcs = [zlib.crc32(n.encode()) for n in names]
    assert len(set(crcs)) == len(names)


# ------------------------------------------------------------------------------ stream samplers


def test_random_is_in_unit_interval_and_uniform() -> None:
    u = np.array(draws(Streams(1, 0)["u"], N))
    assert u.min() >= 0.0
    assert u.max() < 1.0
    assert u.mean() == pytest.approx(0.5, abs=0.005)  # SE 0.0009
    counts, _ = np.histogram(u, bins=10, range=(0, 1))
    assert np.all(np.abs(counts / N - 0.1) < 0.005)  # SE 0.00095


def test_exponential_mean() -> None:
    s = Streams(2, 0)["exp"]
    x = np.array([s.exponential(5.0) for _ in range(N)])
    assert x.min() >= 0.0
    assert x.mean() == pytest.approx(5.0, abs=0.08)  # SE 0.016
    assert np.median(x) == pytest.approx(5.0 * math.log(2), abs=0.08)


def test_gamma_mean_and_variance() -> None:
    s = Streams(3, 0)["gamma"]
    x = np.array([s.gamma(2.0, 10.0) for _ in range(N)])
    assert x.mean() == pytest.approx(10.0, abs=0.1)  # SE 0.022
    assert x.var() == pytest.approx(10.0**2 / 2.0, rel=0.03)
    # shape 1 is the exponential and uses the same uniforms
    s1, s2 = Streams(3, 1)["g"], Streams(3, 1)["g"]
    assert [s1.gamma(1.0, 4.0) for _ in range(20)] == [s2.exponential(4.0) for _ in range(20)]


def test_bernoulli_frequency() -> None:
    s = Streams(4, 0)["b"]
    hits = sum(s.bernoulli(0.3) for _ in range(N))
    assert hits / N == pytest.approx(0.3, abs=0.006)  # SE 0.0014
    assert not any(s.bernoulli(0.0) for _ in range(1000))
    assert all(s.bernoulli(1.0) for _ in range(1000))


def test_poisson_mean() -> None:
    s = Streams(5, 0)["p"]
    x = np.array([s.poisson(3.5) for _ in range(20_000)])
    assert x.dtype.kind == "i"
    assert x.mean() == pytest.approx(3.5, abs=0.07)  # SE 0.013


def test_choice_frequencies() -> None:
    s = Streams(6, 0)["c"]
    cum = cumulative([0.2, 0.0, 0.5, 0.3])
    counts = np.bincount([s.choice(cum) for _ in range(N)], minlength=4)
    assert counts[1] == 0
    np.testing.assert_allclose(counts / N, [0.2, 0.0, 0.5, 0.3], atol=0.007)


# ----------------------------------------------------------------------------- BandedSampler


@pytest.fixture(scope="module")
def assessment_banded() -> Banded:
    return load_scenario(BASELINE).assessment.duration_wd


def test_banded_sampler_reproduces_band_probabilities(assessment_banded: Banded) -> None:
    sampler = BandedSampler(assessment_banded)
    s = Streams(10, 0)["banded"]
    x = np.array([sampler.sample(s) for _ in range(N)])
    edges = np.array(assessment_banded.edges)
    assert x.min() >= edges[0]
    assert x.max() <= edges[-1]
    counts, _ = np.histogram(x, bins=edges)
    np.testing.assert_allclose(counts / N, assessment_banded.probs, atol=0.006)  # SE <= 0.0013
    assert sampler.mean == pytest.approx(assessment_banded.mean())
    assert x.mean() == pytest.approx(assessment_banded.mean(), abs=0.3)  # SE ~0.07


def test_banded_mean_by_hand() -> None:
    b = Banded(edges=(0.0, 1.0, 11.0), probs=(0.25, 0.75))
    assert b.mean() == pytest.approx(0.25 * 0.5 + 0.75 * 6.0)


def test_banded_sampler_is_uniform_within_a_band() -> None:
    b = Banded(edges=(0.0, 1.0, 11.0), probs=(0.25, 0.75))
    sampler = BandedSampler(b)
    s = Streams(11, 0)["w"]
    x = np.array([sampler.sample(s) for _ in range(N)])
    upper = x[x >= 1.0]
    assert upper.mean() == pytest.approx(6.0, abs=0.05)  # SE ~0.012
    counts, _ = np.histogram(upper, bins=10, range=(1.0, 11.0))
    np.testing.assert_allclose(counts / upper.size, 0.1, atol=0.006)


def test_banded_sampler_scale() -> None:
    b = Banded(edges=(0.0, 1.0, 11.0), probs=(0.25, 0.75))
    sampler = BandedSampler(b, scale=30.0)
    assert sampler.mean == pytest.approx(b.mean() * 30.0)
    s = Streams(12, 0)["w"]
    x = np.array([sampler.sample(s) for _ in range(N)])
    assert x.max() <= 330.0
    assert x.mean() == pytest.approx(b.mean() * 30.0, rel=0.01)


def test_banded_sampler_zero_probability_band_is_never_drawn() -> None:
    b = Banded(edges=(0.0, 1.0, 2.0, 3.0), probs=(0.5, 0.0, 0.5))
    sampler = BandedSampler(b)
    s = Streams(13, 0)["z"]
    x = np.array([sampler.sample(s) for _ in range(N)])
    assert not np.any((x > 1.0) & (x < 2.0))
    assert np.mean(x < 1.0) == pytest.approx(0.5, abs=0.006)


def test_banded_sampler_point_mass_band() -> None:
    b = Banded(edges=(2.0, 2.0, 4.0), probs=(0.4, 0.6))  # a zero-width band: exactly 2.0
    sampler = BandedSampler(b)
    s = Streams(14, 0)["pm"]
    x = np.array([sampler.sample(s) for _ in range(N)])
    assert np.mean(x == 2.0) == pytest.approx(0.4, abs=0.007)
    assert x.min() == 2.0
    assert sampler.mean == pytest.approx(0.4 * 2.0 + 0.6 * 3.0)


@settings(max_examples=200, deadline=None)
@given(us=st.lists(st.floats(min_value=0.0, max_value=1.0, exclude_max=True), min_size=2, max_size=20))
def test_banded_from_uniform_is_monotone_and_in_range(us: list[float]) -> None:
    b = Banded(
        edges=(0.0, 1.0, 11.0, 21.0, 31.0, 41.0, 46.0, 51.0, 61.0, 91.0),
        probs=(0.018, 0.117, 0.173, 0.158, 0.202, 0.189, 0.058, 0.043, 0.042),
    )
    sampler = BandedSampler(b)
    xs = [sampler.from_uniform(u) for u in sorted(us)]
    assert all(0.0 <= x <= 91.0 for x in xs)
    assert all(a <= b_ for a, b_ in itertools.pairwise(xs))


def test_banded_from_uniform_endpoints() -> None:
    b = Banded(edges=(1.0, 3.0, 6.0), probs=(0.5, 0.5))
    sampler = BandedSampler(b)
    assert sampler.from_uniform(0.0) == 1.0
    assert sampler.from_uniform(0.25) == pytest.approx(2.0)
    assert sampler.from_uniform(0.5) == pytest.approx(3.0)
    assert sampler.from_uniform(0.75) == pytest.approx(4.5)
    assert sampler.from_uniform(math.nextafter(1.0, 0.0)) == pytest.approx(6.0)


def test_banded_sampler_one_uniform_per_draw() -> None:
    b = Banded(edges=(0.0, 1.0, 11.0), probs=(0.25, 0.75))
    sampler = BandedSampler(b)
    s1, s2 = Streams(15, 0)["k"], Streams(15, 0)["k"]
    xs = [sampler.sample(s1) for _ in range(100)]
    assert xs == [sampler.from_uniform(s2.random()) for _ in range(100)]


# ----------------------------------------------------------------------------- BranchSampler


def test_branch_sampler_frequencies_from_scenario_branch() -> None:
    outcome = load_scenario(BASELINE).assessment.outcome
    sampler = BranchSampler(outcome)
    assert sampler.outcomes == ("not_in_need", "cin_plan", "s47")
    assert sampler.probs == (outcome.not_in_need, outcome.cin_plan, outcome.s47)
    assert sampler.prob("s47") == outcome.s47
    s = Streams(20, 0)["branch"]
    got = [sampler.sample(s) for _ in range(N)]
    for name in sampler.outcomes:
        assert got.count(name) / N == pytest.approx(sampler.prob(name), abs=0.007)  # SE <= 0.0016
    assert set(got) == set(sampler.outcomes)


def test_branch_sampler_from_dict_with_zero_outcome() -> None:
    sampler = BranchSampler({"a": 0.1, "never": 0.0, "b": 0.9})
    s = Streams(21, 0)["branch"]
    got = [sampler.sample(s) for _ in range(N)]
    assert "never" not in got
    assert got.count("a") / N == pytest.approx(0.1, abs=0.005)
    with pytest.raises(ValueError):
        sampler.prob("missing")


def test_branch_sampler_is_deterministic_per_stream() -> None:
    sampler = BranchSampler({"x": 0.5, "y": 0.5})
    s1, s2, s3 = Streams(22, 0)["b"], Streams(22, 0)["b"], Streams(22, 1)["b"]
    a = [sampler.sample(s1) for _ in range(500)]
    assert a == [sampler.sample(s2) for _ in range(500)]
    assert a != [sampler.sample(s3) for _ in range(500)]
    # one uniform per decision
    s4 = Streams(22, 0)["b"]
    assert a == ["x" if s4.random() < 0.5 else "y" for _ in range(500)]


# ----------------------------------------------------------------- no global random state

# Attributes of numpy.random that do not touch the global state.
_ALLOWED_NP_RANDOM = {"Generator", "PCG64", "PCG64DXSM", "SeedSequence", "BitGenerator"}

_NP_RANDOM_ATTR = re.compile(r"\b(?:np|numpy)\.random\.([A-Za-z_]\w*)")
_FORBIDDEN = [
    re.compile(r"^\s*import\s+random\b", re.MULTILINE),
    re.compile(r"^\s*from\s+random\s+import\b", re.MULTILINE),
    re.compile(r"(?<![\w.])random\.(?:random|seed|randint|uniform|choice|shuffle|gauss)\("),
    re.compile(r"^\s*from\s+numpy\.random\s+import\s+(?!.*\b(?:Generator|PCG64|SeedSequence)\b)", re.M),
    re.compile(r"np\.random\.seed\b"),
    re.compile(r"np\.random\.rand\b"),
    re.compile(r"np\.random\.random\("),
]


def global_random_uses(text: str) -> list[str]:
    found = [m.group(0) for pat in _FORBIDDEN for m in pat.finditer(text)]
    found += [m.group(0) for m in _NP_RANDOM_ATTR.finditer(text) if m.group(1) not in _ALLOWED_NP_RANDOM]
    return found


def test_scanner_catches_global_random_state() -> None:
    # the scanner itself must be able to fail
    for bad in (
        "np.random.seed(1)",
        "x = np.random.rand(3)",
        "x = np.random.random(3)",
        "import random",
        "y = random.random()",
        "np.random.normal(0, 1)",
        "numpy.random.shuffle(a)",
        "from random import choice",
    ):
        assert global_random_uses(bad), bad
    for good in (
        "np.random.Generator(np.random.PCG64(np.random.SeedSequence(1)))",
        "self._gen.random(2048)",
        "u = stream.random()",
        "r.random() < p",
        "def random(self) -> float:",
    ):
        assert not global_random_uses(good), good


def test_no_global_random_state_in_caseflow() -> None:
    files = sorted(SRC.rglob("*.py"))
    assert len(files) >= 10
    assert SRC / "streams.py" in files
    offenders = {
        str(f.relative_to(REPO)): uses
        for f in files
        if (uses := global_random_uses(f.read_text(encoding="utf-8")))
    }
    assert offenders == {}


sorted_floats = st.lists(st.integers(0, 12).map(lambda k: k * 0.25), max_size=12).map(sorted)


@settings(max_examples=300, deadline=None)
@given(a=sorted_floats, x=st.integers(-2, 14).map(lambda k: k * 0.25))
def test_bisect_right_is_bisects(a: list[float], x: float) -> None:
    """The kernel's search of a cumulative list gives bisect.bisect_right's index, in both forms (the
    machine-number loop compiled code uses, and the one plain Python uses), for lists and tuples, with
    ties (x equal to entries, repeated entries) and x outside the list."""
    expected = bisect.bisect_right(a, x)
    assert bisect_right_native(a, x) == expected
    assert bisect_right(a, x) == expected
    assert bisect_right(tuple(a), x) == expected


def test_a_draw_block_gives_its_own_uniforms_then_the_streams() -> None:
    """An entity's block hands out the stream's next uniforms as Python floats, in order, and once they
    are used up goes on with the stream's own draws (drawn after the blocks' buffer)."""
    s = Streams(3, 0)["families.draws"]
    first, second = DrawBlock(s, 4), DrawBlock(s, 3)
    expected = np.random.Generator(np.random.PCG64(stream_seed(3, 0, "families.draws"))).random(8192 + 2)
    got = [first.random() for _ in range(5)] + [second.random() for _ in range(4)]
    assert all(type(x) is float for x in got)
    assert got[:4] == expected[:4].tolist()
    assert got[5:8] == expected[4:7].tolist()
    assert [got[4], got[8]] == expected[8192:].tolist()  # past each block: the stream itself


def test_a_family_draws_from_its_own_block_and_says_when_it_has_none() -> None:
    s = Streams(3, 0)["families.draws"]
    expected = np.random.Generator(np.random.PCG64(stream_seed(3, 0, "families.draws"))).random(2).tolist()
    family = Family(1, rng=DrawBlock(s, 2))
    assert [family.random(), family.random()] == expected
    with pytest.raises(ValueError, match="family 7 was made without its own draws"):
        Family(7).random()


@settings(max_examples=30, deadline=None)
@given(
    st.floats(0.05, 30.0).filter(lambda s: s != 1.0),
    st.lists(st.floats(0.0, 500.0), min_size=1, max_size=600),
)
def test_gamma_draws_are_the_streams_gammas_one_at_a_time(shape: float, means: list[float]) -> None:
    """Drawn in blocks, a stream's gammas of one shape are exactly those drawn one at a time, across the
    block's refills."""
    blocks = GammaDraws(Streams(4, 2)["workforce.hours"], shape)
    alone = Streams(4, 2)["workforce.hours"]
    assert [blocks.gamma(m) for m in means] == [alone.gamma(shape, m) for m in means]


def test_gamma_draws_refuse_a_shape_the_stream_draws_otherwise() -> None:
    s = Streams(1, 0)["workforce.hours"]
    for shape in (1.0, 0.0, -2.0, float("nan")):
        with pytest.raises(ValueError, match="GammaDraws needs a shape above 0 and other than 1"):
            GammaDraws(s, shape)


@pytest.mark.untraced
def test_assessment_hours_drawn_in_blocks_give_the_run_drawn_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run whose assessment hours come in blocks (no change of them scheduled) is the run that draws
    them one at a time."""
    from caseflow.model.workforce import capacity, work
    from caseflow.replication import simulate

    scenario = load_scenario(BASELINE)
    drawn_in_blocks: list[bool] = []

    class Seen(work.Work):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            drawn_in_blocks.append(self._gammas is not None)

    class OneAtATime(work.Work):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["hours_may_change"] = True
            super().__init__(*args, **kwargs)
            drawn_in_blocks.append(self._gammas is not None)

    monkeypatch.setattr(capacity, "Work", Seen)
    blocks = simulate(scenario, seed=3, years=1)
    monkeypatch.setattr(capacity, "Work", OneAtATime)
    alone = simulate(scenario, seed=3, years=1)
    assert alone.events == blocks.events
    assert alone.recorder.tallies == blocks.recorder.tallies
    assert alone.recorder.counts == blocks.recorder.counts
    assert drawn_in_blocks == [True, False]


@pytest.mark.untraced
def test_assessment_hours_are_drawn_one_at_a_time_when_a_change_of_them_is_scheduled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scheduled change of ``workforce.hours`` may change the gamma's shape mid-run, where blocks drawn
    ahead would no longer be the numbers drawn one at a time: then they are drawn one at a time."""
    import datetime as dt

    from caseflow.model.workforce import capacity, work
    from caseflow.replication import simulate

    drawn_in_blocks: list[bool] = []

    class Seen(work.Work):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            drawn_in_blocks.append(self._gammas is not None)

    monkeypatch.setattr(capacity, "Work", Seen)
    change = {"date": dt.date(2025, 10, 1), "field": "workforce.hours.assessment_cv", "value": 0.3}
    simulate(load_scenario(BASELINE).with_overrides({"changes": [change]}), seed=1, years=1)
    assert drawn_in_blocks == [False]
