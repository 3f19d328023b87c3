"""Callbacks called directly (as the signed-in role) on the fixture snapshot: figures carry the data,
money is formatted, filters apply, claim-level views are audited, and other roles are refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from dash_helpers import signed_in

from dashboards import audit
from dashboards.access import AccessDenied
from dashboards.filters import GlobalFilters

ALL = GlobalFilters().to_dict()


def table(snapshot_dir: Path, name: str) -> list[dict[str, Any]]:
    return pq.read_table(snapshot_dir / f"{name}.parquet").to_pylist()


def texts(component: Any) -> str:
    """All text inside a Dash component tree (to read what a tile says)."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(texts(c) for c in component)
    return texts(getattr(component, "children", None))


def test_overview_tiles_and_waterfall(dash_app: Any, snapshot_dir: Path) -> None:
    from dashboards.pages import overview

    with signed_in(dash_app, "executive"):
        context, tiles, waterfall = overview.update_overview(ALL)
    assert "November 2024" in context
    assert len(tiles) == 6
    kpis = {
        r["kpi_id"]: r for r in table(snapshot_dir, "mart_kpis_monthly") if r["month"] == dt.date(2024, 11, 1)
    }
    cash = texts(tiles[-1])
    assert f"${Decimal(str(kpis['cash_collected']['value'])):,.2f}" in cash
    assert "Target $60,000.00" in cash
    bars = waterfall["data"][0]
    claims = [r for r in table(snapshot_dir, "fct_claims") if not r["is_voided"]]
    billed = sum((r["billed_amount"] for r in claims), Decimal("0"))
    assert bars["x"][0] == "Billed charges" and Decimal(str(bars["y"][0])) == billed
    assert bars["customdata"][0] == f"${billed:,.2f}"
    open_denied = sum((r["denied_amount"] for r in claims), Decimal("0"))
    assert bars["customdata"][bars["x"].index("Denied, still open")] == f"${open_denied:,.2f}"
    assert "Other adjustments" not in bars["x"]  # the fixture's money identity closes


def test_denials_figures_have_data_and_sum_to_the_total(dash_app: Any, snapshot_dir: Path) -> None:
    from dashboards.pages import denials

    with signed_in(dash_app, "manager"):
        summary, root, carc, heat, trend, avoidable, outcomes = denials.update_denials(ALL)
    total = sum((r["denied_amount"] for r in table(snapshot_dir, "fct_denials")), Decimal("0"))
    assert sum((Decimal(str(y)) for y in root["data"][0]["y"]), Decimal("0")) == total
    assert root["data"][1]["y"][-1] == pytest.approx(100.0)
    assert f"${total:,.2f}" in texts(summary)
    for fig in (carc, heat, trend, avoidable, outcomes):
        assert fig["data"], "a denials chart is empty on the fixture"
    assert all(label.startswith("CARC ") for label in carc["data"][0]["x"])


def test_denial_trend_draws_months_still_being_adjudicated_apart(dash_app: Any) -> None:
    """A recent month with few remittances would read as a fall in denials: it goes to a dotted trace
    that starts at the last settled month; settled months stay on the main line."""
    import pandas as pd

    from dashboards.pages import denials

    frame = pd.DataFrame(
        {
            "month": [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)],
            "claims": [100, 100, 100],
            "initially_denied": [13, 12, 2],
            "rate": [0.13, 0.12, 0.02],
            "adjudicated": [99, 92, 21],
        }
    )
    settled, maturing, target = denials.trend_figure(frame, 0.05)["data"]
    assert settled["y"] == [13.0, 12.0, None]
    assert maturing["x"] == ["2026-09-01", "2026-10-01"] and maturing["y"] == [12.0, 2.0]
    assert maturing["line"]["dash"] == "dot" and "Not yet adjudicated" in maturing["name"]
    assert maturing["customdata"][-1][2:] == [21, 21.0]
    assert target["name"] == "Target"
    ripe = frame.assign(adjudicated=[100, 100, 95])
    assert [trace["name"] for trace in denials.trend_figure(ripe, None)["data"]] == ["Initial denial rate"]
    # Two maturing runs (Feb, and May-Jun) with settled months around them: the dotted trace breaks
    # over the settled Mar-Apr instead of drawing across them.
    months = [dt.date(2026, m, 1) for m in range(1, 7)]
    gappy = pd.DataFrame(
        {
            "month": months,
            "claims": [100] * 6,
            "initially_denied": [13, 5, 12, 14, 4, 1],
            "rate": [0.13, 0.05, 0.12, 0.14, 0.04, 0.01],
            "adjudicated": [100, 50, 95, 99, 40, 10],
        }
    )
    settled, maturing = denials.trend_figure(gappy, None)["data"]
    assert [y is None for y in settled["y"]] == [False, True, False, False, True, True]
    assert [y for y in settled["y"] if y is not None] == pytest.approx([13.0, 12.0, 14.0])
    assert maturing["x"] == [
        m.isoformat() for m in [months[0], months[1], months[2], months[3], months[3], months[4], months[5]]
    ]
    assert maturing["y"][3] is None
    assert [y for y in maturing["y"] if y is not None] == pytest.approx([13.0, 5.0, 12.0, 14.0, 4.0, 1.0])


def test_denials_empty_range_says_so(dash_app: Any) -> None:
    from dashboards.pages import denials

    empty = GlobalFilters(start=dt.date(2030, 1, 1), end=dt.date(2030, 12, 31)).to_dict()
    with signed_in(dash_app, "manager"):
        _, root, *_ = denials.update_denials(empty)
    assert root["data"] == []
    assert root["layout"]["annotations"][0]["text"] == "No denials in this range"


def test_drill_down_lists_and_audits_the_claims(dash_app: Any, snapshot_dir: Path, dash_home: Path) -> None:
    from dashboards.pages import denials

    click = {"points": [{"customdata": ["coding_bundling", "$0.00", 0, ""]}]}
    with signed_in(dash_app, "manager"):
        title, grid_rows = denials.drill_rows(denials.PARETO_ROOT, click, GlobalFilters())
    expected = [r for r in table(snapshot_dir, "fct_denials") if r["root_cause"] == "coding_bundling"]
    assert len(grid_rows) == len(expected) > 0
    assert title.startswith("Root cause: Coding / bundling")
    assert {r["denied_amount"] for r in grid_rows} == {f"{r['denied_amount']:.2f}" for r in expected}
    entry = audit.read_entries(dash_home / "logs" / "audit.log")[-1]
    assert entry["user"] == "manny" and entry["page"] == "denials" and entry["action"] == "drill_down"
    assert set(entry["claim_ids"]) == {r["claim_id"] for r in expected}


def test_payer_lag_callback(dash_app: Any) -> None:
    from dashboards.pages import payer_lag

    with signed_in(dash_app, "executive"):
        tiles, boxes, trend, within, payer_rows, by_provider, by_location = payer_lag.update_payer_lag(ALL)
    medians = boxes["data"][0]["median"]
    assert medians == sorted(medians, reverse=True)
    assert [r["payer_name"] for r in payer_rows] == boxes["data"][0]["x"]
    assert trend["data"] and within["data"] and by_provider["data"] and by_location["data"]
    assert " days" in texts(tiles) and " %" in texts(tiles)


def test_aging_and_largest_balances(dash_app: Any, snapshot_dir: Path) -> None:
    from dashboards.pages import ar_aging

    with signed_in(dash_app, "manager"):
        tiles, by_payer, by_responsibility, note = ar_aging.update_aging("2024-09-30", ALL)
        largest, _ = ar_aging.update_largest(ALL)
    mart = [r for r in table(snapshot_dir, "mart_ar_aging_daily") if r["as_of_date"] == dt.date(2024, 9, 30)]
    total = sum((r["balance_amount"] for r in mart), Decimal("0"))
    assert f"${total:,.2f}" in texts(tiles)
    assert len(by_payer["data"]) == 5 and len(by_responsibility["data"]) == 5
    plotted = sum((Decimal(str(y)) for trace in by_payer["data"] for y in trace["y"]), Decimal("0"))
    assert plotted == total
    assert note == ""
    assert 0 < len(largest) <= 25
    assert all(int(r["days_since_submission"]) >= 91 for r in largest)


def test_work_list_view_filters_export_and_audit(dash_app: Any, snapshot_dir: Path, dash_home: Path) -> None:
    from dashboards.pages import work_list

    work = table(snapshot_dir, "mart_work_list")
    with signed_in(dash_app, "biller"):
        grid_rows, count_text = work_list.update_work_list(ALL, None, None, None, "1000")
        download = work_list.export_work_list(1, ALL, None, None, None, "1000")
    expected = [r for r in work if r["insurance_balance_amount"] >= Decimal("1000.00")]
    assert len(grid_rows) == len(expected) > 0
    assert count_text.startswith(f"{len(expected)} open claims match")
    assert grid_rows[0]["deadline_text"].startswith(("due", "overdue"))
    view, export = audit.read_entries(dash_home / "logs" / "audit.log")[-2:]
    assert (view["user"], view["page"], view["action"]) == ("bill", "work-list", "view")
    assert set(view["claim_ids"]) == {r["claim_id"] for r in expected}
    assert export["action"] == "export" and export["claim_count"] == len(expected)
    assert download["filename"].endswith(".csv") and download["type"] == "text/csv"
    exported = list(csv.DictReader(io.StringIO(download["content"])))
    assert {r["claim_id"] for r in exported} == {r["claim_id"] for r in expected}
    ranks = [int(r["priority_rank"]) for r in exported]
    assert ranks == sorted(ranks), "the export is in priority order"
    by_id = {r["claim_id"]: r for r in expected}
    for line in exported:
        assert (
            Decimal(line["insurance_balance_amount"]) == by_id[line["claim_id"]]["insurance_balance_amount"]
        )
        assert "patient_id" not in line


def test_open_claim_from_the_work_list_keeps_it_out_of_the_url(dash_app: Any) -> None:
    from dashboards.pages import work_list

    claim_id = "0123456789abcdef0123456789abcdef"
    with signed_in(dash_app, "biller"):
        stored, path = work_list.open_claim({"colId": "patient_control_number", "rowId": claim_id})
        ignored = work_list.open_claim({"colId": "payer_name", "rowId": claim_id})
    assert (stored, path) == (claim_id, "/claim-detail")
    assert ignored[0] is work_list.no_update


def test_claim_detail_shows_timeline_and_audits(dash_app: Any, snapshot_dir: Path, dash_home: Path) -> None:
    from dashboards.pages import claim_detail

    # the first by claim_id, not by file order: the snapshot orders fct_claims by balance only, so
    # its order among equal balances is the sort's to choose (PUBLISH_LAYOUT)
    denied = min(
        (r for r in table(snapshot_dir, "fct_claims") if r["current_status"] == "denied"),
        key=lambda r: r["claim_id"],
    )
    events = [e for e in table(snapshot_dir, "fct_claim_events") if e["claim_id"] == denied["claim_id"]]
    with signed_in(dash_app, "biller"):
        message, facts, timeline, grid_rows = claim_detail.show_claim(denied["claim_id"], ALL)
        outside = claim_detail.show_claim(denied["claim_id"], GlobalFilters(payers=("NOPE1",)).to_dict())
        bad = claim_detail.show_claim("PCN200001", ALL)
    assert message == "Balances as of 2024-12-31."
    assert len(grid_rows) == len(events)
    assert sum(len(trace["x"]) for trace in timeline["data"]) == len(events)
    text = texts(facts)
    assert f"${denied['billed_amount']:,.2f}" in text and "Appeal" in text
    assert "outside the current filters (payer)" in texts(outside[1])
    assert bad[0] == "A claim id is 32 characters, 0-9 and a-f." and bad[3] == []
    entry = audit.read_entries(dash_home / "logs" / "audit.log")[-2]
    assert entry["claim_ids"] == [denied["claim_id"]] and entry["page"] == "claim-detail"


@pytest.mark.parametrize(
    ("role", "page", "call"),
    [
        ("biller", "overview", lambda m: m.update_overview(ALL)),
        ("executive", "work_list", lambda m: m.update_work_list(ALL, None, None, None, None)),
        ("executive", "claim_detail", lambda m: m.show_claim("0" * 32, ALL)),
        ("biller", "denials", lambda m: m.update_denials(ALL)),
        (None, "payer_lag", lambda m: m.update_payer_lag(ALL)),
        ("executive", "ar_aging", lambda m: m.update_aging("2024-09-30", ALL)),
        ("biller", "ar_aging", lambda m: m.update_largest(ALL)),
    ],
)
def test_callbacks_refuse_other_roles(dash_app: Any, role: str | None, page: str, call: Any) -> None:
    import importlib

    module = importlib.import_module(f"dashboards.pages.{page}")
    with signed_in(dash_app, role), pytest.raises(AccessDenied):
        call(module)


def test_filter_sync_between_url_and_controls(dash_app: Any) -> None:
    from dashboards.app import filters_sync
    from dashboards.ids import PAYER

    search, start, end, payers, providers, locations = filters_sync(
        None, "?payer=MCR01&from=2024-02-01", None, None, None, None, None
    )
    assert (start, end, payers, providers, locations) == ("2024-02-01", None, ["MCR01"], [], [])
    assert search == "?from=2024-02-01&payer=MCR01"  # canonical order written back
    out = filters_sync(PAYER, "", "2024-02-01", None, ["MCR01", "BCX01"], [], [])
    assert out[0] == "?from=2024-02-01&payer=BCX01,MCR01"


def test_the_denial_heatmap_lists_payers_a_to_z_downwards(dash_app: Any) -> None:
    import pandas as pd

    from dashboards.pages.denials import heatmap_figure

    frame = pd.DataFrame(
        [
            ("P2", "Zenith Mutual", "eligibility", "120.50", 2),
            ("P1", "Acme Health", "coding", "80.00", 1),
            ("P1", "Acme Health", "eligibility", "10.00", 1),
        ],
        columns=["payer_id", "payer_name", "root_cause", "denied_amount", "denials"],
    )
    fig = heatmap_figure(frame)
    [trace] = fig["data"]
    assert trace["y"] == ["Acme Health", "Zenith Mutual"]  # first row first...
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"  # ...and drawn at the top
    # each row's cells are its own payer's: Acme has both causes, Zenith only eligibility
    cells = {
        (payer, cause): z
        for z_row, custom_row in zip(trace["z"], trace["customdata"], strict=True)
        for z, (payer, cause, _money) in zip(z_row, custom_row, strict=True)
    }
    assert cells == {
        ("P1", "coding"): 80.0,
        ("P1", "eligibility"): 10.0,
        ("P2", "coding"): None,
        ("P2", "eligibility"): 120.5,
    }
