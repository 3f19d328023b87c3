"""Query functions against the fixture snapshot: every figure is recomputed here from the Parquet rows
in plain Python (Decimal, statistics) and must match to the cent."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards import queries
from dashboards.filters import GlobalFilters


def rows(snapshot_dir: Path, table: str) -> list[dict]:
    return pq.read_table(snapshot_dir / f"{table}.parquet").to_pylist()


@pytest.fixture
def snap(snapshot_dir: Path):
    with queries.open_snapshot(snapshot_dir) as opened:
        yield opened


def test_current_snapshot_follows_the_pointer(dash_home: Path, snapshot_dir: Path) -> None:
    assert queries.current_snapshot_dir() == snapshot_dir


@pytest.mark.parametrize("pointer_text", ["../../etc", "", "20990101T000000000000Z"])
def test_bad_or_dangling_pointer_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pointer_text: str
) -> None:
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "snapshots" / "CURRENT").write_text(pointer_text)
    monkeypatch.setenv("RCM_HOME", str(tmp_path))
    with pytest.raises(queries.SnapshotMissing):
        queries.current_snapshot_dir()


def test_missing_pointer_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCM_HOME", str(tmp_path))
    with pytest.raises(queries.SnapshotMissing, match="rcm build"):
        queries.current_snapshot_dir()


def test_only_allow_listed_tables_become_views(snap: queries.Snapshot) -> None:
    with pytest.raises(ValueError, match="not a snapshot table"):
        snap.rows("select 1", tables=["warehouse_secrets"])
    with pytest.raises(KeyError):
        queries.denials_by(snap, GlobalFilters(), "patient_id")


def test_denied_dollars_by_root_cause_match_the_rows(snap: queries.Snapshot, snapshot_dir: Path) -> None:
    expected: dict[str, Decimal] = {}
    for row in rows(snapshot_dir, "fct_denials"):
        expected[row["root_cause"]] = expected.get(row["root_cause"], Decimal("0")) + row["denied_amount"]
    frame = queries.denials_by(snap, GlobalFilters(), "root_cause")
    assert dict(zip(frame["key"], frame["denied_amount"], strict=True)) == expected
    assert list(frame["denied_amount"]) == sorted(frame["denied_amount"], reverse=True)


def test_global_filters_restrict_denials(snap: queries.Snapshot, snapshot_dir: Path) -> None:
    start, end = dt.date(2024, 3, 1), dt.date(2024, 8, 31)
    filters = GlobalFilters(start=start, end=end, payers=("MCR01",), locations=("LOC1", "LOC2"))
    expected = sum(
        (
            r["denied_amount"]
            for r in rows(snapshot_dir, "fct_denials")
            if start <= r["service_date"] <= end
            and r["payer_id"] == "MCR01"
            and r["location_id"] in ("LOC1", "LOC2")
        ),
        Decimal("0"),
    )
    assert expected > 0
    assert queries.denial_summary(snap, filters)["denied_amount"] == expected


def test_waterfall_closes_and_matches_claims(snap: queries.Snapshot, snapshot_dir: Path) -> None:
    everything = rows(snapshot_dir, "fct_claims")
    claims = [r for r in everything if r["payer_sequence"] == "primary" and not r["is_voided"]]
    assert len(claims) < len(everything), "the fixture has voided claims to leave out"
    totals = queries.waterfall_totals(snap, GlobalFilters())
    assert totals["claims"] == len(claims)
    assert totals["billed"] == sum((r["billed_amount"] for r in claims), Decimal("0"))
    assert totals["denied_open"] == sum((r["denied_amount"] for r in claims), Decimal("0"))
    # billed = contractual + written off + patient share + paid + still open with payers
    assert totals["billed"] == (
        totals["contractual"]
        + totals["written_off"]
        + totals["patient_responsibility"]
        + totals["paid"]
        + totals["insurance_open"]
    )


def test_initial_denial_trend_counts(snap: queries.Snapshot, snapshot_dir: Path) -> None:
    claims = rows(snapshot_dir, "fct_claims")
    march = [r for r in claims if r["service_month"] == dt.date(2024, 3, 1) and not r["is_voided"]]
    frame = queries.initial_denial_trend(snap, GlobalFilters())
    row = frame[frame["month"] == dt.date(2024, 3, 1)].iloc[0]
    assert int(row["claims"]) == len(march)
    assert int(row["initially_denied"]) == sum(r["is_initially_denied"] for r in march)
    assert row["rate"] == pytest.approx(row["initially_denied"] / row["claims"])
    assert int(row["adjudicated"]) == sum(r["first_remit_date"] is not None for r in march)


def test_payment_lag_boxes_are_medians_slowest_first(snap: queries.Snapshot, snapshot_dir: Path) -> None:
    by_payer: dict[str, list[int]] = {}
    for r in rows(snapshot_dir, "fct_claim_payment_lags"):
        by_payer.setdefault(r["payer_id"], []).append(r["submission_to_payment_days"])
    frame = queries.payment_lag_by_payer(snap, GlobalFilters())
    for row in frame.itertuples():
        days = by_payer[row.payer_id]
        assert row.median == pytest.approx(statistics.median(days))
        assert row.paid_claims == len(days)
        assert row.share_within_30 == pytest.approx(sum(d <= 30 for d in days) / len(days))
        assert row.lower_fence >= min(days) and row.upper_fence <= max(days)
    assert list(frame["median"]) == sorted(frame["median"], reverse=True)


@settings(max_examples=200, deadline=None)
@given(
    days=st.lists(st.integers(min_value=-5, max_value=400), min_size=1, max_size=60),
    shares=st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0]), min_size=1, max_size=4),
)
def test_histogram_quantiles_equal_duckdb_quantile_cont(days: list[int], shares: list[float]) -> None:
    """The payer-lag page takes quantiles from day histograms; they must be DuckDB's own numbers."""
    values = sorted(set(days))
    counts = [days.count(v) for v in values]
    expected = duckdb.execute(
        "select quantile_cont(d, ?::double[]) from unnest(?::integer[]) as t(d)", [shares, days]
    ).fetchone()[0]
    assert queries.histogram_quantiles(values, counts, shares) == pytest.approx(expected, abs=1e-9)


def test_payment_lag_overall_and_trend_match_the_rows(snap: queries.Snapshot, snapshot_dir: Path) -> None:
    paid = [
        r
        for r in rows(snapshot_dir, "fct_claim_payment_lags")
        if r["submission_to_payment_days"] is not None and not r["is_voided"]
    ]
    overall = queries.payment_lag_overall(snap, GlobalFilters())
    lags = [r["submission_to_payment_days"] for r in paid]
    assert overall["paid_claims"] == len(paid)
    assert overall["median"] == pytest.approx(statistics.median(lags))
    assert overall["share_within_30"] == pytest.approx(sum(d <= 30 for d in lags) / len(lags))
    assert overall["charge_lag_median"] == pytest.approx(
        statistics.median(r["charge_lag_days"] for r in paid)
    )
    trend = queries.payment_lag_trend(snap, GlobalFilters())
    assert int(trend["paid_claims"].sum()) == len(paid)
    assert list(trend["month"]) == sorted(trend["month"])
    march = [
        r["submission_to_payment_days"]
        for r in paid
        if r["first_submission_date"].strftime("%Y-%m") == "2024-03"
    ]
    if march:
        row = trend[trend["month"] == dt.date(2024, 3, 1)].iloc[0]
        assert row["median"] == pytest.approx(statistics.median(march))
    nobody = GlobalFilters(payers=("NO-SUCH-PAYER",))
    assert queries.payment_lag_overall(snap, nobody)["paid_claims"] == 0
    assert queries.payment_lag_trend(snap, nobody).empty and queries.payment_lag_by_payer(snap, nobody).empty


@pytest.mark.parametrize("dimension", ["provider", "location"])
def test_charge_lags_match_the_rows(snap: queries.Snapshot, snapshot_dir: Path, dimension: str) -> None:
    column = queries.CHARGE_LAG_DIMENSIONS[dimension]
    lags: dict[str, list[int]] = {}
    for r in rows(snapshot_dir, "fct_claims"):
        if r["first_submission_date"] is not None and not r["is_voided"]:
            label = r[column] or "(unknown)"
            lags.setdefault(label, []).append((r["first_submission_date"] - r["service_date"]).days)
    frame = queries.charge_lags(snap, GlobalFilters())[dimension]
    assert dict(zip(frame["label"], frame["claims"], strict=True)) == {k: len(v) for k, v in lags.items()}
    for row in frame.itertuples():
        assert row.median == pytest.approx(statistics.median(lags[row.label]))
        assert row.p90 == pytest.approx(
            duckdb.execute(
                "select quantile_cont(d, 0.9) from unnest(?::integer[]) t(d)", [lags[row.label]]
            ).fetchone()[0]
        )
    assert list(frame["median"]) == sorted(frame["median"], reverse=True)
    nobody = queries.charge_lags(snap, GlobalFilters(payers=("NO-SUCH-PAYER",)))[dimension]
    assert nobody.empty


def test_aging_on_a_date_matches_the_mart(snap: queries.Snapshot, snapshot_dir: Path) -> None:
    day = dt.date(2024, 9, 30)
    mart = [r for r in rows(snapshot_dir, "mart_ar_aging_daily") if r["as_of_date"] == day]
    frame = queries.aging_as_of(snap, day, GlobalFilters())
    assert sum(frame["balance_amount"], Decimal("0")) == sum(
        (r["balance_amount"] for r in mart), Decimal("0")
    )
    only_medicare = queries.aging_as_of(snap, day, GlobalFilters(payers=("MCR01",)))
    assert set(only_medicare["payer_id"]) == {"MCR01"}
    assert set(only_medicare["responsibility"]) == {"insurance"}


def test_work_list_filters_and_order(snap: queries.Snapshot, snapshot_dir: Path) -> None:
    work = rows(snapshot_dir, "mart_work_list")
    frame, total = queries.work_list(snap, GlobalFilters(), queries.WorkListFilters())
    assert total == len(work) and len(frame) == len(work)
    assert list(frame["priority_rank"]) == sorted(frame["priority_rank"])
    local = queries.WorkListFilters(
        min_balance=Decimal("500.00"), min_age_days=60, billers=("bea", queries.UNASSIGNED)
    )
    expected = [
        r
        for r in work
        if r["insurance_balance_amount"] >= Decimal("500.00")
        and r["age_days"] >= 60
        and (r["assigned_biller"] in ("bea", None))
    ]
    frame, total = queries.work_list(snap, GlobalFilters(), local)
    assert total == len(expected) > 0
    assert set(frame["claim_id"]) == {r["claim_id"] for r in expected}
    limited, total_all = queries.work_list(snap, GlobalFilters(), queries.WorkListFilters(), limit=5)
    assert len(limited) == 5 and total_all == len(work)


def test_claim_lookups_take_only_claim_ids(snap: queries.Snapshot, snapshot_dir: Path) -> None:
    claim = rows(snapshot_dir, "fct_claims")[0]
    header = queries.claim_header(snap, claim["claim_id"])
    assert header is not None and header["billed_amount"] == claim["billed_amount"]
    assert "patient_id" not in header
    events = queries.claim_events(snap, claim["claim_id"])
    assert list(events["event_order"]) == sorted(events["event_order"])
    assert queries.claim_header(snap, "x' or '1'='1") is None
    assert queries.claim_header(snap, claim["patient_control_number"]) is None
    assert queries.claim_header(snap, "0" * 32) is None


def test_export_keeps_the_published_priority_order_across_row_groups(tmp_path: Path) -> None:
    """The export reads the work list in file order (no ORDER BY): with many row groups scanned by
    several threads, and a filter, DuckDB must still hand the rows back in the publisher's order."""
    from orchestration.lib.publish import PUBLISH_LAYOUT

    order_by, row_group_size = PUBLISH_LAYOUT["mart_work_list"]
    columns = ", ".join(
        f"{expr} as {name}"
        for name, expr in {
            "priority_rank": "i",
            "claim_id": "md5(i::varchar)",
            "patient_control_number": "'PCN' || i",
            "payer_name": "'Payer ' || (i % 7)",
            "payer_id": "'P' || (i % 7)",
            "billing_provider_npi": "'N' || (i % 5)",
            "location_id": "'L' || (i % 3)",
            "provider_name": "'Provider'",
            "location_name": "'Location'",
            "service_date": "date '2024-01-01' + (i % 300)::integer",
            "current_status": "'denied'",
            "root_cause": "'coding'",
            "carc_code": "'16'",
            "insurance_balance_amount": "(i % 5000)::decimal(18,2)",
            "expected_recoverable_amount": "0::decimal(18,2)",
            "age_days": "i % 200",
            "deadline_type": "'appeal'",
            "deadline_date": "date '2025-01-01'",
            "days_to_deadline": "30",
            "last_action": "'none'",
            "last_action_date": "date '2024-12-01'",
            "assigned_biller": "'b' || (i % 4)",
            "priority_score": "1000000 - i",
            "priority_reasons": "'aged'",
        }.items()
    )
    target = tmp_path / "mart_work_list.parquet"
    con = duckdb.connect()
    con.execute(
        f"copy (select {columns} from range(1, 200001) t(i) order by {order_by}) to '{target}' "
        f"(format parquet, row_group_size {row_group_size})"
    )
    con.close()
    filters = GlobalFilters(start=dt.date(2024, 3, 1))
    local = queries.WorkListFilters(min_balance=Decimal("100.00"))
    with queries.open_snapshot(tmp_path) as opened:
        opened.con.execute("set threads = 4")
        table = queries.work_list_export(opened, filters, local)
    ranks = table.column("priority_rank").to_pylist()
    assert len(ranks) > 100_000 and ranks == sorted(ranks)
