"""`sample_keyframe` through a real engine process with a (small, untrained) colorizer."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from panchro.engine.imaging import color
from panchro.engine.inference.defaults import OVERSAMPLE, TEMPERATURE
from panchro.engine.service.client import EngineClient, EngineError
from tests.makemedia import make_video
from tests.makemodels import (
    engine_with_small_models,
)

TIMEOUT = 60.0


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineClient]:
    client = engine_with_small_models(tmp_path_factory.mktemp("models"))
    yield client
    assert client.close(timeout=30) == 0


@pytest.fixture(scope="module")
def film_id(engine: EngineClient, tmp_path_factory: pytest.TempPathFactory) -> int:
    return int(engine.request("open", path=str(_film(tmp_path_factory))).data["film"])


_FILMS: dict[str, Path] = {}


def _film(factory: pytest.TempPathFactory) -> Path:
    """24 frames of 160x120, a cut at 12, with sound; made once per module."""
    if "film" not in _FILMS:
        _FILMS["film"] = make_video(factory.mktemp("film") / "film.mp4", frames=24, cuts=(12,),
                                    pattern="gray")  # fmt: skip
    return _FILMS["film"]


def _sample(engine: EngineClient, film_id: int, **params: Any) -> tuple[dict, bytes, list]:
    progress: list[dict[str, Any]] = []
    reply = engine.request(
        "sample_keyframe", TIMEOUT, progress.append, film=film_id, index=12, **params
    )
    return reply.data, reply.blob, progress


def test_hello_says_the_colorizer_is_untrained(engine: EngineClient) -> None:
    models = engine.request("hello", protocol=1).data["models"]
    assert models["colorizer"]["status"] == "untrained"


def test_k_previews_with_their_chroma_and_progress(engine: EngineClient, film_id: int) -> None:
    data, blob, progress = _sample(engine, film_id, k=3, seed=7, temperature=0.9)
    assert data["k"] == 3 and data["seed"] == 7 and data["trained"] is False
    assert data["oversample"] == OVERSAMPLE and data["temperature"] == 0.9
    assert data["key"].startswith("c") and data["index"] == 12
    assert data["refined"] is True  # previews coloured as the render will colour them
    cands = data["candidates"]
    assert [c["n"] for c in cands] == [0, 1, 2]
    assert sum(c["length"] for c in cands) == len(blob)
    size = data["chroma_size"]
    bins = []
    for c in cands:
        img = Image.open(io.BytesIO(blob[c["offset"] : c["offset"] + c["length"]]))
        assert img.format == "JPEG" and img.size == (data["width"], data["height"])
        bins.append(color.decode_bins(c["chroma"], size))
    assert not np.array_equal(bins[0], bins[1])
    assert progress and progress[-1]["stage"] == "sample"
    assert progress[-1]["done"] == progress[-1]["total"] == size


def test_the_reply_says_whether_the_frame_is_in_colour_already(
    engine: EngineClient, film_id: int, tmp_path: Path
) -> None:
    """A black-and-white frame is not; a colour one is, as a render would judge the shot
    (it keeps its own colours there: `restore.own`)."""
    data, _, _ = _sample(engine, film_id, k=1, seed=1)
    assert data["in_colour"] is False and data["maybe_in_colour"] is False
    colour = make_video(tmp_path / "colour.mp4", frames=4, audio=False)
    fid = engine.request("open", path=str(colour)).data["film"]
    data = engine.request("sample_keyframe", TIMEOUT, film=fid, index=1, k=1, seed=1).data
    assert data["in_colour"] is True and data["maybe_in_colour"] is False


def test_same_seed_same_colours_new_key(engine: EngineClient, film_id: int) -> None:
    a, _, _ = _sample(engine, film_id, k=2, seed=11)
    b, _, _ = _sample(engine, film_id, k=2, seed=11)
    c, _, _ = _sample(engine, film_id, k=2, seed=12)
    chroma = [[x["chroma"] for x in d["candidates"]] for d in (a, b, c)]
    assert chroma[0] == chroma[1] != chroma[2]
    assert a["key"] != b["key"]
    drawn, _, _ = _sample(engine, film_id, k=1)  # no seed: one is chosen and reported
    again, _, _ = _sample(engine, film_id, k=1, seed=drawn["seed"])
    assert drawn["candidates"][0]["chroma"] == again["candidates"][0]["chroma"]


def _chroma_size(blob: bytes, c: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """A preview's luma and its chroma's distance from grey, per pixel."""
    img = Image.open(io.BytesIO(blob[c["offset"] : c["offset"] + c["length"]]))
    ycc = np.asarray(img.convert("YCbCr"), np.float32)
    return ycc[..., 0], np.hypot(ycc[..., 1] - 128.0, ycc[..., 2] - 128.0)


def test_modes_are_shown_at_the_colours_strength(engine: EngineClient, film_id: int) -> None:
    drawn = {s: _sample(engine, film_id, k=2, seed=5, colour_strength=s) for s in (1.0, 0.5, 0.0)}
    full, half, grey = (drawn[s] for s in (1.0, 0.5, 0.0))
    assert [d[0]["colour_strength"] for d in (full, half, grey)] == [1.0, 0.5, 0.0]
    # the same modes, drawn as before: only how they are shown changes
    assert [c["chroma"] for c in half[0]["candidates"]] == [
        c["chroma"] for c in full[0]["candidates"]
    ]
    for n in range(2):
        y1, c1 = _chroma_size(full[1], full[0]["candidates"][n])
        yh, ch = _chroma_size(half[1], half[0]["candidates"][n])
        y0, c0 = _chroma_size(grey[1], grey[0]["candidates"][n])
        assert c1.mean() > 4.0  # an untrained model's colours: strong enough to measure
        assert abs(ch.mean() / c1.mean() - 0.5) < 0.1
        assert c0.mean() < 1.0  # grey, but for the JPEG's rounding
        # the luma kept, but for the JPEG and where RGB cannot hold a colour (near black)
        assert np.median(np.abs(yh - y0)) <= 1.0 and np.median(np.abs(y1 - y0)) <= 1.0
    with pytest.raises(EngineError, match="colour_strength"):
        _sample(engine, film_id, k=2, colour_strength=-0.1)


def test_bad_parameters_are_refused(engine: EngineClient, film_id: int) -> None:
    bad = ({"k": 0}, {"k": 65}, {"temperature": -1.0}, {"index": 99}, {"oversample": 0},
           {"oversample": 5})  # fmt: skip
    for params in bad:
        body = {"film": film_id, "index": 12, **params}
        with pytest.raises(EngineError) as err:
            engine.request("sample_keyframe", TIMEOUT, **body)
        assert err.value.code == "bad_request"


def test_corrupt_weights_are_model_missing(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "colorizer.safetensors").write_bytes(b"\0" * 100)
    film = make_video(tmp_path / "f.mp4", frames=6, audio=False)
    before = os.environ.get("PANCHRO_MODELS_DIR")
    os.environ["PANCHRO_MODELS_DIR"] = str(models)
    try:
        client = EngineClient.start(stderr=tmp_path / "engine.log")
    finally:
        os.environ["PANCHRO_MODELS_DIR"] = before or ""
        if before is None:
            os.environ.pop("PANCHRO_MODELS_DIR")
    with client:
        fid = client.request("open", path=str(film)).data["film"]
        with pytest.raises(EngineError) as err:
            client.request("sample_keyframe", TIMEOUT, film=fid, index=0, k=2)
        assert err.value.code == "model_missing"
        assert str(models / "colorizer.safetensors") in str(err.value)


def _pick(chroma: str, seed: int = 1) -> dict[str, Any]:
    return {"seed": seed, "temperature": 1.0, "index": 0, "chroma": chroma, "locked": True,
            "source": "user"}  # fmt: skip


SHOTS = [{"start": 0, "end": 12, "key_frame": 6}, {"start": 12, "end": 24, "key_frame": 18}]


def test_preview_shows_before_after_and_an_untouched_luma(
    engine: EngineClient, film_id: int
) -> None:
    data, _, _ = _sample(engine, film_id, k=1, seed=3)
    chroma = data["candidates"][0]["chroma"]
    reply = engine.request(
        "preview", TIMEOUT, film=film_id, index=4, colorize=True, shots=SHOTS,
        picks=[_pick(chroma), None],
    )  # fmt: skip
    d = reply.data
    assert [i["name"] for i in d["images"]] == ["before", "after", "luma_diff"]
    imgs = {
        i["name"]: Image.open(io.BytesIO(reply.blob[i["offset"] : i["offset"] + i["length"]]))
        for i in d["images"]
    }
    assert imgs["before"].size == imgs["after"].size == (160, 120)
    assert d["luma_max_diff"] < 1e-6 and d["output_size"] == [160, 120]
    assert d["pick"]["chroma"] == chroma  # the shot's own pick was used
    assert any("UNTRAINED" in n for n in d["notes"])
    # Shot 2 has no pick: an automatic one is made, and said.
    auto = engine.request("preview", TIMEOUT, film=film_id, index=15, colorize=True,
                          shots=SHOTS, picks=[_pick(chroma), None]).data  # fmt: skip
    assert auto["pick"]["source"] == "auto"
    with pytest.raises(EngineError) as err:
        engine.request("preview", TIMEOUT, film=film_id, index=4)
    assert err.value.code == "bad_request"  # nothing to restore
    with pytest.raises(EngineError) as err:
        engine.request("preview", TIMEOUT, film=film_id, index=4, upscale=2)
    assert err.value.code == "model_missing" and "upscaler_x2" in str(err.value)


def test_render_colours_with_picks_and_projects_round_trip(
    engine: EngineClient, film_id: int, tmp_path: Path, tmp_path_factory
) -> None:
    data, _, _ = _sample(engine, film_id, k=1, seed=5)
    picks = [_pick(data["candidates"][0]["chroma"], seed=5), None]
    out = tmp_path / "coloured.mp4"
    progress: list[dict[str, Any]] = []
    reply = engine.request(
        "render", 120, progress.append, film=film_id, output=str(out), colorize=True,
        shots=SHOTS, picks=picks,
    )  # fmt: skip
    assert reply.data["frames"] == 24 and out.is_file()
    assert reply.data["audio_streams"] == 1
    assert progress and progress[-1]["done"] == 24
    # Save the project through the engine, load it back.
    proj = tmp_path / "film.panchro"
    saved = engine.request(
        "save_project", TIMEOUT, film=film_id, project_path=str(proj), shots=SHOTS,
        picks=picks, settings={"colorize": True, "degrain": 0.0, "upscale": 1,
                               "codec": "h264", "bit_depth": 8},
    ).data  # fmt: skip
    assert saved["shots"] == 2 and proj.is_file()
    loaded = engine.request("load_project", TIMEOUT, project_path=str(proj)).data
    assert loaded["source_changes"] == []
    assert [s["start"] for s in loaded["shots"]] == [0, 12]
    assert loaded["shots"][0]["pick"]["chroma"] == picks[0]["chroma"]
    assert loaded["shots"][1]["pick"] is None
    assert loaded["settings"]["colorize"] is True
    proj.with_suffix(".bad").write_text("{not json")
    bad = proj.with_name("bad.panchro")
    bad.write_text("{not json")
    with pytest.raises(EngineError) as err:
        engine.request("load_project", TIMEOUT, project_path=str(bad))
    assert err.value.code == "bad_input" and str(bad) in str(err.value)


def test_oversampling_is_asked_for_or_not(engine: EngineClient, film_id: int) -> None:
    """`oversample` 1 sends K drawn once; the default draws more and sends the K most
    different, so the same seed gives other modes; the reply says which."""
    once, _, _ = _sample(engine, film_id, k=3, seed=5, oversample=1)
    wide, _, _ = _sample(engine, film_id, k=3, seed=5)
    assert once["oversample"] == 1 and wide["oversample"] == OVERSAMPLE > 1
    assert wide["temperature"] == TEMPERATURE
    chroma = [[c["chroma"] for c in d["candidates"]] for d in (once, wide)]
    assert chroma[0] != chroma[1]
