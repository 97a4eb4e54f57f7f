"""The luma upscaler: a small all-convolution network over a window of neighbouring frames.

Input: a window of `frames` consecutive luma frames (3 or 5; the one to
restore in the middle), each in [0, 1], stacked as channels: (B, N, h, w).
Output: the middle frame cleaned of grain, noise, dust and compression and
enlarged by `scale` (1 = clean-up only, 2 or 4): (B, 1, h*scale, w*scale).

Shape of the network (EDSR-like, no normalisation, as is usual for
restoration): one 3x3 convolution fuses the whole window into `channels`
features (early fusion: neighbouring frames are not aligned, the convolutions
learn to use small motion themselves), `blocks` residual blocks
(conv-ReLU-conv), a 3x3 convolution with a skip over the body, and a head
that makes scale^2 values per input pixel and rearranges them with a pixel
shuffle (ESPCN). The result is added to the bicubic enlargement of the middle
frame, so the network predicts only what bicubic misses. Everything runs at
the input resolution until the last shuffle, which keeps it cheap.

The network is fully convolutional: any frame size works, and an output
pixel depends on input pixels within `config.receptive_radius` (in input
pixels), which is what tiled inference (`panchro.engine.inference.upscale`) needs to
know to make tiles seamless.

Presets (`UpscalerConfig.preset`):
  fast     32 channels, 4 blocks, 5 frames: ~0.08 M params, ~85 k MAC per input pixel
  quality  64 channels, 16 blocks, 5 frames: ~1.2 M params, ~1.2 M MAC per input pixel
  small    8 channels, 1 block, 3 frames: for tests
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from panchro.engine.models.names import UPSCALER_KINDS, UPSCALER_SCALES, upscaler_name

SCALES = UPSCALER_SCALES  # the registry has one entry per scale and kind
PRESETS = ("fast", "quality", "small")
# What a model was trained to undo: "film" or "sharp" (see `names.UPSCALER_KINDS`).
KINDS = UPSCALER_KINDS


@dataclass(frozen=True)
class UpscalerConfig:
    scale: int = 2  # 1 (clean-up only), 2 or 4
    frames: int = 5  # window length, odd; the middle frame is restored
    channels: int = 32
    blocks: int = 4  # residual blocks
    res_scale: float = 1.0  # residual branch multiplier (0.1 steadies very deep nets)
    kind: str = "film"  # one of KINDS; files written before it existed are "film"

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {self.scale}")
        if self.frames < 1 or self.frames % 2 == 0:
            raise ValueError(f"frames must be odd and positive, got {self.frames}")
        if self.channels < 1 or self.blocks < 0:
            raise ValueError("channels must be positive and blocks non-negative")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "sharp" and self.scale == 1:
            raise ValueError("a sharp upscaler enlarges: its scale is 2 or 4")

    @property
    def model_name(self) -> str:
        """The registry entry: "upscaler_x1", "upscaler_x2", "upscaler_x4" (film) or
        "upscaler_x2_sharp", "upscaler_x4_sharp"."""
        return model_name(self.scale, self.kind)

    @property
    def receptive_radius(self) -> int:
        """Input pixels on each side that one output pixel can depend on."""
        convs = 1 + 2 * self.blocks + 1 + 1  # fusion, blocks, body end, head
        return max(convs, 2)  # the bicubic skip reads two pixels either side

    @classmethod
    def preset(
        cls, name: str, *, scale: int = 2, frames: int | None = None, kind: str = "film"
    ) -> UpscalerConfig:
        """ "fast", "quality" or "small" at `scale`; `frames` overrides the preset's window.

        A sharp model sees one frame (its training pictures do not move)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        n = 1 if kind == "sharp" else None
        presets = {
            "fast": dict(frames=n or 5, channels=32, blocks=4),
            "quality": dict(frames=n or 5, channels=64, blocks=16, res_scale=1.0),
            "small": dict(frames=n or 3, channels=8, blocks=1),
        }
        if name not in presets:
            raise ValueError(f"unknown upscaler preset {name!r} (use one of {PRESETS})")
        cfg = cls(scale=scale, kind=kind, **presets[name])  # type: ignore[arg-type]
        return replace(cfg, frames=frames) if frames is not None else cfg

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UpscalerConfig:
        """The config saved with a model; unknown fields mean another version wrote it."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config fields {unknown}")
        return cls(**data)


def model_name(scale: int, kind: str = "film") -> str:
    """The registry name of the upscaler for `scale` and `kind`."""
    return upscaler_name(scale, kind)


class ResBlock(nn.Module):
    def __init__(self, channels: int, res_scale: float) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.res_scale = res_scale

    def forward(self, x: Tensor) -> Tensor:
        # In place where autograd allows (conv backward needs its input, not its output): the
        # upscaler is most of a restore's time on a CPU, and each of these elementwise passes
        # over 32 channels of a whole frame is memory traffic; x * 1.0 + y is x + y exactly.
        y = self.conv2(F.relu(self.conv1(x), inplace=True))
        if self.res_scale != 1.0:
            y = y.mul_(self.res_scale)
        return y.add_(x)


def bicubic_up(x: Tensor, scale: int) -> Tensor:
    """Bicubic enlargement with the a = -0.5 kernel (PIL's and MATLAB's), in float32."""
    if scale == 1:
        return x
    y = F.interpolate(
        x.float(), scale_factor=scale, mode="bicubic", antialias=True, align_corners=False
    )
    return y.to(x.dtype)


class Upscaler(nn.Module):
    """(B, N, h, w) window of luma in [0, 1] -> (B, 1, h*scale, w*scale) restored middle frame."""

    def __init__(self, config: UpscalerConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.fuse = nn.Conv2d(config.frames, c, 3, padding=1)
        self.body = nn.Sequential(*(ResBlock(c, config.res_scale) for _ in range(config.blocks)))
        self.body_end = nn.Conv2d(c, c, 3, padding=1)
        self.head = nn.Conv2d(c, config.scale**2, 3, padding=1)
        # start as plain bicubic: the residual head begins at zero
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, window: Tensor) -> Tensor:
        cfg = self.config
        if window.dim() != 4 or window.shape[1] != cfg.frames:
            raise ValueError(
                f"expected a window (B, {cfg.frames}, h, w), got {tuple(window.shape)}"
            )
        centre = window[:, cfg.frames // 2 : cfg.frames // 2 + 1]
        feat = F.relu(self.fuse(window - 0.5))
        feat = self.body_end(self.body(feat)).add_(feat)
        residual = self.head(F.relu(feat, inplace=True))
        if cfg.scale > 1:
            residual = F.pixel_shuffle(residual, cfg.scale)
        # The sum in float32 whatever the network ran in: under fp16/bf16 autocast the
        # picture itself (the bicubic base) would otherwise come out with 8 to 11 bits, too
        # few for 10- and 16-bit output; only the small residual carries the lower precision.
        return residual.float().add_(bicubic_up(centre, cfg.scale))

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def build(config: UpscalerConfig) -> Upscaler:
    return Upscaler(config)


def deepened(
    shallow: dict[str, Tensor], shallow_blocks: int, deep: dict[str, Tensor]
) -> dict[str, Tensor]:
    """`shallow`'s weights in a network with more residual blocks (`deep`: its fresh state).

    Training on from a shipped network instead of from random weights: the shallow
    network's blocks are spread evenly through the deeper body and each new block starts as
    the identity (its second convolution zero, so its residual adds nothing), so the deeper
    network begins computing exactly what the shallow one did and learning only adds to it.
    """
    deep_blocks = 1 + max(
        (int(m.group(1)) for k in deep if (m := re.match(r"body\.(\d+)\.", k))), default=-1
    )
    if not 0 <= shallow_blocks <= deep_blocks:
        raise ValueError(f"cannot spread {shallow_blocks} blocks over {deep_blocks}")
    out = {k: v.clone() for k, v in deep.items()}
    # old block i goes where it keeps its order and the gaps are even: 4 over 8 -> 0, 2, 4, 6
    place = {i: (i * deep_blocks) // max(shallow_blocks, 1) for i in range(shallow_blocks)}
    for key, value in shallow.items():
        m = re.match(r"body\.(\d+)\.(.*)", key)
        target = f"body.{place[int(m.group(1))]}.{m.group(2)}" if m else key
        if target not in out or out[target].shape != value.shape:
            raise ValueError(f"{key} does not fit the deeper network")
        out[target] = value.detach().to(out[target].dtype).clone()
    for j in set(range(deep_blocks)) - set(place.values()):
        out[f"body.{j}.conv2.weight"].zero_()
        out[f"body.{j}.conv2.bias"].zero_()
    return out


def macs_per_pixel(config: UpscalerConfig) -> int:
    """Multiply-adds per input pixel (the convolutions; the bicubic skip is negligible)."""
    c, n, s = config.channels, config.frames, config.scale
    return 9 * (n * c + 2 * config.blocks * c * c + c * c + c * s * s)


__all__ = [
    "KINDS",
    "PRESETS",
    "SCALES",
    "Upscaler",
    "UpscalerConfig",
    "bicubic_up",
    "build",
    "deepened",
    "macs_per_pixel",
    "model_name",
]
