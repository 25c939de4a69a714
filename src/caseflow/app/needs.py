"""What is needed? The least (or most) of one lever that meets one or more targets, from the page.

A :class:`TargetRequest` is a job (:mod:`caseflow.app.jobs`) that runs :func:`caseflow.find_target` on
the user's option. What is searched is one of :data:`SEARCHES`: a team's funded posts, money a year for
a team's permanent social workers, the share of vacancies agency workers cover (each the smallest that
meets the targets), or the share of a team's posts that can be held vacant (the largest). Levels are
tried on common random numbers, with more replications where a level is too close to call, until the
answer is confirmed with the stated confidence. Several targets are met together (``find_target`` shares
the confidence among them, Bonferroni). :func:`answer_text` says the answer in a sentence;
:func:`level_rows` lists every level tried.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from caseflow.app import formatting
from caseflow.app.levers import team_words
from caseflow.experiment.levels import BudgetLever
from caseflow.experiment.rootfind import Target
from caseflow.experiment.target import TargetResult, find_target
from caseflow.metrics.catalogue import describe
from caseflow.scenario.schema import Scenario

__all__ = [
    "SEARCHES",
    "TARGET_KPIS",
    "LevelRow",
    "Searched",
    "TargetRequest",
    "answer_text",
    "level_rows",
]

#: The measures a target can be set on, with whether the target is a floor (at least) or a ceiling.
TARGET_KPIS: dict[str, bool] = {
    "assessment_within_45wd_pct": True,
    "contact_decision_within_1wd_pct": True,
    "icpc_within_15wd_pct": True,
    "cp_visits_on_time_pct": True,
    "caseload_mean": False,
}


def _posts(x: float) -> str:
    return f"{x:,.0f} FTE" if float(x).is_integer() else f"{x:,.1f} FTE"


def _pct(x: float) -> str:
    return f"{100 * x:,.0f}%" if math.isclose(100 * x, round(100 * x), abs_tol=1e-9) else f"{100 * x:,.1f}%"


def _pounds(x: float) -> str:
    return f"£{x:,.0f} a year"


@dataclass(frozen=True)
class Searched:
    """What a search varies: the lever :func:`caseflow.find_target` moves, in words."""

    key: str
    #: what the page's choice says
    label: str
    #: the lever's name for ``find_target``; ``{team}`` stands for the team's key
    lever: str
    want: Literal["smallest", "largest"]
    #: the question's subject: "smallest {noun}"; ``{team}`` stands for the team in words
    noun: str
    #: the column heading of the levels tried
    heading: str
    #: a level as the page writes it
    shown: Callable[[float], str]
    #: the range searched (None: find_target's own, half to twice the value as it stands)
    between: tuple[float, float] | None = None

    @property
    def per_team(self) -> bool:
        return "{team}" in self.lever

    def lever_for(self, team: str) -> str:
        return self.lever.format(team=team)

    def subject(self, team: str) -> str:
        return self.noun.format(team=f"the {team_words(team).lower()} team")


#: What a search may vary, by key.
SEARCHES: dict[str, Searched] = {
    s.key: s
    for s in (
        Searched(
            "establishment",
            "A team's funded posts (the fewest)",
            "workforce.teams.{team}.establishment",
            "smallest",
            "number of funded posts in {team}",
            "Funded posts",
            _posts,
        ),
        Searched(
            "budget",
            "Money a year more for a team's permanent social workers (the least)",
            "budget:{team}",
            "smallest",
            "money a year more for permanent social workers in {team}",
            "Money a year more",
            _pounds,
        ),
        Searched(
            "agency_backfill",
            "Vacancies covered by agency social workers (the smallest share)",
            "workforce.dynamics.agency_backfill",
            "smallest",
            "share of vacancies covered by agency social workers",
            "Vacancies covered by agency",
            _pct,
            (0.0, 1.0),
        ),
        Searched(
            "held_vacant",
            "A team's posts held vacant (the largest share)",
            "workforce.teams.{team}.held_vacant",
            "largest",
            "share of posts in {team} that can be held vacant",
            "Posts held vacant",
            _pct,
            (0.0, 0.9),
        ),
    )
}

#: The most targets one search may have (each measure at most once).
MAX_TARGETS = len(TARGET_KPIS)


@dataclass(frozen=True)
class TargetRequest:
    """What is needed in ``scenario`` to keep ``kpi`` at or above (or, for a ceiling, at or below)
    ``threshold``, and each of ``also`` (``(kpi, threshold)`` pairs) likewise, with one-sided
    ``confidence`` for them all: the least (or most) of :data:`SEARCHES` ``[search]``, in ``team`` where
    it is a team's."""

    scenario: Scenario
    team: str
    kpi: str
    threshold: float
    confidence: float = 0.9
    years: int = 3
    seed: int = 0
    initial_replications: int = 5
    max_replications: int = 20
    search: str = "establishment"
    also: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.search not in SEARCHES:
            raise ValueError(
                f"what to search must be one of {', '.join(SEARCHES)}; {self.search!r} is not one"
            )
        kpis = [kpi for kpi, _ in self.goals]
        for kpi in kpis:
            if kpi not in TARGET_KPIS:
                raise ValueError(f"{kpi!r} is not a measure a target can be set on")
        if len(set(kpis)) != len(kpis):
            raise ValueError("each measure may have one target only")
        for kpi, threshold in self.goals:
            if (
                isinstance(threshold, bool)
                or not isinstance(threshold, int | float)
                or not math.isfinite(threshold)
            ):
                raise ValueError(f"the target for {describe(kpi).label.lower()} must be a number")
        workforce = self.scenario.workforce
        if workforce is None or not workforce.enabled:
            raise ValueError("the scenario has no social-worker teams to search")
        if self.searched.per_team and self.team not in workforce.teams:
            raise ValueError(f"the scenario has no team {self.team!r}")
        if not 0.5 <= self.confidence < 1:
            raise ValueError("confidence must be from 0.5 to below 1")

    @property
    def searched(self) -> Searched:
        return SEARCHES[self.search]

    @property
    def goals(self) -> tuple[tuple[str, float], ...]:
        """Every target: ``(kpi, threshold)``, the first one first."""
        return ((self.kpi, self.threshold), *self.also)

    @property
    def at_least(self) -> bool:
        return TARGET_KPIS[self.kpi]

    @property
    def lever(self) -> str:
        return self.searched.lever_for(self.team)

    @property
    def targets(self) -> list[Target]:
        return [
            Target(kpi, at_least=threshold) if TARGET_KPIS[kpi] else Target(kpi, at_most=threshold)
            for kpi, threshold in self.goals
        ]

    @property
    def target(self) -> Target:
        """The first target."""
        return self.targets[0]

    def key(self) -> str:
        text = "|".join(
            str(x)
            for x in (
                "target",
                self.scenario.hash(),
                self.search,
                self.team if self.searched.per_team else "",
                self.goals,
                self.confidence,
                self.years,
                self.seed,
                self.initial_replications,
                self.max_replications,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def total(self) -> int:
        return 0  # a search runs levels until the answer is clear: not known in advance

    def stored(self, store: Path | None) -> int:
        return 0

    def execute(self, executor: Any, store: Path | None) -> TargetResult:
        return find_target(
            self.scenario,
            self.lever,
            self.targets,
            confidence=self.confidence,
            between=self.searched.between,
            want=self.searched.want,
            years=self.years,
            seed=self.seed,
            initial_replications=self.initial_replications,
            max_replications=self.max_replications,
            executor=executor,
            store=store,
        )

    def shown(self, level: float) -> str:
        """A level of what is searched, as the page writes it."""
        return self.searched.shown(level)

    def conditions(self) -> str:
        """The targets in words: “assessments …” at 90.0% or more and “…” at 18 or fewer."""
        parts = []
        for kpi_name, threshold in self.goals:
            kpi = describe(kpi_name)
            sense = "or more" if TARGET_KPIS[kpi_name] else "or fewer"
            parts.append(f"“{kpi.label.lower()}” at {formatting.value(kpi, threshold)} {sense}")
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    def question(self) -> str:
        """The question in words."""
        searched = self.searched
        subject = searched.subject(self.team)
        if searched.want == "largest":
            return (
                f"What is the largest {subject} while keeping {self.conditions()}, with "
                f"{self.confidence:.0%} confidence?"
            )
        return (
            f"What is the smallest {subject} that keeps {self.conditions()}, with "
            f"{self.confidence:.0%} confidence?"
        )

    def use(self, value: float) -> tuple[str, float]:
        """The option's scenario field the answer ``value`` goes into, and its value there (money a year
        becomes the team's funded posts at the scenario's pay rates)."""
        if self.search == "budget":
            assert self.scenario.workforce is not None
            now = self.scenario.workforce.teams[self.team].establishment
            field = f"workforce.teams.{self.team}.establishment"
            return field, now + BudgetLever(self.team).fte(self.scenario, value)
        return self.lever, value


def _today(request: TargetRequest, start: float) -> str:
    """What the option has now of what is searched."""
    team = f"the {team_words(request.team).lower()} team"
    if request.search == "establishment":
        return f"Today {team} has {_posts(start)} funded."
    if request.search == "budget":
        assert request.scenario.workforce is not None
        funded = request.scenario.workforce.teams[request.team].establishment
        return f"This is on top of the {_posts(funded)} {team} has funded today."
    if request.search == "agency_backfill":
        return f"Today agency social workers cover {_pct(start)} of vacancies."
    return f"Today {_pct(start)} of the posts in {team} are held vacant."


def answer_text(request: TargetRequest, result: TargetResult) -> str:
    """The answer in a sentence or two."""
    shown, subject = request.shown, request.searched.subject(request.team)
    now = _today(request, result.start)
    largest = request.searched.want == "largest"
    many = len(request.goals) > 1
    target, are, it = ("targets", "are", "them") if many else ("target", "is", "it")
    if result.status == "found" and result.value is not None:
        interval = result.interval
        where = (
            f" (the {target} {are} crossed between {shown(interval[0])} and {shown(interval[1])})"
            if interval is not None and interval[0] != interval[1]
            else ""
        )
        word = "largest" if largest else "smallest"
        return f"The {word} {subject} that meets the {target} is {shown(result.value)}{where}. {now}"
    if result.status == "met_throughout" and result.value is not None:
        end = "highest" if largest else "lowest"
        return (
            f"The {target} {are} met even at {shown(result.value)}, the {end} level tried: there is room "
            f"to spare. {now}"
        )
    if result.status == "not_met" and largest:
        return (
            f"The {target} {are} not met even at {shown(result.search.low)}, the lowest level tried: "
            f"no posts can be held vacant, and the team needs more than it has. {now}"
        )
    if result.status == "not_met":
        return (
            f"The {target} {are} not met even at {shown(result.search.high)}, the highest level tried: "
            f"more of this alone does not meet {it}. {now}"
        )
    return (
        f"No answer could be confirmed with {request.confidence:.0%} confidence within "
        f"{request.max_replications} replications a level: the {target} {are} too close to what can be "
        f"done to call. Try a lower confidence or more replications. {now}"
    )


@dataclass(frozen=True)
class LevelRow:
    """A level tried: the level, replications run, the verdict and each target's measure (its mean)."""

    level: str
    replications: int
    verdict: str
    means: tuple[str, ...]


_VERDICTS = {
    "meets": "meets the targets",
    "fails": "does not meet them",
    "undecided": "too close to call",
}
_VERDICT = {"meets": "meets the target", "fails": "does not meet it", "undecided": "too close to call"}


def level_rows(request: TargetRequest, result: TargetResult) -> list[LevelRow]:
    """Every level tried, in order: replications run, the verdict and each targeted measure's mean."""
    verdicts = _VERDICTS if len(request.goals) > 1 else _VERDICT
    rows = []
    for d in result.levels().to_dict(orient="records"):
        means = tuple(
            formatting.value(describe(kpi), float(d.get(kpi, math.nan))) for kpi, _ in request.goals
        )
        rows.append(
            LevelRow(
                level=request.shown(float(d["level"])),
                replications=int(d["replications"]),
                verdict=verdicts.get(str(d["verdict"]), str(d["verdict"])),
                means=means,
            )
        )
    return rows
