"""Small synthetic media for tests: films with sound, subtitles and VFR timing, frame folders.

Everything is generated with PyAV and numpy in a few hundred milliseconds, so
tests need no downloads and no files from outside the repository. Frames carry
a moving square over a gradient and a per-frame "barcode" of the frame number,
so two decodes of the same frame are equal and different frames differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.subtitles.subtitle import SubtitleSet

from panchro.engine.media import ASS_HEADER

SUBTITLE_CUES = (("Hello", 0.1, 0.8), ("Second cue", 1.0, 1.6))

# Frame durations (in 1/90000 s) a VFR film cycles through: 24, 30, 12 and 60 fps.
VFR_STEPS = (3750, 3000, 7500, 1500)


def pattern_frame(
    i: int, size: tuple[int, int], pattern: str = "moving", scene: int = 0, counter: bool = True
) -> np.ndarray:
    """RGB uint8 (h, w, 3): frame `i` of a pattern; `scene` changes the background at cuts;
    `counter`: the frame number in binary along the top edge."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    if pattern == "bars":
        bars = np.array(
            [
                [235, 235, 235],
                [235, 235, 16],
                [16, 235, 235],
                [16, 235, 16],
                [235, 16, 235],
                [235, 16, 16],
                [16, 16, 235],
                [16, 16, 16],
            ],
            dtype=np.uint8,
        )
        img = bars[(x * 8 // w) % 8]
    else:
        hue = (scene * 97) % 256
        img = np.empty((h, w, 3), np.uint8)
        img[..., 0] = (x * 255 // max(w - 1, 1) + hue) % 256
        img[..., 1] = (y * 255 // max(h - 1, 1) + 2 * hue) % 256
        img[..., 2] = (128 + 64 * np.sin((x + y) / 9.0 + scene)).astype(np.uint8)
        if pattern == "gray":
            img[:] = img.mean(axis=2, keepdims=True).astype(np.uint8)
    img = img.copy()
    side = max(4, min(w, h) // 4)
    px = (i * 5) % max(1, w - side)
    py = (i * 3) % max(1, h - side)
    img[py : py + side, px : px + side] = (250, 250, 250) if pattern != "gray" else 250
    if not counter:
        return img
    # The frame number in binary, 10 blocks along the top edge.
    block = max(2, w // 20)
    for bit in range(10):
        on = (i >> bit) & 1
        img[0:block, bit * block : (bit + 1) * block] = 255 if on else 0
    return img


def make_video(
    path: str | Path,
    *,
    frames: int = 48,
    size: tuple[int, int] = (160, 120),
    fps: int | Fraction = 24,
    audio: bool = True,
    subtitles: bool = False,
    vfr: bool = False,
    codec: str = "libx264",
    pattern: str = "moving",
    cuts: Sequence[int] = (),
    gop: int = 12,
    pix_fmt: str | None = None,
    exposure: Sequence[float] | None = None,
    counter: bool = True,
    pictures: Sequence[np.ndarray] | None = None,
    sar: Fraction | None = None,
    timecode: str | None = None,
    audio_codec: str = "aac",
) -> Path:
    """A small film. Returns its path.

    - CFR: time base 1/fps (the MP4 muxer stores its own multiple of it), pts 0, 1, 2...
    - `vfr=True`: time base 1/90000 and frame durations cycling through `VFR_STEPS`.
    - `audio`: a 440 Hz sine in AAC (or `audio_codec`), 48 kHz mono, as long as the video.
    - `subtitles`: the `SUBTITLE_CUES`, as mov_text in .mp4/.mov, SubRip in .mkv.
    - `cuts`: frame numbers where the scene (background) changes, for shot detection.
    - `gop`: keyframe interval, small so random access crosses keyframes.
    - `exposure`: a gain per frame on the pictures (film flicker), clipped to 0..255.
    - `counter`: the frame number in binary along the top edge (without it, the picture's
      histogram stays the same from frame to frame, as a steady film's nearly does).
    - `pictures`: RGB uint8 frames (H, W, 3) to write instead of the pattern (as many as
      `frames`, `size` theirs).
    - `sar`: the pixels' aspect (an anamorphic transfer: 4/3 shows 720 px as 960).
    - `timecode`: the first frame's label ("10:00:00:00"; a timecode track in MOV/MP4).
    """
    path = Path(path)
    fps = Fraction(fps)
    tb = Fraction(1, 90000) if vfr else 1 / fps
    ext = path.suffix.lower()
    out = av.open(str(path), mode="w")
    try:
        options = {"g": str(gop)}
        if codec == "libx264":
            options |= {"crf": "20", "preset": "veryfast"}
        elif codec == "libx265":
            options |= {"crf": "24", "preset": "ultrafast", "x265-params": "log-level=error"}
        vs = out.add_stream(codec, rate=fps, options=options)
        vs.width, vs.height = size
        vs.pix_fmt = pix_fmt or ("yuv422p10le" if codec == "prores_ks" else "yuv420p")
        vs.time_base = tb
        vs.codec_context.time_base = tb
        if sar is not None:
            vs.codec_context.sample_aspect_ratio = sar
        if timecode is not None:
            vs.metadata["timecode"] = timecode
        aus = None
        if audio:
            aus = out.add_stream(audio_codec, rate=48000)
            aus.layout = "mono"
        sub = None
        if subtitles:
            sub = out.add_stream("subrip" if ext == ".mkv" else "mov_text")
            sub.codec_context.subtitle_header = ASS_HEADER
            sub.time_base = Fraction(1, 1000)

        cut_list = sorted(cuts)
        pts = 0
        for i in range(frames):
            scene = sum(1 for c in cut_list if i >= c)
            img = pattern_frame(i, size, pattern, scene, counter)
            if pictures is not None:
                img = pictures[i]
                assert img.shape == (size[1], size[0], 3), "pictures must be `size`"
            if exposure is not None:
                img = np.clip(img * float(exposure[i]), 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = pts
            frame.time_base = tb
            for packet in vs.encode(frame):
                out.mux(packet)
            pts += VFR_STEPS[i % len(VFR_STEPS)] if vfr else 1
        for packet in vs.encode(None):
            out.mux(packet)
        duration = float(pts * tb)

        if aus is not None:
            rate = 48000
            n = int(round(duration * rate))
            t = np.arange(n) / rate
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for k in range(0, n, 1024):
                af = av.AudioFrame.from_ndarray(
                    tone[None, k : k + 1024], format="fltp", layout="mono"
                )
                af.sample_rate = rate
                af.pts = k
                af.time_base = Fraction(1, rate)
                for packet in aus.encode(af):  # PyAV converts the samples for PCM
                    out.mux(packet)
            for packet in aus.encode(None):
                out.mux(packet)

        if sub is not None:
            for text, start, end in SUBTITLE_CUES:
                if start >= duration:
                    break
                ms = int(round(start * 1000))
                cue = SubtitleSet.create(
                    b"0,0,Default,,0,0,0,," + text.encode(), 0, int((end - start) * 1000), pts=ms
                )
                packet = sub.codec_context.encode_subtitle(cue)
                packet.stream = sub
                packet.time_base = Fraction(1, 1000)
                packet.pts = packet.dts = ms
                out.mux(packet)
    finally:
        out.close()
    return path


def make_weaving_video(
    path: str | Path,
    offsets: Sequence[tuple[int, int]],
    *,
    size: tuple[int, int] = (192, 128),
    fps: int = 24,
    border: int = 0,
) -> Path:
    """A grey film whose frames are windows of one textured picture at `offsets` (x, y) per
    frame, in pixels: a camera's pan plus a gate's weave, as the test lays them. FFV1.
    `border`: that many black pixels round each frame that hold still (a scanner's frame)."""
    w, h = size
    reach = max(max(abs(x), abs(y)) for x, y in offsets) + 1
    rng = np.random.default_rng(11)
    big_h, big_w = h + 2 * reach, w + 2 * reach
    blocks = rng.random((big_h // 6 + 2, big_w // 6 + 2))
    yy, xx = np.mgrid[0:big_h, 0:big_w]
    picture = np.kron(blocks, np.ones((6, 6)))[:big_h, :big_w] * 150 + 50
    picture += 40 * np.sin(xx / 11.0) * np.cos(yy / 7.0)
    picture = np.clip(picture, 0, 255).astype(np.uint8)
    from panchro.engine.evaluate.telecine import write_video

    crops = [picture[reach - y : reach - y + h, reach - x : reach - x + w] for x, y in offsets]
    if border:
        crops = [frame.copy() for frame in crops]  # views of one picture until now
        for frame in crops:
            frame[:border], frame[-border:], frame[:, :border], frame[:, -border:] = 0, 0, 0, 0
    return write_video(Path(path), crops, Fraction(fps), codec="ffv1")


def dusty_frames(
    frames: int = 24, size: tuple[int, int] = (192, 128), seed: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """(clean, dusty): `frames` grey uint8 frames of a slow pan over a textured picture, and
    the same with specks of dirt (dark and light discs, 1.5-3 px across, on one frame each)
    on every frame but the first and last, none within 12 px of one on the frame before (dirt
    on one place of two frames running is not what `--dust` finds)."""
    w, h = size
    rng = np.random.default_rng(seed)
    blocks = rng.random((h // 6 + 12, w // 6 + 12))
    big = np.kron(blocks, np.ones((6, 6)))[: h + 60, : w + 60] * 140 + 50
    yy, xx = np.mgrid[0 : h + 60, 0 : w + 60]
    big = np.clip(big + 30 * np.sin(xx / 11.0) * np.cos(yy / 7.0), 0, 255)
    clean = np.stack(
        [big[30 - k // 2 : 30 - k // 2 + h, 30 - k : 30 - k + w] for k in range(frames)]
    )
    clean = clean.astype(np.uint8)
    dusty = clean.copy()
    fy, fx = np.mgrid[0:h, 0:w]
    before: list[tuple[int, int]] = []
    for k in range(1, frames - 1):
        placed: list[tuple[int, int]] = []
        while len(placed) < 4:
            y, x = int(rng.integers(8, h - 8)), int(rng.integers(8, w - 8))
            if any(abs(y - py) < 12 and abs(x - px) < 12 for py, px in before):
                continue
            placed.append((y, x))
            r = rng.uniform(1.5, 3.0)
            dusty[k][(fy - y) ** 2 + (fx - x) ** 2 <= r * r] = 8 if rng.random() < 0.5 else 247
        before = placed
    return clean, dusty


def soft_pan(
    n: int = 9,
    size: tuple[int, int] = (256, 144),
    step: int = 2,
    grain: float = 0.02,
    seed: int = 5,
    relief: float = 0.06,
) -> np.ndarray:
    """`n` float frames (0..1) of a camera panning by `step` px a frame over a soft picture
    (shapes 40-160 px across, of `relief` contrast) with grain: no line or edge of its own."""
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0 : w + step * n].astype(np.float64)
    big = np.full(xx.shape, 0.5)
    for _ in range(12):
        angle, length = rng.uniform(0, np.pi), rng.uniform(40, 160)
        phase = rng.uniform(0, 2 * np.pi)
        wave = (xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / length + phase
        big += relief * np.sin(wave)
    frames = np.stack([big[:, k * step : k * step + w] for k in range(n)])
    frames += rng.normal(0, grain, frames.shape)
    return np.clip(frames, 0, 1).astype(np.float32)


def scratch(
    frames: np.ndarray,
    x: float,
    contrast: float,
    sigma: float = 0.9,
    rows: slice = slice(None),
    drift: float = 0.2,
) -> np.ndarray:
    """Float `frames` (N, H, W) with a soft line scratch down them at column `x`, drifting by
    `drift` px a frame."""
    out = frames.copy()
    xs = np.arange(frames.shape[2], dtype=np.float32)
    for k in range(len(frames)):
        line = np.exp(-(((xs - x - drift * k) / sigma) ** 2) / 2) * contrast
        out[k, rows] += line[None]
    return np.clip(out, 0, 1).astype(np.float32)


def scratched_frames(
    frames: int = 24, size: tuple[int, int] = (256, 144)
) -> tuple[np.ndarray, np.ndarray]:
    """(clean, scratched): `frames` grey uint8 frames of a slow pan over a soft picture, and
    the same with a light scratch down all of them and a dark one down two thirds."""
    clean = soft_pan(frames, size, grain=0.015)
    w, h = size
    out = scratch(
        scratch(clean, w * 0.3, 0.2), w * 0.7, -0.15, sigma=1.1, rows=slice(0, h * 2 // 3)
    )
    return (np.round(clean * 255).astype(np.uint8), np.round(out * 255).astype(np.uint8))


def make_interlaced_video(
    path: str | Path,
    *,
    frames: int = 24,
    size: tuple[int, int] = (160, 120),
    fps: int = 25,
    flagged: bool = True,
    woven: bool = True,
    flag_order: str = "tff",
    gop: int = 6,
) -> Path:
    """A film shot as fields, top field first: a bright bar moving 6 px a field, so each
    frame's two fields show it in two places (combing). `flagged`: coded as interlaced
    H.264, which tells the decoder (else coded as progressive pictures, as some captures
    are, so only the eye can tell). `woven=False`: both fields of a frame from one
    instant, i.e. progressive pictures (a film transfer coded as interlaced video).
    `flag_order`: the field order the file says ("bff": flagged wrong). Returns its path."""
    from panchro.engine.evaluate.telecine import write_video

    w, h = size
    pictures = []
    for i in range(frames):
        y = np.full((h, w), 40, np.uint8)
        y[: h // 4] = 120  # a still band: bwdif keeps it whole
        for field in (0, 1):  # the top field (even lines) first
            x0 = (12 * i + (6 * field if woven else 0)) % (w - 16)
            y[h // 4 + field :: 2, x0 : x0 + 16] = 220
        pictures.append(y)
    return write_video(
        Path(path), pictures, Fraction(fps), crf=12, flagged=flagged, flag_order=flag_order,
        gop=gop,
    )  # fmt: skip


def make_telecined_video(
    path: str | Path,
    *,
    pictures: int = 32,
    size: tuple[int, int] = (160, 120),
    pulldown: str = "3:2",
    flagged: bool = False,
) -> list[np.ndarray]:
    """A film telecined to video (`evaluate.telecine.telecine`: "3:2" NTSC pulldown, or
    "phase", PAL with the fields a step out of phase), coded as H.264 at crf 8 (`flagged`:
    as interlaced): `pictures` film frames of a blocky texture panning 5 px a frame under
    a still band. Returns the film's pictures (grey, uint8)."""
    from panchro.engine.evaluate.telecine import telecine, write_video

    w, h = size
    rng = np.random.default_rng(7)
    texture = rng.random((h // 8, (w + 5 * pictures) // 8 + 1)) * 180 + 40
    texture = texture.astype(np.uint8).repeat(8, 0).repeat(8, 1)
    film = []
    for i in range(pictures):
        y = texture[:h, 5 * i : 5 * i + w].copy()
        y[: h // 6] = 120
        film.append(y)
    frames, _, rate = telecine(film, pulldown)
    write_video(Path(path), frames, rate, crf=8, flagged=flagged)
    return film


def judged(path: Path, match: str | None = None):  # noqa: ANN201
    """`deinterlace.check_scan` of a film's pictures, decoded here with PyAV (`match`: try
    field matching in that order too)."""
    from panchro.engine import media
    from panchro.engine.media import deinterlace

    def frames_at(start: int):  # noqa: ANN202
        container = av.open(str(path))
        try:
            for k, frame in enumerate(container.decode(video=0)):
                if k >= start:
                    yield frame
        finally:
            container.close()

    with media.open_source(path, deinterlace="off") as src:
        return deinterlace.check_scan(frames_at, src.info.frame_count, match=match)


def combing(luma: np.ndarray) -> float:
    """Mean |2 y[r] - y[r-1] - y[r+1]|: high where alternate lines disagree (interlace)."""
    a = np.asarray(luma, np.float64)
    return float(np.abs(2 * a[1:-1] - a[:-2] - a[2:]).mean())


def make_frame_folder(
    path: str | Path,
    n: int,
    size: tuple[int, int] = (64, 48),
    bit_depth: int = 8,
    ext: str = "png",
    *,
    prefix: str = "f",
    gray: bool = False,
) -> Path:
    """`n` stills named f1.png .. fN.png (unpadded, so only a natural sort orders them).

    16-bit frames use the full 0..65535 range with low bits that differ from
    frame to frame, so an 8-bit round trip anywhere would show.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_still(path / f"{prefix}{i + 1}.{ext}", still_image(i, size, bit_depth, gray))
    return path


def still_image(
    i: int, size: tuple[int, int], bit_depth: int = 8, gray: bool = False
) -> np.ndarray:
    """The deterministic content of frame `i` of `make_frame_folder`."""
    rgb = pattern_frame(i, size)
    if bit_depth == 16:
        rng = np.random.default_rng(i)
        img = rgb.astype(np.uint16) * 257 ^ rng.integers(0, 256, rgb.shape, dtype=np.uint16)
    else:
        img = rgb
    if gray:
        img = img[..., 0].copy()
    return img


def write_still(path: str | Path, image: np.ndarray) -> Path:
    """One PNG/TIFF/JPEG file from an (h, w[, 3]) uint8 or uint16 array, written by FFmpeg."""
    path = Path(path)
    ext = path.suffix.lower()
    sixteen = image.dtype == np.uint16
    if image.ndim == 2:
        src = "gray16le" if sixteen else "gray"
    else:
        src = "rgb48le" if sixteen else "rgb24"
    codec = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".jpg": "mjpeg", ".jpeg": "mjpeg"}[ext]
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format=src)
    if codec == "png":
        dst = src.replace("le", "be")
    elif codec == "mjpeg":
        dst = "yuvj444p"
    else:
        dst = src
    if frame.format.name != dst:
        frame = frame.reformat(format=dst)
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height = image.shape[1], image.shape[0]
    ctx.pix_fmt = dst
    ctx.time_base = Fraction(1, 25)
    if codec == "mjpeg":
        ctx.color_range = 2
        ctx.options = {"q": "2"}
    data = b"".join(bytes(p) for p in ctx.encode(frame)) + b"".join(
        bytes(p) for p in ctx.encode(None)
    )
    path.write_bytes(data)
    return path


def faststart_mp4(path: Path, frames: int = 132) -> Path:
    """A 96x64 H.264 MP4 with its index (moov) in front, as web encoders write them: cut
    short, it still opens and plays to the cut."""
    with av.open(str(path), "w", container_options={"movflags": "faststart"}) as out:
        s = out.add_stream("libx264", rate=24, options={"g": "12", "preset": "veryfast"})
        s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(still_image(i, (96, 64)), format="rgb24")
            frame.pts = i
            out.mux(s.encode(frame))
        out.mux(s.encode(None))
    return path


def with_broken_frame(path: Path, frame: int, out: Path) -> Path:
    """A copy of the H.264 MP4 at `path` whose `frame`-th frame (in presentation order)
    does not decode: its first NAL length made impossible, so the decoder rejects it."""
    with av.open(str(path)) as c:
        packets = sorted((p.pts, p.pos) for p in c.demux(c.streams.video[0]) if p.size)
    data = bytearray(Path(path).read_bytes())
    _, pos = packets[frame]
    data[pos : pos + 4] = b"\x7f\xff\xff\xff"
    out.write_bytes(bytes(data))
    return out


def cut_short(path: Path, share: float, name: str) -> Path:
    """The first `share` of the file's bytes, beside it as `name`: a download cut short."""
    data = path.read_bytes()
    cut = path.with_name(name)
    cut.write_bytes(data[: int(len(data) * share)])
    return cut


def decoded_frames(path: Path) -> int:
    """How many video frames a file really decodes to."""
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def retagged(path: Path, out: Path, **tags: object) -> Path:
    """`path`'s frames written again to `out` by the engine's writer with `tags` (fields of
    `MediaInfo`: colour tags, `rotation`) over what the film says. Returns `out`."""
    import dataclasses

    from panchro.engine import media

    info = dataclasses.replace(media.probe(path), **tags)
    with (
        media.open_source(path) as src,
        media.VideoWriter(
            out, width=info.width, height=info.height, time_base=info.time_base, fps=info.fps,
            source=info,
        ) as w,
    ):  # fmt: skip
        for f in src.frames(fmt="yuv444p"):
            w.write(f.image, f.pts, fmt="yuv444p")
    return out


def make_log_dpx_folder(path: str | Path, codes: np.ndarray, n: int = 3) -> Path:
    """`n` 10-bit DPX frames of the grey code values `codes` (h, w), each marked coded in log
    as film scanners write it (transfer characteristic printing density, Cineon's reference
    black 95 and white 685)."""
    import struct

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    h, w = codes.shape
    rgb = np.repeat((np.asarray(codes).astype(np.uint16) << 6)[..., None], 3, -1)
    for i in range(n):
        ctx = av.CodecContext.create("dpx", "w")
        ctx.width, ctx.height, ctx.pix_fmt = w, h, "gbrp10be"
        ctx.time_base = Fraction(1, 24)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb48le").reformat(format="gbrp10be")
        data = bytearray(b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)]))
        data[801] = 1  # printing density
        struct.pack_into(">I", data, 784, 95)
        struct.pack_into(">I", data, 792, 685)
        (path / f"scan_{i:04d}.dpx").write_bytes(bytes(data))
    return path


def scene_film(path: Path, *, shot: int = 12) -> Path:
    """Four shots of `shot` frames (FFV1, 160 x 120, 12 fps): a scene (a bright smooth left
    half, a dark checked right half), the scene mirrored (another framing of it), another
    scene (a plain ramp), and the scene mirrored again: for carrying colours to a scene."""
    w, h = 160, 120
    y, x = np.mgrid[0:h, 0:w]
    scene = np.where(x < w // 2, 200 - y * 0.3, 50 + 40 * (((x // 6) + (y // 6)) % 2))
    pictures = (scene, scene[:, ::-1], y * 2.0, scene[:, ::-1])
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=12)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv444p"
        for grey in pictures:
            rgb = np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[..., None], 3, -1)
            for _ in range(shot):
                for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_sound(
    path: str | Path,
    seconds: float,
    *,
    codec: str = "pcm_s16le",
    rate: int = 48000,
    clicks: Sequence[float] = (),
    channels: int = 2,
) -> Path:
    """A sound file (WAV, FLAC, M4A... by `path` and `codec`): a quiet 220 Hz hum with a
    loud click (a few samples at full scale) at each of `clicks` seconds, to find where it
    plays after a restore (`click_times`)."""
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    wave = (0.05 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    for c in clicks:
        k = int(round(c * rate))
        wave[k : k + 8] = 0.95
    layout = {1: "mono", 2: "stereo"}[channels]
    out = av.open(str(path), mode="w")
    try:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        planes = np.repeat(wave[None], channels, axis=0)
        for k in range(0, n, 4096):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planes[:, k : k + 4096]), format="fltp", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = k
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    finally:
        out.close()
    return Path(path)


def decoded_sound(path: str | Path) -> tuple[np.ndarray, float, int, str]:
    """The first audio stream of `path`: (its first channel as float samples, the time of
    its first sample in seconds, its rate, its codec)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        codec = stream.codec_context.name
        parts, start = [], None
        for frame in container.decode(stream):
            if start is None:
                start = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
            data = frame.to_ndarray()
            if frame.format.is_planar:
                data = data[0]
            else:
                data = data.reshape(-1, len(frame.layout.channels))[:, 0]
            if data.dtype.kind == "i":
                data = data / float(np.iinfo(data.dtype).max)
            parts.append(data.astype(np.float64))
        return np.concatenate(parts), start or 0.0, stream.rate, codec


def click_times(path: str | Path) -> list[float]:
    """When the clicks of a `make_sound` file play in `path`, in seconds of its clock."""
    samples, start, rate, _ = decoded_sound(path)
    loud = np.flatnonzero(np.abs(samples) > 0.5)
    times: list[float] = []
    for k in loud:
        t = start + k / rate
        if not times or t - times[-1] > 0.05:
            times.append(t)
    return times
