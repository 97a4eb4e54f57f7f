"""The speck finder: which pixels of one grey picture are dust, dirt or a hair on it.

A film's dirt is found against the frames either side (`imaging.dust`): dirt is on one
frame, the picture on all of them. A photograph has no neighbours, so its dirt must be
told from the picture by its look alone: a small blot, darker or lighter than everything
round it, with edges no lens drew, where a catch-light, a star or a button is part of the
picture. No rule does that well (a median filter's difference takes every fine detail
with the dust); this network learns it from photographs with dirt laid on them
(`train.specks`), where what is dirt is known.

Input: luma (N, 1, H, W) in [0, 1], any size. Output: a logit per pixel, (N, 1, H, W):
above 0, the pixel is taken for dirt. A compact U-Net of two levels: the full-resolution
level sees a speck's edge, the half-resolution one, with dilated residual blocks, about
70 px round it (enough to know a blot from a pattern of blots: a starry sky, a dotted
dress). Plain convolutions and ReLU, no normalisation, so a picture gives the same answer
whole or in tiles (`inference.specks` cuts large scans into tiles with a margin).

Presets (`speck_config`); multiply-adds per pixel:
  "cpu"    widths 16-32, dilations 1-2-4-8, 0.08 M params, about 25 k MAC a pixel
  "small"  tests: widths 4-8, dilations 1-2
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class SpeckConfig:
    widths: tuple[int, int] = (16, 32)  # channels at full and at half resolution
    dilations: tuple[int, ...] = (1, 2, 4, 8)  # a residual block each, at half resolution

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpeckConfig:
        known = {f.name for f in fields(cls)}
        given = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in known}
        return cls(**given)

    @property
    def margin(self) -> int:
        """Pixels of context each side that a tile needs to answer as the whole picture
        does: the receptive field's reach (two 3 x 3 convolutions of dilation d at half
        resolution per block reach 4 d full-resolution pixels; the rest about 10), even."""
        return 4 * sum(self.dilations) + 12


PRESETS = {
    "cpu": SpeckConfig(),
    "small": SpeckConfig(widths=(4, 8), dilations=(1, 2)),
}


def speck_config(name: str = "cpu") -> SpeckConfig:
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(PRESETS)
        raise ValueError(f"unknown speck finder preset {name!r} (known: {known})") from None


class _Block(nn.Module):
    def __init__(self, ch: int, dilation: int) -> None:
        super().__init__()
        self.a = nn.Conv2d(ch, ch, 3, padding=dilation, dilation=dilation)
        self.b = nn.Conv2d(ch, ch, 3, padding=dilation, dilation=dilation)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.b(F.relu(self.a(x)))


class SpeckFinder(nn.Module):
    def __init__(self, config: SpeckConfig) -> None:
        super().__init__()
        self.config = config
        fine, coarse = config.widths
        self.stem = nn.Conv2d(1, fine, 3, padding=1)
        self.fine = nn.Conv2d(fine, fine, 3, padding=1)
        self.down = nn.Conv2d(fine, coarse, 3, stride=2, padding=1)
        self.blocks = nn.Sequential(*(_Block(coarse, d) for d in config.dilations))
        self.up = nn.Conv2d(coarse, fine, 1)
        self.merge = nn.Conv2d(fine, fine, 3, padding=1)
        self.head = nn.Conv2d(fine, 1, 3, padding=1)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, y: Tensor) -> Tensor:
        x = F.relu(self.stem(y - 0.5))
        skip = F.relu(self.fine(x))
        low = self.blocks(F.relu(self.down(skip)))
        # x2 then cut, not resized to the skip's size: an odd side would stretch the grid a
        # little, and a tile would not line up with the whole picture
        up = F.interpolate(self.up(low), scale_factor=2.0, mode="bilinear", align_corners=False)
        up = up[..., : skip.shape[-2], : skip.shape[-1]]
        return self.head(F.relu(self.merge(F.relu(skip + up))))


def build(config: SpeckConfig) -> SpeckFinder:
    return SpeckFinder(config)


def multiply_adds_per_pixel(config: SpeckConfig) -> int:
    """The network's multiply-adds per input pixel (what `bench` projects a speed from)."""
    fine, coarse = config.widths
    full = 9 * fine + 9 * fine * fine + fine * fine * 9 + 9 * fine  # stem, fine, merge, head
    half = 9 * fine * coarse + len(config.dilations) * 2 * 9 * coarse * coarse + coarse * fine
    return full + half // 4


__all__ = [
    "PRESETS",
    "SpeckConfig",
    "SpeckFinder",
    "build",
    "multiply_adds_per_pixel",
    "speck_config",
]
