"""Sources as data: :mod:`caseflow.scenario.sources` reads every parameter's source from the scenario's
``[provenance.sources]``, inherited through ``extends`` (a value a file sets drops its parent's source),
and ``caseflow profile`` writes the same thing it builds in memory."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from caseflow.scenario import Scenario, ScenarioError, load_scenario, validate
from caseflow.scenario.provenance_schema import Source, source_key
from caseflow.scenario.sources import (
    inherited_sources,
    is_national_default,
    missing_sources,
    parameter_paths,
    parameter_sources,
    parameter_values,
    source_text,
)
from caseflow.scenario.writer import nest, write_scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"


def child(tmp_path: Path, body: str, name: str = "child.toml") -> Scenario:
    path = tmp_path / name
    path.write_text(f'extends = "{BASELINE.as_posix()}"\nname = "child"\n{body}', encoding="utf-8")
    return load_scenario(path)


# ============================================================================ reading
def test_sources_are_read_as_data_not_from_comments(baseline: Scenario) -> None:
    """The same sources from the TOML data alone: no comment is consulted."""
    data = tomllib.loads(BASELINE.read_text(encoding="utf-8"))
    assert parameter_sources(validate(data)) == parameter_sources(baseline)


def test_parameter_sources_cover_parameters_in_schema_order(baseline: Scenario) -> None:
    paths = parameter_paths(baseline)
    assert paths[:3] == ["name", "description", "population"]
    assert "changes" in paths
    assert "assessment.duration_wd.probs" in paths
    assert not [p for p in paths if p.startswith("provenance")]
    sources = parameter_sources(baseline)
    assert list(sources) == [p for p in paths if p in sources]
    turnover = sources["workforce.dynamics.turnover_rate"]
    assert isinstance(turnover, Source)
    assert turnover.method == "published"
    assert "DfE CSWW 2025" in (turnover.note or "")
    assert turnover.describe() == f"published ({turnover.note})"
    # a table's entry covers its values; the most specific entry wins
    assert sources["looked_after.placements.age_10_15.ifa"] is baseline.source_of("looked_after.placements")
    assert (
        source_key(baseline.provenance, "looked_after.placements.age_10_15.ifa") == "looked_after.placements"
    )
    assert sources["cp_plan.end.looked_after"].method == "calibrated"
    assert sources["cp_plan.end.closure"].method == "assumption"
    assert "DfE 2025" in (sources["assessment.duration_wd.probs"].note or "")
    assert parameter_values(baseline)["workforce.dynamics.turnover_rate"] == 0.118


def test_source_text_and_national_defaults(tmp_path: Path, baseline: Scenario) -> None:
    assert source_text(baseline, "referral.no_further_action").startswith("published (NFA at referral")
    assert source_text(baseline, "name") == ""
    s = child(tmp_path, '[provenance]\nnational_defaults = ["recontact"]\n')
    assert is_national_default(s, "recontact.after_plan")
    assert not is_national_default(s, "referral.no_further_action")
    assert source_text(s, "recontact.after_plan") == "national default; " + source_text(
        baseline, "recontact.after_plan"
    )


# ============================================================================ inheritance
def test_a_child_inherits_its_parents_sources(tmp_path: Path, baseline: Scenario) -> None:
    s = child(tmp_path, "")
    assert parameter_sources(s) == parameter_sources(baseline)


def test_a_value_set_without_a_source_has_none(tmp_path: Path, baseline: Scenario) -> None:
    """The parent's words never describe the child's value, not even through a table's entry."""
    s = child(
        tmp_path,
        "[workforce.dynamics]\nturnover_rate = 0.2\n\n[workforce.teams.assessment]\nsoft_cap = 18.0\n",
    )
    assert s.source_of("workforce.dynamics.turnover_rate") == Source()
    assert "workforce.dynamics.turnover_rate" not in parameter_sources(s)
    assert "workforce.teams.assessment.soft_cap" not in parameter_sources(s)
    assert missing_sources(s) == ["workforce.teams.assessment.soft_cap", "workforce.dynamics.turnover_rate"]
    # the rest of the tables keep the baseline's entries
    assert s.source_of("workforce.teams.assessment.hard_cap") == baseline.source_of("workforce.teams")
    assert s.source_of("workforce.dynamics.agency_lead_weeks") == baseline.source_of("workforce.dynamics")
    assert source_text(s, "workforce.dynamics.turnover_rate") == ""


def test_a_value_set_with_a_source_has_that_source_whole(tmp_path: Path) -> None:
    s = child(
        tmp_path,
        "[workforce.dynamics]\nturnover_rate = 0.2\n\n"
        "[provenance.sources]\n"
        '"workforce.dynamics.turnover_rate" = { method = "assumption", note = "scenario: high turnover" }\n'
        '"workforce.dynamics.sickness_rate" = { year = 2024 }\n',
    )
    src = parameter_sources(s)["workforce.dynamics.turnover_rate"]
    assert (src.method, src.note) == ("assumption", "scenario: high turnover")
    # an entry for an inherited value replaces the parent's entry whole, it is not merged into it
    sickness = parameter_sources(s)["workforce.dynamics.sickness_rate"]
    assert (sickness.year, sickness.method, sickness.note) == (2024, None, None)
    assert missing_sources(s) == []


def test_a_table_entry_in_the_child_covers_what_it_sets(tmp_path: Path) -> None:
    s = child(
        tmp_path,
        "[mash.outcome]\nreferral = 0.6\nearly_help = 0.14\nno_further_action = 0.26\n\n"
        '[provenance.sources."mash.outcome"]\nmethod = "assumption"\nnote = "scenario: more step-down"\n',
    )
    for leaf in ("referral", "early_help", "no_further_action"):
        assert parameter_sources(s)[f"mash.outcome.{leaf}"].note == "scenario: more step-down"


def test_an_array_of_tables_set_by_the_child_drops_the_parents_entries(tmp_path: Path) -> None:
    parent = tmp_path / "surge.toml"
    parent.write_text(
        f'extends = "{BASELINE.as_posix()}"\nname = "surge"\n'
        '[[changes]]\ndate = 2026-04-01\nfield = "demand.contacts_per_year"\nfactor = 1.15\n'
        '[provenance.sources]\n"changes.0" = { method = "assumption", note = "scenario: surge" }\n',
        encoding="utf-8",
    )
    path = tmp_path / "other.toml"
    path.write_text(
        'extends = "surge.toml"\nname = "other"\n'
        '[[changes]]\ndate = 2026-04-01\nfield = "early_help.key_workers"\nvalue = 20.0\n',
        encoding="utf-8",
    )
    assert load_scenario(parent).source_of("changes.0.factor") is not None
    s = load_scenario(path)
    assert s.source_of("changes.0.value") is None
    assert "changes.0.value" in missing_sources(s)


def test_inherited_sources_by_hand() -> None:
    parent = {"a": {"note": "table"}, "a.b": {"note": "leaf"}, "c.d": {"note": "inside"}, "e": {"note": "e"}}
    own = {"a": {"b": 1}, "c": [1, 2], "provenance": {"sources": {"e": {"method": "assumption"}}}}
    assert inherited_sources(parent, own) == {
        "a": {"note": "table"},
        "e": {"method": "assumption"},
        "a.b": {},
    }


def test_source_keys_must_name_fields(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        child(tmp_path, '[provenance.sources]\n"workforce.dynamics.turnover" = { method = "assumption" }\n')
    assert "no field 'turnover'" in str(info.value)


# ============================================================================ writing
def test_nest_keeps_source_keys_whole() -> None:
    entry = {"method": "published", "note": "n"}
    assert nest({"provenance.sources.opening_stock.looked_after": entry}) == {
        "provenance": {"sources": {"opening_stock.looked_after": entry}}
    }
    assert nest(
        {
            "provenance.sources.changes.0.value": {"method": "assumption"},
            "provenance.sources.opening_stock.looked_after.method": "published",
            "provenance.sources.opening_stock.looked_after.note": "n",
            "opening_stock.looked_after": 400,
        }
    ) == {
        "provenance": {
            "sources": {"changes.0.value": {"method": "assumption"}, "opening_stock.looked_after": entry}
        },
        "opening_stock": {"looked_after": 400},
    }


def test_a_written_scenario_reads_back_the_same_sources(tmp_path: Path, baseline: Scenario) -> None:
    entry = {"method": "published", "note": "children looked after, 31 March 2024", "year": 2024}
    out = write_scenario(
        tmp_path / "la.toml",
        {"opening_stock.looked_after": 402, "provenance.sources.opening_stock.looked_after": entry},
        extends=BASELINE,
    )
    s = load_scenario(out)
    src = parameter_sources(s)["opening_stock.looked_after"]
    assert (src.method, src.note, src.year) == ("published", entry["note"], 2024)
    assert "# [published] children looked after, 31 March 2024" in out.read_text(encoding="utf-8")
    assert parameter_sources(s)["opening_stock.child_protection"] == baseline.source_of(
        "opening_stock.child_protection"
    )


def test_the_writer_leaves_out_what_is_none(tmp_path: Path) -> None:
    """TOML has no null: a source field that is None (as ``model_dump`` gives) is left out."""
    entry = Source(method="published", note="ONS").model_dump()
    assert entry["file"] is None
    out = write_scenario(
        tmp_path / "x.toml", {"population": 61000, "provenance.sources.population": entry}, extends=BASELINE
    )
    assert load_scenario(out).source_of("population") == Source(method="published", note="ONS")
