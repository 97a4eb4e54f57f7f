"""What an output keeps of a film in the files archivists bring: a steady film from a
millisecond clock stays steady, a Matroska output says how long its frames last, a
soundtrack is never written over, a second video stream is not lost unsaid."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.errors import BadInputError
from panchro.engine.restore import pipeline
from tests.makemedia import decoded_sound, make_sound, make_video


def _video(path: Path) -> tuple[Fraction, list[int], list[int], Fraction]:
    """The output's video time base, its frames' pts and durations, and its average rate."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        packets = [p for p in c.demux(s) if p.size]
        pts = sorted(int(p.pts) for p in packets)
        return Fraction(s.time_base), pts, [int(p.duration or 0) for p in packets], s.average_rate


@pytest.fixture(scope="module")
def steady_mkv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A steady 24 fps film in Matroska, whose clock counts milliseconds: 0, 42, 83 ms..."""
    path = tmp_path_factory.mktemp("mkv") / "reel.mkv"
    return make_video(path, frames=36, codec="ffv1", audio_codec="flac")


def test_a_steady_film_from_a_millisecond_clock_stays_steady(
    tmp_path: Path, steady_mkv: Path
) -> None:
    tb, pts, _, _ = _video(steady_mkv)
    assert tb == Fraction(1, 1000) and len(set(np.diff(pts))) == 2  # 41 and 42 ms
    summary = pipeline.restore(steady_mkv, tmp_path / "out.mov", codec="prores")
    assert any("steady 24.000 fps" in n for n in summary.notes)
    tb, pts, _, rate = _video(tmp_path / "out.mov")
    # each frame a 24th of a second after the one before: an editor's constant rate
    assert set(np.diff(pts) * tb) == {Fraction(1, 24)} and pts[0] == 0 and rate == 24
    assert len(pts) == 36
    # the sound where it was: it starts with the pictures and lasts as long
    samples, start, sound_rate, _ = decoded_sound(tmp_path / "out.mov")
    assert start == 0.0 and len(samples) / sound_rate == pytest.approx(1.5, abs=0.01)


def test_a_varying_rate_keeps_its_times(tmp_path: Path) -> None:
    film = make_video(tmp_path / "vfr.mkv", frames=24, vfr=True, codec="ffv1", audio=False)
    _, before, _, _ = _video(film)
    summary = pipeline.restore(film, tmp_path / "out.mkv", codec="ffv1")
    assert not any("steady" in n for n in summary.notes)
    _, after, _, _ = _video(tmp_path / "out.mkv")
    assert after == before


def test_a_matroska_output_says_how_long_its_frames_last(tmp_path: Path) -> None:
    one = make_video(tmp_path / "one.mkv", frames=1, codec="ffv1", audio=False)
    pipeline.restore(one, tmp_path / "one_out.mkv", codec="ffv1")
    _, _, durations, _ = _video(tmp_path / "one_out.mkv")
    assert durations in ([41], [42])  # a 24th of a second, in milliseconds
    again = media.probe(tmp_path / "one_out.mkv")
    assert again.fps == 24 and again.duration_s == pytest.approx(1 / 24, abs=0.001)
    film = make_video(tmp_path / "film.mp4", frames=12, audio=False)
    pipeline.restore(film, tmp_path / "film_out.mkv", codec="h264")
    # its last frame's time on screen counted (to Matroska's millisecond: 0.458 s without)
    assert media.probe(tmp_path / "film_out.mkv").duration_s == pytest.approx(0.5, abs=0.002)


def test_a_soundtrack_is_never_the_output(tmp_path: Path) -> None:
    film = make_video(tmp_path / "silent.mp4", frames=24, audio=False)
    score = make_sound(tmp_path / "score.mkv", 2.0, codec="flac")
    before = score.read_bytes()
    with pytest.raises(BadInputError, match="soundtrack score.mkv is the output"):
        pipeline.restore(
            film, score, codec="ffv1", overwrite=True, soundtrack=media.open_soundtrack(score)
        )
    assert score.read_bytes() == before
    assert not list(tmp_path.glob("score.mkv.panchro-job*"))


def test_a_second_video_stream_left_out_is_said(tmp_path: Path) -> None:
    path = tmp_path / "two.mkv"
    with av.open(str(path), "w") as out:
        streams = [out.add_stream("ffv1", rate=24) for _ in range(2)]
        for s, (w, h) in zip(streams, ((64, 48), (32, 24)), strict=True):
            s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(6):
            for s in streams:
                image = np.full((s.height, s.width, 3), 40 * i, np.uint8)
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = i
                for packet in s.encode(frame):
                    out.mux(packet)
        for s in streams:
            for packet in s.encode(None):
                out.mux(packet)
    summary = pipeline.restore(path, tmp_path / "out.mkv", codec="ffv1")
    said = [n for n in summary.notes if "other video stream" in n]
    assert said and "#1 (ffv1)" in said[0]
    assert media.probe(tmp_path / "out.mkv").width == 64  # the first, restored


def test_what_an_output_cannot_hold_of_the_film_is_said(tmp_path: Path) -> None:
    """A 10-bit film written with 8 bits by default, and a film's sound left out of a folder
    of frames, were lost without a word."""
    film = make_video(tmp_path / "film.mp4", frames=12)
    deep = tmp_path / "deep.mkv"
    pipeline.restore(film, deep, bit_depth=10, record=False)
    assert media.probe(deep).bit_depth == 10
    notes = pipeline.restore(deep, tmp_path / "eight.mp4", record=False).notes
    assert "the film's 10-bit frames are written with 8 bits (--bit-depth 10 keeps them)" in notes
    notes = pipeline.restore(deep, tmp_path / "ten.mkv", bit_depth=10, record=False).notes
    assert not any("bits (" in n for n in notes)
    notes = pipeline.restore(film, tmp_path / "frames", codec="png16", record=False).notes
    said = [n for n in notes if n.startswith("the film's sound (1 stream) is not in the frames")]
    assert said and "export a film file" in said[0]
