"""The Dash application shell: sign-in, navigation, global filters and the page container.

`create_app()` builds the one app of the process (Dash's page registry and `dash.callback` list are
process-wide, so a second app would find no callbacks): Flask server, Flask-Login and the request
guard (dashboards/auth.py), the pages (dashboards/pages/*, one module each) and the shell callbacks
that keep the global filters and the URL query string in step.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import Any

import dash
from dash import Input, Output, ctx, dcc, html, no_update
from flask import Flask

from dashboards import queries
from dashboards.access import SHELL, current_role, current_user_name, page_callback, pages_for
from dashboards.auth import init_auth
from dashboards.filters import from_mapping, parse_search, to_search
from dashboards.ids import CLAIM_STORE, CLEAR, DATES, FOOTER, LOCATION, NAV, PAYER, PROVIDER, URL

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
PAGE_MODULES = (
    "dashboards.pages.overview",
    "dashboards.pages.denials",
    "dashboards.pages.payer_lag",
    "dashboards.pages.ar_aging",
    "dashboards.pages.work_list",
    "dashboards.pages.claim_detail",
)


@functools.cache
def create_app() -> dash.Dash:
    """The dashboards app (built once per process; settings are read per request, not here)."""
    server = Flask("dashboards")
    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS_DIR),
        title="RCM dashboards",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    for module in PAGE_MODULES:
        importlib.import_module(module)
    app.layout = shell_layout
    init_auth(server, app)
    return app


def _filter_controls(options: dict[str, list[dict[str, str]]], bounds: tuple[Any, Any]) -> html.Div:
    low, high = bounds
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Dates of service", htmlFor=DATES),
                    dcc.DatePickerRange(
                        id=DATES,
                        min_date_allowed=low,
                        max_date_allowed=high,
                        initial_visible_month=high,
                        display_format="YYYY-MM-DD",
                        start_date_placeholder_text="from",
                        end_date_placeholder_text="to",
                        clearable=True,
                    ),
                ],
                className="filter filter-dates",
            ),
            html.Div(
                [
                    html.Label("Payer", htmlFor=PAYER),
                    dcc.Dropdown(
                        id=PAYER, options=options.get("payer", []), multi=True, placeholder="All payers"
                    ),
                ],
                className="filter",
            ),
            html.Div(
                [
                    html.Label("Billing provider", htmlFor=PROVIDER),
                    dcc.Dropdown(
                        id=PROVIDER,
                        options=options.get("provider", []),
                        multi=True,
                        placeholder="All providers",
                    ),
                ],
                className="filter",
            ),
            html.Div(
                [
                    html.Label("Location", htmlFor=LOCATION),
                    dcc.Dropdown(
                        id=LOCATION,
                        options=options.get("location", []),
                        multi=True,
                        placeholder="All locations",
                    ),
                ],
                className="filter",
            ),
            html.Button("Clear filters", id=CLEAR, className="button-secondary", n_clicks=0),
        ],
        className="filter-bar",
        id="shell-filters",
    )


def shell_layout() -> html.Div:
    """Rendered per page load, for the signed-in user (the nav shows only that role's pages)."""
    options: dict[str, list[dict[str, str]]] = {}
    bounds: tuple[Any, Any] = (None, None)
    footer = "No snapshot published yet."
    role = current_role()
    if role is not None:
        try:
            with queries.open_snapshot() as snap:
                options = queries.filter_options(snap)
                bounds = queries.service_date_bounds(snap)
                as_of = queries.snapshot_as_of(snap)
                footer = (
                    f"Snapshot {snap.directory.name} · data as of {as_of.isoformat() if as_of else 'unknown'}"
                )
        except queries.SnapshotMissing as error:
            footer = str(error)
    user = current_user_name() or ""
    return html.Div(
        [
            # "callback-nav": a callback that writes the URL also tells Dash's page router to follow.
            dcc.Location(id=URL, refresh="callback-nav"),
            dcc.Store(id=CLAIM_STORE, storage_type="session"),
            html.Header(
                [
                    html.Div("RCM dashboards", className="brand"),
                    html.Nav(id=NAV, className="nav"),
                    html.Div(
                        [
                            html.Span(f"{user} · {role}" if role else "", className="who", id="shell-user"),
                            html.A("Sign out", href="/logout", className="signout"),
                        ],
                        className="user",
                    ),
                ],
                className="topbar",
            ),
            _filter_controls(options, bounds),
            html.Main(dash.page_container, className="content"),
            html.Footer(footer, id=FOOTER, className="footer"),
        ],
        className="shell",
    )


@page_callback(
    SHELL,
    Output(URL, "search"),
    Output(DATES, "start_date"),
    Output(DATES, "end_date"),
    Output(PAYER, "value"),
    Output(PROVIDER, "value"),
    Output(LOCATION, "value"),
    Input(URL, "search"),
    Input(DATES, "start_date"),
    Input(DATES, "end_date"),
    Input(PAYER, "value"),
    Input(PROVIDER, "value"),
    Input(LOCATION, "value"),
    Input(CLEAR, "n_clicks"),
)
def sync_filters(
    search: str | None,
    start: str | None,
    end: str | None,
    payers: list[str] | None,
    providers: list[str] | None,
    locations: list[str] | None,
    _clear: int | None,
) -> tuple[Any, ...]:
    """Keep the URL query string and the filter controls in step, in one callback (both directions).

    A page load or a shared link fills the controls from the URL; a change in a control writes the
    canonical query string, which makes the page re-render with the new filters.
    """
    return filters_sync(ctx.triggered_id, search, start, end, payers, providers, locations)


def filters_sync(
    trigger: str | None,
    search: str | None,
    start: str | None,
    end: str | None,
    payers: list[str] | None,
    providers: list[str] | None,
    locations: list[str] | None,
) -> tuple[Any, ...]:
    """The body of `sync_filters`, given which input fired (None on page load)."""
    if trigger == CLEAR:
        return "", None, None, [], [], []
    if trigger in (DATES, PAYER, PROVIDER, LOCATION):
        filters = from_mapping(
            {
                "from": start,
                "to": end,
                "payer": payers or [],
                "provider": providers or [],
                "location": locations or [],
            }
        )
        new_search = to_search(filters)
        return (new_search if new_search != (search or "") else no_update), *([no_update] * 5)
    filters = parse_search(search)
    canonical = to_search(filters)
    return (
        canonical if canonical != (search or "") else no_update,
        filters.start.isoformat() if filters.start else None,
        filters.end.isoformat() if filters.end else None,
        list(filters.payers),
        list(filters.providers),
        list(filters.locations),
    )


@page_callback(SHELL, Output(NAV, "children"), Input(URL, "pathname"), Input(URL, "search"))
def render_nav(pathname: str | None, search: str | None) -> list[Any]:
    """Links to the pages of the signed-in role, carrying the filters along."""
    query = to_search(parse_search(search))
    links = []
    for page in pages_for(current_role()):
        active = (pathname or "").rstrip("/") == page.path
        links.append(
            dcc.Link(
                page.title,
                href=page.path + query,
                className="nav-link active" if active else "nav-link",
                id=f"shell-nav-{page.key}",
            )
        )
    return links
