"""Commands on a film: `info`, `frame`, `shots` and `restore`."""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import sys
from pathlib import Path
from typing import Any

from panchro.engine.cli import album, archive, picture, still
from panchro.engine.cli.common import (
    COLOUR_AND_SIZE,
    EXIT_OK,
    FILM_STAGES,
    add_deinterlace,
    add_fps,
    args_reading,
    borders_words,
    check_options,
    crop_of_args,
    fit_of_args,
    format_time,
    hints_of_args,
    levels_of_args,
    levels_said,
    levels_words,
    parse_time,
    part_of_args,
    reading_of,
    reference_of_args,
    resume_words,
    say_how_to_recolour,
    settings_of_args,
    soundtrack_of_args,
)
from panchro.engine.errors import BadInputError, CancelledError


def _megabytes(text: str) -> float:
    """ "2G", "1500M", "1.5g" or a number of megabytes -> megabytes."""
    t = text.strip().upper().removesuffix("B")
    scale = {"G": 1024.0, "M": 1.0}.get(t[-1:])
    try:
        value = float(t[:-1] if scale else t) * (scale or 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 2G, 1500M)") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the limit must be above zero")
    return value


_IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}


def _rate_note(info: Any, given: float | None) -> str:
    """Where a folder of frames' rate comes from (a video file's is its own)."""
    if info.kind != "frames" or given is not None:
        return ""
    if info.rate_from_files:
        return ", as the DPX files' headers say"
    return ", the default for frames that say no rate (--fps sets another)"


def cmd_info(args: argparse.Namespace) -> int:
    from panchro.engine import media

    verdict = album.folder_verdict(args)  # a folder: read as a film or an album, and why
    if verdict is not None and verdict.kind == "album":
        return album.cmd_info_album(args, verdict)
    if verdict is None and media.is_picture_path(args.file) and args.fps is None:
        return picture.cmd_info_picture(args)  # a photo, as its restore reads it
    info = args_reading(args, args.file).probe(args.file)
    if args.json:
        read_as = {} if verdict is None else {"read_as": verdict.to_dict()}
        print(json.dumps({**info.to_dict(), **read_as}, indent=2))
        return EXIT_OK
    rows: list[tuple[str, str]] = [
        ("file", info.path),
        ("kind", info.kind + (f" ({info.container})" if info.container else "")),
        ("video", f"{info.codec}, {info.pix_fmt}, {info.bit_depth} bit"),
        ("size", f"{info.width}x{info.height}, pixel aspect {info.sample_aspect_ratio}"),
        ("rotation", f"{info.rotation} degrees"),
        (
            "frame rate",
            f"{float(info.fps):.3f} fps ({info.fps})"
            + (", variable" if info.is_vfr else "")
            + _rate_note(info, args.fps),
        ),
        ("frames", str(info.frame_count)),
        ("fields", _scan(info)),
    ]
    if info.timecode:
        rows.append(("timecode", f"{info.timecode} on the first frame (carried onto the output)"))
    if info.retimed_from is not None:
        rows.append(("speed", media.retimed_note(info) or ""))
    if info.truncated:
        rows.append(("truncated", _truncation(info)))
    if info.missing_numbers:
        rows.append(("numbering", _gaps(info)))
    if info.log_scan:
        rows.append(("coding", _log_text(info)))
    if info.levels:
        rows.append(("levels", f"{levels_words(info.levels)}, stretched to the full range"))
    rows += [
        ("duration", format_time(info.duration_s)),
        ("time base", str(info.time_base)),
        (
            "colour",
            "matrix {}, range {}, primaries {}, transfer {}".format(
                *(
                    v or "untagged"
                    for v in (
                        info.color_matrix,
                        info.color_range,
                        info.color_primaries,
                        info.color_transfer,
                    )
                )
            ),
        ),
    ]
    for s in info.audio:
        detail = ", ".join(
            x
            for x in (
                s.codec,
                f"{s.channels} ch" if s.channels else "",
                f"{s.sample_rate} Hz" if s.sample_rate else "",
                s.language or "",
                s.title or "",
            )
            if x
        )
        rows.append((f"audio #{s.index}", detail))
    for s in info.subtitles:
        rows.append((f"subtitle #{s.index}", ", ".join(x for x in (s.codec, s.language) if x)))
    if info.chapters:
        rows.append(("chapters", str(info.chapters)))
    for s in info.other_streams:
        rows.append((f"{s.type} #{s.index}", s.codec))
    if verdict is not None:
        rows.append(("read as", verdict.describe()))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return EXIT_OK


def _truncation(info: Any) -> str:
    """What a cut-short file lost, in words: "40 of 132 frames" or, unsaid, "40 frames"."""
    if info.expected_frames:
        return (
            f"{info.frame_count} of {info.expected_frames} frames "
            "(the file is cut short; the rest is missing)"
        )
    return (
        f"{info.frame_count} frames can be decoded "
        "(the file is cut short; it does not say how many there were)"
    )


def _log_text(info: Any) -> str:
    """A log scan's coding, and what reading does about it."""
    from panchro.engine.media.dpx import describe_log

    return describe_log(info.log_scan, converted=bool(info.scan))


def _gaps(info: Any) -> str:
    """A frame folder's numbering gaps, and what reading does about them."""
    from panchro.engine.media.stills import describe_gaps

    return describe_gaps(info.missing_numbers, info.held_frames)


def _scan(info: Any) -> str:
    """Progressive or interlaced, and what reading does about it."""
    if not info.interlaced:
        said = info.field_order == "progressive" or info.kind != "video"
        return (
            "progressive"
            + ("" if said else " (the file does not say)")
            + (f"; {info.deinterlace}" if info.deinterlace != "not deinterlaced" else "")
        )
    order = f", {info.field_order}" if info.field_order not in (None, "progressive") else ""
    flagged = "flagged " if "pictures are progressive" in info.deinterlace else ""
    return f"{flagged}interlaced{order}; {info.deinterlace}"


def cmd_frame(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from panchro.engine import media
    from panchro.engine.fsutil import atomic_write

    if args.output.suffix.lower() not in _IMAGE_FORMATS:
        raise BadInputError("write a .png, .jpg or .tif file", path=args.output)
    out = media.check_output_path(args.output, inputs=[args.file], overwrite=args.overwrite)
    with args_reading(args, args.file).open(args.file) as src:
        if args.index is not None:
            index = args.index
        else:
            from panchro.engine.restore import pipeline

            # refused past the end, as `restore --at`: the last frame would pass for it
            at = parse_time(args.at) if args.at else 0.0
            index, _ = pipeline.part_of(src, at, None, what="--at asks a frame")
        if not 0 <= index < src.info.frame_count:
            raise BadInputError(
                f"frame {index} is outside the film (0..{src.info.frame_count - 1})",
                path=args.file,
            )
        deep = src.info.bit_depth > 8 and out.suffix.lower() in (".png", ".tif", ".tiff")
        frame = src.read_frame(index, fmt="rgb48" if deep else "rgb24", conceal=True)
    if frame.damaged:  # what a restore writes in its place is saved, and said
        print(f"panchro: frame {index} is damaged: the one before it is saved", file=sys.stderr)
    if deep:
        # PIL has no 16-bit RGB mode; keep 16 bits for grey films, else fall back to 8.
        img = frame.image
        if np.array_equal(img[..., 0], img[..., 1]) and np.array_equal(img[..., 0], img[..., 2]):
            pil = Image.fromarray(img[..., 0].astype(np.uint16))
        else:
            pil = Image.fromarray((img >> 8).astype(np.uint8))
    else:
        pil = Image.fromarray(frame.image)
    fmt = _IMAGE_FORMATS[out.suffix.lower()]
    atomic_write(out, lambda tmp: pil.save(tmp, format=fmt), what="the image")
    print(f"frame {frame.index} at {format_time(frame.time_s)} -> {out}")
    return EXIT_OK


def flicker_words(level: float | None) -> str:
    """How much a film flickers, in words, from `shots.CutAnalysis.flicker`."""
    from panchro.engine.service.protocol import flicker_grade

    grade = flicker_grade(level)
    if grade is None or level is None:
        return "flicker: too short to tell"
    if grade == "little or none":
        return f"flicker: {grade} ({level:.1f} grey levels a frame)"
    return f"flicker: {grade}, {level:.1f} grey levels a frame (--deflicker evens it out)"


def cmd_shots(args: argparse.Namespace) -> int:
    from panchro.engine import shots
    from panchro.engine.progress import Progress, TerminalBar
    from panchro.engine.service.protocol import survey_words
    from panchro.engine.survey import film_borders, film_levels, survey

    with args_reading(args, args.file).open(args.file) as src:
        bar = TerminalBar("shots") if not args.quiet else None
        progress = Progress(src.info.frame_count, bar, stage="analyse")
        analysis = shots.analyse(src, progress=progress)
        progress.finish()
        if bar:
            bar.close()
        fps = float(src.info.fps) or 24.0
        seen = None if args.json else survey(src, analysis.shots)
        borders = None if args.json else film_borders(src)
        stretched = src.info.levels
        measured = None if args.json or stretched else film_levels(src)
    found = analysis.shots
    if args.json:
        print(json.dumps([s.to_dict() for s in found], indent=2))
        return EXIT_OK
    print(f"{len(found)} shot(s); {flicker_words(analysis.flicker)}")
    scratches, dirt = survey_words(None if seen is None else seen.to_dict())
    print(
        f"scratches: {scratches}" + (" (--scratches takes them out)" if seen and seen.lines else "")
    )
    print(f"dirt: {dirt}" + (" (--dust fills it)" if seen and seen.dirty else ""))
    print(f"borders: {borders_words(borders)}")
    print(f"levels: {levels_said(measured, stretched)}")
    print("frames counted from 0 as --frame takes them (the app and the record count from 1)")
    print(f"{'#':>4}  {'first':>7}  {'last':>7}  {'key':>7}  {'starts at':>12}  {'length':>8}")
    for i, s in enumerate(found):
        print(f"{i:>4}  {s.start:>7}  {s.end - 1:>7}  {s.key_frame:>7}  "
              f"{format_time(s.start / fps):>12}  {(s.end - s.start) / fps:>7.2f}s")  # fmt: skip
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from panchro.engine import media
    from panchro.engine.progress import Progress, TerminalBar
    from panchro.engine.project import Project, Settings
    from panchro.engine.restore import stages as stages_module

    if args.batch is not None:  # a whole archive of films
        if args.start is not None or args.end is not None:
            raise BadInputError("--from and --to take a part of one film, not of an archive")
        if args.crop is not None or args.at is not None:
            raise BadInputError("--crop and --at are for one film, not an archive")
        picture.refuse_photo_only(args, "an archive of films")
        return archive.cmd_restore_archive(args, check_options)
    if not args.input:
        raise BadInputError(
            "give what to restore and where: panchro restore INPUT OUTPUT (or a whole "
            "archive: panchro restore --batch LIST_OR_DIR OUTDIR)"
        )
    verdict = album.album_verdict(args)  # several pictures, or a folder of unrelated ones
    if verdict is not None:
        return album.cmd_restore_album(args, verdict, picture.FILM_ONLY, check_options)
    args.input = args.input[0]  # one film or one picture from here on
    if args.fps is None and args.project and Path(args.project).is_file():
        with contextlib.suppress(BadInputError):  # a bad project is refused below, in words
            rate = Project.load(args.project).shown_at()
            args.fps = None if rate is None else float(rate)  # the film read as it was
    if still.wants_still(args):  # one frame of a film, as a picture
        return still.cmd_restore_still(args)
    if picture.picture_output(args):
        return picture.cmd_restore_picture(args)
    picture.refuse_photo_only(args)
    if args.cluster is not None:
        from panchro.engine.cluster import run as cluster

        if args.preview is not None:
            raise BadInputError("--preview renders here: leave out --cluster for it")
        cluster.require_ray()  # before any work: say what to install
        cluster.check_reachable(args.cluster)  # and that a cluster is there
        if not args.cluster_gpus >= 0:
            raise BadInputError(f"--cluster-gpus must be 0 or more, got {args.cluster_gpus}")
    elif args.cluster_gpus:
        raise BadInputError("--cluster-gpus goes with --cluster")
    # A cut-short file would restore into a shorter film without a word: say it first.
    info = media.probe(args.input, fps=args.fps)
    if info.truncated and not args.allow_truncated:
        raise BadInputError(
            f"is truncated: {_truncation(info)}; restore the frames that are there with "
            "--allow-truncated, or use a complete copy",
            path=args.input,
        )
    if info.truncated:
        said = f"is truncated: restoring what is there, {_truncation(info)}"
        print(f"panchro: warning: {args.input} {said}", file=sys.stderr)
    project, made = None, False
    if args.project:
        if Path(args.project).exists():
            project = Project.load(args.project)
            reading = project.keep_frame_numbers() if args.deinterlace is None else None
            if reading:
                print(f"panchro: {args.project}: {reading}", file=sys.stderr)
        else:  # a new project records the shots and the automatic picks of this run
            if not str(args.project).endswith(".panchro"):
                raise BadInputError("project files end in .panchro", path=args.project)
            # a command refused for its output writes nothing, a new project neither
            given = [args.input]
            out = media.check_output_path(args.output, inputs=given, overwrite=args.overwrite)
            media.check_codec_path(args.codec or "h264", out)
            media.check_output_path(args.project, inputs=given, overwrite=True)
            counted = Settings(deinterlace=args.deinterlace or "auto", scan=args.scan or "auto")
            project, made = Project.new(args.input, fps=args.fps, settings=counted), True
            project.save(args.project)
            print(f"new project: {args.project}", file=sys.stderr)
    settings = settings_of_args(
        args,
        project,
        (*COLOUR_AND_SIZE, *FILM_STAGES),
        codec=args.codec,
        bit_depth=args.bit_depth,
        crop=crop_of_args(args, info),
    )
    settings = fit_of_args(args, levels_of_args(args, settings, args.input, args.fps, project))
    if made:  # the app opens it restoring as this run did (a project there keeps its own)
        project.settings = settings
        project.save()
    if info.missing_numbers or info.log_scan or settings.scan != "auto" or settings.levels:
        # said as the film is read: its gaps held or closed up, its values as the project reads
        info = reading_of(settings, args.fps).probe(args.input)
    if info.missing_numbers:
        print(f"panchro: warning: {args.input}: {_gaps(info)}", file=sys.stderr)
    if info.log_scan:
        print(f"panchro: warning: {args.input}: {_log_text(info)}", file=sys.stderr)
    all_picked = bool(project and project.shots and all(p is not None for p in project.picks))
    if all_picked and settings.colorize and args.seed:  # it looked taken, and changed nothing
        print(f"panchro: note: --seed {args.seed} draws the shots without a pick, and every shot"
              " of the project has one", file=sys.stderr)  # fmt: skip
    check_options(args, settings)
    hints = hints_of_args(args, settings, info, project)
    reference = reference_of_args(args, settings)
    colours = {"hints": hints, "reference": reference, "recolour": args.recolour}
    stages = stages_module.build_stages(
        settings, seed=args.seed, all_picked=all_picked, regrain=args.regrain, **colours
    )
    preview = None
    if args.preview is not None:
        preview = parse_time(args.preview.removesuffix("s"))
    bar = TerminalBar("preview" if preview is not None else "restore") if not args.quiet else None
    progress = Progress(None, bar)
    with contextlib.ExitStack() as stack:
        executor = None
        if args.cluster is not None:
            # Built again inside each task with every pick decided (the driver decides them);
            # a task given no GPU keeps to the CPU even on a node that has one.
            recipe = functools.partial(
                stages_module.build_stages,
                settings,
                seed=args.seed,
                all_picked=True,
                regrain=args.regrain,
                device=None if args.cluster_gpus else "cpu",
                **colours,
            )
            gpus = args.cluster_gpus
            executor = stack.enter_context(cluster.session(args.cluster, recipe, gpus=gpus))
        summary = _run_restore(args, settings, stages, project, preview, progress, bar, executor)
    print(summary.describe())
    say_how_to_recolour(summary.notes)
    if info.truncated:
        print(f"note: the input is truncated: {_truncation(info)}")
    if info.missing_numbers:
        print(f"note: {_gaps(info)}")
    if info.log_scan:
        print(f"note: {_log_text(info)}")
    return EXIT_OK


def _run_restore(
    args: argparse.Namespace,
    settings: Any,
    stages: Any,
    project: Any,
    preview: float | None,
    progress: Any,
    bar: Any,
    executor: Any,
) -> Any:
    from panchro.engine.restore import pipeline

    try:
        return pipeline.restore(
            args.input,
            args.output,
            codec=settings.codec,
            bit_depth=settings.bit_depth,
            overwrite=args.overwrite,
            progress=progress,
            stages=stages,
            project=project,
            batch=args.batch_frames,
            chunk_seconds=args.chunk_seconds,
            keep_job=True,
            restart=args.restart,
            preview=preview,
            memory_limit_mb=args.memory_limit,
            executor=executor,
            reading=reading_of(settings, args.fps),
            span_s=part_of_args(args),
            record=not args.no_record,
            deliver_fps=args.deliver_fps,
            soundtrack=soundtrack_of_args(args),
            own_sound=args.own_sound,
        )
    except (CancelledError, KeyboardInterrupt) as exc:
        if preview is None:
            print(f"panchro: {resume_words(exc)}", file=sys.stderr)
        raise
    finally:
        if bar:
            bar.close()


def add_parsers(sub: Any) -> None:
    """Add this group's commands to the top-level subparsers `sub`."""
    p = sub.add_parser(
        "info", help="describe a film (streams, size, timing, colour tags) or a photo"
    )
    p.add_argument("file", help="video file, folder of frames, or image")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    album.add_read_as_options(p)
    add_fps(p)
    add_deinterlace(p)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("frame", help="save one frame as an image")
    p.add_argument("file", help="video file, folder of frames, or image")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--at", help="time: seconds, MM:SS or HH:MM:SS.ms (default 0)")
    where.add_argument("--index", type=int, help="frame number, from 0")
    p.add_argument(
        "-o", "--output", type=Path, required=True, help="image to write (.png, .jpg, .tif)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    add_fps(p)
    add_deinterlace(p)
    p.set_defaults(func=cmd_frame)

    p = sub.add_parser("shots", help="find the cuts and a key frame per shot")
    p.add_argument("file", help="video file, folder of frames, or image")
    p.add_argument("--json", action="store_true",
                   help="print JSON instead of a table: each shot's start, end (the frame after"
                   " it) and key frame, counted from 0")  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_fps(p)
    add_deinterlace(p)
    p.set_defaults(func=cmd_shots)

    p = sub.add_parser(
        "restore",
        help="restore a film (keeping its sound, resumable) or a photo into a new file",
        description="Restore a film or a photo. A film's output is written in chunks beside "
        "it (OUTPUT.panchro-job/); if the run stops, the same command resumes it. A photo "
        "(.jpg, .jpeg, .png, .tif, .tiff, .webp or .bmp in) restored to a picture (.jpg, "
        ".jpeg, .png, .tif, .tiff or .webp out: the extension decides the format) goes "
        "through the same stages as a film frame and is written whole: 16-bit PNG/TIFF stay "
        "16-bit, JPEG/WebP at --quality 95; its ICC profile, DPI and EXIF (not the "
        "thumbnail) are kept, and the EXIF Software tag says what Panchro did. Several "
        "pictures, or a folder of unrelated ones (see `panchro info FOLDER`), are an album: "
        "each picture restored on its own into OUTPUT, a folder, with the same names; a "
        "rerun skips the pictures done. --batch LIST_OR_DIR restores a whole archive of films "
        "into the folder OUTPUT (docs/cluster.md).",
    )
    p.add_argument(
        "input",
        nargs="*",  # none with --batch, whose list or folder names the films
        metavar="INPUT",
        help="video file, folder of frames, a photo, or an album (pictures and folders)",
    )
    p.add_argument(
        "output",
        help="output file (.mp4, .mov, .mkv), folder for png16/tiff16/dpx, a picture "
        "(.jpg, .png, .tif, .webp), or with --batch the folder of the restored films",
    )
    p.add_argument(
        "--batch",
        type=archive.batch_source,
        default=None,
        metavar="LIST_OR_DIR",
        help="restore a whole archive into OUTPUT, a folder: the films of a list file (one"
        " path a line, # comments) or of a folder, each as NAME.EXT there (EXT from --codec:"
        " .mp4, .mov, .mkv, or a folder of frames), each its own resumable job; a rerun"
        " skips the films done; with --cluster their chunks run on a Ray cluster",
    )
    p.add_argument(
        "--project",
        help="a .panchro project of the input: shots, picks, settings (made with this run's"
        " settings if it is not there); for an album, an album's project (saved by the app):"
        " its pictures' picks, hints and settings",
    )
    p.add_argument(
        "--codec",
        default=None,
        choices=["h264", "h265", "prores", "ffv1", "png16", "tiff16", "dpx"],
        help="output codec (default: the project's, else h264); dpx writes a folder of DPX"
        " frames, 10-bit RGB (16 with --bit-depth 16), as film scanners and grading suites"
        " exchange them",
    )
    p.add_argument(
        "--bit-depth", type=int, default=None, choices=[8, 10, 16], help="output bit depth"
    )
    p.add_argument(
        "--colorize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="colorize every shot from its pick (project), or a seeded automatic one;"
        " --no-colorize leaves a project's colours off (default: the project's, else off)",
    )
    p.add_argument(
        "--hints",
        type=Path,
        default=None,
        metavar="FILE",
        help="colour points and strokes (JSON, docs/hints.md) that steer the colours of the"
        " shots they are on; kept in the --project",
    )
    p.add_argument(
        "--reference",
        type=Path,
        default=None,
        metavar="PICTURE",
        help="a colour photo of the same scene, place or era: it lends its colours to the"
        " shots without a pick (hints still correct them)",
    )
    p.add_argument(
        "--recolour",
        action="store_true",
        help="pictures and shots in colour already colorized like the others; without it"
        " each keeps its own colours",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="base seed of automatic picks (shots without one)"
    )
    p.add_argument(
        "--colour-strength",
        type=float,
        default=None,
        metavar="S",
        dest="colour_strength",
        help="how strong the colours are, 0..2: each shot's colours as drawn (1), weaker for a"
        " period look (0.6), stronger (1.3); the luma is untouched (default: the project's,"
        " else 1)",
    )
    p.add_argument("--degrain", type=float, default=None, help="grain removal 0..1 (upscaler)")
    p.add_argument(
        "--deflicker",
        type=float,
        default=None,
        metavar="S",
        help="even out the film's flicker (frame-to-frame changes of exposure), 0..1: how much"
        " of it (1: all; default: the project's, else none)",
    )
    p.add_argument(
        "--stabilize",
        type=float,
        default=None,
        metavar="S",
        help="take out gate weave (the whole frame jittering from frame to frame), keeping the"
        " camera's moves, 0..1: how much of it (default: the project's, else none)",
    )
    p.add_argument(
        "--dust",
        type=float,
        default=None,
        metavar="S",
        help="find specks of dirt on single frames and fill them from the frames either side"
        " (a photograph's, by the look of dirt alone), 0..1: how faint a speck is still taken"
        " (1: the faintest; default: the project's, else none)",
    )
    p.add_argument(
        "--scratches",
        type=float,
        default=None,
        metavar="S",
        help="find line scratches down the film (thin lines that stay in place from frame to"
        " frame) and take them out, keeping the grain under them, 0..1: how faint a scratch is"
        " still taken (1: the faintest; default: the project's, else none)",
    )
    p.add_argument(
        "--straighten",
        action="store_true",
        help="a photo (or each picture of an album) scanned crooked turned square first, by its"
        " straight edges (a print's paper, the picture's own), before its border is cut",
    )
    p.add_argument(
        "--crop",
        default=None,
        metavar="PIXELS",
        help="cut the borders round the picture off (a scan's frame line or gate edge, a"
        " letterbox's bars; a photo's black or paper-white border): auto (found on a dozen"
        " frames, on each picture of an album), pixels N, H,V or L,T,R,B (left, top, right,"
        " bottom), or none (default: the project's, else none)",
    )
    p.add_argument(
        "--upscale", type=int, default=None, choices=[1, 2, 4], help="super-resolution factor"
    )
    p.add_argument(
        "--fit",
        default=None,
        metavar="SIZE",
        help="deliver at a standard size: the picture fitted inside hd (1920x1080), uhd"
        " (3840x2160) or WIDTHxHEIGHT, its shape kept and its pixels made square, after"
        " --upscale (enlarge first for the model's detail); none: as the stages leave it"
        " (default: the project's)",
    )
    p.add_argument(
        "--fit-frame",
        action="store_true",
        help="with --fit, write the whole size, the picture in its middle on black (pillarbox"
        " or letterbox), as television delivers it",
    )
    p.add_argument(
        "--upscaler",
        default=None,
        choices=["film", "sharp"],
        help="film (default): cleans grain, blur and dust as it enlarges; sharp: for clean"
        " sources (photos, good transfers), sharper, keeps grain",
    )
    p.add_argument(
        "--regrain",
        type=float,
        default=0.0,
        help="after cleanup, put back this share (0..2) of the source's measured film grain",
    )
    p.add_argument(
        "--batch-frames",
        type=int,
        default=8,
        metavar="N",
        help="frames per temporal batch for the stages (default 8; fewer for big frames)",
    )
    p.add_argument(
        "--preview",
        metavar="SECONDS",
        default=None,
        help="render this long from the middle (of the part --from and --to give, if given), "
        "before | after side by side (e.g. 5s)",
    )
    p.add_argument(
        "--at",
        metavar="TIME",
        default=None,
        help="one frame of the film, the one on screen at TIME, restored into a picture output "
        "(.png, .tif: 16 bits; .jpg, .webp) as the film's export holds it",
    )
    p.add_argument(
        "--from",
        dest="start",
        metavar="TIME",
        default=None,
        help="restore only a part of the film, from this time (seconds, MM:SS or "
        "HH:MM:SS.ms); the output starts at 0 with that part's sound",
    )
    p.add_argument(
        "--to",
        dest="end",
        metavar="TIME",
        default=None,
        help="... until this time (frames that start before it); with the project's shots, "
        "the frames are the ones a whole film's restore gives",
    )
    p.add_argument(
        "--chunk-seconds", type=float, default=2.0, help="chunk length for resuming (default 2)"
    )
    p.add_argument(
        "--quality",
        type=int,
        default=None,
        help="JPEG/WebP picture quality 1..100 (default 95); PNG and TIFF are lossless",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--restart", action="store_true", help="drop an unfinished job and start over")
    p.add_argument(
        "--deliver-fps",
        type=float,
        default=None,
        metavar="FPS",
        help="write the film at this rate, faster than it is shown at, by showing some frames"
        " twice in a steady cadence (stretch printing: a silent film shown at 18 fps delivered"
        " at 24 for players and broadcast that take sound speeds alone; the running time is"
        " kept; default: the project's, else the rate it is shown at)",
    )
    p.add_argument(
        "--soundtrack",
        default=None,
        metavar="FILE",
        help="deliver the film with this file's sound in place of its own (a score for a silent"
        " film, a track cleaned elsewhere): its first audio stream, copied as it is where the"
        " output's container holds it (else re-encoded: ALAC in .mov, FLAC in .mkv, AAC in"
        " .mp4), from the film's first frame, cut where the pictures end; default: the"
        " project's",
    )
    p.add_argument(
        "--soundtrack-offset",
        type=float,
        default=None,
        metavar="SECONDS",
        help="start the --soundtrack that many seconds into the film (negative: leave out its"
        " first seconds); default 0",
    )
    p.add_argument(
        "--own-sound",
        action="store_true",
        help="keep the film's own sound even where the project gives a soundtrack",
    )
    p.add_argument(
        "--no-record",
        action="store_true",
        help="no restoration record (OUTPUT.restoration.md: the source, how it was read, each "
        "stage, each shot's colours) beside the film",
    )
    p.add_argument(
        "--allow-truncated",
        action="store_true",
        help="restore what is there of a file that is cut short (else it is refused)",
    )
    p.add_argument(
        "--memory-limit",
        type=_megabytes,
        default=None,
        metavar="SIZE",
        help="refuse at once a run whose estimated peak memory is above SIZE (e.g. 2G, 1500M;"
        " default: the memory the system has free)",
    )
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        default=None,
        help="render the chunks on a Ray cluster: `local` starts one on this machine, "
        "host:port joins a running one (the film and the output's folder must be on storage "
        "every node sees; needs pip install 'panchro[cluster]')",
    )
    p.add_argument(
        "--cluster-gpus",
        type=float,
        default=0.0,
        metavar="N",
        help="GPUs each chunk's task asks for with --cluster (1, or 0.5 to share one);"
        " default 0: the chunks run on CPUs",
    )
    album.add_read_as_options(p)
    album.add_album_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_fps(p, project=True)
    add_deinterlace(p, default=None)
    p.set_defaults(func=cmd_restore)
