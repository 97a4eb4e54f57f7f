"""Room on the disk for an export: the need watched as the chunks come (a warning, once),
and the join refused where the disk cannot hold the film beside its chunks, the chunks kept
so the same call joins them once room is made."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from panchro.engine.errors import OutputError
from panchro.engine.progress import Progress, ProgressState, TerminalBar
from panchro.engine.restore import pipeline, room
from tests.makemedia import make_video

FRAMES = 48


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("room") / "film.mp4", frames=FRAMES, audio=False)


def _restore(film: Path, out: Path, states: list[ProgressState] | None = None) -> object:
    progress = Progress(None, states.append if states is not None else None)
    return pipeline.restore(film, out, codec="ffv1", chunk_seconds=0.25, progress=progress,
                            keep_job=True)  # fmt: skip


def test_a_warning_when_the_export_will_not_fit(
    film: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _restore(film, tmp_path / "measure.mkv")
    size = (tmp_path / "measure.mkv").stat().st_size
    # room for the joined film beside its chunks, not for the chunks still to come as well
    monkeypatch.setattr(room, "free_bytes", lambda _folder: room.SAFETY + int(1.5 * size))
    states: list[ProgressState] = []
    _restore(film, tmp_path / "tight.mkv", states)
    warned = {s.warning for s in states if s.warning}
    assert len(warned) == 1
    said = warned.pop()
    assert said.startswith("the disk may fill: at the size of the chunks written so far")
    assert "then the film joined beside them" in said
    first = next(i for i, s in enumerate(states) if s.warning)
    assert states[first].done < FRAMES // 2  # said early, not at the end
    assert all(s.warning == said for s in states[first:])  # and carried on
    assert (tmp_path / "tight.mkv").stat().st_size == size

    monkeypatch.setattr(room, "free_bytes", lambda _folder: 10**15)
    states.clear()
    _restore(film, tmp_path / "roomy.mkv", states)
    assert not any(s.warning for s in states)


def test_the_join_waits_for_room_and_the_chunks_are_kept(
    film: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "full.mkv"
    monkeypatch.setattr(room, "free_bytes", lambda _folder: room.SAFETY)
    with pytest.raises(OutputError, match=r"joining the \d+ chunks into the film needs about") as e:
        _restore(film, out)
    assert "make " in str(e.value) and "the finished chunks are kept" in str(e.value)
    # the need said holds what is kept spare: it said "needs about 0 MB … has 17 MB"
    said = re.search(r"needs about ([\d.]+) MB .* the disk has ([\d.]+) MB", str(e.value))
    assert said and float(said[1]) > float(said[2]) and "16 MB for its index" in str(e.value)
    assert not out.exists() and (tmp_path / "full.mkv.panchro-job").is_dir()

    monkeypatch.setattr(room, "free_bytes", lambda _folder: 10**15)  # room made
    summary = _restore(film, out)
    assert out.is_file() and summary.resumed_frames == FRAMES  # joined, nothing done again
    assert not (tmp_path / "full.mkv.panchro-job").exists()


def test_a_small_film_on_a_small_disk_is_joined(
    film: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk with a few tens of MB free (a USB stick) holds a film of a few MB: it was
    refused for want of the 256 MB kept for the rest of the disk's work."""
    monkeypatch.setattr(room, "free_bytes", lambda _folder: room.SAFETY + (48 << 20))
    states: list[ProgressState] = []
    summary = _restore(film, tmp_path / "stick.mkv", states)
    assert summary.frames == FRAMES and (tmp_path / "stick.mkv").is_file()
    assert not any(s.warning for s in states)


def test_a_folder_of_frames_is_joined_by_links(
    film: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(room, "free_bytes", lambda _folder: room.MARGIN)
    progress = Progress(None)
    pipeline.restore(film, tmp_path / "frames", codec="png16", chunk_seconds=0.25,
                     progress=progress)  # fmt: skip
    assert len(list((tmp_path / "frames").iterdir())) == FRAMES


def test_the_terminal_says_a_warning_once() -> None:
    out = io.StringIO()
    bar = TerminalBar("restore", stream=out)
    for done in range(3):
        bar(ProgressState(done, 3, "", float(done), None, None, warning="the disk may fill"))
    assert out.getvalue().count("warning: the disk may fill") == 1
