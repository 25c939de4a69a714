"""Each extension point takes a user-defined object without touching the package (issue 11, item 3).

Everything here is defined in this file: a KPI passed to ``run``, ``compare`` and ``sweep``; a
capacity model passed to ``simulate``; a month-end observer; a stage group that takes over an outcome.
(A user-defined allocation policy is tested in tests/test_workforce.py.)
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import numpy as np
import pytest
import simpy

import caseflow
from caseflow.metrics import KPI, KPIS
from caseflow.model.entities import Activity, Child, Family
from caseflow.model.simulation import MonthEnd, Replication, Setting
from caseflow.model.stages import DEFAULT_STAGES, CareLeavers, Entry, StageGroup
from caseflow.model.stages.base import Proc
from caseflow.scenario import Scenario

#: A KPI the package does not define: children turned away from early help because it was full.
EARLY_HELP_FULL = KPI(
    "early_help_turned_away",
    "Children not given early help because key workers were full",
    "children",
    "count",
    "early_help_declined_full",
    label="Children turned away from early help (key workers full)",
    lower=0.0,
)


@pytest.fixture(scope="module")
def short(sampled_baseline: Scenario) -> Scenario:
    """The baseline without the workforce, one reported year, early help nearly full, at a fifth of the
    baseline's size: each extension point is taken up (or refused) whatever the authority's size."""
    from caseflow.scenario.scale import scaled

    small = scaled(sampled_baseline, 0.2, name=sampled_baseline.name)
    return small.with_overrides({"run.years": 1, "early_help.key_workers": 2.0})


# ----------------------------------------------------------------------------------------- KPIs
def test_own_kpi_through_run(short: Scenario) -> None:
    res = caseflow.run(short, replications=2, seed=4, executor="sequential", kpis=(*KPIS, EARLY_HELP_FULL))
    mine = res.reported().query("kpi == 'early_help_turned_away'")["value"]
    assert len(mine) == 2
    assert (mine > 0).all()  # two key workers cannot take every family offered early help
    assert res.catalogue().label("early_help_turned_away") == EARLY_HELP_FULL.label
    assert "early_help_turned_away" in set(res.summary()["kpi"])
    # the built-in KPIs are unchanged by adding one
    plain = caseflow.run(short, replications=2, seed=4, executor="sequential")
    both = res.kpis[res.kpis["kpi"] != "early_help_turned_away"].reset_index(drop=True)
    assert both.equals(plain.kpis.reset_index(drop=True))


@pytest.mark.untraced
def test_own_kpi_alone_through_compare_and_sweep(short: Scenario) -> None:
    more = short.with_overrides({"early_help.key_workers": 40.0}, name="more_key_workers")
    cmp = caseflow.compare(
        [short, more], replications=2, seed=4, executor="sequential", kpis=[EARLY_HELP_FULL]
    )
    effects = cmp.effects()
    row = effects[effects["kpi"] == "early_help_turned_away"]
    assert len(row) >= 1
    assert set(cmp.results[short.name].kpis["kpi"]) == {"early_help_turned_away"}
    assert (row["difference"] < 0).all()  # more key workers turn fewer children away
    table = caseflow.sweep(
        short,
        {"early_help.key_workers": [2.0, 40.0]},
        replications=2,
        seed=4,
        executor="sequential",
        kpis=[EARLY_HELP_FULL],
    )
    means = table.set_index("early_help.key_workers")["mean"]
    assert means[2.0] > means[40.0] >= 0


@pytest.mark.parametrize("bad", [[], ["contacts"], [EARLY_HELP_FULL, EARLY_HELP_FULL]])
def test_bad_kpis_are_refused(short: Scenario, bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        caseflow.run(short, replications=1, executor="sequential", kpis=bad)


# ------------------------------------------------------------------------------------ capacity
class FixedWorkingDays:
    """A capacity in which every statutory task takes the same number of working days."""

    def __init__(self, setting: Setting, days: float) -> None:
        self.env = setting.env
        self.calendar = setting.calendar
        self.days = days
        self.assigned: dict[str, int] = {}
        self.released = 0
        self.scheduled: dict[str, int] = {}

    def perform(
        self, task: Any, kids: list[Child], since: float, *, working_days: float | None = None
    ) -> Generator[simpy.Event, Any, float]:
        done = self.calendar.complete_after(since, self.days if working_days is None else working_days)
        if done > self.env.now:
            yield self.env.timeout(done - self.env.now)
        return max(done, self.env.now)

    def assign(self, kids: list[Child], activity: str, *, urgent: bool = False) -> None:
        self.assigned[activity] = self.assigned.get(activity, 0) + len(kids)

    def release(self, kids: list[Child]) -> None:
        self.released += len(kids)

    def add_work(self, kids: list[Child], task: str) -> None:
        self.scheduled[task] = self.scheduled.get(task, 0) + len(kids)


def test_own_capacity_decides_how_long_work_takes(short: Scenario) -> None:
    made: list[FixedWorkingDays] = []

    def build(setting: Setting) -> FixedWorkingDays:
        made.append(FixedWorkingDays(setting, 12.0))
        return made[-1]

    out = caseflow.simulate(short, seed=2, capacity=build)
    kpis = caseflow.compute_kpis(out)
    year = kpis[(kpis["period_type"] == "financial_year") & ~kpis["warmup"]].set_index("kpi")["value"]
    assert year["assessment_median_wd"] == pytest.approx(12.0, abs=1.0)
    assert year["assessment_within_45wd_pct"] == pytest.approx(100.0)
    assert made[0].assigned[Activity.CP_PLAN] > 0
    assert made[0].assigned[Activity.LOOKED_AFTER] > 0
    assert made[0].released > 0  # closures and care exits hand children back
    assert made[0].scheduled["cp_review"] > 0  # review conferences are work the pathway schedules


# ------------------------------------------------------------------------------------ observers
class StockWatcher:
    """Records the census's CP-plan count at each month end."""

    def __init__(self, replication: Replication) -> None:
        self.census = replication.census
        self.seen: list[tuple[int, int]] = []

    def month_end(self, event: MonthEnd) -> None:
        from caseflow.model.entities import Stage

        self.seen.append((event.month, event.census.stage_counts[Stage.CP_PLAN]))


def test_month_end_observer_sees_every_month_end(short: Scenario) -> None:
    watchers: list[StockWatcher] = []

    def attach(rep: Replication) -> StockWatcher:
        watchers.append(StockWatcher(rep))
        return watchers[-1]

    out = caseflow.simulate(short, seed=3, observers=[attach])
    seen = watchers[0].seen
    assert [m for m, _ in seen] == list(range(len(out.months)))
    recorded = out.recorder.stocks["cp_plans_open_end"]
    assert [n for _, n in seen] == list(np.asarray(recorded, dtype=int))


# ------------------------------------------------------------------------------------ stages
class StayingClose(StageGroup):
    """Care leavers kept in touch until 25 rather than 21 (a user's own stage group)."""

    name = "staying_close"

    def routes(self) -> Mapping[str, Entry]:
        return {"care_leaver": self.care_leaver}

    def care_leaver(self, family: Family, kids: list[Child]) -> Proc:
        for child in kids:
            self.rec.count("staying_close_started", self.env.now)
            self.capacity.assign([child], Activity.CARE_LEAVER)
            yield self.env.timeout(max(0.0, child.birthday(25) - self.env.now))
            self.capacity.release([child])


def test_own_stage_group_takes_an_outcome(short: Scenario) -> None:
    stages = [g for g in DEFAULT_STAGES if g is not CareLeavers] + [StayingClose]
    out = caseflow.simulate(short, seed=5, stages=stages)
    counts = out.recorder.counts
    assert sum(counts["staying_close_started"]) > 0
    assert "care_leavers_started" not in counts or sum(counts["care_leavers_started"]) == 0
    assert sum(counts["staying_close_started"]) == sum(
        v for k, vs in counts.items() if k.startswith("cla_ceased_age_18_") and "adult" not in k for v in vs
    )


def test_two_stage_groups_cannot_take_the_same_outcome(short: Scenario) -> None:
    with pytest.raises(ValueError, match="care_leaver"):
        caseflow.simulate(short, seed=5, stages=[*DEFAULT_STAGES, StayingClose])


def test_route_passes_every_argument_to_the_entry(short: Scenario) -> None:
    """Keywords reach the entry whatever their name, ``outcome`` included (the pre-birth conference
    passes ``outcome="icpc"`` to s47): a compiled router once dropped a keyword that shared its name
    with the router's own first parameter."""
    got: list[tuple[Any, ...]] = []

    class Probe(StageGroup):
        name = "probe"

        def routes(self) -> Mapping[str, Entry]:
            return {"probe": self.probe}

        def probe(
            self, family: Family, kids: list[Child], *, since: float, outcome: str | None = None
        ) -> Proc:
            got.append((family.id, len(kids), since, outcome))
            yield from ()

    from caseflow.model.pathway import Pathway

    built: list[Pathway] = []

    def keep(replication: Replication) -> StockWatcher:
        built.append(replication.pathway)
        return StockWatcher(replication)

    caseflow.simulate(short, seed=5, stages=[*DEFAULT_STAGES, Probe], observers=[keep], years=1)
    pathway = built[0]
    family = pathway.families.new_family(0.0, [3.0])
    waits = list(pathway.route("probe", family, family.children, since=1.5, outcome="icpc"))
    assert waits == []  # the probe's entry ends at once
    assert got == [(family.id, 1, 1.5, "icpc")]
    assert pathway.entry("probe") == Probe.probe.__get__(pathway.stages["probe"])  # what route calls
    with pytest.raises(ValueError, match=r"no stage handles the outcome 'nowhere'; routed outcomes: .*probe"):
        pathway.entry("nowhere")
    with pytest.raises(ValueError, match="no stage handles the outcome 'nowhere'"):
        pathway.route("nowhere", family)
