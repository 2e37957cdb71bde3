"""The trainers' dashboard in a real browser: Debian's chromium driven by playwright.

``orgsim dashboard`` is started on a free port; the page is loaded, played, and the gatekeepers of
the right pane are switched off; the charts and the headline must change, the right pane's
gatekeeper queue must empty, and the browser console must show no errors (nor any request fail:
the page is served offline from ``solara-assets``).  Screenshots are kept in
``results/test-artifacts/dashboard/`` (git-ignored).  Skipped, with the reason, only when chromium
or playwright is missing: ``scripts/ensure-chromium`` installs chromium (``make test`` runs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

ARTEFACTS = ROOT / "results" / "test-artifacts" / "dashboard"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    pytest.skip("Debian's chromium is not installed and could not be installed here (scripts/ensure-chromium says why; "
                "as root: apt-get update && apt-get install -y chromium)")


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("solara", reason="the dashboard needs solara (pip install solara solara-assets 'ipyvue<2' 'ipyvuetify<2')")
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "dashboard", "--port", "0", "--storyline", "change_programme"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # "orgsim dashboard: http://127.0.0.1:PORT/  (Ctrl-C stops it)"
        match = re.search(r"http://\S+", line)
        assert match, f"no address printed: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        yield match.group(0)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def _hour(page) -> int:
    return int(re.search(r"hour (\d+)", page.locator(".clock").inner_text()).group(1))


def test_play_switch_gatekeepers_off_and_watch_the_page_change(server, browser):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1500, "height": 1900})
    console_errors, page_errors, failed = [], [], []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))

    page.goto(server)
    page.get_by_role("button", name="Play").wait_for(timeout=60_000)
    _wait_for(lambda: page.locator(".charts img").count() == 1 and page.locator(".pane-before img, .pane-after img").count() == 2, 30, "the three figures")
    page.screenshot(path=str(ARTEFACTS / "01-loaded.png"))

    page.get_by_role("button", name="Play").click()
    _wait_for(lambda: _hour(page) >= 120, 60, "hour 120")
    headline_before = page.locator(".headline-line").all_inner_texts()
    charts_before = page.locator(".charts img").get_attribute("src")
    assert any("gatekeepers" in line for line in headline_before)

    for bridge in ("upward", "department", "partner", "customer"):
        page.locator(f".gate-{bridge} input").click(force=True)
    _wait_for(lambda: page.locator(".change").count() == 4, 20, "four changes listed")
    assert [t.split(": ", 1)[1] for t in page.locator(".change").all_inner_texts()] == [
        f"{b} gatekeepers off" for b in ("upward", "department", "partner", "customer")]
    _wait_for(lambda: any("gatekeepers: 0 on the right" in t for t in page.locator(".headline-line").all_inner_texts()), 60,
              "the right pane's gatekeeper queues to empty")
    page.screenshot(path=str(ARTEFACTS / "02-gatekeepers-off.png"))

    assert page.locator(".headline-line").all_inner_texts() != headline_before
    assert page.locator(".charts img").get_attribute("src") != charts_before
    page.get_by_role("button", name="Pause").click()
    _wait_for(lambda: page.get_by_role("button", name="Play").is_visible(), 10, "the pause")
    time.sleep(1.0)  # the tick under way ends and is drawn
    paused = _hour(page)
    time.sleep(1.0)
    assert _hour(page) == paused, "the page kept running after the pause"
    assert not console_errors, console_errors
    assert not page_errors, page_errors
    assert not failed, f"requests failed (the page must be served offline): {failed}"
    page.close()
