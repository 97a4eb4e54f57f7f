"""Project files: `save_project` and `load_project`, on the job lane.

The engine owns the `.panchro` format (`panchro.engine.project`); the GUI sends and
receives its parts (shots, picks, settings, colour hints) and never reads or writes the
file itself.
"""

from __future__ import annotations

from typing import Any

from panchro.engine.service.handlers.common import (
    JOBS,
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
    params = source_of(session, body, allow_path=True)
    target = param(body, "project_path", str)
    if not target.endswith(".panchro"):
        raise RequestError(ErrorCode.BAD_REQUEST, "save_project: project files end in .panchro")
    params["project_path"] = target
    params["shots_in"] = param(body, "shots", list, [])
    params["picks_in"] = param(body, "picks", list, [])
    params["settings_in"] = param(body, "settings", dict, {})
    # Checked in full (against the film's size and length) when the project is built.
    params["hints_in"] = param(body, "hints", dict, None)
    return params


def save_project(session: Session, work: Work) -> Answer:
    from panchro.engine.project import Project

    p = work.params
    doc = {
        "shots": [
            {
                "start": int(s["start"]),
                "end": int(s["end"]),
                "key": int(s.get("key_frame", s.get("key", s["start"]))),
                "pick": pk,
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
    base = Project.new(p["path"], fps=p["fps"])
    full = {**base.to_dict(), **{k: v for k, v in doc.items() if v}}
    try:
        project = Project.from_dict(full)
    except Exception as exc:  # noqa: BLE001 - the module's message names the field
        raise RequestError(ErrorCode.BAD_REQUEST, f"save_project: {one_line(exc)}") from None
    saved = project.save(p["project_path"])
    return Answer({"project_path": str(saved), "shots": len(project.shots)})


def parse_load_project(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return {"project_path": param(body, "project_path", str)}


def load_project(session: Session, work: Work) -> Answer:
    from panchro.engine.project import Project

    project = Project.load(work.params["project_path"])
    data = project.to_dict()
    data["project_path"] = str(project.path)
    data["source_changes"] = project.check_source()
    return Answer(data)


HANDLERS: dict[str, Handler] = {
    Request.SAVE_PROJECT: Handler(parse_save_project, save_project, JOBS),
    Request.LOAD_PROJECT: Handler(parse_load_project, load_project, JOBS),
}
