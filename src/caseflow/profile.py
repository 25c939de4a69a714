"""A scenario for any English authority, from its published figures (``caseflow profile``).

:func:`profile` reads an authority's DfE and ONS figures for the year to 31 March ``year`` (and only
what was published by then: the workforce census of the September before, the ONS mid-year estimate
DfE pairs with that year) and returns the overrides that turn the England-average baseline into that
authority, each with its source *as data* (``[provenance.sources]``):

- **published**: a figure used as is (children looked after at 31 March, turnover, ...);
- **derived**: arithmetic on published figures, the method in the note (NFA share = NFA ÷ referrals;
  mean CP plan length = CP plans at 31 March ÷ CP plans started, Little's law; ...);
- **national_default**: what no publication gives for an authority, or what this authority's return
  suppressed; listed in ``provenance.national_defaults`` and, when a figure was missing, in
  ``provenance.warnings``.

The run starts on 1 April after ``year`` from the published stock, with no warm-up year: the recent
history of families who may come back is seeded instead (``run.history_months``). Calibration
(:mod:`caseflow.calibrate`) then fits what no publication gives to the authority's own history.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.data.errors import DataError
from caseflow.model.steady_state import steady_state
from caseflow.scenario.schema import Scenario
from caseflow.scenario.sources import inherited_sources
from caseflow.scenario.writer import nest

if TYPE_CHECKING:
    from caseflow.data import Published

__all__ = ["Profile", "build_profile", "profile"]

#: Children below which an authority's yearly counts are too small to calibrate reliably.
SMALL_AUTHORITY = 10_000
#: Unaccompanied children (proxy) as a share of care starts above which a warning is given.
UASC_HEAVY = 0.2

#: Fields the profile never sets from data: they stay at the baseline's national values.
NATIONAL_DEFAULTS: tuple[str, ...] = (
    "demand.sibling_groups",
    "demand.child_age",
    "demand.sources",
    "demand.weekday",
    "front_door",
    "mash",
    "assessment.duration_wd",
    "assessment.outcome",
    "s47.strategy_discussion_wd",
    "s47.enquiry_wd",
    "cp_plan.end",
    "cin_plan.duration_months",
    "cin_plan.end",
    "early_help",
    "recontact",
    "looked_after.exit_routes",
    "looked_after.route_months",
    "looked_after.placements",
    "looked_after.leaving_at_18",
    "opening_stock.looked_after_age",
    "workforce.time",
    "workforce.hours",
    "workforce.visits",
    "workforce.weights",
    "costs",
)


@dataclass
class Profile:
    """An authority's scenario overrides, their sources, and what the builder had to fall back on."""

    authority: str
    la_code: str
    year: int
    overrides: dict[str, Any]
    sources: dict[str, dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    national_defaults: list[str] = field(default_factory=list)

    def provenance(self, built_by: str) -> dict[str, Any]:
        return {
            "authority": self.authority,
            "la_code": self.la_code,
            "profile_year": self.year,
            "built_by": built_by,
            "national_defaults": list(self.national_defaults),
            "warnings": [w if len(w) <= 500 else w[:497] + "..." for w in self.warnings],
            "sources": self.sources,
        }

    def scenario(self, base: Scenario) -> Scenario:
        """``base`` (the baseline) turned into this authority.

        Its sources are the base's for what the profile leaves alone and the profile's own for what it
        sets, exactly as when the file :func:`profile` writes is loaded (it ``extends`` the base).
        """
        overrides = dict(self.overrides)
        prov = self.provenance(_built_by())
        base_sources = base.provenance.model_dump()["sources"] if base.provenance is not None else {}
        own = nest(overrides) | {"provenance": {"sources": prov["sources"]}}
        prov["sources"] = inherited_sources(base_sources, own)
        overrides["provenance"] = prov
        return base.with_overrides(overrides, name=overrides.get("name"))

    def write(self, path: str | Path, base: str | Path | None) -> Path:
        """Write the profile as a TOML scenario that ``extends`` the file ``base``, with its own sources
        (``base`` None: no ``extends``, so the file must be a whole scenario by itself)."""
        from caseflow.scenario.writer import write_scenario

        return write_scenario(
            path, self.overrides | {"provenance": self.provenance(_built_by())}, extends=base
        )


def _built_by() -> str:
    from caseflow import __version__

    return f"caseflow profile {__version__}"


class _Builder:
    def __init__(self, data: Published, base: Scenario, la: str, year: int) -> None:
        self.data = data
        self.base = base
        self.auth = data.find(la)
        self.code = self.auth.code
        self.year = year
        self.overrides: dict[str, Any] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        self.warnings: list[str] = []

    # -- reading
    def read(self, measure: str, year: int | None = None) -> float:
        """The authority's figure, NaN (with a warning) if missing, suppressed or unreliable."""
        y = self.year if year is None else year
        v = self.data.value(measure, self.code, y)
        if not math.isfinite(v):
            flag = self.data.flag(measure, self.code, y)
            why = {"c": "suppressed", "u": "flagged unreliable", "x": "not applicable", "z": "not applicable"}
            self.warnings.append(
                f"{measure} for {y} is {why.get(flag or '', 'not published')}"
                f"{f' ({flag})' if flag else ''}: a national default is used instead"
            )
        return v

    def national(self, measure: str, year: int | None = None) -> float:
        return float(self.data.national(measure, self.year if year is None else year))

    def src(self, measure: str, year: int | None = None) -> dict[str, Any]:
        s = self.data.source(measure, self.code, self.year if year is None else year)
        out = {
            "file": s.file,
            "measure": measure,
            "column": s.column,
            "year": int(s.year),
            "la_code": self.code,
        }
        if getattr(s, "note", None):
            out["note"] = str(s.note)
        return out

    # -- writing
    def put(self, path: str, value: Any, method: str, note: str, *measures: tuple[str, int | None]) -> None:
        self.overrides[path] = value
        entry: dict[str, Any] = {"method": method, "note": note[:500]}
        if measures:
            m, y = measures[0]
            entry.update(self.src(m, y))
            entry["note"] = note[:500]
        if isinstance(value, int | float) and not isinstance(value, bool):
            entry["value"] = float(value)
        self.sources[path] = entry


def build_profile(data: Published, base: Scenario, la: str, year: int) -> Profile:
    """The overrides that make ``base`` into authority ``la`` as at 31 March ``year`` (see module doc)."""
    b = _Builder(data, base, la, year)
    code = b.code
    stocks = data.years("cla_at_31_march")
    if year not in stocks:
        first, last = (min(stocks), max(stocks)) if stocks else (None, None)
        raise DataError(
            f"the DfE figures at hand have no children looked after at 31 March {year}"
            + (f"; they run from {first} to {last}: give a year in that range" if stocks else "")
            + ", or newer files with --data"
        )
    prior = year - 1  # ONS mid-year and the workforce census published before 31 March ``year``
    b.overrides["name"] = f"{b.auth.name} {year}"
    b.overrides["description"] = (
        f"{b.auth.name} ({code}) from DfE and ONS figures to 31 March {year}; national values elsewhere"
    )

    # ---- population
    pop = b.read("population_0_17", prior)
    if not math.isfinite(pop) or pop <= 0:
        raise ValueError(f"no ONS population for {b.auth.name} ({code}) in mid-{prior}: cannot profile it")
    population = round(pop)
    b.put(
        "population",
        population,
        "published",
        f"children aged 0-17, ONS mid-{prior}",
        ("population_0_17", prior),
    )
    scale = population / base.population
    if population < SMALL_AUTHORITY:
        b.warnings.append(
            f"a very small authority ({population:,} children): yearly counts are a few dozen at most, so "
            "run at least 20 replications and read every figure with its confidence interval"
        )

    # ---- the run starts at the published stock
    b.overrides["run.start_date"] = dt.date(year, 4, 1)
    b.overrides["run.warmup_years"] = 0
    b.overrides["run.history_months"] = 24.0
    for path, note in (
        ("run.start_date", f"run setting: 1 April {year}, the day after the published figures"),
        ("run.warmup_years", "run setting: no warm-up year; the run starts from the published stock"),
        ("run.history_months", "run setting: two years of recent history seeded instead of a warm-up"),
    ):
        b.sources[path] = {"method": "assumption", "note": note}

    # ---- opening stock at 31 March
    def stock(measure: str, fallback_rate: float) -> tuple[int, str]:
        v = b.read(measure)
        if math.isfinite(v) and v >= 0:
            return round(v), "published"
        return round(fallback_rate * population), "national_default"

    nat_pop = b.national("population_0_17", prior)
    cla, m_cla = stock("cla_at_31_march", b.national("cla_at_31_march") / nat_pop)
    cp, m_cp = stock("cp_at_31_march", b.national("cp_at_31_march") / nat_pop)
    cin, m_cin = stock("cin_at_31_march", b.national("cin_at_31_march") / nat_pop)
    waiting, _ = stock("awaiting_assessment", b.national("awaiting_assessment") / nat_pop)
    base_in_assessment_rate = base.opening_stock.in_assessment / base.population
    in_assessment = max(waiting, round(base_in_assessment_rate * population))
    in_assessment = min(in_assessment, max(0, cin - cp - cla))
    if cin < cp + cla:
        b.warnings.append(f"children in need ({cin}) fewer than CP plus CLA ({cp + cla}): raised to match")
        cin = cp + cla + in_assessment
    b.put(
        "opening_stock.looked_after",
        cla,
        m_cla,
        f"children looked after at 31 March {year}",
        ("cla_at_31_march", None),
    )
    b.put(
        "opening_stock.child_protection", cp, m_cp, f"CP plans at 31 March {year}", ("cp_at_31_march", None)
    )
    b.put(
        "opening_stock.children_in_need",
        cin,
        m_cin,
        f"CIN at 31 March {year} (DfE: includes CP and CLA)",
        ("cin_at_31_march", None),
    )
    b.put(
        "opening_stock.in_assessment",
        in_assessment,
        "derived",
        "children awaiting or in assessment: the larger of those published as awaiting assessment and the "
        "national share of children in assessment, capped by CIN less CP and CLA",
        ("awaiting_assessment", None),
    )
    bands = {
        "months_0_3": "cp_at_31_march_0_3m",
        "months_3_6": "cp_at_31_march_3_6m",
        "months_6_12": "cp_at_31_march_6_12m",
        "months_12_24": "cp_at_31_march_1_2y",
        "months_24_plus": "cp_at_31_march_2y_plus",
    }
    counts = {k: b.data.value(m, code, year) for k, m in bands.items()}
    gaps = [k for k, v in counts.items() if not math.isfinite(v)]
    known = sum(v for v in counts.values() if math.isfinite(v))
    if gaps and math.isfinite(cp) and len(gaps) < len(counts):  # suppressed bands are small: share the rest
        for k in gaps:
            counts[k] = max(0.0, cp - known) / len(gaps)
        b.warnings.append(
            f"CP plans by time on plan: {', '.join(gaps)} suppressed in {year}; given the rest of the total"
        )
    if all(math.isfinite(v) for v in counts.values()) and sum(counts.values()) > 0:
        total = sum(counts.values())
        mix = {k: v / total for k, v in counts.items()}
        b.put(
            "opening_stock.child_protection_time_on_plan",
            mix,
            "derived",
            f"CP plans at 31 March {year} by time on plan, as shares",
            ("cp_at_31_march_0_3m", None),
        )
    else:
        b.warnings.append(
            f"CP plans by time on plan not published for {year}: elapsed times from plan lengths"
        )

    # ---- flows
    referrals = b.read("referrals")
    nfa = b.read("referral_nfa")
    if math.isfinite(referrals) and math.isfinite(nfa) and referrals > 0:
        b.put(
            "referral.no_further_action",
            nfa / referrals,
            "derived",
            "referrals closed NFA ÷ referrals",
            ("referral_nfa", None),
        )
    icpc = b.read("icpc")
    cp_started = b.read("cp_started")
    if math.isfinite(icpc) and math.isfinite(cp_started) and icpc > 0 and 0 < cp_started <= icpc:
        p = cp_started / icpc
        b.put(
            "icpc.outcome",
            {"cp_plan": p, "cin_plan": 1 - p},
            "derived",
            "CP plans started ÷ ICPCs",
            ("cp_started", None),
        )
    s47 = b.read("s47")
    nat_s47_icpc = b.national("icpc") / b.national("s47")
    if math.isfinite(s47) and math.isfinite(icpc) and s47 > 0:
        ratio = (icpc / s47) / nat_s47_icpc
        so = base.s47.outcome
        p = min(0.95, so.icpc * ratio)
        rest = so.no_further_action + so.cin_plan
        b.put(
            "s47.outcome",
            {
                "icpc": p,
                "no_further_action": so.no_further_action * (1 - p) / rest,
                "cin_plan": so.cin_plan * (1 - p) / rest,
            },
            "derived",
            "the baseline's s47 → ICPC share × (this authority's ICPCs per s47 ÷ England's)",
            ("icpc", None),
        )
    second = b.read("cp_second_or_subsequent")
    if math.isfinite(second) and math.isfinite(cp_started) and cp_started > 0:
        nat_second = b.national("cp_second_or_subsequent") / b.national("cp_started")
        prior_cp = min(0.9, base.demand.prior_cp_plan * (second / cp_started) / nat_second)
        b.put(
            "demand.prior_cp_plan",
            prior_cp,
            "derived",
            "the baseline's share × (this authority's second or later CP plans ÷ England's)",
            ("cp_second_or_subsequent", None),
        )
    if math.isfinite(cp) and math.isfinite(cp_started) and cp_started > 0 and cp > 0:
        mean_months = 12.0 * cp / cp_started
        edges = base.cp_plan.duration_months.edges
        factor = mean_months / base.cp_plan.duration_months.mean()
        b.put(
            "cp_plan.duration_months",
            {"edges": [e * factor for e in edges], "probs": list(base.cp_plan.duration_months.probs)},
            "derived",
            f"national shape stretched to a mean of {mean_months:.1f} months = CP plans at 31 March "
            "÷ started (Little's law)",
            ("cp_started", None),
        )
    bands4 = [
        b.data.value(m, code, year) for m in ("icpc_0_10wd", "icpc_11_15wd", "icpc_16_20wd", "icpc_21plus_wd")
    ]
    if all(math.isfinite(v) for v in bands4) and sum(bands4) > 0:
        total = sum(bands4)
        b.put(
            "s47.to_icpc_wd",
            {"edges": [0.0, 11.0, 16.0, 21.0, 41.0], "probs": [v / total for v in bands4]},
            "derived",
            "strategy discussion to ICPC by DfE's bands 0-10, 11-15, 16-20, 21+ working days (21-40 assumed)",
            ("icpc_0_10wd", None),
        )
    uasc = b.data.value("uasc_at_assessment", code, year)
    if math.isfinite(uasc) and uasc >= 0:
        b.put(
            "looked_after.uasc_per_year",
            float(uasc),
            "derived",
            "assessments ending with 'unaccompanied asylum-seeking child' as a factor: the only "
            "per-authority count of unaccompanied children in these files, a proxy for their care starts",
            ("uasc_at_assessment", None),
        )
        starts = b.data.value("cla_started", code, year)
        fair_share = b.national("uasc_at_assessment") / nat_pop * population
        if math.isfinite(starts) and starts > 0 and uasc / starts > UASC_HEAVY and uasc > fair_share:
            transferred = min(0.95, 1.0 - fair_share / uasc)
            b.put(
                "looked_after.uasc_transferred_out",
                transferred,
                "derived",
                "share of arriving unaccompanied children above England's rate per child, taken as "
                "transferred on under the National Transfer Scheme",
                ("uasc_at_assessment", None),
            )
            b.warnings.append(
                f"unaccompanied children are about {100 * uasc / starts:.0f}% of care starts: "
                f"{100 * transferred:.0f}% of them are assumed transferred on under the National Transfer "
                "Scheme (looked_after.uasc_transferred_out); replace it with the local figure if known"
            )
    else:
        b.put(
            "looked_after.uasc_per_year",
            base.looked_after.uasc_per_year * scale,
            "national_default",
            "England rate × population",
        )

    # contacts: the twin's referrals per new-concern contact, applied to this authority's referrals
    if math.isfinite(referrals) and referrals > 0:
        draft = base.with_overrides(
            {k: v for k, v in b.overrides.items() if k not in ("name", "description")}
        )
        per_contact = steady_state(draft).flows["referrals"] / draft.demand.contacts_per_year
        b.put(
            "demand.contacts_per_year",
            referrals / per_contact,
            "derived",
            f"referrals in {year} ÷ referrals per new-concern contact in the model's steady state",
            ("referrals", None),
        )
    else:
        b.put(
            "demand.contacts_per_year",
            base.demand.contacts_per_year * scale,
            "national_default",
            "England rate × population",
        )
    b.put(
        "early_help.key_workers",
        base.early_help.key_workers * scale,
        "national_default",
        "the baseline's key workers per child × population",
    )

    # ---- workforce (census at 30 September before 31 March ``year``)
    if base.workforce is not None:
        holders = b.read("sw_case_holders_fte", prior)
        nat_ratio = b.national("sw_case_holders_fte", prior) / nat_pop
        staffing = (holders / population) / nat_ratio if math.isfinite(holders) and holders > 0 else 1.0
        for team, params in base.workforce.teams.items():
            factor = scale * (staffing if params.case_holding else 1.0)
            method = "derived" if params.case_holding and math.isfinite(holders) else "national_default"
            b.put(
                f"workforce.teams.{team}.establishment",
                round(params.establishment * factor, 1),
                method,
                "the baseline's establishment × population ratio"
                + (
                    f" × case-holding FTE per child relative to England ({staffing:.2f})"
                    if params.case_holding
                    else ""
                ),
                *((("sw_case_holders_fte", prior),) if params.case_holding else ()),
            )
        for path, measure, lo, hi in (
            ("workforce.dynamics.turnover_rate", "sw_turnover_pct", 0.0, 0.9),
            ("workforce.dynamics.opening_vacancy_rate", "sw_vacancy_pct", 0.0, 0.9),
            ("workforce.dynamics.agency_backfill", "sw_vacancy_agency_cover_pct", 0.0, 1.0),
            ("workforce.dynamics.sickness_rate", "sw_absence_pct", 0.0, 0.3),
        ):
            v = b.read(measure, prior)
            if math.isfinite(v):
                b.put(
                    path,
                    min(hi, max(lo, v / 100.0)),
                    "published",
                    f"{measure} at 30 September {prior} ÷ 100",
                    (measure, prior),
                )

    unreliable = b.data.unreliable(code, year)
    if unreliable:
        b.warnings.append(
            f"DfE flags this authority's {year} return as low reliability (u) for: "
            + ", ".join(sorted(unreliable))
        )
    defaults = [f for f in NATIONAL_DEFAULTS if f not in b.overrides]
    return Profile(
        authority=b.auth.name,
        la_code=code,
        year=year,
        overrides=b.overrides,
        sources=b.sources,
        warnings=b.warnings,
        national_defaults=defaults,
    )


def profile(
    authority: str,
    year: int,
    *,
    base: str | Path | Scenario | None = None,
    data: str | Path | Published | None = None,
    out: str | Path | None = None,
) -> Scenario:
    """A validated scenario for ``authority`` (name or LA code) as at 31 March ``year``.

    ``base``: the England-average scenario it extends (default: the one shipped with caseflow);
    ``data``: a folder of newer DfE files, or a loaded :class:`caseflow.data.Published` (default: the
    snapshot shipped with caseflow); ``out``: also write it as a TOML file that ``extends`` the base,
    with every source as data.
    """
    from caseflow import data as data_mod
    from caseflow.scenario.loader import load_scenario

    published = data if isinstance(data, data_mod.Published) else data_mod.load(data)
    from caseflow.scenario.bundled import bundled

    base = bundled() if base is None else base
    base_scenario = base if isinstance(base, Scenario) else load_scenario(base)
    prof = build_profile(published, base_scenario, authority, year)
    scenario = prof.scenario(base_scenario)
    if out is not None:
        prof.write(out, base_scenario.source if isinstance(base, Scenario) else base)
    return scenario
