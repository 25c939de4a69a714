"""The page: what a planner or finance officer sees, built with Shiny's HTML helpers.

Plain HTML underneath, so the page works with the keyboard and screen readers: real ``<label>``\\ s on
every input with its unit, the help sentence tied to its input (``aria-describedby``), tables with
captions and header cells, a progress bar with its value in words, errors in ``role="alert"`` boxes,
and definitions shown on hover and on keyboard focus. Colour never carries meaning alone: the charts
use the Okabe–Ito palette (:mod:`caseflow.present.charts`) and the results table says "clear" or
"within chance" in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any, cast

from htmltools import Tag, TagChild, TagList, tags
from shiny import ui

from caseflow.app.baselines import ENGLAND, Authority
from caseflow.app.demand import MAX_RAMP_MONTHS
from caseflow.app.jobs import JobState, JobStatus
from caseflow.app.levers import DEMAND, GROUPS, TEAMS, Lever, team_words
from caseflow.app.needs import SEARCHES, LevelRow
from caseflow.app.results import CostRow, HeadlineRow, PublishedRow
from caseflow.app.settings import AppSettings
from caseflow.scenario.schema import Scenario

__all__ = [
    "baseline_summary",
    "cost_table",
    "error_box",
    "headline_table",
    "lever_inputs",
    "page",
    "progress",
]

TITLE = "caseflow: children's social care what-if"

_CSS = """
body { font-size: 1rem; }
.form-text { color: #444; }
.kpi-term { border-bottom: 1px dotted #333; cursor: help; }
.verdict-clear { font-weight: 600; }
table.results caption { caption-side: top; color: #222; font-weight: 600; }
table.results td.num, table.results th.num { text-align: right; white-space: nowrap; }
.progress { height: 1.5rem; }
:focus-visible { outline: 3px solid #0072B2; outline-offset: 2px; }
"""


def _help_id(input_id: str) -> str:
    return f"{input_id}-help"


def described(tag: Tag, input_id: str, text: str) -> TagList:
    """``tag`` (a Shiny input) with ``text`` below it, tied to the input for screen readers."""
    for child in tag.children:
        if isinstance(child, Tag) and child.name in ("input", "select"):
            child.attrs["aria-describedby"] = _help_id(input_id)
    tag.append(tags.div(text, id=_help_id(input_id), class_="form-text mb-3"))
    return TagList(tag)


def _authority_choices(authorities: Sequence[Authority]) -> dict[str, dict[str, str]]:
    """``{region: {code: name}}``, for a searchable list grouped by region."""
    out: dict[str, dict[str, str]] = {}
    for region, group in groupby(
        sorted(authorities, key=lambda a: (a.region, a.name)), key=lambda a: a.region
    ):
        out[region or "Other"] = {a.code: a.name for a in group}
    return out


def _start_from(authorities: Sequence[Authority], year: int | None) -> TagList:
    where = f"published figures to 31 March {year}" if year else "published figures"
    return TagList(
        tags.h2("1. Start from", class_="h5"),
        described(
            ui.input_radio_buttons(
                "baseline_kind",
                "Baseline",
                {
                    ENGLAND: "The England-average authority",
                    "authority": "An English authority",
                    "upload": "A scenario file",
                },
                selected=ENGLAND,
            ),
            "baseline_kind",
            "What your options are compared with. The England-average authority has 60,000 children "
            "and national rates and staffing.",
        ),
        ui.panel_conditional(
            "input.baseline_kind === 'authority'",
            described(
                ui.input_selectize(
                    "authority",
                    "Authority",
                    cast(Any, {"": "", **_authority_choices(authorities)}),  # "": nothing chosen yet
                    selected="",
                    options={"placeholder": "Type to search…"},
                ),
                "authority",
                f"Built from the authority's {where} (what caseflow profile does).",
            ),
        ),
        ui.panel_conditional(
            "input.baseline_kind === 'upload'",
            described(
                ui.input_file(
                    "upload", "Scenario file (.toml)", accept=[".toml"], button_label="Choose file…"
                ),
                "upload",
                "A caseflow scenario file. It is checked like any scenario; it may extend one of the "
                "bundled scenarios by name, such as baseline.toml. It stays on this computer.",
            ),
        ),
        ui.output_ui("baseline_box"),
    )


def _run_controls(settings: AppSettings) -> TagList:
    return TagList(
        tags.h2("3. Run", class_="h5 mt-3"),
        described(
            ui.input_numeric(
                "years", "Years to simulate", settings.years, min=1, max=settings.max_years, step=1
            ),
            "years",
            "Financial years reported, after a settling-in year where the baseline has one.",
        ),
        described(
            ui.input_numeric(
                "replications",
                "Replications",
                settings.replications,
                min=2,
                max=settings.max_replications,
                step=1,
            ),
            "replications",
            "Each replication is one possible future. More give narrower confidence intervals and take "
            "longer; 20 or more for decisions.",
        ),
        tags.div(
            ui.input_action_button("run", "Run", class_="btn-primary me-2"),
            ui.input_action_button("cancel", "Cancel", class_="btn-outline-secondary"),
            class_="mb-2",
        ),
        ui.output_ui("progress_box"),
    )


def _about() -> TagList:
    return TagList(
        tags.h2("About this app", class_="h4"),
        tags.p(
            "caseflow simulates children's cases flowing through an English local authority's children's "
            "social care, with social workers as finite capacity. Each run simulates the baseline and "
            "your option on the same random numbers, so the difference shows the effect of your changes "
            "rather than chance."
        ),
        tags.p(
            "Figures are means over replications with 95% confidence intervals: if the run were repeated "
            "many times, 95 in 100 such intervals would hold the true value. A difference is ",
            tags.strong("clear"),
            " when its interval does not include zero, and ",
            tags.strong("within chance"),
            " when it does: then run more replications before relying on it.",
        ),
        tags.p(
            "Nothing you enter or upload leaves this computer: the app runs here, and its files stay in "
            "its own folder."
        ),
    )


def page(settings: AppSettings, authorities: Sequence[Authority], year: int | None) -> Tag:
    """The whole page."""
    sidebar = ui.sidebar(
        _start_from(authorities, year),
        _run_controls(settings),
        width=360,
        title=None,
        open="always",
        resizable=False,  # bslib's resize handle is a focusable separator without a value (axe: critical)
    )
    main = ui.navset_card_tab(
        ui.nav_panel(
            "2. What to change",
            tags.p(
                "Change any number below; what you leave as it is stays as in the baseline. Each says what "
                "it means. Then press Run.",
                class_="mb-2",
            ),
            ui.output_ui("changes_box"),
            ui.output_ui("levers_box"),
            value="levers",
        ),
        ui.nav_panel("4. Results", ui.output_ui("results_box"), value="results"),
        ui.nav_panel("5. What is needed?", ui.output_ui("target_box"), value="needs"),
        ui.nav_panel("About", _about(), value="about"),
        id="tabs",
    )
    return ui.page_sidebar(
        sidebar,
        tags.style(_CSS),
        main,
        title=tags.header(tags.h1(TITLE, class_="h3 m-0")),  # a banner landmark: axe wants all content in one
        window_title=TITLE,
        lang="en-GB",
    )


# --------------------------------------------------------------------------------------- pieces


def error_box(title: str, problems: Sequence[tuple[str, str]]) -> Tag:
    """An error the reader must see: announced by screen readers, each problem on its own line."""
    return tags.div(
        tags.strong(title),
        tags.ul(*[tags.li(f"{where}: {what}" if where else what) for where, what in problems], class_="mb-0"),
        class_="alert alert-danger mt-2",
        role="alert",
        id="error-box",
    )


def baseline_summary(scenario: Scenario) -> Tag:
    stock = scenario.opening_stock
    facts = [
        ("Children aged 0–17", f"{scenario.population:,}"),
        ("Children in need at the start", f"{stock.children_in_need:,}"),
        ("On a child protection plan", f"{stock.child_protection:,}"),
        ("Looked after", f"{stock.looked_after:,}"),
    ]
    return tags.div(
        tags.p(tags.strong(scenario.name), class_="mb-1"),
        tags.p(scenario.description, class_="mb-1") if scenario.description else None,
        tags.dl(*[x for k, v in facts for x in (tags.dt(k, class_="fw-normal"), tags.dd(v, class_="mb-1"))]),
        class_="border rounded p-2 mt-2 small",
        id="baseline-summary",
        aria_live="polite",
    )


def _number(lv: Lever, scenario: Scenario, label: str, described_by: str) -> Tag:
    """A number input for a lever, its help tied to it by ``aria-describedby``."""
    value = lv.shown(scenario)
    tag = ui.input_numeric(
        lv.key,
        f"{label} ({lv.unit})",
        int(value) if float(value).is_integer() else value,
        min=lv.minimum,
        max=lv.maximum,
        step=lv.step,
    )
    for child in tag.children:
        if isinstance(child, Tag) and child.name == "input":
            child.attrs["aria-describedby"] = described_by
    return tag


def _team_levers(levers: Sequence[Lever], scenario: Scenario) -> TagList:
    """One group per team (a fieldset: its name is read before each of its numbers), the help for each
    kind of number given once, above them all."""
    aspects: dict[str, Lever] = {}
    for lv in levers:
        aspects.setdefault(lv.aspect, lv)
    helps = [
        tags.p(tags.strong(first.short + ": "), first.help, id=f"help-{aspect}", class_="form-text mb-1")
        for aspect, first in aspects.items()
    ]
    teams: dict[str, list[Lever]] = {}
    for lv in levers:
        teams.setdefault(lv.team or "", []).append(lv)
    fieldsets = [
        tags.fieldset(
            tags.legend(team_words(team) + " team", class_="h6 mb-1"),
            ui.layout_columns(
                *[_number(lv, scenario, lv.short, f"help-{lv.aspect}") for lv in members],
                col_widths=3,
            ),
            class_="border-top pt-2",
            id=f"team-{members[0].key.split('__', 1)[-1]}",
        )
        for team, members in teams.items()
    ]
    return TagList(tags.div(*helps, class_="mb-2"), *fieldsets)


def lever_inputs(levers: Sequence[Lever], scenario: Scenario) -> Tag:
    """Every lever as a labelled number input with its unit and meaning, in groups."""
    panels = []
    for group in GROUPS:
        members = [lv for lv in levers if lv.group == group]
        if not members:
            continue
        by_team = [lv for lv in members if lv.team is not None]
        others = [
            TagList(_number(lv, scenario, lv.label, _help_id(lv.key)), _help(lv))
            for lv in members
            if lv.team is None
        ]
        body: list[TagChild] = [_team_levers(by_team, scenario) if by_team else TagList(), *others]
        if group == DEMAND:
            body += _demand_timing_inputs(scenario)
        panels.append(ui.accordion_panel(group, *body, value=group))
        if group == TEAMS and scenario.workforce is not None and scenario.workforce.enabled:
            panels.append(ui.accordion_panel(CAMPAIGN, *_campaign_inputs(scenario), value=CAMPAIGN))
    return tags.div(
        *_from_date_inputs(scenario),
        ui.accordion(*panels, id="lever_groups", open=list(GROUPS[:2]), multiple=True),
        ui.input_action_button("reset", "Put every number back to the baseline", class_="btn-link mt-2"),
    )


_FROM_DATE_HELP = (
    "For the whole period: the option's numbers hold from the start of the run. From a date: the "
    "baseline's numbers until then, the option's from that day (for example, posts funded from next "
    "April). The change in contacts has its own timing, under Demand; a recruitment campaign has its own "
    "date."
)


def _from_date_inputs(scenario: Scenario) -> list[TagChild]:
    """When the changes to staff, agency, leavers, recruitment and early help take effect."""
    dated = ui.layout_columns(_date_input("other_start", scenario), col_widths=4)
    return _timing("other", "When the changes below take effect", dated, _FROM_DATE_HELP)


def _date_input(input_id: str, scenario: Scenario) -> Tag:
    """A day the user picks, from the day the simulation starts (day/month/year, as in England)."""
    start = scenario.run.start_date
    return ui.input_date(
        input_id, "From (day/month/year)", value=start, min=start, format="dd/mm/yyyy", language="en-GB"
    )


def _timing(prefix: str, question: str, dated: Tag, help_text: str) -> list[TagChild]:
    """``question`` answered "For the whole period" or "From a date" (input ``<prefix>_when``); the
    ``dated`` inputs shown only for the second; every input tied to the help ``help_text``."""
    help_id = f"help-{prefix}-when"
    when = ui.input_radio_buttons(
        f"{prefix}_when",
        question,
        {"whole": "For the whole period", "dated": "From a date"},
        selected="whole",
        inline=True,
    )
    for tag in (when, dated):
        for child in tag.children:
            _describe_inputs(child, help_id)
    return [
        when,
        ui.panel_conditional(f"input.{prefix}_when === 'dated'", dated),
        tags.p(help_text, id=help_id, class_="form-text mb-2"),
    ]


CAMPAIGN = "Recruitment campaign"
_CAMPAIGN_HELP = (
    "A campaign adds funded posts to one team from a date. The new posts are filled after about the "
    "months given (adverts, interviews, notice periods) instead of the usual time to fill a post. "
    "Leave the extra posts at 0 for no campaign."
)


def _campaign_inputs(scenario: Scenario) -> list[TagChild]:
    assert scenario.workforce is not None
    teams = {t: team_words(t) for t in scenario.workforce.teams}
    holding = [t for t, p in scenario.workforce.teams.items() if p.case_holding]
    fields = [
        ui.input_select("campaign_team", "Team", teams, selected=holding[0] if holding else None),
        ui.input_numeric("campaign_posts", "Extra funded posts (FTE)", 0, min=0, max=500, step=0.5),
        _date_input("campaign_start", scenario),
        ui.input_numeric("campaign_fill", "Months to fill the new posts", 4, min=0.25, max=36, step=0.5),
    ]
    for tag in fields:
        for child in tag.children:
            if isinstance(child, Tag) and child.name in ("input", "select"):
                child.attrs["aria-describedby"] = "help-campaign"
            elif isinstance(child, Tag):  # a select or a date input sits inside a wrapper
                for inner in child.children:
                    if isinstance(inner, Tag) and inner.name in ("input", "select"):
                        inner.attrs["aria-describedby"] = "help-campaign"
    return [
        tags.p(_CAMPAIGN_HELP, id="help-campaign", class_="form-text mb-2"),
        ui.layout_columns(*fields, col_widths=3),
    ]


_DEMAND_TIMING_HELP = (
    "From a date: the change starts then. Phased in: in equal monthly steps, the first on the date; "
    "6 months takes a 12% rise as +2%, +4%, … up to +12% five months later. 0 or 1 month: all at once."
)


def _demand_timing_inputs(scenario: Scenario) -> list[TagChild]:
    """When the change in contacts takes effect: the whole period, or from a date, phased in or not."""
    dated = ui.layout_columns(
        _date_input("demand_start", scenario),
        ui.input_numeric("demand_ramp", "Phased in over (months)", 0, min=0, max=MAX_RAMP_MONTHS, step=1),
        col_widths=4,
    )
    return _timing("demand", "When the change in contacts takes effect", dated, _DEMAND_TIMING_HELP)


def _describe_inputs(node: TagChild, help_id: str) -> None:
    """Tie every input and select inside ``node`` to the help ``help_id`` (``aria-describedby``)."""
    if not isinstance(node, Tag):
        return
    if node.name in ("input", "select"):
        node.attrs["aria-describedby"] = help_id
    for child in node.children:
        _describe_inputs(child, help_id)


def _help(lv: Lever) -> Tag:
    return tags.div(lv.help, id=_help_id(lv.key), class_="form-text mb-3")


def progress(
    status: JobStatus | None,
    element_id: str = "run-state",
    idle: str = "Press Run to compare your option with the baseline.",
) -> TagChild:
    """The run's progress bar and its state in words."""
    if status is None:
        return tags.p(idle, class_="form-text", id=element_id)
    if status.total == 0 and status.state is JobState.RUNNING:
        return _searching(status, element_id)
    pct = round(100 * status.fraction)
    words = {
        JobState.QUEUED: "Waiting for a free worker…",
        JobState.RUNNING: f"Running: {status.done} of {status.total} replications done.",
        JobState.DONE: "Done." + (" (These results were already worked out.)" if status.from_cache else ""),
        JobState.FAILED: status.message,
        JobState.CANCELLED: status.message,
    }[status.state]
    bar = tags.div(
        tags.div(class_="progress-bar", style=f"width: {pct}%"),
        class_="progress",
        role="progressbar",
        aria_label="Run progress",
        aria_valuenow=str(pct),
        aria_valuemin="0",
        aria_valuemax="100",
        aria_valuetext=f"{pct}%",
    )
    alert = status.state in (JobState.FAILED,)
    return tags.div(
        bar,
        tags.p(words, class_="mt-1" + (" text-danger" if alert else ""), id=element_id, role="status"),
    )


def _searching(status: JobStatus, element_id: str) -> Tag:
    """A search's progress: how many replications so far (how many it needs is not known)."""
    bar = tags.div(
        tags.div(class_="progress-bar progress-bar-striped progress-bar-animated", style="width: 100%"),
        class_="progress",
        role="progressbar",
        aria_label="Search progress",
        aria_valuetext=f"searching: {status.done} replications run",
    )
    words = f"Searching: {status.done} replications run so far."
    return tags.div(bar, tags.p(words, class_="mt-1", id=element_id, role="status"))


def _term(label: str, definition: str) -> Tag:
    """A measure's name with its definition on hover and on keyboard focus."""
    return ui.tooltip(tags.span(label, class_="kpi-term", tabindex="0"), definition, placement="right")


def _headline_row(r: HeadlineRow) -> Tag:
    def cell(main: str, small: str) -> Tag:
        return tags.td(main, tags.br(), tags.span(small, class_="small"), class_="num")

    return tags.tr(
        tags.th(
            _term(r.label, r.definition),
            tags.br(),
            tags.span(r.unit, class_="small text-muted"),
            scope="row",
            class_="fw-normal",
        ),
        cell(r.baseline, r.baseline_ci),
        cell(r.option, r.option_ci),
        cell(r.difference, r.difference_ci),
        _verdict_cell(r.verdict),
        data_kpi=r.kpi,
    )


def _verdict_cell(verdict: str) -> Tag:
    """Whether a difference is clear, in words (the class only adds weight to "clear")."""
    slug = "-".join(verdict.split(":")[0].split()[:2])
    return tags.td(verdict, class_=f"verdict verdict-{slug}" if verdict else None)


def headline_table(rows: Sequence[HeadlineRow], baseline: str, option: str) -> Tag:
    head = tags.tr(
        tags.th("Measure", scope="col"),
        tags.th(
            baseline, tags.br(), tags.span("(95% interval)", class_="fw-normal"), scope="col", class_="num"
        ),
        tags.th(
            option, tags.br(), tags.span("(95% interval)", class_="fw-normal"), scope="col", class_="num"
        ),
        tags.th(
            "Difference",
            tags.br(),
            tags.span("(95% interval)", class_="fw-normal"),
            scope="col",
            class_="num",
        ),
        tags.th("Is it clear?", scope="col"),
    )
    body: list[Tag] = []
    for section, members in groupby(rows, key=lambda r: r.section):
        body.append(tags.tr(tags.th(section, colspan="5", scope="colgroup", class_="table-light")))
        body.extend(_headline_row(r) for r in members)
    return tags.table(
        tags.caption(f"{option} against {baseline}: yearly averages over the years simulated"),
        tags.thead(head),
        tags.tbody(*body),
        class_="table table-sm results",
        id="headline-table",
    )


def cost_table(rows: Sequence[CostRow], baseline: str, option: str) -> Tag:
    head = tags.tr(
        tags.th("Financial year", scope="col"),
        tags.th("Cost", scope="col"),
        tags.th(baseline, scope="col", class_="num"),
        tags.th(option, scope="col", class_="num"),
        tags.th("Difference (95% interval)", scope="col", class_="num"),
        tags.th("Is it clear?", scope="col"),
    )
    body = [
        tags.tr(
            tags.th(r.period, scope="row", class_="fw-normal"),
            tags.td(r.label),
            tags.td(r.baseline, class_="num"),
            tags.td(r.option, class_="num"),
            tags.td(r.difference, " ", tags.span(f"({r.difference_ci})", class_="small"), class_="num"),
            _verdict_cell(r.verdict),
            data_kpi=r.kpi,
        )
        for r in rows
    ]
    return tags.table(
        tags.caption("Costs by financial year (£, outturn prices)"),
        tags.thead(head),
        tags.tbody(*body),
        class_="table table-sm results",
        id="cost-table",
    )


def published_table(rows: Sequence[PublishedRow], authority: str, year: int, baseline: str) -> TagList:
    """The authority's published figures beside the baseline's first simulated year."""
    head = tags.tr(
        tags.th("Measure", scope="col"),
        tags.th(f"Published, year to 31 March {year}", scope="col", class_="num"),
        tags.th(f"{baseline}, first year simulated (95% interval)", scope="col", class_="num"),
        tags.th("Simulated against published", scope="col", class_="num"),
    )
    body = [
        tags.tr(
            tags.th(r.label, scope="row", class_="fw-normal"),
            tags.td(r.published, class_="num"),
            tags.td(r.modelled, " ", tags.span(f"({r.modelled_ci})", class_="small"), class_="num"),
            tags.td(r.gap, class_="num"),
            data_kpi=r.kpi,
        )
        for r in rows
    ]
    return TagList(
        tags.h3(f"The baseline against {authority}'s published figures", class_="h5 mt-3"),
        tags.p(
            "The baseline is built from the authority's published figures so that, with nothing changed, "
            "it carries on as it was. Its first simulated year should be close to the last published one; "
            "a large gap shows where national assumptions do not fit this authority (caseflow calibrate "
            "fits them to its own years).",
            class_="form-text",
        ),
        tags.table(
            tags.caption(f"{authority}: published and simulated"),
            tags.thead(head),
            tags.tbody(*body),
            class_="table table-sm results",
            id="published-table",
        ),
    )


_TARGET_HELP = (
    "Find what is needed to meet one target, or two together, with the rest of your option as it "
    "stands: the fewest funded posts in a team, the least money a year more for a team, the smallest "
    "share of vacancies covered by agency workers, or the largest share of a team's posts that can be "
    "held vacant. Levels are tried on the same random numbers, with more replications where a level is "
    "too close to call, so a search takes a minute or several. The years simulated are those under Run."
)
_TARGET_VALUE = "Target (% at least; for caseloads, children per FTE at most)"


def target_form(scenario: Scenario, choices: dict[str, str], default_team: str | None) -> TagList:
    """The question's inputs: what to search (and in which team), one or two targets, the confidence."""
    assert scenario.workforce is not None
    teams = {t: team_words(t) for t in scenario.workforce.teams}
    per_team = [key for key, searched in SEARCHES.items() if searched.per_team]
    fields = [
        ui.input_select("target_search", "What to search", {k: v.label for k, v in SEARCHES.items()}),
        ui.panel_conditional(
            " || ".join(f"input.target_search === '{key}'" for key in per_team),
            ui.input_select("target_team", "Team", teams, selected=default_team),
        ),
        ui.input_select(
            "target_confidence", "Confidence", {"0.8": "80%", "0.9": "90%", "0.95": "95%"}, selected="0.9"
        ),
    ]
    targets = [
        ui.input_select("target_kpi", "Measure", choices),
        ui.input_numeric("target_value", _TARGET_VALUE, 90),
        ui.input_select("target_kpi2", "And a second measure (optional)", {"": "None", **choices}),
        ui.input_numeric("target_value2", _TARGET_VALUE, 18),
    ]
    for tag in (*fields, *targets):
        _describe_inputs(tag, "help-target")
    return TagList(
        tags.p(_TARGET_HELP, id="help-target", class_="form-text"),
        ui.layout_columns(*fields, col_widths=4),
        ui.layout_columns(*targets, col_widths=3),
        tags.div(
            ui.input_action_button("find", "Find what is needed", class_="btn-primary me-2"),
            ui.input_action_button("find_cancel", "Stop", class_="btn-outline-secondary"),
            class_="mb-2",
        ),
    )


def target_answer(
    question: str, answer: str, rows: Sequence[LevelRow], heading: str, measures: Sequence[str]
) -> Tag:
    head = tags.tr(
        tags.th(heading, scope="col", class_="num"),
        tags.th("Replications", scope="col", class_="num"),
        *[tags.th(m, scope="col", class_="num") for m in measures],
        tags.th("Verdict", scope="col"),
    )
    body = [
        tags.tr(
            tags.th(r.level, scope="row", class_="num fw-normal"),
            tags.td(str(r.replications), class_="num"),
            *[tags.td(m, class_="num") for m in r.means],
            tags.td(r.verdict),
        )
        for r in rows
    ]
    return tags.div(
        tags.p(tags.em(question)),
        tags.p(tags.strong(answer), id="target-answer"),
        tags.table(
            tags.caption("Every level tried"),
            tags.thead(head),
            tags.tbody(*body),
            class_="table table-sm results",
            id="target-table",
        ),
        id="target-result",
    )
