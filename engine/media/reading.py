"""How a film is read, as one value: what `open_source` is told besides the path.

A film is read the same way by everything that touches it — the app's scrubbing, the
colour modes drawn, previews, a render and its chunks on other machines, a resumed job —
or their frames would not agree. So the choices travel together, from the command line,
a project's settings or a request to the engine, down to every `open_source`:

* `fps`: the rate a folder of frames is shown at, or another for a video (`open_source`);
* `deinterlace`: how a film's fields are read (`media.deinterlace`);
* `scan`: how a scan's values are read — a log scan at video levels, a negative turned
  positive (`media.scan`);
* `levels`: a faded film's black and white points, stretched to the full range as it is
  read (`media.levels`), or None.

A new way of reading a film is a field here and a parameter of `open_source`; the values
that carry a Reading need not change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from panchro.engine.media.info import MediaInfo
    from panchro.engine.media.source import Source


@dataclass(frozen=True)
class Reading:
    """How a film is read (see the module's text); the defaults read it as it says."""

    fps: float | Fraction | None = None
    deinterlace: str = "auto"
    scan: str = "auto"
    levels: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        from panchro.engine.media import deinterlace, levels, scan

        deinterlace.check_mode(self.deinterlace)
        scan.check_mode(self.scan)
        if self.levels is not None:
            object.__setattr__(self, "levels", levels.check_points(self.levels))

    def options(self) -> dict[str, Any]:
        """`open_source`'s keyword arguments."""
        return {
            "fps": self.fps,
            "deinterlace": self.deinterlace,
            "scan": self.scan,
            "levels": self.levels,
        }

    def open(self, path: str | Path) -> Source:
        """The film at `path`, read this way (`media.open_source`)."""
        from panchro.engine.media.source import open_source

        return open_source(path, **self.options())

    def probe(self, path: str | Path) -> MediaInfo:
        """What `open` would report, without keeping anything open."""
        with self.open(path) as src:
            return src.info

    def but(self, **changes: Any) -> Reading:
        """This reading with `changes` (fields) in place of its own."""
        return replace(self, **changes)


def reading_of(settings: Any, fps: float | Fraction | None = None) -> Reading:
    """How a project's `settings` (`project.Settings`, or None: the defaults) read its film,
    at `fps` (the rate asked for, or None)."""
    if settings is None:
        return Reading(fps=fps)
    return Reading(
        fps=fps,
        deinterlace=settings.deinterlace,
        scan=settings.scan,
        levels=settings.levels,
    )
