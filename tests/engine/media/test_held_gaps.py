"""A gap in a scan's numbering is held: the frame before it is shown again in each missing
frame's place, so the film keeps its length, every frame its time and a DPX scan its
timecode; "keep" closes the gaps up, as Panchro did before, and a project saved then reopens
read so."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from makemedia import make_frame_folder

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.media.stills import HOLD_AT_MOST_S, describe_gaps, held_in_gaps


def _names(*numbers: int) -> list[Path]:
    return [Path(f"reel1_{n:04d}.dpx") for n in numbers]


def test_each_missing_number_is_the_frame_before_it() -> None:
    files = _names(1, 2, 5, 6, 8)
    shown, held = held_in_gaps(files, Fraction(24))
    assert [f.stem[-1] for f in shown] == list("1222568"[:4]) + ["5", "6", "6", "8"]
    assert held == ((2, 3), (6, 6))
    assert all(shown[a - 1] == shown[i] for a, b in held for i in range(a, b + 1))
    whole = _names(7, 8, 9)  # a sequence may start anywhere
    assert held_in_gaps(whole, Fraction(24)) == (whole, ())
    # Not one numbered sequence: nothing to hold.
    odd = [Path("a1.png"), Path("b3.png")]
    assert held_in_gaps(odd, Fraction(24)) == (odd, ())


def test_a_numbering_in_steps_is_a_stride_not_gaps() -> None:
    from panchro.engine.media.stills import missing_numbers

    every_second = _names(0, 2, 4, 6, 8)  # every second frame exported
    assert missing_numbers(every_second) == ()
    assert held_in_gaps(every_second, Fraction(24)) == (every_second, ())
    # one lost from a numbering by ones is still a gap
    assert missing_numbers(_names(10, 11, 13, 14)) == ((12, 12),)


def test_a_gap_longer_than_the_limit_is_closed_up() -> None:
    rate = Fraction(2)  # 2 frames a second: gaps up to 2 * HOLD_AT_MOST_S frames are held
    limit = 2 * HOLD_AT_MOST_S
    files = _names(1, 2 + limit, 3 + limit + limit + 1)  # a gap of `limit`, then one more
    shown, held = held_in_gaps(files, rate)
    assert held == ((1, limit),) and len(shown) == 3 + limit
    said = describe_gaps(((2, 1 + limit), (3 + limit, 3 + 2 * limit)), held)
    assert f"{limit} held by the frame before their gap" in said
    assert "closed up" in said and f"({limit + 1} frames)" in said


def test_a_held_frame_repeats_the_one_before_and_keep_closes_it_up(tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "scan", 8, (40, 24))
    (folder / "f4.png").unlink()
    (folder / "f5.png").unlink()  # f1 f2 f3 . . f6 f7 f8
    info = media.probe(folder, fps=16)
    assert info.frame_count == 8 and info.held_frames == ((3, 4),)
    assert info.duration_s == pytest.approx(0.5)
    assert info.missing_numbers == ((4, 5),)
    with media.open_source(folder, fps=16) as src:
        frames = [f.image for f in src.frames()]
        assert [f.index for f in src.frames(5, 8)] == [5, 6, 7]
        assert np.array_equal(src.read_frame(4).image, frames[2])  # scrubbing the same
    assert np.array_equal(frames[3], frames[2]) and np.array_equal(frames[4], frames[2])
    assert not np.array_equal(frames[5], frames[2])  # f6 at its own place, 5
    closed = media.probe(folder, fps=16, deinterlace="keep")
    assert closed.frame_count == 6 and closed.held_frames == ()
    assert closed.missing_numbers == ((4, 5),)  # still said
    with media.open_source(folder, fps=16, deinterlace="keep") as src:
        assert np.array_equal(src.read_frame(3).image, frames[5])


def _dpx_scan(folder: Path, numbers: list[int], fps: int) -> None:
    """A DPX scan whose headers say `fps` and a timecode counting from 01:00:00:00 by the
    frame numbers in the names."""
    import av

    from panchro.engine import timecode as tc
    from panchro.engine.media import dpx

    rng = np.random.default_rng(5)
    for n in numbers:
        ctx = av.CodecContext.create("dpx", "w")
        ctx.width, ctx.height, ctx.pix_fmt = 40, 24, "gbrp10be"
        ctx.time_base = Fraction(1, fps)
        rgb = rng.integers(0, 65536, (24, 40, 3), dtype=np.uint16)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb48le").reformat(format="gbrp10be")
        data = b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)])
        label = tc.shifted("01:00:00:00", n, Fraction(fps))
        data = dpx.with_motion_headers(data, frame=n, fps=Fraction(fps), timecode=label)
        (folder / f"scan_{n:05d}.dpx").write_bytes(data)


def test_a_dpx_scan_keeps_its_timecode_where_its_gaps_are_held(tmp_path: Path) -> None:
    from panchro.engine.media import dpx

    scan = tmp_path / "scan"
    scan.mkdir()
    _dpx_scan(scan, [0, 1, 2, 4, 5], 24)
    assert dpx.read_headers(scan / "scan_00004.dpx")["timecode"] == "01:00:00:04"
    held = media.probe(scan)
    assert held.frame_count == 6 and held.timecode == "01:00:00:00"  # frame 4 is 01:00:00:04
    # Closed up, the labels after the gap would run a frame early: none is carried.
    assert media.probe(scan, deinterlace="keep").timecode is None
    out = tmp_path / "out"
    assert main(["restore", str(scan), str(out), "--codec", "dpx", "-q"]) == 0
    made = sorted(out.glob("*.dpx"))
    assert len(made) == 6
    assert dpx.read_headers(made[4])["timecode"] == "01:00:00:04"  # as the scan's f4


def test_info_and_restore_say_the_gap_is_held(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_frame_folder(tmp_path / "scan", 12, (64, 48))
    (folder / "f6.png").unlink()
    assert main(["info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "1 frame number missing: 6; the frame before a gap is shown again in its place" in out
    assert "(the film's frame 5: the film keeps its length" in out  # f5 again, 0-based
    assert main(["restore", str(folder), str(tmp_path / "out.mkv"), "--codec", "ffv1", "-q"]) == 0
    out, err = capsys.readouterr()
    assert "12 frames" in out and "shown again in its place" in out
    assert media.probe(tmp_path / "out.mkv").frame_count == 12
    assert main(["restore", str(folder), str(tmp_path / "closed.mkv"), "--codec", "ffv1",
                 "--deinterlace", "keep", "-q"]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    assert "11 frames" in out and "1 frame shorter than its numbering" in out
    assert media.probe(tmp_path / "closed.mkv").frame_count == 11


def test_a_project_saved_with_the_gaps_closed_up_reopens_so(tmp_path: Path) -> None:
    from dataclasses import replace

    from panchro.engine.project import Project
    from panchro.engine.shots import Shot

    folder = make_frame_folder(tmp_path / "scan", 10, (48, 32))
    (folder / "f3.png").unlink()
    new = Project.new(folder)
    assert new.source.frame_count == 10  # held, today
    old = Project(replace(new.source, frame_count=9), [Shot(0, 4, 2), Shot(4, 9, 6)])
    saved = old.save(tmp_path / "old.panchro")
    from panchro.engine.errors import BadInputError
    from panchro.engine.restore import pipeline

    with pytest.raises(BadInputError, match=r"has 9 \(the gaps in its numbering held\)"):
        pipeline.restore(folder, tmp_path / "refused.mkv", codec="ffv1", project=old)
    loaded = Project.load(saved)
    said = loaded.keep_frame_numbers()
    assert said and said.startswith("read with the gaps in its numbering closed up (9 frames)")
    assert "(10 frames)" in said and "Restore panel ▸ Gaps" in said
    assert loaded.settings.deinterlace == "keep"
    assert new.keep_frame_numbers() is None
