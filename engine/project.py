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

An album's project (`album_project`: the picks and hints of an album's pictures) is a
`.panchro` file too, told apart by its `format`; it is read and written with this module's
machinery (`read_document`, `write_document`, the field checks), and each kind refuses the
other in words rather than calling it damaged.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

from panchro.engine.documents import backup_note, check_header, write_document
from panchro.engine.documents import backup_path as backup_path  # where tests and the album look
from panchro.engine.errors import BadInputError
from panchro.engine.fields import (
    FieldError,
    WrongKind,
    as_object,
    get_digest,
    get_field,
    get_margins,
)
from panchro.engine.imaging import color
from panchro.engine.imaging.hints import Hints, parse_hints
from panchro.engine.settings import (  # noqa: F401 - re-exported: Settings lived here
    BIT_DEPTHS,
    CODECS,
    DEINTERLACE_MODES,
    SCAN_MODES,
    SHARES,
    UPSCALERS,
    UPSCALES,
    Settings,
)
from panchro.engine.shots import SHOT_STAGES, Shot

FORMAT = "panchro.project"
VERSION = 1
# An album's project (`album_project`): the same file extension, told apart by its format.
ALBUM_FORMAT = "panchro.album-project"
ALBUM_VERSION = 1
NOT_A_FILM = (
    "is an album's project (the picks and hints of pictures), not a film's: open it as an "
    "album (File > Open project in the app; panchro restore --stills FOLDER OUT --project FILE)"
)
EXTENSION = ".panchro"
HASH_SPAN = 1 << 20  # bytes hashed at each end of the source
CHROMA_SHAPE = (2, 28, 28)  # Cb then Cr bins of the chosen colour mode
CHROMA_LEVELS = 32  # bins per channel (panchro.engine.imaging.color.CHROMA_LEVELS)

T = TypeVar("T")
PickSource = Literal["user", "auto", "reference", "carried", "grey", "tint", "tone", "own"]
PICK_SOURCES = ("user", "auto", "reference", "carried", "grey", "tint", "tone", "own")
# Picks that are one colour, not a drawn mode: a shot kept black and white (an intertitle, a
# scene meant grey), a silent film's tint (a dyed base: the light parts coloured) or tone (a
# dyed image: the dark and middle parts, a sepia print). Every cell holds the same bins.
FLAT_SOURCES = ("grey", "tint", "tone")
# A picture in colour already keeping its own colours (a colour snapshot in a family's album):
# nothing drawn, its chroma taken as it was read. Its bins say nothing (every bin 16).
NEUTRAL_SOURCES = ("grey", "own")


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
    fps: Fraction  # the rate its frames are shown at
    # A video's own rate when it is shown at another (`media.source.retimed`: a silent film
    # shown at the speed it was shot at); None when it keeps its own.
    retimed_from: Fraction | None = None

    @classmethod
    def of(
        cls, path: str | os.PathLike[str], *, fps: float | None = None, deinterlace: str = "auto"
    ) -> SourceInfo:
        """Probe a film (BadInputError if it is not one) and fingerprint it; `deinterlace`:
        how it is read (`media.open_source`), which may change its frame count."""
        from panchro.engine.media import probe

        info = probe(path, fps=fps, deinterlace=deinterlace)
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
            retimed_from=info.retimed_from,
        )

    def to_dict(self) -> dict[str, Any]:
        own = {} if self.retimed_from is None else {"retimed_from": _ratio(self.retimed_from)}
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "duration_s": self.duration_s,
            "frame_count": self.frame_count,
            "width": self.width,
            "height": self.height,
            "fps": _ratio(self.fps),
        } | own

    @classmethod
    def from_dict(cls, d: Any) -> SourceInfo:
        d = as_object(d, "source")
        path = get_field(d, "source", "path", str)
        if not os.path.isabs(path):
            raise FieldError(f"source.path: must be an absolute path, got {path!r}")
        digest = get_digest(d, "source")
        own = None if d.get("retimed_from") is None else _rate(d, "retimed_from")
        return cls(
            path=path,
            size=get_field(d, "source", "size", int, low=0),
            sha256=digest,
            duration_s=get_field(d, "source", "duration_s", float, low=0.0),
            frame_count=get_field(d, "source", "frame_count", int, low=1),
            width=get_field(d, "source", "width", int, low=1),
            height=get_field(d, "source", "height", int, low=1),
            fps=_rate(d, "fps"),
            retimed_from=own,
        )


def _ratio(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def _rate(d: dict[str, Any], name: str) -> Fraction:
    text = get_field(d, "source", name, str)
    try:
        rate = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise FieldError(f"source.{name}: {text!r} is not a fraction like '24000/1001'") from None
    if rate <= 0:
        raise FieldError(f"source.{name}: must be positive")
    return rate


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
    # a colour picture lends the shot, taken by a person (`inference.reference`); "carried":
    # another shot's colours matched onto this one (`carry_pick`); "grey",
    # "tint", "tone": one colour (FLAT_SOURCES, `flat_pick`); "own": the picture's own
    # colours kept (`own_pick`)
    source: PickSource = "user"
    # The part of the frame its chroma grid covers: the crop (left, top, right, bottom, film
    # pixels) the key frame was cut to when it was drawn; None: the whole frame. A render with
    # another crop takes the grid's colours where its own picture lies (`restore.crop.regrid`).
    crop: tuple[int, int, int, int] | None = None
    # What the colours are called where a person named them: the colour picture's file name
    # ("reference"), the shot they were carried from ("carried"), the tint's or tone's colour;
    # "" for a drawn mode. Shown by the app, kept by the project.
    name: str = ""

    def __post_init__(self) -> None:
        if self.crop is not None:
            m = tuple(int(v) for v in self.crop)
            if len(m) != 4 or min(m) < 0:
                raise ValueError(f"a pick's crop is four pixel counts of 0 or more: {self.crop}")
            object.__setattr__(self, "crop", None if not any(m) else m)
        c = np.asarray(self.chroma)
        if c.shape != CHROMA_SHAPE or c.min(initial=0) < 0 or c.max(initial=0) >= CHROMA_LEVELS:
            raise ValueError(f"pick chroma must be {CHROMA_SHAPE} bins below {CHROMA_LEVELS}")
        object.__setattr__(self, "chroma", c.astype(np.uint8))
        if self.source not in PICK_SOURCES:
            raise ValueError(f"pick source must be one of {PICK_SOURCES}, got {self.source!r}")
        if self.source in FLAT_SOURCES:
            c = self.chroma.reshape(2, -1)
            if (c != c[:, :1]).any():
                raise ValueError(f"a {self.source} pick is one colour: every cell the same")
        if self.source in NEUTRAL_SOURCES and (self.chroma != CHROMA_LEVELS // 2).any():
            raise ValueError(f"a {self.source} pick's chroma is neutral (every bin 16)")

    @property
    def colour(self) -> tuple[float, float] | None:
        """A flat pick's (Cb, Cr), the bins' centres; None for a drawn one."""
        if self.source not in FLAT_SOURCES:
            return None
        cb, cr = color.dequantize_chroma(self.chroma[:, 0, 0])
        return float(cb), float(cr)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pick):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def to_dict(self) -> dict[str, Any]:
        return (
            {
                "seed": self.seed,
                "temperature": self.temperature,
                "index": self.index,
                "chroma": color.encode_bins(self.chroma),
                "locked": self.locked,
                "source": self.source,
            }
            | ({} if self.crop is None else {"crop": list(self.crop)})
            | ({"name": self.name} if self.name else {})
        )

    @classmethod
    def from_dict(cls, d: Any, where: str) -> Pick:
        d = as_object(d, where)
        try:
            chroma = color.decode_bins(get_field(d, where, "chroma", str))
        except ValueError as exc:
            raise FieldError(f"{where}.chroma: {exc}") from None
        source = get_field(d, where, "source", str)
        if source not in PICK_SOURCES:
            raise FieldError(
                f"{where}.source: must be one of {', '.join(PICK_SOURCES)}, got {source!r}"
            )
        return cls(
            seed=get_field(d, where, "seed", int, low=0),
            temperature=get_field(d, where, "temperature", float, low=0.0, high=10.0),
            index=get_field(d, where, "index", int, low=0),
            chroma=chroma,
            locked=get_field(d, where, "locked", bool),
            source=source,  # type: ignore[arg-type]
            # optional: picks drawn on the whole frame (and older projects) lack it
            crop=get_margins(d, where, "crop") if d.get("crop") is not None else None,
            name=get_field(d, where, "name", str) if d.get("name") is not None else "",
        )


def flat_pick(source: str, cb: float = 0.0, cr: float = 0.0) -> Pick:
    """A shot kept black and white (`source` "grey"), or tinted or toned with (Cb, Cr), as
    a pick (FLAT_SOURCES), locked."""
    bins = color.quantize_chroma(np.array([cb, cr]) if source != "grey" else np.zeros(2))
    chroma = np.broadcast_to(np.asarray(bins)[:, None, None], CHROMA_SHAPE)
    return Pick(seed=0, temperature=0.0, index=0, chroma=chroma, locked=True, source=source)  # type: ignore[arg-type]


def own_pick(*, locked: bool = False) -> Pick:
    """A picture in colour keeping its own colours, as a pick: made automatically for a
    picture found in colour (`locked` False), or a person's choice (True)."""
    chroma = np.full(CHROMA_SHAPE, CHROMA_LEVELS // 2, np.uint8)
    return Pick(seed=0, temperature=0.0, index=0, chroma=chroma, locked=locked, source="own")


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
        """A project for the film at `source` (probed and fingerprinted now, read as
        `settings` say)."""
        settings = settings or Settings()
        source_info = SourceInfo.of(source, fps=fps, deinterlace=settings.deinterlace)
        return cls(source_info, list(shots), [], settings)

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
                    # only when some stage is left out: other projects read as they did
                    **({"off": sorted(s.off)} if s.off else {}),
                }
                for s, p in zip(self.shots, self.picks, strict=True)
            ],
            "settings": self.settings.to_dict(),
            # only when there are some: a project without hints reads as it always did
            **({"hints": self.hints.to_json()} if not self.hints.empty else {}),
        }

    @classmethod
    def from_dict(cls, d: Any) -> Project:
        """Raises `FieldError` naming the field; `load` turns it into a BadInputError."""
        d = check_header(d, FORMAT, VERSION, {ALBUM_FORMAT: NOT_A_FILM})
        source = SourceInfo.from_dict(d.get("source"))
        raw_shots = d.get("shots")
        if not isinstance(raw_shots, list):
            raise FieldError("shots: must be a list")
        shots: list[Shot] = []
        picks: list[Pick | None] = []
        for i, raw in enumerate(raw_shots):
            where = f"shots[{i}]"
            raw = as_object(raw, where)
            start = get_field(raw, where, "start", int, low=0)
            end = get_field(raw, where, "end", int, low=1)
            key = get_field(raw, where, "key", int, low=0)
            off = raw.get("off") or []
            if not isinstance(off, list) or not set(off) <= set(SHOT_STAGES):
                raise FieldError(
                    f"{where}.off: a list of the stages a shot leaves out, from "
                    f"{', '.join(SHOT_STAGES)}; got {off!r}"
                )
            shots.append(Shot(start, end, key, frozenset(off)))
            pick = raw.get("pick")
            picks.append(None if pick is None else Pick.from_dict(pick, f"{where}.pick"))
        problem = _shots_problem(shots, picks, source.frame_count)
        if problem:
            raise FieldError(problem)
        settings = Settings.from_dict(d.get("settings"))
        hints = Hints()
        if d.get("hints") is not None:
            try:
                hints = parse_hints(d["hints"])
                hints.check_against(source.width, source.height, source.frame_count)
            except BadInputError as exc:
                raise FieldError(exc.reason) from None
        return cls(source, shots, picks, settings, hints=hints)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Project:
        """Read a project; BadInputError names the file and what is wrong with it."""
        project = read_document(path, cls.from_dict)
        project.path = Path(path).expanduser()
        return project

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically; a good file being replaced is kept as `.NAME.bak` first."""
        if path is None and self.path is None:
            raise ValueError("no path to save the project to")
        p = Path(path if path is not None else self.path).expanduser()  # type: ignore[arg-type]
        write_document(p, self.to_dict(), intact=_intact)
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
        rate = src.fps if src.retimed_from is not None or p.is_dir() else None
        try:  # read as the project reads its film: a video at its own rate unless retimed
            now = SourceInfo.of(p, fps=None if rate is None else float(rate))
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

    def shown_at(self) -> Fraction | None:
        """The rate to read the film at: a folder of frames' (given when it was opened), or
        the one a video is shown at instead of its own; None: the video's own."""
        src = self.source
        if src.retimed_from is not None or Path(src.path).is_dir():
            return src.fps
        return None

    def keep_frame_numbers(self) -> str | None:
        """A project saved before Panchro left repeated frames out (of a telecined film or a
        transfer that repeats frames), or held the frame before a gap in a folder's
        numbering, numbers its film's frames as the files do: where the
        film is unchanged, read "auto", and now has fewer frames than the project while
        "keep" gives the project's count, read it with "keep" (its shots and picks fit
        again). A line saying so, else None; changes `settings` only then."""
        if self.settings.deinterlace != "auto" or self.check_source():
            return None
        from panchro.engine.media import probe

        fps = float(self.source.fps)
        now = probe(self.source.path, fps=fps).frame_count
        if now == self.source.frame_count:
            return None
        if (
            probe(self.source.path, fps=fps, deinterlace="keep").frame_count
            != self.source.frame_count
        ):
            return None
        self.settings = replace(self.settings, deinterlace="keep")
        if Path(self.source.path).is_dir():
            return (
                f"read with the gaps in its numbering closed up ({self.source.frame_count} "
                "frames), as when the project was saved; Panchro now holds the frame before a "
                f"gap ({now} frames), which would need its shots found again (Restore panel ▸ Gaps)"
            )
        return (
            f"read with every frame kept ({self.source.frame_count}), as when the project was "
            f"saved; Panchro now leaves out the film's repeated frames ({now} frames), which "
            "would need its shots found again (Restore panel ▸ Fields ▸ Automatic)"
        )

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
        left = Shot(s.start, frame, s.key_frame, s.off)
        right = Shot(frame, s.end, s.key_frame, s.off)  # both parts leave out what it did
        pick = self.picks[i]
        if s.key_frame < frame:
            right = Shot(frame, s.end, (frame + s.end - 1) // 2, s.off)
            picks = [pick, None]
        else:
            left = Shot(s.start, frame, (s.start + frame - 1) // 2, s.off)
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
        # a stage is left out of the joined shot only if both left it out
        self.shots[index : index + 2] = [Shot(a.start, b.end, key, a.off & b.off)]
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


# --------------------------------------------------------------------------- the file


def read_document(path: str | os.PathLike[str], build: Callable[[Any], T]) -> T:
    """Read the `.panchro` file at `path` and make it with `build` (a kind's `from_dict`).

    Loading never writes. BadInputError names the file and what is wrong: missing, a folder,
    unreadable, empty, not UTF-8 or not JSON, or `build`'s FieldError (the field), with
    where the save before it is kept, if anywhere. A WrongKind is said as it is.
    """
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
        raise BadInputError("is empty: not a Panchro project" + backup_note(p), path=p)
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInputError("is damaged: not UTF-8 text" + backup_note(p), path=p) from None
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"is damaged: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            + backup_note(p),
            path=p,
        ) from None
    try:
        return build(doc)
    except WrongKind as exc:
        raise BadInputError(str(exc), path=p) from None
    except FieldError as exc:
        raise BadInputError(
            f"is damaged or not a project: {exc}" + backup_note(p), path=p
        ) from None


def _intact(path: Path) -> bool:
    """Whether the file a film's project is about to replace is a good project: a film's that
    reads, or an album's (whose fields `album_project` checks; here its header is enough)."""
    try:
        head = json.loads(path.read_bytes().decode("utf-8"))
        if isinstance(head, dict) and head.get("format") == ALBUM_FORMAT:
            check_header(head, ALBUM_FORMAT, ALBUM_VERSION, {})
            return True
        Project.from_dict(head)
    except (OSError, ValueError, FieldError):
        return False
    return True


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
