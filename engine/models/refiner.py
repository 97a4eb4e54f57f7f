"""The refinement network: carries a 28 x 28 chroma hint to a whole frame (PixColor's second half).

Input, per frame, at working resolution (short side `working_size`, the frame's
aspect kept):
  grey       (1, H, W) luma in [0, 1]
  hint       (2, 28, 28) Cb/Cr in [-0.5, 0.5], the chroma of the whole frame squeezed
             to a square (as `panchro.engine.imaging.color.downsample_chroma` makes it); it is
             upsampled bilinearly (half-pixel centres) to H x W inside the net
  grey_low   optional: the grey area-averaged to 28 x 28 and upsampled the same way, so
             the net sees which luma each hint pixel was averaged over
Output: Cb/Cr (2, H, W) in [-0.5, 0.5], the upsampled hint plus a predicted residual.
The last convolution starts at zero, so an untrained net returns the hint
upsampled: training only ever has to learn corrections to it.

A compact U-Net. Level 0 runs at working resolution; each further level halves
it with a stride-2 convolution, so four levels see the frame at 1/8 and, with
dilated residual blocks at the bottom, a context of a good part of the frame:
enough to tell which object a hint pixel's colour belongs to and snap it to the
object's edges. The decoder goes back up cheaply (a 1x1 projection, bilinear x2,
add the skip, one 3x3 convolution). Any frame size works, odd ones too: a
stride-2 convolution rounds up and the way back resizes to the skip's size.

Only per-sample operations (GroupNorm or none; never BatchNorm), so a batch of
T frames gives the same output as T batches of one — what lets a shot go
through in temporal batches of any size.

Presets (`refiner_config`); multiply-accumulates counted at 455 x 256 (a 16:9 frame at
the working size 256):
  "default"  widths 24-48-96-160, 1.48 M params, 43 k MAC per pixel, 5.0 GMAC a frame
  "cpu"      widths 8-16-32-64, 0.19 M params, 5.4 k MAC per pixel, 0.63 GMAC a frame
             (~10 fps at 480p on one CPU core, resize and guided upsampling included)
  "small"    tests: 32 px working size, 8 x 8 hint, two levels of 8 and 16 channels
`panchro bench refine` measures the frames per second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CHROMA_CHANNELS = 2  # Cb, Cr


@dataclass(frozen=True)
class RefinerConfig:
    working_size: int = 256  # short side of the frame the net sees
    hint_size: int = 28  # side of the (square) chroma hint
    widths: tuple[int, ...] = (24, 48, 96, 160)  # channels per level; level i is at 1/2^i
    blocks: tuple[int, ...] = (1, 1, 1, 2)  # 3x3 convolutions per encoder level
    context_dilations: tuple[int, ...] = (2, 4)  # residual blocks at the bottom level
    norm_groups: int = 8  # GroupNorm groups; 0 = no normalisation
    grey_lowres: bool = True  # also feed the grey at hint resolution
    # the hint refiner: also a sparse map of a person's hints (Cb, Cr, mask) at working
    # resolution, and the hint given at working resolution too (Levin's answer), not 28 x 28
    point_hints: bool = False

    def __post_init__(self) -> None:
        if len(self.widths) < 1 or len(self.widths) != len(self.blocks):
            raise ValueError("widths and blocks need one entry per level")
        if min(self.widths) < 1 or min(self.blocks) < 1:
            raise ValueError("widths and blocks must be positive")
        if self.working_size < 8 or self.hint_size < 1:
            raise ValueError("working_size must be at least 8 and hint_size positive")
        if self.norm_groups < 0 or (
            self.norm_groups and any(w % self.norm_groups for w in self.widths)
        ):
            raise ValueError(f"every width must divide by norm_groups {self.norm_groups}")
        if any(d < 1 for d in self.context_dilations):
            raise ValueError("context_dilations must be positive")

    @property
    def model_name(self) -> str:
        """The registry entry a file of this config is: the refiner or the hint refiner."""
        return "hint_refiner" if self.point_hints else "refiner"

    @property
    def in_channels(self) -> int:
        lowres = 1 if self.grey_lowres else 0
        points = CHROMA_CHANNELS + 1 if self.point_hints else 0
        return 1 + CHROMA_CHANNELS + lowres + points

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RefinerConfig:
        """The config saved with a model; unknown fields mean another version wrote it."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config fields {unknown}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)


PRESETS = ("default", "cpu", "small")


def refiner_config(name: str) -> RefinerConfig:
    """A preset: "default", "cpu" (reduced, for two CPU cores) or "small" (tests)."""
    if name == "default":
        return RefinerConfig()
    if name == "cpu":
        return RefinerConfig(
            working_size=256,
            widths=(8, 16, 32, 64),
            blocks=(1, 1, 1, 1),
            context_dilations=(2, 4),
            norm_groups=4,
        )
    if name == "small":
        return RefinerConfig(
            working_size=32,
            hint_size=8,
            widths=(8, 16),
            blocks=(1, 1),
            context_dilations=(2,),
            norm_groups=4,
        )
    raise ValueError(f"unknown refiner config {name!r} (use one of {', '.join(PRESETS)})")


# --- layers -------------------------------------------------------------------------------


def _norm(groups: int, channels: int) -> nn.Module:
    return nn.GroupNorm(groups, channels) if groups else nn.Identity()


class ConvUnit(nn.Sequential):
    """3x3 convolution (optionally strided or dilated), GroupNorm, ReLU."""

    def __init__(self, cin: int, cout: int, groups: int, stride: int = 1, dilation: int = 1):
        super().__init__(
            nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=not groups),
            _norm(groups, cout),
            nn.ReLU(inplace=True),
        )


class ContextBlock(nn.Module):
    """Two dilated 3x3 convolutions with a residual connection: wide context, cheap at 1/8."""

    def __init__(self, channels: int, groups: int, dilation: int):
        super().__init__()
        self.conv1 = ConvUnit(channels, channels, groups, dilation=dilation)
        self.conv2 = nn.Conv2d(
            channels, channels, 3, padding=dilation, dilation=dilation, bias=not groups
        )
        self.norm = _norm(groups, channels)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x + self.norm(self.conv2(self.conv1(x))))


def upsample_hint(hint: Tensor, size: tuple[int, int]) -> Tensor:
    """(B, C, h, w) -> (B, C, H, W) bilinear with half-pixel centres (color.upsample_chroma's)."""
    if tuple(hint.shape[-2:]) == tuple(size):
        return hint
    return F.interpolate(hint, size=size, mode="bilinear", align_corners=False)


# --- the network --------------------------------------------------------------------------


class Refiner(nn.Module):
    """(B, 1, H, W) grey + (B, 2, h, w) hint -> (B, 2, H, W) Cb/Cr in [-0.5, 0.5]."""

    def __init__(self, config: RefinerConfig):
        super().__init__()
        self.config = config
        g, w = config.norm_groups, config.widths
        encoder: list[nn.Module] = []
        cin = config.in_channels
        for level, (width, n) in enumerate(zip(w, config.blocks, strict=True)):
            units = [ConvUnit(cin, width, g, stride=1 if level == 0 else 2)]
            units += [ConvUnit(width, width, g) for _ in range(n - 1)]
            encoder.append(nn.Sequential(*units))
            cin = width
        self.encoder = nn.ModuleList(encoder)
        self.context = nn.Sequential(*(ContextBlock(w[-1], g, d) for d in config.context_dilations))
        # way up, deepest first: project to the skip's width, upsample, add, one 3x3 unit
        self.lateral = nn.ModuleList(nn.Conv2d(w[i + 1], w[i], 1) for i in range(len(w) - 1))
        self.decoder = nn.ModuleList(ConvUnit(w[i], w[i], g) for i in range(len(w) - 1))
        self.head = nn.Conv2d(w[0], CHROMA_CHANNELS, 3, padding=1)
        nn.init.zeros_(self.head.weight)  # start as the upsampled hint
        nn.init.zeros_(self.head.bias)

    def inputs(
        self, grey: Tensor, hint: Tensor, points: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """The network's input stack (B, in_channels, H, W) and the upsampled hint (B, 2, H, W).

        `hint` is (B, 2, hint_size, hint_size), or for a hint refiner also (B, 2, H, W);
        `points` (B, 3, H, W) is a hint refiner's sparse Cb, Cr and mask (else None).
        """
        if grey.dim() != 4 or grey.shape[1] != 1:
            raise ValueError(f"grey must be (B, 1, H, W), got {tuple(grey.shape)}")
        s = self.config.hint_size
        size = (grey.shape[-2], grey.shape[-1])
        shapes = [(CHROMA_CHANNELS, s, s)]
        if self.config.point_hints:
            shapes.append((CHROMA_CHANNELS, *size))
        if hint.dim() != 4 or tuple(hint.shape[1:]) not in shapes:
            raise ValueError(f"hint must be (B, 2, {s}, {s}), got {tuple(hint.shape)}")
        if hint.shape[0] != grey.shape[0]:
            raise ValueError(f"{hint.shape[0]} hints for {grey.shape[0]} frames")
        hint_up = upsample_hint(hint.to(grey.dtype), size)
        # roughly unit scale: luma of typical footage, chroma of typical colours
        parts = [(grey - 0.5) * 4.0, hint_up * 8.0]
        if self.config.grey_lowres:
            low = F.adaptive_avg_pool2d(grey, (s, s))
            parts.append((upsample_hint(low, size) - 0.5) * 4.0)
        if self.config.point_hints:
            if points is None or tuple(points.shape) != (grey.shape[0], 3, *size):
                got = None if points is None else tuple(points.shape)
                raise ValueError(f"points must be (B, 3, H, W) for a hint refiner, got {got}")
            p = points.to(grey.dtype)
            parts += [p[:, :CHROMA_CHANNELS] * 8.0, p[:, CHROMA_CHANNELS:]]
        elif points is not None:
            raise ValueError("this refiner takes no point hints")
        return torch.cat(parts, dim=1), hint_up

    def forward(self, grey: Tensor, hint: Tensor, points: Tensor | None = None) -> Tensor:
        x, hint_up = self.inputs(grey, hint, points)
        skips = []
        for level in self.encoder:
            x = level(x)
            skips.append(x)
        x = self.context(x)
        for i in reversed(range(len(self.decoder))):
            skip = skips[i]
            x = upsample_hint(self.lateral[i](x), (skip.shape[-2], skip.shape[-1]))
            x = self.decoder[i](x + skip)
        return (hint_up + self.head(x)).clamp(-0.5, 0.5)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def build(config: RefinerConfig | None = None) -> Refiner:
    return Refiner(config or RefinerConfig())


__all__ = ["PRESETS", "Refiner", "RefinerConfig", "build", "refiner_config", "upsample_hint"]
