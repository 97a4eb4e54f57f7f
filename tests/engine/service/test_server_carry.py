"""`carry_pick` through a real engine process: a picked shot's colours matched onto the other
shots of its scene (moved with what they colour, not copied in place), another scene left as
it was, the walk outwards that stops where the scene ends, and the refusals."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from panchro.engine.imaging import color
from panchro.engine.service.client import EngineClient, EngineError
from tests.makemedia import scene_film
from tests.makemodels import (
    engine_with_small_models,
)

TIMEOUT = 120.0
W, H = 160, 120


# Shots of 12 frames: the scene, the scene mirrored (another framing of it), another scene,
# and the scene again after it (`scene_film`).
SHOTS = [{"start": s, "end": s + 12, "key_frame": s + 6} for s in (0, 12, 24, 36)]


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scene_film(tmp_path_factory.mktemp("carry") / "scene.mkv")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineClient]:
    client = engine_with_small_models(tmp_path_factory.mktemp("models"))
    yield client
    assert client.close(timeout=30) == 0


@pytest.fixture(scope="module")
def film_id(engine: EngineClient, film: Path) -> int:
    return int(engine.request("open", path=str(film)).data["film"])


def _red_left_blue_right() -> dict[str, Any]:
    cb, cr = np.zeros((28, 28)), np.zeros((28, 28))
    cb[:, :14], cr[:, :14] = -0.1, 0.2  # the bright half red
    cb[:, 14:], cr[:, 14:] = 0.2, -0.1  # the dark half blue
    chroma = color.encode_bins(color.quantize_chroma(np.stack([cb, cr])))
    return {"seed": 3, "temperature": 1.0, "index": 1, "chroma": chroma, "locked": True,
            "source": "user"}  # fmt: skip


def _carry(engine: EngineClient, film_id: int, targets: list[int], **more: Any) -> Any:
    return engine.request(
        "carry_pick", TIMEOUT, film=film_id, index=6, shot=SHOTS[0], pick=_red_left_blue_right(),
        targets=[SHOTS[n] for n in targets], max_side=W, **more,
    )  # fmt: skip


def test_a_picks_colours_follow_what_they_colour_into_another_framing(
    engine: EngineClient, film_id: int
) -> None:
    reply = _carry(engine, film_id, [1, 2], stop_after=0)
    found = {e["start"]: e for e in reply.data["shots"]}
    assert set(found) == {12, 24} and reply.data["not_reached"] == 0
    mirrored, other = found[12], found[24]
    assert mirrored["strength"] > 0 and mirrored["pick"]["source"] == "carried"
    assert mirrored["pick"]["locked"] is True
    bins = color.decode_bins(mirrored["pick"]["chroma"]).astype(np.float64)
    # the bright half is on the right now, and its red went with it (copied in place, the
    # right would be blue)
    assert bins[1][:, 18:].mean() > bins[1][:, :10].mean() + 3
    assert bins[0][:, :10].mean() > bins[0][:, 18:].mean() + 3
    # another scene lends nothing: no pick, and it keeps what it had
    assert other["pick"] is None and other["strength"] == 0.0 and other["fit"] < mirrored["fit"]
    # the key frame coloured by the carried pick, as a render colours it
    (part,) = reply.data["images"]
    assert part["start"] == 12
    jpeg = reply.blob[part["offset"] : part["offset"] + part["length"]]
    rgb = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), np.float64) / 255.0
    cr = color.rgb_to_ycbcr(rgb, matrix="bt601")[..., 2]
    assert rgb.shape[:2] == (H, W) and cr[:, W // 2 :].mean() > cr[:, : W // 2].mean() + 0.02


def test_the_walk_stops_where_the_scene_ends(engine: EngineClient, film_id: int) -> None:
    # Outwards from shot 1: shot 2 fits, shot 3 (another scene) does not, and with one miss
    # allowed the walk stops there: shot 4, the scene again, is not reached.
    reply = _carry(engine, film_id, [1, 2, 3], stop_after=1)
    assert [e["start"] for e in reply.data["shots"]] == [12, 24]
    assert reply.data["not_reached"] == 1
    every = _carry(engine, film_id, [1, 2, 3], stop_after=0)  # the whole film
    assert [e["start"] for e in every.data["shots"]] == [12, 24, 36]
    assert every.data["shots"][2]["pick"] is not None


def test_carried_picks_keep_in_a_project(
    engine: EngineClient, film_id: int, tmp_path: Path
) -> None:
    carried = _carry(engine, film_id, [1]).data["shots"][0]["pick"]
    target = tmp_path / "scene.panchro"
    engine.request(
        "save_project", TIMEOUT, film=film_id, project_path=str(target), shots=SHOTS,
        picks=[_red_left_blue_right(), carried, None, None],
    )  # fmt: skip
    loaded = engine.request("load_project", TIMEOUT, project_path=str(target)).data
    assert loaded["shots"][1]["pick"]["source"] == "carried"
    assert loaded["shots"][1]["pick"]["chroma"] == carried["chroma"]


def test_bad_carry_requests_are_refused_saying_why(engine: EngineClient, film_id: int) -> None:
    common = {"film": film_id, "index": 6, "shot": SHOTS[0]}
    cases = [
        ({"targets": [SHOTS[1]]}, "'pick' is missing"),
        ({"pick": _red_left_blue_right(), "targets": []}, "1 to"),
        ({"pick": _red_left_blue_right(), "targets": [{"start": 40, "end": 99}]}, "targets[0]"),
        ({"pick": _red_left_blue_right(), "targets": [SHOTS[1]], "stop_after": -1}, "stop_after"),
    ]
    for extra, words in cases:
        with pytest.raises(EngineError) as err:
            engine.request("carry_pick", TIMEOUT, **common, **extra)
        assert err.value.code == "bad_request" and words in err.value.message, err.value.message


def _picture(reply: Any, part: dict[str, Any]) -> np.ndarray:
    jpeg = reply.blob[part["offset"] : part["offset"] + part["length"]]
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), np.float64) / 255.0


def test_picked_key_frames_are_coloured_as_their_picks_colour_them(
    engine: EngineClient, film_id: int
) -> None:
    """`pick_pictures` (a reopened project's strip): each key frame in its pick's colours,
    as `hint_preview` colours the one frame; refusals name what is wrong."""
    grey = {**_red_left_blue_right(), "chroma": color.encode_bins(
        color.quantize_chroma(np.zeros((2, 28, 28)))), "source": "grey"}  # fmt: skip
    shots = [SHOTS[0] | {"pick": _red_left_blue_right()}, SHOTS[2] | {"pick": grey}]
    reply = engine.request("pick_pictures", TIMEOUT, film=film_id, shots=shots, max_side=W)
    parts = reply.data["images"]
    assert [p["start"] for p in parts] == [0, 24]
    red_blue, kept_grey = (_picture(reply, p) for p in parts)
    ycc = color.rgb_to_ycbcr(red_blue, matrix="bt601")
    assert red_blue.shape[:2] == (H, W)
    assert ycc[:, : W // 2, 2].mean() > ycc[:, W // 2 :, 2].mean() + 0.05  # red left
    assert ycc[:, W // 2 :, 1].mean() > ycc[:, : W // 2, 1].mean() + 0.05  # blue right
    assert np.abs(kept_grey - kept_grey.mean(axis=2, keepdims=True)).max() < 0.03
    one = engine.request(
        "hint_preview", TIMEOUT, film=film_id, index=6, shot=SHOTS[0],
        pick=_red_left_blue_right(), max_side=W,
    )  # fmt: skip
    after = next(p for p in one.data["images"] if p["name"] == "after")
    assert np.abs(_picture(one, after) - red_blue).mean() < 0.01  # the same colours

    common = {"film": film_id}
    cases = [
        ({"shots": []}, "1 to 64 shots"),
        ({"shots": [SHOTS[0]]}, "shots[0]"),  # no pick
        ({"shots": [SHOTS[0] | {"pick": None}]}, "has neither a pick nor hints"),
        ({"shots": [{"start": 40, "end": 99, "pick": grey}]}, "not within the film"),
        ({"shots": shots, "quality": 0}, "quality"),
    ]
    for extra, words in cases:
        with pytest.raises(EngineError) as err:
            engine.request("pick_pictures", TIMEOUT, **common, **extra)
        assert err.value.code == "bad_request" and words in err.value.message, err.value.message


def test_an_album_pictures_colours_follow_what_they_colour(
    engine: EngineClient, tmp_path: Path
) -> None:
    """`carry_picture`: an album's picture lends its colours to its mirrored twin (moved with
    what they colour), not to a picture of another scene; refusals name what is wrong."""
    box = tmp_path / "box"
    box.mkdir()
    y, x = np.mgrid[0:H, 0:W]
    scene = np.where(x < W // 2, 200 - y * 0.3, 50 + 40 * (((x // 6) + (y // 6)) % 2))
    for name, grey in (("a.png", scene), ("b.png", scene[:, ::-1]), ("c.png", y * 2.0)):
        Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)).save(box / name)
    album = engine.request("open_album", TIMEOUT, paths=[str(box)]).data["album"]
    common = {"album": album, "picture": "a.png", "max_side": W}
    reply = engine.request(
        "carry_picture", TIMEOUT, **common, pick=_red_left_blue_right(),
        targets=["b.png", "c.png"],
    )  # fmt: skip
    found = {e["picture"]: e for e in reply.data["pictures"]}
    twin = color.decode_bins(found["b.png"]["pick"]["chroma"]).astype(np.float64)
    assert found["b.png"]["pick"]["source"] == "carried"
    assert twin[1][:, 18:].mean() > twin[1][:, :10].mean() + 3  # the red went with the light
    assert found["c.png"]["pick"] is None and found["c.png"]["strength"] == 0.0
    assert [part["picture"] for part in reply.data["images"]] == ["b.png"]
    for extra, words in (
        ({"targets": ["b.png"]}, "'pick' is missing"),
        ({"pick": _red_left_blue_right(), "targets": ["z.png"]}, "'z.png' is not in album"),
    ):
        with pytest.raises(EngineError) as err:
            engine.request("carry_picture", TIMEOUT, **common, **extra)
        assert err.value.code == "bad_request" and words in err.value.message
