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
            f":field={flicker.GRID[0]}x{flicker.GRID[1]},{flicker.FIELD_HALF},"
            f"{flicker.FIELD_RANGE},{flicker.FIELD_RIDGE}"
        )

    def start_shot(self, info: MediaInfo) -> None:
        self._levels: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        fps = float(info.fps) if info.fps else None
        self._half = flicker.half_window(fps)
        self._span = flicker.step_span(fps)
        width, height = analysis_size(info.width, info.height, flicker.ANALYSIS_WIDTH)
        self._aspect = height / width

    def correction(self, start: int, stop: int) -> flicker.Correction:
        """The gain, offset and gain field of frames start..stop-1 of the current shot."""
        shot = self.in_shot(start, stop)
        # What frames start..stop-1 are measured against, within the shot: their windows,
        # as far again as tells whether the light changes for good within them, and the
        # frames either side whose tiles their field is measured against (each with its own
        # window and steps).
        reach = self._half + 2 * self._span + flicker.FIELD_HALF
        lo = max(shot.start, start - reach)
        hi = min(shot.end, stop + reach)
        self._measure(lo, hi)
        q = np.stack([self._levels[i][0] for i in range(lo, hi)])
        tiles = np.stack([self._levels[i][1] for i in range(lo, hi)])
        c = flicker.corrections(
            q, self._half, self.strength, span=self._span, tiles=tiles, aspect=self._aspect
        )
        return c.part(start - lo, stop - lo)

    def changes(self, start: int, stop: int) -> np.ndarray:
        c = self.correction(start, stop)
        assert c.field is not None
        return np.concatenate([c.gain[:, None], c.offset[:, None], c.field], axis=1)

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
            self._levels[frame.index] = (flicker.levels(frame.image), flicker.tiles(frame.image))

    def apply(self, planes: Any, change: np.ndarray, *, luma: bool) -> Any:
        """Luma times the gain plus the offset, times the gain field plus its offset; chroma
        times the gain and the field (an exposure change scales R, G and B alike)."""
        gain = np.ascontiguousarray(change[:, 0], np.float32)
        offset = np.ascontiguousarray(change[:, 1], np.float32) if luma else None
        field = self._field_map(change[:, 2:8], planes)
        out = _affine(planes, gain, offset)  # a new array: changed in place from here
        if not luma:
            out *= field[:, None]
            return out
        out *= field
        lift = np.ascontiguousarray(change[:, 8], np.float32)[:, None, None]
        out += lift if isinstance(out, np.ndarray) else _on(lift, out)
        return out

    def _field_map(self, coef: np.ndarray, planes: Any) -> Any:
        """`flicker.field_map` for planes of this size, kept for the chroma of the same
        frames (asked for right after their luma)."""
        key = (
            coef.tobytes(),
            planes.shape[-2],
            planes.shape[-1],
            str(getattr(planes, "device", "")),
        )
        if getattr(self, "_kept", (None,))[0] != key:
            self._kept = (key, flicker.field_map(coef, key[1], key[2], planes))
        return self._kept[1]


def _on(array: np.ndarray, like: Any) -> Any:
    import torch

    return torch.as_tensor(array, device=like.device)


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
