"""The project file (`.panchro`): one film's restoration, kept between sessions.

A project is a small JSON document (the format is described field by field in
docs/project-format.md): which film it is about, its shots (editable cuts),
per shot the colour pick a person (or the pipeline) made, and the restoration
settings. It is versioned (`format`, `version`) so a newer Panchro can read an
older file and an older Panchro refuses a newer one clearly instead of
guessing.

Decisions worth knowing:

* The source is identified by its size and a SHA-256 of its first and last
  MiB, not by its path alone: a moved film is still recognised, a re-encoded
  one sharing the name is not. Hashing two MiB is instant even for a 100 GB
  scan, where a whole-file hash would take minutes.
* A pick stores the chosen 2 x 28 x 28 chroma bins themselves (base64 of
  uint8, 1,568 bytes), not just seed and index: a model update changes what a
  seed samples, and a pick must survive it.
* Saving is atomic (temporary file, fsync, rename) and first keeps the file
  being replaced as `.NAME.panchro.bak` beside it -- unless that file is damaged,
  in which case the backup is left as it is, since it is then the last good copy.
  The backup is hidden (a dot file) so that the folder a restorer arranged shows
  their film, project and exports, not a file they never made; the message about
  a damaged project names it. (Before, it was `NAME.panchro.bak`, in sight; such
  a file is left alone and named while it is the only backup.)
* Loading never writes. A damaged file (not JSON, another format, a newer
  version, a field out of range) raises `BadInputError` naming the file and
  the field.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.fsutil import atomic_write
from panchro.engine.imaging import color
from panchro.engine.imaging.hints import Hints, parse_hints
from panchro.engine.shots import Shot

FORMAT = "panchro.project"
VERSION = 1
EXTENSION = ".panchro"
HASH_SPAN = 1 << 20  # bytes hashed at each end of the source
CHROMA_SHAPE = (2, 28, 28)  # Cb then Cr bins of the chosen colour mode
CHROMA_LEVELS = 32  # bins per channel (panchro.engine.imaging.color.CHROMA_LEVELS)
CODECS = ("h264", "h265", "prores", "ffv1", "png16", "tiff16")
UPSCALES = (1, 2, 4)
UPSCALERS = ("film", "sharp")
BIT_DEPTHS = (8, 10, 16)

PickSource = Literal["user", "auto", "reference"]
PICK_SOURCES = ("user", "auto", "reference")


class _Bad(Exception):
    """A field of the document is wrong; becomes a BadInputError naming the file."""


# --------------------------------------------------------------------------- source identity


def fingerprint(path: str | os.PathLike[str]) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex of the first and last MiB) of a film file or frame folder.

    For a folder of frames: the total size of its frames, and a hash of their
    names, the first MiB of the first frame and the last MiB of the last.
    """
    p = Path(path)
    digest = hashlib.sha256()
    if p.is_dir():
        from panchro.engine.media import frame_files

        files = frame_files(p)
        size = sum(f.stat().st_size for f in files)
        digest.update("\n".join(f.name for f in files).encode())
        if files:
            _hash_ends(files[0], digest, last=False)
            _hash_ends(files[-1], digest, first=False)
        return size, digest.hexdigest()
    size = p.stat().st_size
    _hash_ends(p, digest)
    return size, digest.hexdigest()


def _hash_ends(path: Path, digest: Any, *, first: bool = True, last: bool = True) -> None:
    size = path.stat().st_size
    with path.open("rb") as fh:
        if size <= 2 * HASH_SPAN and first and last:
            digest.update(fh.read())
            return
        if first:
            digest.update(fh.read(HASH_SPAN))
        if last:
            fh.seek(max(0, size - HASH_SPAN))
            digest.update(fh.read(HASH_SPAN))


@dataclass(frozen=True)
class SourceInfo:
    """What a project knows about its film, enough to tell whether it is still the same."""

    path: str  # absolute
    size: int
    sha256: str  # of the first and last MiB, see `fingerprint`
    duration_s: float
    frame_count: int
    width: int
    height: int
    fps: Fraction

    @classmethod
    def of(cls, path: str | os.PathLike[str], *, fps: float | None = None) -> SourceInfo:
        """Probe a film (BadInputError if it is not one) and fingerprint it."""
        from panchro.engine.media import probe

        info = probe(path, fps=fps)
        size, digest = fingerprint(path)
        return cls(
            path=os.path.abspath(Path(path).expanduser()),
            size=size,
            sha256=digest,
            duration_s=round(float(info.duration_s), 6),
            frame_count=info.frame_count,
            width=info.width,
            height=info.height,
            fps=Fraction(info.fps),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "duration_s": self.duration_s,
            "frame_count": self.frame_count,
            "width": self.width,
            "height": self.height,
            "fps": f"{self.fps.numerator}/{self.fps.denominator}",
        }

    @classmethod
    def from_dict(cls, d: Any) -> SourceInfo:
        d = _obj(d, "source")
        path = _get(d, "source", "path", str)
        if not os.path.isabs(path):
            raise _Bad(f"source.path: must be an absolute path, got {path!r}")
        digest = _get(d, "source", "sha256", str)
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise _Bad("source.sha256: must be 64 lower-case hex digits")
        fps_text = _get(d, "source", "fps", str)
        try:
            fps = Fraction(fps_text)
        except (ValueError, ZeroDivisionError):
            raise _Bad(f"source.fps: {fps_text!r} is not a fraction like '24000/1001'") from None
        if fps <= 0:
            raise _Bad("source.fps: must be positive")
        return cls(
            path=path,
            size=_get(d, "source", "size", int, low=0),
            sha256=digest,
            duration_s=_get(d, "source", "duration_s", float, low=0.0),
            frame_count=_get(d, "source", "frame_count", int, low=1),
            width=_get(d, "source", "width", int, low=1),
            height=_get(d, "source", "height", int, low=1),
            fps=fps,
        )


# --------------------------------------------------------------------------- picks, settings


@dataclass(frozen=True, eq=False)
class Pick:
    """The colour chosen for a shot: how it was sampled, and the sample itself."""

    seed: int
    temperature: float
    index: int  # which of the K candidates
    chroma: np.ndarray  # (2, 28, 28) uint8 bins, Cb then Cr
    locked: bool = False  # a person fixed it; automatic passes must not replace it
    # "user": chosen by a person; "auto": sample 0 by the pipeline; "reference": the colours
    # a colour picture lends the shot, taken by a person (`inference.reference`)
    source: PickSource = "user"

    def __post_init__(self) -> None:
        c = np.asarray(self.chroma)
        if c.shape != CHROMA_SHAPE or c.min(initial=0) < 0 or c.max(initial=0) >= CHROMA_LEVELS:
            raise ValueError(f"pick chroma must be {CHROMA_SHAPE} bins below {CHROMA_LEVELS}")
        object.__setattr__(self, "chroma", c.astype(np.uint8))
        if self.source not in PICK_SOURCES:
            raise ValueError(f"pick source must be one of {PICK_SOURCES}, got {self.source!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pick):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "temperature": self.temperature,
            "index": self.index,
            "chroma": color.encode_bins(self.chroma),
            "locked": self.locked,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Pick:
        d = _obj(d, where)
        try:
            chroma = color.decode_bins(_get(d, where, "chroma", str))
        except ValueError as exc:
            raise _Bad(f"{where}.chroma: {exc}") from None
        source = _get(d, where, "source", str)
        if source not in PICK_SOURCES:
            raise _Bad(f"{where}.source: must be one of {', '.join(PICK_SOURCES)}, got {source!r}")
        return cls(
            seed=_get(d, where, "seed", int, low=0),
            temperature=_get(d, where, "temperature", float, low=0.0, high=10.0),
            index=_get(d, where, "index", int, low=0),
            chroma=chroma,
            locked=_get(d, where, "locked", bool),
            source=source,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Settings:
    """How the film is restored and written."""

    colorize: bool = False
    degrain: float = 0.0  # 0 (none) .. 1 (strongest)
    upscale: int = 1  # 1, 2 or 4
    codec: str = "h264"
    bit_depth: int = 8
    # Where the last export was going: an interrupted one (its OUTPUT.panchro-job folder
    # still there) is offered for resume when the project is opened again.
    output: str | None = None
    # Which enlarger: "film" (robust to grain, blur, dust; also cleans) or "sharp" (for clean
    # sources: sharper, keeps grain). See panchro.engine.models.upscaler.KINDS.
    upscaler: str = "film"

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem:
            raise ValueError(problem)

    def problem(self) -> str | None:
        if not 0.0 <= self.degrain <= 1.0:
            return f"degrain must be within 0..1, got {self.degrain}"
        if self.upscale not in UPSCALES:
            return f"upscale must be 1, 2 or 4, got {self.upscale}"
        if self.upscaler not in UPSCALERS:
            return f"upscaler must be one of {', '.join(UPSCALERS)}, got {self.upscaler!r}"
        if self.codec not in CODECS:
            return f"codec must be one of {', '.join(CODECS)}, got {self.codec!r}"
        if self.bit_depth not in BIT_DEPTHS:
            return f"bit_depth must be 8, 10 or 16, got {self.bit_depth}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "colorize": self.colorize,
            "degrain": self.degrain,
            "upscale": self.upscale,
            "upscaler": self.upscaler,
            "codec": self.codec,
            "bit_depth": self.bit_depth,
            "output": self.output,
        }

    @classmethod
    def from_dict(cls, d: Any) -> Settings:
        d = _obj(d, "settings")
        values = {
            "colorize": _get(d, "settings", "colorize", bool),
            "degrain": _get(d, "settings", "degrain", float, low=0.0, high=1.0),
            "upscale": _get(d, "settings", "upscale", int),
            "codec": _get(d, "settings", "codec", str),
            "bit_depth": _get(d, "settings", "bit_depth", int),
        }
        upscaler = d.get("upscaler", "film")  # optional: older projects lack it
        if not isinstance(upscaler, str):
            raise _Bad("settings.upscaler: must be a string")
        values["upscaler"] = upscaler
        output = d.get("output")  # optional: projects written before it existed lack it
        if output is not None and not isinstance(output, str):
            raise _Bad("settings.output: must be a path or null")
        values["output"] = output
        try:
            return cls(**values)
        except ValueError as exc:
            raise _Bad(f"settings: {exc}") from None


# --------------------------------------------------------------------------- the project


@dataclass
class Project:
    """A film's restoration: its source, shots with their picks, and settings.

    `shots` cover the film without gaps (frames [0, frame_count)), or are empty
    until the film has been analysed; `picks[i]` belongs to `shots[i]`.
    """

    source: SourceInfo
    shots: list[Shot] = field(default_factory=list)
    picks: list[Pick | None] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    path: Path | None = None  # where it was loaded from or last saved to
    hints: Hints = field(default_factory=Hints)  # a person's colour points and strokes

    def __post_init__(self) -> None:
        if len(self.picks) < len(self.shots):
            self.picks = list(self.picks) + [None] * (len(self.shots) - len(self.picks))
        problem = _shots_problem(self.shots, self.picks, self.source.frame_count)
        if problem:
            raise ValueError(problem)

    # ---------------------------------------------------------------- making, reading, writing

    @classmethod
    def new(
        cls,
        source: str | os.PathLike[str],
        *,
        shots: Sequence[Shot] = (),
        settings: Settings | None = None,
        fps: float | None = None,
    ) -> Project:
        """A project for the film at `source` (probed and fingerprinted now)."""
        return cls(SourceInfo.of(source, fps=fps), list(shots), [], settings or Settings())

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "source": self.source.to_dict(),
            "shots": [
                {
                    "start": s.start,
                    "end": s.end,
                    "key": s.key_frame,
                    "pick": None if p is None else p.to_dict(),
                }
                for s, p in zip(self.shots, self.picks, strict=True)
            ],
            "settings": self.settings.to_dict(),
            # only when there are some: a project without hints reads as it always did
            **({"hints": self.hints.to_json()} if not self.hints.empty else {}),
        }

    @classmethod
    def from_dict(cls, d: Any) -> Project:
        """Raises `_Bad` naming the field; `load` turns it into a BadInputError."""
        if not isinstance(d, dict):
            raise _Bad("not a Panchro project (expected a JSON object)")
        fmt = d.get("format")
        if fmt != FORMAT:
            raise _Bad(f"not a Panchro project (format is {fmt!r}, expected {FORMAT!r})")
        version = d.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise _Bad(f"version: must be a positive integer, got {version!r}")
        if version > VERSION:
            raise _Bad(
                f"was written by a newer Panchro (project version {version}; this one reads "
                f"up to {VERSION}); update Panchro"
            )
        source = SourceInfo.from_dict(d.get("source"))
        raw_shots = d.get("shots")
        if not isinstance(raw_shots, list):
            raise _Bad("shots: must be a list")
        shots: list[Shot] = []
        picks: list[Pick | None] = []
        for i, raw in enumerate(raw_shots):
            where = f"shots[{i}]"
            raw = _obj(raw, where)
            start = _get(raw, where, "start", int, low=0)
            end = _get(raw, where, "end", int, low=1)
            key = _get(raw, where, "key", int, low=0)
            shots.append(Shot(start, end, key))
            pick = raw.get("pick")
            picks.append(None if pick is None else Pick.from_dict(pick, f"{where}.pick"))
        problem = _shots_problem(shots, picks, source.frame_count)
        if problem:
            raise _Bad(problem)
        settings = Settings.from_dict(d.get("settings"))
        hints = Hints()
        if d.get("hints") is not None:
            try:
                hints = parse_hints(d["hints"])
                hints.check_against(source.width, source.height, source.frame_count)
            except BadInputError as exc:
                raise _Bad(exc.reason) from None
        return cls(source, shots, picks, settings, hints=hints)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Project:
        """Read a project; BadInputError names the file and what is wrong with it."""
        p = Path(path).expanduser()
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise BadInputError("does not exist", path=p) from None
        except IsADirectoryError:
            raise BadInputError("is a folder, not a project file", path=p) from None
        except OSError as exc:
            raise BadInputError(f"cannot be read ({exc.strerror or exc})", path=p) from None
        if not data.strip():
            raise BadInputError("is empty: not a Panchro project" + _backup_note(p), path=p)
        try:
            doc = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise BadInputError("is damaged: not UTF-8 text" + _backup_note(p), path=p) from None
        except json.JSONDecodeError as exc:
            raise BadInputError(
                f"is damaged: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
                + _backup_note(p),
                path=p,
            ) from None
        try:
            project = cls.from_dict(doc)
        except _Bad as exc:
            raise BadInputError(
                f"is damaged or not a project: {exc}" + _backup_note(p), path=p
            ) from None
        project.path = p
        return project

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically; a good file being replaced is kept as `.NAME.bak` first."""
        if path is None and self.path is None:
            raise ValueError("no path to save the project to")
        p = Path(path if path is not None else self.path).expanduser()  # type: ignore[arg-type]
        text = json.dumps(self.to_dict(), indent=2) + "\n"
        if p.is_file():
            try:
                Project.load(p)
                intact = True
            except BadInputError:
                # The old file is damaged: the backup, if any, is the last good copy. Keep it.
                intact = False
            if intact:
                backup = backup_path(p)
                atomic_write(backup, lambda tmp: shutil.copyfile(p, tmp), what="project backup")
        atomic_write(p, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), what="project")
        self.path = p
        return p

    # ---------------------------------------------------------------- the source

    def check_source(self, path: str | os.PathLike[str] | None = None) -> list[str]:
        """What differs between the film at `path` (default: the recorded path) and this
        project's source; an empty list when it is the same film.

        Size and content hash decide; when they differ, the film is probed too
        so the duration and frame count changes can be named.
        """
        p = Path(path if path is not None else self.source.path).expanduser()
        if not p.exists():
            return [f"the source {p} is missing"]
        try:
            size, digest = fingerprint(p)
        except OSError as exc:
            return [f"the source {p} cannot be read ({exc.strerror or exc})"]
        src = self.source
        changes: list[str] = []
        if size != src.size:
            changes.append(f"size changed: {src.size} -> {size} bytes")
        if digest != src.sha256:
            changes.append("content changed (the hash of its first and last MiB differs)")
        if not changes:
            return []
        try:
            now = SourceInfo.of(p, fps=float(src.fps))
        except BadInputError as exc:
            changes.append(f"it cannot be read as a film any more ({exc.reason})")
            return changes
        if abs(now.duration_s - src.duration_s) > 1e-3:
            changes.append(f"duration changed: {src.duration_s:.3f} s -> {now.duration_s:.3f} s")
        if now.frame_count != src.frame_count:
            changes.append(f"frame count changed: {src.frame_count} -> {now.frame_count}")
        if (now.width, now.height) != (src.width, src.height):
            changes.append(
                f"frame size changed: {src.width}x{src.height} -> {now.width}x{now.height}"
            )
        return changes

    # ---------------------------------------------------------------- editing cuts

    def shot_at(self, frame: int) -> int:
        """The index of the shot holding `frame`."""
        for i, s in enumerate(self.shots):
            if s.start <= frame < s.end:
                return i
        raise IndexError(f"frame {frame} is in no shot (the film has {self.source.frame_count})")

    def split(self, frame: int) -> int:
        """Cut the shot holding `frame` so that a new shot starts there; returns its index.

        The part holding the old key frame keeps it and the pick (the pick's
        colours were sampled on that frame); the other part gets its middle
        frame as key and no pick.
        """
        i = self.shot_at(frame)
        s = self.shots[i]
        if frame == s.start:
            raise ValueError(f"frame {frame} already starts shot {i}")
        left, right = Shot(s.start, frame, s.key_frame), Shot(frame, s.end, s.key_frame)
        pick = self.picks[i]
        if s.key_frame < frame:
            right = Shot(frame, s.end, (frame + s.end - 1) // 2)
            picks = [pick, None]
        else:
            left = Shot(s.start, frame, (s.start + frame - 1) // 2)
            picks = [None, pick]
        self.shots[i : i + 1] = [left, right]
        self.picks[i : i + 1] = picks
        return i + 1

    def merge(self, index: int) -> None:
        """Join shot `index` with the one after it.

        The merged shot keeps one pick and its key frame: a locked pick before
        an unlocked one, else the first shot's pick if it has one, else the
        second's.
        """
        if not 0 <= index < len(self.shots) - 1:
            raise IndexError(f"no shot after shot {index} to merge with")
        a, b = self.shots[index], self.shots[index + 1]
        pa, pb = self.picks[index], self.picks[index + 1]
        take_b = pb is not None and (pa is None or (pb.locked and not pa.locked))
        key, pick = (b.key_frame, pb) if take_b else (a.key_frame, pa)
        self.shots[index : index + 2] = [Shot(a.start, b.end, key)]
        self.picks[index : index + 2] = [pick]

    def set_pick(self, index: int, pick: Pick | None) -> None:
        """Set (or clear, with None) the pick of shot `index`."""
        if not 0 <= index < len(self.shots):
            raise IndexError(f"no shot {index}; the project has {len(self.shots)}")
        self.picks[index] = pick

    def with_settings(self, **changes: Any) -> Project:
        """A copy with some settings changed (ValueError when one is out of range)."""
        return replace(self, settings=replace(self.settings, **changes))

    def digest(self) -> str:
        """SHA-256 of the shots, picks and hints: what a render's colours depend on in the
        project (a project without hints hashes as before hints existed)."""
        doc = self.to_dict()
        part = doc["shots"] if self.hints.empty else [doc["shots"], doc["hints"]]
        body = json.dumps(part, sort_keys=True).encode()
        return hashlib.sha256(body).hexdigest()


def backup_path(path: str | os.PathLike[str]) -> Path:
    """Where `Project.save` keeps the previous file: NAME.panchro -> .NAME.panchro.bak,
    hidden beside it."""
    p = Path(path)
    return p.with_name(f".{p.name}.bak")


def _backup_note(path: Path) -> str:
    """For the message about a damaged project: where the save before it is, if anywhere."""
    hidden, old = backup_path(path), path.with_name(path.name + ".bak")  # old: where 0.1.0 kept it
    if hidden.is_file():
        return f"; the save before it is kept in {hidden} (a hidden file)"
    if old.is_file():
        return f"; a save before it is kept in {old}"
    return ""


# --------------------------------------------------------------------------- validation


def _shots_problem(shots: Sequence[Shot], picks: Sequence[Pick | None], n: int) -> str | None:
    if len(picks) != len(shots):
        return f"shots: {len(picks)} picks for {len(shots)} shots"
    expected = 0
    for i, s in enumerate(shots):
        if s.start != expected:
            what = "start at 0" if i == 0 else f"start where shot {i - 1} ends ({expected})"
            return f"shots[{i}].start: is {s.start}; shots must {what}"
        if s.end <= s.start:
            return f"shots[{i}].end: is {s.end}; must be greater than start ({s.start})"
        if not s.start <= s.key_frame < s.end:
            span = f"{s.start}..{s.end - 1}"
            return f"shots[{i}].key: frame {s.key_frame} is outside the shot ({span})"
        expected = s.end
    if shots and expected != n:
        return f"shots: end at frame {expected}, but the film has {n} frames"
    return None


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(f"{where}: must be a JSON object")
    return value


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _get(
    d: dict[str, Any],
    where: str,
    key: str,
    kind: type,
    *,
    low: float | None = None,
    high: float | None = None,
) -> Any:
    if key not in d:
        raise _Bad(f"{where}.{key}: missing")
    value = d[key]
    ok: Callable[[Any], bool]
    if kind is bool:
        ok = lambda v: isinstance(v, bool)  # noqa: E731
    elif kind is int:
        ok = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
    elif kind is float:
        ok = lambda v: isinstance(v, int | float) and not isinstance(v, bool)  # noqa: E731
    else:
        ok = lambda v: isinstance(v, kind)  # noqa: E731
    if not ok(value):
        raise _Bad(f"{where}.{key}: must be {_TYPE_NAMES.get(kind, kind.__name__)}, got {value!r}")
    if kind is float:
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise _Bad(f"{where}.{key}: must be a finite number")
    if low is not None and value < low:
        raise _Bad(f"{where}.{key}: must be at least {low}, got {value}")
    if high is not None and value > high:
        raise _Bad(f"{where}.{key}: must be at most {high}, got {value}")
    return value
