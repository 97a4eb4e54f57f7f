"""`panchro engine serve` (the process the GUI talks to) and `panchro self-test`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from panchro.engine import __version__


def cmd_engine_serve(args: argparse.Namespace) -> int:
    from panchro.engine.service.server import serve

    return serve()


def cmd_self_test(args: argparse.Namespace) -> int:
    from panchro.engine.service.selftest import Check, run_self_test

    def echo(check: Check) -> None:  # a line per check as it ends: some take seconds
        print(check.row(), flush=True)

    if not args.json:
        print(f"Panchro {__version__} self-test", flush=True)
    report = run_self_test(film=args.film, strict=args.strict, echo=None if args.json else echo)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary())
    return report.exit_code


def add_parsers(sub: Any) -> None:
    """Add this group's commands to the top-level subparsers `sub`."""
    p = sub.add_parser("engine", help="the engine process that the GUI talks to")
    esub = p.add_subparsers(dest="engine_command", metavar="ACTION", required=True)
    e = esub.add_parser("serve", help="speak the message protocol on stdin/stdout")
    e.set_defaults(func=cmd_engine_serve)

    p = sub.add_parser(
        "self-test",
        help="check this installation end to end on the sample film (exit 0/1)",
        description="Start the engine as the GUI does, sample K=2 colour modes of one frame, "
        "restore one second of the sample film and check the frames, the sound and the luma. "
        "A skipped check (no colorizer weights) is reported, not counted as a pass.",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--film", type=Path, default=None, help="test on this film instead")
    p.add_argument("--strict", action="store_true", help="a skipped check fails the run")
    p.set_defaults(func=cmd_self_test)
