"""A republish between requests never breaks a page: threads call the dashboards' callbacks over HTTP
while another thread swaps CURRENT between two snapshots; every answer is complete and comes from
one snapshot or the other."""

from __future__ import annotations

import json
import os
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from conftest import callback_body, login_client
from dash_snapshot_fixture import FIRST_SNAPSHOT, SECOND_SNAPSHOT

ALL = {"from": None, "to": None, "payer": [], "provider": [], "location": []}
CALL = callback_body(
    [("overview-month", "children"), ("overview-tiles", "children"), ("overview-waterfall", "figure")],
    [("overview-filters", "data", ALL)],
)


def billed(snapshot: Path) -> Decimal:
    claims = pq.read_table(snapshot / "fct_claims.parquet").to_pylist()
    return sum((r["billed_amount"] for r in claims if not r["is_voided"]), Decimal(0))


def swap_pointer(snapshots: Path, snapshot_id: str) -> None:
    temp = snapshots / "CURRENT.swap"
    temp.write_text(snapshot_id + "\n")
    os.replace(temp, snapshots / "CURRENT")


def test_callbacks_keep_answering_while_current_swaps(dash_app: Any, dash_home: Path) -> None:
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
            figure = json.loads(response.get_data(as_text=True))["response"]["overview-waterfall"]["figure"]
            seen.append(Decimal(str(figure["data"][0]["y"][0])))

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
