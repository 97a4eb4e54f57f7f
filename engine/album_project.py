"""An album's project (`.panchro` too): the colour picks and hints of an album's pictures, kept
between sessions.

An album (a box of family photos, or pictures given one by one: `restore.album`) has no shots
and no single source. What a person makes of it is, per picture, a colour pick and colour
hints, plus the restoration settings; a restorer working through 300 photos over several
evenings needs them kept. This module keeps them in a small versioned JSON document (field by
field in docs/project-format.md), read and written with the film project's machinery
(`project.read_document` and `write_document`: atomic, the hidden `.NAME.panchro.bak` backup
of a good file replaced, messages naming the file and the field). The two kinds share the
extension and are told apart by `format`; loading one where the other is expected is refused
in words (`load_any` takes either).

Decisions worth knowing:

* Pictures are named as the album names them (`1950/lake.jpg`: `media.list_pictures`), the
  names the protocol and `restore_album` use. The inputs are kept (absolute) so the album can
  be opened again, but names decide: a project used with other inputs (the folder moved, the
  CLI given it another way) fits the pictures of the same names.
* Only pictures with a pick or hints are listed, each with its file's fingerprint
  (`project.fingerprint`: size and a SHA-256 of its first and last MiB, the whole file for a
  picture of 2 MiB or less). A picture replaced or retouched since is found
  (`check_pictures`) and its pick and hints are not applied: they were made for other pixels.
* Hints are the hints file's JSON form (`imaging.hints`), every entry on frame 0, in the
  upright picture's pixels, as `restore_album` takes them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from panchro.engine import project
from panchro.engine.errors import BadInputError
from panchro.engine.imaging.hints import Hints, parse_hints
from panchro.engine.project import (
    FieldError,
    Pick,
    Project,
    Settings,
    as_object,
    check_header,
    fingerprint,
    get_digest,
    get_field,
    read_document,
    write_document,
)
from panchro.engine.settings import COLOUR_STRENGTHS

FORMAT = project.ALBUM_FORMAT
VERSION = project.ALBUM_VERSION
# Every picture in one format, or (None) each in its own: `restore.album.FORMATS`' names.
PICTURE_FORMATS = ("jpg", "png", "tif", "webp")
NOT_AN_ALBUM = (
    "is a film's project (its shots and picks), not an album's: open it as a film (File > "
    "Open project in the app; panchro restore FILM OUT --project FILE)"
)
_SHOWN = 5  # names listed in a sentence before "and N more"


def _names(names: list[str] | tuple[str, ...]) -> str:
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


# How each picture is read, a check box each in the app (absent from the file when off).
PICTURE_FLAGS = ("borders", "straighten", "negative", "levels")


@dataclass(frozen=True)
class AlbumSettings:
    """How the album is restored: the film settings that apply to pictures (a film's codec
    and bit depth do not: each picture keeps its own format and depth), the one format for
    every picture if chosen, and where the last export went."""

    colorize: bool = False
    degrain: float = 0.0
    upscale: int = 1
    upscaler: str = "film"
    format: str | None = None  # "jpg", "png", "tif", "webp"; None: each picture keeps its own
    output: str | None = None  # the folder of the last export
    borders: bool = False  # each picture's own border cut off (`restore_picture`'s crop "auto")
    straighten: bool = False  # each picture scanned crooked turned square first
    negative: bool = False  # each picture a scanned negative, turned positive
    levels: bool = False  # each picture's own faded levels stretched to the full range
    colour_strength: float = 1.0  # how strong the colours are (`Settings.colour_strength`)
    dust: float = 0.0  # each picture's dirt found by its look and filled, 0 (off) .. 1

    def __post_init__(self) -> None:
        self.restoration()  # ValueError for a value out of range, as Settings says it
        if self.format is not None and self.format not in PICTURE_FORMATS:
            raise ValueError(
                f"format must be one of {', '.join(PICTURE_FORMATS)} or null, got {self.format!r}"
            )

    def restoration(self) -> Settings:
        """These settings as a film's (for `pipeline.settings_for` and the stages)."""
        return Settings(
            colorize=self.colorize,
            degrain=self.degrain,
            upscale=self.upscale,
            upscaler=self.upscaler,
            colour_strength=self.colour_strength,
            dust=self.dust,
        )

    def to_dict(self) -> dict[str, Any]:
        return (
            {
                "colorize": self.colorize,
                "degrain": self.degrain,
                "upscale": self.upscale,
                "upscaler": self.upscaler,
                "format": self.format,
                "output": self.output,
            }
            | {k: True for k in PICTURE_FLAGS if getattr(self, k)}
            | (  # absent when off
                {} if self.colour_strength == 1.0 else {"colour_strength": self.colour_strength}
            )
            | ({"dust": self.dust} if self.dust else {})  # absent when off
        )

    @classmethod
    def from_dict(cls, d: Any) -> AlbumSettings:
        d = as_object(d, "settings")
        values: dict[str, Any] = {
            "colorize": get_field(d, "settings", "colorize", bool),
            "degrain": get_field(d, "settings", "degrain", float, low=0.0, high=1.0),
            "upscale": get_field(d, "settings", "upscale", int),
            "upscaler": get_field(d, "settings", "upscaler", str),
        }
        for key in PICTURE_FLAGS:  # optional: not written when off
            value = d.get(key, False)
            if not isinstance(value, bool):
                raise FieldError(f"settings.{key}: must be true or false, got {value!r}")
            values[key] = value
        if "colour_strength" in d:  # optional: 1 (as drawn) is not written
            low, high = COLOUR_STRENGTHS
            values["colour_strength"] = get_field(d, "settings", "colour_strength", float,
                                                  low=low, high=high)  # fmt: skip
        if "dust" in d:  # optional: off is not written
            values["dust"] = get_field(d, "settings", "dust", float, low=0.0, high=1.0)
        for key in ("format", "output"):  # null when not chosen
            value = d.get(key)
            if value is not None and not isinstance(value, str):
                raise FieldError(f"settings.{key}: must be a string or null, got {value!r}")
            values[key] = value
        try:
            return cls(**values)
        except ValueError as exc:
            raise FieldError(f"settings: {exc}") from None


@dataclass(frozen=True)
class PictureEntry:
    """One picture's part of the project: its file's fingerprint, and a pick or hints."""

    size: int
    sha256: str  # see `project.fingerprint`
    pick: Pick | None = None
    hints: Hints | None = None  # not empty; frame 0, the upright picture's pixels

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "sha256": self.sha256,
            "pick": None if self.pick is None else self.pick.to_dict(),
            "hints": None if self.hints is None else self.hints.to_json(),
        }


@dataclass(frozen=True)
class PictureCheck:
    """What differs between the album on disk and the project: pictures changed since it was
    saved, pictures no longer in the album, and why the album could not be listed at all."""

    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    problem: str = ""  # an input gone or unreadable, in words

    @property
    def left_out(self) -> frozenset[str]:
        """The pictures whose picks and hints are not applied."""
        return frozenset(self.changed) | frozenset(self.missing)

    def describe(self) -> str:
        """The differences in a sentence or two ("" when there are none)."""
        parts = []
        if self.problem:
            parts.append(f"the album cannot be read ({self.problem})")
        if self.changed:
            n = len(self.changed)
            parts.append(
                f"{n} picture{'s' if n != 1 else ''} changed since the project was saved "
                f"({_names(self.changed)})"
            )
        if self.missing and not self.problem:
            n = len(self.missing)
            parts.append(
                f"{n} picture{'s' if n != 1 else ''} no longer in the album "
                f"({_names(self.missing)})"
            )
        if not parts:
            return ""
        return "; ".join(parts) + ": their picks and hints are not applied"


@dataclass
class AlbumProject:
    """An album's restoration: its inputs, whether a folder is read as an album whatever the
    rule says (`stills`), the settings, and by picture name the picks and hints."""

    inputs: list[str]
    stills: bool = False
    settings: AlbumSettings = field(default_factory=AlbumSettings)
    pictures: dict[str, PictureEntry] = field(default_factory=dict)
    path: Path | None = None  # where it was loaded from or last saved to

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ValueError("an album project needs the album's inputs")

    # ---------------------------------------------------------------- making one

    @classmethod
    def new(
        cls,
        inputs: list[str | os.PathLike[str]],
        *,
        stills: bool = False,
        settings: AlbumSettings | None = None,
        picks: Mapping[str, Pick] | None = None,
        hints: Mapping[str, Hints] | None = None,
        files: Mapping[str, str | os.PathLike[str]] | None = None,
    ) -> AlbumProject:
        """A project of the album of `inputs` with these picks and hints (by picture name),
        each picture's file fingerprinted now. `files`: the album's pictures by name (listed
        from `inputs` when None). BadInputError for a name not in the album, or hints off
        frame 0."""
        files = _listed(inputs) if files is None else files
        picks, hints = dict(picks or {}), {k: v for k, v in (hints or {}).items() if not v.empty}
        for what, given in (("picks", picks), ("hints", hints)):
            stray = sorted(set(given) - set(files))
            if stray:
                raise BadInputError(f"{what} given for pictures not in the album: {_names(stray)}")
        for name, on in hints.items():
            if on.frames() != [0]:
                raise BadInputError(
                    f"the hints for {name} name frame(s) {on.frames()}; a picture has frame 0 only"
                )
        entries = {}
        for name, path in files.items():
            if name in picks or name in hints:
                try:
                    size, digest = fingerprint(path)
                except OSError as exc:
                    raise BadInputError(
                        f"cannot be read ({exc.strerror or exc})", path=path
                    ) from None
                entries[name] = PictureEntry(size, digest, picks.get(name), hints.get(name))
        absolute = [os.path.abspath(Path(p).expanduser()) for p in inputs]
        return cls(absolute, stills, settings or AlbumSettings(), entries)

    @property
    def picks(self) -> dict[str, Pick]:
        return {n: e.pick for n, e in self.pictures.items() if e.pick is not None}

    @property
    def hints(self) -> dict[str, Hints]:
        return {n: e.hints for n, e in self.pictures.items() if e.hints is not None}

    # ---------------------------------------------------------------- reading, writing

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "inputs": list(self.inputs),
            "stills": self.stills,
            "settings": self.settings.to_dict(),
            "pictures": {name: e.to_dict() for name, e in self.pictures.items()},
        }

    @classmethod
    def from_dict(cls, d: Any) -> AlbumProject:
        """Raises `FieldError` naming the field (`WrongKind` for a film's project)."""
        d = check_header(d, FORMAT, VERSION, {project.FORMAT: NOT_AN_ALBUM})
        inputs = d.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise FieldError("inputs: must be a list of one path or more")
        for n, given in enumerate(inputs):
            if not isinstance(given, str) or not os.path.isabs(given):
                raise FieldError(f"inputs[{n}]: must be an absolute path, got {given!r}")
        stills = d.get("stills")
        if not isinstance(stills, bool):
            raise FieldError(f"stills: must be true or false, got {stills!r}")
        settings = AlbumSettings.from_dict(d.get("settings"))
        raw = as_object(d.get("pictures"), "pictures")
        pictures = {}
        for name, entry in raw.items():
            where = f"pictures[{name!r}]"
            if not _a_name(name):
                raise FieldError(f"{where}: not a picture's name in an album (like 1950/lake.jpg)")
            entry = as_object(entry, where)
            size = get_field(entry, where, "size", int, low=0)
            digest = get_digest(entry, where)
            pick = entry.get("pick")
            pick = None if pick is None else Pick.from_dict(pick, f"{where}.pick")
            on = _hints_of(entry.get("hints"), f"{where}.hints")
            if pick is not None or on is not None:  # an entry with neither says nothing
                pictures[name] = PictureEntry(size, digest, pick, on)
        return cls(list(inputs), stills, settings, pictures)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> AlbumProject:
        """Read an album's project; BadInputError names the file and what is wrong with it
        (a film's project: what it is, and where it opens)."""
        album = read_document(path, cls.from_dict)
        album.path = Path(path).expanduser()
        return album

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically; a good project being replaced (of either kind) is kept as
        `.NAME.panchro.bak` first."""
        if path is None and self.path is None:
            raise ValueError("no path to save the project to")
        p = Path(path if path is not None else self.path).expanduser()  # type: ignore[arg-type]
        write_document(p, self.to_dict(), intact=_intact)
        self.path = p
        return p

    # ---------------------------------------------------------------- the pictures

    def check_pictures(
        self, files: Mapping[str, str | os.PathLike[str]] | None = None
    ) -> PictureCheck:
        """Which of the project's pictures are not in the album any more, and which changed
        since it was saved (size or content: their fingerprints differ). `files`: the album's
        pictures by name (listed from the inputs when None)."""
        if files is None:
            try:
                files = _listed(self.inputs)
            except BadInputError as exc:
                return PictureCheck(missing=tuple(self.pictures), problem=str(exc))
        changed, missing = [], []
        for name, entry in self.pictures.items():
            where = files.get(name)
            if where is None:
                missing.append(name)
                continue
            try:
                now = fingerprint(where)
            except OSError:
                now = None  # cannot be read any more: not the picture the pick was made for
            if now != (entry.size, entry.sha256):
                changed.append(name)
        return PictureCheck(tuple(changed), tuple(missing))

    def usable(self, check: PictureCheck) -> tuple[dict[str, Pick], dict[str, Hints]]:
        """The picks and the hints of the pictures `check` found unchanged in the album."""
        out = check.left_out
        picks = {n: p for n, p in self.picks.items() if n not in out}
        hints = {n: h for n, h in self.hints.items() if n not in out}
        return picks, hints


def load_any(path: str | os.PathLike[str]) -> Project | AlbumProject:
    """A `.panchro` file of either kind, by its `format`."""

    def build(d: Any) -> Project | AlbumProject:
        if isinstance(d, dict) and d.get("format") == FORMAT:
            return AlbumProject.from_dict(d)
        return Project.from_dict(d)  # a film's, or says what else it is

    found = read_document(path, build)
    found.path = Path(path).expanduser()
    return found


def _intact(path: Path) -> bool:
    """Whether the file about to be replaced reads as a project of either kind."""
    try:
        load_any(path)
    except BadInputError:
        return False
    return True


def _listed(inputs: list[str] | list[str | os.PathLike[str]]) -> dict[str, Path]:
    from panchro.engine import media

    return {pic.rel: Path(pic.path) for pic in media.list_pictures(inputs).pictures}


def _a_name(name: str) -> bool:
    """A picture's name in an album: relative, posix, without empty, `.` or `..` parts."""
    return bool(name) and all(part not in ("", ".", "..") for part in name.split("/"))


def _hints_of(raw: Any, where: str) -> Hints | None:
    """A picture's hints from the document (None for none): frame 0 only."""
    if raw is None:
        return None
    try:
        hints = parse_hints(raw)
    except BadInputError as exc:
        raise FieldError(f"{where}: {exc.reason.removeprefix('hints: ')}") from None
    if hints.empty:
        return None
    if hints.frames() != [0]:
        raise FieldError(f"{where}: on frame(s) {hints.frames()}; a picture has frame 0 only")
    return hints
