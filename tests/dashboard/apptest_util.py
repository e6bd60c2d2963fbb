"""Helpers shared by the AppTest-based dashboard tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"

INJECTIONS = [
    "'; drop table marts.anime_master; --",
    "%' or 1=1 --",
    '"); select * from raw.anime_catalog_rejects; --',
    "\\",
    "_%",
]


def open_page(page: str, timeout: float = 60) -> AppTest:
    """Run the app, switch to ``views/<page>.py`` and run it."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert not at.warning, [w.value for w in at.warning]


def n_charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def fmt_int(value: int) -> str:
    return f"{int(value):,}"


def fmt_pct(value: float, digits: int = 1) -> str:
    return f"{float(value) * 100:.{digits}f}%"


def fmt_float(value: float, digits: int = 1) -> str:
    return f"{float(value):,.{digits}f}"


def catalogue_charts(wh_sql) -> int:
    """Charts on the Catalogue page: 9, or 8 when ingest rejected nothing (a notice instead)."""
    return 8 + int(wh_sql.one("select count(*) > 0 from raw.anime_catalog_rejects"))


def _decoded(value: Any) -> Any:
    """Plotly's JSON with its typed arrays ({"dtype", "bdata", "shape"}) turned into lists."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    if isinstance(value, dict):
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


def figures(at: AppTest) -> list[dict]:
    """Every Plotly figure on the page, as the JSON the browser receives (arrays as lists)."""
    return [_decoded(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")]
