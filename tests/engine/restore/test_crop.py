"""The borders round the picture cut off (`--crop`, `Settings.crop`, `restore.crop`): found on
the film, cut after the stages that read the film and before the upscaler, the same picture
an uncropped restore gives there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.errors import BadInputError
from panchro.engine.project import Project, Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.crop import CropStage
from panchro.engine.restore.frame_preview import preview_frame
from panchro.engine.restore.stages import build_stages
from panchro.engine.survey import film_borders
from tests.makemedia import make_video, pattern_frame, write_still

BARS = (12, 8, 12, 8)  # left, top, right, bottom
PICTURE = (120, 88)
FRAMES = 36


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """36 frames of a moving picture 120 x 88 inside black bars (BARS), flickering, with sound."""
    left, top, right, bottom = BARS
    w, h = PICTURE[0] + left + right, PICTURE[1] + top + bottom
    pictures = []
    for i in range(FRAMES):
        frame = np.zeros((h, w, 3), np.uint8)
        gain = 1.0 + 0.1 * np.sin(1.3 * i)
        pic = pattern_frame(i, PICTURE).astype(np.float32) * gain
        frame[top : h - bottom, left : w - right] = pic.clip(40, 255).astype(np.uint8)
        pictures.append(frame)
    here = tmp_path_factory.mktemp("crop")
    return make_video(here / "barred.mkv", frames=FRAMES, size=(w, h), codec="ffv1",
                      pictures=pictures)  # fmt: skip


def _luma(path: Path) -> np.ndarray:
    with media.open_source(path) as src:
        return np.stack([f.image for f in src.frames(0, src.info.frame_count, fmt="gray")])


def test_the_borders_are_found_on_the_film(film: Path) -> None:
    with media.open_source(film) as src:
        assert film_borders(src) == BARS
        # on copies 64 px wide the border is said a little wider, never narrower
        small = film_borders(src, width=64)
    assert small is not None and all(s >= b for s, b in zip(small, BARS, strict=True))
    assert all(s - b <= 6 for s, b in zip(small, BARS, strict=True))


def test_the_crop_cuts_the_picture_a_whole_restore_gives(film: Path, tmp_path: Path) -> None:
    whole, cut = tmp_path / "whole.mkv", tmp_path / "cut.mkv"
    pipeline.restore(film, whole, codec="ffv1", stages=build_stages(Settings(deflicker=1.0)))
    settings = Settings(deflicker=1.0, crop=BARS)
    stages = build_stages(settings)
    assert [s.key.split(":")[0] for s in stages] == ["deflicker", "crop"]
    summary = pipeline.restore(film, cut, codec="ffv1", stages=stages)
    assert (summary.width, summary.height) == PICTURE
    a, b = _luma(whole), _luma(cut)
    left, top, right, bottom = BARS
    assert b.shape == (FRAMES, PICTURE[1], PICTURE[0])
    assert np.array_equal(b, a[:, top : a.shape[1] - bottom, left : a.shape[2] - right])
    assert not np.array_equal(b, _luma(film)[:, top:-bottom, left:-right])  # deflickered
    assert summary.audio_streams == 1  # the sound kept


def test_a_preview_and_the_compare_view_show_the_same_picture_before_and_after(
    film: Path, tmp_path: Path
) -> None:
    stages = build_stages(Settings(crop=BARS))
    shown = preview_frame(film, 10, stages)
    assert shown.before.shape == shown.after.shape == (PICTURE[1], PICTURE[0], 3)
    assert float(shown.luma_diff.max()) == 0.0  # only cut: the luma untouched
    out = tmp_path / "preview.mkv"
    summary = pipeline.restore(film, out, codec="ffv1", stages=stages, preview=0.5)
    assert (summary.width, summary.height) == (2 * PICTURE[0], PICTURE[1])
    side = _luma(out)[0]
    assert np.array_equal(side[:, : PICTURE[0]], side[:, PICTURE[0] :])  # before | after


def test_a_crop_that_leaves_too_little_or_is_not_pixels_is_refused(film: Path) -> None:
    with pytest.raises(BadInputError, match="must leave at least 16x16"):
        CropStage((70, 0, 70, 0)).output_size(144, 104)
    with pytest.raises(BadInputError, match="0 or more"):
        CropStage((1, 2, 3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="crop must be"):
        Settings(crop=(1, -2, 3, 4))
    assert not Settings(crop=(0, 0, 0, 0)).cropped and not build_stages(Settings(crop=(0,) * 4))
    assert Settings(crop=(0, 2, 0, 0)).restores_anything


def test_the_crop_is_kept_in_the_project(film: Path, tmp_path: Path) -> None:
    path = Project.new(film).with_settings(crop=BARS).save(tmp_path / "f.panchro")
    loaded = Project.load(path)
    assert loaded.settings.crop == BARS
    assert "crop" not in Project.new(film).to_dict()["settings"]  # none: not written
    doc = loaded.to_dict()
    doc["settings"]["crop"] = [1, 2, "3", 4]
    with pytest.raises(Exception, match="settings.crop"):
        Project.from_dict(doc)


def test_the_command_line_finds_cuts_and_refuses(
    film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["shots", str(film), "-q"]) == 0
    said = capsys.readouterr().out
    assert "borders: 12, 8, 12, 8 px (left, top, right, bottom; --crop auto cuts them)" in said
    out = tmp_path / "auto.mkv"
    assert main(["restore", str(film), str(out), "--codec", "ffv1", "--crop", "auto", "-q"]) == 0
    assert "borders (left, top, right, bottom): 12, 8, 12, 8 -> 120x88" in capsys.readouterr().err
    with media.open_source(out) as src:
        assert (src.info.width, src.info.height) == PICTURE
    for crop, size in (("4", (136, 96)), ("2,6", (140, 92)), ("1,2,3,4", (140, 98))):
        out = tmp_path / f"c{crop}.mkv"
        assert main(["restore", str(film), str(out), "--codec", "ffv1", "--crop", crop, "-q"]) == 0
        with media.open_source(out) as src:
            assert (src.info.width, src.info.height) == size, crop
    # a project's crop is used, and --crop none overrides it
    project = Project.new(film).with_settings(crop=(2, 2, 2, 2)).save(tmp_path / "p.panchro")
    out = tmp_path / "p.mkv"
    argv = ["restore", str(film), str(out), "--codec", "ffv1", "--project", str(project), "-q"]
    assert main(argv) == 0
    with media.open_source(out) as src:
        assert (src.info.width, src.info.height) == (140, 100)
    out = tmp_path / "none.mkv"
    argv[2] = str(out)
    assert main([*argv, "--crop", "none", "--overwrite"]) == 0
    with media.open_source(out) as src:
        assert (src.info.width, src.info.height) == (144, 104)
    capsys.readouterr()
    picture = write_still(tmp_path / "p.png", np.zeros((32, 32, 3), np.uint8))
    for argv, said in (
        ([str(film), str(tmp_path / "x.mkv"), "--crop", "70"], "must leave at least"),
        ([str(film), str(tmp_path / "x.mkv"), "--crop", "1,2,3"], "--crop 1,2,3: give auto"),
        ([str(film), str(tmp_path / "x.mkv"), "--crop", "-1"], "--crop -1: give auto"),
        (["--batch", str(tmp_path), str(tmp_path / "o"), "--crop", "2"], "not an archive"),
        ([str(picture), str(tmp_path / "q.png"), "--crop", "10"], "must leave at least 16x16"),
    ):
        assert main(["restore", *argv, "-q"]) == 2, argv
        assert said in capsys.readouterr().err, argv
