"""What the stages that judge a frame by the frames around it share (dust, scratches): the
neighbours they ask the pipeline for, the neighbours they clean and hand on, where host
planes are cleaned, and the count of a run's work.

Such a stage runs before all others, on the luma as decoded: its faults are the film's, not
of the picture stabilize or deflicker make of it. It asks for `context` frames either side:
`reach` for its own judging, and as many again as the stages after it look across
(`hand_on`), whose neighbours it cleans too and hands on. So a frame's result depends only
on the film and its shot: a resumed chunk, a preview and a cluster worker give the frames a
whole run gives, to the bit.
"""

from __future__ import annotations

from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from panchro.engine.restore.batch import FrameBatch
from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.media import Source
    from panchro.engine.project import Pick


class AroundStage:
    """A stage that cleans each frame by the frames either side of it in its shot. A
    subclass sets `name`, `reach`, `did` (what its summary line says it did, e.g. "specks
    filled") and `key`, and cleans in `clean`; `strength`, `device` and `hand_on` are its
    fields."""

    name: str
    reach: int
    did: str
    strength: float
    device: str | None
    hand_on: int
    # The border a crop after it cuts off (left, top, right, bottom): cleaned as the rest,
    # but not counted in what the run says it did (a scan's border is no part of the picture).
    # Set by `build_stages` for a film, lent by `restore.crop.cropped` for a photograph.
    crop: tuple[int, int, int, int] | None = None

    def _begin(self) -> None:
        if not 0.0 < self.strength <= 1.0:
            raise ValueError(
                f"{self.name} strength must be within 0..1 (above 0), got {self.strength}"
            )
        self.context = self.reach + self.hand_on
        self._shot: Shot | None = None
        self.notes: list[str] = []
        self.begin_run()

    def begin_run(self) -> None:
        """Count the next run's work from nothing (the app keeps its stages for previews
        and renders alike)."""
        self.seen = 0  # frames this stage has cleaned
        self.touched = 0  # of those, frames it changed
        self.pixels = 0  # pixels changed, in all
        self.area = 0  # pixels of the frames seen

    @property
    def run_notes(self) -> list[str]:
        """What a run's summary says: how much it did here (a cluster's workers count their
        own). Not a preview's: its frames are the neighbours of one."""
        if not self.seen:
            return []
        share = self.pixels / max(self.area, 1)
        return [
            f"{self.name}: {self.did} on {self.touched} of {self.seen} frames ({share:.3%} of"
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

    def clean(
        self,
        frames: torch.Tensor,
        first: int,
        shot: Shot,
        targets: range,
        core: slice,
        cbcr: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Frames `targets` of luma planes `frames` (N, H, W, from frame `first`) cleaned,
        the chroma `cbcr` (B, 2, H, W) of the batch's own frames (`core` of the targets)
        cleaned to match, and the (B, H, W) bool masks of what changed in those."""
        raise NotImplementedError

    def process(self, batch: FrameBatch) -> FrameBatch:
        shot = self._shot
        if shot is None:
            raise ValueError(f"{self.name}: process() before begin_shot()")
        if self.name in shot.off:  # a person left this stage out of the shot
            return batch
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
        core = slice(keep_before, keep_before + len(batch))
        with torch.no_grad():
            cbcr = torch.as_tensor(batch.cbcr, device=device)
            y, cbcr, hit = self.clean(frames, first, shot, range(start, stop), core, cbcr)
        counted = hit
        if self.crop is not None and any(self.crop):
            left, top, right, bottom = (int(v) for v in self.crop)
            h, w = hit.shape[-2:]
            counted = hit[:, top : h - bottom, left : w - right]
        found = counted.flatten(1).sum(1)
        self.seen += len(batch)
        self.touched += int((found > 0).sum())
        self.pixels += int(found.sum())
        self.area += counted.numel()

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
