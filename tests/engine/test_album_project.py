"""An album's project (panchro.engine.album_project): round trip, pictures changed or gone since
the save, the two kinds of `.panchro` telling each other apart, damage named, atomic save and
backup."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from panchro.engine.album_project import (
    FORMAT,
    AlbumProject,
    AlbumSettings,
    PictureCheck,
    load_any,
)
from panchro.engine.errors import BadInputError
from panchro.engine.imaging.hints import Hints, Point, Stroke
from panchro.engine.project import Pick, Project, backup_path, fingerprint
from tests.makemedia import make_video
from tests.makephotos import photo_pixels, png


def _box(folder: Path) -> Path:
    (folder / "1950").mkdir(parents=True)
    png(folder / "a.png", photo_pixels((48, 32), seed=1))
    png(folder / "1950" / "lake.png", photo_pixels((40, 40), seed=2))
    png(folder / "c.png", photo_pixels((36, 30), seed=3))
    return folder


def _pick(seed: int = 7) -> Pick:
    chroma = np.random.default_rng(seed).integers(0, 32, (2, 28, 28), dtype=np.uint8)
    return Pick(seed, 0.8, 2, chroma, locked=True, source="user")


def _hints() -> Hints:
    return Hints(
        points=(Point(0, 12, 20.5, (200, 30, 30)),),
        strokes=(Stroke(0, ((1, 2), (30, 2)), 6, (30, 60, 220)),),
        frame_size=(40, 40),
    )


def _project(box: Path) -> AlbumProject:
    settings = AlbumSettings(colorize=True, degrain=0.25, upscale=2, upscaler="sharp",
                             format="png", output=str(box.parent / "colour"))  # fmt: skip
    return AlbumProject.new(
        [box],
        stills=True,
        settings=settings,
        picks={"a.png": _pick(), "c.png": _pick(9)},
        hints={"1950/lake.png": _hints(), "c.png": Hints()},  # an empty one is no hints
    )


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    project = _project(box)
    path = project.save(tmp_path / "family.panchro")
    doc = json.loads(path.read_text())
    assert doc["format"] == FORMAT == "panchro.album-project" and doc["version"] == 1
    assert doc["inputs"] == [str(box)] and doc["stills"] is True
    assert doc["settings"] == {"colorize": True, "degrain": 0.25, "upscale": 2,
                               "upscaler": "sharp", "format": "png",
                               "output": str(tmp_path / "colour")}  # fmt: skip
    assert list(doc["pictures"]) == ["1950/lake.png", "a.png", "c.png"]  # the album's order
    lake = doc["pictures"]["1950/lake.png"]
    assert lake["pick"] is None and lake["hints"]["points"][0]["x"] == 12
    assert (lake["size"], lake["sha256"]) == fingerprint(box / "1950" / "lake.png")
    assert doc["pictures"]["c.png"]["hints"] is None  # its empty hints left out
    back = AlbumProject.load(path)
    assert back.to_dict() == project.to_dict() and back.path == path
    assert back.picks == {"a.png": _pick(), "c.png": _pick(9)}
    assert back.hints == {"1950/lake.png": _hints()}
    assert back.settings == project.settings and back.settings.restoration().upscaler == "sharp"
    check = back.check_pictures()
    assert check == PictureCheck() and check.describe() == ""
    assert back.usable(check) == (back.picks, back.hints)
    assert not backup_path(path).exists()  # nothing was replaced yet
    assert isinstance(load_any(path), AlbumProject)


def test_a_changed_or_missing_picture_is_found_and_left_out(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    path = _project(box).save(tmp_path / "family.panchro")
    png(box / "a.png", photo_pixels((48, 32), seed=5))  # retouched: same size, other pixels
    (box / "c.png").unlink()
    project = AlbumProject.load(path)
    check = project.check_pictures()
    assert check.changed == ("a.png",) and check.missing == ("c.png",) and not check.problem
    assert check.describe() == (
        "1 picture changed since the project was saved (a.png); 1 picture no longer in the "
        "album (c.png): their picks and hints are not applied"
    )
    picks, hints = project.usable(check)
    assert picks == {} and list(hints) == ["1950/lake.png"]
    # Names decide: the same pictures given as files are found, a folder's sub-folder named.
    files = {"a.png": box / "a.png", "1950/lake.png": box / "1950" / "lake.png"}
    assert project.check_pictures(files).missing == ("c.png",)
    # The album's folder gone: every picture is left out, and why is said.
    box.rename(tmp_path / "moved")
    gone = project.check_pictures()
    assert gone.missing == ("1950/lake.png", "a.png", "c.png") and "does not exist" in gone.problem
    assert gone.describe().startswith(f"the album cannot be read ({box}: does not exist)")


def test_a_films_project_and_an_albums_refuse_each_other_in_words(tmp_path: Path) -> None:
    film = make_video(tmp_path / "film.mp4", frames=12)
    film_project = Project.new(film).save(tmp_path / "film.panchro")
    album_project = _project(_box(tmp_path / "box")).save(tmp_path / "album.panchro")
    with pytest.raises(BadInputError) as err:
        AlbumProject.load(film_project)
    assert str(err.value).startswith(f"{film_project}: is a film's project")
    assert "not an album's" in str(err.value) and "damaged" not in str(err.value)
    with pytest.raises(BadInputError) as err:
        Project.load(album_project)
    assert str(err.value).startswith(f"{album_project}: is an album's project")
    assert "--stills" in str(err.value) and "damaged" not in str(err.value)
    assert isinstance(load_any(film_project), Project)
    assert load_any(film_project).path == film_project
    # A film's project saved over an album's keeps the album's as the backup, and the reverse.
    before = album_project.read_bytes()
    Project.load(film_project).save(album_project)
    assert backup_path(album_project).read_bytes() == before
    film_bytes = film_project.read_bytes()
    AlbumProject.load(backup_path(album_project)).save(film_project)
    assert backup_path(film_project).read_bytes() == film_bytes


def test_pictures_not_in_the_album_and_hints_off_frame_0_are_refused(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    with pytest.raises(BadInputError, match="picks given for pictures not in the album: zz.png"):
        AlbumProject.new([box], picks={"zz.png": _pick()})
    with pytest.raises(BadInputError, match=r"hints for a.png name frame\(s\) \[3\]"):
        AlbumProject.new([box], hints={"a.png": Hints(points=(Point(3, 1, 1, (9, 9, 9)),))})


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda d: d.update(version=2), "newer Panchro"),
        (lambda d: d.update(inputs=["box"]), "inputs[0]: must be an absolute path"),
        (lambda d: d.update(stills="yes"), "stills: must be true or false"),
        (lambda d: d["settings"].update(format="gif"), "settings: format must be one of"),
        (lambda d: d["settings"].update(upscale=3), "settings: upscale must be 1, 2 or 4"),
        (lambda d: d["pictures"]["a.png"]["pick"].update(locked="yes"),
         "pictures['a.png'].pick.locked: must be true or false"),
        (lambda d: d["pictures"]["a.png"].update(sha256="abc"),
         "pictures['a.png'].sha256: must be 64 lower-case hex digits"),
        (lambda d: d["pictures"]["1950/lake.png"]["hints"]["points"][0].update(frame=2),
         "pictures['1950/lake.png'].hints: on frame(s) [0, 2]"),
        (lambda d: d["pictures"]["1950/lake.png"]["hints"]["points"][0].update(rgb=[300, 0, 0]),
         "pictures['1950/lake.png'].hints: point 1: rgb must be three whole numbers"),
        (lambda d: d["pictures"].update({"../up.png": d["pictures"]["a.png"]}),
         "pictures['../up.png']: not a picture's name"),
        (lambda d: d.update(format="something.else"), "not a Panchro project"),
    ],
)  # fmt: skip
def test_a_damaged_file_names_the_file_and_the_field_and_the_backup_is_kept(
    tmp_path: Path, damage, words: str
) -> None:
    project = _project(_box(tmp_path / "box"))
    path = project.save(tmp_path / "family.panchro")
    project.save(path)  # now there is a backup
    good = backup_path(path).read_bytes()
    doc = json.loads(path.read_text())
    damage(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInputError) as err:
        AlbumProject.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and words in message, message
    if words == "newer Panchro":  # no damage: said as it is, with what to do
        said = message[len(f"{path}: ") :]
        assert "damaged" not in said and "update Panchro" in said
    else:
        assert str(backup_path(path)) in message  # where the save before it is
    with pytest.raises(BadInputError):
        load_any(path)
    # Saving over the damaged file does not make the damage the backup.
    project.save(path)
    assert backup_path(path).read_bytes() == good
    assert AlbumProject.load(path).to_dict() == project.to_dict()


def test_saving_is_atomic_and_keeps_the_save_before(tmp_path: Path, monkeypatch) -> None:
    box = _box(tmp_path / "box")
    project = _project(box)
    path = project.save(tmp_path / "family.panchro")
    first = path.read_bytes()
    project.pictures.pop("a.png")
    project.save()
    assert backup_path(path).read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == [".family.panchro.bak", "box",
                                                           "family.panchro"]  # fmt: skip
    # A write that fails half-way leaves the file as it was, and no temporary behind.
    second = path.read_bytes()

    def fail(*_a, **_k) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", fail)
    project.pictures.pop("c.png")
    with pytest.raises(Exception, match="No space left on device"):
        project.save()
    monkeypatch.undo()
    assert path.read_bytes() == second
    assert sorted(p.name for p in tmp_path.iterdir()) == [".family.panchro.bak", "box",
                                                           "family.panchro"]  # fmt: skip
    assert list(AlbumProject.load(path).pictures) == ["1950/lake.png", "c.png"]


def test_borders_and_straighten_are_kept_only_when_on() -> None:
    from panchro.engine.fields import FieldError

    on = AlbumSettings(colorize=True, borders=True, straighten=True)
    assert AlbumSettings.from_dict(on.to_dict()) == on
    assert {"borders", "straighten"}.isdisjoint(AlbumSettings().to_dict())
    for key in ("borders", "straighten"):
        with pytest.raises(FieldError, match=f"settings.{key}"):
            AlbumSettings.from_dict({**AlbumSettings().to_dict(), key: "yes"})
