"""Make the bundled sample film: a colour clip turned into an old-looking black-and-white film.

    python resources/samples/make_sample.py ../shared/data/video_clips/bigbuckbunny.mp4

writes `bbb_bw.mp4` (grey, grainy, flickering, soft, with the original sound
copied packet for packet) and `bbb_color.mp4` (the untouched colour original,
kept for measuring colorization) beside this script. Deterministic: the same
input gives the same film.

The film is 480 lines high (the original is 720p). Only luma survives, as on
panchromatic stock; the chroma planes are neutral.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageFilter

HERE = Path(__file__).resolve().parent


def _film_look(y: np.ndarray, rng: np.random.Generator, gain: float) -> np.ndarray:
    """Soften, flicker, vignette and grain one luma plane (uint8 in, uint8 out)."""
    h, w = y.shape
    # Old lenses and prints are soft; a slight blur also makes restoration measurable.
    soft = np.asarray(Image.fromarray(y).filter(ImageFilter.GaussianBlur(0.8)), np.float32) / 255
    # Print contrast: a gentle S-curve, lifted blacks.
    img = 0.04 + 0.92 * (soft - 0.5 * np.sin(2 * np.pi * soft) / (2 * np.pi) * 0.6)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    img *= (1.0 - 0.18 * r2) * gain
    # Grain: clumped (low-pass noise) and strongest in the mid-tones, as in silver halide.
    noise = rng.standard_normal((h // 2, w // 2)).astype(np.float32)
    noise = np.asarray(Image.fromarray(noise, "F").resize((w, h), Image.Resampling.BILINEAR))
    img += noise * 0.045 * (0.35 + np.sqrt(np.clip(img * (1 - img), 0, None)))
    # A few dust specks now and then.
    for _ in range(rng.poisson(1.2)):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        rad = rng.integers(1, 4)
        img[max(0, cy - rad) : cy + rad, max(0, cx - rad) : cx + rad] = rng.choice([0.02, 0.95])
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)


def make(src: Path, out_dir: Path, *, height: int = 480, seed: int = 1952) -> Path:
    out = out_dir / "bbb_bw.mp4"
    tmp = out.with_suffix(".partial.mp4")
    rng = np.random.default_rng(seed)
    with av.open(str(src)) as inp, av.open(str(tmp), "w") as dst:
        vin = inp.streams.video[0]
        vout = dst.add_stream("libx264", rate=vin.average_rate)
        src_w, src_h = vin.codec_context.width, vin.codec_context.height
        # Old films are seldom sharp HD; a 480-line print also leaves room for x2 upscaling.
        vout.height = height
        vout.width = round(src_w * height / src_h / 2) * 2
        vout.pix_fmt = "yuv420p"
        vout.time_base = vin.time_base
        vout.options = {"crf": "21", "preset": "slow", "x264-params": "keyint=50"}
        vout.codec_context.color_range = 1  # limited ("tv")
        audio_map = {}
        for a in inp.streams.audio:
            audio_map[a.index] = dst.add_stream_from_template(a)
        n = vin.frames or 0
        # Flicker: a slow random walk of exposure, as from an uneven printer light.
        gains = 1.0 + 0.04 * np.convolve(rng.standard_normal(n + 8), np.ones(4) / 2, "same")
        i = 0
        for packet in inp.demux(vin, *inp.streams.audio):
            if packet.stream.type == "audio":
                if packet.dts is None:
                    continue
                packet.stream = audio_map[packet.stream.index]
                dst.mux(packet)
                continue
            for frame in packet.decode():
                y = frame.reformat(vout.width, vout.height, "gray", interpolation="AREA")
                y = y.to_ndarray()
                grey = _film_look(y, rng, float(gains[min(i, len(gains) - 1)]))
                vf = av.VideoFrame.from_ndarray(grey, format="gray").reformat(format="yuv420p")
                vf.pts, vf.time_base = frame.pts, frame.time_base
                dst.mux(vout.encode(vf))
                i += 1
        dst.mux(vout.encode(None))
    tmp.replace(out)
    shutil.copyfile(src, out_dir / "bbb_color.mp4")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the colour clip (Big Buck Bunny, CC BY 3.0)")
    parser.add_argument("--out-dir", type=Path, default=HERE)
    parser.add_argument("--height", type=int, default=480, help="lines of the black-and-white film")
    args = parser.parse_args(argv)
    out = make(args.source, args.out_dir, height=args.height)
    print(f"wrote {out} and {args.out_dir / 'bbb_color.mp4'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
