"""The levers a planner or finance officer moves, as data: what each means in plain words, its unit and
range, and the scenario field it sets.

A :class:`Lever` is shown on the page as a labelled number with its unit and a sentence saying what it
means; :func:`option_scenario` turns the values a user chose into a validated scenario (an option to
compare with the baseline) through :meth:`caseflow.scenario.Scenario.with_overrides`. The levers come
from the scenario itself (:func:`levers_for`): for each team it has, its funded posts, posts held vacant,
the agency cover of those and (for a case-holding team) caseload cap, so an authority's or an uploaded
scenario's own teams are offered; then agency cover and rates, leavers and recruitment, demand and early
help for the whole authority.

Three kinds of value:

``value``
    the field's own value (FTE, children per FTE, £ an hour);
``share``
    a percentage on the page, a share from 0 to 1 in the scenario (vacancies, agency cover);
``change``
    a percentage change from the baseline's value (demand: ``+10`` is 10% more contacts).

A recruitment campaign (posts added to a team from a date, filled faster than usual) is a
:class:`Campaign`: a time-phased change (``workforce.changes``) added to those the scenario already has.
A change in demand holds for the whole period unless a :class:`~caseflow.app.demand.DemandTiming` says
from when, and over how many months it is phased in (a dated ``changes`` entry). Every other lever's
change holds for the whole period too, unless ``from_date`` (:func:`option_overrides`) dates them all:
each is then a ``changes`` entry setting the field's new value on that day (posts, vacancies, agency
cover, caps, rates, leavers and recruitment, early help), so a planner can ask what happens if the
council acts next April rather than today.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from caseflow.app.demand import DEMAND_FIELD, DemandTiming, LeverError, too_early
from caseflow.scenario.loader import ScenarioError
from caseflow.scenario.schema import Scenario, start_only

__all__ = [
    "FIXED_AT_START",
    "FROM_WHERE",
    "GROUPS",
    "Campaign",
    "DemandTiming",
    "Lever",
    "LeverError",
    "check_from_date",
    "levers_for",
    "option_overrides",
    "option_scenario",
    "takes_effect",
    "team_words",
]

Kind = Literal["value", "share", "change"]

#: The groups levers are shown in, in order.
GROUPS: tuple[str, ...] = (
    "Social workers by team",
    "Agency staff",
    "Leavers and recruitment",
    "Demand",
    "Early help",
)
TEAMS, AGENCY, DYNAMICS, DEMAND, EARLY_HELP = GROUPS

#: The most posts a recruitment campaign may add to a team.
MAX_CAMPAIGN_POSTS = 500

#: Teams in plain words (others: the name with spaces).
_TEAM_WORDS = {
    "front_door": "Front door and MASH",
    "assessment": "Assessment",
    "cin_cp": "Child in need and child protection",
    "children_in_care": "Children in care",
    "care_leavers": "Care leavers",
}


def team_words(team: str) -> str:
    """A team's name as a reader says it: ``cin_cp`` → "Child in need and child protection"."""
    words = _TEAM_WORDS.get(team, team.replace("_", " ").strip())
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Lever:
    """One number a user can change, and the scenario field it sets."""

    #: a stable identifier (letters, digits and underscores; also the page's input id)
    key: str
    #: the dotted scenario field it sets
    field: str
    label: str
    #: the unit shown beside the number
    unit: str
    #: what it means, in a sentence or two
    help: str
    group: str
    kind: Kind
    minimum: float
    maximum: float
    step: float
    #: for a team's lever: the team (its key in the scenario), and the label within the team's group
    team: str | None = None
    short: str = ""
    #: which of a team's levers it is (``establishment``, ``held_vacant``, ``held_vacant_agency``,
    #: ``hard_cap``): every team's lever of one aspect shares its help sentence
    aspect: str = ""

    def shown(self, scenario: Scenario) -> float:
        """The lever's value in the scenario as it stands, as the page shows it."""
        if self.kind == "change":
            return 0.0
        raw = float(_get(scenario, self.field))
        shown = raw * 100 if self.kind == "share" else raw
        return round(shown, 6) + 0.0

    def field_value(self, scenario: Scenario, shown: float) -> float:
        """The scenario value for what the page shows (``shown``), from the scenario as it stands."""
        if self.kind == "share":
            return shown / 100
        if self.kind == "change":
            return float(_get(scenario, self.field)) * (1 + shown / 100)
        return shown

    def check(self, shown: Any) -> float:
        """``shown`` as a number within the lever's range, or :class:`LeverError` saying what is allowed."""
        if isinstance(shown, bool) or not isinstance(shown, int | float) or not math.isfinite(shown):
            raise LeverError(
                [(self.label, f"must be a number from {_n(self.minimum)} to {_n(self.maximum)}")]
            )
        if not self.minimum <= shown <= self.maximum:
            raise LeverError(
                [
                    (
                        self.label,
                        f"must be from {_n(self.minimum)} to {_n(self.maximum)} {self.unit}, got {_n(shown)}",
                    )
                ]
            )
        return float(shown)


def _n(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0")


def _get(scenario: Scenario, dotted: str) -> Any:
    node: Any = scenario
    for part in dotted.split("."):
        node = node[part] if isinstance(node, Mapping) else getattr(node, part)
    return node


def _key(*parts: str) -> str:
    """An identifier from parts: letters, digits and underscores only."""
    return re.sub(r"\W+", "_", "__".join(parts), flags=re.ASCII).strip("_")


def _team_levers(scenario: Scenario) -> list[Lever]:
    out: list[Lever] = []
    if scenario.workforce is None or not scenario.workforce.enabled:
        return out
    for i, (team, params) in enumerate(scenario.workforce.teams.items()):
        words = team_words(team)
        # a team name may hold any character (an uploaded file): keep the key an identifier, and unique
        slug = _key(team)[:40] or f"team{i}"
        slug = f"{slug}_{i}" if slug != team else slug
        base = f"workforce.teams.{team}"
        top = max(2 * params.establishment, params.establishment + 20, 10)
        out += [
            Lever(
                _key("establishment", slug),
                f"{base}.establishment",
                f"{words} team: funded posts",
                "FTE",
                "Social worker posts the team is funded for (full-time equivalents). People leave and "
                "posts take months to fill, so fewer are in post than this.",
                TEAMS,
                "value",
                0.0,
                float(math.ceil(top)),
                0.5,
                team,
                "Funded posts",
                "establishment",
            ),
            Lever(
                _key("held_vacant", slug),
                f"{base}.held_vacant",
                f"{words} team: posts held vacant",
                "% of posts",
                "Posts left empty for the whole period and not recruited to, on top of the everyday "
                "vacancies from people leaving. 30 means 3 posts in 10 are empty.",
                TEAMS,
                "share",
                0.0,
                90.0,
                1.0,
                team,
                "Posts held vacant",
                "held_vacant",
            ),
            Lever(
                _key("held_vacant_agency", slug),
                f"{base}.held_vacant_agency",
                f"{words} team: posts held vacant covered by agency",
                "% of posts held vacant",
                "Of the posts held vacant, the share filled by agency social workers instead of left "
                "empty, for the whole period. It changes nothing while no posts are held vacant.",
                TEAMS,
                "share",
                0.0,
                100.0,
                1.0,
                team,
                "Agency cover",
                "held_vacant_agency",
            ),
        ]
        if params.case_holding:
            out.append(
                Lever(
                    _key("hard_cap", slug),
                    f"{base}.hard_cap",
                    f"{words} team: caseload cap",
                    "children per FTE",
                    "The most children one full-time social worker in the team may hold. A child who "
                    "would take a worker over it waits, unallocated, until someone has room.",
                    TEAMS,
                    "value",
                    max(1.0, math.floor(params.soft_cap / 2)),
                    float(max(60, math.ceil(params.hard_cap * 2))),
                    1.0,
                    team,
                    "Caseload cap",
                    "hard_cap",
                )
            )
    return out


def _dynamics_levers() -> list[Lever]:
    """Leavers and recruitment, for every team: they apply from the start of the run."""
    return [
        Lever(
            "turnover_rate",
            "workforce.dynamics.turnover_rate",
            "Social workers leaving each year",
            "% leaving a year",
            "Permanent social workers who leave in a year, as a share of those in post (the DfE "
            "turnover rate; 11.8% nationally, DfE children's social work workforce 2025). Each "
            "worker's time until leaving is drawn at this rate from the start of the run.",
            DYNAMICS,
            "share",
            0.0,
            60.0,
            0.5,
        ),
        Lever(
            "months_to_fill",
            "workforce.dynamics.months_to_fill",
            "Months to fill a post",
            "months",
            "The average time from a permanent social worker leaving to their successor starting: "
            "adverts, interviews, checks and notice. The England-average authority has 15 months, what "
            "a 14.2% vacancy rate with 11.8% turnover implies. A recruitment campaign's own posts have "
            "their own time to fill.",
            DYNAMICS,
            "value",
            0.25,
            60.0,
            0.5,
        ),
        Lever(
            "nqsw_share_of_hires",
            "workforce.dynamics.nqsw_share_of_hires",
            "Newly qualified share of new social workers",
            "% of hires",
            "Of the permanent social workers hired, the share in their first year after qualifying "
            "(the ASYE year), who carry a protected, smaller caseload and have time set aside for "
            "learning. The England-average authority assumes 30% (no published figure).",
            DYNAMICS,
            "share",
            0.0,
            100.0,
            1.0,
        ),
    ]


def levers_for(scenario: Scenario) -> list[Lever]:
    """The levers for ``scenario``: per team (posts, vacancies and their agency cover, caseload caps)
    and for the whole authority (agency cover and rates, leavers and recruitment, demand, early help),
    in :data:`GROUPS` order."""
    out = _team_levers(scenario)
    if scenario.workforce is not None and scenario.workforce.enabled:
        out += [
            Lever(
                "agency_backfill",
                "workforce.dynamics.agency_backfill",
                "Vacancies covered by agency social workers",
                "% of vacancies",
                "When a social worker leaves, the share of the empty posts covered by an agency worker "
                "until a permanent one starts. Nationally about three quarters are (73.6%, DfE "
                "children's social work workforce 2025).",
                AGENCY,
                "share",
                0.0,
                100.0,
                1.0,
            ),
            Lever(
                "agency_pay_premium",
                "workforce.dynamics.agency_pay_premium",
                "Agency pay above the agency charge",
                "% more",
                "A premium paid on top of the agency charge per hour to every agency worker, for "
                "example to pay above a regional cap: 10 means 10% more. It costs more; it covers more "
                "vacancies only if agency supply answers pay (the next number). −50 to 200.",
                AGENCY,
                "share",
                -50.0,
                200.0,
                1.0,
            ),
            Lever(
                "agency_supply_elasticity",
                "workforce.dynamics.agency_supply_elasticity",
                "How agency supply answers pay",
                "elasticity, 0 to 10",
                "How much more of the vacancies agency workers cover when they are paid more: the "
                "share covered is the share above times (1 + premium) to this power, at most all of "
                "them. 0: pay makes no difference; 1: 10% more pay covers 10% more. No published "
                "figure: an assumption to test.",
                AGENCY,
                "value",
                0.0,
                10.0,
                0.1,
            ),
            *_dynamics_levers(),
        ]
    out += [
        Lever(
            "agency_hourly_rate",
            "costs.agency.hourly_rate",
            "Agency charge per hour",
            "£ an hour",
            "What the council pays an agency for an hour of a social worker's time, before inflation.",
            AGENCY,
            "value",
            1.0,
            300.0,
            0.5,
        ),
        Lever(
            "contacts_change",
            "demand.contacts_per_year",
            "Change in contacts about new concerns",
            "% change",
            "More or fewer contacts about children from police, schools, health and others. 10 means "
            "10% more than the baseline; −10 means 10% fewer. For the whole period, unless you say "
            "from when below.",
            DEMAND,
            "change",
            -90.0,
            200.0,
            1.0,
        ),
        Lever(
            "early_help_workers",
            "early_help.key_workers",
            "Early help key workers",
            "FTE",
            "Family workers in the council's early help service. Families are offered early help "
            "only when a key worker has room; help lowers the chance they come back.",
            EARLY_HELP,
            "value",
            0.0,
            float(max(100, math.ceil(scenario.early_help.key_workers * 3))),
            0.5,
        ),
    ]
    return sorted(out, key=lambda lv: GROUPS.index(lv.group))  # stable: in order within a group


@dataclass(frozen=True)
class Campaign:
    """A recruitment campaign: ``posts`` more funded posts in ``team`` from ``start``, filled after
    ``fill_months`` on average (instead of the usual time to fill a post)."""

    team: str
    posts: float
    start: dt.date
    fill_months: float = 4.0

    def describe(self) -> str:
        return (
            f"{_n(self.posts)} more posts in the {team_words(self.team).lower()} team from "
            f"{self.start:%-d %B %Y}, filled in about {_n(self.fill_months)} months"
        )

    def check(self, scenario: Scenario) -> None:
        """:class:`LeverError` if the campaign cannot be run in ``scenario``, saying what is allowed."""
        where = "Recruitment campaign"
        if scenario.workforce is None or self.team not in scenario.workforce.teams:
            raise LeverError([(where, f"the scenario has no team {self.team!r}")])
        problems = []
        if not (math.isfinite(self.posts) and 0 < self.posts <= MAX_CAMPAIGN_POSTS):
            problems.append(
                (where, f"extra posts must be more than 0 and at most {MAX_CAMPAIGN_POSTS:,} FTE")
            )
        if not (math.isfinite(self.fill_months) and 0.25 <= self.fill_months <= 36):
            problems.append((where, "months to fill the posts must be from 0.25 (a week) to 36"))
        if (early := too_early(scenario, self.start)) is not None:
            problems.append((where, early))
        if problems:
            raise LeverError(problems)

    def change(self, scenario: Scenario, establishment: float | None = None) -> dict[str, Any]:
        """The time-phased change (a ``workforce.changes`` entry) for ``scenario``; ``establishment``:
        the team's own establishment if the option changes it."""
        self.check(scenario)
        now = _establishment_at(scenario, self.team, self.start, establishment)
        return {
            "date": self.start,
            "team": self.team,
            "establishment": now + self.posts,
            "fill_months": self.fill_months,
        }


def _establishment_at(scenario: Scenario, team: str, when: dt.date, own: float | None = None) -> float:
    """The team's establishment on ``when``: its own (``own`` if given), changed by any earlier dated
    change."""
    assert scenario.workforce is not None
    value = scenario.workforce.teams[team].establishment if own is None else own
    for ch in sorted(scenario.workforce.changes, key=lambda c: c.date):
        if ch.team == team and ch.establishment is not None and ch.date <= when:
            value = ch.establishment
    return value


#: What a problem with the date of the other levers' changes is called on the page.
FROM_WHERE = "Other changes: when"
#: How a lever whose field is fixed when the run starts is described when the others are dated.
FIXED_AT_START = "for the whole period (decided when the run starts, so it cannot wait for the date)"


def takes_effect(lever: Lever, demand: DemandTiming, from_date: dt.date | None) -> str:
    """When ``lever``'s change takes effect, in words: "from 1 April 2026", "for the whole period"…"""
    if lever.field == DEMAND_FIELD:
        return demand.describe()
    if from_date is None:
        return "for the whole period"
    if start_only(lever.field) is not None:
        return FIXED_AT_START
    return f"from {from_date:%-d %B %Y}"


def check_from_date(scenario: Scenario, from_date: dt.date | None) -> None:
    """:class:`LeverError` unless ``from_date`` (the day the levers' changes take effect; None: the whole
    period) falls within ``scenario``'s run."""
    if from_date is None:
        return
    if not isinstance(from_date, dt.date) or isinstance(from_date, dt.datetime):
        raise LeverError([(FROM_WHERE, "give a date, day/month/year")])
    if (early := too_early(scenario, from_date, verb="be")) is not None:
        raise LeverError([(FROM_WHERE, early)])


def option_overrides(
    scenario: Scenario,
    values: Mapping[str, Any],
    levers: Sequence[Lever] | None = None,
    campaigns: Sequence[Campaign] = (),
    demand: DemandTiming | None = None,
    from_date: dt.date | None = None,
) -> dict[str, Any]:
    """The overrides (``{"dotted.field": value}``) for the lever values a user chose (by lever key).

    Values equal to the scenario's own are left out, so an untouched page changes nothing. Each value is
    checked against its lever's range first (:class:`LeverError` naming every lever out of range).
    ``demand``: when the change in contacts takes effect (default: the whole period); from a date it is
    a ``changes`` entry added to the scenario's own. ``from_date``: when every other lever's change takes
    effect (default: the whole period); from a date each is a ``changes`` entry setting the field's new
    value on that day. A caseload cap set below its team's soft cap lowers the soft cap with it (at the
    same moment), so that the option is not refused.
    """
    levers = levers_for(scenario) if levers is None else levers
    demand = DemandTiming() if demand is None else demand
    by_key = {lv.key: lv for lv in levers}
    unknown = sorted(set(values) - set(by_key))
    if unknown:
        raise LeverError([(k, "is not a lever of this scenario") for k in unknown])
    out: dict[str, Any] = {}
    notes: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    dated: list[dict[str, Any]] = []  # the scenario-level changes this option adds
    dated_notes: list[str] = []
    try:
        check_from_date(scenario, from_date)
    except LeverError as exc:
        problems += exc.problems
    for key, raw in values.items():
        lever = by_key[key]
        try:
            shown = lever.check(raw)
        except LeverError as exc:
            problems += exc.problems
            continue
        if math.isclose(shown, lever.shown(scenario), rel_tol=0, abs_tol=1e-9):
            continue
        note = f"set in the caseflow web app: {lever.label}, {_n(shown)} {lever.unit}"
        if lever.field == DEMAND_FIELD and not demand.whole_period:
            try:
                dated.append(demand.change(scenario, shown))
            except LeverError as exc:
                problems += exc.problems
                continue
            dated_notes.append(f"{note}, {demand.describe()}")
            continue
        out[lever.field] = lever.field_value(scenario, shown)
        notes[lever.field] = note
    _lower_soft_caps(scenario, out, notes)
    if from_date is not None and not problems:
        _date_changes(from_date, out, notes, dated, dated_notes)
    try:
        demand.check(scenario)
    except LeverError as exc:
        problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise LeverError(problems)
    if campaigns:
        if scenario.workforce is None:
            raise LeverError([("Recruitment campaign", "the scenario has no social-worker teams")])
        existing = [c.model_dump(exclude_none=True) for c in scenario.workforce.changes]
        out["workforce.changes"] = existing + [
            c.change(scenario, _establishment_before(c, out, dated)) for c in campaigns
        ]
        notes["workforce.changes"] = "set in the caseflow web app: " + "; ".join(
            c.describe() for c in campaigns
        )
    if dated:
        out["changes"] = [c.model_dump(exclude_none=True) for c in scenario.changes] + dated
        notes["changes"] = "; ".join(dated_notes)
    _cite_the_user(scenario, out, notes)
    return out


def _cite_the_user(scenario: Scenario, out: dict[str, Any], notes: Mapping[str, str]) -> None:
    """Each changed value's source is the user now, not the baseline's citation for the value it
    replaced."""
    if out and scenario.provenance is not None:
        sources = scenario.provenance.model_dump(exclude_none=True)["sources"]
        for path, note in notes.items():
            sources[path] = {"method": "assumption", "note": note}
        out["provenance.sources"] = sources


def _date_changes(
    from_date: dt.date,
    out: dict[str, Any],
    notes: dict[str, str],
    dated: list[dict[str, Any]],
    dated_notes: list[str],
) -> None:
    """Every change in ``out`` but the contacts' (dated on its own) becomes a change setting its field on
    ``from_date``; a field fixed when the run starts (posts held vacant) holds for the whole period."""
    for field in [f for f in out if f != DEMAND_FIELD]:
        if start_only(field) is not None:
            notes[field] += f", {FIXED_AT_START}"
            continue
        dated.append({"date": from_date, "field": field, "value": out.pop(field)})
        dated_notes.append(f"{notes.pop(field)}, from {from_date:%-d %B %Y}")


def _lower_soft_caps(scenario: Scenario, out: dict[str, Any], notes: dict[str, str]) -> None:
    """A caseload cap set below its team's soft cap binds: allocate up to it, not past it."""
    if scenario.workforce is None:
        return
    for team, params in scenario.workforce.teams.items():
        key = f"workforce.teams.{team}.hard_cap"
        cap = out.get(key)
        if cap is not None and cap < params.soft_cap:
            field = f"workforce.teams.{team}.soft_cap"
            del out[key]  # and put back after the soft cap, so a dated option is valid on the day both change
            out[field] = cap
            out[key] = cap
            notes[field] = notes[key] + " (the soft cap lowered with it)"


def _establishment_before(
    campaign: Campaign, out: Mapping[str, Any], dated: Sequence[Mapping[str, Any]]
) -> float | None:
    """The team's own establishment in the option as the campaign starts: the lever's value if it
    holds for the whole period or is dated on or before the campaign, else the baseline's (None).

    A dated lever change moves the establishment by its difference from the baseline's when it comes
    (a scenario-level change, :mod:`caseflow.model.workforce.changes`), so a later one adds to the
    campaign's posts rather than replacing them."""
    field = f"workforce.teams.{campaign.team}.establishment"
    if field in out:
        return float(out[field])
    for change in dated:
        if change["field"] == field and change["date"] <= campaign.start:
            return float(change["value"])
    return None


def _labelled(exc: ScenarioError, levers: Sequence[Lever]) -> LeverError:
    """A scenario's own error, told by lever label where a lever set the field."""
    by_field = {lv.field: lv.label for lv in levers if lv.field}
    problems = []
    for path, what in exc.problems:
        label = by_field.get(path)
        if label is None and path.startswith("workforce.changes"):
            label = "Recruitment campaign"
        elif label is None and path.startswith("changes"):
            # a dated change: the lever whose field the message names, else the change in contacts
            named = [lab for field, lab in by_field.items() if field in what and field != DEMAND_FIELD]
            label = named[0] if named else "Change in contacts about new concerns"
        problems.append((label or path, what))
    return LeverError(problems)


def option_scenario(
    scenario: Scenario,
    values: Mapping[str, Any],
    *,
    name: str = "Option",
    campaigns: Sequence[Campaign] = (),
    levers: Sequence[Lever] | None = None,
    demand: DemandTiming | None = None,
    from_date: dt.date | None = None,
) -> Scenario:
    """``scenario`` with the lever values applied: a validated copy named ``name``.

    Raises :class:`LeverError` (by lever label) for a value out of range or a combination the scenario
    refuses (a caseload cap below the team's soft cap is lowered with it, so that one is not refused).
    ``demand`` says when the change in contacts takes effect, ``from_date`` when every other change does
    (:func:`option_overrides`).
    """
    levers = levers_for(scenario) if levers is None else levers
    overrides = option_overrides(scenario, values, levers, campaigns, demand, from_date)
    try:
        return scenario.with_overrides(overrides, name=name)
    except ScenarioError as exc:
        raise _labelled(exc, levers) from None
