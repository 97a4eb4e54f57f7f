"""Where an output may go, and putting it there whole or not at all.

Every output is written under a temporary name in the destination folder,
flushed to disk and renamed into place; an aborted writer removes its
temporaries and leaves the output path as it was. An output never replaces an
input (`check_output_path`). The helpers here are shared by the writer and the
chunk joiner, so both leave the same guarantees.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from panchro.engine.errors import OutputError


def same_file(a: Path, b: Path) -> bool:
    """Whether paths `a` and `b` are one file (through links too), or would be."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _is_inside(child: Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(child)).relative_to(os.path.realpath(folder))
        return True
    except ValueError:
        return False


def check_output_path(
    output: str | Path, *, inputs: Sequence[str | Path] = (), overwrite: bool = False
) -> Path:
    """The output path, absolute, once it is safe to write; OutputError says why not."""
    out = Path(output).expanduser()
    out = Path(os.path.abspath(out))
    for inp in inputs:
        inp_path = Path(inp).expanduser()
        if same_file(out, inp_path):
            raise OutputError("is the input; choose another output", path=out)
        if out.is_dir() and _is_inside(inp_path, out):
            raise OutputError(f"is a folder holding the input {inp_path.name}", path=out)
    if os.path.lexists(out) and not overwrite:
        raise OutputError("exists (use --overwrite)", path=out)
    if os.path.lexists(out):
        for inp in inputs:
            inp_path = Path(inp).expanduser()
            if inp_path.is_dir() and _is_inside(out, inp_path):
                raise OutputError(
                    f"is inside the input folder {inp_path.name}; replacing it would change "
                    "the input",
                    path=out,
                )
    parent = out.parent
    if not parent.exists():
        raise OutputError(f"cannot be written: folder {parent} does not exist", path=out)
    if not parent.is_dir():
        raise OutputError(f"cannot be written: {parent} is not a folder", path=out)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot be written: folder {parent} is not writable", path=out)
    return out


def _fsync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            path.unlink()
    except OSError:
        pass


def _replace_folder(tmp: Path, path: Path) -> None:
    """Rename the finished folder `tmp` onto `path`, replacing what is there."""
    old = None
    if os.path.lexists(path):
        # A folder cannot be renamed over a non-empty one: move the old one aside first.
        old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
        os.replace(path, old)
    os.replace(tmp, path)
    _fsync_path(path.parent)
    if old is not None:
        _remove(old)
