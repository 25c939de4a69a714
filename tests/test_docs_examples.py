"""Every ```python block in the documentation runs, page by page, in a fresh namespace.

Blocks on a page share one namespace and run in order, as a reader would run them, from the repository
root. A block whose first line is ``# doc: no-run`` is shown but not run (it needs a live cluster or
takes hours); use that sparingly and say why in the block.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks(page: Path) -> list[str]:
    return [b for b in BLOCK.findall(page.read_text(encoding="utf-8")) if not b.startswith("# doc: no-run")]


PAGES = [p for p in DOCS if _blocks(p)]
#: Pages whose examples take longest, run from tests/test_docs_examples_long.py: a separate file, so that
#: the two test workers (pytest-xdist, --dist loadfile) can run the two halves side by side.
LONG = ("howto-compare.md", "costs.md", "README.md")
HERE = [p for p in PAGES if p.name not in LONG]


def run_page(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every block of ``page`` in order, in one namespace, from the repository root."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for i, block in enumerate(_blocks(page)):
        try:
            exec(compile(block, f"{page.name}[block {i}]", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            raise AssertionError(f"{page.name} block {i} failed: {exc!r}\n{block}") from exc
    assert os.getcwd() == str(ROOT)


def test_some_pages_have_examples() -> None:
    assert any(p.name == "tutorial.md" for p in PAGES)


@pytest.mark.slow
@pytest.mark.parametrize("page", HERE, ids=[p.name for p in HERE])
def test_examples_run(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_page(page, monkeypatch)
