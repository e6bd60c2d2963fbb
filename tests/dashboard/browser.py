"""A real browser on the dashboard: `streamlit run` on a warehouse + Playwright on Debian's
chromium, every page rendered and screenshotted. Used by the dashboard's browser test and by the
Spark build test (the same pages on a Spark-built snapshot)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
PAGES = ["overview", "title", "compare", "cohorts", "model", "predictions", "catalogue"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Waits below are for events (the server answers its health check, the page's script run has
# finished, a chart is drawn); these timeouts only guard against a hang, at several times what a
# loaded 2-core machine needs (start-up ~10 s, a page ~5 s).
STARTUP_SECONDS = 180
RENDER_MS = 120_000
# A title is on screen (so the page's script run has started: a fresh session shows nothing before)
# and the run is over. Waiting for the running indicator to vanish instead passes at once when it
# has not appeared yet, and could then miss an exception rendered later in the run.
RUN_FINISHED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && document.querySelector('h1') !== null
    && app.getAttribute('data-test-script-state') === 'notRunning';
}"""

# KPI values that do not fit their card with HEADROOM to spare: either cut short now (ellipsis or
# clipped: an element narrower than its text), or with text measured in the card's own font wider
# than the room once multiplied by HEADROOM, so a machine whose fonts render wider still fits them.
# Reading scrollWidth forces the layout of the current viewport, so no wait is needed after a resize.
CUT_SHORT_METRICS = """async (headroom) => {
  await document.fonts.ready;
  const pen = document.createElement('canvas').getContext('2d');
  const tooWide = (el) => {
    const style = getComputedStyle(el);
    pen.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return pen.measureText(el.innerText).width * headroom > room;
  };
  return [...document.querySelectorAll('[data-testid="stMetricValue"]')]
    .filter(el => tooWide(el)
      || [el, ...el.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))
    .map(el => el.innerText);
}"""
HEADROOM = 1.1
NARROWEST_WIDTH = 1280  # KPI values must show whole from this window width up


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not become healthy")


@contextlib.contextmanager
def streamlit_server(warehouse: Path) -> Iterator[str]:
    """The dashboard on `warehouse`, served on a free local port; yields its URL."""
    port = _free_port()
    env = {**os.environ, "ANIME_WAREHOUSE": str(warehouse)}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO / "dashboard" / "app.py"),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def render_every_page(url: str, screenshots: Path = SCREENSHOTS) -> None:
    """Open every page in chromium: a title, no exception, at least one chart, every KPI value whole
    at 1280 px; a screenshot each (1440 px wide)."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail("chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    screenshots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(RENDER_MS)  # every wait, navigation and screenshot below
            for name in PAGES:
                path = "" if name == "overview" else name
                page.goto(f"{url}/{path}", wait_until="domcontentloaded")
                page.wait_for_function(RUN_FINISHED)
                # plotly draws in the browser after the run has sent the figure
                page.wait_for_selector(".js-plotly-plot")
                # only lets the charts settle before the screenshot; no verdict depends on it
                page.wait_for_timeout(500)
                title = page.locator("h1").first.inner_text()
                assert title.strip().lower().startswith(name), (name, title)
                assert page.locator('[data-testid="stException"]').count() == 0, name
                assert page.locator(".js-plotly-plot").count() >= 1, name
                page.set_viewport_size({"width": NARROWEST_WIDTH, "height": 1000})
                cut_short = page.evaluate(CUT_SHORT_METRICS, HEADROOM)
                assert cut_short == [], (name, NARROWEST_WIDTH, cut_short)
                # Streamlit scrolls inside its main block: grow the viewport to fit the page
                height = page.evaluate(
                    "() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight"
                )
                page.set_viewport_size({"width": 1440, "height": min(max(1000, height), 8000)})
                page.wait_for_timeout(500)
                page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
                page.set_viewport_size({"width": 1440, "height": 1000})
        finally:
            browser.close()
