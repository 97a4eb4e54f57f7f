"""`panchro eval telecine`: whether a film telecined to video is found and given back whole,
and whether video shot as fields, or a progressive clip, is taken for one.

Each clip's first pictures (grey, `WIDTH` px wide unless asked) are spread over fields
three ways and coded as H.264 video (crf 12, coded progressive, as a capture often is),
then read back with `--deinterlace auto`:
  3:2 pulldown   NTSC at 29.97 fps, video frames AA BB BC CD DD of pictures ABCD;
  phase shift    PAL 2:2 with the fields a step out of phase (frame i: the top field of
                 picture i, the bottom of picture i - 1);
  video          the clip taken as fields at twice its rate (frame i: the top field of
                 picture 2i, the bottom of 2i + 1): interlaced video, never a telecine;
  repeats        progressive at 24 fps with one frame in five (then in four) shown twice,
                 as a film shot at 19.2 (18) pictures a second is transferred.
Figures: what auto did to each (and to the clip itself); for the two telecines the luma
PSNR of each frame against the film picture it is nearest of those its fields came from,
as read woven (off), deinterlaced (bwdif, in the right field order) and by auto (field
matched where found); a 3:2 pulldown that auto decimates back to 23.976 fps, and the
repeats left out, are held to the film's pictures one for one, in order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from panchro.engine.evaluate.video import clip_paths

WIDTH = 480
PICTURES = 96
FIGURES = (
    "pulldown_off_db",
    "pulldown_bwdif_db",
    "pulldown_auto_db",
    "phase_off_db",
    "phase_bwdif_db",
    "phase_auto_db",
    "repeat5_auto_db",
)


def weave(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """A frame of `top`'s even lines (the top field) and `bottom`'s odd ones."""
    frame = top.copy()
    frame[1::2] = bottom[1::2]
    return frame


def telecine(
    pictures: Sequence[np.ndarray], how: str
) -> tuple[list[np.ndarray], list[tuple[int, ...]], Fraction]:
    """`pictures` spread over video frames `how` ("3:2", "phase" or "video"; the module
    docstring): the frames, the pictures each frame's fields come from, and the rate."""
    frames: list[np.ndarray] = []
    sources: list[tuple[int, ...]] = []
    if how == "3:2":
        # Pictures a b c d -> frames (a,a) (b,b) (b,c) (c,d) (d,d): (top, bottom); what is
        # left over (fewer than four) ends the tape a frame each, as if cut there.
        for c in range(len(pictures) // 4):
            i = 4 * c
            for t, b in ((i, i), (i + 1, i + 1), (i + 1, i + 2), (i + 2, i + 3), (i + 3, i + 3)):
                frames.append(weave(pictures[t], pictures[b]))
                sources.append(tuple(sorted({t, b})))
        for i in range(len(pictures) // 4 * 4, len(pictures)):
            frames.append(pictures[i].copy())
            sources.append((i,))
        return frames, sources, Fraction(30000, 1001)
    if how == "phase":
        for i in range(1, len(pictures)):
            frames.append(weave(pictures[i], pictures[i - 1]))
            sources.append((i - 1, i))
        return frames, sources, Fraction(25)
    if how.startswith("repeat"):  # "repeat5": progressive, one frame in five shown twice
        every = int(how[len("repeat") :])
        for i, picture in enumerate(pictures):
            frames.append(picture)
            sources.append((i,))
            if len(frames) % every == 2:
                frames.append(picture)
                sources.append((i,))
        return frames, sources, Fraction(24)
    if how == "video":
        for i in range(len(pictures) // 2):
            frames.append(weave(pictures[2 * i], pictures[2 * i + 1]))
            sources.append((2 * i, 2 * i + 1))
        return frames, sources, Fraction(30000, 1001)
    raise ValueError(f"unknown way to spread pictures over fields: {how!r}")


def write_video(
    path: Path,
    frames: Sequence[np.ndarray],
    rate: Fraction,
    *,
    crf: int = 12,
    flagged: bool = False,
    flag_order: str = "tff",
    gop: int = 15,
    codec: str = "libx264",
) -> Path:
    """Grey `frames` as H.264 4:2:0 at `rate` (`flagged`: coded as interlaced, saying
    `flag_order` ("tff"/"bff") is the field shown first); `codec` "ffv1": lossless, the
    H.264 options unused."""
    import av

    h, w = frames[0].shape
    out = av.open(str(path), mode="w")
    try:
        options: dict[str, str] = {}
        if codec == "libx264":
            # mbtree off: x264's reads unwritten memory, and the film would differ by run
            params = "mbtree=0" + (f":{flag_order}=1" if flagged else "")
            options = {"g": str(gop), "crf": str(crf), "preset": "veryfast", "x264-params": params}
            if flagged:
                options |= {"flags": "+ilme+ildct"}
        vs = out.add_stream(codec, rate=rate, options=options)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        for i, y in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.repeat(y[..., None], 3, 2), format="rgb24")
            frame.pts = i
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode(None):
            out.mux(packet)
    finally:
        out.close()
    return path


def _read(path: Path, mode: str) -> tuple[list[np.ndarray], str]:
    from panchro.engine.media import open_source

    with open_source(path, deinterlace=mode) as src:
        return [f.image for f in src.frames(fmt="gray")], src.info.deinterlace


def _psnr(
    frames: Sequence[np.ndarray], pictures: Sequence[np.ndarray], sources: Sequence[tuple[int, ...]]
) -> float:
    """Mean over frames of the luma PSNR against the nearest of the pictures it came from."""
    values = []
    for y, src in zip(frames, sources, strict=True):
        a = y.astype(np.float64)
        mse = min(float(np.mean((a - pictures[k]) ** 2)) for k in src)
        values.append(10 * np.log10(255.0**2 / max(mse, 1e-6)))
    return float(np.mean(values))


def _said(deinterlace: str) -> str:
    """What auto did, in a word or two."""
    if deinterlace.startswith("field matched"):
        return "matched"
    if deinterlace.startswith("deinterlaced"):
        return "bwdif"
    if "repeated frames left out" in deinterlace:
        return "repeats out"
    return "as is"


def eval_telecine(
    data: Sequence[str | Path],
    *,
    pictures: int = PICTURES,
    width: int = WIDTH,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the figures (module docstring) for the clips in `data`, each
    clip's first `pictures` at `width` px wide."""
    from panchro.engine.media import open_source

    out(
        f"telecine: each clip's first {pictures} pictures at {width} px wide, spread over "
        "fields and read back by --deinterlace auto (PSNR against the film's pictures)"
    )
    out(
        f"  {'clip':<28} {'3:2 pulldown: auto':>18} {'off':>6} {'bwdif':>6} {'auto':>6}"
        f"  {'phase: auto':>11} {'off':>6} {'bwdif':>6} {'auto':>6}  {'video':>7}"
        f"  {'1 in 5: auto':>12} {'auto':>6}  {'1 in 4':>11}  {'clip':>11}"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="panchro-telecine-") as tmp:
        for path in clip_paths(data):
            with open_source(path) as src:
                info = src.info
                h = int(round(info.height * width / info.width / 2)) * 2
                count = min(pictures, info.frame_count) // 4 * 4
                shots = [f.image for f in src.frames(0, count, fmt="gray", size=(width, h))]
                clip_said = _said(info.deinterlace)
            row: dict[str, Any] = {"clip": path.name, "frames": count}
            for how, order in (
                ("3:2", "tff"), ("phase", "bff"), ("video", "tff"), ("repeat5", ""),
                ("repeat4", ""),
            ):  # fmt: skip
                frames, sources, rate = telecine(shots, how)
                video = write_video(Path(tmp) / f"{how.replace(':', '')}.mp4", frames, rate)
                auto, said = _read(video, "auto")
                key = "pulldown" if how == "3:2" else how
                row[f"{key}_said"] = _said(said)
                if how == "video" or how == "repeat4":
                    continue
                if how == "repeat5":  # the whole cycles' frames against the pictures
                    whole = len(frames) // 5 * 4
                    row[f"{key}_auto_db"] = _psnr(auto[:whole], shots, [(k,) for k in range(whole)])
                    continue
                row[f"{key}_off_db"] = _psnr(_read(video, "off")[0], shots, sources)
                row[f"{key}_bwdif_db"] = _psnr(_read(video, order)[0], shots, sources)
                if len(auto) == len(shots):  # decimated: the pictures themselves, in order
                    row[f"{key}_auto_db"] = _psnr(auto, shots, [(k,) for k in range(len(shots))])
                else:
                    row[f"{key}_auto_db"] = _psnr(auto, shots, sources)
            row["clip_said"] = clip_said
            rows.append(row)
            out(_line(row))
    mean = {"clip": "mean", "frames": sum(r["frames"] for r in rows)}
    mean |= {k: float(np.mean([r[k] for r in rows])) for k in FIGURES}
    said = ("pulldown", "phase", "video", "repeat5", "repeat4", "clip")
    out(_line(mean | {f"{k}_said": "" for k in said}))
    return {"clips": rows, "mean": mean}


def _line(r: dict[str, Any]) -> str:
    return (
        f"  {str(r['clip'])[:28]:<28} {r['pulldown_said']:>18} {r['pulldown_off_db']:>6.2f}"
        f" {r['pulldown_bwdif_db']:>6.2f} {r['pulldown_auto_db']:>6.2f}  {r['phase_said']:>11}"
        f" {r['phase_off_db']:>6.2f} {r['phase_bwdif_db']:>6.2f} {r['phase_auto_db']:>6.2f}"
        f"  {r['video_said']:>7}  {r['repeat5_said']:>12} {r['repeat5_auto_db']:>6.2f}"
        f"  {r['repeat4_said']:>11}  {r['clip_said']:>11}"
    )
