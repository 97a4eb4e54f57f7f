"""The dust stage: specks of dirt on single frames found against the frames either side and
filled from them (`imaging.dust`; `--dust`).

It runs first, on the luma as decoded, since dirt is a fault of the film, not of the
picture stabilize or deflicker make of it; everything after it (the colours, the
upscaler's window) sees clean frames. Chroma under a speck is filled from the frame's own
chroma around it.

A frame is judged against its two neighbours within the shot, so the stage asks the
pipeline for `context` frames either side: one for its own judging, one more at a shot's
edge (where a frame is judged against the two on one side), and as many again as the
stages after it look across (`hand_on`), whose neighbours it cleans too and hands on. So a
frame's result depends only on the film and its shot: a resumed chunk, a preview and a
cluster worker give the frames a whole run gives, to the bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from panchro.engine.imaging import dust
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.media import Source
    from panchro.engine.project import Pick

REACH = 2  # frames either side a frame may be judged against (two on one side at an edge)


@dataclass
class DustStage:
    """Fills the dirt of each frame (`strength` 0..1: how faint a speck is still taken)."""

    strength: float = 1.0
    device: str | None = None
    hand_on: int = 0  # neighbours the stages after it want in y_before / y_after

    name = "dust"

    def __post_init__(self) -> None:
        if not 0.0 < self.strength <= 1.0:
            raise ValueError(f"dust strength must be within 0..1 (above 0), got {self.strength}")
        self.context = REACH + self.hand_on
        self.key = (
            f"dust:v1:s={self.strength}:c={dust.MIN_CONTRAST},{dust.GRAIN_TIMES}"
            f":m={dust.ANALYSIS},{dust.BLOCK},{dust.SEARCH},{dust.FINE}"
            f":a={dust.AGREE},{dust.UNSURE}:r={dust.WEAK},{dust.GROW},{dust.HALO}"
            f":s={dust.MAX_SPOT},{dust.SELF_RADIUS},{dust.SELF}"
        )
        self._shot: Shot | None = None
        self.notes: list[str] = []
        self.begin_run()

    def begin_run(self) -> None:
        """Count the next run's work from nothing (the app keeps its stages for previews
        and renders alike)."""
        self.seen = 0  # frames this stage has cleaned
        self.filled = 0  # of those, frames with dirt filled
        self.pixels = 0  # pixels filled, in all
        self.area = 0  # pixels of the frames seen

    @property
    def run_notes(self) -> list[str]:
        """What a run's summary says: how much dirt it filled here (a cluster's workers count
        their own). Not a preview's: its frames are the neighbours of one."""
        if not self.seen:
            return []
        share = self.pixels / max(self.area, 1)
        return [
            f"dust: specks filled on {self.filled} of {self.seen} frames ({share:.3%} of"
            " their pixels)"
        ]

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(
        self, shot_index: int, shot: Shot, pick: Pick | None, film: Source
    ) -> Pick | None:
        self._shot = shot
        return None

    @property
    def resident_on(self) -> Any:
        """The torch device planes may stay on: wherever the other stages run."""
        from panchro.engine.inference.device import resolve_device

        return resolve_device(self.device)

    def process(self, batch: FrameBatch) -> FrameBatch:
        shot = self._shot
        if shot is None:
            raise ValueError("dust: process() before begin_shot()")
        host = isinstance(batch.y, np.ndarray)
        # Host planes are cleaned where the stages run (a GPU), and brought back.
        device = self.resident_on if host else batch.y.device
        parts = [p for p in (batch.y_before, batch.y, batch.y_after) if p is not None and len(p)]
        frames = torch.cat([torch.as_tensor(p, device=device) for p in parts]).float()
        before = 0 if batch.y_before is None else len(batch.y_before)
        after = 0 if batch.y_after is None else len(batch.y_after)
        first = int(batch.indices[0]) - before
        # The batch, and the neighbours handed on, each cleaned as in its own batch.
        keep_before, keep_after = min(before, self.hand_on), min(after, self.hand_on)
        start = int(batch.indices[0]) - keep_before
        stop = int(batch.indices[-1]) + 1 + keep_after
        with torch.no_grad():
            y, masks = dust.clean(frames, first, (shot.start, shot.end), range(start, stop),
                                  self.strength)  # fmt: skip
            core = slice(keep_before, keep_before + len(batch))
            cbcr = torch.as_tensor(batch.cbcr, device=device)
            hit = masks[core]
            if bool(hit.any()):
                cbcr = torch.stack(
                    [
                        torch.stack([dust.fill_around(c, m) for c in planes])
                        for planes, m in zip(cbcr, hit, strict=True)
                    ]
                )
        found = hit.flatten(1).sum(1)
        self.seen += len(batch)
        self.filled += int((found > 0).sum())
        self.pixels += int(found.sum())
        self.area += hit.numel()

        def back(x: torch.Tensor, like: Any) -> Any:
            if host:
                return x.cpu().numpy().astype(np.float32, copy=False)
            return x.to(like.dtype)

        return dc_replace(
            batch,
            y=back(y[core], batch.y),
            cbcr=back(cbcr, batch.cbcr),
            y_before=back(y[:keep_before], batch.y) if keep_before else None,
            y_after=back(y[keep_before + len(batch) :], batch.y) if keep_after else None,
        )
