"""The built-in backtest (caseflow.backtest) and the national experiment (caseflow.national), small."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from caseflow import data as data_mod
from caseflow.backtest import SCORED, Backtest, backtest, linear_trend, markdown_table
from caseflow.calibrate.targets import targets_from_data
from caseflow.national import KPIS, national

# Small authorities (about 28,000-33,000 children) whose figures for every scored measure are published
# for every year from 2020 (2021 for children looked after) to 2024.
THREE = ("Halton", "Blackpool", "North East Lincolnshire")
TRAIN_TO = 2022
# The national experiment's test and the executors' test need no complete data, only quick runs: three
# of the smallest.
TINY = ("Rutland", "Hartlepool", "Darlington")


@pytest.fixture(scope="module")
def pub() -> data_mod.Published:
    return data_mod.load()


@pytest.fixture(scope="module")
def small(pub: data_mod.Published) -> Backtest:
    return backtest(
        TRAIN_TO,
        (1, 2),
        authorities=THREE,
        data=None,
        replications=1,
        calibration_replications=1,
        iterations=2,
        workforce=False,
        executor="sequential",
    )


def test_chosen_authorities_have_complete_data(pub: data_mod.Published) -> None:
    for la in THREE:
        t = targets_from_data(pub, la, range(2020, 2025))
        for m in SCORED:
            first = 2021 if m.startswith("cla") else 2020
            for y in range(first, 2025):
                assert math.isfinite(t.get(m, y)), (la, m, y)


@pytest.mark.untraced
def test_backtest_table_rows_and_errors(small: Backtest) -> None:
    assert small.failures.empty, small.failures
    t = small.table
    assert len(t) == len(THREE) * len(SCORED) * 2
    assert set(t["authority"]) == set(THREE)
    assert set(t["measure"]) == set(SCORED)
    assert set(t["horizon"]) == {1, 2}
    assert set(t["year"]) == {2023, 2024}
    assert (t["year"] == TRAIN_TO + t["horizon"]).all()
    assert (t["population"] > 0).all()
    for col in ("actual", "model", "persistence", "trend", "model_ape", "persistence_ape", "trend_ape"):
        assert np.isfinite(t[col].to_numpy(dtype=float)).all(), col
    assert (t.loc[t["measure"] == "icpc_within_15wd_pct", "error_unit"] == "points").all()
    assert (t.loc[t["measure"] != "icpc_within_15wd_pct", "error_unit"] == "%").all()


def test_backtest_baselines_computed_independently(small: Backtest, pub: data_mod.Published) -> None:
    for la in THREE:
        published = targets_from_data(pub, la, range(2020, 2025))
        for m in SCORED:
            last = published.get(m, TRAIN_TO)
            past = [(y, published.get(m, y)) for y in (2020, 2021, 2022)]
            past = [(y, v) for y, v in past if math.isfinite(v)]
            slope, icpt = np.polyfit([p[0] for p in past], [p[1] for p in past], 1)
            for h in (1, 2):
                y = TRAIN_TO + h
                row = small.table[
                    (small.table["authority"] == la)
                    & (small.table["measure"] == m)
                    & (small.table["horizon"] == h)
                ]
                assert len(row) == 1
                r = row.iloc[0]
                actual = published.get(m, y)
                assert r["actual"] == pytest.approx(actual)
                assert r["persistence"] == pytest.approx(last)
                if m == "icpc_within_15wd_pct":
                    assert r["persistence_ape"] == pytest.approx(abs(last - actual))
                else:
                    assert r["persistence_ape"] == pytest.approx(100 * abs(last - actual) / actual)
                trend = max(0.0, slope * y + icpt)
                if m == "icpc_within_15wd_pct":
                    trend = min(trend, 100.0)
                assert r["trend"] == pytest.approx(trend, rel=1e-9)
                expected = (
                    abs(trend - actual) if m == "icpc_within_15wd_pct" else 100 * abs(trend - actual) / actual
                )
                assert r["trend_ape"] == pytest.approx(expected, rel=1e-9)


def test_backtest_summary_targets_and_write(small: Backtest, tmp_path: Path) -> None:
    s = small.summary()
    for col in (
        "measure",
        "horizon",
        "n",
        "model_mdape",
        "persistence_mdape",
        "trend_mdape",
        "within_10pct",
        "within_15pct",
        "mdae_points",
        "spearman",
    ):
        assert col in s.columns
    assert len(s) == len(SCORED) * 2
    assert (s["n"] == len(THREE)).all()
    icpc = s[s["measure"] == "icpc_within_15wd_pct"]
    assert icpc["mdae_points"].notna().all()
    assert icpc["within_10pct"].isna().all()
    targets = small.targets()
    assert len(targets) == 11
    assert targets["assessed"].all()
    assert targets["met"].dtype == bool
    written = small.write(tmp_path)
    names = {p.name for p in written}
    assert {"backtest_table.csv", "backtest_summary.csv", "backtest_targets.csv"} <= names
    assert {"backtest_horizon_1.png", "backtest_horizon_2.png"} <= names
    for p in written:
        assert p.stat().st_size > 0
    assert len(pd.read_csv(tmp_path / "backtest_table.csv")) == len(small.table)
    assert not list(tmp_path.glob(".*tmp"))
    assert "| measure |" in markdown_table(s[["measure", "n"]])


def test_linear_trend() -> None:
    assert linear_trend({2020: 1.0, 2021: 2.0, 2022: 3.0}, 2024) == pytest.approx(5.0)
    assert linear_trend({2020: math.nan, 2021: 10.0, 2022: 8.0}, 2024) == pytest.approx(4.0)
    assert linear_trend({2020: 9.0, 2021: 5.0, 2022: 1.0}, 2024) == 0.0
    assert linear_trend({2022: 7.0}, 2024) == 7.0
    assert math.isnan(linear_trend({}, 2024))


def test_backtest_same_on_every_executor() -> None:
    def small_run(executor: str, workers: int | None) -> Backtest:
        return backtest(
            TRAIN_TO,
            (1,),
            authorities=TINY[:2],  # two authorities, to share between two workers; the size is immaterial
            replications=1,
            calibration_replications=1,
            iterations=1,
            workforce=False,
            executor=executor,
            workers=workers,
        )

    seq = small_run("sequential", None)
    par = small_run("processes", 2)
    assert seq.failures.empty
    assert par.failures.empty
    pd.testing.assert_frame_equal(seq.table, par.table)


def test_backtest_records_failures() -> None:
    bt = backtest(TRAIN_TO, (1,), authorities=["Halton"], base="no/such/scenario.toml", executor="sequential")
    assert bt.table.empty
    assert list(bt.failures["authority"]) == ["Halton"]
    assert bt.failures["error"].iloc[0]


@pytest.mark.untraced
def test_national_totals_are_sums_of_authorities(pub: data_mod.Published) -> None:
    from caseflow import load_scenario
    from caseflow.calibrate.fit import modelled
    from caseflow.experiment.runner import run
    from caseflow.profile import build_profile

    year = 2023
    out = national(year, replications=2, authorities=TINY, data=pub, executor="sequential", batch_size=1)
    assert set(out["kpi"]) == set(KPIS)
    assert (out["year"] == year + 1).all()
    assert out.attrs["warnings"] == []
    base = load_scenario("scenarios/baseline.toml")
    sums = {kpi: np.zeros(2) for kpi in KPIS}
    for la in TINY:
        scenario = build_profile(pub, base, la, year).scenario(base)
        got = modelled(
            run(scenario, years=1, replications=2, seed=0, executor="sequential").kpis, (year + 1,)
        )
        for kpi, measure in KPIS.items():
            sums[kpi] += got[measure][:, 0]
    for kpi in KPIS:
        row = out[out["kpi"] == kpi].iloc[0]
        assert row["model"] == pytest.approx(float(np.mean(sums[kpi])))
        assert row["ci_low"] < row["model"] < row["ci_high"] or sums[kpi][0] == sums[kpi][1]
        assert row["published"] == pytest.approx(pub.national(KPIS[kpi], year + 1))
        assert row["published_base_year"] == pytest.approx(pub.national(KPIS[kpi], year))


def test_published_figures_are_loaded_once_per_process(pub: data_mod.Published) -> None:
    """A task given no figures, or a folder, loads them once in its process (cached); figures given are
    used as they are."""
    from caseflow.backtest import _published

    assert _published(pub) is pub
    loaded = _published(None)
    assert isinstance(loaded, data_mod.Published)
    assert _published(None) is loaded
    assert set(loaded.frame["la_code"]) == set(pub.frame["la_code"])
