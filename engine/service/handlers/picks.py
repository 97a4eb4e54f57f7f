"""`pick_pictures`: each picked shot's key frame coloured by its pick, as a render colours it
(or by its hints alone, a shot with hints and no pick).

The app shows a picked shot in its strip, and in the Colour modes panel, by its key frame in
the colours picked. While the person picks, that picture comes with the pick (a drawn mode,
the key frame a picture or a neighbour coloured); a project opened again, or a film read
again otherwise (as a negative, its levels stretched), has the picks without them. This
draws them again: the render's own colour stage on each key frame (the pick, the hints on
its shot, through the refiner), with no neighbours and no other stage, as `hint_preview`
does for one. Nothing is sampled, so each picture is the pick's, to the pixel.

It runs on the job lane (the refiner), a few shots a request: the app asks for the next few
when these are answered, so a person's own requests (draw modes, preview a hint) wait for a
few key frames, not for a feature film's thousand.
"""

from __future__ import annotations

import logging
from typing import Any

from panchro.engine.errors import CancelledError
from panchro.engine.progress import Progress
from panchro.engine.service.handlers.common import (
    JOBS,
    Answer,
    ErrorCode,
    Handler,
    RequestError,
    Session,
    Work,
    crop_of,
    hints_of,
    in_range,
    max_side_of,
    param,
    preview_size,
    shots_of,
    strength_of,
)
from panchro.engine.service.handlers.hints import hint_stage
from panchro.engine.service.protocol import Request

log = logging.getLogger("panchro.engine.service.server")

MAX_SHOTS = 64  # shots of one request: the app asks a few at a time


def parse_pick_pictures(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    film = session.film(param(body, "film", int))
    info = film.source.info
    n = info.frame_count
    shots = shots_of(body, "shots", "pick_pictures", n, MAX_SHOTS, picked=True)
    crop = crop_of(body, "pick_pictures", info)
    quality = param(body, "quality", int, 85)
    in_range(body, "quality", quality, 1, 100)
    hints = hints_of(body, info)
    for shot, pick in shots:  # no pick: coloured by its hints alone, which it must have
        if pick is None and (hints is None or hints.on_frames(shot.start, shot.end).empty):
            raise RequestError(
                ErrorCode.BAD_REQUEST,
                f"pick_pictures: shot {shot.start}..{shot.end - 1} has neither a pick nor hints",
            )
    return {
        "film": film.handle,
        "shots": shots,
        "hints": hints,
        "crop": None if crop is None or not any(crop) else crop,
        "max_side": max_side_of(body),
        "quality": quality,
        "colour_strength": strength_of(body),
    }


def pick_pictures(session: Session, work: Work) -> Answer:
    """Each shot's key frame coloured by its pick: `images` (start, offset, length), JPEGs of
    the preview size asked for in the blob."""
    from panchro.engine.restore.frame_preview import preview_frame
    from panchro.engine.service.handlers.carry import picture_jpeg

    p = work.params
    film = session.film(p["film"])
    info = film.source.info
    stage = hint_stage(session, 0)  # a pick is drawn already: the seed draws nothing
    stage.crop, stage.hints, stage.strength = p["crop"], p["hints"], p["colour_strength"]
    size = preview_size(info, p["max_side"])
    progress = Progress(len(p["shots"]), session.progress(work), stage="pick_pictures",
                        cancel=work.cancel)  # fmt: skip
    blob, listed = bytearray(), []
    for shot, pick in p["shots"]:
        if work.cancel.is_set():
            raise CancelledError("cancelled")

        shown = preview_frame(
            film.path, shot.key_frame, [stage], shot=shot, pick=pick, context=0,
            reading=film.reading,
        )  # fmt: skip
        jpeg = picture_jpeg(shown.after, size, info.rotation, p["quality"])
        listed.append({"start": shot.start, "offset": len(blob), "length": len(jpeg)})
        blob.extend(jpeg)
        progress.advance(1)
    progress.finish()
    log.info("pick pictures of film %s: %d key frame(s)", film.handle, len(listed))
    return Answer({"images": listed, "notes": list(stage.notes)}, bytes(blob), "image/jpeg")


HANDLERS: dict[str, Handler] = {
    Request.PICK_PICTURES: Handler(parse_pick_pictures, pick_pictures, JOBS),
}
