"""The raw layer's tables: the contract between the readers (X12, CSV) and dbt's staging models.

Every raw row carries ``file_id`` (the first 16 hex characters of the file's sha256) and the
``segment_position`` (1-based index of the segment in the file, counting every segment of every
interchange) or, for CSV, the ``row_number`` (1-based, header excluded) it came from. Money is
``decimal(18,2)``; dates are ``date``. Keys between tables are (file_id, <parent>_position).

The readers fill these columns and only these; dbt's sources.yml documents the same columns.
A change here is a change to a contract: change sources.yml and the readers in the same commit.
"""

from __future__ import annotations

RAW_SCHEMA = "raw"

# name -> column definitions (in order). Readers produce tuples/Arrow columns in exactly this order.
TABLES: dict[str, list[tuple[str, str]]] = {
    # ---------------------------------------------------------------- ledger and issues
    "load_ledger": [
        ("file_id", "varchar not null"),  # sha256[:16]; primary key
        ("file_sha256", "varchar not null"),
        ("file_name", "varchar not null"),  # base name as received
        ("source_path", "varchar not null"),  # where it was read from
        ("stored_path", "varchar"),  # archive or quarantine copy
        ("size_bytes", "bigint not null"),
        ("file_kind", "varchar not null"),  # 835 | 837P | 837I | csv_claims | csv_patient_payments | ...
        ("received_at", "timestamp not null"),  # file mtime (UTC)
        ("loaded_at", "timestamp not null"),  # UTC
        ("status", "varchar not null"),  # loaded | loaded_with_warnings | duplicate | quarantined
        ("reasons", "varchar"),  # human-readable; '; '-joined
        ("supersedes_file_id", "varchar"),  # same file_name, earlier content: lineage of versions
        ("version_number", "integer not null"),  # 1 for the first content seen under this name
        ("row_counts", "json"),  # {"era_claims": 12, ...}
        ("money_totals", "json"),  # {"bpr02": "123.45", "clp04": "...", "plb": "...", "clm02": "..."}
        ("parse_seconds", "double"),
    ],
    "load_issues": [
        ("file_id", "varchar not null"),
        ("severity", "varchar not null"),  # error (record quarantined) | warning (loaded, flagged)
        ("issue_code", "varchar not null"),  # e.g. SE01_COUNT, UNBALANCED_CLAIM, BAD_ISA, GX:<expectation>
        ("segment_position", "bigint"),  # or CSV row number
        ("segment_id", "varchar"),  # e.g. SE, CLP, or the CSV column
        ("transaction_control_number", "varchar"),
        ("message", "varchar not null"),  # names file, segment and reason
        ("raw_text", "varchar"),  # the offending segment / CSV row (synthetic data only)
    ],
    # ---------------------------------------------------------------- 835 remittance
    "era_transactions": [  # one row per ST/SE 835 transaction set
        ("file_id", "varchar not null"),
        ("transaction_position", "bigint not null"),  # segment_position of ST
        ("interchange_control_number", "varchar"),  # ISA13
        ("interchange_sender_id", "varchar"),  # ISA06 (trimmed)
        ("interchange_date", "date"),  # ISA09
        ("group_control_number", "varchar"),  # GS06
        ("version_code", "varchar"),  # GS08, e.g. 005010X221A1 / 004010X091A1
        ("transaction_control_number", "varchar"),  # ST02
        ("handling_code", "varchar"),  # BPR01
        ("total_paid_amount", "decimal(18,2)"),  # BPR02
        ("credit_debit_flag", "varchar"),  # BPR03
        ("payment_method_code", "varchar"),  # BPR04 ACH | CHK | NON | BOP | FWT
        ("payment_format_code", "varchar"),  # BPR05
        ("payment_date", "date"),  # BPR16 (check issue / EFT effective date)
        ("trace_number", "varchar"),  # TRN02: reassociation key to deposits
        ("trace_originator_id", "varchar"),  # TRN03
        ("production_date", "date"),  # DTM*405
        ("payer_name", "varchar"),  # 1000A N102
        ("payer_id", "varchar"),  # 1000A N104 or REF*2U
        ("payee_name", "varchar"),  # 1000B N102
        ("payee_id_qualifier", "varchar"),  # 1000B N103
        ("payee_id", "varchar"),  # 1000B N104 (NPI when XX)
        ("payee_tax_id", "varchar"),  # REF*TJ
        ("claim_count", "integer"),
        ("sum_claim_paid_amount", "decimal(18,2)"),  # sum CLP04
        ("sum_provider_adjustment_amount", "decimal(18,2)"),  # sum PLB amounts
        ("is_balanced", "boolean"),  # BPR02 = sum CLP04 - sum PLB
        ("balance_difference_amount", "decimal(18,2)"),  # BPR02 - (sum CLP04 - sum PLB)
        ("declared_segment_count", "integer"),  # SE01
        ("actual_segment_count", "integer"),
    ],
    "era_claims": [  # one row per CLP (2100 loop)
        ("file_id", "varchar not null"),
        ("transaction_position", "bigint not null"),
        ("claim_position", "bigint not null"),  # segment_position of CLP
        ("patient_control_number", "varchar"),  # CLP01 = 837 CLM01
        ("claim_status_code", "varchar"),  # CLP02
        ("charge_amount", "decimal(18,2)"),  # CLP03
        ("paid_amount", "decimal(18,2)"),  # CLP04
        ("patient_responsibility_amount", "decimal(18,2)"),  # CLP05
        ("claim_filing_indicator_code", "varchar"),  # CLP06
        ("payer_claim_control_number", "varchar"),  # CLP07 (ICN/DCN)
        ("facility_type_code", "varchar"),  # CLP08
        ("claim_frequency_code", "varchar"),  # CLP09
        ("drg_code", "varchar"),  # CLP11
        ("patient_id", "varchar"),  # NM1*QC NM109 (PHI)
        ("patient_last_name", "varchar"),  # NM1*QC NM103 (PHI)
        ("patient_first_name", "varchar"),  # NM1*QC NM104 (PHI)
        ("subscriber_id", "varchar"),  # NM1*IL NM109 (PHI)
        ("rendering_provider_npi", "varchar"),  # NM1*82 NM109
        ("crossover_payer_name", "varchar"),  # NM1*TT N102
        ("original_reference_number", "varchar"),  # REF*F8
        ("statement_from_date", "date"),  # DTM*232
        ("statement_to_date", "date"),  # DTM*233
        ("claim_received_date", "date"),  # DTM*050
        ("coverage_amount", "decimal(18,2)"),  # AMT*AU (informational)
        ("interest_amount", "decimal(18,2)"),  # AMT*I (informational)
        ("line_count", "integer"),
        ("sum_claim_adjustment_amount", "decimal(18,2)"),  # claim-level CAS
        ("sum_line_adjustment_amount", "decimal(18,2)"),  # all line-level CAS
        ("is_balanced", "boolean"),  # CLP03 - claim CAS - line CAS = CLP04
        ("balance_difference_amount", "decimal(18,2)"),
    ],
    "era_service_lines": [  # one row per SVC (2110 loop)
        ("file_id", "varchar not null"),
        ("transaction_position", "bigint not null"),
        ("claim_position", "bigint not null"),
        ("line_position", "bigint not null"),  # segment_position of SVC
        ("procedure_qualifier", "varchar"),  # SVC01-1 (HC, NU, ...)
        ("procedure_code", "varchar"),  # SVC01-2
        ("modifier_1", "varchar"),
        ("modifier_2", "varchar"),
        ("modifier_3", "varchar"),
        ("modifier_4", "varchar"),
        ("charge_amount", "decimal(18,2)"),  # SVC02
        ("paid_amount", "decimal(18,2)"),  # SVC03
        ("revenue_code", "varchar"),  # SVC04
        ("paid_units", "decimal(18,3)"),  # SVC05 (default 1 when empty)
        ("original_procedure_code", "varchar"),  # SVC06-2 when the payer changed the code
        ("original_units", "decimal(18,3)"),  # SVC07
        ("line_item_control_number", "varchar"),  # REF*6R (= 837 REF*6R)
        ("service_date", "date"),  # DTM*472, or DTM*150
        ("service_end_date", "date"),  # DTM*151 (= service_date when single date)
        ("allowed_amount", "decimal(18,2)"),  # AMT*B6 (informational)
        ("sum_adjustment_amount", "decimal(18,2)"),
        ("is_balanced", "boolean"),  # SVC02 - line CAS = SVC03
        ("balance_difference_amount", "decimal(18,2)"),
    ],
    "era_adjustments": [  # one row per CAS triplet, claim or line level
        ("file_id", "varchar not null"),
        ("transaction_position", "bigint not null"),
        ("claim_position", "bigint not null"),
        ("line_position", "bigint"),  # null for claim level
        ("adjustment_level", "varchar not null"),  # claim | line
        ("segment_position", "bigint not null"),  # of the CAS segment
        ("triplet_number", "integer not null"),  # 1..6 within the CAS segment
        ("group_code", "varchar"),  # CAS01: CO PR OA PI (CR in 4010)
        ("carc_code", "varchar"),
        ("adjustment_amount", "decimal(18,2)"),
        ("adjustment_quantity", "decimal(18,3)"),
    ],
    "era_remarks": [  # one row per RARC (LQ*HE at line, MOA/MIA at claim)
        ("file_id", "varchar not null"),
        ("transaction_position", "bigint not null"),
        ("claim_position", "bigint not null"),
        ("line_position", "bigint"),
        ("remark_level", "varchar not null"),  # claim | line
        ("segment_position", "bigint not null"),
        ("source_segment", "varchar not null"),  # LQ | MOA | MIA
        ("remark_number", "integer not null"),  # element order within the segment (1 for LQ)
        ("rarc_code", "varchar not null"),
    ],
    "era_provider_adjustments": [  # one row per PLB reason/amount pair
        ("file_id", "varchar not null"),
        ("transaction_position", "bigint not null"),
        ("segment_position", "bigint not null"),
        ("pair_number", "integer not null"),  # 1..6
        ("provider_id", "varchar"),  # PLB01
        ("fiscal_period_date", "date"),  # PLB02
        ("reason_code", "varchar"),  # PLB03-1 (L6 interest, WO recoupment, FB forwarding, ...)
        ("reference_id", "varchar"),  # PLB03-2 (e.g. the PCN or ICN a WO refers to)
        ("adjustment_amount", "decimal(18,2)"),  # positive reduces the payment
    ],
    # ---------------------------------------------------------------- 837P / 837I claims
    "x837_claims": [  # one row per CLM (2300 loop)
        ("file_id", "varchar not null"),
        ("transaction_position", "bigint not null"),  # segment_position of ST
        ("claim_position", "bigint not null"),  # segment_position of CLM
        ("claim_type", "varchar not null"),  # professional (837P) | institutional (837I)
        ("version_code", "varchar"),  # GS08 / ST03
        ("interchange_control_number", "varchar"),
        ("transaction_control_number", "varchar"),  # ST02
        ("batch_reference", "varchar"),  # BHT03
        ("creation_date", "date"),  # BHT04 = submission date
        ("submitter_id", "varchar"),  # NM1*41 NM109
        ("receiver_id", "varchar"),  # NM1*40 NM109
        ("billing_provider_npi", "varchar"),  # 2010AA NM1*85 NM109
        ("billing_provider_name", "varchar"),
        ("billing_provider_tax_id", "varchar"),  # REF*EI
        ("payer_responsibility_code", "varchar"),  # SBR01 P/S/T...
        ("claim_filing_indicator_code", "varchar"),  # SBR09
        ("subscriber_id", "varchar"),  # 2010BA NM109 (PHI)
        ("payer_name", "varchar"),  # 2010BB NM103
        ("payer_id", "varchar"),  # 2010BB NM109
        ("patient_id", "varchar"),  # 2010CA NM109 or the subscriber when no 2000C (PHI)
        ("patient_last_name", "varchar"),  # (PHI)
        ("patient_first_name", "varchar"),  # (PHI)
        ("patient_birth_date", "date"),  # DMG02 (PHI)
        ("patient_control_number", "varchar"),  # CLM01
        ("total_charge_amount", "decimal(18,2)"),  # CLM02
        ("facility_code", "varchar"),  # CLM05-1: POS (837P) or facility type (837I)
        ("facility_code_qualifier", "varchar"),  # CLM05-2
        ("claim_frequency_code", "varchar"),  # CLM05-3: 1 original, 7 replacement, 8 void
        ("payer_claim_control_number", "varchar"),  # REF*F8 (prior CLP07) on 7/8
        ("prior_authorization_number", "varchar"),  # REF*G1
        ("medical_record_number", "varchar"),  # REF*EA (PHI)
        ("rendering_provider_npi", "varchar"),  # 2310B (P) / 2310D (I) NM1*82
        ("attending_provider_npi", "varchar"),  # 2310A NM1*71 (837I)
        ("service_facility_id", "varchar"),  # 2310C/E NM1*77 NM109
        ("statement_from_date", "date"),  # DTP*434 (837I)
        ("statement_to_date", "date"),
        ("admission_date", "date"),  # DTP*435
        ("discharge_date", "date"),  # DTP*096
        ("prior_payer_paid_amount", "decimal(18,2)"),  # sum 2320 AMT*D (COB)
        ("line_count", "integer"),
        ("sum_line_charge_amount", "decimal(18,2)"),
    ],
    "x837_service_lines": [  # one row per SV1/SV2 (2400 loop)
        ("file_id", "varchar not null"),
        ("transaction_position", "bigint not null"),
        ("claim_position", "bigint not null"),
        ("line_position", "bigint not null"),  # segment_position of SV1/SV2
        ("line_number", "integer"),  # LX01
        ("procedure_qualifier", "varchar"),
        ("procedure_code", "varchar"),
        ("modifier_1", "varchar"),
        ("modifier_2", "varchar"),
        ("modifier_3", "varchar"),
        ("modifier_4", "varchar"),
        ("revenue_code", "varchar"),  # SV201 (837I)
        ("charge_amount", "decimal(18,2)"),  # SV102 / SV203
        ("unit_basis_code", "varchar"),  # SV103 / SV204
        ("units", "decimal(18,3)"),  # SV104 / SV205
        ("place_of_service_code", "varchar"),  # SV105 (837P; overrides CLM05-1)
        ("diagnosis_pointers", "varchar"),  # SV107 joined with ','
        ("non_covered_charge_amount", "decimal(18,2)"),  # SV207
        ("line_item_control_number", "varchar"),  # REF*6R
        ("service_date", "date"),  # DTP*472 (start of RD8)
        ("service_end_date", "date"),
        ("rendering_provider_npi", "varchar"),  # 2420A
    ],
    "x837_diagnoses": [  # one row per HI composite
        ("file_id", "varchar not null"),
        ("transaction_position", "bigint not null"),
        ("claim_position", "bigint not null"),
        ("segment_position", "bigint not null"),
        ("diagnosis_sequence", "integer not null"),  # 1-based across the claim's HI segments
        ("code_list_qualifier", "varchar"),  # ABK principal, ABF other, ABJ admitting, BBR...
        ("diagnosis_code", "varchar"),
        ("present_on_admission", "varchar"),  # HIxx-9
    ],
    # ---------------------------------------------------------------- CSV extracts (practice management)
    # Column contracts: docs/data_contracts.md. Validated by expectations/ before load.
    "csv_claims": [  # charges/claims extract from the PM system (alternative to 837)
        ("file_id", "varchar not null"),
        ("row_number", "bigint not null"),
        ("patient_control_number", "varchar not null"),
        ("line_number", "integer not null"),
        ("claim_type", "varchar not null"),  # professional | institutional
        ("payer_id", "varchar not null"),
        ("payer_name", "varchar"),
        ("patient_id", "varchar"),  # PHI
        ("billing_provider_npi", "varchar"),
        ("rendering_provider_npi", "varchar"),
        ("location_id", "varchar"),
        ("service_date", "date not null"),
        ("submission_date", "date"),
        ("procedure_code", "varchar not null"),
        ("modifiers", "varchar"),  # ':'-joined
        ("revenue_code", "varchar"),
        ("units", "decimal(18,3)"),
        ("charge_amount", "decimal(18,2) not null"),
        ("diagnosis_codes", "varchar"),  # ';'-joined ICD-10-CM
        ("place_of_service_code", "varchar"),
        ("claim_frequency_code", "varchar"),
    ],
    "csv_patient_payments": [
        ("file_id", "varchar not null"),
        ("row_number", "bigint not null"),
        ("payment_id", "varchar not null"),
        ("payment_date", "date not null"),
        ("account_id", "varchar not null"),  # patient account (PHI)
        ("patient_control_number", "varchar"),  # the claim it applies to, when known
        ("amount", "decimal(18,2) not null"),  # negative = refund to patient
        ("method", "varchar not null"),  # cash | check | card | ach
        ("channel", "varchar not null"),  # point_of_service | statement | payment_plan | portal
        ("payment_plan_id", "varchar"),
        ("deposit_id", "varchar"),
    ],
    "csv_adjustments": [  # non-remit adjustments posted in the PM system
        ("file_id", "varchar not null"),
        ("row_number", "bigint not null"),
        ("adjustment_id", "varchar not null"),
        ("posted_date", "date not null"),
        ("patient_control_number", "varchar not null"),
        ("payer_id", "varchar"),  # whose balance it adjusts; empty = patient balance
        ("adjustment_type", "varchar not null"),  # accepted values: docs/data_contracts.md
        ("reason_code", "varchar"),  # CARC that led to it, when a denial
        ("amount", "decimal(18,2) not null"),  # positive reduces the balance
        ("user_id", "varchar"),
    ],
    "csv_bank_deposits": [
        ("file_id", "varchar not null"),
        ("row_number", "bigint not null"),
        ("deposit_id", "varchar not null"),
        ("deposit_date", "date not null"),
        ("bank_account", "varchar"),
        ("amount", "decimal(18,2) not null"),
        ("deposit_type", "varchar not null"),  # eft | check | patient_batch
        ("trace_number", "varchar"),  # = 835 TRN02 for insurance money
        ("payer_id", "varchar"),
    ],
    "csv_claim_activities": [  # follow-up work recorded by billers
        ("file_id", "varchar not null"),
        ("row_number", "bigint not null"),
        ("activity_id", "varchar not null"),
        ("activity_date", "date not null"),
        ("patient_control_number", "varchar not null"),
        ("payer_id", "varchar"),
        ("activity_type", "varchar not null"),  # accepted values: docs/data_contracts.md
        ("assigned_to", "varchar"),  # biller user id
        ("note", "varchar"),  # free text, synthetic
    ],
}

# Natural keys, used by the loader's checks and by dbt's uniqueness tests.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "load_ledger": ("file_id",),
    "era_transactions": ("file_id", "transaction_position"),
    "era_claims": ("file_id", "claim_position"),
    "era_service_lines": ("file_id", "line_position"),
    "era_adjustments": ("file_id", "segment_position", "triplet_number"),
    "era_remarks": ("file_id", "segment_position", "remark_number"),
    "era_provider_adjustments": ("file_id", "segment_position", "pair_number"),
    "x837_claims": ("file_id", "claim_position"),
    "x837_service_lines": ("file_id", "line_position"),
    "x837_diagnoses": ("file_id", "segment_position", "diagnosis_sequence"),
    "csv_claims": ("file_id", "row_number"),
    "csv_patient_payments": ("file_id", "row_number"),
    "csv_adjustments": ("file_id", "row_number"),
    "csv_bank_deposits": ("file_id", "row_number"),
    "csv_claim_activities": ("file_id", "row_number"),
}


def column_names(table: str) -> list[str]:
    return [name for name, _ in TABLES[table]]


def create_statements() -> list[str]:
    """DDL that creates the raw schema and every table if missing (idempotent)."""
    statements = [f"create schema if not exists {RAW_SCHEMA}"]
    for table, columns in TABLES.items():
        body = ",\n    ".join(f"{name} {ctype}" for name, ctype in columns)
        statements.append(f"create table if not exists {RAW_SCHEMA}.{table} (\n    {body}\n)")
    return statements
