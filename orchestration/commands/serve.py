"""`rcm serve`: the dashboards, from the published snapshot, behind a sign-in.

Flask's threaded development server is enough for the demo: every request opens its own DuckDB
connection over the snapshot CURRENT names, so a rebuild that republishes never interrupts a page.
"""

from __future__ import annotations

import argparse
import logging

from orchestration.settings import get_settings

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    settings = get_settings()
    parser.add_argument(
        "--host", default=settings.host, help=f"address to listen on (default {settings.host})"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=settings.dash_port,
        help=f"port (default RCM_DASH_PORT = {settings.dash_port})",
    )
    parser.add_argument(
        "--debug", action="store_true", help="Dash debug mode: reloads on code change (never in production)"
    )


def run(args: argparse.Namespace) -> int:
    from dashboards import queries
    from dashboards.app import create_app
    from dashboards.auth import load_users

    settings = get_settings()
    if not load_users():
        print(
            f"No dashboard users in {settings.users_file}. Add one with `rcm users add NAME --role ROLE` "
            "or create the demo users with `rcm users ensure-demo`."
        )
        return 2
    try:
        print(f"Serving snapshot {queries.current_snapshot_dir().name}")
    except queries.SnapshotMissing as error:
        print(f"Warning: {error}. Pages will say so until a snapshot is published.")
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    app = create_app()
    print(
        f"Dashboards on http://{args.host}:{args.port}/ (sign in; audit log: {settings.logs_dir / 'audit.log'})"
    )
    app.run(
        host=args.host, port=args.port, debug=bool(args.debug), threaded=True, use_reloader=bool(args.debug)
    )
    return 0
