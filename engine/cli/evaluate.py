"""`panchro eval colorizer | bars | video | hints | deflicker | stabilize | dust | scratches |
telecine | sweep | upscaler`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from panchro.engine.cli.common import (
    EXIT_OK,
)


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


def cmd_eval_bars(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.bars import eval_bars

    eval_bars(
        args.data, weights=args.weights, share=args.share, k=args.k, split=args.split,
        limit=args.limit,
    )  # fmt: skip
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
        top_p=args.top_p,
        smooth=args.smooth,
        split=args.split,
        likeliest=args.likeliest,
        consensus=args.consensus,
        average=args.average,
        oversample=args.oversample,
        drop_unlikely=args.drop_unlikely,
        refiner=args.refiner,
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


def cmd_eval_hints(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.hints import eval_hints

    if args.reference:
        from panchro.engine.evaluate.video import eval_reference

        eval_reference(args.data, seed=args.seed)
        return EXIT_OK
    eval_hints(
        args.data,
        points=args.strokes or args.points,
        kind="strokes" if args.strokes else "points",
        learned=None if args.no_learned else args.weights,
        mode=args.mode,
        decay=args.decay,
        limit=args.limit,
        split=args.split,
        max_side=args.max_side,
        seed=args.seed,
        out_sheet=args.sheet,
    )
    return EXIT_OK


def cmd_eval_deflicker(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.deflicker import eval_deflicker

    eval_deflicker(
        args.data,
        gain=args.gain,
        offset=args.offset,
        across=args.across,
        strength=args.strength,
        seed=args.seed,
    )
    return EXIT_OK


def cmd_eval_telecine(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.telecine import eval_telecine

    eval_telecine(args.data, pictures=args.pictures)
    return EXIT_OK


def cmd_eval_dust(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.dust import eval_dust

    eval_dust(
        args.data,
        strength=args.strength,
        frames=args.frames,
        seed=args.seed,
        model=args.model,
        twice=args.twice,
    )
    return EXIT_OK


def cmd_eval_specks(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.specks import eval_specks

    eval_specks(
        args.data,
        weights=args.weights,
        strengths=args.strength,
        split=args.split,
        limit=args.limit,
        side=args.side,
        seed=args.seed,
        faint=args.faint,
    )
    return EXIT_OK


def cmd_eval_scratches(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.scratches import eval_scratches

    eval_scratches(args.data, strength=args.strength, frames=args.frames, seed=args.seed)
    return EXIT_OK


def cmd_eval_stabilize(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.stabilize import eval_stabilize

    eval_stabilize(args.data, amount=args.amount, strength=args.strength, seed=args.seed)
    return EXIT_OK


def cmd_eval_sweep(args: argparse.Namespace) -> int:
    from panchro.engine.evaluate.sweep import plot_sweep, read_sweep, sweep_table

    runs = read_sweep(args.runs)
    minutes = [float(m) for m in args.minutes.split(",") if m.strip()]
    print(sweep_table(runs, minutes))
    if args.plot is not None:
        print(f"curves: {plot_sweep(runs, args.plot, args.title)}")
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    """Add this group's commands to the top-level subparsers `sub`."""
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
    v.add_argument(
        "--top-p",
        type=float,
        default=1.0,
        help="draw only from the likeliest bins holding this much probability (1: all)",
    )
    v.add_argument(
        "--smooth", type=int, default=0, help="also score the samples despeckled, N passes"
    )
    v.add_argument(
        "--likeliest",
        action="store_true",
        help="also score the one of the K the model finds likeliest (an automatic pick)",
    )
    v.add_argument(
        "--consensus",
        action="store_true",
        help="also score the one of the K nearest the others (an automatic pick)",
    )
    v.add_argument(
        "--average",
        action="store_true",
        help="also score the K's average chroma as one colouring (with plain samples: the"
        " model's posterior mean, which a calibrated sample misses by about 3 dB)",
    )
    v.add_argument(
        "--oversample",
        type=int,
        default=1,
        help="draw K x N and score the K that differ most from each other",
    )
    v.add_argument(
        "--drop-unlikely",
        type=float,
        default=0.0,
        help="with --oversample: first leave out this fraction of the drawn, the least likely",
    )
    v.add_argument(
        "--refiner",
        default=None,
        help="also score the samples through a refiner, as the app shows them: 'refiner' "
        "(the shipped one) or a weights file",
    )
    v.add_argument("--device", default=None)
    v.add_argument("--seed", type=int, default=0)
    v.set_defaults(func=cmd_eval_colorizer)
    v = vsub.add_parser(
        "bars", help="colour modes of pictures as they are and between black bars (a crop's)"
    )
    v.add_argument("--data", nargs="+", required=True, help="folders of colour pictures")
    v.add_argument("--weights", default=None, help="colorizer weights (default: the shipped)")
    v.add_argument("--share", type=float, default=1 / 3, help="each bar, of the width (1/3)")
    v.add_argument("-k", type=int, default=8, help="modes a picture (8)")
    v.add_argument("--split", default="heldout", choices=["heldout", "all"])
    v.add_argument("--limit", type=int, default=None, help="the first N pictures")
    v.set_defaults(func=cmd_eval_bars)

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
    v = vsub.add_parser(
        "hints", help="a simulated user's colour points: Levin 2004, the hint refiner, grey"
    )
    v.add_argument("--data", nargs="+", required=True, help="folders of colour pictures")
    drawn = v.add_mutually_exclusive_group()
    drawn.add_argument(
        "--points", type=int, nargs="+", default=[1, 10, 50], help="points per picture (1 10 50)"
    )
    drawn.add_argument(
        "--strokes", type=int, nargs="+", default=None, help="strokes per picture instead of points"
    )
    v.add_argument("--weights", default="hint_refiner", help="hint refiner weights or name")
    v.add_argument("--no-learned", action="store_true", help="leave the hint refiner out")
    v.add_argument("--mode", action="store_true", help="also a sampled mode with the hints")
    v.add_argument(
        "--decay",
        type=float,
        default=None,
        help="how fast the hints' correction of the mode fades (default: the shipped one)",
    )
    v.add_argument(
        "--reference",
        action="store_true",
        help="reference mode: --data are colour clips; frame 0 lends its colours to frames 30-40",
    )
    v.add_argument("--limit", type=int, default=24, help="a seeded subset of N pictures")
    v.add_argument("--split", default="heldout", choices=["all", "heldout"])
    v.add_argument("--max-side", type=int, default=512, help="pictures are shrunk to this")
    v.add_argument("--sheet", type=Path, default=None, help="grey | methods | original PNG")
    v.add_argument("--seed", type=int, default=0)
    v.set_defaults(func=cmd_eval_hints)
    v = vsub.add_parser(
        "sweep", help="an architecture sweep's runs: held-out figure per CPU-minute, and curves"
    )
    v.add_argument(
        "runs", nargs="+", help="run folders of panchro train upscaler (or of train colorizer)"
    )
    v.add_argument("--minutes", default="2,5,10", help="CPU minutes to compare the runs at")
    v.add_argument("--plot", type=Path, default=None, help="write the curves to this PNG")
    v.add_argument("--title", default="", help="the plot's title")
    v.set_defaults(func=cmd_eval_sweep)
    v = vsub.add_parser(
        "deflicker", help="flicker laid on clips and evened out; what it costs clips without"
    )
    v.add_argument("--data", nargs="+", required=True, help="clips or folders of them")
    v.add_argument("--gain", type=float, default=0.06, help="flicker's gain spread (0.06)")
    v.add_argument("--offset", type=float, default=0.03, help="flicker's offset spread (0.03)")
    v.add_argument(
        "--across",
        type=float,
        default=0.08,
        help="spread of the flicker laid on across the frame, an uneven lamp's (0.08; 0: none)",
    )
    v.add_argument("--strength", type=float, default=1.0, help="--deflicker's strength (1)")
    v.add_argument("--seed", type=int, default=1)
    v.set_defaults(func=cmd_eval_deflicker)
    v = vsub.add_parser(
        "stabilize", help="gate weave laid on clips and taken out; how far clips without move"
    )
    v.add_argument("--data", nargs="+", required=True, help="clips or folders of them")
    v.add_argument("--amount", type=float, default=1.0, help="weave, px at 320 wide (1)")
    v.add_argument("--strength", type=float, default=1.0, help="--stabilize's strength (1)")
    v.add_argument("--seed", type=int, default=1)
    v.set_defaults(func=cmd_eval_stabilize)
    v = vsub.add_parser(
        "dust", help="dirt laid on clips and filled; how much of clips without dirt it changes"
    )
    v.add_argument("--data", nargs="+", required=True, help="clips or folders of them")
    v.add_argument("--strength", type=float, default=1.0, help="--dust's strength (1)")
    v.add_argument("--frames", type=int, default=48, help="frames of each clip (48)")
    v.add_argument("--seed", type=int, default=1)
    v.add_argument(
        "--model", action="store_true", help="also the x1 cleanup model on the dirty frames"
    )
    v.add_argument(
        "--twice",
        type=float,
        default=0.0,
        help="share of specks laid on the same place of the next frame too (0)",
    )
    v.set_defaults(func=cmd_eval_dust)
    v = vsub.add_parser(
        "specks",
        help="dirt laid on photographs and found by the speck finder; how much of pictures"
        " without dirt it changes",
    )
    v.add_argument("--data", nargs="+", required=True, help="folders of pictures")
    v.add_argument("--weights", default=None, help="a speck finder's weights (the shipped one)")
    v.add_argument("--strength", type=float, nargs="+", default=[1.0], help="--dust's (1)")
    v.add_argument(
        "--split",
        default="heldout",
        help="heldout: the training split's held-out pictures;"
        " all: every picture (a folder never trained on)",
    )
    v.add_argument("--limit", type=int, default=40, help="pictures at most (40; 0: all)")
    v.add_argument("--side", type=int, default=512, help="short side at most, px (512)")
    v.add_argument("--seed", type=int, default=1)
    v.add_argument(
        "--faint",
        type=float,
        default=0.0,
        help="share of the dirt laid faint, a soft step off the picture as on old film (0)",
    )
    v.set_defaults(func=cmd_eval_specks)
    v = vsub.add_parser(
        "scratches",
        help="line scratches laid on clips and taken out; how much of clips without them changes",
    )
    v.add_argument("--data", nargs="+", required=True, help="clips or folders of them")
    v.add_argument("--strength", type=float, default=1.0, help="--scratches' strength (1)")
    v.add_argument("--frames", type=int, default=48, help="frames of each clip (48)")
    v.add_argument("--seed", type=int, default=1)
    v.set_defaults(func=cmd_eval_scratches)
    v = vsub.add_parser(
        "telecine",
        help="clips telecined (3:2, PAL out of phase) and read back; video as fields not taken",
    )
    v.add_argument("--data", nargs="+", required=True, help="clips or folders of them")
    v.add_argument("--pictures", type=int, default=96, help="pictures of each clip (96)")
    v.set_defaults(func=cmd_eval_telecine)
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
