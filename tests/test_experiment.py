"""The experiment layer: CRN comparisons, resumable stores, sweeps, replication counts, executors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import caseflow
from caseflow.experiment import runner as runner_mod
from caseflow.experiment.replications import precision, replications_needed
from caseflow.experiment.store import ReplicationStore
from caseflow.experiment.sweep import grid_points
from caseflow.scenario.scale import scaled

ROOT = Path(__file__).resolve().parents[1]


#: The size of the test authority relative to the baseline's 60,000 children.
SMALL = 0.1


@pytest.fixture(scope="module")
def small() -> caseflow.Scenario:
    """A tenth-size authority (6,000 children): the same rates and caseloads, ten times faster. What is
    checked here (executors, common random numbers, stores, sweeps, replication counts) does not depend
    on size. At this size common random numbers still narrow every interval the CRN test checks, to
    0-47% of the independent width over 5 seeds."""
    base = caseflow.load_scenario(ROOT / "scenarios" / "baseline.toml")
    return scaled(base, SMALL, name="small")


@pytest.mark.untraced
def test_same_seed_same_results_whatever_the_executor(small: caseflow.Scenario) -> None:
    a = caseflow.run(small, years=1, replications=3, seed=9, executor="sequential")
    b = caseflow.run(small, years=1, replications=3, seed=9, executor="processes", workers=2)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    c = caseflow.run(small, years=1, replications=3, seed=10, executor="sequential")
    assert not a.kpis["value"].equals(c.kpis["value"])


@pytest.mark.slow  # a statistical check: runs untraced by coverage (tests/conftest.py)
def test_crn_interval_is_narrower_than_independent(small: caseflow.Scenario) -> None:
    variant = small.with_overrides({"workforce.teams.cin_cp.soft_cap": 18.0}, name="cap")
    kw = {"years": 1, "replications": 6, "seed": 21, "executor": "processes", "workers": 2}
    crn = caseflow.compare({"base": small, "cap": variant}, **kw).effects().set_index("kpi")
    ind = (
        caseflow.compare({"base": small, "cap": variant}, common_random_numbers=False, **kw)
        .effects()
        .set_index("kpi")
    )
    narrower = 0
    kpis = ["referrals_per_10k", "cin_per_10k_end", "cla_per_10k_end", "contacts", "cost_placements"]
    for kpi in kpis:
        w_crn = crn.loc[kpi, "ci_high"] - crn.loc[kpi, "ci_low"]
        w_ind = ind.loc[kpi, "ci_high"] - ind.loc[kpi, "ci_low"]
        narrower += w_crn < w_ind
    assert narrower == len(kpis)


@pytest.mark.untraced
def test_effects_are_paired_differences(small: caseflow.Scenario) -> None:
    variant = small.with_overrides({"demand.contacts_per_year": small.demand.contacts_per_year * 1.2})
    comp = caseflow.compare(
        {"a": small, "b": variant}, years=1, replications=3, seed=4, executor="sequential"
    )
    eff = comp.effects().set_index("kpi").loc["contacts"]
    a = comp.results["a"].per_replication_mean().pivot(index="replication", columns="kpi", values="value")
    b = comp.results["b"].per_replication_mean().pivot(index="replication", columns="kpi", values="value")
    d = (b["contacts"] - a["contacts"]).to_numpy()
    assert eff["difference"] == pytest.approx(d.mean())
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    assert eff["ci_high"] - eff["difference"] == pytest.approx(half)
    assert eff["difference"] > 0
    # Replication r of a seed is the same run alone as in a comparison (and with fewer replications):
    # results run separately pair as if compared (tests/test_scenarios_bundled.py relies on it).
    alone = caseflow.run(variant, years=1, replications=2, seed=4, executor="sequential")
    first_two = comp.results["b"].kpis[comp.results["b"].kpis["replication"] < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.kpis.reset_index(drop=True), first_two)


@pytest.mark.untraced
def test_effects_intervals_stay_within_what_each_kpi_can_be_and_every_view_says_when_cut(
    small: caseflow.Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scenario's percentage lies within 0-100 and a count is never negative, so the difference from
    the baseline's mean lies within what is left of that range: every effect's interval stays there.
    Two replications' t intervals are often wider; then the interval is cut, ``ci_cut`` says so, and the
    text tables, the briefing's sentences and the workbook tell the reader that there were too few
    replications to tell."""
    import sys

    from caseflow.experiment.compare import INTERVAL_CUT_NOTE
    from caseflow.metrics.catalogue import Catalogue
    from caseflow.present.briefing import Briefing, _sentences
    from caseflow.present.excel import build_workbook
    from caseflow.present.text import format_effects, format_effects_by_year

    variant = small.with_overrides({"demand.contacts_per_year": small.demand.contacts_per_year * 1.2})
    comp = caseflow.compare(
        {"a": small, "b": variant}, years=1, replications=2, seed=4, executor="sequential"
    )
    catalogue = Catalogue()
    for table in (comp.effects(), comp.effects_by_year()):
        for r in table.to_dict(orient="records"):
            lower, upper = catalogue.bounds(r["kpi"])
            if math.isfinite(r["ci_low"]):
                assert lower is None or r["ci_low"] >= lower - r["baseline_mean"] - 1e-9, r
                assert upper is None or r["ci_high"] <= upper - r["baseline_mean"] + 1e-9, r

    # As wide as two replications of a noisy measure can make them: every bounded interval is cut.
    def far_too_wide(d: np.ndarray, level: float) -> tuple[float, float, float]:
        return (float(np.mean(d)), -1e12, 1e12) if len(d) else (math.nan, math.nan, math.nan)

    # (caseflow.experiment.compare is also the name of the function the package exports)
    monkeypatch.setattr(sys.modules["caseflow.experiment.compare"], "t_interval", far_too_wide)
    effects = comp.effects().set_index("kpi")
    pct = effects.loc["assessment_within_45wd_pct"]
    assert pct["ci_cut"]
    assert (pct["ci_low"], pct["ci_high"]) == pytest.approx(
        (-pct["baseline_mean"], 100 - pct["baseline_mean"])
    )
    contacts = effects.loc["contacts"]  # a count: no lower than minus the baseline, no ceiling
    assert contacts["ci_cut"]
    assert contacts["ci_low"] == -contacts["baseline_mean"]
    assert contacts["ci_high"] == 1e12
    assert comp.effects_by_year()["ci_cut"].any()

    text = format_effects(comp, ["assessment_within_45wd_pct"])
    assert " *" in text
    assert INTERVAL_CUT_NOTE in text
    assert INTERVAL_CUT_NOTE in format_effects_by_year(comp, ["assessment_within_45wd_pct"])
    briefing = Briefing("t", "q", {"a": small, "b": variant}, kpis=("assessment_within_45wd_pct",))
    (sentence,) = _sentences(briefing, comp)
    assert "too few replications to tell" in sentence, sentence
    sheet = build_workbook(comp)["Summary"]
    notes = [c.comment.text for row in sheet.iter_rows() for c in row if c.comment is not None]
    assert notes
    assert set(notes) == {INTERVAL_CUT_NOTE}

    monkeypatch.undo()
    assert INTERVAL_CUT_NOTE not in format_effects(comp, ["contacts"])  # a clear effect, not cut


@pytest.mark.untraced
def test_effects_by_year_are_paired_differences_year_by_year(
    small: caseflow.Scenario, tmp_path: Path
) -> None:
    """A change from the second reported year: the first year's differences are exactly zero (common
    random numbers before the change), later years' are not, and each year's is its own paired mean."""
    start = small.run.start_date
    later = start.replace(year=start.year + small.run.warmup_years + 1)
    data = small.model_dump()
    data["changes"] = [{"date": later, "field": "demand.contacts_per_year", "factor": 1.3}]
    from caseflow.scenario.loader import validate

    variant = validate(data).with_overrides({}, name="more")
    comp = caseflow.compare(
        {"a": small, "more": variant}, years=2, replications=3, seed=4, executor="sequential"
    )
    by_year = comp.effects_by_year()
    assert list(by_year.columns) == [
        "scenario", "period", "kpi", "baseline_mean", "scenario_mean", "difference", "ci_low", "ci_high", "n",
        "ci_cut",
    ]  # fmt: skip
    contacts = by_year[by_year["kpi"] == "contacts"].set_index("period")
    first, second = sorted(contacts.index)
    assert contacts.loc[first, "difference"] == 0.0
    assert (contacts.loc[first, "ci_low"], contacts.loc[first, "ci_high"]) == (0.0, 0.0)
    assert contacts.loc[second, "difference"] > 0
    fy = {n: r.reported("financial_year") for n, r in comp.results.items()}
    per = {
        n: f[(f["kpi"] == "contacts") & (f["period"] == second)].set_index("replication")["value"]
        for n, f in fy.items()
    }
    assert contacts.loc[second, "difference"] == pytest.approx((per["more"] - per["a"]).mean())
    # the whole-period effect is the mean over years of the yearly effects for a count
    overall = comp.effects().set_index("kpi").loc["contacts", "difference"]
    assert overall == pytest.approx(contacts["difference"].mean())


def test_cli_compare_by_year(
    small: caseflow.Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from caseflow.cli import main
    from caseflow.scenario.writer import write_scenario

    base = write_scenario(tmp_path / "small.toml", small.model_dump(exclude={"provenance"}))
    start = small.run.start_date
    later = start.replace(year=start.year + small.run.warmup_years + 1)
    more = write_scenario(
        tmp_path / "more.toml",
        {"name": "more", "changes": [{"date": later, "field": "demand.contacts_per_year", "factor": 1.3}]},
        extends=base,
    )
    out = tmp_path / "effects.json"
    argv = ["compare", str(base), str(more), "--years", "2", "--reps", "2", "--workers", "1", "--by-year"]
    assert main([*argv, "--kpis", "contacts", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "by financial year" in text
    assert "Contacts" in text
    record = json.loads(out.read_text())
    rows = record["effects_by_year"]
    assert [r["kpi"] for r in rows] == ["contacts", "contacts"]
    assert rows[0]["difference"] == 0.0
    assert rows[1]["difference"] > 0


@pytest.mark.untraced
def test_interrupted_run_resumes_and_matches(small: caseflow.Scenario, tmp_path: Path, monkeypatch) -> None:
    calls = []
    real = runner_mod.simulate

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("replication"))
        return real(*args, **kwargs)

    monkeypatch.setattr(runner_mod, "simulate", counting)
    store = tmp_path / "store"
    jobs = [runner_mod.Job(small, 5, r, 1) for r in range(4)]

    def interrupt_after_two(index: int, _result: object) -> None:
        if index == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runner_mod.map_tasks(
            runner_mod.run_job_batch,
            [([j],) for j in jobs],
            "sequential",
            on_result=lambda i, fr: (
                ReplicationStore(store).save(jobs[i].key(), fr[0]),
                interrupt_after_two(i, fr),
            ),
        )
    assert len(ReplicationStore(store).keys()) == 2
    calls.clear()
    resumed = caseflow.run(small, years=1, replications=4, seed=5, executor="sequential", store=store)
    assert sorted(calls) == [2, 3]  # only what was missing
    monkeypatch.setattr(runner_mod, "simulate", real)
    fresh = caseflow.run(small, years=1, replications=4, seed=5, executor="sequential")
    pd.testing.assert_frame_equal(resumed.kpis, fresh.kpis)
    assert not list(store.glob("*.tmp"))


@pytest.mark.untraced
def test_sweep_gives_a_row_per_point_and_kpi(small: caseflow.Scenario) -> None:
    # 0.8 and 1.2 times the small authority's assessment team (30 FTE in the baseline)
    grid = {
        "workforce.teams.assessment.establishment": [2.4, 3.6],
        "workforce.teams.assessment.soft_cap": [16.0, 20.0],
    }
    assert len(grid_points(grid)) == 4
    table = caseflow.sweep(small, grid, years=1, replications=2, seed=3, executor="processes", workers=2)
    assert sorted(table["point"].unique()) == [0, 1, 2, 3]
    row = table[(table.kpi == "caseload_mean_assessment")].set_index("point")
    assert set(row.columns) >= {"mean", "ci_low", "ci_high", "n", "workforce.teams.assessment.establishment"}
    # fewer assessment workers hold more children each
    fewer = row[row["workforce.teams.assessment.establishment"] == 2.4]["mean"].mean()
    more = row[row["workforce.teams.assessment.establishment"] == 3.6]["mean"].mean()
    assert fewer > more


def test_replications_needed_matches_the_formula(small: caseflow.Scenario) -> None:
    pilot = caseflow.run(small, years=1, replications=4, seed=8, executor="sequential")
    s = pilot.headline().loc["referrals_per_10k", "std"]
    target = s / 2  # needs roughly (2 t)^2 ≈ 16–20 replications
    n = replications_needed(pilot, {"referrals_per_10k": target})
    assert stats.t.ppf(0.975, n - 1) * s / math.sqrt(n) <= target
    assert stats.t.ppf(0.975, n - 2) * s / math.sqrt(n - 1) > target
    widths = precision(pilot, {"referrals_per_10k": 1.0})
    head = pilot.headline().loc["referrals_per_10k"]
    assert widths["referrals_per_10k"] == pytest.approx((head["ci_high"] - head["ci_low"]) / 2)


def test_replications_for_stops_when_precise(small: caseflow.Scenario) -> None:
    n, res = caseflow.replications_for(
        small, {"contacts": 1e9}, initial=2, executor="sequential", years=1, seed=1
    )
    assert n == 2
    assert res.replications == 2


def test_records_include_open_cases(small: caseflow.Scenario) -> None:
    res = caseflow.run(small, years=1, replications=1, seed=2, executor="sequential", records=True)
    rec = res.case_records
    assert rec is not None
    assert len(rec) > 100
    assert rec["end_day"].isna().any()  # cases open at the end are included
    assert set(rec["stage"]) >= {"assessment", "cin_plan", "cp_plan", "looked_after"}
    finished = rec.dropna(subset=["end_day"])
    assert (finished["end_day"] >= finished["start_day"]).all()


def test_provenance_is_recorded(small: caseflow.Scenario) -> None:
    res = caseflow.run(small, years=1, replications=1, seed=2, executor="sequential")
    p = res.provenance
    assert p["scenario_hash"] == small.hash()
    assert p["seed"] == 2
    assert p["replications"] == [0]
    assert {"python", "platform", "caseflow_version", "wall_seconds"} <= set(p)
    # the versions the numbers depend on, as installed
    from importlib import metadata

    assert p["packages"] == {
        name: metadata.version(name) for name in ("simpy", "numpy", "scipy", "holidays", "pandas")
    }
    from caseflow.kernel import compiled

    assert p["compiled_kernel"] == f"{sum(compiled().values())} of {len(compiled())} modules"
    # where England's bank holidays came from: the table, and the holidays version that made it
    from caseflow.calendar import bank_holiday_table_version

    assert p["bank_holidays"] == (
        f"table generated from holidays {bank_holiday_table_version()} for 1980 to 2100; "
        "other years from the installed package"
    )


@pytest.mark.untraced
def test_quarterly_costs_sum_to_the_financial_year(small: caseflow.Scenario) -> None:
    res = caseflow.run(small, years=1, replications=2, seed=6, executor="sequential")
    q = res.quarterly().set_index(["period", "kpi"])["mean"]
    fy = res.summary("financial_year").set_index(["period", "kpi"])["mean"]
    year = fy.index.get_level_values("period")[0]
    for kpi in ("cost_total", "cost_placements", "cost_staff_agency"):
        quarters = [q[(f"{year} Q{i}", kpi)] for i in range(1, 5)]
        assert sum(quarters) == pytest.approx(fy[(year, kpi)], rel=1e-9)
        assert all(v > 0 for v in quarters) or kpi == "cost_staff_agency"
