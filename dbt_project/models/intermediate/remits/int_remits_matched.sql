-- One row per 835 claim record (CLP) with the claim it pays: matched on the PCN's first 20
-- characters (payers may truncate CLP01) and the payer id (match_method pcn_payer). A record whose
-- PCN is known but whose payer never received our claim is a crossover (the prior payer sent it
-- on): it opens a claim of its own for that payer (crossover). A record without a payer id goes to
-- the encounter's primary claim (pcn_only). A record whose PCN is unknown stays unmatched
-- (claim_id null; fct_unmatched_remits lists it) and still counts in the cash totals.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

remits as (

    -- without the stamp of int_remits_joined's build: this model writes its own
    select {{ rcm_star_except('remits_joined', ['rcm_built_at']) }}
    from {{ ref('int_remits_joined') }} as remits_joined
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_remits_joined')) }}

),

claims as (

    select * from {{ ref('int_claims_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_aggregated')) }}

),

pcn_keys as (

    select * from {{ ref('int_pcn_keys_mapped') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_pcn_keys_mapped')) }}

),

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_encounters_aggregated')) }}

),

exact_matches as (

    -- One claim per record by an aggregate (arg_min keeps one value per group; a row_number()
    -- window sorted every candidate): the claim whose PCN equals the record's comes first.
    select
        remits.remit_id,
        arg_min(
            claims.claim_id,
            -- then the other PCNs in order ('0' sorts before every '1...')
            case
                when claims.patient_control_number = remits.patient_control_number then '0'
                else '1' || claims.patient_control_number
            end
        ) as claim_id
    from remits
    inner join claims
        on remits.pcn_match_key = claims.pcn_match_key
        and remits.payer_id = claims.payer_id
    group by remits.remit_id

),

matched as (

    select
        remits.*,
        pcn_keys.patient_control_number as encounter_patient_control_number,
        case
            when exact_matches.claim_id is not null then exact_matches.claim_id
            when pcn_keys.patient_control_number is null then null
            when remits.payer_id is null then encounters.primary_claim_id
            else {{ rcm_key(['pcn_keys.patient_control_number', 'remits.payer_id']) }}
        end as claim_id,
        case
            when exact_matches.claim_id is not null then 'pcn_payer'
            when pcn_keys.patient_control_number is null then 'unmatched'
            when remits.payer_id is null then 'pcn_only'
            else 'crossover'
        end as match_method
    from remits
    left join exact_matches
        on remits.remit_id = exact_matches.remit_id
    left join pcn_keys
        on remits.pcn_match_key = pcn_keys.pcn_match_key
    left join encounters
        on pcn_keys.patient_control_number = encounters.patient_control_number

),

-- The two windows below sort only the keys they need, not whole 835 records: at 10,000,000 claims
-- sorting the wide rows ran out of a 4 GB cap (docs/benchmarks.md). The result joins back by the
-- record's natural key.
ordered as (

    select
        file_id,
        claim_position,
        claim_id,
        is_reversal,
        is_full_denial,
        principal_denial_root_cause,
        -- Order of a claim's 835 records: payment date (BPR16), then the file's arrival, then position.
        row_number() over (
            partition by claim_id
            order by payment_date, file_received_at, file_id, claim_position
        ) as remit_order
    from matched
    where claim_id is not null

),

flagged as (

    select
        file_id,
        claim_position,
        remit_order,
        -- A full denial for "duplicate claim" that comes after a record in which the payer already
        -- paid or priced the claim rejects a re-sent copy, not the claim's dollars: it is kept out of
        -- the claim's status and out of the denial marts (the HFMA Task Force also excludes duplicates).
        coalesce(
            is_full_denial
            and principal_denial_root_cause = 'duplicate'
            and max(case when not is_reversal and not is_full_denial then 1 else 0 end) over (
                partition by claim_id
                order by remit_order
                rows between unbounded preceding and 1 preceding
            ) = 1,
            false
        ) as is_duplicate_rejection
    from ordered

),

final as (

    -- A record of no known claim has no order and is no duplicate rejection.
    select
        matched.*,
        flagged.remit_order,
        coalesce(flagged.is_duplicate_rejection, false) as is_duplicate_rejection
    from matched
    left join flagged
        on matched.file_id = flagged.file_id
        and matched.claim_position = flagged.claim_position

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
