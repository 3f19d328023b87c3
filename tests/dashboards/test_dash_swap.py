"""A republish between requests never breaks a page: threads open the overview over HTTP (the page
router's call, whose answer carries the page drawn with its data) while another thread swaps CURRENT
between two snapshots; every answer is complete and comes from one snapshot or the other."""

from __future__ import annotations

import json
import os
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from dash_helpers import callback_body, login_client
from dash_snapshot_fixture import FIRST_SNAPSHOT, SECOND_SNAPSHOT

CALL = callback_body(
    [("_pages_content", "children"), ("_pages_store", "data")],
    [("_pages_location", "pathname", "/overview"), ("_pages_location", "search", "")],
)


def find_props(tree: Any, component_id: str) -> dict[str, Any] | None:
    """The props of the component with `component_id` in a serialized Dash layout."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return props
        return next((found for v in tree.values() if (found := find_props(v, component_id))), None)
    if isinstance(tree, list):
        return next((found for v in tree if (found := find_props(v, component_id))), None)
    return None


def billed(snapshot: Path) -> Decimal:
    claims = pq.read_table(snapshot / "fct_claims.parquet").to_pylist()
    return sum((r["billed_amount"] for r in claims if not r["is_voided"]), Decimal(0))


def swap_pointer(snapshots: Path, snapshot_id: str) -> None:
    temp = snapshots / "CURRENT.swap"
    temp.write_text(snapshot_id + "\n")
    os.replace(temp, snapshots / "CURRENT")


def test_pages_keep_answering_while_current_swaps(dash_app: Any, dash_home: Path) -> None:
    snapshots = dash_home / "snapshots"
    expected = {billed(snapshots / FIRST_SNAPSHOT), billed(snapshots / SECOND_SNAPSHOT)}
    assert len(expected) == 2
    clients = [login_client(dash_app, "manny") for _ in range(3)]
    stop = threading.Event()
    errors: list[str] = []
    seen: list[Decimal] = []

    def swapper() -> None:
        flips = 0
        while not stop.is_set():
            swap_pointer(snapshots, SECOND_SNAPSHOT if flips % 2 == 0 else FIRST_SNAPSHOT)
            flips += 1
            stop.wait(0.005)

    def caller(client: Any) -> None:
        for _ in range(6):
            response = client.post("/_dash-update-component", json=CALL)
            if response.status_code != 200:
                errors.append(f"{response.status_code}: {response.get_data(as_text=True)[:200]}")
                continue
            page = json.loads(response.get_data(as_text=True))["response"]["_pages_content"]["children"]
            graph = find_props(page, "overview-waterfall")
            if graph is None:
                errors.append("the overview came back without its waterfall")
                continue
            seen.append(Decimal(str(graph["figure"]["data"][0]["y"][0])))

    swap_thread = threading.Thread(target=swapper)
    swap_thread.start()
    try:
        workers = [threading.Thread(target=caller, args=(client,)) for client in clients]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        stop.set()
        swap_thread.join()
        swap_pointer(snapshots, FIRST_SNAPSHOT)
    assert errors == []
    assert len(seen) == 18
    assert set(seen) <= expected
    assert len(set(seen)) == 2, "the swap was never picked up by a later request"


def test_one_page_view_reads_one_snapshot_and_is_audited_once(dash_app: Any, dash_home: Path) -> None:
    """A page drawn in its layout pins the snapshot CURRENT names when it starts: a swap in the middle
    does not mix two snapshots. The A/R page's claim-level grid is audited once per view."""
    from dashboards import audit, queries

    snapshots = dash_home / "snapshots"
    swap_pointer(snapshots, FIRST_SNAPSHOT)
    try:
        with queries.same_snapshot() as pinned:
            swap_pointer(snapshots, SECOND_SNAPSHOT)
            assert pinned.name == FIRST_SNAPSHOT
            assert queries.current_snapshot_dir() == pinned
            with queries.open_snapshot() as snap:
                assert snap.directory.name == FIRST_SNAPSHOT
        assert queries.current_snapshot_dir().name == SECOND_SNAPSHOT
    finally:
        swap_pointer(snapshots, FIRST_SNAPSHOT)
    log = dash_home / "logs" / "audit.log"
    before = len(audit.read_entries(log))
    client = login_client(dash_app, "manny")
    aging = callback_body(
        [("_pages_content", "children"), ("_pages_store", "data")],
        [("_pages_location", "pathname", "/ar-aging"), ("_pages_location", "search", "")],
    )
    response = client.post("/_dash-update-component", json=aging)
    assert response.status_code == 200
    page = json.loads(response.get_data(as_text=True))["response"]["_pages_content"]["children"]
    largest = find_props(page, "ar-aging-largest")
    assert largest is not None and largest["rowData"], "the A/R page arrives with its largest balances"
    entries = audit.read_entries(log)[before:]
    assert [(e["page"], e["action"]) for e in entries] == [("ar-aging", "view")]
    assert entries[0]["claim_count"] == len(largest["rowData"])
