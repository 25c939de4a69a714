"""Each parameter's source, recovered from the comments in the scenario TOML files (a hand-written lexer).

Kept apart so that it can be deleted once every parameter's source is data in the scenario (issue 11,
part 6); the Excel assumptions sheet reads it through :func:`parameter_notes` and :func:`lookup`.
Moved here unchanged from the Excel module.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["lookup", "parameter_comments", "parameter_notes"]


def _unquoted(text: str) -> Iterator[tuple[int, str]]:
    """``(index, character)`` for each character of a TOML line outside quoted strings."""
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        else:
            yield i, ch
        i += 1


def _split_comment(line: str) -> tuple[str, str]:
    """``(code, comment)`` of one TOML line: the comment starts at the first ``#`` outside a string."""
    for i, ch in _unquoted(line):
        if ch == "#":
            return line[:i], line[i + 1 :].strip()
    return line, ""


def _split_dotted(key: str) -> list[str]:
    """``a."b.c".d`` → ``["a", "b.c", "d"]`` (bare and quoted TOML keys)."""
    parts: list[str] = []
    buf = ""
    quote = ""
    for ch in key:
        if quote:
            if ch == quote:
                quote = ""
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
    parts.append(buf.strip())
    return parts


def _key_and_value(code: str) -> tuple[str, str] | None:
    """Split ``key = value`` at the first ``=`` outside a quoted key."""
    quote = ""
    for i, ch in enumerate(code):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return code[:i], code[i + 1 :]
    return None


def _bracket_depth(text: str) -> int:
    """Net ``[``/``{`` nesting opened by ``text`` (outside strings and comments)."""
    code, _ = _split_comment(text)
    return sum((ch in "[{") - (ch in "]}") for _, ch in _unquoted(code))


_RULE = re.compile(r"^[\s=\-*_~#]*$")


@dataclass
class _FileNotes:
    notes: dict[str, str]  # dotted key → comment
    replaced: list[str]  # keys and arrays of tables whose whole value this file sets
    extends: str | None


def _scan(text: str) -> _FileNotes:
    """Comments of every key one TOML file sets (no ``extends`` handling)."""
    notes: dict[str, str] = {}
    replaced: list[str] = []
    table: list[str] = []
    table_note = ""
    group_parent: list[str] | None = None
    group_note = ""
    first_key = True
    pending: list[str] = []
    array_counts: dict[str, int] = {}
    depth = 0
    string_end = ""
    for raw in text.splitlines():
        if string_end:  # inside a multi-line string value
            if string_end in raw:
                string_end = ""
            continue
        if depth > 0:  # inside a multi-line array or inline table
            depth += _bracket_depth(raw)
            continue
        line = raw.strip()
        if not line:
            pending = []
            continue
        if line.startswith("#"):
            body = line.lstrip("#").strip()
            if not _RULE.match(body):
                pending.append(body)
            continue
        code, comment = _split_comment(line)
        code = code.strip()
        if code.startswith("[["):
            name = ".".join(_split_dotted(code[2:].rstrip().removesuffix("]]")))
            index = array_counts.get(name, 0)
            array_counts[name] = index + 1
            if index == 0:
                replaced.append(name)
            table = [*_split_dotted(name), str(index)]
            table_note, first_key, pending = comment or " ".join(pending), True, []
            group_parent, group_note = None, ""
            continue
        if code.startswith("["):
            table = _split_dotted(code[1:].rstrip().removesuffix("]"))
            own = comment or " ".join(pending)
            if own:  # also describes the sibling tables that follow (same parent, no comment of their own)
                group_parent, group_note = table[:-1], own
            elif group_parent != table[:-1]:
                group_parent, group_note = None, ""
            table_note, first_key, pending = own or group_note, True, []
            continue
        kv = _key_and_value(code)
        if kv is None:  # not TOML we understand: ignore the line
            pending = []
            continue
        key = ".".join([*table, *_split_dotted(kv[0])])
        block = " ".join(pending)
        if table and first_key and block and not table_note:
            table_note = block  # a comment block opening a table describes the table
        notes[key] = comment or block or (table_note if table else "")
        replaced.append(key)
        first_key, pending = False, []
        value = kv[1].strip()
        for delim in ('"""', "'''"):
            if value.startswith(delim) and value.count(delim) == 1:
                string_end = delim
        if not string_end:
            depth = max(_bracket_depth(value), 0)
    extends = None
    try:
        parent = tomllib.loads(text).get("extends")
        extends = parent if isinstance(parent, str) and parent else None
    except tomllib.TOMLDecodeError:
        pass
    notes.pop("extends", None)
    return _FileNotes(notes, replaced, extends)


def _parameter_notes(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, tuple[str, str]]:
    """``{dotted key: (comment, file name that set it)}`` following ``extends`` (children win)."""
    p = Path(path).resolve()
    if p in _chain:
        raise ValueError(f"extends forms a cycle at {p}")
    own = _scan(p.read_text(encoding="utf-8"))
    merged: dict[str, tuple[str, str]] = {}
    if own.extends is not None:
        parent = _parameter_notes(p.parent / own.extends, (*_chain, p))
        merged = {
            k: v
            for k, v in parent.items()
            if not any(k.startswith(r + ".") for r in own.replaced if r != "extends")
        }
    merged.update({k: (c, p.name) for k, c in own.notes.items()})
    return merged


def parameter_comments(path: str | Path) -> dict[str, str]:
    """The source comment of every parameter set in a scenario TOML file and the files it extends.

    Keys are dotted paths (``workforce.dynamics.turnover_rate``); arrays of tables are numbered
    (``changes.0.value``); an inline table maps to its key (``assessment.duration_wd``). The comment is
    the trailing ``# comment`` on the key's line, or else the block of comment lines immediately above
    the key, or else the comment of its table: the trailing comment on the ``[table]`` header, the block
    immediately above it (which also describes the sibling tables that follow it without a comment of
    their own, as in ``[looked_after.placements.under_1]`` … ``age_16_17``) or the block opening the
    table's body. Otherwise (and for top-level keys without their own comment) it is empty.

    A file that ``extends`` another overrides its parent's entries for the keys it sets, even with an
    empty comment, since the parent's source no longer applies; an array of tables it sets (such as
    ``[[changes]]``) replaces the parent's entries for that array, as the loader replaces the array.
    """
    return {k: c for k, (c, _) in _parameter_notes(path).items()}


def _lookup(notes: Mapping[str, tuple[str, str]], key: str) -> tuple[str, str]:
    """The note of ``key`` or of its longest dotted prefix (inline tables, array elements)."""
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        hit = notes.get(".".join(parts[:n]))
        if hit is not None:
            return hit
    return "", ""


parameter_notes = _parameter_notes
lookup = _lookup
