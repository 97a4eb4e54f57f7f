"""Picture metrics: PSNR, SSIM, CIEDE2000 (via CIELAB), colourfulness."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

# sRGB (IEC 61966-2-1) linear RGB -> XYZ, D65 white
_SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
# the white of the matrix itself, so that R = G = B is exactly neutral (a* = b* = 0)
_WHITE = _SRGB_TO_XYZ.sum(axis=1)


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    c = np.asarray(rgb, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (..., 3) floats in [0, 1] (or uint8) -> CIELAB (..., 3) float64, D65, 2 deg."""
    rgb = np.asarray(rgb)
    if rgb.shape[-1:] != (3,):
        raise ValueError(f"rgb must have 3 channels last, got shape {rgb.shape}")
    if rgb.dtype == np.uint8:
        rgb = rgb / 255.0
    xyz = srgb_to_linear(rgb) @ _SRGB_TO_XYZ.T / _WHITE
    eps = (6 / 29) ** 3
    f = np.where(xyz > eps, np.cbrt(np.maximum(xyz, eps)), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return np.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], axis=-1)


def ciede2000(
    lab1: np.ndarray, lab2: np.ndarray, *, kl: float = 1.0, kc: float = 1.0, kh: float = 1.0
) -> np.ndarray:
    """CIEDE2000 colour difference of CIELAB (..., 3) arrays -> (...) float64.

    The formula as Sharma, Wu & Dalal (2005) spell it out, including their
    conventions for the mean hue when the hues are 180 degrees apart and for
    achromatic colours.
    """
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    c7 = c_bar**7
    g = 0.5 * (1 - np.sqrt(c7 / (c7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.where((a1p == 0) & (b1 == 0), 0.0, np.degrees(np.arctan2(b1, a1p)) % 360)
    h2p = np.where((a2p == 0) & (b2 == 0), 0.0, np.degrees(np.arctan2(b2, a2p)) % 360)

    dl = l2 - l1
    dc = c2p - c1p
    chroma0 = (c1p * c2p) == 0
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(chroma0, 0.0, dh)
    d_big_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)

    l_bar = (l1 + l2) / 2
    cp_bar = (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_bar = np.where(
        np.abs(h1p - h2p) <= 180,
        h_sum / 2,
        np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2),
    )
    h_bar = np.where(chroma0, h_sum, h_bar)
    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    cp7 = cp_bar**7
    r_c = 2 * np.sqrt(cp7 / (cp7 + 25.0**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    tl, tc, th = dl / (kl * s_l), dc / (kc * s_c), d_big_h / (kh * s_h)
    return np.sqrt(np.maximum(tl**2 + tc**2 + th**2 + r_t * tc * th, 0.0))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk's colourfulness M of an RGB image (floats in [0, 1] or uint8).

    On the 0..255 scale, as in the paper: 0 for a grey image, ~15 "slightly",
    ~33 "moderately", ~59 "quite", ~82 "highly", ~109 "extremely" colourful.
    """
    x = np.asarray(rgb, dtype=np.float64)
    if np.asarray(rgb).dtype != np.uint8:
        x = x * 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    sigma = math.sqrt(rg.var() + yb.var())
    mu = math.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return sigma + 0.3 * mu


def _gaussian_window(size: int, sigma: float) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    w = torch.exp(-(x**2) / (2 * sigma**2))
    return w / w.sum()


def ssim(
    a: np.ndarray, b: np.ndarray, *, data_range: float = 1.0, window: int = 11, sigma: float = 1.5
) -> float:
    """Mean SSIM (Wang et al. 2004) of two images (H, W) or (H, W, C), channels averaged.

    Gaussian window (11 taps, sigma 1.5), K1 = 0.01, K2 = 0.03, statistics over
    the 'valid' region only (no padding). Smaller images get a smaller window.
    """
    ta = torch.as_tensor(np.asarray(a, dtype=np.float64))
    tb = torch.as_tensor(np.asarray(b, dtype=np.float64))
    if ta.shape != tb.shape or ta.dim() not in (2, 3):
        raise ValueError(f"ssim needs two images of one shape, got {ta.shape} and {tb.shape}")
    if ta.dim() == 2:
        ta, tb = ta[..., None], tb[..., None]
    size = min(window, ta.shape[0], ta.shape[1])
    size -= 1 - size % 2  # odd
    w = _gaussian_window(size, sigma * size / window)
    x = torch.stack([ta, tb, ta * ta, tb * tb, ta * tb]).permute(0, 3, 1, 2)  # (5, C, H, W)
    n, c, h, wd = x.shape
    x = x.reshape(n * c, 1, h, wd)
    x = F.conv2d(F.conv2d(x, w.view(1, 1, 1, -1)), w.view(1, 1, -1, 1))
    x = x.reshape(n, c, *x.shape[-2:])
    mu_a, mu_b, aa, bb, ab = x
    var_a, var_b, cov = aa - mu_a**2, bb - mu_b**2, ab - mu_a * mu_b
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(s.mean())


def psnr(a: np.ndarray, b: np.ndarray, *, peak: float = 1.0) -> float:
    """10 log10(peak^2 / MSE); inf for identical arrays."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)
