"""Published DfE and ONS statistics, as published, for every English local authority.

>>> from caseflow import data
>>> published = data.load()  # the snapshot shipped with caseflow  # doctest: +SKIP
>>> published.value("referrals", "Hackney", 2024)  # doctest: +SKIP
3782.0
>>> published.flag("referrals", "Hampshire", 2024)  # doctest: +SKIP
'u'

See docs/data.md for the files, the codes (``c``, ``x``, ``u``, ``z``, ...), the year pairing and the
geography changes. This package imports pandas and numpy only (not matplotlib, scipy or the model).
"""

from caseflow.data.errors import DataError
from caseflow.data.geography import (
    CHANGES,
    ESTIMATED_FROM_JOINT_RETURN,
    ESTIMATED_FROM_PREDECESSOR,
    NO_POPULATION_SHARE,
    PREDECESSOR_CODE,
    Authority,
    Change,
)
from caseflow.data.measures import (
    MEASURES,
    RELEASES,
    Measure,
    Release,
    get_measure,
    measure_names,
    reporting_year,
    reporting_year_source,
)
from caseflow.data.published import ABSENT, Published, Source, load
from caseflow.data.reader import FLAG_MEANINGS, find_file, parse_values
from caseflow.data.snapshot import build_snapshot, read_snapshot
from caseflow.data.tidy import read_published

__all__ = [
    "ABSENT",
    "CHANGES",
    "ESTIMATED_FROM_JOINT_RETURN",
    "ESTIMATED_FROM_PREDECESSOR",
    "FLAG_MEANINGS",
    "MEASURES",
    "NO_POPULATION_SHARE",
    "PREDECESSOR_CODE",
    "RELEASES",
    "Authority",
    "Change",
    "DataError",
    "Measure",
    "Published",
    "Release",
    "Source",
    "build_snapshot",
    "find_file",
    "get_measure",
    "load",
    "measure_names",
    "parse_values",
    "read_published",
    "read_snapshot",
    "reporting_year",
    "reporting_year_source",
]
