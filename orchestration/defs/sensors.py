"""The inbox sensor: asks for an ``ingest_job`` run when files appear or change in the inbox.

The cursor is a digest of (relative path, size, mtime) of every file in the inbox; it never reads file
contents (that is the loader's job, which deduplicates by sha256), so a tick stays cheap.
"""

import hashlib

import dagster as dg

from orchestration.defs.jobs import ingest_job


def inbox_signature() -> tuple[str, int]:
    """(digest of the inbox listing, number of files); ('', 0) when the inbox is empty or missing."""
    from orchestration.lib.loader import collect_files
    from orchestration.settings import get_settings

    inbox = get_settings().inbox_dir
    if not inbox.is_dir():
        return "", 0
    files = collect_files([inbox])
    if not files:
        return "", 0
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(inbox)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32], len(files)


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests an ingest run when the inbox listing (names, sizes, mtimes) changes.",
)
def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    signature, count = inbox_signature()
    if not signature:
        return dg.SkipReason("inbox is empty")
    if signature == context.cursor:
        return dg.SkipReason(f"no change in the inbox ({count} files already seen)")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"inbox-{signature}", tags={"rcm/inbox_files": str(count)})],
        cursor=signature,
    )
