"""The baselines a user starts from: the England-average authority, or any English authority built from
its published figures (what ``caseflow profile`` does), loaded once and kept.

:class:`Baselines` is shared by every browser session: it holds only what the published data and the
England-average scenario give, never anything a user uploaded or changed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from caseflow.scenario.loader import load_scenario
from caseflow.scenario.schema import Scenario

if TYPE_CHECKING:
    from caseflow.calibrate.targets import Targets
    from caseflow.data import Published

__all__ = ["ENGLAND", "PROFILE_MEASURES", "Authority", "Baselines"]

#: The choice that means the England-average scenario itself.
ENGLAND = "england"
#: The measures a profile needs: its year is the latest for which all are published.
PROFILE_MEASURES = ("population_0_17", "cin_at_31_march", "cp_at_31_march", "cla_at_31_march", "sw_fte")


@dataclass(frozen=True)
class Authority:
    code: str
    name: str
    region: str


class Baselines:
    """The England-average scenario and every authority's profile, built on first use.

    ``base``: the England-average scenario file; ``data``: a folder of newer DfE/ONS downloads (None:
    the figures shipped with caseflow). Safe to use from several threads.
    """

    def __init__(self, base: Path, data: Path | None = None) -> None:
        self.base_path = base
        self.data_path = data
        self._lock = threading.Lock()
        self._published: Published | None = None
        self._england: Scenario | None = None
        self._profiles_lock = threading.Lock()
        self._profiles: dict[str, Scenario] = {}  # about 150 authorities at most

    def england(self) -> Scenario:
        """The England-average scenario (``ScenarioError`` if its file is missing or invalid)."""
        with self._lock:
            if self._england is None:
                self._england = load_scenario(self.base_path)
            return self._england

    def published(self) -> Published:
        """The published figures (the first call reads them: a few seconds)."""
        with self._lock:
            if self._published is None:
                from caseflow import data

                self._published = data.load(self.data_path)
            return self._published

    def year(self) -> int:
        """The latest year to 31 March for which every authority's core figures are published."""
        pub = self.published()
        return min(max(pub.years(m)) for m in PROFILE_MEASURES)

    def authorities(self) -> list[Authority]:
        """Every authority that exists in the profile year, by name."""
        table = self.published().authorities(self.year())
        return [Authority(str(r.code), str(r.name), str(r.region)) for r in table.itertuples(index=False)]

    def scenario(self, choice: str) -> Scenario:
        """The baseline for a choice: :data:`ENGLAND`, or an authority's LA code (its profile)."""
        if choice == ENGLAND:
            return self.england()
        return self._profile(choice)

    def _profile(self, code: str) -> Scenario:
        from caseflow.profile import build_profile

        base, pub, year = self.england(), self.published(), self.year()
        with self._profiles_lock:
            found = self._profiles.get(code)
            if found is None:
                found = build_profile(pub, base, code, year).scenario(base)
                self._profiles[code] = found
            return found

    def published_figures(self, scenario: Scenario) -> tuple[Targets, int] | None:
        """The published figures of the authority ``scenario`` is a profile of, for its profile year
        (None for a scenario that is not an authority's profile)."""
        prov = scenario.provenance
        if prov is None or prov.la_code is None or prov.profile_year is None:
            return None
        from caseflow.calibrate.targets import targets_from_data

        year = int(prov.profile_year)
        try:
            return targets_from_data(self.published(), prov.la_code, (year,)), year
        except (KeyError, ValueError):  # an authority or year the data do not have
            return None
