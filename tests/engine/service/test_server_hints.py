"""Colour hints through a real engine process: `hint_preview`, and the hints that
`sample_keyframe`, `preview`, `render` and the project requests carry."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from panchro.engine.imaging import color
from panchro.engine.imaging.hints import parse_hints
from panchro.engine.inference.colorize import locked_bins
from panchro.engine.service.client import EngineClient, EngineError
from panchro.engine.service.protocol import Event
from tests.makemedia import make_video
from tests.makemodels import (
    engine_with,
    engine_with_small_models,
)

TIMEOUT = 90.0
W, H = 160, 120
SHOTS = [{"start": 0, "end": 12, "key_frame": 6}, {"start": 12, "end": 24, "key_frame": 18}]
RED = [220, 30, 30]
# A wide red stroke across the middle of the second shot's key frame: wide enough to survive
# the shot's 28 x 28 chroma hint, so a render shows it.
STROKE = {"frame": 18, "points": [[40, 60], [120, 60]], "width": 24, "rgb": RED}
HINTS = {"version": 1, "points": [{"frame": 18, "x": 80, "y": 30, "rgb": RED}],
         "strokes": [STROKE]}  # fmt: skip


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 frames of 160x120, a cut at 12."""
    return make_video(tmp_path_factory.mktemp("film") / "film.mp4", frames=24, cuts=(12,),
                      pattern="gray")  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineClient]:
    """An engine with a small untrained colorizer (28 x 28 chroma) and refiner."""
    client = engine_with_small_models(tmp_path_factory.mktemp("models"))
    yield client
    assert client.close(timeout=30) == 0


@pytest.fixture(scope="module")
def film_id(engine: EngineClient, film: Path) -> int:
    return int(engine.request("open", path=str(film)).data["film"])


def _images(data: dict[str, Any], blob: bytes) -> dict[str, np.ndarray]:
    out = {}
    for part in data["images"]:
        raw = blob[part["offset"] : part["offset"] + part["length"]]
        out[part["name"]] = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"), np.float32)
    return out


def _redness(rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mean Cr of the box (x0, y0, x1, y1) of an RGB 0..255 picture: > 0 leans red."""
    x0, y0, x1, y1 = box
    ycc = color.rgb_to_ycbcr(rgb[y0:y1, x0:x1] / 255.0, matrix="bt601")
    return float(ycc[..., 2].mean())


def _pick(chroma: str) -> dict[str, Any]:
    return {"seed": 1, "temperature": 1.0, "index": 0, "chroma": chroma, "locked": True,
            "source": "user"}  # fmt: skip


def _sampled_chroma(engine: EngineClient, film_id: int, **params: Any) -> dict[str, Any]:
    return engine.request(
        "sample_keyframe", TIMEOUT, film=film_id, index=18, k=2, seed=5, **params
    ).data


def test_hint_preview_colours_the_key_frame_with_the_hints(
    engine: EngineClient, film_id: int
) -> None:
    reply = engine.request(
        "hint_preview", TIMEOUT, film=film_id, index=18, shot=SHOTS[1], hints=HINTS,
        max_side=W,
    )  # fmt: skip
    data = reply.data
    assert data["index"] == 18 and data["hints"] == 2 and data["alone"] is True
    assert data["pick"] is None  # coloured by its hints alone: nothing was sampled
    assert data["luma_max_diff"] == 0.0  # hints never touch the luma
    assert any("colour hints" in n and "Levin" in n for n in data["notes"])  # which method, said
    assert any("UNTRAINED" in n for n in data["notes"])  # the test refiner is untrained
    images = _images(data, reply.blob)
    assert images["after"].shape == (H, W, 3)
    after_red = _redness(images["after"], (50, 52, 110, 68))
    before_red = _redness(images["before"], (50, 52, 110, 68))
    assert after_red > 0.05 and after_red > before_red + 0.03
    # The other shot, picked and without hints: no word of the hints' method (the stage
    # kept between previews said the notes of those before); hinted again, it is said again.
    chroma = _sampled_chroma(engine, film_id)["candidates"][0]["chroma"]
    other = engine.request(
        "hint_preview", TIMEOUT, film=film_id, index=6, shot=SHOTS[0], hints=HINTS,
        max_side=W, pick=_pick(chroma),
    ).data  # fmt: skip
    assert other["hints"] == 0 and not any("colour hints" in n for n in other["notes"])
    assert any("UNTRAINED" in n for n in other["notes"])  # what the weights are: always
    again = engine.request(
        "hint_preview", TIMEOUT, film=film_id, index=18, shot=SHOTS[1], hints=HINTS,
        max_side=W,
    ).data  # fmt: skip
    assert any("colour hints" in n and "Levin" in n for n in again["notes"])


def test_hint_preview_of_a_shot_in_colour_lays_the_hints_over_its_own_colours(
    engine: EngineClient, tmp_path: Path
) -> None:
    """The same hints on the same film in colour: the shot keeps its own colours (`own`)
    and the hints correct them, not colour it alone; the rest of the frame is as decoded."""
    colour = make_video(tmp_path / "colour.mp4", frames=24, cuts=(12,))
    fid = engine.request("open", path=str(colour)).data["film"]
    reply = engine.request(
        "hint_preview", TIMEOUT, film=fid, index=18, shot=SHOTS[1], hints=HINTS, max_side=W
    )
    data = reply.data
    assert data["alone"] is False and data["pick"]["source"] == "own" and data["hints"] == 2
    images = _images(data, reply.blob)
    before, after = (images[k].astype(int) for k in ("before", "after"))
    assert np.abs(after[-10:] - before[-10:]).mean() < 1.5  # far from the hints: its own colours
    assert _redness(images["after"], (50, 52, 110, 68)) > _redness(images["before"],
                                                                   (50, 52, 110, 68))  # fmt: skip


def test_hint_preview_shows_the_colours_strength(engine: EngineClient, film_id: int) -> None:
    common = {"film": film_id, "index": 18, "shot": SHOTS[1], "hints": HINTS, "max_side": W}
    full = engine.request("hint_preview", TIMEOUT, **common)
    half = engine.request("hint_preview", TIMEOUT, **common, colour_strength=0.5)
    box = (50, 52, 110, 68)
    red_full = _redness(_images(full.data, full.blob)["after"], box)
    red_half = _redness(_images(half.data, half.blob)["after"], box)
    assert red_full > 0.05 and abs(red_half - red_full / 2) < 0.15 * red_full
    assert half.data["luma_max_diff"] == 0.0
    with pytest.raises(EngineError, match="colour_strength"):
        engine.request("hint_preview", TIMEOUT, **common, colour_strength=2.5)


def test_hint_preview_lays_hints_over_a_pick(engine: EngineClient, film_id: int) -> None:
    chroma = _sampled_chroma(engine, film_id)["candidates"][0]["chroma"]
    common = {"film": film_id, "index": 18, "shot": SHOTS[1], "max_side": W,
              "pick": _pick(chroma)}  # fmt: skip
    plain = engine.request("hint_preview", TIMEOUT, **common)
    hinted = engine.request("hint_preview", TIMEOUT, **common, hints=HINTS)
    assert plain.data["hints"] == 0 and hinted.data["alone"] is False
    box = (50, 52, 110, 68)
    red_plain = _redness(_images(plain.data, plain.blob)["after"], box)
    red_hinted = _redness(_images(hinted.data, hinted.blob)["after"], box)
    assert red_hinted > red_plain + 0.03
    # Hints on the other shot do not colour this one.
    elsewhere = {**HINTS, "points": [{"frame": 3, "x": 80, "y": 30, "rgb": RED}], "strokes": []}
    other = engine.request("hint_preview", TIMEOUT, **common, hints=elsewhere)
    assert other.data["hints"] == 0
    assert np.array_equal(
        _images(other.data, other.blob)["after"], _images(plain.data, plain.blob)["after"]
    )


def test_bad_hints_are_refused_naming_the_entry(engine: EngineClient, film_id: int) -> None:
    bad = [
        ({**HINTS, "points": [{"frame": 18, "x": 500, "y": 30, "rgb": RED}]}, "point 1"),
        ({**HINTS, "points": [{"frame": 18, "x": 5, "y": 5, "rgb": [256, 0, 0]}]}, "rgb"),
        ({**HINTS, "points": [{"frame": 99, "x": 5, "y": 5, "rgb": RED}]}, "24 frames"),
        ({**HINTS, "version": 2}, "version 2"),
    ]
    for hints, words in bad:
        for kind in ("hint_preview", "sample_keyframe", "preview"):
            with pytest.raises(EngineError) as err:
                engine.request(kind, TIMEOUT, film=film_id, index=18, hints=hints, colorize=True)
            assert err.value.code == "bad_request" and words in str(err.value), (kind, words)
    with pytest.raises(EngineError) as err:  # the frame must lie in the shot given
        engine.request("hint_preview", TIMEOUT, film=film_id, index=3, shot=SHOTS[1], hints=HINTS)
    assert err.value.code == "bad_request" and "not in the shot" in str(err.value)


def test_a_newer_hint_preview_supersedes_a_queued_one(engine: EngineClient, film_id: int) -> None:
    ids = [
        engine.send("hint_preview", film=film_id, index=18, shot=SHOTS[1], hints=HINTS,
                    max_side=W)
        for _ in range(5)
    ]  # fmt: skip
    replies = [engine.wait(i, timeout=TIMEOUT) for i in ids]
    kinds = [r.type for r in replies]
    assert kinds[-1] == Event.RESULT  # the last edit is always answered
    assert Event.SUPERSEDED in kinds and set(kinds) <= {Event.RESULT, Event.SUPERSEDED}
    for r in replies:
        if r.type == Event.SUPERSEDED:
            assert r.body["by"] in ids and r.body["by"] > r.id


def test_sampled_modes_keep_the_hinted_colours(engine: EngineClient, film_id: int) -> None:
    data = _sampled_chroma(engine, film_id, hints=HINTS)
    assert data["hints"] == 2
    # The cells the hints cover, as the sampler sees the (squeezed) frame, hold the hints'
    # bins in every mode.
    hints = parse_hints(HINTS).on_frames(18, 19).scaled((W, H), (data["width"], data["height"]))
    want, mask = locked_bins(hints, (data["width"], data["height"]), 28, "bt601")
    assert mask.sum() > 10
    for c in data["candidates"]:
        bins = color.decode_bins(c["chroma"], 28)
        assert np.array_equal(bins[:, mask], want[:, mask])
    free = _sampled_chroma(engine, film_id)
    assert free["hints"] == 0
    assert any(
        not np.array_equal(color.decode_bins(c["chroma"], 28)[:, mask], want[:, mask])
        for c in free["candidates"]
    )


def test_preview_and_render_use_the_hints(
    engine: EngineClient, film_id: int, tmp_path: Path
) -> None:
    chroma = _sampled_chroma(engine, film_id)["candidates"][0]["chroma"]
    restoration = {"colorize": True, "shots": SHOTS, "picks": [_pick(chroma), _pick(chroma)]}
    box = (50, 52, 110, 68)
    plain = engine.request("preview", TIMEOUT, film=film_id, index=18, max_side=W, **restoration)
    hinted = engine.request(
        "preview", TIMEOUT, film=film_id, index=18, max_side=W, hints=HINTS, **restoration
    )
    red_plain = _redness(_images(plain.data, plain.blob)["after"], box)
    red_hinted = _redness(_images(hinted.data, hinted.blob)["after"], box)
    assert red_hinted > red_plain + 0.03 and hinted.data["luma_max_diff"] == 0.0

    out = tmp_path / "hinted.mkv"
    engine.request(
        "render", TIMEOUT, film=film_id, output=str(out), codec="ffv1", hints=HINTS,
        **restoration,
    )  # fmt: skip
    with av.open(str(out)) as f:
        frames = [fr.to_ndarray(format="rgb24") for fr in f.decode(video=0)]
    assert len(frames) == 24
    assert _redness(frames[18].astype(np.float32), box) > red_plain + 0.03


def test_a_project_keeps_its_hints(engine: EngineClient, film_id: int, tmp_path: Path) -> None:
    target = tmp_path / "hinted.panchro"
    engine.request(
        "save_project", TIMEOUT, film=film_id, project_path=str(target), shots=SHOTS,
        picks=[None, None], hints=HINTS,
    )  # fmt: skip
    loaded = engine.request("load_project", TIMEOUT, project_path=str(target)).data
    assert parse_hints(loaded["hints"]) == parse_hints(HINTS)
    # A hint outside the film is refused before anything is written.
    bad = tmp_path / "bad.panchro"
    with pytest.raises(EngineError) as err:
        engine.request(
            "save_project", TIMEOUT, film=film_id, project_path=str(bad), shots=SHOTS,
            hints={**HINTS, "points": [{"frame": 18, "x": 900, "y": 1, "rgb": RED}]},
        )  # fmt: skip
    assert err.value.code == "bad_request" and "outside" in str(err.value)
    assert not bad.exists()
    # A project saved without hints has none.
    plain = tmp_path / "plain.panchro"
    engine.request("save_project", TIMEOUT, film=film_id, project_path=str(plain), shots=SHOTS)
    assert "hints" not in engine.request("load_project", TIMEOUT, project_path=str(plain)).data


def test_without_a_colorizer_hints_alone_still_colour(film: Path, tmp_path: Path) -> None:
    """No weights at all: a hinted shot is coloured by its hints (Levin 2004), and a shot with
    neither a pick nor hints is refused at once, naming the colorizer's weights."""
    with engine_with(None, tmp_path / "engine.log") as client:
        fid = client.request("open", path=str(film)).data["film"]
        reply = client.request("hint_preview", TIMEOUT, film=fid, index=18, shot=SHOTS[1],
                               hints=HINTS, max_side=W)  # fmt: skip
        assert any("no refiner weights" in n for n in reply.data["notes"])
        assert _redness(_images(reply.data, reply.blob)["after"], (50, 52, 110, 68)) > 0.05
        with pytest.raises(EngineError) as err:
            client.request("hint_preview", TIMEOUT, film=fid, index=3, shot=SHOTS[0],
                           hints=HINTS)  # fmt: skip
        assert err.value.code == "model_missing" and "colorizer" in str(err.value)
        # A preview whose every shot is hinted or picked needs no colorizer either.
        restoration = {"colorize": True, "shots": [{"start": 0, "end": 24, "key_frame": 18}]}
        reply = client.request("preview", TIMEOUT, film=fid, index=18, hints=HINTS, max_side=W,
                               **restoration)  # fmt: skip
        assert _redness(_images(reply.data, reply.blob)["after"], (50, 52, 110, 68)) > 0.05


def _key_frame_luma(film: Path, index: int) -> np.ndarray:
    with av.open(str(film)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="gray").astype(np.float64) / 255.0
    raise AssertionError("no such frame")


def test_reference_pick_lends_a_pictures_colours_as_a_pick(
    engine: EngineClient, film: Path, film_id: int, tmp_path: Path
) -> None:
    """A blue-tinted colour picture of the key frame: the pick it makes is blue, the key frame
    coloured by it is blue, its luma untouched; a hint laid over it still wins."""
    y = _key_frame_luma(film, 18)
    ycc = np.stack([y, np.full_like(y, 0.18), np.full_like(y, -0.06)], -1)
    rgb = np.clip(color.ycbcr_to_rgb(ycc, matrix="bt601"), 0, 1)
    ref = tmp_path / "blue.png"
    Image.fromarray((rgb * 255 + 0.5).astype(np.uint8)).save(ref)
    common = {"film": film_id, "index": 18, "shot": SHOTS[1], "max_side": W, "path": str(ref)}
    reply = engine.request("reference_pick", TIMEOUT, **common)
    data = reply.data
    pick = data["pick"]
    assert pick["source"] == "reference" and pick["locked"] is True
    assert data["reference"] == str(ref) and data["luma_max_diff"] == 0.0
    bins = color.decode_bins(pick["chroma"]).astype(np.float64)
    assert bins[0].mean() > 16 + 3 and bins[1].mean() < 16  # Cb up, Cr down: blue
    after = _images(data, reply.blob)["after"]
    cb = color.rgb_to_ycbcr(after / 255.0, matrix="bt601")[..., 1]
    assert cb.mean() > 0.08
    # The pick travels as any pick: a hint preview over it, with a red stroke, turns red there.
    over = engine.request(
        "hint_preview", TIMEOUT, film=film_id, index=18, shot=SHOTS[1], max_side=W,
        pick=pick, hints=HINTS,
    )  # fmt: skip
    box = (50, 52, 110, 68)
    assert _redness(_images(over.data, over.blob)["after"], box) > _redness(after, box) + 0.03


def test_a_reference_that_cannot_lend_colours_is_refused_naming_it(
    engine: EngineClient, film_id: int, tmp_path: Path
) -> None:
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((40, 60, 3), 128, np.uint8)).save(grey)
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    common = {"film": film_id, "index": 18, "shot": SHOTS[1]}
    for path, words in ((grey, "grey"), (text, "cannot be read"), (tmp_path / "no.png", "exist")):
        with pytest.raises(EngineError) as err:
            engine.request("reference_pick", TIMEOUT, **common, path=str(path))
        assert err.value.code == "bad_input"
        assert words in err.value.message and path.name in err.value.message
    with pytest.raises(EngineError) as err:
        engine.request("reference_pick", TIMEOUT, **common, path=str(grey), pick=_pick("x"))
    assert err.value.code == "bad_request"


def test_with_a_crop_every_colour_request_colours_the_picture_alone(
    engine: EngineClient, film: Path, film_id: int, tmp_path: Path
) -> None:
    """Candidates drawn for the picture inside the crop (hints on the border left out), hint
    previews and a reference pick coloured inside it with the borders grey, and the crop
    carried by the picks they make."""
    crop = [20, 10, 20, 10]
    border = {**HINTS, "points": [*HINTS["points"], {"frame": 18, "x": 6, "y": 4, "rgb": RED}]}
    drawn = _sampled_chroma(engine, film_id, crop=crop, hints=border, max_side=W)
    assert drawn["crop"] == crop and (drawn["width"], drawn["height"]) == (120, 100)
    assert drawn["hints"] == 2  # the point on the border is not the picture's
    assert _sampled_chroma(engine, film_id)["crop"] is None
    pick = {**_pick(drawn["candidates"][0]["chroma"]), "crop": crop}
    common = {"film": film_id, "index": 18, "shot": SHOTS[1], "max_side": W, "quality": 100}
    reply = engine.request("hint_preview", TIMEOUT, **common, pick=pick, hints=border, crop=crop)
    assert reply.data["pick"]["crop"] == crop and reply.data["hints"] == 2
    after = _images(reply.data, reply.blob)["after"]
    assert after.shape == (H, W, 3)  # the whole frame: the hint marks line up
    chroma = np.abs(color.rgb_to_ycbcr(after / 255.0, matrix="bt601")[..., 1:]).max(-1)
    edge = ~_inside([14, 4, 14, 4])  # the borders, less a JPEG block's reach
    assert chroma[edge].max() < 0.03  # grey
    assert _redness(after, (50, 52, 110, 68)) > 0.05  # the stroke inside, red
    # a reference picture's colours, matched to the picture inside the crop
    y = _key_frame_luma(film, 18)
    ycc = np.stack([y, np.full_like(y, 0.18), np.full_like(y, -0.06)], -1)
    ref = tmp_path / "blue.png"
    rgb = np.clip(color.ycbcr_to_rgb(ycc, matrix="bt601"), 0, 1)
    Image.fromarray((rgb * 255 + 0.5).astype(np.uint8)).save(ref)
    lent = engine.request("reference_pick", TIMEOUT, **common, path=str(ref), crop=crop)
    assert lent.data["pick"]["crop"] == crop
    after = _images(lent.data, lent.blob)["after"]
    cb = color.rgb_to_ycbcr(after / 255.0, matrix="bt601")[..., 1]
    assert cb[_inside(crop)].mean() > 0.08 and np.abs(cb[edge]).max() < 0.03
    with pytest.raises(EngineError, match="at least 16x16"):
        _sampled_chroma(engine, film_id, crop=[80, 0, 80, 0])


def _inside(crop: list[int]) -> np.ndarray:
    left, top, right, bottom = crop
    mask = np.zeros((H, W), bool)
    mask[top : H - bottom, left : W - right] = True
    return mask
