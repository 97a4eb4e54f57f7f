"""The stabilize stage: gate weave taken out, the camera's own moves kept (`imaging.weave`).

It runs first, so everything after it (deflicker's histograms, the colours, the upscaler's
window) sees frames that hold still. Like the deflicker stage it measures what it needs
from the film itself (small grey copies of the frames around each batch, within the
shot; `restore.measured`), so a batch's result depends only on the film, the shot and the
strength: a resumed chunk, a preview and a cluster worker give the frames a whole run
gives, to the bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.imaging import weave
from panchro.engine.restore.measured import READ_AHEAD, MeasuredStage
from panchro.engine.shots import analysis_size

if TYPE_CHECKING:
    from panchro.engine.media import MediaInfo


@dataclass
class StabilizeStage(MeasuredStage):
    """Moves each frame to where its shot's path says it should be (`strength` 0..1).

    With `crop` (left, top, right, bottom, the film's pixels: the borders a crop stage after
    it cuts off) only the picture inside is moved, and what comes in at its edge is the
    picture mirrored there. Moving the whole frame would pull the border in instead: on the 1952
    film, cropped to its picture and stabilized, 36 of 288 frames had a black band up to 7 px
    wide at the left or right edge, coming and going with the weave.
    """

    crop: tuple[int, int, int, int] | None = None

    name = "stabilize"

    def recipe(self) -> str:
        # the edge's fill and the crop are in the key: chunks of a job begun when the edge
        # was repeated, or the whole frame moved, are not taken for this one's
        inside = "" if self.crop is None else ":in={},{},{},{}".format(*self.crop)
        return (
            f"w={weave.HALF_WINDOW_S}:a={weave.ANALYSIS_WIDTH}:step={weave.STEP}"
            f":max={weave.MAX_SHIFT}:edge=mirror{inside}"
        )

    def start_shot(self, info: MediaInfo) -> None:
        self._shifts: dict[int, tuple[float, float]] = {}  # frame -> motion from the one before
        self._last: tuple[int, np.ndarray] | None = None  # the last grey copy read
        self._half = weave.half_window(float(info.fps) if info.fps else None)
        w, h = analysis_size(info.width, info.height, weave.ANALYSIS_WIDTH)
        self._scale = (info.width / w, info.height / h)

    def moves(self, start: int, stop: int) -> np.ndarray:
        """(stop - start, 2): how far frames start..stop-1 of the current shot are moved
        (dx, dy), in the film's pixels."""
        shot = self.in_shot(start, stop)
        lo = max(shot.start, start - self._half)
        hi = min(shot.end, stop + self._half)
        self._measure(lo + 1, hi)
        shifts = np.array([self._shifts[i] for i in range(lo + 1, hi)]).reshape(-1, 2)
        moves = weave.corrections(shifts, self._half, self.strength)[start - lo : stop - lo]
        moves = moves * np.array(self._scale)
        limit = weave.MAX_SHIFT * self._film.info.width
        return np.clip(moves, -limit, limit)

    changes = moves

    def _measure(self, first: int, last: int) -> None:
        """Shifts of frames first..last-1 from the frame before each (`first` > shot start)."""
        self._shifts = self.let_go(self._shifts, first)
        missing = [i for i in range(first, last) if i not in self._shifts]
        if not missing:
            return
        assert self._shot is not None
        first, last = missing[0], missing[-1] + 1
        going_on = self._last is not None and self._last[0] == first - 1
        if first - 1 in self._shifts or going_on:
            last = min(self._shot.end, max(last, first + READ_AHEAD))  # a render going on
        info = self._film.info
        size = analysis_size(info.width, info.height, weave.ANALYSIS_WIDTH)
        previous = self._last[1] if going_on and self._last is not None else None
        start = first if previous is not None else first - 1
        for frame in self._film.frames(start, last, fmt="gray", size=size, conceal=True):
            grey = frame.image
            if previous is not None and frame.index not in self._shifts:
                self._shifts[frame.index] = weave.motion(previous, grey)
            previous = grey
            self._last = (frame.index, grey)

    def apply(self, planes: Any, change: np.ndarray, *, luma: bool) -> Any:
        """Luma and chroma moved alike; with a crop, the picture inside it."""
        crop = self.crop if self.crop is not None and any(self.crop) else None
        return weave.shift_planes(planes, change[:, 0], change[:, 1], inside=crop)
