"""The web app in a real browser: headless Chromium (Debian's ``chromium``, driven by Playwright) through
the journeys a planner or finance officer takes.

The app is served on a free port of 127.0.0.1 as ``caseflow app`` serves it (the same ASGI app, worker
processes included; uvicorn on a thread of this process, so that coverage sees the page's code), with a
small authority (6,000 children, one year, two replications) so that a run takes a second or two.
``tests/test_app_command.py`` starts ``python -m caseflow.app`` itself. Playwright never downloads a
browser here: it is pointed at the system's ``chromium`` (``apt-get install -y chromium``; ``.ci/run``
installs it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import sync_playwright
from tests.app_support import SMALL_NAME, served, serving, write_small_scenarios

import caseflow

CHROMIUM_MISSING = (
    "The browser tests need Debian's chromium, which is not installed. Install it with: "
    "apt-get install -y chromium (as root; .ci/run does this)"
)
#: How long the page may take to show something (a run of the small authority takes a second or two).
WAIT_MS = 60_000
#: Every session asks for reduced motion, as a user may: Bootstrap then opens an accordion group at once
#: and scrolls without smoothing. With motion, a click that lands while a group is still opening can miss
#: its target on a busy machine (a radio button was left unchecked about once in 25 tries under load).
STILL: dict[str, Any] = {"reduced_motion": "reduce"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("app")
    base = write_small_scenarios(root / "scenarios")
    with serving(base, root / "folder") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, app: str) -> Iterator[Any]:
    """A fresh browser session (its own cookies and storage) on the app, with the baseline shown."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True, **STILL)
    context.set_default_timeout(WAIT_MS)
    p = context.new_page()
    p.elsewhere = []  # requests to anywhere but the app
    p.on("request", lambda r: None if r.url.startswith(app) else p.elsewhere.append(r.url))
    p.goto(app)
    p.wait_for_selector("#baseline-summary")
    yield p
    context.close()


def test_the_page_opens_labelled_in_plain_words(page: Any) -> None:
    assert page.title() == "caseflow: children's social care what-if"
    assert page.get_attribute("html", "lang") == "en-GB"
    assert SMALL_NAME in page.inner_text("#baseline-summary")
    page.wait_for_selector("#establishment__assessment")
    # every number has a visible label with its unit, and a sentence saying what it means
    for box in page.query_selector_all("input[type=number]"):
        box_id = box.get_attribute("id")
        label = page.inner_text(f"label[for={box_id}]")
        assert label.strip(), box_id
        help_id = box.get_attribute("aria-describedby")
        assert help_id, box_id
        assert len(page.inner_text(f"#{help_id}")) > 20, box_id
    assert "(FTE)" in page.inner_text("label[for=establishment__assessment]")
    assert page.elsewhere == []  # nothing is fetched from anywhere but this computer


def test_change_a_lever_run_read_the_result_and_download_the_workbook(
    page: Any, browser: Any, app: str, tmp_path: Path
) -> None:
    page.fill("#establishment__assessment", "1")
    page.press("#establishment__assessment", "Tab")
    page.wait_for_selector("#changes li")
    assert "Assessment team: funded posts: 3 → 1 FTE" in page.inner_text("#changes")
    # another browser session sees none of this
    other = browser.new_page(**STILL)
    other.goto(app)
    other.wait_for_selector("#changes")
    assert "No changes yet" in other.inner_text("#changes")

    page.focus("#run")  # the keyboard runs it
    page.keyboard.press("Enter")
    page.wait_for_selector("#headline-table")
    assert "Done" in page.inner_text("#run-state")
    assert page.get_attribute("[role=progressbar]", "aria-valuenow") == "100"
    row = page.locator("#headline-table tr[data-kpi=assessment_within_45wd_pct]")
    cells = row.locator("td").all_inner_texts()
    baseline, option = (float(c.split("%")[0]) for c in cells[:2])
    assert option < baseline  # one assessment worker instead of three: fewer assessments on time
    assert cells[2].split("\n")[0].endswith(" points")
    assert "Costs by financial year" in page.inner_text("#cost-table caption")
    # a measure's definition shows on keyboard focus (and on hover)
    page.focus("#headline-table tr[data-kpi=assessment_within_45wd_pct] .kpi-term")
    tip = page.wait_for_selector(".tooltip.show")
    assert "45 working days" in tip.inner_text()
    other.click("text=4. Results")
    other.wait_for_selector("#no-results")  # the other session has no results: it ran nothing
    other.close()

    with page.expect_download() as download:
        page.click("#download_workbook")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith(".xlsx")
    book = openpyxl.load_workbook(saved, read_only=True)
    assert "Summary" in book.sheetnames
    book.close()

    with page.expect_download() as download:
        page.click("#download_briefing")
    briefing = tmp_path / "briefing.html"
    download.value.save_as(briefing)
    assert "Option against Small test authority" in briefing.read_text(encoding="utf-8")

    with page.expect_download() as download:
        page.click("#download_scenario")
    toml = tmp_path / "option.toml"
    download.value.save_as(toml)
    option_scenario = caseflow.load_scenario(toml)
    assert option_scenario.workforce is not None
    assert option_scenario.workforce.teams["assessment"].establishment == 1.0


def test_a_run_can_be_cancelled(page: Any) -> None:
    page.fill("#replications", "40")
    page.fill("#establishment__cin_cp", "3")
    page.press("#establishment__cin_cp", "Tab")
    page.wait_for_selector("#changes li")
    page.click("button.accordion-button:has-text('Recruitment campaign')")  # open its group: 2 more posts
    page.select_option("#campaign_team", "cin_cp")
    page.fill("#campaign_posts", "2")
    page.press("#campaign_posts", "Tab")
    page.wait_for_selector("#changes li:has-text('Recruitment campaign')")
    assert "2 more posts in the child in need and child protection team from 1 April 2025" in page.inner_text(
        "#changes"
    )
    page.click("#run")
    page.wait_for_selector("#run-state:has-text('Running')")
    page.click("#cancel")
    page.wait_for_selector("#run-state:has-text('Stopped')")
    assert page.locator("#headline-table").count() == 0


def test_phase_in_a_change_in_demand_and_change_turnover(page: Any) -> None:
    page.click("button.accordion-button:has-text('Demand')")  # open its group
    page.fill("#contacts_change", "12")
    page.check("input[name=demand_when][value=dated]")
    page.fill("#demand_ramp", "4")
    page.press("#demand_ramp", "Tab")
    page.wait_for_selector("#changes li:has-text('monthly steps')")
    page.click("button.accordion-button:has-text('Leavers and recruitment')")
    page.fill("#turnover_rate", "20")
    page.press("#turnover_rate", "Tab")
    page.wait_for_selector("#changes li:has-text('leaving each year')")
    text = page.inner_text("#changes")
    assert (
        "Change in contacts about new concerns: 0 → 12 % change, from 1 April 2025, in 4 equal monthly "
        "steps (the full change from 1 July 2025)"
    ) in text
    assert "Social workers leaving each year: 11.8 → 20 % leaving a year" in text
    assert "leaving a year, from" not in text  # for the whole period until a date is chosen
    assert page.get_attribute("#demand_ramp", "aria-describedby") == "help-demand-when"
    # the other changes from a date (the run's first day, as the date starts)
    page.check("input[name=other_when][value=dated]")
    page.wait_for_selector("#changes li:has-text('leaving a year, from 1 April 2025')")
    assert "in 4 equal monthly steps" in page.inner_text("#changes")  # the contacts keep their own timing
    assert page.get_attribute("input[name=other_when][value=dated]", "aria-describedby") == "help-other-when"


def test_pick_an_authority_and_see_it_beside_its_published_figures(page: Any) -> None:
    page.check("input[name=baseline_kind][value=authority]")
    page.click("#authority-selectized")
    page.keyboard.type("Peterboro")
    page.keyboard.press("Enter")
    page.wait_for_selector("#baseline-summary:has-text('Peterborough')")
    summary = page.inner_text("#baseline-summary")
    assert "Children aged 0–17" in summary
    children = int(summary.split("Children aged 0–17")[1].split()[0].replace(",", ""))
    assert 40_000 < children < 80_000
    page.wait_for_function(
        "document.querySelector('#establishment__assessment') && "
        "document.querySelector('#establishment__assessment').value !== '3'"
    )
    # run it as it stands: the baseline beside the authority's published figures
    page.click("#run")
    table = page.wait_for_selector("#published-table")
    assert "Peterborough" in table.inner_text()
    looked_after = page.locator("#published-table tr[data-kpi=cla_open_end] td").all_inner_texts()
    published, simulated = (float(c.split()[0].replace(",", "")) for c in looked_after[:2])
    assert abs(simulated / published - 1) < 0.25


def test_upload_a_bad_file_and_see_the_error(page: Any, tmp_path: Path) -> None:
    page.check("input[name=baseline_kind][value=upload]")
    bad = tmp_path / "typo.toml"
    bad.write_text('extends = "baseline.toml"\n[demand]\ncontacts_per_yer = 3\n', encoding="utf-8")
    page.set_input_files("#upload", str(bad))
    error = page.wait_for_selector("#error-box")
    assert error.get_attribute("role") == "alert"
    text = error.inner_text()
    assert "typo.toml cannot be used" in text
    assert "demand.contacts_per_yer: unknown field" in text
    good = tmp_path / "mine.toml"
    good.write_text('extends = "variant.toml"\nname = "Mine"\n', encoding="utf-8")
    page.set_input_files("#upload", str(good))
    page.wait_for_selector("#baseline-summary:has-text('Mine')")
    assert page.locator("#error-box").count() == 0


def test_ask_what_is_needed_and_use_the_answer(page: Any) -> None:
    page.click("text=5. What is needed?")
    page.wait_for_selector("#target_kpi")
    page.select_option("#target_confidence", "0.8")
    page.fill("#target_value", "80")
    page.click("#find")
    page.wait_for_selector("#target-state:has-text('Searching')")
    answer = page.wait_for_selector("#target-answer").inner_text()
    # the small authority's 3 assessment posts meet 80% with room to spare: fewer would do
    assert answer.startswith(
        "The smallest number of funded posts in the assessment team that meets the target is"
    )
    assert "Today the assessment team has 3 FTE funded." in answer
    assert page.locator("#target-table tbody tr").count() >= 2
    page.click("#use_answer")  # the answer goes into the option, on the levers' page
    page.wait_for_selector("#changes li:has-text('Assessment team: funded posts')")
    found = float(answer.split(" meets the target is ")[1].split(" FTE")[0])
    assert float(page.input_value("#establishment__assessment")) == found


# ------------------------------------------------------------------ sessions, keyboard, accessibility


def _new_session(browser: Any, app: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, **STILL)
    context.set_default_timeout(WAIT_MS)
    p = context.new_page()
    p.goto(app)
    p.wait_for_selector("#establishment__assessment")
    return context, p


def _set(p: Any, selector: str, value: str) -> None:
    p.fill(selector, value)
    p.press(selector, "Tab")


@pytest.mark.untraced
def test_two_sessions_at_once_keep_their_own_levers_runs_and_results(browser: Any, app: str) -> None:
    (ca, a), (cb, b) = _new_session(browser, app), _new_session(browser, app)
    try:
        _set(a, "#establishment__assessment", "1")
        _set(b, "#establishment__cin_cp", "4")
        a.wait_for_selector("#changes li")
        b.wait_for_selector("#changes li")
        assert "Assessment team" in a.inner_text("#changes")
        assert "Assessment team" not in b.inner_text("#changes")
        assert a.locator("#changes li").count() == 1  # only its own change
        a.click("#run")
        a.wait_for_selector("#headline-table")
        b.click("text=4. Results")
        b.wait_for_selector("#no-results")  # a's run is not b's
        b.click("#run")
        b.wait_for_selector("#headline-table")
        row = "#headline-table tr[data-kpi=assessment_within_45wd_pct] td"
        a_option, b_option = a.locator(row).all_inner_texts()[1], b.locator(row).all_inner_texts()[1]
        assert a_option != b_option  # each shows its own option's results
        assert a.locator(row).all_inner_texts()[1] == a_option  # b's run changed nothing in a
        assert a.inner_text("#changes") != b.inner_text("#changes")
    finally:
        ca.close()
        cb.close()


def _tab_to(p: Any, selector: str, *, back: bool = False, limit: int = 150) -> None:
    """Press Tab (or Shift+Tab) until ``selector`` has the focus."""
    for _ in range(limit):
        if p.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        p.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


_FOCUS_SHOWN = """() => {
  const s = getComputedStyle(document.activeElement);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
}"""


@pytest.mark.untraced
def test_the_keyboard_alone_chooses_the_baseline_changes_a_lever_and_runs(page: Any) -> None:
    page.focus("body")
    _tab_to(page, "input[name=baseline_kind]:checked")
    assert page.evaluate(_FOCUS_SHOWN)
    page.keyboard.press("Space")  # the England-average authority (here, the small one)
    _tab_to(page, "#establishment__assessment")
    assert page.evaluate(_FOCUS_SHOWN)
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    _tab_to(page, "#run", back=True)
    page.wait_for_selector("#changes li:has-text('Assessment team: funded posts: 3 → 2 FTE')")
    assert page.evaluate(_FOCUS_SHOWN)
    page.keyboard.press("Enter")
    page.wait_for_selector("#headline-table")
    assert "Option against Small test authority" in page.inner_text("#headline-table caption")


@pytest.fixture(scope="module")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _violations(axe: Any, p: Any) -> list[str]:
    found = axe.run(p).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical", "moderate")
    ]


@pytest.mark.untraced
def test_an_accessibility_audit_finds_nothing_moderate_or_worse(page: Any, axe: Any) -> None:
    """axe-core (bundled by axe-playwright-python, run in the page) on the start page and the results."""
    assert _violations(axe, page) == []
    _set(page, "#establishment__assessment", "2")
    page.click("#run")
    page.wait_for_selector("#headline-table")
    for chart in ("effects", "months", "teams", "quarters", "years"):
        img = page.wait_for_selector(f"#chart_{chart} img")
        assert img.get_attribute("alt").startswith("Chart: ")
        assert page.inner_text(f"#figure-{chart} figcaption")
    assert _violations(axe, page) == []


@pytest.mark.untraced
def test_a_run_goes_to_a_dask_scheduler(browser: Any, tmp_path: Path) -> None:
    """``caseflow app --executor tcp://…`` (its own process) sends the run to a Dask cluster started here."""
    from distributed import LocalCluster

    base = write_small_scenarios(tmp_path / "scenarios")
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            host="127.0.0.1",
            protocol="tcp://",
            dashboard_address=None,
        ) as cluster,
        served(base, tmp_path / "folder", "--executor", cluster.scheduler_address) as url,
    ):
        before = cluster.scheduler.transition_counter
        context = browser.new_context(**STILL)
        context.set_default_timeout(WAIT_MS)
        try:
            p = context.new_page()
            p.goto(url)
            p.wait_for_selector("#establishment__assessment")
            _set(p, "#establishment__assessment", "1")
            p.click("#run")
            p.wait_for_selector("#headline-table")
            cells = p.locator("#headline-table tr[data-kpi=assessment_within_45wd_pct] td").all_inner_texts()
            assert cells[0].split("\n")[0].endswith("%")
        finally:
            context.close()
        # the cluster's scheduler (in this process) handled the run's tasks
        assert cluster.scheduler.transition_counter > before
