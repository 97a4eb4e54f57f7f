"""`panchro train colorizer | refiner | hints | specks | upscaler`, and the GPU kit (`kit`,
`kit-pack`, `kit-join`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from panchro.engine.cli.common import (
    EXIT_OK,
)

# stdlib-only at import (it must load before the GPU kit's wheels): cheap for the parser
from panchro.engine.train.kit import PLANS


def _to_train(args: argparse.Namespace, out: Path, *, scale: bool = False) -> Any:
    """What a training run needs and --export-best does not (--data, an upscaler's --scale),
    checked here -> a context that tidies away what a start that fails makes in `out`."""
    from panchro.engine.errors import BadInputError
    from panchro.engine.train.common import tidy_failed_start

    if not args.data:
        raise BadInputError("--data is needed to train (only --export-best goes without it)")
    if scale and args.scale is None:
        raise BadInputError("--scale is needed to train an upscaler: 1, 2 or 4")
    return tidy_failed_start(out)


def cmd_train_colorizer(args: argparse.Namespace) -> int:
    from panchro.engine.train.colorizer import export_checkpoint, train_colorizer

    if args.export_best is not None:
        export_checkpoint(args.out, args.export_best, best=True)
        return EXIT_OK
    with _to_train(args, args.out):
        _train_colorizer(args, train_colorizer)
    return EXIT_OK


def _train_colorizer(args: argparse.Namespace, train_colorizer: Any) -> None:
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
        init=args.init,
        seed=args.seed,
        sample_every=args.sample_every,
        warmup=args.warmup,
        aux_weight=args.aux_regression,
    )


def cmd_train_refiner(args: argparse.Namespace) -> int:
    from panchro.engine.train.refiner import HintNoise, export_checkpoint, train_refiner

    if args.export_best is not None:
        export_checkpoint(args.out, args.export_best, best=True)
        return EXIT_OK
    noise = HintNoise(colour_p=args.colour_p, hue_deg=args.hue, colour_follows=args.colour_follows)
    with _to_train(args, args.out):
        _train_refiner(args, train_refiner, noise)
    return EXIT_OK


def _train_refiner(args: argparse.Namespace, train_refiner: Any, noise: Any) -> None:
    train_refiner(
        args.data,
        args.out,
        noise=noise,
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        l1_weight=args.l1,
        config=args.config,
        resume=args.resume,
        device=args.device,
        time_limit=args.time_limit,
        export=args.export,
        init=args.init,
        seed=args.seed,
        video_every=args.video_every,
        log_every=args.log_every,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
    )


def cmd_train_hints(args: argparse.Namespace) -> int:
    from panchro.engine.train.hints import export_run, train_hint_refiner

    if args.export_best is not None:
        export_run(args.out, args.export_best)
        return EXIT_OK
    with _to_train(args, args.out):
        _train_hints(args, train_hint_refiner)
    return EXIT_OK


def _train_hints(args: argparse.Namespace, train_hint_refiner: Any) -> None:
    train_hint_refiner(args.data, args.out, **_run_options(args), stroke_share=args.stroke_share)


def cmd_train_specks(args: argparse.Namespace) -> int:
    from panchro.engine.train.specks import export_run, train_speck_finder

    if args.export_best is not None:
        export_run(args.out, args.export_best)
        return EXIT_OK
    with _to_train(args, args.out):
        train_speck_finder(args.data, args.out, **_run_options(args))
    return EXIT_OK


def cmd_train_upscaler(args: argparse.Namespace) -> int:
    from panchro.engine.errors import BadInputError
    from panchro.engine.train.upscaler import export_checkpoint, train_upscaler

    if args.export_best is not None:
        if args.out is None and args.scale is None:
            raise BadInputError("--export-best needs the run: --out RUN (or --scale S for the"
                                " default out/train_upscaler_xS)")  # fmt: skip
        out = args.out or Path(f"out/train_upscaler_x{args.scale}")
        export_checkpoint(out, args.export_best, best=True)
        return EXIT_OK
    out = args.out or Path(f"out/train_upscaler_x{args.scale}")
    with _to_train(args, out, scale=True):
        _train_upscaler(args, train_upscaler, out)
    return EXIT_OK


def _train_upscaler(args: argparse.Namespace, train_upscaler: Any, out: Path) -> None:
    train_upscaler(
        args.data,
        out,
        scale=args.scale,
        config=args.config,
        frames=args.frames,
        kind=args.kind,
        channels=args.channels,
        blocks=args.blocks,
        steps=args.steps,
        batch=args.batch,
        patch=args.patch,
        val_patch=args.val_patch,
        lr=args.lr,
        warmup=args.warmup,
        bicubic_only=args.bicubic_only,
        resume=args.resume,
        device=args.device,
        workers=args.workers,
        time_limit=args.time_limit,
        export=args.export,
        init=args.init,
        seed=args.seed,
        video_every=args.video_every,
        log_every=args.log_every,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
    )


def cmd_train_kit(args: argparse.Namespace) -> int:
    from panchro.engine.bench.kit import run_kit
    from panchro.engine.errors import BadInputError

    out = args.out or os.environ.get("OUT")  # $OUT: the device machine's output folder
    if not out:
        raise BadInputError("say where the kit writes: --out DIR (or set $OUT)")
    run_kit(
        out, kit_dir=args.kit, budget=args.budget, smoke=args.smoke, plan=args.plan,
        only=args.only, bench=not args.no_bench, check=args.check, device=args.device,
        work=args.work,
    )  # fmt: skip
    return EXIT_OK


def cmd_train_kit_pack(args: argparse.Namespace) -> int:
    from panchro.engine.train.kit import (
        PLAN_PACKS,
        SMOKE_PACK_PARTS,
        pack_kit,
        starting_at_shard,
    )

    cap = None if args.cap_mib is None else int(args.cap_mib * 2**20)
    if args.smoke:  # the smoke run trains on any machine, its python's own packages
        pack_kit(args.data, args.kit, cap=cap, parts=SMOKE_PACK_PARTS, wheels=False, plan="smoke")
        return EXIT_OK
    parts = PLAN_PACKS[args.plan]
    if args.thumbs_start:
        parts = starting_at_shard(parts, args.data, "thumbs", args.thumbs_start)
    pack_kit(args.data, args.kit, cap=cap, parts=parts, wheels=not args.no_wheels, plan=args.plan)
    return EXIT_OK


def cmd_train_kit_join(args: argparse.Namespace) -> int:
    from panchro.engine.train.kit import join_parts

    for path in join_parts(args.folder):
        print(path)
    return EXIT_OK


def _add_kit_parsers(tsub: Any) -> None:
    t = tsub.add_parser("kit", help="the GPU kit: train every model in minutes, then bench")
    t.add_argument("--out", type=Path, default=None, help="output folder (default: $OUT)")
    t.add_argument("--kit", type=Path, default=Path("kit"), help="the packed kit (kit/)")
    t.add_argument("--smoke", action="store_true", help="tiny sizes, any device: the same path")
    t.add_argument("--budget", type=float, default=None, help="seconds for everything")
    t.add_argument(
        "--plan", default="full", choices=tuple(PLANS),
        help="full: full-size networks from scratch; continue: the shipped colorizer and sharp"
        " upscalers on; refiner: the shipped refiner on (its own 256-px pack)",
    )  # fmt: skip
    t.add_argument("--only", nargs="+", default=(), metavar="MODEL",
                   help="train only these of the plan (e.g. colorizer)")  # fmt: skip
    t.add_argument("--no-bench", action="store_true", help="all the budget to training")
    t.add_argument(
        "--check", action="store_true", help="train nothing: GPU tests, shipped models' benches"
    )
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    t.add_argument("--work", type=Path, default=None, help="keep the run folders here")
    t.set_defaults(func=cmd_train_kit)
    t = tsub.add_parser("kit-pack", help="pack the training data and wheels into kit/")
    t.add_argument("--data", type=Path, default=Path("../shared/data"), help="the data root")
    t.add_argument("--kit", type=Path, default=Path("kit"), help="the kit folder (ignored)")
    t.add_argument("--cap-mib", type=float, default=None, help="data cap (default: computed)")
    t.add_argument(
        "--plan", default="full", choices=tuple(PLANS),
        help="the plan the data is for (continue: smaller photos, more thumbnails;"
        " refiner: photos and more clip frames at 256 px)",
    )  # fmt: skip
    t.add_argument("--thumbs-start", type=int, default=0, metavar="K",
                   help="pack the thumbnails from their K-th shard on (a new subset)")  # fmt: skip
    t.add_argument("--no-wheels", action="store_true", help="carry no wheels")
    t.add_argument(
        "--smoke",
        action="store_true",
        help="a few pictures of each part, no wheels: for `train kit --smoke` (seconds)",
    )
    t.set_defaults(func=cmd_train_kit_pack)
    t = tsub.add_parser("kit-join", help="join weights split in parts by the kit")
    t.add_argument("folder", type=Path, help="the folder the kit's files came back to")
    t.set_defaults(func=cmd_train_kit_join)


def add_parsers(sub: Any) -> None:
    """Add this group's commands to the top-level subparsers `sub`."""
    p = sub.add_parser("train", help="train a model from colour pictures and clips")
    tsub = p.add_subparsers(dest="train_command", metavar="MODEL", required=True)
    t = tsub.add_parser("colorizer", help="the PixColor colorizer (resumable)")
    t.add_argument("--data", nargs="+", default=None, help="folders, zip shards or video clips")
    t.add_argument("--out", type=Path, default=Path("out/train_colorizer"), help="run folder")
    t.add_argument("--steps", type=int, default=20000, help="length of the whole run")
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=5e-4)
    t.add_argument(
        "--config",
        default="default",
        help="model size: default, cpu (reduced, 112-px input), cpu56 (reduced, 56-px input)"
        " or small (tests)",
    )
    t.add_argument("--resume", action="store_true", help="continue from the run folder")
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    t.add_argument("--time-limit", type=float, default=None, help="stop after S seconds")
    t.add_argument("--export", type=Path, default=None, help="where the final weights go")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument(
        "--sample-every",
        type=int,
        default=1000,
        help="steps between held-out measurements and contact sheets",
    )
    t.add_argument(
        "--warmup", type=int, default=None, help="learning-rate warm-up steps (default: steps/20)"
    )
    t.add_argument(
        "--aux-regression",
        type=float,
        default=0.0,
        metavar="W",
        help="also train the conditioning features by a regression of the 28x28 chroma, its"
        " squared error weighed W in the loss (0: off; the head is never exported). Measured"
        " at 20 from random weights: worse than without (model card)",
    )
    _add_export_best(t)
    _add_init(t)
    t.set_defaults(func=cmd_train_colorizer)
    t = tsub.add_parser("refiner", help="the refinement network (resumable)")
    t.add_argument("--data", nargs="+", default=None, help="folders, zip shards or video clips")
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
    t.add_argument(
        "--colour-p", type=float, default=0.5, help="share of hints turned in hue and strength"
    )
    t.add_argument("--hue", type=float, default=8.0, help="a hint's hue turned by up to +-DEG")
    t.add_argument(
        "--colour-follows",
        action="store_true",
        help="turn the target's colours as the hint's: the net keeps a picked mode's hue"
        " and strength (default: it pulls them back towards the true colours)",
    )
    _add_export_best(t)
    _add_init(t)
    t.set_defaults(func=cmd_train_refiner)
    t = tsub.add_parser("hints", help="the hint refiner: colour points -> chroma (resumable)")
    _add_run_options(t, "colour pictures", "out/train_hints", 6000, 5e-4,
                     "refiner widths: default, cpu or small")  # fmt: skip
    t.add_argument(
        "--stroke-share",
        type=float,
        default=0.0,
        help="share of examples drawn with strokes instead of points alone (0..1)",
    )
    t.set_defaults(func=cmd_train_hints)
    t = tsub.add_parser("specks", help="the speck finder: dust on photographs (resumable)")
    _add_run_options(t, "pictures", "out/train_specks", 20000, 1e-3, "network size: cpu or small")
    t.set_defaults(func=cmd_train_specks)
    t = tsub.add_parser("upscaler", help="the luma clean-up / x2 / x4 upscaler (resumable)")
    t.add_argument("--scale", type=int, default=None, choices=[1, 2, 4])
    t.add_argument("--data", nargs="+", default=None, help="folders of pictures, video clips")
    t.add_argument("--out", type=Path, default=None, help="run folder (out/train_upscaler_xS)")
    t.add_argument("--config", default="fast", help="preset: fast, quality or small (tests)")
    t.add_argument("--frames", type=int, default=None, help="window length (3 or 5)")
    t.add_argument("--steps", type=int, default=50000, help="length of the whole run")
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--patch", type=int, default=48, help="input crop side; target is x scale")
    t.add_argument("--channels", type=int, default=None, help="width, overriding the preset's")
    t.add_argument("--blocks", type=int, default=None, help="depth, overriding the preset's")
    t.add_argument(
        "--val-patch",
        type=int,
        default=None,
        help="held-out crop side (default --patch); fix it to compare patch sizes",
    )
    t.add_argument("--warmup", type=int, default=None, help="warm-up steps (default steps/20)")
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
    _add_export_best(t)
    _add_init(t)
    t.set_defaults(func=cmd_train_upscaler)
    _add_kit_parsers(tsub)


def _add_run_options(
    t: argparse.ArgumentParser, data: str, out: str, steps: int, lr: float, config: str
) -> None:
    """The options of a trainer that takes pictures at one crop size (hints, specks)."""
    t.add_argument("--data", nargs="+", default=None, help=f"folders of {data}")
    t.add_argument("--out", type=Path, default=Path(out), help="run folder")
    t.add_argument("--steps", type=int, default=steps, help="length of the whole run")
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--size", type=int, default=96, help="side of the training crops")
    t.add_argument("--lr", type=float, default=lr)
    t.add_argument("--config", default="cpu", help=config)
    t.add_argument("--resume", action="store_true", help="continue from the run folder")
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    t.add_argument("--time-limit", type=float, default=None, help="stop after S seconds")
    t.add_argument("--export", type=Path, default=None, help="where the final weights go")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--sample-every", type=int, default=500, help="steps between validations")
    _add_export_best(t)
    _add_init(t)


def _run_options(args: argparse.Namespace) -> dict[str, Any]:
    """What `_add_run_options` gave, as the trainer takes it (checkpoints at validations)."""
    names = ("steps", "batch", "size", "lr", "config", "resume", "init", "device",
             "time_limit", "export", "seed", "sample_every")  # fmt: skip
    return {n: getattr(args, n) for n in names} | {"checkpoint_every": args.sample_every}


def _add_export_best(t: argparse.ArgumentParser) -> None:
    t.add_argument(
        "--export-best",
        type=Path,
        default=None,
        metavar="FILE",
        help="no training: write the run's best held-out weights so far to FILE (a run a"
        " session's end stopped, or one still going)",
    )


def _add_init(t: argparse.ArgumentParser) -> None:
    t.add_argument(
        "--init",
        type=Path,
        default=None,
        metavar="WEIGHTS",
        help="start a new run from these weights instead of random ones (e.g. the shipped"
        " resources/models/....safetensors, on a fresh machine); --resume continues a run;"
        " an upscaler with fewer blocks than --blocks is deepened, the new blocks at first"
        " the identity",
    )
