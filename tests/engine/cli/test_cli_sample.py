"""`panchro sample`: K colour modes of a picture or a film frame as one PNG sheet."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.cli import main
from tests.makemedia import make_video
from tests.makemodels import save_small_colorizer


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_small_colorizer(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    x = np.linspace(0, 255, 120, dtype=np.float32)[None, :].repeat(80, 0)
    path = tmp_path_factory.mktemp("pic") / "grey.png"
    Image.fromarray(x.astype(np.uint8), "L").save(path)
    return path


def test_sheet_of_k_modes(
    weights: Path, picture: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sheet.png"
    argv = ["sample", str(picture), "-k", "3", "--seed", "1", "-o", str(out)]
    assert main([*argv, "--weights", str(weights), "--height", "80"]) == 0
    printed = capsys.readouterr()
    assert "seed 1" in printed.out and "UNTRAINED" in printed.out
    assert "UNTRAINED" in printed.err  # said plainly, not only in passing
    sheet = Image.open(out)
    assert sheet.size == (4 * 120 + 3 * 4, 80 + 18)
    first = out.read_bytes()
    # Same seed, same sheet; the output is not overwritten without asking.
    assert main([*argv, "--weights", str(weights), "--height", "80"]) == 1
    assert "exists" in capsys.readouterr().err
    argv2 = [*argv, "--weights", str(weights), "--height", "80", "--overwrite"]
    assert main(argv2) == 0
    assert out.read_bytes() == first


def test_a_frame_of_a_film(weights: Path, tmp_path: Path, capsys) -> None:
    film = make_video(tmp_path / "f.mp4", frames=12, audio=False)
    out = tmp_path / "sheet.png"
    code = main(["sample", str(film), "--frame", "5", "-k", "2", "-o", str(out),
                 "--weights", str(weights), "--height", "60"])  # fmt: skip
    assert code == 0 and Image.open(out).size[1] == 78
    code = main(["sample", str(film), "--frame", "99", "-o", str(tmp_path / "x.png"),
                 "--weights", str(weights)])  # fmt: skip
    assert code == 2 and "outside the film" in capsys.readouterr().err
    # the picture inside a crop alone (160 x 120 less 20 and 10 a side: 120 x 100)
    assert Image.open(out).size[0] == 3 * 80 + 2 * 4
    code = main(["sample", str(film), "--frame", "5", "-k", "2", "-o", str(out), "--crop",
                 "20,10", "--weights", str(weights), "--height", "60", "--overwrite"])  # fmt: skip
    assert code == 0 and Image.open(out).size == (3 * 72 + 2 * 4, 78)


def test_missing_weights_and_bad_pictures(picture: Path, tmp_path: Path, capsys) -> None:
    code = main(["sample", str(picture), "--crop", "4", "-o", str(tmp_path / "c.png")])
    assert code == 2 and "--crop is for films" in capsys.readouterr().err
    missing = tmp_path / "none" / "colorizer.safetensors"
    code = main(["sample", str(picture), "-o", str(tmp_path / "a.png"), "--weights", str(missing)])
    err = capsys.readouterr().err
    assert code != 0 and str(missing) in err and "Traceback" not in err
    assert not (tmp_path / "a.png").exists()
    tiny = tmp_path / "tiny.png"
    Image.new("L", (20, 20)).save(tiny)
    assert main(["sample", str(tiny), "-o", str(tmp_path / "b.png")]) == 2
    assert "too small" in capsys.readouterr().err
    assert main(["sample", str(picture), "-o", str(tmp_path / "c.jpg")]) == 2


def test_a_film_frame_is_read_as_a_restore_reads_it(weights: Path, tmp_path: Path) -> None:
    """--levels, --scan: the grey the modes are drawn for is the film as a restore reads it."""
    from makemedia import write_still

    folder = tmp_path / "faded"
    folder.mkdir()
    x = np.linspace(0.25, 0.7, 64)[None, :].repeat(48, 0)  # a faded film's tones
    for i in range(3):
        write_still(folder / f"f{i}.png", np.round(x * 255).astype(np.uint8))

    def grey(*options: str) -> np.ndarray:
        out = tmp_path / "sheet.png"
        argv = ["sample", str(folder), "--frame", "1", "-k", "1", "-o", str(out), "--overwrite"]
        assert main([*argv, "--weights", str(weights), "--height", "48", *options]) == 0
        return np.asarray(Image.open(out).convert("L"))[:48, :64].astype(int)

    plain, stretched, turned = grey(), grey("--levels", "0.25,0.7"), grey("--scan", "negative")
    assert plain.min() >= 60 and plain.max() <= 182
    assert stretched.min() <= 3 and stretched.max() >= 252
    assert np.abs(turned - (255 - plain)).max() <= 2


def test_hints_choose_the_frame_and_are_checked_as_a_restore_checks_them(
    weights: Path, picture: Path, tmp_path: Path, capsys
) -> None:
    film = make_video(tmp_path / "f.mp4", frames=12, audio=False)
    common = ["-k", "2", "--weights", str(weights), "--height", "60"]

    def hints(name: str, frame: int) -> str:
        path = tmp_path / name
        point = {"frame": frame, "x": 10, "y": 10, "rgb": [200, 0, 0]}
        path.write_text(json.dumps({"version": 1, "points": [point], "strokes": []}))
        return str(path)

    on9 = hints("on9.json", 9)
    # no --frame: the frame the hints are on, which they steer
    assert main(["sample", str(film), "-o", str(tmp_path / "a.png"), "--hints", on9, *common]) == 0
    assert "2 colour mode(s) of frame 9," in capsys.readouterr().out
    # another frame: said where they are
    argv = ["sample", str(film), "--frame", "3", "-o", str(tmp_path / "b.png"), "--hints", on9]
    assert main([*argv, *common]) == 0
    err = capsys.readouterr().err
    assert "no hints on frame 3 in" in err and "they are on frame(s) 9" in err
    # past the film: refused, as a restore refuses it
    past = hints("past.json", 200)
    argv = ["sample", str(film), "-o", str(tmp_path / "c.png"), "--hints", past, *common]
    assert main(argv) == 2
    assert "point 1 is on frame 200, but the film has 12 frames" in capsys.readouterr().err
    # a picture has frame 0 only: said so, not that the place is off the picture
    argv = ["sample", str(picture), "-o", str(tmp_path / "d.png"), "--hints", on9, *common]
    assert main(argv) == 2
    assert "point 1 is on frame 9, but a picture has frame 0 only" in capsys.readouterr().err
