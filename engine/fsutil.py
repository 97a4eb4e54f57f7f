"""Writing files so that a reader never sees half of one; a weights file named by its start."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from panchro.engine.errors import OutputError


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[str], None], *, what: str = ""
) -> Path:
    """Call `write(tmp)` on a temporary name beside `path`, fsync it, then rename it onto `path`.

    A crash or an error leaves `path` as it was and removes the temporary
    file. The file is made world-readable (mkstemp makes it private) because
    outputs, weights and logs are meant to be shared. `what` names the kind of
    file in the error message ("weights", "image").
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        label = f"cannot write {what}" if what else "cannot write"
        raise OutputError(f"{label} ({err.strerror or err})", path=path) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return path


def tree_size(path: Path) -> int:
    """The bytes of a file, or of every file in a folder's tree."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def weights_key(path: str | None) -> str:
    """A weights file as a stage's key names it: its name, size and a hash of its start
    (the header and first MB hold the config, the card and the first tensors); "none"."""
    if path is None:
        return "none"
    p = Path(path)
    st = p.stat()
    h = hashlib.sha256()
    with p.open("rb") as f:
        h.update(f.read(1 << 20))
    return f"{p.name}:{st.st_size}:{h.hexdigest()[:16]}"
