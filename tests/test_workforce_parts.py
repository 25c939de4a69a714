"""The workforce's parts and extension points: a user-registered allocation policy named in a scenario,
the task and schedule tables, the one mechanism for time-phased changes, and the layering rules.

The policy tests define their policy here, register it, and name it in a scenario file: the package
itself is untouched.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import caseflow
import caseflow.model.simulation as simulation_module
from caseflow.model.capacity import Task
from caseflow.model.entities import Activity
from caseflow.model.workforce import SCHEDULE, WORK, Contract, Floor, Workforce, register_policy
from caseflow.model.workforce.allocation import LEAST_LOADED, LeastLoaded, get_policy
from caseflow.model.workforce.changes import TeamChange, from_scenarios, from_workforce_change
from caseflow.model.workforce.team import Case
from caseflow.model.workforce.worker import Worker
from caseflow.registry import ALLOCATION_POLICIES, Registry
from caseflow.scenario import Scenario, ScenarioError, load_scenario
from caseflow.scenario.workforce_schema import TaskHours, VisitParams, WeightParams, WorkforceParams

REPO = Path(__file__).resolve().parents[1]
BASELINE_PATH = REPO / "scenarios" / "baseline.toml"
WORKFORCE_SRC = REPO / "src" / "caseflow" / "model" / "workforce"


# ====================================================================== a user's allocation policy
class NewestFirst:
    """A policy defined by a user: the most recently started eligible worker (fewest children on ties)."""

    def __init__(self) -> None:
        self.calls = 0

    def choose(self, workers: Sequence[Worker], case: Case) -> Worker:
        self.calls += 1
        return max(workers, key=lambda w: (w.started, -w.caseload, w.id))


@pytest.fixture
def newest_first() -> Iterator[NewestFirst]:
    policy = NewestFirst()
    register_policy("newest_first", policy)
    yield policy
    ALLOCATION_POLICIES.unregister("newest_first")  # other tests see the usual policies


def _scenario_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "user_policy.toml"
    path.write_text(f'extends = "{BASELINE_PATH.as_posix()}"\nname = "user policy"\n{body}', encoding="utf-8")
    return path


@pytest.mark.untraced
def test_registered_policy_is_accepted_by_the_scenario_and_used_by_the_teams(
    tmp_path: Path, newest_first: NewestFirst, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _scenario_file(
        tmp_path,
        '[workforce]\nallocation_policy = "newest_first"\n\n'
        '[[workforce.changes]]\ndate = 2026-01-01\nteam = "assessment"\nallocation_policy = "least_loaded"\n',
    )
    scenario = load_scenario(path)
    assert scenario.workforce is not None
    assert scenario.workforce.allocation_policy == "newest_first"
    # also as an override, and in a time-phased change
    assert scenario.with_overrides({"workforce.allocation_policy": "newest_first"}).workforce is not None
    seen: list[Workforce] = []

    class Keep(Workforce):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            seen.append(self)

    monkeypatch.setattr(simulation_module, "Workforce", Keep)
    out = caseflow.simulate(scenario, seed=2, years=1)
    assert newest_first.calls > 100  # the user's policy chose the workers for the allocations
    (wf,) = seen
    assert wf.teams["cin_cp"].policy is newest_first
    assert wf.teams["assessment"].policy is LEAST_LOADED  # changed from its date
    assert sum(out.recorder.counts["workforce_changes_applied"]) == 1
    kpis = caseflow.compute_kpis(out)
    assert kpis["value"].notna().any()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ('[workforce]\nallocation_policy = "no_such_policy"\n', "workforce.allocation_policy"),
        (
            '[[workforce.changes]]\ndate = 2026-01-01\nallocation_policy = "no_such_policy"\n',
            "workforce.changes[0].allocation_policy",
        ),
    ],
)
def test_unknown_policy_is_refused_with_the_known_names(
    tmp_path: Path, newest_first: NewestFirst, body: str, path: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_scenario_file(tmp_path, body))
    ((where, message),) = info.value.problems
    assert where == path
    assert message.startswith(
        "unknown allocation policy 'no_such_policy'; known: least_loaded, most_capacity, first_available, "
    )
    assert message.endswith("newest_first")  # the user's policy is listed too
    assert "no_such_policy" in str(info.value)


def test_a_policy_must_be_registered_before_the_scenario_names_it(baseline: Scenario) -> None:
    with pytest.raises(ScenarioError, match="unknown allocation policy 'newest_first'"):
        baseline.with_overrides({"workforce.allocation_policy": "newest_first"})


def test_registry_imports_built_ins_lazily_and_lists_names_in_order() -> None:
    reg: Registry[Any] = Registry("widget", {"plain": "caseflow.model.workforce.allocation:LEAST_LOADED"})
    assert "plain" in reg
    assert reg.names() == ("plain",)
    reg.register("mine", 42)
    assert reg.names() == ("plain", "mine")
    assert reg.get("plain") is LEAST_LOADED
    assert reg.get("mine") == 42
    assert reg.check("mine") == "mine"
    with pytest.raises(ValueError, match=r"unknown widget 'other'; known: plain, mine"):
        reg.get("other")
    reg.unregister("plain")
    assert reg.names() == ("mine",)
    with pytest.raises(ValueError, match="non-empty"):
        reg.register("", 1)
    assert isinstance(get_policy("least_loaded"), LeastLoaded)


# ====================================================================== the tables
def test_work_table_has_a_row_for_every_task_naming_real_parameters() -> None:
    assert set(WORK) == set(Task)
    for task, row in WORK.items():
        assert row.hours, task
        for name in row.hours:
            assert name in TaskHours.model_fields, (task, name)
        assert row.weight in WeightParams.model_fields, task
        if row.hours_cv is not None:
            assert row.hours_cv in TaskHours.model_fields
        assert not (row.pool and row.floor is Floor.BOOKED), task
    assert [t for t, r in WORK.items() if r.pool] == [Task.FRONT_DOOR_DECISION, Task.MASH_SCREENING]
    assert Task("court_work") is Task.COURT_WORK  # the pathway's strings name the members


def test_schedule_table_names_real_parameters_for_activities() -> None:
    assert set(SCHEDULE) <= set(Activity)
    assert Activity.ASSESSMENT not in SCHEDULE  # an assessment brings no recurring work
    kinds = [e.kind for entries in SCHEDULE.values() for e in entries]
    assert len(kinds) == len(set(kinds))
    for entries in SCHEDULE.values():
        for e in entries:
            assert e.intervals
            for i in e.intervals:
                assert isinstance(i, int) or i in VisitParams.model_fields, (e.kind, i)
            section, _, name = e.hours.partition(".")
            model = {"visits": VisitParams, "hours": TaskHours}[section]
            assert name in model.model_fields, e.kind
    visits = {e.kind for entries in SCHEDULE.values() for e in entries if e.visit}
    assert visits == {"cp_visit", "cin_visit", "cla_visit"}


def test_contract_values_are_the_old_strings() -> None:
    assert [c.value for c in Contract] == ["permanent", "nqsw", "agency"]
    assert Contract.NQSW == "nqsw"


# ====================================================================== one mechanism for changes
def _wf(scenario: Scenario) -> WorkforceParams:
    assert scenario.workforce is not None
    return scenario.workforce


def test_a_scenario_change_becomes_team_changes_of_what_differs(baseline: Scenario) -> None:
    old = _wf(baseline)
    assert all(
        ch == TeamChange(name) for ch, name in zip(from_scenarios(old, old), old.teams, strict=True)
    )  # nothing differs: nothing changes (waiting cases are still allocated)
    new = _wf(
        baseline.with_overrides(
            {
                "workforce.teams.assessment.establishment": old.teams["assessment"].establishment + 2.5,
                "workforce.teams.cin_cp.soft_cap": 17.0,
                "workforce.dynamics.agency_backfill": 0.25,
                "workforce.allocation_policy": "most_capacity",
            }
        )
    )
    changes = {c.team: c for c in from_scenarios(old, new)}
    assert changes["assessment"].establishment_change == pytest.approx(2.5)
    assert changes["assessment"].establishment is None
    assert changes["cin_cp"].soft_cap == 17.0
    assert changes["cin_cp"].hard_cap is None
    assert {c.agency_backfill for c in changes.values()} == {0.25}
    assert {c.allocation_policy for c in changes.values()} == {"most_capacity"}


DATE = dt.date(2026, 1, 1)


def test_a_workforce_change_sets_its_team_or_every_team(baseline: Scenario) -> None:
    wf = _wf(
        baseline.with_overrides(
            {
                "workforce.changes": [
                    {"date": DATE, "team": "assessment", "establishment": 40.0, "fill_months": 2.0},
                    {"date": DATE, "agency_backfill": 0.1},
                ]
            }
        )
    )
    one, every = wf.changes
    (ch,) = from_workforce_change(one, list(wf.teams))
    assert dataclasses.astuple(ch) == ("assessment", 40.0, 0.0, None, None, None, None, 2.0)
    assert [c.team for c in from_workforce_change(every, list(wf.teams))] == list(wf.teams)


# ====================================================================== layers
def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("path", sorted(WORKFORCE_SRC.glob("*.py")), ids=lambda p: p.name)
def test_workforce_does_not_import_back(path: Path) -> None:
    forbidden = (
        "caseflow.model.pathway",
        "caseflow.model.simulation",
        "caseflow.costs",
        "caseflow.model.stages",
    )
    bad = [m for m in _imports(path) if m.startswith(forbidden)]
    assert not bad, f"{path.name} imports {bad}"


def test_registry_is_at_the_bottom_and_the_schema_does_not_import_the_model() -> None:
    src = REPO / "src" / "caseflow"
    assert not [m for m in _imports(src / "registry.py") if m.startswith("caseflow")]
    assert not [
        m for m in _imports(src / "scenario" / "workforce_schema.py") if m.startswith("caseflow.model")
    ]
