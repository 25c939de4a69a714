"""The suite's own policy: ``slow`` tests run untraced by coverage, fixtures' set-up included
(tests/conftest.py), so that ``.ci/run`` stays inside its time budget; every other test is traced."""

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


def test_other_tests_are_traced_when_coverage_is_on(trace_in_setup: object) -> None:
    on = bool(_tracing())
    assert (trace_in_setup is not None) == on
    assert (sys.gettrace() is not None) == on
