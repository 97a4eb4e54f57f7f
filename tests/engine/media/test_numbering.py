"""A folder of numbered frames whose numbering skips is said to, wherever it is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from makemedia import make_frame_folder

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.media.stills import describe_missing, missing_numbers


def test_runs_of_missing_numbers() -> None:
    names = lambda *ns: [Path(f"reel1_{n:04d}.dpx") for n in ns]  # noqa: E731
    assert missing_numbers(names(7, 8, 9, 10)) == ()  # a sequence may start anywhere
    assert missing_numbers(names(9, 11)) == ((10, 10),)
    assert missing_numbers(names(1, 2, 5, 6, 9, 100)) == ((3, 4), (7, 8), (10, 99))
    # Not one numbered sequence: there is no numbering to check.
    assert missing_numbers([Path("a1.png"), Path("b3.png")]) == ()
    assert missing_numbers([Path("f1.png"), Path("title.png")]) == ()
    assert describe_missing(((10, 10),)) == "1 frame number missing: 10"
    assert describe_missing(((1, 1),) * 7).endswith("1, 1, 1, 1 and 3 more gaps")
    runs = ((3, 4), (7, 8), (10, 99), (120, 120), (130, 131))
    assert describe_missing(runs) == (
        "97 frame numbers missing: 3-4, 7-8, 10-99, 120 and 1 more gap"
    )


def test_a_lost_frame_is_said_by_info_and_restore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_frame_folder(tmp_path / "scan", 12, (64, 48))
    assert media.probe(folder).missing_numbers == ()
    (folder / "f6.png").unlink()  # f1..f12 less f6
    info = media.probe(folder)
    assert info.frame_count == 12 and info.missing_numbers == ((6, 6),)  # f5 held in its place
    to_app = json.loads(json.dumps(info.to_dict()))
    assert to_app["missing_numbers"] == [[6, 6]] and to_app["held_frames"] == [[5, 5]]
    assert main(["info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "numbering" in out and "1 frame number missing: 6" in out
    assert main(["restore", str(folder), str(tmp_path / "out.mp4"), "-q"]) == 0
    out, err = capsys.readouterr()
    assert "12 frames" in out and "note: 1 frame number missing: 6" in out
    assert "warning" in err and "missing: 6" in err
    # A whole sequence is not said to miss anything.
    whole = make_frame_folder(tmp_path / "whole", 4, (64, 48))
    assert main(["restore", str(whole), str(tmp_path / "whole.mp4"), "-q"]) == 0
    assert "missing" not in "".join(capsys.readouterr())


def test_an_archive_says_which_film_lost_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    films = tmp_path / "films"
    make_frame_folder(films / "reel1", 6, (48, 32))
    make_frame_folder(films / "reel2", 9, (48, 32))
    (films / "reel2" / "f4.png").unlink()
    (films / "reel2" / "f5.png").unlink()
    out = tmp_path / "out"
    assert main(["restore", "--batch", str(films), str(out), "--codec", "ffv1", "-q"]) == 0
    printed = capsys.readouterr().out
    assert "note: reel2/: 2 frame numbers missing: 4-5" in printed and "reel1/:" not in printed
