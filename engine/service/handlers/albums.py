"""Albums: pictures that share nothing, each its own one-frame shot (`restore.album`).

`open_album` walks a folder or a list of pictures as `panchro restore --stills` does
(`media.list_pictures`), reads each picture's header and keeps the album under a handle;
a single folder that the rule reads as a film (`media.read_folder_as`) is answered as
such, without a handle, so the client opens it as a film. The pictures are named as the
album names them (`1950/lake.jpg`), and every later request names its picture so:
`album_picture` (a preview: the grid's thumbnails and the picture in view, on the light
lane), `sample_picture` (K colour modes of one picture, `sample_keyframe`'s answer),
`preview_picture` (before | after, `preview`'s answer), `export_picture` (one picture to a
file, its format from the extension) and `export_album` (the whole album into a folder,
with the picks a person made, resumable). A picture is restored exactly as the album
restores it: its seed is `picture_seed(seed, name)` and the thread count the album's
(`album_threads`), so the preview, the picture exported alone and the album agree to the
bit. Colour hints belong to one picture: `sample_picture`, `preview_picture` and
`export_picture` take the picture's `hints` (the hints file's JSON, frame 0, in the upright
picture's pixels), `export_album` a `hints` object by picture name; the colour stage takes
them for that picture alone (`restore.album.hinted`), as `panchro restore PIC OUT --hints`
does for a picture restored alone. `crop` "auto" cuts each picture's own border (black, or a
print's paper white: `imaging.borders.picture_borders`) in every one of those requests alike,
the colours made for the picture inside it, as `panchro restore --crop auto` does.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from panchro.engine.errors import BadInputError
from panchro.engine.progress import Progress
from panchro.engine.project import SHARES
from panchro.engine.service.handlers.colour import (
    candidates_answer,
    load_colorizer,
    sampling_options,
)
from panchro.engine.service.handlers.common import (
    JOBS,
    LIGHT,
    Answer,
    Handler,
    RequestError,
    Session,
    Work,
    colour_answer,
    encode_image,
    hints_of,
    in_range,
    max_side_of,
    one_line,
    param,
    preview_size,
)
from panchro.engine.service.handlers.restore import (
    actual_size,
    parse_restoration,
    preview_answer,
    stages_for,
)
from panchro.engine.service.handlers.status import require_models
from panchro.engine.service.protocol import ErrorCode, Request

# The engine's logger, as its log events have always named it.
log = logging.getLogger("panchro.engine.service.server")

MAX_INPUTS = 10_000  # paths in one open_album (a folder counts one, whatever it holds)
ALBUM_FORMATS = ("jpg", "png", "tif", "webp")  # export_album's `format` (restore.album.FORMATS)
ALBUM_STAGES = "<album>"  # the stage cache's key for every album: stages do not depend on it


@dataclass
class Album:
    handle: int
    inputs: list[str]  # as given: what export_album walks again
    pictures: dict[str, Path]  # by name in the album, in the walk's order
    # Whether it is opened as an album again whatever the rule says then (an album's
    # project keeps it): --stills given, or one folder the rule read as an album.
    stills: bool = False


# --- opening ---------------------------------------------------------------------------------


def parse_open_album(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    paths = param(body, "paths", list)
    if not paths or not all(isinstance(p, str) and p for p in paths):
        raise RequestError(
            ErrorCode.BAD_REQUEST, "open_album: 'paths' must be a list of one path or more"
        )
    in_range(body, "paths", len(paths), 1, MAX_INPUTS)
    return {"paths": paths, "stills": param(body, "stills", bool, False)}


def open_album(session: Session, work: Work) -> Answer:
    """The album's pictures with their headers (progress: one unit a picture), or, for a
    folder the rule reads as a film, that verdict alone."""
    from panchro.engine import media

    paths, stills = work.params["paths"], work.params["stills"]
    if len(paths) == 1 and Path(paths[0]).expanduser().is_dir():
        verdict = media.read_folder_as(paths[0], stills=stills)
        if verdict.kind == "film":
            return Answer({"album": None, **verdict.to_dict(), "describe": verdict.describe()})
        listing = verdict.listing
        assert listing is not None
        stills = True  # read as an album now: so it stays, whatever its pictures become
    else:
        listing = media.list_pictures(paths)
        what = "one picture" if len(paths) == 1 else f"{len(paths)} inputs"
        verdict = media.Verdict("album", what, forced=True, listing=listing)
        if not listing.pictures:
            raise BadInputError(
                "no pictures in them (" + ", ".join(media.PICTURE_INPUTS) + " expected)"
            )
    pictures = listing.pictures
    progress = Progress(len(pictures), session.progress(work), stage="album", cancel=work.cancel)
    listed = []
    for pic in pictures:
        head = media.picture_header(pic.path)
        entry: dict[str, Any] = {"name": pic.rel, "path": str(pic.path)}
        if head is None:
            entry["error"] = "cannot be read as a picture"
        else:
            entry.update(format=head.format, width=head.width, height=head.height)
        listed.append(entry)
        progress.advance()
    progress.finish()
    with session.lock:
        handle = session.next_album
        session.next_album += 1
        session.albums[handle] = Album(
            handle,
            [str(p) for p in paths],
            {pic.rel: Path(pic.path) for pic in pictures},
            stills,
        )
    log.info("opened album %d: %d picture(s) from %s", handle, len(pictures), paths[0])
    return Answer(
        {
            "album": handle,
            **verdict.to_dict(),
            "describe": verdict.describe(),
            "pictures": listed,
            "ignored": listing.ignored(),
        }
    )


def parse_album(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return {"album": session.album(param(body, "album", int)).handle}


def close_album(session: Session, work: Work) -> Answer:
    with session.lock:
        session.albums.pop(work.params["album"], None)
    return Answer({"album": work.params["album"]})


# --- one picture -----------------------------------------------------------------------------


def picture_params(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    """The album and the picture a request names (bad_request when it is not the album's),
    and the picture's hints (checked against its size when the picture is read)."""
    album = session.album(param(body, "album", int))
    name = param(body, "picture", str)
    if name not in album.pictures:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"{body.get('type')}: picture {name!r} is not in album {album.handle}",
        )
    hints = picture_hints_of(body, body.get("hints"), "hints")
    return {
        "album": album.handle,
        "picture": name,
        "path": str(album.pictures[name]),
        "hints": hints,
        "crop": album_crop_of(body),
        **picture_reading_of(body),
        "recolour": param(body, "recolour", bool, False),
    }


def picture_reading_of(body: dict[str, Any]) -> dict[str, Any]:
    """How an album request's pictures are read: `straighten` (turned square), `negative`
    (turned positive), `levels` (each picture's own stretched: true, or false), as
    `restore_picture` takes them."""
    levels = param(body, "levels", bool, False)
    return {
        "straighten": param(body, "straighten", bool, False),
        "negative": param(body, "negative", bool, False),
        "levels": "auto" if levels else None,
    }


def _read(p: dict[str, Any]) -> dict[str, Any]:
    """`picture_reading_of`'s part of the params, for `restore_picture` and its kin."""
    return {k: p[k] for k in ("straighten", "negative", "levels")}


def album_crop_of(body: dict[str, Any]) -> str | None:
    """An album request's `crop`: "auto" (each picture's own border) or none; pixels are of
    one size, and an album's pictures differ."""
    crop = body.get("crop")
    if crop is None:
        return None
    if crop != "auto":
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"{body.get('type')}: an album's 'crop' is \"auto\" (each picture's own border); "
            f"pixels are for a film's frames, got {crop!r}",
        )
    return "auto"


def picture_hints_of(body: dict[str, Any], raw: Any, where: str) -> Any:
    """One picture's hints from the request (None for none): frame 0 only."""
    if raw is None:
        return None
    hints = hints_of({"type": body.get("type"), "hints": raw})
    if hints is not None and hints.frames() != [0]:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"{body.get('type')}: {where} name frame(s) {hints.frames()}; a picture has frame 0",
        )
    return hints


def parse_album_picture(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    quality = param(body, "quality", int, 85)
    in_range(body, "quality", quality, 1, 100)
    return {**picture_params(session, body), "max_side": max_side_of(body), "quality": quality}


def album_picture(session: Session, work: Work) -> Answer:
    """The picture upright, its longest side at most `max_side`, as a JPEG, read as an export
    reads it (`restore.picture.preview_read`): turned square (`straighten`), its border cut
    (`crop` "auto"), turned positive (`negative`) and its levels stretched (`levels`:
    measured on this copy inside its border) as asked; `read` says what was done."""
    from panchro.engine.restore.picture import colour_figures_of, preview_read

    p = work.params
    rgb, (width, height), done = preview_read(p["path"], p["max_side"], crop=p["crop"], **_read(p))
    blob = encode_image(rgb, "image/jpeg", p["quality"])
    figures = colour_figures_of(p["path"], p["negative"], p["levels"])
    data = {
        "picture": p["picture"],
        "width": width,
        "height": height,
        "preview_width": int(rgb.shape[1]),
        "preview_height": int(rgb.shape[0]),
        "read": done,  # how it was read, in a few words: "straightened (+1.20°)", "border cut"
        # judged as the restore judges it, on a copy of its own size (`own_colours`)
        **colour_answer(figures),
    }
    return Answer(data, blob, "image/jpeg")


def parse_sample_picture(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    params = {**picture_params(session, body), **sampling_options(body), "index": 0}
    require_models(["colorizer"], "sample_picture", quick=True)
    return params


def sample_picture(session: Session, work: Work) -> Answer:
    """K colour modes of the picture, as `sample_keyframe` draws a film's key frame: the
    colorizer sees the picture upright and in full-range BT.601, as a restore's automatic
    pick sees it, so a picked mode lines up with the picture it colours."""
    import numpy as np

    from panchro.engine import media
    from panchro.engine.inference import colorize
    from panchro.engine.restore.crop import crop_size, inner, scaled_margins
    from panchro.engine.restore.picture import MATRIX, picture_film, prepared

    p = work.params
    loaded = load_colorizer("sample_picture")
    pic = media.read_picture(p["path"])
    # straightened and its border found as a restore does it
    pic, margins = prepared(pic, p["crop"], [], **_read(p))
    film = picture_film(pic)
    del pic
    info = film.info
    size = preview_size(info, p["max_side"])
    fmt = "gray16" if info.bit_depth > 8 else "gray"
    luma = colorize.luma_of(film.read_frame(0, fmt=fmt, size=size).image)
    whole = (info.width, info.height)
    if margins is not None:  # the picture inside its border alone, as the restore colours it
        luma = np.ascontiguousarray(inner(luma, scaled_margins(margins, whole, size)))
    hints = p["hints"]
    if hints is not None:
        hints.check_against(info.width, info.height, 1)
        if margins is not None:
            hints = hints.cut(margins, whole)
            whole = crop_size(margins, *whole)
        hints = None if hints.empty else hints.scaled(whole, (luma.shape[1], luma.shape[0]))
    answer = candidates_answer(
        session, work, loaded, luma, matrix=MATRIX, rotation=0, hints=hints,
        owner=(p["album"], p["picture"]),
    )  # fmt: skip
    answer.data["picture"] = p["picture"]
    answer.data["crop"] = None if margins is None else list(margins)
    log.info(
        "sampled %d candidate(s) for album %d picture %s in %.2f s (seed %d, %s)",
        answer.data["k"], p["album"], p["picture"], answer.data["seconds"],
        answer.data["seed"], "trained" if loaded.trained else "UNTRAINED",
    )  # fmt: skip
    return answer


def _restoration(
    body: dict[str, Any], what: str, auto_pick: bool, hinted: bool = False
) -> dict[str, Any]:
    """The restoration settings of an album request (`preview`'s parameters, no shots): the
    colorizer is needed only when a picture will get the automatic pick; hints need
    colorizing."""
    if hinted and not param(body, "colorize", bool, False):  # said before any model is looked for
        raise RequestError(ErrorCode.BAD_REQUEST, f"{what}: colour hints need colorize")
    for key in SHARES:
        # dust: a picture's, found by its look alone (`restore.dust`'s speck finder)
        if key != "dust" and param(body, key, float, 0.0):
            raise RequestError(
                ErrorCode.BAD_REQUEST, f"{what}: {key!r} works on a film's frames, not a picture"
            )
    album_crop_of(body)  # "auto" or none: pixels are of one size, an album's pictures differ
    # a picture's own: its border and its turn are not the stages' settings
    own = ("shots", "picks", "hints", "crop", "straighten", "negative", "levels", "recolour")
    settings_only = {k: v for k, v in body.items() if k not in own}
    return parse_restoration(settings_only, what, auto_pick=auto_pick)


def pick_of(body: dict[str, Any], value: Any, where: str) -> Any:
    from panchro.engine.project import Pick

    if value is None:
        return None
    try:
        return Pick.from_dict(value, where)
    except Exception as exc:  # the project module's message names the field
        raise RequestError(ErrorCode.BAD_REQUEST, f"{body.get('type')}: {one_line(exc)}") from None


@contextlib.contextmanager
def _album_threads() -> Iterator[int]:
    """The thread count an album's pictures run with (the bits depend on it), and the
    engine's own count back afterwards."""
    import torch

    from panchro.engine.inference import device as compute
    from panchro.engine.restore.album import album_threads

    before = torch.get_num_threads()
    try:
        yield album_threads()
    finally:
        compute.fix_threads(before)


def parse_preview_picture(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    params = picture_params(session, body)
    pick = pick_of(body, body.get("pick"), "pick")
    hints = params["hints"]
    hinted = hints is not None
    params.update(
        _restoration(body, "preview_picture", auto_pick=pick is None and not hinted, hinted=hinted)
    )
    params["hints"] = hints  # the picture's, over parse_restoration's film-wide none
    settings = params["settings"]
    read_otherwise = params.get("negative") or params.get("levels") is not None
    if not settings.restores_anything and not read_otherwise:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            "preview_picture: nothing to restore (set colorize, dust, degrain or upscale)",
        )
    quality = param(body, "quality", int, 88)
    in_range(body, "quality", quality, 1, 100)
    # whole: the picture answered uncut, its border grey (the hint editor's marks line up)
    whole = param(body, "whole", bool, False)
    return {**params, "pick": pick, "max_side": max_side_of(body), "quality": quality,
            "whole": whole, "actual": param(body, "actual", bool, False)}  # fmt: skip


def preview_picture(session: Session, work: Work) -> Answer:
    """The picture before | after as `export_picture` and `export_album` make it: its own
    seed, the pick given or else the automatic one (in the answer's `pick`)."""
    from panchro.engine.restore.album import hinted, picture_seed, seeded
    from panchro.engine.restore.picture import preview_picture as preview

    p = work.params
    stages = stages_for(
        session, ALBUM_STAGES, None, p["settings"], p["seed"], recolour=p["recolour"]
    )
    seed = picture_seed(p["seed"], p["picture"])
    found: list[str] = []  # the border cut, when one is
    with _album_threads() as threads, seeded(stages, seed), hinted(stages, p["hints"]):
        shown = preview(
            p["path"], stages, pick=p["pick"], threads=threads, crop=p["crop"], notes=found,
            whole=p["whole"], **_read(p),
        )  # fmt: skip
    height, width = shown.before.shape[:2]
    info = SimpleNamespace(width=width, height=height, sample_aspect_ratio=None, rotation=0)
    notes = [n for st in stages for n in getattr(st, "notes", ())] + found
    size = actual_size(shown.after.shape, None) if p["actual"] else None
    return preview_answer(
        shown, info, p["max_side"], p["quality"], notes, size=size, picture=p["picture"],
        seed=seed,
    )  # fmt: skip


# --- exporting -------------------------------------------------------------------------------


def _quality(body: dict[str, Any]) -> int | None:
    quality = param(body, "quality", int, None)
    if quality is not None:
        in_range(body, "quality", quality, 1, 100)
    return quality


def parse_export_picture(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    params = picture_params(session, body)
    pick = pick_of(body, body.get("pick"), "pick")
    hints = params["hints"]
    hinted = hints is not None
    params.update(
        _restoration(body, "export_picture", auto_pick=pick is None and not hinted, hinted=hinted)
    )
    params["hints"] = hints  # the picture's, over parse_restoration's film-wide none
    return {
        **params,
        "pick": pick,
        "output": param(body, "output", str),
        "quality": _quality(body),
        "overwrite": param(body, "overwrite", bool, False),
    }


def export_picture(session: Session, work: Work) -> Answer:
    """One picture of the album into the file `output` (its format from the extension, as
    `panchro restore IN OUT`), restored as the album restores it."""
    from panchro.engine.restore.album import hinted, picture_seed, seeded
    from panchro.engine.restore.picture import restore_picture

    p = work.params
    stages = stages_for(
        session, ALBUM_STAGES, None, p["settings"], p["seed"], recolour=p["recolour"]
    )
    progress = Progress(None, session.progress(work), stage=p["picture"], cancel=work.cancel)
    seed = picture_seed(p["seed"], p["picture"])
    with _album_threads() as threads, seeded(stages, seed), hinted(stages, p["hints"]):
        summary = restore_picture(
            p["path"],
            p["output"],
            stages=stages,
            quality=p["quality"],
            overwrite=p["overwrite"],
            progress=progress,
            threads=threads,
            pick=p["pick"],
            crop=p["crop"],
            **_read(p),
        )
    log.info("exported album %d picture %s -> %s", p["album"], p["picture"], summary.output)
    return Answer({**summary.to_dict(), "picture": p["picture"]})


def _by_picture(
    body: dict[str, Any], album: Album, key: str, what: str, parse: Any
) -> dict[str, Any]:
    """`body[key]`, an object by picture name, each value through `parse(body, value,
    where)`; a name not in the album -> bad_request; null values left out."""
    found = {}
    for name, value in param(body, key, dict, {}).items():
        if name not in album.pictures:
            raise RequestError(
                ErrorCode.BAD_REQUEST,
                f"{body.get('type')}: {what} {name!r}, which is not in album {album.handle}",
            )
        parsed = parse(body, value, f"{key}[{name!r}]")
        if parsed is not None:
            found[name] = parsed
    return found


def parse_export_album(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    album = session.album(param(body, "album", int))
    hints = _by_picture(body, album, "hints", "hints for", picture_hints_of)
    picks = _by_picture(body, album, "picks", "a pick for", pick_of)
    fmt = param(body, "format", str, None)
    if fmt is not None and fmt not in ALBUM_FORMATS:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"export_album: 'format' must be one of {', '.join(ALBUM_FORMATS)}, got {fmt!r}",
        )
    auto = len(set(picks) | set(hints)) < len(album.pictures)
    return {
        **_restoration(body, "export_album", auto_pick=auto, hinted=bool(hints)),
        "album": album.handle,
        "inputs": album.inputs,
        "picks": picks,
        "hints": hints,
        "output": param(body, "output", str),
        "format": fmt,
        "quality": _quality(body),
        "overwrite": param(body, "overwrite", bool, False),
        "crop": album_crop_of(body),
        **picture_reading_of(body),
        "recolour": param(body, "recolour", bool, False),
    }


def export_album(session: Session, work: Work) -> Answer:
    """Every picture into the folder `output` with the same names (`restore_album`): the
    picks given, the automatic pick for the others; progress one unit a picture (its name in
    `stage`); cancelled or failed, the same request later resumes."""
    from panchro.engine.restore.album import restore_album

    p = work.params
    stages = stages_for(
        session, ALBUM_STAGES, None, p["settings"], p["seed"], recolour=p["recolour"]
    )
    progress = Progress(None, session.progress(work), stage="album", cancel=work.cancel)
    # restore_album runs at the album's thread count and sets the engine's back itself
    summary = restore_album(
        p["inputs"],
        p["output"],
        stages=stages,
        seed=p["seed"],
        fmt=p["format"],
        quality=p["quality"],
        overwrite=p["overwrite"],
        progress=progress,
        picks=p["picks"],
        hints=p["hints"],
        crop=p["crop"],
        **_read(p),
    )
    log.info("album %d: %s", p["album"], summary.describe().replace("\n", "; "))
    return Answer(summary.to_dict())


HANDLERS: dict[str, Handler] = {
    Request.OPEN_ALBUM: Handler(parse_open_album, open_album, JOBS),
    Request.CLOSE_ALBUM: Handler(parse_album, close_album, LIGHT),
    Request.ALBUM_PICTURE: Handler(parse_album_picture, album_picture, LIGHT),
    Request.SAMPLE_PICTURE: Handler(parse_sample_picture, sample_picture, JOBS),
    Request.PREVIEW_PICTURE: Handler(parse_preview_picture, preview_picture, JOBS),
    Request.EXPORT_PICTURE: Handler(parse_export_picture, export_picture, JOBS),
    Request.EXPORT_ALBUM: Handler(parse_export_album, export_album, JOBS),
}
