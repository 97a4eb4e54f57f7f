"""A photograph's values read as asked: a scanned negative turned positive (`--scan
negative`), a faded print's levels stretched (`--levels`), one picture and an album alike."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from PIL import Image

from panchro.engine.cli import main


def _faded(path: Path, width: int = 80, height: int = 60, border: int = 0) -> Path:
    x = np.linspace(0.3, 0.8, width)[None, :].repeat(height, 0)  # a print's tones, faded
    x[:, :6] = 0.3
    if border:  # the scanner's white round the print (must not hold the white point)
        x = np.pad(x, border, constant_values=1.0)
    Image.fromarray(np.round(x * 255).astype(np.uint8), "L").save(path)
    return path


def _grey(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L")).astype(int)


def test_a_faded_print_is_stretched_inside_its_border(tmp_path: Path, capsys) -> None:
    photo = _faded(tmp_path / "print.png", border=5)
    out = tmp_path / "out.png"
    assert main(["restore", str(photo), str(out), "--levels", "auto", "--crop", "auto"]) == 0
    said = capsys.readouterr().out
    assert "levels: black at 30 %, white at 80 % of the range, stretched" in said
    made = _grey(out)
    assert made.min() <= 2 and made.max() >= 253
    # without the crop, measured inside the border all the same: the scanner's white round
    # the print does not hold the white point up (the border is kept, and clipped white)
    assert main(["restore", str(photo), str(tmp_path / "b.png"), "--levels", "auto"]) == 0
    assert "black at 30 %, white at 80 % of the range" in capsys.readouterr().out
    kept = _grey(tmp_path / "b.png")
    assert kept.shape == (70, 90) and (kept[:5] == 255).all()
    # given points; off; refused in words
    assert main(["restore", str(photo), str(tmp_path / "c.png"), "--levels", "0.3,0.8"]) == 0
    assert main(["restore", str(photo), str(tmp_path / "d.png"), "--levels", "0.8,0.3"]) == 2
    assert "--levels: levels must be a black and a white point" in capsys.readouterr().err
    assert main(["restore", str(photo), str(tmp_path / "e.png"), "--deinterlace", "tff"]) == 2
    assert "--deinterlace: for films" in capsys.readouterr().err


def test_a_crooked_faded_print_is_stretched_by_its_own_levels(tmp_path: Path, capsys) -> None:
    """Laid crooked on the scanner and not straightened: its white paper and the dark lid
    run at a slant into any straight border, and must not be taken for its white and black."""
    x = np.linspace(0.3, 0.8, 300)[None, :].repeat(220, 0)
    lid = np.pad(np.pad(x, 16, constant_values=0.97), 30, constant_values=0.1)
    scan = tmp_path / "crooked.png"
    Image.fromarray(np.round(lid * 255).astype(np.uint8)).rotate(
        3.0, Image.Resampling.BICUBIC, fillcolor=25
    ).save(scan)
    assert main(["restore", str(scan), str(tmp_path / "out.png"), "--levels", "auto"]) == 0
    said = capsys.readouterr().out
    points = re.search(r"levels: black at (\d+) %, white at (\d+) % of the range", said)
    assert points is not None, said
    black, white = int(points[1]), int(points[2])
    assert 24 <= black <= 31 and 78 <= white <= 82  # the print's, not the paper's or lid's


def test_a_scanned_negative_is_turned_positive_then_stretched(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(40, 200, (40, 50, 3), dtype=np.uint8)
    negative = tmp_path / "neg.png"
    Image.fromarray(rgb, "RGB").save(negative)
    out = tmp_path / "pos.png"
    assert main(["restore", str(negative), str(out), "--scan", "negative"]) == 0
    assert np.array_equal(np.asarray(Image.open(out)), 255 - rgb)
    both = tmp_path / "both.png"
    assert (
        main(["restore", str(negative), str(both), "--scan", "negative", "--levels", "auto"]) == 0
    )
    made = np.asarray(Image.open(both)).astype(int)
    assert made.min() <= 3 and made.max() >= 252  # stretched after it was turned
    software = Image.open(both).text["Software"]  # how it was read, so it can be read again
    assert "a negative turned positive, levels stretched (black at" in software


def test_an_albums_pictures_are_each_stretched_by_their_own_levels(tmp_path: Path) -> None:
    import json

    album = tmp_path / "album"
    album.mkdir()
    _faded(album / "beach.png", 80, 60)
    _faded(album / "garden.png", 64, 48)
    out = tmp_path / "out"
    assert main(["restore", str(album), str(out), "--levels", "auto", "-q"]) == 0
    for name in ("beach.png", "garden.png"):
        made = _grey(out / name)
        assert made.min() <= 2 and made.max() >= 253
    manifest = json.loads(next(out.rglob("manifest.json")).read_text())
    assert manifest["settings"]["levels"] == "auto"


def test_a_pictures_compare_shows_it_as_filed_when_read_otherwise(tmp_path: Path) -> None:
    from panchro.engine.restore.picture import preview_picture

    photo = _faded(tmp_path / "print.png", border=5)
    shown = preview_picture(photo, [], crop="auto", levels=(0.3, 0.8))
    assert shown.read_as == "levels stretched from 30%–80%" and shown.coded is not None
    assert shown.coded.shape == shown.before.shape  # cut as before is: the border gone
    assert shown.coded.min() > 0.25 and shown.coded.max() < 0.85  # faded, as filed
    assert shown.before.min() < 0.02 and shown.before.max() > 0.98  # stretched, as read
    assert preview_picture(photo, [], crop="auto").coded is None  # read as it is: no twin
    # the hint editor's whole picture keeps one before: the one its marks are placed on
    assert preview_picture(photo, [], crop="auto", levels=(0.3, 0.8), whole=True).coded is None


def test_info_says_how_a_picture_would_be_read(tmp_path: Path, capsys) -> None:
    photo = _faded(tmp_path / "print.png")
    assert main(["info", str(photo), "--levels", "auto"]) == 0
    said = capsys.readouterr().out
    assert "levels: black at 30 %, white at 80 % of the range, stretched" in said
    assert "read as " in said
    assert main(["info", str(photo), "--scan", "negative", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["read"] == ["a negative, turned positive"]
    assert main(["info", str(photo)]) == 0 and "read as" not in capsys.readouterr().out
    assert main(["info", str(photo), "--deinterlace", "tff"]) == 2
    assert "--deinterlace: for films; a picture has no fields" in capsys.readouterr().err
