"""Plotly helpers: one template and a few chart shapes every page reuses.

Figures are built from small, pre-aggregated frames (the SQL does the binning and counting), so
the browser never receives raw plays.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

PALETTE = [
    "#4C5BD4",  # indigo
    "#F2735C",  # coral
    "#2BB39B",  # teal
    "#F2B33D",  # amber
    "#9B5DE5",  # violet
    "#3AA0E0",  # sky
    "#E15A97",  # pink
    "#7C8B2A",  # olive
    "#8D6E63",  # brown
    "#5F6B7A",  # slate
]
SEQUENTIAL = [[0.0, "#F4F6FF"], [0.35, "#A9B4F5"], [0.7, "#4C5BD4"], [1.0, "#1B2372"]]
GREY = "#D5D8DE"  # cells outside the colour scale (too few users)
TEMPLATE_NAME = "anime"

pio.templates[TEMPLATE_NAME] = go.layout.Template(
    layout={
        "colorway": PALETTE,
        "font": {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13},
        "title": {"font": {"size": 15}, "x": 0.0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 48, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "hoverlabel": {"namelength": -1},
        "xaxis": {"automargin": True, "gridcolor": "#ECEEF3"},
        "yaxis": {"automargin": True, "gridcolor": "#ECEEF3"},
    }
)
TEMPLATE = f"plotly_white+{TEMPLATE_NAME}"
HEIGHT = 340


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def layout(
    fig: go.Figure,
    title: str,
    *,
    x: str | None = None,
    y: str | None = None,
    height: int = HEIGHT,
    percent_y: bool = False,
) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title=title, height=height)
    if x is not None:
        fig.update_xaxes(title_text=x)
    if y is not None:
        fig.update_yaxes(title_text=y)
    if percent_y:
        fig.update_yaxes(tickformat=".0%")
    return fig


def show(fig: go.Figure, caption: str, *, key: str | None = None) -> None:
    """Render with the project template (not Streamlit's theme) and a one-line caption.

    The figure's title is shown as a Streamlit heading above it, so it can never collide with a
    horizontal legend inside the figure.
    """
    title = fig.layout.title.text
    if title:
        st.markdown(f"**{title}**")
        fig.update_layout(title=None, margin={"t": 30})
    st.plotly_chart(
        fig,
        theme=None,
        width="stretch",
        key=key,
        config={"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]},
    )
    st.caption(caption)


def bar(
    df: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    *,
    color: str | None = None,
    horizontal: bool = False,
    x_title: str | None = None,
    y_title: str | None = None,
    percent: bool = False,
    height: int = HEIGHT,
    stacked: bool = True,
    lo: str | None = None,
    hi: str | None = None,
) -> go.Figure:
    """Bars, one trace per ``color`` group; ``lo``/``hi`` columns draw each bar's interval."""
    fig = go.Figure()
    groups: Sequence[tuple[object, pd.DataFrame]] = (
        list(df.groupby(color, sort=False)) if color else [(None, df)]
    )
    for i, (name, part) in enumerate(groups):
        kwargs = dict(x=part[y], y=part[x], orientation="h") if horizontal else dict(x=part[x], y=part[y])
        if lo and hi:
            error = {"type": "data", "array": part[hi] - part[y], "arrayminus": part[y] - part[lo]}
            kwargs["error_x" if horizontal else "error_y"] = {**error, "color": "#5F6B7A", "thickness": 1}
        fig.add_trace(
            go.Bar(
                name=str(name) if name is not None else y,
                showlegend=color is not None,
                marker_color=PALETTE[i % len(PALETTE)],
                **kwargs,
            )
        )
    if color:
        fig.update_layout(barmode="stack" if stacked else "group")
    layout(fig, title, x=x_title, y=y_title, height=height)
    if horizontal:
        fig.update_yaxes(autorange="reversed", type="category")
        if percent:
            fig.update_xaxes(tickformat=".0%")
    elif percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def lines_with_band(
    df: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    *,
    lo: str | None = None,
    hi: str | None = None,
    group: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    percent: bool = True,
    height: int = HEIGHT,
    markers: bool = True,
) -> go.Figure:
    """One line per group, each with its shaded confidence band when ``lo``/``hi`` are given."""
    fig = go.Figure()
    groups = list(df.groupby(group, sort=False)) if group else [(y_title or y, df)]
    for i, (name, part) in enumerate(groups):
        part = part.sort_values(x)
        colour = PALETTE[i % len(PALETTE)]
        if lo and hi and part[lo].notna().any():
            fig.add_trace(
                go.Scatter(
                    x=part[x],
                    y=part[hi],
                    mode="lines",
                    line={"width": 0},
                    showlegend=False,
                    hoverinfo="skip",
                    legendgroup=str(name),
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=part[x],
                    y=part[lo],
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty",
                    fillcolor=_rgba(colour, 0.18),
                    showlegend=False,
                    hoverinfo="skip",
                    legendgroup=str(name),
                )
            )
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                name=str(name),
                mode="lines+markers" if markers else "lines",
                line={"color": colour, "width": 2.2},
                marker={"size": 5},
                legendgroup=str(name),
                showlegend=group is not None,
            )
        )
    layout(fig, title, x=x_title, y=y_title, height=height, percent_y=percent)
    if percent:
        fig.update_yaxes(rangemode="tozero")
    return fig


def heatmap(
    df: pd.DataFrame,
    x: str,
    y: str,
    z: str,
    title: str,
    *,
    x_title: str | None = None,
    y_title: str | None = None,
    percent: bool = False,
    text: str | None = None,
    hover: str | None = None,
    grey: str | None = None,
    height: int = HEIGHT,
    x_order: Sequence[object] | None = None,
    y_order: Sequence[object] | None = None,
) -> go.Figure:
    """A grid of ``z`` by ``x`` and ``y``. ``text``: a column written in each cell; ``hover``: a
    column shown on hover instead of the values; ``grey``: a boolean column whose cells are drawn
    grey, outside the colour scale (e.g. too few users to read)."""
    grid = df.pivot_table(index=y, columns=x, values=z, aggfunc="first", dropna=False)
    if x_order is not None:
        grid = grid.reindex(columns=list(x_order))
    if y_order is not None:
        grid = grid.reindex(index=list(y_order))

    def cells(column: str | None, fill: str | bool) -> pd.DataFrame | None:
        """`column` laid out on the grid's cells."""
        if column is None:
            return None
        laid = df.pivot_table(index=y, columns=x, values=column, aggfunc="first", dropna=False)
        return laid.reindex(index=grid.index, columns=grid.columns).fillna(fill)

    text_grid, hover_grid = cells(text, ""), cells(hover, "")
    greyed = cells(grey, False)
    greyed = greyed.astype(bool) if greyed is not None else pd.DataFrame(False, grid.index, grid.columns)
    labels = {"x": [str(c) for c in grid.columns], "y": [str(i) for i in grid.index]}

    def trace(values: pd.DataFrame, shown: pd.DataFrame, **style: object) -> go.Heatmap:
        """One heatmap layer drawing (and labelling) only the cells in `shown`."""
        return go.Heatmap(
            z=values.where(shown).values,
            **labels,
            hoverongaps=False,
            text=None if text_grid is None else text_grid.where(shown, "").values,
            texttemplate="%{text}" if text_grid is not None else None,
            customdata=None if hover_grid is None else hover_grid.values,
            hovertemplate=None if hover_grid is None else "%{customdata}<extra></extra>",
            **style,
        )

    fig = go.Figure(
        trace(
            grid,
            ~greyed,
            colorscale=SEQUENTIAL,
            colorbar={"tickformat": ".0%"} if percent else None,
            zmin=0 if percent else None,
            zmax=1 if percent else None,
        )
    )
    if greyed.to_numpy().any():
        grey_cells = pd.DataFrame(1.0, grid.index, grid.columns)
        fig.add_trace(trace(grey_cells, greyed, colorscale=[[0, GREY], [1, GREY]], showscale=False))
    layout(fig, title, x=x_title, y=y_title, height=height)
    fig.update_xaxes(type="category", showgrid=False)
    fig.update_yaxes(type="category", showgrid=False, autorange="reversed")
    return fig


def area_stack(
    df: pd.DataFrame,
    x: str,
    y: str,
    group: str,
    title: str,
    *,
    x_title: str | None = None,
    y_title: str | None = None,
    order: Sequence[str] | None = None,
    height: int = HEIGHT,
) -> go.Figure:
    fig = go.Figure()
    names = list(order) if order else list(dict.fromkeys(df[group]))
    for i, name in enumerate(names):
        part = df[df[group] == name].sort_values(x)
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                name=str(name),
                stackgroup="one",
                mode="lines",
                line={"width": 0.5, "color": PALETTE[i % len(PALETTE)]},
            )
        )
    return layout(fig, title, x=x_title, y=y_title, height=height)
