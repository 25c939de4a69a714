"""The optional ``[provenance]`` table: where a scenario's values came from; validated, never used."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from caseflow.replication import simulate
from caseflow.scenario import Scenario, ScenarioError, load_scenario, validate
from caseflow.scenario.provenance_schema import MAX_ENTRIES, MAX_TEXT, Provenance, Source, field_path_problem

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"

PROFILE = """
extends = "{baseline}"
name = "peterborough"

[provenance]
authority = "Peterborough"
la_code = "E06000031"
profile_year = 2024
built_by = "caseflow profile 0.1.0"
national_defaults = ["recontact.after_assessment", "cp_plan.end"]
warnings = ["cla_ceased 2024 suppressed: national default used"]

[provenance.sources."opening_stock.looked_after"]
method = "published"
file = "cla_number_and_rate_per_10k_children.csv"
measure = "cla_at_31_march"
column = "children_count"
year = 2024
la_code = "E06000031"
value = 402.0
note = "children looked after at 31 March 2024"

[provenance.sources."cp_plan.duration_months"]
method = "published"
file = "cp_plans_ended_by_duration.csv"
year = 202324

[provenance.sources."workforce.teams.assessment.establishment"]
method = "derived"
note = "case-holding FTE x share in assessment"

[provenance.sources."demand.sources.police.share"]
method = "calibrated"
"""


def write_profile(tmp_path: Path, body: str = "", *, head: str = PROFILE) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(head.format(baseline=BASELINE.as_posix()) + body, encoding="utf-8")
    return path


def problems(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def test_absent_by_default(baseline: Scenario) -> None:
    data = baseline.model_dump()
    del data["provenance"]  # the baseline records its sources; a scenario need not
    bare = validate(data)
    assert bare.provenance is None
    assert bare.source_of("opening_stock.looked_after") is None
    assert "provenance" in Scenario.model_fields
    assert Scenario.model_fields["provenance"].description


def test_a_profile_loads(tmp_path: Path) -> None:
    s = load_scenario(write_profile(tmp_path))
    p = s.provenance
    assert isinstance(p, Provenance)
    assert (p.authority, p.la_code, p.profile_year, p.built_by) == (
        "Peterborough",
        "E06000031",
        2024,
        "caseflow profile 0.1.0",
    )
    assert p.national_defaults == ("recontact.after_assessment", "cp_plan.end")
    assert p.warnings == ("cla_ceased 2024 suppressed: national default used",)
    src = s.source_of("opening_stock.looked_after")
    assert isinstance(src, Source)
    assert (src.method, src.file, src.measure, src.column, src.year, src.la_code, src.value) == (
        "published",
        "cla_number_and_rate_per_10k_children.csv",
        "cla_at_31_march",
        "children_count",
        2024,
        "E06000031",
        402.0,
    )
    # a source given for a table covers every value in it; the rest keep the baseline's sources
    assert s.source_of("cp_plan.duration_months.probs") == s.source_of("cp_plan.duration_months")
    duration = s.source_of("cp_plan.duration_months")
    assert duration is not None
    assert (duration.method, duration.year, duration.note) == ("published", 202324, None)  # whole
    base = load_scenario(BASELINE)
    assert s.source_of("cp_plan.end.closure") == base.source_of("cp_plan.end.closure") is not None
    assert s.source_of("opening_stock") is None
    # immutable all the way down, and kept by variants
    with pytest.raises(TypeError):
        p.sources["population"] = Source()  # type: ignore[index]
    variant = s.with_overrides({"demand.contacts_per_year": 12000.0})
    assert variant.provenance == p
    assert variant.source_of("opening_stock.looked_after") == src


def test_describe() -> None:
    src = Source(
        method="published",
        file="f.csv",
        measure="m",
        column="c",
        year=2024,
        la_code="E06000031",
        value=402.0,
        note="n",
    )
    assert src.describe() == "published: f.csv, measure m, column c, year 2024, E06000031, value 402 (n)"
    assert Source(method="national_default").describe() == "national default"
    assert Source(note="only a note").describe() == "only a note"
    assert Source().describe() == ""


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("opening_stock.lookd_after", "opening_stock has no field 'lookd_after'"),
        ("populaton", "a scenario has no field 'populaton'"),
        (
            "workforce.teams.assesment.establishment",
            "workforce.teams has no entry 'assesment' in this scenario",
        ),
        ("workforce.teams.assessment.establishmnt", "workforce.teams.assessment has no field 'establishmnt'"),
        ("demand.sources.polce.share", "demand.sources has no entry 'polce'"),
        ("demand.sources.police.share.x", "demand.sources.police.share is a single value"),
        ("looked_after.exit_routes.age_18.adoption", "looked_after.exit_routes has no entry 'age_18'"),
        ("changes.0.value", "changes has 0 entries"),
        ("cp_plan..end", "not a dotted field path"),
        ("provenance.authority", "provenance describes the other fields"),
    ],
)
def test_source_keys_must_name_fields(tmp_path: Path, key: str, expected: str) -> None:
    found = problems(write_profile(tmp_path, f'\n[provenance.sources."{key}"]\nmethod = "assumption"\n'))
    assert len(found) == 1
    path, message = found[0]
    assert path == f'provenance.sources."{key}"'
    assert expected in message


@pytest.mark.parametrize(
    "key",
    [
        "population",
        "name",
        "cp_plan",
        "cp_plan.duration_months.edges",
        "looked_after.exit_routes.age_5_9.adoption",
        "looked_after.uasc_transferred_out",
        "opening_stock.child_protection_time_on_plan",  # a field the scenario leaves out
        "costs.placements_weekly.ifa",
        "workforce.dynamics.turnover_rate",
    ],
)
def test_source_keys_that_name_fields(tmp_path: Path, key: str) -> None:
    s = load_scenario(write_profile(tmp_path, f'\n[provenance.sources."{key}"]\nmethod = "assumption"\n'))
    assert s.source_of(key) is not None


def test_user_keys_need_the_table(baseline: Scenario) -> None:
    """Keys the user names can be checked only against a scenario that has the table."""
    no_workforce = baseline.model_copy(update={"workforce": None})
    assert field_path_problem(Scenario, no_workforce, "workforce.enabled") is None
    text = field_path_problem(Scenario, no_workforce, "workforce.teams.assessment.establishment")
    assert text is not None
    assert "workforce.teams is not set in this scenario" in text
    assert field_path_problem(Scenario, baseline, "workforce.teams.assessment.establishment") is None


def test_national_defaults_must_name_fields(tmp_path: Path) -> None:
    head = PROFILE.replace('"cp_plan.end"]', '"cp_plan.ends"]')
    found = problems(write_profile(tmp_path, head=head))
    assert found == [
        (
            "provenance.national_defaults[1]",
            "'cp_plan.ends' is not a scenario field: cp_plan has no field 'ends' "
            "(it has duration_months, first_review_months, review_interval_months, end)",
        )
    ]


@pytest.mark.parametrize(
    ("toml", "where", "expected"),
    [
        ('method = "publishd"', "method", "'published', 'derived', 'calibrated', 'national_default'"),
        ('la_code = "E0600003"', "la_code", "9-character ONS (GSS) code such as E06000031"),
        ('la_code = "e06000031"', "la_code", "9-character ONS (GSS) code"),
        ("year = 20245", "year", "a year such as 2024 or a DfE financial-year time_period such as 202324"),
        ("year = 202325", "year", "time_period such as 202324"),
        ('year = "2024"', "year", "a whole number"),
        ("value = nan", "value", "finite number"),
        ('value = "402"', "value", "a number"),
        ('note = "a\\u0007b"', "note", "control characters"),
        (f'note = "{"x" * (MAX_TEXT + 1)}"', "note", f"at most {MAX_TEXT} characters"),
        ('url = "https://example.org"', "url", "unknown field; allowed here: method, file, measure"),
    ],
)
def test_source_fields_are_checked(tmp_path: Path, toml: str, where: str, expected: str) -> None:
    found = problems(write_profile(tmp_path, f'\n[provenance.sources."population"]\n{toml}\n'))
    assert [p for p, _ in found] == [f"provenance.sources.population.{where}"]
    assert expected in found[0][1]


@pytest.mark.parametrize(
    ("override", "where", "expected"),
    [
        ({"authority": "x" * (MAX_TEXT + 1)}, "provenance.authority", f"at most {MAX_TEXT} characters"),
        ({"profile_year": 1850}, "provenance.profile_year", "a year such as 2024"),
        ({"warnings": ["w"] * (MAX_ENTRIES + 1)}, "provenance.warnings", f"at most {MAX_ENTRIES}"),
        ({"national_defaults": "cp_plan.end"}, "provenance.national_defaults", "an array"),
        (
            {"sources": {"population": {"method": "guess"}}},
            "provenance.sources.population.method",
            "'assumption'",
        ),
        ({"sourcs": {}}, "provenance.sourcs", "unknown field"),
    ],
)
def test_provenance_fields_are_checked(
    baseline: Scenario, override: dict[str, Any], where: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        baseline.with_overrides({"provenance": override})
    assert [p for p, _ in info.value.problems] == [where]
    assert expected in info.value.problems[0][1]


def test_every_field_is_optional(baseline: Scenario) -> None:
    s = baseline.with_overrides({"provenance": {}})
    assert s.provenance == Provenance()
    assert s.provenance.sources == {}
    assert s.source_of("population") is None


def test_provenance_cannot_change_during_a_run(baseline: Scenario) -> None:
    change = {"date": dt.date(2026, 4, 1), "field": "provenance.authority", "value": "Kent"}
    with pytest.raises(ScenarioError) as info:
        validate({**baseline.model_dump(), "changes": [change]})
    assert info.value.problems == [("changes[0].field", "provenance.authority cannot change during a run")]


@pytest.mark.untraced
def test_provenance_never_changes_a_run(tmp_path: Path, sampled_baseline: Scenario) -> None:
    """The same seed gives the same run with and without provenance: every count, tally and stock."""
    profile = load_scenario(write_profile(tmp_path))
    documented = sampled_baseline.with_overrides({"provenance": profile.model_dump()["provenance"]})
    assert documented.provenance is not None
    assert documented.hash() != sampled_baseline.hash()  # the hash identifies the file as written
    a = simulate(sampled_baseline, seed=4, years=1).recorder
    b = simulate(documented, seed=4, years=1).recorder
    assert dict(a.counts) == dict(b.counts)
    assert dict(a.tallies) == dict(b.tallies)
    assert dict(a.stocks) == dict(b.stocks)
