"""Drawing chroma from the colorizer: K samples of one grey frame, seeded and fast.

Samplers are plain functions (model, grey, options, callback) -> bins. Two methods:

- "cached" (the one to use): incremental generation after Ramachandran et al.
  2017, "Fast Generation for Convolutional Autoregressive Models". The vertical
  stack depends only on rows above, so each layer's vertical row is computed
  once per image row from cached rows of its input. Along the current row, the
  horizontal stack keeps per layer a buffer of its inputs, so a new
  (pixel, channel) costs one small matrix product per layer instead of a pass
  over the image. 28 x 28 x 2 = 1,568 such steps make one batch of K samples.
- "naive": a full forward of the PixelCNN per step (cropped to the rows done so
  far). Quadratic and slow; it is the reference the cached method must equal.

Randomness: all uniforms are drawn up front from one `torch.Generator` seeded
with `seed`, one per (sample, channel, pixel), and a bin is chosen by inverting
the CDF of softmax(logits / temperature). Both methods read the same uniforms
in the same places, so they give identical bins; the same seed gives the same
samples on the same device. `temperature=0` takes the most likely bin. `top_p` < 1
draws only from the most likely bins that together hold that much probability
(nucleus sampling, Holtzman et al. 2020): the rare, saturated bins that make the
speckle of a colour mode are never drawn, while the likely ones keep their odds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from panchro.engine.errors import BadInputError
from panchro.engine.models.colorizer import CHROMA_CHANNELS, Colorizer, GatedPixelCNN, gate

SampleCallback = Callable[[int, int], None]  # (rows done, rows in all)
METHODS = ("cached", "naive")


def sample_chroma(
    model: Colorizer,
    grey: Tensor | np.ndarray,
    *,
    k: int,
    seed: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    callback: SampleCallback | None = None,
    method: str = "cached",
    fixed: tuple[np.ndarray, np.ndarray] | None = None,
) -> Tensor:
    """K chroma samples for one grey frame -> LongTensor (k, 2, chroma_size, chroma_size) of bins.

    `fixed` = (bins (2, S, S) int, mask (S, S) bool): a person's colours, locked. Where
    the mask is set every sample takes those bins instead of drawing, and the pixels
    drawn after them (raster order) are conditioned on them, so the K samples vary
    around the colours the person gave. The uniforms are drawn as without `fixed`.

    `grey` is one frame's luma, (H, W), (1, H, W) or (1, 1, H, W), floats in [0, 1]
    or uint8/uint16; it is resized to the model's input size without keeping the
    aspect ratio (framing is the caller's choice). `callback(rows_done, rows)` is
    called after each row.
    """
    if k < 1:
        raise BadInputError(f"k must be at least 1, got {k}")
    if not temperature >= 0:  # also catches NaN
        raise BadInputError(f"temperature must be >= 0, got {temperature}")
    if not 0 < top_p <= 1:
        raise BadInputError(f"top_p must be in (0, 1], got {top_p}")
    if method not in METHODS:
        raise BadInputError(f"unknown sampling method {method!r} (use one of {METHODS})")
    cfg = model.config
    param = next(model.parameters())
    device, dtype = param.device, param.dtype
    x = prepare_grey(grey, cfg.image_size, device, dtype)
    size = cfg.chroma_size
    gen = torch.Generator(device=device).manual_seed(seed)
    uniforms = torch.rand((k, CHROMA_CHANNELS, size, size), generator=gen, device=device)
    uniforms = uniforms.to(dtype)
    lock_bins, lock_mask = _locked(fixed, size, device)

    def choose(logits: Tensor, i: int, j: int, c: int) -> Tensor:
        if lock_mask is not None and lock_mask[i][j]:
            return lock_bins[c, i, j].expand(logits.shape[0])
        return _draw(logits, uniforms[:, c, i, j], temperature, top_p)

    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            feats = model.condition(x)  # once, broadcast over the K samples
            run = _run_cached if method == "cached" else _run_naive
            return run(model.pixelcnn, feats, k, choose, callback)
    finally:
        model.train(was_training)


def _locked(
    fixed: tuple[np.ndarray, np.ndarray] | None, size: int, device: torch.device
) -> tuple[Tensor | None, list[list[bool]] | None]:
    """The locked bins on the device and the mask as plain lists (read 1,568 times a sample)."""
    if fixed is None:
        return None, None
    bins, mask = (np.asarray(a) for a in fixed)
    if bins.shape != (CHROMA_CHANNELS, size, size) or mask.shape != (size, size):
        raise BadInputError(
            f"locked colours must be bins (2, {size}, {size}) and a ({size}, {size}) mask,"
            f" got {bins.shape} and {mask.shape}"
        )
    if bins.min() < 0:
        raise BadInputError("locked bins must not be negative")
    return torch.from_numpy(bins.astype(np.int64)).to(device), mask.astype(bool).tolist()


def prepare_grey(
    grey: Tensor | np.ndarray, size: int, device: torch.device, dtype: torch.dtype
) -> Tensor:
    """One grey frame in any usual layout -> (1, 1, size, size) in [0, 1] on `device`."""
    if isinstance(grey, np.ndarray):
        scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(grey.dtype, 1.0)
        t = torch.from_numpy(np.ascontiguousarray(grey, dtype=np.float32) / scale)
    elif isinstance(grey, Tensor):
        scale = {torch.uint8: 255.0}.get(grey.dtype, 1.0)
        t = grey.detach().float() / scale
    else:
        raise BadInputError(f"grey frame must be an array or tensor, got {type(grey).__name__}")
    while t.dim() > 2 and t.shape[0] == 1:
        t = t[0]
    if t.dim() != 2 or min(t.shape) < 1:
        raise BadInputError(f"grey frame must be one 2-D luma plane, got shape {tuple(grey.shape)}")
    if not torch.isfinite(t).all():
        raise BadInputError("grey frame has NaN or infinite values")
    t = t.clamp(0.0, 1.0)[None, None].to(device=device, dtype=dtype)
    if t.shape[-2:] != (size, size):
        t = F.interpolate(
            t, size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
    return t


def _draw(logits: Tensor, u: Tensor, temperature: float, top_p: float = 1.0) -> Tensor:
    """(K, levels) logits, (K,) uniforms -> (K,) bins; temperature 0 is the argmax."""
    if temperature == 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, -1)
    if top_p < 1:
        ranked, order = probs.sort(-1, descending=True)
        # a bin stays if the likelier ones hold less than top_p: the likeliest always stays
        keep = (ranked.cumsum(-1) - ranked) < top_p
        probs = torch.zeros_like(probs).scatter_(-1, order, ranked * keep)
        probs = probs / probs.sum(-1, keepdim=True)
    cdf = probs.cumsum(-1)
    # the first bin whose CDF reaches u; clamp guards against the CDF summing to 1 - eps
    return (cdf < u[:, None]).sum(-1).clamp_(max=logits.shape[-1] - 1)


def despeckle(
    bins: Tensor, grey: Tensor, levels: int, *, passes: int = 1, sigma: float = 0.05
) -> Tensor:
    """Drawn bins (K, 2, S, S) with their speckle smoothed away, following the luma's edges.

    Each cell becomes the mean of its 3 x 3 neighbourhood's chroma, each neighbour weighted by
    how alike its luma is (exp(-dY^2 / 2 sigma^2), `grey` the model's input, averaged down to
    the chroma grid): a lone saturated cell among neighbours of the same luma takes their
    colour, while colour stays on its side of a luma edge. `passes` times; 0 changes nothing.
    """
    if passes <= 0:
        return bins
    k, _, size, width = bins.shape
    y = grey.float().reshape(1, 1, *grey.shape[-2:])
    y = F.adaptive_avg_pool2d(y, (size, width))
    chroma = (bins.float() - levels // 2) / levels  # the bins' centres
    pad_y = F.pad(y, (1, 1, 1, 1), mode="replicate")
    ys = F.unfold(pad_y, 3).reshape(1, 1, 9, size, width)
    weights = torch.exp(-((ys - y[:, :, None]) ** 2) / (2 * sigma * sigma))
    weights = weights / weights.sum(2, keepdim=True)
    for _ in range(passes):
        pad_c = F.pad(chroma, (1, 1, 1, 1), mode="replicate")
        cs = F.unfold(pad_c, 3).reshape(k, 2, 9, size, width)
        chroma = (cs * weights).sum(2)
    return (chroma * levels + 0.5).floor().add_(levels // 2).clamp_(0, levels - 1).long()


Chooser = Callable[[Tensor, int, int, int], Tensor]  # (logits (K, levels), i, j, c) -> (K,) bins


def _run_naive(
    net: GatedPixelCNN, feats: Tensor, k: int, choose: Chooser, callback: SampleCallback | None
) -> Tensor:
    _, _, size, width = feats.shape
    out = torch.zeros((k, CHROMA_CHANNELS, size, width), dtype=torch.long, device=feats.device)
    for i in range(size):
        for j in range(width):
            for c in range(CHROMA_CHANNELS):
                # rows below i cannot matter to (i, j): the network is causal
                logits = net(out[:, :, : i + 1], feats[:, :, : i + 1])[:, c, :, i, j]
                out[:, c, i, j] = choose(logits, i, j, c)
        if callback is not None:
            callback(i + 1, size)
    return out


def _run_cached(
    net: GatedPixelCNN, feats: Tensor, k: int, choose: Chooser, callback: SampleCallback | None
) -> Tensor:
    _, _, size, width = feats.shape
    state = _IncrementalState(net, feats, k)
    out = torch.zeros((k, CHROMA_CHANNELS, size, width), dtype=torch.long, device=feats.device)
    for i in range(size):
        for j in range(width):
            for c in range(CHROMA_CHANNELS):
                value = choose(state.logits(j, c), i, j, c)
                out[:, c, i, j] = value
                state.set_value(j, c, value)
        if i + 1 < size:
            state.finish_row(i, out[:, :, i])
        if callback is not None:
            callback(i + 1, size)
    return out


class _IncrementalState:
    """The caches of a GatedPixelCNN while it generates K images pixel by pixel.

    Row i of the image: the horizontal stack reads, per layer, its input at
    columns j-p..j of row i (`hin`, channels last so a window is one matrix
    row per sample) plus a per-row bias holding the vertical stack's 1x1 link
    from row i-1 and the conditioning of row i (`row_bias`). After the row is
    complete, `finish_row` computes every layer's vertical output for row i
    from the p rows above kept in `vin`, and the next row's biases.
    """

    def __init__(self, net: GatedPixelCNN, feats: Tensor, k: int):
        layers = list(net.layers)
        self.p = p = layers[0].p
        self.c = c = net.channels
        self.levels = net.levels
        self.n_layers = len(layers)
        self.embed_bins = net.embed_bins
        self.embed = net.embed.weight  # (2 levels, e)
        self.e = self.embed.shape[1]
        _, _, height, width = feats.shape
        self.width = width
        dev, dt = feats.device, feats.dtype

        cond = net.project_condition(feats)
        # (2c, H, W): broadcast over the K samples in the vertical update
        self.cond_v = [cv[0] for cv, _ in cond]
        # (H, W, 2c) with the horizontal conv's bias folded in
        self.cond_h = [
            ch[0].permute(1, 2, 0) + layer.h_conv.bias
            for (_, ch), layer in zip(cond, layers, strict=True)
        ]

        # weights in matrix layout: a window (K, p+1, cin) flattens to rows tap * cin + channel
        self.wh: list[Tensor] = []
        self.wr: list[Tensor | None] = []
        self.br: list[Tensor | None] = []
        cins: list[int] = []
        for layer in layers:
            w = layer.h_conv.masked_weight()[:, :, 0, :]  # (2c, cin, p+1)
            cins.append(w.shape[1])
            self.wh.append(w.permute(2, 1, 0).reshape(-1, 2 * c).contiguous())
            if layer.h_res is None:
                self.wr.append(None)
                self.br.append(None)
            else:
                self.wr.append(layer.h_res.masked_weight()[:, :, 0, 0].t().contiguous())
                self.br.append(layer.h_res.bias)
        self.v_convs = [layer.v_conv for layer in layers]
        self.v_to_h = [(layer.v_to_h.weight[:, :, 0, 0], layer.v_to_h.bias) for layer in layers]
        self.w1 = net.head1.masked_weight()[:, :, 0, 0].t().contiguous()
        self.b1 = net.head1.bias
        w2 = net.head2.masked_weight()[:, :, 0, 0].t()  # (head, 2 levels)
        lv = self.levels
        self.w2 = [w2[:, n * lv : (n + 1) * lv].contiguous() for n in range(CHROMA_CHANNELS)]
        self.b2 = [net.head2.bias[n * lv : (n + 1) * lv] for n in range(CHROMA_CHANNELS)]

        # zero padding lives in the buffers: p rows on top, p columns each side / on the left
        self.vin = [
            torch.zeros(k, ci, height + p, width + 2 * p, device=dev, dtype=dt) for ci in cins
        ]
        self.hin = [torch.zeros(k, width + p, ci, device=dev, dtype=dt) for ci in cins]
        # row 0 has nothing above it: its bias is the conditioning alone
        self.row_bias = [ch[0].expand(k, width, 2 * c).contiguous() for ch in self.cond_h]

    def logits(self, j: int, c: int) -> Tensor:
        """Logits (K, levels) of channel c at column j of the current row."""
        p, half = self.p, self.c
        x = self.hin[0][:, j : j + p + 1].reshape(self.hin[0].shape[0], -1)
        h = x  # for type checkers; every model has at least one layer
        for n in range(self.n_layers):
            a = torch.addmm(self.row_bias[n][:, j], x, self.wh[n])
            g = torch.tanh(a[:, :half]) * torch.sigmoid(a[:, half:])
            wr = self.wr[n]
            # the first layer has no residual: its input is the embedding, not hidden features
            h = g if wr is None else torch.addmm(self.hin[n][:, j + p], g, wr).add_(self.br[n])
            if n + 1 < self.n_layers:
                nxt = self.hin[n + 1]
                nxt[:, j + p] = h
                x = nxt[:, j : j + p + 1].reshape(nxt.shape[0], -1)
        y = torch.relu(torch.addmm(self.b1, torch.relu(h), self.w1))
        return torch.addmm(self.b2[c], y, self.w2[c])

    def set_value(self, j: int, c: int, value: Tensor) -> None:
        """Feed the chosen bins (K,) of channel c at column j to the next steps."""
        self.hin[0][:, j + self.p, c * self.e : (c + 1) * self.e] = self.embed[
            value + c * self.levels
        ]

    def finish_row(self, i: int, row: Tensor) -> None:
        """Row i is complete ((K, 2, W) bins): advance the vertical stack and row biases."""
        p, width = self.p, self.width
        self.vin[0][:, :, i + p, p : p + width] = self.embed_bins(row[:, :, None, :])[:, :, 0]
        for n in range(self.n_layers):
            window = self.vin[n][:, :, i : i + p + 1]  # (K, cin, p+1, W+2p)
            v_pre = self.v_convs[n](window)[:, :, 0] + self.cond_v[n][:, i]  # (K, 2c, W)
            w, b = self.v_to_h[n]
            self.row_bias[n] = F.linear(v_pre.transpose(1, 2), w, b) + self.cond_h[n][i + 1]
            if n + 1 < self.n_layers:
                self.vin[n + 1][:, :, i + p, p : p + width] = gate(v_pre)


def cached_logits(model: Colorizer, grey: Tensor, bins: Tensor) -> Tensor:
    """Teacher-forced logits (K, 2, levels, H, W) computed step by step with the caches.

    Equals `model(grey, bins)` up to rounding; tests use it to check the cache.
    """
    k = bins.shape[0]
    size = model.config.chroma_size
    out = torch.empty(
        k, CHROMA_CHANNELS, model.config.levels, size, size, dtype=grey.dtype, device=grey.device
    )

    def force(logits: Tensor, i: int, j: int, c: int) -> Tensor:
        out[:, c, :, i, j] = logits
        return bins[:, c, i, j]

    with torch.inference_mode():
        feats = model.condition(grey)
        _run_cached(model.pixelcnn, feats, k, force, None)
    return out


__all__ = [
    "METHODS",
    "cached_logits",
    "prepare_grey",
    "sample_chroma",
]
