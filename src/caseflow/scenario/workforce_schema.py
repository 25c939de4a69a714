"""Scenario schema for social-worker capacity (DESIGN §3): teams, worker time, dynamics, changes."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, StrictInt, model_validator

from caseflow.registry import ALLOCATION_POLICIES as _POLICY_REGISTRY
from caseflow.scenario.base import Section
from caseflow.scenario.limits import (
    FTE,
    MAX_CHANGES,
    MAX_ITEMS,
    CapPerFTE,
    Date,
    Months,
    Name,
)
from caseflow.scenario.limits import TaskHours as Hours

__all__ = [
    "ACTIVITIES",
    "ALLOCATION_POLICIES",
    "DynamicsParams",
    "PolicyName",
    "TaskHours",
    "TeamParams",
    "TimeParams",
    "VisitParams",
    "WeightParams",
    "WorkforceChange",
    "WorkforceParams",
]

#: Kinds of case work. Each must be handled by exactly one team.
ACTIVITIES: tuple[str, ...] = (
    "front_door",  # contact decisions and MASH screening (team pool, no case allocation)
    "assessment",  # referral to assessment outcome, including s47s and ICPCs arising from it
    "cin_plan",
    "cp_plan",
    "looked_after",
    "care_leaver",
)

#: The built-in allocation policies (how a team manager picks a worker for a waiting case). A scenario
#: may name any policy registered in :data:`caseflow.registry.ALLOCATION_POLICIES`: these, and any a
#: user registers with :func:`caseflow.model.workforce.register_policy`.
ALLOCATION_POLICIES: tuple[str, ...] = ("least_loaded", "most_capacity", "first_available")


def _registered_policy(name: str) -> str:
    """``name`` if it is a registered allocation policy; else an error listing the registered ones."""
    return _POLICY_REGISTRY.check(name)


#: The name of a registered allocation policy, checked when the scenario is validated.
PolicyName = Annotated[str, AfterValidator(_registered_policy)]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
#: A share-of-time weight: only ratios matter; the range keeps the largest ratio at 10,000.
Weight = Annotated[float, Field(ge=0.01, le=100.0)]


class TeamParams(Section):
    """A team: what it handles, its funded establishment and its caseload caps (children per FTE)."""

    handles: Annotated[tuple[Literal[ACTIVITIES], ...], Field(strict=False, min_length=1)]  # type: ignore[valid-type]
    establishment: FTE = Field(description="funded FTE posts")
    soft_cap: CapPerFTE = Field(description="children per FTE a manager allocates up to before going over")
    hard_cap: CapPerFTE = Field(description="children per FTE never exceeded")
    case_holding: bool = Field(default=True, description="counts in DfE caseload measures")
    held_vacant: Probability = Field(
        default=0.0, description="share of posts left vacant for the whole run (not recruited to)"
    )
    held_vacant_agency: Probability = Field(
        default=0.0, description="share of the held-vacant posts covered by agency workers"
    )
    supernumerary_agency: NonNegative = Field(
        default=0.0,
        le=10_000.0,
        description="agency FTE on top of the establishment, covering no vacancy (a managed agency team "
        "when the establishment is 0); counted in the agency rate, not the vacancy rate",
    )

    @model_validator(mode="after")
    def _caps(self) -> Self:
        if self.soft_cap > self.hard_cap:
            raise ValueError(f"soft_cap ({self.soft_cap:g}) must not exceed hard_cap ({self.hard_cap:g})")
        return self


class TimeParams(Section):
    """How many hours a week a worker has for case work."""

    contracted_hours: Annotated[float, Field(ge=1.0, le=80.0)] = Field(
        description="contracted hours per week at 1.0 FTE (1 to 80)"
    )
    annual_leave: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        description="share of working time on leave and bank holidays (at most half)"
    )
    non_case_time: Annotated[float, Field(ge=0.0, le=0.9)] = Field(
        description="share of remaining time on supervision, training, admin (at most 0.9: some time "
        "must be left for cases)"
    )
    nqsw_protected_time: Annotated[float, Field(ge=0.0, le=0.9)] = Field(
        description="ASYE protected development time share (at most 0.9)"
    )
    nqsw_caseload_factor: Probability = Field(description="ASYE caseload cap as share of experienced")
    ramp_up_weeks: NonNegative = Field(
        le=520.0, description="weeks a new starter works at reduced efficiency"
    )
    ramp_up_efficiency: Probability = Field(description="efficiency during ramp-up")
    external_time_scale: NonNegative = Field(
        le=100.0,
        description="elapsed time an assessment, s47 or MASH check needs regardless of worker time "
        "(partner agencies, family availability), as a multiple of the scenario's published duration",
    )


class TaskHours(Section):
    """Hours of worker time per piece of work, per family, and extra for each further child."""

    contact_decision: Hours
    mash_screening: Hours
    assessment: Hours
    assessment_cv: NonNegative = Field(
        le=10.0, description="coefficient of variation of assessment hours (gamma)"
    )
    strategy_discussion: Hours
    s47_enquiry: Hours
    icpc_report: Hours
    cp_review: Hours
    core_group: Hours
    cin_review: Hours
    cla_review: Hours
    court_work: Hours = Field(
        description="care proceedings: statements and hearings, per child coming into care from a plan or "
        "an emergency (without a [court] section; with one, the three court tasks below replace it)"
    )
    pre_proceedings: Hours = Field(
        default=0.0, description="pre-proceedings (PLO): letter, meetings, assessments (with [court])"
    )
    court_issue: Hours = Field(
        default=0.0,
        description="care proceedings: application, statement and care plan at issue (with [court])",
    )
    court_final: Hours = Field(
        default=0.0, description="care proceedings: final evidence and hearings (with [court])"
    )
    per_extra_child: Probability = Field(description="extra share of the family's hours per further child")


class VisitParams(Section):
    """Statutory and local visiting frequencies (working days) and hours per visit (per family)."""

    cp_interval_wd: StrictInt = Field(ge=1, le=520)
    cp_hours: Hours
    cin_interval_wd: StrictInt = Field(ge=1, le=520)
    cin_hours: Hours
    cla_interval_wd: StrictInt = Field(ge=1, le=520)
    cla_hours: Hours
    care_leaver_interval_wd: StrictInt = Field(ge=1, le=520)
    care_leaver_hours: Hours
    core_group_interval_wd: StrictInt = Field(ge=1, le=520)
    cin_review_interval_wd: StrictInt = Field(ge=1, le=520)
    cla_first_review_wd: StrictInt = Field(ge=1, le=520)
    cla_review_interval_wd: StrictInt = Field(ge=1, le=520)
    planning_lead_wd: StrictInt = Field(
        ge=0, le=260, description="a visit is planned this many working days before due"
    )


class WeightParams(Section):
    """How a worker shares their time: each open piece of work gets time in proportion to its weight."""

    visit: Weight = Field(description="statutory visits")
    child_protection: Weight = Field(description="strategy discussions, s47 enquiries, ICPC reports")
    assessment: Weight
    other: Weight = Field(description="reviews, core groups, court work, front-door work")


class DynamicsParams(Section):
    """Leavers, vacancies, agency cover, sickness and newly qualified intake (DfE CSWW definitions)."""

    turnover_rate: Probability = Field(description="permanent leavers per FTE per year")
    months_to_fill: Months = Field(description="mean months from a permanent leaving to a new start")
    agency_backfill: Probability = Field(description="share of vacancies covered by agency staff")
    agency_lead_weeks: NonNegative = Field(le=520.0, description="weeks from a vacancy to an agency start")
    agency_assignment_months: Months = Field(description="mean agency assignment length")
    nqsw_share_of_hires: Probability
    asye_months: Months = Field(description="length of the assessed and supported year")
    sickness_rate: Probability = Field(description="share of working time lost to sickness")
    sickness_spell_wd: Positive = Field(le=2600.0, description="mean working days of a sickness spell")
    opening_vacancy_rate: Probability = Field(description="vacant share of posts on day one")
    opening_nqsw_share: Probability = Field(description="share of permanent workers in their ASYE on day one")
    case_transfer_rate: NonNegative = Field(
        le=100.0,
        description="transfers of a case to another worker in the same team per case-year "
        "(workload balancing, court to long-term team) in case-holding teams",
    )
    icpc_rebook_wd: StrictInt = Field(
        ge=0, le=260, description="working days to rebook an ICPC whose report is late"
    )
    agency_pay_premium: Annotated[float, Field(ge=-0.5, le=2.0)] = Field(
        default=0.0,
        description="share paid above the agency charge in [costs.agency] (0.1: 10% more, e.g. above a "
        "regional cap); every agency worker is paid it",
    )
    agency_supply_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        default=0.0,
        description="how agency cover responds to the premium: the share of vacancies covered is "
        "agency_backfill × (1 + agency_pay_premium) ^ elasticity, at most 1 (0: no response)",
    )


class WorkforceChange(Section):
    """From ``date``, change a team's establishment or caps, or the agency or allocation policy."""

    date: Date
    team: Name | None = None
    establishment: FTE | None = None
    soft_cap: CapPerFTE | None = None
    hard_cap: CapPerFTE | None = None
    agency_backfill: Probability | None = None
    allocation_policy: PolicyName | None = None
    fill_months: Months | None = Field(
        default=None,
        description="new posts from this change are filled after this mean time (a recruitment "
        "campaign) instead of dynamics.months_to_fill",
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        fields = ("establishment", "soft_cap", "hard_cap", "agency_backfill", "allocation_policy")
        if all(getattr(self, f) is None for f in fields):
            raise ValueError(f"a change must set at least one of {', '.join(fields)}")
        if self.team is None and any(getattr(self, f) is not None for f in fields[:3]):
            raise ValueError("establishment and caps are per team: name the team")
        return self


class FeedbackParams(Section):
    """Workload feedback (opt-in): caseloads over the soft cap bring longer hours and, later, more leavers;
    caseloads under it ease turnover (docs/workforce.md)."""

    enabled: bool = Field(default=False, description="false: hours and turnover ignore caseloads")
    lag_months: Annotated[float, Field(ge=1.0, le=36.0)] = Field(
        default=3.0, description="months over which turnover follows the caseload (exponential smoothing)"
    )
    overtime_per_excess: NonNegative = Field(
        default=1.0,
        le=10.0,
        description="extra hours as a share of contracted hours per unit of caseload over the soft cap "
        "(1: 10% over the cap, 10% longer hours)",
    )
    overtime_max: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        default=0.2, description="most extra hours, as a share of contracted hours"
    )
    turnover_per_excess: NonNegative = Field(
        default=1.5,
        le=20.0,
        description="change in the leaving rate per unit of smoothed caseload over (or under) the soft cap",
    )
    turnover_min: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        default=0.7, description="lowest multiple of the turnover rate (caseloads well under the cap)"
    )
    turnover_max: Annotated[float, Field(ge=1.0, le=10.0)] = Field(
        default=2.0, description="highest multiple of the turnover rate (caseloads well over the cap)"
    )


class WorkforceParams(Section):
    enabled: bool = Field(description="false: durations are sampled, capacity unlimited")
    allocation_policy: PolicyName
    teams: dict[Name, TeamParams] = Field(min_length=1, max_length=MAX_ITEMS)
    time: TimeParams
    hours: TaskHours
    visits: VisitParams
    weights: WeightParams
    dynamics: DynamicsParams
    feedback: FeedbackParams = Field(default_factory=FeedbackParams)
    changes: Annotated[tuple[WorkforceChange, ...], Field(strict=False, max_length=MAX_CHANGES)] = ()

    @model_validator(mode="after")
    def _routing(self) -> Self:
        owner: dict[str, str] = {}
        for name, team in self.teams.items():
            for act in team.handles:
                if act in owner:
                    raise ValueError(f"activity {act!r} is handled by both teams {owner[act]!r} and {name!r}")
                owner[act] = name
        missing = [a for a in ACTIVITIES if a not in owner]
        if missing:
            raise ValueError(f"no team handles {', '.join(missing)}; every activity needs one team")
        for i, ch in enumerate(self.changes):
            if ch.team is not None and ch.team not in self.teams:
                raise ValueError(
                    f"changes[{i}].team {ch.team!r} is not a team; teams are {', '.join(self.teams)}"
                )
        return self

    def team_for(self, activity: str) -> str:
        for name, team in self.teams.items():
            if activity in team.handles:
                return name
        raise KeyError(activity)
