"""An architecture sweep read back: held-out figure per CPU-minute, as a table and a plot.

A sweep is several short upscaler runs (`panchro train upscaler --channels C --blocks B
--patch P --val-patch V --time-limit S`, one run folder each) that differ in one thing
at a time. Which architecture to train for hours is decided by what each run reached for
the CPU it used, not by its size or its step count: a wide network takes fewer, dearer
steps. So every held-out row of a run's `log.jsonl` (`val_psnr`, `val_bicubic_psnr`) is
placed at the CPU minutes the run had spent at that step (`cpu_s` of the training log's
rows, interpolated; a run logged before `cpu_s` existed falls back to its wall clock, and
the table says so), and the runs are compared at the same CPU minutes.

The runs must share their held-out windows (`--val-patch`, the same data and seed): the
table refuses runs whose bicubic figure differs, since their numbers would not compare.

Colorizer runs (`panchro train colorizer --config C --sample-every N`) are read the same
way, with the held-out bits per chroma value (`val_bits`, lower is better) as the figure:
they must share their data (the run's data fingerprint) and held-out count, and are not
mixed with upscaler runs in one table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from panchro.engine.errors import BadInputError

PALETTE = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)  # fmt: skip


@dataclass
class SweepRun:
    """One run of a sweep: its architecture, its cost, and its held-out curve."""

    name: str
    channels: int
    blocks: int
    frames: int
    scale: int
    patch: int
    params: int
    macs: int  # multiply-adds per output pixel
    steps: int
    examples_per_s: float  # median training throughput, windows a (wall) second
    bicubic: float  # held-out PSNR of bicubic, dB
    points: list[tuple[float, int, float]]  # (CPU minutes, step, held-out figure)
    clock: str  # "cpu" (the process's CPU time) or "wall" (a log without cpu_s)
    # "upscaler": the figure is PSNR (dB), shown as the gain over `bicubic`; "colorizer":
    # bits per chroma value, lower is better (`bicubic` is 0 and `patch` the input side)
    kind: str = "upscaler"
    held_out: str = ""  # what the held-out figures were measured on, to refuse mixing

    @property
    def lower_is_better(self) -> bool:
        return self.kind == "colorizer"

    def shown(self, value: float) -> float:
        """The figure as the table and plot show it: gain over bicubic, or bits."""
        return value if self.kind == "colorizer" else value - self.bicubic

    @property
    def best(self) -> float:
        values = [p[2] for p in self.points]
        return min(values) if self.lower_is_better else max(values)

    def at(self, minutes: float) -> float | None:
        """The held-out figure at `minutes` CPU minutes, read off the curve between its two
        nearest rows (None before the first row or after the last: not measured)."""
        pts = self.points
        if not pts or minutes < pts[0][0] - 1e-9 or minutes > pts[-1][0] + 1e-9:
            return None
        for (m0, _, v0), (m1, _, v1) in zip(pts, pts[1:], strict=False):
            if m0 <= minutes <= m1:
                return v0 + (v1 - v0) * (minutes - m0) / max(m1 - m0, 1e-9)
        return pts[-1][2]

    @property
    def minutes(self) -> float:
        return self.points[-1][0]


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInputError(f"cannot be read ({exc.strerror or exc})", path=path) from None
    rows = []
    for line in text.splitlines():
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn last line (the run was killed mid-write)
    return rows


def _interpolate(step: int, known: list[tuple[int, float]]) -> float:
    """The clock at `step` from (step, seconds) rows: linear between rows, extrapolated at
    the ends by the nearest rows' pace."""
    if len(known) == 1:
        s, t = known[0]
        return t * step / max(s, 1)
    for (s0, t0), (s1, t1) in zip(known, known[1:], strict=False):
        if step <= s1 or (s1, t1) == known[-1]:
            return t0 + (t1 - t0) * (step - s0) / max(s1 - s0, 1)
    return known[-1][1]


def _curve(
    folder: Path, figure: str, speed: str
) -> tuple[list[tuple[float, int, float]], list[dict[str, Any]], str, float, int]:
    """A run's held-out rows at CPU minutes: (points, held-out rows, clock, median speed,
    last logged step)."""
    rows = _rows(folder / "log.jsonl")
    train = [r for r in rows if "loss" in r]
    val = [r for r in rows if r.get(figure) is not None]
    if not val or not train:
        raise BadInputError("has no held-out rows yet (too short a run?)", path=folder)
    clock = "cpu" if all("cpu_s" in r for r in train) else "wall"
    key = "cpu_s" if clock == "cpu" else "elapsed_s"
    known = sorted({(int(r["step"]), float(r[key])) for r in train})
    points = [
        (_interpolate(int(r["step"]), known) / 60.0, int(r["step"]), float(r[figure])) for r in val
    ]
    speeds = sorted(float(r.get(speed, 0.0)) for r in train)
    return points, val, clock, speeds[len(speeds) // 2], known[-1][0]


def _colorizer_macs(cfg: Any) -> int:
    """Multiply-adds of one teacher-forced forward pass over one picture (what a training
    step costs per picture, before the backward pass)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from panchro.engine.models.colorizer import build

    model = build(cfg).eval()
    grey = torch.zeros(1, 1, cfg.image_size, cfg.image_size)
    bins = torch.zeros(1, 2, cfg.chroma_size, cfg.chroma_size, dtype=torch.long)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(grey, bins)
    return counter.get_total_flops() // 2


def _read_colorizer_run(folder: Path, record: dict[str, Any]) -> SweepRun:
    from panchro.engine.models.colorizer import ColorizerConfig, build

    cfg = ColorizerConfig.from_dict(record["config"])
    points, val, clock, speed, last = _curve(folder, "val_bits", "images_per_s")
    return SweepRun(
        name=folder.name,
        channels=cfg.pixelcnn_channels,
        blocks=cfg.pixelcnn_layers,
        frames=1,
        scale=1,
        patch=cfg.image_size,
        params=build(cfg).num_params(),
        macs=_colorizer_macs(cfg),
        steps=int(record.get("step", last)),
        examples_per_s=speed,
        bicubic=0.0,
        points=points,
        clock=clock,
        kind="colorizer",
        held_out=f"{record.get('data_fingerprint')}/{val[-1].get('val_images')}",
    )


def read_run(folder: str | Path) -> SweepRun:
    """A run folder of `panchro train upscaler` or `train colorizer` (its checkpoint.json
    and log.jsonl)."""
    from panchro.engine.models.upscaler import UpscalerConfig, build, macs_per_pixel

    folder = Path(folder)
    record_path = folder / "checkpoint.json"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInputError(f"is not a finished training run ({exc})", path=record_path) from None
    if str(record.get("format", "")).startswith("panchro.train.colorizer"):
        return _read_colorizer_run(folder, record)
    cfg = UpscalerConfig.from_dict(record["config"])
    points, val, clock, speed, last = _curve(folder, "val_psnr", "windows_per_s")
    return SweepRun(
        name=folder.name,
        channels=cfg.channels,
        blocks=cfg.blocks,
        frames=cfg.frames,
        scale=cfg.scale,
        patch=int(record.get("patch", 0)),
        params=build(cfg).num_params(),
        macs=round(macs_per_pixel(cfg) / cfg.scale**2),  # the model works at low resolution
        steps=int(record.get("step", last)),
        examples_per_s=speed,
        bicubic=float(val[-1]["val_bicubic_psnr"]),
        points=points,
        clock=clock,
    )


def read_sweep(folders: Sequence[str | Path]) -> list[SweepRun]:
    """The runs, checked to share their held-out windows (the same bicubic figure)."""
    runs = [read_run(f) for f in folders]
    if not runs:
        raise BadInputError("give the run folders of the sweep")
    kinds = sorted({r.kind for r in runs})
    if len(kinds) > 1:
        raise BadInputError(f"one sweep at a time: these runs train {' and '.join(kinds)}s")
    if runs[0].kind == "colorizer":
        odd = [r.name for r in runs if r.held_out != runs[0].held_out]
        if odd:
            raise BadInputError(
                f"{', '.join(odd)} held out other pictures than {runs[0].name}: train every"
                " run with the same --data"
            )
        return runs
    base = runs[0].bicubic
    odd = [r.name for r in runs if abs(r.bicubic - base) > 1e-6]
    if odd:
        raise BadInputError(
            f"{', '.join(odd)} held out other windows than {runs[0].name} (bicubic "
            f"{base:.3f} dB there): train every run with the same data, seed and --val-patch"
        )
    return runs


def sweep_table(runs: Sequence[SweepRun], minutes: Sequence[float]) -> str:
    """A Markdown table: architecture, cost, and the held-out figure (gain over bicubic, or
    a colorizer's bits per chroma value) at each of `minutes` CPU minutes and at the run's
    end, best at each column in bold."""
    colour = bool(runs) and runs[0].kind == "colorizer"
    cols = [f"{m:g} CPU-min" for m in minutes]
    arch = (
        "input px | PixelCNN channels × layers | params | mult-adds / picture | pictures/s"
        if colour
        else "channels × blocks | patch | params | mult-adds / output px | windows/s"
    )
    head = f"| run | {arch} | steps | " + " | ".join(cols) + " | best (run length, CPU-min) |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    pick = min if colour else max
    best_at = []
    for m in minutes:
        got = [r.at(m) for r in runs]
        best_at.append(pick((g for g in got if g is not None), default=None))
    best_end = pick(r.best for r in runs)

    def cell(r: SweepRun, value: float | None, top: float | None) -> str:
        if value is None:
            return "–"
        text = f"{r.shown(value):.3f}" if colour else f"+{r.shown(value):.2f}"
        return f"**{text}**" if top is not None and abs(value - top) < 1e-9 else text

    for r in runs:
        marks = "" if r.clock == "cpu" else " (wall clock)"
        shape = [str(r.patch), f"{r.channels} × {r.blocks}"]
        row = [
            f"{r.name}{marks}",
            *(shape if colour else shape[::-1]),
            f"{r.params / 1e3:.0f} k",
            f"{r.macs:,}",
            f"{r.examples_per_s:.{1 if colour else 0}f}",
            str(r.steps),
            *(cell(r, r.at(m), top) for m, top in zip(minutes, best_at, strict=True)),
            f"{cell(r, r.best, best_end)} ({r.minutes:.1f})",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def plot_sweep(runs: Sequence[SweepRun], png: str | Path, title: str = "") -> Path:
    """The held-out figure (gain over bicubic, dB; or a colorizer's bits per chroma value)
    against CPU minutes, a line per run, with a key (Pillow only, as the GPU kit's curves)."""
    from PIL import Image, ImageDraw

    w, h, left, right, top, bottom = 900, 520, 60, 230, 36, 44
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    xs = [p[0] for r in runs for p in r.points]
    ys = [r.shown(p[2]) for r in runs for p in r.points]
    sign = "" if runs and runs[0].kind == "colorizer" else "+"
    x1 = max(xs) * 1.02
    y0, y1 = min(ys), max(ys)
    y0 = math.floor(y0 * 4) / 4
    y1 = math.ceil(y1 * 4) / 4 + 1e-9

    def at(x: float, y: float) -> tuple[float, float]:
        px = left + x / x1 * (w - left - right)
        py = h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom)
        return px, py

    draw.rectangle([left, top, w - right, h - bottom], outline=(90, 90, 90))
    step = 0.25 if y1 - y0 <= 2.5 else 0.5
    tick = y0
    while tick <= y1:
        _, py = at(0, tick)
        draw.line([(left, py), (w - right, py)], fill=(225, 225, 225))
        draw.text((6, py - 6), f"{sign}{tick:.2f}", fill="black")
        tick += step
    for m in range(0, int(x1) + 1, max(1, int(x1) // 10)):
        px, _ = at(m, y0)
        draw.line([(px, h - bottom), (px, h - bottom + 4)], fill="black")
        draw.text((px - 4, h - bottom + 8), str(m), fill="black")
    draw.text((left, h - 18), "CPU minutes (one thread)", fill="black")
    default = (
        "held-out bits per chroma value (lower is better)"
        if not sign
        else "held-out PSNR gain over bicubic (dB)"
    )
    draw.text((left, 10), title or default, fill="black")
    for n, r in enumerate(runs):
        colour = PALETTE[n % len(PALETTE)]
        pts = [at(p[0], r.shown(p[2])) for p in r.points]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2)
        for px, py in pts:
            draw.ellipse([px - 2, py - 2, px + 2, py + 2], fill=colour)
        ky = top + 8 + n * 18
        draw.line([(w - right + 12, ky + 6), (w - right + 36, ky + 6)], fill=colour, width=3)
        draw.text((w - right + 42, ky), f"{r.name} {sign}{r.shown(r.best):.2f}", fill="black")
    out = Path(png)
    img.save(out)
    return out


__all__ = ["SweepRun", "plot_sweep", "read_run", "read_sweep", "sweep_table"]
