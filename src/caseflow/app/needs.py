"""What is needed? The smallest number of funded posts in a team that meets a target, from the page.

A :class:`TargetRequest` is a job (:mod:`caseflow.app.jobs`) that runs :func:`caseflow.find_target` on
the user's option with the team's establishment as the lever: levels of funded posts are tried on
common random numbers, with more replications where a level is too close to call, until the smallest
that meets the target with the stated confidence is found. :func:`answer_text` says the answer in a
sentence; :func:`level_rows` lists every level tried.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseflow.app import formatting
from caseflow.app.levers import team_words
from caseflow.experiment.rootfind import Target
from caseflow.experiment.target import TargetResult, find_target
from caseflow.metrics.catalogue import describe
from caseflow.scenario.schema import Scenario

__all__ = ["TARGET_KPIS", "LevelRow", "TargetRequest", "answer_text", "level_rows"]

#: The measures a target can be set on, with whether the target is a floor (at least) or a ceiling.
TARGET_KPIS: dict[str, bool] = {
    "assessment_within_45wd_pct": True,
    "contact_decision_within_1wd_pct": True,
    "icpc_within_15wd_pct": True,
    "cp_visits_on_time_pct": True,
    "caseload_mean": False,
}


@dataclass(frozen=True)
class TargetRequest:
    """The smallest funded posts in ``team`` that keep ``kpi`` at or above (or, for a ceiling, at or
    below) ``threshold`` with one-sided ``confidence``, in ``scenario``."""

    scenario: Scenario
    team: str
    kpi: str
    threshold: float
    confidence: float = 0.9
    years: int = 3
    seed: int = 0
    initial_replications: int = 5
    max_replications: int = 20

    def __post_init__(self) -> None:
        if self.kpi not in TARGET_KPIS:
            raise ValueError(f"{self.kpi!r} is not a measure a target can be set on")
        if self.scenario.workforce is None or self.team not in self.scenario.workforce.teams:
            raise ValueError(f"the scenario has no team {self.team!r}")
        if not 0.5 <= self.confidence < 1:
            raise ValueError("confidence must be from 0.5 to below 1")

    @property
    def at_least(self) -> bool:
        return TARGET_KPIS[self.kpi]

    @property
    def lever(self) -> str:
        return f"workforce.teams.{self.team}.establishment"

    @property
    def target(self) -> Target:
        if self.at_least:
            return Target(self.kpi, at_least=self.threshold)
        return Target(self.kpi, at_most=self.threshold)

    def key(self) -> str:
        text = "|".join(
            str(x)
            for x in (
                "target",
                self.scenario.hash(),
                self.team,
                self.kpi,
                self.threshold,
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
            [self.target],
            confidence=self.confidence,
            years=self.years,
            seed=self.seed,
            initial_replications=self.initial_replications,
            max_replications=self.max_replications,
            executor=executor,
            store=store,
        )

    def question(self) -> str:
        """The question in words."""
        kpi = describe(self.kpi)
        bound = formatting.value(kpi, self.threshold)
        sense = "or more" if self.at_least else "or fewer"
        return (
            f"What is the smallest number of funded posts in the {team_words(self.team).lower()} team that "
            f"keeps “{kpi.label.lower()}” at {bound} {sense}, with {self.confidence:.0%} confidence?"
        )


def _posts(x: float) -> str:
    return f"{x:,.0f} FTE" if float(x).is_integer() else f"{x:,.1f} FTE"


def answer_text(request: TargetRequest, result: TargetResult) -> str:
    """The answer in a sentence or two."""
    team = f"the {team_words(request.team).lower()} team"
    now = f"Today {team} has {_posts(result.start)} funded."
    if result.status == "found" and result.value is not None:
        interval = result.interval
        where = (
            f" (the measure crosses the target between {_posts(interval[0])} and {_posts(interval[1])})"
            if interval is not None and interval[0] != interval[1]
            else ""
        )
        return (
            f"The smallest number of funded posts in {team} that meets the target is "
            f"{_posts(result.value)}{where}. {now}"
        )
    if result.status == "met_throughout" and result.value is not None:
        return (
            f"The target is met even at {_posts(result.value)}, the lowest level tried: {team} meets it with "
            f"room to spare. {now}"
        )
    if result.status == "not_met":
        return (
            f"The target is not met even at {_posts(result.search.high)}, the highest level tried: more "
            f"posts in {team} alone do not meet it. {now}"
        )
    return (
        f"No answer could be confirmed with {request.confidence:.0%} confidence within "
        f"{request.max_replications} replications a level: the target is too close to what the team can do "
        f"to call. Try a lower confidence or more replications. {now}"
    )


@dataclass(frozen=True)
class LevelRow:
    posts: str
    replications: int
    verdict: str
    mean: str


_VERDICTS = {"meets": "meets the target", "fails": "does not meet it", "undecided": "too close to call"}


def level_rows(request: TargetRequest, result: TargetResult) -> list[LevelRow]:
    """Every level tried, in order of posts: replications run, the verdict and the measure's mean."""
    kpi = describe(request.kpi)
    rows = []
    for d in result.levels().to_dict(orient="records"):
        mean = float(d.get(request.kpi, math.nan))
        rows.append(
            LevelRow(
                posts=_posts(float(d["level"])),
                replications=int(d["replications"]),
                verdict=_VERDICTS.get(str(d["verdict"]), str(d["verdict"])),
                mean=formatting.value(kpi, mean),
            )
        )
    return rows
