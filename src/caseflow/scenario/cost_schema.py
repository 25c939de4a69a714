"""Scenario schema for costs (staff, agency, recruitment, early help, placements) and for time-phased
changes of any parameter."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from caseflow.scenario.base import Section
from caseflow.scenario.limits import Date, Factor

__all__ = ["AgencyCosts", "Change", "CostParams", "PlacementCosts", "SalaryCosts"]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Money = Annotated[float, Field(ge=0.0, le=1.0e9, description="pounds")]


class SalaryCosts(Section):
    """Basic salary per FTE per year by grade, and the employer on-cost multiplier."""

    nqsw: Money
    social_worker: Money
    senior_practitioner: Money
    senior_share: Probability = Field(description="share of experienced permanent FTE at senior grade")
    front_door_and_care_leavers: Money = Field(description="posts in non-case-holding teams")
    oncost_multiplier: float = Field(
        ge=1.0, le=5.0, description="employer NI and pension on top of basic pay"
    )


class AgencyCosts(Section):
    hourly_rate: Money = Field(description="charge per hour, before any regional cap")
    regional_cap: Money | None = Field(default=None, description="maximum charge per hour (DfE rules)")
    billed_hours_per_week: Annotated[float, Field(gt=0.0, le=60.0)]
    billed_weeks_per_year: Annotated[float, Field(gt=0.0, le=52.2)]

    def hourly(self) -> float:
        return self.hourly_rate if self.regional_cap is None else min(self.hourly_rate, self.regional_cap)


class PlacementCosts(Section):
    """Weekly cost per child by placement type."""

    in_house_fostering: Money
    ifa: Money
    kinship: Money
    childrens_home: Money
    supported_accommodation: Money
    placed_with_parents: Money
    secure: Money


class CostParams(Section):
    price_date: Date = Field(description="the date the money values are priced at")
    annual_inflation: Annotated[float, Field(ge=-0.5, le=1.0)] = Field(
        description="yearly uplift applied to every cost from price_date"
    )
    salary: SalaryCosts
    agency: AgencyCosts
    recruitment_payment: Money = Field(description="one-off cost per permanent hire (adverts, incentives)")
    retention_payment: Money = Field(description="per permanent FTE per year")
    early_help_worker: Money = Field(description="loaded cost per early-help key worker FTE per year")
    placements_weekly: PlacementCosts


Value = StrictFloat | StrictInt | StrictStr | StrictBool | dict[str, Any]


class Change(Section):
    """From ``date``, set ``field`` to ``value`` (or multiply it by ``factor``), at once or over a ramp.

    ``field`` is a dotted path into the scenario (``demand.contacts_per_year``,
    ``early_help.key_workers``, ``mash.outcome``…). A table value (e.g. a whole branch) replaces the
    table; numbers in it are ramped element by element, so branch probabilities still sum to 1.
    """

    date: Date
    field: StrictStr = Field(min_length=1, max_length=200)
    value: Value | None = None
    factor: Factor | None = None
    ramp_months: StrictInt = Field(default=0, ge=0, le=600)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.value is None) == (self.factor is None):
            raise ValueError("give exactly one of value or factor")
        if self.field.split(".")[0] in ("name", "description", "run", "opening_stock", "changes"):
            raise ValueError(f"{self.field} cannot change during a run")
        return self
