"""`panchro restore --batch LIST_OR_DIR OUTDIR`: a whole archive of films, here or on a cluster.

The work is `restore.archive`'s; this module holds what the command line adds: the
`--batch` option's reading (an integer, which `--batch` meant before it named an archive,
is refused with the option it became, `--batch-frames`), the options an archive refuses,
the cluster session, the progress bar and the summary table.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from panchro.engine.cli.common import (
    COLOUR_AND_SIZE,
    EXIT_BAD_INPUT,
    EXIT_CANCELLED,
    EXIT_ERROR,
    EXIT_OK,
    FILM_STAGES,
    fit_of_args,
    settings_of_args,
)
from panchro.engine.errors import BadInputError, CancelledError

# Options of one film that an archive has no use for: each film gets automatic colour modes,
# a film file out, no preview.
_NOT_FOR_AN_ARCHIVE = (
    ("project", "--project"),
    ("hints", "--hints"),
    ("reference", "--reference"),
    ("preview", "--preview"),
    ("stills", "--stills"),
    ("film", "--film"),
    ("format", "--format"),
    ("quality", "--quality"),
    ("scan", "--scan"),  # each film's values are read as it says (a log scan at video levels)
    ("deliver_fps", "--deliver-fps"),  # each film is written at its own rate
    ("soundtrack", "--soundtrack"),  # each film keeps its own sound
    ("soundtrack_offset", "--soundtrack-offset"),
)


def _levels(args: argparse.Namespace) -> bool:
    """--levels for an archive: auto (each film's own measured) or off; points are refused,
    as films fade each their own way."""
    given = getattr(args, "levels", None)
    if given not in (None, "auto", "off"):
        raise BadInputError("--levels: an archive's films are each measured: give auto (or off)")
    return given == "auto"


def batch_source(text: str) -> str:
    """The type of `--batch`: a list file or a folder of films. A number that names no file
    is the old `--batch N` (frames per batch): refused with the option that took it over."""
    if text.strip().isdigit() and not Path(text).exists():
        raise argparse.ArgumentTypeError(
            f"{text!r}: --batch now takes a list of films or a folder of films (a whole "
            f"archive: panchro restore --batch LIST_OR_DIR OUTDIR); for frames per batch use "
            f"--batch-frames {text.strip()}"
        )
    return text


def cmd_restore_archive(
    args: argparse.Namespace, check_options: Callable[[argparse.Namespace, Any], None]
) -> int:
    """Restore the archive; exit non-zero when a film failed (each is listed with why).
    `check_options` is `cli.film`'s, so the two routes refuse the same --regrain."""
    from panchro.engine.progress import Progress, TerminalBar
    from panchro.engine.restore import archive
    from panchro.engine.restore import stages as stages_module

    if args.input:
        raise BadInputError(
            "with --batch the films come from its list or folder: give only the output folder "
            "(panchro restore --batch LIST_OR_DIR OUTDIR)"
        )
    given = [
        flag for name, flag in _NOT_FOR_AN_ARCHIVE if getattr(args, name, None) not in (None, False)
    ]
    if given:
        raise BadInputError(
            f"{', '.join(given)}: not for an archive (each film gets its own automatic colour "
            "modes and is written as a film); restore a film alone to steer it"
        )
    if args.cluster is not None:
        from panchro.engine.cluster import run as cluster

        cluster.require_ray()  # before any work: say what to install
        cluster.check_reachable(args.cluster)  # and that a cluster is there
        if not args.cluster_gpus >= 0:
            raise BadInputError(f"--cluster-gpus must be 0 or more, got {args.cluster_gpus}")
    elif args.cluster_gpus:
        raise BadInputError("--cluster-gpus goes with --cluster")
    names = (*COLOUR_AND_SIZE, *FILM_STAGES[2:])  # each film's fields and values read as it asks
    settings = settings_of_args(args, None, names, codec=args.codec, bit_depth=args.bit_depth)
    settings = fit_of_args(args, settings)  # each film's picture fitted by its own shape
    check_options(args, settings)
    recolour = args.recolour
    stages = stages_module.build_stages(
        settings, seed=args.seed, regrain=args.regrain, recolour=recolour
    )
    bar = TerminalBar("archive") if not args.quiet else None
    try:
        with contextlib.ExitStack() as stack:
            # A second run on the same archive took each film the first was writing for a
            # failure of its own; it is refused up front, naming the first.
            from panchro.engine.restore.jobs import sole_writer

            stack.enter_context(sole_writer(args.output, what="this archive"))
            executor = None
            if args.cluster is not None:
                # Built inside each task with every pick decided here; one recipe serves
                # every film, so a worker keeps its stages (and models) from film to film.
                recipe = functools.partial(
                    stages_module.build_stages,
                    settings,
                    seed=args.seed,
                    all_picked=True,
                    regrain=args.regrain,
                    recolour=recolour,
                    device=None if args.cluster_gpus else "cpu",
                )
                key = f"archive:seed={args.seed}:" + ",".join(st.key for st in stages)
                executor = stack.enter_context(
                    cluster.session(args.cluster, recipe, gpus=args.cluster_gpus, stages_key=key)
                )
            summary = archive.restore_archive(
                args.batch, args.output, stages=stages, seed=args.seed, codec=settings.codec,
                bit_depth=settings.bit_depth, batch=args.batch_frames,
                chunk_seconds=args.chunk_seconds, fps=args.fps, overwrite=args.overwrite,
                restart=args.restart, allow_truncated=args.allow_truncated,
                memory_limit_mb=args.memory_limit, executor=executor,
                progress=Progress(None, bar), levels=_levels(args), record=not args.no_record,
            )  # fmt: skip
    except (CancelledError, KeyboardInterrupt):
        if bar:
            bar.close()
        print(
            "panchro: interrupted; the films finished and the chunks done are kept: run the "
            "same command again to resume",
            file=sys.stderr,
        )
        return EXIT_CANCELLED
    if bar:
        bar.close()
    print(summary.describe())
    if not summary.failed:
        return EXIT_OK
    print(
        f"panchro: error: {len(summary.failed)} of {len(summary.results)} film(s) failed "
        "(listed above); the others are done",
        file=sys.stderr,
    )
    bad_input = all(r.code == "bad_input" for r in summary.failed)
    return EXIT_BAD_INPUT if bad_input else EXIT_ERROR
