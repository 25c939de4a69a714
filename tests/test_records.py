"""The records a run writes (:mod:`caseflow.records`): record names built once."""

from __future__ import annotations

from caseflow.records import Names


def test_names_are_built_from_prefix_key_and_suffix() -> None:
    assert Names("contacts_from_")["police"] == "contacts_from_police"
    assert Names(suffix="_on_time")["cp_visit"] == "cp_visit_on_time"
    assert Names("a_", "_b")["x"] == "a_x_b"


def test_a_name_is_built_once_and_then_looked_up() -> None:
    names = Names("referrals_from_")
    assert "schools" not in names
    first = names["schools"]
    assert list(names) == ["schools"]
    assert names["schools"] is first  # the same string object: nothing is built or hashed again
