"""Project files: `save_project` (on the light lane, beside a running export) and
`load_project` (on the job lane).

The engine owns the `.panchro` format (`panchro.engine.project` for a film's,
`panchro.engine.album_project` for an album's); the GUI sends and receives its parts (a
film's shots, picks, settings and colour hints; an album's picks and hints by picture name
and its settings) and never reads or writes the file itself. `save_project` with `album`
writes an album's project; `load_project` reads either kind and says which (`kind`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from panchro.engine.service.handlers.albums import pick_of, picture_hints_of
from panchro.engine.service.handlers.common import (
    JOBS,
    LIGHT,
    Answer,
    Handler,
    RequestError,
    Session,
    Work,
    one_line,
    param,
    source_of,
)
from panchro.engine.service.protocol import ErrorCode, Request


def parse_save_project(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    target = param(body, "project_path", str)
    if not target.endswith(".panchro"):
        raise RequestError(ErrorCode.BAD_REQUEST, "save_project: project files end in .panchro")
    if body.get("album") is not None:
        return {"project_path": target, **_album_parts(session, body)}
    params = source_of(session, body, allow_path=True)
    params["project_path"] = target
    params["shots_in"] = param(body, "shots", list, [])
    params["picks_in"] = param(body, "picks", list, [])
    params["settings_in"] = param(body, "settings", dict, {})
    # Checked in full (against the film's size and length) when the project is built.
    params["hints_in"] = param(body, "hints", dict, None)
    return params


def _album_parts(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    """An album's project from the request: the album (what it was opened from, its pictures'
    files, captured now: closing it next does not take them away), and the picks, hints and
    settings, each checked here; bad_request names the part."""
    from panchro.engine.album_project import AlbumSettings
    from panchro.engine.project import FieldError

    if body.get("film") is not None or body.get("path") is not None:
        raise RequestError(
            ErrorCode.BAD_REQUEST, "save_project: give a film ('film' or 'path') or an 'album'"
        )
    album = session.album(param(body, "album", int))
    parse = {"picks": pick_of, "hints": picture_hints_of}
    found: dict[str, dict[str, Any]] = {"picks": {}, "hints": {}}
    for what, kept in found.items():
        for name, value in param(body, what, dict, {}).items():
            if name not in album.pictures:
                raise RequestError(
                    ErrorCode.BAD_REQUEST,
                    f"save_project: {what} for {name!r}, which is not in album {album.handle}",
                )
            one = parse[what](body, value, f"{what}[{name!r}]")
            if one is not None:
                kept[name] = one
    given = param(body, "settings", dict, {})
    try:  # the panel's other settings (a film's codec) are not an album's: left out
        settings = AlbumSettings.from_dict(
            {**AlbumSettings().to_dict(), **{k: v for k, v in given.items() if k in _ALBUM_KEYS}}
        )
    except FieldError as exc:
        raise RequestError(ErrorCode.BAD_REQUEST, f"save_project: {one_line(exc)}") from None
    return {
        "album": album.handle,
        "inputs": list(album.inputs),
        "stills": album.stills,
        "files": dict(album.pictures),
        "picks": found["picks"],
        "hints": found["hints"],
        "settings": settings,
    }


_ALBUM_KEYS = (
    "colorize", "degrain", "upscale", "upscaler", "format", "output", "borders", "straighten",
    "negative", "levels", "colour_strength", "dust",
)  # fmt: skip


def save_project(session: Session, work: Work) -> Answer:
    from panchro.engine.media.deinterlace import DEINTERLACE_MODES
    from panchro.engine.media.scan import SCAN_MODES
    from panchro.engine.project import Project, Settings

    p = work.params
    if p.get("album") is not None:
        return _save_album(p)
    doc = {
        "shots": [
            {
                "start": int(s["start"]),
                "end": int(s["end"]),
                "key": int(s.get("key_frame", s.get("key", s["start"]))),
                "pick": pk,
                **({"off": list(s["off"])} if s.get("off") else {}),
            }
            for s, pk in zip(
                p["shots_in"],
                p["picks_in"] or [None] * len(p["shots_in"]),
                strict=True,
            )
        ],
        "settings": p["settings_in"],
        "hints": p["hints_in"],
    }
    # its frames counted as the film is read (a folder's gaps closed up, repeats kept)
    mode = p["settings_in"].get("deinterlace", "auto")
    values = p["settings_in"].get("scan", "auto")
    reading = Settings(
        deinterlace=mode if mode in DEINTERLACE_MODES else "auto",
        scan=values if values in SCAN_MODES else "auto",
    )
    base = Project.new(p["path"], fps=p["reading"].fps, settings=reading)
    full = {**base.to_dict(), **{k: v for k, v in doc.items() if v}}
    try:
        project = Project.from_dict(full)
    except Exception as exc:  # noqa: BLE001 - the module's message names the field
        raise RequestError(ErrorCode.BAD_REQUEST, f"save_project: {one_line(exc)}") from None
    saved = project.save(p["project_path"])
    return Answer({"project_path": str(saved), "shots": len(project.shots)})


def parse_load_project(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "project_path": param(body, "project_path", str),
        # where a person found the film that moved ("Locate it…"); checked like any source
        "source_path": param(body, "source_path", str, None),
        # where a person found an album's pictures that moved: its inputs, in their order
        "inputs": param(body, "inputs", list, None),
    }


def _save_album(p: dict[str, Any]) -> Answer:
    from panchro.engine.album_project import AlbumProject

    project = AlbumProject.new(
        p["inputs"],
        stills=p["stills"],
        settings=p["settings"],
        picks=p["picks"],
        hints=p["hints"],
        files=p["files"],
    )
    saved = project.save(p["project_path"])
    return Answer({"project_path": str(saved), "kind": "album", "pictures": len(project.pictures)})


def load_project(session: Session, work: Work) -> Answer:
    from panchro.engine.album_project import AlbumProject, load_any
    from panchro.engine.restore.delivery import project_soundtrack

    project = load_any(work.params["project_path"])
    if isinstance(project, AlbumProject):
        return Answer(_album_answer(project, work.params.get("inputs")))
    reading = project.keep_frame_numbers()  # before to_dict: it may change the settings
    data = project.to_dict()
    data["kind"] = "film"
    data["project_path"] = str(project.path)
    found, how = _where_the_film_is(project, work.params.get("source_path"))
    data["source_changes"] = project.check_source(found)
    if how is not None:  # opened from there; a save records it
        data["relinked"] = {"from": project.source.path, "to": str(found), "how": how}
        data["source"]["path"] = str(found)
    data["source_missing"] = not found.exists()
    if project.settings.soundtrack:
        track, moved = project_soundtrack(project)
        if moved:  # opened with it from there; a save records it
            data["settings"]["soundtrack"] = track
            data["soundtrack_relinked"] = {"from": project.settings.soundtrack, "to": track}
    data["reading"] = reading
    rate = project.shown_at()  # a folder's rate, or the speed its video is shown at
    data["shown_at"] = None if rate is None else f"{rate.numerator}/{rate.denominator}"
    return Answer(data)


def _where_the_film_is(project: Any, given: str | None) -> tuple[Path, str | None]:
    """The film of a project, and how it was found when not where the project says: "located"
    (`given`, where a person found it), or "beside the project" (a film of the same name in
    the project's folder, the same film by its fingerprint: a project and its film moved
    together to another disk, or to another machine)."""
    recorded = Path(project.source.path)
    if given is not None:
        return Path(given).expanduser().absolute(), "located"
    if recorded.exists():
        return recorded, None
    beside = project.path.parent / recorded.name
    if beside.exists() and not project.check_source(beside):
        return beside, "beside the project"
    return recorded, None


def _album_answer(project: Any, given: list[Any] | None = None) -> dict[str, Any]:
    """An album's project as `load_project` answers it: the picks and hints of the pictures
    that are in the album and unchanged, and the names of the others (`changes` in words).

    Inputs that moved are looked for as a film is (`_where_the_film_is`): where a person found
    them (`given`, the inputs in their order), or beside the project under their own names
    (an album and its project moved together); the pictures' fingerprints then say whether
    they are the same. `relocated` says from where to where; `inputs_missing` those still
    not found."""
    before = list(project.inputs)
    if given is not None:
        if len(given) != len(before) or not all(isinstance(g, str) for g in given):
            raise RequestError(
                ErrorCode.BAD_REQUEST,
                f"load_project: 'inputs' must be {len(before)} path(s), as the project has",
            )
        project.inputs = [str(Path(g).expanduser().absolute()) for g in given]
        how = "located"
    else:
        beside = [project.path.parent / Path(p).name for p in before]
        moved = [not Path(p).exists() and b.exists() for p, b in zip(before, beside, strict=True)]
        project.inputs = [str(b) if m else p for p, b, m in zip(before, beside, moved, strict=True)]
        how = "beside the project"
    check = project.check_pictures()
    picks, hints = project.usable(check)
    relocated = project.inputs != before
    answer: dict[str, Any] = {
        "kind": "album",
        "format": project.to_dict()["format"],
        "version": project.to_dict()["version"],
        "project_path": str(project.path),
        "inputs": list(project.inputs),
        "stills": project.stills,
        "settings": project.settings.to_dict(),
        "picks": {name: pick.to_dict() for name, pick in picks.items()},
        "hints": {name: on.to_json() for name, on in hints.items()},
        "changed": list(check.changed),
        "missing": list(check.missing),
        "changes": check.describe(),
        "inputs_missing": [p for p in project.inputs if not Path(p).exists()],
    }
    if relocated:  # opened from there; a save records it
        answer["relocated"] = {"from": before, "to": list(project.inputs), "how": how}
    return answer


HANDLERS: dict[str, Handler] = {
    # Light: a save takes tens of milliseconds (the film's index is cached), and must not
    # wait hours behind an export on the job lane (nor the app's recovery file).
    Request.SAVE_PROJECT: Handler(parse_save_project, save_project, LIGHT),
    Request.LOAD_PROJECT: Handler(parse_load_project, load_project, JOBS),
}
