"""The .panchro project file (panchro.engine.project): round trip, damage, changed sources, cuts."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from panchro.engine.errors import BadInputError
from panchro.engine.imaging import color
from panchro.engine.project import (
    FORMAT,
    VERSION,
    Pick,
    Project,
    Settings,
    backup_path,
)
from panchro.engine.shots import Shot
from tests.makemedia import make_frame_folder, make_video


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """36 frames with cuts at 12 and 24."""
    return make_video(tmp_path_factory.mktemp("project") / "film.mp4", frames=36, cuts=(12, 24))


def _pick(seed: int, locked: bool = False) -> Pick:
    rng = np.random.default_rng(seed)
    chroma = rng.integers(0, 32, (2, 28, 28), dtype=np.uint8)
    return Pick(seed, 0.8, 2, chroma, locked=locked, source="user" if locked else "auto")


def _project(film: Path) -> Project:
    p = Project.new(film, shots=[Shot(0, 12, 6), Shot(12, 24, 18), Shot(24, 36, 30)])
    p.set_pick(1, _pick(7, locked=True))
    return p.with_settings(colorize=True, degrain=0.25, upscale=2, codec="prores", bit_depth=10)


def test_round_trip_keeps_everything(film: Path, tmp_path: Path) -> None:
    project = _project(film)
    path = project.save(tmp_path / "film.panchro")
    doc = json.loads(path.read_text())
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    assert doc["source"]["path"] == str(film.resolve()) and doc["source"]["frame_count"] == 36
    assert doc["source"]["fps"] == "24/1" and len(doc["source"]["sha256"]) == 64
    assert doc["shots"][0]["pick"] is None and doc["shots"][1]["pick"]["locked"] is True
    back = Project.load(path)
    assert back.to_dict() == project.to_dict()
    assert back.picks[1] == project.picks[1]
    assert np.array_equal(back.picks[1].chroma, project.picks[1].chroma)
    assert back.settings == Settings(True, 0.25, 2, "prores", 10)
    assert back.path == path
    assert not backup_path(path).exists()  # nothing was replaced yet


def test_a_pick_from_a_reference_picture_round_trips_and_unknown_sources_are_refused(
    film: Path, tmp_path: Path
) -> None:
    project = _project(film)
    chroma = np.full((2, 28, 28), 20, np.uint8)
    project.set_pick(2, Pick(0, 0.0, 0, chroma, locked=True, source="reference"))
    back = Project.load(project.save(tmp_path / "ref.panchro"))
    assert back.picks[2] is not None and back.picks[2].source == "reference"
    doc = json.loads((tmp_path / "ref.panchro").read_text())
    doc["shots"][2]["pick"]["source"] = "guess"
    (tmp_path / "bad.panchro").write_text(json.dumps(doc))
    with pytest.raises(BadInputError, match="source.*guess"):
        Project.load(tmp_path / "bad.panchro")
    with pytest.raises(ValueError, match="source"):
        Pick(0, 0.0, 0, chroma, source="guess")  # type: ignore[arg-type]


def test_chroma_text_is_base64_of_the_bins() -> None:
    """One text form for picks in projects and candidates on the wire (imaging.color)."""
    bins = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 32
    text = color.encode_bins(bins)
    assert text == base64.b64encode(bins.astype(np.uint8).tobytes()).decode("ascii")
    assert np.array_equal(color.decode_bins(text), bins)
    too_high = base64.b64encode(np.full((2, 28, 28), 40, np.uint8).tobytes()).decode("ascii")
    for bad in ("!!!", text[:-8], "QUJD", too_high):
        with pytest.raises(ValueError):
            color.decode_bins(bad)
    with pytest.raises(ValueError):
        color.encode_bins(np.full((2, 28, 28), 40, np.uint8))


def test_saving_again_keeps_the_previous_file_as_bak(film: Path, tmp_path: Path) -> None:
    path = tmp_path / "film.panchro"
    project = _project(film)
    project.save(path)
    first = path.read_bytes()
    project.split(6)
    project.save()
    assert backup_path(path).read_bytes() == first
    assert len(Project.load(path).shots) == 4
    # Hidden beside the project: the folder a restorer arranged shows only their files.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".film.panchro.bak", "film.panchro"]


def test_a_backup_is_named_when_the_project_is_damaged(film: Path, tmp_path: Path) -> None:
    path = tmp_path / "film.panchro"
    project = _project(film)
    project.save(path)
    # An older Panchro kept its backup as film.panchro.bak, in sight: it is left alone,
    # and named while it is the only backup.
    old = tmp_path / "film.panchro.bak"
    first = path.read_bytes()
    old.write_bytes(first)
    path.write_text("{")
    with pytest.raises(BadInputError) as err:
        Project.load(path)
    assert "not valid JSON" in str(err.value) and str(old) in str(err.value)
    project.save(path)
    project.save(path)
    assert old.read_bytes() == first
    path.write_text("")
    with pytest.raises(BadInputError) as err:
        Project.load(path)
    assert str(backup_path(path)) in str(err.value) and "hidden" in str(err.value)
    assert Project.load(backup_path(path)).to_dict() == project.to_dict()


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda t: t[: len(t) // 2], "not valid JSON"),
        (lambda t: "", "empty"),
        (lambda t: t.replace('"panchro.project"', '"something.else"'), "not a Panchro project"),
        (lambda t: t.replace('"version": 1', '"version": 2'), "newer Panchro"),
        (lambda t: t.replace('"end": 12', '"end": 11'), "shots[1].start"),
        (lambda t: t.replace('"upscale": 2', '"upscale": 3'), "upscale"),
        (lambda t: t.replace('"locked": true', '"locked": "yes"'), "shots[1].pick.locked"),
        (lambda t: t.replace('"degrain": 0.25', '"degrain": 7'), "settings.degrain"),
    ],
)
def test_a_damaged_file_is_refused_and_the_backup_left_alone(
    film: Path, tmp_path: Path, damage, words: str
) -> None:
    path = tmp_path / "film.panchro"
    project = _project(film)
    project.save(path)
    project.save(path)  # now there is a .bak
    bak = backup_path(path)
    good = bak.read_bytes()
    path.write_text(damage(path.read_text()))
    with pytest.raises(BadInputError) as err:
        Project.load(path)
    assert str(path) in str(err.value) and words in str(err.value)
    assert bak.read_bytes() == good
    # Saving over the damaged file must not make the damage the backup.
    project.save(path)
    assert bak.read_bytes() == good
    assert Project.load(path).to_dict() == project.to_dict()


def test_changed_source_is_named(film: Path, tmp_path: Path) -> None:
    copy = tmp_path / "film.mp4"
    shutil.copyfile(film, copy)
    project = Project.new(copy)
    assert project.check_source() == []
    moved = tmp_path / "moved.mp4"
    copy.rename(moved)
    assert project.check_source() == [f"the source {copy} is missing"]
    assert project.check_source(moved) == []  # the same film elsewhere is recognised
    make_video(copy, frames=48)  # another film under the old name
    changes = project.check_source()
    assert any(c.startswith("size changed") for c in changes)
    assert any(c.startswith("content changed") for c in changes)
    assert "duration changed: 1.500 s -> 2.000 s" in changes
    assert "frame count changed: 36 -> 48" in changes


def test_a_frame_folder_is_a_source_too(tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "frames", 6, (64, 48))
    project = Project.new(folder, fps=12)
    assert project.source.frame_count == 6 and project.check_source() == []
    (folder / "f6.png").unlink()
    changes = project.check_source()
    assert "frame count changed: 6 -> 5" in changes


def test_split_and_merge_move_the_pick_with_its_key_frame(film: Path) -> None:
    project = _project(film)
    assert project.split(16) == 2  # shot 1 (12..24, key 18) cut at 16: key in the right part
    assert project.shots[1:3] == [Shot(12, 16, 13), Shot(16, 24, 18)]
    assert project.picks[1] is None and project.picks[2] is not None
    project.split(14)  # key 13 is left of the cut: the right part gets its middle frame
    assert project.shots[1:3] == [Shot(12, 14, 13), Shot(14, 16, 14)]
    assert [(s.start, s.end) for s in project.shots] == [(0, 12), (12, 14), (14, 16), (16, 24),
                                                           (24, 36)]  # fmt: skip
    with pytest.raises(ValueError):
        project.split(14)  # already a cut
    project.merge(2)  # 14..20 (no pick) + 20..24 (locked pick): the pick and its key stay
    assert project.shots[2] == Shot(14, 24, 18) and project.picks[2].locked
    project.set_pick(0, _pick(1))
    project.merge(0)  # unlocked pick + no pick: the pick stays
    assert project.shots[0] == Shot(0, 14, 6) and project.picks[0].seed == 1
    project.merge(0)  # unlocked + locked: the locked one wins
    assert project.shots[0] == Shot(0, 24, 18) and project.picks[0].locked
    assert len(project.shots) == 2 and project.shots[-1].end == 36
    with pytest.raises(IndexError):
        project.merge(1)


def test_shots_must_cover_the_film(film: Path) -> None:
    with pytest.raises(ValueError, match="end at frame 30"):
        Project.new(film, shots=[Shot(0, 30, 3)])
    with pytest.raises(ValueError, match="key"):
        Project.new(film, shots=[Shot(0, 36, 40)])


def test_the_part_last_exported_round_trips_and_a_bad_one_is_refused(
    film: Path, tmp_path: Path
) -> None:
    path = tmp_path / "film.panchro"
    _project(film).save(path)
    assert "part" not in json.loads(path.read_text())["settings"]  # the whole film: not written
    assert Project.load(path).settings.part is None
    project = _project(film).with_settings(part=(5, 20))
    project.save(path)
    assert json.loads(path.read_text())["settings"]["part"] == [5, 20]
    assert Project.load(path).settings.part == (5, 20)
    doc = json.loads(path.read_text())
    for bad, words in (([20, 5], "first < stop"), ([5], "settings.part"), ("5-20", "part")):
        doc["settings"]["part"] = bad
        path.write_text(json.dumps(doc))
        with pytest.raises(BadInputError, match=words):
            Project.load(path)
