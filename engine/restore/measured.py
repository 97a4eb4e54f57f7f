"""What the stages that measure the film itself share (stabilize, deflicker): no model, the
frame size kept, a figure per frame from small grey copies read around each batch within
its shot, and that figure applied to the batch and to the neighbours handed to later
stages alike, so a batch's result depends only on the film, the shot and the strength.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.restore.batch import FrameBatch
from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.media import MediaInfo, Source
    from panchro.engine.project import Pick

# A render asks for its batches in order: once it reads past what is measured, the next
# this many frames are measured in one go (one seek), not a seek per batch.
READ_AHEAD = 240
# Measures of frames behind the batch are let go once a shot's pile is this big: a long
# take (or a film without cuts) keeps a few thousand numbers, not one set per frame.
KEEP = 4 * READ_AHEAD


@dataclass
class MeasuredStage:
    """A stage that changes each frame by figures it measures on the film (`strength` 0..1
    of the change). Subclasses say what they measure and how a change is made."""

    strength: float = 1.0
    device: str | None = None  # where planes that stay on a device live (`restore.resident`)
    notes: list[str] = field(default_factory=list)

    name = "measured"  # the key's first word (`memory.stage_kind`)

    def __post_init__(self) -> None:
        if not 0.0 < self.strength <= 1.0:
            raise ValueError(
                f"{self.name} strength must be within 0..1 (above 0), got {self.strength}"
            )
        self.key = f"{self.name}:v1:s={self.strength}:{self.recipe()}"
        self._film: Any = None
        self._shot: Shot | None = None

    def recipe(self) -> str:
        """What besides the strength decides the output (the key's tail)."""
        raise NotImplementedError

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
        self.start_shot(film.info)
        return None

    def start_shot(self, info: MediaInfo) -> None:
        """Forget the last shot's measures; set up for this film's rate and size."""
        raise NotImplementedError

    def in_shot(self, start: int, stop: int) -> Shot:
        """The shot begun, which must hold frames start..stop-1."""
        shot = self._shot
        if shot is None or not shot.start <= start < stop <= shot.end:
            raise ValueError(f"frames {start}..{stop - 1} are not in the shot begun")
        return shot

    def changes(self, start: int, stop: int) -> np.ndarray:
        """(stop - start, K): the figures that change frames start..stop-1."""
        raise NotImplementedError

    @staticmethod
    def let_go(measures: dict[int, Any], before: int) -> dict[int, Any]:
        """`measures` without the frames before `before`, once there are `KEEP` of them."""
        if len(measures) <= KEEP:
            return measures
        return {i: m for i, m in measures.items() if i >= before}

    def apply(self, planes: Any, change: np.ndarray, *, luma: bool) -> Any:
        """`planes` (T, ..., H, W) changed by `change` (T, K): luma, or else chroma."""
        raise NotImplementedError

    def process(self, batch: FrameBatch) -> FrameBatch:
        if self._shot is not None and self.name in self._shot.off:
            return batch  # a person left this stage out of the shot: nothing measured
        before = 0 if batch.y_before is None else len(batch.y_before)
        after = 0 if batch.y_after is None else len(batch.y_after)
        first = int(batch.indices[0])
        change = self.changes(first - before, int(batch.indices[-1]) + 1 + after)
        core = change[before : before + len(batch)]
        y_before, y_after = batch.y_before, batch.y_after
        if before:
            y_before = self.apply(y_before, change[:before], luma=True)
        if after:
            y_after = self.apply(y_after, change[-after:], luma=True)
        return dc_replace(
            batch,
            y=self.apply(batch.y, core, luma=True),
            cbcr=self.apply(batch.cbcr, core, luma=False),
            y_before=y_before,
            y_after=y_after,
        )
