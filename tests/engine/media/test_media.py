"""Film I/O: probing, exact frame counts and timestamps, seeking, encoding, remuxing, refusals."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from makemedia import VFR_STEPS, make_frame_folder, make_video, retagged, still_image, write_still

from panchro.engine import media
from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.media.decode import _VideoDecoder

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --------------------------------------------------------------------------- helpers


def demuxed_video_pts(path: Path) -> list[int]:
    """Video packet pts straight from PyAV, sorted: what frame i's pts must be."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sorted(p.pts for p in c.demux(s) if p.pts is not None and not p.is_discard)


def packets(path: Path, kind: str) -> list[tuple[int, Fraction, bytes]]:
    """(stream index, pts as seconds, payload) of every packet of the streams of `kind`."""
    out = []
    with av.open(str(path)) as c:
        streams = [s for s in c.streams if s.type == kind]
        for p in c.demux(*streams):
            if p.size == 0 and p.pts is None:
                continue
            out.append((p.stream.index, p.pts * p.time_base, bytes(p)))
    return out


def frame_times(path: Path) -> list[Fraction]:
    with media.open_source(path) as src:
        return [Fraction(f.pts) * f.time_base for f in src.frames(fmt="gray", size=(32, 24))]


def write_copy(src_path: Path, out: Path, **kwargs) -> media.MediaInfo:
    """Re-encode `src_path` into `out` frame by frame (YCbCr untouched), with its streams."""
    with media.open_source(src_path) as src:
        info = src.info
        opts = dict(
            codec="h264",
            width=info.width,
            height=info.height,
            time_base=info.time_base,
            fps=info.fps,
            source=info,
        )
        opts.update(kwargs)
        fmt = "yuv444p16" if opts.get("bit_depth", 8) > 8 else "yuv444p"
        with media.VideoWriter(out, **opts) as w:
            for f in src.frames(fmt=fmt):
                w.write(f.image, f.pts, fmt=fmt)
    return info


class DecodeCounter:
    """Counts frames the video decoder produces (to check seeking is really used)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = _VideoDecoder._decoded

        def counting(decoder, *args):
            for frame in original(decoder, *args):
                self.count += 1
                yield frame

        monkeypatch.setattr(_VideoDecoder, "_decoded", counting)


# --------------------------------------------------------------------------- probe


def test_probe_video_fields(tiny_video_subs: Path) -> None:
    info = media.probe(tiny_video_subs)
    assert info.kind == "video"
    assert "mp4" in (info.container or "")
    assert info.codec == "h264"
    assert (info.width, info.height) == (160, 120)
    assert info.pix_fmt == "yuv420p" and info.bit_depth == 8
    assert info.frame_count == 48
    assert info.fps == 24 and not info.is_vfr
    assert info.duration_s == pytest.approx(2.0)
    assert info.sample_aspect_ratio == 1 and info.rotation == 0
    assert [(a.codec, a.channels, a.sample_rate) for a in info.audio] == [("aac", 1, 48000)]
    assert [s.codec for s in info.subtitles] == ["mov_text"]
    assert info.other_streams == ()
    d = info.to_dict()
    json.dumps(d)  # JSON-able
    assert d["fps"] == "24/1" and d["fps_float"] == 24.0
    assert Fraction(d["time_base"]) == info.time_base


def test_probe_vfr(tiny_video_vfr: Path, tiny_video_vfr_mkv: Path) -> None:
    span = sum(VFR_STEPS[i % len(VFR_STEPS)] for i in range(47)) / 90000  # first to last pts
    for path in (tiny_video_vfr, tiny_video_vfr_mkv):
        info = media.probe(path)
        assert info.frame_count == 48
        assert info.is_vfr
        # plus the last frame's display time, as the container stores it
        assert span < info.duration_s <= span + max(VFR_STEPS) / 90000 + 0.001
        assert float(info.fps) == pytest.approx(47 / span, rel=0.001)


def test_colour_tags_and_rotation_are_read_and_written(tiny_video: Path, tmp_path: Path) -> None:
    assert media.probe(tiny_video).color_matrix is None  # the generator leaves them untagged
    out = retagged(
        tiny_video,
        tmp_path / "tagged.mp4",
        color_matrix="bt709",
        color_range="limited",
        color_primaries="bt709",
        color_transfer="bt709",
        rotation=90,
    )
    got = media.probe(out)
    assert (got.color_matrix, got.color_range) == ("bt709", "limited")
    assert (got.color_primaries, got.color_transfer) == ("bt709", "bt709")
    assert got.rotation == 90


@pytest.mark.parametrize("matrix", ["bt709", "bt601"])
def test_colour_matrix_is_used_both_ways(matrix: str, tmp_path: Path) -> None:
    """RGB written with a source's matrix and read back by the tag comes back the same colour."""
    colour = np.array([200, 40, 60], np.uint8)
    frames = np.broadcast_to(colour, (48, 64, 3)).copy()
    source = dataclasses.replace(
        media.probe(write_still(tmp_path / "f.png", frames)),
        color_matrix=matrix,
        color_range="limited",
    )
    out = tmp_path / "flat.mp4"
    with media.VideoWriter(
        out, width=64, height=48, time_base=Fraction(1, 24), fps=Fraction(24), source=source, crf=0
    ) as w:
        for i in range(3):
            w.write(frames, i)
    assert media.probe(out).color_matrix == matrix
    with media.open_source(out) as src:
        back = src.read_frame(1).image.astype(int)
    # 8-bit YCbCr and swscale's rounding cost a few levels; the wrong matrix costs 13 or more.
    assert np.abs(back - colour.astype(int)).max() <= 4


def test_frame_folder_natural_order_16bit(frame_folder_16bit: Path) -> None:
    info = media.probe(frame_folder_16bit)
    assert info.kind == "frames" and info.codec == "png"
    assert info.frame_count == 12 and info.bit_depth == 16
    assert info.fps == 24 and info.time_base == Fraction(1, 24)
    with media.open_source(frame_folder_16bit, fps=25) as src:
        assert src.info.fps == 25
        frames = list(src.frames(fmt="rgb48"))
        # f1, f2, ... f10, f11, f12: natural order, not f1, f10, f11, f12, f2
        for i, f in enumerate(frames):
            assert f.index == i and f.pts == i and f.time_base == Fraction(1, 25)
            assert f.image.dtype == np.uint16
            np.testing.assert_array_equal(f.image, still_image(i, (64, 48), 16))
        np.testing.assert_array_equal(src.read_frame(9, fmt="rgb48").image, frames[9].image)
        assert src.index_at(0.2) == 5 and src.index_at(0.199) == 4


def test_frame_folders_8bit_tiff_jpeg_and_fps(
    frame_folder_8bit: Path, frame_folder_tiff16: Path, tmp_path: Path
) -> None:
    with media.open_source(frame_folder_8bit) as src:
        assert src.info.bit_depth == 8
        np.testing.assert_array_equal(src.read_frame(3).image, still_image(3, (64, 48)))
    with media.open_source(frame_folder_tiff16) as src:
        assert src.info.codec == "tiff" and src.info.bit_depth == 16
        np.testing.assert_array_equal(
            src.read_frame(11, fmt="rgb48").image, still_image(11, (64, 48), 16)
        )
    jpegs = make_frame_folder(tmp_path / "jpg", 3, (64, 48), ext="jpg")
    info = media.probe(jpegs, fps=23.976)
    assert info.codec == "jpeg" and info.frame_count == 3
    assert info.fps == Fraction(24000, 1001)
    with media.open_source(jpegs) as src:
        img = src.read_frame(1).image
        assert np.abs(img.astype(int) - still_image(1, (64, 48))).mean() < 6


def test_single_image(tmp_path: Path) -> None:
    path = write_still(tmp_path / "photo.png", still_image(5, (40, 30)))
    info = media.probe(path)
    assert info.kind == "image" and info.frame_count == 1
    with media.open_source(path) as src:
        [frame] = list(src.frames())
        np.testing.assert_array_equal(frame.image, still_image(5, (40, 30)))
        assert src.read_frame(0, fmt="gray", size=(20, 16)).image.shape == (16, 20)


# --------------------------------------------------------------------------- streaming and seeking


@pytest.mark.parametrize("name", ["tiny_video", "tiny_video_vfr", "tiny_video_vfr_mkv"])
def test_stream_pts_equal_packet_index(name: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(name)
    expected = demuxed_video_pts(path)
    with media.open_source(path) as src:
        frames = list(src.frames(fmt="gray"))
        assert src.info.frame_count == len(expected) == 48
        assert [f.index for f in frames] == list(range(48))
        assert [f.pts for f in frames] == expected
        assert all(f.time_base == src.info.time_base for f in frames)
        # index_at: the frame on screen at a time, at and just before each frame's time
        for f in frames[1::7]:
            assert src.index_at(f.time_s) == f.index
            assert src.index_at(f.time_s - 1e-4) == f.index - 1
        assert src.index_at(-1) == 0 and src.index_at(1e6) == 47


@pytest.mark.parametrize("name", ["tiny_video", "tiny_video_vfr_mkv"])
def test_random_access_equals_sequential(name: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(name)
    with media.open_source(path) as src:
        seq = list(src.frames())
        # across keyframes (every 12), backwards, forwards, repeated
        for i in (0, 47, 12, 11, 13, 5, 6, 24, 23, 36, 35, 40, 41, 42, 0, 47, 30):
            f = src.read_frame(i)
            assert f.index == i and f.pts == seq[i].pts
            np.testing.assert_array_equal(f.image, seq[i].image)
        part = list(src.frames(13, 30, fmt="yuv444p16"))
        assert [f.index for f in part] == list(range(13, 30))
        assert [f.pts for f in part] == [f.pts for f in seq[13:30]]
        assert part[0].image.shape == (120, 160, 3) and part[0].image.dtype == np.uint16
        small = src.read_frame(20, fmt="gray", size=(80, 60))
        assert small.image.shape == (60, 80) and small.image.dtype == np.uint8
        with pytest.raises(IndexError):
            src.read_frame(48)


def _plain_video(path: Path, codec: str, fmt: str | None, options: dict[str, str]) -> Path:
    with av.open(str(path), "w", format=fmt) as out:
        s = out.add_stream(codec, rate=25, options=options)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
        for i in range(40):
            frame = av.VideoFrame.from_ndarray(still_image(i, (96, 64)), format="rgb24")
            frame.pts = i
            out.mux(s.encode(frame))
        out.mux(s.encode(None))
    return path


@pytest.mark.parametrize(
    ("name", "codec", "fmt", "options"),
    [
        ("avi.avi", "mpeg4", None, {"bf": "2", "g": "10"}),  # B-frames, AVI timestamps
        ("ps.mpg", "mpeg2video", "vob", {"bf": "2", "g": "10"}),  # seeking is not exact
        ("ts.ts", "libx264", None, {"g": "10"}),  # starts at 1.4 s
        ("raw.h264", "libx264", "h264", {"g": "10"}),  # no timestamps at all
    ],
)
def test_other_containers_count_and_seek(
    name: str, codec: str, fmt: str | None, options: dict[str, str], tmp_path: Path
) -> None:
    path = _plain_video(tmp_path / name, codec, fmt, options)
    with media.open_source(path) as src:
        assert src.info.frame_count == 40
        assert src.info.fps == 25 and not src.info.is_vfr
        seq = list(src.frames())
        assert [f.index for f in seq] == list(range(40))
        pts = [f.pts for f in seq]
        assert pts == sorted(pts) and len(set(pts)) == 40
        for i in (39, 15, 9, 10, 11, 25, 3, 0, 38):
            f = src.read_frame(i)
            assert f.pts == seq[i].pts
            np.testing.assert_array_equal(f.image, seq[i].image)


def test_seeking_does_not_decode_from_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_video(tmp_path / "long.mp4", frames=120, size=(64, 48), audio=False, gop=12)
    counter = DecodeCounter(monkeypatch)
    with media.open_source(path) as src:
        src.read_frame(110)
        # From the keyframe at 108 (plus decoder delay), not from frame 0.
        assert counter.count < 40
        counter.count = 0
        for i in range(111, 118):  # stepping forward keeps decoding, no re-seek
            src.read_frame(i)
        assert counter.count < 20
        counter.count = 0
        src.read_frame(50)
        assert counter.count < 40


def test_seek_lands_on_the_targets_own_keyframe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MP4 + B-frames: the edit list shifts dts, and seeking to a keyframe's demuxed dts
    # landed a whole GOP early. Decoding from the right keyframe is under one GOP.
    path = make_video(tmp_path / "b.mp4", frames=96, size=(64, 48), audio=False, gop=24)
    counter = DecodeCounter(monkeypatch)
    with media.open_source(path) as src:
        idx = src._index
        key_frames = [int(np.searchsorted(idx.pts, k)) for k in idx.key_pts]
        for target in (50, 80, 30):
            key = max(k for k in key_frames if k <= target)
            previous = max(k for k in key_frames if k < key)
            assert key - previous > 4  # so landing a keyframe early would show
            counter.count = 0
            src.read_frame(target)
            # From the keyframe, plus the decoder's reordering delay.
            assert counter.count <= target - key + 4, (target, key, counter.count)


@pytest.mark.parametrize(("name", "codec"), [("x264.mp4", "libx264"), ("x265.mkv", "libx265")])
def test_nonreference_frames_before_the_target_are_skipped_exactly(
    name: str, codec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_video(tmp_path / name, frames=60, size=(64, 48), audio=False, gop=60, codec=codec)
    with media.open_source(path) as src:
        seq = [f.image for f in src.frames()]
        counter = DecodeCounter(monkeypatch)
        for target in (58, 59, 31, 1, 0, 57):
            counter.count = 0
            f = src.read_frame(target)
            np.testing.assert_array_equal(f.image, seq[target])
            if target == 58 and codec == "libx264":
                # B-frames no one refers to are not decoded on the way (x264 makes most
                # B-frames so): far fewer frames come out than lie before it. HEVC is
                # decoded whole (see media.decode._SKIP_NONREF_CODECS), and must be exact too.
                assert counter.count < 45, counter.count
        counter.count = 0
        assert [x.index for x in src.frames(40, 44)] == [40, 41, 42, 43]
        # The decoder is back to decoding everything once the range starts.
        np.testing.assert_array_equal(next(src.frames(45, 46)).image, seq[45])


def test_streaming_is_lazy(tiny_video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = DecodeCounter(monkeypatch)
    with media.open_source(tiny_video) as src:
        stream = src.frames()
        first = next(stream)
        assert first.index == 0
        assert counter.count < 12  # frames are decoded as they are asked for, not all at once
        stream.close()


# --------------------------------------------------------------------------- writing


def test_sequences_round_trip_16bit_exactly(frame_folder_16bit: Path, tmp_path: Path) -> None:
    with media.open_source(frame_folder_16bit) as src:
        rgb = [f.image for f in src.frames(fmt="rgb48")]
        info = src.info
    grey = [img[..., 1].copy() for img in rgb]
    for codec, fmt, images in (
        ("tiff16", "rgb48", rgb),
        ("png16", "rgb48", rgb),
        ("tiff16", "gray16", grey),
        ("png16", "gray16", grey),
    ):
        out = tmp_path / f"{codec}_{fmt}"
        with media.VideoWriter(
            out, codec=codec, width=64, height=48, time_base=info.time_base, fps=info.fps
        ) as w:
            for i, img in enumerate(images):
                w.write(img, i, fmt=fmt)
        ext = ".tif" if codec == "tiff16" else ".png"
        names = sorted(p.name for p in out.iterdir())
        assert names == [f"frame_{i:06d}{ext}" for i in range(len(images))]
        with media.open_source(out) as back:
            assert back.info.frame_count == len(images) and back.info.bit_depth == 16
            for img, f in zip(images, back.frames(fmt=fmt), strict=True):
                np.testing.assert_array_equal(f.image, img)


@pytest.mark.parametrize(
    ("codec", "bit_depth", "name", "pix_fmt"),
    [
        ("h264", 8, "o.mp4", "yuv420p"),
        ("h264", 10, "o.mkv", "yuv420p10le"),
        ("h265", 8, "o.mp4", "yuv420p"),
        ("h265", 10, "o.mov", "yuv420p10le"),
        ("prores", 10, "o.mov", "yuv422p10le"),
        ("ffv1", 8, "o.mkv", "yuv444p"),
        ("ffv1", 16, "o.mkv", "yuv444p16le"),
        ("ffv1", 10, "o.mkv", "yuv444p10le"),  # as asked (it was written with 16)
        ("png16", 16, "seq", "rgb48be"),
        ("tiff16", 16, "seq", "rgb48le"),
    ],
)
def test_each_codec_writes_a_readable_film(
    codec: str, bit_depth: int, name: str, pix_fmt: str, tiny_video: Path, tmp_path: Path
) -> None:
    out = tmp_path / name
    write_copy(tiny_video, out, codec=codec, bit_depth=bit_depth)
    info = media.probe(out)
    assert info.frame_count == 48
    assert info.pix_fmt == pix_fmt
    if codec in ("png16", "tiff16"):
        assert info.kind == "frames" and info.bit_depth == 16
    else:
        assert info.codec == {"h264": "h264", "h265": "hevc"}.get(codec, codec)
        assert len(info.audio) == 1
        t_in, t_out = frame_times(tiny_video), frame_times(out)
        if name.endswith(".mkv"):  # Matroska keeps milliseconds
            assert max(abs(float(a - b)) for a, b in zip(t_in, t_out, strict=True)) <= 0.0005
        else:
            assert t_in == t_out
    if codec == "prores":
        with av.open(str(out)) as c:
            assert c.streams.video[0].profile == "HQ"
    # The picture survives: FFV1 exactly as written, the others close in luma.
    with media.open_source(tiny_video) as a, media.open_source(out) as b:
        if codec == "ffv1" and bit_depth != 10:
            fmt = "yuv444p16" if bit_depth > 8 else "yuv444p"
            np.testing.assert_array_equal(
                a.read_frame(30, fmt=fmt).image, b.read_frame(30, fmt=fmt).image
            )
        else:
            ya = a.read_frame(30, fmt="gray").image.astype(int)
            yb = b.read_frame(30, fmt="gray").image.astype(int)
            assert np.abs(ya - yb).mean() < 4.0


def test_ffv1_keeps_rgb_and_grey_exactly(tmp_path: Path) -> None:
    rgb = [still_image(i, (64, 48)) for i in range(4)]
    for fmt, images, pix in (
        ("rgb24", rgb, "bgr0"),
        ("gray", [img[..., 0].copy() for img in rgb], "gray"),
        ("rgb48", [still_image(i, (64, 48), 16) for i in range(4)], None),
    ):
        out = tmp_path / f"{fmt}.mkv"
        with media.VideoWriter(
            out, codec="ffv1", width=64, height=48, time_base=Fraction(1, 24), fps=Fraction(24)
        ) as w:
            for i, img in enumerate(images):
                w.write(img, i, fmt=fmt)
        with media.open_source(out) as back:
            if pix:
                assert back.info.pix_fmt == pix
            for img, f in zip(images, back.frames(fmt=fmt), strict=True):
                np.testing.assert_array_equal(f.image, img)


@pytest.mark.parametrize(
    ("name", "out_name", "exact"),
    [
        ("tiny_video_subs", "out.mp4", True),
        ("tiny_video_vfr", "out.mp4", True),
        ("tiny_video_vfr", "out.mov", True),
        ("tiny_video_vfr_mkv", "out.mkv", True),
        ("tiny_video_vfr", "out.mkv", False),  # Matroska keeps milliseconds
        ("tiny_video_vfr_mkv", "out.mp4", True),  # SubRip cues become mov_text
    ],
)
def test_encode_keeps_audio_packets_and_video_pts(
    name: str, out_name: str, exact: bool, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    src_path = request.getfixturevalue(name)
    out = tmp_path / out_name
    write_copy(src_path, out)

    a_in, a_out = packets(src_path, "audio"), packets(out, "audio")
    assert len(a_in) == len(a_out) > 0
    assert [p[2] for p in a_in] == [p[2] for p in a_out]  # byte-identical, same order
    t_in, t_out = frame_times(src_path), frame_times(out)
    assert len(t_in) == len(t_out) == 48
    if exact:
        assert [p[1] for p in a_in] == [p[1] for p in a_out]
        assert t_in == t_out
    else:
        assert max(abs(float(a[1] - b[1])) for a, b in zip(a_in, a_out, strict=True)) <= 0.0005
        assert max(abs(float(a - b)) for a, b in zip(t_in, t_out, strict=True)) <= 0.0005

    # Subtitle cues: same text at the same times (MP4's muxer adds empty end-of-cue samples,
    # and text subtitles change format between MP4 and Matroska).
    def cues(path: Path) -> list[tuple[float, bytes]]:
        out = []
        with av.open(str(path)) as c:
            s = c.streams.subtitles[0]
            for p in c.demux(s):
                if p.size == 0:
                    continue
                decoded = s.codec_context.decode2(p)
                for rect in decoded or ():
                    out.append((round(float(p.pts * p.time_base), 3), rect.ass.split(b",", 8)[8]))
        return out

    assert cues(out) == cues(src_path) == [(0.1, b"Hello"), (1.0, b"Second cue")]


def test_chapters_are_copied(tiny_video_vfr_mkv: Path, tmp_path: Path) -> None:
    source = tmp_path / "chapters.mkv"
    with av.open(str(tiny_video_vfr_mkv)) as inp, av.open(str(source), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        ms = Fraction(1, 1000)
        out.set_chapters(
            [
                {
                    "id": 1,
                    "start": 0,
                    "end": 1000,
                    "time_base": ms,
                    "metadata": {"title": "Opening"},
                },
                {
                    "id": 2,
                    "start": 1000,
                    "end": 2000,
                    "time_base": ms,
                    "metadata": {"title": "Chase"},
                },
            ]
        )
        for p in inp.demux():
            if p.size:
                p.stream = streams[p.stream_index]
                out.mux(p)
    for name in ("out.mkv", "out.mp4"):  # MP4 keeps chapters in a text track of its own
        write_copy(source, tmp_path / name)
        with av.open(str(tmp_path / name)) as c:
            got = [
                (float(ch["start"] * ch["time_base"]), ch["metadata"]["title"])
                for ch in c.chapters()
            ]
        assert got == [(0.0, "Opening"), (1.0, "Chase")]
        assert media.probe(tmp_path / name).frame_count == 48


def test_write_rejects_bad_frames(tmp_path: Path) -> None:
    w = media.VideoWriter(
        tmp_path / "x.mkv",
        codec="ffv1",
        width=64,
        height=48,
        time_base=Fraction(1, 24),
        fps=Fraction(24),
    )
    try:
        with pytest.raises(ValueError, match="wants an array"):
            w.write(np.zeros((48, 64, 3), np.uint16), 0, fmt="rgb24")
        w.write(np.zeros((48, 64, 3), np.uint8), 5)
        with pytest.raises(ValueError, match="pts must increase"):
            w.write(np.zeros((48, 64, 3), np.uint8), 5)
    finally:
        w.abort()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- atomicity, safety


def test_abort_leaves_nothing(tiny_video: Path, tmp_path: Path) -> None:
    info = media.probe(tiny_video)
    for name, codec in (("film.mp4", "h264"), ("frames", "tiff16")):
        out = tmp_path / name
        with (
            pytest.raises(RuntimeError),
            media.open_source(tiny_video) as src,
            media.VideoWriter(
                out,
                codec=codec,
                width=160,
                height=120,
                time_base=info.time_base,
                fps=info.fps,
                source=info,
            ) as w,
        ):
            for f in src.frames(0, 20):
                w.write(f.image, f.pts)
            raise RuntimeError("cancelled half way")
        assert list(tmp_path.iterdir()) == []


def test_abort_keeps_the_existing_output(tiny_video: Path, tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    out.write_bytes(b"previous result")
    info = media.probe(tiny_video)
    w = media.VideoWriter(
        out, width=160, height=120, time_base=info.time_base, fps=info.fps, overwrite=True
    )
    w.write(np.zeros((120, 160, 3), np.uint8), 0)
    w.abort()
    assert out.read_bytes() == b"previous result"
    assert [p.name for p in tmp_path.iterdir()] == ["film.mp4"]


def test_overwrite_replaces_an_old_sequence(tmp_path: Path) -> None:
    out = tmp_path / "seq"
    for n in (3, 2):
        with media.VideoWriter(
            out,
            codec="png16",
            width=8,
            height=6,
            time_base=Fraction(1, 24),
            fps=Fraction(24),
            overwrite=True,
        ) as w:
            for i in range(n):
                w.write(np.full((6, 8, 3), i, np.uint8), i)
    assert len(list(out.iterdir())) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["seq"]
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="other files"):
        media.VideoWriter(
            precious,
            codec="png16",
            width=8,
            height=6,
            time_base=Fraction(1, 24),
            fps=Fraction(24),
            overwrite=True,
        )
    assert (precious / "notes.txt").read_text() == "keep me"


def test_check_output_path(tiny_video: Path, tmp_path: Path) -> None:
    film = tmp_path / "film.mp4"
    shutil.copy(tiny_video, film)
    link = tmp_path / "link.mp4"
    link.symlink_to(film)
    for out in (film, link, tmp_path / "." / "film.mp4"):
        with pytest.raises(OutputError, match="is the input"):
            media.check_output_path(out, inputs=[film], overwrite=True)
    with pytest.raises(OutputError, match="holding the input"):
        media.check_output_path(tmp_path, inputs=[film], overwrite=True)
    other = tmp_path / "other.mp4"
    other.write_bytes(b"x")
    with pytest.raises(OutputError, match=r"exists \(use --overwrite\)"):
        media.check_output_path(other, inputs=[film])
    assert media.check_output_path(other, inputs=[film], overwrite=True) == other
    with pytest.raises(OutputError, match="does not exist"):
        media.check_output_path(tmp_path / "nowhere" / "out.mp4")
    frames = make_frame_folder(tmp_path / "scan", 2, (8, 6))
    with pytest.raises(OutputError, match="inside the input folder"):
        media.check_output_path(frames / "f2.png", inputs=[frames], overwrite=True)
    assert media.check_output_path(frames / "new.mp4", inputs=[frames]) == frames / "new.mp4"
    # The writer applies the same rules before touching anything.
    info = media.probe(film)
    with pytest.raises(OutputError, match="is the input"):
        media.VideoWriter(
            film,
            width=160,
            height=120,
            time_base=info.time_base,
            fps=info.fps,
            source=info,
            overwrite=True,
        )
    assert film.read_bytes() == tiny_video.read_bytes()


@pytest.mark.skipif(IS_ROOT, reason="root may write anywhere")
def test_check_output_path_unwritable_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"):
            media.check_output_path(locked / "out.mp4")
    finally:
        locked.chmod(0o700)


def test_containers_refuse_what_they_cannot_hold(tiny_video_subs: Path, tmp_path: Path) -> None:
    kw = dict(width=64, height=48, time_base=Fraction(1, 24), fps=Fraction(24))
    with pytest.raises(BadInputError, match=r"ProRes cannot be written to a '\.mp4' file"):
        media.VideoWriter(tmp_path / "a.mp4", codec="prores", **kw)
    with pytest.raises(BadInputError, match=r"FFV1 .* use \.mkv"):
        media.VideoWriter(tmp_path / "a.mov", codec="ffv1", **kw)
    with pytest.raises(BadInputError, match="writes a folder of frames"):
        media.VideoWriter(tmp_path / "a.mp4", codec="png16", **kw)
    with pytest.raises(BadInputError, match="even width and height"):
        media.VideoWriter(tmp_path / "a.mp4", codec="h264", **{**kw, "width": 63})
    with pytest.raises(BadInputError, match="8 or 10 bits"):
        media.VideoWriter(tmp_path / "a.mp4", codec="h265", bit_depth=12, **kw)
    # FFmpeg's ProRes is 10 bits: 16 asked was written with 10, unsaid
    with pytest.raises(BadInputError, match="ProRes is written with 10 bits, not 16"):
        media.VideoWriter(tmp_path / "a.mov", codec="prores", bit_depth=16, **kw)
    with pytest.raises(BadInputError, match="unknown codec"):
        media.VideoWriter(tmp_path / "a.mp4", codec="vp9", **kw)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- bad input


def _one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def test_bad_inputs(tiny_video: Path, tmp_path: Path) -> None:
    cases: list[tuple[Path, str]] = []
    cases.append((tmp_path / "missing.mp4", "does not exist"))
    empty = tmp_path / "empty.mp4"
    empty.touch()
    cases.append((empty, "empty (0 bytes)"))
    text = tmp_path / "notes.mp4"
    text.write_text("this is a shopping list, not a film\n" * 20)
    cases.append((text, "not a video file Panchro can read"))
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(tiny_video.read_bytes()[: tiny_video.stat().st_size // 2])
    cases.append((truncated, "moov atom missing"))
    no_images = tmp_path / "no_images"
    no_images.mkdir()
    (no_images / "readme.txt").write_text("frames went elsewhere")
    cases.append((no_images, "contains no images"))
    mixed = make_frame_folder(tmp_path / "mixed", 4, (64, 48))
    write_still(mixed / "f3.png", np.zeros((50, 60, 3), np.uint8))
    cases.append((mixed, "f3.png is 60x50 but f1.png is 64x48"))
    broken_png = tmp_path / "broken.png"
    broken_png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    cases.append((broken_png, "broken.png"))
    for path, reason in cases:
        with pytest.raises(BadInputError) as err:
            media.open_source(path)
        assert reason in _one_line(err)
        assert err.value.path == str(path)


def test_audio_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as out:
        s = out.add_stream("aac", rate=48000)
        for k in range(0, 48000, 1024):
            f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), "fltp", "mono")
            f.sample_rate, f.pts = 48000, k
            out.mux(s.encode(f))
        out.mux(s.encode(None))
    with pytest.raises(
        BadInputError,
        match="has no video stream .it holds only sound: give it to a film as its soundtrack.",
    ):
        media.probe(path)


@pytest.mark.skipif(IS_ROOT, reason="root reads anything")
def test_unreadable_file(tiny_video: Path, tmp_path: Path) -> None:
    path = tmp_path / "secret.mp4"
    shutil.copy(tiny_video, path)
    path.chmod(0)
    try:
        with pytest.raises(BadInputError, match="permission denied"):
            media.probe(path)
    finally:
        path.chmod(0o600)


def test_cut_short_matroska_plays_to_the_break(tiny_video_vfr_mkv: Path, tmp_path: Path) -> None:
    data = tiny_video_vfr_mkv.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with media.open_source(cut) as src:
        n = src.info.frame_count
        assert 10 < n < 48
        frames = list(src.frames(fmt="gray"))
        assert [f.index for f in frames] == list(range(n))
        assert [f.pts for f in frames] == demuxed_video_pts(cut)
        # what is there is the beginning of the film, timestamps unchanged
        assert set(demuxed_video_pts(cut)) <= set(demuxed_video_pts(tiny_video_vfr_mkv))


def test_cut_short_mp4_with_its_index_in_front(tmp_path: Path) -> None:
    full = tmp_path / "faststart.mp4"
    with av.open(str(full), "w", container_options={"movflags": "faststart"}) as out:
        s = out.add_stream("libx264", rate=24, options={"g": "12"})
        s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
        for i in range(48):
            frame = av.VideoFrame.from_ndarray(still_image(i, (96, 64)), format="rgb24")
            frame.pts = i
            out.mux(s.encode(frame))
        out.mux(s.encode(None))
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with media.open_source(cut) as src:
        n = src.info.frame_count
        assert 5 < n < 48  # the frames that are there, not the 48 the header lists
        frames = list(src.frames(fmt="gray"))
        assert [f.index for f in frames] == list(range(n))
        last = src.read_frame(n - 1, fmt="gray")
        np.testing.assert_array_equal(last.image, frames[-1].image)


# --------------------------------------------------------------------------- small helpers


def test_fit_size() -> None:
    assert media.fit_size(1920, 1080, 640) == (640, 360)
    assert media.fit_size(1080, 1920, 640) == (360, 640)
    assert media.fit_size(720, 576, 1024) == (720, 576)  # never enlarges
    assert media.fit_size(161, 121, 1000) == (160, 120)  # even, and still not enlarged
    w, h = media.fit_size(4096, 1716, 500)
    assert w <= 500 and w % 2 == 0 and h % 2 == 0 and abs(w / h - 4096 / 1716) < 0.02
