"""The access audit log: who saw which claims, when, on which page.

Every view that shows claim-level rows (work list, claim detail, denial drill-down, largest aged
balances) and every export appends one JSON line to `Settings.logs_dir/audit.log`. Claims are named by
their opaque claim_id (md5), never by a patient identifier, so the log itself holds no PHI.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from orchestration.settings import get_settings

_LOCK = threading.Lock()
_redirect: ContextVar[Path | None] = ContextVar("audit_redirect", default=None)


def audit_path() -> Path:
    return _redirect.get() or get_settings().logs_dir / "audit.log"


@contextmanager
def redirected(path: Path) -> Iterator[Path]:
    """Write audit lines to `path` within this block (the bench's synthetic views stay out of the
    real log)."""
    token = _redirect.set(path)
    try:
        yield path
    finally:
        _redirect.reset(token)


def record(
    page: str,
    claim_ids: Iterable[str],
    action: str = "view",
    user: str | None = None,
    role: str | None = None,
    detail: dict[str, object] | None = None,
) -> dict[str, object]:
    """Append one audit line and return it. `user`/`role` default to the signed-in user."""
    from dashboards.access import current_role, current_user_name

    ids = list(map(str, claim_ids))
    entry: dict[str, object] = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "user": user if user is not None else current_user_name(),
        "role": role if role is not None else current_role(),
        "page": page,
        "action": action,
        "claim_count": len(ids),
        "claim_ids": ids,
    }
    if detail:
        entry["detail"] = detail
    path = audit_path()
    line = json.dumps(entry, separators=(",", ":"), sort_keys=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line)
    return entry


def read_entries(path: Path | None = None) -> list[dict[str, object]]:
    """All audit lines, oldest first (for tests and for an auditor's script)."""
    target = path or audit_path()
    if not target.exists():
        return []
    with target.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
