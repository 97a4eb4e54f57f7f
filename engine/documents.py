"""A project document on disk: written atomically with the file it replaces kept as a hidden
backup, and its header (format, version) checked before its fields are read. Shared by the
film's project (`project`) and the album's (`album_project`)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from panchro.engine.fields import FieldError, TooNew, WrongKind
from panchro.engine.fsutil import atomic_write


def write_document(path: Path, doc: dict[str, Any], *, intact: Callable[[Path], bool]) -> None:
    """Write `doc` to `path` atomically, first keeping the file it replaces as the backup
    (`backup_path`) when `intact(path)` says that file is good: a damaged one is not kept, so
    the backup stays the last good copy."""
    text = json.dumps(doc, indent=2) + "\n"
    if path.is_file() and intact(path):
        atomic_write(
            backup_path(path), lambda tmp: shutil.copyfile(path, tmp), what="project backup"
        )
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), what="project")


def check_header(d: Any, fmt: str, version: int, other: dict[str, str]) -> dict[str, Any]:
    """The document as a dict when its `format` is `fmt` and its version one this Panchro
    reads; WrongKind for a format in `other` (format -> what to say), FieldError else."""
    if not isinstance(d, dict):
        raise FieldError("not a Panchro project (expected a JSON object)")
    found = d.get("format")
    if found in other:
        raise WrongKind(other[found])
    if found != fmt:
        raise FieldError(f"not a Panchro project (format is {found!r}, expected {fmt!r})")
    written = d.get("version")
    if not isinstance(written, int) or isinstance(written, bool) or written < 1:
        raise FieldError(f"version: must be a positive integer, got {written!r}")
    if written > version:
        raise TooNew(
            f"was written by a newer Panchro (project version {written}; this one reads "
            f"up to {version}); update Panchro"
        )
    return d


def backup_path(path: str | os.PathLike[str]) -> Path:
    """Where `Project.save` keeps the previous file: NAME.panchro -> .NAME.panchro.bak,
    hidden beside it."""
    p = Path(path)
    return p.with_name(f".{p.name}.bak")


def backup_note(path: Path) -> str:
    """For the message about a damaged project: where the save before it is, if anywhere."""
    hidden, old = backup_path(path), path.with_name(path.name + ".bak")  # old: where 0.1.0 kept it
    if hidden.is_file():
        return f"; the save before it is kept in {hidden} (a hidden file)"
    if old.is_file():
        return f"; a save before it is kept in {old}"
    return ""


__all__ = ["backup_note", "backup_path", "check_header", "write_document"]
