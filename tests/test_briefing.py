"""Committee briefings: the briefing file's checks, the document's content, the bundled example, the CLI."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import caseflow
from caseflow.cli import main
from caseflow.experiment.compare import Comparison
from caseflow.present.briefing import (
    Briefing,
    briefing_html,
    is_briefing,
    load_briefing,
    uncertainty_paragraph,
    write_docx,
)
from caseflow.scenario.loader import ScenarioError
from caseflow.scenario.scale import scaled
from caseflow.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
BRIEFINGS = sorted((ROOT / "briefings").glob("*.toml"))
OPTIONS = sorted((ROOT / "briefings" / "options").glob("*.toml"))


@pytest.mark.parametrize("path", BRIEFINGS, ids=lambda p: p.stem)
def test_bundled_briefings_load(path: Path) -> None:
    assert is_briefing(path)
    b = load_briefing(path)
    assert len(b.options) >= 2
    assert b.title
    assert b.question
    assert b.replications >= 2


@pytest.mark.parametrize("path", OPTIONS, ids=lambda p: p.stem)
def test_bundled_options_are_scenarios_with_sources(path: Path) -> None:
    assert not is_briefing(path)
    scenario = caseflow.load_scenario(path)
    assert scenario.description
    # every value the option sets says where it came from (the scenario's question)
    own = scenario.provenance.sources if scenario.provenance is not None else {}
    assert own, f"{path.name} has no [provenance.sources]"


def test_a_briefing_for_each_council_question() -> None:
    """The seeds' questions (000 vacancies and timeliness, 001 police contacts or front-door staff, 002
    what £1.3m buys, 003 social workers, agency or family support) each have a bundled briefing."""
    assert {p.stem for p in BRIEFINGS} == {
        "vacancies_and_timeliness",
        "police_contacts_or_front_door_staff",
        "what_1_3m_buys",
        "social_workers_agency_or_family_support",
    }


def test_validate_recognises_a_briefing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "briefings" / "what_1_3m_buys.toml")]) == 0
    assert "is a valid briefing (2 options)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('title = "t"\n', "question", "is required"),
        ('title = "t"\nquestion = "q"\n', "options", "at least two"),
        ('title = "t"\nquestion = "q"\ncolour = 1\n', "colour", "is not a briefing field"),
        (
            'title = "t"\nquestion = "q"\n[[options]]\nname = "a"\nscenario = "b.toml"\n'
            '[[options]]\nname = "a"\nscenario = "b.toml"\n',
            "options[1].name",
            "used twice",
        ),
        (
            'title = "t"\nquestion = "q"\nkpis = ["nope"]\n[[options]]\nname = "a"\nscenario = "b.toml"\n'
            '[[options]]\nname = "c"\nscenario = "b.toml"\n',
            "kpis",
            "not a KPI",
        ),
        (
            'title = "t"\nquestion = "q"\nreplications = 1\n[[options]]\nname = "a"\nscenario = "b.toml"\n'
            '[[options]]\nname = "c"\nscenario = "b.toml"\n',
            "replications",
            "at least 2",
        ),
        ("title = \n", "(file)", "not valid TOML"),
    ],
)
def test_briefing_file_errors_name_the_file_and_field(
    tmp_path: Path, text: str, field: str, message: str
) -> None:
    (tmp_path / "b.toml").write_text((ROOT / "scenarios" / "baseline.toml").read_text(encoding="utf-8"))
    path = tmp_path / "brief.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_briefing(path)
    (where, what), *_ = info.value.problems
    assert where == field
    assert message in what
    assert str(path) in str(info.value)
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_briefing(tmp_path / "missing.toml")


@pytest.fixture(scope="module")
def small_comparison(baseline: Scenario) -> tuple[Briefing, Comparison]:
    small = scaled(baseline, 0.1).with_overrides({"run.warmup_years": 1}, name="small")
    fewer = small.with_overrides({"demand.sources.police.volume": 0.7}, name="fewer_police").model_copy(
        update={"description": "police contacts down 30%"}
    )
    briefing = Briefing(
        title="Fewer police contacts?",
        question="What if the police sent 30% fewer contacts?",
        options={"As now": small, "Police contacts down 30%": fewer},
        context="a test",
        replications=3,
        kpis=("contacts_from_police", "contact_decision_within_1wd_pct", "cost_total"),
    )
    comparison = caseflow.compare(briefing.options, years=1, replications=3, seed=2, executor="sequential")
    return briefing, comparison


@pytest.mark.untraced
def test_briefing_html_has_every_part(small_comparison: tuple[Briefing, Comparison]) -> None:
    briefing, comparison = small_comparison
    page = briefing_html(briefing, comparison)
    assert page.startswith("<!DOCTYPE html>")
    assert "<h1>Fewer police contacts?</h1>" in page
    assert "What if the police sent 30% fewer contacts?" in page
    for heading in ("The options", "What each option does", "Charts", "How sure can we be?"):
        assert f">{heading}<" in page
    assert page.count('src="data:image/png;base64,') == 2  # self-contained: the charts are embedded
    assert "@page { size: A4" in page  # laid out to print
    # the police contacts fall, clearly: a plain sentence and a table row with the CI
    assert re.search(r"“Police contacts down 30%” lowers police contacts by about [\d,]+ \(-", page)
    assert "Contacts from police" in page
    assert "demand.sources.police.volume" in page  # what the option changes, with its value
    assert "0.7" in page
    assert "workforce.time.non_case_time" in page  # a key assumption, with its source
    assert uncertainty_paragraph(briefing, comparison)[:40] in page
    assert "3 times for each option over 1 financial year" in page
    # percentages differ in points
    assert "points" in page


def test_briefing_text_is_escaped(small_comparison: tuple[Briefing, Comparison]) -> None:
    briefing, comparison = small_comparison
    hostile = dataclasses.replace(briefing, title="<script>alert(1)</script>", question="a & b")
    page = briefing_html(hostile, comparison)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "a &amp; b" in page


def test_briefing_as_word(small_comparison: tuple[Briefing, Comparison], tmp_path: Path) -> None:
    import docx

    briefing, comparison = small_comparison
    path = write_docx(briefing, comparison, tmp_path / "brief.docx")
    doc = docx.Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Fewer police contacts?" in text
    assert "How sure can we be?" in text
    assert len(doc.tables) == 1
    assert doc.tables[0].rows[0].cells[0].text == "Measure"
    assert len(doc.inline_shapes) == 2  # the charts


def test_cli_report_from_scenario_files(
    tmp_path: Path, small_comparison: tuple[Briefing, Comparison]
) -> None:
    from caseflow.scenario.writer import write_scenario

    briefing, _ = small_comparison
    base = write_scenario(tmp_path / "a.toml", briefing.options["As now"].model_dump(exclude={"provenance"}))
    other = write_scenario(
        tmp_path / "b.toml",
        {"name": "more_fd", "workforce.teams.front_door.establishment": 3.0},
        extends=base,
    )
    out = tmp_path / "brief.html"
    code = main(
        ["report", str(base), str(other), "--out", str(out), "--title", "More front door?", "--years", "1",
         "--reps", "2", "--workers", "1", "--docx", str(tmp_path / "brief.docx")]
    )  # fmt: skip
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert "<h1>More front door?</h1>" in page
    assert "workforce.teams.front_door.establishment" in page
    assert (tmp_path / "brief.docx").stat().st_size > 10_000


def test_cli_report_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "b.toml"
    bad.write_text('title = "t"\n', encoding="utf-8")
    assert main(["report", str(bad), "--out", str(tmp_path / "x.html")]) == 2
    assert "question" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
