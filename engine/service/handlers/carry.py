"""`carry_pick`: one shot's colours carried to the other shots of its scene.

A scene cut into shots — two faces in turn, a wide shot and its close-ups — is one set of
colours, but each shot's colour modes are drawn on its own, so a dress may be red in one
shot and blue in the next. A person who picked the colours of one shot asks for them on the
others: the key frame of the picked shot, coloured as a render colours it (its pick and its
hints, through the refiner), becomes the colour picture of a `reference_pick` for each
other shot's key frame (`inference.reference`: each cell of the grey frame takes the colours
of the cells of the picture that look like it, so a face gets the face's colour wherever the
camera put it). Copying the pick's 28 x 28 colours in place, as *Apply to the following
shots* does, puts them where they were in the other framing (docs/hints.md: on frames of
the same clips, matched 28.46 dB where copied in place 27.20 with the framing mirrored).

The reference's round trip (`ReferenceMatch.fit`) says whether a shot is of the same scene:
another scene lends nothing, and that shot is answered without a pick, so it keeps what it
had (its automatic colours); a partial fit lends weakened colours (`strength` < 1). Each
shot carried to gets a pick of source "carried", with its key frame coloured by it.

A scene's shots follow one another, so the targets are looked at outwards from the picked
shot, the nearest first, each way until `stop_after` of them in a row did not fit (0: all of
them): a film's other scenes are not searched, and a face in another scene that happens to
look like this one's is not given its colours.
"""

from __future__ import annotations

import logging
from typing import Any

from panchro.engine.errors import CancelledError
from panchro.engine.progress import Progress
from panchro.engine.service.handlers.common import (
    JOBS,
    Answer,
    Handler,
    RequestError,
    Session,
    Work,
    encode_image,
    in_range,
    max_side_of,
    param,
    preview_size,
    shots_of,
)
from panchro.engine.service.handlers.hints import hint_stage, shot_params
from panchro.engine.service.protocol import ErrorCode, Request

log = logging.getLogger("panchro.engine.service.server")

MAX_TARGETS = 10_000  # shots of one request (a long film has a few thousand)
STOP_AFTER = 3  # shots in a row that do not fit: the scene has ended that way


def parse_carry_pick(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    params = shot_params(session, body, "carry_pick")
    if params["pick"] is None:
        raise RequestError(ErrorCode.BAD_REQUEST, "carry_pick: the shot's 'pick' is missing")
    n = session.film(params["film"]).source.info.frame_count
    params["targets"] = shots_of(body, "targets", "carry_pick", n, MAX_TARGETS)
    params["stop_after"] = param(body, "stop_after", int, STOP_AFTER)
    in_range(body, "stop_after", params["stop_after"], 0, MAX_TARGETS)
    return params


def outwards(source: Any, targets: list[Any]) -> list[list[Any]]:
    """The targets before the source shot (nearest first) and after it (nearest first)."""
    before = sorted((t for t in targets if t.start < source.start), key=lambda t: -t.start)
    after = sorted((t for t in targets if t.start >= source.start), key=lambda t: t.start)
    return [before, after]


def carry_pick(session: Session, work: Work) -> Answer:
    """Each target shot's colours lent by the picked shot's key frame as a render colours it:
    `shots` (start, the pick or None, fit, strength), and each carried-to key frame coloured,
    preview-sized, as a JPEG in the blob (`images`: start, offset, length)."""
    import numpy as np

    from panchro.engine.imaging import color
    from panchro.engine.project import Pick
    from panchro.engine.restore.frame_preview import preview_frame

    p = work.params
    film = session.film(p["film"])
    info = film.source.info
    stage = hint_stage(session, p["seed"])
    # as drawn: the colours carried are a pick's, strengthened or not when a shot is rendered
    stage.crop, stage.strength = p["crop"], 1.0
    stage.hints = p["hints"]  # the picked shot as the person sees it: its hints laid over
    shown = preview_frame(
        film.path, p["index"], [stage], shot=p["shot"], pick=p["pick"], context=0,
        reading=film.reading,
    )  # fmt: skip
    picture = (np.clip(shown.after, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    progress = Progress(len(p["targets"]), session.progress(work), stage="carry",
                        cancel=work.cancel)  # fmt: skip
    stage.hints = None  # the targets' own hints are laid over their picks by a render
    answered: list[dict[str, Any]] = []
    blob, listed = bytearray(), []
    size = preview_size(info, p["max_side"])
    with film.reading.open(film.path) as src:

        def carry(shot: Any) -> dict[str, Any]:
            found = stage.reference_match(src, shot.key_frame, picture)
            entry: dict[str, Any] = {
                "start": shot.start,
                "fit": round(found.fit, 3),
                "strength": round(found.strength, 3),
                "pick": None,
            }
            if found.strength > 0.0:
                pick = Pick(
                    seed=0, temperature=0.0, index=0, chroma=color.quantize_chroma(found.hint),
                    locked=True, source="carried", crop=p["crop"],
                )  # fmt: skip
                entry["pick"] = pick.to_dict()
                coloured = preview_frame(
                    film.path, shot.key_frame, [stage], shot=shot, pick=pick, context=0,
                    reading=film.reading,
                )  # fmt: skip
                jpeg = picture_jpeg(coloured.after, size, info.rotation, p["quality"])
                listed.append({"start": shot.start, "offset": len(blob), "length": len(jpeg)})
                blob.extend(jpeg)
            return entry

        for side in outwards(p["shot"], p["targets"]):
            misses = 0
            for shot in side:
                if work.cancel.is_set():
                    raise CancelledError("cancelled")
                answered.append(carry(shot))
                progress.advance(1)
                misses = misses + 1 if answered[-1]["pick"] is None else 0
                if p["stop_after"] and misses >= p["stop_after"]:
                    break  # the scene has ended this way
    progress.finish()
    carried = sum(1 for e in answered if e["pick"] is not None)
    log.info(
        "carry pick of film %s shot %d..%d: %d of %d shot(s) of its scene",
        film.handle, p["shot"].start, p["shot"].end - 1, carried, len(answered),
    )  # fmt: skip
    return Answer(
        {
            "shots": answered,
            "not_reached": len(p["targets"]) - len(answered),
            "images": listed,
            "notes": list(stage.notes),
        },
        bytes(blob),
        "image/jpeg",
    )


def picture_jpeg(rgb: Any, size: tuple[int, int], rotation: int, quality: int) -> bytes:
    """A coloured frame (RGB floats) as the JPEG a preview is sent as: `size`, turned upright."""
    import numpy as np
    from PIL import Image

    from panchro.engine.imaging.orient import upright

    img = Image.fromarray((np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
    if img.size != size:
        img = img.resize(size, Image.Resampling.LANCZOS)
    return encode_image(upright(np.asarray(img), rotation), "image/jpeg", quality)


# --- an album's pictures --------------------------------------------------------------------


def parse_carry_picture(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    """An album's picture with its pick, and the album's pictures it may colour alike."""
    from panchro.engine.service.handlers import albums

    params = albums.picture_params(session, body)
    pick = albums.pick_of(body, body.get("pick"), "pick")
    if pick is None:
        raise RequestError(ErrorCode.BAD_REQUEST, "carry_picture: the picture's 'pick' is missing")
    album = session.album(params["album"])
    names = param(body, "targets", list)
    if not 0 < len(names) <= MAX_TARGETS or not all(isinstance(n, str) for n in names):
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"carry_picture: 1 to {MAX_TARGETS} picture names as targets"
        )
    unknown = [n for n in names if n not in album.pictures]
    if unknown:
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"carry_picture: {unknown[0]!r} is not in album {album.handle}"
        )
    quality = param(body, "quality", int, 88)
    return {**params, "pick": pick, "targets": names, "max_side": max_side_of(body),
            "quality": quality, "files": {n: str(album.pictures[n]) for n in names}}  # fmt: skip


def carry_picture(session: Session, work: Work) -> Answer:
    """The album's picture as its export colours it (its pick, its hints) lends its colours to
    each target picture by the colorizer's features (`inference.reference`), as `carry_pick`
    does a film's shots; no walk: an album's pictures are in no scene order, the fit alone
    decides. The answer is `carry_pick`'s, by picture name (`picture` for `start`)."""
    import numpy as np

    from panchro.engine import media
    from panchro.engine.imaging import color
    from panchro.engine.inference import colorize
    from panchro.engine.inference.reference import match_reference
    from panchro.engine.project import Pick
    from panchro.engine.restore.album import hinted
    from panchro.engine.restore.crop import inner, scaled_margins
    from panchro.engine.restore.picture import MATRIX, picture_film, prepared
    from panchro.engine.restore.picture import preview_picture as preview
    from panchro.engine.service.handlers.albums import ALBUM_STAGES
    from panchro.engine.service.handlers.restore import stages_for
    from panchro.engine.settings import Settings

    p = work.params
    read = {k: p[k] for k in ("straighten", "negative", "levels")}
    # the colour stage as an album's previews and exports have it (weights loaded once)
    stages = stages_for(session, ALBUM_STAGES, None, Settings(colorize=True), 0)
    with hinted(stages, p["hints"]):
        shown = preview(p["path"], stages, pick=p["pick"], crop=p["crop"], **read)
    picture = (np.clip(shown.after, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    loaded = colorize.load_colorizer(None)
    progress = Progress(len(p["targets"]), session.progress(work), stage="carry",
                        cancel=work.cancel)  # fmt: skip
    answered: list[dict[str, Any]] = []
    blob, listed = bytearray(), []
    for name in p["targets"]:
        if work.cancel.is_set():
            raise CancelledError("cancelled")
        pic, margins = prepared(media.read_picture(p["files"][name]), p["crop"], [], **read)
        film = picture_film(pic)
        info = film.info
        size = media.fit_size(info.width, info.height, 640)
        fmt = "gray16" if info.bit_depth > 8 else "gray"
        luma = colorize.luma_of(film.read_frame(0, fmt=fmt, size=size).image)
        if margins is not None:  # the picture inside its border, as the export colours it
            luma = np.ascontiguousarray(
                inner(luma, scaled_margins(margins, (info.width, info.height), size))
            )
        found = match_reference(luma, picture, colorizer=loaded.model, matrix=MATRIX)
        entry: dict[str, Any] = {"picture": name, "fit": round(found.fit, 3),
                                 "strength": round(found.strength, 3), "pick": None}  # fmt: skip
        if found.strength > 0.0:
            pick = Pick(
                seed=0, temperature=0.0, index=0, chroma=color.quantize_chroma(found.hint),
                locked=True, source="carried", crop=margins,
            )  # fmt: skip
            entry["pick"] = pick.to_dict()
            coloured = preview(p["files"][name], stages, pick=pick, crop=p["crop"], **read)
            h, w = coloured.after.shape[:2]
            fit = media.fit_size(w, h, p["max_side"])
            jpeg = picture_jpeg(coloured.after, fit, 0, p["quality"])
            listed.append({"picture": name, "offset": len(blob), "length": len(jpeg)})
            blob.extend(jpeg)
        answered.append(entry)
        progress.advance(1)
    progress.finish()
    return Answer({"pictures": answered, "images": listed}, bytes(blob), "image/jpeg")


HANDLERS: dict[str, Handler] = {
    Request.CARRY_PICK: Handler(parse_carry_pick, carry_pick, JOBS),
    Request.CARRY_PICTURE: Handler(parse_carry_picture, carry_picture, JOBS),
}
