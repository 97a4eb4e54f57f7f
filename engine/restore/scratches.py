"""The scratches stage: line scratches down the film found in the frames' columns and taken
out (`imaging.scratches`; `--scratches`).

It runs first of all, on the luma as decoded: a scratch is in place on the film, so it is
found where the film put it, before stabilize moves the picture; and the dust stage after
it then judges frames without it. The chroma is corrected over the same pixels.

A frame's scratches are found in the median of it and the `REACH` frames either side
within its shot, so it asks for those, and more for the stages after it
(`restore.around`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from panchro.engine.imaging import scratches
from panchro.engine.restore.around import AroundStage
from panchro.engine.shots import Shot


@dataclass
class ScratchStage(AroundStage):
    """Takes the line scratches out of each frame (`strength` 0..1: how faint a scratch is
    still taken)."""

    strength: float = 1.0
    device: str | None = None
    hand_on: int = 0  # neighbours the stages after it want in y_before / y_after

    name = "scratches"
    reach = scratches.REACH
    did = "taken out"

    def __post_init__(self) -> None:
        self._begin()
        s = scratches
        self.key = (
            f"scratches:v1:s={self.strength}:w={s.MAX_WIDTH},{s.SIDE},{s.BANDS}"
            f":c={s.COVER},{s.WANDER},{s.MIN_CONTRAST},{s.SCENE_TIMES},{s.AROUND},{s.PEERS},{s.PATTERN},{s.LOBE}"
            f":l={s.STEP},{s.NARROW},{s.REACH},{s.WEAK},{s.ROWS},{s.MOST}"
        )

    def clean(
        self,
        frames: torch.Tensor,
        first: int,
        shot: Shot,
        targets: range,
        core: slice,
        cbcr: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        y, masks, fixes = scratches.clean(
            frames, first, (shot.start, shot.end), targets, self.strength
        )
        ours = fixes[core]
        if any(f.runs for f in ours):
            cbcr = torch.stack(
                [torch.stack([f.apply(p) for p in c]) for f, c in zip(ours, cbcr, strict=True)]
            )
        return y, cbcr, masks[core]
