"""The records a run writes (:mod:`caseflow.records`): record names built once."""

from __future__ import annotations

from caseflow.records import Names, Recorder


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


def test_counts_and_tallies_go_to_the_month_of_their_day() -> None:
    month_of_day = (0, 0, 1, 1, 1, 2)  # any sequence: the recorder keeps its own list
    rec = Recorder(3, month_of_day)
    rec.count("referrals", 0.5)
    rec.count("referrals", 2.0, 2)
    rec.count("referrals", 5.99)
    rec.count("referrals", 6.0)  # after the run: ignored
    rec.count("referrals", -0.1)  # before it: ignored
    rec.tally("assessment_days", 4.5, 12.0)
    rec.tally("assessment_days", 1.0, 30.0)
    rec.tally("assessment_days", 9.0, 99.0)  # ignored
    assert rec.counts["referrals"] == [1.0, 2.0, 1.0]
    assert rec.tallies["assessment_days"] == ([1, 0], [12.0, 30.0])
    assert rec.month(3.2) == 1
