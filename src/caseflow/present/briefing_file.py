"""A committee briefing *file*: what it asks and which scenarios it compares, read and checked.

The file's format is described in :mod:`caseflow.present.briefing`, which turns a briefing and its
comparison into the document. Reading one needs neither matplotlib nor the experiment layer, so that
``caseflow validate`` answers in well under a second; only checking the KPIs it names loads the KPI
catalogue.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseflow.scenario.loader import ScenarioError, load_scenario
from caseflow.scenario.schema import Scenario

__all__ = ["BRIEFING_KPIS", "Briefing", "is_briefing", "load_briefing"]

#: The measures a briefing shows unless it names its own: timeliness, caseloads, unallocated work,
#: the workforce, children at 31 March and cost.
BRIEFING_KPIS = (
    "contact_decision_within_1wd_pct",
    "assessment_within_45wd_pct",
    "icpc_within_15wd_pct",
    "cp_visits_on_time_pct",
    "caseload_mean",
    "unallocated_cases_mean",
    "sw_vacancy_pct",
    "sw_agency_pct",
    "cp_per_10k_end",
    "cla_per_10k_end",
    "cost_staff_agency",
    "cost_total",
)

_TOP_KEYS = {"title", "question", "context", "years", "replications", "seed", "kpis", "options"}


@dataclass(frozen=True)
class Briefing:
    """What a committee briefing asks and compares (see the module)."""

    title: str
    question: str
    options: dict[str, Scenario]
    context: str = ""
    years: int | None = None
    replications: int = 10
    seed: int = 0
    kpis: tuple[str, ...] = BRIEFING_KPIS
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def baseline(self) -> str:
        return next(iter(self.options))


def _problem(path: Path, where: str, what: str) -> ScenarioError:
    return ScenarioError(str(path), [(where, what)])


def _options(p: Path, options: Any) -> dict[str, Scenario]:
    if not isinstance(options, list) or len(options) < 2:
        raise _problem(
            p, "options", "needs at least two [[options]] tables (the first is the comparison point)"
        )
    named: dict[str, Scenario] = {}
    for i, opt in enumerate(options):
        if not isinstance(opt, dict) or set(opt) != {"name", "scenario"}:
            raise _problem(p, f"options[{i}]", "needs exactly name (text) and scenario (a file path)")
        name, scen = opt["name"], opt["scenario"]
        if not isinstance(name, str) or not name.strip() or not isinstance(scen, str):
            raise _problem(p, f"options[{i}]", "name must be a non-empty text and scenario a file path")
        if name in named:
            raise _problem(p, f"options[{i}].name", f"{name!r} is used twice; each option needs its own name")
        named[name] = load_scenario(p.parent / scen)
    return named


def _kpis(p: Path, kpis: Any) -> tuple[str, ...]:
    if not isinstance(kpis, list) or not kpis or not all(isinstance(k, str) for k in kpis):
        raise _problem(p, "kpis", "must be a list of KPI names")
    from caseflow.metrics.catalogue import describe  # the catalogue loads the metrics layer

    for k in kpis:
        try:
            describe(k)
        except KeyError:
            raise _problem(p, "kpis", f"{k!r} is not a KPI (caseflow compare --all lists them)") from None
    return tuple(kpis)


def is_briefing(path: str | Path) -> bool:
    """Does the TOML file at ``path`` look like a briefing (``[[options]]`` and a ``title``) rather than a
    scenario? (False if it cannot be read: the loader that follows says why.)"""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("options"), list) and "title" in data


def load_briefing(path: str | Path) -> Briefing:
    """Read and check a briefing file; ``ScenarioError`` naming the file, the field and what is allowed."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _problem(p, "(file)", f"cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _problem(p, "(file)", f"is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _problem(p, unknown[0], f"is not a briefing field; allowed: {', '.join(sorted(_TOP_KEYS))}")
    for key in ("title", "question"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _problem(p, key, "is required: a non-empty text")
    named = _options(p, data.get("options"))
    years, reps, seed = data.get("years"), data.get("replications", 10), data.get("seed", 0)
    for key, value, lowest in (("years", years, 1), ("replications", reps, 2), ("seed", seed, 0)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < lowest):
            raise _problem(p, key, f"must be a whole number of at least {lowest}")
    kpis = _kpis(p, data.get("kpis", list(BRIEFING_KPIS)))
    context = data.get("context", "")
    if not isinstance(context, str):
        raise _problem(p, "context", "must be a text")
    return Briefing(
        title=data["title"].strip(),
        question=data["question"].strip(),
        options=named,
        context=context.strip(),
        years=years,
        replications=reps,
        seed=seed,
        kpis=kpis,
        source=str(p),
    )
