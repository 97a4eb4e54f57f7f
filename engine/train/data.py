"""Training data for the colorizer: colour pictures in, (grey, chroma bins) pairs out.

Sources (`collect_items`): folders (searched recursively) of JPEG/PNG/... images,
zip files of images (e.g. the 64x64 Tiny-ImageNet shards, or what `pack_shards`
writes), and video files, of which every Nth frame is used. An item is a
reference to one picture; nothing is decoded until it is used.

One example (`make_example`): a crop of the picture (random position, area
and aspect with `rng`; the whole picture without), squeezed to a square of
`image_size` pixels as inference squeezes a frame, flipped left-right half the
time, then converted to YCbCr with the full-range BT.601 matrix (JPEG's own).
The grey input is Y in [0, 1], (1, S, S) float32; the target is Cb/Cr
area-averaged to `chroma_size` x `chroma_size` and quantized to `levels` bins per
channel, (2, c, c) int64 (`panchro.engine.imaging.color.quantize_chroma`). Films in
BT.709 differ from BT.601 in their chroma axes by a few per cent; the
colorizer does not need to care, and training and evaluation use the same
matrix.

Held-out split (`split_items`): by a hash of each item's *group* (its file or
member name without folder and extension; all frames of one clip share the
clip's file name), so a picture is
on the same side of the split whichever folder, zip or machine it is read from,
and evaluation never sees a training picture.

Determinism: the order and augmentation of every training example is a
function of (seed, position in the stream) alone (`TrainStream`), so a resumed
run sees exactly the examples an uninterrupted one would.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import Tensor
from torch.utils.data import Dataset, Sampler

from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.imaging.color import downsample_chroma, quantize_chroma, rgb_to_ycbcr

IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_EXTS = frozenset({".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg"})
MATRIX = "bt601"  # full range: Y in [0, 1], Cb/Cr in [-0.5, 0.5]
VIDEO_MAX_SIDE = 512  # sampled video frames are kept in memory at most this large
# A packed video frame is named "<clip>@f<index>.jpg"; its group is the clip.
_FRAME_SUFFIX = re.compile(r"@f\d+\.[A-Za-z0-9]+$")
_PACKED_FRAME = re.compile(r"^(?P<clip>.+)@f(?P<frame>\d+)\.[A-Za-z0-9]+$")


def packed_frame(item: ImageItem) -> tuple[str, int] | None:
    """(clip name, frame index) of a video frame repacked into a zip by `pack_shards`, else
    None: what such a frame was before it became a picture."""
    if item.member is None:
        return None
    found = _PACKED_FRAME.match(os.path.basename(item.member))
    return (found["clip"], int(found["frame"])) if found else None


@dataclass(frozen=True)
class ImageItem:
    """One picture: a file, a member of a zip, or a frame of a video."""

    path: Path  # the file, zip or video
    member: str | None = None  # name inside the zip
    frame: int | None = None  # frame index in the video (presentation order)
    every: int = 1  # for video frames: the sampling step the frame was picked with

    @property
    def key(self) -> str:
        """A name for logs and sheets: file name, zip member or clip@frame."""
        if self.member is not None:
            return self.member
        if self.frame is not None:
            return f"{self.path.name}@f{self.frame:06d}"
        return self.path.name

    @property
    def group(self) -> str:
        """What the held-out split hashes: items of one group fall on the same side.

        The file or member name without folder or extension; a clip's name for its frames.
        """
        if self.frame is not None:
            return self.path.name
        name = os.path.basename(self.member) if self.member is not None else self.path.name
        if _FRAME_SUFFIX.search(name):
            return _FRAME_SUFFIX.sub("", name)
        return os.path.splitext(name)[0]  # a picture re-encoded (pack_shards) keeps its side

    def where(self) -> str:
        """For error messages: the file, and the member or frame in it."""
        if self.member is not None:
            return f"{self.path}:{self.member}"
        if self.frame is not None:
            return f"{self.path} frame {self.frame}"
        return str(self.path)


# --- finding pictures ---------------------------------------------------------------------


def collect_items(sources: Sequence[str | Path], *, video_every: int = 30) -> list[ImageItem]:
    """Every picture in `sources` (folders, image files, zips, videos), in a stable order.

    Folders are searched recursively and may hold zips and videos too. Videos
    contribute frames 0, N, 2N, ... for N = `video_every`. Raises
    BadInputError for a source that does not exist or holds no pictures.
    """
    if video_every < 1:
        raise BadInputError(f"video_every must be at least 1, got {video_every}")
    items: list[ImageItem] = []
    for src in sources:
        path = Path(src).expanduser()
        if not path.exists():
            raise BadInputError("does not exist", path=path)
        found: list[ImageItem] = []
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            for f in files:
                found += _items_of_file(f, video_every, strict=False)
        else:
            found = _items_of_file(path, video_every, strict=True)
        if not found:
            raise BadInputError("holds no images, zips of images or videos", path=path)
        items += found
    return items


def _items_of_file(path: Path, video_every: int, *, strict: bool) -> list[ImageItem]:
    ext = path.suffix.lower()
    if ext in IMAGE_EXTS:
        return [ImageItem(path)]
    if ext == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = [
                    n
                    for n in zf.namelist()
                    if not n.endswith("/") and os.path.splitext(n)[1].lower() in IMAGE_EXTS
                ]
        except (zipfile.BadZipFile, OSError) as err:
            raise BadInputError(f"not a readable zip file ({err})", path=path) from None
        return [ImageItem(path, member=n) for n in sorted(names)]
    if ext in VIDEO_EXTS:
        from panchro.engine import media

        count = media.probe(path).frame_count
        return [ImageItem(path, frame=i, every=video_every) for i in range(0, count, video_every)]
    if strict:
        raise BadInputError(
            "is not an image, a zip of images or a video (by its extension)", path=path
        )
    return []


# --- held-out split -----------------------------------------------------------------------


def is_heldout(item: ImageItem, fraction: float) -> bool:
    """True for about `fraction` of groups, decided by SHA-1 of the group name alone."""
    if fraction <= 0:
        return False
    digest = hashlib.sha1(item.group.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64 < fraction


def split_items(
    items: Sequence[ImageItem], fraction: float
) -> tuple[list[ImageItem], list[ImageItem]]:
    """(train, held out) by `is_heldout`; the order within each part is kept."""
    train, held = [], []
    for it in items:
        (held if is_heldout(it, fraction) else train).append(it)
    return train, held


def describe_items(items: Sequence[ImageItem]) -> str:
    """'N pictures from A (n1), B (n2)' by source file or top folder, for model cards."""
    counts: dict[str, int] = {}
    for it in items:
        inside = it.member is not None or it.frame is not None
        label = it.path.name if inside else it.path.parent.name
        counts[label] = counts.get(label, 0) + 1
    parts = ", ".join(f"{k} ({v})" for k, v in sorted(counts.items()))
    return f"{len(items)} pictures from {parts}"


# --- reading pictures ---------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _zip_handle(path: Path, pid: int) -> zipfile.ZipFile:
    # One handle per process: DataLoader workers fork, and a shared file offset would race.
    del pid  # part of the cache key only
    return zipfile.ZipFile(path)


# Room for every clip of a training set: with fewer slots than clips, random access
# decodes whole clips again and again.
@functools.lru_cache(maxsize=16)
def _video_frames(path: Path, every: int) -> dict[int, np.ndarray]:
    """Frames 0, every, 2 every, ... of a video as RGB uint8, at most VIDEO_MAX_SIDE."""
    from panchro.engine import media

    frames: dict[int, np.ndarray] = {}
    with media.open_source(path) as src:
        size = media.fit_size(src.info.width, src.info.height, VIDEO_MAX_SIDE)
        for fr in src.frames(fmt="rgb24", size=size):
            if fr.index % every == 0:
                frames[fr.index] = np.ascontiguousarray(fr.image)
    return frames


def load_rgb(item: ImageItem) -> Image.Image:
    """The picture as an RGB PIL image; BadInputError names the file when it cannot be read."""
    try:
        if item.frame is not None:
            frames = _video_frames(item.path, item.every)
            if item.frame not in frames:
                raise BadInputError(f"has no frame {item.frame}", path=item.path)
            return Image.fromarray(frames[item.frame], "RGB")
        if item.member is not None:
            data = _zip_handle(item.path, os.getpid()).read(item.member)
            img = Image.open(io.BytesIO(data))
        else:
            img = Image.open(item.path)
        img = ImageOps.exif_transpose(img)
        return img.convert("RGB")
    except BadInputError:
        raise
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, Image.DecompressionBombError) as err:
        raise BadInputError(f"cannot read the picture ({err})", path=item.where()) from None


# --- examples -----------------------------------------------------------------------------


def crop_box(
    width: int,
    height: int,
    rng: np.random.Generator,
    *,
    scale: tuple[float, float] = (0.3, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> tuple[int, int, int, int]:
    """A random crop (left, top, right, bottom): area `scale` of the picture, aspect `ratio`.

    Aspect is relative to the picture's own, so a crop keeps roughly its shape;
    falls back to the whole picture after a few tries that do not fit.
    """
    area = width * height
    for _ in range(10):
        a = area * rng.uniform(*scale)
        r = (width / height) * math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        w = int(round(math.sqrt(a * r)))
        h = int(round(math.sqrt(a / r)))
        if 1 <= w <= width and 1 <= h <= height:
            x = int(rng.integers(0, width - w + 1))
            y = int(rng.integers(0, height - h + 1))
            return x, y, x + w, y + h
    return 0, 0, width, height


def square_view(img: Image.Image, size: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """RGB uint8 (size, size, 3): a random crop + flip with `rng`, else the whole picture."""
    box = (0, 0, img.width, img.height)
    flip = False
    if rng is not None:
        # never zoom so far that the crop is under half the output size: small sources
        # (64x64 Tiny-ImageNet) would turn into blur the films never show
        least = min(1.0, max(0.3, (size / 2) ** 2 / (img.width * img.height)))
        box = crop_box(img.width, img.height, rng, scale=(least, 1.0))
        flip = bool(rng.integers(0, 2))
    out = img.resize((size, size), Image.Resampling.BILINEAR, box=box, reducing_gap=None)
    arr = np.asarray(out, dtype=np.uint8)
    return arr[:, ::-1] if flip else arr


def rgb_to_example(rgb: np.ndarray, chroma_size: int, levels: int) -> tuple[Tensor, Tensor]:
    """RGB uint8 (S, S, 3) -> grey (1, S, S) float32 in [0, 1], bins (2, c, c) int64."""
    ycc = rgb_to_ycbcr(rgb, matrix=MATRIX)
    grey = torch.from_numpy(np.ascontiguousarray(ycc[None, :, :, 0], dtype=np.float32))
    small = downsample_chroma(ycc[..., 1:], chroma_size)  # (c, c, 2)
    bins = quantize_chroma(small, levels).transpose(2, 0, 1)
    return grey.clamp_(0.0, 1.0), torch.from_numpy(np.ascontiguousarray(bins))


def make_example(
    item: ImageItem,
    *,
    image_size: int,
    chroma_size: int,
    levels: int = 32,
    rng: np.random.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """One (grey, bins) pair from a picture; random crop and flip only when `rng` is given."""
    return rgb_to_example(square_view(load_rgb(item), image_size, rng), chroma_size, levels)


class ColorDataset(Dataset):
    """items[i] -> (grey (1, S, S) float32, bins (2, c, c) int64), whole picture, no randomness.

    For validation and evaluation; `TrainStream` is the augmented, shuffled one.
    """

    def __init__(
        self, items: Sequence[ImageItem], *, image_size: int, chroma_size: int, levels: int = 32
    ) -> None:
        self.items = list(items)
        self.image_size, self.chroma_size, self.levels = image_size, chroma_size, levels

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        return make_example(
            self.items[i],
            image_size=self.image_size,
            chroma_size=self.chroma_size,
            levels=self.levels,
        )


class TrainStream(Dataset):
    """An endless stream of augmented examples; index = position in the stream.

    Position p is example p % n of epoch p // n, where each epoch visits the
    items in its own permutation drawn from (seed, epoch); the crop and flip
    come from (seed, p). So any position can be produced on its own, by any
    worker, in any order, and always gives the same example.
    """

    def __init__(
        self,
        items: Sequence[ImageItem],
        *,
        image_size: int,
        chroma_size: int,
        levels: int = 32,
        seed: int = 0,
    ) -> None:
        if not items:
            raise BadInputError("no training pictures (all were held out, or none were found)")
        self.items = list(items)
        self.image_size, self.chroma_size, self.levels = image_size, chroma_size, levels
        self.seed = seed
        self._perm_epoch = -1
        self._perm = np.arange(0)

    def __len__(self) -> int:
        """Items per epoch (the stream itself never ends)."""
        return len(self.items)

    def item_at(self, position: int) -> ImageItem:
        n = len(self.items)
        epoch, offset = divmod(int(position), n)
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng([self.seed, 0x5EED, epoch]).permutation(n)
            self._perm_epoch = epoch
        return self.items[int(self._perm[offset])]

    def __getitem__(self, position: int) -> tuple[Tensor, Tensor]:
        rng = np.random.default_rng([self.seed, int(position)])
        return make_example(
            self.item_at(position),
            image_size=self.image_size,
            chroma_size=self.chroma_size,
            levels=self.levels,
            rng=rng,
        )


class StreamSampler(Sampler[int]):
    """Positions start, start + 1, ..., stop - 1 of a TrainStream."""

    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = int(start), int(stop)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return max(0, self.stop - self.start)


# --- packing shards -----------------------------------------------------------------------


def pack_shards(
    sources: Sequence[str | Path],
    out_dir: str | Path,
    *,
    size: int = 128,
    quality: int = 90,
    per_shard: int = 5000,
    video_every: int = 30,
    skip_grey: bool = True,
    prefix: str = "shard",
    limit: int | None = None,
) -> dict[str, object]:
    """Repack pictures as small JPEGs in stored zips, e.g. to carry training data to a GPU.

    Each picture is scaled so its short side is `size` (never enlarged) and its
    long side centre-cropped to at most 4/3 of that, then saved as a JPEG of
    `quality`. Member names keep the item's group (a video frame becomes
    "clip.mp4@f000030.jpg"), so the held-out split is the same before and after.
    Pictures with no colour at all (grey JPEGs, which ImageNet has) are left out
    when `skip_grey`. Shards are written atomically as `<prefix>-000.zip`, ... in
    `out_dir` (created if needed); existing shards of that name are never
    replaced. `limit`: at most this many pictures, the first in order (a smoke run's pack,
    made in seconds). Returns {"shards": [paths], "images": n, "skipped_grey": m, "bytes": b}.
    """
    if size < 8 or not 1 <= quality <= 100 or per_shard < 1:
        raise BadInputError("pack_shards needs size >= 8, quality 1..100 and per_shard >= 1")
    items = collect_items(sources, video_every=video_every)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the folder ({err.strerror})", path=out) from None
    if any(out.glob(f"{prefix}-*.zip")):
        raise OutputError(f"already holds {prefix}-*.zip shards; choose another folder", path=out)

    shards: list[Path] = []
    used: set[str] = set()
    skipped = 0
    total_bytes = 0
    writer: _ShardWriter | None = None
    for item in items:
        if limit is not None and len(used) >= limit:
            break
        img = _shrink(load_rgb(item), size)
        if skip_grey and _is_grey(img):
            skipped += 1
            continue
        if writer is None or writer.count >= per_shard:
            if writer is not None:
                total_bytes += writer.close()
            writer = _ShardWriter(out / f"{prefix}-{len(shards):03d}.zip")
            shards.append(writer.path)
        name = _unique_member(item, used)
        buf = io.BytesIO()
        # optimize: Huffman tables fitted to the picture, lossless, 15-25 % fewer bytes on
        # these small pictures (more of them under a GPU call's cap)
        img.save(buf, format="JPEG", quality=quality, optimize=True)
        writer.add(name, buf.getvalue())
    if writer is not None:
        total_bytes += writer.close()
    return {"shards": shards, "images": len(used), "skipped_grey": skipped, "bytes": total_bytes}


def _shrink(img: Image.Image, size: int) -> Image.Image:
    w, h = img.size
    s = min(1.0, size / min(w, h))
    if s < 1.0:
        w, h = max(1, round(w * s)), max(1, round(h * s))
        img = img.resize((w, h), Image.Resampling.LANCZOS)
    limit = round(min(w, h) * 4 / 3)
    if max(w, h) > limit:
        if w > h:
            x = (w - limit) // 2
            img = img.crop((x, 0, x + limit, h))
        else:
            y = (h - limit) // 2
            img = img.crop((0, y, w, y + limit))
    return img


def colour_only(items: Sequence[ImageItem]) -> tuple[list[ImageItem], int]:
    """`items` without the pictures that hold no colour -> (kept, how many left out).

    A grey example teaches a colour model grey: ImageNet holds some grey JPEGs, and the
    shared clips a black-and-white film. Each picture is looked at (a 64-px thumbnail in
    about a tenth of a millisecond); a clip is judged as a whole by its first, middle and
    last listed frames, all grey or none."""
    frames: dict[Path, list[ImageItem]] = {}
    for it in items:
        if it.frame is not None:
            frames.setdefault(it.path, []).append(it)
    grey_clips = {
        path
        for path, its in frames.items()
        if all(_is_grey(load_rgb(its[k])) for k in sorted({0, len(its) // 2, len(its) - 1}))
    }
    kept = [
        it
        for it in items
        if (it.path not in grey_clips if it.frame is not None else not _is_grey(load_rgb(it)))
    ]
    return kept, len(items) - len(kept)


def colour_items(
    data: Sequence[str | Path],
    *,
    video_every: int = 30,
    skip_grey: bool = True,
    say: Callable[[str], None] = print,
) -> list[ImageItem]:
    """`collect_items` for a colour model: without the pictures that hold no colour (said)."""
    items = collect_items(data, video_every=video_every)
    if not skip_grey:
        return items
    kept, grey = colour_only(items)
    if grey:
        say(f"left out {grey} pictures without colour (grey photos, black-and-white clips)")
    return kept


def _is_grey(img: Image.Image) -> bool:
    arr = np.asarray(img, dtype=np.int16)
    return int(np.abs(arr - arr.mean(axis=2, keepdims=True)).max()) <= 2


def _unique_member(item: ImageItem, used: set[str]) -> str:
    stem = os.path.splitext(os.path.basename(item.key))[0]
    if item.frame is not None:
        stem = f"{item.path.name}@f{item.frame:06d}"
    name = f"{stem}.jpg"
    n = 1
    while name in used:  # same file name in two folders: keep both, the split may differ
        name = f"{stem}~{n}.jpg"
        n += 1
    used.add(name)
    return name


class _ShardWriter:
    """A stored zip written under a temporary name and renamed when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.zf = zipfile.ZipFile(self.tmp, "w", compression=zipfile.ZIP_STORED)
        self.count = 0

    def add(self, name: str, data: bytes) -> None:
        self.zf.writestr(name, data)
        self.count += 1

    def close(self) -> int:
        try:
            self.zf.close()
            os.chmod(self.tmp, 0o644)
            os.replace(self.tmp, self.path)
        except OSError as err:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)
            raise OutputError(f"cannot write shard ({err.strerror})", path=self.path) from None
        return self.path.stat().st_size


def iter_batches(
    dataset: Dataset, indices: Iterable[int], batch: int
) -> Iterator[tuple[Tensor, Tensor]]:
    """Stack examples of `dataset` at `indices` into batches, in this process."""
    chunk: list[tuple[Tensor, Tensor]] = []
    for i in indices:
        chunk.append(dataset[i])
        if len(chunk) == batch:
            yield torch.stack([g for g, _ in chunk]), torch.stack([b for _, b in chunk])
            chunk = []
    if chunk:
        yield torch.stack([g for g, _ in chunk]), torch.stack([b for _, b in chunk])


__all__ = [
    "MATRIX",
    "ColorDataset",
    "ImageItem",
    "StreamSampler",
    "TrainStream",
    "collect_items",
    "colour_items",
    "colour_only",
    "describe_items",
    "is_heldout",
    "packed_frame",
    "iter_batches",
    "load_rgb",
    "make_example",
    "pack_shards",
    "rgb_to_example",
    "split_items",
    "square_view",
]
