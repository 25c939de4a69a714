"""Screenshots of the web app's main pages for the documentation (docs/app.md).

    python scripts/app_screenshots.py [--out docs/img] [--reps 6] [--years 2]

Serves the app (``python -m caseflow.app``) on a free port of 127.0.0.1 with the England-average
baseline, drives it in headless Chromium (Debian's ``chromium``, through Playwright) and writes
``app-levers.png`` (a lever changed), ``app-results.png`` (the effect with its intervals),
``app-months.png`` (the month-by-month chart), ``app-costs.png`` (costs by financial year) and
``app-upload-error.png`` (a bad upload),
as small palette PNGs. About a minute on two cores.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]


def shrink(path: Path) -> None:
    """A palette PNG: a screenshot has few colours, and the file is a third of the size."""
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def shoot(page: Page, selector: str, path: Path) -> None:
    page.locator(selector).screenshot(path=str(path))
    shrink(path)
    print(f"wrote {path} ({path.stat().st_size / 1024:,.0f} KB)")


def drive(url: str, exe: str, out: Path, tmp: Path, reps: int, years: int) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
        page.set_default_timeout(600_000)
        page.goto(url)
        page.wait_for_selector("#establishment__assessment")
        page.fill("#years", str(years))
        page.fill("#replications", str(reps))
        page.fill("#held_vacant__assessment", "30")
        page.press("#held_vacant__assessment", "Tab")
        page.wait_for_selector("#changes li")
        shoot(page, "body", out / "app-levers.png")
        page.set_viewport_size({"width": 1280, "height": 3400})
        page.click("#run")
        page.wait_for_selector("#headline-table")
        page.wait_for_selector("#chart_years img")
        page.wait_for_selector("#chart_months img")
        shoot(page, "#headline-table", out / "app-results.png")
        shoot(page, "#figure-months", out / "app-months.png")
        shoot(page, "#cost-table", out / "app-costs.png")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("text=2. What to change")
        page.check("input[name=baseline_kind][value=upload]")
        bad = tmp / "my_option.toml"
        bad.write_text('extends = "baseline.toml"\n[demand]\ncontacts_per_yer = 14000\n', encoding="utf-8")
        page.set_input_files("#upload", str(bad))
        page.wait_for_selector("#error-box")
        shoot(page, ".bslib-sidebar-layout > .sidebar", out / "app-upload-error.png")
        browser.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    p.add_argument("--reps", type=int, default=6)
    p.add_argument("--years", type=int, default=2)
    args = p.parse_args()
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        print("needs Debian's chromium: apt-get install -y chromium", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO))  # for the tests' way of serving the app
    from tests.app_support import BASELINE, served

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, served(BASELINE, Path(tmp) / "folder") as url:
        drive(url, exe, args.out, Path(tmp), args.reps, args.years)
    print(f"{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
