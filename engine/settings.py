"""A film's restoration settings (`Settings`): what a project keeps of how its film is read,
restored and written, and the values each setting may take.

Kept apart from the project file's other parts (`engine.project`, which holds these settings
and re-exports them) so that each stays readable; the JSON form is described in
docs/project-format.md, field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace as dc_replace
from typing import Any

from panchro.engine.errors import BadInputError
from panchro.engine.fields import FieldError, as_object, get_field, get_margins

CODECS = ("h264", "h265", "prores", "ffv1", "png16", "tiff16", "dpx")
UPSCALES = (1, 2, 4)
UPSCALERS = ("film", "sharp")
BIT_DEPTHS = (8, 10, 16)
# How an interlaced film is read (`media.deinterlace.DEINTERLACE_MODES`, written again so the
# project loads without PyAV; a test holds the copies equal).
DEINTERLACE_MODES = ("auto", "off", "tff", "bff", "telecine", "keep")
# How a scan's values are read (`media.scan.SCAN_MODES`, written again alike).
SCAN_MODES = ("auto", "coded", "negative")
# A film's levels: black and white at least this far apart, and the midtones' range
# (`media.levels.MIN_SPAN` and `MIDTONES`, alike).
LEVELS_SPAN = 0.2
MIDTONES = (0.25, 4.0)
# The film stages set by a share 0..1 (0: off), written only when on.
SHARES = ("deflicker", "stabilize", "dust", "scratches")
COLOUR_STRENGTHS = (0.0, 2.0)  # the colours' strength: none (grey) .. twice as drawn
MAX_FPS = 300.0  # the fastest rate a film is delivered at
FIT_SIDES = (64, 8192)  # a delivery size's sides (`restore.fit`, alike)
MAX_OFFSET_S = 86_400.0  # a soundtrack starts at most a day before or after the film


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
    # How the film's fields are read: "auto" (by what the file says and how its pictures
    # look), "off", "tff" or "bff" (`media.deinterlace`); a person's choice in the app.
    deinterlace: str = "auto"
    # How a scan's values are read: "auto" (a log DPX scan at video levels), "coded" or
    # "negative" (`media.scan`); a person's choice in the app.
    scan: str = "auto"
    # A faded film's black and white points, stretched to the full range as it is read
    # (`media.levels`: measured across the film), and a third value, the midtones, where
    # they are not 1; None: its values as they are.
    levels: tuple[float, ...] | None = None
    # How much of the film's flicker (frame-to-frame exposure changes) is evened out: 0 (none)
    # .. 1 (all of it); `imaging.flicker`.
    deflicker: float = 0.0
    # How much of the gate weave (the whole frame jittering) is taken out: 0 (none) .. 1 (all
    # of it); `imaging.weave`.
    stabilize: float = 0.0
    # How faint a speck of dirt on a single frame is still found and filled: 0 (none, the
    # stage is off) .. 1 (the faintest it takes); `imaging.dust`.
    dust: float = 0.0
    # How faint a line scratch down the film is still found and taken out: 0 (none, the
    # stage is off) .. 1 (the faintest it takes); `imaging.scratches`.
    scratches: float = 0.0
    # How strong the colours are: each shot's chroma, as its pick, hints or tint give it,
    # multiplied by this (0.5: half as strong, for a period look; 1.3: stronger than the
    # model drew them); the luma is untouched (`ColorizeStage.strength`).
    colour_strength: float = 1.0
    # Frames [first, stop) the last export was of, a part marked in the app (None: all).
    part: tuple[int, int] | None = None
    # The borders cut off round the picture: (left, top, right, bottom) in the film's pixels
    # (`restore.crop`); None: the whole frame.
    crop: tuple[int, int, int, int] | None = None
    # The rate the film is written at, when faster than the rate it is shown at: frames
    # repeated in a steady cadence (`media.Stretch`, a silent film shown at 18 fps delivered
    # at 24); None: the rate it is shown at.
    deliver_fps: float | None = None
    # The size the film is delivered at: the picture fitted inside (width, height), its
    # pixels square (`restore.fit`), and with `fit_frame` the whole box written, the picture
    # in its middle on black; None: the size it comes out of the other stages at.
    fit: tuple[int, int] | None = None
    fit_frame: bool = False
    # The sound delivered in place of the film's own (a score for a silent film): a sound
    # file's path, its start at `soundtrack_offset` seconds of the film (negative: its first
    # seconds left out); None: the film's own sound (`media.Soundtrack`).
    soundtrack: str | None = None
    soundtrack_offset: float = 0.0

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem:
            raise ValueError(problem)

    @property
    def restores_anything(self) -> bool:
        """Whether these settings ask any stage to change the frames."""
        return (
            self.colorize
            or self.upscale > 1
            or self.degrain > 0
            or any(getattr(self, name) > 0 for name in SHARES)
            or self.cropped
            or self.fit is not None
        )

    @property
    def cropped(self) -> bool:
        """Whether a crop cuts anything off."""
        return self.crop is not None and any(self.crop)

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
        if self.deinterlace not in DEINTERLACE_MODES:
            modes = ", ".join(DEINTERLACE_MODES)
            return f"deinterlace must be one of {modes}, got {self.deinterlace!r}"
        if self.scan not in SCAN_MODES:
            return f"scan must be one of {', '.join(SCAN_MODES)}, got {self.scan!r}"
        if self.levels is not None and not _points(self.levels):
            return (
                f"levels must be a black and a white point, 0 <= black < white <= 1, "
                f"{LEVELS_SPAN} or more apart (and the midtones, {MIDTONES[0]:g}.."
                f"{MIDTONES[1]:g}), got {self.levels}"
            )
        low, high = COLOUR_STRENGTHS
        if not low <= self.colour_strength <= high:
            return f"colour_strength must be within {low:g}..{high:g}, got {self.colour_strength}"
        for name in SHARES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                return f"{name} must be within 0..1, got {getattr(self, name)}"
        if self.part is not None and not (len(self.part) == 2 and 0 <= self.part[0] < self.part[1]):
            return f"part must be [first, stop) frames with first < stop, got {self.part}"
        if self.crop is not None and not (
            len(self.crop) == 4 and all(type(v) is int and v >= 0 for v in self.crop)
        ):
            return f"crop must be [left, top, right, bottom] pixels, 0 or more, got {self.crop}"
        if self.fit is not None and not (
            len(self.fit) == 2
            and all(type(v) is int and FIT_SIDES[0] <= v <= FIT_SIDES[1] and v % 2 == 0
                    for v in self.fit)
        ):  # fmt: skip
            return (
                f"fit must be an even width and height, {FIT_SIDES[0]} to {FIT_SIDES[1]} "
                f"pixels, got {self.fit}"
            )
        if self.deliver_fps is not None and not 1.0 <= self.deliver_fps <= MAX_FPS:
            return f"deliver_fps must be within 1..{MAX_FPS:g}, got {self.deliver_fps}"
        if self.soundtrack is not None and not self.soundtrack:
            return "soundtrack must be a sound file's path or null"
        if not -MAX_OFFSET_S <= self.soundtrack_offset <= MAX_OFFSET_S:
            return (
                f"soundtrack_offset must be within -{MAX_OFFSET_S:g}..{MAX_OFFSET_S:g} seconds, "
                f"got {self.soundtrack_offset}"
            )
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
        } | (
            ({} if self.deinterlace == "auto" else {"deinterlace": self.deinterlace})
            | ({} if self.scan == "auto" else {"scan": self.scan})
            | ({} if self.levels is None else {"levels": list(self.levels)})
            | {name: getattr(self, name) for name in SHARES if getattr(self, name)}
            | ({} if self.colour_strength == 1.0 else {"colour_strength": self.colour_strength})
            | ({} if self.part is None else {"part": list(self.part)})
            | ({} if self.crop is None else {"crop": list(self.crop)})
            | ({} if self.deliver_fps is None else {"deliver_fps": self.deliver_fps})
            | ({} if self.fit is None else {"fit": list(self.fit)})
            | ({"fit_frame": True} if self.fit_frame else {})
            | ({} if self.soundtrack is None else {"soundtrack": self.soundtrack})
            | ({"soundtrack_offset": self.soundtrack_offset} if self.soundtrack_offset else {})
        )

    @classmethod
    def from_dict(cls, d: Any) -> Settings:
        d = as_object(d, "settings")
        values = {
            "colorize": get_field(d, "settings", "colorize", bool),
            "degrain": get_field(d, "settings", "degrain", float, low=0.0, high=1.0),
            "upscale": get_field(d, "settings", "upscale", int),
            "codec": get_field(d, "settings", "codec", str),
            "bit_depth": get_field(d, "settings", "bit_depth", int),
        }
        upscaler = d.get("upscaler", "film")  # optional: older projects lack it
        if not isinstance(upscaler, str):
            raise FieldError("settings.upscaler: must be a string")
        values["upscaler"] = upscaler
        output = d.get("output")  # optional: projects written before it existed lack it
        if output is not None and not isinstance(output, str):
            raise FieldError("settings.output: must be a path or null")
        values["output"] = output
        deinterlace = d.get("deinterlace", "auto")  # optional: "auto" is not written
        if not isinstance(deinterlace, str):
            raise FieldError("settings.deinterlace: must be a string")
        values["deinterlace"] = deinterlace
        scan = d.get("scan", "auto")  # optional: "auto" is not written
        if not isinstance(scan, str):
            raise FieldError("settings.scan: must be a string")
        values["scan"] = scan
        if "levels" in d:  # optional: values read as they are are not written
            levels = get_field(d, "settings", "levels", list)
            if len(levels) not in (2, 3) or any(type(v) not in (int, float) for v in levels):
                raise FieldError(
                    f"settings.levels: must be [black, white] or [black, white, midtones], "
                    f"got {levels}"
                )
            values["levels"] = tuple(float(v) for v in levels)
        for name in SHARES:
            if name in d:  # optional: 0 is not written
                values[name] = get_field(d, "settings", name, float, low=0.0, high=1.0)
        if "colour_strength" in d:  # optional: 1 (as drawn) is not written
            low, high = COLOUR_STRENGTHS
            values["colour_strength"] = get_field(d, "settings", "colour_strength", float,
                                                  low=low, high=high)  # fmt: skip
        if "part" in d:  # optional: the whole film is not written
            part = get_field(d, "settings", "part", list)
            if len(part) != 2 or any(type(v) is not int for v in part):
                raise FieldError(f"settings.part: must be [first, stop] frames, got {part}")
            values["part"] = (part[0], part[1])
        if "crop" in d:  # optional: the whole frame is not written
            values["crop"] = get_margins(d, "settings", "crop")
        if d.get("fit") is not None:  # optional: the size the stages give is not written
            fit = get_field(d, "settings", "fit", list)
            if len(fit) != 2 or any(type(v) is not int for v in fit):
                raise FieldError(f"settings.fit: must be [width, height] pixels, got {fit}")
            values["fit"] = (fit[0], fit[1])
            if "fit_frame" in d:
                values["fit_frame"] = get_field(d, "settings", "fit_frame", bool)
        if d.get("deliver_fps") is not None:  # optional: the rate shown at is not written
            values["deliver_fps"] = get_field(d, "settings", "deliver_fps", float, low=1.0,
                                              high=MAX_FPS)  # fmt: skip
        if d.get("soundtrack") is not None:  # optional: the film's own sound is not written
            values["soundtrack"] = get_field(d, "settings", "soundtrack", str)
        if "soundtrack_offset" in d:  # optional: 0 is not written
            values["soundtrack_offset"] = get_field(
                d, "settings", "soundtrack_offset", float, low=-MAX_OFFSET_S, high=MAX_OFFSET_S
            )
        try:
            return cls(**values)
        except ValueError as exc:
            raise FieldError(f"settings: {exc}") from None


def _points(levels: Any) -> bool:
    """Whether `levels` is (black, white[, midtones]) with 0 <= black < white <= 1,
    LEVELS_SPAN apart, the midtones within MIDTONES."""
    try:
        black, white, *rest = levels
        midtones = rest[0] if rest else 1.0
        return (
            len(rest) <= 1
            and 0.0 <= black < white <= 1.0
            and white - black >= LEVELS_SPAN - 1e-9
            and MIDTONES[0] <= midtones <= MIDTONES[1]
        )
    except (TypeError, ValueError):
        return False


def settings_for(project: Any, **given: Any) -> Settings:
    """The settings of `project` (a `Project`; or these settings, e.g. an album project's;
    None: the defaults) with the `given` ones (any of `Settings`' fields: codec, colorize,
    deflicker, ...) that are not None in their place."""
    if isinstance(project, Settings):
        base = project
    else:
        base = project.settings if project is not None else Settings()
    changes = {k: v for k, v in given.items() if v is not None}
    try:
        return dc_replace(base, **changes)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
