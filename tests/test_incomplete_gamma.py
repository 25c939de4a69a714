"""Tests for :mod:`caseflow.incomplete_gamma`: agreement with SciPy, edge cases, and a run without SciPy.

SciPy stays a dependency of caseflow (the experiment layer's statistics use it), so it is the reference
here. Tolerances are relative: a few units in the last place for the inverse and the lower function,
looser where the value itself is tiny (far tails) and for the largest shapes, where any double-precision
implementation loses digits.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from caseflow.incomplete_gamma import gammainc, gammaincc, gammaincinv

REPO = Path(__file__).resolve().parents[1]

# Every shape a scenario allows (caseflow.scenario.limits.Shape: 0.01 to 1,000), spread on a log scale
shapes = st.floats(min_value=math.log(0.01), max_value=math.log(1_000.0)).map(math.exp)
# What DrawBlock.gamma inverts: uniforms in [0, 1) from numpy's Generator.random (multiples of 2**-53)
uniforms = st.integers(min_value=0, max_value=2**53 - 1).map(lambda k: k / 2**53)

EDGE_SHAPES = [0.01, 0.1, 0.5, 0.999, 1.0, 1.001, 2.0, 9.999, 10.0, 10.001, 100.0, 1_000.0]
EDGE_PS = [2**-53, 1e-12, 1e-6, 0.05, 0.5, 0.5 + 2**-53, 0.95, 1 - 1e-6, 1 - 2**-53]


def relative(x: float, reference: float) -> float:
    return abs(x - reference) / reference if reference else abs(x)


def test_inverse_agrees_with_scipy_at_the_edges() -> None:
    for a in EDGE_SHAPES:
        for p in EDGE_PS:
            ours, theirs = gammaincinv(a, p), float(special.gammaincinv(a, p))
            if theirs < 1e-290:  # the quantile underflows (tiny shapes, small p): both are nearly zero
                assert ours < 1e-280, (a, p, ours, theirs)
                continue
            assert relative(ours, theirs) < 1e-12, (a, p, ours, theirs)


@settings(max_examples=400, deadline=None)
@given(a=shapes, p=uniforms)
def test_inverse_agrees_with_scipy(a: float, p: float) -> None:
    ours, theirs = gammaincinv(a, p), float(special.gammaincinv(a, p))
    if theirs < 1e-290:
        assert ours < 1e-280
    else:
        assert relative(ours, theirs) < 1e-12


@settings(max_examples=400, deadline=None)
@given(a=shapes, p=uniforms.filter(lambda p: p > 0.0))
def test_inverse_inverts(a: float, p: float) -> None:
    x = gammaincinv(a, p)
    if x < 1e-280:
        return  # underflowed: see above
    # Below the median P(a, x) = p is solved; above it Q(a, x) = 1 - p (no cancellation).
    if p <= 0.5:
        assert relative(gammainc(a, x), p) < 1e-12
    else:
        assert abs(gammaincc(a, x) - (1.0 - p)) < 1e-12 * (1.0 - p) + 1e-15


@settings(max_examples=400, deadline=None)
@given(a=shapes, ratio=st.floats(min_value=math.log(1e-3), max_value=math.log(30.0)).map(math.exp))
def test_lower_and_upper_agree_with_scipy(a: float, ratio: float) -> None:
    x = a * ratio  # from far below the mean to far above it
    lower, upper = float(special.gammainc(a, x)), float(special.gammaincc(a, x))
    ours_lower, ours_upper = gammainc(a, x), gammaincc(a, x)
    # Far tails lose relative digits in any double-precision implementation: up to 1e-11 there
    assert relative(ours_lower, lower) < (1e-12 if lower > 1e-30 else 1e-10) or lower < 1e-280
    assert relative(ours_upper, upper) < (1e-12 if upper > 1e-30 else 1e-10) or upper < 1e-280
    assert abs(ours_lower + ours_upper - 1.0) < 1e-14


@pytest.mark.parametrize("a", EDGE_SHAPES)
def test_monotone_in_p(a: float) -> None:
    ps = [k / 64 for k in range(1, 64)]
    xs = [gammaincinv(a, p) for p in ps]
    assert all(x1 < x2 for x1, x2 in itertools.pairwise(xs))


def test_exponential_special_case() -> None:
    # Gamma(1) is the exponential distribution: P(1, x) = 1 - exp(-x)
    for x in (1e-10, 0.1, 1.0, 5.0, 40.0):
        assert relative(gammainc(1.0, x), -math.expm1(-x)) < 1e-14
        assert relative(gammaincc(1.0, x), math.exp(-x)) < 1e-14
        if x < 30.0:  # beyond, 1 - exp(-x) rounds to 1
            assert relative(gammaincinv(1.0, -math.expm1(-x)), x) < 1e-12


def test_limits() -> None:
    assert gammaincinv(2.0, 0.0) == 0.0
    assert gammaincinv(2.0, 1.0) == math.inf
    assert gammainc(2.0, 0.0) == 0.0
    assert gammainc(2.0, -1.0) == 0.0
    assert gammainc(2.0, math.inf) == 1.0
    assert gammaincc(2.0, 0.0) == 1.0
    assert gammaincc(2.0, math.inf) == 0.0
    assert math.isnan(gammainc(2.0, math.nan))
    assert math.isnan(gammaincc(2.0, math.nan))


@pytest.mark.parametrize("a", [0.0, -1.0, math.nan, math.inf])
def test_bad_shape_is_refused(a: float) -> None:
    for call in (lambda: gammainc(a, 1.0), lambda: gammaincc(a, 1.0), lambda: gammaincinv(a, 0.5)):
        with pytest.raises(ValueError, match="shape of a gamma distribution"):
            call()


@pytest.mark.parametrize("p", [-0.1, 1.1, math.nan])
def test_bad_probability_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match="probability must be between 0 and 1"):
        gammaincinv(2.0, p)


#: What a fresh process runs in the SciPy test below: a replication (gamma draws and the steady state
#: included), and an experiment's worker's job (a replication and its KPIs, pickled as a pool sends them).
_RUNS = {
    "a replication": (
        f"s = scaled(caseflow.load_scenario({str(REPO / 'scenarios' / 'court_work.toml')!r}), 0.1)\n"
        "from caseflow.replication import simulate\n"
        "out = simulate(s, seed=1, years=1)\n"
        "assert out.events > 0\n"
    ),
    "an experiment's worker": (
        f"s = scaled(caseflow.load_scenario({str(REPO / 'scenarios' / 'baseline.toml')!r}), 0.02)\n"
        "import pickle\n"
        "from caseflow.experiment.runner import Job, run_job_batch\n"
        "[(kpis, _)] = run_job_batch([Job(s, 1, 0, 1)])\n"
        "assert len(kpis) > 0\n"
        "pickle.dumps(kpis)\n"
    ),
}


@pytest.mark.parametrize("run", list(_RUNS), ids=list(_RUNS))
def test_running_replications_does_not_import_scipy(run: str) -> None:
    # Importing scipy.special cost the first replication of each process about 0.25 s of CPU (its own
    # time and its OpenBLAS thread's), and scipy.stats each experiment's worker about 1.2 s (the
    # intervals now import it when first computed, which only the parent does): docs/performance.md.
    probe = (
        "import sys\n"
        "import caseflow\n"
        "from caseflow.scenario import scaled\n"
        f"{_RUNS[run]}"
        "print('SCIPY', sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "SCIPY []" in res.stdout, res.stdout[-500:]


def test_the_check_script_reports_agreement() -> None:
    # scripts/check_incomplete_gamma.py gives docs/performance.md its figures; here on a small sample
    res = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "check_incomplete_gamma.py"), "--n", "500"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    worst = float(res.stdout.split("largest relative difference ")[1].split()[0])
    assert worst < 1e-12
    assert "shape 2, 20,000 uniforms" in res.stdout
