"""DPX's film and television headers (SMPTE 268M): what a frame's number, frame rate and
timecode are written in, and read from.

FFmpeg's DPX writer writes the generic file and image headers only (1,664 bytes, the image
right after them), so its frames say nothing of the film they belong to: a conform or
grading suite then opens them at a rate of its own and numbers them from zero. Scanners
write the two industry headers after the generic ones (2,048 bytes in all); so do we
(`with_motion_headers`, on every DPX frame `VideoWriter` writes): the frame's position in
the film, its frame rate in both headers, and its timecode: the source's own
(`MediaInfo.timecode`) moved on by the frame's number, or else counted from 00:00:00:00 at
the film's first frame (`engine.timecode`). A scan's frame rate and first timecode are read
back from the headers (`header_rate`, `read_headers`), so a folder of DPX frames opens at
its own rate and keeps its labels.

Undefined numeric fields are all ones, undefined text fields zero bytes, as the standard
says.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from pathlib import Path

from panchro.engine import timecode as tc

GENERIC = 1664  # the generic file (768) and image (640) and orientation (256) headers
FILM_AT, TV_AT = 1664, 1920  # where the film (256 bytes) and television (128) headers go
INDUSTRY = 384
DATA_AT = GENERIC + INDUSTRY
_FILM_RATE, _TV_RATE = 1724, 1940  # the frame rate in each, a 32-bit float
_POSITION, _TIMECODE = 1712, 1920
_RATES = (1.0, 1000.0)  # a rate outside these is not taken from a file (a broken writer's)


def _order(data: bytes) -> str:
    if data[:4] == b"SDPX":
        return ">"
    if data[:4] == b"XPDS":
        return "<"
    raise ValueError("not a DPX file (its first four bytes are not SDPX or XPDS)")


def _bcd(text: str) -> int:
    """A timecode label as the 32-bit BCD word of SMPTE 12M (HH MM SS FF), the drop-frame
    flag set for a drop-frame one."""
    out = 0
    for value in tc.fields(text):
        out = (out << 8) | ((value // 10) << 4) | (value % 10)
    return out | (0x40 if ";" in text else 0)  # bit 6 of the frames' byte


def _from_bcd(code: int) -> str | None:
    masks = (0x3F, 0x7F, 0x7F, 0x3F)  # the flag bits of each byte left out
    parts = []
    for k, mask in enumerate(masks):
        byte = (code >> (24 - 8 * k)) & mask
        tens, ones = byte >> 4, byte & 0xF
        if ones > 9:
            return None
        parts.append(f"{tens}{ones}")
    return f"{parts[0]}:{parts[1]}:{parts[2]}{';' if code & 0x40 else ':'}{parts[3]}"


def with_motion_headers(
    data: bytes, *, frame: int, fps: Fraction, timecode: str | None = None
) -> bytes:
    """`data`, a DPX file as FFmpeg writes it (generic headers only), with the film and
    television headers put in: frame `frame` of a film shown at `fps`, labelled `timecode`
    (by default counted from 00:00:00:00 at the film's first frame). A file that has them
    already (a later FFmpeg may write them) gets those fields set in them; one laid out
    otherwise is given back as it is, since the picture matters more than its labels."""
    e = _order(data)
    offset, size = struct.unpack_from(f"{e}I", data, 4)[0], len(data)
    generic = struct.unpack_from(f"{e}I", data, 24)[0]
    code = _bcd(timecode or tc.label(frame, fps))
    if offset >= DATA_AT and generic == GENERIC and size >= DATA_AT:
        out = bytearray(data)
        struct.pack_into(f"{e}I", out, _POSITION, int(frame))
        struct.pack_into(f"{e}f", out, _FILM_RATE, float(fps))
        struct.pack_into(f"{e}I", out, _TIMECODE, code)
        struct.pack_into(f"{e}f", out, _TV_RATE, float(fps))
        return bytes(out)
    if offset != GENERIC or generic != GENERIC:
        return data
    film = bytearray(b"\xff" * 256)
    film[0:48] = bytes(48)  # maker, film type, perforation offset, prefix, count, format
    film[68:256] = bytes(188)  # frame identification, slate, reserved
    struct.pack_into(f"{e}I", film, _POSITION - FILM_AT, int(frame))
    struct.pack_into(f"{e}f", film, _FILM_RATE - FILM_AT, float(fps))
    tv = bytearray(b"\xff" * 128)
    struct.pack_into(f"{e}II", tv, 0, code, 0)  # time code, user bits
    tv[8], tv[10], tv[11] = 0, 0, 0  # not interlaced; video signal undefined; padding
    struct.pack_into(f"{e}f", tv, _TV_RATE - TV_AT, float(fps))
    tv[52:128] = bytes(76)  # reserved
    head = bytearray(data[:GENERIC])
    struct.pack_into(f"{e}I", head, 4, DATA_AT)
    struct.pack_into(f"{e}I", head, 16, size + INDUSTRY)
    struct.pack_into(f"{e}I", head, 28, INDUSTRY)
    elements = struct.unpack_from(f"{e}H", head, 770)[0]
    for i in range(min(elements, 8)):  # each image element says where its data starts
        at = 808 + 72 * i
        start = struct.unpack_from(f"{e}I", head, at)[0]
        if start == GENERIC:
            struct.pack_into(f"{e}I", head, at, DATA_AT)
    return bytes(head) + bytes(film) + bytes(tv) + data[GENERIC:]


def read_headers(path: str | Path) -> dict[str, object]:
    """What a DPX file's film and television headers say, as far as it has them and they
    are defined: {"position": int, "film_rate": float, "tv_rate": float, "timecode":
    "HH:MM:SS:FF"}."""
    with open(path, "rb") as fh:
        data = fh.read(DATA_AT)
    e = _order(data)
    offset = struct.unpack_from(f"{e}I", data, 4)[0]
    out: dict[str, object] = {}
    if len(data) < DATA_AT or offset < DATA_AT:  # no industry headers: the image is there
        return out
    position = struct.unpack_from(f"{e}I", data, _POSITION)[0]
    if position != 0xFFFFFFFF:
        out["position"] = position
    for key, at in (("film_rate", _FILM_RATE), ("tv_rate", _TV_RATE)):
        rate = struct.unpack_from(f"{e}f", data, at)[0]
        if math.isfinite(rate) and _RATES[0] <= rate <= _RATES[1]:
            out[key] = rate
    code = struct.unpack_from(f"{e}I", data, _TIMECODE)[0]
    label = None if code == 0xFFFFFFFF else _from_bcd(code)
    if label is not None:
        out["timecode"] = label
    return out


def image_size(path: str | Path) -> tuple[int, int] | None:
    """(width, height) as a DPX file's image header says (its first 780 bytes), without
    decoding it: a scan of a reel is thousands of files of megabytes each, and all are
    checked for their size when it is opened. None where the header cannot say (not a DPX
    file, no size, turned a quarter: its decoder is asked instead)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(780)
        e = _order(data)
        orientation, _, width, height = struct.unpack_from(f"{e}HHII", data, 768)
    except (OSError, ValueError, struct.error):
        return None
    if orientation > 3 or not 0 < width < 1 << 20 or not 0 < height < 1 << 20:
        return None
    return width, height


# The image element's transfer characteristics (SMPTE 268M) that say a log scan.
_LOG_TRANSFERS = {1: "printing density", 3: "logarithmic"}


def log_reference(path: str | Path) -> tuple[str, tuple[int, int, int]] | None:
    """A DPX scan coded in log, as its header says: (its transfer's name, (reference black,
    reference white, top code)), Cineon's 95 and 685 of 1023 where it gives none; None where
    it is not a log scan (video levels, linear, or unsaid, as FFmpeg's writer leaves it) or
    not a DPX file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(808)
        e = _order(data)
        low, high = struct.unpack_from(f"{e}I4xI", data, 784)
        name, bits = _LOG_TRANSFERS.get(data[801]), data[803]
    except (OSError, ValueError, struct.error):
        return None
    if name is None:
        return None
    top = (1 << bits) - 1 if 0 < bits <= 16 else 1023
    if not low < high <= top:  # undefined (0 or all ones): Cineon's, at this depth
        low, high = (round(code * top / 1023) for code in (95, 685))
    return name, (low, high, top)


def log_coding(path: str | Path) -> str | None:
    """ "printing density, reference black 95 and white 685 of 1023" for a log scan
    (`log_reference`), else None."""
    said = log_reference(path)
    if said is None:
        return None
    name, (low, high, top) = said
    return f"{name}, reference black {low} and white {high} of {top}"


def describe_log(coding: str, converted: bool) -> str:
    """What Panchro does with a log scan (`log_coding` said `coding`), in words."""
    if converted:
        return (
            f"a log scan ({coding}): brought to video levels as it is read (Cineon's "
            "conversion, highlights eased, not cut), so its colours are made for what the film "
            "shows; --scan coded reads it as coded"
        )
    return (
        f"a log scan ({coding}): read as coded (--scan coded), flat and pale to the eye, and "
        "restored so; the colorizer learned from pictures at video levels"
    )


def first_timecode(path: str | Path) -> str | None:
    """The timecode a DPX file's television header says, or None."""
    try:
        label = read_headers(path).get("timecode")
    except (OSError, ValueError, struct.error):
        return None
    return label if isinstance(label, str) else None


def header_rate(path: str | Path) -> float | None:
    """The frame rate a DPX file's film header says, else its television header's; None
    where neither is defined (or the file is not one a rate can be read from)."""
    try:
        facts = read_headers(path)
    except (OSError, ValueError, struct.error):
        return None
    rate = facts.get("film_rate", facts.get("tv_rate"))
    return float(rate) if isinstance(rate, float) else None
