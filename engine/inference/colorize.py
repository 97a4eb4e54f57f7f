"""Key-frame colorization: K candidate colour modes for one grey frame, and how they look.

This is the layer between the sampler (`sampling.py`, bins out of the PixelCNN)
and the people asking for colours (the engine's `sample_keyframe`, the CLI's
`panchro sample`, the pipeline's colorize stage). It

- loads the colorizer from safetensors once per process (cached on path, size,
  mtime and device, so new weights are picked up without a restart);
- reads a still image as luma, refusing or converting the awkward ones
  (tiny, huge, 16-bit, palette, CMYK, alpha, colour) with a clear message;
- samples K candidates as uint8 bins (2 x 28 x 28 each, 1,568 bytes: small
  enough to keep in a project file, so a pick survives a model update);
- renders a candidate over the frame's own luma, which is never changed.

A candidate's chroma is the 28 x 28 image the PixelCNN drew; a preview upsamples
it bicubically over the full-resolution luma. The refiner (issue 5) replaces
that upsampling in the pipeline; previews use it too once its weights exist.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from panchro.engine.errors import BadInputError, ModelMissingError
from panchro.engine.imaging import color
from panchro.engine.inference.defaults import (
    AUTO_K,
    AUTO_TEMPERATURE,
    AUTO_TOP_P,
    DESPECKLE,
    OVERSAMPLE,
    TEMPERATURE,
    TOP_P,
)
from panchro.engine.inference.device import resolve_device

MIN_SIDE = 32  # below this the 28 x 28 chroma is as large as the picture
MAX_SIDE = 16384  # above this a frame is not a film frame, and decoding it costs gigabytes
STILL_MATRIX = "bt601"  # stills carry no matrix tag; JPEG (JFIF) means BT.601

ProgressFn = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass(frozen=True)
class LoadedColorizer:
    model: Any  # models.colorizer.Colorizer (torch stays out of this module's import)
    path: str
    trained: bool
    scale: str  # "cpu-reduced" | "full" | "unknown"
    steps: int | None
    device: str

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "trained": self.trained,
            "scale": self.scale,
            "steps": self.steps,
            "device": self.device,
        }


@dataclass(frozen=True)
class Candidates:
    """K colour modes for one frame: bins (K, 2, S, S) uint8, Cb then Cr."""

    bins: np.ndarray
    seed: int
    temperature: float
    seconds: float
    model: dict[str, Any] = field(default_factory=dict)
    top_p: float = TOP_P
    despeckle: int = DESPECKLE
    oversample: int = 1  # K x this many were drawn, the K most different kept

    @property
    def k(self) -> int:
        return int(self.bins.shape[0])

    def chroma(self, n: int) -> np.ndarray:
        """Candidate n as (S, S, 2) float32 Cb/Cr at the bin centres."""
        return np.moveaxis(color.dequantize_chroma(self.bins[n]), 0, -1)


# --- the model --------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[tuple, LoadedColorizer] = {}


def load_colorizer(
    path: str | Path | None = None, *, device: str | None = None, allow_untrained: bool = True
) -> LoadedColorizer:
    """The colorizer at `path` (default: the registry's file), loaded once per process.

    ModelMissingError names the file when it is absent or unreadable, and when
    it is untrained unless `allow_untrained` (the caller then says "untrained"
    wherever it shows the colours).
    """

    from panchro.engine.models import registry
    from panchro.engine.models.weights import load_model

    p = Path(path) if path is not None else registry.weights_path("colorizer")
    dev = str(resolve_device(device))
    try:
        st = p.stat()
    except OSError:
        raise ModelMissingError(
            "the colorizer's weights file is not there; colour modes need it", path=p
        ) from None
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns, dev)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            if not hit.trained and not allow_untrained:
                raise ModelMissingError("the colorizer's weights are untrained", path=p)
            return hit
        try:
            model, _, meta = load_model(p, device=dev)
        except BadInputError as err:
            reason = f"the colorizer's weights cannot be used: {err}"
            raise ModelMissingError(reason, path=p) from None
        if meta.get("model") != "colorizer":
            raise ModelMissingError(f"holds a {meta.get('model')} model, not a colorizer", path=p)
        card = meta.get("card") or {}
        trained = card.get("trained") is True
        if not trained and not allow_untrained:
            raise ModelMissingError("the colorizer's weights are untrained", path=p)
        model.eval()
        loaded = LoadedColorizer(
            model=model,
            path=str(p),
            trained=trained,
            scale=str(card.get("scale", "unknown")),
            steps=card.get("steps"),
            device=dev,
        )
        _cache.clear()  # one colorizer at a time: weights are tens of MB on the device
        _cache[key] = loaded
        return loaded


def sample_candidates(
    colorizer: LoadedColorizer,
    luma: np.ndarray,
    *,
    k: int,
    seed: int | None = None,
    temperature: float = TEMPERATURE,
    top_p: float = TOP_P,
    despeckle: int = DESPECKLE,
    progress: ProgressFn | None = None,
    locked: Any | None = None,
    matrix: str = STILL_MATRIX,
    oversample: int = OVERSAMPLE,
) -> Candidates:
    """K candidates for a frame's luma ((H, W) float32 in [0, 1], or uint8/uint16).

    A missing seed is drawn at random and returned, so every result can be
    reproduced. The frame is squeezed to the model's square input whatever its
    aspect, as in training; the chroma is stretched back the same way.
    `locked`: a person's colour hints (`imaging.hints.Hints`, in this luma's pixels,
    colours under `matrix`): every candidate keeps them and varies the rest
    (`locked_bins`). `top_p` and `despeckle` passes (`inference.sampling`): the defaults
    are measured (`inference.defaults`). `oversample`: K x that many are drawn and the K
    that differ most are kept (`sampling.diverse_subset`, on the despeckled modes; the
    first is the consensus of all drawn); only for K > 1 at a temperature above 0.
    """
    from panchro.engine.inference.sampling import despeckle as calm_down
    from panchro.engine.inference.sampling import prepare_grey, sample_chroma

    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**31 - 1))
    start = time.perf_counter()
    fixed = None
    if locked is not None and not locked.empty:
        size = colorizer.model.config.chroma_size
        fixed = locked_bins(locked, (luma.shape[1], luma.shape[0]), size, matrix)
    if oversample < 1:
        raise BadInputError(f"oversample must be at least 1, got {oversample}")
    drawn = k * oversample if k > 1 and temperature > 0 else k
    bins = sample_chroma(
        colorizer.model,
        luma,
        k=drawn,
        seed=seed,
        temperature=temperature,
        top_p=top_p,
        callback=progress,
        fixed=fixed,
    )
    if despeckle > 0 and temperature > 0:
        import torch

        cfg = colorizer.model.config
        grey = prepare_grey(luma, cfg.image_size, bins.device, torch.float32)
        calm = calm_down(bins, grey, cfg.levels, passes=despeckle)
        if fixed is not None:  # a person's colours stay exactly as given
            mask = torch.from_numpy(fixed[1]).to(bins.device)
            calm[:, :, mask] = torch.from_numpy(fixed[0].astype(np.int64)).to(bins.device)[:, mask]
        bins = calm
    if drawn > k:
        from panchro.engine.inference.sampling import diverse_subset

        bins = bins[diverse_subset(bins, k).to(bins.device)]
    return Candidates(
        bins=bins.to("cpu").numpy().astype(np.uint8),
        seed=seed,
        temperature=temperature,
        seconds=time.perf_counter() - start,
        model=colorizer.describe(),
        top_p=top_p,
        despeckle=despeckle,
        oversample=drawn // k,
    )


def automatic_pick(
    colorizer: LoadedColorizer,
    luma: np.ndarray,
    *,
    seed: int,
    k: int = AUTO_K,
    temperature: float = AUTO_TEMPERATURE,
    top_p: float = AUTO_TOP_P,
    despeckle: int = DESPECKLE,
) -> tuple[Candidates, int]:
    """The colour for a shot nobody picked: `k` candidates and the index of their consensus
    (the one nearest the others), measured in `inference.defaults`."""
    import torch

    from panchro.engine.inference.sampling import consensus_index

    found = sample_candidates(colorizer, luma, k=k, seed=seed, temperature=temperature,
                              top_p=top_p, despeckle=despeckle, oversample=1)  # fmt: skip
    return found, consensus_index(torch.from_numpy(found.bins.astype(np.int64)))


def locked_bins(
    hints: Any, frame_size: tuple[int, int], size: int, matrix: str
) -> tuple[np.ndarray, np.ndarray]:
    """Hints on a (W, H) frame -> (bins (2, size, size) uint8, mask (size, size) bool): the
    chroma cells they cover, as the sampler's square squeeze of the frame sees them."""
    from panchro.engine.imaging.hints import rasterize

    target, mask = rasterize(hints, frame_size=frame_size, shape=(size, size), matrix=matrix)
    return color.quantize_chroma(target).astype(np.uint8), mask


# --- pictures ---------------------------------------------------------------------------


def load_refiner(path: str | Path | None = None, *, device: str | None = None) -> Any | None:
    """The refiner (cached like the colorizer), or None when its weights are absent or
    unreadable: previews then fall back to upsampling the 28 x 28 chroma."""

    from panchro.engine.models import registry
    from panchro.engine.models.weights import load_model

    p = Path(path) if path is not None else registry.weights_path("refiner")
    dev = str(resolve_device(device))
    try:
        st = p.stat()
    except OSError:
        return None
    key = ("refiner", str(p.resolve()), st.st_size, st.st_mtime_ns, dev)
    with _cache_lock:
        if key not in _refiners:
            try:
                model, _, _ = load_model(p, device=dev)
            except Exception:  # noqa: BLE001 - a preview without it is still a preview
                return None
            _refiners.clear()
            _refiners[key] = model
        return _refiners[key]


_refiners: dict[tuple, Any] = {}


def render(
    luma: np.ndarray,
    chroma: np.ndarray,
    *,
    matrix: str,
    refiner: Any | None = None,
    hints: Any | None = None,
    strength: float = 1.0,
) -> np.ndarray:
    """Luma (H, W) float in [0, 1] + chroma (h, w, 2) -> RGB uint8 (H, W, 3); luma kept.

    With a `refiner` (and 28 x 28 chroma) the chroma is refined over the luma, as the
    pipeline does; else it is upsampled bicubically. `hints` (in this luma's pixels) are
    laid over the result as the pipeline lays them over a pick (`inference.hinting`), and
    the whole multiplied by the colours' `strength` as the colour stage does
    (`ColorizeStage.strength`)."""
    if refiner is not None and chroma.shape[:2] == (refiner.config.hint_size,) * 2:
        from panchro.engine.inference.refine import refine_chroma

        full = refine_chroma(refiner, luma[None].astype(np.float32), np.moveaxis(chroma, -1, 0))
        chroma = np.moveaxis(full[0], 0, -1)
    if hints is not None and not hints.empty:
        from panchro.engine.inference.hinting import hinted_chroma

        if chroma.shape[:2] != luma.shape:
            chroma = color.upsample_chroma(chroma, luma.shape)
        base = np.ascontiguousarray(np.moveaxis(chroma, -1, 0), np.float32)
        fixed = hinted_chroma(np.clip(luma, 0, 1), hints, matrix=matrix, base=base)
        chroma = np.moveaxis(fixed, 0, -1)
    if strength != 1.0:
        chroma = np.clip(chroma * np.float32(strength), -0.5, 0.5)
    rgb = color.merge_luma_chroma(luma, chroma, matrix=matrix)
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def luma_of(plane: np.ndarray) -> np.ndarray:
    """A decoded grey plane (uint8, uint16 or float) -> float32 (H, W) in [0, 1]."""
    a = np.asarray(plane)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 2:
        raise ValueError(f"expected one grey plane, got shape {a.shape}")
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 65535.0
    return np.clip(a.astype(np.float32), 0.0, 1.0)


@dataclass(frozen=True)
class Still:
    luma: np.ndarray  # (H, W) float32 in [0, 1]
    matrix: str
    notes: tuple[str, ...]  # what was done to the picture, said to the user


def read_still(path: str | Path) -> Still:
    """A picture file as luma, or BadInputError saying why not.

    Colour pictures are made grey (their luma kept: the model only ever sees
    grey); palette, CMYK, alpha and 16-bit pictures are converted and the note
    says so; pictures under 32 px or over 16k px on a side are refused before
    they are decoded. The EXIF orientation is applied.
    """
    p = Path(path)
    if p.is_dir():
        raise BadInputError("is a folder; give one picture", path=p)
    if not p.is_file():
        raise BadInputError("does not exist", path=p)
    notes: list[str] = []
    try:
        with Image.open(p) as im:
            w, h = im.size
            if min(w, h) < MIN_SIDE:
                raise BadInputError(
                    f"is {w}x{h}: too small to colorize (at least {MIN_SIDE} px a side)", path=p
                )
            if max(w, h) > MAX_SIDE:
                raise BadInputError(
                    f"is {w}x{h}: too large (at most {MAX_SIDE} px a side); scale it down first",
                    path=p,
                )
            if getattr(im, "n_frames", 1) > 1:
                notes.append(f"{im.n_frames} pictures in the file: the first is used")
            im.load()
            # upright, as a restore turns it and as a person's hints are placed on it
            luma, mode_notes = _luma_of_pil(ImageOps.exif_transpose(im))
            notes += mode_notes
    except BadInputError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as err:
        raise BadInputError(f"cannot be read as a picture ({err})", path=p) from None
    return Still(luma=luma, matrix=STILL_MATRIX, notes=tuple(notes))


def _luma_of_pil(im: Image.Image) -> tuple[np.ndarray, list[str]]:
    notes: list[str] = []
    mode = im.mode
    if mode.startswith("I;16"):
        notes.append("16-bit grey picture")
        return np.asarray(im, dtype=np.float32) / 65535.0, notes
    if mode == "I":
        a = np.asarray(im)
        if a.min() < 0 or a.max() > 65535:
            raise BadInputError(f"32-bit integer picture with values {a.min()}..{a.max()}")
        notes.append("16-bit grey picture")
        return a.astype(np.float32) / 65535.0, notes
    if mode == "F":
        a = np.asarray(im, dtype=np.float32)
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise BadInputError("floating-point picture with values outside 0..1")
        return a.copy(), notes
    if mode in ("1", "L"):
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0, notes
    if mode == "P":
        notes.append("palette picture converted to RGB")
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        mode = im.mode
    if mode == "CMYK":
        notes.append("CMYK picture converted to RGB without a colour profile")
        im = im.convert("RGB")
        mode = im.mode
    if mode in ("LA", "La", "RGBA", "RGBa", "PA"):
        notes.append("alpha channel ignored")
        im = im.convert("L" if mode.startswith("L") else "RGB")
        mode = im.mode
    if mode == "L":
        return np.asarray(im, dtype=np.float32) / 255.0, notes
    if mode != "RGB":
        im = im.convert("RGB")
    rgb = np.asarray(im, dtype=np.float32) / 255.0
    if np.abs(rgb - rgb.mean(axis=-1, keepdims=True)).max() > 2 / 255:
        notes.append("colour picture made grey (its luma kept)")
    y = color.rgb_to_ycbcr(rgb, matrix=STILL_MATRIX)[..., 0]
    return np.clip(y, 0.0, 1.0).astype(np.float32), notes


def fit_luma(luma: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink a luma plane so its longest side is at most `max_side` (area filter)."""
    h, w = luma.shape
    scale = max_side / max(h, w)
    if scale >= 1:
        return luma
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    img = Image.fromarray(np.ascontiguousarray(luma, dtype=np.float32))
    return np.asarray(img.resize(size, Image.Resampling.BOX), dtype=np.float32)


def contact_sheet(
    luma: np.ndarray,
    candidates: Candidates,
    *,
    matrix: str,
    height: int = 256,
    labels: Sequence[str] | None = None,
    refiner: Any | None = None,
    hints: Any | None = None,
) -> Image.Image:
    """grey | candidate 1 | ... | candidate K, each `height` px tall, labelled underneath.

    `hints` (in `luma`'s pixels) are laid over every candidate, as a render would."""
    h, w = luma.shape
    width = max(1, round(w * height / h))
    small = np.asarray(
        Image.fromarray(np.ascontiguousarray(luma, dtype=np.float32)).resize(
            (width, height), Image.Resampling.BOX
        ),
        dtype=np.float32,
    )
    tiles = [np.repeat((np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8)[..., None], 3, -1)]
    small_hints = hints.scaled((w, h), (width, height)) if hints is not None else None
    tiles += [
        render(small, candidates.chroma(n), matrix=matrix, refiner=refiner, hints=small_hints)
        for n in range(candidates.k)
    ]
    names = (
        list(labels)
        if labels is not None
        else ["grey"] + [f"#{n + 1}" for n in range(candidates.k)]
    )
    gap, band = 4, 18
    sheet = Image.new(
        "RGB", (len(tiles) * width + (len(tiles) - 1) * gap, height + band), (24, 24, 24)
    )
    draw = ImageDraw.Draw(sheet)
    for i, tile in enumerate(tiles):
        x = i * (width + gap)
        sheet.paste(Image.fromarray(tile), (x, 0))
        draw.text((x + 4, height + 3), names[i] if i < len(names) else "", fill=(220, 220, 220))
    return sheet
