"""Hypothesis strategies that make malformed and extreme scenarios (issue 14, item 3).

Shared by the fuzzing tests (``tests/test_fuzz_scenarios.py``, a few hundred cases in every CI run) and
the long run (``scripts/fuzz_scenarios.py``, 10,000 cases, figures in docs/validation.md). Three kinds of
case, each starting from a bundled scenario:

* **values**: one or more fields anywhere in the scenario (tables, arrays, changes, provenance) replaced
  by a hostile value (NaN, infinity, huge or negative numbers, long or odd text, wrong types, deep
  tables), a field removed or an unknown one added; checked with :func:`caseflow.scenario.validate`;
* **changes**: time-phased changes of any real field, with hostile dates, factors, values and ramps;
* **files**: the TOML text of a bundled file with a line's value replaced by a hostile TOML literal,
  bytes inserted or flipped, the file cut short, or an ``extends`` that points somewhere odd; checked
  with :func:`caseflow.scenario.load_scenario` on the written file.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
#: Every bundled scenario file (the England baseline, its variants, the briefing options).
BUNDLED = sorted([*REPO.glob("scenarios/*.toml"), *REPO.glob("briefings/options/*.toml")])


def load_raw(path: Path) -> dict[str, Any]:
    """A bundled file's own tables, with ``extends`` resolved to the merged dictionary."""
    from caseflow.scenario.loader import _read_toml

    return _read_toml(path.resolve(), ())


#: Merged dictionaries of every bundled scenario, read once.
RAW: dict[str, dict[str, Any]] = {p.name: load_raw(p) for p in BUNDLED}


def leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a table, an array, or a value in ``node`` (the first 20 entries of an array; not
    below 12 levels, so an earlier mutation's deep table does not exhaust the stack)."""
    out: list[tuple[Any, ...]] = []
    if len(prefix) >= 12:
        return out
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out += leaf_paths(v, (*prefix, k))
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node[:20]):
            out.append((*prefix, i))
            out += leaf_paths(v, (*prefix, i))
    return out


def dotted_fields(node: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every table and value (not inside arrays): what a change's ``field`` can name."""
    out: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            path = f"{prefix}.{k}" if prefix else str(k)
            out.append(path)
            out += dotted_fields(v, path)
    return out


def _get(data: Any, dotted: str) -> Any:
    node = data
    for part in dotted.split("."):
        node = node[part]
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    top = node
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    return top


odd_text = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\u202e\u0635\U0001f600",
        '=HYPERLINK("http://x")',
        "'; DROP TABLE scenarios; --",
        "../../etc/passwd",
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "NaN",
        "1e999",
    ]
)

#: Hostile values of every kind a scenario field might be given.
hostile_values: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        [math.nan, math.inf, -math.inf, 0, 0.0, -0.0, -1, -1.0, 1e-300, 5e-324, 1e308, 1e12, 10**12]
    ),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    odd_text,
    st.text(max_size=50),
    st.integers(min_value=1_000, max_value=3_000_000).map(lambda n: "x" * n),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.lists(st.floats(allow_nan=True), max_size=20),
    st.integers(min_value=0, max_value=200_000).map(lambda n: [1.0] * n),
    st.just([]),
    st.just({}),
    st.dictionaries(st.text(max_size=10), st.integers(), max_size=5),
    st.integers(min_value=10, max_value=5_000).map(_deep),
    st.none(),
)


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    if isinstance(node, tuple):  # (never: the raw data is dicts and lists)
        return
    node[path[-1]] = value


def _delete(data: Any, path: tuple[Any, ...]) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


@st.composite
def mutated_values(draw: st.DrawFn) -> dict[str, Any]:
    """A bundled scenario's dictionary with one to three fields made hostile, removed or added."""
    name = draw(st.sampled_from(sorted(RAW)))
    data = copy.deepcopy(RAW[name])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = leaf_paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        if action == "replace":
            _set(data, path, draw(hostile_values))
        elif action == "delete":
            _delete(data, path)
        else:
            parent = path[:-1]
            node: Any = data
            for part in parent:
                node = node[part]
            if isinstance(node, dict):
                node[draw(st.one_of(st.text(max_size=30), odd_text))] = draw(hostile_values)
    return data


@st.composite
def hostile_changes(draw: st.DrawFn) -> dict[str, Any]:
    """The baseline with one to four time-phased changes of real (or nearly real) fields."""
    data = copy.deepcopy(RAW["baseline.toml"])
    fields = dotted_fields({k: v for k, v in data.items() if k not in ("provenance",)})
    numeric = [f for f in fields if _is_number(_get(data, f))]
    changes = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if draw(st.integers(min_value=0, max_value=9)) < 6:  # a sensible change, so some runs are valid
            change: dict[str, Any] = {
                "date": draw(st.dates(min_value=dt.date(2025, 4, 1), max_value=dt.date(2032, 3, 31))),
                "field": draw(st.sampled_from(numeric)),
                "factor": draw(st.floats(min_value=0.5, max_value=1.5)),
                "ramp_months": draw(st.integers(min_value=0, max_value=24)),
            }
            changes.append(change)
            continue
        field = draw(st.one_of(st.sampled_from(fields), st.text(max_size=40)))
        change = {
            "date": draw(
                st.one_of(
                    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 12, 31)),
                    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
                )
            ),
            "field": field,
        }
        if draw(st.booleans()):
            change["factor"] = draw(st.one_of(st.floats(min_value=0, max_value=5), hostile_values))
        else:
            change["value"] = draw(hostile_values)
        if draw(st.booleans()):
            change["ramp_months"] = draw(
                st.one_of(st.integers(min_value=0, max_value=24), st.integers(), hostile_values)
            )
        changes.append(change)
    data["changes"] = changes
    return data


#: TOML literals a hand-edited file might hold where a value should be.
toml_literals = st.sampled_from(
    [
        "nan",
        "inf",
        "-inf",
        "1e308",
        "-1",
        "0",
        "9223372036854775807",
        "-9223372036854775808",
        "1979-05-27",
        "9999-12-31",
        "0001-01-01",
        "true",
        '"text"',
        '""',
        "[]",
        "{}",
        "[1, 2, 3]",
        '"\\u0000"',
        '"' + "x" * 100_000 + '"',
        "[" + ", ".join(["1.0"] * 50_000) + "]",
        "{ a = " * 200 + "1" + " }" * 200,
        "[" * 5_000 + "]" * 5_000,
        "1979-05-27T07:32:00Z",
        "0x7fffffff",
    ]
)

_ASSIGNMENT = re.compile(r"^(\s*[A-Za-z0-9_.\"-]+\s*=\s*)(.+)$")


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    """A bundled file's bytes, edited as a careless or hostile hand would edit them."""
    path = draw(st.sampled_from(BUNDLED))
    text = path.read_text(encoding="utf-8").replace(
        'extends = "', f'extends = "{path.parent.as_posix()}/'
    )  # the written copy lives elsewhere: keep its extends pointing at the bundled base
    lines = text.splitlines()
    kind = draw(st.sampled_from(["value", "value", "bytes", "truncate", "extends", "append"]))
    if kind == "value":
        spots = [i for i, line in enumerate(lines) if _ASSIGNMENT.match(line)]
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            i = draw(st.sampled_from(spots))
            m = _ASSIGNMENT.match(lines[i])
            assert m is not None
            lines[i] = m.group(1) + draw(toml_literals)
        return ("\n".join(lines) + "\n").encode("utf-8")
    raw = bytearray(text.encode("utf-8"))
    if kind == "bytes":
        for _ in range(draw(st.integers(min_value=1, max_value=8))):
            at = draw(st.integers(min_value=0, max_value=len(raw) - 1))
            raw[at : at + 1] = draw(st.binary(min_size=0, max_size=4))
        return bytes(raw)
    if kind == "truncate":
        return bytes(raw[: draw(st.integers(min_value=0, max_value=len(raw)))])
    if kind == "extends":
        target = draw(
            st.sampled_from(
                [
                    "",
                    "missing.toml",
                    "x" * 5_000,
                    "/dev/zero",
                    "/dev/null",
                    "/",
                    ".",
                    "..",
                    "a\\u0000b",
                    "/proc/self/cwd",
                    str(path),
                ]
            )
        )
        body = re.sub(r'(?m)^extends = ".*"$', "", text)
        return (f'extends = "{target}"\n' + body).encode("utf-8")
    tail = draw(st.sampled_from(["[extra]\nx = 1\n", 'name = "again"\n', "[[changes]]\n", "\x00"]))
    return bytes(raw) + tail.encode("utf-8")


def is_valid_toml(raw: bytes) -> bool:
    try:
        tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False
    return True


def generate(strategy: st.SearchStrategy[Any], cases: int, seed_value: int, each: Any) -> None:
    """Call ``each(case)`` for ``cases`` cases drawn from ``strategy`` with ``seed_value``: generation
    only (no shrinking, no example database, no health checks), as the long fuzzing scripts need."""
    runner = seed(seed_value)(
        settings(
            max_examples=cases,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(case=strategy)(each))
    )
    runner()
