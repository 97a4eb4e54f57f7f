"""A person's colour hints in an album: a hinted picture takes its colours and keeps its luma,
the others are as without hints, the album's picture equals the picture restored alone with
the same hints, a rerun redoes only the pictures whose hints changed, and bad hints are refused
before any work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.errors import BadInputError
from panchro.engine.imaging.color import rgb_to_ycbcr
from panchro.engine.imaging.hints import Hints, Point, chroma_of_rgb
from panchro.engine.restore.album import (
    hinted,
    hints_key,
    picture_seed,
    restore_album,
    seeded,
)
from panchro.engine.restore.picture import restore_picture
from panchro.engine.restore.stages import ColorizeStage, UpscaleStage
from tests.makemodels import save_small_upscaler
from tests.makephotos import photo_pixels, png

RED, BLUE = (200, 30, 30), (30, 60, 220)


def _colorize(models: Path) -> ColorizeStage:
    return ColorizeStage(
        device="cpu",
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
        hint_refiner_path=str(models / "no_hint_refiner.safetensors"),  # Levin alone
    )


def _two_halves(w: int = 64, h: int = 48) -> np.ndarray:
    grey = np.full((h, w), 70, np.uint8)
    grey[:, w // 2 :] = 190  # a hard luma edge down the middle
    return grey


def _box(folder: Path) -> Path:
    folder.mkdir()
    png(folder / "a.png", photo_pixels((48, 32), seed=1))
    (folder / "sub").mkdir()
    png(folder / "sub" / "halves.png", _two_halves())
    png(folder / "c.png", photo_pixels((36, 30), seed=3))
    return folder


def _pixels(path: Path) -> np.ndarray:
    return media.read_picture(path).pixels


def _halves_hints(left: tuple[int, int, int] = RED) -> Hints:
    return Hints(points=(Point(0, 12, 20, left), Point(0, 50, 24, BLUE)))


def test_hints_colour_their_picture_alone_as_the_picture_restored_alone(
    models: Path, tmp_path: Path
) -> None:
    box = _box(tmp_path / "box")
    plain = restore_album([box], tmp_path / "plain", stages=[_colorize(models)], seed=4)
    hints = {"sub/halves.png": _halves_hints()}
    done = restore_album(
        [box], tmp_path / "hinted", stages=[_colorize(models)], seed=4, hints=hints
    )
    assert plain.ok and done.ok and done.hinted == ["sub/halves.png"] and plain.hinted == []
    for name in ("a.png", "c.png"):  # untouched by another picture's hints
        np.testing.assert_array_equal(
            _pixels(tmp_path / "hinted" / name), _pixels(tmp_path / "plain" / name)
        )
    pix = _pixels(tmp_path / "hinted" / "sub" / "halves.png")
    luma = pix.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    assert np.abs(luma - _two_halves()).max() <= 0.5 + 1e-3  # the luma within rounding
    ycc = rgb_to_ycbcr(pix, matrix="bt601")
    red = chroma_of_rgb(RED, "bt601")
    assert np.abs(ycc[:, :28, 1:].reshape(-1, 2).mean(0) - red).max() < 0.06  # left: red
    right = ycc[:, 36:, 1:].reshape(-1, 2)
    assert right[:, 0].mean() > 0.1 and right[:, 1].mean() < 0  # right: blue
    # The same picture restored alone, with its album seed and the same hints: the same bits.
    stage = _colorize(models)
    with (
        seeded([stage], picture_seed(4, "sub/halves.png")),
        hinted([stage], hints["sub/halves.png"]),
    ):
        restore_picture(box / "sub" / "halves.png", tmp_path / "alone.png", stages=[stage])
    np.testing.assert_array_equal(_pixels(tmp_path / "alone.png"), pix)
    assert stage.hints is None  # set back after the picture


def test_a_rerun_redoes_only_the_pictures_whose_hints_changed(models: Path, tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    out = tmp_path / "out"

    def run(hints: dict[str, Hints]) -> object:
        return restore_album([box], out, stages=[_colorize(models)], hints=hints)

    first = run({"sub/halves.png": _halves_hints()})
    assert sorted(first.restored) == ["a.png", "c.png", "sub/halves.png"]
    same = run({"sub/halves.png": _halves_hints()})
    assert same.restored == [] and len(same.skipped) == 3
    other = run({"sub/halves.png": _halves_hints(left=(40, 160, 60))})
    assert other.restored == ["sub/halves.png"] and sorted(other.skipped) == ["a.png", "c.png"]
    dropped = run({})  # the hints taken away: automatic colours again
    assert dropped.restored == ["sub/halves.png"]
    assert hints_key(None) is None and hints_key(Hints()) is None
    assert hints_key(_halves_hints()) != hints_key(_halves_hints(left=BLUE))


def test_bad_hints_are_refused_before_any_work(models: Path, tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    out = tmp_path / "out"
    with pytest.raises(BadInputError, match="hints given for pictures not in the album: zz.png"):
        restore_album([box], out, stages=[_colorize(models)], hints={"zz.png": _halves_hints()})
    on_frame_2 = Hints(points=(Point(2, 5, 5, RED),))
    with pytest.raises(BadInputError, match=r"a.png name frame\(s\) \[2\]"):
        restore_album([box], out, stages=[_colorize(models)], hints={"a.png": on_frame_2})
    weights = save_small_upscaler(tmp_path / "up", scale=2)
    upscale = UpscaleStage(scale=2, device="cpu", weights_path=str(weights))
    with pytest.raises(BadInputError, match="need colorizing"):
        restore_album([box], out, stages=[upscale], hints={"a.png": _halves_hints()})
    assert not out.exists()


def test_hints_outside_a_picture_fail_that_picture_and_the_rest_go_on(
    models: Path, tmp_path: Path
) -> None:
    box = _box(tmp_path / "box")
    far = Hints(points=(Point(0, 500, 5, RED),))  # a.png is 48 x 32
    done = restore_album([box], tmp_path / "out", stages=[_colorize(models)], hints={"a.png": far})
    assert [f[0] for f in done.failed] == ["a.png"] and "500" in done.failed[0][2]
    assert sorted(done.restored) == ["c.png", "sub/halves.png"]
    assert not (tmp_path / "out" / "a.png").exists()
