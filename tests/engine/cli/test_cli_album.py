"""`panchro restore` of an album and `panchro info FOLDER`: how a folder is read (film or album,
with the reason, both ways, and the flags that overrule it), the exit code when a picture
fails, the options an album refuses, and an album's project (--project): its picks and hints
used as `restore_album` uses them."""

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


def test_info_names_pictures_cut_short_and_passes_a_jpegs_trailer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A picture cut short in a copy has a whole header: `info` looks at its end too (and
    decodes it when that is wrong), as the restore would refuse it."""
    album = _album(tmp_path / "box")
    Image.fromarray(photo_pixels((120, 90), seed=4)).save(tmp_path / "whole.jpg", quality=90)
    whole = (tmp_path / "whole.jpg").read_bytes()
    (album / "torn.jpg").write_bytes(whole[: len(whole) // 2])
    (album / "phone.jpg").write_bytes(whole + b"\0" * 4096)  # a trailer past the end marker
    png_bytes = (album / "scan3.png").read_bytes()
    (album / "torn.png").write_bytes(png_bytes[: len(png_bytes) - 40])
    (album / "letter.jpg").write_text("Dear Anne, here are the photos")
    code, out, _ = _run(["info", str(album)], capsys)
    assert code == 0 and "pictures    7 in 1 folder(s)" in out
    row = next(line for line in out.splitlines() if line.startswith("unreadable"))
    assert row.startswith("unreadable  3: letter.jpg (not a picture); torn.jpg (is a JPEG")
    assert "cut short" in row and "torn.png (" in row and "phone.jpg" not in row
    data = json.loads(_run(["info", str(album), "--json"], capsys)[1])
    assert data["unreadable"] == ["letter.jpg", "torn.jpg", "torn.png"]
    assert "cut short" in data["unreadable_why"]["torn.jpg"]
    assert data["formats"] == {"JPEG": 1, "PNG": 3}


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
    # a folder out meant: why it is a film, and how it is not (the codec's "cannot be
    # written to a 'no extension' file" said neither)
    code, _, err = _run(["restore", str(frames), str(tmp_path / "stills"), "-q"], capsys)
    assert code == 2 and "is read as a film: " in err and "--stills" in err, err
    assert not (tmp_path / "stills").exists()
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
        (["--fit", "hd"], "--fit: not for an album"),
        (["--film"], "--film reads one input"),
        (["--colorize", "--hints", "h.json"], "--hints: not for an album"),
        (["--colorize", "--hints", "h.json"], "hints come with the album's project (--project"),
        (["--colorize", "--reference", "r.jpg"], "--reference: not for an album"),
        (["--colorize", "--reference", "r.jpg"], "not yet to an album's pictures"),
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


def _album_project(box: Path, out: Path, picks: dict, hints: dict) -> Path:
    from panchro.engine.album_project import AlbumProject, AlbumSettings

    project = AlbumProject.new(
        [box], stills=True, settings=AlbumSettings(colorize=True, format="png"), picks=picks,
        hints=hints,
    )  # fmt: skip
    return project.save(out)


def _like_the_cli(box: Path | list[Path], out: Path, picks: dict, hints: dict) -> None:
    """`restore_album` with the stages `panchro restore --colorize` builds (seed 0, png)."""
    from panchro.engine.project import Settings
    from panchro.engine.restore.album import restore_album
    from panchro.engine.restore.stages import build_stages

    inputs = box if isinstance(box, list) else [box]
    stages = build_stages(Settings(colorize=True), seed=0)
    summary = restore_album(inputs, out, stages=stages, fmt="png", picks=picks, hints=hints)
    assert summary.ok


def _pixels(path: Path) -> object:
    from panchro.engine import media

    return media.read_picture(path).pixels


def test_an_albums_project_gives_its_picks_and_hints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from panchro.engine.imaging.hints import Hints, Point
    from panchro.engine.project import Pick

    models = tmp_path / "models"
    save_small_colorizer(models, config=TINY28)
    save_small_refiner(models)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    box = _album(tmp_path / "box")
    chroma = np.zeros((2, 28, 28), np.uint8)
    chroma[0], chroma[1] = 8, 24
    picks = {"scan1.png": Pick(5, 1.0, 2, chroma, locked=True, source="user")}
    hints = {"scan2.png": Hints(points=(Point(0, 10, 12, (200, 30, 30)),))}
    project = _album_project(box, tmp_path / "family.panchro", picks, hints)
    # The project's settings (colorize, png) where the command line says nothing.
    out = tmp_path / "colour"
    code, printed, err = _run(["restore", "--stills", str(box), str(out), "--project",
                               str(project), "-q"], capsys)  # fmt: skip
    assert code == 0, err
    assert "3 restored" in printed and err == ""
    _like_the_cli(box, tmp_path / "same", picks, hints)
    _like_the_cli(box, tmp_path / "plain", {}, {})
    for name in ("scan1.png", "scan2.png", "scan3.png"):
        np.testing.assert_array_equal(_pixels(out / name), _pixels(tmp_path / "same" / name))
    for name in ("scan1.png", "scan2.png"):  # the pick and the hints did something
        assert not np.array_equal(_pixels(out / name), _pixels(tmp_path / "plain" / name))
    np.testing.assert_array_equal(
        _pixels(out / "scan3.png"), _pixels(tmp_path / "plain" / "scan3.png")
    )

    # A picture retouched since the save: said, and its pick is not used.
    png(box / "scan1.png", photo_pixels((48, 32), seed=9))
    again = tmp_path / "again"
    code, printed, err = _run(["restore", "--stills", str(box), str(again), "--project",
                               str(project), "-q"], capsys)  # fmt: skip
    assert code == 0 and "3 restored" in printed
    assert err.strip() == (
        f"panchro: warning: {project}: 1 picture changed since the project was saved "
        "(scan1.png): their picks and hints are not applied"
    )
    _like_the_cli(box, tmp_path / "auto", {}, hints)
    np.testing.assert_array_equal(
        _pixels(again / "scan1.png"), _pixels(tmp_path / "auto" / "scan1.png")
    )

    # Several files: names decide, whatever the project's inputs were (the box folder).
    files = [box / "scan2.png", box / "scan3.png"]
    hinted = _album_project(box, tmp_path / "hinted.panchro", {}, hints)
    code, printed, err = _run(["restore", *map(str, files), str(tmp_path / "two"),
                               "--project", str(hinted), "-q"], capsys)  # fmt: skip
    assert code == 0 and "2 restored" in printed, err
    np.testing.assert_array_equal(
        _pixels(tmp_path / "two" / "scan2.png"), _pixels(out / "scan2.png")
    )
    # A pick for a picture not in this album: refused before any work.
    code, _, err = _run(["restore", *map(str, files), str(tmp_path / "none"), "--project",
                         str(project), "-q"], capsys)  # fmt: skip
    assert code != 0 and "picks given for pictures not in the album: scan1.png" in err
    assert not (tmp_path / "none").exists()


def test_a_films_project_is_not_an_albums(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panchro.engine.project import Project
    from tests.makemedia import make_video

    film = Project.new(make_video(tmp_path / "film.mp4", frames=6)).save(tmp_path / "f.panchro")
    box = _album(tmp_path / "box")
    code, _, err = _run(["restore", str(box), str(tmp_path / "out"), "--project", str(film)],
                        capsys)  # fmt: skip
    assert code != 0 and f"{film}: is a film's project (its shots and picks), not an album's" in err
    code, _, err = _run(["restore", str(box), str(tmp_path / "out"), "--project",
                         str(tmp_path / "none.panchro")], capsys)  # fmt: skip
    assert code != 0 and "none.panchro: does not exist" in err
    assert not (tmp_path / "out").exists()


def test_info_on_a_photo_says_it_as_its_restore_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.makephotos import camera_jpeg

    photo = camera_jpeg(tmp_path / "lake.jpg", size=(96, 64))  # stored turned: orientation 6
    code, out, _ = _run(["info", str(photo)], capsys)
    assert code == 0
    assert "picture (JPEG)" in out and "64x96, upright" in out  # not 96x64, "rotation 0"
    assert "300 x 300 dpi" in out and "ICC profile, EXIF" in out
    assert "frame rate" not in out  # a photo, not a film of one frame
    pages = tmp_path / "pages.tif"
    first, *rest = (Image.fromarray(photo_pixels((40, 30), seed=s)) for s in range(3))
    first.save(pages, save_all=True, append_images=rest)
    code, out, _ = _run(["info", "--json", str(pages)], capsys)
    facts = json.loads(out)
    assert code == 0 and facts["size"] == [40, 30]
    assert facts["notes"] == ["3 pictures in the file: the first is restored"]
