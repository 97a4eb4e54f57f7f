"""One frame of a film restored into a picture (`panchro restore FILM STILL --at T`,
`restore.still`): the frame the film's export holds there, in a picture file."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.errors import BadInputError
from panchro.engine.project import Project, Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.stages import build_stages
from panchro.engine.restore.still import restore_still, shot_around
from panchro.engine.shots import Shot
from tests.makemedia import make_video, retagged, write_still

WOBBLE = [1.0 + 0.1 * np.sin(1.7 * i) for i in range(48)]
SHOTS = [Shot(0, 24, 12), Shot(24, 48, 36)]


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """48 frames, a cut at 24, a flicker (so the deflicker stage changes every frame by what
    the frames around it say), sound."""
    here = tmp_path_factory.mktemp("still")
    return make_video(here / "film.mkv", frames=48, cuts=(24,), codec="ffv1", exposure=WOBBLE)


@pytest.fixture(scope="module")
def project(film: Path) -> Project:
    return Project.new(film, shots=SHOTS)


def _rgb(path: Path, index: int) -> np.ndarray:
    with media.open_source(path) as src:
        return src.read_frame(index).image.astype(np.float64)


def test_the_still_is_the_frame_the_films_export_holds(
    film: Path, project: Project, tmp_path: Path
) -> None:
    stages = build_stages(Settings(deflicker=1.0, crop=(8, 4, 8, 4)))
    whole = tmp_path / "whole.mkv"
    pipeline.restore(film, whole, codec="ffv1", bit_depth=16, stages=stages, project=project)
    out = tmp_path / "still.png"
    summary = restore_still(film, out, 30, stages=stages, project=project)
    assert (summary.width, summary.height) == (144, 112) and summary.codec == "png"
    assert any("the frame at 1.250 s, in a shot of 24 frames" in n for n in summary.notes)
    with Image.open(out) as im:
        assert im.size == (144, 112) and im.mode.startswith(("RGB", "I"))
        still = np.asarray(im.convert("RGB"), np.float64)
        assert im.info["Source"] == "film.mkv, frame 30 at 1.250 s"
    exported = _rgb(whole, 30)
    raw = _rgb(film, 30)[4:-4, 8:-8]
    assert np.abs(still - exported).mean() < 1.0  # the export's frame, within rounding
    assert np.abs(still - raw).mean() > 4 * np.abs(still - exported).mean()  # deflickered
    again = tmp_path / "again.png"
    with pytest.raises(Exception, match="exists"):
        restore_still(film, out, 30, stages=stages, project=project)
    restore_still(film, again, 30, stages=stages, project=project, overwrite=False)
    assert again.read_bytes() == out.read_bytes()  # the same still every time


def test_without_a_project_the_shot_is_found_around_the_frame(film: Path) -> None:
    with media.open_source(film) as src:
        assert shot_around(src, 30) == Shot(24, 48, shot_around(src, 30).key_frame)
        assert shot_around(src, 3).start == 0 and shot_around(src, 3).end == 24
        assert shot_around(src, 30, SHOTS) == SHOTS[1]
        with pytest.raises(BadInputError, match="outside the film"):
            shot_around(src, 48)


def test_jpeg_stills_are_8_bit_and_anamorphic_pixels_are_made_square(tmp_path: Path) -> None:
    film = make_video(tmp_path / "wide.mp4", frames=12, size=(96, 64), sar=Fraction(4, 3))
    out = tmp_path / "still.jpg"
    summary = restore_still(film, out, 5, stages=build_stages(Settings(deflicker=1.0)))
    assert any("pixel aspect 4/3" in n for n in summary.notes)
    with Image.open(out) as im:
        assert im.format == "JPEG" and im.mode == "RGB" and im.size == (128, 64)


def test_the_command_line_writes_a_still_and_refuses_what_does_not_go_with_one(
    film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.tif"
    assert main(["restore", str(film), str(out), "--at", "1.25", "--deflicker", "1", "-q"]) == 0
    said = capsys.readouterr().out
    assert "TIFF picture" in said and "the frame at 1.250 s" in said
    with Image.open(out) as im:
        assert im.size == (160, 120)
    picture = write_still(tmp_path / "p.png", np.zeros((32, 32, 3), np.uint8))
    for argv, words in (
        ([str(film), str(tmp_path / "a.png")], "say which with --at TIME"),
        ([str(film), str(tmp_path / "a.mp4"), "--at", "1"], "give a .jpg"),
        ([str(film), str(tmp_path / "a.png"), "--at", "1", "--codec", "ffv1"], "--codec"),
        ([str(film), str(tmp_path / "a.png"), "--at", "1", "--from", "0"], "--from"),
        ([str(picture), str(tmp_path / "a.png"), "--at", "1"], "a photo is restored whole"),
        (
            [str(film), str(tmp_path / "a.png"), "--at", "9"],
            "where the film has ended (it ends at 2.000 s)",
        ),
    ):
        assert main(["restore", *argv, "-q"]) == 2, argv
        assert words in capsys.readouterr().err, argv


def test_a_film_tagged_to_be_turned_gives_a_turned_still(tmp_path: Path) -> None:
    plain = make_video(tmp_path / "plain.mp4", frames=6, size=(96, 64), audio=False)
    turned = retagged(plain, tmp_path / "turned.mp4", rotation=90)
    assert media.probe(turned).rotation == 90
    out = tmp_path / "still.png"
    restore_still(turned, out, 2, stages=build_stages(Settings(deflicker=1.0)))
    with Image.open(out) as im:
        assert im.size == (64, 96)  # upright, as a player shows it
        still = np.asarray(im.convert("L"), np.float64)
    with media.open_source(turned) as src:
        frame = src.read_frame(2, fmt="gray").image.astype(np.float64)
    assert np.abs(still - np.rot90(frame, -1)).mean() < 3  # turned clockwise
