"""Care leavers: a personal adviser from 18 to 21 (they are no longer children in need).

Outcome routed here: ``"care_leaver"``.
"""

from __future__ import annotations

from collections.abc import Mapping

from mypy_extensions import mypyc_attr

from caseflow.model.entities import Activity, Child, Family
from caseflow.model.stages.base import Entry, Proc, StageGroup

__all__ = ["CareLeavers"]


@mypyc_attr(allow_interpreted_subclasses=True)  # users may subclass it (caseflow.kernel)
class CareLeavers(StageGroup):
    name = "care_leavers"

    def routes(self) -> Mapping[str, Entry]:
        return {"care_leaver": self.care_leaver}

    def care_leaver(self, family: Family, kids: list[Child]) -> Proc:
        """Each care leaver keeps a worker (personal adviser) until their 21st birthday."""
        for child in kids[1:]:
            self.env.process(self._adviser(child))
        if kids:
            yield from self._adviser(kids[0])

    def _adviser(self, child: Child) -> Proc:
        self.capacity.assign([child], Activity.CARE_LEAVER)
        self.rec.count("care_leavers_started", self.env.now)
        yield self.env.timeout(max(0.0, child.birthday(21) - self.env.now))
        self.capacity.release([child])
