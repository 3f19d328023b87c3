"""Page frames: headers, cards, tiles, notes, and the messages shown instead of data."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboards.access import PAGES, allowed, current_role


def page_header(title: str, subtitle: str) -> html.Div:
    return html.Div([html.H1(title), html.P(subtitle, className="subtitle")], className="page-header")


def card(title: str, body: Any, note: str | None = None, class_name: str = "") -> html.Div:
    children: list[Any] = [html.H2(title)]
    if note:
        children.append(html.P(note, className="card-note"))
    children.append(body)
    return html.Div(children, className=f"card {class_name}".strip())


def graph(component_id: str, height: int = 340, figure: dict[str, Any] | None = None) -> dcc.Loading:
    """A chart; a page that computed its figure in its layout passes it, so the chart is drawn once,
    with its data, when it first appears; the figure's own height, when it sets one, wins."""
    extra = {"figure": figure} if figure is not None else {}
    if figure is not None:
        height = int(figure.get("layout", {}).get("height", height))
    return dcc.Loading(
        dcc.Graph(
            id=component_id,
            config={"displaylogo": False, "responsive": True},
            style={"height": f"{height}px"},
            **extra,
        ),
        type="dot",
        delay_show=300,
    )


def stat_tile(
    label: str, value: str, note: str = "", tile_id: str | None = None, text: bool = False
) -> html.Div:
    """A headline figure; `text` for a name rather than a number (smaller, wraps instead of clipping)."""
    kwargs = {"id": tile_id} if tile_id else {}
    return html.Div(
        [
            html.Div(label, className="tile-label"),
            html.Div(value, className="tile-value tile-value-text" if text else "tile-value"),
            html.Div(note, className="tile-note"),
        ],
        className="tile",
        **kwargs,
    )


def notice(text: str, kind: str = "info") -> html.Div:
    return html.Div(text, className=f"notice notice-{kind}")


def denied_layout(page_key: str, role: str | None) -> html.Div:
    title = PAGES[page_key].title if page_key in PAGES else page_key
    return html.Div(
        [
            html.H1("Not available for your role"),
            html.P(f"The {title} page is not part of the {role or 'signed-out'} role."),
        ],
        className="page denied",
        id="page-denied",
    )


def missing_snapshot_layout(reason: str) -> html.Div:
    return html.Div(
        [
            html.H1("No data published yet"),
            html.P("The dashboards read the published snapshot, and there is none to read: " + reason),
            html.P("Build the warehouse (rcm build, or rcm demo for synthetic data), then reload this page."),
        ],
        className="page empty-page",
        id="page-no-snapshot",
    )


def page_guard(page_key: str, *, check_snapshot: bool = True) -> html.Div | None:
    """What a page shows instead of its data: the role's refusal, or the no-snapshot message; None = go on.

    Pages that open the snapshot in their layout anyway pass `check_snapshot=False` and handle
    `queries.SnapshotMissing` there, so the snapshot is not looked up twice.
    """
    from dashboards import queries

    role = current_role()
    if not allowed(role, page_key):
        return denied_layout(page_key, role)
    if check_snapshot:
        try:
            queries.current_snapshot_dir()
        except queries.SnapshotMissing as error:
            return missing_snapshot_layout(str(error))
    return None
