"""A part of a film restored (`panchro restore --from --to`, `restore(span=...)`): the frames a
whole film's restore gives there, starting at 0, with that part's sound and subtitles."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.errors import BadInputError, CancelledError
from panchro.engine.project import Project, Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.jobs import job_folder
from panchro.engine.restore.stages import build_stages
from panchro.engine.shots import Shot
from tests.jobs import cancelled_at
from tests.makemedia import SUBTITLE_CUES, make_video, write_still

SHOTS = [Shot(0, 24, 12), Shot(24, 48, 36), Shot(48, 72, 60)]
# Exposure that wobbles from frame to frame, so the deflicker stage changes every frame and
# what it does to a frame depends on the frames around it (across the part's edges too).
WOBBLE = [1.0 + 0.08 * np.sin(1.7 * i) for i in range(72)]


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("part")


@pytest.fixture(scope="module")
def film(here: Path) -> Path:
    """72 frames (3 s at 24 fps), cuts at 24 and 48, AAC sound, two subtitle cues (0.1-0.8 s
    and 1.0-1.6 s), a flicker."""
    return make_video(here / "film.mp4", frames=72, cuts=(24, 48), subtitles=True, exposure=WOBBLE)


@pytest.fixture(scope="module")
def project(film: Path, here: Path) -> Path:
    return Project.new(film, shots=SHOTS).save(here / "film.panchro")


def _settings() -> Settings:
    return Settings(deflicker=1.0)


@pytest.fixture(scope="module")
def whole(film: Path, project: Path, here: Path) -> Path:
    out = here / "whole.mkv"
    pipeline.restore(film, out, codec="ffv1", stages=build_stages(_settings()), project=project)
    return out


def _frames(path: Path) -> list[np.ndarray]:
    with media.open_source(path) as src:
        return [f.image for f in src.frames(fmt="yuv444p")]


def _times(path: Path, kind: str) -> list[Fraction]:
    with av.open(str(path)) as c:
        streams = [s for s in c.streams if s.type == kind]
        return sorted(
            p.pts * p.time_base for p in c.demux(*streams) if p.size and p.pts is not None
        )


def _audio(path: Path) -> list[tuple[bytes, Fraction, Fraction]]:
    with av.open(str(path)) as c:
        return [
            (bytes(p), p.pts * p.time_base, p.duration * p.time_base)
            for p in c.demux(c.streams.audio[0])
            if p.size
        ]


def test_a_part_has_the_whole_films_frames_there_from_0_with_its_sound(
    film: Path, project: Path, whole: Path, tmp_path: Path
) -> None:
    out = tmp_path / "part.mkv"
    # 1.3 s to 2.2 s: frames 31.2 -> 31 (on screen at 1.3 s) to 52 (starts at 2.1667 s),
    # across the cut at 48, inside a shot at both ends.
    summary = pipeline.restore(
        film,
        out,
        codec="ffv1",
        stages=build_stages(_settings()),
        project=project,
        span_s=(1.3, 2.2),
        chunk_seconds=0.25,
    )
    assert summary.frames == 22
    assert any(n.startswith("22 frames of 72 only") for n in summary.notes), summary.notes
    got, want = _frames(out), _frames(whole)[31:53]
    assert len(got) == 22
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    # The stage did work there (the part is not the film as decoded).
    assert not np.array_equal(_frames(film)[31][..., 0], got[0][..., 0])
    # Timing: from 0, each frame where it was, less 31 frames.
    times = _times(out, "video")
    assert times[0] == 0
    assert max(abs(t - (i / Fraction(24))) for i, t in enumerate(times)) <= Fraction(1, 1000)
    # Sound: the source's packets that sound within 1.2917..2.2083 s (frames 31 to 52's
    # end), whole and unchanged, each moved 31/24 s earlier (to the millisecond of Matroska).
    t0, t1 = Fraction(31, 24), Fraction(53, 24)
    source = [(b, t, d) for b, t, d in _audio(film) if t + d > t0 and t < t1]
    kept = _audio(out)
    assert [b for b, _, _ in kept] == [b for b, _, _ in source] and len(kept) >= 40
    assert all(
        abs(t - (s - t0)) <= Fraction(1, 1000)
        for (_, t, _), (_, s, _) in zip(kept, source, strict=True)
    )
    assert kept[0][1] <= 0 < kept[0][1] + kept[0][2]  # the first packet sounds at 0
    # Subtitles: the second cue (1.0-1.6 s) crosses the start: shown from 0 to 0.31 s.
    with av.open(str(out)) as c:
        cues = [p for p in c.demux(c.streams.subtitles[0]) if p.size > 2]
        assert len(cues) == 1
        start, length = cues[0].pts * cues[0].time_base, cues[0].duration * cues[0].time_base
    assert start == 0 and abs(length - (Fraction(16, 10) - t0)) <= Fraction(1, 1000)
    assert SUBTITLE_CUES[1][1] < float(t0) < SUBTITLE_CUES[1][2]
    assert not job_folder(out).exists()


def test_a_part_in_mp4_starts_at_0_and_a_cut_one_resumes_to_the_same_frames(
    film: Path, project: Path, whole: Path, tmp_path: Path
) -> None:
    stages = build_stages(_settings())
    kw = {"codec": "ffv1", "project": project, "span": (10, 40), "chunk_seconds": 0.25}
    cut = tmp_path / "cut.mkv"
    with pytest.raises(CancelledError):
        pipeline.restore(film, cut, stages=stages, keep_job=True, progress=cancelled_at(9), **kw)
    resumed = pipeline.restore(film, cut, stages=build_stages(_settings()), keep_job=True, **kw)
    assert resumed.resumed_frames > 0
    got, want = _frames(cut), _frames(whole)[10:40]
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True)) and len(got) == 30
    # Without stages, into MP4 (chunks written from 0 and moved back): every time exact.
    mp4 = tmp_path / "part.mp4"
    pipeline.restore(film, mp4, span=(10, 40), chunk_seconds=0.25)
    assert _times(mp4, "video") == [Fraction(i, 24) for i in range(30)]
    assert len(_frames(mp4)) == 30
    # A sequence of pictures: each numbered as the whole film's export numbers it.
    folder = tmp_path / "frames"
    summary = pipeline.restore(film, folder, codec="png16", span=(10, 13))
    assert sorted(f.name for f in folder.iterdir()) == [
        "frame_000010.png", "frame_000011.png", "frame_000012.png"
    ]  # fmt: skip
    said = "numbered as the whole film's export numbers it"
    assert any(said in n for n in summary.notes), summary.notes
    # A different part of the same output is a different job: refused, not mixed.
    pipeline.restore(film, cut, span=(0, 12), overwrite=True)
    assert len(_frames(cut)) == 12


def test_parts_that_are_not_there_are_refused(film: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.mkv"
    for span in ((40, 40), (-1, 5), (60, 73)):
        with pytest.raises(BadInputError, match="not a part of the film"):
            pipeline.restore(film, out, span=span)
    with pytest.raises(BadInputError, match="where the film has ended"):
        pipeline.restore(film, out, span_s=(3.5, None))
    with pytest.raises(BadInputError, match="end after it starts"):
        pipeline.restore(film, out, span_s=(2.0, 1.0))
    with pytest.raises(BadInputError, match="no frame of the film starts before it"):
        pipeline.restore(film, out, span_s=(None, 0.0))  # --to 0: once one frame was written
    with pytest.raises(BadInputError, match="frames or as times"):
        pipeline.restore(film, out, span=(0, 10), span_s=(0, 1))
    assert not out.exists() and not job_folder(out).exists()
    # The last part from a time to the end; a part's end that is a frame's start leaves it out.
    with media.open_source(film) as src:
        assert pipeline.part_of(src, 2.5, None) == (60, 72)
        assert pipeline.part_of(src, None, 1.0) == (0, 24)
        assert pipeline.part_of(src, None, 0.01) == (0, 1)
        assert pipeline.part_of(src, 0.99, 1.01) == (23, 25)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "panchro.engine", "restore", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_cli_restores_a_part_and_refuses_what_does_not_go_with_one(
    film: Path, tmp_path: Path
) -> None:
    out = tmp_path / "part.mp4"
    done = _cli(str(film), str(out), "--from", "0:01", "--to", "1.5", "-q")
    assert done.returncode == 0, done.stderr
    assert "12 frames of 72 only" in done.stdout
    assert len(_frames(out)) == 12 and _times(out, "video")[0] == 0
    assert _times(out, "audio")[0] <= 0 < _times(out, "audio")[1]
    for extra, said in (
        (("--from", "2", "--to", "1"), "must come after --from"),
        (("--to", "1", "--batch", str(tmp_path)), "not of an archive"),
    ):
        bad = _cli(str(film), str(tmp_path / "x.mp4"), *extra, "-q")
        assert bad.returncode == 2 and said in bad.stderr, bad.stderr
    picture = write_still(tmp_path / "p.png", np.zeros((8, 8, 3), np.uint8))
    bad = _cli(str(picture), str(tmp_path / "q.png"), "--from", "1", "-q")
    assert bad.returncode == 2 and "--from" in bad.stderr and "for films" in bad.stderr


def test_a_preview_of_a_part_is_taken_from_the_parts_middle(film: Path, tmp_path: Path) -> None:
    out = tmp_path / "preview.mp4"
    # Frames 48..71 (the last shot), half a second from its middle: frames 54..65.
    summary = pipeline.restore(film, out, span=(48, 72), preview=0.5)
    assert any(n.startswith("preview of 12 frames from 2.250 s") for n in summary.notes), (
        summary.notes
    )
    # Longer than the part: the part, whole.
    summary = pipeline.restore(film, out, span=(10, 20), preview=5.0, overwrite=True)
    assert any(n.startswith("preview of 10 frames from 0.417 s") for n in summary.notes), (
        summary.notes
    )
    assert len(_frames(out)) == 10
    # The film's middle without a part, as before.
    summary = pipeline.restore(film, out, preview=0.5, overwrite=True)
    assert any(n.startswith("preview of 12 frames from 1.250 s") for n in summary.notes), (
        summary.notes
    )


def test_chapters_are_cut_to_the_part_and_moved_to_0() -> None:
    from panchro.engine.media.remux import _chapters_within

    tb = Fraction(1, 1000)
    chapters = [
        {"id": 1, "start": 0, "end": 4000, "time_base": tb, "metadata": {"title": "One"}},
        {"id": 2, "start": 4000, "end": 9000, "time_base": tb, "metadata": {"title": "Two"}},
        {"id": 3, "start": 9000, "end": 12000, "time_base": tb, "metadata": {"title": "Three"}},
    ]
    kept = _chapters_within(chapters, Fraction(3), Fraction(10))  # 3 s to 10 s
    assert [(c["metadata"]["title"], c["start"], c["end"]) for c in kept] == [
        ("One", 0, 1000),
        ("Two", 1000, 6000),
        ("Three", 6000, 7000),
    ]
    assert [c["id"] for c in _chapters_within(chapters, Fraction(9), None)] == [3]
    assert _chapters_within(chapters, Fraction(9), None)[0]["end"] == 3000
