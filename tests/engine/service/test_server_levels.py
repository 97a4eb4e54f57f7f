"""A faded film through the engine process: its levels measured as the shots are found, an
open with `levels` read stretched by every request (frames, renders), a bad pair refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from makemedia import write_still

from panchro.engine import media
from panchro.engine.service.client import EngineClient, EngineError


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineClient]:
    client = EngineClient.start(stderr=tmp_path_factory.mktemp("log") / "engine.log")
    yield client
    assert client.close(timeout=30) == 0


def _faded(folder: Path) -> Path:
    folder.mkdir()
    x = np.linspace(0.25, 0.7, 64)[None, :].repeat(48, 0)
    for i in range(8):
        write_still(folder / f"f{i}.png", np.round(np.roll(x, 4 * i, 1) * 255).astype(np.uint8))
    return folder


def test_levels_measured_opened_with_and_rendered(engine: EngineClient, tmp_path: Path) -> None:
    folder = _faded(tmp_path / "faded")
    plain = engine.request("open", 60, path=str(folder)).data["film"]
    found = engine.request("shots", 120, film=plain).data
    black, white = found["levels"]
    assert abs(black - 0.25) < 0.01 and abs(white - 0.7) < 0.01 and found["faded"] is True
    opened = engine.request("open", 60, path=str(folder), levels=[black, white]).data
    assert opened["info"]["levels"] == [black, white]
    # measured on the film as it is read but for its own levels: the same points again
    again = engine.request("shots", 120, film=opened["film"]).data
    assert again["levels"] == [black, white]
    out = tmp_path / "out.mkv"
    engine.request("render", 120, film=opened["film"], output=str(out), codec="ffv1")
    with media.open_source(out) as made:
        grey = made.read_frame(3, fmt="gray").image
    assert grey.min() <= 3 and grey.max() >= 252
    with pytest.raises(EngineError, match="levels must be a black and a white point"):
        engine.request("open", 60, path=str(folder), levels=[0.7, 0.25])


def _pictures(reply) -> dict[str, np.ndarray]:
    import io

    from PIL import Image

    out = {}
    for part in reply.data["images"]:
        raw = reply.blob[part["offset"] : part["offset"] + part["length"]]
        out[part["name"]] = np.asarray(Image.open(io.BytesIO(raw)).convert("L"), np.float64)
    return out


def test_compare_shows_the_frame_as_its_file_holds_it(engine: EngineClient, tmp_path: Path) -> None:
    """With levels stretched as the film is read, a preview's *before* is the faded frame of
    the file and its *after* the stretched one; the preview is given even with nothing else
    to restore. Read as it is, *before* is the frame as read, as always."""
    folder = _faded(tmp_path / "faded")
    opened = engine.request("open", 60, path=str(folder), levels=[0.25, 0.7]).data["film"]
    reply = engine.request("preview", 60, film=opened, index=2, max_side=64)
    seen = _pictures(reply)
    assert reply.data["before_as_coded"] == "levels stretched from 25%–70%"
    assert seen["before"].min() >= 60 and seen["before"].max() <= 185  # faded, as filed
    assert seen["after"].min() <= 6 and seen["after"].max() >= 249  # stretched, as read
    assert reply.data["luma_max_diff"] == 0.0  # nothing restored beyond reading it
    plain = engine.request("open", 60, path=str(folder)).data["film"]
    with pytest.raises(EngineError, match="nothing to restore"):
        engine.request("preview", 60, film=plain, index=2, max_side=64)
    coloured = engine.request("preview", 60, film=plain, index=2, max_side=64, deflicker=1.0)
    assert "before_as_coded" not in coloured.data
    assert _pictures(coloured)["before"].max() <= 185  # as read: the file's own values
