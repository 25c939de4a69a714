"""Profiles of real authorities from the published figures, and the files they are written to."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import caseflow
from caseflow import data
from caseflow.cli import main
from caseflow.profile import build_profile, profile
from caseflow.scenario.writer import nest, write_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def pub() -> data.Published:
    return data.load()


def test_profile_sets_published_figures_with_their_sources(
    pub: data.Published, baseline: caseflow.Scenario
) -> None:
    prof = build_profile(pub, baseline, "Peterborough", 2024)
    code = prof.la_code
    o = prof.overrides
    assert o["opening_stock.looked_after"] == pub.value("cla_at_31_march", code, 2024)
    assert o["opening_stock.child_protection"] == pub.value("cp_at_31_march", code, 2024)
    assert o["population"] == round(pub.value("population_0_17", code, 2023))  # mid-2023 pairs with 2024
    nfa = pub.value("referral_nfa", code, 2024) / pub.value("referrals", code, 2024)
    assert o["referral.no_further_action"] == pytest.approx(nfa)
    src = prof.sources["opening_stock.looked_after"]
    assert src["method"] == "published"
    assert src["file"].startswith("cla_number_and_rate")
    assert src["year"] == 2024
    assert src["la_code"] == code
    assert src["value"] == o["opening_stock.looked_after"]
    turnover = prof.sources["workforce.dynamics.turnover_rate"]
    assert turnover["year"] == 2023  # the census at 30 September before 31 March 2024
    assert "recontact" in prof.national_defaults


def test_profile_is_in_balance_with_published_cp_flows(
    pub: data.Published, baseline: caseflow.Scenario
) -> None:
    """Little's law: the CP plan length set by the profile gives the published stock from the starts."""
    s = profile("Peterborough", 2024, base=baseline, data=pub)
    starts = pub.value("cp_started", "Peterborough", 2024)
    stock = pub.value("cp_at_31_march", "Peterborough", 2024)
    assert starts * s.cp_plan.duration_months.mean() / 12 == pytest.approx(stock, rel=1e-6)


def test_profile_round_trip(tmp_path: Path, pub: data.Published, baseline: caseflow.Scenario) -> None:
    """Written to TOML, loaded back: the same scenario, with its provenance as data."""
    out = tmp_path / "scenarios" / "peterborough.toml"
    made = profile("Peterborough", 2024, base=BASE, data=pub, out=out)
    text = out.read_text(encoding="utf-8")
    assert text.count("extends") == 1
    loaded = caseflow.load_scenario(out)
    assert loaded.hash() == made.hash()
    assert loaded.provenance is not None
    assert loaded.provenance.la_code == "E06000031"
    assert loaded.provenance.sources["opening_stock.looked_after"].method == "published"
    assert loaded.run.start_date.isoformat() == "2024-04-01"
    assert loaded.run.warmup_years == 0


def test_missing_and_unreliable_figures_fall_back_with_warnings(
    pub: data.Published, baseline: caseflow.Scenario
) -> None:
    scilly = build_profile(pub, baseline, "Isles of Scilly", 2024)
    assert any("very small authority" in w for w in scilly.warnings)
    assert scilly.sources["opening_stock.looked_after"]["method"] == "national_default"
    hampshire = build_profile(pub, baseline, "Hampshire", 2024)
    assert any("(u)" in w for w in hampshire.warnings)
    kent = build_profile(pub, baseline, "Kent", 2024)
    assert 0.5 < kent.overrides["looked_after.uasc_transferred_out"] <= 0.95
    assert any("National Transfer Scheme" in w for w in kent.warnings)


@pytest.mark.untraced
def test_profiles_every_authority(pub: data.Published, baseline: caseflow.Scenario) -> None:
    """Every current authority profiles to a valid scenario (or is refused with a clear reason)."""
    codes = pub.authorities(2024)["code"].tolist()
    assert len(codes) >= 150
    for code in codes:
        prof = build_profile(pub, baseline, code, 2024)
        s = prof.scenario(baseline)
        assert s.population > 0
        assert math.isfinite(s.demand.contacts_per_year)


def test_writer_is_atomic_and_validates(tmp_path: Path) -> None:
    target = tmp_path / "x.toml"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(caseflow.ScenarioError):
        write_scenario(target, {"population": -5}, extends=BASE)
    assert target.read_text(encoding="utf-8") == "keep me"  # the old file survives a bad write
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind
    write_scenario(target, {"population": 12345, "demand.contacts_per_year": 999.5}, extends=BASE)
    s = caseflow.load_scenario(target)
    assert (s.population, s.demand.contacts_per_year) == (12345, 999.5)
    assert nest({"a.b": 1, "a.c": {"d": 2}}) == {"a": {"b": 1, "c": {"d": 2}}}


@pytest.mark.untraced
def test_cli_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.toml"
    assert main(["profile", "E06000031", "--year", "2024", "--base", str(BASE), "--out", str(out)]) == 0
    assert "Peterborough (E06000031)" in capsys.readouterr().out
    assert caseflow.load_scenario(out).population > 0
    assert main(["profile", "Peterbrough", "--year", "2024", "--base", str(BASE)]) == 2
    assert "Peterborough" in capsys.readouterr().err  # suggests the close match


def test_cli_national(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "national.csv"
    args = [
        "national",
        "--year",
        "2023",
        "--authorities",
        "Rutland",
        "--reps",
        "2",
        "--executor",
        "sequential",
    ]
    assert main([*args, "--base", str(BASE), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Children looked after at 31 March" in printed
    table = out.read_text(encoding="utf-8")
    assert table.startswith("kpi,")
    assert "cla_open_end" in table


def test_cli_profile_counts_the_profiles_own_sources(
    pub: data.Published, baseline: caseflow.Scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "values set" counts what the profile set, not the baseline's entries the scenario inherits."""
    from collections import Counter

    assert main(["profile", "Peterborough", "--year", "2024", "--base", str(BASE)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "values set:" in x)
    prof = build_profile(pub, baseline, "Peterborough", 2024)
    counts = Counter(str(src["method"]) for src in prof.sources.values())
    expected = ", ".join(f"{n} {m.replace('_', ' ')}" for m, n in sorted(counts.items()))
    assert line.strip() == f"values set: {expected}"


def test_a_year_without_published_figures_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A year past the shipped figures used to end in "cannot convert float NaN to integer"."""
    assert main(["profile", "E06000031", "--year", "2031", "--base", str(BASE)]) == 2
    err = capsys.readouterr().err
    assert "no children looked after at 31 March 2031" in err
    assert "give a year in that range" in err
