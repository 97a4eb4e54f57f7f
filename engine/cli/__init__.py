"""`panchro` — the command line. Everything the GUI does is reachable from here.

Heavy modules (PyAV, torch) are imported inside the commands, so `--help` and
`--version` answer at once. A `PanchroError` becomes one line on stderr and a
non-zero exit; a traceback is printed only for a real bug.

One module per command group (`film`, `colour`, `service`, `train`, `evaluate`,
`bench`), each adding its own sub-commands; `common` holds the exit codes and time parsing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence

from panchro.engine import __version__
from panchro.engine.cli import bench, colour, evaluate, film, service, train
from panchro.engine.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CANCELLED,
    EXIT_ERROR,
    EXIT_OK,
    format_time,
    parse_time,
)
from panchro.engine.errors import CancelledError, PanchroError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="panchro",
        description="Restore old films: colorize, clean up, upscale, keep the sound.",
        epilog="Exit status: 0 done; 2 the input or an option cannot be used (nothing was"
        " done); 1 the output cannot be written (it exists without --overwrite, it is the"
        " input, the disk is full) or the work failed; 130 cancelled or interrupted (a"
        " restore run again resumes).",
    )
    parser.add_argument("--version", action="version", version=f"panchro {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    film.add_parsers(sub)
    colour.add_parsers(sub)
    service.add_parsers(sub)
    train.add_parsers(sub)
    evaluate.add_parsers(sub)
    bench.add_parsers(sub)
    parser.set_defaults(_commands=sub.choices)
    return parser


def parse_command_line(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """`parser.parse_args`, but options may also come between a command's paths, as people
    type them: `panchro restore old.mp4 --colorize new.mp4`. (argparse alone takes
    `old.mp4` for the output there and refuses `new.mp4`.) Commands with commands of their
    own (`train`, `eval`, `bench`) parse as argparse does."""
    tokens = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(tokens)
    command = getattr(args, "command", None)
    leaf = getattr(args, "_commands", {}).get(command)
    if not extra or leaf is None or tokens[:1] != [command]:
        return parser.parse_args(tokens)  # argparse's own answer, and its own errors
    try:
        mixed = leaf.parse_intermixed_args(tokens[1:])
    except TypeError:  # argparse cannot intermix a parser with sub-commands
        return parser.parse_args(tokens)
    mixed.command = command
    return mixed


def main(argv: Sequence[str] | None = None) -> int:
    # Pillow's words on a damaged EXIF block or an odd tag are not a person's business
    # where the picture is read anyway: what matters is said in the picture's own notes.
    warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
    parser = build_parser()
    args = parse_command_line(parser, argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CancelledError:
        print("panchro: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        print("\npanchro: interrupted; nothing was written at the output path", file=sys.stderr)
        return EXIT_CANCELLED
    except PanchroError as exc:
        print(f"panchro: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT if exc.code == "bad_input" else EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`panchro shots film.mp4 | head -3`): not a bug. Whatever is
        # left in stdout's buffer would fail again at exit, so it goes nowhere instead.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception:
        print("panchro: internal error (a bug; please report it with this):", file=sys.stderr)
        traceback.print_exc()
        return EXIT_ERROR


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CANCELLED",
    "EXIT_ERROR",
    "EXIT_OK",
    "build_parser",
    "parse_command_line",
    "format_time",
    "main",
    "parse_time",
]
