"""caseflow's web app, for people who do not code: ``caseflow app`` serves it on 127.0.0.1.

A planner or finance officer picks a baseline (the England-average authority, any English authority
from its published figures, or a scenario file), changes the levers they are asked about, runs the
option against the baseline with a progress bar and a cancel button, reads the effect with 95%
confidence intervals, and downloads the Excel workbook, a committee briefing and the scenario file.

The web framework (Shiny for Python) is the optional ``web`` extra::

    pip install "caseflow-csc[web]"

The engine pieces need no web framework and are tested without a browser: :mod:`~caseflow.app.levers`
(the levers as data, turned into a validated scenario), :mod:`~caseflow.app.jobs` (runs off the page:
worker pool, progress, cancel, cache), :mod:`~caseflow.app.uploads` (uploads checked like any scenario,
kept in the session's folder), :mod:`~caseflow.app.baselines`, :mod:`~caseflow.app.results` and
:mod:`~caseflow.app.formatting`. The page itself is :mod:`~caseflow.app.ui` and
:mod:`~caseflow.app.server`, put together by :mod:`~caseflow.app.serving`.

>>> from caseflow.app import serve
>>> serve(port=8765)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shiny import App

    from caseflow.app.settings import AppSettings

__all__ = ["INSTALL_LINE", "MissingWebExtraError", "create_app", "serve", "web_extra_installed"]

#: How to install what the app needs.
INSTALL_LINE = 'pip install "caseflow-csc[web]"'
_NEEDS = ("shiny", "uvicorn")


class MissingWebExtraError(ImportError):
    """The web app's framework is not installed."""

    def __init__(self) -> None:
        missing = ", ".join(m for m in _NEEDS if importlib.util.find_spec(m) is None)
        super().__init__(
            f"The caseflow web app needs the web extra, which is not installed (missing: {missing}). "
            f'Install it with: {INSTALL_LINE} (or pip install -e ".[web]" from a clone of caseflow)'
        )


def web_extra_installed() -> bool:
    """Is the web app's framework installed?"""
    return all(importlib.util.find_spec(m) is not None for m in _NEEDS)


def _require() -> None:
    if not web_extra_installed():
        raise MissingWebExtraError()


def create_app(settings: AppSettings | None = None, **kwargs: Any) -> App:
    """The app (an ASGI application) for ``settings`` (default: :class:`AppSettings` with ``kwargs``).

    Raises :class:`MissingWebExtraError` without the web extra.
    """
    _require()
    from caseflow.app.serving import create_app as create

    return create(settings, **kwargs)


def serve(
    host: str = "127.0.0.1", port: int = 8000, settings: AppSettings | None = None, **kwargs: Any
) -> None:
    """Serve the app on ``host``:``port`` until stopped (Ctrl+C). Raises :class:`MissingWebExtraError`
    without the web extra."""
    _require()
    from caseflow.app.serving import serve as run

    run(host, port, settings, **kwargs)
