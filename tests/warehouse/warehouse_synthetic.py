"""A small synthetic raw layer whose every figure is worked out by hand in the comments.

Rows go straight into ``raw.*`` (the loader's contract, orchestration/lib/raw_schema.py), so the
warehouse can be tested without the X12 readers. All names, ids and amounts are invented.

Encounters (billed 837P unless said otherwise; BPR16 = payment date):
  A  MG000000001  COM01  sub 2024-01-05  DOS 01-02  charge 200.00 (150 + 50)
     835 01-25 CLP02 1: paid 120.00, CO-45 50.00, PR-2 30.00; patient pays 20.00 on 02-10
     -> paid; insurance balance 0; patient balance 10.00; first-pass paid
  B  MG000000002  MCR01  sub 2024-01-10  DOS 01-08  charge 300.00
     835 02-01 CLP02 4: CO-197 300.00 (claim level, RARC N54) -> initial denial, authorization_referral
     appeal_sent 02-15; 835 03-20 CLP02 1: paid 180.00, CO-45 120.00 -> overturned, recovered 180.00
  C  MG000000003  COM02  sub 2024-02-01  DOS 01-30  charge 500.00; no 835 -> no_response, A/R 500.00
  D  MG000000004  MCR01 -> crossover MCD01 (no 837 to MCD01)  sub 2024-01-15  DOS 01-12  charge 400.00
     835 MCR01 02-05 CLP02 19: paid 200.00, CO-45 150.00, PR-2 50.00
     835 MCD01 02-20 CLP02 2: paid 42.50, CO-45 7.50, OA-23 350.00
     -> patient share 50.00 from 02-05 to 02-19, then 0; MCD01 responsible from 02-05
  E  MG000000005  COM01  sub 2024-01-20  DOS 01-18  charge 250.00
     835 02-10 CLP02 1: paid 200.00, CO-45 50.00; void (frequency 8) 02-20;
     835 03-01 CLP02 22: paid -200.00, CO-45 -50.00 -> voided, balance 0
  F  MG000000006  COM01  sub 2024-02-10  DOS 02-07  charge 180.00 (100 + 80)
     835 03-01 CLP02 1: line 1 paid 70.00 CO-45 30.00; line 2 CO-97 80.00 (RARC M15) paid 0
     -> initial line denial, coding_bundling; denial_write_off 80.00 on 03-20 -> written_off
     (line 1 carries REF*6R; line 2 only procedure, date and charge: both match their 837 lines)
  L  MGLONGPCN0000000000000123 (25 chars)  COM03  sub 2024-03-01  DOS 02-28  charge 100.00
     835 03-25 with CLP01 cut to 20 characters: paid 90.00, CO-45 10.00 -> matched, paid
  S  CSV0000001  COM04  claims CSV, submission 2024-03-05, DOS 03-04: version 1 of claims_demo.csv
     says 60.00; version 2 (same name, new content) says 75.00 -> only 75.00 counts; no 835
  Q  a quarantined claims CSV with PCN CSVQUARANTINED: never counts
  U  835 02-01 for unknown PCN ZZUNKNOWN01 (COM01): paid 55.00 -> fct_unmatched_remits
  A patient payment of 10.00 on 03-05 without a PCN: cash, applied to no encounter.
  PLB L6 -2.00 (interest paid) in the 835 of 01-25: BPR02 = 120.00 + 2.00 = 122.00.

As-of date: the latest event, 2024-03-25.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb

from orchestration.lib.raw_schema import TABLES, create_statements

D = Decimal
AS_OF = dt.date(2024, 3, 25)


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class RawBuilder:
    """Collects raw rows by table, filling unspecified columns with NULL."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, object]]] = {table: [] for table in TABLES}
        self._positions: dict[str, int] = {}

    def add(self, table: str, **values: object) -> dict[str, object]:
        unknown = set(values) - {name for name, _ in TABLES[table]}
        if unknown:
            raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
        self.rows[table].append(values)
        return values

    def position(self, file_id: str) -> int:
        """Segment positions increase through a file, as the readers number them."""
        self._positions[file_id] = self._positions.get(file_id, 0) + 1
        return self._positions[file_id]

    def file(
        self,
        file_id: str,
        name: str,
        kind: str,
        status: str = "loaded",
        version: int = 1,
        supersedes: str | None = None,
    ) -> str:
        self.add(
            "load_ledger",
            file_id=file_id,
            file_sha256=file_id * 4,
            file_name=name,
            source_path=f"/inbox/{name}",
            size_bytes=100,
            file_kind=kind,
            received_at=dt.datetime(2024, 1, 1) + dt.timedelta(hours=len(self.rows["load_ledger"])),
            loaded_at=dt.datetime(2024, 4, 1),
            status=status,
            supersedes_file_id=supersedes,
            version_number=version,
        )
        return file_id

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        for statement in create_statements():
            con.execute(statement)
        for table, rows in self.rows.items():
            if not rows:
                continue
            columns = [name for name, _ in TABLES[table]]
            placeholders = ", ".join("?" for _ in columns)
            con.executemany(
                f"insert into raw.{table} ({', '.join(columns)}) values ({placeholders})",
                [[row.get(column) for column in columns] for row in rows],
            )


# ------------------------------------------------------------------------------------------ 837
def _claim_837(
    b: RawBuilder,
    file_id: str,
    pcn: str,
    payer_id: str,
    sbr01: str,
    submitted: str,
    lines: list[tuple[str, str, str]],
    frequency: str = "1",
) -> None:
    """lines: (procedure, charge, DOS)."""
    transaction = b.position(file_id)
    claim_position = b.position(file_id)
    total = sum(D(charge) for _, charge, _ in lines)
    b.add(
        "x837_claims",
        file_id=file_id,
        transaction_position=transaction,
        claim_position=claim_position,
        claim_type="professional",
        version_code="005010X222A1",
        creation_date=_d(submitted),
        billing_provider_npi="1740023100",
        payer_responsibility_code=sbr01,
        payer_id=payer_id,
        payer_name=f"Payer {payer_id}",
        patient_id=f"PAT-{pcn}",
        patient_control_number=pcn,
        total_charge_amount=total,
        facility_code="11",
        facility_code_qualifier="B",
        claim_frequency_code=frequency,
        rendering_provider_npi="1740023209",
        service_facility_id="1740024405",
        line_count=len(lines),
        sum_line_charge_amount=total,
    )
    for number, (procedure, charge, dos) in enumerate(lines, start=1):
        b.add(
            "x837_service_lines",
            file_id=file_id,
            transaction_position=transaction,
            claim_position=claim_position,
            line_position=b.position(file_id),
            line_number=number,
            procedure_qualifier="HC",
            procedure_code=procedure,
            charge_amount=D(charge),
            unit_basis_code="UN",
            units=D("1"),
            place_of_service_code="11",
            line_item_control_number=f"{pcn}L{number}",
            service_date=_d(dos),
            service_end_date=_d(dos),
        )


# ------------------------------------------------------------------------------------------ 835
class Remit:
    """One 835 transaction set being built: claims, lines, adjustments, PLB."""

    def __init__(self, b: RawBuilder, file_id: str, payer_id: str, paid_on: str, trace: str) -> None:
        self.b, self.file_id = b, file_id
        self.transaction = b.position(file_id)
        self.payer_id, self.paid_on, self.trace = payer_id, _d(paid_on), trace
        self.clp04 = D("0")
        self.plb = D("0")

    def claim(
        self,
        pcn: str,
        status: str,
        charge: str,
        paid: str,
        pr: str = "0",
        claim_cas: list[tuple[str, str, str]] | None = None,
        lines: list[tuple] | None = None,
        remarks: list[str] | None = None,
    ) -> None:
        """claim_cas: (group, carc, amount); lines: (procedure, charge, paid, cas, rarcs[, DOS[, REF*6R]])."""
        b = self.b
        claim_position = b.position(self.file_id)
        self.clp04 += D(paid)
        b.add(
            "era_claims",
            file_id=self.file_id,
            transaction_position=self.transaction,
            claim_position=claim_position,
            patient_control_number=pcn,
            claim_status_code=status,
            charge_amount=D(charge),
            paid_amount=D(paid),
            patient_responsibility_amount=D(pr),
            payer_claim_control_number=f"ICN{claim_position:06d}{self.file_id[:4]}",
            is_balanced=True,
            balance_difference_amount=D("0"),
        )
        for number, rarc in enumerate(remarks or [], start=1):
            b.add(
                "era_remarks",
                file_id=self.file_id,
                transaction_position=self.transaction,
                claim_position=claim_position,
                remark_level="claim",
                segment_position=b.position(self.file_id),
                source_segment="MOA",
                remark_number=number,
                rarc_code=rarc,
            )
        if claim_cas:
            self._cas(claim_position, None, "claim", claim_cas)
        for procedure, line_charge, line_paid, cas, rarcs, *keys in lines or []:
            dos, ref6r = ([*keys, None, None])[:2]
            line_position = b.position(self.file_id)
            b.add(
                "era_service_lines",
                file_id=self.file_id,
                transaction_position=self.transaction,
                claim_position=claim_position,
                line_position=line_position,
                procedure_qualifier="HC",
                procedure_code=procedure,
                charge_amount=D(line_charge),
                paid_amount=D(line_paid),
                paid_units=D("1"),
                is_balanced=True,
                balance_difference_amount=D("0"),
                service_date=_d(dos) if dos else None,
                line_item_control_number=ref6r,
            )
            self._cas(claim_position, line_position, "line", cas)
            for rarc in rarcs:
                b.add(
                    "era_remarks",
                    file_id=self.file_id,
                    transaction_position=self.transaction,
                    claim_position=claim_position,
                    line_position=line_position,
                    remark_level="line",
                    segment_position=b.position(self.file_id),
                    source_segment="LQ",
                    remark_number=1,
                    rarc_code=rarc,
                )

    def _cas(
        self, claim_position: int, line_position: int | None, level: str, triplets: list[tuple[str, str, str]]
    ) -> None:
        segment = self.b.position(self.file_id)
        for number, (group, carc, amount) in enumerate(triplets, start=1):
            self.b.add(
                "era_adjustments",
                file_id=self.file_id,
                transaction_position=self.transaction,
                claim_position=claim_position,
                line_position=line_position,
                adjustment_level=level,
                segment_position=segment,
                triplet_number=number,
                group_code=group,
                carc_code=carc,
                adjustment_amount=D(amount),
            )

    def provider_adjustment(self, reason: str, amount: str) -> None:
        self.plb += D(amount)
        self.b.add(
            "era_provider_adjustments",
            file_id=self.file_id,
            transaction_position=self.transaction,
            segment_position=self.b.position(self.file_id),
            pair_number=1,
            provider_id="1740023100",
            reason_code=reason,
            adjustment_amount=D(amount),
        )

    def close(self) -> None:
        self.b.add(
            "era_transactions",
            file_id=self.file_id,
            transaction_position=self.transaction,
            version_code="005010X221A1",
            handling_code="I",
            total_paid_amount=self.clp04 - self.plb,
            credit_debit_flag="C",
            payment_method_code="ACH",
            payment_date=self.paid_on,
            trace_number=self.trace,
            payer_name=f"Payer {self.payer_id}",
            payer_id=self.payer_id,
            sum_claim_paid_amount=self.clp04,
            sum_provider_adjustment_amount=self.plb,
            is_balanced=True,
            balance_difference_amount=D("0"),
        )


def build() -> RawBuilder:
    """The scenarios of the module docstring."""
    b = RawBuilder()
    f837a = b.file("a000000000000001", "claims_0105.837", "837P")
    _claim_837(
        b,
        f837a,
        "MG000000001",
        "COM01",
        "P",
        "2024-01-05",
        [("99213", "150.00", "2024-01-02"), ("36415", "50.00", "2024-01-02")],
    )
    _claim_837(b, f837a, "MG000000002", "MCR01", "P", "2024-01-10", [("97110", "300.00", "2024-01-08")])
    _claim_837(b, f837a, "MG000000004", "MCR01", "P", "2024-01-15", [("99214", "400.00", "2024-01-12")])
    _claim_837(b, f837a, "MG000000005", "COM01", "P", "2024-01-20", [("99213", "250.00", "2024-01-18")])
    f837b = b.file("a000000000000002", "claims_0201.837", "837P")
    _claim_837(b, f837b, "MG000000003", "COM02", "P", "2024-02-01", [("99215", "500.00", "2024-01-30")])
    _claim_837(
        b,
        f837b,
        "MG000000006",
        "COM01",
        "P",
        "2024-02-10",
        [("99213", "100.00", "2024-02-07"), ("93000", "80.00", "2024-02-07")],
    )
    _claim_837(
        b,
        f837b,
        "MG000000005",
        "COM01",
        "P",
        "2024-02-20",
        [("99213", "250.00", "2024-01-18")],
        frequency="8",
    )
    _claim_837(
        b, f837b, "MGLONGPCN0000000000000123", "COM03", "P", "2024-03-01", [("99213", "100.00", "2024-02-28")]
    )

    # 835s
    f835a = b.file("b000000000000001", "era_0125.835", "835")
    r = Remit(b, f835a, "COM01", "2024-01-25", "TRN0001")
    r.claim(
        "MG000000001",
        "1",
        "200.00",
        "120.00",
        "30.00",
        lines=[
            ("99213", "150.00", "90.00", [("CO", "45", "40.00"), ("PR", "2", "20.00")], []),
            ("36415", "50.00", "30.00", [("CO", "45", "10.00"), ("PR", "2", "10.00")], []),
        ],
    )
    r.provider_adjustment("L6", "-2.00")
    r.close()
    f835b = b.file("b000000000000002", "era_0201.835", "835")
    r = Remit(b, f835b, "MCR01", "2024-02-01", "TRN0002")
    r.claim("MG000000002", "4", "300.00", "0.00", claim_cas=[("CO", "197", "300.00")], remarks=["N54"])
    r.close()
    r = Remit(b, f835b, "COM01", "2024-02-01", "TRN0003")
    r.claim("ZZUNKNOWN01", "1", "80.00", "55.00", claim_cas=[("CO", "45", "25.00")])
    r.close()
    f835c = b.file("b000000000000003", "era_0205.835", "835")
    r = Remit(b, f835c, "MCR01", "2024-02-05", "TRN0004")
    r.claim(
        "MG000000004",
        "19",
        "400.00",
        "200.00",
        "50.00",
        lines=[("99214", "400.00", "200.00", [("CO", "45", "150.00"), ("PR", "2", "50.00")], [])],
    )
    r.close()
    f835d = b.file("b000000000000004", "era_0210.835", "835")
    r = Remit(b, f835d, "COM01", "2024-02-10", "TRN0005")
    r.claim(
        "MG000000005",
        "1",
        "250.00",
        "200.00",
        lines=[("99213", "250.00", "200.00", [("CO", "45", "50.00")], [])],
    )
    r.close()
    f835e = b.file("b000000000000005", "era_0220.835", "835")
    r = Remit(b, f835e, "MCD01", "2024-02-20", "TRN0006")
    r.claim(
        "MG000000004",
        "2",
        "400.00",
        "42.50",
        lines=[("99214", "400.00", "42.50", [("OA", "23", "350.00"), ("CO", "45", "7.50")], [])],
    )
    r.close()
    f835f = b.file("b000000000000006", "era_0301.835", "835")
    r = Remit(b, f835f, "COM01", "2024-03-01", "TRN0007")
    r.claim(
        "MG000000005",
        "22",
        "-250.00",
        "-200.00",
        lines=[("99213", "-250.00", "-200.00", [("CO", "45", "-50.00")], [])],
    )
    r.claim(
        "MG000000006",
        "1",
        "180.00",
        "70.00",
        lines=[
            ("99213", "100.00", "70.00", [("CO", "45", "30.00")], [], "2024-02-07", "MG000000006L1"),
            ("93000", "80.00", "0.00", [("CO", "97", "80.00")], ["M15"], "2024-02-07"),
        ],
    )
    r.close()
    f835g = b.file("b000000000000007", "era_0320.835", "835")
    r = Remit(b, f835g, "MCR01", "2024-03-20", "TRN0008")
    r.claim(
        "MG000000002",
        "1",
        "300.00",
        "180.00",
        lines=[("97110", "300.00", "180.00", [("CO", "45", "120.00")], [])],
    )
    r.close()
    f835h = b.file("b000000000000008", "era_0325.835", "835")
    r = Remit(b, f835h, "COM03", "2024-03-25", "TRN0009")
    r.claim(
        "MGLONGPCN00000000000",
        "1",
        "100.00",
        "90.00",
        lines=[("99213", "100.00", "90.00", [("CO", "45", "10.00")], [])],
    )
    r.close()

    # CSV extracts
    v1 = b.file("c000000000000001", "claims_demo.csv", "csv_claims")
    v2 = b.file("c000000000000002", "claims_demo.csv", "csv_claims", version=2, supersedes=v1)
    quarantined = b.file("c000000000000003", "claims_bad.csv", "csv_claims", status="quarantined")
    for file_id, pcn, charge in (
        (v1, "CSV0000001", "60.00"),
        (v2, "CSV0000001", "75.00"),
        (quarantined, "CSVQUARANTINED", "999.00"),
    ):
        b.add(
            "csv_claims",
            file_id=file_id,
            row_number=1,
            patient_control_number=pcn,
            line_number=1,
            claim_type="professional",
            payer_id="COM04",
            payer_name="Crescent Mutual Insurance",
            billing_provider_npi="1740023100",
            rendering_provider_npi="1740023506",
            location_id="1740024504",
            service_date=_d("2024-03-04"),
            submission_date=_d("2024-03-05"),
            procedure_code="93000",
            units=D("1"),
            charge_amount=D(charge),
            claim_frequency_code="1",
        )
    pay = b.file("d000000000000001", "patient_payments_0331.csv", "csv_patient_payments")
    b.add(
        "csv_patient_payments",
        file_id=pay,
        row_number=1,
        payment_id="PMT1",
        payment_date=_d("2024-02-10"),
        account_id="ACCT1",
        patient_control_number="MG000000001",
        amount=D("20.00"),
        method="card",
        channel="portal",
    )
    b.add(
        "csv_patient_payments",
        file_id=pay,
        row_number=2,
        payment_id="PMT2",
        payment_date=_d("2024-03-05"),
        account_id="ACCT9",
        patient_control_number=None,
        amount=D("10.00"),
        method="cash",
        channel="point_of_service",
    )
    adj = b.file("e000000000000001", "adjustments_0331.csv", "csv_adjustments")
    b.add(
        "csv_adjustments",
        file_id=adj,
        row_number=1,
        adjustment_id="ADJ1",
        posted_date=_d("2024-03-20"),
        patient_control_number="MG000000006",
        payer_id="COM01",
        adjustment_type="denial_write_off",
        reason_code="97",
        amount=D("80.00"),
        user_id="s.okafor",
    )
    act = b.file("f000000000000001", "claim_activities_0331.csv", "csv_claim_activities")
    b.add(
        "csv_claim_activities",
        file_id=act,
        row_number=1,
        activity_id="ACT1",
        activity_date=_d("2024-02-15"),
        patient_control_number="MG000000002",
        payer_id="MCR01",
        activity_type="appeal_sent",
        assigned_to="b.alvarez",
        note="Appeal with records sent",
    )
    b.add(
        "csv_claim_activities",
        file_id=act,
        row_number=2,
        activity_id="ACT2",
        activity_date=_d("2024-03-10"),
        patient_control_number="MG000000003",
        payer_id="COM02",
        activity_type="status_call",
        assigned_to="s.okafor",
        note="Payer has no record",
    )
    dep = b.file("g000000000000001", "bank_deposits_0331.csv", "csv_bank_deposits")
    b.add(
        "csv_bank_deposits",
        file_id=dep,
        row_number=1,
        deposit_id="DEP1",
        deposit_date=_d("2024-01-26"),
        amount=D("122.00"),
        deposit_type="eft",
        trace_number="TRN0001",
        payer_id="COM01",
    )
    return b


def write_warehouse(path: str) -> None:
    """Create a DuckDB file at ``path`` holding the synthetic raw layer."""
    con = duckdb.connect(path)
    try:
        build().write(con)
    finally:
        con.close()
