"""Jobs that prepare colouring: `shots` (cut detection) and `sample_keyframe` (K colourings).

Both run on the job lane with progress and cancel, each with a decoder of its own (an open
film's decoder belongs to the light lane). `sample_keyframe` keeps its candidates in the
session under a key, the newest KEEP_CANDIDATES of them; given a person's colour hints, every
candidate keeps the hinted colours (the sampler draws the rest around them) and its preview
shows the hints laid over it.
"""

from __future__ import annotations

import logging
from typing import Any

from panchro.engine.inference.defaults import OVERSAMPLE, TEMPERATURE
from panchro.engine.progress import Progress
from panchro.engine.service.handlers.common import (
    JOBS,
    Answer,
    Handler,
    RequestError,
    Session,
    Work,
    colour_answer,
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
from panchro.engine.service.handlers.status import model_status, require_models
from panchro.engine.service.protocol import ErrorCode, Request

# The engine's logger, as its log events have always named it.
log = logging.getLogger("panchro.engine.service.server")

MAX_K = 64
MAX_OVERSAMPLE = 4  # K x this many drawn at most: 256 at K = 64
# How many sample_keyframe results stay addressable by key (each is K x 1,568 bytes).
KEEP_CANDIDATES = 256


def parse_shots(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return source_of(session, body, allow_path=False)


def shots(session: Session, work: Work) -> Answer:
    from panchro.engine import shots as cuts
    from panchro.engine.survey import film_borders, survey

    p = work.params
    with p["reading"].open(p["path"]) as src:
        progress = Progress(
            src.info.frame_count, session.progress(work), stage="shots", cancel=work.cancel
        )
        found = cuts.analyse(src, progress=progress)
        count = src.info.frame_count
        seen = survey(src, found.shots)  # a second or two more: a few key frames' faults
        borders = film_borders(src)
        levels = measured_levels(src, p["reading"], p["path"])
    log.info("film %s: %d shot(s)", work.params["film"], len(found.shots))
    flicker = None if found.flicker is None else round(found.flicker, 3)
    return Answer(
        {
            "shots": [s.to_dict() for s in found.shots],
            "frame_count": count,
            "flicker": flicker,
            "survey": None if seen is None else seen.to_dict(),
            "borders": None if borders is None else list(borders),
            **levels_answer(levels),
        }  # fmt: skip
    )


def levels_answer(levels: tuple[float, float] | None) -> dict[str, Any]:
    """The `shots` and `survey` answers' `levels` (the film's black and white points as read
    but for its own levels, or null) and `faded` (whether they are worth stretching)."""
    from panchro.engine.media.levels import faded

    return {"levels": None if levels is None else list(levels), "faded": faded(levels)}


def measured_levels(src: Any, reading: Any, path: str) -> tuple[float, float] | None:
    """The film's black and white points as it is read but for its levels (`survey.
    film_levels`): what the app offers to stretch, and says where the film looks faded."""
    from panchro.engine.survey import film_levels

    if reading.levels is None:
        return film_levels(src)
    with reading.but(levels=None).open(path) as plain:
        return film_levels(plain)


def parse_survey(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    from panchro.engine.shots import Shot

    p = source_of(session, body, allow_path=False)
    try:
        p["shots"] = [
            Shot(int(s["start"]), int(s["end"]), int(s.get("key_frame", s["start"])))
            for s in param(body, "shots", list)
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise RequestError(
            ErrorCode.BAD_REQUEST, f"survey: bad 'shots' ({one_line(exc)})"
        ) from None
    return p


def survey_of(session: Session, work: Work) -> Answer:
    """The faults seen around known shots' key frames (a project opened with its shots: no
    `shots` pass, which says them otherwise)."""
    from panchro.engine.survey import film_borders, flicker_around, survey

    p = work.params
    with p["reading"].open(p["path"]) as src:
        shots = [s for s in p["shots"] if 0 <= s.start < s.end <= src.info.frame_count]
        seen = survey(src, shots)
        wobble = flicker_around(src, shots)
        borders = film_borders(src)
        levels = measured_levels(src, p["reading"], p["path"])
    return Answer(
        {
            "survey": None if seen is None else seen.to_dict(),
            "flicker": None if wobble is None else round(wobble, 3),
            "borders": None if borders is None else list(borders),
            **levels_answer(levels),
        }
    )


def sampling_options(body: dict[str, Any]) -> dict[str, Any]:
    """K, seed, temperature, the previews' size and quality and the colours' strength they
    are shown at, of a request that samples colour modes (`sample_keyframe`,
    `sample_picture`), checked."""
    k = param(body, "k", int, 8)
    in_range(body, "k", k, 1, MAX_K)
    seed = param(body, "seed", int, None)
    if seed is not None:
        in_range(body, "seed", seed, 0, 2**63 - 1)
    temperature = param(body, "temperature", float, TEMPERATURE)
    in_range(body, "temperature", temperature, 0.0, 10.0)  # 0: the likeliest colours
    oversample = param(body, "oversample", int, OVERSAMPLE)
    in_range(body, "oversample", oversample, 1, MAX_OVERSAMPLE)
    max_side = max_side_of(body)
    quality = param(body, "quality", int, 88)
    in_range(body, "quality", quality, 1, 100)
    return {"k": k, "seed": seed, "temp": temperature, "oversample": oversample,
            "max_side": max_side, "quality": quality,
            "colour_strength": strength_of(body)}  # fmt: skip


def parse_sample_keyframe(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    film = session.film(param(body, "film", int))
    index = param(body, "index", int)
    options = sampling_options(body)
    n = film.source.info.frame_count
    if not 0 <= index < n:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"sample_keyframe: index {index} is outside the film (0..{n - 1})",
        )
    hints = hints_of(body, film.source.info)
    require_models(["colorizer"], "sample_keyframe", quick=True)
    crop = crop_of(body, "sample_keyframe", film.source.info)
    return {
        "film": film.handle,
        "index": index,
        # the picture inside the film's borders: what the colours are drawn for
        "crop": None if crop is None or not any(crop) else crop,
        # Only the hints on the sampled frame can be locked: elsewhere in the shot the same
        # place may hold something else.
        "hints": None if hints is None else hints.on_frames(index, index + 1),
        **options,
    }


def sample_keyframe(session: Session, work: Work) -> Answer:
    """K candidates: previews in the blob, their 28x28 bins kept under a key and sent back
    as base64 (1,568 bytes each) so a pick outlives this process in the project file."""
    import numpy as np

    from panchro.engine.imaging import color
    from panchro.engine.inference import colorize
    from panchro.engine.restore.crop import crop_size, inner, scaled_margins
    from panchro.engine.restore.own import frame_figures

    p = work.params
    crop = p["crop"]
    loaded = load_colorizer("sample_keyframe")
    film = session.film(p["film"])
    # A decoder of its own: the film's Source belongs to the light lane (scrubbing).
    with film.reading.open(film.path) as src:
        info = src.info
        size = preview_size(info, p["max_side"])
        fmt = "gray16" if info.bit_depth > 8 else "gray"
        # The model sees the frame as decoded (no rotation): the chroma then lines up
        # with the frames the pipeline colorizes. Only the previews are turned upright.
        luma = colorize.luma_of(src.read_frame(p["index"], fmt=fmt, size=size, conceal=True).image)
        # judged as a render judges the shot's key frame: one in colour keeps its colours
        figures = frame_figures(src, p["index"], crop)
    film_size = (info.width, info.height)
    if crop is not None:  # the picture alone, as the render colours it (`restore.crop`)
        luma = np.ascontiguousarray(inner(luma, scaled_margins(crop, film_size, size)))
    matrix = color.matrix_for(info.color_matrix, info.height, info.width)
    # Hints are in the film's frame pixels; the luma was read at the preview's size (square
    # pixels), so they are stretched the way the decoder stretched the frame.
    hints = p["hints"]
    if hints is not None and crop is not None:
        hints = hints.cut(crop, film_size)
        film_size = crop_size(crop, *film_size)
    if hints is not None:
        shape = (luma.shape[1], luma.shape[0])
        hints = None if hints.empty else hints.scaled(film_size, shape)
    answer = candidates_answer(
        session, work, loaded, luma, matrix=matrix, rotation=info.rotation, hints=hints,
        owner=film.handle,
    )  # fmt: skip
    answer.data["crop"] = None if crop is None else list(crop)
    answer.data.update(colour_answer(figures))
    log.info(
        "sampled %d candidate(s) for film %s frame %d in %.2f s (seed %d, %s)",
        answer.data["k"], film.handle, p["index"], answer.data["seconds"], answer.data["seed"],
        "trained" if loaded.trained else "UNTRAINED",
    )  # fmt: skip
    return answer


def load_colorizer(what: str) -> Any:
    """The colorizer's weights, loaded (untrained ones too: every reply says so); a missing
    or corrupt file -> model_missing naming it."""
    from panchro.engine.inference import colorize

    st = model_status("colorizer")
    if st["status"] not in ("ready", "untrained"):
        require_models(["colorizer"], what)  # raises, naming the file
    return colorize.load_colorizer(st["path"])


def candidates_answer(
    session: Session,
    work: Work,
    loaded: Any,
    luma: Any,
    *,
    matrix: str,
    rotation: int,
    hints: Any | None,
    owner: Any,
) -> Answer:
    """K candidates of `luma` (what the model sees) drawn with `work`'s options, each
    previewed as the render colours it (turned upright by `rotation`), kept in the session
    under a key: `sample_keyframe`'s answer (and `sample_picture`'s). `owner` says whose frame
    it was (a film's handle, or an album's picture) in the kept candidates."""
    from panchro.engine.imaging import color
    from panchro.engine.inference import colorize

    p = work.params
    rows = loaded.model.config.chroma_size
    progress = Progress(rows, session.progress(work), stage="sample", cancel=work.cancel)

    def step(done: int, total: int) -> None:
        progress.advance(done - progress.done)

    found = colorize.sample_candidates(
        loaded, luma, k=p["k"], seed=p["seed"], temperature=p["temp"], progress=step,
        locked=hints, matrix=matrix, oversample=p.get("oversample", OVERSAMPLE),
    )  # fmt: skip
    progress.finish()
    refiner = colorize.load_refiner(device=loaded.device)  # as the render will colour it
    # Shown as the render will colour them; the bins sent are the modes as drawn.
    strength = float(p.get("colour_strength", 1.0))
    blob = bytearray()
    listed = []
    for n in range(found.k):
        # With hints, each mode is shown with them laid over it, as a render lays them.
        rgb = colorize.render(luma, found.chroma(n), matrix=matrix, refiner=refiner, hints=hints,
                              strength=strength)  # fmt: skip
        rgb = upright(rgb, rotation)
        jpeg = encode_image(rgb, "image/jpeg", p["quality"])
        listed.append(
            {
                "n": n,
                "offset": len(blob),
                "length": len(jpeg),
                "chroma": color.encode_bins(found.bins[n]),
            }
        )
        blob += jpeg
    key = _keep_candidates(session, owner, p["index"], found)
    height, width = rgb.shape[:2]
    data = {
        "key": key,
        "index": p["index"],
        "k": found.k,
        "seed": found.seed,
        "temperature": found.temperature,
        "oversample": found.oversample,
        "seconds": found.seconds,
        "width": width,
        "height": height,
        "chroma_size": int(found.bins.shape[-1]),
        "trained": loaded.trained,
        "model": {"scale": loaded.scale, "steps": loaded.steps, "device": loaded.device},
        "refined": refiner is not None,
        "colour_strength": strength,
        "hints": 0 if hints is None else len(hints),
        "candidates": listed,
    }
    return Answer(data, bytes(blob), "image/jpeg")


def _keep_candidates(session: Session, film: Any, index: int, found: Any) -> str:
    with session.lock:
        session.next_key += 1
        key = f"c{session.next_key}"
        session.candidates[key] = (film, index, found)
        while len(session.candidates) > KEEP_CANDIDATES:
            session.candidates.pop(next(iter(session.candidates)))
    return key


HANDLERS: dict[str, Handler] = {
    Request.SHOTS: Handler(parse_shots, shots, JOBS),
    Request.SURVEY: Handler(parse_survey, survey_of, JOBS),
    Request.SAMPLE_KEYFRAME: Handler(parse_sample_keyframe, sample_keyframe, JOBS),
}
