"""The scenarios shipped with caseflow: the England-average baseline and the worked examples.

In a clone they are the files in ``scenarios/``. A wheel carries the same files as package data
(``caseflow/bundled_scenarios/``, copied there by setup.py's build step), so ``caseflow app``,
``caseflow profile`` and the functions that default to the England-average baseline find it wherever
they are run from, with or without a clone.

>>> from caseflow.scenario.bundled import bundled
>>> bundled().name
'baseline.toml'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BASELINE", "BUNDLED_PACKAGE_FOLDER", "bundled", "bundled_folder"]

#: The England-average scenario's file name.
BASELINE = "baseline.toml"

#: Where a wheel carries the scenarios, inside the installed ``caseflow`` package (setup.py puts them there).
BUNDLED_PACKAGE_FOLDER = "bundled_scenarios"


def bundled_folder() -> Path:
    """The folder of shipped scenarios: the installed package's copy, else the clone's ``scenarios/``
    (an editable install, or running from the source tree)."""
    package = Path(__file__).resolve().parents[1]  # .../caseflow
    installed = package / BUNDLED_PACKAGE_FOLDER
    if (installed / BASELINE).is_file():
        return installed
    return package.parents[1] / "scenarios"  # src/caseflow -> the clone's root


def bundled(name: str = BASELINE) -> Path:
    """A shipped scenario by file name (default: the England-average baseline). The path is returned
    even when the file is missing, so that loading it names the path it looked for."""
    if Path(name).name != name:
        raise ValueError(f"{name!r} is not the name of a shipped scenario (a file name, no folders)")
    return bundled_folder() / name
