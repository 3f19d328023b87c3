"""Phase two: turn one day's spooled events into that day's files, in date order.

Per day: one 837P and one 837I batch file (originals in one interchange, follow-up claims in a
second), one 835 file per payer payment run (one transaction set per payee and check/EFT, with PLB
forwarding balances when a run nets negative), and rows appended to the month's CSV extracts. Bank
deposits are scheduled a few days after the payment and written on their own date.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from orchestration.demo.master import MasterData, Payer, Provider
from orchestration.demo.model import K_835, K_837, K_ACTIVITY, K_ADJUSTMENT, K_PAYMENT
from orchestration.demo.money import csv_amount, x12_amount
from orchestration.demo.spool import DayShard
from orchestration.demo.x12 import (
    CLEARINGHOUSE_ID,
    CLEARINGHOUSE_NAME,
    PRACTICE_RECEIVER_ID,
    SUBMITTER_ID,
    SUBMITTER_NAME,
    VERSION_835,
    VERSION_837I,
    VERSION_837P,
    InterchangeWriter,
    seg,
)

SEP = "\x1f"  # separates the 2000B, 2000C and 2300 parts of a spooled 837 claim body
CLAIMS_PER_837_TRANSACTION = 25
CLAIMS_PER_835_TRANSACTION = 400
TRANSACTIONS_PER_835_FILE = 20
PRACTICE_ROUTING = "999999981"
PRACTICE_ACCOUNT = "000123456789"
EFT_ACCOUNT = "OPERATING-0042"
LOCKBOX_ACCOUNT = "LOCKBOX-0077"
MISSING_DEPOSIT_SHARE = 0.004
LATE_DEPOSIT_SHARE = 0.004

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient_payments": (
        "payment_id",
        "payment_date",
        "account_id",
        "patient_control_number",
        "amount",
        "method",
        "channel",
        "payment_plan_id",
        "deposit_id",
    ),
    "adjustments": (
        "adjustment_id",
        "posted_date",
        "patient_control_number",
        "payer_id",
        "adjustment_type",
        "reason_code",
        "amount",
        "user_id",
    ),
    "bank_deposits": (
        "deposit_id",
        "deposit_date",
        "bank_account",
        "amount",
        "deposit_type",
        "trace_number",
        "payer_id",
    ),
    "claim_activities": (
        "activity_id",
        "activity_date",
        "patient_control_number",
        "payer_id",
        "activity_type",
        "assigned_to",
        "note",
    ),
}


@dataclass
class WriterTotals:
    """What phase two counts while writing (PLB and BPR02 exist only once transactions are formed)."""

    plb_total: int = 0
    bpr02_total: int = 0
    clp04_total: int = 0
    transactions_835: int = 0
    zero_pay_transactions: int = 0
    plb_by_reason: dict[str, int] = field(default_factory=dict)
    deposit_rows: int = 0
    deposit_amount: int = 0
    deposit_amount_by_type: dict[str, int] = field(default_factory=dict)
    missing_deposits: int = 0
    deposits_after_as_of: int = 0
    deposit_amount_after_as_of: int = 0
    forwarding_balance_outstanding: int = 0


class DayWriter:
    """Writes the files of one day at a time; days must come in increasing order."""

    def __init__(self, out_dir: Path, master: MasterData, seed: int, start: int, as_of: int) -> None:
        self.out_dir = out_dir
        self.master = master
        self.rng = random.Random(seed * 7919 + 17)
        self.start = start
        self.as_of = as_of
        self.dir_837 = out_dir / "x12" / "837"
        self.dir_835 = out_dir / "x12" / "835"
        self.dir_csv = out_dir / "csv"
        for directory in (self.dir_837, self.dir_835, self.dir_csv):
            directory.mkdir(parents=True, exist_ok=True)
        self.totals = WriterTotals()
        self.interchange_837 = 0
        self.interchange_835: dict[str, int] = {}
        self.trace_counter: dict[str, int] = {}
        self.check_counter = 40_000_000
        self.forwarding: dict[str, list[tuple[str, int]]] = {}  # payer -> [(origin trace, cents owed)]
        self.pending_deposits: dict[int, list[tuple[str, ...]]] = {}
        self._month: tuple[int, int] | None = None
        self._csv_handles: dict[str, TextIO] = {}
        self._csv_writers: dict[str, Any] = {}
        offices = sorted(
            (loc for loc in master.locations.values() if loc.location_type == "office"),
            key=lambda loc: loc.location_id,
        )
        self._billing_address = {
            master.group.npi: offices[0] if offices else next(iter(master.locations.values())),
            master.hospital.npi: next(
                loc for loc in master.locations.values() if loc.location_id == master.hospital.location_id
            ),
        }

    # ------------------------------------------------------------------ CSV
    def _open_month(self, day: date) -> None:
        month = (day.year, day.month)
        if month == self._month:
            return
        self._close_csv()
        self._month = month
        stamp = f"{day.year:04d}{day.month:02d}"
        for kind, columns in CSV_COLUMNS.items():
            handle = (self.dir_csv / f"{kind}_{stamp}.csv").open("w", newline="", encoding="utf-8")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            self._csv_handles[kind] = handle
            self._csv_writers[kind] = writer

    def _close_csv(self) -> None:
        for handle in self._csv_handles.values():
            handle.close()
        self._csv_handles.clear()
        self._csv_writers.clear()

    # ------------------------------------------------------------------ the day
    def write_day(self, ordinal: int, shard: DayShard) -> None:
        """Write the day's 837 and 835 files and CSV rows; bodies are read from ``shard`` as needed."""
        day = date.fromordinal(ordinal)
        self._open_month(day)
        iso = day.isoformat()
        entries = sorted(shard.events, key=lambda entry: (entry[0][0], entry[0][1]))
        claims_837 = [e for e in entries if e[0][0] == K_837]
        remits = [e for e in entries if e[0][0] == K_835]
        if claims_837:
            self._write_837(day, claims_837, shard)
        if remits:
            self._write_835(day, remits, shard)
        events = [e[0] for e in entries if e[0][0] > K_835]
        payments = self._csv_writers["patient_payments"]
        batch_total = 0
        batch_id = f"DPB{day.strftime('%Y%m%d')}"
        for event in events:
            kind = event[0]
            if kind == K_PAYMENT:
                _, _, payment_id, account_id, pcn, cents, method, channel, plan = event
                deposit_id = ""
                if cents > 0:
                    deposit_id = batch_id
                    batch_total += cents
                payments.writerow(
                    (payment_id, iso, account_id, pcn, csv_amount(cents), method, channel, plan, deposit_id)
                )
            elif kind == K_ADJUSTMENT:
                _, _, adjustment_id, pcn, payer_id, adjustment_type, reason, cents, user = event
                self._csv_writers["adjustments"].writerow(
                    (adjustment_id, iso, pcn, payer_id, adjustment_type, reason, csv_amount(cents), user)
                )
            elif kind == K_ACTIVITY:
                _, _, activity_id, pcn, payer_id, activity_type, assigned_to, note = event
                self._csv_writers["claim_activities"].writerow(
                    (activity_id, iso, pcn, payer_id, activity_type, assigned_to, note)
                )
        if batch_total:
            deposit_day = ordinal + 1
            while (deposit_day - 1) % 7 >= 5:  # next business day
                deposit_day += 1
            self._schedule_deposit(
                deposit_day, (batch_id, EFT_ACCOUNT, str(batch_total), "patient_batch", "", "")
            )
        for row in sorted(self.pending_deposits.pop(ordinal, [])):
            deposit_id, account, cents, deposit_type, trace, payer_id = row
            self.totals.deposit_rows += 1
            self.totals.deposit_amount += int(cents)
            by_type = self.totals.deposit_amount_by_type
            by_type[deposit_type] = by_type.get(deposit_type, 0) + int(cents)
            self._csv_writers["bank_deposits"].writerow(
                (deposit_id, iso, account, csv_amount(int(cents)), deposit_type, trace, payer_id)
            )

    def _schedule_deposit(self, ordinal: int, row: tuple[str, ...]) -> None:
        if ordinal > self.as_of:
            self.totals.deposits_after_as_of += 1
            self.totals.deposit_amount_after_as_of += int(row[2])
            return
        self.pending_deposits.setdefault(ordinal, []).append(row)

    # ------------------------------------------------------------------ 837
    def _write_837(self, day: date, events: list[tuple[tuple, int, int]], shard: DayShard) -> None:
        for claim_type, version, billing in (
            ("P", VERSION_837P, self.master.group),
            ("I", VERSION_837I, self.master.hospital),
        ):
            chosen = [e for e in events if e[0][2] == claim_type]
            if not chosen:
                continue
            path = self.dir_837 / f"837{claim_type}_{day.strftime('%Y%m%d')}_001.x12"
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = InterchangeWriter(handle, "HC", version)
                for interchange in (0, 1):
                    batch = [e for e in chosen if e[0][3] == interchange]
                    if not batch:
                        continue
                    self.interchange_837 += 1
                    control = self.interchange_837
                    # A generator: each transaction set is built, written and dropped in turn.
                    transactions = (
                        self._transaction_837(
                            day,
                            version,
                            billing,
                            batch[first : first + CLAIMS_PER_837_TRANSACTION],
                            number,
                            f"{control}{interchange}",
                            shard,
                        )
                        for number, first in enumerate(
                            range(0, len(batch), CLAIMS_PER_837_TRANSACTION), start=1
                        )
                    )
                    writer.interchange(SUBMITTER_ID, CLEARINGHOUSE_ID, day, control, transactions)

    def _transaction_837(
        self,
        day: date,
        version: str,
        billing: Provider,
        chunk: list[tuple[tuple, int, int]],
        number: int,
        batch: str,
        shard: DayShard,
    ) -> tuple[str, int]:
        control = f"{number:04d}"
        address = self._billing_address[billing.npi]
        parts = [
            seg("ST", "837", control, version),
            seg("BHT", "0019", "00", f"{batch}{number:04d}", day.strftime("%Y%m%d"), "0800", "CH"),
            seg("NM1", "41", "2", SUBMITTER_NAME, "", "", "", "", "46", SUBMITTER_ID),
            seg("PER", "IC", "BILLING OFFICE", "TE", "5555550100"),
            seg("NM1", "40", "2", CLEARINGHOUSE_NAME, "", "", "", "", "46", CLEARINGHOUSE_ID),
            seg("HL", "1", "", "20", "1"),
            seg("PRV", "BI", "PXC", billing.taxonomy_code),
            seg("NM1", "85", "2", billing.name.upper(), "", "", "", "", "XX", billing.npi),
            seg("N3", address.address),
            seg("N4", address.city, address.state, address.postal_code),
            seg("REF", "EI", billing.tax_id),
        ]
        count = len(parts)
        hl = 1
        for header, offset, length in chunk:
            _, _, _, _, sbr_n, pat_n, clm_n = header
            sbr, pat, clm = shard.body(offset, length).split(SEP)
            hl += 1
            subscriber_hl = hl
            parts.append(seg("HL", str(subscriber_hl), "1", "22", "1" if pat_n else "0"))
            parts.append(sbr)
            count += 1 + sbr_n
            if pat_n:
                hl += 1
                parts.append(seg("HL", str(hl), str(subscriber_hl), "23", "0"))
                parts.append(pat)
                count += 1 + pat_n
            parts.append(clm)
            count += clm_n
        count += 1
        parts.append(seg("SE", str(count), control))
        return "".join(parts), count

    # ------------------------------------------------------------------ 835
    def _write_835(self, day: date, events: list[tuple[tuple, int, int]], shard: DayShard) -> None:
        by_payer: dict[str, list[tuple[tuple, int, int]]] = {}
        for event in events:
            by_payer.setdefault(event[0][2], []).append(event)
        for payer_id in sorted(by_payer):
            payer = self.master.payers[payer_id]
            groups: dict[tuple[str, int], list[tuple[tuple, int, int]]] = {}
            for event in by_payer[payer_id]:
                groups.setdefault((event[0][3], event[0][4]), []).append(event)
            transactions: list[tuple[str, int]] = []
            for payee_npi, group in sorted(groups):
                items = groups[(payee_npi, group)]
                chunk: list[tuple[tuple, int, int]] = []
                claims = 0
                for item in items:
                    if chunk and claims + item[0][6] > CLAIMS_PER_835_TRANSACTION:
                        transactions.append(self._transaction_835(day, payer, payee_npi, group, chunk, shard))
                        chunk, claims = [], 0
                    chunk.append(item)
                    claims += item[0][6]
                if chunk:
                    transactions.append(self._transaction_835(day, payer, payee_npi, group, chunk, shard))
            for file_number, first in enumerate(
                range(0, len(transactions), TRANSACTIONS_PER_835_FILE), start=1
            ):
                path = self.dir_835 / f"835_{payer_id}_{day.strftime('%Y%m%d')}_{file_number:03d}.x12"
                counter = self.interchange_835.get(payer_id, 0) + 1
                self.interchange_835[payer_id] = counter
                control = int(payer.behaviour.payer_code) * 100_000_000 + counter
                numbered = []
                for number, (text, count) in enumerate(
                    transactions[first : first + TRANSACTIONS_PER_835_FILE], start=1
                ):
                    st = f"{number:04d}"
                    numbered.append(
                        (
                            text.replace("ST*835*{ST}~", f"ST*835*{st}~", 1).replace("*{ST}~\n", f"*{st}~\n"),
                            count,
                        )
                    )
                with path.open("w", encoding="utf-8", newline="") as handle:
                    writer = InterchangeWriter(handle, "HP", VERSION_835)
                    production = date.fromordinal(day.toordinal() - 1)
                    writer.interchange(payer_id, PRACTICE_RECEIVER_ID, production, control, numbered)

    def _next_trace(self, payer: Payer, method: str, day: date) -> str:
        if method == "CHK":
            self.check_counter += 1
            return f"{self.check_counter:08d}"
        counter = self.trace_counter.get(payer.payer_id, 0) + 1
        self.trace_counter[payer.payer_id] = counter
        prefix = payer.behaviour.trace_prefix
        kind = "E" if method == "ACH" else "R"
        return f"{prefix}{kind}{day.strftime('%y%m%d')}{counter:07d}"

    def _transaction_835(
        self,
        day: date,
        payer: Payer,
        payee_npi: str,
        group: int,
        chunk: list[tuple[tuple, int, int]],
        shard: DayShard,
    ) -> tuple[str, int]:
        """One ST/SE: one check or EFT (or a zero-pay notice), balanced with PLB where needed."""
        behaviour = payer.behaviour
        clp04 = sum(item[0][7] for item in chunk)
        plb: list[tuple[str, str, int]] = [(p[0], p[1], p[2]) for item in chunk for p in item[0][8]]
        net = clp04 - sum(p[2] for p in plb)
        preferred = "ACH" if self.rng.random() < behaviour.eft_share else "CHK"
        owed = self.forwarding.setdefault(payer.payer_id, [])
        # A balance this payer carried forward (PLB FB) is taken back from the next positive run.
        while net > 0 and owed:
            origin, cents = owed[0]
            take = min(cents, net)
            plb.append(("FB", origin, take))
            net -= take
            if take == cents:
                owed.pop(0)
            else:
                owed[0] = (origin, cents - take)
        bpr02 = max(net, 0)
        method = preferred if bpr02 > 0 and group != 1 else "NON"
        trace = self._next_trace(payer, method, day)
        if net < 0:
            # BPR02 is never negative: carry the shortfall forward (negative FB now, positive later).
            plb.append(("FB", trace, net))
            owed.append((trace, -net))
        handling = "C" if bpr02 > 0 else ("H" if clp04 == 0 else "I")
        ymd = day.strftime("%Y%m%d")
        if method == "ACH":
            bpr = seg(
                "BPR",
                handling,
                x12_amount(bpr02),
                "C",
                "ACH",
                "CCP",
                "01",
                behaviour.routing,
                "DA",
                f"{behaviour.ein}01",
                "1" + behaviour.ein,
                "",
                "01",
                PRACTICE_ROUTING,
                "DA",
                PRACTICE_ACCOUNT,
                ymd,
            )
        else:
            bpr = seg(
                "BPR",
                handling,
                x12_amount(bpr02),
                "C",
                method,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                ymd,
            )
        payee = self.master.providers[payee_npi]
        payee_address = self._billing_address[payee_npi]
        production = date.fromordinal(day.toordinal() - 1).strftime("%Y%m%d")
        head = [
            "ST*835*{ST}~\n",
            bpr,
            seg("TRN", "1", trace, "1" + behaviour.ein),
            seg("DTM", "405", production),
            seg("N1", "PR", payer.payer_name.upper()),
            seg("N3", "PO BOX 1000"),
            seg("N4", "DEMO CITY", "OH", "43100"),
            seg("REF", "2U", payer.payer_id),
            seg("PER", "BL", "PROVIDER SERVICES", "TE", "8005550100"),
            seg("N1", "PE", payee.name.upper(), "XX", payee_npi),
            seg("N3", payee_address.address),
            seg("N4", payee_address.city, payee_address.state, payee_address.postal_code),
            seg("REF", "TJ", payee.tax_id),
            seg("LX", "1"),
        ]
        count = len(head) + sum(item[0][5] for item in chunk)
        body = [shard.body(offset, length) for _, offset, length in chunk]
        tail: list[str] = []
        fiscal = f"{day.year}1231"
        for first in range(0, len(plb), 6):
            elements = ["PLB", payee_npi, fiscal]
            for reason, reference, cents in plb[first : first + 6]:
                elements.extend((f"{reason}:{reference}", x12_amount(cents)))
            tail.append(seg(*elements))
        count += len(tail) + 1
        tail.append("SE*" + str(count) + "*{ST}~\n")
        plb_total = sum(p[2] for p in plb)
        if bpr02 != clp04 - plb_total:
            raise AssertionError(f"835 out of balance for {payer.payer_id} on {day}")
        totals = self.totals
        totals.plb_total += plb_total
        totals.bpr02_total += bpr02
        totals.clp04_total += clp04
        totals.transactions_835 += 1
        if bpr02 == 0:
            totals.zero_pay_transactions += 1
        for reason, _, cents in plb:
            totals.plb_by_reason[reason] = totals.plb_by_reason.get(reason, 0) + cents
        if bpr02 > 0:
            self._deposit_for(day, payer, method, trace, bpr02)
        return "".join(head) + "".join(body) + "".join(tail), count

    def _deposit_for(self, day: date, payer: Payer, method: str, trace: str, cents: int) -> None:
        rng = self.rng
        u = rng.random()
        if u < MISSING_DEPOSIT_SHARE:
            self.totals.missing_deposits += 1
            return
        delay = (0 if rng.random() < 0.7 else 1) if method == "ACH" else rng.randint(2, 3)
        if u < MISSING_DEPOSIT_SHARE + LATE_DEPOSIT_SHARE:
            delay += rng.randint(6, 20)
        deposit_type = "eft" if method == "ACH" else "check"
        account = EFT_ACCOUNT if method == "ACH" else LOCKBOX_ACCOUNT
        self._schedule_deposit(
            day.toordinal() + delay, (f"DEP{trace}", account, str(cents), deposit_type, trace, payer.payer_id)
        )

    def close(self) -> None:
        self._close_csv()
        self.totals.forwarding_balance_outstanding = sum(
            c for owed in self.forwarding.values() for _, c in owed
        )
