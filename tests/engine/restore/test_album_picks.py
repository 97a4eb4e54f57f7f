"""A person's colour picks in an album: a picked picture coloured from its pick and the others
as without picks, a rerun that redoes only the pictures whose pick changed, picks for pictures
not in the album refused, and `preview_picture` showing what the restore writes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine import media
from panchro.engine.errors import BadInputError, CancelledError
from panchro.engine.imaging import color
from panchro.engine.progress import Progress
from panchro.engine.project import Pick
from panchro.engine.restore.album import pick_key, picture_seed, restore_album, seeded
from panchro.engine.restore.picture import preview_picture, restore_picture
from panchro.engine.restore.stages import ColorizeStage, auto_seed
from tests.makephotos import photo_pixels, png


def _colorize(models: Path) -> ColorizeStage:
    return ColorizeStage(
        device="cpu",
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
    )


def _pick(cb: int = 8, cr: int = 24, index: int = 1) -> Pick:
    chroma = np.zeros((2, 28, 28), np.uint8)
    chroma[0], chroma[1] = cb, cr
    return Pick(seed=9, temperature=1.0, index=index, chroma=chroma, source="user")


def _box(folder: Path) -> Path:
    folder.mkdir()
    png(folder / "a.png", photo_pixels((48, 32), seed=1))
    png(folder / "b.png", photo_pixels((40, 40), seed=2))
    png(folder / "c.png", photo_pixels((36, 30), seed=3))
    return folder


def _pixels(path: Path) -> np.ndarray:
    return media.read_picture(path).pixels


def test_a_pick_colours_its_picture_and_changes_no_other(models: Path, tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    plain = restore_album([box], tmp_path / "plain", stages=[_colorize(models)], seed=2)
    picked = restore_album(
        [box], tmp_path / "picked", stages=[_colorize(models)], seed=2, picks={"b.png": _pick()}
    )
    assert plain.ok and picked.ok and picked.picked == ["b.png"] and plain.picked == []
    for name in ("a.png", "c.png"):  # the automatic choice, as the command line makes it
        np.testing.assert_array_equal(
            _pixels(tmp_path / "picked" / name), _pixels(tmp_path / "plain" / name)
        )
    b = _pixels(tmp_path / "picked" / "b.png")
    assert not np.array_equal(b, _pixels(tmp_path / "plain" / "b.png"))
    # The pick's colours (blue-less, red: Cb -0.25, Cr +0.25; the untrained refiner and the
    # colours RGB cannot hold move them) over the picture's own luma.
    ycc = color.rgb_to_ycbcr(b, matrix="bt601")
    cb, cr = ycc[..., 1:].mean(axis=(0, 1))
    assert cb < -0.1 and cr > 0.1, (cb, cr)
    np.testing.assert_allclose(ycc[..., 0] * 255, photo_pixels((40, 40), seed=2), atol=1.01)
    # The picture alone with the same pick and seed: the same bits.
    stage = _colorize(models)
    with seeded([stage], picture_seed(2, "b.png")):
        restore_picture(box / "b.png", tmp_path / "b.png", stages=[stage], pick=_pick(), threads=1)
    np.testing.assert_array_equal(_pixels(tmp_path / "b.png"), b)
    with Image.open(tmp_path / "picked" / "b.png") as im:
        assert "colour mode 2 of seed 9, picked" in im.getexif()[0x0131]


def test_a_rerun_redoes_only_the_pictures_whose_pick_changed(models: Path, tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    out = tmp_path / "out"

    def run(picks: dict[str, Pick]) -> object:
        return restore_album([box], out, stages=[_colorize(models)], picks=picks)

    run({"a.png": _pick()})
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}
    same = run({"a.png": _pick()})
    assert same.restored == [] and sorted(same.skipped) == ["a.png", "b.png", "c.png"]
    other = run({"a.png": _pick(cb=20, cr=12), "c.png": _pick()})
    assert other.restored == ["a.png", "c.png"] and other.skipped == ["b.png"]
    assert (out / "b.png").stat().st_mtime_ns == before["b.png"]
    dropped = run({"c.png": _pick()})  # a's pick forgotten: back to its automatic choice
    assert dropped.restored == ["a.png"]
    auto = restore_album([box], tmp_path / "auto", stages=[_colorize(models)])
    assert auto.ok
    np.testing.assert_array_equal(_pixels(out / "a.png"), _pixels(tmp_path / "auto" / "a.png"))
    assert pick_key(None) is None and pick_key(_pick()) != pick_key(_pick(cb=9))
    # An output someone edited is not replaced for a new pick without overwrite.
    Image.fromarray(photo_pixels((40, 40), seed=7)).save(out / "b.png")
    with pytest.raises(Exception, match="b.png, changed since this album wrote it"):
        run({"b.png": _pick()})


def test_picks_for_pictures_not_in_the_album_are_refused_before_any_work(
    models: Path, tmp_path: Path
) -> None:
    box = _box(tmp_path / "box")
    with pytest.raises(BadInputError, match="not in the album: zz.png"):
        restore_album(
            [box], tmp_path / "out", stages=[_colorize(models)], picks={"zz.png": _pick()}
        )
    assert not (tmp_path / "out").exists()


def test_preview_picture_shows_what_the_restore_writes(models: Path, tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    stage = _colorize(models)
    seed = picture_seed(0, "a.png")
    with seeded([stage], seed):
        shown = preview_picture(box / "a.png", [stage], threads=1)
        restore_picture(box / "a.png", tmp_path / "a.png", stages=[stage], threads=1)
    assert shown.pick is not None and shown.pick.source == "auto"
    assert shown.pick.seed == auto_seed(seed, 0)
    assert shown.before.shape == shown.after.shape == (32, 48, 3)
    assert float(shown.luma_diff.max()) < 1e-5  # colour alone: the luma is the picture's
    written = _pixels(tmp_path / "a.png").astype(np.float32) / 255.0
    assert np.abs(shown.after - written).max() < 2.5 / 255  # the same picture, before rounding
    with seeded([stage], seed):
        given = preview_picture(box / "a.png", [stage], pick=_pick(), threads=1)
    assert given.pick == _pick()
    assert np.abs(given.after - shown.after).max() > 0.05


def test_a_picture_written_is_counted_even_when_cancel_comes_late(tmp_path: Path) -> None:
    png(tmp_path / "a.png", photo_pixels((32, 24), seed=1))
    cancel = threading.Event()
    progress = Progress(None, cancel=cancel)
    restore_picture(tmp_path / "a.png", tmp_path / "out.png", progress=progress)
    assert progress.done == 1
    cancel.set()
    with pytest.raises(CancelledError):
        restore_picture(tmp_path / "a.png", tmp_path / "again.png", progress=progress)
    assert not (tmp_path / "again.png").exists()
    progress.advance(check=False)
    assert progress.done == 2
