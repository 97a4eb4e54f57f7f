"""`hint_preview`: one frame coloured with a person's colour hints, for the GUI's hint tools;
`reference_pick`: a shot's colours lent by a colour picture, as a pick.

It answers "what will this shot look like with these hints?" after every point or stroke a
person places, so it is the render's own colour stage (`restore.stages.ColorizeStage`) run on
the one frame asked for, with no neighbours and no other stage: the hints on the shot's
frames laid over the shot's pick, or colouring the shot alone when it has no pick, carried to
the frame as a render carries them. The answer is packed as `preview`'s (before, after, luma
difference), so the compare view shows either.

It runs on the job lane (it uses the models), and a newer `hint_preview` for the same film
supersedes a queued one (the server does that, as for `frame`): a person clicking fast is
answered for their last click, not for every one.

`reference_pick` ("colour from a picture") matches a colour photo of the same scene, place or
era to the shot's key frame (`inference.reference`) and answers the 28 x 28 colours it lends as
a pick (`source` "reference"), with the key frame coloured by it. A pick is what every other
part already carries (projects, renders, hints laid over it, the cluster), so a person can
take a picture's colours for one shot, sampled modes for another, and correct either with
hints. The stage is built once per seed and kept
in the session, so the refiner's weights load once; only its hints change from request to
request.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from panchro.engine.errors import CancelledError
from panchro.engine.service.handlers.common import (
    JOBS,
    Answer,
    Handler,
    RequestError,
    Session,
    Work,
    crop_of,
    hints_of,
    in_range,
    max_side_of,
    one_line,
    param,
    strength_of,
)
from panchro.engine.service.handlers.restore import preview_answer
from panchro.engine.service.handlers.status import require_models
from panchro.engine.service.protocol import ErrorCode, Request

# The engine's logger, as its log events have always named it.
log = logging.getLogger("panchro.engine.service.server")

KEEP_STAGES = 4  # hint stages kept, by seed (a GUI uses one)


def parse_hint_preview(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    params = shot_params(session, body, "hint_preview")
    if params["pick"] is None and params["on_shot"] == 0:
        # Neither a pick nor hints: the shot gets its automatic pick, as a render gives it.
        require_models(["colorizer"], "hint_preview", quick=True)
    return params


def shot_params(session: Session, body: dict[str, Any], what: str) -> dict[str, Any]:
    """The frame, its shot, the shot's pick and hints, the seed and the preview's size."""
    from panchro.engine.project import Pick
    from panchro.engine.shots import Shot

    film = session.film(param(body, "film", int))
    info = film.source.info
    n = info.frame_count
    index = param(body, "index", int)
    if not 0 <= index < n:
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"{what}: index {index} is outside the film (0..{n - 1})"
        )
    raw_shot = param(body, "shot", dict, None)
    raw_pick = param(body, "pick", dict, None)
    try:
        shot = Shot(0, n, index)  # no shot given: the film is one shot, as for `preview`
        if raw_shot is not None:
            start, end = int(raw_shot["start"]), int(raw_shot["end"])
            shot = Shot(start, end, int(raw_shot.get("key_frame", start)))
        pick = None if raw_pick is None else Pick.from_dict(raw_pick, "pick")
    except Exception as exc:  # the project module's own messages say what is wrong
        raise RequestError(ErrorCode.BAD_REQUEST, f"{what}: {one_line(exc)}") from None
    if not 0 <= shot.start <= index < shot.end <= n:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"{what}: frame {index} is not in the shot {shot.start}..{shot.end - 1} "
            f"of a film of {n} frames",
        )
    hints = hints_of(body, info)
    crop = crop_of(body, what, info)
    on_shot = None if hints is None else hints.on_frames(shot.start, shot.end)
    if on_shot is not None and crop is not None:
        on_shot = on_shot.cut(crop, (info.width, info.height))  # those on the picture count
    seed = param(body, "seed", int, 0)
    in_range(body, "seed", seed, 0, 2**31 - 1)
    quality = param(body, "quality", int, 88)
    in_range(body, "quality", quality, 1, 100)
    return {
        "film": film.handle,
        "index": index,
        "shot": shot,
        "pick": pick,
        "hints": hints,
        "on_shot": 0 if on_shot is None else len(on_shot),
        # the picture inside the film's borders: coloured alone, the borders left grey
        "crop": None if crop is None or not any(crop) else crop,
        "seed": seed,
        "max_side": max_side_of(body),
        "quality": quality,
        "colour_strength": strength_of(body),
    }


def parse_reference_pick(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    from pathlib import Path

    if "pick" in body:
        raise RequestError(ErrorCode.BAD_REQUEST, "reference_pick: a picture makes the pick")
    params = shot_params(session, body, "reference_pick")
    path = param(body, "path", str)
    if not Path(path).is_file():
        raise RequestError(
            ErrorCode.BAD_INPUT, f"reference_pick: the reference picture {path} does not exist"
        )
    params["path"] = path
    return params


def reference_pick(session: Session, work: Work) -> Answer:
    """The colours `path` lends the shot's key frame, as a pick, and that frame coloured by it
    (the shot's hints laid over it) in `preview`'s form."""
    from panchro.engine.imaging import color
    from panchro.engine.inference.reference import load_reference
    from panchro.engine.project import Pick
    from panchro.engine.restore.frame_preview import preview_frame

    p = work.params
    film = session.film(p["film"])
    rgb = load_reference(p["path"])  # not a picture, or grey: bad_input naming the file
    stage = hint_stage(session, p["seed"])
    stage.crop, stage.strength = p["crop"], p["colour_strength"]
    shot = p["shot"]
    with film.reading.open(film.path) as src:
        found = stage.reference_match(src, shot.key_frame, rgb)
    hint = found.hint
    if work.cancel.is_set():
        raise CancelledError("cancelled")
    # temperature 0 and index 0: nothing was drawn; the bins are the picture's colours
    pick = Pick(
        seed=0,
        temperature=0.0,
        index=0,
        chroma=color.quantize_chroma(hint),
        locked=True,
        source="reference",
        crop=p["crop"],
        name=Path(p["path"]).name,
    )
    stage.hints = p["hints"]
    shown = preview_frame(
        film.path, p["index"], [stage], shot=shot, pick=pick, context=0,
        reading=film.reading,
    )  # fmt: skip
    if work.cancel.is_set():
        raise CancelledError("cancelled")
    log.info(
        "reference pick for film %s shot %d..%d from %s",
        film.handle, shot.start, shot.end - 1, p["path"],
    )  # fmt: skip
    # the fit first: a picture of another scene is left grey, and the person must know why
    fit_note = found.note()
    notes = ([fit_note] if fit_note else []) + list(stage.notes)
    return preview_answer(
        shown,
        film.source.info,
        p["max_side"],
        p["quality"],
        notes,
        hints=p["on_shot"],
        reference=p["path"],
        fit=round(found.fit, 3),
        strength=round(found.strength, 3),
    )


def hint_stage(session: Session, seed: int) -> Any:
    """The colour stage of hint previews with this seed, built once (weights load once)."""
    from panchro.engine.restore.stages import ColorizeStage

    with session.lock:
        stage = session.hint_stages.get(seed)
    if stage is None:
        # The colorizer is checked when a shot needs an automatic pick, not here: a shot
        # with hints or a pick needs none.
        stage = ColorizeStage(seed=seed, require_colorizer=False)
        with session.lock:
            session.hint_stages[seed] = stage
            while len(session.hint_stages) > KEEP_STAGES:
                session.hint_stages.pop(next(iter(session.hint_stages)))
    stage.forget_notes()  # each answer says what it did, not what the requests before did
    return stage


def hint_preview(session: Session, work: Work) -> Answer:
    """The frame through the colour stage with these hints; answered as `preview` is."""
    from panchro.engine.restore.frame_preview import preview_frame

    p = work.params
    film = session.film(p["film"])
    stage = hint_stage(session, p["seed"])
    # The stage reads its hints when a shot begins (`begin_shot`), so setting them here,
    # on the job lane that alone runs these stages, is what a new stage would be given.
    # Its `key` (a render's record of what made the frames) is not used by a preview.
    stage.hints = p["hints"]
    stage.crop, stage.strength = p["crop"], p["colour_strength"]
    shown = preview_frame(
        film.path, p["index"], [stage], shot=p["shot"], pick=p["pick"], context=0,
        reading=film.reading,
    )  # fmt: skip
    if work.cancel.is_set():
        raise CancelledError("cancelled")
    # the hints alone colour it: no pick, none made (a shot in colour keeps its own under them)
    alone = shown.pick is None and p["on_shot"] > 0
    log.info(
        "hint preview of film %s frame %d: %d hint(s) on its shot, %s",
        film.handle, p["index"], p["on_shot"], "alone" if alone else "over the pick",
    )  # fmt: skip
    return preview_answer(
        shown,
        film.source.info,
        p["max_side"],
        p["quality"],
        list(stage.notes),
        hints=p["on_shot"],
        alone=alone,
    )


HANDLERS: dict[str, Handler] = {
    Request.HINT_PREVIEW: Handler(parse_hint_preview, hint_preview, JOBS),
    Request.REFERENCE_PICK: Handler(parse_reference_pick, reference_pick, JOBS),
}
