"""The light lane's requests: `open` and `close` a film, `frame` (one picture, resized), and
`sound_info` (what a sound file chosen as a soundtrack holds).

They are quick and run one after another on the light lane, which owns each open film's
decoder (`Film.source`); a queued `frame` is superseded by a newer one for the same film
(the server does that). Jobs never touch these decoders: they open their own.
"""

from __future__ import annotations

import logging
from typing import Any

from panchro.engine.errors import CancelledError
from panchro.engine.service.handlers.common import (
    IMAGE_TYPES,
    LIGHT,
    Answer,
    Film,
    Handler,
    RequestError,
    Session,
    Work,
    colour_answer,
    crop_of,
    encode_image,
    in_range,
    max_side_of,
    param,
    preview_size,
    reading_of,
    upright,
)
from panchro.engine.service.protocol import ErrorCode, Request

# The engine's logger, as its log events have always named it.
log = logging.getLogger("panchro.engine.service.server")


def parse_film(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return {"film": param(body, "film", int)}


def parse_open(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return {"path": param(body, "path", str), "reading": reading_of(body)}


def open_film(session: Session, work: Work) -> Answer:
    path, reading = work.params["path"], work.params["reading"]
    source = reading.open(path)
    with session.lock:
        handle = session.next_film
        session.next_film += 1
        session.films[handle] = Film(handle, path, source, reading)
    info = source.info
    log.info(
        "opened film %d: %s (%dx%d, %d frames)",
        handle, path, info.width, info.height, info.frame_count,
    )  # fmt: skip
    return Answer({"film": handle, "info": info.to_dict()})


def close_film(session: Session, work: Work) -> Answer:
    film = session.film(work.params["film"])
    with session.lock:
        session.films.pop(film.handle, None)
    film.source.close()
    return Answer({"film": film.handle})


def parse_frame(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    film = param(body, "film", int)
    index = param(body, "index", int, None)
    time_s = param(body, "time_s", float, None)
    if (index is None) == (time_s is None):
        raise RequestError(ErrorCode.BAD_REQUEST, "frame: give exactly one of 'index' or 'time_s'")
    max_side = max_side_of(body)
    blob_type = param(body, "blob_type", str, IMAGE_TYPES[0])
    if blob_type not in IMAGE_TYPES:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"frame: 'blob_type' must be one of {', '.join(IMAGE_TYPES)}, got {blob_type!r}",
        )
    quality = param(body, "quality", int, 85)
    in_range(body, "quality", quality, 1, 100)
    crop = None
    if body.get("crop") is not None:
        crop = crop_of(body, "frame", session.film(film).source.info)
        crop = crop if any(crop) else None
    return {
        "film": film,
        "index": index,
        "time_s": time_s,
        "max_side": max_side,
        "blob_type": blob_type,
        "quality": quality,
        "judge": param(body, "judge", bool, False),
        "crop": crop,  # judged inside it, as a render judges the shot
    }


def frame(session: Session, work: Work) -> Answer:
    p = work.params
    film = session.film(p["film"])
    src = film.source
    info = src.info
    n = info.frame_count
    if p["index"] is not None:
        index = p["index"]
    else:
        if p["time_s"] < 0:
            raise RequestError(ErrorCode.BAD_REQUEST, "frame: 'time_s' must not be negative")
        index = src.index_at(p["time_s"])
    if not 0 <= index < n:
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"frame: index {index} is outside the film (0..{n - 1})"
        )
    size = preview_size(info, p["max_side"])
    decoded = src.read_frame(index, fmt="rgb24", size=size, conceal=True)
    if work.cancel.is_set():
        raise CancelledError("cancelled")
    image = upright(decoded.image, info.rotation)
    blob = encode_image(image, p["blob_type"], p["quality"])
    height, width = image.shape[:2]
    data = {
        "index": decoded.index,
        "pts": decoded.pts,
        "time_s": decoded.time_s,
        "width": width,
        "height": height,
    }
    if decoded.damaged:  # the good frame before it, as an export writes it
        data["damaged"] = True
    if p["judge"]:  # as a render judges a shot's key frame: in colour, it keeps its colours
        from panchro.engine.restore.own import frame_figures

        data.update(colour_answer(frame_figures(src, decoded.index, p["crop"])))
    return Answer(data, blob, p["blob_type"])


def parse_sound_info(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    offset = param(body, "offset", float, 0.0)
    return {"path": param(body, "path", str), "offset": offset}


def sound_info(session: Session, work: Work) -> Answer:
    """A soundtrack's facts, or why it cannot be one (a bad_input error: no sound in it)."""
    from panchro.engine import media

    track = media.open_soundtrack(work.params["path"], work.params["offset"])
    return Answer(
        {
            "path": track.path,
            "codec": track.codec,
            "channels": track.channels,
            "sample_rate": track.sample_rate,
            "duration_s": track.duration_s,
            "offset": float(track.offset),
        }
    )


HANDLERS: dict[str, Handler] = {
    Request.SOUND_INFO: Handler(parse_sound_info, sound_info, LIGHT),
    Request.OPEN: Handler(parse_open, open_film, LIGHT),
    Request.CLOSE: Handler(parse_film, close_film, LIGHT),
    Request.FRAME: Handler(parse_frame, frame, LIGHT),
}
