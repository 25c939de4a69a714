"""The suite's own policy: ``slow`` and ``untraced`` tests run untraced by coverage, fixtures' set-up
included (tests/conftest.py), so that ``.ci/run`` stays inside its time budget; every other test is
traced, and ``CASEFLOW_TRACE_ALL`` traces them all (for scripts/coverage_owners.py)."""

from __future__ import annotations

import sys

import pytest
from tests.conftest import _tracing


@pytest.fixture
def trace_in_setup() -> object:
    return sys.gettrace()


@pytest.mark.slow
def test_slow_test_and_its_fixtures_run_untraced(trace_in_setup: object) -> None:
    assert trace_in_setup is None
    assert sys.gettrace() is None


@pytest.mark.untraced
def test_untraced_test_and_its_fixtures_run_untraced(trace_in_setup: object) -> None:
    assert trace_in_setup is None
    assert sys.gettrace() is None


def test_trace_all_overrides_the_markers(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import _untraced_here

    marked = pytest.Function.from_parent(
        request.node.parent, name="test_untraced_test_and_its_fixtures_run_untraced"
    )
    assert _untraced_here(marked)
    assert not _untraced_here(request.node)
    monkeypatch.setenv("CASEFLOW_TRACE_ALL", "1")
    assert not _untraced_here(marked)


def test_other_tests_are_traced_when_coverage_is_on(trace_in_setup: object) -> None:
    on = bool(_tracing())
    assert (trace_in_setup is not None) == on
    assert (sys.gettrace() is not None) == on
