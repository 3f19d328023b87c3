"""Every SQL statement the dashboards run, and the only place SQL lives.

Why this shape:
- The dashboards read only the published snapshot: one Parquet file per mart in
  ``$RCM_HOME/snapshots/<id>/``, the live id named in ``snapshots/CURRENT``. They never open the
  warehouse DuckDB file, so a pipeline run can write it while people look at charts.
- Each callback or page layout opens its own DuckDB cursor (`open_snapshot`; a cursor is a
  connection of its own on the process's in-memory database) over the snapshot that CURRENT names
  at that moment (a page layout pins that one snapshot for all its queries: `same_snapshot`),
  registers the tables it reads on that cursor only, and closes it at the end: a republish between
  two requests is picked up by the next one, a request already running finishes on the files it
  started with, and nothing is shared between the server's threads.
- User input only ever reaches SQL as ``?`` parameters. Statements are constant strings; the one
  piece composed at run time is the WHERE clause, assembled from fixed fragments whose column names
  come from the `FilterColumns` below (code, not input), through `_compose` (a plain ``replace`` of
  ``{where}``). Table names come from the `SNAPSHOT_TABLES` allow-list.
- Money stays Decimal end to end (DuckDB decimal -> Arrow decimal128 -> Python Decimal).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from dashboards.filters import GlobalFilters
from orchestration.lib.publish import table_relation
from orchestration.settings import get_settings

SNAPSHOT_TABLES = frozenset(
    {
        "fct_claims",
        "fct_denials",
        "mart_denial_reasons",
        "mart_payer_lag",
        "fct_claim_payment_lags",
        "mart_ar_aging_daily",
        "mart_collections_monthly",
        "mart_kpis_monthly",
        "mart_work_list",
        "fct_claim_events",
        "dim_payers",
        "dim_providers",
        "dim_locations",
    }
)
CLAIM_ID = re.compile(r"^[0-9a-f]{32}$")
WORK_LIST_ROW_LIMIT = 500
DRILL_ROW_LIMIT = 500


class SnapshotMissing(RuntimeError):
    """No published snapshot yet (or CURRENT names a folder that is gone): pages say so in words."""


_pinned: ContextVar[Path | None] = ContextVar("pinned_snapshot", default=None)


@contextmanager
def pinned_snapshot(directory: Path) -> Iterator[Path]:
    """Within this block (this thread/context only), read `directory` instead of what CURRENT names:
    for the bench, which measures a given snapshot without touching the pointer."""
    token = _pinned.set(directory)
    try:
        yield directory
    finally:
        _pinned.reset(token)


@contextmanager
def same_snapshot() -> Iterator[Path]:
    """Within this block, every query reads the snapshot CURRENT names on entry: a page drawn from
    several queries never mixes two snapshots when a publish swaps CURRENT meanwhile."""
    with pinned_snapshot(current_snapshot_dir()) as directory:
        yield directory


def current_snapshot_dir() -> Path:
    """The live snapshot folder that ``$RCM_HOME/snapshots/CURRENT`` names, read now (never cached).

    The pointer format and its checks belong to the publisher (orchestration/lib/publish.py); this
    only adds the bench's pin and a message the pages can show.
    """
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    from orchestration.lib.publish import current_snapshot_dir as published

    directory = published(get_settings())
    if directory is None:
        pointer = get_settings().snapshots_dir / "CURRENT"
        raise SnapshotMissing(
            f"no published snapshot ({pointer} is absent, invalid or names a missing folder): run `rcm build`"
        )
    return directory


_database_lock = threading.Lock()
_database: list[duckdb.DuckDBPyConnection] = []


def _new_cursor() -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the process's one in-memory database (made on first use, never at import).

    Opening a DuckDB database costs ~30 ms and closing one ~10 ms, more than most queries here; a
    cursor costs well under 1 ms and is its own connection (one per request, never shared between
    threads). Tables are registered on the cursor only, so two requests never see each other's
    snapshot.
    """
    with _database_lock:
        if not _database:
            _database.append(duckdb.connect(":memory:"))
        return _database[0].cursor()


class Snapshot:
    """One DuckDB cursor over one snapshot folder; each table registered on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.con = _new_cursor()
        self._views: set[str] = set()

    def _ensure_views(self, tables: Iterable[str]) -> None:
        for table in tables:
            if table in self._views:
                continue
            if table not in SNAPSHOT_TABLES:
                raise ValueError(f"{table!r} is not a snapshot table")
            path = self.directory / f"{table}.parquet"
            if not path.exists():
                raise SnapshotMissing(f"snapshot {self.directory.name} has no {table}.parquet")
            # The relation API takes the path as a value (no file name is pasted into SQL), and
            # register() keeps the name local to this cursor. A table published with a delta is
            # its base file and the delta put together (ADR 0008).
            self.con.register(table, table_relation(self.con, self.directory, table))
            self._views.add(table)

    def frame(self, sql: str, params: Sequence[Any] = (), tables: Iterable[str] = ()) -> pd.DataFrame:
        """Run one statement; decimals come back as Decimal, dates as datetime.date."""
        self._ensure_views(tables)
        table = self.con.sql(sql, params=list(params)).to_arrow_table()
        return table.to_pandas(date_as_object=True)

    def arrow(self, sql: str, params: Sequence[Any] = (), tables: Iterable[str] = ()) -> pa.Table:
        """Run one statement into an Arrow table (for exports: no pandas round trip)."""
        self._ensure_views(tables)
        return self.con.sql(sql, params=list(params)).to_arrow_table()

    def rows(self, sql: str, params: Sequence[Any] = (), tables: Iterable[str] = ()) -> list[tuple[Any, ...]]:
        self._ensure_views(tables)
        return self.con.execute(sql, list(params)).fetchall()

    def close(self) -> None:
        self.con.close()


@contextmanager
def open_snapshot(directory: Path | None = None) -> Iterator[Snapshot]:
    """A Snapshot over `directory`, or over the one CURRENT names right now; closed on exit."""
    snapshot = Snapshot(directory or current_snapshot_dir())
    try:
        yield snapshot
    finally:
        snapshot.close()


# ------------------------------------------------------------------------------------------ filters


@dataclass(frozen=True)
class FilterColumns:
    """Which column of a table each global filter restricts (None: the table cannot be filtered so)."""

    date: str | None = "service_date"
    payer: str | None = "payer_id"
    provider: str | None = "billing_provider_npi"
    location: str | None = "location_id"


CLAIM_COLUMNS = FilterColumns()
NO_DATE = FilterColumns(date=None)


def _where(
    filters: GlobalFilters,
    columns: FilterColumns = CLAIM_COLUMNS,
    extra: Sequence[tuple[str, Sequence[Any]]] = (),
) -> tuple[str, list[Any]]:
    """A WHERE body and its parameters. `extra` holds fixed fragments written in this module."""
    clauses: list[str] = ["true"]
    params: list[Any] = []
    if columns.date and filters.start:
        clauses.append(columns.date + " >= ?")
        params.append(filters.start)
    if columns.date and filters.end:
        clauses.append(columns.date + " <= ?")
        params.append(filters.end)
    for column, values in (
        (columns.payer, filters.payers),
        (columns.provider, filters.providers),
        (columns.location, filters.locations),
    ):
        if column and values:
            clauses.append("list_contains(?, " + column + ")")
            params.append(list(values))
    for fragment, fragment_params in extra:
        clauses.append(fragment)
        params.extend(fragment_params)
    return " and ".join(clauses), params


def _compose(sql: str, where: str) -> str:
    return sql.replace("{where}", where)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


# ------------------------------------------------------------------------------------------ shell


def filter_options(snap: Snapshot) -> dict[str, list[dict[str, str]]]:
    """Dropdown options for the global filters, from the dimension tables."""
    payers = snap.rows(
        "select payer_id, payer_name from dim_payers order by payer_name, payer_id", tables=["dim_payers"]
    )
    providers = snap.rows(
        "select npi, provider_name from dim_providers order by provider_name, npi", tables=["dim_providers"]
    )
    locations = snap.rows(
        "select location_id, location_name from dim_locations order by location_name, location_id",
        tables=["dim_locations"],
    )
    return {
        "payer": [{"label": f"{name} ({pid})", "value": pid} for pid, name in payers],
        "provider": [{"label": f"{name} ({npi})", "value": npi} for npi, name in providers],
        "location": [{"label": name, "value": lid} for lid, name in locations],
    }


def service_date_bounds(snap: Snapshot) -> tuple[dt.date | None, dt.date | None]:
    row = snap.rows("select min(service_date), max(service_date) from fct_claims", tables=["fct_claims"])[0]
    return row[0], row[1]


def snapshot_as_of(snap: Snapshot) -> dt.date | None:
    """The snapshot's as-of date: the last day the A/R mart covers (deadline countdowns count from it)."""
    return snap.rows("select max(as_of_date) from mart_ar_aging_daily", tables=["mart_ar_aging_daily"])[0][0]


# ------------------------------------------------------------------------------------------ overview

OVERVIEW_KPIS = (
    "days_in_ar",
    "aged_ar_over_90_pct",
    "initial_denial_rate",
    "net_collection_rate",
    "first_pass_resolution_rate",
    "cash_collected",
)


def kpi_report_month(snap: Snapshot, filters: GlobalFilters) -> dt.date | None:
    """The month the tiles show: the last KPI month on or before the range's end (else the latest)."""
    params: list[Any] = []
    where = "true"
    if filters.end:
        where = "month <= ?"
        params.append(filters.end)
    sql = _compose("select max(month) from mart_kpis_monthly where {where}", where)
    return snap.rows(sql, params, tables=["mart_kpis_monthly"])[0][0]


def kpi_series(snap: Snapshot, end_month: dt.date, months: int = 12) -> pd.DataFrame:
    """The overview KPIs for the `months` months ending at `end_month` (for tiles and sparklines)."""
    start = (pd.Timestamp(end_month) - pd.DateOffset(months=months - 1)).date()
    return snap.frame(
        """
        select month, kpi_id, kpi_name, value, unit, target, higher_is_better, definition
        from mart_kpis_monthly
        where list_contains(?, kpi_id) and month between ? and ?
        order by kpi_id, month
        """,
        [list(OVERVIEW_KPIS), start, end_month],
        tables=["mart_kpis_monthly"],
    )


def kpi_target(snap: Snapshot, kpi_id: str) -> float | None:
    """The latest target set for a KPI (mart_kpis_monthly.target), for target lines on trends."""
    rows = snap.rows(
        "select target from mart_kpis_monthly where kpi_id = ? and target is not null order by month desc limit 1",
        [kpi_id],
        tables=["mart_kpis_monthly"],
    )
    return float(rows[0][0]) if rows else None


def waterfall_totals(snap: Snapshot, filters: GlobalFilters) -> dict[str, Any]:
    """Where billed dollars went, over primary claims in the filters: the executive waterfall's steps.

    Still-open insurance dollars split into denied (stuck in a denial) and awaiting the payer.
    """
    where, params = _where(filters, extra=[("payer_sequence = 'primary'", []), ("not is_voided", [])])
    sql = _compose(
        """
        select
            count(*) as claims,
            coalesce(sum(billed_amount), 0) as billed,
            coalesce(sum(contractual_amount), 0) as contractual,
            coalesce(sum(write_off_amount), 0) as written_off,
            coalesce(sum(patient_responsibility_amount), 0) as patient_responsibility,
            coalesce(sum(paid_amount), 0) as paid,
            coalesce(sum(least(denied_amount, greatest(insurance_balance_amount, 0))), 0) as denied_open,
            coalesce(sum(greatest(insurance_balance_amount, 0)), 0) as insurance_open
        from fct_claims
        where {where}
        """,
        where,
    )
    frame = snap.frame(sql, params, tables=["fct_claims"])
    return _records(frame)[0]


# ------------------------------------------------------------------------------------------ denials

DENIAL_DIMENSIONS = {"root_cause": "root_cause", "carc_code": "carc_code", "payer": "payer_id"}


def denials_by(snap: Snapshot, filters: GlobalFilters, dimension: str) -> pd.DataFrame:
    """Denied dollars and denial count by root cause / CARC / payer, largest first (Pareto input).

    No distinct claim count: it tripled the query's time at 1,000,000 claims (61 ms against 16 ms)
    and no chart shows it."""
    column = DENIAL_DIMENSIONS[dimension]
    where, params = _where(filters)
    sql = _compose(
        """
        select COLUMN as key, sum(denied_amount) as denied_amount, count(*) as denials,
            mode(root_cause) as root_cause
        from fct_denials
        where {where}
        group by all
        order by denied_amount desc, key
        """.replace("COLUMN", column),
        where,
    )
    return snap.frame(sql, params, tables=["fct_denials"])


def denial_heatmap(snap: Snapshot, filters: GlobalFilters) -> pd.DataFrame:
    where, params = _where(filters)
    sql = _compose(
        """
        select payer_id, any_value(payer_name) as payer_name, root_cause, sum(denied_amount) as denied_amount,
            count(*) as denials
        from fct_denials
        where {where}
        group by payer_id, root_cause
        order by payer_id, root_cause
        """,
        where,
    )
    return snap.frame(sql, params, tables=["fct_denials"])


def initial_denial_trend(snap: Snapshot, filters: GlobalFilters) -> pd.DataFrame:
    """Initial denial rate by month of service: initially denied primary claims / primary claims, with
    how many of them have a first remittance yet (`adjudicated`): a recent month's rate still rises."""
    where, params = _where(filters, extra=[("payer_sequence = 'primary'", []), ("not is_voided", [])])
    sql = _compose(
        """
        select service_month as month, count(*) as claims,
            count(*) filter (where is_initially_denied) as initially_denied,
            count(*) filter (where is_initially_denied) / count(*) as rate,
            count(first_remit_date) as adjudicated
        from fct_claims
        where {where}
        group by service_month
        order by service_month
        """,
        where,
    )
    return snap.frame(sql, params, tables=["fct_claims"])


def denial_summary(snap: Snapshot, filters: GlobalFilters) -> dict[str, Any]:
    """Headline denial figures. Overturn rate = overturned initial denials / initial denials."""
    where, params = _where(filters)
    sql = _compose(
        """
        select
            count(*) as denials,
            coalesce(sum(denied_amount), 0) as denied_amount,
            coalesce(sum(denied_amount) filter (where is_avoidable), 0) as avoidable_amount,
            coalesce(sum(denied_amount) filter (where not is_avoidable), 0) as unavoidable_amount,
            count(*) filter (where is_initial) as initial_denials,
            count(*) filter (where is_initial and outcome = 'overturned') as overturned,
            count(*) filter (where is_initial and outcome = 'overturned') / nullif(count(*) filter (where is_initial), 0)
                as overturn_rate,
            coalesce(sum(recovered_amount), 0) as recovered_amount,
            coalesce(sum(denied_amount) filter (where outcome = 'open'), 0) as open_amount,
            coalesce(sum(denied_amount) filter (where outcome = 'written_off'), 0) as written_off_amount
        from fct_denials
        where {where}
        """,
        where,
    )
    return _records(snap.frame(sql, params, tables=["fct_denials"]))[0]


def denial_outcomes(snap: Snapshot, filters: GlobalFilters) -> pd.DataFrame:
    """Denied dollars by root cause and outcome (overturned / written off / patient / open)."""
    where, params = _where(filters)
    sql = _compose(
        """
        select root_cause, outcome, count(*) as denials, sum(denied_amount) as denied_amount,
            sum(recovered_amount) as recovered_amount
        from fct_denials
        where {where}
        group by all
        order by root_cause, outcome
        """,
        where,
    )
    return snap.frame(sql, params, tables=["fct_denials"])


def denied_claims(
    snap: Snapshot,
    filters: GlobalFilters,
    root_cause: str | None = None,
    carc_code: str | None = None,
    payer_id: str | None = None,
    limit: int = DRILL_ROW_LIMIT,
) -> pd.DataFrame:
    """The denials behind a clicked bar or cell, largest first."""
    extra: list[tuple[str, Sequence[Any]]] = []
    if root_cause is not None:
        extra.append(("root_cause = ?", [root_cause]))
    if carc_code is not None:
        extra.append(("carc_code = ?", [carc_code]))
    if payer_id is not None:
        extra.append(("payer_id = ?", [payer_id]))
    where, params = _where(filters, extra=extra)
    sql = _compose(
        """
        select claim_id, patient_control_number, payer_name, service_date, denial_date, root_cause, carc_code,
            group_code, rarc_codes, denied_amount, outcome, recovered_amount, is_avoidable
        from fct_denials
        where {where}
        order by denied_amount desc, claim_id
        limit ?
        """,
        where,
    )
    return snap.frame(sql, [*params, limit], tables=["fct_denials"])


# ------------------------------------------------------------------------------------------ payer lag
#
# Lags are whole days, so every statistic here comes from a histogram (one row per distinct day
# value and group, with its count) that DuckDB builds with a hash aggregate; no query sorts the
# ~800,000 paid claims of a 1,000,000-claim snapshot. Quantiles from the histogram are exact and
# equal DuckDB's quantile_cont (linear interpolation between the two order statistics around
# (n - 1) * p); tests/dashboards check that on random data.

LAG_COLUMNS = FilterColumns()
NOT_VOIDED: list[tuple[str, Sequence[Any]]] = [("not is_voided", [])]
BOX_QUANTILES = {"q1": 0.25, "median": 0.5, "q3": 0.75, "p90": 0.9}


def histogram_quantiles(values: Sequence[int], counts: Sequence[int], shares: Sequence[float]) -> list[float]:
    """quantile_cont of the data a histogram describes: `values` ascending, each seen `counts` times."""
    cumulative = np.cumsum(np.asarray(counts, dtype=np.int64))
    ordered = np.asarray(values, dtype=np.float64)
    n = int(cumulative[-1])
    out: list[float] = []
    for share in shares:
        position = (n - 1) * share
        low = math.floor(position)
        high = math.ceil(position)
        # the order statistic x[k] (0-based) is the first value whose cumulative count exceeds k
        x_low = ordered[np.searchsorted(cumulative, low, side="right")]
        x_high = ordered[np.searchsorted(cumulative, high, side="right")]
        out.append(float(x_low + (position - low) * (x_high - x_low)))
    return out


def _histogram_stats(hist: pd.DataFrame, keys: Sequence[str], quantiles: dict[str, float]) -> pd.DataFrame:
    """Per group of `keys` in a (keys..., days, n) histogram: count, the named quantiles, min, max,
    the share paid within 30 days, and Tukey's fences (the most extreme values within 1.5 IQR)."""
    columns = [
        *keys,
        "claims",
        *quantiles,
        "min_days",
        "max_days",
        "share_within_30",
        "lower_fence",
        "upper_fence",
    ]
    records: list[dict[str, Any]] = []
    if hist.empty:
        return pd.DataFrame(columns=columns)
    hist = hist.sort_values([*keys, "days"], kind="stable")
    for group, part in hist.groupby(list(keys), sort=False, dropna=False):
        values = part["days"].to_numpy(dtype=np.int64)
        counts = part["n"].to_numpy(dtype=np.int64)
        stats = dict(
            zip(quantiles, histogram_quantiles(values, counts, list(quantiles.values())), strict=True)
        )
        total = int(counts.sum())
        record: dict[str, Any] = dict(zip(keys, group if isinstance(group, tuple) else (group,), strict=True))
        record.update(stats, claims=total, min_days=int(values[0]), max_days=int(values[-1]))
        record["share_within_30"] = float(counts[values <= 30].sum()) / total
        if "q1" in stats and "q3" in stats:
            spread = 1.5 * (stats["q3"] - stats["q1"])
            record["lower_fence"] = int(values[values >= stats["q1"] - spread].min())
            record["upper_fence"] = int(values[values <= stats["q3"] + spread].max())
        records.append(record)
    return pd.DataFrame.from_records(records, columns=columns)


def payment_lag_histogram(snap: Snapshot, filters: GlobalFilters) -> pd.DataFrame:
    """Paid claims per payer and submission-to-payment day: (payer_id, payer_name, days, n)."""
    where, params = _where(filters, LAG_COLUMNS, NOT_VOIDED)
    sql = _compose(
        """
        select payer_id, any_value(payer_name) as payer_name, submission_to_payment_days as days,
            count(*) as n
        from fct_claim_payment_lags
        where {where} and submission_to_payment_days is not null
        group by payer_id, submission_to_payment_days
        """,
        where,
    )
    return snap.frame(sql, params, tables=["fct_claim_payment_lags"])


def payment_lag_by_payer(
    snap: Snapshot, filters: GlobalFilters, histogram: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Submission-to-payment days per payer as box-plot statistics, slowest (highest median) first.

    The box is drawn from quartiles computed here, so the browser never receives one point per claim.
    Whiskers: the most extreme values within 1.5 IQR of the box (Tukey). `histogram` is
    `payment_lag_histogram`'s answer when the caller already has it.
    """
    hist = payment_lag_histogram(snap, filters) if histogram is None else histogram
    names = hist.groupby("payer_id")["payer_name"].first() if not hist.empty else {}
    stats = _histogram_stats(hist[["payer_id", "days", "n"]], ["payer_id"], BOX_QUANTILES)
    stats.insert(1, "payer_name", [names[p] for p in stats["payer_id"]])
    stats = stats.rename(columns={"claims": "paid_claims"})
    return stats.sort_values(["median", "payer_id"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def payment_lag_overall(
    snap: Snapshot, filters: GlobalFilters, histogram: pd.DataFrame | None = None
) -> dict[str, Any]:
    """All payers together: paid claims, median and p90 submission-to-payment days, share within 30,
    median service-to-payment days and median charge lag (service to submission) of the paid claims.
    `histogram` is `payment_lag_histogram`'s answer when the caller already has it."""
    hist = payment_lag_histogram(snap, filters) if histogram is None else histogram
    result: dict[str, Any] = {
        "paid_claims": 0,
        "median": None,
        "p90": None,
        "share_within_30": None,
        "dos_median": None,
        "charge_lag_median": None,
    }
    if hist.empty:
        return result
    everyone = hist.groupby("days", as_index=False)["n"].sum().assign(measure="submission_to_payment")
    where, params = _where(filters, LAG_COLUMNS, NOT_VOIDED)
    sql = _compose(
        """
        select case when grouping(dos_to_payment_days) = 0 then 'dos_to_payment' else 'charge_lag' end
                as measure,
            coalesce(dos_to_payment_days, charge_lag_days) as days, count(*) as n
        from fct_claim_payment_lags
        where {where} and submission_to_payment_days is not null
        group by grouping sets ((dos_to_payment_days), (charge_lag_days))
        having days is not null
        """,
        where,
    )
    others = snap.frame(sql, params, tables=["fct_claim_payment_lags"])
    stats = _histogram_stats(
        pd.concat([everyone, others], ignore_index=True), ["measure"], {"median": 0.5, "p90": 0.9}
    ).set_index("measure")
    row = stats.loc["submission_to_payment"]
    result.update(
        paid_claims=int(row["claims"]),
        median=row["median"],
        p90=row["p90"],
        share_within_30=row["share_within_30"],
    )
    for measure, name in (("dos_to_payment", "dos_median"), ("charge_lag", "charge_lag_median")):
        if measure in stats.index:
            result[name] = stats.loc[measure, "median"]
    return result


def payment_lag_trend(snap: Snapshot, filters: GlobalFilters) -> pd.DataFrame:
    """Median and 90th-percentile submission-to-payment days by month of first submission."""
    where, params = _where(filters, LAG_COLUMNS, NOT_VOIDED)
    sql = _compose(
        """
        select date_trunc('month', first_submission_date)::date as month, submission_to_payment_days as days,
            count(*) as n
        from fct_claim_payment_lags
        where {where} and submission_to_payment_days is not null
        group by all
        """,
        where,
    )
    hist = snap.frame(sql, params, tables=["fct_claim_payment_lags"])
    stats = _histogram_stats(hist, ["month"], {"median": 0.5, "p90": 0.9}).rename(
        columns={"claims": "paid_claims"}
    )
    return (
        stats[["month", "paid_claims", "median", "p90", "share_within_30"]]
        .sort_values("month")
        .reset_index(drop=True)
    )


CHARGE_LAG_DIMENSIONS = {"provider": "provider_name", "location": "location_name"}


def charge_lags(snap: Snapshot, filters: GlobalFilters) -> dict[str, pd.DataFrame]:
    """Charge lag (first submission - date of service) per provider and per location, slowest first,
    from one scan of fct_claims: {"provider": frame, "location": frame}."""
    where, params = _where(filters, extra=[("first_submission_date is not null", []), ("not is_voided", [])])
    sql = _compose(
        """
        select case when grouping(provider_name) = 0 then 'provider' else 'location' end as dimension,
            coalesce(case when grouping(provider_name) = 0 then provider_name else location_name end,
                '(unknown)') as label,
            first_submission_date - service_date as days, count(*) as n
        from fct_claims
        where {where}
        group by grouping sets ((provider_name, days), (location_name, days))
        """,
        where,
    )
    stats = _histogram_stats(
        snap.frame(sql, params, tables=["fct_claims"]), ["dimension", "label"], {"median": 0.5, "p90": 0.9}
    )
    return {
        dimension: stats[stats["dimension"] == dimension][["label", "claims", "median", "p90"]]
        .sort_values(["median", "label"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
        for dimension in CHARGE_LAG_DIMENSIONS
    }


# ------------------------------------------------------------------------------------------ A/R aging

AGING_BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")


def aging_date_bounds(snap: Snapshot) -> tuple[dt.date | None, dt.date | None]:
    row = snap.rows(
        "select min(as_of_date), max(as_of_date) from mart_ar_aging_daily", tables=["mart_ar_aging_daily"]
    )[0]
    return row[0], row[1]


def aging_as_of(snap: Snapshot, as_of: dt.date, filters: GlobalFilters) -> pd.DataFrame:
    """A/R by payer x responsibility x bucket on one date. The payer filter keeps those payers'
    insurance A/R and drops patient A/R (which the mart does not split by payer)."""
    extra: list[tuple[str, Sequence[Any]]] = [("as_of_date = ?", [as_of])]
    if filters.payers:
        extra.append(("responsibility = 'insurance'", []))
    where, params = _where(filters, FilterColumns(date=None, provider=None, location=None), extra)
    sql = _compose(
        """
        select payer_id, any_value(payer_name) as payer_name, responsibility, aging_bucket,
            min(bucket_order) as bucket_order, sum(balance_amount) as balance_amount,
            sum(claim_count) as claim_count
        from mart_ar_aging_daily
        where {where}
        group by payer_id, responsibility, aging_bucket
        order by payer_id, bucket_order
        """,
        where,
    )
    return snap.frame(sql, params, tables=["mart_ar_aging_daily"])


def largest_aged_balances(
    snap: Snapshot, filters: GlobalFilters, min_age_days: int = 91, limit: int = 25
) -> pd.DataFrame:
    """Claims with the largest open balance among those older than `min_age_days` (at the snapshot's
    as-of date), from fct_claims."""
    where, params = _where(
        filters,
        extra=[
            ("days_since_submission >= ?", [min_age_days]),
            ("not is_voided", []),
            ("insurance_balance_amount + patient_balance_amount > 0", []),
        ],
    )
    sql = _compose(
        """
        select claim_id, patient_control_number, payer_name, provider_name, location_name, service_date,
            first_submission_date, days_since_submission, current_status, insurance_balance_amount,
            patient_balance_amount, insurance_balance_amount + patient_balance_amount as balance_amount
        from fct_claims
        where {where}
        order by balance_amount desc, claim_id
        limit ?
        """,
        where,
    )
    return snap.frame(sql, [*params, limit], tables=["fct_claims"])


# ------------------------------------------------------------------------------------------ work list

WORK_LIST_COLUMNS = (
    "priority_rank",
    "claim_id",
    "patient_control_number",
    "payer_name",
    "provider_name",
    "location_name",
    "service_date",
    "current_status",
    "root_cause",
    "carc_code",
    "insurance_balance_amount",
    "expected_recoverable_amount",
    "age_days",
    "deadline_type",
    "deadline_date",
    "days_to_deadline",
    "last_action",
    "last_action_date",
    "assigned_biller",
    "priority_score",
    "priority_reasons",
)
UNASSIGNED = "(unassigned)"


@dataclass(frozen=True)
class WorkListFilters:
    """The work list's own filters, on top of the global ones."""

    root_causes: tuple[str, ...] = ()
    billers: tuple[str, ...] = ()  # UNASSIGNED selects rows without a biller
    min_age_days: int | None = None
    min_balance: Decimal | None = None


def _work_list_where(filters: GlobalFilters, local: WorkListFilters) -> tuple[str, list[Any]]:
    extra: list[tuple[str, Sequence[Any]]] = []
    if local.root_causes:
        extra.append(("list_contains(?, coalesce(root_cause, 'none'))", [list(local.root_causes)]))
    if local.billers:
        named = [b for b in local.billers if b != UNASSIGNED]
        if UNASSIGNED in local.billers:
            extra.append(("(assigned_biller is null or list_contains(?, assigned_biller))", [named]))
        else:
            extra.append(("list_contains(?, assigned_biller)", [named]))
    if local.min_age_days is not None:
        extra.append(("age_days >= ?", [local.min_age_days]))
    if local.min_balance is not None:
        extra.append(("insurance_balance_amount >= ?", [local.min_balance]))
    return _where(filters, extra=extra)


def work_list(
    snap: Snapshot, filters: GlobalFilters, local: WorkListFilters, limit: int | None = WORK_LIST_ROW_LIMIT
) -> tuple[pd.DataFrame, int]:
    """Rows of the work list in priority order (first `limit`), and how many rows match in all."""
    where, params = _work_list_where(filters, local)
    count_sql = _compose("select count(*) from mart_work_list where {where}", where)
    total = int(snap.rows(count_sql, params, tables=["mart_work_list"])[0][0])
    sql = _compose(
        """
        select priority_rank, claim_id, patient_control_number, payer_name, provider_name, location_name,
            service_date, current_status, root_cause, carc_code, insurance_balance_amount,
            expected_recoverable_amount, age_days, deadline_type, deadline_date, days_to_deadline, last_action,
            last_action_date, assigned_biller, priority_score, priority_reasons
        from mart_work_list
        where {where}
        order by priority_rank, claim_id
        limit ?
        """,
        where,
    )
    # LIMIT NULL means no limit in DuckDB: the export asks for every matching row.
    return snap.frame(sql, [*params, limit], tables=["mart_work_list"]), total


def work_list_export(snap: Snapshot, filters: GlobalFilters, local: WorkListFilters) -> pa.Table:
    """Every row of the filtered work list, in priority order, as Arrow (the CSV export).

    No ORDER BY: the publisher writes mart_work_list sorted by priority rank (PUBLISH_LAYOUT), and
    DuckDB keeps a file's row order through a scan and a filter (preserve_insertion_order, on by
    default and never turned off here). Sorting again cost ~70 of the export's ~250 ms at 1,000,000
    claims (68,756 rows); tests check the export's order. A snapshot published before that layout
    (commit b4bbe2f, 2026-11-29) exports in the table's order, not by rank: `rcm build` republishes."""
    where, params = _work_list_where(filters, local)
    sql = _compose(
        """
        select priority_rank, claim_id, patient_control_number, payer_name, provider_name, location_name,
            service_date, current_status, root_cause, carc_code, insurance_balance_amount,
            expected_recoverable_amount, age_days, deadline_type, deadline_date, days_to_deadline, last_action,
            last_action_date, assigned_biller, priority_score, priority_reasons
        from mart_work_list
        where {where}
        """,
        where,
    )
    return snap.arrow(sql, params, tables=["mart_work_list"])


def work_list_choices(snap: Snapshot) -> dict[str, list[str]]:
    """Root causes and billers present in the work list (for the page's dropdowns)."""
    roots = snap.rows(
        "select distinct coalesce(root_cause, 'none') from mart_work_list order by 1",
        tables=["mart_work_list"],
    )
    billers = snap.rows(
        "select distinct assigned_biller from mart_work_list where assigned_biller is not null order by 1",
        tables=["mart_work_list"],
    )
    return {"root_causes": [r[0] for r in roots], "billers": [b[0] for b in billers]}


# ------------------------------------------------------------------------------------------ claim detail


def claim_header(snap: Snapshot, claim_id: str) -> dict[str, Any] | None:
    """One claim's facts for the detail header (no patient identifier is selected), or None."""
    if not CLAIM_ID.match(claim_id):
        return None
    frame = snap.frame(
        """
        select claim_id, patient_control_number, payer_id, payer_name, payer_sequence, claim_type,
            billing_provider_npi, provider_name, location_id, location_name, service_date,
            first_submission_date, last_submission_date, submission_count, first_remit_date,
            first_payment_date, billed_amount, paid_amount, contractual_amount, patient_responsibility_amount,
            denied_amount, write_off_amount, patient_paid_amount, insurance_balance_amount,
            patient_balance_amount, current_status, initial_denial_root_cause, timely_filing_deadline,
            appeal_deadline, days_since_submission
        from fct_claims
        where claim_id = ?
        """,
        [claim_id],
        tables=["fct_claims"],
    )
    if frame.empty:
        return None
    return _records(frame)[0]


def claim_events(snap: Snapshot, claim_id: str) -> pd.DataFrame:
    """The claim's timeline in order: submissions, remittances and their adjustments, payments."""
    if not CLAIM_ID.match(claim_id):
        return pd.DataFrame()
    return snap.frame(
        """
        select event_date,
            cast(row_number() over (
                order by event_date, type_rank, file_id, source_order, event_id
            ) as integer) as event_order,
            event_type, amount, claim_status_code, group_code, carc_code, rarc_code, label, detail, file_id
        from fct_claim_events
        where claim_id = ?
        order by event_order
        """,
        [claim_id],
        tables=["fct_claim_events"],
    )
