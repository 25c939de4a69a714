"""Which KPI names a run of a scenario reports, and refusing the others with a helpful message.

:class:`~caseflow.metrics.catalogue.Catalogue` and :func:`~caseflow.metrics.catalogue.describe` define a
per-team KPI for any team name (``caseload_mean_<team>``) and a per-source KPI for any source, so that
a results table can always be labelled. A question about a scenario (a target to meet, the KPIs to
screen or chart) must name KPIs its runs report: a team or contact source it does not have would give
nothing, and the search or screen would fail much later, or answer nothing. :func:`reported_by` lists
what a run reports; :func:`check_names` refuses anything else, suggesting close names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from caseflow.metrics.catalogue import KPIS

if TYPE_CHECKING:
    from caseflow.scenario.schema import Scenario

__all__ = ["check_names", "reported_by"]


def reported_by(scenario: Scenario) -> set[str]:
    """The KPIs a run of ``scenario`` reports: the built-in catalogue, the per-team KPIs of its teams
    (caseload and unallocated children for the case-holding ones) and the per-source KPIs of its
    contact sources (and of returning contacts)."""
    names = {k.name for k in KPIS}
    teams = scenario.workforce.teams if scenario.workforce is not None else {}
    for team, params in teams.items():
        names |= {f"sw_vacancy_pct_{team}", f"sw_agency_pct_{team}", f"sw_turnover_pct_{team}"}
        if params.case_holding:
            names |= {f"caseload_mean_{team}", f"unallocated_end_{team}"}
    for source in [*scenario.demand.sources, "returning"]:
        names |= {f"contacts_from_{source}", f"contact_to_referral_pct_{source}"}
    return names


def check_names(names: Iterable[str], known: set[str], *, what: str = "") -> None:
    """Refuse (``ValueError``) the ``names`` that are not among ``known``, suggesting close ones.

    ``what`` starts the message (a command-line flag, ``"target caseload_mean_x<=18"``).

    >>> check_names(["caseload_mean_asessment"], {"caseload_mean_assessment"}, what="--kpis")
    Traceback (most recent call last):
    ...
    ValueError: --kpis: 'caseload_mean_asessment' is not a KPI (did you mean caseload_mean_assessment?). \
docs/kpis.md lists the KPIs; per-team and per-source ones end in the name of one of the scenario's \
teams or contact sources (e.g. caseload_mean_assessment)
    """
    unknown = [n for n in names if n not in known]
    if not unknown:
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.75)
        hints.append(f"{name!r} is not a KPI" + (f" (did you mean {' or '.join(close)}?)" if close else ""))
    lead = f"{what}: " if what else ""
    raise ValueError(
        f"{lead}{'; '.join(hints)}. docs/kpis.md lists the KPIs; per-team and per-source ones end in "
        "the name of one of the scenario's teams or contact sources (e.g. caseload_mean_assessment)"
    )
