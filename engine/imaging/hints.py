"""Colour hints: points and strokes a person puts on a frame, read, checked and drawn.

A hint says "this place is this colour". Only its chroma is used: the sRGB colour
is turned into Cb/Cr with the film's own matrix, and the luma stays the film's,
so a hint can never brighten or darken anything. The file format (version 1,
documented in docs/hints.md):

    {"version": 1,
     "points":  [{"frame": 0, "x": 120, "y": 88, "rgb": [160, 82, 45]}],
     "strokes": [{"frame": 0, "points": [[x, y], ...], "width": 6, "rgb": [r, g, b]}]}

x, y are pixels of the source frame (0, 0 the top-left corner of the top-left
pixel, so the pixel (i, j) covers x in [j, j + 1)); `frame` a 0-based index into
the source (0 for a still picture); rgb sRGB 0-255. A hint on a frame applies to
that frame's shot. Later hints win where hints overlap (strokes after points),
so a correction drawn over an earlier stroke takes effect.

`rasterize` draws the hints of some frames at any working resolution as a target
chroma map and a 0/1 mask; everything that uses hints (the Levin propagation,
the learned hint refiner, the sampler's fixed bins) starts from that map.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from panchro.engine.errors import BadInputError
from panchro.engine.fsutil import atomic_write
from panchro.engine.imaging.color import rgb_to_ycbcr

VERSION = 1
MAX_HINTS = 10_000  # far more than a hand puts on a film; a bigger file is not a hints file
MAX_STROKE_POINTS = 100_000
MAX_WIDTH = 2_000.0
# A point marks a disc this wide (source pixels, at least one working pixel): one pixel
# alone would vanish when the frame is shrunk for the models.
POINT_DIAMETER = 3.0

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Point:
    frame: int
    x: float
    y: float
    rgb: RGB

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.frame, "x": _num(self.x), "y": _num(self.y), "rgb": list(self.rgb)}


@dataclass(frozen=True)
class Stroke:
    frame: int
    points: tuple[tuple[float, float], ...]
    width: float
    rgb: RGB

    def to_json(self) -> dict[str, Any]:
        return {
            "frame": self.frame,
            "points": [[_num(x), _num(y)] for x, y in self.points],
            "width": _num(self.width),
            "rgb": list(self.rgb),
        }


@dataclass(frozen=True)
class Hints:
    """Points and strokes, in the order they were given (later ones win where they overlap)."""

    points: tuple[Point, ...] = ()
    strokes: tuple[Stroke, ...] = ()
    source: str = field(default="", compare=False)  # the file, for messages
    # (W, H) of the frames the hints were placed on, when the file says: hints made for
    # another film are refused with both sizes named, not applied at the wrong places
    frame_size: tuple[int, int] | None = None

    @property
    def empty(self) -> bool:
        return not self.points and not self.strokes

    def __len__(self) -> int:
        return len(self.points) + len(self.strokes)

    def frames(self) -> list[int]:
        """The frames that carry hints, sorted."""
        return sorted({h.frame for h in (*self.points, *self.strokes)})

    def on_frames(self, start: int, stop: int) -> Hints:
        """The hints on frames start..stop-1 (a shot's), in their order."""
        return Hints(
            points=tuple(p for p in self.points if start <= p.frame < stop),
            strokes=tuple(s for s in self.strokes if start <= s.frame < stop),
            source=self.source,
            frame_size=self.frame_size,
        )

    def scaled(self, from_size: tuple[int, int], to_size: tuple[int, int]) -> Hints:
        """The same hints on the frame resized from (W, H) `from_size` to `to_size`."""
        sx, sy = to_size[0] / from_size[0], to_size[1] / from_size[1]
        if (sx, sy) == (1.0, 1.0):
            return self
        sw = min(sx, sy)
        return Hints(
            points=tuple(replace(p, x=p.x * sx, y=p.y * sy) for p in self.points),
            strokes=tuple(
                replace(s, points=tuple((x * sx, y * sy) for x, y in s.points), width=s.width * sw)
                for s in self.strokes
            ),
            source=self.source,
            frame_size=None if self.frame_size is None else (int(to_size[0]), int(to_size[1])),
        )

    def cut(self, margins: tuple[int, int, int, int], film_size: tuple[int, int]) -> Hints:
        """The hints on the picture `margins` (left, top, right, bottom) leave of a (W, H)
        frame, in that picture's pixels: a point outside it is left out, a stroke only when
        none of it (at its width) reaches in (`outside` names them)."""
        left, top, right, bottom = margins
        if not any(margins):
            return self
        point_in, reaches, (w, h) = _kept_by(margins, film_size)
        return Hints(
            points=tuple(replace(p, x=p.x - left, y=p.y - top) for p in self.points if point_in(p)),
            strokes=tuple(
                replace(s, points=tuple((x - left, y - top) for x, y in s.points))
                for s in self.strokes
                if reaches(s)
            ),
            source=self.source,
            frame_size=None if self.frame_size is None else (w, h),
        )

    def outside(
        self, margins: tuple[int, int, int, int], film_size: tuple[int, int]
    ) -> list[tuple[str, int]]:
        """The entries `cut` leaves out, as ("point 2", its frame): named as `check_against`
        names them, counted from 1 in each list."""
        if not any(margins):
            return []
        point_in, reaches, _ = _kept_by(margins, film_size)
        return [
            (f"point {n}", p.frame) for n, p in enumerate(self.points, 1) if not point_in(p)
        ] + [(f"stroke {n}", s.frame) for n, s in enumerate(self.strokes, 1) if not reaches(s)]

    def digest(self) -> str:
        """A short hash of the hints (a job's stage key: other hints, another render)."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": VERSION}
        if self.frame_size is not None:
            out["frame_size"] = list(self.frame_size)
        out["points"] = [p.to_json() for p in self.points]
        out["strokes"] = [s.to_json() for s in self.strokes]
        return out

    def check_against(self, width: int, height: int, frames: int | None = None) -> None:
        """BadInputError for hints made for frames of another size (both sizes named), or
        naming the first hint outside a width x height frame or past the film."""
        if self.frame_size is not None and tuple(self.frame_size) != (width, height):
            w, h = self.frame_size
            what = "picture" if frames == 1 else "film"  # a photo is read as one frame
            raise BadInputError(
                f"hints: made for {w}x{h} frames, but this {what}'s are {width}x{height}: "
                f"these hints belong to another {what}"
                + (" (or another transfer of it)" if what == "film" else " (or another scan)"),
                path=self.source or None,
            )
        for n, p in enumerate(self.points, 1):  # the frame first: the place is of that frame
            _check_frame(f"point {n}", p.frame, frames, self.source)
            _check_place(f"point {n}", p.x, p.y, width, height, self.source)
        for n, s in enumerate(self.strokes, 1):
            _check_frame(f"stroke {n}", s.frame, frames, self.source)
            for x, y in s.points:
                _check_place(f"stroke {n}", x, y, width, height, self.source)


def _kept_by(
    margins: tuple[int, int, int, int], film_size: tuple[int, int]
) -> tuple[Callable[[Point], bool], Callable[[Stroke], bool], tuple[int, int]]:
    """Whether a point lies on the picture `margins` leave of a (W, H) frame, whether any of
    a stroke (at its width) reaches in, and that picture's size."""
    left, top, right, bottom = margins
    w, h = film_size[0] - left - right, film_size[1] - top - bottom

    def point_in(p: Point) -> bool:
        return 0 <= p.x - left <= w and 0 <= p.y - top <= h

    def reaches(s: Stroke) -> bool:
        r = s.width / 2
        xs, ys = [x - left for x, _ in s.points], [y - top for _, y in s.points]
        return max(xs) + r >= 0 and min(xs) - r <= w and max(ys) + r >= 0 and min(ys) - r <= h

    return point_in, reaches, (w, h)


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else float(v)


def _check_place(what: str, x: float, y: float, width: int, height: int, source: str) -> None:
    if not (0 <= x <= width and 0 <= y <= height):
        raise BadInputError(
            f"{what} at ({_num(x)}, {_num(y)}) lies outside the {width}x{height} frame",
            path=source or None,
        )


def _check_frame(what: str, frame: int, frames: int | None, source: str) -> None:
    if frames is not None and frame >= frames:
        has = "a picture has frame 0 only" if frames == 1 else (
            f"the film has {frames} frames (0..{frames - 1})"
        )  # fmt: skip
        raise BadInputError(f"{what} is on frame {frame}, but {has}", path=source or None)


# --- reading ------------------------------------------------------------------------------


def load_hints(path: str | Path) -> Hints:
    """A hints file -> Hints, or BadInputError saying what is wrong and where."""
    p = Path(path)
    try:  # "utf-8-sig": a file saved by Windows Notepad begins with a byte-order mark
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInputError("hints file does not exist", path=p) from None
    except (OSError, UnicodeDecodeError) as err:
        raise BadInputError(f"hints file cannot be read ({err})", path=p) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise BadInputError(
            f"hints file is not JSON (line {err.lineno}: {err.msg})", path=p
        ) from None
    return parse_hints(data, source=str(p))


def parse_hints(data: Any, *, source: str = "") -> Hints:
    """The JSON form (a dict) -> Hints; BadInputError names the bad entry."""
    where = source or None

    def bad(msg: str) -> BadInputError:
        return BadInputError(f"hints: {msg}", path=where)

    if not isinstance(data, Mapping):
        raise bad("expected a JSON object with 'version', 'points' and 'strokes'")
    if data.get("version") != VERSION:
        raise bad(
            f"version {data.get('version')!r} is not supported (this Panchro reads {VERSION})"
        )
    unknown = sorted(set(data) - {"version", "points", "strokes", "frame_size"})
    if unknown:
        raise bad(f"unknown fields {unknown}")
    frame_size = data.get("frame_size")
    if frame_size is not None:
        if (
            not isinstance(frame_size, list)
            or len(frame_size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in frame_size)
        ):
            raise bad(f"'frame_size' must be [width, height] in pixels, got {frame_size!r}")
        frame_size = (frame_size[0], frame_size[1])
    raw_points = data.get("points", [])
    raw_strokes = data.get("strokes", [])
    if not isinstance(raw_points, list) or not isinstance(raw_strokes, list):
        raise bad("'points' and 'strokes' must be lists")
    if len(raw_points) + len(raw_strokes) > MAX_HINTS:
        raise bad(f"{len(raw_points) + len(raw_strokes)} hints; at most {MAX_HINTS}")
    points = tuple(_point(p, f"point {n}", bad) for n, p in enumerate(raw_points, 1))
    strokes = tuple(_stroke(s, f"stroke {n}", bad) for n, s in enumerate(raw_strokes, 1))
    return Hints(points=points, strokes=strokes, source=source, frame_size=frame_size)


def _fields(obj: Any, what: str, need: set[str], bad: Any) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise bad(f"{what} must be an object")
    missing = sorted(need - set(obj))
    if missing:
        raise bad(f"{what} lacks {missing}")
    unknown = sorted(set(obj) - need)
    if unknown:
        raise bad(f"{what} has unknown fields {unknown}")
    return obj


def _frame(v: Any, what: str, bad: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise bad(f"{what}: frame must be a whole number from 0, got {v!r}")
    return v


def _coord(v: Any, what: str, bad: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise bad(f"{what}: coordinates must be numbers, got {v!r}")
    return float(v)


def _rgb(v: Any, what: str, bad: Any) -> RGB:
    if (
        not isinstance(v, list | tuple)
        or len(v) != 3
        or any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c <= 255 for c in v)
    ):
        raise bad(f"{what}: rgb must be three whole numbers 0..255, got {v!r}")
    return (int(v[0]), int(v[1]), int(v[2]))


def _point(obj: Any, what: str, bad: Any) -> Point:
    o = _fields(obj, what, {"frame", "x", "y", "rgb"}, bad)
    return Point(
        frame=_frame(o["frame"], what, bad),
        x=_coord(o["x"], what, bad),
        y=_coord(o["y"], what, bad),
        rgb=_rgb(o["rgb"], what, bad),
    )


def _stroke(obj: Any, what: str, bad: Any) -> Stroke:
    o = _fields(obj, what, {"frame", "points", "width", "rgb"}, bad)
    pts = o["points"]
    if not isinstance(pts, list) or not pts or len(pts) > MAX_STROKE_POINTS:
        raise bad(f"{what}: points must be a list of 1..{MAX_STROKE_POINTS} [x, y] pairs")
    xy = []
    for pt in pts:
        if not isinstance(pt, list | tuple) or len(pt) != 2:
            raise bad(f"{what}: each point must be [x, y], got {pt!r}")
        xy.append((_coord(pt[0], what, bad), _coord(pt[1], what, bad)))
    width = _coord(o["width"], what, bad)
    if not 0 < width <= MAX_WIDTH:
        raise bad(f"{what}: width must be above 0 and at most {MAX_WIDTH:g} px, got {width:g}")
    return Stroke(
        frame=_frame(o["frame"], what, bad),
        points=tuple(xy),
        width=width,
        rgb=_rgb(o["rgb"], what, bad),
    )


def save_hints(hints: Hints, path: str | Path) -> None:
    """Write a hints file atomically (a temporary file renamed over the target)."""
    text = json.dumps(hints.to_json(), indent=1) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), what="hints")


# --- drawing ------------------------------------------------------------------------------


def chroma_of_rgb(rgb: Iterable[int], matrix: str) -> tuple[float, float]:
    """sRGB 0-255 -> (Cb, Cr) in [-0.5, 0.5] under `matrix` (what a hint of that colour sets)."""
    a = np.asarray(list(rgb), dtype=np.float64).reshape(1, 1, 3) / 255.0
    ycc = rgb_to_ycbcr(a, matrix=matrix)[0, 0]
    return float(ycc[1]), float(ycc[2])


def rasterize(
    hints: Hints, *, frame_size: tuple[int, int], shape: tuple[int, int], matrix: str
) -> tuple[np.ndarray, np.ndarray]:
    """Hints on a `frame_size` (W, H) frame, drawn at `shape` (h, w) ->
    (target chroma (2, h, w) float32, mask (h, w) bool).

    The frame is stretched to `shape` (the models' working pictures keep the aspect, so
    the stretch is a plain scale); points are discs of POINT_DIAMETER source pixels,
    at least one working pixel; strokes are their polyline at their width (at least
    one working pixel), with round ends and joints.
    """
    fw, fh = frame_size
    h, w = shape
    if fw < 1 or fh < 1 or h < 1 or w < 1:
        raise ValueError(f"bad sizes: frame {frame_size}, shape {shape}")
    sx, sy = w / fw, h / fh

    def edge(v: float, n: int) -> float:
        # a hint on the frame's right or bottom edge marks the last pixel, not one past it;
        # a stroke cut by a crop runs on past the edge, where the drawing clips it
        return n - 1e-3 if n - 1e-3 < v <= n + 1e-6 else v

    def place(x: float, y: float) -> tuple[float, float]:
        return edge(x * sx, w), edge(y * sy, h)

    # Drawn into a label image: 0 = no hint, n = the n-th colour; later draws overwrite.
    labels = Image.new("I", (w, h), 0)
    draw = ImageDraw.Draw(labels)
    colours: list[tuple[float, float]] = []
    cache: dict[RGB, tuple[float, float]] = {}

    def label_of(rgb: RGB) -> int:
        if rgb not in cache:
            cache[rgb] = chroma_of_rgb(rgb, matrix)
        colours.append(cache[rgb])
        return len(colours)

    for p in hints.points:
        n = label_of(p.rgb)
        _disc(draw, *place(p.x, p.y), max(1.0, POINT_DIAMETER * min(sx, sy)), n)
    for s in hints.strokes:
        n = label_of(s.rgb)
        width = max(1.0, s.width * min(sx, sy))
        pts = [place(x, y) for x, y in s.points]
        if len(pts) > 1:
            # PIL's line runs through pixel centres: shift by half a pixel to our corners
            draw.line([(x - 0.5, y - 0.5) for x, y in pts], fill=n, width=max(1, round(width)))
        for x, y in pts:
            _disc(draw, x, y, width, n)
    lab = np.asarray(labels, dtype=np.int64)
    mask = lab > 0
    lut = np.zeros((len(colours) + 1, 2), np.float32)
    if colours:
        lut[1:] = np.asarray(colours, np.float32)
    target = np.moveaxis(lut[lab], -1, 0)
    return np.ascontiguousarray(target), mask


def _disc(draw: ImageDraw.ImageDraw, x: float, y: float, diameter: float, label: int) -> None:
    """A filled disc centred at (x, y) in corner coordinates; at least the pixel (x, y) is in."""
    r = diameter / 2
    if diameter <= 1.5:
        draw.point((math.floor(x), math.floor(y)), fill=label)
        return
    draw.ellipse((x - r, y - r, x + r - 1, y + r - 1), fill=label)
    draw.point((math.floor(x), math.floor(y)), fill=label)


__all__ = [
    "MAX_HINTS",
    "POINT_DIAMETER",
    "VERSION",
    "Hints",
    "Point",
    "Stroke",
    "chroma_of_rgb",
    "load_hints",
    "parse_hints",
    "rasterize",
    "save_hints",
]
