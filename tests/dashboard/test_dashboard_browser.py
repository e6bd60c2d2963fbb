"""Real browser: `streamlit run` + Playwright on Debian's chromium, one screenshot per page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard.browser import render_every_page, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(built_warehouse: Path):
    with streamlit_server(built_warehouse) as url:
        yield url


def test_every_page_renders_in_chromium(server: str) -> None:
    render_every_page(server)
