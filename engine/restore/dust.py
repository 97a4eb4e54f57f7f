"""The dust stage: specks of dirt on single frames found against the frames either side and
filled from them, and dirt on the same place of two frames running against the frames either
side of the two (`imaging.dust`; `--dust`).

It runs first (after the scratches stage, when both are on), on the luma as decoded, since
dirt is a fault of the film; everything after it (the colours, the upscaler's window) sees
clean frames. Chroma under a speck is filled from the frame's own chroma around it.

A frame is judged against its two neighbours within the shot: one either side, or at a
shot's edge the two on one side; and for dirt it shares with a neighbour, against the frame
beyond that neighbour. So it asks for `REACH` frames either side, and more for the stages
after it (`restore.around`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from panchro.engine.imaging import dust
from panchro.engine.restore.around import AroundStage
from panchro.engine.shots import Shot

REACH = 2  # frames either side a frame may be judged against (two on one side at an edge)


@dataclass
class DustStage(AroundStage):
    """Fills the dirt of each frame (`strength` 0..1: how faint a speck is still taken)."""

    strength: float = 1.0
    device: str | None = None
    hand_on: int = 0  # neighbours the stages after it want in y_before / y_after

    name = "dust"
    reach = REACH
    did = "specks filled"

    def __post_init__(self) -> None:
        self._begin()
        self.key = (
            f"dust:v2:s={self.strength}:c={dust.MIN_CONTRAST},{dust.GRAIN_TIMES}"
            f":m={dust.ANALYSIS},{dust.BLOCK},{dust.SEARCH},{dust.FINE}"
            f":a={dust.AGREE},{dust.UNSURE}:r={dust.WEAK},{dust.GROW},{dust.HALO}"
            f":s={dust.MAX_SPOT},{dust.SELF_RADIUS},{dust.SELF}:twins={dust.TILE},{dust.AROUND}"
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
        y, masks = dust.clean(frames, first, (shot.start, shot.end), targets, self.strength)
        hit = masks[core]
        if bool(hit.any()):
            cbcr = torch.stack(
                [
                    torch.stack([dust.fill_around(c, m) for c in planes])
                    for planes, m in zip(cbcr, hit, strict=True)
                ]
            )
        return y, cbcr, hit
