"""`rcm dagster` stops `dagster dev` when it is interrupted without a terminal (kill -INT / -TERM).

The child here stands in for `dagster dev`: it writes which signal reached it, then exits. Processes
are real (signals do not cross threads), and every one is killed by its id at the end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from orchestration.settings import REPO_ROOT

CHILD = textwrap.dedent(
    """
    import pathlib, signal, sys, time
    out = pathlib.Path(sys.argv[1])
    def record(signum, _frame):
        out.write_text(signal.Signals(signum).name)
        sys.exit(0)
    signal.signal(signal.SIGINT, record)
    signal.signal(signal.SIGTERM, record)
    out.with_suffix(".ready").write_text("ready")
    while True:
        time.sleep(0.05)
    """
)

PARENT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from orchestration.commands.dagster_ui import run_child
    child = [sys.executable, "-c", sys.argv[1], sys.argv[2]]
    code = run_child(child, env=None, cwd=Path.cwd(), grace=0.5)
    Path(sys.argv[2]).with_suffix(".parent").write_text(str(code))
    """
)


def _wait_for(path: Path, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("started_in_background", [False, True], ids=["foreground", "background-job"])
def test_a_signal_to_rcm_dagster_alone_stops_its_child(
    tmp_path: Path, sent: signal.Signals, started_in_background: bool
) -> None:
    # A background job of a shell script (`rcm dagster &`) starts with SIGINT ignored; Python then has
    # no KeyboardInterrupt handler, and `kill -INT` once left rcm dagster running (seen in CI).
    record = tmp_path / "child.txt"
    parent = subprocess.Popen(  # no terminal, own session: the signal reaches the parent only
        [sys.executable, "-c", PARENT, CHILD, str(record)],
        cwd=REPO_ROOT,
        start_new_session=True,
        preexec_fn=_ignore_sigint if started_in_background else None,
    )
    try:
        _wait_for(record.with_suffix(".ready"))
        parent.send_signal(sent)
        assert parent.wait(timeout=20) == 0
        assert record.read_text() == "SIGINT"  # dagster dev stops cleanly on SIGINT
        assert record.with_suffix(".parent").read_text() == "0"
    finally:  # the parent leads its own process group: stop it and any child left behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
