"""A film's timecode is read, and carried onto what is made of it (video files and DPX
frames, a part of the film from its own first frame), counted as SMPTE counts it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest
from makemedia import make_video

from panchro.engine import media
from panchro.engine import timecode as tc
from panchro.engine.cli import main
from panchro.engine.media import dpx

NTSC = Fraction(30000, 1001)


def test_labels_and_frame_counts_agree_both_ways() -> None:
    assert tc.label(86400, Fraction(24000, 1001)) == "01:00:00:00"  # 24 a second, non-drop
    assert tc.label(25 * 3661 + 7, Fraction(25)) == "01:01:01:07"
    assert tc.label(24 * 3600 * 24 + 3, Fraction(24)) == "00:00:00:03"  # hours wrap
    # Drop frame: 00:01:00;00 and ;01 are not labels; a tenth minute keeps them.
    assert tc.parse("00:00:59;29", NTSC) == (1799, True)
    assert tc.parse("00:01:00;02", NTSC) == (1800, True)
    assert tc.parse("00:10:00;00", NTSC) == (17982, True)
    assert tc.parse("01:00:00;00", NTSC) == (107892, True)
    for n in range(0, 300_000, 997):
        assert tc.parse(tc.label(n, NTSC, drop=True), NTSC) == (n, True)
        assert tc.parse(tc.label(n, Fraction(25)), Fraction(25)) == (n, False)
    assert tc.label(1800, Fraction(25), drop=True) == "00:01:12:00"  # no drop frame at 25
    for bad, rate in (("00:01:00;00", NTSC), ("00:00:00:25", Fraction(25)), ("1:2:3", NTSC)):
        with pytest.raises(ValueError):
            tc.parse(bad, rate)
    assert tc.shifted("10:00:00:00", 30, Fraction(25)) == "10:00:01:05"
    assert tc.shifted(None, 30, Fraction(25)) is None
    assert tc.shifted("not one", 30, Fraction(25)) is None


def _film(path: Path, label: str, fps: Fraction, n: int = 30) -> Path:
    """A small film whose first frame is labelled `label`."""
    return make_video(path, frames=n, size=(64, 48), fps=fps, audio=False, timecode=label)


def _timecode_of(path: Path) -> str | None:
    with av.open(str(path)) as c:
        meta = c.streams.video[0].metadata
        return meta.get("timecode") or meta.get("TIMECODE")


@pytest.mark.parametrize("ext", [".mov", ".mp4", ".mkv"])
def test_a_restored_film_keeps_its_timecode_and_a_part_its_own(
    tmp_path: Path, ext: str, capsys
) -> None:
    src = _film(tmp_path / f"reel{ext}", "10:00:00:00", Fraction(25))
    assert media.probe(src).timecode == "10:00:00:00"
    assert main(["restore", str(src), str(tmp_path / f"whole{ext}"), "-q"]) == 0
    assert _timecode_of(tmp_path / f"whole{ext}") == "10:00:00:00"
    assert main(["restore", str(src), str(tmp_path / f"part{ext}"), "-q", "--from", "0.4"]) == 0
    assert _timecode_of(tmp_path / f"part{ext}") == "10:00:00:10"  # its first frame's, 10
    assert "timecode 10:00:00:10 on the first frame, as the source's" in capsys.readouterr().out
    info = media.probe(tmp_path / f"part{ext}")
    assert info.timecode == "10:00:00:10"
    if ext != ".mkv":  # a timecode track beside the video, said as one
        assert [s.codec for s in info.other_streams] == ["timecode"]


def test_dpx_frames_are_labelled_on_from_the_films_timecode(tmp_path: Path, capsys) -> None:
    src = _film(tmp_path / "ntsc.mov", "01:00:59;28", NTSC, n=6)  # drop frame, over a minute
    assert main(["restore", str(src), str(tmp_path / "dpx"), "-q", "--codec", "dpx"]) == 0
    labels = [dpx.read_headers(f)["timecode"] for f in sorted((tmp_path / "dpx").iterdir())]
    assert labels == [
        "01:00:59;28", "01:00:59;29", "01:01:00;02", "01:01:00;03", "01:01:00;04", "01:01:00;05"
    ]  # fmt: skip
    info = media.probe(tmp_path / "dpx")  # read back: the rate and the first label
    assert info.timecode == "01:00:59;28" and info.fps == NTSC
    assert media.probe(tmp_path / "dpx", fps=24).timecode is None  # labels of another rate
    assert main(["info", str(tmp_path / "dpx")]) == 0
    assert "01:00:59;28 on the first frame" in capsys.readouterr().out


def test_a_film_shown_at_another_rate_carries_no_timecode(tmp_path: Path) -> None:
    src = _film(tmp_path / "silent.mov", "10:00:00:00", Fraction(25))
    assert media.probe(src, fps=18).timecode is None  # its labels count the file's 25
    out = tmp_path / "slow.mov"
    assert main(["restore", str(src), str(out), "-q", "--fps", "18"]) == 0
    assert _timecode_of(out) is None


def test_a_film_delivered_faster_is_labelled_at_the_same_moments(tmp_path: Path, capsys) -> None:
    """Delivered at another rate, the source's first label was read at the delivered rate:
    00:59:59:12 at 23.976 came out 00:59:59:12 at 29.97 (half a second is :15 there)."""
    assert tc.shifted("00:59:59:12", 0, NTSC, read_at=Fraction(24000, 1001)) == "00:59:59:15"
    assert tc.shifted("01:00:59;20", 58, 2 * NTSC, read_at=NTSC) == "01:01:00;42"
    src = _film(tmp_path / "reel.mov", "10:00:00:12", Fraction(25), n=50)
    out = tmp_path / "fifty.mov"
    assert main(["restore", str(src), str(out), "-q", "--deliver-fps", "50", "--from", "1"]) == 0
    assert _timecode_of(out) == "10:00:01:24"  # 1.48 s on: frame 25 of the film, 50 delivered
    assert "timecode 10:00:01:24 on the first frame" in capsys.readouterr().out
    frames = tmp_path / "dpx"
    argv = ["restore", str(src), str(frames), "-q", "--codec", "dpx", "--deliver-fps", "50"]
    assert main([*argv, "--to", "0.1"]) == 0
    labels = [dpx.read_headers(f)["timecode"] for f in sorted(frames.iterdir())]
    assert labels[:3] == ["10:00:00:24", "10:00:00:25", "10:00:00:26"]
