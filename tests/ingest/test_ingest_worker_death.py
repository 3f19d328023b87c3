"""A parser worker process that dies (killed, out of memory) costs the load only the file it held.

Every task of a broken ``ProcessPoolExecutor`` fails with it, so without care one dead worker
quarantined every file still in flight and the next submit stopped the load. The workers here die
for real (SIGKILL, from ``worker_crash``) on the file whose name holds ``KILL``.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import assert_same_raw, dump_raw, query
from worker_crash import BrokenWorkers, DyingWorkers, FailingWorkers
from x12_fixtures import Claim837, Remit, balanced_claim, claims_837p, remit_835

import orchestration.lib.loader as loader
from orchestration.lib.loader import load_files
from orchestration.lib.raw_schema import column_names
from orchestration.settings import Settings, get_settings


def _remit(number: int) -> str:
    control = f"{number:04d}"
    claim = balanced_claim(f"PCN{number}", "100.00", f"{40 + number}.00")
    return remit_835([Remit(control, D(f"{40 + number}.00"), [claim])], interchange=f"0000001{number:02d}")


def _claims(number: int) -> str:
    return claims_837p(
        [Claim837(f"C{number}", [("99213", D(f"{80 + number}.00"))])], interchange=f"0000002{number:02d}"
    )


def _folder(files: Path, *, kill: str | None) -> None:
    for number in range(1, 6):
        (files / f"remit_{number}.835").write_text(_remit(number))
        (files / f"claims_{number}.837").write_text(_claims(number))
    if kill is not None:
        (files / kill).write_text(_claims(9))


def _without_file(dump: dict[str, list[tuple[Any, ...]]], file_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """``dump`` less the rows of ``file_id`` (every raw table carries its file's id)."""
    kept = {}
    for table, rows in dump.items():
        at = [c for c in column_names(table) if c != "loaded_at"].index("file_id")
        kept[table] = [row for row in rows if row[at] != file_id]
    return kept


@pytest.fixture
def dying(monkeypatch: pytest.MonkeyPatch) -> type[DyingWorkers]:
    DyingWorkers.made.clear()
    monkeypatch.setattr(loader, "ProcessPoolExecutor", DyingWorkers)
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)  # workers however small the files
    monkeypatch.setattr(loader, "CHUNK_MAX_FILES", 3)  # several chunks in flight, several files each
    return DyingWorkers


def _reference(files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The same folder without the killing file, loaded in one process into a home of its own."""
    monkeypatch.setenv("RCM_HOME", str(tmp_path / "reference_home"))
    reference = get_settings()
    reference.ensure_dirs()
    good = [path for path in sorted(files.iterdir()) if "KILL" not in path.name]
    load_files(good, reference, processes=1)
    return reference


def test_a_worker_killed_midway_costs_the_load_only_the_file_it_held(
    settings, files, tmp_path, monkeypatch, dying, caplog
) -> None:
    _folder(files, kill="claims_KILL.837")
    with caplog.at_level("WARNING", logger=loader.__name__):
        results = load_files([files], settings, processes=2)

    by_name = {result.file_name: result for result in results}
    killer = by_name.pop("claims_KILL.837")
    assert killer.status == "quarantined"
    assert [reason.split(":")[0] for reason in killer.reasons] == ["WORKER_DIED"]
    assert "died while it held this file alone" in killer.reasons[0]
    # the ten good files, the ones that were in flight with it included, all loaded in workers
    assert {result.status for result in by_name.values()} == {"loaded"}
    assert all(result.parsed_in_worker for result in by_name.values())
    # the load's executor was replaced and the one-file executor died on the killer, alone
    assert len(dying.made) >= 3
    [(code, severity)] = query(
        settings, "select issue_code, severity from raw.load_issues where file_id = ?", [killer.file_id]
    )
    assert (code, severity) == ("WORKER_DIED", "error")
    # one line per event, not a traceback per file
    assert not [record for record in caplog.records if record.exc_info]
    assert any("parsing them again one at a time" in record.getMessage() for record in caplog.records)

    reference = _reference(files, tmp_path, monkeypatch)
    assert_same_raw(dump_raw(reference), _without_file(dump_raw(settings), killer.file_id))
    quarantined = settings.quarantine_dir / f"{killer.file_id}__claims_KILL.837"
    assert quarantined.exists()
    assert "WORKER_DIED" in quarantined.with_name(quarantined.name + ".reason.txt").read_text()


def test_without_a_killing_file_the_replaced_workers_change_nothing(
    settings, files, tmp_path, monkeypatch, dying
) -> None:
    # the same executors, no death: what the test above compares against is the ordinary load
    _folder(files, kill=None)
    results = load_files([files], settings, processes=2)
    assert {result.status for result in results} == {"loaded"}
    assert len(dying.made) == 1
    reference = _reference(files, tmp_path, monkeypatch)
    assert_same_raw(dump_raw(reference), dump_raw(settings))


def test_a_csv_extract_whose_worker_dies_is_the_only_one_quarantined(
    settings, files, monkeypatch, dying
) -> None:
    from test_ingest_csv import CLAIMS_HEADER, _claim

    (files / "claims_2024-03.csv").write_text(CLAIMS_HEADER + "\n" + _claim() + "\n")
    (files / "claims_2024-04_KILL.csv").write_text(CLAIMS_HEADER + "\n" + _claim(pcn="PCN8") + "\n")
    (files / "claims_2024-05.csv").write_text(CLAIMS_HEADER + "\n" + _claim(pcn="PCN9") + "\n")
    results = load_files([files], settings, processes=2)

    assert [(r.file_name, r.status) for r in results] == [
        ("claims_2024-03.csv", "loaded"),
        ("claims_2024-04_KILL.csv", "quarantined"),
        ("claims_2024-05.csv", "loaded"),
    ]
    assert results[1].reasons[0].startswith("WORKER_DIED")
    assert sorted(query(settings, "select patient_control_number from raw.csv_claims")) == [
        ("PCN1",),
        ("PCN9",),
    ]


def test_the_file_whose_worker_died_loads_when_loaded_again(
    settings, files, tmp_path, monkeypatch, dying
) -> None:
    _folder(files, kill="claims_KILL.837")
    first = {result.file_name: result for result in load_files([files], settings, processes=2)}
    assert first["claims_KILL.837"].status == "quarantined"

    # the cause gone (here: ordinary workers), the same folder again: only that file is read again
    monkeypatch.setattr(loader, "ProcessPoolExecutor", ProcessPoolExecutor)
    second = load_files([files], settings, processes=2)
    statuses = {result.file_name: (result.status, result.retried_from is not None) for result in second}
    assert statuses.pop("claims_KILL.837") == ("loaded", True)
    assert set(statuses.values()) == {("duplicate", False)}
    assert next(r for r in second if r.file_name == "claims_KILL.837").parsed_in_worker
    assert query(settings, "select count(*) from raw.load_issues") == [(0,)]

    monkeypatch.setenv("RCM_HOME", str(tmp_path / "reference_home"))
    reference = get_settings()
    reference.ensure_dirs()
    load_files([files], reference, processes=1)
    assert_same_raw(dump_raw(reference), dump_raw(settings))


def test_a_file_whose_worker_died_is_read_again_in_a_worker_never_in_this_process(
    settings, files, monkeypatch, dying
) -> None:
    _folder(files, kill="claims_KILL.837")
    load_files([files], settings, processes=2)
    killer = files / "claims_KILL.837"

    # named alone (one file: no pool for the load), it still goes to a worker, which dies again
    [again] = load_files([killer], settings, processes=2)
    assert (again.status, again.parsed_in_worker, again.retried_from is not None) == (
        "quarantined",
        True,
        True,
    )
    assert list(again.issue_counts) == ["WORKER_DIED"]
    assert query(settings, "select count(*) from raw.load_ledger where file_id = ?", [again.file_id]) == [
        (1,)
    ]

    monkeypatch.setattr(loader, "ProcessPoolExecutor", ProcessPoolExecutor)
    [loaded] = load_files([killer], settings, processes=2)
    assert (loaded.status, loaded.parsed_in_worker) == ("loaded", True)


def test_workers_that_cannot_run_anything_stop_the_load_instead_of_quarantining_everything(
    settings, files, monkeypatch
) -> None:
    monkeypatch.setattr(loader, "ProcessPoolExecutor", BrokenWorkers)
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    _folder(files, kill=None)
    with pytest.raises(loader.WorkersKeepDying, match="3 files in a row"):
        load_files([files], settings, processes=2)
    assert query(settings, "select count(*) from raw.load_ledger") == [(0,)]


def test_files_whose_worker_died_before_do_not_stop_the_load_when_they_die_again(
    settings, files, dying
) -> None:
    for number in (1, 2, 3):
        (files / f"claims_KILL_{number}.837").write_text(_claims(number))
    (files / "remit_1.835").write_text(_remit(1))
    first = load_files([files], settings, processes=2)
    assert [r.status for r in first] == ["quarantined"] * 3 + ["loaded"]

    # named again, all three die again (each alone, in the worker kept for them): not the machine
    (files / "remit_2.835").write_text(_remit(2))  # new, sorted after them
    second = load_files([files], settings, processes=2)
    assert [(r.file_name, r.status) for r in second] == [
        ("claims_KILL_1.837", "quarantined"),
        ("claims_KILL_2.837", "quarantined"),
        ("claims_KILL_3.837", "quarantined"),
        ("remit_1.835", "duplicate"),
        ("remit_2.835", "loaded"),
    ]
    assert all(list(r.issue_counts) == ["WORKER_DIED"] for r in second[:3])


def test_a_file_whose_worker_died_is_not_parsed_here_when_its_worker_cannot_read_it(
    settings, files, monkeypatch, dying
) -> None:
    _folder(files, kill="claims_KILL.837")
    load_files([files], settings, processes=2)
    monkeypatch.setattr(loader, "ProcessPoolExecutor", FailingWorkers)
    [again] = load_files([files / "claims_KILL.837"], settings, processes=2)
    assert (again.status, list(again.issue_counts)) == ("quarantined", ["READ_FAILED"])
    assert "in its worker" in again.reasons[0]
    assert query(settings, "select count(*) from raw.x837_claims where file_id = ?", [again.file_id]) == [
        (0,)
    ]
