"""Colour carried from hints by optimisation (Levin, Lischinski & Weiss 2004, "Colorization using
optimization"): the classic floor that needs no training.

Neighbouring pixels of similar luma should have similar chroma: every pixel r
without a hint is asked to equal the weighted mean of its 8 neighbours s, with
weights w_rs proportional to exp(-(Y_r - Y_s)^2 / sigma_r^2), sigma_r^2 taken
from the luma's variance in the 3 x 3 window (as the authors' code does: 0.6 x
the variance, at least what gives the most different neighbour a weight of
0.01, at least 2e-6), and each hinted pixel is held at its hint. That is one
sparse linear system, the same matrix for Cb and Cr, solved here with SciPy's
sparse LU (SuperLU) once for both channels, with the unknowns in nested-dissection
order (`grid_order`). Colour then spreads freely over
smooth luma and stops where the luma has an edge.

`decay` > 0 adds a pull towards zero at every free pixel (the system becomes
(1 + decay) U_r - sum_s w_rs U_s = 0). It is for carrying a *correction*: a
hint's difference from a sampled colour mode spreads over the hinted object and
fades away beyond it, so the rest of the mode is kept. With decay 0 a single hint
colours the whole picture, as Levin's method does.

The system has one unknown per pixel: the callers solve at a working resolution
(a short side of 128-256) and bring the chroma back to full size guided by the
luma (`inference.hinting`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

_OFFSETS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
_MIN_SIGMA2 = 2e-6
_LEAF = 3  # pieces this small are not cut again (measured: 3 solves fastest of 3..32)


@lru_cache(maxsize=8)
def grid_order(h: int, w: int) -> np.ndarray:
    """The pixels of an (h, w) grid in nested-dissection order: each piece is cut in two by
    a line of pixels across its longer side, the two halves come first (recursively),
    the line last. A line of pixels separates the halves for the 8-neighbour stencil, so
    the LU factors fill in only along the lines. SuperLU's own orderings (COLAMD, MMD) do
    not know the grid: on a 285 x 160 frame they fill 6.4 M entries and factor in 0.36 s;
    this order 3.4 M and 0.16 s, with the same answer to 1e-13."""
    index = np.arange(h * w).reshape(h, w)
    parts: list[np.ndarray] = []
    pieces = [(0, h, 0, w, False)]  # (rows, cols, done): a stack, so the recursion is flat
    while pieces:
        r0, r1, c0, c1, line = pieces.pop()
        if line or (r1 - r0) * (c1 - c0) <= _LEAF * _LEAF or min(r1 - r0, c1 - c0) <= 2:
            parts.append(index[r0:r1, c0:c1].ravel())
        elif c1 - c0 >= r1 - r0:
            m = (c0 + c1) // 2  # popped last-first: first half, second half, then the line
            pieces += [(r0, r1, m, m + 1, True), (r0, r1, m + 1, c1, False), (r0, r1, c0, m, False)]
        else:
            m = (r0 + r1) // 2
            pieces += [(m, m + 1, c0, c1, True), (m + 1, r1, c0, c1, False), (r0, m, c0, c1, False)]
    return np.concatenate(parts)


def affinity(luma: np.ndarray) -> sp.csr_matrix:
    """The row-normalised neighbour weights W (n x n, n = h * w) of a luma plane (h, w)."""
    y = np.asarray(luma, dtype=np.float64)
    if y.ndim != 2 or min(y.shape) < 1:
        raise ValueError(f"luma must be one (h, w) plane, got shape {y.shape}")
    h, w = y.shape
    n = h * w
    pad = np.pad(y, 1, mode="edge")
    valid_pad = np.pad(np.ones((h, w), bool), 1, constant_values=False)
    diffs = np.empty((8, h, w))
    valid = np.empty((8, h, w), bool)
    window = np.empty((9, h, w))
    window[8] = y
    for k, (dy, dx) in enumerate(_OFFSETS):
        nb = pad[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        valid[k] = valid_pad[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        diffs[k] = (nb - y) ** 2
        window[k] = np.where(valid[k], nb, np.nan)
    var = np.nanvar(window, axis=0)
    sigma2 = 0.6 * var
    # the most different neighbour keeps a weight of at least 0.01 (the authors' rule)
    min_diff = np.min(np.where(valid, diffs, np.inf), axis=0)
    sigma2 = np.maximum(sigma2, min_diff / np.log(100.0))
    sigma2 = np.maximum(sigma2, _MIN_SIGMA2)
    weights = np.exp(-diffs / sigma2) * valid
    weights /= weights.sum(axis=0, keepdims=True)
    index = np.arange(n).reshape(h, w)
    pad_index = np.pad(index, 1, mode="edge")
    rows, cols, vals = [], [], []
    for k, (dy, dx) in enumerate(_OFFSETS):
        cols_k = pad_index[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        keep = valid[k]
        rows.append(index[keep])
        cols.append(cols_k[keep])
        vals.append(weights[k][keep])
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )


def propagate(
    luma: np.ndarray,
    target: np.ndarray,
    mask: np.ndarray,
    *,
    decay: float = 0.0,
) -> np.ndarray:
    """Chroma (2, h, w) float32 that equals `target` where `mask` is set and follows the luma
    (h, w) elsewhere. With no hint at all and decay 0 the answer is zero (grey)."""
    y = np.asarray(luma, dtype=np.float64)
    m = np.asarray(mask, dtype=bool)
    t = np.asarray(target, dtype=np.float64)
    if m.shape != y.shape or t.shape != (2, *y.shape):
        raise ValueError(f"shapes differ: luma {y.shape}, target {t.shape}, mask {m.shape}")
    if decay < 0:
        raise ValueError(f"decay must be >= 0, got {decay}")
    h, w = y.shape
    if not m.any():
        return np.zeros((2, h, w), np.float32)
    n = h * w
    free = ~m.ravel()
    # rows of hinted pixels: U_r = hint; rows of free pixels: (1 + decay) U_r - W U = 0
    weights = affinity(y)
    keep_rows = sp.diags(free.astype(np.float64))
    a = sp.diags(np.where(free, 1.0 + decay, 1.0)) - keep_rows @ weights
    b = np.zeros((n, 2))
    b[~free] = t.reshape(2, n).T[~free]
    order = grid_order(h, w)
    # With a hint the matrix is a nonsingular M-matrix (diagonal >= the sum of each row's
    # other entries), which Gaussian elimination needs no pivoting for: keeping the
    # diagonal as pivot keeps the nested-dissection order and its small fill.
    lu = splu(
        a[order][:, order].tocsc(),
        permc_spec="NATURAL",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )
    solved = np.empty_like(b)
    solved[order] = lu.solve(b[order])
    return np.ascontiguousarray(solved.T.reshape(2, h, w), dtype=np.float32)


__all__ = ["affinity", "grid_order", "propagate"]
