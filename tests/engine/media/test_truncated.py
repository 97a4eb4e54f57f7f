"""Files cut short: said in `panchro info`, refused by `panchro restore` unless allowed.

A copy interrupted part way leaves a file that may still open (an MP4 with its
index in front, Matroska) and play to the cut: restoring it would quietly make
a shorter film. Each test makes its own media.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.errors import BadInputError
from tests.makemedia import cut_short, faststart_mp4, make_video

FRAMES = 132


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("truncated")
    whole_mp4 = faststart_mp4(folder / "whole.mp4", frames=FRAMES)
    whole_mkv = make_video(folder / "whole.mkv", frames=FRAMES, size=(96, 64))
    return {
        "whole mp4": whole_mp4,
        "whole mkv": whole_mkv,
        "cut mp4": cut_short(whole_mp4, 0.3, "cut.mp4"),
        "cut mkv": cut_short(whole_mkv, 0.3, "cut.mkv"),
    }


def _decoded(path: Path) -> int:
    with media.open_source(path) as src:
        return sum(1 for _ in src.frames(fmt="gray"))


@pytest.mark.parametrize("name", ["whole mp4", "whole mkv"])
def test_a_whole_file_is_not_truncated(films: dict[str, Path], name: str) -> None:
    info = media.probe(films[name])
    assert info.frame_count == FRAMES
    assert (info.truncated, info.expected_frames) == (False, None)
    assert info.to_dict()["truncated"] is False


@pytest.mark.parametrize("name", ["cut mp4", "cut mkv"])
def test_a_cut_file_says_what_it_lost(films: dict[str, Path], name: str) -> None:
    info = media.probe(films[name])
    assert info.truncated
    assert info.expected_frames == FRAMES  # the header's count (MP4) or length (Matroska)
    assert 10 < info.frame_count < FRAMES
    # frame_count is what really comes out, no more
    assert _decoded(films[name]) == info.frame_count
    d = info.to_dict()
    assert (d["truncated"], d["expected_frames"], d["frame_count"]) == (
        True,
        FRAMES,
        info.frame_count,
    )


def _starting_late(path: Path, start_s: int, frames: int, fps: int = 25) -> Path:
    """A Matroska film whose first frame is at `start_s` seconds, as a recording cut from a
    broadcast stream is: its DURATION tag and its segment's length count from 0."""
    from fractions import Fraction

    import av
    import numpy as np

    rng = np.random.default_rng(0)  # noise: frames of some size, so a cut keeps several
    with av.open(str(path), "w") as c:
        stream = c.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            picture = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = start_s * fps + i, Fraction(1, fps)
            c.mux(stream.encode(frame))
        c.mux(stream.encode())
    return path


def test_a_matroska_film_that_starts_late_is_whole_and_a_cut_one_is_not(tmp_path: Path) -> None:
    late = _starting_late(tmp_path / "late.mkv", start_s=4, frames=50)
    info = media.probe(late)
    assert (info.frame_count, info.truncated, info.expected_frames) == (50, False, None)
    cut = media.probe(cut_short(late, 0.4, "late_cut.mkv"))
    assert cut.truncated and cut.expected_frames == 50 and cut.frame_count < 50


def test_a_cut_matroska_keeps_its_frame_rate(films: dict[str, Path]) -> None:
    # B-frames lost at the cut left a gap before the last frame shown; a steady film stays so
    info = media.probe(films["cut mkv"])
    assert not info.is_vfr
    assert info.fps == 24


def test_an_mp4_cut_without_its_index_is_bad_input(tmp_path: Path) -> None:
    whole = make_video(tmp_path / "moov_at_end.mp4", frames=48)
    cut = cut_short(whole, 0.3, "cut_end.mp4")
    with pytest.raises(BadInputError, match="moov atom missing") as err:
        media.probe(cut)
    assert err.value.path == str(cut)


def test_info_prints_a_truncated_line(
    films: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    n = media.probe(films["cut mp4"]).frame_count
    assert main(["info", str(films["cut mp4"])]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("truncated"))
    assert f"{n} of {FRAMES} frames" in line
    assert main(["info", "--json", str(films["cut mp4"])]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["truncated"], data["expected_frames"], data["frame_count"]) == (True, FRAMES, n)
    assert main(["info", str(films["whole mp4"])]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert not any(row.startswith("truncated") for row in rows)


@pytest.mark.parametrize("name", ["cut mp4", "cut mkv"])
def test_restore_refuses_a_cut_file(
    films: dict[str, Path], name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = films[name]
    n = media.probe(src).frame_count
    out = tmp_path / "restored.mkv"
    assert main(["restore", str(src), str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("panchro: error: "), err
    assert str(src) in err[0] and f"{n} of {FRAMES} frames" in err[0]
    assert "--allow-truncated" in err[0]
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a job folder


def test_restore_allow_truncated_restores_what_is_there(
    films: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = films["cut mp4"]
    n = media.probe(src).frame_count
    out = tmp_path / "restored.mkv"
    assert main(["restore", str(src), str(out), "-q", "--allow-truncated"]) == 0
    stdout, stderr = capsys.readouterr()
    assert f"{n} of {FRAMES} frames" in stderr  # said before the work
    assert f"truncated: {n} of {FRAMES} frames" in stdout  # and in the summary
    restored = media.probe(out)
    assert restored.frame_count == n and not restored.truncated
    # and in the record that stays with the film (it said "read: as it is")
    record = (tmp_path / "restored.mkv.restoration.md").read_text()
    assert f"- cut short: the file ends early; only these {n} frames of the {FRAMES}" in record
