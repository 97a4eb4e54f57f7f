"""A film shown at a silent speed delivered at a sound speed by repeating frames (`deliver_fps`,
`media.Stretch`): the cadence, the delivered frames and their times in every kind of output,
a part of the film, a job cut and resumed, and the refusals."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.media.retime import Stretch, stretch_for
from panchro.engine.restore import pipeline
from panchro.engine.restore.jobs import job_folder
from panchro.engine.restore.record import record_path
from tests.jobs import cancelled_at
from tests.makemedia import make_frame_folder

AT_18 = media.Reading(fps=18)


def test_the_cadence_of_a_stretch() -> None:
    s = Stretch(Fraction(18), Fraction(24))
    assert [s.repeats(i) for i in range(9)] == [2, 1, 1] * 3
    assert s.first(9) == 12 and s.pts(3) == [4, 5]
    assert (
        s.describe() == "delivered at 24 fps from 18: one frame in 3 shown twice (stretch printing)"
    )
    s = Stretch(Fraction(16), Fraction(24))
    assert [s.repeats(i) for i in range(4)] == [2, 1, 2, 1]
    s = Stretch(Fraction(16), Fraction(25))
    assert sum(s.repeats(i) for i in range(16)) == 25  # a second of the film is a second
    s = Stretch(Fraction(12), Fraction(48))
    assert [s.repeats(i) for i in range(3)] == [4, 4, 4]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """9 frames that all differ (half a second at 18 fps)."""
    return make_frame_folder(tmp_path_factory.mktemp("stretch") / "frames", 9, size=(64, 48))


def _luma(path: Path) -> list[np.ndarray]:
    with media.open_source(path) as src:
        return [f.image[..., 0].astype(np.int32) for f in src.frames(fmt="yuv444p")]


def _which(delivered: list[np.ndarray], film: list[np.ndarray]) -> list[int]:
    """The film frame each delivered frame shows (the nearest, by mean difference)."""
    return [int(np.argmin([np.abs(d - f).mean() for f in film])) for d in delivered]


def test_a_film_at_18_fps_is_delivered_at_24(folder: Path, tmp_path: Path) -> None:
    film = _luma(folder)
    out = tmp_path / "at24.mkv"
    summary = pipeline.restore(folder, out, codec="ffv1", reading=AT_18, deliver_fps=24)
    delivered = _luma(out)
    expected = [i for i in range(9) for _ in range(Stretch(Fraction(18), Fraction(24)).repeats(i))]
    assert _which(delivered, film) == expected and len(delivered) == 12
    for d, i in zip(delivered, expected, strict=True):
        np.testing.assert_array_equal(d, film[i])  # lossless, nothing restored: bit for bit
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert v.average_rate == 24
        times = [float(f.pts * f.time_base) for f in c.decode(v)]
    assert times == pytest.approx([n / 24 for n in range(12)], abs=1e-3)
    assert any("one frame in 3 shown twice" in n for n in summary.notes)
    assert "12 frames written at 24 fps for the 9 restored" in summary.notes
    record = record_path(out).read_text()
    assert "- at 24 fps: the frames restored, some shown twice" in record


def test_chunks_sequences_parts_and_a_resumed_job(folder: Path, tmp_path: Path) -> None:
    film = _luma(folder)
    stretch = Stretch(Fraction(18), Fraction(24))
    expected = [i for i in range(9) for _ in range(stretch.repeats(i))]

    # MP4 chunks are written from 0 and moved back at the join: times run on across them.
    mp4 = tmp_path / "at24.mp4"
    pipeline.restore(folder, mp4, reading=AT_18, deliver_fps=24, chunk_seconds=0.1)
    with av.open(str(mp4)) as c:
        v = c.streams.video[0]
        times = [float(f.pts * f.time_base) for f in c.decode(v)]
    assert times == pytest.approx([n / 24 for n in range(12)], abs=2e-3)
    assert _which(_luma(mp4), film) == expected

    # A part: frames 3..8 of the film, delivered from 0; a sequence numbered as delivered.
    part = tmp_path / "part.mkv"
    summary = pipeline.restore(
        folder, part, codec="ffv1", reading=AT_18, deliver_fps=24, span=(3, 9)
    )
    said = f"{12 - stretch.first(3)} frames written at 24 fps for the 6 restored"
    assert said in summary.notes
    assert _which(_luma(part), film) == expected[stretch.first(3) :]
    dpx = tmp_path / "dpx"
    pipeline.restore(folder, dpx, codec="dpx", reading=AT_18, deliver_fps=24, span=(3, 9))
    names = sorted(p.name for p in dpx.iterdir())
    assert len(names) == 12 - stretch.first(3) and names[0].endswith(f"{stretch.first(3):06d}.dpx")

    # Cut after a chunk and resumed: the frames an uninterrupted run gives.
    cut = tmp_path / "cut.mkv"
    with pytest.raises(Exception):  # noqa: B017,PT011 - CancelledError, as a person's Cancel
        pipeline.restore(
            folder, cut, codec="ffv1", reading=AT_18, deliver_fps=24, chunk_seconds=0.1, batch=2,
            keep_job=True, progress=cancelled_at(4),
        )  # fmt: skip
    assert job_folder(cut).is_dir()
    again = pipeline.restore(
        folder, cut, codec="ffv1", reading=AT_18, deliver_fps=24, chunk_seconds=0.1, batch=2
    )
    assert again.resumed_frames > 0
    assert _which(_luma(cut), film) == expected
    # the job is the delivery's: the same output asked at 25 fps is another job
    with pytest.raises(Exception):  # noqa: B017,PT011
        pipeline.restore(
            folder, tmp_path / "other.mkv", codec="ffv1", reading=AT_18, deliver_fps=25,
            chunk_seconds=0.1, batch=2, keep_job=True, progress=cancelled_at(4),
        )  # fmt: skip
    with pytest.raises(OutputError, match="deliver: 25 -> 24"):
        pipeline.restore(
            folder, tmp_path / "other.mkv", codec="ffv1", reading=AT_18, deliver_fps=24,
            chunk_seconds=0.1, batch=2,
        )  # fmt: skip


def test_a_stretch_that_cannot_be_made_is_refused(folder: Path, tmp_path: Path) -> None:
    with media.open_source(folder, fps=18) as src:
        info = src.info
    for rate, words in ((18, "not above the film's"), (12, "not above"), (80, "more than 4")):
        with pytest.raises(BadInputError, match=words):
            stretch_for(info, rate)
    assert stretch_for(info, 23.976).deliver == Fraction(24000, 1001)  # NTSC, exactly
    assert stretch_for(info, 29.97).deliver == Fraction(30000, 1001)
    assert stretch_for(info, 23.5).deliver == Fraction(47, 2)
    with pytest.raises(BadInputError, match="varying frame rate"):
        stretch_for(replace(info, is_vfr=True), 24)
    out = tmp_path / "refused.mkv"
    with pytest.raises(BadInputError, match="not above"):
        pipeline.restore(folder, out, codec="ffv1", reading=AT_18, deliver_fps=18)
    assert not out.exists() and not job_folder(out).exists()


def test_chunks_rendered_elsewhere_are_delivered_alike(folder: Path, tmp_path: Path) -> None:
    """A cluster's workers (`render_planned`) repeat the frames as a local run does."""
    local = tmp_path / "local.mkv"
    pipeline.restore(folder, local, codec="ffv1", reading=AT_18, deliver_fps=24, batch=2,
                     chunk_seconds=0.1)  # fmt: skip

    def executor(job, plan, progress) -> None:  # noqa: ANN001
        assert plan.stretch is not None and plan.stretch.deliver == 24
        for chunk in job.pending():
            done = pipeline.render_planned(plan, [chunk], [])
            job.mark_done(chunk, done[chunk.index])
            progress.advance(chunk.frames)

    elsewhere = tmp_path / "elsewhere.mkv"
    pipeline.restore(folder, elsewhere, codec="ffv1", reading=AT_18, deliver_fps=24, batch=2,
                     chunk_seconds=0.1, executor=executor)  # fmt: skip
    a, b = _luma(local), _luma(elsewhere)
    assert len(a) == len(b) == 12
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_an_archive_refuses_one_delivery_rate_for_all(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from panchro.engine.cli import main

    films = tmp_path / "films"
    films.mkdir()
    assert main(["restore", "--batch", str(films), str(tmp_path / "all"), "--deliver-fps", "24"])
    assert "--deliver-fps: not for an archive" in capsys.readouterr().err
