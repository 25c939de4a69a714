"""The bounds on what a scenario may ask for: one place for every limit, each with its reason.

A scenario comes from people who do not write Python, through files, overrides and a web page. Every
value must be one the model can run: a finite number inside the range below, text of a sensible length,
tables and arrays of a sensible size, dates the calendar can hold. The schema uses the types defined
here, so a value outside them is a :class:`~caseflow.scenario.loader.ScenarioError` naming the field
and the range, never a failure deep inside a run. The ranges are wide: each is several times what any
English authority publishes (Kent, the largest, has about 350,000 children and 91,000 contacts a year in
its 2024 profile), and tighter only where a larger value has no meaning (more than 168 hours in a week).

Run-time budgets (events, memory, wall-clock time) are a separate, later check: a scenario inside
these bounds may still be refused before its first event if it would exceed them.

``docs/limits.md`` lists these bounds for users; ``tests/test_limits.py`` checks they are enforced.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, Field, StrictFloat, StrictStr

__all__ = [
    "CONTROL_CHARACTERS",
    "DATE_RANGE",
    "FTE",
    "MAX_CHANGES",
    "MAX_CHANGE_POINTS",
    "MAX_CHILDREN",
    "MAX_CONTACTS_PER_YEAR",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_FTE",
    "MAX_ITEMS",
    "MAX_NAME",
    "MAX_TEXT",
    "CapPerFTE",
    "Count",
    "Duration",
    "Factor",
    "Months",
    "Name",
    "RelativeVolume",
    "Shape",
    "TaskHours",
    "Text",
    "WorkingDays",
    "check_date",
]

# ------------------------------------------------------------------------------------- the bounds

#: Largest scenario file read (bytes). The bundled baseline is 44 KB and an authority profile 12 KB.
MAX_FILE_BYTES = 1_048_576
#: Deepest nesting of tables in a file (the schema itself is at most 6 deep).
MAX_DEPTH = 16
#: Longest text in any field (characters): a description, a note.
MAX_TEXT = 10_000
#: Longest name of a scenario, team or contact source (characters).
MAX_NAME = 200
#: Most entries in any array or table (a band table, a list of changes, teams, sources).
MAX_ITEMS = 1_000
#: Most time-phased changes in one scenario.
MAX_CHANGES = 200
#: Most moments at which the parameters in force change (each ramp month is one): each is a whole
#: scenario validated when the run is set up, so this bounds the set-up time (about a millisecond each).
MAX_CHANGE_POINTS = 1_200
#: Most children aged 0–17 in an authority: Kent, the largest, has about 350,000.
MAX_CHILDREN = 2_000_000
#: Most contacts a year: Kent's 2024 profile has about 91,000.
MAX_CONTACTS_PER_YEAR = 1_000_000
#: Most FTE in any one team or service: a large authority has a few hundred social workers.
MAX_FTE = 10_000.0
#: Dates the calendar can hold, with room for a 60-year run (bank holidays are known from 1900).
DATE_RANGE = (dt.date(1990, 1, 1), dt.date(2100, 12, 31))

# -------------------------------------------------------------------------------------- the types

Count = Annotated[int, Field(ge=0, le=MAX_CHILDREN, description="a number of children")]
FTE = Annotated[float, Field(ge=0.0, le=MAX_FTE, description="full-time-equivalent posts")]
CapPerFTE = Annotated[float, Field(gt=0.0, le=1_000.0, description="children per FTE")]
TaskHours = Annotated[
    float, Field(ge=0.0, le=2_000.0, description="hours of a social worker's time (at most a year's work)")
]
#: Months: a plan's review interval, a delay, an effect's length: at least a week (a review or a return
#: every instant would never let time pass) and at most 50 years.
Months = Annotated[float, Field(ge=0.25, le=600.0, description="months (0.25 to 600)")]
Duration = Annotated[float, Field(ge=0.0, le=600.0, description="months (at most 600)")]
#: Edges of a banded duration (working days or months): at most 10 years of working days.
WorkingDays = Annotated[StrictFloat, Field(ge=0.0, le=2_600.0)]
#: A relative volume (by month, weekday, bank holiday): only ratios matter, so counts may be pasted in.
RelativeVolume = Annotated[StrictFloat, Field(ge=0.0, le=1.0e9)]
#: A gamma distribution's shape: below 0.01 almost every draw is zero, above 1,000 it is a constant.
Shape = Annotated[float, Field(ge=0.01, le=1_000.0, description="gamma shape")]
#: A multiplier applied by a time-phased change.
Factor = Annotated[float, Field(ge=0.0, le=1_000.0)]

#: Control characters no text in a scenario may hold (tab, newline and carriage return are allowed in
#: free text; a name refuses them too).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable_name(value: str) -> str:
    if CONTROL_CHARACTERS.search(value) or "\n" in value or "\r" in value or "\t" in value:
        raise ValueError("must be one line of text without control characters")
    if value != value.strip():
        raise ValueError(f"must not start or end with spaces, got {value!r}")
    return value


#: A name (scenario, team, contact source): one line, no control characters, at most MAX_NAME.
Name = Annotated[StrictStr, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_printable_name)]
#: Free text (a description): at most MAX_TEXT characters.
Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]


def check_date(value: dt.date) -> dt.date:
    """``value`` if the calendar can hold it (:data:`DATE_RANGE`), else a ValueError saying so."""
    first, last = DATE_RANGE
    if not first <= value <= last:
        raise ValueError(
            f"must be a date from {first.isoformat()} to {last.isoformat()}, got {value.isoformat()}"
        )
    return value


#: A date inside :data:`DATE_RANGE`.
Date = Annotated[dt.date, AfterValidator(check_date)]
