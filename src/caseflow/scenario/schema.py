"""The scenario schema: every parameter a run needs, validated and immutable.

Each section mirrors a stage of the pathway (DESIGN §2). Defaults live in ``scenarios/baseline.toml``
with their sources, not here: the schema says what is *allowed*, the baseline says what is *typical*.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any, Self

from pydantic import (
    Field,
    PrivateAttr,
    StrictFloat,
    StrictInt,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from caseflow.scenario.base import Branch, Section, check_sums_to_one
from caseflow.scenario.cost_schema import Change, CostParams
from caseflow.scenario.court_schema import CourtParams, PreBirthParams
from caseflow.scenario.limits import (
    FTE,
    MAX_CHANGES,
    MAX_CHILDREN,
    MAX_CONTACTS_PER_YEAR,
    MAX_ITEMS,
    CapPerFTE,
    Count,
    Date,
    Duration,
    Months,
    Name,
    RelativeVolume,
    Shape,
    Text,
    WorkingDays,
)
from caseflow.scenario.provenance_schema import Provenance, Source, field_path_problem, lookup_source
from caseflow.scenario.workforce_schema import WorkforceParams

__all__ = [
    "AGE_BANDS",
    "AssessmentParams",
    "Banded",
    "CINPlanParams",
    "CPPlanParams",
    "ContactSource",
    "DemandParams",
    "EarlyHelpParams",
    "FrontDoorParams",
    "ICPCParams",
    "LookedAfterParams",
    "OpeningStock",
    "Provenance",
    "RecontactParams",
    "ReferralParams",
    "RunParams",
    "S47Params",
    "Scenario",
    "Source",
    "TimeOnPlan",
]

#: Age bands (age at the event, in whole years) used for age-dependent parameters, as DfE bands them.
AGE_BANDS: tuple[str, ...] = ("under_1", "age_1_4", "age_5_9", "age_10_15", "age_16_17")
AGE_BAND_LOWER: tuple[int, ...] = (0, 1, 5, 10, 16)
AGE_BAND_UPPER: tuple[int, ...] = (1, 5, 10, 16, 18)


Probability = Annotated[float, Field(ge=0.0, le=1.0, description="a probability between 0 and 1")]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
EdgeList = Annotated[tuple[WorkingDays, ...], Field(strict=False, max_length=MAX_ITEMS)]
VolumeList = Annotated[tuple[RelativeVolume, ...], Field(strict=False)]
ProbList = Annotated[
    tuple[Annotated[StrictFloat, Field(ge=0.0, le=1.0)], ...],
    Field(strict=False, min_length=1, max_length=MAX_ITEMS),
]


class Banded(Section):
    """A piecewise-uniform distribution: ``probs[i]`` of mass spread evenly over ``[edges[i], edges[i+1])``.

    This is how DfE publishes durations (e.g. assessment working days in bands 0, 1–10, 11–20, …), so
    the published table can be pasted in directly.
    """

    edges: EdgeList = Field(min_length=2)
    probs: ProbList

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(self.probs) != len(self.edges) - 1:
            raise ValueError(
                f"probs needs one entry per band: {len(self.edges) - 1} bands from "
                f"{len(self.edges)} edges, but {len(self.probs)} probs"
            )
        if any(b < a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError("edges must be non-decreasing")
        if self.edges[0] < 0:
            raise ValueError("edges must be non-negative")
        check_sums_to_one("probs", dict(enumerate(self.probs)))  # type: ignore[arg-type]
        return self

    def mean(self) -> float:
        return math.fsum(
            p * (a + b) / 2 for p, a, b in zip(self.probs, self.edges, self.edges[1:], strict=False)
        )


class AgeMix(Branch):
    """Share of children in each DfE age band."""

    under_1: Probability
    age_1_4: Probability
    age_5_9: Probability
    age_10_15: Probability
    age_16_17: Probability


# ------------------------------------------------------------------------------------------ run


class RunParams(Section):
    start_date: Date = Field(description="first day simulated; must be 1 April")
    warmup_years: StrictInt = Field(ge=0, le=10)
    years: StrictInt = Field(ge=1, le=50, description="financial years reported after warm-up")
    history_months: float = Field(
        default=0.0,
        ge=0.0,
        le=60.0,
        allow_inf_nan=False,
        description=(
            "months of recent history seeded before day one: families closed then who may come back, "
            "with their last referral dates (0 = none; a warm-up year builds it instead)"
        ),
    )

    @model_validator(mode="after")
    def _april(self) -> Self:
        if (self.start_date.month, self.start_date.day) != (4, 1):
            raise ValueError(
                "start_date must be 1 April (financial years run April to March), "
                f"got {self.start_date.isoformat()}"
            )
        return self


# ------------------------------------------------------------------------------------ demand


class ContactSource(Section):
    """A source of contacts (police, schools, …) with its own volume, season and conversion."""

    share: Probability = Field(description="share of all contacts from this source")
    to_mash: Probability = Field(description="share of its contacts the front door passes to MASH")
    monthly: VolumeList = Field(
        min_length=12, max_length=12, description="relative volume by calendar month, Jan..Dec"
    )
    volume: NonNegative = Field(
        default=1.0,
        le=100.0,
        description="this source's contacts relative to its share of contacts_per_year: 0.7 is 30% fewer "
        "police contacts, without recomputing the other shares (1 by default)",
    )


class SiblingGroups(Branch):
    """Number of children in the family a contact concerns."""

    one: Probability
    two: Probability
    three: Probability
    four: Probability


class DemandParams(Section):
    contacts_per_year: Positive = Field(
        le=MAX_CONTACTS_PER_YEAR, description="contacts about children from new concerns"
    )
    weekday: VolumeList = Field(min_length=7, max_length=7, description="Mon..Sun relative volume")
    bank_holiday: RelativeVolume = Field(strict=False, description="relative volume on a bank holiday")
    sibling_groups: SiblingGroups
    child_age: AgeMix
    prior_cp_plan: Probability = Field(
        description="share of children in new-concern contacts with a CP plan in an earlier, "
        "unsimulated involvement (so second plans can occur from the start)"
    )
    sources: dict[Name, ContactSource] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _shares(self) -> Self:
        check_sums_to_one("sources.*.share", {k: s.share for k, s in self.sources.items()})
        for k, s in self.sources.items():
            if min(s.monthly) < 0 or max(s.monthly) <= 0:
                raise ValueError(f"sources.{k}.monthly must be non-negative and not all zero")
        if min(self.weekday) < 0 or max(self.weekday) <= 0:
            raise ValueError("weekday must be non-negative and not all zero")
        return self


# ------------------------------------------------------------------------- front door, MASH


class FrontDoorParams(Section):
    decision_wd: Banded = Field(description="working days from contact to front-door decision")
    early_help_if_not_mash: Probability = Field(
        description="share of contacts not passed to MASH that are offered early help"
    )


class MashOutcome(Branch):
    referral: Probability
    early_help: Probability
    no_further_action: Probability


class MashParams(Section):
    screening_wd: Banded = Field(description="working days of MASH screening")
    outcome: MashOutcome
    urgent_referral: Probability = Field(
        description="share of referrals not closed NFA that are rated red: strategy discussion at once"
    )


class ReferralParams(Section):
    no_further_action: Probability = Field(description="referrals closed NFA before assessment")
    re_referral_window_days: StrictInt = Field(
        ge=1, le=3650, description="re-referral look-back (DfE 12 months)"
    )


class AssessmentOutcome(Branch):
    not_in_need: Probability
    cin_plan: Probability
    s47: Probability


class AssessmentParams(Section):
    duration_wd: Banded = Field(description="working days from referral to completed assessment")
    outcome: AssessmentOutcome
    not_in_need_step_down: Probability = Field(
        description="share of children assessed not in need stepped down to early help"
    )


class S47Outcome(Branch):
    no_further_action: Probability
    cin_plan: Probability
    icpc: Probability


class S47Params(Section):
    strategy_discussion_wd: Banded = Field(description="working days from decision to strategy discussion")
    enquiry_wd: Banded = Field(description="working days of an s47 enquiry that does not go to ICPC")
    to_icpc_wd: Banded = Field(description="working days from strategy discussion to ICPC")
    outcome: S47Outcome
    looked_after_immediately: Probability = Field(
        description="share of urgent s47s where children are removed at once (police protection, EPO)"
    )


class ICPCOutcome(Branch):
    cp_plan: Probability
    cin_plan: Probability


class ICPCParams(Section):
    outcome: ICPCOutcome


class CPEnd(Branch):
    cin_plan: Probability
    closure: Probability
    looked_after: Probability
    pre_proceedings: Probability = Field(
        default=0.0, description="pre-proceedings under the Public Law Outline (needs a [court] section)"
    )


class CPPlanParams(Section):
    duration_months: Banded
    first_review_months: Months
    review_interval_months: Months
    end: CPEnd


class CINEnd(Branch):
    closure: Probability
    step_down: Probability
    s47: Probability
    looked_after: Probability
    pre_proceedings: Probability = Field(
        default=0.0, description="pre-proceedings under the Public Law Outline (needs a [court] section)"
    )


class CINPlanParams(Section):
    duration_months: Banded
    end: CINEnd


class EarlyHelpParams(Section):
    """Early help: a non-statutory service with its own capacity, cost and effect (DESIGN §4)."""

    duration_months: Banded
    key_workers: FTE = Field(description="early-help key worker FTE")
    families_per_worker: CapPerFTE = Field(description="families a key worker works with at once")
    recontact_reduction: Probability = Field(
        description="relative reduction in a helped family's chance of coming back"
    )
    referral_reduction: Probability = Field(
        description="relative reduction in a helped family's chance that a new contact becomes a referral"
    )
    escalation_reduction: Probability = Field(
        description="relative reduction in a helped family's chance of s47 or care after assessment"
    )
    effect_lag_months: Duration = Field(description="months after early help starts before it helps")
    effect_months: Months = Field(description="how long the effect lasts once it starts")


class RecontactParams(Section):
    """Families who come back: after a closure, a new contact may follow after a delay."""

    after_front_door: Probability = Field(description="after contact closed at the front door or MASH")
    after_early_help: Probability
    after_assessment: Probability = Field(
        description="after NFA at referral, assessed not in need, or an s47 with no further action"
    )
    after_plan: Probability = Field(description="after a CIN or CP plan or care ends")
    mean_delay_months: Months
    delay_shape: Shape = Field(description="gamma shape of the delay (1 = exponential)")
    to_mash: Probability = Field(description="share of returning families' contacts passed to MASH")


class ExitRoutes(Branch):
    """How a child's care episode ends if they do not reach 18 first."""

    return_home: Probability
    special_guardianship: Probability
    adoption: Probability
    child_arrangements: Probability
    other: Probability
    remain_to_18: Probability


class RouteMonths(Section):
    return_home: Months
    special_guardianship: Months
    adoption: Months
    child_arrangements: Months
    other: Months


class Placements(Branch):
    in_house_fostering: Probability
    ifa: Probability
    kinship: Probability
    childrens_home: Probability
    supported_accommodation: Probability
    placed_with_parents: Probability
    secure: Probability


class LeavingAt18(Branch):
    staying_put: Probability
    supported_accommodation: Probability
    independent_living: Probability
    adult_social_care: Probability
    other: Probability


class LookedAfterParams(Section):
    uasc_per_year: NonNegative = Field(
        le=100_000.0, description="unaccompanied asylum-seeking children arriving"
    )
    uasc_transferred_out: Probability = Field(
        default=0.0,
        description="share of arriving unaccompanied children transferred to another authority under "
        "the National Transfer Scheme: each is a CLA start and, after `uasc_transfer_days`, a CLA "
        "ceased by route `transferred` (no care-leaver service); 0 for an authority whose arrivals stay",
    )
    uasc_transfer_days: Positive = Field(
        default=10.0,
        le=3650.0,
        description="mean calendar days a transferred child is looked after before the transfer "
        "(exponential)",
    )
    uasc_age: AgeMix
    exit_routes: dict[str, ExitRoutes]
    route_months: RouteMonths
    route_shape: Shape = Field(description="gamma shape of time to a non-18 exit")
    placements: dict[str, Placements]
    leaving_at_18: LeavingAt18

    @model_validator(mode="after")
    def _bands(self) -> Self:
        for name in ("exit_routes", "placements"):
            got = set(getattr(self, name))
            if got != set(AGE_BANDS):
                missing = sorted(set(AGE_BANDS) - got)
                extra = sorted(got - set(AGE_BANDS))
                raise ValueError(
                    f"{name} needs exactly the age bands {', '.join(AGE_BANDS)}"
                    + (f"; missing {', '.join(missing)}" if missing else "")
                    + (f"; unknown {', '.join(extra)}" if extra else "")
                )
        return self


class TimeOnPlan(Branch):
    """How long the CP plans open on day one have been open, in DfE's bands (CP plans at 31 March by
    length of time on plan)."""

    months_0_3: Probability = Field(description="share of open CP plans open for 3 months or less")
    months_3_6: Probability = Field(description="share open for more than 3 and up to 6 months")
    months_6_12: Probability = Field(description="share open for more than 6 months and up to a year")
    months_12_24: Probability = Field(description="share open for more than 1 and up to 2 years")
    months_24_plus: Probability = Field(description="share open for more than 2 years")


#: Band edges of :class:`TimeOnPlan` in months (the last band is open-ended).
TIME_ON_PLAN_MONTHS: tuple[tuple[str, float, float], ...] = (
    ("months_0_3", 0.0, 3.0),
    ("months_3_6", 3.0, 6.0),
    ("months_6_12", 6.0, 12.0),
    ("months_12_24", 12.0, 24.0),
    ("months_24_plus", 24.0, math.inf),
)


class OpeningStock(Section):
    """The open caseload on the first day, as the LA's own returns count it."""

    children_in_need: Count = Field(description="DfE CIN count: includes CP and CLA")
    child_protection: Count = Field(description="children on a child protection plan")
    looked_after: Count = Field(description="children looked after")
    in_assessment: Count = Field(description="children whose referral is in an open assessment")
    looked_after_age: AgeMix = Field(description="age at entry of children in care (DfE starts)")
    child_protection_time_on_plan: TimeOnPlan | None = Field(
        default=None,
        description="time on plan of the CP plans open on day one (DfE CP plans at 31 March by time "
        "on plan). Absent: elapsed times come from the equilibrium of `cp_plan.duration_months`. "
        "Given: each opening family's band is drawn from these shares, then its plan's total length "
        "and elapsed time from that equilibrium restricted to elapsed times in the band; a band the "
        "plan lengths cannot reach (2 years+ when plans end by 30 months) gets an elapsed time uniform "
        "in the band (2 years+ capped at 36 months) and the equilibrium's remaining time",
    )

    @model_validator(mode="after")
    def _fits(self) -> Self:
        rest = self.children_in_need - self.child_protection - self.looked_after - self.in_assessment
        if rest < 0:
            raise ValueError(
                "children_in_need (DfE definition) must be at least child_protection + looked_after + "
                f"in_assessment; it is {rest} short"
            )
        return self

    @property
    def cin_plans(self) -> int:
        return self.children_in_need - self.child_protection - self.looked_after - self.in_assessment


#: Fields read once, when a run starts: a time-phased change of them would be accepted and silently
#: ignored, so it is refused, with the reason and what to do instead. (Patterns: ``*`` is one name.)
START_ONLY: tuple[tuple[str, str], ...] = (
    ("court", "the court section is read when the run starts; change its fields instead"),
    ("pre_birth", "the pre-birth section is read when the run starts; change its fields instead"),
    (
        "population",
        "the population is read once, for rates per 10,000 children; it does not drive demand "
        "(change demand.contacts_per_year instead)",
    ),
    ("workforce", "change the workforce's fields, not the whole table"),
    ("workforce.enabled", "whether social workers are modelled is decided when the run starts"),
    ("workforce.changes", "list workforce changes in the scenario itself"),
    ("workforce.teams", "teams are built when the run starts; change a team's establishment or caps"),
    ("workforce.teams.*", "teams are built when the run starts; change a team's establishment or caps"),
    ("workforce.teams.*.handles", "which team handles which work is fixed when the run starts"),
    ("workforce.teams.*.case_holding", "whether a team holds cases is fixed when the run starts"),
    (
        "workforce.teams.*.held_vacant",
        "which posts are held vacant is decided when the run starts; set it in the scenario itself, "
        "or change the establishment from a date instead",
    ),
    (
        "workforce.teams.*.held_vacant_agency",
        "which posts are agency-only is decided when the run starts; set it in the scenario itself, "
        "or change the establishment from a date instead",
    ),
    (
        "workforce.teams.*.supernumerary_agency",
        "supernumerary agency workers are placed when the run starts; set it in the scenario itself, "
        "or change the establishment from a date instead",
    ),
    ("workforce.dynamics.opening_vacancy_rate", "it describes the first day only"),
    ("workforce.dynamics.opening_nqsw_share", "it describes the first day only"),
)


def start_only(field: str) -> str | None:
    """Why a time-phased change of ``field`` is refused (None if it may change during a run)."""
    parts = field.split(".")
    if parts[0] == "provenance":
        return f"{field} cannot change during a run"
    for pattern, reason in START_ONLY:
        want = pattern.split(".")
        if len(want) == len(parts) and all(w in ("*", p) for w, p in zip(want, parts, strict=True)):
            return f"{field} cannot change during a run: {reason}"
    return None


class Scenario(Section):
    """A whole scenario: immutable and validated. Load one with :func:`caseflow.load_scenario`.

    Make variants with :meth:`with_overrides`, never by mutation.
    """

    name: Name
    description: Text = ""
    population: StrictInt = Field(gt=0, le=MAX_CHILDREN, description="children aged 0–17 in the LA")
    run: RunParams
    demand: DemandParams
    front_door: FrontDoorParams
    mash: MashParams
    referral: ReferralParams
    assessment: AssessmentParams
    s47: S47Params
    icpc: ICPCParams
    cp_plan: CPPlanParams
    cin_plan: CINPlanParams
    early_help: EarlyHelpParams
    recontact: RecontactParams
    looked_after: LookedAfterParams
    opening_stock: OpeningStock
    workforce: WorkforceParams | None = Field(
        default=None, description="social-worker capacity; absent or disabled: sampled durations"
    )
    costs: CostParams | None = Field(default=None, description="unit costs; absent: no cost KPIs")
    court: CourtParams | None = Field(
        default=None,
        description="pre-proceedings and care proceedings; absent: care entries carry court work as a "
        "lump of hours (workforce.hours.court_work)",
    )
    pre_birth: PreBirthParams | None = Field(
        default=None, description="referrals about unborn babies and removal at birth; absent: none"
    )
    changes: Annotated[tuple[Change, ...], Field(strict=False, max_length=MAX_CHANGES)] = Field(
        default=(), description="time-phased changes of any parameter"
    )
    provenance: Provenance | None = Field(
        default=None,
        description="where the values came from (file, measure, year, method), for profiles built from "
        "published figures; documentation only, never changes a run",
    )

    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _provenance_paths(self) -> Self:
        errors: list[InitErrorDetails] = []

        def problem(loc: tuple[str | int, ...], text: str, given: Any) -> None:
            errors.append(
                InitErrorDetails(
                    type=PydanticCustomError("value_error", "{problem}", {"problem": text}),
                    loc=loc,
                    input=given,
                )
            )

        for i, ch in enumerate(self.changes):
            reason = start_only(ch.field)
            if reason is not None:
                problem(("changes", i, "field"), reason, ch.field)
        if self.court is None:
            for section in ("cp_plan", "cin_plan"):
                share = getattr(self, section).end.pre_proceedings
                if share > 0:
                    problem(
                        (section, "end", "pre_proceedings"),
                        f"plans can end in pre-proceedings ({share:g}) only with a [court] section; "
                        "add one or set this to 0",
                        share,
                    )
        p = self.provenance
        if p is not None:
            for key, src in p.sources.items():
                if src.is_empty():  # "no source" markers for values a file set (sources.py) are not checked
                    continue
                text = field_path_problem(Scenario, self, key)
                if text is not None:
                    problem(("provenance", "sources", f'"{key}"'), text, key)
            for i, path in enumerate(p.national_defaults):
                text = field_path_problem(Scenario, self, path)
                if text is not None:
                    problem(("provenance", "national_defaults", i), text, path)
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    @model_validator(mode="after")
    def _stock_fits_population(self) -> Self:
        if self.opening_stock.children_in_need > self.population:
            raise ValueError(
                f"opening_stock.children_in_need ({self.opening_stock.children_in_need:,}) cannot exceed "
                f"population, the children aged 0-17 in the authority ({self.population:,})"
            )
        return self

    def source_of(self, path: str) -> Source | None:
        """Where the value at dotted ``path`` came from, per ``[provenance.sources]``, or None.

        The entry for ``path`` itself wins; otherwise that of the nearest table containing it (a source
        for ``cp_plan.duration_months`` covers ``cp_plan.duration_months.probs``).
        """
        return lookup_source(self.provenance, path)

    @property
    def source(self) -> str | None:
        """The file this scenario was loaded from, if any."""
        return self._source

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dictionary of every parameter (dates as ISO strings)."""
        return self.model_dump(mode="json")

    def hash(self) -> str:
        """SHA-256 of the canonical parameter set: two scenarios with equal hashes run identically."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def with_overrides(
        self, overrides: dict[str, Any], *, name: str | None = None, check_changes: bool = True
    ) -> Scenario:
        """A validated copy with ``{"dotted.field.path": value}`` overrides applied.

        >>> s2 = s.with_overrides({"demand.contacts_per_year": 16000})  # doctest: +SKIP
        """
        from caseflow.scenario.loader import apply_overrides, validate

        data = apply_overrides(self.model_dump(), overrides)
        if name is not None:
            data["name"] = name
        return validate(data, source=self._source or "<overrides>", check_changes=check_changes)
