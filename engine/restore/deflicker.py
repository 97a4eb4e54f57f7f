"""The deflicker stage: each frame's exposure evened out with its neighbours' (`imaging.flicker`).

It runs early (after stabilize), so the colours are made from steady luma and the
upscaler's window sees steady frames. It reads what it measures from the film itself (small
grey copies of the frames around each batch, within the shot; `restore.measured`), so a
batch's result depends only on the film, the shot and the strength: a resumed chunk, a
preview and a cluster worker give the frames a whole run gives, to the bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.imaging import flicker
from panchro.engine.restore.measured import READ_AHEAD, MeasuredStage
from panchro.engine.shots import analysis_size

if TYPE_CHECKING:
    from panchro.engine.media import MediaInfo


@dataclass
class DeflickerStage(MeasuredStage):
    """Evens out each frame's brightness with its shot's (`strength` 0..1 of the correction)."""

    name = "deflicker"

    def recipe(self) -> str:
        return (
            f"w={flicker.HALF_WINDOW_S}:d={flicker.DEGREE}:q={len(flicker.QUANTILES)}"
            f":a={flicker.ANALYSIS_WIDTH}:r={flicker.ROBUST_ROUNDS}"
            f":step={flicker.STEP_S},{flicker.STEP_MIN},{flicker.STEP_NOISE}"
        )

    def start_shot(self, info: MediaInfo) -> None:
        self._levels: dict[int, np.ndarray] = {}
        fps = float(info.fps) if info.fps else None
        self._half = flicker.half_window(fps)
        self._span = flicker.step_span(fps)

    def correction(self, start: int, stop: int) -> flicker.Correction:
        """The gain and offset of frames start..stop-1 of the current shot."""
        shot = self.in_shot(start, stop)
        # What frames start..stop-1 are measured against, within the shot: their windows,
        # and as far again as tells whether the light changes for good within them.
        reach = self._half + 2 * self._span
        lo = max(shot.start, start - reach)
        hi = min(shot.end, stop + reach)
        self._measure(lo, hi)
        q = np.stack([self._levels[i] for i in range(lo, hi)])
        c = flicker.corrections(q, self._half, self.strength, span=self._span)
        return flicker.Correction(c.gain[start - lo : stop - lo], c.offset[start - lo : stop - lo])

    def changes(self, start: int, stop: int) -> np.ndarray:
        c = self.correction(start, stop)
        return np.stack([c.gain, c.offset], axis=1)

    def _measure(self, lo: int, hi: int) -> None:
        self._levels = self.let_go(self._levels, lo)
        missing = [i for i in range(lo, hi) if i not in self._levels]
        if not missing:
            return
        first, last = missing[0], missing[-1] + 1
        assert self._shot is not None
        if first - 1 in self._levels:  # going on from the last read: read ahead
            last = min(self._shot.end, max(last, first + READ_AHEAD))
        info = self._film.info
        size = analysis_size(info.width, info.height, flicker.ANALYSIS_WIDTH)
        for frame in self._film.frames(first, last, fmt="gray", size=size, conceal=True):
            self._levels[frame.index] = flicker.levels(frame.image)

    def apply(self, planes: Any, change: np.ndarray, *, luma: bool) -> Any:
        """Luma times the gain plus the offset; chroma times the gain (an exposure change
        scales R, G and B alike)."""
        gain = np.ascontiguousarray(change[:, 0], np.float32)
        offset = np.ascontiguousarray(change[:, 1], np.float32) if luma else None
        return _affine(planes, gain, offset)


def _affine(plane: Any, gain: np.ndarray, offset: np.ndarray | None) -> Any:
    """plane * gain (+ offset), per frame (the first axis): host arrays or device tensors."""
    extra = (None,) * (plane.ndim - 1)
    if isinstance(plane, np.ndarray):
        out = plane * gain[(slice(None), *extra)]
        if offset is not None:
            out += offset[(slice(None), *extra)]
        return out.astype(np.float32, copy=False)
    import torch

    g = torch.as_tensor(gain, device=plane.device)[(slice(None), *extra)]
    out = plane * g
    if offset is not None:
        out += torch.as_tensor(offset, device=plane.device)[(slice(None), *extra)]
    return out
