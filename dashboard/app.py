"""Anime engagement warehouse dashboard: ``streamlit run dashboard/app.py``.

Reads only the published parquet snapshot (``python -m warehouse.publish``), never the warehouse
file, so it keeps working while a rebuild runs. One module per page under ``dashboard/views/``;
all queries go through ``dashboard/data.py``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import data

HERE = Path(__file__).resolve().parent
VIEWS = HERE / "views"

st.set_page_config(
    page_title="Anime engagement warehouse",
    page_icon=":material/live_tv:",
    layout="wide",
    initial_sidebar_state="expanded",
)
# KPI values a size smaller than Streamlit's 2.25rem: six cards in a row then hold a value such as
# "71.3%" with room to spare at 1280 px, even where fonts render wider (tests/dashboard/browser.py)
st.html("<style>[data-testid='stMetricValue'] { font-size: 1.875rem; }</style>")

PAGES = [
    st.Page(VIEWS / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page(VIEWS / "title.py", title="Title", icon=":material/movie:"),
    st.Page(VIEWS / "compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page(VIEWS / "cohorts.py", title="Cohorts", icon=":material/groups:"),
    st.Page(VIEWS / "model.py", title="Model", icon=":material/model_training:"),
    st.Page(VIEWS / "predictions.py", title="Predictions", icon=":material/insights:"),
    st.Page(VIEWS / "catalogue.py", title="Catalogue", icon=":material/menu_book:"),
]

page = st.navigation(PAGES)

with st.sidebar:
    st.markdown("### :material/live_tv: Anime engagement")
    snap = data.snapshot_or_none()
    if snap is None:
        st.caption("No published snapshot yet: run `make run`.")
    else:
        st.caption(
            f"Snapshot `{snap.build_id[:15]}` · built {snap.built_at.replace('T', ' ')[:16]} UTC · "
            f"{len(snap.tables)} tables"
        )
        if data.warehouse_changed_since(snap):
            st.caption(
                ":material/update: The warehouse changed after this snapshot (a build is running "
                "or was not published): showing the last published data until `make publish`."
            )
        else:
            st.caption("A rebuild shows up after `make publish`; until then this snapshot stays.")

page.run()
