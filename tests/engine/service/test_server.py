"""The engine process, driven through EngineClient exactly as the GUI drives it.

One engine serves most tests (starting one costs about a second); the tests of
shutdown and end of input start their own. Every request must get exactly one
terminal message: the client below counts them on the wire.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import platform
import queue
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from panchro.engine import __version__, media
from panchro.engine.paths import models_dir
from panchro.engine.service.client import EngineClient, EngineError
from panchro.engine.service.protocol import MAGIC, PROTOCOL_VERSION, Event, Message, encode
from tests.makemedia import combing, make_interlaced_video, make_video

TIMEOUT = 30.0
MODEL_NAMES = (
    "colorizer",
    "refiner",
    "hint_refiner",
    "upscaler_x1",
    "upscaler_x2",
    "upscaler_x4",
    "upscaler_x2_sharp",
    "upscaler_x4_sharp",
    "speck_finder",
)


class CountingClient(EngineClient):
    """An EngineClient that also counts terminal messages per id, as they arrive."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.terminals: Counter[int] = Counter()
        super().__init__(*args, **kwargs)

    def _route(self, msg: Message) -> None:
        if msg.type in Event.TERMINAL and msg.id is not None:
            self.terminals[msg.id] += 1
        super()._route(msg)


def _start(tmp: Path, name: str = "engine.log") -> CountingClient:
    client = CountingClient.start(stderr=tmp / name)
    assert isinstance(client, CountingClient)
    return client


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="module")
def film(media_dir: Path) -> Path:
    """48 frames, 160x120 at 24 fps, a cut at frame 24, with sound."""
    return make_video(media_dir / "film.mp4", frames=48, cuts=(24,))


@pytest.fixture(scope="module")
def long_film(media_dir: Path) -> Path:
    """Long enough that a ProRes render is still running when a test cancels it."""
    return make_video(media_dir / "long.mp4", frames=360, size=(320, 240), audio=False, gop=48)


@pytest.fixture(scope="module")
def engine(media_dir: Path) -> Iterator[CountingClient]:
    client = _start(media_dir)
    yield client
    code = client.close()
    assert code == 0
    duplicates = {rid: n for rid, n in client.terminals.items() if n != 1}
    assert duplicates == {}, "requests with more than one terminal message"


@pytest.fixture(scope="module")
def film_id(engine: CountingClient, film: Path) -> int:
    return int(engine.request("open", path=str(film)).data["film"])


def _drain(client: EngineClient) -> None:
    while True:
        try:
            client.events.get_nowait()
        except queue.Empty:
            return


def _wait_event(client: EngineClient, pred: Callable[[Message], bool]) -> Message:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            msg = client.events.get(timeout=0.2)
        except queue.Empty:
            continue
        if pred(msg):
            return msg
    raise AssertionError("the expected event never came")


def _idless_error(msg: Message) -> bool:
    return msg.type == Event.ERROR and msg.body.get("id") is None


def _error(client: EngineClient, type_: str, **params: Any) -> tuple[str, str]:
    reply = client.wait(client.send(type_, **params), TIMEOUT)
    assert reply.type == Event.ERROR, reply.body
    return str(reply.code), reply.message


def _image(blob: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(blob))
    img.load()
    return img


# --- hello ---------------------------------------------------------------------------------


def test_hello_reports_versions_device_and_models(engine: CountingClient) -> None:
    data = engine.request("hello", TIMEOUT, protocol=PROTOCOL_VERSION, client="pytest").data
    assert data["protocol"] == PROTOCOL_VERSION
    assert data["version"] == __version__
    assert data["python"] == platform.python_version()
    assert data["av"] == importlib.metadata.version("av")
    assert data["torch"] == importlib.metadata.version("torch")
    import torch

    assert data["device"]["type"] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert data["device"]["name"]
    if data["device"]["type"] == "cpu":  # the tests' environment asks for float32
        assert data["device"]["precision"] == "float32"
    assert set(data["models"]) == set(MODEL_NAMES)
    for name, st in data["models"].items():
        path = Path(st["path"])
        assert path == models_dir() / f"{name}.safetensors"
        # What is on disk, not a guess: no file is "missing", a file is anything else.
        assert (st["status"] == "missing") == (not path.exists()), (name, st)


def test_the_reader_thread_checks_models_without_torch() -> None:
    """The server reads the model list from `models.names` and checks files quickly, on the
    reader thread: neither imports torch (the registry, which does, is built from that list)."""
    code = (
        "import sys\n"
        "from panchro.engine.errors import ModelMissingError\n"
        "from panchro.engine.models.names import MODELS\n"
        "from panchro.engine.service import server\n"
        "from panchro.engine.service.handlers.status import require_models\n"
        "for name in MODELS:\n"
        "    try:\n"
        "        require_models([name], 'test', quick=True)\n"
        "    except ModelMissingError:\n"
        "        pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "from panchro.engine.models.registry import REGISTRY\n"
        "assert list(REGISTRY) == list(MODELS)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=TIMEOUT)


def test_hello_with_another_protocol_is_refused_and_the_engine_goes_on(
    engine: CountingClient,
) -> None:
    code, message = _error(engine, "hello", protocol=PROTOCOL_VERSION + 1)
    assert code == "version_mismatch"
    assert (
        f"protocol {PROTOCOL_VERSION + 1}" in message and f"protocol {PROTOCOL_VERSION}" in message
    )
    assert _error(engine, "hello")[0] == "bad_request"  # no protocol at all
    assert engine.request("hello", TIMEOUT, protocol=PROTOCOL_VERSION).ok


# --- open and frames -----------------------------------------------------------------------


def test_open_reports_the_film(engine: CountingClient, film: Path) -> None:
    data = engine.request("open", TIMEOUT, path=str(film)).data
    assert isinstance(data["film"], int)
    info = data["info"]
    assert (info["width"], info["height"], info["frame_count"]) == (160, 120, 48)
    assert info["kind"] == "video" and info["path"] == str(film)
    assert len(info["audio"]) == 1
    assert engine.request("close", TIMEOUT, film=data["film"]).ok
    assert _error(engine, "frame", film=data["film"], index=0)[0] == "not_open"


def test_frame_by_index_and_by_time(engine: CountingClient, film_id: int, film: Path) -> None:
    first = engine.request("frame", TIMEOUT, film=film_id, index=0)
    assert first.blob_type == "image/jpeg"
    img0 = _image(first.blob)
    assert img0.format == "JPEG" and img0.size == (160, 120)  # 640 asked: never enlarged
    assert first.data == {"index": 0, "pts": 0, "time_s": 0.0, "width": 160, "height": 120}

    at = engine.request("frame", TIMEOUT, film=film_id, time_s=1.25, blob_type="image/png")
    assert at.blob_type == "image/png" and at.data["index"] == 30
    assert at.data["time_s"] == pytest.approx(1.25)
    img30 = _image(at.blob)
    assert img30.format == "PNG" and img30.size == (160, 120)

    # Lossless PNG: exactly the frame the media layer decodes.
    from panchro.engine import media

    with media.open_source(film) as src:
        expected = src.read_frame(30).image
    assert np.array_equal(np.asarray(img30.convert("RGB")), expected)
    a = np.asarray(img0.convert("RGB"), dtype=np.int16)
    b = np.asarray(img30.convert("RGB"), dtype=np.int16)
    assert np.abs(a - b).mean() > 10

    small = engine.request("frame", TIMEOUT, film=film_id, index=5, max_side=64)
    assert _image(small.blob).size == (64, 48) == (small.data["width"], small.data["height"])
    clamped = engine.request("frame", TIMEOUT, film=film_id, index=5, max_side=3)
    assert _image(clamped.blob).size == (64, 48)


def test_a_frame_asked_to_be_judged_says_whether_it_is_in_colour(
    engine: CountingClient, film_id: int, media_dir: Path
) -> None:
    """`judge`: a shot strip's thumbnail says whether its shot is in colour already (the
    test film is), judged inside `crop` as a render judges it; a grey film's frame is not."""
    shown = engine.request("frame", TIMEOUT, film=film_id, index=3, max_side=96, judge=True)
    assert shown.data["in_colour"] is True and shown.data["maybe_in_colour"] is False
    plain = engine.request("frame", TIMEOUT, film=film_id, index=3, max_side=96)
    assert "in_colour" not in plain.data
    grey = make_video(media_dir / "grey_judged.mp4", frames=6, pattern="gray", audio=False)
    gid = engine.request("open", TIMEOUT, path=str(grey)).data["film"]
    shown = engine.request("frame", TIMEOUT, film=gid, index=2, judge=True, crop=[8, 8, 8, 8])
    assert shown.data["in_colour"] is False
    assert _error(engine, "frame", film=gid, index=2, judge=True, crop=[200, 0, 0, 0])[0] == (
        "bad_request"
    )


def test_an_interlaced_film_is_opened_said_and_served_deinterlaced(
    engine: CountingClient, media_dir: Path
) -> None:
    """The GUI sees what a restore reads: `open` says the film is interlaced and what is
    done, and the frames it serves are the deinterlaced ones."""
    from panchro.engine import media

    path = make_interlaced_video(media_dir / "tape.mp4")
    opened = engine.request("open", TIMEOUT, path=str(path)).data
    info = opened["info"]
    assert info["interlaced"] and info["field_order"] == "top field first"
    assert info["deinterlace"] == "deinterlaced (bwdif, top field first)"
    got = engine.request("frame", TIMEOUT, film=opened["film"], index=9, blob_type="image/png")
    served = np.asarray(_image(got.blob).convert("RGB"))
    with media.open_source(path) as src:
        assert np.array_equal(served, src.read_frame(9).image)
    with media.open_source(path, deinterlace="off") as src:
        woven = src.read_frame(9).image
    assert combing(served[..., 0][60:]) * 8 < combing(woven[..., 0][60:])
    engine.request("close", TIMEOUT, film=opened["film"])
    # A person's choice: the fields as they lie, in every frame the engine gives.
    kept = engine.request("open", TIMEOUT, path=str(path), deinterlace="off").data
    assert kept["info"]["deinterlace"] == "not deinterlaced"
    got = engine.request("frame", TIMEOUT, film=kept["film"], index=9, blob_type="image/png")
    assert np.array_equal(np.asarray(_image(got.blob).convert("RGB")), woven)
    engine.request("close", TIMEOUT, film=kept["film"])
    with pytest.raises(EngineError, match="'deinterlace' must be one of auto, off, tff, bff"):
        engine.request("open", TIMEOUT, path=str(path), deinterlace="yes")


def test_latest_frame_wins(engine: CountingClient, film_id: int) -> None:
    ids = [
        engine.send("frame", film=film_id, index=i % 48, blob_type="image/png") for i in range(20)
    ]
    replies = [engine.wait(rid, TIMEOUT) for rid in ids]
    assert replies[-1].type == Event.RESULT and replies[-1].data["index"] == 19
    kinds = Counter(r.type for r in replies)
    assert set(kinds) <= {Event.RESULT, Event.SUPERSEDED}
    assert kinds[Event.SUPERSEDED] >= 1
    for r in replies:
        if r.type == Event.SUPERSEDED:
            assert r.body["by"] in ids and r.body["by"] > r.id
    # One terminal each, and no stray one arrives later.
    assert engine.request("hello", TIMEOUT, protocol=PROTOCOL_VERSION).ok
    assert all(engine.terminals[rid] == 1 for rid in ids)


# --- jobs ----------------------------------------------------------------------------------


def test_shots_finds_the_cut_with_progress(engine: CountingClient, film_id: int) -> None:
    progress: list[dict[str, Any]] = []
    reply = engine.request("shots", TIMEOUT, on_progress=progress.append, film=film_id)
    shots = reply.data["shots"]
    assert [(s["start"], s["end"]) for s in shots] == [(0, 24), (24, 48)]
    assert all(s["start"] <= s["key_frame"] < s["end"] for s in shots)
    assert reply.data["frame_count"] == 48
    assert progress and progress[0]["total"] == 48 and progress[0]["stage"] == "shots"
    # its shots (1 s each) are shorter than the window flicker is measured against
    assert "flicker" in reply.data and reply.data["flicker"] is None
    # and the faults seen around both shots' key frames (engine.survey)
    assert set(reply.data["survey"]) == {"looked", "scratched", "lines", "dirty", "specks"}
    assert reply.data["survey"]["looked"] == 2
    # A project's shots, known already: the same survey without the pass over the film.
    known = engine.request("survey", TIMEOUT, film=film_id, shots=shots)
    assert known.data["survey"] == reply.data["survey"]
    assert known.data["flicker"] is None  # as the pass: shots too short to tell
    # the test film's picture fills its frame: no border round it, in both answers
    assert reply.data["borders"] == known.data["borders"] == [0, 0, 0, 0]
    whole = engine.request("survey", TIMEOUT, film=film_id, shots=[{"start": 0, "end": 48}])
    assert isinstance(whole.data["flicker"], float)  # one 2-s shot: long enough to tell
    code, message = _error(engine, "survey", film=film_id, shots=[{"end": 3}])
    assert code == "bad_request" and "bad 'shots'" in message


def test_models_missing_are_typed_errors(engine: CountingClient, film_id: int) -> None:
    colorizer = models_dir() / "colorizer.safetensors"
    if colorizer.exists():
        pytest.skip(f"{colorizer} exists; this test is about an engine without weights")
    code, message = _error(
        engine, "sample_keyframe", film=film_id, index=10, k=4, seed=1, temperature=0.8
    )
    assert code == "model_missing" and str(colorizer) in message
    code, message = _error(engine, "preview", film=film_id, index=3, colorize=True)
    assert code == "model_missing" and str(colorizer) in message
    upscaler = models_dir() / "upscaler_x2.safetensors"
    code, message = _error(engine, "preview", film=film_id, index=3, upscale=2)
    assert code == "model_missing" and str(upscaler) in message
    sharp = models_dir() / "upscaler_x2_sharp.safetensors"
    code, message = _error(engine, "preview", film=film_id, index=3, upscale=2, upscaler="sharp")
    assert code == "model_missing" and str(sharp) in message
    code, _ = _error(engine, "preview", film=film_id, index=3, upscale=2, upscaler="crisp")
    assert code == "bad_request"
    code, message = _error(engine, "render", film=film_id, output="/tmp/x.mp4", colorize=True)
    assert code == "model_missing" and str(colorizer) in message
    # Parameters are checked before the models.
    assert _error(engine, "sample_keyframe", film=film_id, index=10, k=0)[0] == "bad_request"
    assert _error(engine, "sample_keyframe", film=film_id, index=480)[0] == "bad_request"
    assert _error(engine, "preview", film=film_id, index=3, colorize=False)[0] == "bad_request"


def test_render_writes_the_film_and_refuses_to_overwrite(
    engine: CountingClient, film_id: int, film: Path, tmp_path: Path
) -> None:
    out = tmp_path / "restored.mp4"
    progress: list[dict[str, Any]] = []
    reply = engine.request("render", 120, progress.append, film=film_id, output=str(out))
    assert reply.data["frames"] == 48 and reply.data["output"] == str(out)
    assert reply.data["audio_streams"] == 1
    assert out.is_file() and out.stat().st_size == reply.data["output_bytes"]
    assert progress and progress[-1]["total"] == 48
    before = out.stat().st_mtime_ns
    code, message = _error(engine, "render", path=str(film), output=str(out))
    assert code == "io" and str(out) in message
    assert out.stat().st_mtime_ns == before
    code, message = _error(engine, "render", film=film_id, path=str(film), output=str(out))
    assert code == "bad_request"
    # A part of the film: its frames only, from 0, with its sound.
    part = tmp_path / "part.mp4"
    reply = engine.request("render", 120, None, film=film_id, output=str(part), span=[12, 30])
    assert reply.data["frames"] == 18 and reply.data["audio_streams"] == 1
    with media.open_source(part) as src:
        assert src.info.frame_count == 18 and src.pts_of(0) == 0
    code, message = _error(engine, "render", film=film_id, output=str(out) + ".mkv", span=[30, 60])
    assert code == "bad_input" and "not a part of the film" in message


def test_export_frame_writes_one_restored_frame_as_a_picture(
    engine: CountingClient, film_id: int, film: Path, tmp_path: Path
) -> None:
    from PIL import Image

    out = tmp_path / "still.png"
    shots = [{"start": 0, "end": 24, "key_frame": 12}, {"start": 24, "end": 48, "key_frame": 36}]
    reply = engine.request(
        "export_frame", 120, None, film=film_id, index=30, output=str(out), deflicker=1.0,
        crop=[10, 0, 10, 0], shots=shots,
    )  # fmt: skip
    assert reply.data["frames"] == 1 and reply.data["codec"] == "png"
    assert (reply.data["width"], reply.data["height"]) == (140, 120)
    assert any("the frame at 1.250 s, in a shot of 24 frames" in n for n in reply.data["notes"])
    with Image.open(out) as im:
        assert im.size == (140, 120)
    code, message = _error(engine, "export_frame", film=film_id, index=30, output=str(out))
    assert code == "io" and "exists" in message
    code, message = _error(engine, "export_frame", film=film_id, index=48, output="x.png")
    assert code == "bad_request" and "outside the film" in message
    code, message = _error(engine, "export_frame", film=film_id, index=3, output=str(out) + ".mp4")
    assert code == "bad_input" and "not a picture format" in message


def test_cancel_a_running_render_while_frames_still_flow(
    engine: CountingClient, long_film: Path, film_id: int, tmp_path: Path
) -> None:
    out = tmp_path / "long.mov"
    started = threading.Event()
    render = engine.send(
        "render",
        path=str(long_film),
        output=str(out),
        codec="prores",
        bit_depth=10,
        on_progress=lambda p: started.set(),
    )
    assert started.wait(TIMEOUT), "no progress from the render"
    # The light lane answers while the job lane encodes.
    assert engine.request("frame", TIMEOUT, film=film_id, index=40).data["index"] == 40
    with pytest.raises(TimeoutError):
        engine.wait(render, 0)  # still running

    # A job queued behind it ends at once when cancelled.
    queued = engine.send("shots", film=film_id)
    assert engine.cancel(queued) == [queued]
    assert engine.wait(queued, TIMEOUT).type == Event.CANCELLED

    t0 = time.monotonic()
    assert engine.cancel(render) == [render]
    reply = engine.wait(render, TIMEOUT)
    elapsed = time.monotonic() - t0
    assert reply.type == Event.CANCELLED and reply.body["reason"] == "cancel"
    assert elapsed < 5.0, f"cancel took {elapsed:.1f} s"
    # No output; what was done waits in the job folder for the same render to resume it.
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["long.mov.panchro-job"]
    manifest = json.loads((tmp_path / "long.mov.panchro-job" / "manifest.json").read_text())
    done = [c["end"] - c["start"] for c in manifest["chunks"] if c["status"] == "done"]
    assert reply.body["kept_frames"] == sum(done)  # what the app says a resume goes on from
    assert engine.cancel(123456) == []  # nothing by that id: nothing cancelled
    # The job lane is free again.
    assert len(engine.request("shots", TIMEOUT, film=film_id).data["shots"]) == 2


# --- bad input -----------------------------------------------------------------------------


def test_malformed_messages_get_typed_errors_and_the_engine_goes_on(
    engine: CountingClient, film_id: int, tmp_path: Path
) -> None:
    _drain(engine)
    engine.send_raw(b"\x00\x01 this is not a frame \xff\n")
    msg = _wait_event(engine, _idless_error)
    assert msg.body["code"] == "bad_request" and "not a message frame" in msg.body["message"]

    def raw(json_bytes: bytes) -> None:
        engine.send_raw(struct.pack(">4sII", MAGIC, len(json_bytes), 0) + json_bytes)

    raw(b'{"type": "frame", "id": 5')  # cut short
    assert "not UTF-8 JSON" in _wait_event(engine, _idless_error).body["message"]
    raw(b"[1, 2, 3]")
    assert "not a JSON object" in _wait_event(engine, _idless_error).body["message"]
    raw(b'{"type": "frame", "id": 7, "x": "\xff"}')
    assert "not UTF-8 JSON" in _wait_event(engine, _idless_error).body["message"]
    engine.send_raw(encode({"type": "hello", "protocol": PROTOCOL_VERSION}))
    assert "integer 'id'" in _wait_event(engine, _idless_error).body["message"]
    engine.send_raw(encode({"type": "hello", "id": "seven", "protocol": PROTOCOL_VERSION}))
    assert "integer 'id'" in _wait_event(engine, _idless_error).body["message"]

    # Errors that can name their request come back under its id.
    raw(b'{"id": 900001}')
    no_type = engine.wait(900001, TIMEOUT)
    assert no_type.code == "bad_request" and "type" in no_type.message
    engine.send_raw(encode({"type": "frobnicate", "id": 900002}))
    unknown = engine.wait(900002, TIMEOUT)
    assert unknown.code == "bad_request" and "frobnicate" in unknown.message

    # Missing or wrong parameters.
    for type_, params, word in [
        ("open", {}, "path"),
        ("frame", {"index": 0}, "film"),
        ("frame", {"film": film_id}, "index"),
        ("frame", {"film": film_id, "index": "3"}, "integer"),
        ("frame", {"film": film_id, "index": True}, "integer"),
        ("frame", {"film": film_id, "index": 48}, "outside"),
        ("frame", {"film": film_id, "index": 0, "blob_type": "image/gif"}, "blob_type"),
        ("render", {"film": film_id}, "output"),
        ("render", {"film": film_id, "output": "x.mp4", "bit_depth": 12}, "bit_depth"),
        ("render", {"film": film_id, "output": "x.mp4", "span": [1, 2, 3]}, "span"),
        ("render", {"film": film_id, "output": "x.mp4", "span": [0.5, 4]}, "span"),
        ("render", {"film": film_id, "output": "x.mp4", "crop": [1, 2, 3]}, "'crop' must be"),
        ("render", {"film": film_id, "output": "x.mp4", "crop": [-1, 0, 0, 0]}, "'crop'"),
        ("preview", {"film": film_id, "index": 0, "crop": [80, 0, 80, 0]}, "at least 16x16"),
        ("cancel", {"target": "all"}, "target"),
    ]:
        code, message = _error(engine, type_, **params)
        assert code == "bad_request" and word in message, (type_, params, message)

    assert _error(engine, "frame", film=9999, index=0) == (
        "not_open",
        "film 9999 is not open (open it first)",
    )
    assert _error(engine, "shots", film=9999)[0] == "not_open"

    missing = tmp_path / "no such film.mp4"
    code, message = _error(engine, "open", path=str(missing))
    assert code == "bad_input" and str(missing) in message
    text = tmp_path / "notes.mp4"
    text.write_text("this is a text file, not a film\n" * 20)
    code, message = _error(engine, "open", path=str(text))
    assert code == "bad_input" and str(text) in message and "\n" not in message

    assert engine.request("hello", TIMEOUT, protocol=PROTOCOL_VERSION).ok
    assert engine.alive


# --- ending --------------------------------------------------------------------------------


def test_shutdown_cancels_running_work_and_exits_0(long_film: Path, tmp_path: Path) -> None:
    client = _start(tmp_path)
    started = threading.Event()
    render = client.send(
        "render",
        path=str(long_film),
        output=str(tmp_path / "out.mov"),
        codec="prores",
        on_progress=lambda p: started.set(),
    )
    assert started.wait(TIMEOUT)
    queued = client.send("shots", path=str(long_film))  # shots takes a film handle only
    assert client.wait(queued, TIMEOUT).code == "bad_request"
    assert client.close(timeout=TIMEOUT) == 0
    reply = client.wait(render, 0)  # answered before the engine went
    assert reply.type == Event.CANCELLED and reply.body["reason"] == "shutdown"
    assert not (tmp_path / "out.mov").exists()
    assert not client.alive
    assert set(client.terminals.values()) == {1}
    with pytest.raises(EngineError) as err:
        client.request("hello", protocol=PROTOCOL_VERSION)
    assert err.value.code == "engine_exited"
    log = (tmp_path / "engine.log").read_text()
    assert "engine stopped" in log


def test_end_of_input_is_a_shutdown(tmp_path: Path) -> None:
    client = _start(tmp_path)
    assert client.request("hello", TIMEOUT, protocol=PROTOCOL_VERSION).ok
    assert client.process is not None
    client.process.stdin.close()  # type: ignore[union-attr]
    assert client.process.wait(TIMEOUT) == 0
    assert client.close() == 0


def test_stray_prints_never_reach_the_protocol_channel(tmp_path: Path) -> None:
    program = (
        "import os, sys, threading\n"
        "from panchro.engine.service.server import serve\n"
        "def stray():\n"
        "    print('stray print', flush=True)\n"
        "    os.write(1, b'stray write to fd 1\\n')\n"
        "threading.Timer(0.3, stray).start()\n"
        "raise SystemExit(serve())\n"
    )
    log = tmp_path / "engine.log"
    client = CountingClient.start([sys.executable, "-c", program], stderr=log)
    try:
        assert client.cancel() == []
        deadline = time.monotonic() + TIMEOUT
        while "stray write to fd 1" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "stray print" in log.read_text()
        assert client.cancel() == []  # the channel still works
        garbled = [m for m in list(client.events.queue) if m.type == "client_error"]
        assert garbled == []
    finally:
        assert client.close() == 0


def test_work_already_answered_is_not_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel that lands between a request's answer and its lane moving on names nothing
    (this race once failed the test below)."""
    import time

    from panchro.engine.service import server

    finish = server.Engine._finish

    def slow_to_move_on(self: server.Engine, work_id: int, body: dict, blob: bytes = b"") -> None:
        finish(self, work_id, body, blob)
        time.sleep(0.3)  # the lane still holds the work as `running`

    monkeypatch.setattr(server.Engine, "_finish", slow_to_move_on)
    _serve_and_check(tmp_path)


def test_serve_in_process_over_given_streams(tmp_path: Path) -> None:
    _serve_and_check(tmp_path)


def _serve_and_check(tmp_path: Path) -> None:
    """serve() on streams a caller hands it (tests, a future socket), not the process's own."""
    from panchro.engine.service.server import serve

    to_engine_r, to_engine_w = os.pipe()
    to_client_r, to_client_w = os.pipe()
    engine_in = open(to_engine_r, "rb", buffering=0)  # noqa: SIM115 - closed below
    engine_out = open(to_client_w, "wb")  # noqa: SIM115
    codes: list[int] = []

    def run() -> None:
        try:
            codes.append(serve(engine_in, engine_out))
        finally:
            engine_out.close()  # the client's end of stream

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    # The client closes both of its streams in close().
    client_in = open(to_client_r, "rb", buffering=0)  # noqa: SIM115
    client_out = open(to_engine_w, "wb", buffering=0)  # noqa: SIM115
    client = EngineClient(client_in, client_out)
    try:
        missing = tmp_path / "missing.mkv"
        code, message = _error(client, "open", path=str(missing))
        assert code == "bad_input" and str(missing) in message
        assert client.cancel() == []
    finally:
        assert client.close(timeout=TIMEOUT) is None  # no process to report on
        thread.join(TIMEOUT)
        engine_in.close()
    assert codes == [0]
    assert not client.alive
