"""Scenarios: the validated, immutable description of one local authority and its policies."""

from caseflow.scenario.loader import ScenarioError, load_scenario, validate
from caseflow.scenario.scale import scaled
from caseflow.scenario.schema import AGE_BANDS, Banded, Scenario

__all__ = ["AGE_BANDS", "Banded", "Scenario", "ScenarioError", "load_scenario", "scaled", "validate"]
