"""Families behind contacts: sibling-group sizes, children's ages and each family's own draws."""

from __future__ import annotations

from typing import Final

from caseflow.distributions import BranchSampler
from caseflow.model.census import Census
from caseflow.model.entities import DAYS_PER_YEAR, Child, Family
from caseflow.scenario.schema import AGE_BAND_LOWER, AGE_BAND_UPPER, AGE_BANDS, Scenario
from caseflow.streams import DrawBlock, RandomSource, Stream, Streams

__all__ = ["FAMILY_DRAWS", "Families", "age_band", "draw_age", "sibling_sizes"]

#: Uniform draws reserved for each family's decisions (most families use far fewer).
FAMILY_DRAWS: Final = 32

# The age bands and their bounds as compiled constants: read for every child, they are then not looked
# up among the module's names each time (bit-identical; docs/performance.md).
_BANDS: Final = AGE_BANDS
_LOWER: Final = AGE_BAND_LOWER
_UPPER: Final = AGE_BAND_UPPER


def draw_age(ages: BranchSampler, stream: RandomSource) -> float:
    """An age in years: a DfE age band drawn from ``ages``, then uniform within the band."""
    i = _BANDS.index(ages.sample(stream))
    return _LOWER[i] + (_UPPER[i] - _LOWER[i]) * stream.random()


def age_band(age_years: float) -> str:
    """DfE age band of a child aged ``age_years``."""
    for band, upper in zip(_BANDS, _UPPER, strict=True):
        if age_years < upper:
            return band
    return _BANDS[-1]


def sibling_sizes(scenario: Scenario) -> BranchSampler:
    """Sampler of the number of children in the family a contact concerns."""
    sib = scenario.demand.sibling_groups
    return BranchSampler({"1": sib.one, "2": sib.two, "3": sib.three, "4": sib.four})


class Families:
    """Makes the families (and children) of one replication, and counts them into the census."""

    def __init__(self, scenario: Scenario, streams: Streams, census: Census) -> None:
        self.census = census
        self._r_family = streams["family.composition"]
        self._r_draws = streams["family.draws"]  # each family's block of decision draws, in arrival order
        self._next_child = 0
        self._next_family = 0
        self.compile(scenario)

    def compile(self, s: Scenario) -> None:
        """Build the samplers from the scenario in force."""
        self.sizes = sibling_sizes(s)
        self.child_age = BranchSampler(s.demand.child_age)
        self._prior_cp_plan = s.demand.prior_cp_plan

    @property
    def draws(self) -> Stream:
        """The stream of family decision draws, in arrival order."""
        return self._r_draws

    def new_family(self, t: float, ages: list[float], draws: Stream | None = None) -> Family:
        """A family whose children have the given ages (years) at time ``t``; children enter CLOSED.

        Its decision draws come from ``family.draws`` in arrival order, or from ``draws`` for families
        created outside that order (the run's history), so they do not shift anyone else's draws.
        """
        fam = Family(self._next_family, rng=DrawBlock(draws or self._r_draws, FAMILY_DRAWS))
        self._next_family += 1
        for a in ages:
            c = Child(self._next_child, dob=t - a * DAYS_PER_YEAR, family_id=fam.id)
            self._next_child += 1
            fam.children.append(c)
            self.census.enter(c)
        return fam

    def sample_ages(self, ages: BranchSampler, n: int) -> list[float]:
        return [draw_age(ages, self._r_family) for _ in range(n)]

    def sample_family(self, t: float) -> Family:
        """A family behind a new-concern contact, with any history from before the simulation."""
        r = self._r_family
        n = int(self.sizes.sample(r))
        fam = self.new_family(t, self.sample_ages(self.child_age, n))
        p = self._prior_cp_plan
        for c in fam.children:
            if r.random() < p:
                c.cp_plans = 1
        return fam
