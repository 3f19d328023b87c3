"""Claim detail: one claim's timeline (fct_claim_events): submissions, each remittance with its
adjustments (group, CARC, RARC and our label), payments, the current balance and the next deadline.

The claim is chosen by its opaque claim_id (md5), from the work list (session storage) or pasted in;
it never travels in the URL, and every view is written to the audit log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import dash
from dash import Input, Output, dcc, html, no_update

from dashboards import audit, queries
from dashboards.access import PAGES, page_callback
from dashboards.components import grids
from dashboards.components.figures import (
    AMBER,
    BLUE,
    FULL,
    GRAY,
    GREEN,
    PURPLE,
    RED,
    Figure,
    axis,
    chart_layout,
    empty_figure,
    figure,
)
from dashboards.components.layout import (
    card,
    graph,
    page_guard,
    page_header,
    stat_tile,
)
from dashboards.filters import GlobalFilters, from_mapping
from dashboards.formatting import countdown, money, root_cause_label, status_label
from dashboards.ids import CLAIM_STORE

KEY = "claim-detail"
PAGE = PAGES[KEY]
FILTERS = f"{KEY}-filters"
CLAIM_INPUT = f"{KEY}-id"
MESSAGE = f"{KEY}-message"
FACTS = f"{KEY}-facts"
TIMELINE = f"{KEY}-timeline"
EVENTS = f"{KEY}-events"


EVENT_LANES = {  # event_type -> (lane label, colour)
    "submitted": ("Submitted", BLUE),
    "replacement": ("Submitted", BLUE),
    "void": ("Submitted", GRAY),
    "remit": ("Remittance", GREEN),
    "reversal": ("Remittance", RED),
    "adjustment": ("Adjustment", AMBER),
    "patient_payment": ("Patient payment", PURPLE),
    "write_off": ("Write-off", RED),
    "activity": ("Follow-up", GRAY),
}
EVENT_COLUMNS = [
    grids.date_column("event_date", "Date"),
    grids.text_column("event", "Event", width=150),
    grids.money_column("amount", "Amount", width=120),
    grids.text_column("claim_status_code", "Claim status", width=130),
    grids.text_column("group_code", "Group", width=80),
    grids.text_column("carc_code", "CARC", width=80),
    grids.text_column("rarc_code", "RARC", width=90),
    grids.text_column("label", "What it means", flex=1),
]


def layout(**query: Any) -> html.Div:
    if (refusal := page_guard(KEY)) is not None:
        return refusal
    filters = from_mapping(query)
    return html.Div(
        [
            page_header(
                PAGE.title, "One claim: submissions, remittances and their adjustments, payments, balance."
            ),
            dcc.Store(id=FILTERS, data=filters.to_dict()),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Claim id", htmlFor=CLAIM_INPUT),
                            dcc.Input(
                                id=CLAIM_INPUT,
                                type="text",
                                placeholder="32-character claim id",
                                debounce=True,
                                autoComplete="off",
                                spellCheck=False,
                                className="claim-input",
                                style={"width": "420px", "textAlign": "left"},
                            ),
                        ]
                    ),
                ],
                className="controls",
            ),
            html.Div(id=MESSAGE, className="context-line"),
            dcc.Loading(html.Div(id=FACTS), type="dot", delay_show=300),
            card("Timeline", graph(TIMELINE, 320)),
            card("Events", grids.grid(EVENTS, EVENT_COLUMNS, height=360)),
        ],
        className="page",
        id=f"page-{KEY}",
    )


dash.register_page(
    __name__, path=PAGE.path, name=PAGE.title, title=f"{PAGE.title} · RCM dashboards", order=6, layout=layout
)


@page_callback(KEY, Output(CLAIM_INPUT, "value"), Input(CLAIM_STORE, "data"))
def fill_claim_id(claim_id: str | None) -> Any:
    """The claim opened from the work list (session storage) fills the input."""
    if isinstance(claim_id, str) and queries.CLAIM_ID.match(claim_id):
        return claim_id
    return no_update


def next_deadline(header: dict[str, Any], as_of: dt.date | None) -> tuple[str, str, int | None]:
    """(kind, date text, days left) of the deadline that matters now: the appeal window of an open
    denial, else timely filing while the payer has not answered; days count from the snapshot date."""
    open_insurance = Decimal(header["insurance_balance_amount"] or 0) > 0
    deadline: dt.date | None = None
    kind = "none"
    if open_insurance and Decimal(header["denied_amount"] or 0) > 0 and header.get("appeal_deadline"):
        deadline, kind = header["appeal_deadline"], "Appeal"
    elif open_insurance and header.get("first_remit_date") is None and header.get("timely_filing_deadline"):
        deadline, kind = header["timely_filing_deadline"], "Timely filing"
    if deadline is None:
        return "No open deadline", "", None
    days_left = (deadline - as_of).days if as_of else None
    return kind, deadline.isoformat(), days_left


def facts_block(header: dict[str, Any], as_of: dt.date | None, notes: list[str]) -> html.Div:
    kind, deadline_text, days_left = next_deadline(header, as_of)
    balance = Decimal(header["insurance_balance_amount"] or 0) + Decimal(
        header["patient_balance_amount"] or 0
    )
    tiles = [
        stat_tile(
            "Status",
            status_label(header["current_status"]),
            root_cause_label(header["initial_denial_root_cause"])
            if header["initial_denial_root_cause"]
            else "",
            f"{KEY}-tile-status",
        ),
        stat_tile(
            "Billed",
            money(header["billed_amount"]),
            f"paid {money(header['paid_amount'])}",
            f"{KEY}-tile-billed",
        ),
        stat_tile(
            "Current balance",
            money(balance),
            f"insurance {money(header['insurance_balance_amount'])} · patient {money(header['patient_balance_amount'])}",
            f"{KEY}-tile-balance",
        ),
        stat_tile(
            "Next deadline",
            countdown(days_left) if deadline_text else kind,
            f"{kind} · {deadline_text}" if deadline_text else "",
            f"{KEY}-tile-deadline",
        ),
    ]
    rows = [
        ("Account (PCN)", header["patient_control_number"]),
        ("Payer", f"{header['payer_name']} ({header['payer_id']}) · {header['payer_sequence']}"),
        ("Provider", f"{header['provider_name']} ({header['billing_provider_npi']})"),
        ("Location", header["location_name"] or ""),
        ("Date of service", header["service_date"].isoformat() if header["service_date"] else ""),
        (
            "First submitted",
            header["first_submission_date"].isoformat() if header["first_submission_date"] else "not yet",
        ),
        ("Submissions", str(header["submission_count"])),
        (
            "Contractual / written off",
            f"{money(header['contractual_amount'])} / {money(header['write_off_amount'])}",
        ),
        (
            "Patient share / paid by patient",
            f"{money(header['patient_responsibility_amount'])} / {money(header['patient_paid_amount'])}",
        ),
        ("Claim id", header["claim_id"]),
    ]
    table = html.Table([html.Tbody([html.Tr([html.Th(k), html.Td(v)]) for k, v in rows])], className="facts")
    children: list[Any] = [html.Div(tiles, className="tiles"), card("Claim", table)]
    if notes:
        children.insert(0, html.Div(" ".join(notes), className="notice notice-info"))
    return html.Div(children)


def timeline_figure(events: Any) -> Figure:
    if events.empty:
        return empty_figure("No events recorded for this claim", height=320)
    data = []
    lanes: list[str] = []
    for event_type, (lane, color) in EVENT_LANES.items():
        part = events[events["event_type"] == event_type]
        if part.empty:
            continue
        if lane not in lanes:
            lanes.append(lane)
        amounts = [Decimal(a) if a is not None and a == a else None for a in part["amount"]]
        data.append(
            {
                "type": "scatter",
                "x": [d.isoformat() for d in part["event_date"]],
                "y": [lane] * len(part),
                "mode": "markers",
                "name": lane
                if event_type not in ("replacement", "void", "reversal")
                else event_type.capitalize(),
                "marker": {"size": 16, "color": color, "line": {"width": 1, "color": "#fff"}},
                "customdata": [
                    [str(label or ""), money(a) if a is not None else "", str(detail or "")]
                    for label, a, detail in zip(part["label"], amounts, part["detail"], strict=True)
                ],
                "hovertemplate": "%{x|%Y-%m-%d} · %{customdata[0]}<br>%{customdata[1]} %{customdata[2]}<extra></extra>",
            }
        )
    return figure(
        data,
        chart_layout(
            height=320,
            xaxis=axis(tickformat="%Y-%m-%d", type="date"),
            yaxis=axis(categoryorder="array", categoryarray=list(reversed(lanes)), type="category"),
        ),
        width=FULL,
    )


def outside_filters(header: dict[str, Any], filters: GlobalFilters) -> list[str]:
    reasons = []
    if filters.payers and header["payer_id"] not in filters.payers:
        reasons.append("payer")
    if filters.providers and header["billing_provider_npi"] not in filters.providers:
        reasons.append("provider")
    if filters.locations and header["location_id"] not in filters.locations:
        reasons.append("location")
    service = header["service_date"]
    if service and ((filters.start and service < filters.start) or (filters.end and service > filters.end)):
        reasons.append("dates of service")
    return reasons


@page_callback(
    KEY,
    Output(MESSAGE, "children"),
    Output(FACTS, "children"),
    Output(TIMELINE, "figure"),
    Output(EVENTS, "rowData"),
    Input(CLAIM_INPUT, "value"),
    Input(FILTERS, "data"),
)
def show_claim(claim_id: str | None, filters_data: dict[str, Any] | None) -> tuple[Any, ...]:
    """One claim's header, timeline and events; the view is audited."""
    claim_id = (claim_id or "").strip().lower()
    if not claim_id:
        return (
            "Open a claim from the work list, or paste its claim id above.",
            None,
            empty_figure("No claim chosen", height=320),
            [],
        )
    if not queries.CLAIM_ID.match(claim_id):
        return (
            "A claim id is 32 characters, 0-9 and a-f.",
            None,
            empty_figure("No claim chosen", height=320),
            [],
        )
    with queries.open_snapshot() as snap:
        header = queries.claim_header(snap, claim_id)
        events = queries.claim_events(snap, claim_id) if header else None
        as_of = queries.snapshot_as_of(snap)
    if header is None or events is None:
        return (
            "No claim with this id in the current snapshot.",
            None,
            empty_figure("No claim found", height=320),
            [],
        )
    audit.record(KEY, [claim_id], action="view")
    filters = GlobalFilters.from_dict(filters_data)
    reasons = outside_filters(header, filters)
    notes = (
        [
            f"This claim is outside the current filters ({', '.join(reasons)}); it is shown because you opened it."
        ]
        if reasons
        else []
    )
    events = events.copy()
    events["event"] = [
        str(EVENT_LANES.get(t, (t, ""))[0])
        if t not in ("replacement", "void", "reversal")
        else t.capitalize()
        for t in events["event_type"]
    ]
    message = f"Balances as of {as_of.isoformat()}." if as_of else ""
    return message, facts_block(header, as_of, notes), timeline_figure(events), grids.rows(events)
