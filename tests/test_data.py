"""caseflow.data: published DfE/ONS statistics read as published, on the real files in data/dfe.

Every figure checked here is a published one, read from the raw files (data/dfe) by hand: no invented
figures for real authorities. The one synthetic layout (a 2025 copy of the 2024 rows) lives only in a
test's tmp_path and is marked as such.
"""

from __future__ import annotations

import ast
import gzip
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.data import (
    CHANGES,
    ESTIMATED_FROM_JOINT_RETURN,
    ESTIMATED_FROM_PREDECESSOR,
    MEASURES,
    NO_POPULATION_SHARE,
    PREDECESSOR_CODE,
    DataError,
    Published,
    build_snapshot,
    find_file,
    get_measure,
    load,
    parse_values,
    read_published,
    read_snapshot,
    reporting_year,
    reporting_year_source,
)
from caseflow.data.__main__ import main
from caseflow.data.geography import Geography
from caseflow.data.reader import read_table
from caseflow.data.snapshot import shipped_snapshot

REPO = Path(__file__).resolve().parents[1]
DFE = REPO / "data" / "dfe"
SNAPSHOT = REPO / "src" / "caseflow" / "data" / "published.csv.gz"

NORTHANTS, NORTH_N, WEST_N = "E10000021", "E06000061", "E06000062"
CUMBRIA, CUMBERLAND, WESTMORLAND = "E10000006", "E06000063", "E06000064"
BOURNEMOUTH, POOLE, DORSET_COUNTY, BCP, DORSET = (
    "E06000028",
    "E06000029",
    "E10000009",
    "E06000058",
    "E06000059",
)
NORTH_YORKS_OLD, NORTH_YORKS = "E10000023", "E06000065"


@pytest.fixture(scope="session")
def snap() -> Published:
    return load()


@pytest.fixture(scope="session")
def raw() -> Published:
    return load(DFE)


def raw_cell(prefix: str, year: int, code: str, column: str, **filters: str) -> str:
    """One cell of a raw published file, as text."""
    table = read_table(find_file(DFE, prefix), ["time_period", "new_la_code", column, *filters])
    rows = table[(table["time_period"] == str(year)) & (table["new_la_code"] == code)]
    for key, value in filters.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, (prefix, year, code, column, filters)
    return str(rows[column].iloc[0])


def published(frame: pd.DataFrame, measure: str, code: str, year: int) -> float:
    """A figure as published for a code (any code, current or not) in the tidy table."""
    rows = frame[(frame["measure"] == measure) & (frame["la_code"] == code) & (frame["year"] == year)]
    assert len(rows) == 1, (measure, code, year)
    return float(rows["value"].iloc[0])


# ---- the raw files --------------------------------------------------------------------------------


def test_raw_files_are_gzip_copies_under_2mb() -> None:
    files = sorted(DFE.glob("*.csv.gz"))
    assert len(files) == 11
    for f in files:
        assert f.stat().st_size < 2_000_000, f
        with gzip.open(f, "rt", encoding="utf-8") as text:
            assert text.readline().startswith("time_period,time_identifier,geographic_level"), f


# ---- codes: NaN and a flag, never zero ------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "year", "code", "column", "token", "measure"),
    [
        ("c1_children_in_need_referrals", 2024, "E10000014", "referral_count", "u", "referrals"),  # Hampshire
        ("c1_children_in_need_referrals", 2021, "E09000012", "referral_count", "x", "referrals"),  # Hackney
        ("d5_cpps_at31march", 2024, "E06000023", "1_year_less_than_2_years", "c", "cp_at_31_march_1_2y"),
        ("c4_children_in_need_section_47s", 2024, "E06000053", "Duration_median", "z", "icpc_median_wd"),
        ("csww_indicators", 2024, "E08000024", "agency_fte", "low", "sw_agency_fte"),  # Sunderland
        ("csww_indicators", 2024, "E08000024", "leavers_fte", "u", "sw_leavers_fte"),
    ],
)
def test_published_codes_become_nan_with_their_flag(
    snap: Published, prefix: str, year: int, code: str, column: str, token: str, measure: str
) -> None:
    assert raw_cell(prefix, year, code, column) == token  # the cell really is that code
    assert math.isnan(snap.value(measure, code, year))
    assert snap.flag(measure, code, year) == token
    assert snap.source(measure, code, year).flag == token
    rows = snap.frame[(snap.frame["measure"] == measure) & (snap.frame["la_code"] == code)]
    assert (rows["value"] == 0).sum() == (rows["flag"] == "").mul(
        rows["value"] == 0
    ).sum()  # no code became 0


def test_z_in_the_cla_file_for_an_authority_that_did_not_exist() -> None:
    pop_type = "Children looked after on 31 March each year"
    assert (
        raw_cell("cla_number_and_rate", 2021, CUMBERLAND, "children_count", population_type=pop_type) == "z"
    )
    frame = read_published(DFE, (get_measure("cla_at_31_march"),))
    row = frame[(frame["la_code"] == CUMBERLAND) & (frame["year"] == 2021)].iloc[0]
    assert math.isnan(row["value"])
    assert row["flag"] == "z"


def test_no_code_is_ever_read_as_zero(snap: Published) -> None:
    frame = snap.frame
    assert frame.loc[frame["flag"] != "", "value"].isna().all()
    assert frame.loc[frame["flag"] == "", "value"].notna().all()
    assert set(frame["flag"]) >= {"", "c", "x", "u", "z", "low"}


@given(st.text(max_size=8) | st.from_regex(r"\s*[+-]?[0-9]*\.?[0-9]*([eE][+-]?[0-9]+)?\s*", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_any_non_numeric_token_is_nan_with_a_flag(token: str) -> None:
    values, flags = parse_values([token])
    number = math.nan
    try:
        number = float(token.strip())
        numeric = math.isfinite(number) and token.strip().lower().lstrip("+-")[:1] not in ("i", "n")
    except ValueError:
        numeric = False
    if numeric and token.strip().isascii() and "_" not in token:
        assert values[0] == pytest.approx(number)
        assert flags[0] == ""
    else:
        assert math.isnan(values[0])
        assert flags[0] != ""


def test_parse_values_on_every_published_code() -> None:
    values, flags = parse_values(
        ["12", "0", "22.4", "c", "x", "u", "z", "k", "low", "", " ", "nan", "inf", "1e3"]
    )
    assert list(values[:3]) == [12.0, 0.0, 22.4]
    assert np.isnan(values[3:13]).all()
    assert list(flags[3:13]) == ["c", "x", "u", "z", "k", "low", "empty", "empty", "nan", "inf"]
    assert values[13] == 1000.0


# ---- known published figures ----------------------------------------------------------------------


def test_known_national_regional_and_la_figures(snap: Published) -> None:
    assert snap.national("referrals", 2024) == 621880
    assert snap.national("cla_at_31_march", 2024) == 83530
    assert snap.regional("referrals", "North East", 2024) == 32050
    assert snap.regional("referrals", "E12000001", 2024) == 32050
    assert snap.value("referrals", "Hackney", 2024) == 3782
    assert snap.value("cla_at_31_march", "Hampshire", 2023) == 1859
    assert snap.value("cla_at_31_march", "Cumberland", 2024) == 482
    assert snap.value("sw_fte", "Hackney", 2024) == 178.7
    assert snap.value("population_0_17", "Westmorland and Furness", 2024) == 39153
    assert snap.value("cla_3plus_sw", "Bristol", 2024) == float(
        raw_cell(
            "la_cla_swcount",
            2024,
            "E06000023",
            "number",
            sw_stability="3 or more social workers during the year",
        )
    )
    # The two "more than 20 miles" breakdowns summed.
    inside, outside = (
        float(
            raw_cell(
                "la_cla_during_year_new_placements",
                2024,
                "E10000014",
                "children_count",
                breakdown=f"Placed {where} LA boundary more than 20 miles from home",
            )
        )
        for where in ("inside", "outside")
    )
    assert snap.value("cla_new_placements_over_20_miles", "Hampshire", 2024) == inside + outside


def test_every_registry_measure_is_read(snap: Published) -> None:
    assert set(snap.frame["measure"]) == {m.name for m in MEASURES}
    for m in MEASURES:
        assert snap.years(m), m.name
        assert not math.isnan(snap.national(m, max(snap.years(m)))), m.name


def test_unreliable(snap: Published) -> None:
    hampshire = snap.unreliable("Hampshire", 2024)
    assert "referrals" in hampshire
    assert "cin_at_31_march" in hampshire
    assert snap.unreliable("Hackney", 2024) == []
    assert set(snap.unreliable("Sunderland", 2024)) == {"sw_leavers_fte", "sw_turnover_pct"}


def test_source_of_a_published_figure(snap: Published) -> None:
    s = snap.source("cla_at_31_march", "E09000012", 2024)
    assert s.file == "cla_number_and_rate_per_10k_children.csv"
    assert s.column == "children_count"
    assert dict(s.filter) == {"population_type": "Children looked after on 31 March each year"}
    assert (s.year, s.la_code, s.la_name, s.flag, s.basis, s.derived) == (
        2024,
        "E09000012",
        "Hackney",
        None,
        "published",
        None,
    )
    assert snap.flag("cla_at_31_march", "E09000012", 2024) is None
    assert snap.flag("cla_at_31_march", "E09000012", 1990) == "absent"
    assert math.isnan(snap.value("cla_at_31_march", "E09000012", 1990))


# ---- years ----------------------------------------------------------------------------------------


def test_year_pairing() -> None:
    assert reporting_year_source("referrals", 2024) == 2024
    assert reporting_year_source("cla_at_31_march", 2024) == 2024
    assert reporting_year_source("sw_caseload", 2024) == 2023  # 30 September 2023
    assert reporting_year_source("population_0_17", 2024) == 2023  # ONS mid-2023
    assert reporting_year("population_0_17", 2023) == 2024
    assert {m.period for m in MEASURES} == {
        "year to 31 March",
        "at 31 March",
        "at 30 September",
        "year to 30 September",
        "mid-year",
    }


def test_dfe_cla_rates_use_the_ons_mid_year_before(snap: Published) -> None:
    """The CLA file's own denominator for 2024 is the ONS mid-2023 estimate: the pairing in the data."""
    denominator = raw_cell(
        "cla_number_and_rate",
        2024,
        CUMBERLAND,
        "population_estimate",
        population_type="Children looked after on 31 March each year",
    )
    assert float(denominator) == snap.value(
        "population_0_17", CUMBERLAND, reporting_year_source("cla_rate_per_10k", 2024) - 1
    )


def test_profile_reads_each_measure_from_its_paired_period(snap: Published) -> None:
    profile = snap.profile("Hackney", 2024)
    assert profile.loc["referrals", "time_period"] == 2024
    assert profile.loc["sw_fte", "time_period"] == 2023
    assert profile.loc["sw_fte", "value"] == snap.value("sw_fte", "Hackney", 2023)
    assert profile.loc["population_0_17", "time_period"] == 2023


def test_unknown_measure_suggests_names(snap: Published) -> None:
    with pytest.raises(DataError, match="re_referrals"):
        snap.value("rereferrals", "Hackney", 2024)


# ---- geography ------------------------------------------------------------------------------------


def test_changes_match_the_data(snap: Published) -> None:
    """Every change in CHANGES is in the files: predecessors publish until first_year - 1 in the CIN
    census and successors from first_year."""
    frame = snap.frame
    b1 = frame[(frame["measure"] == "cin_at_31_march") & (frame["level"] == "Local authority")]
    for change in CHANGES:
        if change.first_year == 2014:  # the Gateshead/Northumberland recodes: only C4 kept the old codes
            c4 = frame[frame["measure"] == "s47"]
            assert set(c4.loc[c4["la_code"].isin(change.predecessors), "year"]) == set(range(2013, 2020))
            continue
        for p in change.predecessors:
            assert b1.loc[b1["la_code"] == p, "year"].max() == change.first_year - 1, p
        for s in change.successors:
            assert b1.loc[b1["la_code"] == s, "year"].min() == change.first_year, s


def test_current_authorities(snap: Published) -> None:
    everyone = snap.authorities()
    assert len(everyone) == 153
    assert not set(everyone["code"]) & {p for c in CHANGES for p in c.predecessors}
    assert len(snap.authorities(2024)) == 153
    in_2021 = set(snap.authorities(2021)["code"])
    assert NORTH_N not in in_2021
    assert CUMBERLAND not in in_2021
    assert BCP in in_2021
    assert NORTH_YORKS in in_2021
    yorks = snap.find(NORTH_YORKS)
    assert (yorks.name, yorks.region, yorks.old_code, yorks.predecessors) == (
        "North Yorkshire",
        "Yorkshire and The Humber",
        "815",
        (NORTH_YORKS_OLD,),
    )


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("north yorkshire", NORTH_YORKS),
        ("815", NORTH_YORKS),
        (NORTH_YORKS_OLD, NORTH_YORKS),
        ("e06000065", NORTH_YORKS),
        ("ST HELENS", "E08000013"),
        ("St. Helens", "E08000013"),
        ("Brighton & Hove", "E06000043"),
        ("brighton and hove", "E06000043"),
        ("Bristol", "E06000023"),
        ("City of Bristol", "E06000023"),
        ("Bristol, City of", "E06000023"),
        ("Richmond", "E09000027"),
        ("Bournemouth", BCP),
        ("E10000002", "E06000060"),
        ("E08000020", "E08000037"),
        ("westmorland & furness", WESTMORLAND),
    ],
)
def test_find(snap: Published, query: str, code: str) -> None:
    assert snap.find(query).code == code


def test_find_a_split_authority_names_its_successors(snap: Published) -> None:
    with pytest.raises(DataError, match=r"North Northamptonshire.*West Northamptonshire"):
        snap.find("Northamptonshire")
    with pytest.raises(DataError, match="Cumberland"):
        snap.find(CUMBRIA)


def test_find_unknown_suggests_close_matches(snap: Published) -> None:
    with pytest.raises(DataError, match=r"close matches: .*Hackney"):
        snap.find("Hackny")
    with pytest.raises(DataError, match="Kingston upon Thames"):
        snap.find("Kingston")  # two Kingstons
    with pytest.raises(DataError, match="no local authority"):
        snap.find("Atlantis")


def test_split_successor_takes_its_population_share(snap: Published) -> None:
    frame = snap.frame
    north_2021 = published(frame, "population_0_17", NORTH_N, 2021)  # ONS mid-2021, the first year of both
    west_2021 = published(frame, "population_0_17", WEST_N, 2021)
    share = north_2021 / (north_2021 + west_2021)
    northants_2019 = published(frame, "referrals", NORTHANTS, 2019)
    assert northants_2019 == 11266
    assert snap.value("referrals", NORTH_N, 2019) == pytest.approx(northants_2019 * share)
    assert snap.flag("referrals", NORTH_N, 2019) == ESTIMATED_FROM_PREDECESSOR
    source = snap.source("referrals", NORTH_N, 2019)
    assert (source.la_code, source.la_name, source.basis) == (
        NORTHANTS,
        "Northamptonshire",
        ESTIMATED_FROM_PREDECESSOR,
    )
    assert source.derived is not None
    assert f"{share:.4f}" in source.derived
    assert "mid-2021" in source.derived


@pytest.mark.parametrize("measure", ["referrals", "s47", "cp_at_31_march", "sw_fte", "population_0_17"])
@pytest.mark.parametrize("year", [2017, 2019])
def test_split_successors_add_up_to_the_predecessor(snap: Published, measure: str, year: int) -> None:
    total = published(snap.frame, measure, NORTHANTS, year)
    parts = snap.value(measure, NORTH_N, year) + snap.value(measure, WEST_N, year)
    assert parts == pytest.approx(total, rel=1e-12)
    cumbria = published(snap.frame, measure, CUMBRIA, year)
    assert snap.value(measure, CUMBERLAND, year) + snap.value(measure, WESTMORLAND, year) == pytest.approx(
        cumbria
    )


def test_split_successor_inherits_rates_unscaled(snap: Published) -> None:
    for measure in ("re_referral_pct", "sw_caseload", "icpc_median_wd"):
        assert snap.value(measure, NORTH_N, 2019) == published(snap.frame, measure, NORTHANTS, 2019)
        assert snap.value(measure, WEST_N, 2019) == published(snap.frame, measure, NORTHANTS, 2019)
        assert snap.flag(measure, NORTH_N, 2019) == ESTIMATED_FROM_PREDECESSOR


def test_cla_z_years_are_estimated_from_the_predecessor(snap: Published) -> None:
    """The CLA file restates Cumberland with z for 2021-2023; the history estimates them from Cumbria."""
    share = snap.geography.shares[(CUMBRIA, CUMBERLAND)].value
    for year in (2021, 2022, 2023):
        assert snap.value("cla_at_31_march", CUMBERLAND, year) == pytest.approx(
            published(snap.frame, "cla_at_31_march", CUMBRIA, year) * share
        )
        assert snap.flag("cla_at_31_march", CUMBERLAND, year) == ESTIMATED_FROM_PREDECESSOR
    assert snap.flag("cla_at_31_march", CUMBERLAND, 2024) is None


def test_joint_workforce_return_is_split_by_population(snap: Published) -> None:
    joint = published(snap.frame, "sw_fte", f"{NORTH_N} / {WEST_N}", 2022)
    assert joint == 337.9
    north, west = (published(snap.frame, "population_0_17", c, 2022) for c in (NORTH_N, WEST_N))
    assert snap.value("sw_fte", NORTH_N, 2022) == pytest.approx(joint * north / (north + west))
    assert snap.value("sw_fte", NORTH_N, 2022) + snap.value("sw_fte", WEST_N, 2022) == pytest.approx(joint)
    assert snap.flag("sw_fte", WEST_N, 2022) == ESTIMATED_FROM_JOINT_RETURN
    assert snap.value("sw_caseload", WEST_N, 2022) == published(
        snap.frame, "sw_caseload", f"{NORTH_N} / {WEST_N}", 2022
    )
    # Kingston and Richmond share a return in every year.
    assert snap.flag("sw_fte", "Kingston upon Thames", 2024) == ESTIMATED_FROM_JOINT_RETURN


def test_recoded_authority_has_the_predecessor_series(snap: Published) -> None:
    series = snap.series("referrals", NORTH_YORKS)
    assert list(series.index) == list(range(2013, 2025))
    old = snap.frame[(snap.frame["measure"] == "referrals") & (snap.frame["la_code"] == NORTH_YORKS_OLD)]
    assert old["year"].tolist() == list(range(2013, 2024))
    assert series.loc[2013:2023].tolist() == old["value"].tolist()
    assert snap.flag("referrals", NORTH_YORKS, 2013) == PREDECESSOR_CODE
    assert snap.flag("referrals", NORTH_YORKS, 2024) is None
    assert snap.source("referrals", NORTH_YORKS, 2013).la_code == NORTH_YORKS_OLD


def test_bcp_before_2020_needs_a_christchurch_share_ons_does_not_give(snap: Published) -> None:
    """The ONS file marks Bournemouth, Poole and Dorset county x in every year, so Christchurch's share
    of Dorset county is unknown: BCP's and Dorset's counts before 2020 are NaN, flagged, never guessed."""
    for code in (BOURNEMOUTH, POOLE, DORSET_COUNTY):
        assert raw_cell("ons_mid-year_population", 2018, code, "population_estimate") == "x"
    assert math.isnan(snap.value("referrals", BCP, 2018))
    assert snap.flag("referrals", BCP, 2018) == NO_POPULATION_SHARE
    assert snap.flag("referrals", DORSET, 2018) == NO_POPULATION_SHARE
    assert "not published" in str(snap.source("referrals", BCP, 2018).derived)
    # Dorset inherits Dorset county's rates (no share needed).
    assert snap.value("re_referral_pct", DORSET, 2018) == published(
        snap.frame, "re_referral_pct", DORSET_COUNTY, 2018
    )
    assert snap.value("referrals", BCP, 2021) == published(snap.frame, "referrals", BCP, 2021)


@pytest.mark.parametrize("christchurch", [0.0, 0.15, 0.5, 1.0])
def test_bcp_with_a_given_christchurch_share(snap: Published, christchurch: float) -> None:
    geography = Geography(snap.frame, {DORSET_COUNTY: {BCP: christchurch, DORSET: 1 - christchurch}})
    history = geography.history((get_measure("referrals"),))

    def at(code: str, year: int) -> float:
        return float(history.loc[(history["la_code"] == code) & (history["year"] == year), "value"].iloc[0])

    for year in (2013, 2018, 2019):
        b, p, d = (published(snap.frame, "referrals", c, year) for c in (BOURNEMOUTH, POOLE, DORSET_COUNTY))
        assert at(BCP, year) == pytest.approx(b + p + christchurch * d)
        assert at(DORSET, year) == pytest.approx((1 - christchurch) * d)
        assert at(BCP, year) + at(DORSET, year) == pytest.approx(b + p + d)


def test_bad_shares_are_refused(snap: Published) -> None:
    with pytest.raises(DataError, match="add to 1"):
        Geography(snap.frame, {DORSET_COUNTY: {BCP: 0.5, DORSET: 0.6}})
    with pytest.raises(DataError, match="split"):
        Geography(snap.frame, {NORTH_YORKS_OLD: {NORTH_YORKS: 1.0}})


def test_every_derived_figure_is_flagged(snap: Published) -> None:
    h = snap.history
    derived = h[h["basis"] != "published"]
    assert len(derived) > 0
    assert (derived["note"] != "").all()
    assert (h.loc[h["basis"] == "published", "note"] == "").all()
    assert set(h["la_code"]) <= set(snap.authorities()["code"])
    assert not h.duplicated(["measure", "la_code", "year"]).any()


# ---- snapshot -------------------------------------------------------------------------------------


@pytest.mark.untraced
def test_snapshot_rebuild_is_byte_for_byte(tmp_path: Path) -> None:
    out = build_snapshot(DFE, tmp_path / "published.csv.gz")
    assert out.read_bytes() == SNAPSHOT.read_bytes()
    assert SNAPSHOT.read_bytes() == shipped_snapshot().read_bytes()
    assert SNAPSHOT.stat().st_size < 2_000_000
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed into place


@pytest.mark.untraced
def test_snapshot_load_equals_raw_load(snap: Published, raw: Published) -> None:
    pd.testing.assert_frame_equal(snap.frame, raw.frame, check_exact=True)
    pd.testing.assert_frame_equal(snap.history, raw.history, check_exact=True)
    for m in MEASURES:
        for code in ("E09000012", NORTH_N, NORTH_YORKS, BCP):
            a, b = snap.series(m, code), raw.series(m, code)
            pd.testing.assert_series_equal(a, b, check_exact=True)
            for year in a.index:
                assert snap.flag(m, code, year) == raw.flag(m, code, year)
                assert snap.source(m, code, year) == raw.source(m, code, year)


def test_snapshot_file_loads_from_a_path() -> None:
    assert load(SNAPSHOT).frame.equals(read_snapshot())


def test_cli_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "snap.csv.gz"
    assert main(["build", "--from", str(DFE), "--out", str(out)]) == 0
    assert out.read_bytes() == SNAPSHOT.read_bytes()
    assert "wrote" in capsys.readouterr().out
    assert main(["build", "--from", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "nowhere" in capsys.readouterr().err


# ---- newer downloads ------------------------------------------------------------------------------


@pytest.mark.untraced
def test_renamed_newer_files_are_found(tmp_path: Path, snap: Published) -> None:
    for f in DFE.glob("*.csv.gz"):
        name = f.name.replace("_2024", "_2025") if "_to_" in f.name else f.name
        shutil.copy(f, tmp_path / name)
    assert find_file(tmp_path, "b1_children_in_need").name == "b1_children_in_need_2013_to_2025.csv.gz"
    newer = load(tmp_path)
    for m in MEASURES:
        assert newer.years(m) == snap.years(m)
    assert newer.value("referrals", "Hackney", 2024) == 3782


@pytest.mark.untraced
def test_a_later_year_is_read_with_no_code_change(tmp_path: Path) -> None:
    for f in DFE.glob("*.csv.gz"):
        shutil.copy(f, tmp_path / f.name)
    # SYNTHETIC LAYOUT TEST ONLY: the 2024 rows relabelled 2025, in tmp_path, to stand for a newer
    # download. These are not figures for 2025.
    b1 = pd.read_csv(DFE / "b1_children_in_need_2013_to_2024.csv.gz", dtype=str, keep_default_na=False)
    later = pd.concat([b1[b1["time_period"] == "2024"].assign(time_period="2025"), b1])
    later.to_csv(tmp_path / "b1_children_in_need_2013_to_2025.csv", index=False)
    # Both the old and the newer file are in the directory: the later end year wins.
    assert find_file(tmp_path, "b1_children_in_need").name == "b1_children_in_need_2013_to_2025.csv"
    newer = load(tmp_path)
    assert newer.years("cin_at_31_march")[-1] == 2025
    assert newer.years("referrals")[-1] == 2024


def test_exact_repeated_rows_are_read_once_conflicting_ones_refused(tmp_path: Path) -> None:
    for f in DFE.glob("*.csv.gz"):
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / "la_cla_swcount.csv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    repeated = [*lines, lines[-1]]
    path.unlink()
    (tmp_path / "la_cla_swcount.csv").write_text("\n".join(repeated) + "\n")
    assert len(load(tmp_path).frame) == len(load().frame)
    last = lines[-1].split(",")
    last[-2] = str(int(last[-2]) + 1) if last[-2].isdigit() else "1"
    (tmp_path / "la_cla_swcount.csv").write_text("\n".join([*lines, ",".join(last)]) + "\n")
    with pytest.raises(DataError, match="conflicting rows"):
        load(tmp_path)


# ---- bad input ------------------------------------------------------------------------------------


def test_missing_file_names_directory_and_file(tmp_path: Path) -> None:
    for f in DFE.glob("*.csv.gz"):
        if not f.name.startswith("csww"):
            shutil.copy(f, tmp_path / f.name)
    with pytest.raises(DataError, match=r"csww_indicators\*\.csv") as error:
        load(tmp_path)
    assert str(tmp_path) in str(error.value)


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    for f in DFE.glob("*.csv.gz"):
        shutil.copy(f, tmp_path / f.name)
    c1 = pd.read_csv(DFE / "c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv.gz", dtype=str)
    (tmp_path / "c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv.gz").unlink()
    c1.drop(columns="referral_count").to_csv(
        tmp_path / "c1_children_in_need_referrals_and_rereferrals.csv", index=False
    )
    with pytest.raises(
        DataError, match=r"c1_children_in_need_referrals_and_rereferrals\.csv.*'referral_count'"
    ):
        load(tmp_path)


def test_not_a_directory() -> None:
    with pytest.raises(DataError, match="not a directory"):
        load(REPO / "no-such-directory")
    assert issubclass(DataError, ValueError)


# ---- imports --------------------------------------------------------------------------------------


def test_data_package_imports_only_pandas_and_numpy() -> None:
    """caseflow.data's own modules import nothing heavy (matplotlib, scipy) nor the simulation model."""
    forbidden = ("matplotlib", "scipy", "simpy", "caseflow.model", "caseflow.experiment", "caseflow.scenario")
    for path in (REPO / "src" / "caseflow" / "data").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(forbidden), (path.name, name)


def test_docs_list_every_measure() -> None:
    text = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    table = text[text.index("## The measures") :]
    listed = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert listed == {m.name for m in MEASURES}
