"""Real browser: `streamlit run` + Playwright on Debian's chromium, one screenshot per page."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
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

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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


@pytest.fixture(scope="module")
def server(built_warehouse):
    port = _free_port()
    env = {**os.environ, "ANIME_WAREHOUSE": str(built_warehouse)}
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


def test_every_page_renders_in_chromium(server):
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail("chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(RENDER_MS)  # every wait, navigation and screenshot below
            for name in PAGES:
                path = "" if name == "overview" else name
                page.goto(f"{server}/{path}", wait_until="domcontentloaded")
                page.wait_for_function(RUN_FINISHED)
                # plotly draws in the browser after the run has sent the figure
                page.wait_for_selector(".js-plotly-plot")
                # only lets the charts settle before the screenshot; no verdict depends on it
                page.wait_for_timeout(500)
                title = page.locator("h1").first.inner_text()
                assert title.strip().lower().startswith(name), (name, title)
                assert page.locator('[data-testid="stException"]').count() == 0, name
                assert page.locator(".js-plotly-plot").count() >= 1, name
                # Streamlit scrolls inside its main block: grow the viewport to fit the page
                height = page.evaluate(
                    "() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight"
                )
                page.set_viewport_size({"width": 1440, "height": min(max(1000, height), 8000)})
                page.wait_for_timeout(500)
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
                page.set_viewport_size({"width": 1440, "height": 1000})
        finally:
            browser.close()
