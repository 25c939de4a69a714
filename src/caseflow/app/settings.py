"""The web app's settings: its own folder, the England-average scenario, where runs go, and its limits.

Everything the app writes (the per-session folders holding uploads and downloads, the stored
replications, the web framework's temporary upload files) goes under :attr:`AppSettings.folder`,
nothing anywhere else. The limits keep one browser from exhausting the machine: a run is refused
before it starts when it asks for more replications, years or simulated child-years than allowed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from caseflow.scenario.bundled import bundled
from caseflow.scenario.limits import MAX_FILE_BYTES

__all__ = ["AppSettings", "RunLimitError", "default_folder"]


def default_folder() -> Path:
    """The app's own folder: ``$CASEFLOW_APP_DIR``, else ``caseflow/app`` in the user's cache folder."""
    env = os.environ.get("CASEFLOW_APP_DIR")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "caseflow" / "app"


#: Levels a search for what is needed tries, about (bisection over a range of 16 to 40 steps, and the
#: ends): what a search's size is judged by before it starts.
SEARCH_LEVELS = 10


class RunLimitError(ValueError):
    """A run the app will not start: too many replications, years or simulated child-years."""


@dataclass(frozen=True)
class AppSettings:
    """How the app runs. Every field has a default; ``caseflow app`` sets them from its flags."""

    #: the app's own folder: sessions, stored replications and temporary uploads live here, nothing else
    folder: Path = field(default_factory=default_folder)
    #: the England-average scenario (its folder also holds the scenarios an upload may ``extend``)
    base: Path = field(default_factory=bundled)
    #: a folder of newer DfE/ONS downloads (None: the figures shipped with caseflow)
    data: Path | None = None
    #: ``"processes"`` (local worker processes), ``"sequential"`` (in the app's process, for tests) or
    #: a Dask scheduler address such as ``"tcp://10.0.0.5:8786"``
    executor: str = "processes"
    #: local worker processes (None: every core)
    workers: int | None = None
    #: a run's defaults, as the page first shows them
    years: int = 3
    replications: int = 10
    seed: int = 0
    #: the most a run may ask for
    max_years: int = 10
    max_replications: int = 50
    #: children × simulated years (warm-up included) × replications × scenarios, at most: the
    #: England-average authority (60,000 children), 50 replications of 10 years after a warm-up year
    max_child_years: int = 66_000_000
    #: the largest scenario file accepted (the loader's own limit)
    max_upload_bytes: int = MAX_FILE_BYTES
    #: runs waiting or running at once, over every session (each session runs one at a time)
    max_jobs: int = 4
    #: comparisons kept in memory for sessions that ask for the same run again
    cache_size: int = 32
    #: stored replications kept on disk (oldest removed first) so a changed option reuses the baseline's
    max_stored: int = 5000
    #: wall-clock seconds one replication may take before its run is stopped with a message (a
    #: replication of the England-average authority takes a few seconds; a scenario estimated too large
    #: to run is refused before it starts, caseflow.model.budget)
    replication_seconds: float = 900.0
    #: a search for what is needed: replications at each level first, and at most (a level too close to
    #: call gets more)
    search_replications: int = 5
    search_max_replications: int = 20

    def __post_init__(self) -> None:
        for name in (
            "years",
            "replications",
            "max_years",
            "max_replications",
            "max_jobs",
            "cache_size",
            "search_replications",
            "search_max_replications",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
        if self.seed < 0:
            raise ValueError(f"seed must be 0 or more, got {self.seed}")
        if not 2 <= self.search_replications <= self.search_max_replications:
            raise ValueError(
                "a search needs at least 2 replications a level, and at most as many as its most"
            )
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")

    @property
    def sessions(self) -> Path:
        """Per-session folders (uploads, downloads); each removed when its browser session ends."""
        return self.folder / "sessions"

    @property
    def store(self) -> Path:
        """Finished replications, by scenario hash, years, seed and replication number."""
        return self.folder / "replications"

    @property
    def temporary(self) -> Path:
        """The web framework's temporary files (uploads as they arrive)."""
        return self.folder / "tmp"

    def check_run(self, population: int, warmup_years: int, years: int, replications: int) -> None:
        """Refuse a run larger than the limits, saying what to change (:class:`RunLimitError`)."""
        if not 1 <= years <= self.max_years:
            raise RunLimitError(
                f"Years to simulate must be from 1 to {self.max_years}; you asked for {years}."
            )
        if not 2 <= replications <= self.max_replications:
            raise RunLimitError(
                f"Replications must be from 2 to {self.max_replications} (two or more give a confidence "
                f"interval); you asked for {replications}."
            )
        child_years = 2 * replications * (warmup_years + years) * population
        if child_years > self.max_child_years:
            raise RunLimitError(
                f"This run is too large for the web app: {child_years:,} child-years of simulation "
                f"({replications} replications of {warmup_years + years} years, {population:,} children, "
                f"baseline and option); the limit is {self.max_child_years:,}. Use fewer replications or "
                "years, or run it with the caseflow command."
            )

    def check_search(self, population: int, warmup_years: int, years: int, replications: int) -> None:
        """Refuse a search for what is needed that could grow larger than the limits: it may try about
        :data:`SEARCH_LEVELS` levels of up to ``replications`` each (:class:`RunLimitError`)."""
        if not 1 <= years <= self.max_years:
            raise RunLimitError(
                f"Years to simulate must be from 1 to {self.max_years}; you asked for {years}."
            )
        child_years = SEARCH_LEVELS * replications * (warmup_years + years) * population
        if child_years > self.max_child_years:
            raise RunLimitError(
                f"This search could be too large for the web app: up to {child_years:,} child-years of "
                f"simulation (about {SEARCH_LEVELS} levels of up to {replications} replications of "
                f"{warmup_years + years} years, {population:,} children); the limit is "
                f"{self.max_child_years:,}. Simulate fewer years, or use caseflow target."
            )
