"""The web app's levers beyond a team's posts (demand from a date or phased in, agency cover and pay,
leavers and recruitment) and its "What is needed?" requests (what to search, several targets).

Engine only: no page, no server. Answers are read from searches built by hand, and one small search is
run in this process (the small authority, 1 year, 2 replications a level).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from tests.app_support import BASELINE, write_small_scenarios

import caseflow
from caseflow.app.demand import DEMAND_FIELD, DemandTiming
from caseflow.app.levers import (
    AGENCY,
    DYNAMICS,
    FIXED_AT_START,
    TEAMS,
    LeverError,
    levers_for,
    option_scenario,
    takes_effect,
)
from caseflow.app.needs import SEARCHES, TargetRequest, answer_text, level_rows
from caseflow.experiment.rootfind import Probe, Search, Target
from caseflow.experiment.target import TargetResult
from caseflow.scenario.schema import Scenario
from caseflow.scenario.timeline import change_points

APRIL_2026 = dt.date(2026, 4, 1)


@pytest.fixture(scope="module")
def england() -> Scenario:
    return caseflow.load_scenario(BASELINE)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return caseflow.load_scenario(write_small_scenarios(tmp_path_factory.mktemp("small")))


# ------------------------------------------------------------------------------- workforce levers

#: lever key → (scenario field, value on the page, value in the scenario)
NEW_LEVERS = {
    "held_vacant_agency__assessment": ("workforce.teams.assessment.held_vacant_agency", 50, 0.5),
    "agency_pay_premium": ("workforce.dynamics.agency_pay_premium", 10, 0.1),
    "agency_supply_elasticity": ("workforce.dynamics.agency_supply_elasticity", 1.5, 1.5),
    "turnover_rate": ("workforce.dynamics.turnover_rate", 20, 0.2),
    "months_to_fill": ("workforce.dynamics.months_to_fill", 6, 6.0),
    "nqsw_share_of_hires": ("workforce.dynamics.nqsw_share_of_hires", 50, 0.5),
}


def _field(scenario: Scenario, dotted: str) -> object:
    node: object = scenario
    for part in dotted.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def test_workforce_levers_set_their_fields_in_their_units(england: Scenario) -> None:
    levers = {lv.key: lv for lv in levers_for(england)}
    for key, (field, _, _) in NEW_LEVERS.items():
        assert levers[key].field == field
        assert levers[key].help
        assert levers[key].unit
    assert levers["turnover_rate"].unit == "% leaving a year"
    assert levers["turnover_rate"].shown(england) == pytest.approx(11.8)  # a rate shown as a percentage
    assert levers["months_to_fill"].shown(england) == 15
    assert levers["held_vacant_agency__assessment"].group == TEAMS
    assert {levers[k].group for k in ("agency_pay_premium", "agency_supply_elasticity")} == {AGENCY}
    assert levers["nqsw_share_of_hires"].group == DYNAMICS
    option = option_scenario(england, {key: shown for key, (_, shown, _) in NEW_LEVERS.items()})
    assert option.provenance is not None
    for key, (field, _, value) in NEW_LEVERS.items():
        assert _field(option, field) == pytest.approx(value), key
        note = option.provenance.sources[field]
        assert note.method == "assumption"
        assert levers[key].label in (note.note or "")


def test_workforce_levers_out_of_range_are_named(england: Scenario) -> None:
    with pytest.raises(LeverError) as err:
        option_scenario(
            england,
            {
                "turnover_rate": 75,
                "months_to_fill": 0,
                "agency_pay_premium": -60,
                "agency_supply_elasticity": "high",
            },
        )
    problems = dict(err.value.problems)
    assert "from 0 to 60 % leaving a year, got 75" in problems["Social workers leaving each year"]
    assert "from 0.25 to 60 months" in problems["Months to fill a post"]
    assert "from -50 to 200 % more, got -60" in problems["Agency pay above the agency charge"]
    assert "must be a number from 0 to 10" in problems["How agency supply answers pay"]


# ----------------------------------------------------------------------------------------- demand


def test_a_change_in_demand_holds_for_the_whole_period_by_default(england: Scenario) -> None:
    plain = option_scenario(england, {"contacts_change": 10})
    timed = option_scenario(england, {"contacts_change": 10}, demand=DemandTiming())
    assert plain.hash() == timed.hash()
    assert plain.demand.contacts_per_year == pytest.approx(england.demand.contacts_per_year * 1.1)
    assert plain.changes == england.changes


def test_a_change_in_demand_from_a_date_is_a_step_then(england: Scenario) -> None:
    option = option_scenario(england, {"contacts_change": -20}, demand=DemandTiming(APRIL_2026))
    assert option.demand.contacts_per_year == england.demand.contacts_per_year  # until the date
    (change,) = option.changes
    assert (change.date, change.field, change.ramp_months) == (APRIL_2026, DEMAND_FIELD, 0)
    assert change.factor == pytest.approx(0.8)
    (point,) = change_points(option)
    assert point.date == APRIL_2026
    assert point.scenario.demand.contacts_per_year == pytest.approx(england.demand.contacts_per_year * 0.8)
    assert option.provenance is not None
    note = option.provenance.sources["changes"].note or ""
    assert "−20" in note or "-20" in note
    assert "from 1 April 2026" in note
    assert england.provenance is not None  # the baseline's own value keeps its source
    assert option.provenance.sources.get(DEMAND_FIELD) == england.provenance.sources.get(DEMAND_FIELD)


def test_a_change_in_demand_can_be_phased_in_month_by_month(england: Scenario) -> None:
    timing = DemandTiming(APRIL_2026, 4)
    option = option_scenario(england, {"contacts_change": 12}, demand=timing)
    base = england.demand.contacts_per_year
    points = change_points(option)
    assert [p.date for p in points] == [dt.date(2026, m, 1) for m in (4, 5, 6, 7)]
    assert [p.scenario.demand.contacts_per_year for p in points] == pytest.approx(
        [base * 1.03, base * 1.06, base * 1.09, base * 1.12]
    )
    assert timing.full_from() == dt.date(2026, 7, 1)
    assert timing.describe() == (
        "from 1 April 2026, in 4 equal monthly steps (the full change from 1 July 2026)"
    )


def test_a_dated_change_in_demand_keeps_the_baselines_own_changes() -> None:
    surge = caseflow.load_scenario(BASELINE.parent / "demand_surge.toml")
    option = option_scenario(surge, {"contacts_change": 10}, demand=DemandTiming(dt.date(2027, 4, 1)))
    assert len(option.changes) == len(surge.changes) + 1
    assert option.changes[: len(surge.changes)] == surge.changes
    last = change_points(option)[-1].scenario
    assert last.demand.contacts_per_year == pytest.approx(surge.demand.contacts_per_year * 1.15 * 1.1)


def test_a_timing_that_cannot_be_used_is_named(england: Scenario) -> None:
    where = "Change in contacts: when"
    with pytest.raises(LeverError) as err:
        option_scenario(england, {"contacts_change": 10}, demand=DemandTiming(dt.date(2024, 4, 1)))
    assert err.value.problems == [(where, "must start on or after 1 April 2025, when the simulation starts")]
    for ramp in (-1, 121, 2.5):
        with pytest.raises(LeverError, match="whole number from 0 to 120"):
            option_scenario(england, {"contacts_change": 10}, demand=DemandTiming(APRIL_2026, ramp))  # type: ignore[arg-type]
    with pytest.raises(LeverError, match="give the date"):
        option_scenario(england, {}, demand=DemandTiming(None, 3))
    # a date with no change in contacts changes nothing
    same = option_scenario(england, {}, name=england.name, demand=DemandTiming(APRIL_2026, 3))
    assert same.hash() == england.hash()


# ---------------------------------------------------------------------- other levers from a date


def test_other_levers_from_a_date_are_set_on_that_day(england: Scenario) -> None:
    """Posts, agency cover and leavers from April 2026: the baseline's values until then, the option's
    from that day, each a dated change citing the user."""
    assert england.workforce is not None
    values = {"establishment__cin_cp": 70, "held_vacant_agency__assessment": 50, "turnover_rate": 20}
    option = option_scenario(england, values, from_date=APRIL_2026)
    assert option.workforce is not None
    assert option.workforce.teams["cin_cp"].establishment == england.workforce.teams["cin_cp"].establishment
    assert option.workforce.dynamics.turnover_rate == england.workforce.dynamics.turnover_rate
    assert {(c.date, c.field, c.value) for c in option.changes} == {
        (APRIL_2026, "workforce.teams.cin_cp.establishment", 70),
        (APRIL_2026, "workforce.dynamics.turnover_rate", 0.2),
    }
    # which posts are agency-only is decided when the run starts: for the whole period, and said so
    assert option.workforce.teams["assessment"].held_vacant_agency == 0.5
    assert option.provenance is not None
    fixed = option.provenance.sources["workforce.teams.assessment.held_vacant_agency"].note or ""
    assert fixed.endswith(FIXED_AT_START)
    (point,) = change_points(option)
    assert point.date == APRIL_2026
    later = point.scenario.workforce
    assert later is not None
    assert later.teams["cin_cp"].establishment == 70
    assert later.dynamics.turnover_rate == pytest.approx(0.2)
    note = option.provenance.sources["changes"].note or ""
    assert note.count("from 1 April 2026") == 2
    levers = {lv.key: lv for lv in levers_for(england)}
    assert takes_effect(levers["turnover_rate"], DemandTiming(), APRIL_2026) == "from 1 April 2026"
    assert (
        takes_effect(levers["held_vacant_agency__assessment"], DemandTiming(), APRIL_2026) == FIXED_AT_START
    )
    assert takes_effect(levers["turnover_rate"], DemandTiming(), None) == "for the whole period"
    # the whole period, as before, without a date
    whole = option_scenario(england, values)
    assert whole.workforce is not None
    assert whole.workforce.teams["cin_cp"].establishment == 70
    assert whole.changes == england.changes


def test_a_dated_cap_lowers_the_soft_cap_on_the_same_day(england: Scenario) -> None:
    option = option_scenario(england, {"hard_cap__cin_cp": 18}, from_date=APRIL_2026)
    assert [c.field for c in option.changes] == [
        "workforce.teams.cin_cp.soft_cap",
        "workforce.teams.cin_cp.hard_cap",
    ]
    (point,) = change_points(option)
    assert point.scenario.workforce is not None
    team = point.scenario.workforce.teams["cin_cp"]
    assert (team.soft_cap, team.hard_cap) == (18, 18)


def test_dated_levers_and_a_dated_change_in_demand_go_together(england: Scenario) -> None:
    option = option_scenario(
        england,
        {"contacts_change": 10, "turnover_rate": 20},
        demand=DemandTiming(dt.date(2026, 10, 1)),
        from_date=APRIL_2026,
    )
    assert [(c.date, c.field) for c in option.changes] == [
        (dt.date(2026, 10, 1), DEMAND_FIELD),
        (APRIL_2026, "workforce.dynamics.turnover_rate"),
    ]
    assert [p.date for p in change_points(option)] == [APRIL_2026, dt.date(2026, 10, 1)]


@pytest.mark.parametrize(
    ("lever_from", "expected"), [(dt.date(2026, 1, 1), 66.0), (dt.date(2027, 1, 1), 70.0)]
)
def test_a_campaign_adds_to_dated_posts_whichever_comes_first(
    england: Scenario, lever_from: dt.date, expected: float
) -> None:
    """64 posts, the lever 60, a campaign of 6 from April 2026: 66 if the lever came first, else 70 and
    then 66 when the lever's −4 comes."""
    from caseflow.app.levers import Campaign

    assert england.workforce is not None
    assert england.workforce.teams["cin_cp"].establishment == 64
    campaign = Campaign("cin_cp", 6, APRIL_2026, fill_months=4)
    option = option_scenario(
        england, {"establishment__cin_cp": 60}, campaigns=[campaign], from_date=lever_from
    )
    assert option.workforce is not None
    assert option.workforce.changes[0].establishment == expected
    if lever_from > APRIL_2026:  # the lever's change comes later: it moves the posts by 60 − 64
        from caseflow.model.workforce.changes import from_scenarios

        (point,) = change_points(option)
        assert point.scenario.workforce is not None
        moves = {
            c.team: c.establishment_change for c in from_scenarios(option.workforce, point.scenario.workforce)
        }
        assert moves["cin_cp"] == -4


def test_a_from_date_that_cannot_be_used_is_named(england: Scenario) -> None:
    where = "Other changes: when"
    with pytest.raises(LeverError) as err:
        option_scenario(england, {"turnover_rate": 20}, from_date=dt.date(2024, 4, 1))
    assert err.value.problems == [(where, "must be on or after 1 April 2025, when the simulation starts")]
    # a date with nothing changed changes nothing
    same = option_scenario(england, {}, name=england.name, from_date=APRIL_2026)
    assert same.hash() == england.hash()


# -------------------------------------------------------------------------------- what is needed


def test_what_to_search_and_several_targets_make_the_question(small: Scenario) -> None:
    agency = TargetRequest(
        small,
        "",
        "assessment_within_45wd_pct",
        90,
        search="agency_backfill",
        also=(("caseload_mean", 18),),
    )
    assert agency.lever == "workforce.dynamics.agency_backfill"
    assert agency.targets == [
        Target("assessment_within_45wd_pct", at_least=90),
        Target("caseload_mean", at_most=18),
    ]
    question = agency.question()
    assert question.startswith("What is the smallest share of vacancies covered by agency social workers")
    assert "at 90.0% or more and “" in question
    assert "18.0 or fewer" in question or "18 or fewer" in question
    held = TargetRequest(small, "assessment", "caseload_mean", 18, search="held_vacant")
    assert held.question().startswith(
        "What is the largest share of posts in the assessment team that can be held vacant while keeping"
    )
    assert SEARCHES["held_vacant"].want == "largest"
    # each is its own job
    keys = {
        r.key()
        for r in (
            agency,
            held,
            TargetRequest(small, "assessment", "caseload_mean", 18),
            TargetRequest(small, "assessment", "caseload_mean", 18, search="budget"),
            TargetRequest(small, "cin_cp", "caseload_mean", 18, search="held_vacant"),
        )
    }
    assert len(keys) == 5
    # the team does not matter for an authority-wide search
    assert (
        agency.key()
        == TargetRequest(
            small, "cin_cp", "assessment_within_45wd_pct", 90, search="agency_backfill", also=agency.also
        ).key()
    )


def test_a_search_that_cannot_be_run_is_refused_in_words(small: Scenario) -> None:
    kpi = "assessment_within_45wd_pct"
    with pytest.raises(ValueError, match="what to search must be one of establishment, budget"):
        TargetRequest(small, "assessment", kpi, 90, search="early_help")
    with pytest.raises(ValueError, match="one target only"):
        TargetRequest(small, "assessment", kpi, 90, also=((kpi, 80),))
    with pytest.raises(ValueError, match="not a measure"):
        TargetRequest(small, "assessment", kpi, 90, also=(("cost_total", 1),))
    with pytest.raises(ValueError, match="must be a number"):
        TargetRequest(small, "assessment", kpi, 90, also=(("caseload_mean", float("nan")),))
    with pytest.raises(ValueError, match="no team 'nobody'"):
        TargetRequest(small, "nobody", kpi, 90, search="held_vacant")
    TargetRequest(small, "nobody", kpi, 90, search="agency_backfill")  # no team needed


def test_money_found_goes_into_the_teams_funded_posts(small: Scenario) -> None:
    request = TargetRequest(small, "assessment", "caseload_mean", 18, search="budget")
    field, posts = request.use(0.0)
    assert field == "workforce.teams.assessment.establishment"
    assert small.workforce is not None
    now = small.workforce.teams["assessment"].establishment
    assert posts == now
    _, more = request.use(100_000.0)
    assert now + 1 < more < now + 3  # £100,000 a year buys one to three social workers
    share = TargetRequest(small, "", "caseload_mean", 18, search="agency_backfill")
    assert share.use(0.45) == ("workforce.dynamics.agency_backfill", 0.45)


def _result(request: TargetRequest, status: str, answer: float | None, failing: float | None) -> TargetResult:
    """A search's result, built by hand: levels 0.4 (fails) to 0.6 (meets) of agency cover."""
    probes = {
        0.4: Probe(0.4, {"assessment_within_45wd_pct": [80.0, 82.0], "caseload_mean": [19.0, 20.0]}, "fails"),
        0.5: Probe(
            0.5, {"assessment_within_45wd_pct": [88.0, 91.0], "caseload_mean": [18.0, 18.5]}, "undecided"
        ),
        0.6: Probe(0.6, {"assessment_within_45wd_pct": [93.0, 94.0], "caseload_mean": [16.0, 17.0]}, "meets"),
    }
    search = Search(tuple(request.targets), "smallest", 0.9, 0.05, answer, failing, status, probes, 0.0, 1.0)
    return TargetResult(request.scenario, request.lever, 0.736, search, 1, 0, pd.DataFrame(), pd.DataFrame())


def test_the_answer_is_a_plain_sentence_with_every_level_tried(small: Scenario) -> None:
    request = TargetRequest(
        small, "", "assessment_within_45wd_pct", 90, search="agency_backfill", also=(("caseload_mean", 18),)
    )
    found = answer_text(request, _result(request, "found", 0.6, 0.4))
    assert found == (
        "The smallest share of vacancies covered by agency social workers that meets the targets is 60% "
        "(the targets are crossed between 40% and 60%). Today agency social workers cover 73.6% of vacancies."
    )
    rows = level_rows(request, _result(request, "found", 0.6, 0.4))
    assert [r.level for r in rows] == ["40%", "50%", "60%"]
    assert rows[0].means == ("81.0%", "19.5")
    assert [r.verdict for r in rows] == ["does not meet them", "too close to call", "meets the targets"]
    not_met = answer_text(request, _result(request, "not_met", None, 1.0))
    assert not_met.startswith("The targets are not met even at 100%, the highest level tried")
    held = TargetRequest(small, "assessment", "caseload_mean", 18, search="held_vacant")
    result = _result(held, "not_met", None, 0.0)
    result.start = 0.0
    assert answer_text(held, result).startswith(
        "The target is not met even at 0%, the lowest level tried: no posts can be held vacant"
    )
    assert "the target is too close" in answer_text(held, _result(held, "undecided", None, None))


def test_the_agency_share_needed_is_searched_off_the_page(small: Scenario) -> None:
    """A real search, small: the agency share of vacancies covered against two targets at once."""
    request = TargetRequest(
        small,
        "",
        "assessment_within_45wd_pct",
        50,
        confidence=0.8,
        years=1,
        seed=3,
        initial_replications=2,
        max_replications=2,
        search="agency_backfill",
        also=(("caseload_mean", 60),),
    )
    result = request.execute("sequential", None)
    assert result.lever == "workforce.dynamics.agency_backfill"
    assert {t.kpi for t in result.targets} == {"assessment_within_45wd_pct", "caseload_mean"}
    assert (result.search.low, result.search.high) == (0.0, 1.0)
    rows = level_rows(request, result)
    assert rows
    assert all(r.level.endswith("%") and len(r.means) == 2 for r in rows)
    assert answer_text(request, result).endswith("Today agency social workers cover 73.6% of vacancies.")


def test_every_new_lever_and_search_is_documented(england: Scenario) -> None:
    text = (Path(BASELINE).parents[1] / "docs" / "app.md").read_text(encoding="utf-8")
    for key, (field, _, _) in NEW_LEVERS.items():
        lever = next(lv for lv in levers_for(england) if lv.key == key)
        assert lever.unit in text, key
        assert field.replace(".assessment.", ".<team>.") in text, field
    for searched in SEARCHES.values():
        assert searched.label in text, searched.key
    assert "ramp_months" in text
