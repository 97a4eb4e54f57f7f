"""`panchro` — the command line. Everything the GUI does is reachable from here.

Heavy modules (PyAV, torch) are imported inside the commands, so `--help` and
`--version` answer at once. A `PanchroError` becomes one line on stderr and a
non-zero exit; a traceback is printed only for a real bug.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from panchro.engine import __version__
from panchro.engine.errors import BadInputError, CancelledError, PanchroError

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


# --- commands ---------------------------------------------------------------------------


def cmd_info(args: argparse.Namespace) -> int:
    from panchro.engine import media

    info = media.probe(args.file, fps=args.fps)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
        return EXIT_OK
    rows: list[tuple[str, str]] = [
        ("file", info.path),
        ("kind", info.kind + (f" ({info.container})" if info.container else "")),
        ("video", f"{info.codec}, {info.pix_fmt}, {info.bit_depth} bit"),
        ("size", f"{info.width}x{info.height}, pixel aspect {info.sample_aspect_ratio}"),
        ("rotation", f"{info.rotation} degrees"),
        (
            "frame rate",
            f"{float(info.fps):.3f} fps ({info.fps})" + (", variable" if info.is_vfr else ""),
        ),
        ("frames", str(info.frame_count)),
    ]
    if info.truncated:
        rows.append(("truncated", _truncation(info)))
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
    for s in info.other_streams:
        rows.append((f"{s.type} #{s.index}", s.codec))
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


_IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}


def cmd_frame(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from panchro.engine import media
    from panchro.engine.fsutil import atomic_write

    if args.output.suffix.lower() not in _IMAGE_FORMATS:
        raise BadInputError("write a .png, .jpg or .tif file", path=args.output)
    out = media.check_output_path(args.output, inputs=[args.file], overwrite=args.overwrite)
    with media.open_source(args.file, fps=args.fps) as src:
        if args.index is not None:
            index = args.index
        else:
            index = src.index_at(parse_time(args.at) if args.at else 0.0)
        if not 0 <= index < src.info.frame_count:
            raise BadInputError(
                f"frame {index} is outside the film (0..{src.info.frame_count - 1})",
                path=args.file,
            )
        deep = src.info.bit_depth > 8 and out.suffix.lower() in (".png", ".tif", ".tiff")
        frame = src.read_frame(index, fmt="rgb48" if deep else "rgb24")
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


def cmd_shots(args: argparse.Namespace) -> int:
    from panchro.engine import media, shots
    from panchro.engine.progress import Progress, TerminalBar

    with media.open_source(args.file, fps=args.fps) as src:
        bar = TerminalBar("shots") if not args.quiet else None
        progress = Progress(src.info.frame_count, bar, stage="analyse")
        found = shots.detect_shots(src, progress=progress)
        progress.finish()
        if bar:
            bar.close()
        fps = float(src.info.fps) or 24.0
    if args.json:
        print(json.dumps([s.to_dict() for s in found], indent=2))
        return EXIT_OK
    print(f"{len(found)} shot(s)")
    print(f"{'#':>4}  {'start':>7}  {'end':>7}  {'key':>7}  {'starts at':>12}  {'length':>8}")
    for i, s in enumerate(found):
        print(
            f"{i:>4}  {s.start:>7}  {s.end:>7}  {s.key_frame:>7}  "
            f"{format_time(s.start / fps):>12}  {(s.end - s.start) / fps:>7.2f}s"
        )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from panchro.engine import media
    from panchro.engine.progress import Progress, TerminalBar
    from panchro.engine.project import Project
    from panchro.engine.restore import pipeline

    # A cut-short file would restore into a shorter film without a word: say it first.
    info = media.probe(args.input, fps=args.fps)
    if info.truncated and not args.allow_truncated:
        raise BadInputError(
            f"is truncated: {_truncation(info)}; restore the frames that are there with "
            "--allow-truncated, or use a complete copy",
            path=args.input,
        )
    if info.truncated:
        print(
            f"panchro: warning: {args.input} is truncated: restoring what is there, "
            f"{_truncation(info)}",
            file=sys.stderr,
        )
    project = None
    if args.project:
        if Path(args.project).exists():
            project = Project.load(args.project)
        else:  # a new project records the shots and the automatic picks of this run
            if not str(args.project).endswith(".panchro"):
                raise BadInputError("project files end in .panchro", path=args.project)
            project = Project.new(args.input, fps=args.fps)
            project.save(args.project)
            print(f"new project: {args.project}", file=sys.stderr)
    settings = pipeline.settings_for(
        project,
        codec=args.codec,
        bit_depth=args.bit_depth,
        colorize=args.colorize,
        degrain=args.degrain,
        upscale=args.upscale,
        upscaler=args.upscaler,
    )
    all_picked = bool(project and project.shots and all(p is not None for p in project.picks))
    if args.regrain and not (settings.upscale > 1 or settings.degrain > 0):
        raise BadInputError("--regrain goes with --degrain or --upscale (it follows the cleanup)")
    if not 0.0 <= args.regrain <= 2.0:
        raise BadInputError(f"--regrain must be within 0..2, got {args.regrain}")
    stages = pipeline.build_stages(
        settings,
        source=args.input,
        fps=args.fps,
        seed=args.seed,
        all_picked=all_picked,
        regrain=args.regrain,
    )
    preview = None
    if args.preview is not None:
        preview = parse_time(args.preview.removesuffix("s"))
    bar = TerminalBar("preview" if preview is not None else "restore") if not args.quiet else None
    progress = Progress(None, bar)
    try:
        summary = pipeline.restore(
            args.input,
            args.output,
            codec=settings.codec,
            bit_depth=settings.bit_depth,
            overwrite=args.overwrite,
            fps=args.fps,
            progress=progress,
            stages=stages,
            project=project,
            batch=args.batch,
            chunk_seconds=args.chunk_seconds,
            keep_job=True,
            restart=args.restart,
            preview=preview,
        )
    except (CancelledError, KeyboardInterrupt):
        if preview is None:
            print("panchro: run the same command again to resume", file=sys.stderr)
        raise
    finally:
        if bar:
            bar.close()
    print(summary.describe())
    if info.truncated:
        print(f"note: the input is truncated: {_truncation(info)}")
    return EXIT_OK


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


def cmd_train_colorizer(args: argparse.Namespace) -> int:
    from panchro.engine.train.colorizer import train_colorizer

    train_colorizer(
        args.data,
        args.out,
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        config=args.config,
        resume=args.resume,
        device=args.device,
        time_limit=args.time_limit,
        export=args.export,
        seed=args.seed,
    )
    return EXIT_OK


def cmd_train_refiner(args: argparse.Namespace) -> int:
    from panchro.engine.train.refiner import train_refiner

    train_refiner(
        args.data,
        args.out,
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        l1_weight=args.l1,
        config=args.config,
        resume=args.resume,
        device=args.device,
        time_limit=args.time_limit,
        export=args.export,
        seed=args.seed,
        video_every=args.video_every,
        log_every=args.log_every,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
    )
    return EXIT_OK


def cmd_train_upscaler(args: argparse.Namespace) -> int:
    from panchro.engine.train.upscaler import train_upscaler

    train_upscaler(
        args.data,
        args.out or Path(f"out/train_upscaler_x{args.scale}"),
        scale=args.scale,
        config=args.config,
        frames=args.frames,
        steps=args.steps,
        batch=args.batch,
        patch=args.patch,
        lr=args.lr,
        resume=args.resume,
        device=args.device,
        workers=args.workers,
        time_limit=args.time_limit,
        export=args.export,
        seed=args.seed,
        video_every=args.video_every,
        log_every=args.log_every,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        bicubic_only=args.bicubic_only,
        kind=args.kind,
    )
    return EXIT_OK


def cmd_eval_upscaler(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.upscaler import DEFAULT_SETS, before_after, eval_upscaler

    eval_upscaler(
        args.scale,
        args.weights,
        data=args.data or DEFAULT_SETS,
        realistic=not args.no_realistic,
        seed=args.seed,
        device=args.device,
        sheet=args.sheet,
    )
    if args.film is not None:
        out = before_after(
            args.film,
            args.before_after,
            scale=args.scale,
            weights=args.weights,
            frame=args.frame,
            device=args.device,
        )
        print(f"before/after (nearest | bicubic | model): {out}")
    return EXIT_OK


def cmd_eval_colorizer(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.colorizer import eval_colorizer

    eval_colorizer(
        args.data,
        args.weights,
        k=args.k,
        limit=args.limit,
        out_sheet=args.sheet,
        seed=args.seed,
        temperature=args.temperature,
        split=args.split,
        device=args.device,
    )
    return EXIT_OK


def cmd_eval_video(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.video import eval_video

    eval_video(
        args.data,
        refiner=args.refiner,
        colorizer=args.colorizer,
        frames=args.frames,
        per_frame=args.per_frame,
        max_side=args.max_side,
        seed=args.seed,
        device=args.device,
    )
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    """K colour modes of one picture (or one frame of a film) side by side in a PNG."""
    from panchro.engine import media
    from panchro.engine.fsutil import atomic_write
    from panchro.engine.inference import colorize

    if args.output.suffix.lower() != ".png":
        raise BadInputError("write the contact sheet as a .png file", path=args.output)
    if not 1 <= args.k <= 16:
        raise BadInputError(f"-k must be 1..16 for a contact sheet, got {args.k}")
    if not 0 <= args.temperature <= 10:
        raise BadInputError(f"--temperature must be within 0..10, got {args.temperature}")
    src_path = Path(args.image)
    out = media.check_output_path(args.output, inputs=[src_path], overwrite=args.overwrite)
    if src_path.suffix.lower() in media.VIDEO_CONTAINERS or src_path.is_dir():
        with media.open_source(src_path) as src:
            info = src.info
            index = args.frame if args.frame is not None else info.frame_count // 2
            if not 0 <= index < info.frame_count:
                raise BadInputError(
                    f"frame {index} is outside the film (0..{info.frame_count - 1})",
                    path=src_path,
                )
            fmt = "gray16" if info.bit_depth > 8 else "gray"
            luma = colorize.luma_of(src.read_frame(index, fmt=fmt).image)
        from panchro.engine.imaging.color import matrix_for

        matrix, notes = matrix_for(info.color_matrix, info.height, info.width), ()
    else:
        if args.frame is not None:
            raise BadInputError("--frame is for films; this is a picture", path=src_path)
        still = colorize.read_still(src_path)
        luma, matrix, notes = still.luma, still.matrix, still.notes
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    loaded = colorize.load_colorizer(args.weights, device=args.device)
    if not loaded.trained:
        print(
            f"warning: the colorizer at {loaded.path} is UNTRAINED: its colours are noise",
            file=sys.stderr,
        )
    found = colorize.sample_candidates(
        loaded, luma, k=args.k, seed=args.seed, temperature=args.temperature
    )
    refiner = colorize.load_refiner(device=loaded.device)
    sheet = colorize.contact_sheet(
        colorize.fit_luma(luma, 1024), found, matrix=matrix, height=args.height, refiner=refiner
    )
    atomic_write(out, lambda tmp: sheet.save(tmp, format="PNG"), what="contact sheet")
    label = "trained" if loaded.trained else "UNTRAINED"
    print(
        f"{found.k} colour mode(s), seed {found.seed}, temperature {found.temperature:g},"
        f" {found.seconds:.2f} s on {loaded.device} ({label}, {loaded.scale})"
        f"{', refined' if refiner is not None else ''} -> {out}"
    )
    return EXIT_OK


def cmd_bench_sample(args: argparse.Namespace) -> int:
    from panchro.engine.bench.models import bench_sample
    from panchro.engine.train.colorizer import config_named

    ks = tuple(int(k) for k in args.k.split(","))
    bench_sample(args.device, ks, config=config_named(args.config))
    return EXIT_OK


def cmd_bench_refine(args: argparse.Namespace) -> int:
    from panchro.engine.bench.models import bench_refine

    kwargs = {}
    if args.batches:
        ts = tuple(int(t) for t in args.batches.split(","))
        kwargs = {"cpu_batches": ts, "cuda_batches": ts}
    bench_refine(
        device=args.device, weights=args.weights, config=args.config, frames=args.frames, **kwargs
    )
    return EXIT_OK


def cmd_bench_upscale(args: argparse.Namespace) -> int:
    from panchro.engine.bench.models import bench_upscale

    bench_upscale(args.device, frames=args.frames)
    return EXIT_OK


def cmd_bench_io(args: argparse.Namespace) -> int:
    from panchro.engine.bench.io import bench_io

    bench_io(seconds=args.seconds, stream_minutes=args.minutes)
    return EXIT_OK


def _bench_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1920x1080") from None
    if w < 16 or h < 16 or w % 2 or h % 2:
        raise argparse.ArgumentTypeError(f"{text!r}: use even sides of 16 or more")
    return w, h


def cmd_bench_scrub(args: argparse.Namespace) -> int:
    from panchro.engine.bench.restore import bench_scrub

    bench_scrub(seconds=args.seconds, max_side=args.max_side, reads=args.reads)
    return 0


def cmd_bench_huge(args: argparse.Namespace) -> int:
    from panchro.engine.bench.memory import bench_huge

    width, height = args.size
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    unknown = sorted(set(cases) - {"none", "upscale", "colorize"})
    if unknown:
        raise BadInputError(f"unknown case(s) {', '.join(unknown)}: use none, upscale, colorize")
    bench_huge(width=width, height=height, cases=cases, codec=args.codec, content=args.content)
    return EXIT_OK


def cmd_bench_restore(args: argparse.Namespace) -> int:
    from panchro.engine.bench.restore import bench_restore

    if args.models:
        from panchro.engine.bench.restore import bench_restore_models

        width, height = args.size
        bench_restore_models(
            width=width, height=height, seconds=args.seconds, upscale=args.upscale,
            codec=args.codec, device=args.device, batch=args.batch,
        )  # fmt: skip
        return 0
    bench_restore(seconds=args.seconds, minutes=args.minutes, long_minutes=args.long)
    return EXIT_OK


# --- parser -------------------------------------------------------------------------------


def _add_fps(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fps", type=float, default=None, help="frame rate of a folder of frames (default 24)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="panchro",
        description="Restore old films: colorize, clean up, upscale, keep the sound.",
    )
    parser.add_argument("--version", action="version", version=f"panchro {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("info", help="describe a film: streams, size, timing, colour tags")
    p.add_argument("file", help="video file, folder of frames, or image")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_fps(p)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("frame", help="save one frame as an image")
    p.add_argument("file", help="video file, folder of frames, or image")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--at", help="time: seconds, MM:SS or HH:MM:SS.ms (default 0)")
    where.add_argument("--index", type=int, help="frame number, from 0")
    p.add_argument("-o", "--output", type=Path, required=True, help="image to write (.png, .jpg)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    _add_fps(p)
    p.set_defaults(func=cmd_frame)

    p = sub.add_parser("shots", help="find the cuts and a key frame per shot")
    p.add_argument("file", help="video file, folder of frames, or image")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_fps(p)
    p.set_defaults(func=cmd_shots)

    p = sub.add_parser("sample", help="K colour modes of a picture side by side (a PNG sheet)")
    p.add_argument("image", help="a picture, or a film with --frame")
    p.add_argument("-k", type=int, default=4, help="how many colour modes (default 4)")
    p.add_argument("--seed", type=int, default=None, help="same seed, same colours")
    p.add_argument("--temperature", type=float, default=1.0, help="lower is tamer, 0 the likeliest")
    p.add_argument("--frame", type=int, default=None, help="frame of a film (default: middle)")
    p.add_argument("-o", "--output", type=Path, required=True, help="contact sheet (.png)")
    p.add_argument("--height", type=int, default=256, help="height of each picture on the sheet")
    p.add_argument("--weights", default=None, help="colorizer weights (default: shipped)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing sheet")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser(
        "restore",
        help="restore a film into a new file, keeping its sound (resumable)",
        description="Restore a film. The output is written in chunks beside it "
        "(OUTPUT.panchro-job/); if the run stops, the same command resumes it.",
    )
    p.add_argument("input", help="video file, folder of frames, or image")
    p.add_argument("output", help="output file (.mp4, .mov, .mkv) or folder for png16/tiff16")
    p.add_argument(
        "--project",
        help="a .panchro project of the input: shots, picks, settings (made if it is not there)",
    )
    p.add_argument(
        "--codec",
        default=None,
        choices=["h264", "h265", "prores", "ffv1", "png16", "tiff16"],
        help="output codec (default: the project's, else h264)",
    )
    p.add_argument(
        "--bit-depth", type=int, default=None, choices=[8, 10, 16], help="output bit depth"
    )
    p.add_argument(
        "--colorize",
        action="store_true",
        default=None,
        help="colorize every shot from its pick (project), or a seeded automatic one",
    )
    p.add_argument("--seed", type=int, default=0, help="base seed of automatic picks (default 0)")
    p.add_argument("--degrain", type=float, default=None, help="grain removal 0..1 (upscaler)")
    p.add_argument(
        "--upscale", type=int, default=None, choices=[1, 2, 4], help="super-resolution factor"
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
    p.add_argument("--batch", type=int, default=8, help="frames per batch for the stages")
    p.add_argument(
        "--preview",
        metavar="SECONDS",
        default=None,
        help="render this long from the middle, before | after side by side (e.g. 5s)",
    )
    p.add_argument(
        "--chunk-seconds", type=float, default=2.0, help="chunk length for resuming (default 2)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--restart", action="store_true", help="drop an unfinished job and start over")
    p.add_argument(
        "--allow-truncated",
        action="store_true",
        help="restore what is there of a file that is cut short (else it is refused)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_fps(p)
    p.set_defaults(func=cmd_restore)

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

    p = sub.add_parser("train", help="train a model from colour pictures and clips")
    tsub = p.add_subparsers(dest="train_command", metavar="MODEL", required=True)
    t = tsub.add_parser("colorizer", help="the PixColor colorizer (resumable)")
    t.add_argument("--data", nargs="+", required=True, help="folders, zip shards or video clips")
    t.add_argument("--out", type=Path, default=Path("out/train_colorizer"), help="run folder")
    t.add_argument("--steps", type=int, default=20000, help="length of the whole run")
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=5e-4)
    t.add_argument(
        "--config", default="default", help="model size: default, cpu (reduced) or small (tests)"
    )
    t.add_argument("--resume", action="store_true", help="continue from the run folder")
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    t.add_argument("--time-limit", type=float, default=None, help="stop after S seconds")
    t.add_argument("--export", type=Path, default=None, help="where the final weights go")
    t.add_argument("--seed", type=int, default=0)
    t.set_defaults(func=cmd_train_colorizer)
    t = tsub.add_parser("refiner", help="the refinement network (resumable)")
    t.add_argument("--data", nargs="+", required=True, help="folders, zip shards or video clips")
    t.add_argument("--out", type=Path, default=Path("out/train_refiner"), help="run folder")
    t.add_argument("--steps", type=int, default=20000, help="length of the whole run")
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--l1", type=float, default=0.0, help="weight of an L1 term beside the MSE")
    t.add_argument(
        "--config", default="default", help="model size: default, cpu (reduced) or small (tests)"
    )
    t.add_argument("--resume", action="store_true", help="continue from the run folder")
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    t.add_argument("--time-limit", type=float, default=None, help="stop after S seconds")
    t.add_argument("--export", type=Path, default=None, help="where the final weights go")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--video-every", type=int, default=5, help="use every Nth frame of clips")
    t.add_argument("--log-every", type=int, default=50, help="steps between loss log rows")
    t.add_argument("--sample-every", type=int, default=1000, help="steps between validations")
    t.add_argument("--checkpoint-every", type=int, default=1000, help="steps between checkpoints")
    t.set_defaults(func=cmd_train_refiner)
    t = tsub.add_parser("upscaler", help="the luma clean-up / x2 / x4 upscaler (resumable)")
    t.add_argument("--scale", type=int, required=True, choices=[1, 2, 4])
    t.add_argument("--data", nargs="+", required=True, help="folders of pictures, video clips")
    t.add_argument("--out", type=Path, default=None, help="run folder (out/train_upscaler_xS)")
    t.add_argument("--config", default="fast", help="preset: fast, quality or small (tests)")
    t.add_argument("--frames", type=int, default=None, help="window length (3 or 5)")
    t.add_argument("--steps", type=int, default=50000, help="length of the whole run")
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--patch", type=int, default=48, help="input crop side; target is x scale")
    t.add_argument(
        "--kind",
        default="film",
        choices=["film", "sharp"],
        help="film: learn to undo grain, blur, dust, compression; sharp: the plain bicubic"
        " shrink of clean pictures (one frame, x2/x4)",
    )
    t.add_argument(
        "--bicubic-only",
        type=float,
        default=None,
        help="share of examples degraded by plain bicubic alone (default 0.2 film, 1 sharp)",
    )
    t.add_argument("--lr", type=float, default=5e-4)
    t.add_argument("--resume", action="store_true", help="continue from the run folder")
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    t.add_argument("--workers", type=int, default=0, help="data loader processes")
    t.add_argument("--time-limit", type=float, default=None, help="stop after S seconds")
    t.add_argument("--export", type=Path, default=None, help="where the final weights go")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--video-every", type=int, default=10, help="a window every Nth clip frame")
    t.add_argument("--log-every", type=int, default=50, help="steps between loss log rows")
    t.add_argument("--sample-every", type=int, default=1000, help="steps between validations")
    t.add_argument("--checkpoint-every", type=int, default=1000, help="steps between checkpoints")
    t.set_defaults(func=cmd_train_upscaler)

    p = sub.add_parser("eval", help="measure a model against colour originals")
    vsub = p.add_subparsers(dest="eval_command", metavar="MODEL", required=True)
    v = vsub.add_parser("colorizer", help="NLL, best/mean-of-K PSNR, CIEDE2000, diversity")
    v.add_argument("--data", nargs="+", required=True, help="folders of colour pictures")
    v.add_argument("--weights", default="colorizer", help="weights file or registry name")
    v.add_argument("-k", type=int, default=8, help="samples per picture")
    v.add_argument("--limit", type=int, default=None, help="a random subset of N pictures")
    v.add_argument("--sheet", type=Path, default=None, help="write a contact sheet PNG")
    v.add_argument("--split", default="all", choices=["all", "heldout", "train"])
    v.add_argument("--temperature", type=float, default=1.0)
    v.add_argument("--device", default=None)
    v.add_argument("--seed", type=int, default=0)
    v.set_defaults(func=cmd_eval_colorizer)

    v = vsub.add_parser(
        "video", help="one pick through a shot: chroma PSNR, CIEDE2000, flicker ratio, CDC"
    )
    v.add_argument("--data", nargs="+", required=True, help="colour clips or folders of them")
    v.add_argument("--refiner", default=None, help="refiner weights (default: shipped)")
    v.add_argument("--colorizer", default=None, help="colorizer weights (default: shipped)")
    v.add_argument("--frames", type=int, default=48, help="frames per clip")
    v.add_argument("--per-frame", type=int, default=12, help="frames for the per-frame baseline")
    v.add_argument("--max-side", type=int, default=384, help="clips are scaled to this")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--device", default=None)
    v.set_defaults(func=cmd_eval_video)
    v = vsub.add_parser("upscaler", help="Y PSNR/SSIM on Set5/Set14 and a realistic set")
    v.add_argument("--scale", type=int, required=True, choices=[1, 2, 4])
    v.add_argument("--weights", default=None, help="weights file (default upscaler_xS)")
    v.add_argument("--data", nargs="+", default=None, help="folders of high-resolution pictures")
    v.add_argument("--no-realistic", action="store_true", help="only the bicubic benchmark")
    v.add_argument("--sheet", type=Path, default=None, help="write bicubic | model | original")
    v.add_argument("--film", default=None, help="also a before/after crop of this film")
    v.add_argument("--frame", type=int, default=0, help="frame of --film")
    v.add_argument("--before-after", type=Path, default=Path("out/upscale_before_after.png"))
    v.add_argument("--device", default=None)
    v.add_argument("--seed", type=int, default=0)
    v.set_defaults(func=cmd_eval_upscaler)

    p = sub.add_parser("bench", help="print speed and memory figures")
    bsub = p.add_subparsers(dest="bench_command", metavar="WHAT", required=True)
    b = bsub.add_parser("io", help="decode/encode fps at 1080p, memory of streaming a long film")
    b.add_argument("--seconds", type=float, default=10.0, help="length of the fps test clip")
    b.add_argument("--minutes", type=float, default=10.0, help="length of the streamed film")
    b.set_defaults(func=cmd_bench_io)
    b = bsub.add_parser("restore", help="restore fps at 480p, time shares, memory of long films")
    b.add_argument("--seconds", type=float, default=10.0, help="length of the fps test clip")
    b.add_argument("--minutes", type=float, default=2.0, help="length of the memory test film")
    b.add_argument("--long", type=float, default=None, help="also a film this long (e.g. 20)")
    b.add_argument(
        "--models",
        action="store_true",
        help="instead: the shipped models end to end, colorize + upscale (the GPU target)",
    )
    b.add_argument("--size", type=_bench_size, default=(1920, 1080), help="with --models")
    b.add_argument("--upscale", type=int, choices=(1, 2, 4), default=2, help="with --models")
    b.add_argument("--codec", default="prores", help="with --models (default prores)")
    b.add_argument("--device", default=None, help="with --models: cpu or cuda")
    b.add_argument("--batch", type=int, default=8, help="with --models: frames per batch")
    b.set_defaults(func=cmd_bench_restore)
    b = bsub.add_parser("scrub", help="ms the player waits for a 1080p frame, via the engine")
    b.add_argument("--seconds", type=float, default=10.0, help="length of the test clip")
    b.add_argument("--max-side", type=int, default=1280, help="preview size asked for")
    b.add_argument("--reads", type=int, default=30, help="frames timed per pattern")
    b.set_defaults(func=cmd_bench_scrub)
    b = bsub.add_parser("huge", help="peak memory and time of one huge picture, x2 and colorized")
    b.add_argument("--size", type=_bench_size, default=(8000, 6000), help="default 8000x6000")
    b.add_argument("--codec", default="ffv1", help="output codec (default ffv1)")
    b.add_argument(
        "--cases", default="none,upscale,colorize", help="comma-separated: none, upscale, colorize"
    )
    b.add_argument(
        "--content",
        choices=("detail", "noise"),
        default="detail",
        help="the picture: detail (default) or noise (no encoder can shrink it: the worst case)",
    )
    b.set_defaults(func=cmd_bench_huge)
    b = bsub.add_parser("sample", help="seconds per colour sample for K = 1, 4, 8 on each device")
    b.add_argument("-k", default="1,4,8", help="comma-separated K values (default 1,4,8)")
    b.add_argument(
        "--config", default="default", help="model size: default, or cpu (the shipped CPU one)"
    )
    b.add_argument("--device", default=None, help="cpu or cuda (default: every device present)")
    b.set_defaults(func=cmd_bench_sample)
    b = bsub.add_parser("refine", help="refiner frames per second: 480p on CPU, 1080p on CUDA")
    b.add_argument("--device", default=None, help="cpu or cuda (default: every device present)")
    b.add_argument("--weights", default="refiner", help="weights file or registry name")
    b.add_argument("--config", default=None, help="config of random weights when none are found")
    b.add_argument("--batches", default=None, help="comma-separated T values (every device)")
    b.add_argument("--frames", type=int, default=None, help="frames timed per T")
    b.set_defaults(func=cmd_bench_refine)
    b = bsub.add_parser("upscale", help="x2 upscale fps: 480p on CPU, 1080p/540p on CUDA; tiling")
    b.add_argument("--device", default=None, help="cpu or cuda (default: every device present)")
    b.add_argument("--frames", type=int, default=8, help="frames timed per batch size on CUDA")
    b.set_defaults(func=cmd_bench_upscale)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
    except Exception:
        print("panchro: internal error (a bug; please report it with this):", file=sys.stderr)
        traceback.print_exc()
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
