"""What the page does: each browser session's own state, and how it answers the user.

Every session has its own folder (uploads, downloads) and its own reactive values: the baseline it
chose, the lever values, its run and the results it shows; no session reads another's. Runs go to
the app's shared :class:`~caseflow.app.jobs.JobRunner` and the page only polls their progress, so the
event loop that serves every session is never held up by a simulation; building an authority's
profile and writing downloads happen in threads for the same reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from htmltools import TagChild, TagList, tags
from shiny import Inputs, Outputs, Session, reactive, render, req, ui
from shiny.types import ImgData

from caseflow.app import ui as page
from caseflow.app.baselines import ENGLAND, Baselines
from caseflow.app.charts import CHARTS, Chart
from caseflow.app.charts import save as save_chart
from caseflow.app.demand import DEMAND_FIELD, DemandTiming
from caseflow.app.demand import WHERE as DEMAND_WHEN
from caseflow.app.jobs import BusyError, Job, JobRunner, JobState, JobStatus, RunRequest
from caseflow.app.levers import (
    FROM_WHERE,
    Campaign,
    Lever,
    LeverError,
    levers_for,
    option_scenario,
    takes_effect,
)
from caseflow.app.needs import TARGET_KPIS, TargetRequest, answer_text, level_rows
from caseflow.app.results import cost_rows, headline_rows, published_rows
from caseflow.app.settings import AppSettings, RunLimitError
from caseflow.app.uploads import SessionFolder, UploadError, accept_upload
from caseflow.experiment.compare import Comparison
from caseflow.experiment.target import TargetResult
from caseflow.metrics.catalogue import describe
from caseflow.scenario.loader import ScenarioError
from caseflow.scenario.schema import Scenario

__all__ = ["make_server"]

Problem = tuple[str, list[tuple[str, str]]]
_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class _Shown:
    """The run whose results the page shows."""

    job_id: str
    request: RunRequest
    comparison: Comparison


@dataclass
class _State:
    """One session's reactive values."""

    folder: SessionFolder
    base: reactive.Value[Scenario | None]
    base_problem: reactive.Value[Problem | None]
    uploaded: reactive.Value[Scenario | None]
    upload_problem: reactive.Value[Problem | None]
    job: reactive.Value[Job | None]
    status: reactive.Value[JobStatus | None]
    run_problem: reactive.Value[Problem | None]
    shown: reactive.Value[_Shown | None]
    #: the session's latest run and search, outside the reactive graph, for when the session ends
    latest: Job | None = None
    latest_search: Job | None = None


def _option_name(base: Scenario) -> str:
    return "Option" if base.name != "Option" else "Option (changed)"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "caseflow"


def _read_upload(path: Path, limit: int) -> tuple[bytes, int]:
    """At most ``limit + 1`` bytes of the framework's temporary copy, and its size; the copy is then
    removed (the upload is kept, if valid, in the session's folder only)."""
    try:
        with path.open("rb") as fh:
            return fh.read(limit + 1), path.stat().st_size
    finally:
        path.unlink(missing_ok=True)


def make_server(
    settings: AppSettings, baselines: Baselines, runner: JobRunner
) -> Callable[[Inputs, Outputs, Session], None]:
    """The Shiny server function for the app."""

    def server(input: Inputs, output: Outputs, session: Session) -> None:
        state = _State(
            folder=SessionFolder.create(settings.sessions),
            base=reactive.value(None),
            base_problem=reactive.value(None),
            uploaded=reactive.value(None),
            upload_problem=reactive.value(None),
            job=reactive.value(None),
            status=reactive.value(None),
            run_problem=reactive.value(None),
            shown=reactive.value(None),
        )

        def ended() -> None:
            for job in (state.latest, state.latest_search):  # nobody will read their results
                if job is not None:
                    job.cancel()
            state.folder.remove()

        session.on_ended(ended)
        _baseline_part(input, settings, baselines, state)
        levers = _lever_part(input, state)
        _run_part(input, settings, runner, state, levers)
        _target_part(input, settings, runner, state, levers)
        _results_part(state, baselines)

    return server


# ------------------------------------------------------------------------------------------ baseline


def _baseline_part(input: Inputs, settings: AppSettings, baselines: Baselines, state: _State) -> None:
    @reactive.effect
    async def _choose() -> None:
        kind = input.baseline_kind()
        if kind == "upload":
            state.base.set(state.uploaded())
            state.base_problem.set(state.upload_problem())
            return
        code = ENGLAND if kind == ENGLAND else input.authority()
        if not code:
            state.base.set(None)
            state.base_problem.set(None)
            return
        try:
            scenario = await asyncio.to_thread(baselines.scenario, code)
        except (ScenarioError, ValueError, KeyError) as exc:
            what = "The England-average scenario" if code == ENGLAND else "This authority's profile"
            state.base.set(None)
            state.base_problem.set((f"{what} could not be built", [("", str(exc)[:1000])]))
            return
        with reactive.isolate():  # the user may have chosen again while it was being built
            still = input.baseline_kind() == kind and (kind == ENGLAND or input.authority() == code)
        if still:
            state.base.set(scenario)
            state.base_problem.set(None)

    @reactive.effect
    @reactive.event(input.upload)
    def _upload() -> None:
        files = input.upload()
        if not files:
            return
        info = files[0]
        data, size = _read_upload(Path(info["datapath"]), settings.max_upload_bytes)
        try:
            scenario = accept_upload(
                data,
                info["name"],
                state.folder,
                settings.base.parent,
                max_bytes=settings.max_upload_bytes,
                size=size,
            )
        except UploadError as exc:
            state.uploaded.set(None)
            state.upload_problem.set((f"{exc.shown_name} cannot be used", exc.problems))
            return
        state.uploaded.set(scenario)
        state.upload_problem.set(None)

    @render.ui
    def baseline_box() -> TagChild:
        problem = state.base_problem()
        if problem is not None:
            return page.error_box(*problem)
        scenario = state.base()
        if scenario is not None:
            return page.baseline_summary(scenario)
        hint = {
            "authority": "Choose an authority from the list (type to search).",
            "upload": "Choose a scenario file (.toml) from your computer.",
        }.get(input.baseline_kind(), "Loading…")
        return tags.p(hint, class_="form-text mt-2", id="baseline-hint")


# ------------------------------------------------------------------------------------------- levers


def _lever_part(input: Inputs, state: _State) -> Callable[[], list[Lever]]:
    @reactive.calc
    def levers() -> list[Lever]:
        scenario = state.base()
        return levers_for(scenario) if scenario is not None else []

    resets = reactive.value(0)

    @reactive.effect
    @reactive.event(input.reset)
    def _reset() -> None:
        with reactive.isolate():
            resets.set(resets() + 1)

    @render.ui
    def levers_box() -> TagChild:
        scenario = state.base()
        resets()  # pressing "put back" draws the inputs again, at the baseline's values
        if scenario is None:
            return tags.p("Choose a baseline first (step 1).", class_="form-text")
        return page.lever_inputs(levers(), scenario)

    @render.ui
    def changes_box() -> TagChild:
        scenario = state.base()
        if scenario is None:
            return None
        values = _values(input, levers())
        try:
            _, campaigns = _option(input, scenario, levers())
        except LeverError as exc:
            return page.error_box("Some numbers cannot be used", exc.problems)
        changed = [(lv, v) for lv, v in _changed(levers(), values, scenario)]
        when = _demand_timing(input)
        others = _from_date(input)
        if not changed and not campaigns:
            return tags.p(
                "No changes yet: your option is the same as the baseline.", id="changes", class_="form-text"
            )
        return tags.div(
            tags.p(tags.strong("Your option changes:"), class_="mb-1"),
            tags.ul(
                *[
                    tags.li(
                        f"{lv.label}: {_num(lv.shown(scenario))} → {_num(v)} {lv.unit}"
                        + (
                            f", {takes_effect(lv, when, others)}"
                            if lv.field == DEMAND_FIELD or others is not None
                            else ""
                        )
                    )
                    for lv, v in changed
                ],
                *[tags.li(f"Recruitment campaign: {c.describe()}") for c in campaigns],
            ),
            id="changes",
            aria_live="polite",
        )

    return levers


def _campaigns(input: Inputs) -> list[Campaign]:
    """The recruitment campaign on the page, if it adds posts (``LeverError`` if its numbers are not)."""
    if "campaign_posts" not in input:
        return []
    posts, fill, start, team = (
        input.campaign_posts(),
        input.campaign_fill(),
        input.campaign_start(),
        input.campaign_team(),
    )
    if posts in (None, 0):
        return []
    if not isinstance(posts, int | float) or not isinstance(fill, int | float) or start is None or not team:
        raise LeverError(
            [
                (
                    "Recruitment campaign",
                    "give the team, the extra posts, the start date and the months to fill",
                )
            ]
        )
    return [Campaign(str(team), float(posts), start, float(fill))]


def _demand_timing(input: Inputs) -> DemandTiming:
    """When the page's change in contacts takes effect (the whole period until the user says a date;
    ``LeverError`` if they chose a date but gave none)."""
    if "demand_when" not in input or input.demand_when() != "dated":
        return DemandTiming()
    if input.demand_start() is None:
        raise LeverError([(DEMAND_WHEN, "give the date the change starts from")])
    ramp = input.demand_ramp()
    months = int(ramp) if isinstance(ramp, int | float) and float(ramp).is_integer() else -1
    return DemandTiming(input.demand_start(), 0 if ramp is None else months)


def _from_date(input: Inputs) -> dt.date | None:
    """The day the page's other changes take effect (None: the whole period, until the user says a date;
    ``LeverError`` if they chose a date but gave none)."""
    if "other_when" not in input or input.other_when() != "dated":
        return None
    start = input.other_start()
    if start is None:
        raise LeverError([(FROM_WHERE, "give the date the changes start from")])
    return start  # type: ignore[no-any-return]


def _option(input: Inputs, scenario: Scenario, levers: list[Lever]) -> tuple[Scenario, list[Campaign]]:
    """The option the page describes (``LeverError`` naming what cannot be used)."""
    campaigns = _campaigns(input)
    when = _demand_timing(input)
    option = option_scenario(
        scenario,
        _values(input, levers),
        name=_option_name(scenario),
        levers=levers,
        campaigns=campaigns,
        demand=when,
        from_date=_from_date(input),
    )
    return option, campaigns


def _values(input: Inputs, levers: list[Lever]) -> dict[str, Any]:
    """The lever values on the page (those drawn so far; the others are the baseline's)."""
    return {lv.key: input[lv.key]() for lv in levers if lv.key in input}


def _changed(levers: list[Lever], values: dict[str, Any], scenario: Scenario) -> list[tuple[Lever, float]]:
    out = []
    for lv in levers:
        v = values.get(lv.key)
        if (
            isinstance(v, int | float)
            and math.isfinite(v)
            and not math.isclose(v, lv.shown(scenario), abs_tol=1e-9)
        ):
            out.append((lv, float(v)))
    return out


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


# ---------------------------------------------------------------------------------------------- run


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() else None


def _request(
    input: Inputs, settings: AppSettings, state: _State, levers: list[Lever]
) -> RunRequest | Problem:
    """The run the page asks for, or why it cannot start."""
    scenario = state.base()
    if scenario is None:
        return ("Choose a baseline first", [])
    try:
        option, _ = _option(input, scenario, levers)
    except LeverError as exc:
        return ("Some numbers cannot be used", exc.problems)
    years, reps = _whole(input.years()), _whole(input.replications())
    if years is None or reps is None:
        return ("This run cannot start", [("", "Years and replications must be whole numbers.")])
    try:
        settings.check_run(scenario.population, scenario.run.warmup_years, years, reps)
    except RunLimitError as exc:
        return ("This run cannot start", [("", str(exc))])
    return RunRequest(scenario, option, years, reps, settings.seed, settings.replication_seconds)


def _replace_job(
    runner: JobRunner,
    request: RunRequest | TargetRequest,
    job: reactive.Value[Job | None],
    problem: reactive.Value[Problem | None],
) -> Job | None:
    """Cancel the session's job in ``job``, if any, and start ``request`` in its place; a busy app is a
    problem shown on the page (None returned)."""
    _cancel_job(job)
    try:
        new = runner.submit(request)
    except BusyError as exc:
        problem.set(("The app is busy", [("", str(exc))]))
        return None
    problem.set(None)
    job.set(new)
    return new


def _cancel_job(job: reactive.Value[Job | None]) -> None:
    current = job()
    if current is not None:
        current.cancel()


def _run_part(
    input: Inputs, settings: AppSettings, runner: JobRunner, state: _State, levers: Callable[[], list[Lever]]
) -> None:
    @reactive.effect
    @reactive.event(input.run)
    def _start() -> None:
        wanted = _request(input, settings, state, levers())
        if not isinstance(wanted, RunRequest):
            state.run_problem.set(wanted)
            return
        job = _replace_job(runner, wanted, state.job, state.run_problem)
        if job is not None:
            state.latest = job

    @reactive.effect
    @reactive.event(input.cancel)
    def _cancel() -> None:
        _cancel_job(state.job)

    @reactive.effect
    def _watch() -> None:
        job = state.job()
        if job is None:
            return
        now = job.status()
        with reactive.isolate():
            if now != state.status():
                state.status.set(now)
            shown = state.shown()
        if not now.finished:
            reactive.invalidate_later(_POLL_SECONDS)
        elif now.state is JobState.DONE and isinstance(job.request, RunRequest) and job.result is not None:
            if shown is None or shown.job_id != job.id:
                state.shown.set(_Shown(job.id, job.request, job.result))
            ui.update_navset("tabs", selected="results")

    @render.ui
    def progress_box() -> TagChild:
        problem = state.run_problem()
        bar = page.progress(state.status())
        return TagList(bar, page.error_box(*problem)) if problem is not None else bar


# ------------------------------------------------------------------------------------------ results


def _results_part(state: _State, baselines: Baselines) -> None:
    def shown() -> _Shown:
        value = state.shown()
        req(value)
        assert value is not None
        return value

    @render.ui
    def results_box() -> TagChild:
        value = state.shown()
        if value is None:
            return tags.p(
                "No results yet. Choose a baseline, change what you want, and press Run.", id="no-results"
            )
        request, comparison = value.request, value.comparison
        base, option = request.baseline.name, request.option.name
        return TagList(
            tags.h2(f"{option} against {base}", class_="h4"),
            tags.p(
                f"{request.replications} replications of {_years(request.years)} each, on common random "
                "numbers. Each figure is a yearly average with its 95% confidence interval.",
                class_="form-text",
            ),
            page.headline_table(headline_rows(comparison), base, option),
            tags.h3("Downloads", class_="h5 mt-3"),
            tags.div(
                ui.download_button("download_workbook", "Excel workbook (.xlsx)", class_="me-2"),
                ui.download_button("download_briefing", "Committee briefing (.html)", class_="me-2"),
                ui.download_button("download_scenario", "Your option as a scenario file (.toml)"),
                class_="mb-3",
            ),
            tags.h3("Charts", class_="h5"),
            *[
                tags.figure(
                    tags.figcaption(chart.heading, class_="h6"),
                    ui.output_image(f"chart_{chart.key}", height="auto"),
                    id=f"figure-{chart.key}",
                )
                for chart in CHARTS
            ],
            tags.h3("Costs by financial year", class_="h5 mt-3"),
            page.cost_table(cost_rows(comparison), base, option),
            ui.output_ui("published_box"),
        )

    @render.ui
    async def published_box() -> TagChild:
        value = shown()
        found = await asyncio.to_thread(baselines.published_figures, value.request.baseline)
        if found is None:
            return None
        targets, year = found
        rows = published_rows(value.comparison, targets, year)
        if not rows:
            return None
        return page.published_table(rows, targets.authority, year, value.request.baseline.name)

    for chart in CHARTS:
        _chart_output(chart, shown, state.folder)

    def named(what: str, ending: str) -> str:
        value = state.shown()
        name = value.request.option.name if value is not None else "option"
        base = value.request.baseline.name if value is not None else "baseline"
        return f"caseflow-{_slug(base)}-{_slug(name)}-{what}{ending}"

    @render.download_button(filename=lambda: named("workbook", ".xlsx"))
    async def download_workbook() -> AsyncIterator[bytes]:
        from caseflow.present.excel import write_workbook

        path = state.folder.path / "workbook.xlsx"
        await asyncio.to_thread(write_workbook, shown().comparison, path)
        yield path.read_bytes()

    @render.download_button(filename=lambda: named("briefing", ".html"))
    async def download_briefing() -> AsyncIterator[bytes]:
        value = shown()
        text = await asyncio.to_thread(_briefing, value.request, value.comparison)
        yield text.encode("utf-8")

    @render.download_button(filename=lambda: named("scenario", ".toml"))
    async def download_scenario() -> AsyncIterator[bytes]:
        path = state.folder.path / "option-download.toml"
        await asyncio.to_thread(_write_option, shown().request.option, path)
        yield path.read_bytes()


def _years(n: int) -> str:
    return "1 financial year" if n == 1 else f"{n} financial years"


def _chart_output(chart: Chart, shown: Callable[[], _Shown], folder: SessionFolder) -> None:
    """The output ``chart_<key>``: the chart drawn off the event loop into the session's folder, once a
    run, with its text alternative."""

    async def draw() -> ImgData:
        value = shown()
        path = folder.path / f"{chart.key}-{value.job_id}.png"
        await asyncio.to_thread(save_chart, chart, value.comparison, path)
        alt = await asyncio.to_thread(chart.describe, value.comparison)
        return {"src": str(path), "alt": alt, "width": "100%"}

    draw.__name__ = f"chart_{chart.key}"  # the output's id
    render.image(delete_file=False)(draw)


def _briefing(request: RunRequest, comparison: Comparison) -> str:
    from caseflow.present.briefing import Briefing, briefing_html

    briefing = Briefing(
        title=f"{request.option.name} against {request.baseline.name}",
        question="What would the changes in this option do to timeliness, caseloads, the workforce and cost?",
        options={request.baseline.name: request.baseline, request.option.name: request.option},
        context="Prepared with the caseflow web app.",
        years=request.years,
        replications=request.replications,
        seed=request.seed,
    )
    return briefing_html(briefing, comparison)


def _write_option(option: Scenario, path: Path) -> None:
    """The option as one self-contained scenario file (no ``extends``): ``caseflow run`` takes it,
    and so does this app's upload."""
    from caseflow.scenario.writer import write_scenario

    write_scenario(
        path,
        option.model_dump(exclude_none=True),
        header="Written by the caseflow web app: the whole scenario, every value; sources in [provenance].",
    )


# ------------------------------------------------------------------------------------ what is needed


def _target_request(
    input: Inputs, settings: AppSettings, state: _State, levers: list[Lever]
) -> TargetRequest | Problem:
    """The search the page asks for, or why it cannot start."""
    scenario = state.base()
    if scenario is None:
        return ("Choose a baseline first", [])
    try:
        option, _ = _option(input, scenario, levers)
    except LeverError as exc:
        return ("Some numbers cannot be used", exc.problems)
    years, value = _whole(input.years()), input.target_value()
    if years is None or not isinstance(value, int | float) or not math.isfinite(value):
        return ("This search cannot start", [("", "Give the target as a number, and whole years under Run.")])
    second, value2 = str(input.target_kpi2() or ""), input.target_value2()
    if second and (not isinstance(value2, int | float) or not math.isfinite(value2)):
        return ("This search cannot start", [("", "Give the second target as a number.")])
    reps = settings.search_max_replications
    try:
        settings.check_search(option.population, option.run.warmup_years, years, reps)
        return TargetRequest(
            option,
            str(input.target_team()),
            str(input.target_kpi()),
            float(value),
            float(input.target_confidence()),
            years,
            settings.seed,
            initial_replications=settings.search_replications,
            max_replications=reps,
            search=str(input.target_search()),
            also=((second, float(value2)),) if second else (),
        )
    except (RunLimitError, ValueError) as exc:
        return ("This search cannot start", [("", str(exc))])


@dataclass
class _Search:
    """One session's search for what is needed."""

    job: reactive.Value[Job | None]
    status: reactive.Value[JobStatus | None]
    problem: reactive.Value[Problem | None]
    answer: reactive.Value[tuple[str, TargetRequest, TargetResult] | None]


def _target_part(
    input: Inputs, settings: AppSettings, runner: JobRunner, state: _State, levers: Callable[[], list[Lever]]
) -> None:
    search = _Search(reactive.value(None), reactive.value(None), reactive.value(None), reactive.value(None))
    _target_runs(input, settings, runner, state, levers, search)
    _target_view(input, state, levers, search)


def _target_runs(
    input: Inputs,
    settings: AppSettings,
    runner: JobRunner,
    state: _State,
    levers: Callable[[], list[Lever]],
    search: _Search,
) -> None:
    @reactive.effect
    @reactive.event(input.find)
    def _find() -> None:
        wanted = _target_request(input, settings, state, levers())
        if not isinstance(wanted, TargetRequest):
            search.problem.set(wanted)
            return
        new = _replace_job(runner, wanted, search.job, search.problem)
        if new is not None:
            state.latest_search = new

    @reactive.effect
    @reactive.event(input.find_cancel)
    def _stop() -> None:
        _cancel_job(search.job)

    @reactive.effect
    def _watch_search() -> None:
        current = search.job()
        if current is None:
            return
        now = current.status()
        with reactive.isolate():
            if now != search.status():
                search.status.set(now)
            shown = search.answer()
        if not now.finished:
            reactive.invalidate_later(_POLL_SECONDS)
        elif (
            now.state is JobState.DONE
            and isinstance(current.request, TargetRequest)
            and (shown is None or shown[0] != current.id)
        ):
            search.answer.set((current.id, current.request, current.result))


def _target_view(input: Inputs, state: _State, levers: Callable[[], list[Lever]], search: _Search) -> None:
    @render.ui
    def target_box() -> TagChild:
        scenario = state.base()
        if scenario is None:
            return tags.p("Choose a baseline first (step 1).", class_="form-text")
        if scenario.workforce is None or not scenario.workforce.enabled:
            return tags.p("This scenario has no social-worker teams to search.", class_="form-text")
        holding = [t for t, params in scenario.workforce.teams.items() if params.case_holding]
        choices = {k: f"{describe(k).label} ({describe(k).unit_label})" for k in TARGET_KPIS}
        return TagList(
            page.target_form(scenario, choices, holding[0] if holding else None),
            ui.output_ui("target_progress"),
            ui.output_ui("target_result"),
        )

    @render.ui
    def target_progress() -> TagChild:
        idle = "Press the button to search; it runs while you carry on with the rest."
        bar = page.progress(search.status(), "target-state", idle)
        found = search.problem()
        return TagList(bar, page.error_box(*found)) if found is not None else bar

    @render.ui
    def target_result() -> TagChild:
        value = search.answer()
        if value is None:
            return None
        _, request, result = value
        use = (
            ui.input_action_button(
                "use_answer",
                f"Use {request.shown(result.value)} in your option",
                class_="btn-outline-primary",
            )
            if result.value is not None and result.status == "found"
            else None
        )
        return TagList(
            page.target_answer(
                request.question(),
                answer_text(request, result),
                level_rows(request, result),
                request.searched.heading,
                [describe(kpi).label for kpi, _ in request.goals],
            ),
            use,
        )

    @reactive.effect
    @reactive.event(input.use_answer)
    def _use() -> None:
        value = search.answer()
        answer = None if value is None else value[2].value
        if value is None or answer is None:
            return
        field, level = value[1].use(answer)
        for lv in levers():
            if lv.field == field:
                shown = level * 100 if lv.kind == "share" else level
                ui.update_numeric(lv.key, value=round(shown, 2))
        ui.update_navset("tabs", selected="levers")
