"""A photograph's border (`--crop` for pictures and albums): black or a print's paper white,
found when the picture is read (`imaging.borders.picture_borders`), cut off, the colours made
for the picture inside it, the alpha cut alike and the print size kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.cli import main
from panchro.engine.errors import BadInputError
from panchro.engine.imaging.borders import picture_borders
from panchro.engine.project import Settings
from panchro.engine.restore.picture import restore_picture
from panchro.engine.restore.stages import build_stages
from tests.makemedia import make_video, pattern_frame

PICTURE = (96, 72)


def _print(picture: np.ndarray, paper: tuple[int, int, int, int], lid: int = 0) -> np.ndarray:
    """`picture` (h, w, 3) on white paper with a border of `paper` (left, top, right, bottom)
    px, the scanner's lid (grey `lid`, 0 for none) 6 px beyond it, as a scan of a print."""
    left, top, right, bottom = paper
    h, w = picture.shape[:2]
    e = 6 if lid else 0
    out = np.full((h + top + bottom + 2 * e, w + left + right + 2 * e, 3), lid, np.uint8)
    out[e : out.shape[0] - e, e : out.shape[1] - e] = 245  # the paper
    out[e + top : e + top + h, e + left : e + left + w] = picture
    return out


def _grey(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("L"))


def _picture(i: int = 3) -> np.ndarray:
    return pattern_frame(i, PICTURE).clip(60, 200).astype(np.uint8)


def test_a_prints_paper_border_and_the_lid_beyond_are_found() -> None:
    pic = _picture()
    assert picture_borders(_grey(_print(pic, (10, 8, 12, 20)))) == (10, 8, 12, 20)
    assert picture_borders(_grey(_print(pic, (10, 8, 12, 20), lid=10))) == (16, 14, 18, 26)
    # black round it alone (a negative's rebate, a black lid): found as a film's is
    black = np.zeros((92, 116, 3), np.uint8)
    black[10:82, 10:106] = pic
    assert picture_borders(_grey(black)) == (10, 10, 10, 10)
    # a deckled edge: lid and paper along the same lines are border all the same
    deckle = _print(pic, (10, 8, 12, 20), lid=10)
    deckle[:, :6:2] = 245
    assert picture_borders(_grey(deckle))[0] == 16


def test_white_meeting_one_or_two_sides_is_a_sky_or_a_table_not_a_border() -> None:
    pic = _picture()
    sky = pic.copy()
    sky[:20] = 250  # an overcast sky along the top
    assert picture_borders(_grey(sky)) == (0, 0, 0, 0)
    sky[:, -10:] = 250  # and a white wall on the right
    assert picture_borders(_grey(sky)) == (0, 0, 0, 0)
    assert picture_borders(np.full((50, 60), 250, np.uint8)) == (0, 0, 0, 0)  # all white
    assert picture_borders(_grey(pic)) == (0, 0, 0, 0)


def test_a_print_is_coloured_as_its_picture_alone_and_cut_to_it(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    grey = np.repeat(_grey(_picture())[..., None], 3, -1)
    alone = tmp_path / "alone.png"
    Image.fromarray(grey).save(alone, dpi=(300, 300))
    scan = tmp_path / "scan.png"
    rgba = np.dstack([_print(grey, (10, 8, 12, 20)), np.full((100, 118), 200, np.uint8)])
    rgba[8:80, 10:106, 3] = 255  # the picture opaque, the border not
    Image.fromarray(rgba, "RGBA").save(scan, dpi=(300, 300))
    stages = build_stages(Settings(colorize=True), seed=4)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    restore_picture(alone, a, stages=build_stages(Settings(colorize=True), seed=4))
    summary = restore_picture(scan, b, stages=stages, crop="auto")
    assert "border cut: 10, 8, 12, 20 px (left, top, right, bottom)" in summary.notes
    want, got = Image.open(a), Image.open(b)
    assert got.size == PICTURE and got.mode == "RGBA"
    assert np.asarray(got)[..., 3].min() == 255  # the alpha cut alike: the picture's
    assert got.info["dpi"] == pytest.approx((300, 300), abs=0.01)  # the print's size kept
    rgb = np.asarray(got)[..., :3].astype(int)
    assert np.abs(rgb - np.asarray(want.convert("RGB"))).max() <= 1
    assert np.abs(rgb[..., 0] - rgb[..., 2]).mean() > 2  # coloured
    assert stages[0].crop is None and len(stages) == 1  # the shared stages as they were
    # pixels given, and a crop that leaves too little
    restore_picture(scan, tmp_path / "c.png", stages=[], crop=(10, 8, 12, 20))
    assert Image.open(tmp_path / "c.png").size == PICTURE
    with pytest.raises(BadInputError, match="at least 16x16"):
        restore_picture(scan, tmp_path / "d.png", crop=(60, 0, 50, 0))
    said = restore_picture(alone, tmp_path / "e.png", crop="auto").notes
    assert "no border round the picture found: nothing cut" in said


def test_the_command_line_cuts_a_photos_border_and_each_of_an_albums(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pic = _picture()
    folder = tmp_path / "prints"
    folder.mkdir()
    Image.fromarray(_print(pic, (10, 8, 12, 20))).save(folder / "one.png")
    Image.fromarray(_print(pic, (4, 4, 4, 4), lid=30)).save(folder / "two.png")
    out = tmp_path / "one.png"
    assert main(["restore", str(folder / "one.png"), str(out), "--crop", "auto", "-q"]) == 0
    assert Image.open(out).size == PICTURE
    assert main(["restore", str(folder / "one.png"), str(tmp_path / "p.png"), "--crop", "2",
                 "-q"]) == 0  # fmt: skip
    assert Image.open(tmp_path / "p.png").size == (114, 96)
    album = tmp_path / "album"
    assert main(["restore", str(folder), str(album), "--crop", "auto", "-q"]) == 0
    assert Image.open(album / "one.png").size == Image.open(album / "two.png").size == PICTURE
    capsys.readouterr()
    assert main(["restore", str(folder), str(tmp_path / "x"), "--crop", "4", "-q"]) == 2
    assert "--crop auto cuts each one's own border" in capsys.readouterr().err


def test_a_crooked_print_is_turned_square_before_its_border_is_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = _print(_picture(), (12, 10, 12, 24), lid=20)
    crooked = Image.fromarray(scan).rotate(2.0, Image.Resampling.BICUBIC, fillcolor=(20,) * 3)
    path = tmp_path / "crooked.png"
    crooked.save(path)
    out = tmp_path / "square.png"
    summary = restore_picture(path, out, crop="auto", straighten=True)
    (turn,) = [n for n in summary.notes if n.startswith("straightened: turned ")]
    assert float(turn.split()[2].rstrip("°")) == pytest.approx(-2.0, abs=0.25)  # a small scan
    w, h = Image.open(out).size
    assert abs(w - PICTURE[0]) <= 3 and abs(h - PICTURE[1]) <= 3
    software = Image.open(out).text["Software"]
    assert f"straightened ({turn.split()[2]}), border cut (" in software
    # without the turn, the crooked paper's corners keep the border from being cut
    kept = restore_picture(path, tmp_path / "kept.png", crop="auto").notes
    assert not any(n.startswith("border cut") and "12, 10" in n for n in kept)
    said = restore_picture(tmp_path / "square.png", tmp_path / "again.png", straighten=True).notes
    assert "straight already: not turned" in said
    # the command line: a photo and an album take it, a film refuses it
    folder = tmp_path / "album"
    folder.mkdir()
    crooked.save(folder / "one.png")
    Image.fromarray(scan).save(folder / "two.png")
    argv = ["restore", str(folder), str(tmp_path / "out"), "--straighten", "--crop", "auto"]
    assert main([*argv, "-q"]) == 0
    for name in ("one.png", "two.png"):
        w, h = Image.open(tmp_path / "out" / name).size
        assert abs(w - PICTURE[0]) <= 3 and abs(h - PICTURE[1]) <= 3, name
    film = make_video(tmp_path / "f.mkv", frames=4, size=(64, 48), audio=False, codec="ffv1")
    capsys.readouterr()
    assert main(["restore", str(film), str(tmp_path / "f2.mkv"), "--straighten", "-q"]) == 2
    assert "--straighten is for photos" in capsys.readouterr().err
