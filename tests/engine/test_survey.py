"""A film's faults looked for before any stage takes them out (`engine.survey`): line
scratches and dirt around a few key frames, said in words by `panchro shots`, the engine's
`shots` answer and the app's facts."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.evaluate.telecine import write_video
from panchro.engine.service.protocol import flicker_grade, survey_words
from panchro.engine.shots import Shot
from panchro.engine.survey import FRAMES, LOOKS, looked_at, survey
from tests.makemedia import dusty_frames, scratched_frames, soft_pan


def film_of(frames: np.ndarray, path: Path) -> Path:
    return write_video(path, list(frames), Fraction(24), codec="ffv1")


@pytest.mark.parametrize("kind", ["scratched", "dusty", "clean"])
def test_what_is_seen_is_what_the_film_has(kind: str, tmp_path: Path) -> None:
    frames = {
        "scratched": lambda: scratched_frames(12)[1],
        "dusty": lambda: dusty_frames(12)[1],
        "clean": lambda: np.round(soft_pan(12, grain=0.015) * 255).astype(np.uint8),
    }[kind]()
    path = film_of(frames, tmp_path / f"{kind}.mkv")
    with media.open_source(path) as src:
        seen = survey(src, [Shot(0, 12, 6)])
    assert seen is not None and seen.looked == 1
    assert (seen.scratched, seen.lines) == ((1, 2) if kind == "scratched" else (0, 0))
    assert seen.dirty == (kind == "dusty")
    assert (seen.specks > 4e-4) == (kind == "dusty")


def test_shots_too_short_tell_nothing_and_long_films_are_looked_at_throughout(
    tmp_path: Path,
) -> None:
    path = film_of(scratched_frames(12)[1], tmp_path / "short.mkv")
    with media.open_source(path) as src:
        assert survey(src, [Shot(0, 4, 2), Shot(4, 8, 6), Shot(8, 12, 10)]) is None
    many = [Shot(10 * i, 10 * i + (3 if i == 5 else 10), 10 * i + 1) for i in range(20)]
    picked = looked_at(many)
    assert len(picked) == LOOKS and picked[0] == many[0] and picked[-1] == many[-1]
    assert all(s.length >= FRAMES for s in picked)


def test_a_shot_whose_frames_do_not_decode_is_not_looked_at(tmp_path: Path) -> None:
    from tests.makemedia import make_video, with_broken_frame

    good = make_video(tmp_path / "good.mp4", frames=48, size=(160, 120))
    bad = with_broken_frame(good, 30, tmp_path / "bad.mp4")
    shots = [Shot(0, 24, 12), Shot(24, 48, 30)]
    with media.open_source(good) as src:
        assert survey(src, shots).looked == 2
    with media.open_source(bad) as src:
        assert survey(src, shots).looked == 1  # the second's frames 28..32 hold the bad one
        assert survey(src, shots[1:]) is None


def test_said_in_words() -> None:
    assert survey_words(None) == ("too short to tell", "too short to tell")
    seen = {"looked": 6, "scratched": 1, "lines": 2, "dirty": 5, "specks": 3.14e-4}
    assert survey_words(seen) == (
        "2 lines in 1 of 6 shots looked at",
        "specks in 5 of 6 shots looked at (3.1 in 10,000 pixels)",
    )
    none = {"looked": 1, "scratched": 0, "lines": 0, "dirty": 0, "specks": 0.0}
    assert survey_words(none) == (
        "none seen in 1 shot looked at",
        "little or none in 1 shot looked at (0.0 in 10,000 pixels)",
    )


def test_panchro_shots_says_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from panchro.engine.cli import main

    path = film_of(scratched_frames(12)[1], tmp_path / "lines.mkv")
    assert main(["shots", str(path), "-q"]) == 0
    out = capsys.readouterr().out
    assert "scratches: 2 lines in 1 of 1 shot looked at (--scratches takes them out)" in out
    assert "dirt: little or none in 1 shot looked at" in out
    # the shot's first and last frames, counted from 0 and said so
    assert "frames counted from 0 as --frame takes them" in out
    row = out.splitlines()[-1].split()
    assert row[:3] == ["0", "0", "11"], row


def test_flicker_around_known_shots_is_what_the_shots_pass_measures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project opened with its shots has no pass over the film: its flicker is measured as
    the pass measures it, over every frame of a short film and on frames around the key
    frames of a long one."""
    from panchro.engine import shots as cuts
    from panchro.engine import survey as survey_module
    from panchro.engine.survey import flicker_around
    from tests.makemedia import make_video

    gain = 0.8 + np.random.default_rng(1).normal(0, 0.05, 150)
    flickering = make_video(
        tmp_path / "flicker.mp4",
        frames=150,
        cuts=(70,),
        exposure=gain,
        pattern="gray",
        counter=False,
    )
    steady = make_video(
        tmp_path / "steady.mp4", frames=150, cuts=(70,), pattern="gray", counter=False
    )
    for film, low, high in ((flickering, 2.0, 99.0), (steady, 0.0, 1.0)):
        with media.open_source(film) as src:
            passed = cuts.analyse(src)
            whole = flicker_around(src, passed.shots)  # a short film: every frame
            monkeypatch.setattr(survey_module, "WHOLE", 100)  # as a long film: a sample
            around = flicker_around(src, passed.shots)
            monkeypatch.undo()
        assert passed.flicker is not None and around is not None and whole is not None
        assert whole == pytest.approx(passed.flicker, abs=1e-4)  # the pass's own figure
        assert low < around < high and low < passed.flicker < high, (around, passed.flicker)
        assert flicker_grade(around) == flicker_grade(passed.flicker)  # as the app says it
        if low:  # a sample of the frames the pass measures: near it (5.2 against 4.2 here)
            assert abs(around - passed.flicker) < 0.3 * passed.flicker, (around, passed.flicker)
        # Shots shorter than a whole window (37 frames at 24 fps) tell nothing.
        with media.open_source(film) as src:
            assert flicker_around(src, [Shot(0, 30, 15), Shot(30, 60, 45)]) is None
