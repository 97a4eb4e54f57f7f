"""`panchro bench ...`: figures, printed, never asserted."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from panchro.engine.cli.common import (
    EXIT_OK,
)
from panchro.engine.errors import BadInputError


def _device(text: str | None) -> str | None:
    """`--device` checked before any work: torch's own words on "tpu" or a missing GPU are a
    traceback, and "gpu" is a common slip for "cuda"."""
    if text is None:
        return None
    name = text.strip().lower()
    if not re.fullmatch(r"cpu|cuda(:\d+)?", name):
        hint = " (a GPU is `cuda`)" if name in ("gpu", "nvidia") else ""
        raise BadInputError(f"--device {text!r} is not one Panchro runs on: use cpu or cuda{hint}")
    if name.startswith("cuda"):
        import torch

        from panchro.engine.inference.device import default_device

        index = int(name.partition(":")[2] or 0)
        if default_device().type != "cuda":
            raise BadInputError(f"--device {text}: no CUDA device is available here")
        if index >= torch.cuda.device_count():
            raise BadInputError(
                f"--device {text}: this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
    return name


def _counts(text: str, option: str) -> tuple[int, ...]:
    """A comma-separated list of whole numbers of 1 or more, e.g. `-k 1,4,8`."""
    try:
        counts = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise BadInputError(f"{option} {text!r}: give whole numbers like 1,4,8") from None
    if min(counts) < 1:
        raise BadInputError(f"{option} {text!r}: each must be 1 or more")
    return counts


def _at_least(value: float | None, option: str, low: float = 0.0, *, equal: bool = False) -> None:
    """BadInputError unless `value` is above `low` (or equal to it with `equal`)."""
    if value is not None and not (value >= low if equal else value > low):
        bound = f"{low:g} or more" if equal else f"above {low:g}"
        raise BadInputError(f"{option} must be {bound}, got {value:g}")


def cmd_bench_sample(args: argparse.Namespace) -> int:
    from panchro.engine.bench.models import bench_sample
    from panchro.engine.train.colorizer import config_named

    ks = _counts(args.k, "-k")
    device = _device(args.device)
    try:
        config = config_named(args.config)
    except ValueError as exc:
        raise BadInputError(f"--config: {exc}") from None
    bench_sample(device, ks, config=config)
    return EXIT_OK


def cmd_bench_refine(args: argparse.Namespace) -> int:
    from panchro.engine.bench.models import bench_refine

    kwargs = {}
    if args.batches:
        ts = _counts(args.batches, "--batches")
        kwargs = {"cpu_batches": ts, "cuda_batches": ts}
    _at_least(args.frames, "--frames", 1, equal=True)
    weights = str(args.weights)
    # A registry name that is not installed falls back to random weights (speed does not
    # depend on them); a file asked for by its path must be there, or the figures would
    # silently time random weights.
    looks_like_a_file = "/" in weights or "\\" in weights or weights.endswith(".safetensors")
    if looks_like_a_file and not Path(weights).is_file():
        raise BadInputError(f"--weights {weights}: no such file")
    bench_refine(
        device=_device(args.device), weights=weights, config=args.config, frames=args.frames,
        **kwargs,
    )  # fmt: skip
    return EXIT_OK


def cmd_bench_upscale(args: argparse.Namespace) -> int:
    from panchro.engine.bench.models import bench_upscale

    _at_least(args.frames, "--frames", 1, equal=True)
    bench_upscale(_device(args.device), frames=args.frames, kind=args.kind)
    return EXIT_OK


def cmd_bench_io(args: argparse.Namespace) -> int:
    from panchro.engine.bench.io import bench_io

    _at_least(args.seconds, "--seconds")
    _at_least(args.minutes, "--minutes")
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

    _at_least(args.seconds, "--seconds")
    _at_least(args.max_side, "--max-side", 16, equal=True)
    _at_least(args.reads, "--reads", 1, equal=True)
    bench_scrub(seconds=args.seconds, max_side=args.max_side, reads=args.reads)
    return 0


def cmd_bench_huge(args: argparse.Namespace) -> int:
    from panchro.engine.bench.memory import bench_huge

    width, height = args.size
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    unknown = sorted(set(cases) - {"none", "upscale", "colorize"})
    if unknown:
        raise BadInputError(f"unknown case(s) {', '.join(unknown)}: use none, upscale, colorize")
    bench_huge(
        width=width,
        height=height,
        cases=cases,
        codec=args.codec,
        content=args.content,
        memory_limit_mb=args.memory_limit,
    )
    return EXIT_OK


def cmd_bench_hints(args: argparse.Namespace) -> int:
    from panchro.engine.bench.hints import bench_hints

    # The first answer loads the models and is shown apart: the median needs one more.
    _at_least(args.edits, "--edits", 2, equal=True)
    if args.film is not None and not Path(args.film).exists():
        raise BadInputError(f"--film {args.film}: no such file or folder")
    bench_hints(args.film, edits=args.edits)
    return EXIT_OK


def cmd_bench_photo(args: argparse.Namespace) -> int:
    from panchro.engine.bench.photo import bench_photo

    width, height = args.size
    bench_photo(width=width, height=height)
    return EXIT_OK


def cmd_bench_album(args: argparse.Namespace) -> int:
    from panchro.engine.bench.album import bench_album

    if args.count < 1 or not args.megapixels > 0:
        raise BadInputError("--count must be 1 or more and --megapixels above 0")
    cases = ("colorize",) if args.colorize_only else ("re-save", "colorize")
    bench_album(count=args.count, megapixels=args.megapixels, cases=cases)
    return EXIT_OK


def _workers(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of counts like 1,2") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: worker counts are 1 or more")
    return counts


def cmd_bench_restore(args: argparse.Namespace) -> int:
    from panchro.engine.bench.restore import bench_restore

    _at_least(args.seconds, "--seconds")
    _at_least(args.minutes, "--minutes")
    _at_least(args.long, "--long")
    _at_least(args.batch_frames, "--batch-frames", 1, equal=True)
    if args.workers is not None and args.cluster is None:
        raise BadInputError("--workers goes with --cluster local")
    if args.cluster is not None:
        if args.cluster != "local":
            raise BadInputError(
                "bench restore --cluster starts its own Ray cluster on this machine: use "
                "--cluster local (to time a running cluster, see docs/cluster.md)"
            )
        if args.models:
            raise BadInputError("--models and --cluster are two benchmarks: give one")
        from panchro.engine.bench.cluster import bench_restore_cluster

        width, height = args.size or (320, 180)
        bench_restore_cluster(
            workers=args.workers or (1, 2), width=width, height=height,
            seconds=args.seconds or 6.0, upscale=args.upscale,
        )  # fmt: skip
        return EXIT_OK
    if args.models:
        from panchro.engine.bench.restore import bench_restore_models

        width, height = args.size or (1920, 1080)
        bench_restore_models(
            width=width, height=height, seconds=args.seconds or 10.0, upscale=args.upscale,
            codec=args.codec, device=_device(args.device), batch=args.batch_frames,
        )  # fmt: skip
        return 0
    bench_restore(seconds=args.seconds or 10.0, minutes=args.minutes, long_minutes=args.long)
    return EXIT_OK


def cmd_bench_stages(args: argparse.Namespace) -> int:
    from panchro.engine.bench.kit import bench_stages
    from panchro.engine.inference.device import resolve_device

    _at_least(args.frames, "--frames", 1, equal=True)
    _at_least(args.batch, "--batch", 1, equal=True)
    width, height = args.size or (1920, 1080)
    device = str(resolve_device(_device(args.device)))
    ways = (False, True) if args.planes == "both" else (args.planes == "resident",)
    for resident in ways:
        bench_stages(width, height, device=device, frames=args.frames, batch=args.batch,
                     resident=resident)  # fmt: skip
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    """Add this group's commands to the top-level subparsers `sub`."""
    p = sub.add_parser("bench", help="print speed and memory figures")
    bsub = p.add_subparsers(dest="bench_command", metavar="WHAT", required=True)
    b = bsub.add_parser("io", help="decode/encode fps at 1080p, memory of streaming a long film")
    b.add_argument("--seconds", type=float, default=10.0, help="length of the fps test clip")
    b.add_argument("--minutes", type=float, default=10.0, help="length of the streamed film")
    b.set_defaults(func=cmd_bench_io)
    b = bsub.add_parser(
        "restore",
        help="restore fps at 480p, time shares, memory of long films; --models; --cluster local",
    )
    b.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="length of the fps test clip (default 10; 6 with --cluster)",
    )
    b.add_argument("--minutes", type=float, default=2.0, help="length of the memory test film")
    b.add_argument("--long", type=float, default=None, help="also a film this long (e.g. 20)")
    b.add_argument(
        "--models",
        action="store_true",
        help="instead: the shipped models end to end, colorize + upscale (the GPU target)",
    )
    b.add_argument(
        "--cluster",
        metavar="local",
        default=None,
        help="instead: frames/s of one film's chunks on a local Ray cluster (loopback only) of"
        " each size in --workers, and the scaling efficiency (needs panchro[cluster])",
    )
    b.add_argument(
        "--workers", type=_workers, default=None, help="with --cluster: counts, default 1,2"
    )
    b.add_argument(
        "--size",
        type=_bench_size,
        default=None,
        help="with --models (default 1920x1080) or --cluster (default 320x180)",
    )
    b.add_argument(
        "--upscale", type=int, choices=(1, 2, 4), default=2, help="with --models or --cluster"
    )
    b.add_argument("--codec", default="prores", help="with --models (default prores)")
    b.add_argument("--device", default=None, help="with --models: cpu or cuda")
    b.add_argument(
        "--batch-frames", type=int, default=8, metavar="N", help="with --models: frames per batch"
    )
    b.set_defaults(func=cmd_bench_restore)
    b = bsub.add_parser("scrub", help="ms the player waits for a 1080p frame, via the engine")
    b.add_argument("--seconds", type=float, default=10.0, help="length of the test clip")
    b.add_argument("--max-side", type=int, default=1280, help="preview size asked for")
    b.add_argument("--reads", type=int, default=30, help="frames timed per pattern")
    b.set_defaults(func=cmd_bench_scrub)
    b = bsub.add_parser(
        "hints", help="seconds from a new colour hint to its preview, via the engine"
    )
    b.add_argument("--film", default=None, help="default: the 480p sample film")
    b.add_argument("--edits", type=int, default=8, help="points added one at a time")
    b.set_defaults(func=cmd_bench_hints)
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
    b.add_argument(
        "--memory-limit",
        type=float,
        default=None,
        metavar="MB",
        help="pass this limit to each restore: a case estimated above it is refused at once",
    )
    b.set_defaults(func=cmd_bench_huge)
    b = bsub.add_parser(
        "photo",
        help="a 12 Mpx JPEG colorized, or its dust filled, in a fresh process: seconds, peak RSS",
    )
    b.add_argument("--size", type=_bench_size, default=(4000, 3000), help="default 4000x3000")
    b.set_defaults(func=cmd_bench_photo)
    b = bsub.add_parser(
        "album", help="pictures per second of an album of 1 Mpx scans, re-saved and colorized"
    )
    b.add_argument("--count", type=int, default=100, help="pictures in the album (default 100)")
    b.add_argument("--megapixels", type=float, default=1.0, help="size of each picture (default 1)")
    b.add_argument("--colorize-only", action="store_true", help="time the colorized album only")
    b.set_defaults(func=cmd_bench_album)
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
    b = bsub.add_parser(
        "stages",
        help="fps of the restore's stages alone (colorize from a pick, x2), shipped models",
    )
    b.add_argument("--size", type=_bench_size, default=None, help="WxH input (default 1920x1080)")
    b.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    b.add_argument("--frames", type=int, default=48, help="frames timed (default 48)")
    b.add_argument("--batch", type=int, default=8, help="frames a batch (default 8)")
    b.add_argument(
        "--planes",
        choices=("host", "resident", "both"),
        default="both",
        help="host arrays between the stages, planes kept on the device, or both (default)",
    )
    b.set_defaults(func=cmd_bench_stages)
    b = bsub.add_parser("upscale", help="x2 upscale fps: 480p on CPU, 1080p/540p on CUDA; tiling")
    b.add_argument("--device", default=None, help="cpu or cuda (default: every device present)")
    b.add_argument("--frames", type=int, default=8, help="frames timed per batch size on CUDA")
    b.add_argument(
        "--kind", choices=("film", "sharp"), default="film", help="which x2: film (default), sharp"
    )
    b.set_defaults(func=cmd_bench_upscale)
