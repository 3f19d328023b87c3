"""A dbt process started ahead of time, so that dbt's imports overlap `rcm build`'s own start-up.

`rcm build` spends its first seconds importing Dagster and dagster-dbt, loading the definitions and
recording the run; only then does the dbt asset start `dbt build`, a new Python process that spends
its own first ~2.2 s importing dbt (this machine, 2026-12-01) before it reads the project. The two
start-ups ran one after the other on a two-core machine. ``warm_dbt()`` starts a process that does
dbt's imports right away and then waits; ``rcm-dbt``, the launcher the dbt resource runs in place of
``dbt`` (``launcher_main``), hands it the command when there is one waiting and runs dbt itself
otherwise. So dagster-dbt is unchanged: it still starts a process (the launcher), reads its output,
and signals it; the launcher passes its standard streams, arguments, environment and working folder
to the waiting process, forwards SIGINT and SIGTERM to it, and exits with its exit status.

- The hand-over is a Unix socket in a private temporary folder, named by ``RCM_DBT_WARM_SOCKET``
  (set by ``warm_dbt()`` in the process that runs the Dagster job, and so in the launcher's
  environment, which dagster-dbt copies from it). Without it, or when the waiting process is gone
  or busy, the launcher replaces itself with the virtualenv's ``dbt`` (``os.execv``, same pid).
- The waiting process serves one command, then exits. It also exits when the process that started
  it closes its end of a pipe (its standard input), so it never outlives an `rcm build` killed
  before using it; ``warm_dbt()`` stops it on the way out in any case.
- This module imports only the standard library at the top: the launcher starts in ~40 ms.

docs/adr/0010-dbt-started-ahead.md has the measurements.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

ENV_SOCKET = "RCM_DBT_WARM_SOCKET"
LAUNCHER = "rcm-dbt"
_HEADER = struct.Struct("!I")
_READY_SECONDS = 120.0  # the waiting process imports dbt first: ~2 s here


def dbt_path() -> str:
    """This virtualenv's dbt, next to the running Python."""
    return str(Path(sys.executable).parent / "dbt")


def launcher_path() -> str:
    """The ``rcm-dbt`` console script of this virtualenv (``launcher_main``), or its dbt when the
    script is not installed yet (a checkout updated without `make setup`): dbt then runs as before."""
    launcher = Path(sys.executable).parent / LAUNCHER
    return str(launcher) if launcher.is_file() else dbt_path()


@contextlib.contextmanager
def warm_dbt() -> Iterator[subprocess.Popen[bytes] | None]:
    """Start a process that imports dbt and waits for one ``rcm-dbt`` command; stop it at the end.
    Yields that process (None when one is set up already).

    The listening socket is bound here, before the process starts, so a launcher that connects
    early waits for the imports instead of missing the socket. Nested or concurrent uses in one
    process: the inner one does nothing.
    """
    if os.environ.get(ENV_SOCKET):
        yield None
        return
    folder = tempfile.mkdtemp(prefix="rcm-dbt-")
    path = os.path.join(folder, "dbt.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    process: subprocess.Popen[bytes] | None = None
    try:
        listener.bind(path)
        listener.listen(4)
        process = subprocess.Popen(
            # -P: no working folder on sys.path, as for the dbt console script
            [sys.executable, "-P", "-m", "orchestration.lib.dbt_warm", str(listener.fileno())],
            pass_fds=[listener.fileno()],
            stdin=subprocess.PIPE,
        )
        listener.close()
        os.environ[ENV_SOCKET] = path
        yield process
    finally:
        os.environ.pop(ENV_SOCKET, None)
        listener.close()
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # an unused waiting process exits on this
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(OSError):
            os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _serve(listener_fd: int) -> int:
    """The waiting process: import dbt, take one command, run it with the caller's streams."""
    import dbt.adapters.duckdb.impl  # noqa: F401 (the point of this process: imported ahead)
    from dbt.cli.main import cli

    listener = socket.socket(fileno=listener_fd)
    readable, _, _ = select.select([listener, sys.stdin], [], [])
    if listener not in readable:
        return 0  # the starter closed our stdin before any launcher came: nothing to run
    connection, _ = listener.accept()
    listener.close()  # later launchers get no answer and run dbt themselves
    # The signals the launcher forwards act here as on a dbt the job started itself. This process
    # inherited its starter's dispositions, and one started with SIGINT ignored (a background job
    # of a script: the shell sets SIG_IGN there, and Python then installs no handler) ignored
    # dagster-dbt's cancel: dbt ran on. A dbt started by the job's own process gets the defaults
    # (Python's handlers end at exec): KeyboardInterrupt on SIGINT, death on SIGTERM. Set before
    # the launcher learns this pid ("ready"), so no signal it forwards can arrive before them.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    code: int = 130  # interrupted before dbt started: the shell's status for SIGINT
    try:
        connection.sendall(f"ready {os.getpid()}\n".encode())
        payload, fds = _receive(connection)
        if payload is None or len(fds) != 3:
            return 1
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(payload["cwd"])
        os.environ.clear()
        os.environ.update(payload["env"])
        sys.argv = [payload["dbt"], *payload["args"]]
        # dagster-dbt reads dbt's JSON lines as they come (it sets PYTHONUNBUFFERED for dbt)
        sys.stdout.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
        sys.stderr.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
        code = 0
        try:
            cli.main(args=payload["args"], prog_name="dbt")
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        except BaseException:  # what the dbt console script would have printed before dying
            import traceback

            traceback.print_exc()
            code = 1
    except KeyboardInterrupt:
        pass  # before dbt ran (130), or after it set its status: the clean-up below still runs
    finally:
        # a late SIGINT (a terminal's Ctrl-C reaches this process, and the launcher forwards its own
        # too) must not cut short the clean-up, the log's flush or the exit status
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout.flush()
    sys.stderr.flush()
    _close_warehouse()
    import logging

    logging.shutdown()  # dbt's log file, flushed and closed
    with contextlib.suppress(OSError):
        connection.sendall(f"exit {code}\n".encode())
    return code  # the caller then ends the process without the interpreter's teardown


def _close_warehouse() -> None:
    """Close dbt-duckdb's database now, as its exit hook would (DuckDB checkpoints on close)."""
    with contextlib.suppress(Exception):
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager.close_all_connections()
        if environment is not None:
            environment.close()


def _receive(connection: socket.socket) -> tuple[dict | None, list[int]]:
    """One framed JSON message and the file descriptors sent with it."""
    data, fds, _flags, _address = socket.recv_fds(connection, 1 << 16, 3)
    if len(data) < _HEADER.size:
        return None, fds
    (size,) = _HEADER.unpack_from(data)
    body = bytearray(data[_HEADER.size :])
    while len(body) < size:
        more = connection.recv(size - len(body))
        if not more:
            return None, fds
        body += more
    return json.loads(bytes(body)), fds


def _read_line(connection: socket.socket, timeout: float | None) -> str | None:
    connection.settimeout(timeout)
    line = b""
    try:
        while not line.endswith(b"\n"):
            chunk = connection.recv(1)
            if not chunk:
                return None
            line += chunk
    except OSError:  # a timeout, or the waiting process closed the connection
        return None
    return line.decode().strip()


def launcher_main() -> None:
    """``rcm-dbt ARGS...``: run ``dbt ARGS...`` in the waiting process when there is one, else exec dbt."""
    args = sys.argv[1:]
    dbt = dbt_path()
    path = os.environ.get(ENV_SOCKET)
    connection = None
    if path:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(path)
        except OSError:
            connection.close()
            connection = None

    def run_dbt_here() -> NoReturn:
        if connection is not None:
            connection.close()
        os.execv(dbt, [dbt, *args])

    ready = _read_line(connection, _READY_SECONDS) if connection is not None else None
    if connection is None or ready is None or not ready.startswith("ready "):
        run_dbt_here()
    pid = int(ready.split()[1])
    try:
        # to wait for the process itself to end, as Popen.wait on dbt did, not only for its
        # status: whatever dbt still does at exit (dbt-duckdb closes a warehouse left open then)
        # is over before the next step, the publish, opens the warehouse
        process = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux 5.3+: dbt runs here instead
        run_dbt_here()

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    body = json.dumps({"args": args, "env": dict(os.environ), "cwd": os.getcwd(), "dbt": dbt}).encode()
    socket.send_fds(connection, [_HEADER.pack(len(body)) + body], [0, 1, 2])
    status = _read_line(connection, None)
    select.select([process], [], [])
    if status is None or not status.startswith("exit "):
        print(f"{LAUNCHER}: the dbt process {pid} ended without an exit status", file=sys.stderr)
        os._exit(1)
    os._exit(int(status.split()[1]))


if __name__ == "__main__":
    status = _serve(int(sys.argv[1]))
    # Without the interpreter's teardown, which frees dbt's objects one by one: 0.56-0.63 s between
    # the exit status and this process's end in a day's build at 1,000,000 claims, all of it on the
    # build's path (the launcher waits for this end). _serve closed the warehouse and the logs.
    os._exit(status)
