"""A folder of pictures read as a film or as an album, by a rule with a reason (and --film /
--stills to overrule it); the walk an album is made of: sub-folders in, hidden and other files
out and counted, the output folder and earlier albums left out, names that would clash refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from panchro.engine import media
from panchro.engine.errors import BadInputError
from tests.makemedia import make_frame_folder
from tests.makephotos import camera_jpeg, photo_pixels, png


def test_numbered_frames_of_one_size_are_a_film(tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "reel", 12, (64, 48))
    verdict = media.read_folder_as(folder)
    assert verdict.kind == "film" and not verdict.forced
    assert "12 numbered frames of 64x48 (f1.png ... f12.png)" in verdict.reason
    assert "--stills" in verdict.describe()


@pytest.mark.parametrize(
    "case, words",
    [
        ("sizes", "the sizes differ (f3.png is 80x48, f1.png is 64x48)"),
        ("names", "holiday.png has no frame number in its name"),
        ("two sequences", "not one numbered sequence (f1.png, reel_1.png)"),
        ("nested", "pictures in sub-folders (more/f9.png)"),
        ("webp", "f9.webp: a film's frames are PNG, TIFF, JPEG or DPX"),
        ("formats", "the formats differ (f9.jpg is JPEG, f1.png is PNG)"),
        ("camera", "f1.jpg was taken by a camera (EXIF date taken 1950:07:14 15:30:00)"),
    ],
)
def test_what_makes_a_folder_an_album(case: str, words: str, tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "box", 4, (64, 48))
    if case == "sizes":
        Image.new("RGB", (80, 48)).save(folder / "f3.png")
    elif case == "names":
        png(folder / "holiday.png", photo_pixels((64, 48)))
    elif case == "two sequences":
        png(folder / "reel_1.png", photo_pixels((64, 48)))
    elif case == "nested":
        (folder / "more").mkdir()
        png(folder / "more" / "f9.png", photo_pixels((64, 48)))
    elif case == "webp":
        Image.fromarray(photo_pixels((64, 48))).save(folder / "f9.webp")
    elif case == "formats":
        Image.fromarray(photo_pixels((64, 48))).save(folder / "f9.jpg")
    elif case == "camera":  # a camera's card: numbered names, one size, but photographs
        for p in folder.iterdir():
            p.unlink()
        for i in range(1, 10, 4):
            camera_jpeg(folder / f"f{i}.jpg", size=(64, 48))
    verdict = media.read_folder_as(folder)
    assert verdict.kind == "album", verdict
    assert words in verdict.reason, verdict.reason
    # --film is offered where it can read the folder: not where the sizes differ
    assert ("--film" in verdict.describe()) == (case != "sizes"), verdict.describe()


def test_one_picture_is_an_album(tmp_path: Path) -> None:
    png(tmp_path / "only.png", photo_pixels())
    verdict = media.read_folder_as(tmp_path)
    assert verdict.kind == "album" and verdict.reason == "one picture (only.png)"


def test_flags_overrule_the_rule(tmp_path: Path) -> None:
    frames = make_frame_folder(tmp_path / "reel", 3, (64, 48))
    stills = media.read_folder_as(frames, stills=True)
    assert stills.kind == "album" and stills.forced and stills.reason == "--stills given"
    assert [p.rel for p in stills.listing.pictures] == ["f1.png", "f2.png", "f3.png"]
    (tmp_path / "box").mkdir()
    png(tmp_path / "box" / "a.png", photo_pixels())
    film = media.read_folder_as(tmp_path / "box", film=True)
    assert film.kind == "film" and film.forced
    with pytest.raises(BadInputError, match="contradict"):
        media.read_folder_as(frames, stills=True, film=True)


def test_empty_and_dpx_only_folders(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".hidden.png").write_bytes(b"x")
    (empty / "notes.txt").write_text("x")
    with pytest.raises(BadInputError, match="contains no pictures") as err:
        media.read_folder_as(empty)
    assert "1 file(s) that are not pictures (notes.txt); 1 hidden" in str(err.value)
    dpx = tmp_path / "dpx"
    dpx.mkdir()
    for i in range(3):
        (dpx / f"scan{i}.dpx").write_bytes(b"SDPX")
    assert media.read_folder_as(dpx).kind == "film"  # an album reads no DPX
    with pytest.raises(BadInputError, match="contains no pictures"):
        media.read_folder_as(dpx, stills=True)


def test_the_walk(tmp_path: Path) -> None:
    top = tmp_path / "photos"
    (top / "1950" / "summer").mkdir(parents=True)
    (top / ".cache").mkdir()
    (top / "out").mkdir()
    (top / "earlier" / media.ALBUM_JOB_DIR).mkdir(parents=True)
    for rel in ("b10.jpg", "b9.png", "1950/a.tif", "1950/summer/c.webp", ".cache/x.png"):
        Image.fromarray(photo_pixels()).save(top / rel)
    png(top / "out" / "restored.png", photo_pixels())
    png(top / "earlier" / "restored.png", photo_pixels())
    (top / "README.txt").write_text("scans from the attic")
    (top / ".DS_Store").write_bytes(b"\0")
    listing = media.list_pictures([top], exclude=[top / "out"])
    assert [p.rel for p in listing.pictures] == [
        "1950/a.tif",
        "1950/summer/c.webp",
        "b9.png",
        "b10.jpg",
    ]
    assert listing.others == 1 and listing.hidden == 2
    assert listing.excluded == ("earlier/ (an album Panchro wrote)", "out/ (the output folder)")
    # Several inputs: a folder keeps its name, a file is its name.
    loose = png(tmp_path / "loose.png", photo_pixels())
    both = media.list_pictures([top / "1950", loose])
    assert [p.rel for p in both.pictures] == ["1950/a.tif", "1950/summer/c.webp", "loose.png"]


def test_names_that_would_clash_are_refused(tmp_path: Path) -> None:
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        png(tmp_path / folder / "a.png", photo_pixels())
    with pytest.raises(BadInputError, match="two pictures would have one name in the album, a.png"):
        media.list_pictures([tmp_path / "x" / "a.png", tmp_path / "y" / "a.png"])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(BadInputError, match="is not a picture or a folder of pictures"):
        media.list_pictures([tmp_path / "x", tmp_path / "notes.txt"])
