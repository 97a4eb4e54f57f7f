"""The deflicker stage: each frame's exposure evened out with its neighbours' (`imaging.flicker`).

It runs first, so the colours are made from steady luma and the upscaler's window sees
steady frames. It reads what it measures from the film itself (small grey copies of
the frames around each batch, within the shot), so a batch's result depends only on the
film, the shot and the strength: a resumed chunk, a preview and a cluster worker give
the frames a whole run gives, to the bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.imaging import flicker
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.shots import Shot, analysis_size

if TYPE_CHECKING:
    from panchro.engine.media import Source
    from panchro.engine.project import Pick

# A render asks for its batches in order: once it reads past what is measured, the next
# this many frames are measured in one go (one seek), not a seek per batch.
READ_AHEAD = 240


@dataclass
class DeflickerStage:
    """Evens out each frame's brightness with its shot's (`strength` 0..1 of the correction)."""

    strength: float = 1.0
    device: str | None = None  # where planes that stay on a device live (`restore.resident`)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0.0 < self.strength <= 1.0:
            raise ValueError(
                f"deflicker strength must be within 0..1 (above 0), got {self.strength}"
            )
        self.key = (
            f"deflicker:v1:s={self.strength}:w={flicker.HALF_WINDOW_S}:d={flicker.DEGREE}"
            f":q={len(flicker.QUANTILES)}:a={flicker.ANALYSIS_WIDTH}:r={flicker.ROBUST_ROUNDS}"
            f":step={flicker.STEP_S},{flicker.STEP_MIN},{flicker.STEP_NOISE}"
        )
        self._film: Any = None
        self._shot: Shot | None = None
        self._levels: dict[int, np.ndarray] = {}
        self._half = 2
        self._span = 3

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
        self._levels = {}
        fps = float(film.info.fps) if film.info.fps else None
        self._half = flicker.half_window(fps)
        self._span = flicker.step_span(fps)
        return None

    def correction(self, start: int, stop: int) -> flicker.Correction:
        """The gain and offset of frames start..stop-1 of the current shot."""
        shot = self._shot
        if shot is None or not shot.start <= start < stop <= shot.end:
            raise ValueError(f"frames {start}..{stop - 1} are not in the shot begun")
        # What frames start..stop-1 are measured against, within the shot: their windows,
        # and as far again as tells whether the light changes for good within them.
        reach = self._half + 2 * self._span
        lo = max(shot.start, start - reach)
        hi = min(shot.end, stop + reach)
        self._measure(lo, hi)
        q = np.stack([self._levels[i] for i in range(lo, hi)])
        c = flicker.corrections(q, self._half, self.strength, span=self._span)
        return flicker.Correction(c.gain[start - lo : stop - lo], c.offset[start - lo : stop - lo])

    def _measure(self, lo: int, hi: int) -> None:
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

    def process(self, batch: FrameBatch) -> FrameBatch:
        before = 0 if batch.y_before is None else len(batch.y_before)
        after = 0 if batch.y_after is None else len(batch.y_after)
        first = int(batch.indices[0])
        c = self.correction(first - before, int(batch.indices[-1]) + 1 + after)
        gain, offset = c.gain, c.offset
        core = slice(before, before + len(batch))
        y = _affine(batch.y, gain[core], offset[core])
        cbcr = _affine(batch.cbcr, gain[core], None)
        y_before = None if not before else _affine(batch.y_before, gain[:before], offset[:before])
        y_after = None if not after else _affine(batch.y_after, gain[-after:], offset[-after:])
        return dc_replace(
            batch,
            y=y,
            cbcr=cbcr,
            y_before=y_before if before else batch.y_before,
            y_after=y_after if after else batch.y_after,
        )


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
