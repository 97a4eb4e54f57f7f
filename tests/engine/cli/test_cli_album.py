"""`panchro restore` of an album and `panchro info FOLDER`: how a folder is read (film or album,
with the reason, both ways, and the flags that overrule it), the exit code when a picture
fails, and the options an album refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from panchro.engine.cli import main
from tests.makemedia import make_frame_folder
from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner
from tests.makephotos import photo_pixels, png


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _names(folder: Path) -> list[str]:
    """What a person sees in the folder (the album's record is hidden)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _album(folder: Path) -> Path:
    """Scans of several sizes: an album by the rule."""
    folder.mkdir()
    png(folder / "scan1.png", photo_pixels((48, 32), seed=1))
    png(folder / "scan2.png", photo_pixels((32, 48), seed=2))
    png(folder / "scan3.png", photo_pixels((40, 40), seed=3))
    return folder


def test_info_says_how_a_folder_is_read_both_ways(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = make_frame_folder(tmp_path / "reel", 4, (64, 48))
    code, out, _ = _run(["info", str(frames)], capsys)
    assert code == 0 and "frames      4" in out
    assert "read as     a film: 4 numbered frames of 64x48 (f1.png ... f4.png)" in out
    code, out, _ = _run(["info", str(frames), "--json"], capsys)
    assert json.loads(out)["read_as"] == {
        "kind": "film",
        "reason": "4 numbered frames of 64x48 (f1.png ... f4.png)",
        "forced": False,
    }
    album = _album(tmp_path / "box")
    code, out, _ = _run(["info", str(album)], capsys)
    assert code == 0
    assert "read as   an album (each picture on its own): the sizes differ (scan2.png" in out
    assert "pictures  3 in 1 folder(s)" in out and "sizes     32x48 to 40x40" in out
    code, out, _ = _run(["info", str(album), "--json"], capsys)
    data = json.loads(out)
    assert data["kind"] == "album" and data["files"] == ["scan1.png", "scan2.png", "scan3.png"]
    # The flags overrule the rule.
    code, out, _ = _run(["info", str(frames), "--stills"], capsys)
    assert code == 0 and "an album (each picture on its own): --stills given" in out
    code, _, err = _run(["info", str(album), "--film"], capsys)
    assert code != 0 and "frame sizes differ" in err


def test_restore_an_album_and_rerun(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    save_small_colorizer(models, config=TINY28)
    save_small_refiner(models)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    album = _album(tmp_path / "box")
    out = tmp_path / "colour"
    argv = ["restore", str(album), str(out), "--colorize", "--format", "jpg", "-q"]
    code, printed, err = _run(argv, capsys)
    assert code == 0, err
    assert "read " in printed and "as an album" in printed and "the sizes differ" in printed
    assert "3 restored" in printed and "0 failed" in printed
    assert _names(out) == ["scan1.jpg", "scan2.jpg", "scan3.jpg"]
    with Image.open(out / "scan1.jpg") as im:
        assert im.mode == "RGB" and "colorized" in im.getexif()[0x0131]
    code, printed, _ = _run(argv, capsys)
    assert code == 0 and "0 restored" in printed and "3 skipped" in printed


def test_a_failed_picture_makes_the_exit_code_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    album = _album(tmp_path / "box")
    (album / "scan4.jpg").write_text("not a picture")
    loose = png(tmp_path / "loose.png", photo_pixels())
    code, printed, err = _run(
        ["restore", str(album), str(loose), str(tmp_path / "o"), "-q"], capsys
    )
    assert code == 2
    assert "4 restored" in printed and "1 failed" in printed
    assert "failed: box/scan4.jpg: has a .jpg name but is not a picture" in printed
    assert err.strip() == (
        "panchro: error: 1 of 5 picture(s) failed (listed above); the others are done"
    )
    assert _names(tmp_path / "o") == ["box", "loose.png"]


def test_a_folder_of_frames_stays_a_film(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = make_frame_folder(tmp_path / "reel", 4, (64, 48))
    code, printed, err = _run(["restore", str(frames), str(tmp_path / "reel.mkv"), "-q"], capsys)
    assert code == 0, err
    assert "4 frames" in printed and (tmp_path / "reel.mkv").is_file()
    code, printed, err = _run(
        ["restore", str(frames), str(tmp_path / "stills"), "--stills", "-q"], capsys
    )
    assert code == 0 and "4 restored" in printed
    assert _names(tmp_path / "stills") == [
        "f1.png",
        "f2.png",
        "f3.png",
        "f4.png",
    ]


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--codec", "prores"], "--codec: not for an album"),
        (["--project", "x.panchro"], "--project: not for an album"),
        (["--film"], "--film reads one input"),
        (["--colorize", "--hints", "h.json"], "--hints: not for an album"),
        (["--colorize", "--reference", "r.jpg"], "--reference: not for an album"),
    ],
)
def test_album_refusals(
    extra: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = png(tmp_path / "a.png", photo_pixels())
    b = png(tmp_path / "b.png", photo_pixels(seed=1))
    code, _, err = _run(["restore", str(a), str(b), str(tmp_path / "out"), *extra], capsys)
    assert code != 0 and words in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_album_output_must_be_a_folder_and_format_is_for_albums(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    album = _album(tmp_path / "box")
    code, _, err = _run(["restore", str(album), str(tmp_path / "all.jpg"), "-q"], capsys)
    assert code != 0 and "an album is written into a folder, not a .jpg file" in err
    one = png(tmp_path / "one.png", photo_pixels())
    code, _, err = _run(["restore", str(one), str(tmp_path / "o.png"), "--format", "jpg"], capsys)
    assert code != 0 and "--format is for albums" in err
