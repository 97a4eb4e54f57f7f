"""`panchro restore` of a photo into a picture: what a person types, what they get back, and
one clear line (nothing written) for every way to get it wrong."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.cli import main
from tests.makemedia import make_video
from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner
from tests.makephotos import camera_jpeg, photo_pixels, png, snapshot_pixels


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _digests(folder: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def test_photo_to_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = camera_jpeg(tmp_path / "photo.jpg", grey=False)
    for ext in (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"):
        out = tmp_path / f"out{ext}"
        code, printed, err = _run(["restore", str(src), str(out), "-q"], capsys)
        assert code == 0, err
        assert "picture" in printed and str(out) in printed
        with Image.open(out) as im:
            assert im.format == {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}.get(
                ext, "TIFF" if ext.startswith(".tif") else "WEBP"
            )
    assert not list(tmp_path.glob("*.panchro-job"))  # one frame: no job folder


@pytest.fixture
def small_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small, untrained colorizer and refiner, where the command line looks for models."""
    models = tmp_path / "models"
    save_small_colorizer(models, config=TINY28)
    save_small_refiner(models)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    return models


@pytest.mark.usefixtures("small_models")
def test_colorize_a_photo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = png(tmp_path / "grey.png", photo_pixels())
    out = tmp_path / "colour.jpg"
    code, printed, err = _run(
        ["restore", str(src), str(out), "--colorize", "--quality", "90", "-q"], capsys
    )
    assert code == 0, err
    with Image.open(out) as im:
        assert im.mode == "RGB"
        assert "colorized" in im.getexif()[0x0131]
        rgb = np.asarray(im).astype(float)
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    assert np.abs(luma - photo_pixels()).mean() < 4  # JPEG's loss only (on a noisy picture)


@pytest.mark.usefixtures("small_models")
def test_a_photos_colour_strength_is_used_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--colour-strength was left out of a photo's settings: 0, 1 and 2 gave the same bits."""
    src = png(tmp_path / "grey.png", photo_pixels())
    spread = {}
    for strength in ("0", "1", "2"):
        out = tmp_path / f"s{strength}.png"
        argv = ["restore", str(src), str(out), "--colorize", "--colour-strength", strength]
        code, _, err = _run([*argv, "-q"], capsys)
        assert code == 0, err
        with Image.open(out) as im:
            rgb = np.asarray(im.convert("RGB"), dtype=np.float64)
            software = im.getexif()[0x0131]
        spread[strength] = float(np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean())
        assert ("colour strength" in software) == (strength != "1"), software
    assert spread["0"] < 0.5 < spread["1"] < spread["2"]  # grey at 0; stronger at 2


@pytest.mark.usefixtures("small_models")
def test_a_reference_picture_is_named_in_the_software_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = png(tmp_path / "grey.png", photo_pixels())
    ref = png(tmp_path / "beach 1952.png", snapshot_pixels())
    out = tmp_path / "out.png"
    code, _, err = _run(["restore", str(src), str(out), "--colorize", "--reference", str(ref),
                         "-q"], capsys)  # fmt: skip
    assert code == 0, err
    with Image.open(out) as im:
        assert "colorized (the colours of the picture beach 1952.png)" in im.getexif()[0x0131]


@pytest.mark.usefixtures("small_models")
def test_a_colour_photo_keeps_its_colours_and_an_album_too_unless_recoloured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rgb = snapshot_pixels((48, 32))
    box = tmp_path / "box"
    box.mkdir()
    src = png(box / "snapshot.png", rgb)
    png(box / "grey.png", photo_pixels())
    code, printed, err = _run(["restore", str(src), str(tmp_path / "kept.png"), "--colorize"],
                              capsys)  # fmt: skip
    assert code == 0 and "in colour already: its own colours kept" in printed, err
    assert "(--recolour colours it anew)" in printed
    assert np.array_equal(np.asarray(Image.open(tmp_path / "kept.png")), rgb)
    for flags, same in (([], True), (["--recolour"], False)):
        out = tmp_path / f"album{len(flags)}"
        code, printed, err = _run(["restore", str(box), str(out), "--colorize", "-q", *flags],
                                  capsys)  # fmt: skip
        assert code == 0, err
        assert np.array_equal(np.asarray(Image.open(out / "snapshot.png")), rgb) == same
        said = "(--recolour colours the pictures in colour anew, as the others)"
        assert (said in printed) == same


@pytest.mark.usefixtures("small_models")
def test_a_colour_film_keeps_its_colours_unless_recoloured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panchro.engine.restore.own import OWN_SHOTS, RECOLOURED_SHOTS

    src = make_video(tmp_path / "colour.mkv", frames=6, audio=False, codec="ffv1",
                     pictures=[snapshot_pixels((160, 120))] * 6)  # fmt: skip
    for flags, kept in (([], True), (["--recolour"], False)):
        out = tmp_path / f"out{len(flags)}.mkv"
        code, printed, err = _run(["restore", str(src), str(out), "--colorize", *flags], capsys)
        assert code == 0, err
        assert (f"note: {OWN_SHOTS} 1 (frames 1–6)" in printed) == kept, printed
        assert ("(--recolour colours them anew, as the others)" in printed) == kept
        assert (f"note: {RECOLOURED_SHOTS} 1 (frames 1–6)" in printed) != kept
        shot = tmp_path / f"frame{len(flags)}.png"
        code, printed, err = _run(["frame", str(out), "--at", "0.1", "-o", str(shot)], capsys)
        assert code == 0, err
        shown = np.asarray(Image.open(shot).convert("RGB")).astype(int)
        assert (np.abs(shown - snapshot_pixels((160, 120))).mean() < 6) == kept


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("film") / "film.mp4", frames=6, audio=False)


def _cases(tmp_path: Path, film: Path) -> dict[str, tuple[list[str], str]]:
    src = png(tmp_path / "in.png", photo_pixels())
    (tmp_path / "exists.png").write_bytes(b"precious")
    (tmp_path / "notes.jpg").write_text("not a picture")
    (tmp_path / "notes.txt").write_text("not a film either")
    whole = camera_jpeg(tmp_path / "whole.jpg", size=(400, 300))
    (tmp_path / "cut.jpg").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    s, o = str(src), str(tmp_path / "o")
    return {
        "output is the input": ([s, s, "--overwrite"], "is the input"),
        "output exists": ([s, str(tmp_path / "exists.png")], "exists (use --overwrite)"),
        "not a picture": ([str(tmp_path / "notes.jpg"), o + ".png"], "not a picture"),
        "truncated": ([str(tmp_path / "cut.jpg"), o + ".png"], "JPEG of 400x300 cut short"),
        "gif out": ([s, o + ".gif"], "'.gif' is not a picture format"),
        "bmp out": ([s, o + ".bmp"], "'.bmp' is not a picture format"),
        "quality 0": ([s, o + ".jpg", "--quality", "0"], "within 1..100"),
        "quality 101": ([s, o + ".jpg", "--quality", "101"], "within 1..100"),
        "quality on png": ([s, o + ".png", "--quality", "90"], "PNG is written lossless"),
        "quality on a film": ([str(film), o + ".mp4", "--quality", "90"], "picture outputs"),
        "film to picture": ([str(film), o + ".jpg"], "say which with --at TIME"),
        # not asked for a frame of what is no film (a text file named in, a picture out)
        "text to picture": ([str(tmp_path / "notes.txt"), o + ".png"], "not a video file"),
        "codec with picture": ([s, o + ".jpg", "--codec", "prores"], "--codec: for films"),
        "deflicker a picture": ([s, o + ".jpg", "--deflicker", "1"], "--deflicker: for films"),
        "deflicker out of range": ([str(film), o + ".mp4", "--deflicker", "2"], "within 0..1"),
        # a photograph's dust is found by the speck finder, and the tests have no weights
        "dust on a picture": ([s, o + ".jpg", "--dust", "1"], "needs the speck_finder model"),
        "dust on a picture out of range": ([s, o + ".jpg", "--dust", "2"], "within 0..1"),
        "dust out of range": ([str(film), o + ".mp4", "--dust", "1.5"], "within 0..1"),
        "scratches on a picture": ([s, o + ".jpg", "--scratches", "1"], "--scratches: for films"),
        "scratches out of range": ([str(film), o + ".mp4", "--scratches", "-1"], "within 0..1"),
        "folder out": ([s, str(tmp_path)], "is a folder: name the picture to write in it"),
        "fit a picture": ([s, o + ".jpg", "--fit", "hd"], "--fit: for films; a picture keeps"),
        "fit-frame a picture": (
            [s, o + ".jpg", "--fit", "hd", "--fit-frame"],
            "--fit, --fit-frame",
        ),
        "fps of a picture": ([s, o + ".png", "--fps", "18"], "--fps: for films; a picture has no"),
        "recolour alone": ([s, o + ".png", "--recolour"], "--recolour goes with --colorize"),
        "recolour a film alone": ([str(film), o + ".mp4", "--recolour"], "goes with --colorize"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "output is the input",
        "output exists",
        "not a picture",
        "truncated",
        "gif out",
        "bmp out",
        "quality 0",
        "quality 101",
        "quality on png",
        "quality on a film",
        "film to picture",
        "codec with picture",
        "deflicker a picture",
        "deflicker out of range",
        "dust on a picture",
        "dust out of range",
        "scratches on a picture",
        "scratches out of range",
        "folder out",
        "fit a picture",
        "fit-frame a picture",
        "fps of a picture",
        "recolour alone",
        "recolour a film alone",
        "text to picture",
    ],
)
def test_refused_in_one_line_and_nothing_written(
    case: str, film: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, words = _cases(tmp_path, film)[case]
    before = _digests(tmp_path)
    code, _, err = _run(["restore", *argv, "-q"], capsys)
    # 1 where the output cannot be written or the work fails, 2 where what was asked cannot
    # be done (nothing was)
    failed = ("output is the input", "output exists", "dust on a picture")  # a model missing
    assert code == (1 if case in failed else 2), (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("panchro: error: "), err
    assert words in lines[0], lines[0]
    assert _digests(tmp_path) == before


def test_help_tells_about_pictures(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["restore", "--help"])
    text = capsys.readouterr().out
    assert "--quality" in text and ".webp" in text and "EXIF" in text
