"""Jobs that restore: `preview` (one frame before | after), `render` (the whole film out) and
`export_frame` (one frame into a picture file).

All three take the same restoration settings and shots/picks/hints (`parse_restoration`), check
the models those need without importing torch, and share one set of built stages per film,
settings and hints in the session (the weights load once). `preview_answer` packs a
previewed frame for the compare view (`hint_preview` answers the same way).
"""

from __future__ import annotations

import logging
from typing import Any

from panchro.engine.errors import BadInputError, CancelledError
from panchro.engine.progress import Progress
from panchro.engine.project import SHARES
from panchro.engine.service.handlers.common import (
    JOBS,
    Answer,
    Handler,
    RequestError,
    Session,
    Work,
    crop_of,
    encode_image,
    hints_of,
    in_range,
    max_side_of,
    one_line,
    param,
    preview_size,
    source_of,
    strength_of,
    upright,
)
from panchro.engine.service.handlers.status import require_models
from panchro.engine.service.protocol import ErrorCode, Request
from panchro.engine.settings import MAX_OFFSET_S

# The engine's logger, as its log events have always named it.
log = logging.getLogger("panchro.engine.service.server")

# The compare view's frames at their own size (`actual`): at most this many pixels along the
# longer side (a 4K frame whole; an 8K one halved), three JPEGs of a few MB.
ACTUAL_MAX_SIDE = 4096


def parse_restoration(
    body: dict[str, Any], what: str, info: Any | None = None, *, auto_pick: bool | None = None
) -> dict[str, Any]:
    """The restoration settings and the shots/picks/hints a preview or render may carry
    (the hints checked against the film when its `info` is known here). `auto_pick`: whether
    an automatic pick will be made (so the colorizer is needed), when the caller knows it
    better than the shots and picks say (an album's pictures)."""
    from panchro.engine.project import Pick, Settings
    from panchro.engine.shots import Shot

    colorize = param(body, "colorize", bool, False)
    degrain = param(body, "degrain", float, 0.0)
    in_range(body, "degrain", degrain, 0.0, 1.0)
    upscale = param(body, "upscale", int, 1)
    if upscale not in (1, 2, 4):
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"{what}: 'upscale' must be 1, 2 or 4, got {upscale}"
        )
    upscaler = param(body, "upscaler", str, "film")
    if upscaler not in ("film", "sharp"):
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"{what}: 'upscaler' must be film or sharp, got {upscaler!r}"
        )
    if upscale == 1:
        upscaler = "film"  # cleaning at x1 is the film model's work
    shares = {name: param(body, name, float, 0.0) for name in SHARES}
    for name, share in shares.items():
        in_range(body, name, share, 0.0, 1.0)
    seed = param(body, "seed", int, 0)
    in_range(body, "seed", seed, 0, 2**31 - 1)
    strength = strength_of(body)
    crop = crop_of(body, what, info)
    fit = param(body, "fit", list, None)
    if fit is not None:
        from panchro.engine.restore.fit import check_box

        try:
            fit = check_box(fit)
        except BadInputError as exc:
            raise RequestError(ErrorCode.BAD_REQUEST, f"{what}: 'fit': {exc.reason}") from None
    shots_in = param(body, "shots", list, None)
    picks_in = param(body, "picks", list, None)
    shots: list[Shot] | None = None
    picks: list[Any] = []
    try:
        if shots_in is not None:
            shots = [Shot.of(s) for s in shots_in]
        if picks_in is not None:
            if shots is None or len(picks_in) != len(shots):
                raise ValueError("'picks' needs 'shots', one pick (or null) per shot")
            picks = [
                None if d is None else Pick.from_dict(d, f"picks[{i}]")
                for i, d in enumerate(picks_in)
            ]
    except Exception as exc:  # the project module's own messages say what is wrong
        raise RequestError(ErrorCode.BAD_REQUEST, f"{what}: {one_line(exc)}") from None
    hints = hints_of(body, info)
    needed = []
    if auto_pick is None:
        auto_pick = _needs_auto_pick(shots, picks, hints)
    if colorize and auto_pick:
        needed.append("colorizer")
    if upscale > 1 or degrain > 0:
        needed.append(f"upscaler_x{upscale}" + ("_sharp" if upscaler == "sharp" else ""))
    require_models(needed, what, quick=True)
    settings = Settings(
        colorize=colorize,
        degrain=degrain,
        upscale=upscale,
        upscaler=upscaler,
        crop=crop,
        fit=fit,
        fit_frame=param(body, "fit_frame", bool, False) and fit is not None,
        colour_strength=strength,
        **shares,
    )
    if not colorize:
        hints = None  # hints steer colours: without colouring there is nothing to steer
    return {"settings": settings, "seed": seed, "shots": shots, "picks": picks, "hints": hints}


def _needs_auto_pick(shots: list[Any] | None, picks: list[Any], hints: Any | None) -> bool:
    """Whether some shot will be given an automatic pick (which needs the colorizer): one
    without a pick and without hints (a hinted shot is coloured by its hints alone). Shots
    not given yet are found by the job, so some may need one."""
    if shots is None:
        return True
    given = picks or [None] * len(shots)
    return any(
        pick is None and (hints is None or hints.on_frames(s.start, s.end).empty)
        for s, pick in zip(shots, given, strict=True)
    )


def stages_for(
    session: Session,
    path: str,
    fps: float | None,
    settings: Any,
    seed: int,
    hints: Any | None = None,
    recolour: bool = False,
) -> list[Any]:
    """Stages for these settings and hints, built once per film, settings and hints (weights
    load once); `recolour`: an album's pictures in colour coloured anew (`build_stages`)."""
    from panchro.engine.restore.stages import build_stages

    key = (
        path, fps, settings.colorize, settings.degrain, settings.upscale,
        settings.upscaler, *(getattr(settings, name) for name in SHARES), settings.crop, seed,
        settings.fit, settings.fit_frame, settings.colour_strength,
        None if hints is None else hints.digest(), recolour,
    )  # fmt: skip
    with session.lock:
        hit = session.stage_cache.get(key)
    if hit is not None:
        return hit
    # Checked lazily per shot: a missing colorizer is named when a shot needs it.
    stages = build_stages(settings, seed=seed, all_picked=True, hints=hints, recolour=recolour)
    with session.lock:
        session.stage_cache.clear()  # one set at a time: models are large
        session.stage_cache[key] = stages
    return stages


def film_frame(session: Session, body: dict[str, Any], what: str) -> tuple[Any, int]:
    """The open film and the frame `index` a request names, checked to be in it."""
    film = session.film(param(body, "film", int))
    index = param(body, "index", int)
    n = film.source.info.frame_count
    if not 0 <= index < n:
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"{what}: index {index} is outside the film (0..{n - 1})"
        )
    return film, index


def parse_preview(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    film, index = film_frame(session, body, "preview")
    params = parse_restoration(body, "preview", film.source.info)
    settings = params["settings"]
    tones = bool(film.source.info.scan) or film.source.info.levels is not None
    if not settings.restores_anything and not tones:  # reading its values is a change too
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            "preview: nothing to restore (set colorize, scratches, dust, stabilize, deflicker,"
            " degrain or upscale)",
        )
    max_side = max_side_of(body)
    quality = param(body, "quality", int, 88)
    in_range(body, "quality", quality, 1, 100)
    return {
        **params,
        "film": film.handle,
        "index": index,
        "max_side": max_side,
        "quality": quality,
        "actual": param(body, "actual", bool, False),
    }


def preview(session: Session, work: Work) -> Answer:
    """One frame before | after the stages as a render would make it, and how far its luma
    moved (x16, as grey), for the compare view. The blob holds three JPEGs."""
    from panchro.engine.restore.frame_preview import preview_frame

    p = work.params
    film = session.film(p["film"])
    stages = stages_for(session, film.path, film.fps, p["settings"], p["seed"], p["hints"])
    shot, pick = shot_and_pick(p["shots"], p["picks"], p["index"])
    shown = preview_frame(
        film.path, p["index"], stages, shot=shot, pick=pick,
        reading=film.reading, as_coded=True,
    )  # fmt: skip
    if work.cancel.is_set():
        raise CancelledError("cancelled")
    notes = [n for st in stages for n in getattr(st, "notes", ())]
    info = film.source.info
    size = actual_size(shown.after.shape, info.sample_aspect_ratio) if p["actual"] else None
    return preview_answer(shown, info, p["max_side"], p["quality"], notes, size=size)


def actual_size(shape: tuple[int, ...], sar: Any) -> tuple[int, int]:
    """The size a restored frame of `shape` (H, W, ...) is shown at, pixel for pixel: its
    own, its pixels made square, at most ACTUAL_MAX_SIDE along its longer side."""
    h, w = int(shape[0]), int(shape[1])
    if sar and float(sar) > 0 and float(sar) != 1.0:
        w = round(w * float(sar))
    scale = min(1.0, ACTUAL_MAX_SIDE / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def shot_and_pick(shots: list[Any] | None, picks: list[Any], index: int) -> tuple[Any, Any]:
    """The shot holding frame `index` and its pick (None, None without shots)."""
    if shots is not None:
        found = [i for i, s in enumerate(shots) if s.start <= index < s.end]
        if found:
            return shots[found[0]], picks[found[0]] if picks else None
    return None, None


def preview_answer(
    shown: Any,
    info: Any,
    max_side: int,
    quality: int,
    notes: list[str],
    size: tuple[int, int] | None = None,
    **extra: Any,
) -> Answer:
    """A `PreviewFrame` as the compare view takes it: before, after and |dY| x 16 as
    preview-sized JPEGs in the blob (or all three at `size`: the restored frame's own, the
    others enlarged to it, and `after` a PNG), turned upright, with the luma figures and
    `notes`."""
    import numpy as np
    from PIL import Image

    actual = size is not None
    size = size or preview_size(info, max_side)

    def jpeg(rgb: Any, lossless: bool = False) -> bytes:
        u8 = (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        img = Image.fromarray(u8)
        if img.size != size:
            img = img.resize(size, Image.Resampling.LANCZOS)
        arr = upright(np.asarray(img), info.rotation)
        return encode_image(arr, "image/png" if lossless else "image/jpeg", quality)

    diff = np.repeat(np.clip(shown.luma_diff * 16.0, 0.0, 1.0)[..., None], 3, -1)
    # before: the frame as its file holds it, when reading changes its values (the luma
    # figures still compare the stages' output with the frame as read)
    before = shown.before if shown.coded is None else shown.coded
    # At its own size the restored frame is looked at pixel by pixel (grain, what an upscaler
    # added): lossless, where JPEG's blocks would be taken for the restoration's (0.2 s more
    # for a 1080p frame, 0.8 s for 4K).
    parts = [("before", jpeg(before)), ("after", jpeg(shown.after, lossless=actual)),
             ("luma_diff", jpeg(diff))]  # fmt: skip
    blob, listed = bytearray(), []
    for name, data in parts:
        listed.append({"name": name, "offset": len(blob), "length": len(data)})
        blob += data
    data = {
        "index": shown.index,
        "images": listed,
        "luma_max_diff": float(shown.luma_diff.max()),
        "luma_mean_diff": float(shown.luma_diff.mean()),
        "output_size": [int(shown.after.shape[1]), int(shown.after.shape[0])],
        "pick": None if shown.pick is None else shown.pick.to_dict(),
        "notes": notes,
        **({} if shown.coded is None else {"before_as_coded": shown.read_as}),
        **extra,
    }
    return Answer(data, bytes(blob), "image/jpeg")


def parse_render(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    params = source_of(session, body, allow_path=True)
    bit_depth = param(body, "bit_depth", int, 8)
    if bit_depth not in (8, 10, 16):
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"render: 'bit_depth' must be 8, 10 or 16, got {bit_depth}"
        )
    preview_s = param(body, "preview_seconds", float, None)
    if preview_s is not None:
        in_range(body, "preview_seconds", preview_s, 0.1, 600.0)
    batch = param(body, "batch", int, 8)
    in_range(body, "batch", batch, 1, 256)
    deliver_fps = param(body, "deliver_fps", float, None)
    if deliver_fps is not None:
        in_range(body, "deliver_fps", deliver_fps, 1.0, 300.0)
    offset = param(body, "soundtrack_offset", float, 0.0)
    in_range(body, "soundtrack_offset", offset, -MAX_OFFSET_S, MAX_OFFSET_S)
    span = param(body, "span", list, None)
    if span is not None and (
        len(span) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in span)
    ):
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"render: 'span' must be [first, stop] frames, got {span!r}"
        )
    params.update(
        output=param(body, "output", str),
        codec=param(body, "codec", str, "h264"),
        bit_depth=bit_depth,
        overwrite=param(body, "overwrite", bool, False),
        restart=param(body, "restart", bool, False),
        project_path=param(body, "project_path", str, None),
        preview_seconds=preview_s,
        batch=batch,
        deliver_fps=deliver_fps,
        soundtrack=param(body, "soundtrack", str, None),
        soundtrack_offset=offset,
        own_sound=param(body, "own_sound", bool, False),
        span=None if span is None else (span[0], span[1]),
        **parse_restoration(body, "render", _info_of(session, params["film"])),
    )
    return params


def _info_of(session: Session, handle: int | None) -> Any | None:
    """An open film's facts (to check hints against at once); None for a render by path,
    whose hints the job checks against the film it opens."""
    return None if handle is None else session.film(handle).source.info


def render(session: Session, work: Work) -> Answer:
    from panchro.engine.media import open_soundtrack
    from panchro.engine.project import Project, Settings
    from panchro.engine.restore.pipeline import restore

    p = work.params
    log.info("render %s -> %s (%s, %d bit)", p["path"], p["output"], p["codec"],
             p["bit_depth"])  # fmt: skip
    project: Any = None
    hints = p["hints"]
    if p["project_path"]:
        project = Project.load(p["project_path"])
        if hints is None and p["settings"].colorize and not project.hints.empty:
            hints = project.hints  # the project's own hints, as `panchro restore` uses them
    elif p["shots"] is not None:
        # its frames counted as they are read, its values as they are
        r = p["reading"]
        reading = Settings(deinterlace=r.deinterlace, scan=r.scan, levels=r.levels)
        project = Project.new(p["path"], shots=p["shots"], fps=r.fps, settings=reading)
        for i, pick in enumerate(p["picks"]):
            project.set_pick(i, pick)
    if project is not None and hints is not None:
        project.hints = hints  # the job's digest then tells these hints from others
    stages = stages_for(session, p["path"], p["reading"].fps, p["settings"], p["seed"], hints)
    progress = Progress(None, session.progress(work), stage="render", cancel=work.cancel)
    summary = restore(
        p["path"],
        p["output"],
        codec=p["codec"],
        bit_depth=p["bit_depth"],
        overwrite=p["overwrite"],
        progress=progress,
        stages=stages,
        project=project,
        batch=p["batch"],
        keep_job=p["preview_seconds"] is None,  # a cancelled render resumes next time
        restart=p["restart"],
        preview=p["preview_seconds"],
        reading=p["reading"],
        span=p["span"],
        deliver_fps=p["deliver_fps"],
        soundtrack=None if p["soundtrack"] is None else open_soundtrack(p["soundtrack"],
                                                                        p["soundtrack_offset"]),
        own_sound=p["own_sound"],
    )  # fmt: skip
    log.info("render done: %s", summary.describe())
    return Answer(summary.to_dict())


def parse_export_frame(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    film, index = film_frame(session, body, "export_frame")
    quality = param(body, "quality", int, None)
    if quality is not None:
        in_range(body, "quality", quality, 1, 100)
    return {
        **parse_restoration(body, "export_frame", film.source.info),
        "film": film.handle,
        "index": index,
        "output": param(body, "output", str),
        "overwrite": param(body, "overwrite", bool, False),
        "quality": quality,
    }


def export_frame(session: Session, work: Work) -> Answer:
    """One frame restored into a picture file, as the film's export holds it
    (`restore.still`)."""
    from panchro.engine.restore.still import restore_still

    p = work.params
    film = session.film(p["film"])
    stages = stages_for(session, film.path, film.fps, p["settings"], p["seed"], p["hints"])
    shot, pick = shot_and_pick(p["shots"], p["picks"], p["index"])
    summary = restore_still(
        film.path, p["output"], p["index"], stages=stages, shot=shot, pick=pick,
        quality=p["quality"], overwrite=p["overwrite"],
        reading=film.reading,
    )  # fmt: skip
    log.info("export_frame done: %s", summary.describe())
    return Answer(summary.to_dict())


HANDLERS: dict[str, Handler] = {
    Request.PREVIEW: Handler(parse_preview, preview, JOBS),
    Request.RENDER: Handler(parse_render, render, JOBS),
    Request.EXPORT_FRAME: Handler(parse_export_frame, export_frame, JOBS),
}
