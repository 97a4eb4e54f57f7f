"""A film with frames that do not decode: every pass over it goes on as the export does (the
good frame before a damaged one in its place), where shot detection, the stages that need
shots and the key frame's colours stopped at the first damaged frame."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from makemedia import make_video, with_broken_frame

from panchro.engine import media
from panchro.engine.errors import BadInputError
from panchro.engine.project import Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.stages import build_stages
from panchro.engine.service.client import EngineClient
from panchro.engine.shots import detect_shots

BROKEN = 30


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("damaged")
    good = make_video(folder / "good.mp4", frames=48, gop=12, cuts=(20,))
    return good, with_broken_frame(good, BROKEN, folder / "bad.mp4")


def test_a_damaged_frame_read_alone_is_the_good_one_before_it(films: tuple[Path, Path]) -> None:
    _, bad = films
    with media.open_source(bad) as src:
        with pytest.raises(BadInputError):
            src.read_frame(BROKEN, fmt="gray")
        # (the frame before decodes after the damaged one, B-frames being in the film)
        before_frame = src.read_frame(BROKEN - 1, fmt="gray", conceal=True)
        assert not before_frame.damaged
        before = before_frame.image
        stood_in = src.read_frame(BROKEN, fmt="gray", conceal=True)
        assert stood_in.damaged and stood_in.index == BROKEN
        np.testing.assert_array_equal(stood_in.image, before)
        after = src.read_frame(BROKEN + 1, fmt="gray", conceal=True)  # the cursor goes on
        assert not after.damaged and not np.array_equal(after.image, before)


def test_shots_and_the_stages_that_need_them_go_on_over_damaged_frames(
    films: tuple[Path, Path], tmp_path: Path
) -> None:
    good, bad = films
    assert [s.start for s in detect_shots(bad)] == [s.start for s in detect_shots(good)] == [0, 20]
    summary = pipeline.restore(
        bad, tmp_path / "out.mkv", codec="ffv1", stages=build_stages(Settings(deflicker=1.0))
    )
    assert summary.frames == 48 and summary.damaged_frames == (BROKEN,)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineClient]:
    client = EngineClient.start(stderr=tmp_path_factory.mktemp("log") / "engine.log")
    yield client
    assert client.close(timeout=30) == 0


def test_the_app_is_shown_the_damaged_frame_as_the_export_has_it(
    engine: EngineClient, films: tuple[Path, Path]
) -> None:
    _, bad = films
    film = engine.request("open", 60, path=str(bad)).data["film"]
    assert len(engine.request("shots", 120, film=film).data["shots"]) == 2
    shown = engine.request("frame", 60, film=film, index=BROKEN).data
    assert shown["index"] == BROKEN and shown["damaged"] is True
    assert "damaged" not in engine.request("frame", 60, film=film, index=BROKEN - 1).data


def test_a_damaged_packet_is_said_once(films: tuple[Path, Path], caplog) -> None:
    """Finding the shots and the export each met it, and each said it: twice, the same."""
    from panchro.engine.media import decode

    _, bad = films
    decode._SAID_DAMAGED.clear()  # the tests before met it in this process
    caplog.set_level("WARNING")
    for _ in range(2):
        with media.open_source(bad) as src:
            assert any(f.damaged for f in src.frames(conceal=True))
    said = [r for r in caplog.records if "cannot be decoded" in r.getMessage()]
    assert len(said) == 1 and "the frame before stands in for it" in said[0].getMessage()
