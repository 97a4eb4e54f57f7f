"""`panchro sample`: K colour modes of a picture side by side."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from panchro.engine.cli.common import (
    EXIT_OK,
    add_deinterlace,
    add_fps,
    args_reading,
    crop_of_args,
)
from panchro.engine.errors import BadInputError
from panchro.engine.inference.defaults import DESPECKLE, OVERSAMPLE, TEMPERATURE, TOP_P


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
    if not 0 < args.top_p <= 1:
        raise BadInputError(f"--top-p must be above 0 and at most 1, got {args.top_p}")
    if not 0 <= args.despeckle <= 8:
        raise BadInputError(f"--despeckle must be within 0..8, got {args.despeckle}")
    if not 1 <= args.oversample <= 8:
        raise BadInputError(f"--oversample must be within 1..8, got {args.oversample}")
    src_path = Path(args.image)
    out = media.check_output_path(args.output, inputs=[src_path], overwrite=args.overwrite)
    film = src_path.suffix.lower() in media.VIDEO_CONTAINERS or src_path.is_dir()
    crop = None
    given_hints = None
    if args.hints is not None:
        from panchro.engine.imaging.hints import load_hints

        given_hints = load_hints(args.hints)
    if film:
        # read as a restore reads it: its fields, a scan's values, its levels
        with args_reading(args, src_path).open(src_path) as src:
            info = src.info
            if given_hints is not None:  # all of them, as a restore checks them
                given_hints.check_against(info.width, info.height, info.frame_count)
            hinted = given_hints.frames() if given_hints is not None else []
            # without --frame: the first frame with hints (they steer its modes), or the middle
            index = args.frame if args.frame is not None else (
                hinted[0] if hinted else info.frame_count // 2
            )  # fmt: skip
            if not 0 <= index < info.frame_count:
                raise BadInputError(
                    f"frame {index} is outside the film (0..{info.frame_count - 1})",
                    path=src_path,
                )
            fmt = "gray16" if info.bit_depth > 8 else "gray"
            luma = colorize.luma_of(src.read_frame(index, fmt=fmt, conceal=True).image)
        crop = crop_of_args(args, info, src_path)
        if crop is not None and any(crop):
            import numpy as np

            from panchro.engine.restore.crop import crop_size, inner

            crop_size(crop, info.width, info.height)  # refused when too little is left
            luma = np.ascontiguousarray(inner(luma, crop))  # the picture alone, as a render
        else:
            crop = None
        from panchro.engine.imaging.color import matrix_for

        matrix, notes = matrix_for(info.color_matrix, info.height, info.width), ()
    else:
        for given, option in ((args.frame, "--frame"), (args.crop, "--crop")):
            if given is not None:
                raise BadInputError(f"{option} is for films; this is a picture", path=src_path)
        still = colorize.read_still(src_path)
        luma, matrix, notes = still.luma, still.matrix, still.notes
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    hints = None
    if given_hints is not None:
        frame = index if film else 0
        if not film:  # a picture's hints are on its frame 0: others are another film's
            given_hints.check_against(luma.shape[1], luma.shape[0], 1)
        hints = given_hints.on_frames(frame, frame + 1)
        if crop is not None:  # in the film's pixels: those on the picture, in its pixels
            for name, on in given_hints.outside(crop, (info.width, info.height)):
                if on == frame:  # named as the file counts them
                    print(f"note: {name} lies in the border the crop cuts off: not used",
                          file=sys.stderr)  # fmt: skip
            hints = hints.cut(crop, (info.width, info.height))
        hints.check_against(luma.shape[1], luma.shape[0])
        if hints.empty:
            on = given_hints.frames()
            where = f"; they are on frame(s) {', '.join(map(str, on[:5]))}" if on else ""
            print(f"note: no hints on frame {frame} in {args.hints}{where}", file=sys.stderr)
    loaded = colorize.load_colorizer(args.weights, device=args.device)
    if not loaded.trained:
        print(
            f"warning: the colorizer at {loaded.path} is UNTRAINED: its colours are noise",
            file=sys.stderr,
        )
    found = colorize.sample_candidates(
        loaded,
        luma,
        k=args.k,
        seed=args.seed,
        temperature=args.temperature,
        top_p=args.top_p,
        despeckle=args.despeckle,
        oversample=args.oversample,
        locked=hints,
        matrix=matrix,
    )
    refiner = colorize.load_refiner(device=loaded.device)
    small = colorize.fit_luma(luma, 1024)
    sheet = colorize.contact_sheet(
        small,
        found,
        matrix=matrix,
        height=args.height,
        refiner=refiner,
        hints=hints.scaled((luma.shape[1], luma.shape[0]), (small.shape[1], small.shape[0]))
        if hints is not None
        else None,
    )
    atomic_write(out, lambda tmp: sheet.save(tmp, format="PNG"), what="contact sheet")
    label = "trained" if loaded.trained else "UNTRAINED"
    print(
        f"{found.k} colour mode(s){f' of frame {index}' if film else ''}, seed {found.seed},"
        f" temperature {found.temperature:g},"
        f" {found.seconds:.2f} s on {loaded.device} ({label}, {loaded.scale})"
        f"{', refined' if refiner is not None else ''} -> {out}"
    )
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    """Add this group's commands to the top-level subparsers `sub`."""
    p = sub.add_parser("sample", help="K colour modes of a picture side by side (a PNG sheet)")
    p.add_argument("image", help="a picture, or a film with --frame")
    p.add_argument("-k", type=int, default=4, help="how many colour modes (default 4)")
    p.add_argument("--seed", type=int, default=None, help="same seed, same colours")
    p.add_argument(
        "--temperature",
        type=float,
        default=TEMPERATURE,
        help=f"lower is tamer, 0 the likeliest (default {TEMPERATURE:g})",
    )
    p.add_argument(
        "--top-p",
        type=float,
        default=TOP_P,
        help=f"draw only from the likeliest bins holding this much probability "
        f"(default {TOP_P:g}; 1: all)",
    )
    p.add_argument(
        "--despeckle",
        type=int,
        default=DESPECKLE,
        help=f"passes of luma-guided smoothing of the drawn colours (default {DESPECKLE}; 0: none)",
    )
    p.add_argument(
        "--oversample",
        type=int,
        default=OVERSAMPLE,
        help=f"draw K x N and keep the K most different (default {OVERSAMPLE}; 1: K drawn)",
    )
    p.add_argument(
        "--frame",
        type=int,
        default=None,
        help="frame of a film, counted from 0 (the app counts from 1; default: the first"
        " hinted frame, else the middle)",
    )
    add_fps(p)
    add_deinterlace(p)
    p.add_argument(
        "--crop",
        default=None,
        metavar="PIXELS",
        help="a film's borders round the picture, left out as a restore with --crop leaves them:"
        " auto, pixels N, H,V or L,T,R,B, or none (default)",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="contact sheet (.png)")
    p.add_argument("--height", type=int, default=256, help="height of each picture on the sheet")
    p.add_argument(
        "--hints",
        type=Path,
        default=None,
        metavar="FILE",
        help="colour hints (docs/hints.md) on this frame: every mode keeps them, varies the rest",
    )
    p.add_argument("--weights", default=None, help="colorizer weights (default: shipped)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing sheet")
    p.set_defaults(func=cmd_sample)
