"""The key-frame colorizer: a PixColor-style conditional gated PixelCNN.

Two networks, trained together:

1. A conditioning ResNet turns the grey frame (1 x 224 x 224, luma in [0, 1])
   into features (C x 28 x 28, stride 8).
2. A gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation
   with PixelCNN Decoders") models the 28 x 28 x 2 chroma image, each of Cb and
   Cr quantized to 32 uniform bins over [-0.5, 0.5]. Pixels come in raster order
   and, within a pixel, Cb before Cr. The conditioning features enter every
   gate through a 1x1 convolution.

The PixelCNN has a vertical stack (sees the rows above, every column within its
reach, so there is no blind spot) and a horizontal stack (sees the pixels to the
left on the current row, and the current pixel through channel masks). Hidden
channels are split into two equal groups, Cb then Cr: on the current pixel a
group-g output reads only groups < g (mask "A", first layer) or <= g (mask "B",
later layers), so Cr at a pixel sees that pixel's Cb but Cb never sees its Cr.

`engine/inference/sampling.py` generates from this model incrementally (one row of the
vertical stack per row, cached horizontal activations per pixel); the layout of
the weights here is what it relies on, so keep the two in step.

Default config (224 -> 28 x 28 chroma), per grey frame:
  conditioning ResNet  1.56 M params, 1.5 GMAC (run once per sampling call)
  PixelCNN             8.43 M params, 6.6 GMAC for one teacher-forced forward
  incremental sampling ~6.8 GMAC per sample: 1.3 M MAC in each of the 1,568
                       (pixel, channel) steps plus 27 vertical row updates —
                       about one forward instead of 1,568. K=4 takes ~1.3 s on
                       two CPU cores (`panchro bench sample`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panchro.engine.imaging.color import (
    dequantize_chroma,
)

CHROMA_CHANNELS = 2  # Cb, Cr — in that order at every pixel


# --- config -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColorizerConfig:
    image_size: int = 224  # grey conditioning input, square
    chroma_size: int = 28  # side of the chroma image the PixelCNN models
    levels: int = 32  # bins per chroma channel, uniform over [-0.5, 0.5]
    # conditioning ResNet: a stem (stride 2, or 1 for a small input seen at its own scale),
    # then one stride-2 stage per width
    stem_channels: int = 32
    stem_stride: int = 2
    resnet_widths: tuple[int, ...] = (64, 128)
    resnet_blocks: tuple[int, ...] = (2, 2)
    # extra residual blocks at chroma resolution, dilated to widen the context
    context_dilations: tuple[int, ...] = (2, 4, 8)
    cond_channels: int = 128
    norm_groups: int = 8
    # gated PixelCNN
    embed_dim: int = 16  # learned embedding of a bin, per chroma channel
    pixelcnn_channels: int = 128  # hidden channels, split in a Cb half and a Cr half
    pixelcnn_layers: int = 12
    kernel_size: int = 5  # vertical (k//2+1) x k, horizontal 1 x (k//2+1)
    head_channels: int = 128
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.stem_stride not in (1, 2):
            raise ValueError("stem_stride must be 1 or 2")
        stride = self.stem_stride * 2 ** len(self.resnet_widths)
        if self.image_size != self.chroma_size * stride:
            raise ValueError(
                f"image_size {self.image_size} must be chroma_size {self.chroma_size} x {stride}"
                f" (a stride-{self.stem_stride} stem and {len(self.resnet_widths)} stride-2 stages)"
            )
        if len(self.resnet_widths) != len(self.resnet_blocks) or min(self.resnet_blocks) < 1:
            raise ValueError("resnet_widths and resnet_blocks need one positive entry per stage")
        if self.pixelcnn_channels % 2 or self.head_channels % 2:
            raise ValueError("pixelcnn_channels and head_channels must be even (Cb and Cr halves)")
        if self.kernel_size % 2 == 0 or self.kernel_size < 3:
            raise ValueError("kernel_size must be odd and at least 3")
        if self.pixelcnn_layers < 1 or self.levels < 2:
            raise ValueError("need at least one PixelCNN layer and two levels")

    @classmethod
    def small(cls) -> ColorizerConfig:
        """A tiny model for tests: 64 x 64 grey -> 8 x 8 chroma, runs in milliseconds."""
        return cls(
            image_size=64,
            chroma_size=8,
            stem_channels=8,
            resnet_widths=(16, 16),
            resnet_blocks=(1, 1),
            context_dilations=(2,),
            cond_channels=16,
            norm_groups=4,
            embed_dim=4,
            pixelcnn_channels=16,
            pixelcnn_layers=3,
            kernel_size=3,
            head_channels=16,
            dropout=0.0,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColorizerConfig:
        """The config saved with a model; unknown fields mean another version wrote it."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config fields {unknown}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)


# --- conditioning network -----------------------------------------------------------------


class ResBlock(nn.Module):
    """conv-norm-relu-conv-norm plus a (projected) shortcut; GroupNorm so batch size 1 works."""

    def __init__(self, cin: int, cout: int, groups: int, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(
            cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False
        )
        self.norm1 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, padding=dilation, dilation=dilation, bias=False)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.GroupNorm(groups, cout)
            )

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ConditioningNet(nn.Module):
    """Grey frame (B, 1, S, S) in [0, 1] -> features (B, cond_channels, S/stride, S/stride)."""

    def __init__(self, cfg: ColorizerConfig):
        super().__init__()
        g = cfg.norm_groups
        self.stem = nn.Sequential(
            nn.Conv2d(1, cfg.stem_channels, 3, cfg.stem_stride, padding=1, bias=False),
            nn.GroupNorm(g, cfg.stem_channels),
            nn.ReLU(),
        )
        blocks: list[nn.Module] = []
        cin = cfg.stem_channels
        for width, n in zip(cfg.resnet_widths, cfg.resnet_blocks, strict=True):
            blocks.append(ResBlock(cin, width, g, stride=2))
            blocks += [ResBlock(width, width, g) for _ in range(n - 1)]
            cin = width
        blocks += [ResBlock(cin, cin, g, dilation=d) for d in cfg.context_dilations]
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv2d(cin, cfg.cond_channels, 1)

    def forward(self, grey: Tensor) -> Tensor:
        x = (grey - 0.5) / 0.25  # luma statistics of typical footage, roughly unit variance
        return self.out(self.blocks(self.stem(x)))


# --- gated PixelCNN -----------------------------------------------------------------------


def group_ids(n: int) -> Tensor:
    """Chroma group of each of `n` channels laid out as [Cb half | Cr half]."""
    return torch.arange(n) * CHROMA_CHANNELS // n


def channel_mask(out_groups: Tensor, in_groups: Tensor, *, strict: bool) -> Tensor:
    """(out, in) mask: 1 where an output group may read an input group at the same pixel."""
    if strict:  # mask A: only earlier channels of this pixel
        return (out_groups[:, None] > in_groups[None, :]).float()
    return (out_groups[:, None] >= in_groups[None, :]).float()  # mask B: also its own


class MaskedConv2d(nn.Conv2d):
    """A convolution whose weight is multiplied by a fixed 0/1 mask (no padding of its own)."""

    def __init__(self, cin: int, cout: int, kernel: tuple[int, int], mask: Tensor):
        super().__init__(cin, cout, kernel)
        self.register_buffer("mask", mask.reshape(self.weight.shape), persistent=False)

    def masked_weight(self) -> Tensor:
        return self.weight * self.mask

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.masked_weight(), self.bias)


def gate(x: Tensor, dim: int = 1) -> Tensor:
    """tanh(a) * sigmoid(b) over the two halves of `dim`."""
    a, b = x.chunk(2, dim)
    return torch.tanh(a) * torch.sigmoid(b)


def shift_down(x: Tensor) -> Tensor:
    """Move every row one down (row 0 gets zeros) so a pixel only reads rows above it."""
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1]


class GatedLayer(nn.Module):
    """One layer of both stacks.

    vertical:   v_pre = conv_{(p+1) x k}(v)  (rows i-p..i)  + cond_v
                v_out = tanh * sigmoid (v_pre)
    horizontal: h_pre = masked conv_{1 x (p+1)}(h) (cols j-p..j) + 1x1(v_pre) one row down + cond_h
                h_out = h + masked 1x1(tanh * sigmoid (h_pre))   (the first layer: no residual)
    """

    def __init__(self, cin: int, cin_groups: Tensor, c: int, k: int, first: bool, dropout: float):
        super().__init__()
        self.p = p = k // 2
        self.first = first
        self.v_conv = nn.Conv2d(cin, 2 * c, (p + 1, k))
        self.v_to_h = nn.Conv2d(2 * c, 2 * c, 1)
        gate_groups = group_ids(c).repeat(2)  # the tanh half and the sigmoid half
        h_mask = torch.ones(2 * c, cin, 1, p + 1)
        h_mask[:, :, 0, p] = channel_mask(gate_groups, cin_groups, strict=first)
        self.h_conv = MaskedConv2d(cin, 2 * c, (1, p + 1), h_mask)
        self.h_res = None
        if not first:
            res_mask = channel_mask(group_ids(c), group_ids(c), strict=False)
            self.h_res = MaskedConv2d(c, c, (1, 1), res_mask)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, v: Tensor, h: Tensor, cond_v: Tensor, cond_h: Tensor
    ) -> tuple[Tensor, Tensor]:
        p = self.p
        v_pre = self.v_conv(F.pad(v, (p, p, p, 0))) + cond_v  # (B, 2c, H, W)
        h_pre = self.h_conv(F.pad(h, (p, 0, 0, 0))) + shift_down(self.v_to_h(v_pre)) + cond_h
        g = gate(h_pre)
        h_out = g if self.h_res is None else h + self.h_res(self.dropout(g))
        return gate(v_pre), h_out


class GatedPixelCNN(nn.Module):
    """(B, 2, H, W) bins + (B, cond_channels, H, W) features -> (B, 2, levels, H, W) logits."""

    def __init__(self, cfg: ColorizerConfig):
        super().__init__()
        c, e, lv = cfg.pixelcnn_channels, cfg.embed_dim, cfg.levels
        self.levels = lv
        self.channels = c
        # one table, Cb bins at [0, levels), Cr bins at [levels, 2 levels)
        self.embed = nn.Embedding(CHROMA_CHANNELS * lv, e)
        self.register_buffer("offsets", torch.arange(CHROMA_CHANNELS) * lv, persistent=False)
        layers = [GatedLayer(2 * e, group_ids(2 * e), c, cfg.kernel_size, True, cfg.dropout)]
        layers += [
            GatedLayer(c, group_ids(c), c, cfg.kernel_size, False, cfg.dropout)
            for _ in range(cfg.pixelcnn_layers - 1)
        ]
        self.layers = nn.ModuleList(layers)
        # every layer's (vertical, horizontal) conditioning in one 1x1 convolution
        self.cond_proj = nn.Conv2d(cfg.cond_channels, len(layers) * 2 * 2 * c, 1)
        hc = cfg.head_channels
        head1_mask = channel_mask(group_ids(hc), group_ids(c), strict=False)
        head2_mask = channel_mask(group_ids(CHROMA_CHANNELS * lv), group_ids(hc), strict=False)
        self.head1 = MaskedConv2d(c, hc, (1, 1), head1_mask)
        self.head2 = MaskedConv2d(hc, CHROMA_CHANNELS * lv, (1, 1), head2_mask)

    def embed_bins(self, bins: Tensor) -> Tensor:
        """(B, 2, H, W) bins -> (B, 2 * embed_dim, H, W) laid out [Cb | Cr]."""
        x = self.embed(bins + self.offsets.view(1, -1, 1, 1))  # (B, 2, H, W, e)
        b, _, hh, ww, e = x.shape
        return x.permute(0, 1, 4, 2, 3).reshape(b, CHROMA_CHANNELS * e, hh, ww)

    def project_condition(self, feats: Tensor) -> list[tuple[Tensor, Tensor]]:
        """Features (B, C, H, W) -> per layer (cond_v, cond_h), each (B, 2c, H, W)."""
        parts = self.cond_proj(feats).chunk(2 * len(self.layers), dim=1)
        return [(parts[2 * n], parts[2 * n + 1]) for n in range(len(self.layers))]

    def head(self, h: Tensor) -> Tensor:
        return self.head2(F.relu(self.head1(F.relu(h))))

    def forward(self, bins: Tensor, feats: Tensor) -> Tensor:
        x = self.embed_bins(bins)
        v, h = x, x
        for layer, (cv, ch) in zip(self.layers, self.project_condition(feats), strict=True):
            v, h = layer(v, h, cv, ch)
        logits = self.head(h)  # (B, 2 * levels, H, W)
        b, _, hh, ww = logits.shape
        return logits.view(b, CHROMA_CHANNELS, self.levels, hh, ww)


# --- the whole model ----------------------------------------------------------------------


class Colorizer(nn.Module):
    def __init__(self, config: ColorizerConfig):
        super().__init__()
        self.config = config
        self.cond_net = ConditioningNet(config)
        self.pixelcnn = GatedPixelCNN(config)

    def condition(self, grey: Tensor) -> Tensor:
        """(B, 1, S, S) grey in [0, 1] -> (B, cond_channels, chroma_size, chroma_size)."""
        s = self.config.image_size
        if grey.dim() != 4 or grey.shape[1:] != (1, s, s):
            raise ValueError(f"grey must be (B, 1, {s}, {s}), got {tuple(grey.shape)}")
        return self.cond_net(grey)

    def forward(self, grey: Tensor, chroma_bins: Tensor) -> Tensor:
        """Teacher forcing: (B, 1, S, S) grey, (B, 2, H, W) bins -> (B, 2, levels, H, W) logits."""
        return self.pixelcnn(chroma_bins, self.condition(grey))

    def loss(self, grey: Tensor, chroma_bins: Tensor) -> tuple[Tensor, Tensor]:
        """Mean cross-entropy (nats) and the same in bits per chroma value (detached)."""
        logits = self(grey, chroma_bins)
        nll = F.cross_entropy(logits.transpose(1, 2), chroma_bins)  # classes on dim 1
        return nll, nll.detach() / math.log(2)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def build(config: ColorizerConfig | None = None) -> Colorizer:
    return Colorizer(config or ColorizerConfig())


def bins_to_hwc(bins: torch.Tensor, levels: int) -> np.ndarray:
    """(2, c, c) or (k, 2, c, c) bins -> (..., c, c, 2) float32 chroma at the bins' centres."""
    # The grey-centred convention of color.quantize_chroma: bin levels/2 is exactly 0.
    centres = dequantize_chroma(bins.detach().cpu().numpy(), levels)
    return np.moveaxis(centres, -3, -1).astype(np.float32)
