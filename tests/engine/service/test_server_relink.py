"""`load_project` of a project whose film moved: found beside the project when the two moved
together, found where a person says it is (`source_path`), and said to be missing, or not the
same film, when it is neither; `save_project` answered while a render runs."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from panchro.engine.service.client import EngineClient
from tests.makemedia import make_video

TIMEOUT = 60.0
SHOTS = [{"start": 0, "end": 12, "key_frame": 6}, {"start": 12, "end": 24, "key_frame": 18}]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineClient]:
    log = tmp_path_factory.mktemp("log") / "engine.log"
    client = EngineClient.start(stderr=log)
    yield client
    assert client.close(timeout=30) == 0


def _saved(engine: EngineClient, folder: Path) -> Path:
    """A film and its project, side by side in `folder`; the film closed again."""
    folder.mkdir(parents=True, exist_ok=True)
    film = make_video(folder / "film.mp4", frames=24, cuts=(12,), audio=False)
    handle = engine.request("open", path=str(film)).data["film"]
    project = folder / "film.panchro"
    engine.request("save_project", TIMEOUT, film=handle, project_path=str(project), shots=SHOTS)
    engine.request("close", film=handle)
    return project


def _load(engine: EngineClient, project: Path, **more: str) -> dict:
    return engine.request("load_project", TIMEOUT, project_path=str(project), **more).data


def test_a_project_and_its_film_moved_together_are_found(
    engine: EngineClient, tmp_path: Path
) -> None:
    _saved(engine, tmp_path / "first")
    (tmp_path / "first").rename(tmp_path / "archive")  # another disk, another machine
    data = _load(engine, tmp_path / "archive" / "film.panchro")
    assert data["source"]["path"] == str(tmp_path / "archive" / "film.mp4")
    assert data["relinked"] == {
        "from": str(tmp_path / "first" / "film.mp4"),
        "to": str(tmp_path / "archive" / "film.mp4"),
        "how": "beside the project",
    }
    assert data["source_changes"] == [] and data["source_missing"] is False
    assert [s["start"] for s in data["shots"]] == [0, 12]


def test_a_film_moved_alone_is_missing_until_located(engine: EngineClient, tmp_path: Path) -> None:
    project = _saved(engine, tmp_path / "work")
    elsewhere = tmp_path / "elsewhere" / "renamed.mp4"
    elsewhere.parent.mkdir()
    shutil.move(tmp_path / "work" / "film.mp4", elsewhere)
    data = _load(engine, project)
    assert data["source_missing"] is True and "relinked" not in data
    assert data["source_changes"] == [f"the source {tmp_path / 'work' / 'film.mp4'} is missing"]
    found = _load(engine, project, source_path=str(elsewhere))
    assert found["source_missing"] is False and found["source_changes"] == []
    assert found["source"]["path"] == str(elsewhere) and found["relinked"]["how"] == "located"
    # Another film where the person looked: opened with what differs said, not as the same.
    other = make_video(tmp_path / "elsewhere" / "other.mp4", frames=30, audio=False)
    wrong = _load(engine, project, source_path=str(other))
    assert wrong["source_missing"] is False and wrong["relinked"]["how"] == "located"
    assert any("frame count changed: 24 -> 30" in c for c in wrong["source_changes"])


def test_another_film_of_the_same_name_beside_it_is_not_taken(
    engine: EngineClient, tmp_path: Path
) -> None:
    project = _saved(engine, tmp_path / "first")
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(project, moved / project.name)
    (tmp_path / "first" / "film.mp4").unlink()
    make_video(moved / "film.mp4", frames=30, audio=False)  # a namesake, not the film
    data = _load(engine, moved / project.name)
    assert data["source_missing"] is True and "relinked" not in data


def test_a_save_is_answered_while_an_export_runs(engine: EngineClient, tmp_path: Path) -> None:
    """Saving is light work: it does not wait behind a render on the job lane (before, a
    Save during a night's export waited for the morning)."""
    film = make_video(tmp_path / "long.mp4", frames=96, size=(192, 144), audio=False)
    handle = engine.request("open", path=str(film)).data["film"]
    started: list[dict] = []
    render = engine.send(
        "render", on_progress=started.append, film=handle, output=str(tmp_path / "out.mkv"),
        codec="ffv1", dust=1.0,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started, "the render did not start"
    saved = engine.request("save_project", TIMEOUT, film=handle,
                           project_path=str(tmp_path / "during.panchro"))  # fmt: skip
    assert saved.data["project_path"] == str(tmp_path / "during.panchro")
    assert render not in engine._replies  # the export is still running
    assert engine.wait(render, 300).ok
