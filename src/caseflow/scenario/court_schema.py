"""Scenario schema for court work: pre-proceedings under the Public Law Outline (PLO), care
proceedings, and the pre-birth route.

Both sections are optional; a scenario without them runs exactly as before (children who come into
care from a plan go straight into care, with ``workforce.hours.court_work`` of their worker's time).
With ``[court]``, plans can end in pre-proceedings (the ``pre_proceedings`` outcome of ``cp_plan.end``
and ``cin_plan.end``), pre-proceedings can end in care proceedings, and proceedings take their own
length and end in an order; the social-work hours they take are ``workforce.hours.pre_proceedings``,
``court_issue`` and ``court_final``. With ``[pre_birth]``, concerns about unborn babies arrive as a stream of
their own, and a baby on a CP plan at birth may be removed at birth.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from caseflow.scenario.base import Branch, Section

__all__ = ["CourtParams", "FinalOrders", "PreBirthOutcome", "PreBirthParams", "PreProceedingsOutcome"]

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Weeks = Annotated[float, Field(gt=0.0, le=520.0, allow_inf_nan=False, description="weeks")]
Shape = Annotated[float, Field(gt=0.0, le=100.0, allow_inf_nan=False, description="gamma shape")]


class PreProceedingsOutcome(Branch):
    """How pre-proceedings end."""

    proceedings: Probability = Field(description="care proceedings are issued")
    cin_plan: Probability = Field(description="diverted: the family continues on a child in need plan")
    closure: Probability = Field(description="diverted: the case closes")


class FinalOrders(Branch):
    """The order care proceedings end in, for each child."""

    care_order: Probability = Field(description="care order (s31): the child is or stays looked after")
    placement_order: Probability = Field(description="placement order: the child is or stays looked after")
    supervision_order: Probability = Field(description="supervision order: at home on a CIN plan")
    special_guardianship: Probability = Field(description="special guardianship order: leaves the system")
    child_arrangements: Probability = Field(description="child arrangements order: leaves the system")
    no_order: Probability = Field(description="no order or withdrawn: at home on a CIN plan")


class CourtParams(Section):
    """Pre-proceedings (PLO) and care proceedings (Children Act 1989 s31)."""

    pre_proceedings_weeks: Weeks = Field(description="mean length of pre-proceedings (gamma)")
    pre_proceedings_shape: Shape = Field(description="gamma shape of the length of pre-proceedings")
    pre_proceedings_outcome: PreProceedingsOutcome
    emergency_proceedings: Probability = Field(
        description="share of children removed in an emergency for whom care proceedings are issued"
    )
    interim_care_order: Probability = Field(
        description="share of children not already in care who come into care at issue (ICO)"
    )
    proceedings_weeks: Weeks = Field(description="mean weeks from issue to final order (gamma)")
    proceedings_shape: Shape = Field(description="gamma shape of the weeks from issue to final order")
    final_orders: FinalOrders


class PreBirthOutcome(Branch):
    """How a pre-birth assessment ends."""

    not_in_need: Probability = Field(description="the assessment finds no need for services (closed)")
    cin_plan: Probability = Field(description="a child in need plan (it runs on after the birth)")
    cp_plan: Probability = Field(
        description="a strategy discussion and a pre-birth conference; the conference decides the plan"
    )


class PreBirthParams(Section):
    """Concerns about unborn babies: referral, pre-birth assessment, unborn CP plans, removal at birth."""

    referrals_per_year: Annotated[float, Field(ge=0.0, le=1.0e5, allow_inf_nan=False)] = Field(
        description="referrals about unborn babies per year"
    )
    weeks_before_birth: Weeks = Field(description="mean weeks from referral to birth (gamma)")
    weeks_shape: Shape = Field(description="gamma shape of the weeks from referral to birth")
    outcome: PreBirthOutcome
    removed_at_birth: Probability = Field(
        description="share of babies on an unborn CP plan at birth who are removed at birth"
    )
