"""Unit tests for :mod:`caseflow.scenario`: loading, ``extends``, overrides, validation messages."""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.scenario import Scenario, ScenarioError, load_scenario, validate
from caseflow.scenario.loader import apply_overrides, deep_merge

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"


def _baseline_dict() -> dict[str, Any]:
    with BASELINE.open("rb") as fh:
        return tomllib.load(fh)


# ------------------------------------------------------------------ a tiny TOML serializer

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_str(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.match(k) else _toml_str(k)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {v!r} as TOML")


def to_toml(data: dict[str, Any]) -> str:
    """Serialise a dict as TOML: scalars and arrays first, then each sub-table as a [header]."""
    lines: list[str] = []

    def table(prefix: list[str], d: dict[str, Any]) -> None:
        subtables = {k: v for k, v in d.items() if isinstance(v, dict)}
        if prefix:
            lines.append("[" + ".".join(_toml_key(p) for p in prefix) + "]")
        for k, v in d.items():
            if not isinstance(v, dict):
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in subtables.items():
            table([*prefix, k], v)

    table([], data)
    return "\n".join(lines) + "\n"


def write_scenario(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def test_serializer_round_trips_baseline() -> None:
    base = _baseline_dict()
    assert tomllib.loads(to_toml(base)) == base


def test_serializer_round_trips_awkward_values() -> None:
    data = {
        "s": 'quote " backslash \\ tab \t newline \n del \x7f nul \x00 émoji 😀',
        "weird key.with dots": [1, 2.5, True, "x", dt.date(2025, 4, 1)],
        "t": {"inner": {"deeper": -0.0}, "empty": {}},
        "big": 10**30,
    }
    assert tomllib.loads(to_toml(data)) == data
    inf_nan = tomllib.loads(to_toml({"a": math.inf, "b": -math.inf, "c": math.nan}))
    assert inf_nan["a"] == math.inf
    assert inf_nan["b"] == -math.inf
    assert math.isnan(inf_nan["c"])


# --------------------------------------------------------------------------------- loading


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


def test_bundled_baseline_loads(baseline: Scenario) -> None:
    assert isinstance(baseline, Scenario)
    assert baseline.name == "baseline"
    assert baseline.source == str(BASELINE)
    # what the file says is what the scenario holds
    raw = _baseline_dict()
    assert baseline.population == raw["population"]
    assert baseline.run.start_date == raw["run"]["start_date"]
    assert baseline.demand.contacts_per_year == raw["demand"]["contacts_per_year"]
    assert baseline.mash.outcome.referral == raw["mash"]["outcome"]["referral"]
    assert set(baseline.demand.sources) == set(raw["demand"]["sources"])


def test_load_accepts_str_path(baseline: Scenario) -> None:
    s = load_scenario(str(BASELINE))
    assert s.hash() == baseline.hash()
    assert s.source == str(BASELINE)


def test_validate_dict_matches_loaded_file(baseline: Scenario) -> None:
    s = validate(_baseline_dict())
    assert s.hash() == baseline.hash()
    assert s.source == "<dict>"


def test_validate_does_not_mutate_input() -> None:
    raw = _baseline_dict()
    before = copy.deepcopy(raw)
    validate(raw)
    assert raw == before


# ---------------------------------------------------------------------------- immutability


def test_scenario_attributes_cannot_be_assigned(baseline: Scenario) -> None:
    with pytest.raises((TypeError, ValueError)):
        baseline.population = 1  # type: ignore[misc]
    with pytest.raises((TypeError, ValueError)):
        baseline.run.years = 3  # type: ignore[misc]
    with pytest.raises((TypeError, ValueError)):
        baseline.mash.outcome.referral = 0.5  # type: ignore[misc]
    with pytest.raises((TypeError, ValueError)):
        baseline.demand.sources["police"].share = 0.5  # type: ignore[misc]
    raw = _baseline_dict()
    assert baseline.population == raw["population"]
    assert baseline.run.years == raw["run"]["years"]


def test_sequences_in_a_scenario_are_tuples(baseline: Scenario) -> None:
    assert isinstance(baseline.demand.weekday, tuple)
    assert isinstance(baseline.assessment.duration_wd.edges, tuple)
    with pytest.raises(TypeError):
        baseline.demand.weekday[0] = 9.0  # type: ignore[index]


def test_dict_fields_cannot_be_mutated() -> None:
    s = load_scenario(BASELINE)
    h = s.hash()
    with pytest.raises(TypeError):
        del s.demand.sources["police"]  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        s.looked_after.exit_routes.clear()  # type: ignore[attr-defined]
    assert s.hash() == h


# ---------------------------------------------------------------------------- with_overrides


def test_with_overrides_rejects_bad_value_with_scenario_error(baseline: Scenario) -> None:
    with pytest.raises(ScenarioError):
        baseline.with_overrides({"mash.urgent_referral": 2.0})


# Regression: at commit 5035bd8 with_overrides validated to_dict() (model_dump(mode="json"), dates as
# strings) in strict mode, so every call failed on run.start_date.
def test_with_overrides_returns_validated_copy_and_leaves_original(baseline: Scenario) -> None:
    raw = _baseline_dict()
    before = baseline.hash()
    new_years = raw["run"]["years"] + 1
    s2 = baseline.with_overrides({"demand.contacts_per_year": 16000.5, "run.years": new_years})
    assert isinstance(s2, Scenario)
    assert s2.demand.contacts_per_year == 16000.5
    assert s2.run.years == new_years
    assert s2.hash() != before
    # the original is unchanged
    assert baseline.demand.contacts_per_year == raw["demand"]["contacts_per_year"]
    assert baseline.run.years == raw["run"]["years"]
    assert baseline.hash() == before
    # untouched fields carried over
    assert s2.mash == baseline.mash
    assert s2.run.start_date == baseline.run.start_date


def test_with_overrides_empty_is_identical_and_name_kwarg(baseline: Scenario) -> None:
    assert baseline.with_overrides({}).hash() == baseline.hash()
    renamed = baseline.with_overrides({}, name="variant")
    assert renamed.name == "variant"
    assert renamed.hash() != baseline.hash()


def test_with_overrides_error_names_the_overridden_field(baseline: Scenario) -> None:
    with pytest.raises(ScenarioError) as info:
        baseline.with_overrides({"mash.urgent_referral": 2.0})
    assert [p for p, _ in info.value.problems] == ["mash.urgent_referral"]


# -------------------------------------------------------------------------------------- hash


def test_hash_is_stable_and_hex(baseline: Scenario) -> None:
    h = baseline.hash()
    assert re.fullmatch(r"[0-9a-f]{64}", h)
    assert load_scenario(BASELINE).hash() == h
    assert baseline.hash() == h


def test_hash_changes_with_any_parameter(baseline: Scenario) -> None:
    raw = _baseline_dict()
    seen = {baseline.hash()}
    mash = raw["mash"]["outcome"]
    for override in (
        {"demand.contacts_per_year": raw["demand"]["contacts_per_year"] + 1},
        {"population": raw["population"] + 1},
        {
            "mash.outcome.referral": mash["referral"] - 0.01,
            "mash.outcome.no_further_action": mash["no_further_action"] + 0.01,
        },
        {"run.warmup_years": raw["run"]["warmup_years"] + 1},
        {"description": "changed"},
        {"front_door.decision_wd.edges": [e + 0.5 for e in raw["front_door"]["decision_wd"]["edges"]]},
    ):
        h = validate(apply_overrides(raw, override)).hash()
        assert h not in seen, override
        seen.add(h)


def test_hash_ignores_int_vs_float_spelling(baseline: Scenario) -> None:
    raw = _baseline_dict()
    contacts = raw["demand"]["contacts_per_year"]
    assert contacts == int(contacts)
    a = validate(apply_overrides(raw, {"demand.contacts_per_year": int(contacts)}))
    b = validate(apply_overrides(raw, {"demand.contacts_per_year": float(contacts)}))
    assert a.hash() == b.hash() == baseline.hash()


def test_hash_ignores_where_the_scenario_came_from(tmp_path: Path, baseline: Scenario) -> None:
    child = tmp_path / "same.toml"
    child.write_text(f"extends = {_toml_str(str(BASELINE))}\n", encoding="utf-8")
    s = load_scenario(child)
    assert s.source == str(child)
    assert s.hash() == baseline.hash()


# ----------------------------------------------------------------------------------- extends


def test_extends_relative_path_with_nested_overrides(tmp_path: Path, baseline: Scenario) -> None:
    rel = os.path.relpath(BASELINE, tmp_path)
    child = tmp_path / "vacancies.toml"
    child.write_text(
        f"extends = {_toml_str(rel)}\n"
        'name = "vacancies"\n'
        "[demand]\n"
        "contacts_per_year = 15000\n"
        "[demand.sources.police]\n"
        "to_mash = 0.2\n"
        "[mash.outcome]\n"
        "referral = 0.60\n"
        "no_further_action = 0.28\n",
        encoding="utf-8",
    )
    s = load_scenario(child)
    assert s.name == "vacancies"
    assert s.demand.contacts_per_year == 15000
    assert s.demand.sources["police"].to_mash == 0.2
    # siblings of overridden keys come from the parent (tables merge key by key)
    assert s.demand.sources["police"].share == baseline.demand.sources["police"].share
    assert s.demand.sources["police"].monthly == baseline.demand.sources["police"].monthly
    assert s.demand.weekday == baseline.demand.weekday
    assert s.mash.outcome.early_help == baseline.mash.outcome.early_help
    assert s.mash.outcome.referral == 0.60
    assert s.looked_after == baseline.looked_after
    assert s.hash() != baseline.hash()


def test_extends_is_relative_to_the_extending_file_not_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    middle = sub / "middle.toml"
    middle.write_text(
        f"extends = {_toml_str(os.path.relpath(BASELINE, sub))}\npopulation = 50000\n",
        encoding="utf-8",
    )
    top = tmp_path / "top.toml"
    top.write_text('extends = "a/b/middle.toml"\nname = "top"\n[run]\nyears = 2\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_scenario(top)
    assert s.name == "top"
    assert s.population == 50000  # from the middle file
    assert s.run.years == 2  # from the top file
    assert s.run.warmup_years == _baseline_dict()["run"]["warmup_years"]  # from the baseline


def test_extends_absolute_path_and_array_replacement(tmp_path: Path) -> None:
    child = tmp_path / "c.toml"
    child.write_text(
        f"extends = {_toml_str(str(BASELINE))}\n"
        "[front_door]\n"
        "decision_wd = { edges = [0.0, 2.0], probs = [1.0] }\n",
        encoding="utf-8",
    )
    s = load_scenario(child)
    # a Banded given in the child replaces the parent's arrays (it is not merged element-wise)
    assert s.front_door.decision_wd.edges == (0.0, 2.0)
    assert s.front_door.decision_wd.probs == (1.0,)


def test_extends_child_error_names_child_file(tmp_path: Path) -> None:
    child = tmp_path / "bad_child.toml"
    child.write_text(
        f"extends = {_toml_str(str(BASELINE))}\n[mash]\nurgent_referral = 1.2\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(child) in str(info.value)
    assert "mash.urgent_referral" in str(info.value)


def test_extends_cycle(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "b.toml"\nname = "a"\n', encoding="utf-8")
    b.write_text('extends = "a.toml"\nname = "b"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    msg = str(info.value)
    assert "cycle" in msg
    assert "a.toml" in msg
    assert "b.toml" in msg


def test_extends_self_cycle(tmp_path: Path) -> None:
    a = tmp_path / "self.toml"
    a.write_text('extends = "self.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(a)


def test_extends_must_be_a_string(tmp_path: Path) -> None:
    a = tmp_path / "x.toml"
    a.write_text("extends = 3\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    assert info.value.problems[0][0] == "extends"
    assert str(a) in str(info.value)


def test_extends_missing_parent_names_the_missing_file(tmp_path: Path) -> None:
    a = tmp_path / "orphan.toml"
    a.write_text('extends = "no_such_parent.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    assert "no_such_parent.toml" in str(info.value)
    assert "not found" in str(info.value)


def test_extends_missing_parent_also_names_the_extending_file(tmp_path: Path) -> None:
    a = tmp_path / "orphan.toml"
    a.write_text('extends = "no_such_parent.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    assert str(a) in str(info.value)
    assert "extends" in str(info.value)


# -------------------------------------------------------------------------- file problems


def test_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(p) in str(info.value)
    assert "not found" in str(info.value)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_bad_toml(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('name = "x"\n[run\nyears = 1\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(p) in str(info.value)
    assert "not valid TOML" in str(info.value)


def test_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "latin1.toml"
    p.write_bytes('name = "café"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(p) in str(info.value)
    assert "UTF-8" in str(info.value)


def test_empty_file_lists_missing_sections(tmp_path: Path) -> None:
    p = tmp_path / "empty.toml"
    p.write_text("", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    paths = {path for path, _ in info.value.problems}
    assert {"name", "population", "run", "demand", "opening_stock"} <= paths
    assert all(msg == "required field is missing" for _, msg in info.value.problems)


# ---------------------------------------------------------------------- validation messages


def _load_with(tmp_path: Path, overrides: dict[str, Any], name: str = "s.toml") -> Scenario:
    p = write_scenario(tmp_path / name, apply_overrides(_baseline_dict(), overrides))
    return load_scenario(p)


def _error(tmp_path: Path, overrides: dict[str, Any]) -> tuple[str, ScenarioError]:
    p = tmp_path / "bad.toml"
    write_scenario(p, apply_overrides(_baseline_dict(), overrides))
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(p) in str(info.value), "the message must name the file"
    return str(info.value), info.value


def test_round_tripped_baseline_file_loads(tmp_path: Path, baseline: Scenario) -> None:
    assert _load_with(tmp_path, {}).hash() == baseline.hash()


def test_unknown_top_level_key(tmp_path: Path) -> None:
    msg, err = _error(tmp_path, {"colour": "blue"})
    assert err.problems[0][0] == "colour"
    assert "unknown field" in msg
    for allowed in ("name", "population", "run", "demand", "mash", "opening_stock"):
        assert allowed in err.problems[0][1]


def test_unknown_nested_key_names_dotted_path_and_allowed_fields(tmp_path: Path) -> None:
    msg, err = _error(tmp_path, {"mash.outcome.escalate": 0.1})
    assert err.problems == [
        ("mash.outcome.escalate", "unknown field; allowed here: referral, early_help, no_further_action")
    ]
    assert "mash.outcome.escalate" in msg


def test_held_vacancies_cannot_change_during_a_run(tmp_path: Path) -> None:
    """Which posts are held vacant is set when a run starts: a time-phased change of it would be ignored,
    so it is refused."""
    change = {"date": dt.date(2026, 4, 1), "field": "workforce.teams.cin_cp.held_vacant", "value": 0.1}
    _, err = _error(tmp_path, {"changes": [change]})
    path, what = err.problems[0]
    assert path == "changes[0].field"
    assert "decided when the run starts" in what


def test_unknown_key_inside_a_named_source(tmp_path: Path) -> None:
    _, err = _error(tmp_path, {"demand.sources.police.volumes": 3})
    path, what = err.problems[0]
    assert path == "demand.sources.police.volumes"
    assert "share" in what
    assert "to_mash" in what
    assert "monthly" in what
    assert "volume" in what


def test_misspelt_key_in_banded(tmp_path: Path) -> None:
    _, err = _error(tmp_path, {"front_door.decision_wd.prob": [1.0]})
    path, what = err.problems[0]
    assert path == "front_door.decision_wd.prob"
    assert "edges" in what
    assert "probs" in what


@pytest.mark.parametrize(
    ("override", "path", "expected"),
    [
        ({"population": "many"}, "population", "a whole number"),
        ({"population": 6.0e4}, "population", "a whole number"),
        ({"run.years": 2.5}, "run.years", "a whole number"),
        ({"run.start_date": "2025-04-01"}, "run.start_date", "a date"),
        ({"demand.contacts_per_year": "lots"}, "demand.contacts_per_year", "a number"),
        ({"demand.contacts_per_year": True}, "demand.contacts_per_year", "a number"),
        ({"mash.outcome": 0.5}, "mash.outcome", "a table"),
        ({"name": 5}, "name", "text"),
    ],
)
def test_wrong_type(tmp_path: Path, override: dict[str, Any], path: str, expected: str) -> None:
    msg, err = _error(tmp_path, override)
    assert path in [p for p, _ in err.problems]
    what = dict(err.problems)[path]
    assert "wrong type" in what
    assert expected in what
    assert path in msg


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"mash.urgent_referral": 1.5}, "mash.urgent_referral"),
        ({"mash.urgent_referral": -0.1}, "mash.urgent_referral"),
        ({"referral.no_further_action": 1.0000001}, "referral.no_further_action"),
        ({"demand.sources.schools.to_mash": 2}, "demand.sources.schools.to_mash"),
        ({"recontact.after_plan": -1e-9}, "recontact.after_plan"),
    ],
)
def test_probability_outside_unit_interval(tmp_path: Path, override: dict[str, Any], path: str) -> None:
    msg, err = _error(tmp_path, override)
    assert path in dict(err.problems)
    assert "[0, 1]" in dict(err.problems)[path]
    assert path in msg


def test_probability_nan_is_rejected(tmp_path: Path) -> None:
    _, err = _error(tmp_path, {"mash.urgent_referral": math.nan})
    assert "mash.urgent_referral" in dict(err.problems)


def test_probabilities_at_the_bounds_are_allowed(tmp_path: Path) -> None:
    s = _load_with(tmp_path, {"mash.urgent_referral": 0.0, "referral.no_further_action": 1.0})
    assert s.mash.urgent_referral == 0.0
    assert s.referral.no_further_action == 1.0


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"mash.outcome.referral": 0.7}, "mash.outcome"),
        ({"assessment.outcome.s47": 0.30}, "assessment.outcome"),
        ({"assessment.outcome.not_in_need": 0.0}, "assessment.outcome"),
        ({"looked_after.exit_routes.under_1.adoption": 0.6}, "looked_after.exit_routes.under_1"),
        ({"demand.sources.police.share": 0.5}, "demand"),
        ({"front_door.decision_wd.probs": [0.85, 0.10, 0.06]}, "front_door.decision_wd"),
    ],
)
def test_branch_probabilities_must_sum_to_one(tmp_path: Path, override: dict[str, Any], path: str) -> None:
    msg, err = _error(tmp_path, override)
    assert path in dict(err.problems)
    assert "sum to 1" in dict(err.problems)[path]
    assert path in msg


def test_branch_sum_within_tolerance_is_accepted(tmp_path: Path) -> None:
    referral = _baseline_dict()["mash"]["outcome"]["referral"]
    s = _load_with(tmp_path, {"mash.outcome.referral": referral + 1e-9})
    assert s.mash.outcome.referral == pytest.approx(referral)


def test_start_date_must_be_first_of_april(tmp_path: Path) -> None:
    msg, err = _error(tmp_path, {"run.start_date": dt.date(2025, 1, 1)})
    assert err.problems[0][0] == "run"
    assert "1 April" in err.problems[0][1]
    assert "2025-01-01" in msg
    # another year's 1 April is fine
    assert _load_with(tmp_path, {"run.start_date": dt.date(2030, 4, 1)}).run.start_date.year == 2030


def test_banded_needs_one_prob_per_band(tmp_path: Path) -> None:
    _, err = _error(tmp_path, {"front_door.decision_wd.probs": [0.5, 0.5]})
    assert "one entry per band" in dict(err.problems)["front_door.decision_wd"]


def test_banded_edges_must_not_decrease(tmp_path: Path) -> None:
    _, err = _error(tmp_path, {"front_door.decision_wd.edges": [0.0, 2.0, 1.0, 5.0]})
    assert "non-decreasing" in dict(err.problems)["front_door.decision_wd"]


def test_opening_stock_must_add_up(tmp_path: Path) -> None:
    _, err = _error(tmp_path, {"opening_stock.children_in_need": 10})
    assert "opening_stock" in dict(err.problems)


def test_age_band_tables_need_every_band(tmp_path: Path) -> None:
    raw = _baseline_dict()
    del raw["looked_after"]["placements"]["age_5_9"]
    p = write_scenario(tmp_path / "bands.toml", raw)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert "age_5_9" in str(info.value)
    assert "looked_after" in str(info.value)


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    _, err = _error(tmp_path, {"population": -5, "mash.urgent_referral": 3.0, "colour": "red"})
    paths = {p for p, _ in err.problems}
    assert {"population", "mash.urgent_referral", "colour"} <= paths


def test_validate_dict_error_names_source() -> None:
    raw = apply_overrides(_baseline_dict(), {"population": 0})
    with pytest.raises(ScenarioError) as info:
        validate(raw, source="my-dict")
    assert str(info.value).startswith("invalid scenario my-dict:")
    assert info.value.source == "my-dict"
    assert info.value.problems[0][0] == "population"


def test_scenario_error_is_a_value_error() -> None:
    err = ScenarioError("f.toml", [("a.b", "bad"), ("", "worse")])
    assert isinstance(err, ValueError)
    assert str(err) == "invalid scenario f.toml:\n  - a.b: bad\n  - (top level): worse"


# -------------------------------------------------------------------- deep_merge / overrides


def test_deep_merge() -> None:
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "b": [1, 2], "c": 3}
    override = {"a": {"y": {"q": 20, "r": 30}}, "b": [9], "c": {"now": "table"}, "d": 4}
    before = copy.deepcopy(base)
    merged = deep_merge(base, override)
    assert merged == {
        "a": {"x": 1, "y": {"p": 1, "q": 20, "r": 30}},
        "b": [9],
        "c": {"now": "table"},
        "d": 4,
    }
    assert base == before  # inputs untouched
    merged["a"]["y"]["p"] = 99
    merged["b"].append(1)
    assert base == before  # and not aliased
    assert override["b"] == [9]


def test_deep_merge_table_replaced_by_scalar() -> None:
    assert deep_merge({"a": {"x": 1}}, {"a": 5}) == {"a": 5}


def test_apply_overrides_sets_dotted_paths_without_mutating() -> None:
    data = {"a": {"b": {"c": 1}}, "z": 0}
    before = copy.deepcopy(data)
    out = apply_overrides(data, {"a.b.c": 2, "a.new.deep": [1, 2], "z": dt.date(2025, 4, 1)})
    assert out == {"a": {"b": {"c": 2}, "new": {"deep": [1, 2]}}, "z": dt.date(2025, 4, 1)}
    assert data == before


def test_apply_overrides_cannot_set_inside_a_scalar() -> None:
    with pytest.raises(ScenarioError) as info:
        apply_overrides({"a": 1}, {"a.b": 2})
    assert info.value.problems[0][0] == "a"


def test_apply_overrides_rejects_unsupported_values() -> None:
    with pytest.raises(ScenarioError) as info:
        apply_overrides({"a": 1}, {"a": None})
    assert info.value.problems[0][0] == "a"
    with pytest.raises(ScenarioError):
        apply_overrides({"a": 1}, {"a": object()})


# ----------------------------------------------------------------------- nasty inputs


def test_extends_with_nul_byte_raises_scenario_error(tmp_path: Path) -> None:
    p = tmp_path / "nul.toml"
    p.write_text('extends = "base\\u0000.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(p)


def test_a_dictionary_nested_too_deep_is_refused_naming_where() -> None:
    """TOML this deep fails to parse (below); a dictionary given to ``validate`` is measured instead."""
    from caseflow.scenario.limits import MAX_DEPTH

    deep: dict[str, object] = {"leaf": 1}
    for _ in range(MAX_DEPTH + 1):
        deep = {"table": deep}
    with pytest.raises(ScenarioError, match=f"nested more than {MAX_DEPTH} deep") as caught:
        validate({"name": "deep", "extra": deep}, source="deep.toml")
    assert "deep.toml" in str(caught.value)
    assert "extra.table.table" in str(caught.value)
    ok: dict[str, object] = {"leaf": 1}
    for _ in range(MAX_DEPTH - 2):
        ok = {"table": ok}
    with pytest.raises(ScenarioError) as other:  # refused for an unknown field, not for its depth
        validate({"extra": ok}, source="ok.toml")
    assert "nested more than" not in str(other.value)


def test_deeply_nested_toml_raises_scenario_error(tmp_path: Path) -> None:
    p = tmp_path / "deep.toml"
    p.write_text("a = " + "[" * 2000 + "]" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(p)


# ------------------------------------------------------------------- fuzzing malformed files

_BASE = _baseline_dict()

_scalar = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.sampled_from([-1.0, -1e-9, 1.0000001, 2.0, 1e308, -1e308, 0.0, 1.0, -1, 10**15]),
)
_value = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, max_size=3),
    ),
    max_leaves=8,
)


def _paths(d: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for k, v in d.items():
        out.append((*prefix, k))
        if isinstance(v, dict):
            out.extend(_paths(v, (*prefix, k)))
    return out


_ALL_PATHS = _paths(_BASE)


def _get(d: dict[str, Any], path: tuple[str, ...]) -> Any:
    for k in path:
        d = d[k]
    return d


_TABLE_PATHS = [(), *[p for p in _ALL_PATHS if isinstance(_get(_BASE, p), dict)]]


@st.composite
def _mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(_BASE)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "add", "replace", "out_of_range"]))
        if op == "add":
            table = draw(st.sampled_from(_TABLE_PATHS))
            try:
                node = _get(data, table)
            except (KeyError, TypeError):
                continue
            if not isinstance(node, dict):
                continue
            key = "zz_" + draw(st.from_regex(r"[a-z_]{1,10}", fullmatch=True))
            node[key] = draw(_value)
            continue
        path = draw(st.sampled_from(_ALL_PATHS))
        try:
            parent = _get(data, path[:-1])
        except (KeyError, TypeError):
            continue
        if not isinstance(parent, dict) or path[-1] not in parent:
            continue
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = draw(_value)
        else:
            parent[path[-1]] = draw(
                st.sampled_from([-1, -0.5, 1.5, 2, 1e9, -1e9, 0, 0.0, math.inf, -math.inf, math.nan])
            )
    return data


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz").resolve()


def _assert_loads_or_scenario_error(path: Path) -> None:
    error: ScenarioError | None = None
    try:
        s = load_scenario(path)
    except ScenarioError as exc:  # anything else propagates and fails the test
        error = exc
    if error is None:
        assert isinstance(s, Scenario)
        assert re.fullmatch(r"[0-9a-f]{64}", s.hash())
    else:
        assert str(path) in str(error), str(error)
        assert error.problems


@pytest.mark.untraced
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_mutated())
def test_fuzz_mutated_baseline_loads_or_raises_scenario_error(fuzz_dir: Path, data: dict[str, Any]) -> None:
    path = fuzz_dir / "mutated.toml"
    write_scenario(path, data)
    _assert_loads_or_scenario_error(path)


@settings(max_examples=100, deadline=None)
@given(blob=st.binary(max_size=300))
def test_fuzz_random_bytes(fuzz_dir: Path, blob: bytes) -> None:
    path = fuzz_dir / "bytes.toml"
    path.write_bytes(blob)
    _assert_loads_or_scenario_error(path)


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("[]{}=\".,\n #ab1_-:'\\tT")) | st.characters(), max_size=200)
)
def test_fuzz_garbage_toml_text(fuzz_dir: Path, text: str) -> None:
    path = fuzz_dir / "text.toml"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    _assert_loads_or_scenario_error(path)


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=BASELINE.stat().st_size))
def test_fuzz_truncated_baseline(fuzz_dir: Path, cut: int) -> None:
    path = fuzz_dir / "truncated.toml"
    path.write_bytes(BASELINE.read_bytes()[:cut])
    _assert_loads_or_scenario_error(path)


# ---------------------------------------------------------------------- extends: paths that cannot be used
@pytest.mark.parametrize(
    ("extends", "message"),
    [
        ("a" * 5000, "File name too long"),
        ("b/" * 3000 + "x.toml", "File name too long"),
        ("nope.toml", "was not found"),
    ],
)
def test_unusable_extends_paths_are_scenario_errors(tmp_path: Path, extends: str, message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{extends}"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (where, what), *_ = info.value.problems
    assert where == "extends"
    assert message in what
    assert len(str(info.value)) < 1000  # a 5,000-character path is not echoed whole


def test_an_extends_symlink_loop_is_a_scenario_error(tmp_path: Path) -> None:
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    path = tmp_path / "s.toml"
    path.write_text('extends = "loop1"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="loop of symbolic links"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="loop of symbolic links"):
        load_scenario(tmp_path / "loop1")


def test_extends_chains_have_a_depth_limit(tmp_path: Path) -> None:
    from caseflow.scenario.loader import MAX_EXTENDS

    (tmp_path / "f0.toml").write_text('name = "x"\n', encoding="utf-8")
    for i in range(1, MAX_EXTENDS + 3):
        (tmp_path / f"f{i}.toml").write_text(f'extends = "f{i - 1}.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="more than 32 files deep"):
        load_scenario(tmp_path / f"f{MAX_EXTENDS + 2}.toml")
