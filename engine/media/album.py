"""Albums: the pictures of a folder (or of several inputs), and telling an album from a film.

A folder of pictures is one of two things. Numbered frames of one film
(`frame_0001.png` ... all one size) are one film: shots, temporal smoothing,
one output film. Unrelated photos (a scanned family box, a camera's card) are an
*album*: each picture its own shot, restored on its own into a picture of the
same name. Nothing inside a file says which, so `read_folder_as` decides by a
rule a person can predict and overrule (`--film`, `--stills`), and names the
reason. A folder is a film only if all of these hold, checked in this order (the
first that fails is the reason it is an album):

1. every picture lies in the folder itself (a film's frames are never nested);
2. every picture is in a format a film's frames come in (PNG, TIFF, JPEG, DPX:
   WebP and BMP are photo formats) and all are in the same one;
3. there are two pictures or more;
4. the names are one numbered sequence: the same text around a number
   (`reel1_0001.tif`, `reel1_0002.tif`; `f2.png` before `f10.png`);
5. every picture has the size of the first (read from the headers only);
6. no JPEG or TIFF says it was taken by a camera (EXIF DateTimeOriginal): a
   camera's card has numbered names of one size too, but its pictures are photos.

A folder of DPX files only is a film (an album reads no DPX). The walk
(`list_pictures`) is what an album is made of: picture files by extension
(`PICTURE_INPUTS`), sub-folders included, hidden files and folders (a leading
dot) and other files left out and counted; folders given in `exclude` (an
album's own output folder inside its input) and sub-folders that hold an album
Panchro wrote (`ALBUM_JOB_DIR`) are left out and named, so a rerun never reads
its own outputs as inputs.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from panchro.engine.errors import BadInputError
from panchro.engine.media.formats import IMAGE_EXTENSIONS
from panchro.engine.media.picture import PICTURE_INPUTS
from panchro.engine.media.stills import NUMBERED_NAME, _natural_key, frame_files

# Where an album's restore keeps what it has done, inside its output folder (hidden, so a
# later walk of that folder as an input leaves it out).
ALBUM_JOB_DIR = ".panchro-album"
_DATE_TAKEN = 0x9003  # EXIF DateTimeOriginal, in the Exif IFD
_EXIF_IFD = 0x8769
_SHOWN = 3  # names quoted in a reason before "and N more"


@dataclass(frozen=True)
class AlbumPicture:
    """One picture of an album: the file, and its name in the album (posix, relative)."""

    path: Path
    rel: str


@dataclass(frozen=True)
class AlbumListing:
    """What a walk found: the pictures in natural order, and what it left out."""

    pictures: tuple[AlbumPicture, ...]
    hidden: int = 0  # hidden files and folders (a leading dot)
    others: int = 0  # files that are not pictures (by extension)
    excluded: tuple[str, ...] = ()  # folders left out of the walk, with why
    other_names: tuple[str, ...] = ()  # those files, by their names in the album

    def ignored(self) -> str:
        """What was left out, in words ("" when nothing was)."""
        parts = []
        if self.others:
            named = f" ({_quoted(self.other_names)})" if self.other_names else ""
            parts.append(f"{self.others} file(s) that are not pictures{named}")
        if self.hidden:
            parts.append(f"{self.hidden} hidden file(s) or folder(s)")
        parts += [f"folder {e}" for e in self.excluded]
        return "; ".join(parts)


@dataclass(frozen=True)
class PictureHeader:
    """What a picture's header says, without decoding its pixels."""

    format: str  # Pillow's name: "JPEG", "PNG", ...
    width: int
    height: int
    date_taken: str | None = None  # EXIF DateTimeOriginal (JPEG and TIFF only)


@dataclass(frozen=True)
class Verdict:
    """How a folder is read: `kind` "film" or "album", and why (`reason`, in words)."""

    kind: str
    reason: str
    forced: bool = False  # told by --film / --stills rather than decided
    listing: AlbumListing | None = field(default=None, compare=False)
    either: bool = True  # whether the other reading can be asked for (not of mixed sizes)

    def describe(self) -> str:
        other = (
            "--stills reads it as an album" if self.kind == "film" else "--film reads it as a film"
        )
        what = "a film" if self.kind == "film" else "an album (each picture on its own)"
        if self.forced or not self.either:
            return f"{what}: {self.reason}"
        return f"{what}: {self.reason}; {other}"

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "reason": self.reason, "forced": self.forced}


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.path.abspath(os.path.expanduser(path)))


def _walk_folder(
    folder: Path, prefix: str, excluded: set[str]
) -> tuple[list[AlbumPicture], int, list[str], list[str]]:
    pictures: list[AlbumPicture] = []
    hidden = 0
    others: list[str] = []  # files that are not pictures, by their names in the album
    left_out: list[str] = []

    def fail(err: OSError) -> None:
        raise BadInputError(
            f"cannot be read ({err.strerror or err})", path=err.filename or folder
        ) from None

    for dirpath, dirnames, filenames in os.walk(folder, onerror=fail):
        # PurePosixPath drops "." parts: a single folder's pictures are named from inside it.
        here = PurePosixPath(prefix, Path(dirpath).relative_to(folder).as_posix())
        keep = []
        for d in sorted(dirnames):
            full = os.path.join(dirpath, d)
            shown = (here / d).as_posix()
            if _hidden(d):
                hidden += 1
            elif _real(full) in excluded:
                left_out.append(f"{shown}/ (the output folder)")
            elif os.path.isdir(os.path.join(full, ALBUM_JOB_DIR)):
                left_out.append(f"{shown}/ (an album Panchro wrote)")
            else:
                keep.append(d)
        dirnames[:] = keep
        for name in filenames:
            full = os.path.join(dirpath, name)
            if _hidden(name):
                hidden += 1
            elif Path(name).suffix.lower() not in PICTURE_INPUTS or not os.path.isfile(full):
                others.append((here / name).as_posix())
            else:
                pictures.append(AlbumPicture(Path(full), (here / name).as_posix()))
    return pictures, hidden, others, left_out


def list_pictures(
    inputs: Sequence[str | os.PathLike[str]], *, exclude: Iterable[str | os.PathLike[str]] = ()
) -> AlbumListing:
    """The pictures of `inputs` (folders, walked with their sub-folders, and picture files).

    Names in the album: a single folder's pictures are named from inside it
    (`photos/1950/a.jpg` is `1950/a.jpg`); with several inputs a folder keeps its
    own name (`photos/1950/a.jpg` is `photos/1950/a.jpg`) and a file given on its
    own is its file name. Two pictures with one name (letter case aside, for
    case-blind disks) are refused, naming both. BadInputError for an input that is
    missing or is a file but not a picture.
    """
    excluded = {_real(e) for e in exclude}
    several = len(inputs) > 1
    pictures: list[AlbumPicture] = []
    hidden = 0
    others: list[str] = []
    left_out: list[str] = []
    for given in inputs:
        p = Path(given).expanduser()
        if not os.path.lexists(p):
            raise BadInputError("does not exist", path=p)
        if p.is_dir():
            if not os.access(p, os.R_OK | os.X_OK):
                raise BadInputError("folder cannot be read (permission denied)", path=p)
            prefix = Path(_real(p)).name if several else "."
            found, h, o, lo = _walk_folder(p, prefix, excluded)
            pictures += found
            hidden, others, left_out = hidden + h, others + o, left_out + lo
        elif p.suffix.lower() in PICTURE_INPUTS:
            pictures.append(AlbumPicture(p, p.name))
        else:
            raise BadInputError(
                "is not a picture or a folder of pictures (" + ", ".join(PICTURE_INPUTS) + ")",
                path=p,
            )
    seen: dict[str, AlbumPicture] = {}
    for pic in pictures:
        twin = seen.setdefault(pic.rel.casefold(), pic)
        if twin is not pic:
            raise BadInputError(
                f"two pictures would have one name in the album, {pic.rel}: {twin.path} and "
                f"{pic.path}"
            )
    pictures.sort(key=lambda pic: [_natural_key(part) for part in pic.rel.split("/")])
    return AlbumListing(
        tuple(pictures), hidden, len(others), tuple(left_out), tuple(sorted(others))
    )


def picture_header(path: str | os.PathLike[str]) -> PictureHeader | None:
    """Format, size and camera date from the header alone; None when Pillow cannot open it."""
    from PIL import Image

    try:
        with warnings.catch_warnings(), Image.open(path) as im:
            # a damaged EXIF block: the picture's reader says so in its notes
            warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
            taken = None
            # PNG and WebP keep EXIF where reading it may decode the picture: JPEG and TIFF
            # only, where it is in the header (and where cameras write it).
            if im.format in ("JPEG", "TIFF", "MPO"):
                value = im.getexif().get_ifd(_EXIF_IFD).get(_DATE_TAKEN)
                taken = str(value).strip("\0 ") if value else None
            return PictureHeader(str(im.format), int(im.width), int(im.height), taken or None)
    except Exception:  # noqa: BLE001 - any reader failure means "not readable as a picture"
        return None


def _whole_by_its_end(path: str | os.PathLike[str], fmt: str) -> bool:
    """Whether the file's last bytes are what its format ends with (a JPEG's end marker, a
    PNG's IEND chunk) or its header's length is all there (WebP, BMP): a picture cut short
    in a copy fails this. Formats with no such end (TIFF) pass."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        f.seek(max(0, size - 1024))
        tail = f.read()
    if fmt in ("JPEG", "MPO"):
        return b"\xff\xd9" in tail  # a phone's trailer may follow the end marker
    if fmt == "PNG":
        return b"IEND" in tail[-64:]
    if fmt == "WEBP":
        return int.from_bytes(head[4:8], "little") + 8 <= size
    if fmt == "BMP":
        return int.from_bytes(head[2:6], "little") <= size
    return True


def _cut_short(path: str | os.PathLike[str], fmt: str) -> str:
    """Why the picture at `path` (of format `fmt`, by its header) cannot be read, in the
    reader's words, or "" when it can. Its end is looked at first, which is quick; only a
    file that fails that is decoded (a small copy), to be sure."""
    from panchro.engine.media.thumbnail import picture_preview

    if _whole_by_its_end(path, fmt):
        return ""
    try:
        picture_preview(path, 64)
    except BadInputError as exc:
        return exc.reason
    return ""


def _quoted(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _numbered_sequence(names: Sequence[str]) -> str | None:
    """Why `names` are not one numbered sequence, or None when they are."""
    frame = None
    for name in names:
        m = NUMBERED_NAME.match(Path(name).stem)
        if m is None:
            return f"{name} has no frame number in its name (a film's frames: frame_0001.png …)"
        around = (m.group(1), m.group(3))
        if frame is None:
            frame = (around, name)
        elif around != frame[0]:
            return f"the names are not one numbered sequence ({frame[1]}, {name})"
    return None


def read_folder_as(
    folder: str | os.PathLike[str], *, stills: bool = False, film: bool = False
) -> Verdict:
    """Whether `folder` is read as a film or an album, and why (module docstring: the rule).

    `film` or `stills` (the --film / --stills flags) decide without looking, except
    that --stills still needs pictures. BadInputError when the folder holds no
    picture at all (or only DPX frames and --stills).
    """
    if stills and film:
        raise BadInputError("--stills and --film contradict each other: give one")
    p = Path(folder).expanduser()
    if film:
        return Verdict("film", "--film given", forced=True)
    listing = list_pictures([p])
    if not listing.pictures:
        frames = frame_files(p)
        if frames and not stills:
            return Verdict("film", f"{len(frames)} DPX frames (an album reads no DPX)")
        ignored = listing.ignored()
        raise BadInputError(
            "contains no pictures (" + ", ".join(PICTURE_INPUTS) + " expected"
            + (f"; left out: {ignored})" if ignored else ")"),
            path=p,
        )  # fmt: skip
    if stills:
        return Verdict("album", "--stills given", forced=True, listing=listing)
    return _decide(listing)


def _decide(listing: AlbumListing) -> Verdict:
    def album(reason: str, either: bool = True) -> Verdict:
        return Verdict("album", reason, listing=listing, either=either)

    pictures = listing.pictures
    nested = [pic.rel for pic in pictures if "/" in pic.rel]
    if nested:
        return album(
            f"pictures in sub-folders ({_quoted(nested)}): a film's frames lie in one folder"
        )
    unfit = [pic.rel for pic in pictures if Path(pic.rel).suffix.lower() not in IMAGE_EXTENSIONS]
    if unfit:
        return album(f"{_quoted(unfit)}: a film's frames are PNG, TIFF, JPEG or DPX")
    kinds: dict[str, str] = {}  # format -> its first picture
    for pic in pictures:
        kinds.setdefault(IMAGE_EXTENSIONS[Path(pic.rel).suffix.lower()], pic.rel)
    if len(kinds) > 1:
        shown = ", ".join(f"{name} is {kind.upper()}" for kind, name in sorted(kinds.items()))
        return album(f"the formats differ ({shown})")
    if len(pictures) == 1:
        return album(f"one picture ({pictures[0].rel})")
    why = _numbered_sequence([pic.rel for pic in pictures])
    if why:
        return album(why)
    first: tuple[str, PictureHeader] | None = None
    for pic in pictures:
        head = picture_header(pic.path)
        if head is None:
            continue  # unreadable: the film's reader will say so, naming it
        if first is None:
            first = (pic.rel, head)
        elif (head.width, head.height) != (first[1].width, first[1].height):
            return album(
                f"the sizes differ ({pic.rel} is {head.width}x{head.height}, {first[0]} is "
                f"{first[1].width}x{first[1].height}): a film's frames are all one size",
                either=False,
            )
        if head.date_taken:
            return album(
                f"{pic.rel} was taken by a camera (EXIF date taken {head.date_taken}): photos, "
                "not film frames"
            )
    size = f" of {first[1].width}x{first[1].height}" if first else ""
    return Verdict(
        "film",
        f"{len(pictures)} numbered frames{size} ({pictures[0].rel} ... {pictures[-1].rel})",
        listing=listing,
    )


def describe_listing(listing: AlbumListing) -> dict[str, Any]:
    """Counts of an album for `panchro info`: pictures, folders, formats, sizes, unreadable
    (by name, and why: no picture Pillow can open, or cut short, `_cut_short`)."""
    formats: dict[str, int] = {}
    unreadable: list[str] = []
    reasons: dict[str, str] = {}
    smallest = largest = None
    for pic in listing.pictures:
        head = picture_header(pic.path)
        why = "not a picture" if head is None else _cut_short(pic.path, head.format)
        if why:
            unreadable.append(pic.rel)
            reasons[pic.rel] = why
            continue
        formats[head.format] = formats.get(head.format, 0) + 1
        area = (head.width * head.height, head.width, head.height)
        smallest = area if smallest is None else min(smallest, area)
        largest = area if largest is None else max(largest, area)
    folders = {pic.rel.rsplit("/", 1)[0] if "/" in pic.rel else "" for pic in listing.pictures}
    return {
        "pictures": len(listing.pictures),
        "folders": len(folders),
        "formats": dict(sorted(formats.items())),
        "smallest": None if smallest is None else f"{smallest[1]}x{smallest[2]}",
        "largest": None if largest is None else f"{largest[1]}x{largest[2]}",
        "unreadable": unreadable,
        "unreadable_why": reasons,
        "ignored": listing.ignored(),
        "files": [pic.rel for pic in listing.pictures],
    }
