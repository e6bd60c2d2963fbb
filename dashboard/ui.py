"""Page furniture shared by every view: header, KPI row, empty states, error guard."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from dashboard import data
from warehouse.sql import first_line


def header(title: str, subtitle: str) -> data.Snapshot | None:
    """Page title and subtitle; returns the current snapshot or shows the no-data notice."""
    st.title(title)
    st.caption(subtitle)
    try:
        return data.current_snapshot()
    except data.NoSnapshot as exc:
        st.info(str(exc), icon=":material/info:")
        return None


def empty_state(exc: data.DataError) -> None:
    st.info(str(exc), icon=":material/hourglass_empty:")


@contextmanager
def guarded(what: str) -> Iterator[None]:
    """Turn data conditions into notices, never a traceback."""
    try:
        yield
    except data.DataError as exc:
        empty_state(exc)
    except duckdb.Error as exc:
        first = first_line(exc)
        st.warning(
            f"{what}: the published snapshot does not have the expected shape ({first}). "
            "Rebuild and publish: `make build && make publish`.",
            icon=":material/warning:",
        )


def section(what: str, fn: Callable[[], Any]) -> None:
    with guarded(what):
        fn()


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_int(value: Any) -> str:
    return "–" if _missing(value) else f"{round(float(value)):,}"


def fmt_compact(value: Any) -> str:
    """A count in at most five characters, which a KPI card six to a row shows whole from a
    1280 px wide window: 987, 9,876, 98.8k, 1.09M (three significant digits from 10,000 up)."""
    if _missing(value):
        return "–"
    number = float(value)
    text = f"{round(number):,}"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= 10_000 and abs(number) >= scale * 0.9995:
            text = f"{number / scale:.3g}{suffix}"
            break
    return text


def fmt_float(value: Any, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{float(value):,.{digits}f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{float(value) * 100:.{digits}f}%"


# a KPI card: (label, formatted value, help) or (label, formatted value, help, note)
Kpi = tuple[str, str, str | None] | tuple[str, str, str | None, str]


def kpis(items: Sequence[Kpi], per_row: int = 6) -> None:
    """Rows of bordered metrics: (label, formatted value, help[, note]). A note (e.g. a value's
    standard error) is written small under the value, so the value itself stays short."""
    for start in range(0, len(items), per_row):
        chunk = items[start : start + per_row]
        cols = st.columns(per_row if len(items) > per_row else len(chunk))
        for col, (label, value, help_text, *note) in zip(cols, chunk, strict=False):
            col.metric(
                label,
                value,
                delta=note[0] if note else None,
                delta_color="off",
                delta_arrow="off",
                help=help_text,
                border=True,
            )


def search_box(label: str, key: str, placeholder: str = "") -> str:
    """A text input whose value only ever travels as a SQL parameter."""
    return st.text_input(label, key=key, placeholder=placeholder, max_chars=200).strip()


def like_pattern(text: str) -> str:
    """An ILIKE pattern (used with ``escape '\\'``) matching ``text`` literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
