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

On a GPU the cached method is bound by launches, not arithmetic: ~100 small kernels a step,
1,568 steps (the H200 took 3.6 s for K = 8 of the full-size model, ~2.3 ms a step). So a
row's 2 x width steps are written as one fixed program over static buffers — what a row
reads (uniforms, locked colours, the row's biases) is copied in place before it — and with
`graphs=True` on CUDA that program is captured once as a CUDA graph and replayed for every
row; the buffers and the graph are kept for the next call with the same network and options.
A test checks on the CPU that every row runs the same operations on the same addresses.

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

import contextlib
import threading
import warnings
import weakref
from collections import OrderedDict
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
    graphs: bool = False,
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

    `graphs` (CUDA, the cached method): one row's 2 x width steps are captured once as a CUDA
    graph and replayed for every row, so ~100 kernel launches a step cost no Python or launch
    time; the same operations as without it. Elsewhere it changes nothing.
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

    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            feats = model.condition(x)  # once, broadcast over the K samples
            if method == "naive":
                draws = _Draws(k, size, temperature, top_p, lock_mask is not None, device, dtype)
                fill = draws.filler(uniforms, lock_bins, lock_mask)
                return _run_naive(model.pixelcnn, feats, k, draws.choose, fill, callback)
            key = (k, temperature, top_p, lock_mask is not None, dtype, device)
            # kept rows are shared between calls: one graphed call at a time (the engine
            # samples in worker threads)
            with _KEPT_LOCK if graphs else contextlib.nullcontext():
                draws, rows = _rows_for(model.pixelcnn, feats, key, graphs)
                return rows.run(draws.filler(uniforms, lock_bins, lock_mask), None, callback)
    finally:
        model.train(was_training)


class _Draws:
    """How a bin is chosen at (row, j, c), reading only static row buffers (`u`, the locks)
    that `filler` refills before each row: a captured graph reads them at fixed addresses."""

    def __init__(
        self,
        k: int,
        width: int,
        temperature: float,
        top_p: float,
        locked: bool,
        device: torch.device,
        dtype: torch.dtype,
    ):
        self.temperature, self.top_p, self.locked = temperature, top_p, locked
        self.u = torch.zeros((k, CHROMA_CHANNELS, width), device=device, dtype=dtype)
        self.lock_bins = torch.zeros((CHROMA_CHANNELS, width), dtype=torch.long, device=device)
        self.lock_mask = torch.zeros(width, dtype=torch.bool, device=device)

    def choose(self, logits: Tensor, j: int, c: int) -> Tensor:
        drawn = _draw(logits, self.u[:, c, j], self.temperature, self.top_p)
        if not self.locked:
            return drawn
        return torch.where(self.lock_mask[j], self.lock_bins[c, j], drawn)

    def filler(
        self, uniforms: Tensor, lock_bins: Tensor | None, lock_mask: Tensor | None
    ) -> RowHook:
        def before_row(i: int) -> None:
            self.u.copy_(uniforms[:, :, i])
            if lock_bins is not None and lock_mask is not None:
                self.lock_bins.copy_(lock_bins[:, i])
                self.lock_mask.copy_(lock_mask[i])

        return before_row


# The graphed rows of the last few (network, K, options), kept so a CUDA graph is captured
# once rather than on every call; a call refills their buffers in place.
_KEPT: OrderedDict[tuple, tuple[weakref.ref, _Draws, _Rows]] = OrderedDict()
_KEEP = 4
_KEPT_LOCK = threading.Lock()


def _rows_for(net: GatedPixelCNN, feats: Tensor, key: tuple, graphs: bool) -> tuple[_Draws, _Rows]:
    """The draws and rows for this call: new ones, or with `graphs` those kept for `key`
    (the same network object and options), reloaded from this call's weights and frame."""
    k, temperature, top_p, locked, dtype, device = key
    for dead in [old for old, kept in _KEPT.items() if kept[0]() is None]:
        del _KEPT[dead]  # their network is gone: so are its graphs' buffers
    if graphs:
        full_key = (id(net), tuple(feats.shape), *key)
        kept = _KEPT.get(full_key)
        if kept is not None and kept[0]() is net:
            _KEPT.move_to_end(full_key)
            kept[2].reload(net, feats)
            return kept[1], kept[2]
    width = feats.shape[-1]
    draws = _Draws(k, width, temperature, top_p, locked, device, dtype)
    rows = _Rows(net, feats, k, draws.choose, _row_wrapper(graphs, device))
    if graphs:
        _KEPT[full_key] = (weakref.ref(net), draws, rows)
        while len(_KEPT) > _KEEP:
            _KEPT.popitem(last=False)
    return draws, rows


def _locked(
    fixed: tuple[np.ndarray, np.ndarray] | None, size: int, device: torch.device
) -> tuple[Tensor | None, Tensor | None]:
    """The locked bins (2, S, S) and mask (S, S) on the device, or (None, None)."""
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
    locked = torch.from_numpy(bins.astype(np.int64)).to(device)
    return locked, torch.from_numpy(mask.astype(bool)).to(device)


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


def consensus_index(bins: Tensor) -> int:
    """The one of K samples (K, 2, S, S) nearest the others: the least summed chroma
    distance to the rest (the medoid; distances, not their squares, so one odd sample does
    not pull the choice towards it). A typical colour mode of the K, not the likeliest
    single bins: as colourful as a sample, away from the odd ones out."""
    x = bins.reshape(bins.shape[0], -1).double()
    return int(torch.cdist(x, x).sum(1).argmin())


def diverse_subset(bins: Tensor, k: int) -> Tensor:
    """The indices of `k` of the N samples (N, 2, S, S) that differ most from each other:
    their consensus first (`consensus_index`), then again and again the one farthest (summed
    chroma distance at chroma resolution) from its nearest already chosen. Of 2K draws, K
    chosen so cover more of the colour modes than K plain draws, where two draws often
    land in the same mode."""
    n = bins.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"cannot choose {k} of {n} samples")
    x = bins.reshape(n, -1).double()
    dist = torch.cdist(x, x)
    chosen = [int(dist.sum(1).argmin())]
    nearest = dist[chosen[0]].clone()
    for _ in range(k - 1):
        nearest[chosen] = -1.0
        far = int(nearest.argmax())
        chosen.append(far)
        nearest = torch.minimum(nearest, dist[far])
    return torch.tensor(chosen, dtype=torch.long)


# (logits (K, levels), column j, channel c) -> (K,) bins. It reads only tensors filled before
# the row and branches on nothing computed, so one row's steps can be captured as a graph.
RowChooser = Callable[[Tensor, int, int], Tensor]
RowHook = Callable[[int], None]  # called with the row index i


def _run_naive(
    net: GatedPixelCNN,
    feats: Tensor,
    k: int,
    choose: RowChooser,
    before_row: RowHook,
    callback: SampleCallback | None,
) -> Tensor:
    _, _, size, width = feats.shape
    out = torch.zeros((k, CHROMA_CHANNELS, size, width), dtype=torch.long, device=feats.device)
    for i in range(size):
        before_row(i)
        for j in range(width):
            for c in range(CHROMA_CHANNELS):
                # rows below i cannot matter to (i, j): the network is causal
                logits = net(out[:, :, : i + 1], feats[:, :, : i + 1])[:, c, :, i, j]
                out[:, c, i, j] = choose(logits, j, c)
        if callback is not None:
            callback(i + 1, size)
    return out


class _Rows:
    """The cached method: each row's steps are one fixed program on static buffers (the
    caches of `_IncrementalState` and `row`), run as it is or through `wrap` (`_GraphedRow`:
    captured once, then replayed)."""

    def __init__(
        self,
        net: GatedPixelCNN,
        feats: Tensor,
        k: int,
        choose: RowChooser,
        wrap: Callable[[Callable[[], None]], Callable[[], None]] | None = None,
    ):
        self.k = k
        self.state = state = _IncrementalState(net, feats, k)
        self.row = row = torch.zeros(
            (k, CHROMA_CHANNELS, state.width), dtype=torch.long, device=feats.device
        )

        def program() -> None:
            for j in range(state.width):
                for c in range(CHROMA_CHANNELS):
                    value = choose(state.logits(j, c), j, c)
                    row[:, c, j] = value
                    state.set_value(j, c, value)

        self.step = program if wrap is None else wrap(program)

    def reload(self, net: GatedPixelCNN, feats: Tensor) -> None:
        """Start again from `net`'s weights and these features, in the same buffers."""
        self.state.load(_IncrementalState(net, feats, self.k))

    def run(
        self, before_row: RowHook, after_row: RowHook | None, callback: SampleCallback | None
    ) -> Tensor:
        """Every row -> the bins (K, 2, H, W); `before_row(i)` fills what row i reads."""
        size, width = self.state.height, self.state.width
        out = torch.zeros(
            (self.k, CHROMA_CHANNELS, size, width), dtype=torch.long, device=self.row.device
        )
        for i in range(size):
            before_row(i)
            self.step()
            out[:, :, i] = self.row
            if after_row is not None:
                after_row(i)
            if i + 1 < size:
                self.state.finish_row(i, out[:, :, i])
            if callback is not None:
                callback(i + 1, size)
        return out


def _row_wrapper(
    graphs: bool, device: torch.device
) -> Callable[[Callable[[], None]], Callable[[], None]] | None:
    """How rows run: replayed as CUDA graphs when asked for on CUDA, else as they are."""
    return _GraphedRow if graphs and device.type == "cuda" else None


class _GraphedRow:
    """`program` run once as it is (on a side stream: the warm-up CUDA graphs need, and a
    real row), then captured as a CUDA graph and replayed on every later call.

    Everything `program` reads or writes across calls must be a tensor allocated before the
    capture and updated in place: a replay repeats the captured kernels on those addresses.
    """

    def __init__(self, program: Callable[[], None]):
        self.program = program
        self.graph: torch.cuda.CUDAGraph | None = None
        self.failed = False

    def __call__(self) -> None:
        if self.graph is not None:
            self.graph.replay()
            return
        if self.failed:
            self.program()
            return
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self.program()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):  # records; runs nothing
                self.program()
        except RuntimeError as exc:  # an operation that cannot be captured: run rows as they are
            self.failed = True
            warnings.warn(f"CUDA graph capture failed, rows run uncaptured: {exc}", stacklevel=2)
            return
        self.graph = graph


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
        self.embed = net.embed.weight.clone()  # (2 levels, e); its own: `load` refills it
        self.e = self.embed.shape[1]
        _, _, height, width = feats.shape
        self.height, self.width = height, width
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

    def load(self, fresh: _IncrementalState) -> None:
        """Take `fresh`'s weights, conditioning and empty caches into these very tensors (a
        captured row keeps reading their addresses) and its modules for the vertical stack."""
        for name in ("cond_v", "cond_h", "wh", "wr", "br", "w2", "b2", "vin", "hin", "row_bias"):
            for mine, theirs in zip(getattr(self, name), getattr(fresh, name), strict=True):
                if mine is not None and theirs is not None:
                    mine.copy_(theirs)
        for name in ("embed", "w1", "b1"):
            getattr(self, name).copy_(getattr(fresh, name))
        self.v_convs, self.v_to_h = fresh.v_convs, fresh.v_to_h

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
        # the row's bins embedded as GatedPixelCNN.embed_bins lays them out, [Cb | Cr], from
        # this state's copy of the table (no reference to the network: kept rows let it go)
        offsets = torch.arange(CHROMA_CHANNELS, device=row.device)[None, :, None] * self.levels
        emb = F.embedding(row + offsets, self.embed)  # (K, 2, W, e)
        self.vin[0][:, :, i + p, p : p + width] = emb.permute(0, 1, 3, 2).flatten(1, 2)
        for n in range(self.n_layers):
            window = self.vin[n][:, :, i : i + p + 1]  # (K, cin, p+1, W+2p)
            v_pre = self.v_convs[n](window)[:, :, 0] + self.cond_v[n][:, i]  # (K, 2c, W)
            w, b = self.v_to_h[n]
            # in place: a captured row reads these buffers at their addresses
            torch.add(F.linear(v_pre.transpose(1, 2), w, b), self.cond_h[n][i + 1],
                      out=self.row_bias[n])  # fmt: skip
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

    forced = torch.zeros((k, CHROMA_CHANNELS, size), dtype=torch.long, device=grey.device)
    logits_row = torch.zeros_like(out[:, :, :, 0])

    def force(logits: Tensor, j: int, c: int) -> Tensor:
        logits_row[:, c, :, j] = logits
        return forced[:, c, j]

    def before_row(i: int) -> None:
        forced.copy_(bins[:, :, i])

    def after_row(i: int) -> None:
        out[:, :, :, i] = logits_row

    with torch.inference_mode():
        feats = model.condition(grey)
        _Rows(model.pixelcnn, feats, k, force).run(before_row, after_row, None)
    return out


__all__ = [
    "METHODS",
    "cached_logits",
    "consensus_index",
    "diverse_subset",
    "prepare_grey",
    "sample_chroma",
]
