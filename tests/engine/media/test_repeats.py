"""Films whose transfer repeats one frame in N (engine/media/decimate.py): found from the
pictures, the repeats left out and the rest re-timed, the same frame however reached; films
without such a cadence (still stretches, animation on twos) read as they are.

The films are made here: a textured picture panning 4 px a picture, with every N-th
picture shown twice (a film shot at fewer pictures a second than it is shown at).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.evaluate.telecine import write_video
from panchro.engine.media import decimate


def _pictures(n: int, size: tuple[int, int] = (160, 120), step: int = 4) -> list[np.ndarray]:
    w, h = size
    rng = np.random.default_rng(3)
    texture = rng.random((h // 8, (w + step * n) // 8 + 1)) * 180 + 40
    texture = texture.astype(np.uint8).repeat(8, 0).repeat(8, 1)
    return [texture[:h, step * i : step * i + w].copy() for i in range(n)]


def _repeated(pictures: list[np.ndarray], every: int, phase: int = 2) -> list[np.ndarray]:
    """The pictures with one frame in `every` a repeat of the one before (at `phase`)."""
    frames: list[np.ndarray] = []
    for p in pictures:
        frames.append(p)
        if len(frames) % every == phase:
            frames.append(p)
    return frames


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[np.ndarray]]]:
    folder = tmp_path_factory.mktemp("repeats")
    pictures = _pictures(200)
    made = {}
    for name, every in (("five", 5), ("four", 4), ("three", 3)):
        frames = _repeated(pictures, every)
        path = write_video(folder / f"{name}.mp4", frames, Fraction(24), crf=8)
        made[name] = (path, pictures[: len(frames) - len(frames) // every])
    return made


def _luma(path: Path, mode: str = "auto") -> list[np.ndarray]:
    with media.open_source(path, deinterlace=mode) as src:
        return [f.image for f in src.frames(fmt="gray")]


@pytest.mark.parametrize(("name", "every"), [("five", 5), ("four", 4), ("three", 3)])
def test_repeated_frames_are_found_and_left_out(
    films: dict[str, tuple[Path, list[np.ndarray]]], name: str, every: int
) -> None:
    path, pictures = films[name]
    woven, info = media.probe(path, deinterlace="off"), media.probe(path)
    assert info.deinterlace.startswith(f"repeated frames left out (one in {every}: ")
    assert info.fps == 24 * Fraction(every - 1, every)
    assert info.frame_count == decimate.frame_count(woven.frame_count, every)
    assert info.duration_s == woven.duration_s
    frames = _luma(path)
    full = woven.frame_count // every * (every - 1)
    # The whole cycles give back the pictures one for one, in order.
    errors = [
        np.abs(y.astype(int) - p).mean() for y, p in zip(frames[:full], pictures, strict=False)
    ]
    assert max(errors) < 1.5, max(errors)
    assert len(_luma(path, "off")) == woven.frame_count  # off: every frame as it is


def test_a_frame_is_the_same_however_it_is_reached(
    films: dict[str, tuple[Path, list[np.ndarray]]],
) -> None:
    path, _ = films["four"]
    whole = _luma(path)
    n = len(whole)
    with media.open_source(path) as src:
        assert src.decimated == (4,)
        for i in (0, 1, 2, 3, 4, 80, 79, 78, 100, n - 1, n - 2, 5, 6, 41):
            assert np.array_equal(src.read_frame(i, fmt="gray").image, whole[i]), i
        for start, stop in ((0, 1), (2, 9), (60, 70), (n - 4, n), (33, 34)):
            part = list(src.frames(start, stop, fmt="gray"))
            assert [f.index for f in part] == list(range(start, stop))
            assert all(np.array_equal(f.image, whole[f.index]) for f in part), (start, stop)
        decoded = media.probe(path, deinterlace="off").frame_count
        full = decimate.frame_count(decoded // 4 * 4, 4)  # the frames of whole cycles
        times = np.array([float(src.pts_of(i) * src.info.time_base) for i in range(n)])
    assert np.allclose(np.diff(times[:full]), 1 / 18)  # evenly, at the film's 18 fps
    assert np.allclose(np.diff(times[full:]), 1 / 24)  # a short last cycle as it was


def test_films_without_a_cadence_of_repeats_are_read_as_they_are(tmp_path: Path) -> None:
    pictures = _pictures(120)
    # Animation on twos: every picture twice (a cycle of two is not a film's rate).
    twos = write_video(tmp_path / "twos.mp4", [p for p in pictures for _ in (0, 1)], Fraction(24))
    # Still stretches between moves: many frames alike, at no steady place.
    still = [pictures[min(i // 7 * 3, 119)] for i in range(200)]
    held = write_video(tmp_path / "held.mp4", still, Fraction(24))
    # Repeats now and then, not in a cycle.
    rng = np.random.default_rng(0)
    odd = []
    for p in pictures:
        odd += [p, p] if rng.random() < 0.2 else [p]
    irregular = write_video(tmp_path / "irregular.mp4", odd, Fraction(24))
    for path in (twos, held, irregular):
        info = media.probe(path)
        assert info.deinterlace == "not deinterlaced", (path.name, info.deinterlace)
        assert info.fps == 24


def test_repeat_cycle_reads_a_cadence_and_only_one() -> None:
    rng = np.random.default_rng(1)
    moving = rng.uniform(3, 9, 180)
    cadence = moving.copy()
    cadence[2::5] = rng.uniform(0, 0.3, len(cadence[2::5]))
    assert decimate.repeat_cycle([cadence[:60], cadence[60:120], cadence[120:]]) == 5
    assert decimate.repeat_cycle([moving[:60], moving[60:120]]) is None
    still = rng.uniform(0, 0.3, 60)
    assert decimate.repeat_cycle([still]) is None  # too still to tell
    assert decimate.may_repeat(list(cadence[:16])) and not decimate.may_repeat(list(moving[:16]))


def test_a_project_saved_before_repeats_were_left_out_keeps_its_frame_numbers(
    films: dict[str, tuple[Path, list[np.ndarray]]], tmp_path: Path
) -> None:
    """A project numbers the film's frames as the file does (as Panchro read every film
    before it left repeats out): it is read with every frame kept, said so, and restored
    as it was; a run that would read it otherwise is refused, not garbled."""
    from dataclasses import replace

    from panchro.engine.cli import main
    from panchro.engine.errors import BadInputError
    from panchro.engine.project import Project
    from panchro.engine.restore import pipeline
    from panchro.engine.shots import Shot

    path, _ = films["five"]
    every = media.probe(path, deinterlace="keep").frame_count
    assert every == media.probe(path, deinterlace="off").frame_count > media.probe(path).frame_count
    new = Project.new(path)
    old = Project(
        replace(new.source, frame_count=every),
        [Shot(0, 100, 50), Shot(100, every, 150)],
    )
    saved = old.save(tmp_path / "old.panchro")
    with pytest.raises(BadInputError, match="--deinterlace keep: no repeat left out"):
        pipeline.restore(path, tmp_path / "refused.mkv", codec="ffv1", project=old)
    loaded = Project.load(saved)
    said = loaded.keep_frame_numbers()
    assert said and said.startswith(f"read with every frame kept ({every})")
    assert loaded.settings.deinterlace == "keep"
    assert Project.load(saved).settings.deinterlace == "auto"  # the file is not changed
    out = tmp_path / "out.mkv"
    assert main(["restore", str(path), str(out), "--project", str(saved), "--codec", "ffv1",
                 "-q"]) == 0  # fmt: skip
    assert media.probe(out, deinterlace="off").frame_count == every  # its repeats kept too
    assert new.keep_frame_numbers() is None  # a project of today's reading: as it is
    # The app asks the engine: the answer's settings read it so, and `reading` says why.
    from panchro.engine.service.client import EngineClient

    client = EngineClient.start(stderr=tmp_path / "engine.log")
    try:
        data = client.request("load_project", 60.0, project_path=str(saved)).data
    finally:
        assert client.close(timeout=30) == 0
    assert data["settings"]["deinterlace"] == "keep"
    assert data["reading"].startswith(f"read with every frame kept ({every})")


def test_a_telecined_film_whose_pictures_repeat_loses_both(tmp_path: Path) -> None:
    """A film shot at 18 pictures a second, made 24 by showing one frame in four twice,
    then telecined for NTSC: field matched, decimated to 23.976, then its own repeats left
    out: each picture once, in order, the same frame however reached."""
    from panchro.engine.evaluate.telecine import telecine

    pictures = _pictures(150)
    at24 = _repeated(pictures, 4)[:192]
    frames, _, rate = telecine(at24, "3:2")
    path = write_video(tmp_path / "silent.mp4", frames, rate, crf=8)
    info = media.probe(path)
    assert info.deinterlace.startswith("field matched (inverse telecine, top field first; ")
    assert info.deinterlace.endswith("; repeated frames left out (one in 4: 17.982 fps)")
    assert info.frame_count == 144 and info.fps == Fraction(24000, 1001) * Fraction(3, 4)
    whole = _luma(path)
    errors = [np.abs(y.astype(int) - p).mean() for y, p in zip(whole, pictures, strict=False)]
    assert max(errors) < 1.5, max(errors)
    with media.open_source(path) as src:
        assert src.decimated == (5, 4)
        for i in (0, 1, 2, 50, 49, 48, 100, 143, 142, 7):
            assert np.array_equal(src.read_frame(i, fmt="gray").image, whole[i]), i
        for start, stop in ((0, 5), (40, 52), (139, 144)):
            part = list(src.frames(start, stop, fmt="gray"))
            assert [f.index for f in part] == list(range(start, stop))
            assert all(np.array_equal(f.image, whole[f.index]) for f in part), (start, stop)
