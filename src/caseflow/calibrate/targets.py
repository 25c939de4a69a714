"""What a calibration fits, and what a backtest scores: published figures by financial year.

Each *fit measure* is one published figure per year to 31 March (flows over the year, stocks at its
end) with the KPI that the model reports for it. The same names are used by the levers
(:mod:`caseflow.calibrate.levers`), the fit table and the backtest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caseflow.data import Published

__all__ = ["MEASURES", "FitMeasure", "Targets", "targets_from_data"]


@dataclass(frozen=True)
class FitMeasure:
    name: str
    kpi: str  # the model's KPI for it
    label: str
    stock: bool = False  # a level at 31 March (else a flow over the year, or a percentage)
    pct: bool = False


MEASURES: tuple[FitMeasure, ...] = (
    FitMeasure("referrals", "referrals", "Referrals"),
    FitMeasure("re_referral_pct", "re_referrals_12m_pct", "Re-referrals within 12 months (%)", pct=True),
    FitMeasure("assessed_not_in_need", "assessed_not_in_need", "Assessed as not in need"),
    FitMeasure("s47", "s47_enquiries", "Section 47 enquiries"),
    FitMeasure("icpc", "icpcs", "Initial child protection conferences"),
    FitMeasure("icpc_within_15wd_pct", "icpc_within_15wd_pct", "ICPCs within 15 working days (%)", pct=True),
    FitMeasure("cp_started", "cp_plans_started", "CP plans started"),
    FitMeasure("cp_second_pct", "cp_second_or_subsequent_pct", "Second or later CP plans (%)", pct=True),
    FitMeasure("cp_at_31_march", "cp_plans_open_end", "CP plans at 31 March", stock=True),
    FitMeasure("cin_at_31_march", "cin_open_end", "Children in need at 31 March", stock=True),
    FitMeasure("cla_started", "cla_starts", "Children starting to be looked after"),
    FitMeasure("cla_ceased", "cla_ceased", "Children ceasing to be looked after"),
    FitMeasure("cla_at_31_march", "cla_open_end", "Children looked after at 31 March", stock=True),
    FitMeasure("caseload", "caseload_mean", "Children per case-holding social worker (FTE)", stock=True),
)

BY_NAME: dict[str, FitMeasure] = {m.name: m for m in MEASURES}


@dataclass(frozen=True)
class Targets:
    """Published figures for one authority: ``values[measure][year]`` (year to 31 March; NaN if missing)."""

    authority: str
    la_code: str
    values: Mapping[str, Mapping[int, float]]
    notes: tuple[str, ...] = field(default=())

    def get(self, measure: str, year: int) -> float:
        return float(self.values.get(measure, {}).get(year, math.nan))

    def available(self, measure: str, years: tuple[int, ...]) -> bool:
        return all(math.isfinite(self.get(measure, y)) and self.get(measure, y) > 0 for y in years)


def _ratio_pct(num: float, den: float) -> float:
    return 100.0 * num / den if den and math.isfinite(num) and math.isfinite(den) else math.nan


def targets_from_data(data: Published, la: str, years: range | tuple[int, ...]) -> Targets:
    """The fit measures of authority ``la`` (name or code) for ``years`` (years to 31 March)."""
    auth = data.find(la)
    code = auth.code
    values: dict[str, dict[int, float]] = {m.name: {} for m in MEASURES}
    direct = {
        "referrals": "referrals",
        "re_referral_pct": "re_referral_pct",
        "assessed_not_in_need": "assessed_not_in_need",
        "s47": "s47",
        "icpc": "icpc",
        "cp_started": "cp_started",
        "cp_at_31_march": "cp_at_31_march",
        "cin_at_31_march": "cin_at_31_march",
        "cla_started": "cla_started",
        "cla_ceased": "cla_ceased",
        "cla_at_31_march": "cla_at_31_march",
    }
    notes: list[str] = []
    for y in years:
        for name, measure in direct.items():
            values[name][y] = data.value(measure, code, y)
        values["cp_second_pct"][y] = _ratio_pct(
            data.value("cp_second_or_subsequent", code, y), data.value("cp_started", code, y)
        )
        bands = [
            data.value(m, code, y) for m in ("icpc_0_10wd", "icpc_11_15wd", "icpc_16_20wd", "icpc_21plus_wd")
        ]
        values["icpc_within_15wd_pct"][y] = _ratio_pct(bands[0] + bands[1], sum(bands))
        # the workforce census at 30 September falls in the year to 31 March after it
        values["caseload"][y] = data.value("sw_caseload", code, y - 1)
        flagged = data.unreliable(code, y)
        if flagged:
            notes.append(f"{y}: recording flagged as low reliability (u) for {', '.join(sorted(flagged))}")
    return Targets(authority=auth.name, la_code=code, values=values, notes=tuple(notes))
