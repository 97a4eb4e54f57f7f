"""The wire format: frames survive any split, and bad bytes never stop the decoder."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys

import pytest

from panchro.engine.service import protocol
from panchro.engine.service.protocol import (
    HEADER_SIZE,
    MAGIC,
    MAX_BLOB_BYTES,
    MAX_JSON_BYTES,
    Decoder,
    Message,
    ProtocolError,
    encode,
)


def _frame(raw_json: bytes, blob: bytes = b"") -> bytes:
    """A frame with arbitrary JSON bytes, bypassing encode()'s checks."""
    return struct.pack(">4sII", MAGIC, len(raw_json), len(blob)) + raw_json + blob


def _messages(items: list[Message | ProtocolError]) -> list[Message]:
    return [m for m in items if isinstance(m, Message)]


def _errors(items: list[Message | ProtocolError]) -> list[ProtocolError]:
    return [m for m in items if isinstance(m, ProtocolError)]


def test_header_layout_is_the_documented_one() -> None:
    data = encode({"type": "hello", "id": 1}, b"\x00\x01")
    assert data[:4] == b"PNCH"
    n_json, n_blob = struct.unpack(">II", data[4:12])
    assert HEADER_SIZE == 12
    assert json.loads(data[12 : 12 + n_json]) == {"type": "hello", "id": 1}
    assert n_blob == 2 and data[12 + n_json :] == b"\x00\x01"


@pytest.mark.parametrize("blob", [b"", b"\xff\xd8\xff" + bytes(range(256)) * 3])
def test_round_trip(blob: bytes) -> None:
    body = {"type": "result", "id": 7, "data": {"name": "Café ⛵", "n": [1, 2.5, None, True]}}
    out = Decoder().feed(encode(body, blob))
    assert len(out) == 1
    msg = out[0]
    assert isinstance(msg, Message)
    assert msg.body == body and msg.blob == blob
    assert msg.type == "result" and msg.id == 7


def test_every_split_point_gives_the_same_messages() -> None:
    bodies = [
        ({"type": "frame", "id": 1, "film": 1, "index": 3}, b""),
        ({"type": "result", "id": 1, "data": {"w": 64}}, b"\x89PNG\r\n\x1a\n" + b"x" * 40),
        ({"type": "log", "message": "ok"}, b""),
    ]
    stream = b"".join(encode(b, blob) for b, blob in bodies)
    for cut in range(len(stream) + 1):
        d = Decoder()
        items = d.feed(stream[:cut]) + d.feed(stream[cut:])
        assert not _errors(items), cut
        assert [(m.body, m.blob) for m in _messages(items)] == bodies, cut


def test_byte_by_byte_feed() -> None:
    stream = encode({"type": "hello", "id": 1}) + encode({"type": "x", "id": 2}, b"abc")
    d = Decoder()
    items: list[Message | ProtocolError] = []
    for i in range(len(stream)):
        items += d.feed(stream[i : i + 1])
    assert not _errors(items)
    assert [m.id for m in _messages(items)] == [1, 2]


@pytest.mark.parametrize(
    "garbage",
    [b"hello world\n", b"P", b"PN", b"PNC", b"PNCX", b"\x00" * 100, b"xxPNCyyPN", b"PPNCH"[:4]],
)
def test_garbage_before_and_between_frames_resyncs(garbage: bytes) -> None:
    a = encode({"type": "a", "id": 1})
    b = encode({"type": "b", "id": 2}, b"blob")
    stream = garbage + a + garbage + b + garbage
    # Whole, and split at every point: the same two messages come out.
    for cut in [None, *range(len(stream) + 1)]:
        d = Decoder()
        items = d.feed(stream) if cut is None else d.feed(stream[:cut]) + d.feed(stream[cut:])
        msgs = _messages(items)
        assert [(m.type, m.blob) for m in msgs] == [("a", b""), ("b", b"blob")], cut
        assert _errors(items), "garbage must be reported"


def test_garbage_that_is_a_magic_prefix_waits_for_more() -> None:
    d = Decoder()
    assert d.feed(b"PNC") == []
    items = d.feed(b"X" + encode({"type": "a", "id": 1}))
    assert isinstance(items[0], ProtocolError)
    assert [m.type for m in _messages(items)] == ["a"]


def test_oversized_lengths_resync_without_waiting() -> None:
    sizes = [(MAX_JSON_BYTES + 1, 0), (2, MAX_BLOB_BYTES + 1), (2**32 - 1, 2**32 - 1)]
    for n_json, n_blob in sizes:
        bad = struct.pack(">4sII", MAGIC, n_json, n_blob)
        items = Decoder().feed(bad + encode({"type": "after", "id": 3}))
        assert any("over the limit" in str(e) for e in _errors(items))
        assert [m.type for m in _messages(items)] == ["after"]


@pytest.mark.parametrize(
    ("raw", "reason", "rid"),
    [
        (b"[1, 2, 3]", "not a JSON object", None),
        (b'"just a string"', "not a JSON object", None),
        (b"{not json", "not UTF-8 JSON", None),
        (b'{"type": "a", "x": "\xff\xfe"}', "not UTF-8 JSON", None),
        (b'{"id": 4}', "no 'type'", 4),
        (b'{"id": 5, "type": 12}', "no 'type'", 5),
        (b'{"id": true}', "no 'type'", None),
        (b"[" * 100_000 + b"]" * 100_000, "not usable JSON", None),
    ],
)
def test_bad_payloads_are_errors_and_decoding_goes_on(
    raw: bytes, reason: str, rid: int | None
) -> None:
    items = Decoder().feed(_frame(raw) + encode({"type": "next", "id": 9}))
    assert len(items) == 2
    err, nxt = items
    assert isinstance(err, ProtocolError) and reason in str(err)
    assert err.id == rid
    assert isinstance(nxt, Message) and nxt.type == "next"


def test_bool_is_not_an_id() -> None:
    (msg,) = Decoder().feed(encode({"type": "a", "id": True}))
    assert isinstance(msg, Message) and msg.id is None


def test_encode_refuses_what_the_wire_cannot_carry() -> None:
    with pytest.raises(ValueError):
        encode({"id": 1})  # no type
    with pytest.raises(ValueError):
        encode({"type": "a", "x": float("nan")})
    with pytest.raises(ValueError):
        encode({"type": "a"}, b"\x00" * (MAX_BLOB_BYTES + 1))
    with pytest.raises(ValueError):
        protocol.request("frobnicate", 1)


def test_builders_make_the_documented_bodies() -> None:
    assert protocol.request("frame", 3, film=1, index=2) == {
        "type": "frame",
        "id": 3,
        "film": 1,
        "index": 2,
    }
    assert protocol.result(3, {"a": 1}) == {"type": "result", "id": 3, "data": {"a": 1}}
    assert protocol.error(3, "bad_input", "no") == {
        "type": "error",
        "id": 3,
        "code": "bad_input",
        "message": "no",
    }
    p = protocol.progress(3, 5, 10, stage="shots", fps=2.0, eta_s=2.5)
    assert p["done"] == 5 and p["total"] == 10 and p["stage"] == "shots"


def test_read_messages_from_a_stream() -> None:
    stream = encode({"type": "a", "id": 1}) + b"junk" + encode({"type": "b", "id": 2}, b"z")
    items = Decoder().feed(stream)
    assert [m.type for m in _messages(items)] == ["a", "b"]
    assert len(_errors(items)) == 1
    read = list(protocol.read_messages(io.BytesIO(stream), chunk=3))
    assert [m.type for m in _messages(read)] == ["a", "b"]


def test_protocol_module_stays_pure_python() -> None:
    # The GUI imports the protocol and the client; neither may pull in heavy engines.
    code = (
        "import sys, panchro.engine.service.protocol, panchro.engine.service.client\n"
        "bad = [m for m in ('torch', 'av', 'numpy', 'PIL', 'PySide6') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
