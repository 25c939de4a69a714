"""Write src/caseflow/england_bank_holidays.txt: England and Wales bank holidays from the holidays package.

    python scripts/bank_holidays.py            # regenerate the table from the installed package
    python scripts/bank_holidays.py --check    # exit 1 if the table's dates differ from the package's

The calendar reads its bank holidays from this table rather than from the package at run time, because
finding the package's United Kingdom rules loads its whole registry of about 200 countries: about 0.06
seconds of every process's first replication (docs/performance.md). The table is the package's own
answer (``holidays.country_holidays("GB", subdiv="ENG")``), substitute days included, for every year
of ``caseflow.calendar.BANK_HOLIDAY_YEARS``; outside those years the calendar asks the package.
``tests/test_calendar.py`` checks in every test run that the table still equals the installed package's
answer, so a new bank holiday in a newer release of the package (a coronation, a jubilee) fails the
tests until this script has been run again. The file is written atomically.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import holidays

from caseflow.calendar import (
    BANK_HOLIDAY_YEARS,
    bank_holiday_table_text,
    package_bank_holidays,
    read_bank_holiday_table,
)
from caseflow.files import atomic_write_text

TABLE = Path(__file__).resolve().parents[1] / "src" / "caseflow" / "england_bank_holidays.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if the table is stale")
    parser.add_argument("--table", type=Path, default=TABLE, help="the table's file (default: the package's)")
    args = parser.parse_args(argv)
    table: Path = args.table
    first, last = BANK_HOLIDAY_YEARS
    version = holidays.__version__
    text = bank_holiday_table_text(package_bank_holidays(first, last), version)
    if args.check:
        same = read_bank_holiday_table(table.read_text(encoding="utf-8")) == read_bank_holiday_table(text)
        print(f"{table.name} {'equals' if same else 'differs from'} the answer of holidays {version}")
        return 0 if same else 1
    atomic_write_text(table, text)
    count = len(read_bank_holiday_table(text))
    print(f"wrote {table}: {count} bank holidays, {first} to {last}, holidays {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
