"""A faded film's levels: its black and white points measured across the film (inside its
borders) and stretched to the full range as it is read, the same in every pixel layout, on
the command line, in a project and in a resumed job."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from makemedia import make_video, write_still

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.errors import BadInputError, CancelledError, OutputError
from panchro.engine.media import levels
from tests.jobs import cancelled_at

H, W = 48, 64
BLACK, WHITE = 0.16, 0.78  # where the faded film's tones lie


def faded_picture(i: int, border: int = 0) -> np.ndarray:
    """A grey ramp with a dark and a light patch, its tones squeezed into BLACK..WHITE, and a
    black border `border` px wide (which must not set the black point)."""
    x = np.linspace(0.0, 1.0, W)[None, :].repeat(H, 0)
    x[4:12, 4:12] = 0.0
    x[4:12, -12:-4] = 1.0
    x = np.roll(x, i, axis=1)
    faded = BLACK + (WHITE - BLACK) * x
    if border:
        faded[:, :border] = 0.0
        faded[:, -border:] = 0.0
    return np.round(faded * 65535).astype(np.uint16)


def faded_folder(path: Path, n: int = 6, border: int = 0) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_still(path / f"f{i:03d}.png", faded_picture(i, border))
    return path


def test_stretch_maps_the_points_to_black_and_white_in_every_layout() -> None:
    points = (0.2, 0.8)
    grey = np.array([[0.2, 0.5, 0.8]]) * 255
    assert levels.stretch(
        grey.round().astype(np.uint8), "gray", points, limited=False
    ).tolist() == [[0, 128, 255]]
    sixteen = (np.array([[0.2, 0.8]]) * 65535).round().astype(np.uint16)
    assert levels.stretch(sixteen, "gray16", points, limited=False).tolist() == [[0, 65535]]
    # limited-range YCbCr: Y 16..235 stretched about its own black; chroma about 128, gained
    y = 16 + 219 * np.array([0.2, 0.8])
    yuv = np.stack([y, [128 + 10, 128 - 10], [128, 128]], axis=-1)[None].round().astype(np.uint8)
    out = levels.stretch(yuv, "yuv444p", points, limited=True)
    assert out[0, :, 0].tolist() == [16, 235]
    assert out[0, :, 1].tolist() == [128 + 17, 128 - 17]  # 10 x 1/0.6, rounded
    with pytest.raises(BadInputError, match="black below white"):
        levels.check_points((0.8, 0.2))
    with pytest.raises(BadInputError, match="two numbers"):
        levels.check_points(("dark", "light"))


def test_the_points_are_measured_inside_the_borders_and_stretched_as_read(
    tmp_path: Path,
) -> None:
    from panchro.engine.survey import film_levels

    folder = faded_folder(tmp_path / "faded", border=6)
    with media.open_source(folder) as src:
        found = film_levels(src)
        plain = src.read_frame(2, fmt="gray16").image[:, 8:-8] / 65535.0
    assert found is not None
    assert found[0] == pytest.approx(BLACK, abs=0.01) and found[1] == pytest.approx(WHITE, abs=0.01)
    assert levels.faded(found)
    # the border's black alone would have held the black point at 0
    with media.open_source(folder) as src:
        assert levels.measure(src)[0] < 0.01  # type: ignore[index]
    reading = media.Reading(levels=found)
    with reading.open(folder) as src:
        assert src.info.levels == found
        seen = src.read_frame(2, fmt="gray16").image[:, 8:-8] / 65535.0
        rgb = src.read_frame(2, fmt="rgb24").image[:, 8:-8, 1] / 255.0
    want = np.clip((plain - found[0]) / (found[1] - found[0]), 0, 1)
    assert np.abs(seen - want).max() < 1e-4
    # read at 8 bits, the stretch comes after swscale's rounding: within a level of it, gained
    gain = 1 / (found[1] - found[0])
    assert np.abs(rgb - want).max() < (gain + 0.5) / 255
    assert seen.min() < 0.01 and seen.max() > 0.99  # the full range now


def test_a_video_is_stretched_alike_in_yuv_and_rgb(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mkv", frames=4, audio=False, codec="ffv1")
    points = (0.1, 0.7)
    with media.open_source(video) as a, media.open_source(video, levels=points) as b:
        before = a.read_frame(2, fmt="rgb24").image / 255.0
        after = b.read_frame(2, fmt="rgb24").image / 255.0
        y0 = a.read_frame(2, fmt="yuv444p").image.astype(float)
        y1 = b.read_frame(2, fmt="yuv444p").image.astype(float)
    want = np.clip((before - 0.1) / 0.6, 0, 1)
    assert np.abs(after - want).mean() < 1.5 / 255
    inside = (y0[..., 0] > 16 + 219 * 0.12) & (y0[..., 0] < 16 + 219 * 0.68)
    assert np.abs(y1[..., 0] - (16 + (y0[..., 0] - 16 - 0.1 * 219) / 0.6))[inside].max() <= 1


def test_a_reading_travels_as_one_value() -> None:
    reading = media.Reading(fps=18, deinterlace="off", scan="negative", levels=(0.1, 0.9))
    assert reading.options() == {
        "fps": 18, "deinterlace": "off", "scan": "negative", "levels": (0.1, 0.9)
    }  # fmt: skip
    assert reading.but(levels=None).levels is None and reading.but().scan == "negative"
    assert media.Reading(levels=[0.1, 0.9]).levels == (0.1, 0.9)  # checked, as a pair
    with pytest.raises(BadInputError, match="unknown scan mode"):
        media.Reading(scan="log")
    with pytest.raises(BadInputError, match="levels must be"):
        media.Reading(levels=(0.5, 0.55))


def test_restore_levels_auto_stretches_keeps_it_in_the_project_and_resumes_alike(
    tmp_path: Path, capsys
) -> None:
    from panchro.engine.project import Project

    folder = faded_folder(tmp_path / "faded")
    project = tmp_path / "faded.panchro"
    out = tmp_path / "out.mkv"
    args = ["restore", str(folder), str(out), "--codec", "ffv1", "--project", str(project)]
    assert main([*args, "--levels", "auto", "-q"]) == 0
    said = capsys.readouterr().err
    assert "levels: black at 16 %, white at 78 % of the range, stretched" in said
    kept = Project.load(project).settings.levels
    assert kept is not None and kept[0] == pytest.approx(BLACK, abs=0.01)
    with media.open_source(out) as b:
        made = b.read_frame(2, fmt="gray").image
    assert made.min() <= 2 and made.max() >= 253
    # the project alone reads it the same way again: the same frames
    assert main([*args, "--overwrite", "-q"]) == 0
    with media.open_source(out) as b:
        assert np.array_equal(b.read_frame(2, fmt="gray").image, made)
    # `info` says how it is read; given points are checked in words
    capsys.readouterr()
    assert main(["info", str(folder), "--levels", "0.2,0.8"]) == 0
    assert "black at 20 %, white at 80 % of the range, stretched" in capsys.readouterr().out
    assert main(["info", str(folder), "--levels", "0.8,0.2"]) != 0
    assert "--levels: levels must be a black and a white point" in capsys.readouterr().err


def test_a_job_made_with_other_levels_is_not_resumed_into(tmp_path: Path) -> None:
    from panchro.engine.restore import pipeline
    from panchro.engine.restore.jobs import job_folder

    folder = faded_folder(tmp_path / "faded", n=24)
    out = tmp_path / "out.mkv"
    reading = media.Reading(levels=(BLACK, WHITE))

    with pytest.raises(CancelledError):
        pipeline.restore(folder, out, codec="ffv1", chunk_seconds=0.1, reading=reading,
                         keep_job=True, progress=cancelled_at(16))  # fmt: skip
    manifest = (job_folder(out) / "manifest.json").read_text()
    assert '"levels": [' in manifest
    assert '"done"' in manifest  # a chunk finished before the cancel: something to resume
    with pytest.raises(OutputError, match=r"other settings .*\(levels changed\)") as refused:
        pipeline.restore(folder, out, codec="ffv1", chunk_seconds=0.1, keep_job=True,
                         reading=reading.but(levels=(0.1, 0.9)))  # fmt: skip
    # what a program needs to offer to start over, beside the words (docs/protocol.md)
    assert refused.value.extra == {
        "unfinished_job": {"why": "settings", "differs": "levels changed"}
    }
    summary = pipeline.restore(folder, out, codec="ffv1", chunk_seconds=0.1, reading=reading)
    assert summary.resumed_frames > 0


def test_an_archive_stretches_each_films_own_levels(tmp_path: Path, capsys) -> None:
    films = tmp_path / "films"
    films.mkdir()
    faded_folder(films / "reel1", n=4)
    (films / "reel2").mkdir()
    for i in range(4):  # another fade: 30..60 %
        x = np.linspace(0.3, 0.6, W)[None, :].repeat(H, 0)
        write_still(films / "reel2" / f"f{i}.png", np.round(x * 65535).astype(np.uint16))
    out = tmp_path / "all"
    argv = ["restore", "--batch", str(films), str(out), "--codec", "ffv1", "-q"]
    assert main([*argv, "--levels", "auto"]) == 0
    for name in ("reel1", "reel2"):
        with media.open_source(out / f"{name}.mkv") as made:
            grey = made.read_frame(1, fmt="gray").image
        assert grey.min() <= 3 and grey.max() >= 252, name
    # films fade each their own way: one pair of points for all is refused
    assert main([*argv, "--levels", "0.2,0.8"]) == 2
    assert "--levels: an archive's films are each measured" in capsys.readouterr().err


def test_shots_says_a_film_looks_faded_and_a_good_transfer_not(tmp_path: Path, capsys) -> None:
    folder = faded_folder(tmp_path / "faded", n=6)
    assert main(["shots", str(folder), "-q"]) == 0
    said = capsys.readouterr().out
    assert "levels: black at 16 %, white at 78 % of the range: faded (--levels auto" in said
    assert main(["shots", str(folder), "-q", "--levels", "auto"]) == 0
    assert "levels: black at 16 %, white at 78 % of the range, stretched" in capsys.readouterr().out
    # what good transfers measure (the shared clips, the sample film) is not called faded
    assert not levels.faded((0.038, 0.856)) and not levels.faded((0.091, 0.983))
    assert levels.faded((0.222, 0.721)) and not levels.faded(None)


def test_the_midtones_lighten_or_darken_the_middle_greys_and_travel_with_the_points(
    tmp_path: Path, capsys
) -> None:
    from panchro.engine.project import Settings

    grey = (np.array([[0.2, 0.5, 0.8]]) * 255).round().astype(np.uint8)
    t = (grey[0, 1] / 255 - 0.2) / 0.6  # the middle grey, stretched (0.503)
    lighter = levels.stretch(grey, "gray", (0.2, 0.8, 2.0), limited=False)
    assert lighter.tolist() == [[0, round(255 * t**0.5), 255]]  # black and white stay
    darker = levels.stretch(grey, "gray", (0.2, 0.8, 0.5), limited=False)
    assert darker.tolist() == [[0, round(255 * t**2), 255]]
    y = 16 + 219 * np.array([0.2, 0.5, 0.8])
    yuv = np.stack([y, [128, 128, 128], [128, 128, 128]], axis=-1)[None].round().astype(np.uint8)
    out = levels.stretch(yuv, "yuv444p", (0.2, 0.8, 2.0), limited=True)
    ty = np.clip(((yuv[0, :, 0] - 16) / 219 - 0.2) / 0.6, 0, 1)
    assert out[0, :, 0].tolist() == np.round(16 + 219 * ty**0.5).astype(int).tolist()
    assert levels.check_points((0.1, 0.9, 1.0)) == (0.1, 0.9)  # 1: no midtones, left out
    with pytest.raises(BadInputError, match="midtones must be within 0.25..4"):
        levels.check_points((0.1, 0.9, 5))
    with pytest.raises(BadInputError, match="two numbers"):
        levels.check_points((0.1, 0.5, 0.9, 1.0))
    kept = Settings(levels=(0.1, 0.9, 1.5))
    assert Settings.from_dict(kept.to_dict()).levels == (0.1, 0.9, 1.5)
    with pytest.raises(ValueError, match="midtones"):
        Settings(levels=(0.1, 0.9, 9.0))
    folder = faded_folder(tmp_path / "faded", n=3)
    assert main(["info", str(folder), "--levels", "0.2,0.8,1.5"]) == 0
    assert "white at 80 % of the range, midtones 1.50, stretched" in capsys.readouterr().out


def test_a_stopped_jobs_stages_are_said_by_what_changed() -> None:
    from panchro.engine.restore.jobs import differences

    old = {"stages": ["colorize:v1:seed=0", "dust:v1:0.3"], "codec": "ffv1"}
    new = {"stages": ["colorize:v1:seed=1", "scratches:v1:0.5"], "codec": "ffv1"}
    said = differences(old, new, "")
    assert said == "stages: scratches added, dust left out, colorize seed 0 -> 1"
    # a field by its name, one left out at its default, a flag, weights by their digest
    old = {"stages": ["colorize:v2:seed=0:recolour", "upscale:v1:0123456789abcdef:x2"]}
    new = {"stages": ["colorize:v2:seed=0:strength=0.6", "upscale:v1:fedcba9876543210:x2"]}
    said = differences(old, new, "")
    assert said == "stages: colorize strength 1 -> 0.6, recolour off, upscale weights changed"
