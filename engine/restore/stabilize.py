"""The stabilize stage: gate weave taken out, the camera's own moves kept (`imaging.weave`).

It runs first, so everything after it (deflicker's histograms, the colours, the upscaler's
window) sees frames that hold still. Like the deflicker stage it measures what it needs
from the film itself (small grey copies of the frames around each batch, within the
shot), so a batch's result depends only on the film, the shot and the strength: a resumed
chunk, a preview and a cluster worker give the frames a whole run gives, to the bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.imaging import weave
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.shots import Shot, analysis_size

if TYPE_CHECKING:
    from panchro.engine.media import Source
    from panchro.engine.project import Pick

READ_AHEAD = 240  # frames measured in one go once a render reads past what is measured


@dataclass
class StabilizeStage:
    """Moves each frame to where its shot's path says it should be (`strength` 0..1)."""

    strength: float = 1.0
    device: str | None = None  # where planes that stay on a device live (`restore.resident`)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0.0 < self.strength <= 1.0:
            raise ValueError(
                f"stabilize strength must be within 0..1 (above 0), got {self.strength}"
            )
        self.key = (
            f"stabilize:v1:s={self.strength}:w={weave.HALF_WINDOW_S}:a={weave.ANALYSIS_WIDTH}"
            f":step={weave.STEP}:max={weave.MAX_SHIFT}"
        )
        self._film: Any = None
        self._shot: Shot | None = None
        self._shifts: dict[int, tuple[float, float]] = {}  # frame -> motion from the one before
        self._last: tuple[int, np.ndarray] | None = None  # the last grey copy read
        self._half = 2
        self._scale = (1.0, 1.0)

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    @property
    def resident_on(self) -> Any:
        """The torch device planes may stay on: wherever the other stages run."""
        from panchro.engine.inference.device import resolve_device

        return resolve_device(self.device)

    def begin_shot(
        self, shot_index: int, shot: Shot, pick: Pick | None, film: Source
    ) -> Pick | None:
        self._film = film
        self._shot = shot
        self._shifts = {}
        self._last = None
        info = film.info
        self._half = weave.half_window(float(info.fps) if info.fps else None)
        w, h = analysis_size(info.width, info.height, weave.ANALYSIS_WIDTH)
        self._scale = (info.width / w, info.height / h)
        return None

    def moves(self, start: int, stop: int) -> np.ndarray:
        """(stop - start, 2): how far frames start..stop-1 of the current shot are moved
        (dx, dy), in the film's pixels."""
        shot = self._shot
        if shot is None or not shot.start <= start < stop <= shot.end:
            raise ValueError(f"frames {start}..{stop - 1} are not in the shot begun")
        lo = max(shot.start, start - self._half)
        hi = min(shot.end, stop + self._half)
        self._measure(lo + 1, hi)
        shifts = np.array([self._shifts[i] for i in range(lo + 1, hi)]).reshape(-1, 2)
        moves = weave.corrections(shifts, self._half, self.strength)[start - lo : stop - lo]
        moves = moves * np.array(self._scale)
        limit = weave.MAX_SHIFT * self._film.info.width
        return np.clip(moves, -limit, limit)

    def _measure(self, first: int, last: int) -> None:
        """Shifts of frames first..last-1 from the frame before each (`first` > shot start)."""
        missing = [i for i in range(first, last) if i not in self._shifts]
        if not missing:
            return
        assert self._shot is not None
        first, last = missing[0], missing[-1] + 1
        if first - 1 in self._shifts or (self._last is not None and self._last[0] == first - 1):
            last = min(self._shot.end, max(last, first + READ_AHEAD))  # a render going on
        info = self._film.info
        size = analysis_size(info.width, info.height, weave.ANALYSIS_WIDTH)
        previous = self._last[1] if self._last is not None and self._last[0] == first - 1 else None
        start = first if previous is not None else first - 1
        for frame in self._film.frames(start, last, fmt="gray", size=size, conceal=True):
            grey = frame.image
            if previous is not None and frame.index not in self._shifts:
                self._shifts[frame.index] = weave.motion(previous, grey)
            previous = grey
            self._last = (frame.index, grey)

    def process(self, batch: FrameBatch) -> FrameBatch:
        before = 0 if batch.y_before is None else len(batch.y_before)
        after = 0 if batch.y_after is None else len(batch.y_after)
        first = int(batch.indices[0])
        moves = self.moves(first - before, int(batch.indices[-1]) + 1 + after)
        core = moves[before : before + len(batch)]
        y = weave.shift_planes(batch.y, core[:, 0], core[:, 1])
        cbcr = weave.shift_planes(batch.cbcr, core[:, 0], core[:, 1])
        y_before, y_after = batch.y_before, batch.y_after
        if before:
            y_before = weave.shift_planes(y_before, moves[:before, 0], moves[:before, 1])
        if after:
            y_after = weave.shift_planes(y_after, moves[-after:, 0], moves[-after:, 1])
        return dc_replace(batch, y=y, cbcr=cbcr, y_before=y_before, y_after=y_after)
