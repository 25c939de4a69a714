"""The documentation pages whose examples take longest (see tests/test_docs_examples.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_docs_examples import LONG, PAGES, run_page

PAGES_LONG = [p for p in PAGES if p.name in LONG]


def test_every_long_page_exists() -> None:
    assert sorted(p.name for p in PAGES_LONG) == sorted(LONG)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES_LONG, ids=[p.name for p in PAGES_LONG])
def test_examples_run(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_page(page, monkeypatch)
