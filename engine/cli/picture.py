"""`panchro restore photo.jpg out.jpg`: one picture in and one out, the film's stages on one
frame (`restore.picture`); what of a film's options a picture takes, and which it refuses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from panchro.engine.cli.common import (
    COLOUR_AND_SIZE,
    EXIT_OK,
    FILM_OUTPUT_OPTIONS,
    check_options,
    levels_value,
    picture_crop_of_args,
    reference_of_args,
    say_how_to_recolour,
    settings_of_args,
)
from panchro.engine.errors import BadInputError

# Options of a film's restore that a picture (one frame, no job) has no use for.
FILM_ONLY = (
    ("project", "--project"),
    *FILM_OUTPUT_OPTIONS,
    ("allow_truncated", "--allow-truncated"),
    ("deflicker", "--deflicker"),
    ("stabilize", "--stabilize"),
    ("scratches", "--scratches"),
    ("at", "--at"),
    ("deinterlace", "--deinterlace"),  # a picture has no fields
    ("fps", "--fps"),
    ("fit", "--fit"),
    ("fit_frame", "--fit-frame"),
)


# Options of a photo's (or an album's) restore that a film has no use for, and why.
PHOTO_ONLY = (("straighten", "--straighten", "a film's frames are not laid by hand"),)


def refuse_photo_only(args: argparse.Namespace, what: str = "a film") -> None:
    """BadInputError for an option of photos given with `what` (a film, a film's frame)."""
    for name, flag, why in PHOTO_ONLY:
        if getattr(args, name, False):
            raise BadInputError(f"{flag} is for photos and albums, not {what}: {why}")


def picture_output(args: argparse.Namespace) -> bool:
    """Whether this restore writes one picture (decided by the output's extension): a picture
    in and one out (a film in and a picture out is a still: `still.wants_still`, asked
    before); a picture in and an output that is neither picture nor film is refused."""
    from panchro.engine import media

    out_ext = Path(args.output).suffix.lower()
    if out_ext in media.PICTURE_OUTPUTS:
        given = [flag for name, flag in FILM_ONLY if getattr(args, name) not in (None, False)]
        if given:
            why = {
                "--deinterlace": "a picture has no fields",
                "--codec": "a picture keeps its own format",
                "--bit-depth": "a picture keeps its own bit depth",
                "--fps": "a picture has no frame rate",
                "--fit": "a picture keeps its own shape and size (--upscale enlarges it)",
                "--fit-frame": "a picture keeps its own shape and size (--upscale enlarges it)",
            }.get(given[0], "a picture is one frame, written whole")
            raise BadInputError(f"{', '.join(given)}: for films; {why}")
        return True
    if args.quality is not None:
        raise BadInputError("--quality is for picture outputs (.jpg, .webp)")
    if media.is_picture_path(args.input) and Path(args.output).is_dir():
        named = Path(args.output) / Path(args.input).name
        raise BadInputError(
            f"{args.output} is a folder: name the picture to write in it ({named}), or give"
            " several pictures, or a folder of them, to restore an album into it"
        )
    if (
        media.is_picture_path(args.input)
        and out_ext not in media.VIDEO_CONTAINERS
        and args.codec not in media.SEQUENCE_CODECS
    ):
        media.picture_format(args.output)  # refused, with the list of what is written
    return False


def cmd_restore_picture(args: argparse.Namespace) -> int:

    from panchro.engine.progress import Progress, TerminalBar
    from panchro.engine.restore import stages as stages_module
    from panchro.engine.restore.picture import restore_picture

    # the options a picture and an album share, read alike (--colour-strength was left out
    # here, so a photo's colours were as strong whatever it said); dust: a photograph's, by
    # the speck finder of `restore.dust`
    settings = settings_of_args(args, None, COLOUR_AND_SIZE, dust=args.dust or 0.0)
    check_options(args, settings)
    hints = None
    if args.hints is not None:  # checked against the picture (turned upright) by the stage
        from panchro.engine.imaging.hints import load_hints

        if not settings.colorize:
            raise BadInputError("--hints steer the colours: add --colorize")
        hints = load_hints(args.hints)
    stages = stages_module.build_stages(
        settings,
        seed=args.seed,
        regrain=args.regrain,
        hints=hints,
        reference=reference_of_args(args, settings),
        reference_name=Path(args.reference).name if args.reference else "",
        recolour=args.recolour,
    )
    bar = TerminalBar("restore") if not args.quiet else None
    try:
        summary = restore_picture(
            args.input,
            args.output,
            stages=stages,
            quality=args.quality,
            overwrite=args.overwrite,
            progress=Progress(1, bar),
            crop=picture_crop_of_args(args),
            straighten=args.straighten,
            negative=args.scan == "negative",
            levels=picture_levels(args),
        )
    finally:
        if bar:
            bar.close()
    print(summary.describe())
    say_how_to_recolour(summary.notes)
    return EXIT_OK


def picture_levels(args: argparse.Namespace, kept: bool = False) -> tuple[float, ...] | str | None:
    """--levels for a picture: "auto" (measured on the picture inside its crop, when it is
    read), the points given, or None (off); not given, "auto" where an album's project
    `kept` it so."""
    given = getattr(args, "levels", None)
    if given is None:
        return "auto" if kept else None
    return "auto" if given == "auto" else levels_value(given, None, None)


def cmd_info_picture(args: argparse.Namespace) -> int:
    """`panchro info photo.jpg`: the picture as `restore` reads it (upright, its depth and
    alpha, the metadata that travels, what reading it converted), not as a one-frame film."""
    from panchro.engine import media
    from panchro.engine.restore.picture import values_read

    if getattr(args, "deinterlace", None) not in (None, "auto"):
        raise BadInputError("--deinterlace: for films; a picture has no fields")
    pic = media.read_picture(args.file)
    height, width = pic.pixels.shape[:2]
    read: list[str] = []  # how --scan negative and --levels would read it (the whole picture)
    negative, levels = getattr(args, "scan", None) == "negative", picture_levels(args)
    if negative or levels is not None:
        values_read(pic.pixels, None, negative, levels, read)
    facts: dict[str, Any] = {
        "file": pic.path,
        "kind": "picture",
        "format": pic.format,
        "size": [width, height],  # upright, as restored
        "bits": pic.bits,
        "colour": "grey" if pic.grey else "RGB",
        "alpha": pic.alpha is not None,
        "dpi": None if pic.dpi is None else list(pic.dpi),
        "icc": pic.icc is not None,
        "exif": pic.exif is not None,
        "xmp": pic.xmp is not None,
        "notes": list(pic.notes),
        "read": read,
    }
    if args.json:
        print(json.dumps(facts, indent=2))
        return EXIT_OK
    dpi = pic.dpi
    rows = [
        ("file", pic.path),
        ("kind", f"picture ({pic.format})"),
        ("size", f"{width}x{height}, upright (as it is restored)"),
        ("samples", f"{'grey' if pic.grey else 'RGB'}{' + alpha' if pic.alpha is not None else ''}"
                    f", {pic.bits} bit"),  # fmt: skip
        ("resolution", "not given" if dpi is None else f"{dpi[0]:g} x {dpi[1]:g} dpi"),
        ("kept", ", ".join(name for name, there in (
            ("ICC profile", pic.icc is not None), ("EXIF", pic.exif is not None),
            ("XMP", pic.xmp is not None), ("text", bool(pic.text))) if there) or "no metadata"),
    ]  # fmt: skip
    rows += [("note", note) for note in pic.notes]
    rows += [("read as", how) for how in read]
    width_ = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width_}}  {v}")
    return EXIT_OK
