"""Albums on the command line: `panchro restore` of many pictures, and `panchro info FOLDER`.

`panchro restore` takes one input or several. It restores an album (each picture
on its own, `restore.album`) when it is given several inputs, `--stills`, or one
folder that `media.read_folder_as` reads as an album (sizes, names and camera
dates differ from a film's frames; the reason is printed) and an output that is
not a film (no .mp4/.mov/.mkv, no --codec: asking for a film reads the folder
as one, as before). Everything else is `cli.film`'s. `panchro info FOLDER` says
how the folder is read and why; for an album it counts its pictures instead of
describing a film. `--project` with an album is an album's project (`album_project`, saved
by the app): its pictures' picks and hints, and its settings where the command line does not
say otherwise. This module holds only what the command line adds (routing, options,
printing), so `cli.film` dispatches here in one place each.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from panchro.engine.cli.common import (
    COLOUR_AND_SIZE,
    EXIT_BAD_INPUT,
    EXIT_CANCELLED,
    EXIT_ERROR,
    EXIT_OK,
    picture_crop_of_args,
    say_how_to_recolour,
    settings_of_args,
)
from panchro.engine.cli.picture import picture_levels
from panchro.engine.errors import BadInputError, CancelledError

if TYPE_CHECKING:  # media (PyAV) is imported when a command runs, not at start-up
    from panchro.engine.media import Verdict


def add_read_as_options(p: argparse.ArgumentParser) -> None:
    """--stills / --film: how a folder of pictures is read, whatever the rule decides."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--stills",
        action="store_true",
        help="read a folder as an album of unrelated pictures, each restored on its own",
    )
    g.add_argument(
        "--film", action="store_true", help="read a folder of pictures as the frames of one film"
    )


def add_album_options(p: argparse.ArgumentParser) -> None:
    """--format, for an album's outputs."""
    p.add_argument(
        "--format",
        default=None,
        choices=["jpg", "png", "tif", "webp"],
        help="an album's pictures all in this format (default: each keeps its own; .bmp gives"
        " .png)",
    )


def folder_verdict(args: argparse.Namespace) -> Verdict | None:
    """How `panchro info`'s folder is read (None for a file)."""
    from panchro.engine import media

    if not Path(args.file).is_dir():
        if args.stills or args.film:
            raise BadInputError("--stills and --film are for folders of pictures", path=args.file)
        return None
    return media.read_folder_as(args.file, stills=args.stills, film=args.film)


def cmd_info_album(args: argparse.Namespace, verdict: Verdict) -> int:
    """`panchro info FOLDER` for a folder read as an album: its pictures, counted."""
    from panchro.engine import media

    assert verdict.listing is not None
    facts = media.describe_listing(verdict.listing)
    if args.json:
        out = {"path": str(args.file), "kind": "album", "read_as": verdict.to_dict(), **facts}
        print(json.dumps(out, indent=2))
        return EXIT_OK
    sizes = facts["smallest"] if facts["smallest"] == facts["largest"] else None
    rows = [
        ("folder", str(args.file)),
        ("read as", verdict.describe()),
        ("pictures", f"{facts['pictures']} in {facts['folders']} folder(s)"),
        ("formats", ", ".join(f"{k} {v}" for k, v in facts["formats"].items()) or "-"),
        ("sizes", sizes or f"{facts['smallest']} to {facts['largest']}"),
    ]
    if facts["unreadable"]:
        why = facts["unreadable_why"]
        shown = "; ".join(f"{name} ({why[name]})" for name in facts["unreadable"][:5])
        rows.append(("unreadable", f"{len(facts['unreadable'])}: {shown}"))
    if facts["ignored"]:
        rows.append(("left out", facts["ignored"]))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return EXIT_OK


def album_verdict(args: argparse.Namespace) -> Verdict | None:
    """The album `panchro restore` was given, with why; None when it is a film or one photo."""
    from panchro.engine import media

    inputs: list[str] = list(args.input)
    if args.film:
        if len(inputs) > 1:
            raise BadInputError("--film reads one input (a folder of frames, or a film)")
        verdict = None
    elif len(inputs) > 1:
        verdict = media.Verdict("album", f"{len(inputs)} inputs", forced=True)
    elif args.stills:
        verdict = media.Verdict("album", "--stills given", forced=True)
    elif Path(inputs[0]).is_dir() and not _film_output(args):
        found = media.read_folder_as(inputs[0])
        verdict = found if found.kind == "album" else None
        if verdict is None and not Path(args.output).suffix:
            # a folder meant (a scanner's numbered photos read as a film's frames): said so,
            # where the codec's refusal of a name without an extension did not say why
            raise BadInputError(
                f"{inputs[0]} is read as {found.describe()}, and a film is written to a file"
                f" ({', '.join(media.VIDEO_CONTAINERS)}): name one, or give --stills to restore"
                f" its pictures one by one into the folder {args.output}"
            )
    else:
        verdict = None
    if verdict is None and args.format is not None:
        raise BadInputError(
            "--format is for albums; a picture's output extension decides its format, "
            "and a film's is --codec"
        )
    return verdict


def _film_output(args: argparse.Namespace) -> bool:
    from panchro.engine import media

    return Path(args.output).suffix.lower() in media.VIDEO_CONTAINERS or args.codec is not None


def cmd_restore_album(
    args: argparse.Namespace,
    verdict: Verdict,
    film_only: Sequence[tuple[str, str]],
    check_options: Callable[[argparse.Namespace, Any], None],
) -> int:
    """Restore the album; exit non-zero when a picture failed (each is listed with why).

    `film_only` and `check_options` are `cli.film`'s (the options a picture refuses, the
    --regrain check), handed in so the two routes refuse the same things.
    """
    from panchro.engine import media
    from panchro.engine.progress import Progress, TerminalBar
    from panchro.engine.restore import stages as stages_module
    from panchro.engine.restore.album import restore_album

    given = [
        flag
        for name, flag in film_only
        if name != "project" and getattr(args, name, None) not in (None, False)
    ]  # --project is an album's project here (`_project`)
    if getattr(args, "hints", None) is not None:
        given.append("--hints")  # colour hints belong to one picture; an album has many
    if getattr(args, "reference", None) is not None:
        # not yet carried into the album's stages: refused rather than silently ignored
        given.append("--reference")
    if given:
        hints = (
            "; each picture's colour hints come with the album's project (--project, saved by"
            " the app)" if "--hints" in given else ""
        )  # fmt: skip
        reference = (
            "; a colour picture lends its colours to a film's shots, or to one photo restored"
            " alone, not yet to an album's pictures" if "--reference" in given else ""
        )  # fmt: skip
        raise BadInputError(
            f"{', '.join(given)}: not for an album (each picture keeps its own format and "
            f"depth, and gets its own automatic colour mode{hints}{reference})"
        )
    ext = Path(args.output).suffix.lower()
    if ext in media.VIDEO_CONTAINERS or ext in media.PICTURE_OUTPUTS:
        raise BadInputError(
            f"an album is written into a folder, not a {ext} file (give a folder; it is made "
            "if it is not there)",
            path=args.output,
        )
    project, picks, hints = _project(args)
    base = project.settings.restoration() if project is not None else None
    # --dust: each picture's dirt, found by its look (`restore.dust`'s speck finder)
    settings = settings_of_args(args, base, (*COLOUR_AND_SIZE, "dust"))
    check_options(args, settings)
    fmt = args.format or (project.settings.format if project is not None else None)
    stages = stages_module.build_stages(
        settings, seed=args.seed, regrain=args.regrain, recolour=args.recolour
    )
    bar = TerminalBar("album", unit="pic/s") if not args.quiet else None
    progress = Progress(None, bar)
    try:
        summary = restore_album(
            args.input,
            args.output,
            stages=stages,
            seed=args.seed,
            fmt=fmt,
            quality=args.quality,
            overwrite=args.overwrite,
            progress=progress,
            picks=picks,
            hints=hints,
            # --crop, else the project's: each picture's own border (--crop none: kept)
            crop=picture_crop_of_args(args, album=True)
            if args.crop is not None or project is None or not project.settings.borders
            else "auto",
            straighten=args.straighten or (project is not None and project.settings.straighten),
            negative=args.scan == "negative" or bool(project and project.settings.negative),
            levels=picture_levels(args, project is not None and project.settings.levels),
        )
    except (CancelledError, KeyboardInterrupt):
        if bar:
            bar.close()
        print(
            "panchro: interrupted; the pictures finished are kept, run the same command "
            "again to restore the rest",
            file=sys.stderr,
        )
        return EXIT_CANCELLED
    if bar:
        bar.close()
    if not verdict.forced:
        print(f"read {args.input[0]} as {verdict.describe()}")
    print(summary.describe())
    say_how_to_recolour(summary.notes, album=True)
    if not summary.failed:
        return EXIT_OK
    print(
        f"panchro: error: {len(summary.failed)} of {summary.found} picture(s) failed "
        "(listed above); the others are done",
        file=sys.stderr,
    )
    bad_input = all(code == "bad_input" for _, code, _ in summary.failed)
    return EXIT_BAD_INPUT if bad_input else EXIT_ERROR


def _project(args: argparse.Namespace) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The album's project given with --project (None without), and the picks and hints to
    use: those of every picture not changed since it was saved (each changed one is named on
    stderr). Names decide, whatever the project's inputs: a pick for a picture not in this
    album is left to `restore_album`, which refuses it before any work."""
    from panchro.engine import media
    from panchro.engine.album_project import AlbumProject, PictureCheck

    if not args.project:
        return None, {}, {}
    project = AlbumProject.load(args.project)
    listing = media.list_pictures(args.input, exclude=[args.output])
    found = project.check_pictures({pic.rel: pic.path for pic in listing.pictures})
    if found.changed:
        print(
            f"panchro: warning: {args.project}: {PictureCheck(changed=found.changed).describe()}",
            file=sys.stderr,
        )
    picks, hints = project.usable(PictureCheck(changed=found.changed))
    return project, picks, hints
