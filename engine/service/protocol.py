"""The message protocol between the GUI (or any client) and the engine process.

Pure Python on purpose: the GUI imports this module, and it must never pull in
torch, PyAV or numpy. docs/protocol.md describes every message; keep the two
in step.

Wire format. Each message is one frame::

    b"PNCH"  magic, so a reader can find the next frame after garbage
    u32      length of the JSON part (big-endian)
    u32      length of the binary part (big-endian), 0 when there is none
    JSON     UTF-8, always an object with a "type"
    binary   e.g. a PNG/JPEG preview; its MIME type is in the JSON ("blob_type")

Conversation. A client sends requests, each with an integer "id" of its
choosing. For every request the engine sends exactly one *terminal* message
carrying that id: "result", "error", "cancelled" or "superseded". Before it,
a long request may send any number of "progress" events with the same id.
"log" messages carry no id. Full-resolution frames never cross the pipe.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

PROTOCOL_VERSION = 1

MAGIC = b"PNCH"
_HEADER = struct.Struct(">4sII")
HEADER_SIZE = _HEADER.size
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_BLOB_BYTES = 256 * 1024 * 1024


class Request:
    """Request types a client may send."""

    HELLO = "hello"  # versions, device, models present/untrained
    OPEN = "open"  # open a film (video file, frame folder, image)
    CLOSE = "close"  # forget an opened film
    FRAME = "frame"  # one preview-sized frame; latest request wins
    SOUND_INFO = "sound_info"  # what a sound file chosen as a soundtrack holds
    SHOTS = "shots"  # cut detection (a job: progress, cancellable)
    SURVEY = "survey"  # scratches and dirt around known shots' key frames (a project's)
    SAMPLE_KEYFRAME = "sample_keyframe"  # K colour modes of one frame (colorizer)
    HINT_PREVIEW = "hint_preview"  # a frame coloured with a person's hints; latest wins
    REFERENCE_PICK = "reference_pick"  # a shot's colours lent by a colour picture, as a pick
    CARRY_PICK = "carry_pick"  # a picked shot's colours carried to the shots of its scene
    CARRY_PICTURE = "carry_picture"  # an album picture's colours carried to the others
    PICK_PICTURES = "pick_pictures"  # picked shots' key frames coloured by their picks
    PREVIEW = "preview"  # a few restored seconds, side by side
    RENDER = "render"  # the whole restoration to an output file
    EXPORT_FRAME = "export_frame"  # one frame restored into a picture file
    SAVE_PROJECT = "save_project"  # write a .panchro file from the GUI's shots and picks
    LOAD_PROJECT = "load_project"  # read one back (and say whether its film changed)
    OPEN_ALBUM = "open_album"  # a folder or pictures as an album (or: that folder is a film)
    CLOSE_ALBUM = "close_album"  # forget an opened album
    ALBUM_PICTURE = "album_picture"  # one album picture, preview-sized (thumbnails)
    SAMPLE_PICTURE = "sample_picture"  # K colour modes of one album picture
    PREVIEW_PICTURE = "preview_picture"  # one album picture before | after
    EXPORT_PICTURE = "export_picture"  # one album picture restored into a picture file
    EXPORT_ALBUM = "export_album"  # every picture restored into a folder, with the picks
    CANCEL = "cancel"  # stop one request, or all work in progress
    SHUTDOWN = "shutdown"  # cancel everything and exit now

    ALL = frozenset(
        {
            HELLO,
            OPEN,
            CLOSE,
            FRAME,
            SOUND_INFO,
            SHOTS,
            SURVEY,
            SAMPLE_KEYFRAME,
            HINT_PREVIEW,
            REFERENCE_PICK,
            CARRY_PICK,
            CARRY_PICTURE,
            PICK_PICTURES,
            PREVIEW,
            RENDER,
            EXPORT_FRAME,
            SAVE_PROJECT,
            LOAD_PROJECT,
            OPEN_ALBUM,
            CLOSE_ALBUM,
            ALBUM_PICTURE,
            SAMPLE_PICTURE,
            PREVIEW_PICTURE,
            EXPORT_PICTURE,
            EXPORT_ALBUM,
            CANCEL,
            SHUTDOWN,
        }
    )


class Event:
    """Message types the engine sends."""

    RESULT = "result"  # terminal: the request succeeded; "data" holds the answer
    ERROR = "error"  # terminal: typed failure ("code", "message")
    CANCELLED = "cancelled"  # terminal: stopped by a cancel or shutdown
    SUPERSEDED = "superseded"  # terminal: a newer request of the same kind replaced it
    PROGRESS = "progress"  # done/total, fps, eta_s, stage; at most ~10 per second
    LOG = "log"  # a line for the log view (no id)

    TERMINAL = frozenset({RESULT, ERROR, CANCELLED, SUPERSEDED})


class ErrorCode:
    """Values of "code" in error messages."""

    BAD_REQUEST = "bad_request"  # malformed frame or JSON, unknown type, bad parameters
    BAD_INPUT = "bad_input"  # the film or an option cannot be used
    NOT_OPEN = "not_open"  # the "film" (or "album") handle is unknown
    IO = "io"  # reading or writing failed (disk full, not writable, exists)
    MODEL_MISSING = "model_missing"  # weights absent or untrained
    OUT_OF_MEMORY = "out_of_memory"
    VERSION_MISMATCH = "version_mismatch"  # client speaks another protocol version
    INTERNAL = "internal"  # a bug: the message says where the log is


# The `shots` answer's "flicker" (grey levels of 255 a frame, `shots.CutAnalysis.flicker`)
# from which a film is said to flicker some, or strongly: steady footage measured 0.1-0.9
# (a phone camera's exposure hunting included), the 1952 film among the shared clips 1.1,
# the flickering sample film 2.4. Here so that the app and the command line say the same.
FLICKER_SOME = 1.0
FLICKER_STRONG = 2.0


def flicker_grade(level: float | None) -> str | None:
    """ "little or none", "some" or "strong" for the `shots` answer's "flicker"; None for
    a film too short to tell."""
    if level is None:
        return None
    if level < FLICKER_SOME:
        return "little or none"
    return "strong" if level >= FLICKER_STRONG else "some"


# The classic colours of silent films, for the app's Tint and Tone (sRGB): tints dyed the
# base, tones the image.
TINTS = {"Amber": (255, 176, 64), "Blue": (80, 128, 255), "Green": (96, 192, 112),
         "Rose": (255, 128, 150), "Yellow": (240, 220, 80)}  # fmt: skip
TONES = {"Sepia": (160, 112, 64), "Blue": (64, 96, 160), "Copper": (176, 96, 64)}


def flat_pick_chroma(rgb: tuple[int, int, int] | None) -> str:
    """The chroma of a one-colour pick (a "grey", "tint" or "tone" pick: docs/project-format.md)
    as picks carry it: base64 of 2 x 28 x 28 bins, every cell the colour of `rgb` (sRGB
    0..255; None: neutral). BT.601 full range and 32 bins a channel, as the engine's
    `imaging.color` quantizes (a test holds the two equal); pure Python, for the app."""
    import base64
    import math

    if rgb is None:
        cb = cr = 0.0
    else:
        r, g, b = (v / 255.0 for v in rgb)
        cb = -0.168736 * r - 0.331264 * g + 0.5 * b
        cr = 0.5 * r - 0.418688 * g - 0.081312 * b
    bins = [min(31, max(0, math.floor(c * 32 + 0.5) + 16)) for c in (cb, cr)]
    return base64.b64encode(bytes([bins[0]] * 784 + [bins[1]] * 784)).decode("ascii")


def survey_words(survey: dict[str, Any] | None) -> tuple[str, str]:
    """What the `shots` answer's "survey" (`engine.survey`) says of the film's line scratches
    and of its dirt, in words: ("2 lines in 1 of 6 shots looked at", "specks in 5 of 6 shots
    looked at (3.1 in 10,000 pixels)"); "too short to tell" when no shot was long enough."""
    if not survey or not survey.get("looked"):
        return "too short to tell", "too short to tell"
    looked = int(survey["looked"])
    shots = f"{looked} shot{'s' if looked != 1 else ''} looked at"
    lines, scratched = int(survey["lines"]), int(survey["scratched"])
    if lines:
        scratches = f"{lines} line{'s' if lines != 1 else ''} in {scratched} of {shots}"
    else:
        scratches = f"none seen in {shots}"
    share = f"{float(survey['specks']) * 1e4:.1f} in 10,000 pixels"
    if int(survey["dirty"]):
        dirt = f"specks in {int(survey['dirty'])} of {shots} ({share})"
    else:
        dirt = f"little or none in {shots} ({share})"
    return scratches, dirt


class ProtocolError(Exception):
    """A frame could not be decoded. The reader has skipped past it.

    `id` is the request id when the frame was a JSON object that carried one
    (e.g. it lacked a "type"), so the answer can still reach its sender.
    """

    def __init__(self, message: str, *, id: int | None = None) -> None:
        super().__init__(message)
        self.id = id


@dataclass
class Message:
    """One decoded frame: the JSON object and its optional binary part."""

    body: dict[str, Any]
    blob: bytes = b""

    @property
    def type(self) -> str:
        return str(self.body.get("type", ""))

    @property
    def id(self) -> int | None:
        return _int_id(self.body.get("id"))


def _int_id(value: Any) -> int | None:
    # JSON true/false decode to bool, a subclass of int; they are not ids.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def encode(body: dict[str, Any], blob: bytes = b"") -> bytes:
    """One frame for `body` (a JSON-able dict with a "type") and an optional blob."""
    if "type" not in body:
        raise ValueError("a message needs a 'type'")
    payload = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(payload) > MAX_JSON_BYTES or len(blob) > MAX_BLOB_BYTES:
        raise ValueError("message too large for the protocol")
    return _HEADER.pack(MAGIC, len(payload), len(blob)) + payload + blob


@dataclass
class Decoder:
    """Incremental decoder: feed it bytes as they arrive, take whole messages out.

    Works for a blocking pipe (the engine, the test client) and for Qt's
    readyRead chunks alike. A bad frame becomes a `ProtocolError` in the
    output stream, and decoding goes on at the next magic.
    """

    _buf: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Message | ProtocolError]:
        self._buf += data
        out: list[Message | ProtocolError] = []
        while True:
            item = self._next()
            if item is None:
                return out
            out.append(item)

    def _next(self) -> Message | ProtocolError | None:
        buf = self._buf
        if not buf:
            return None
        if not buf.startswith(MAGIC[: len(buf)]) or (
            len(buf) >= len(MAGIC) and buf[: len(MAGIC)] != MAGIC
        ):
            # Garbage: drop up to the next possible magic and say so once.
            nxt = buf.find(MAGIC, 1)
            dropped = len(buf) if nxt < 0 else nxt
            # Keep a tail that may be the start of a magic split across reads.
            if nxt < 0:
                keep = 0
                for k in range(len(MAGIC) - 1, 0, -1):
                    if buf.endswith(MAGIC[:k]):
                        keep = k
                        break
                dropped = len(buf) - keep
            del buf[:dropped]
            return ProtocolError(f"skipped {dropped} bytes that were not a message frame")
        if len(buf) < HEADER_SIZE:
            return None
        _, n_json, n_blob = _HEADER.unpack_from(buf)
        if n_json > MAX_JSON_BYTES or n_blob > MAX_BLOB_BYTES:
            del buf[: len(MAGIC)]  # resync at the next magic
            return ProtocolError(f"frame announces {n_json}+{n_blob} bytes, over the limit")
        end = HEADER_SIZE + n_json + n_blob
        if len(buf) < end:
            return None
        raw = bytes(buf[HEADER_SIZE : HEADER_SIZE + n_json])
        blob = bytes(buf[HEADER_SIZE + n_json : end])
        del buf[:end]
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return ProtocolError(f"message is not UTF-8 JSON: {exc}")
        except (ValueError, RecursionError) as exc:
            # Nesting too deep, or an integer too long to convert: still bad
            # input, never a reason for the reader thread to die.
            return ProtocolError(f"message is not usable JSON: {type(exc).__name__}")
        if not isinstance(body, dict):
            return ProtocolError("message is not a JSON object")
        if not isinstance(body.get("type"), str):
            return ProtocolError("message has no 'type'", id=_int_id(body.get("id")))
        return Message(body, blob)


def read_messages(stream: BinaryIO, chunk: int = 65536) -> Iterator[Message | ProtocolError]:
    """Messages from a blocking binary stream until it closes."""
    decoder = Decoder()
    read = getattr(stream, "read1", stream.read)
    while True:
        data = read(chunk)
        if not data:
            return
        yield from decoder.feed(data)


def request(type_: str, id_: int, **params: Any) -> dict[str, Any]:
    """A request body; `params` are the request's fields (see docs/protocol.md)."""
    if type_ not in Request.ALL:
        raise ValueError(f"unknown request type {type_!r}")
    return {"type": type_, "id": id_, **params}


def result(id_: int | None, data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": Event.RESULT, "id": id_, "data": data or {}, **extra}


def error(id_: int | None, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": Event.ERROR, "id": id_, "code": code, "message": message, **extra}


def progress(
    id_: int,
    done: int,
    total: int | None,
    *,
    stage: str = "",
    fps: float | None = None,
    eta_s: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": Event.PROGRESS,
        "id": id_,
        "done": done,
        "total": total,
        "stage": stage,
        "fps": fps,
        "eta_s": eta_s,
        **extra,
    }
