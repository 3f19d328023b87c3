"""`rcm`: the one command users run.

Each subcommand lives in its own module under ``orchestration.commands`` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``, imported only when that subcommand runs so that
``rcm --help`` stays fast (Dagster, dbt and Great Expectations take seconds to import).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from orchestration.settings import get_settings

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "orchestration.commands.demo",
        "generate the demo data, load it, build the warehouse and serve the dashboards",
    ),
    "generate": (
        "orchestration.commands.generate",
        "write a synthetic revenue cycle (837, 835, CSV extracts, ground truth)",
    ),
    "ingest": (
        "orchestration.commands.ingest",
        "load X12 835/837 and CSV extract files or folders into the raw layer",
    ),
    "build": (
        "orchestration.commands.build",
        "run dbt seeds, models and tests through Dagster, then publish the snapshot",
    ),
    "serve": ("orchestration.commands.serve", "serve the dashboards from the published snapshot"),
    "dagster": ("orchestration.commands.dagster_ui", "open the Dagster UI (dagster dev) on this warehouse"),
    "users": ("orchestration.commands.users", "manage dashboard users and roles"),
    "bench": ("orchestration.commands.bench", "measure speed, memory and scaling of every stage"),
}


def build_parser(load: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rcm",
        description="Revenue-cycle analytics warehouse: where is cash stuck, why, and what to work first.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        if load:
            importlib.import_module(module_name).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Dagster prints its run log with its own handler; without this, every line also reaches ours.
    logging.getLogger("dagster").propagate = False
    # Only the chosen subcommand's module is imported; the others show their one-line help.
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = argparse.ArgumentParser(prog="rcm")
    if chosen in COMMANDS:
        parser = build_parser(load=False)
        sub_action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        module = importlib.import_module(COMMANDS[chosen][0])
        module.add_arguments(sub_action.choices[chosen])
        args = parser.parse_args(argv)
        return int(module.run(args) or 0)
    parser = build_parser(load=False)
    args = parser.parse_args(argv)
    parser.print_help()
    return 0 if not argv else 2


def console_main() -> None:
    """The `rcm` console script: ``main()``, then exit without the interpreter's teardown.

    By the time a command returns, its work is done and closed: Dagster's run is recorded, the
    warehouse and the snapshot are written and closed, child processes are joined. What Python's
    own exit would add is freeing every object of Dagster's and dbt's imports one by one (0.84 s
    after `rcm build`'s last line at 1,000,000 claims). So the output is flushed, logging shut
    down, and the process ends there. An exception still takes the normal way out, with its
    traceback. Tests call ``main()``, which returns.

    Before the command: transparent huge pages off for this process and every process it starts
    (orchestration.lib.huge_pages: Arrow's allocator asks for them and the kernel then zeroes them
    again and again; 14-23 % off the 1M demo's full build, ADR 0013).
    """
    from orchestration.lib.huge_pages import turn_off_for_this_process

    turn_off_for_this_process()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    console_main()
