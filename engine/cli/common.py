"""What every command group shares: exit codes, time parsing and printing, --fps, and the
restore options a film, a still and an archive read alike (--crop, --hints, --reference,
--regrain)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any

from panchro.engine.errors import BadInputError

EXIT_OK = 0
EXIT_ERROR = 1  # the work failed (I/O, internal)
EXIT_BAD_INPUT = 2  # the input or an option cannot be used
EXIT_CANCELLED = 130

_TIME_RE = re.compile(r"^(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)$")


def parse_time(text: str) -> float:
    """Seconds from `62.5`, `1:02.5` or `00:01:02.5`."""
    m = _TIME_RE.match(text.strip())
    if not m:
        raise BadInputError(f"{text!r} is not a time (use seconds, MM:SS or HH:MM:SS.ms)")
    h, mnt, s = m.groups()
    return int(h or 0) * 3600 + int(mnt or 0) * 60 + float(s)


def format_time(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


# `media.deinterlace.DEINTERLACE_MODES`, written again: the CLI's parser loads without PyAV
# (the GPU kit's start); a test holds the copies (here, the project's, the app's) equal.
DEINTERLACE_CHOICES = ("auto", "off", "tff", "bff", "telecine", "keep")


# `media.scan.SCAN_MODES`, written again alike.
SCAN_CHOICES = ("auto", "coded", "negative")


def add_deinterlace(p: argparse.ArgumentParser, *, default: str | None = "auto") -> None:
    """--deinterlace and --scan, how a film is read; `default` None: the project's choice,
    else auto (`restore`)."""
    p.add_argument(
        "--scan",
        choices=SCAN_CHOICES,
        default=default,
        help="auto (default"
        + ("" if default else "; or the project's choice")
        + "): a DPX scan coded in log (its header says printing density or logarithmic) read"
        " at video levels, anything else as coded; coded: every value as the file has it;"
        " negative: a negative's values turned over, so it shows as the positive",
    )
    p.add_argument(
        "--deinterlace",
        choices=DEINTERLACE_CHOICES,
        default=default,
        help="auto (default"
        + ("" if default else "; or the project's choice")
        + "): deinterlace a video that is interlaced, by what the file says and how its"
        " pictures look (a film telecined to video is field matched; frames a transfer"
        " repeated in a steady cadence are left out); off: every frame as it is; tff/bff:"
        " deinterlace every frame, top/bottom field first; telecine: field match every"
        " frame (inverse telecine); keep: as auto, but every frame kept (no repeat left"
        " out, no decimation). A folder of frames: the frame before a gap in its numbering"
        " held in each missing frame's place; keep: the files one after another",
    )
    add_levels(p, project=default is None)


def add_levels(p: argparse.ArgumentParser, *, project: bool = False) -> None:
    """--levels: a faded film's black and white points stretched as it is read."""
    p.add_argument(
        "--levels",
        default=None,
        metavar="auto|off|BLACK,WHITE[,MIDTONES]",
        help="stretch a faded film's tones to the full range as it is read: auto measures its"
        " black and white points across the film (inside its borders); BLACK,WHITE gives"
        " them (0..1, e.g. 0.12,0.85), and a third number lightens (above 1) or darkens"
        " (below 1) the middle greys (0.25..4); off reads its values as they are (default"
        + ("; or the project's choice)" if project else ")"),
    )


def levels_of_args(
    args: argparse.Namespace, settings: Any, path: Any, fps: Any, project: Any = None
) -> Any:
    """`settings` with the --levels this run asks for: the project's where none is given;
    auto measures the film at `path` read as `settings` read it (`survey.film_levels`) and
    says what it found. A `project` with a file keeps them: it reads its film so after."""
    from dataclasses import replace

    given = getattr(args, "levels", None)
    if given is None:
        return settings
    settings = replace(settings, levels=levels_value(given, path, reading_of(settings, fps)))
    kept = project is not None and project.path is not None
    if kept and project.settings.levels != settings.levels:
        project.settings = replace(project.settings, levels=settings.levels)
        project.save()
    return settings


def levels_value(given: str, path: Any, reading: Any) -> tuple[float, ...] | None:
    """--levels' value: None for off, the points given, or those measured (auto) on the film
    at `path` read as `reading` says (its own levels left out)."""
    from panchro.engine.media import levels as film_levels

    if given == "off":
        return None
    if given != "auto":
        try:
            return film_levels.check_points(given.split(","))
        except BadInputError as exc:
            raise BadInputError(f"--levels: {exc} (or auto, or off)") from None
    from panchro.engine.survey import film_levels as measured

    with reading.but(levels=None).open(path) as src:
        found = measured(src)
    if found is None:
        print("panchro: --levels auto: too little range to measure; read as it is",
              file=sys.stderr)  # fmt: skip
        return None
    print(f"panchro: levels: {levels_words(found)}, stretched", file=sys.stderr)
    return found


def levels_words(points: tuple[float, ...]) -> str:
    """The points in words (`media.levels.describe`)."""
    from panchro.engine.media.levels import describe

    return describe(points)


def levels_said(measured: Any, stretched: Any) -> str:
    """A film's levels in words for `panchro shots`: the points it is stretched from, or
    those measured and whether they look faded."""
    from panchro.engine.media.levels import faded

    if stretched:
        return f"{levels_words(stretched)}, stretched"
    if measured is None:
        return "too little range to measure"
    if faded(measured):
        return f"{levels_words(measured)}: faded (--levels auto stretches them)"
    return levels_words(measured)


def reading_of(settings: Any, fps: Any) -> Any:
    """How a run with these settings reads its film (`media.reading_of`)."""
    from panchro.engine.media.reading import reading_of as of

    return of(settings, fps)


def add_fps(p: argparse.ArgumentParser, *, project: bool = False) -> None:
    """--fps; `project`: the command takes a project, whose rate is the default."""
    p.add_argument(
        "--fps",
        type=float,
        default=None,
        help="frame rate of a folder of frames (default: a DPX scan's own, from its headers,"
        " else 24); for a video file, the rate its"
        " frames are shown at instead of its own: a silent film transferred at sound speed"
        " runs too fast, and 16-22 fps is typical of what it was shot at (every frame kept;"
        " its sound and subtitles, which would no longer fit, left out"
        + ("; default: the project's)" if project else ")"),
    )


def parse_crop(text: str) -> tuple[int, int, int, int]:
    """--crop's pixels: N (every side), H,V (left and right, top and bottom) or L,T,R,B."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (1, 2, 4) or any(v < 0 for v in values):
        raise BadInputError(
            f"--crop {text}: give auto, none, or pixels: N (every side), H,V (left and right, "
            "top and bottom) or L,T,R,B, each 0 or more"
        )
    if len(values) == 1:
        values *= 4
    elif len(values) == 2:
        values *= 2
    left, top, right, bottom = values
    return left, top, right, bottom


def picture_crop_of_args(args: argparse.Namespace, *, album: bool = False) -> Any:
    """--crop for a photo (or each picture of an album): None, "auto" (its own border, found
    when it is read) or pixels; an album's pictures differ in size, so it takes auto only."""
    if args.crop in (None, "none"):
        return None
    if args.crop == "auto":
        return "auto"
    if album:
        raise BadInputError(
            f"--crop {args.crop}: an album's pictures differ in size; --crop auto cuts each "
            "one's own border"
        )
    return parse_crop(args.crop)


def borders_words(borders: tuple[int, int, int, int] | None) -> str:
    """`panchro shots`' words for the border found round the picture (`survey.film_borders`)."""
    if borders is None:
        return "not judged (the frames looked at are black)"
    if not any(borders):
        return "none (the picture fills the frame)"
    left, top, right, bottom = borders
    return f"{left}, {top}, {right}, {bottom} px (left, top, right, bottom; --crop auto cuts them)"


def args_reading(args: argparse.Namespace, path: Any = None) -> Any:
    """How the command line says to read its film (`media.Reading`): --fps, --deinterlace,
    --scan and --levels (auto measured on the film at `path`; without one, left out)."""
    from panchro.engine.media.reading import Reading

    reading = Reading(
        fps=getattr(args, "fps", None),
        deinterlace=getattr(args, "deinterlace", None) or "auto",
        scan=getattr(args, "scan", None) or "auto",
    )
    given = getattr(args, "levels", None)
    if given is None or (given == "auto" and path is None):
        return reading
    return reading.but(levels=levels_value(given, path, reading))


def crop_of_args(
    args: argparse.Namespace, info: Any, path: Any = None
) -> tuple[int, int, int, int] | None:
    """The crop this run asks for (None: the project's): --crop auto finds the borders round
    the picture of the film at `path` (default `args.input`) and says what it found."""
    if args.crop is None:
        return None
    if args.crop == "none":
        return 0, 0, 0, 0
    if args.crop != "auto":
        return parse_crop(args.crop)
    from panchro.engine.survey import film_borders

    with args_reading(args).open(path or args.input) as src:
        found = film_borders(src)
    if found is None:
        print(
            "panchro: --crop auto: no borders to judge by (black frames?); nothing cut",
            file=sys.stderr,
        )
        return 0, 0, 0, 0
    left, top, right, bottom = found
    w, h = info.width - left - right, info.height - top - bottom
    said = "none; nothing cut" if not any(found) else f"{left}, {top}, {right}, {bottom}"
    print(f"borders (left, top, right, bottom): {said} -> {w}x{h}", file=sys.stderr)
    return found


def fit_of_args(args: argparse.Namespace, settings: Any) -> Any:
    """`settings` with this run's --fit and --fit-frame over the project's: a named size (hd,
    uhd) or WIDTHxHEIGHT, or none; --fit-frame alone frames the project's fit."""
    from dataclasses import replace

    from panchro.engine.restore.fit import SIZES, check_box

    if args.fit is None:
        return replace(settings, fit_frame=True) if args.fit_frame and settings.fit else settings
    if args.fit == "none":
        return replace(settings, fit=None, fit_frame=False)
    named = SIZES.get(args.fit.lower())
    if named is None:
        try:
            named = tuple(int(v) for v in args.fit.lower().split("x"))
        except ValueError:
            raise BadInputError(f"--fit: hd, uhd, none or WIDTHxHEIGHT, got {args.fit!r}") from None
    return replace(settings, fit=check_box(named), fit_frame=args.fit_frame)


def hints_of_args(args: argparse.Namespace, settings: Any, info: Any, project: Any = None) -> Any:
    """The hints of this run: the --hints file (checked against the film, and kept in the
    project when there is one), else the project's; None without any."""
    from panchro.engine.imaging.hints import load_hints

    if args.hints is None:
        hints = project.hints if project is not None else None
        return hints if hints is not None and not hints.empty and settings.colorize else None
    if not settings.colorize:
        raise BadInputError("--hints steer the colours: add --colorize")
    hints = load_hints(args.hints)
    hints.check_against(info.width, info.height, info.frame_count)
    if hints.empty:
        print(f"panchro: note: {args.hints} holds no points or strokes", file=sys.stderr)
    if project is not None and project.hints != hints:
        project.hints = hints
        project.save()
        print(f"hints kept in {project.path}", file=sys.stderr)
    return hints


def reference_of_args(args: argparse.Namespace, settings: Any) -> Any:
    """The --reference picture as RGB, or None; refused without --colorize."""
    if args.reference is None:
        return None
    if not settings.colorize:
        raise BadInputError("--reference lends colours: add --colorize")
    from panchro.engine.inference.reference import load_reference

    return load_reference(args.reference)


def check_options(args: argparse.Namespace, settings: Any) -> None:
    """Options that would do nothing with the others given are refused, not passed over:
    --regrain without a cleanup, --upscaler sharp at x1, --fit-frame without a --fit, 8
    bits asked of a codec that writes 10 or more, --recolour without --colorize."""
    if getattr(args, "upscaler", None) == "sharp" and settings.upscale == 1:
        raise BadInputError(
            "--upscaler sharp goes with --upscale 2 or 4 (it enlarges; the cleanup at x1 is "
            "the film model's)"
        )
    if getattr(args, "fit_frame", False) and not getattr(settings, "fit", None):
        raise BadInputError("--fit-frame goes with --fit (hd, uhd or WIDTHxHEIGHT): it frames "
                            "the picture fitted there")  # fmt: skip
    if getattr(args, "bit_depth", None) == 8 and getattr(settings, "codec", "") in (
        "dpx",
        "prores",
    ):
        raise BadInputError(
            "--bit-depth 8: "
            + ("DPX is written with 10 bits or more (10 unless 12 or 16 is asked)"
               if settings.codec == "dpx" else "ProRes is written with 10 bits")
        )  # fmt: skip
    if getattr(args, "recolour", False) and not settings.colorize:
        raise BadInputError("--recolour goes with --colorize (it colours pictures in colour anew)")
    if args.regrain and not (settings.upscale > 1 or settings.degrain > 0):
        raise BadInputError("--regrain goes with --degrain or --upscale (it follows the cleanup)")
    if not 0.0 <= args.regrain <= 2.0:
        raise BadInputError(f"--regrain must be within 0..2, got {args.regrain}")


# Options for a film's output (a file of frames written by a job): a picture has no use for
# them, nor a still (one frame of a film written as a picture).
FILM_OUTPUT_OPTIONS = (
    ("codec", "--codec"),
    ("bit_depth", "--bit-depth"),
    ("preview", "--preview"),
    ("start", "--from"),
    ("end", "--to"),
    ("restart", "--restart"),
    ("no_record", "--no-record"),
    ("memory_limit", "--memory-limit"),
    ("cluster", "--cluster"),
    ("cluster_gpus", "--cluster-gpus"),
    ("deliver_fps", "--deliver-fps"),
    ("soundtrack", "--soundtrack"),
    ("soundtrack_offset", "--soundtrack-offset"),
    ("own_sound", "--own-sound"),
)

# The restore options read into the settings: colour and size (any restore), and a film's own.
COLOUR_AND_SIZE = ("colorize", "colour_strength", "degrain", "upscale", "upscaler")
FILM_STAGES = ("deinterlace", "scan", "deflicker", "stabilize", "dust", "scratches")


def settings_of_args(
    args: argparse.Namespace, base: Any, names: tuple[str, ...], **given: Any
) -> Any:
    """`base`'s settings (a project's, or the defaults for None) with the options `names` the
    command line gave over them, and `given` (codec, crop, ...): `settings.settings_for`."""
    from panchro.engine.settings import settings_for

    try:
        return settings_for(base, **{n: getattr(args, n) for n in names}, **given)
    except BadInputError as exc:  # named as the project names it: the flag's name here
        word = exc.reason.split(" ", 1)[0]
        if not word.isidentifier() or exc.path is not None:
            raise
        raise BadInputError(f"--{word.replace('_', '-')}{exc.reason[len(word) :]}") from None


def part_of_args(args: argparse.Namespace) -> tuple[float | None, float | None] | None:
    """--from / --to as seconds (None: the film's start or end), or None for the whole film."""
    if args.start is None and args.end is None:
        return None
    start = None if args.start is None else parse_time(args.start)
    end = None if args.end is None else parse_time(args.end)
    if start is not None and end is not None and end <= start:
        raise BadInputError(f"--to ({args.end}) must come after --from ({args.start})")
    return start, end


def say_how_to_recolour(notes: Sequence[str], *, album: bool = False) -> None:
    """After a summary: how pictures and shots that kept their own colours
    (`restore.picture.OWN_COLOURS_KEPT`, `restore.own.OWN_SHOTS`) are coloured anew, once."""
    from panchro.engine.restore.own import OWN_SHOTS
    from panchro.engine.restore.picture import OWN_COLOURS_KEPT

    if any(note.startswith(OWN_SHOTS) for note in notes):
        print("(--recolour colours them anew, as the others)")
    elif any(note.endswith(OWN_COLOURS_KEPT) for note in notes):
        them = "the pictures in colour anew, as the others" if album else "it anew"
        print(f"(--recolour colours {them})")


def soundtrack_of_args(args: argparse.Namespace) -> Any:
    """The `--soundtrack` asked for, opened and checked (`media.Soundtrack`), or None."""
    from panchro.engine import media

    if args.soundtrack is None:
        if args.soundtrack_offset is not None:
            raise BadInputError("--soundtrack-offset places a --soundtrack: give its file too")
        return None
    if args.own_sound:
        raise BadInputError("--own-sound keeps the film's sound: give it or --soundtrack, not both")
    return media.open_soundtrack(args.soundtrack, args.soundtrack_offset or 0.0)


def resume_words(stopped: BaseException) -> str:
    """What a stopped restore left, and what the same command does with it: the cancelled
    error's `kept_frames` (none when no chunk was whole yet); an interrupt without it."""
    kept = getattr(stopped, "extra", {}).get("kept_frames")
    if kept is None:
        return "run the same command again to resume"
    if kept == 0:
        return "no chunk was whole yet: the same command starts again"
    return f"{kept:,} frames are kept: run the same command again to resume"
