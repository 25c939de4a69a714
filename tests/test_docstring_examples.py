"""Every example in caseflow's docstrings runs and prints what it shows (as the docs' examples do).

Examples marked ``# doctest: +SKIP`` (a sweep of many replications, say) are shown, not run.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "caseflow"


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # running it would start the program
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules()


def test_every_module_is_found() -> None:
    assert "caseflow.model.simulation" in MODULES  # caseflow.model has no __init__.py: walked by path
    assert "caseflow.experiment.executors" in MODULES
    assert len(MODULES) > 100


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"


def test_the_examples_are_run() -> None:
    """The modules with examples really have them run (a sum over a few, so the check above can fail)."""
    attempted = sum(
        doctest.testmod(importlib.import_module(name), report=False).attempted
        for name in ("caseflow.present.words", "caseflow.experiment.executors", "caseflow.app.formatting")
    )
    assert attempted >= 8
