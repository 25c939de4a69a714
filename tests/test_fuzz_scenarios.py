"""Property-based fuzzing of scenario loading (issue 14, item 3).

Whatever a scenario file, a dictionary or a time-phased change holds, loading gives a valid scenario or
a :class:`ScenarioError` naming a field; never another exception, never a hang. The strategies live in
``tests/scenario_fuzz.py``; ``scripts/fuzz_scenarios.py`` runs 10,000 cases (docs/validation.md).

The per-case guard is a hang detector, not a speed test: a case that has not finished after
:data:`HANG_SECONDS` (hundreds of times longer than any case takes) fails as hung.
"""

from __future__ import annotations

import contextlib
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from caseflow.scenario import Scenario, ScenarioError, load_scenario, validate
from scenario_fuzz import hostile_changes, is_valid_toml, mutated_files, mutated_values

HANG_SECONDS = 60


def fuzz(examples: int) -> settings:
    """Settings for a fuzzing test: reproducible, no deadline (the hang guard replaces it)."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


class HungError(Exception):
    """A case did not finish within HANG_SECONDS."""


@contextlib.contextmanager
def hang_guard(seconds: int = HANG_SECONDS) -> Iterator[None]:
    def hung(signum: int, frame: Any) -> None:
        raise HungError(f"loading did not finish in {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _outcome(load: Any) -> str:
    """'valid' or 'refused'; anything else propagates and fails the test."""
    with hang_guard():
        try:
            scenario = load()
        except ScenarioError as exc:
            refusal = exc
        else:
            assert isinstance(scenario, Scenario)
            return "valid"
    assert refusal.problems, "a ScenarioError must list at least one problem"
    assert all(isinstance(p, str) and isinstance(m, str) and m for p, m in refusal.problems)
    assert len(str(refusal)) < 20_000, "an error message must not echo a huge input"
    return "refused"


@pytest.mark.untraced
@fuzz(150)
@given(data=mutated_values())
def test_any_mutated_dictionary_validates_or_is_refused(data: dict[str, Any]) -> None:
    _outcome(lambda: validate(data, source="<fuzz>"))


@pytest.mark.untraced
@fuzz(60)
@given(data=hostile_changes())
def test_any_time_phased_change_validates_or_is_refused(data: dict[str, Any]) -> None:
    _outcome(lambda: validate(data, source="<fuzz>"))


@pytest.mark.untraced
@fuzz(120)
@given(raw=mutated_files())
def test_any_edited_file_loads_or_is_refused(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzzed.toml"
        path.write_bytes(raw)
        outcome = _outcome(lambda: load_scenario(path))
    if not is_valid_toml(raw):
        assert outcome == "refused"


@pytest.mark.untraced
@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10**30, "x" * 3_000_000, [1.0] * 200_000])
def test_the_reporters_own_cases_are_refused(baseline: Scenario, value: Any) -> None:
    """The values issue 14 found accepted or crashing are now refused, wherever they are put."""
    for field in ("demand.contacts_per_year", "workforce.time.non_case_time", "name", "demand.weekday"):
        assert _outcome(lambda f=field: baseline.with_overrides({f: value})) == "refused"
