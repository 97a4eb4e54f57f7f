"""What every request handler shares: the work item, the answer, the session, parameters.

A handler is a pair of functions (`Handler`): `parse(session, body)` runs on the reader
thread, checks the request's parameters and returns them (or raises `RequestError`);
`run(session, work)` runs on the handler's lane and returns an `Answer`. The `Session` holds
what requests share (open films, kept candidates, built stages) under the engine's lock.
Also here: the frame and preview helpers the films and the jobs both use, and `hints_of`,
the colour hints a request carries.
"""

from __future__ import annotations

import io
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from panchro.engine.errors import BadInputError
from panchro.engine.imaging.orient import upright  # noqa: F401 - the handlers take it from here
from panchro.engine.progress import ProgressState
from panchro.engine.service.protocol import ErrorCode

FRAME_MAX_SIDE_DEFAULT = 640
FRAME_MAX_SIDE_RANGE = (64, 1920)
IMAGE_TYPES = ("image/jpeg", "image/png")

# The lanes a handler's work runs on (see the server's docstring).
LIGHT = "light"
JOBS = "jobs"


class RequestError(Exception):
    """A request that cannot be answered, with the protocol error code to send."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Work:
    id: int
    type: str
    params: dict[str, Any]
    cancel: threading.Event = field(default_factory=threading.Event)
    reason: str = "cancel"  # why `cancel` was set: "cancel" or "shutdown"


@dataclass
class Film:
    handle: int
    path: str
    source: Any  # media.Source; only the light lane touches it
    reading: Any  # media.Reading: how it was opened; every job reads it so

    @property
    def fps(self) -> Any:
        """The rate it was opened at (None: its own)."""
        return self.reading.fps


@dataclass
class Answer:
    data: dict[str, Any]
    blob: bytes = b""
    blob_type: str | None = None


class Session:
    """What the requests of one engine share; `lock` is the engine's lock."""

    def __init__(
        self,
        lock: threading.Lock,
        progress: Callable[[Work], Callable[[ProgressState], None]],
    ) -> None:
        self.lock = lock
        # `progress(work)`: a callback that sends `work`'s progress events while it is in flight.
        self.progress = progress
        self.films: dict[int, Film] = {}
        self.next_film = 1
        # sample_keyframe results by key, oldest first: (film, frame, Candidates)
        self.candidates: dict[str, tuple[int, int, Any]] = {}
        self.next_key = 0
        self.stage_cache: dict[tuple, list[Any]] = {}
        # hint_preview's colorize stage, by seed: kept apart from `stage_cache` so that a
        # person placing hints does not evict the stages a compare or render built.
        self.hint_stages: dict[int, Any] = {}
        # open albums by handle (handlers.albums.Album), numbered apart from the films
        self.albums: dict[int, Any] = {}
        self.next_album = 1

    def film(self, handle: int) -> Film:
        with self.lock:
            film = self.films.get(handle)
        if film is None:
            raise RequestError(ErrorCode.NOT_OPEN, f"film {handle} is not open (open it first)")
        return film

    def album(self, handle: int) -> Any:
        with self.lock:
            album = self.albums.get(handle)
        if album is None:
            raise RequestError(
                ErrorCode.NOT_OPEN, f"album {handle} is not open (open_album it first)"
            )
        return album


@dataclass(frozen=True)
class Handler:
    """How one request type is answered: `parse` on the reader thread, `run` on `lane`."""

    parse: Callable[[Session, dict[str, Any]], dict[str, Any]]
    run: Callable[[Session, Work], Answer]
    lane: str  # LIGHT or JOBS


# --- parameters -----------------------------------------------------------------------------

_REQUIRED: Any = object()


def param(body: dict[str, Any], name: str, kind: type, default: Any = _REQUIRED) -> Any:
    """`body[name]` checked to be of `kind` (int, float, bool, str, list, dict); `None` counts as
    absent."""
    where = f"{body.get('type')}: parameter '{name}'"
    value = body.get(name)
    if value is None:
        if default is _REQUIRED:
            raise RequestError(ErrorCode.BAD_REQUEST, f"{where} is missing")
        return default
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        value = float(value) if ok else value
    elif kind is str:
        ok = isinstance(value, str) and value != ""
    elif kind in (list, dict):
        ok = isinstance(value, kind)
    else:  # pragma: no cover - a programming error
        raise TypeError(kind)
    if not ok:
        noun = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
                list: "a list", dict: "an object"}  # fmt: skip
        shown = json.dumps(value)[:60]
        raise RequestError(ErrorCode.BAD_REQUEST, f"{where} must be {noun[kind]}, got {shown}")
    return value


def strength_of(body: dict[str, Any]) -> float:
    """The `colour_strength` a request that colours frames as a render does may carry."""
    from panchro.engine.settings import COLOUR_STRENGTHS

    strength = param(body, "colour_strength", float, 1.0)
    in_range(body, "colour_strength", strength, *COLOUR_STRENGTHS)
    return float(strength)


def in_range(body: dict[str, Any], name: str, value: int | float, lo: float, hi: float) -> None:
    if not lo <= value <= hi:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"{body.get('type')}: parameter '{name}' must be within {lo}..{hi}, got {value}",
        )


def max_side_of(body: dict[str, Any]) -> int:
    """The `max_side` a picture request asks for, held within FRAME_MAX_SIDE_RANGE."""
    max_side = param(body, "max_side", int, FRAME_MAX_SIDE_DEFAULT)
    return min(max(max_side, FRAME_MAX_SIDE_RANGE[0]), FRAME_MAX_SIDE_RANGE[1])


def source_of(session: Session, body: dict[str, Any], *, allow_path: bool) -> dict[str, Any]:
    """The film a job works on, as a path (jobs open their own decoder)."""
    has_film, has_path = body.get("film") is not None, body.get("path") is not None
    if allow_path and has_film == has_path:
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"{body.get('type')}: give exactly one of 'film' or 'path'"
        )
    if has_film or not allow_path:
        film = session.film(param(body, "film", int))
        return {"film": film.handle, "path": film.path, "reading": film.reading}
    return {"film": None, "path": param(body, "path", str), "reading": reading_of(body)}


def reading_of(body: dict[str, Any]) -> Any:
    """How the request's film is read (`media.Reading`): its `fps`, `deinterlace`, `scan`
    and `levels` ([black, white] or null), each checked."""
    from panchro.engine.media.reading import Reading

    fps = param(body, "fps", float, None)
    if fps is not None:
        in_range(body, "fps", fps, 0.001, 1000)
    levels = param(body, "levels", list, None)
    try:
        return Reading(
            fps=fps, deinterlace=deinterlace_of(body), scan=scan_of(body),
            levels=None if levels is None else tuple(levels),
        )  # fmt: skip
    except BadInputError as exc:
        raise RequestError(ErrorCode.BAD_REQUEST, f"{body.get('type')}: {exc}") from None


def deinterlace_of(body: dict[str, Any]) -> str:
    """The request's `deinterlace` (how an interlaced film is read; default "auto")."""
    from panchro.engine.media.deinterlace import DEINTERLACE_MODES

    mode = param(body, "deinterlace", str, "auto")
    if mode not in DEINTERLACE_MODES:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"{body.get('type')}: 'deinterlace' must be one of {', '.join(DEINTERLACE_MODES)},"
            f" got {mode!r}",
        )
    return mode


def scan_of(body: dict[str, Any]) -> str:
    """The request's `scan` (how a scan's values are read; default "auto")."""
    from panchro.engine.media.scan import SCAN_MODES

    mode = param(body, "scan", str, "auto")
    if mode not in SCAN_MODES:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"{body.get('type')}: 'scan' must be one of {', '.join(SCAN_MODES)}, got {mode!r}",
        )
    return mode


def hints_of(body: dict[str, Any], info: Any | None = None) -> Any | None:
    """The request's `hints` (the hints file's JSON form, docs/hints.md) as `Hints`, or None
    when absent or empty; checked against the film's size and length when `info` is given.
    A bad entry -> bad_request naming it."""
    raw = param(body, "hints", dict, None)
    if raw is None:
        return None
    from panchro.engine.errors import PanchroError
    from panchro.engine.imaging.hints import parse_hints

    try:
        hints = parse_hints(raw)
        if info is not None:
            hints.check_against(info.width, info.height, info.frame_count)
    except PanchroError as exc:
        raise RequestError(ErrorCode.BAD_REQUEST, f"{body.get('type')}: {one_line(exc)}") from None
    return None if hints.empty else hints


def crop_of(body: dict[str, Any], what: str, info: Any | None = None) -> Any | None:
    """The request's `crop` ([left, top, right, bottom] film pixels) as a tuple, or None when
    absent; checked against the film's size when `info` is given (it must
    leave a picture). A bad one -> bad_request."""
    crop = param(body, "crop", list, None)
    if crop is None:
        return None
    if not (len(crop) == 4 and all(type(v) is int and 0 <= v < 2**20 for v in crop)):
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"{what}: 'crop' must be [left, top, right, bottom] pixels, 0 or more, got {crop!r}",
        )
    if info is not None:
        from panchro.engine.errors import BadInputError
        from panchro.engine.restore.crop import crop_size

        try:
            crop_size(tuple(crop), info.width, info.height)
        except BadInputError as exc:
            raise RequestError(ErrorCode.BAD_REQUEST, f"{what}: {exc}") from None
    return tuple(crop)


def shots_of(
    body: dict[str, Any], key: str, what: str, frames: int, most: int, *, picked: bool = False
) -> list[Any]:
    """The request's list `key` of shots (`{"start", "end", "key_frame"}`), 1 to `most`, each
    within a film of `frames` frames, as `Shot`s; with `picked`, each with its `pick` too, as
    (`Shot`, `Pick`) pairs (a `pick` null: None, a shot its hints alone colour). A bad one ->
    bad_request naming it."""
    from panchro.engine.project import Pick
    from panchro.engine.shots import Shot

    raw = param(body, key, list)
    if not 0 < len(raw) <= most:
        raise RequestError(ErrorCode.BAD_REQUEST, f"{what}: 1 to {most} {key}, got {len(raw)}")
    found: list[Any] = []
    for i, t in enumerate(raw):
        try:
            start, end = int(t["start"]), int(t["end"])
            shot = Shot(start, end, int(t.get("key_frame", start)))
            raw_pick = t["pick"] if picked else None
            pick = None if raw_pick is None else Pick.from_dict(raw_pick, f"{key}[{i}].pick")
        except Exception as exc:  # noqa: BLE001 - the shot's and pick's own words say what
            raise RequestError(
                ErrorCode.BAD_REQUEST, f"{what}: {key}[{i}]: {one_line(exc)}"
            ) from None
        if not 0 <= shot.start <= shot.key_frame < shot.end <= frames:
            raise RequestError(
                ErrorCode.BAD_REQUEST,
                f"{what}: {key}[{i}] ({shot.start}..{shot.end - 1}, key frame "
                f"{shot.key_frame}) is not within the film's {frames} frames",
            )
        found.append((shot, pick) if picked else shot)
    return found


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


# --- pictures -------------------------------------------------------------------------------


def preview_size(info: Any, max_side: int) -> tuple[int, int]:
    """Decode size for a preview: square pixels, longest side at most `max_side`, never larger
    than the film itself (a preview is for looking, upscaling it helps nobody)."""
    from panchro.engine import media

    sar = info.sample_aspect_ratio
    width = info.width * float(sar) if sar and float(sar) > 0 else float(info.width)
    width_i = max(2, round(width))
    limit = min(max_side, max(width_i, info.height))
    return media.fit_size(width_i, info.height, limit)


def encode_image(rgb: Any, blob_type: str, quality: int = 85) -> bytes:
    """RGB uint8 (H, W, 3) as JPEG or PNG bytes."""
    from PIL import Image

    buf = io.BytesIO()
    image = Image.fromarray(rgb)
    if blob_type == "image/png":
        # Level 1: previews are thrown away soon; speed matters more than bytes.
        image.save(buf, format="PNG", compress_level=1)
    else:
        image.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def colour_answer(figures: Any) -> dict[str, bool]:
    """What a reply says of a picture's or a frame's own colours, from `color.colour_figures`
    (judged as a restore judges it): `in_colour` (kept unless a person picks otherwise) and
    `maybe_in_colour` (colours of one hue of its own: colorized, and said to be)."""
    from panchro.engine.imaging import color

    return {"in_colour": color.in_colour_by(figures), "maybe_in_colour": color.one_hue_by(figures)}
