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
import errno
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any

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
        " input, the disk is full) or the work failed; 130 cancelled or interrupted (Ctrl-C or"
        " SIGTERM; a restore run again resumes).",
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


class Terminated(KeyboardInterrupt):
    """SIGTERM (what `timeout`, cron, systemd and job queues send), stopping a run as Ctrl-C
    does: the same clean-up, the same words, exit 130, and the same command resumes. Left
    to Python's default, it ended the process at once (143), its half-written chunk left
    behind and nothing said."""


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated


# A stopped run's decode and stage threads finish the batch they are in, which on a busy
# machine takes more than the 10 s a run waits for them itself.
WORKERS_GRACE_S = 120.0


def main(argv: Sequence[str] | None = None) -> int:
    # Pillow's words on a damaged EXIF block or an odd tag are not a person's business
    # where the picture is read anyway: what matters is said in the picture's own notes.
    warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
    for name in ("stdout", "stderr"):  # closed by the caller (`2>&-`): words go nowhere
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - for the process's life
    parser = build_parser()
    args = parse_command_line(parser, argv)
    # (the engine the app talks to keeps the default: the app ends it, and its own
    # requests are what it stops)
    catch = threading.current_thread() is threading.main_thread() and args.command != "engine"
    before = signal.signal(signal.SIGTERM, _terminated) if catch else None
    try:
        code = _run(args)
        sys.stdout.flush()  # what is left to print fails here, said, not at exit
    except OSError as exc:  # stdout to a full disk (`info film.mp4 > /dev/full`)
        if not isinstance(exc, BrokenPipeError):  # a reader gone (`| head`) is no error said
            print(f"panchro: error: the output could not be written ({exc.strerror})",
                  file=sys.stderr)  # fmt: skip
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_ERROR
    finally:
        if catch:
            signal.signal(signal.SIGTERM, before if before is not None else signal.SIG_DFL)
    if code == EXIT_CANCELLED and argv is None:  # the process's own command line: it ends
        from panchro.engine.restore.threads import wait_for_workers

        if not wait_for_workers(WORKERS_GRACE_S):
            # Python tearing itself down under a thread inside torch aborts the process
            # (exit 134, "terminate called without an active exception"): leave without.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return code


def _run(args: argparse.Namespace) -> int:
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
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            return _internal_error()
        # what the engine writes says so itself (OutputError); this was stdout to a full disk
        print(f"panchro: error: no space left to write the output ({exc})", file=sys.stderr)
        with contextlib.suppress(OSError, ValueError):  # its buffer would fail again at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception:
        return _internal_error()


def _internal_error() -> int:
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
