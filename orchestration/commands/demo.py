"""`rcm demo`: the main job on the embedded demo data, start to finish.

generate (skipped when the same parameters were generated before) -> ingest the clean folders ->
build (dbt through Dagster, then publish the snapshot) -> make sure demo users exist -> serve.
Each step is the same code path as its own subcommand; this module only chains them.
"""

from __future__ import annotations

import argparse
import json
import time

from orchestration.settings import get_settings

DEMO_FOLDERS = ("x12/837", "x12/835", "csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--claims", type=int, default=20000, help="claims to generate (default 20000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", default="2025-05-01", help="first month of the period (YYYY-MM-DD)")
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--regenerate", action="store_true", help="generate again even if present")
    parser.add_argument("--no-serve", action="store_true", help="stop after the build and publish")
    parser.add_argument("--port", type=int, default=None, help="dashboard port (default RCM_DASH_PORT)")


def _step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def run(args: argparse.Namespace) -> int:
    from orchestration.cli import main as rcm

    settings = get_settings()
    settings.ensure_dirs()
    demo_dir = settings.demo_dir
    wanted = {"claims": args.claims, "seed": args.seed, "start": args.start, "months": args.months}
    manifest = demo_dir / "manifest.json"
    have = json.loads(manifest.read_text())["parameters"] if manifest.exists() else None
    started = _step(f"generate {args.claims} claims into {demo_dir}")
    if args.regenerate or have is None or any(str(have.get(k)) != str(v) for k, v in wanted.items()):
        code = rcm(
            [
                "generate",
                "--out",
                str(demo_dir),
                "--claims",
                str(args.claims),
                "--seed",
                str(args.seed),
                "--start",
                args.start,
                "--months",
                str(args.months),
            ]
        )
        if code:
            return code
    else:
        print("   already generated with these parameters; reusing (use --regenerate to redo)")
    print(f"   {time.perf_counter() - started:.1f} s")

    started = _step("ingest the demo files (re-loading a file already loaded changes nothing)")
    code = rcm(["ingest", "--summary", *[str(demo_dir / folder) for folder in DEMO_FOLDERS]])
    if code:
        return code
    print(f"   {time.perf_counter() - started:.1f} s")

    started = _step("build the warehouse and publish the snapshot")
    code = rcm(["build", "--quiet"])
    if code:
        return code
    print(f"   {time.perf_counter() - started:.1f} s")

    if args.no_serve:
        return 0
    rcm(["users", "ensure-demo"])
    _step("serve the dashboards")
    serve_args = ["serve"] + (["--port", str(args.port)] if args.port else [])
    return rcm(serve_args)
