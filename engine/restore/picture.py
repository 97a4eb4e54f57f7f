"""One photograph restored into another: the film's stages on one frame, written as a picture.

A photo is a film of one frame and one shot, so it goes through the very stages a
film frame does (`stages.build_stages`: the same models, seeds and picks), but
not through the film's machinery: no threads, no chunks, no job folder to
resume, since there is one frame to lose. What differs is the way in and out:

* In: `media.read_picture` (Pillow, with the metadata), turned into float
  planes with the full-range BT.601 matrix, JPEG's own and the one the
  colorizer was trained in, computed from the stored samples without rounding.
* Out: the output's extension decides the format (`media.picture_format`); the
  depth is the input's (16-bit PNG/TIFF stay 16-bit; JPEG and WebP are 8-bit,
  and say so). RGB comes back from the planes with the luma kept
  (`color.ycbcr_to_rgb_keep_luma`): a colour outside RGB loses saturation, not
  brightness, so the written picture's luma is the input's within rounding.
  With no stage, the samples are written as read: the luma is bit-exact.
* The metadata travels (`media.picture_write`): ICC profile (dropped, with a
  note, when it cannot describe the output, e.g. a grey profile on a colorized
  picture), DPI (scaled with an upscale, so the print size stays), EXIF without
  its thumbnail, and what Panchro did in the Software tag. The EXIF orientation
  is applied to the pixels as they are read and the tag set to 1
  (`media.picture`), so the stages see the picture upright.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.imaging import color
from panchro.engine.progress import Progress, within
from panchro.engine.restore.batch import FrameBatch, Stage, check_result
from panchro.engine.restore.crop import CropStage, cropped, cut_picture, cut_planes
from panchro.engine.restore.summary import RestoreSummary
from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.project import Pick
    from panchro.engine.restore.frame_preview import PreviewFrame

MATRIX = "bt601"  # JPEG's (JFIF) full-range matrix; what the colorizer was trained in
DEFAULT_QUALITY = 95
_BAND_ROWS = 256  # rows converted at a time: no picture-sized float copies beyond the planes


class PictureFilm:
    """The picture as the one-frame film a stage's `begin_shot` reads its key frame from."""

    def __init__(self, path: str, y: np.ndarray, bits: int) -> None:
        from panchro.engine.media import MediaInfo

        h, w = y.shape
        self._y = y
        self.info = MediaInfo(
            path=path,
            kind="image",
            container=None,
            codec="picture",
            width=w,
            height=h,
            pix_fmt="gray16le" if bits > 8 else "gray",
            bit_depth=bits,
            frame_count=1,
            fps=Fraction(24),
            is_vfr=False,
            duration_s=1 / 24,
            time_base=Fraction(1, 24),
            sample_aspect_ratio=Fraction(1),
            rotation=0,
            color_matrix=MATRIX,
            color_range="full",
            color_primaries=None,
            color_transfer=None,
            audio=(),
            subtitles=(),
            other_streams=(),
        )

    def read_frame(
        self,
        index: int,
        *,
        fmt: str = "gray",
        size: tuple[int, int] | None = None,
        conceal: bool = False,  # as a film's: a picture in memory has no damaged frame
    ) -> Any:
        from PIL import Image

        from panchro.engine.media import Frame

        if index != 0:
            raise IndexError(f"frame {index} is outside 0..0")
        if fmt not in ("gray", "gray16"):
            raise ValueError(f"a picture's key frame is read as grey, not {fmt}")
        y = self._y
        if size is not None and size != (y.shape[1], y.shape[0]):
            small = Image.fromarray(np.ascontiguousarray(y, np.float32)).resize(
                size, Image.Resampling.BOX
            )
            y = np.asarray(small, np.float32)
        dtype = np.uint16 if fmt == "gray16" else np.uint8
        return Frame(0, 0, self.info.time_base, color.from_float(y, dtype))


def _planes(pixels: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Float planes of stored samples: luma (1, H, W) in [0, 1], chroma (1, 2, H, W)."""
    h, w = pixels.shape[:2]
    y = np.empty((1, h, w), np.float32)
    cbcr = np.zeros((1, 2, h, w), np.float32)
    if pixels.ndim == 2:
        y[0] = color.to_float(pixels)
        return y, cbcr
    for r in range(0, h, _BAND_ROWS):
        ycc = color.rgb_to_ycbcr(pixels[r : r + _BAND_ROWS], matrix=MATRIX)
        y[0, r : r + _BAND_ROWS] = ycc[..., 0]
        cbcr[0, :, r : r + _BAND_ROWS] = np.moveaxis(ycc[..., 1:], -1, 0)
    return y, cbcr


def _samples(y: np.ndarray, cbcr: np.ndarray | None, dtype: type) -> np.ndarray:
    """Stored samples from float planes (H, W) and (2, H, W): grey when `cbcr` is None."""
    if cbcr is None:
        return color.from_float(y, dtype)
    h, w = y.shape
    out = np.empty((h, w, 3), dtype)
    for r in range(0, h, _BAND_ROWS):
        c = np.moveaxis(cbcr[:, r : r + _BAND_ROWS], 0, -1)
        rgb = color.ycbcr_to_rgb_keep_luma(y[r : r + _BAND_ROWS], c, matrix=MATRIX)
        out[r : r + _BAND_ROWS] = color.from_float(rgb, dtype)
    return out


def _to_eight_bits(a: np.ndarray) -> np.ndarray:
    """16-bit samples to 8, rounded to nearest (65535 -> 255)."""
    return ((a.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def _resize_alpha(alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    if (alpha.shape[1], alpha.shape[0]) == size:
        return alpha
    img = Image.fromarray(color.to_float(alpha)).resize(size, Image.Resampling.BICUBIC)
    return color.from_float(np.asarray(img, np.float32), alpha.dtype)


def _check_memory(input: str | os.PathLike[str], stages: Sequence[Stage]) -> None:
    """MemoryLimitError before the picture is decoded when its restore would not fit."""
    from PIL import Image

    from panchro.engine.inference.refine import working_shape
    from panchro.engine.restore import memory
    from panchro.engine.restore.stages import ColorizeStage

    try:
        with Image.open(input) as im:  # the header only: no pixels are decoded
            size = (int(im.width), int(im.height))
    except Exception:  # noqa: BLE001 - not a picture: read_picture says why, in its words
        return
    out = size
    for stage in stages:
        out = tuple(int(v) for v in stage.output_size(*out))  # type: ignore[assignment]
    working = 0
    for stage in stages:
        if isinstance(stage, ColorizeStage):
            side = stage.working_size()
            if side:
                h, w = working_shape(min(size), max(size), side)
                working = h * w
    kinds = [memory.stage_kind(st.key) for st in stages]
    peak = memory.picture_estimate(size, out, kinds, working)
    memory.check_picture(peak, size)


# Said of a picture in colour that keeps its own colours: mixed in with black-and-white ones
# (an album of a family's photos), its colours are the real ones, which no model draws better.
# How to colour it anew is each front end's to say (the app: a colour mode picked; the
# command line: --recolour).
OWN_COLOURS_KEPT = "in colour already: its own colours kept"
RECOLOURED = "in colour already: coloured anew (--recolour)"
OWN_STRENGTH = "the colours' strength is for colours drawn; its own are kept as they are"
# Said of a picture with colours of one hue that its grey does not explain: an old print's
# yellowing and stains, or a colour photo of few colours, which the test cannot tell apart
# (`color.in_colour`); colorized, as a print is, and said, as a photo would want.
MAYBE_IN_COLOUR = (
    "colours of one hue of its own (an old print's stains, or a colour photo's): colorized"
)


def colour_figures_of(
    path: str | os.PathLike[str], negative: bool, levels: tuple[float, ...] | str | None
) -> color.Figures:
    """`color.colour_figures` of the picture at `path`, judged on a copy `color.JUDGED_SIDE`
    read as asked (a negative turned positive, its levels stretched). Kept for the same file
    unchanged: an album's hint previews ask at every edit, and a big PNG decodes in seconds."""
    st = os.stat(path)
    read = tuple(levels) if isinstance(levels, list | tuple) else levels  # hashable
    key = (os.fspath(path), st.st_size, st.st_mtime_ns, bool(negative), read)
    return _judged(*key)


@functools.lru_cache(maxsize=256)
def _judged(
    path: str, _size: int, _mtime: int, negative: bool, levels: tuple[float, ...] | str | None
) -> color.Figures:
    from panchro.engine.media.thumbnail import picture_preview

    rgb, _ = picture_preview(path, color.JUDGED_SIDE)
    return color.colour_figures(values_read(rgb, None, negative, levels, []))


def own_colours(
    pic: Any, stages: Sequence[Stage], pick: Pick | None, figures: Callable[[], Any]
) -> tuple[Pick | None, list[str]]:
    """(the pick to colour the picture by, what to say of its colours). Where `stages`
    colorize a picture that nobody chose colours for (no person's pick, no reference picture
    lending them, the stage not told to colour it anew: `recolour`): a picture in colour
    (`color.in_colour_by` its `figures()`, `colour_figures_of`) keeps its own colours, its
    hints laid over them; one that may be is colorized, and said to be. Otherwise `pick`."""
    from panchro.engine.project import own_pick
    from panchro.engine.restore.stages import ColorizeStage

    stage = next((st for st in stages if isinstance(st, ColorizeStage)), None)
    if pick is not None or pic.grey or stage is None or stage.reference is not None:
        return pick, []
    judged = figures()
    if not color.in_colour_by(judged):
        return None, [MAYBE_IN_COLOUR] if color.one_hue_by(judged) else []
    if stage.recolour:
        return None, [RECOLOURED]
    weaker = [] if stage.strength == 1.0 else [OWN_STRENGTH]
    return own_pick(), [OWN_COLOURS_KEPT, *weaker]


def pick_words(pick: Pick) -> str:
    """A person's pick as a picture's Software tag says it: where its colours came from, so
    that they can be made again (a colour picture's or a carried pick's is no drawn mode)."""
    named = f" {pick.name}" if pick.name else ""
    return {
        "reference": f"colorized (the colours of the picture{named})",
        "carried": f"colorized (colours carried from{named or ' another picture'})",
        "grey": "kept black and white",
        "tint": f"tinted{named or ' in a colour'}",
        "tone": f"toned{named or ' in a colour'}",
        "own": "its own colours kept (in colour already)",
    }.get(pick.source, f"colorized (colour mode {pick.index + 1} of seed {pick.seed}, picked)")


def describe_stages(stages: Sequence[Stage], pick: Pick | None = None) -> str:
    """What the stages do, in words, for the picture's Software tag (`pick`: a person's)."""
    from panchro.engine.restore.dust import DustStage
    from panchro.engine.restore.stages import ColorizeStage, UpscaleStage

    parts = []
    for st in stages:
        if isinstance(st, ColorizeStage):
            n = 0 if st.hints is None or st.hints.empty else len(st.hints)
            hints = f"{n} colour hint{'s' if n != 1 else ''}"
            if pick is None and st.reference is not None:  # --reference: lent where it fits
                named = f"the picture {st.reference_name}" if st.reference_name else "a picture"
                words = f"colorized (the colours of {named})" + (f", with {hints}" if n else "")
            elif pick is None:
                words = (f"colorized from {hints}" if n else
                         f"colorized (automatic pick, seed {st.seed})")  # fmt: skip
            else:
                words = pick_words(pick) + (f", with {hints}" if n else "")
            # the strength is part of how they were made again (`--colour-strength`)
            strong = f" at colour strength {st.strength:g}" if st.strength != 1.0 else ""
            parts.append(words + strong if words.startswith("colorized") else words)
        elif isinstance(st, UpscaleStage):
            what = f"upscaled x{st.scale}" if st.scale > 1 else "cleaned"
            what += f" ({st.kind} model"
            what += f", degrain {st.degrain:g}" if st.degrain > 0 else ""
            what += f", regrain {st.regrain:g}" if st.regrain > 0 else ""
            parts.append(what + ")")
        elif isinstance(st, DustStage):
            parts.append(f"dust filled (speck finder, strength {st.strength:g})")
        elif isinstance(st, CropStage):
            continue  # the border cut is said with how the picture was read
        else:
            parts.append(st.key.split(":")[0])
    return ", ".join(parts) if parts else "re-saved (no restoration stage)"


def ready_for_pictures(stages: Sequence[Stage]) -> None:
    """Whatever the stages need to restore a photograph, loaded now: ModelMissingError before
    any work, not at the first picture (the dust stage's speck finder, which a film needs only
    for a shot of one or two frames, so it loads it when it meets one)."""
    for stage in stages:
        ready = getattr(stage, "ready_for_pictures", None)
        if ready is not None:
            ready()


def restore_picture(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    stages: Sequence[Stage] | None = None,
    quality: int | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    threads: int | None = None,
    pick: Pick | None = None,
    crop: tuple[int, int, int, int] | str | None = None,
    straighten: bool = False,
    negative: bool = False,
    levels: tuple[float, ...] | str | None = None,
) -> RestoreSummary:
    """Restore the photograph `input` into the picture `output`; PanchroError says why not.

    `threads`: torch's CPU threads for the stages (default: a film run's, `$PANCHRO_THREADS`
    or the usable cores; an album asks for its own, `restore.album`). `pick`: the colour mode
    a person chose for this picture, as a film's shot has one (without it the colorize
    stage makes its seeded automatic pick). `crop`: the border to cut off round the picture
    (left, top, right, bottom, in the upright picture's pixels), or "auto": the picture's own
    black or paper-white border, found when it is read (`imaging.borders.picture_borders`);
    the colours are made for the picture inside it (`restore.crop.cropped`). `straighten`: a
    print scanned crooked turned square first (`imaging.skew`; its pixels resampled), before
    its border is found. `negative`: a scanned negative, its values turned over first.
    `levels`: a faded print's black and white points stretched to the full range (the
    picture's own, measured inside its border, for "auto": `media.levels.picture_points`),
    after `negative`; None: its values as they are.

    The output's extension decides its format (.jpg/.jpeg, .png, .tif/.tiff, .webp).
    `quality` (1..100, default 95) is for JPEG and WebP only; the others are lossless
    and refuse it. Everything is checked before the picture is decoded where it can
    be (extension, quality, output path); nothing is written unless the whole picture is.
    """
    from panchro.engine import __version__, media

    stages = list(stages or [])
    fmt = media.picture_format(output)
    if quality is not None:
        if fmt not in media.LOSSY:
            raise BadInputError(f"--quality is for JPEG and WebP; {fmt} is written lossless")
        if not 1 <= int(quality) <= 100:
            raise BadInputError(f"--quality must be within 1..100, got {quality}")
    out = media.check_output_path(output, inputs=[input], overwrite=overwrite)
    start = time.monotonic()
    if progress is None:
        progress = Progress(None)
    if progress.total is None:
        progress.total = 1
    progress.check_cancel()
    ready_for_pictures(stages)  # a model a picture needs and the stage loads late: named now
    _check_memory(input, stages)  # from the header: a picture too big is refused unread
    pic = media.read_picture(input)
    notes = list(pic.notes)
    read: list[str] = []  # how it was read, for the Software tag
    pic, margins = prepared(
        pic, crop, notes, straighten, negative=negative, levels=levels, done=read
    )
    pick, said = own_colours(pic, stages, pick, lambda: colour_figures_of(input, negative, levels))
    notes += said
    with cropped(stages, margins) as stages:
        w, h = pic.size
        for stage in stages:
            w, h = (int(v) for v in stage.output_size(w, h))
        media.check_picture_size(fmt, w, h)
        t0 = time.perf_counter()
        pixels, alpha = _restored(pic, stages, progress, threads, pick)
        stages_s = time.perf_counter() - t0
    if alpha is not None:
        alpha = _resize_alpha(cut_picture(alpha, margins), (w, h))
    if fmt in media.EIGHT_BIT_ONLY and pixels.dtype == np.uint16:
        notes.append(f"16-bit picture written as 8-bit: {fmt} holds no more")
        pixels = _to_eight_bits(pixels)
        alpha = None if alpha is None else _to_eight_bits(alpha)
    if alpha is not None and fmt == "JPEG":
        notes.append("alpha channel dropped: JPEG has none (write .png, .tif or .webp to keep it)")
        alpha = None
    icc = pic.icc
    space = media.icc_colour_space(icc)
    wanted = "GRAY" if pixels.ndim == 2 else "RGB"
    if icc and space != wanted:
        notes.append(
            f"the input's {space or 'unreadable'} colour profile cannot describe the "
            f"{'grey' if wanted == 'GRAY' else 'colour'} output and was left out (read as sRGB)"
        )
        icc = None
    # the print's size changes with the pixels an upscale adds, not with those a crop cuts
    scale = w / (pic.size[0] - (0 if margins is None else margins[0] + margins[2]))
    dpi = None if pic.dpi is None else (pic.dpi[0] * scale, pic.dpi[1] * scale)
    software = f"Panchro {__version__}: {', '.join([*read, describe_stages(stages, pick)])}"
    progress.check_cancel()  # the last moment a cancel leaves nothing written
    t0 = time.perf_counter()
    media.write_picture(
        out,
        pixels,
        alpha,
        fmt=fmt,
        quality=DEFAULT_QUALITY if quality is None else int(quality),
        icc=icc,
        dpi=dpi,
        exif=pic.exif,
        text=pic.text if fmt == "PNG" else None,
        software=software,
        xmp=pic.xmp,
    )
    encode_s = time.perf_counter() - t0
    # Written whole: counted even when a cancel came meanwhile (an album records it as done).
    # An album names the picture in `stage`; said again with its count, not replaced.
    progress.advance(stage=progress.stage or "picture", check=False)
    progress.finish()
    seconds = time.monotonic() - start
    return RestoreSummary.of_picture(
        input, out, fmt, seconds, (w, h), notes, stages, stages_s=stages_s, encode_s=encode_s
    )


def _grey8(pic: Any) -> np.ndarray:
    """The picture's grey (H, W) uint8, what its border and skew are judged on."""
    return _grey8_of(pic.pixels)


def _grey8_of(pixels: np.ndarray) -> np.ndarray:
    from PIL import Image

    px = pixels if pixels.dtype == np.uint8 else (pixels >> 8).astype(np.uint8)
    return px if px.ndim == 2 else np.asarray(Image.fromarray(px, "RGB").convert("L"))


def _border_of(pixels: np.ndarray) -> tuple[int, int, int, int] | None:
    """The border round the picture `pixels` (`imaging.borders.picture_borders`), or None."""
    from panchro.engine.imaging.borders import picture_borders

    found = picture_borders(_grey8_of(pixels))
    return found if any(found) else None


def _auto_points(
    pixels: np.ndarray, margins: tuple[int, int, int, int] | None, square: bool
) -> Any:
    """`levels` "auto" of a picture (`media.levels.picture_points`), judged on the picture
    alone: inside `margins` or the border found round it. A print scanned crooked (and not
    `square`, straightened already) is judged on a straightened copy inside the border found
    on that: its paper and the scanner's lid run at a slant into every straight border, and
    taken for the print's white and black they left a faded print unstretched."""
    from panchro.engine.imaging import skew
    from panchro.engine.media import levels as film_levels

    if not square:
        angle = skew.find_skew(_grey8_of(pixels))
        if angle:
            turned = skew.straighten(pixels, angle)
            return film_levels.picture_points(turned, _border_of(turned))
    return film_levels.picture_points(pixels, margins or _border_of(pixels))


def read_as(
    pic: Any,
    margins: tuple[int, int, int, int] | None,
    negative: bool,
    levels: tuple[float, ...] | str | None,
    notes: list[str],
    done: list[str] | None = None,
    *,
    square: bool = False,
) -> Any:
    """`pic` with its values read as asked (`restore_picture`'s `negative` and `levels`): a
    negative turned positive, then its levels stretched; what was done said in `notes`, and
    in `done` in a few words (a picture's Software tag). `square`: straightened already."""
    from dataclasses import replace

    pixels = values_read(pic.pixels, margins, negative, levels, notes, done, square=square)
    return pic if pixels is pic.pixels else replace(pic, pixels=pixels)


def values_read(
    pixels: np.ndarray,
    margins: tuple[int, int, int, int] | None,
    negative: bool,
    levels: tuple[float, ...] | str | None,
    notes: list[str],
    done: list[str] | None = None,
    *,
    square: bool = False,
) -> np.ndarray:
    """A picture's pixels (grey or RGB, 8 or 16 bits) read as `read_as` says: the restore's
    and the album's thumbnails alike (`levels` "auto": measured inside `margins`, or else
    inside the border found round the picture; a crooked print's on a straightened copy unless
    `square`, straightened already: `_auto_points`)."""
    from panchro.engine.media import levels as film_levels

    if negative:
        top = 65535 if pixels.dtype == np.uint16 else 255
        pixels = (top - pixels.astype(np.int32)).astype(pixels.dtype)
        notes.append("a negative, turned positive")
        if done is not None:
            done.append("a negative turned positive")
    if levels == "auto":  # judged on the picture, not on the paper or lid round it, cut or not
        levels = _auto_points(pixels, margins, square)
        if levels is None:
            notes.append("levels: too little range to measure; its values as they are")
    if levels is not None:
        points = film_levels.check_points(levels)
        fmt = "gray" if pixels.ndim == 2 else "rgb24"  # full range; the dtype says the bits
        pixels = film_levels.stretch(pixels, fmt, points, limited=False)
        notes.append(f"levels: {film_levels.describe(points)}, stretched to the full range")
        if done is not None:
            done.append(f"levels stretched ({film_levels.describe(points)})")
    return pixels


def prepared(
    pic: Any,
    crop: Any,
    notes: list[str],
    straighten: bool = False,
    *,
    negative: bool = False,
    levels: tuple[float, ...] | str | None = None,
    done: list[str] | None = None,
) -> tuple[Any, tuple[int, int, int, int] | None]:
    """The picture `pic` read as the stages take it, and `restore_picture`'s `crop` of it
    (found when "auto"; checked against its size; None: nothing to cut): first turned square
    when `straighten` (a print laid crooked on the scanner: `imaging.skew`), then its values
    read as `negative` and `levels` say (`read_as`, judged inside the border). What was done
    is said in `notes`, and in a few words in `done` (a picture's Software tag)."""
    pic, margins = _turned_and_cut(pic, crop, notes, straighten, done)
    return read_as(pic, margins, negative, levels, notes, done, square=straighten), margins


def preview_read(
    path: str | os.PathLike[str],
    max_side: int,
    *,
    straighten: bool = False,
    crop: str | None = None,
    negative: bool = False,
    levels: str | None = None,
) -> tuple[np.ndarray, tuple[int, int], list[str]]:
    """A preview of the picture at `path` as a restore reads it (an album's grid, the one
    picture in view): turned square and its border ("auto" `crop`) cut off as `prepared`
    does, judged on a copy at least `skew.ANALYSIS` px long (the size the angle is found at
    in the restore too), then its values read as `negative` and `levels` say; shrunk to
    `max_side`. (RGB uint8, the picture's own upright (width, height), what was done in a
    few words: no pixel counts, which are the preview's.)"""
    from panchro.engine.imaging.skew import ANALYSIS
    from panchro.engine.media.picture import Picture
    from panchro.engine.media.thumbnail import fit_preview, picture_preview

    judged = straighten or crop is not None
    rgb, size = picture_preview(path, max(max_side, ANALYSIS) if judged else max_side)
    done: list[str] = []
    if judged:
        pic = Picture(os.fspath(path), "preview", rgb, None, 8)
        pic, margins = _turned_and_cut(pic, crop, [], straighten, done)
        rgb = pic.pixels
        if margins is not None:
            left, top, right, bottom = margins
            rgb = rgb[top : rgb.shape[0] - bottom, left : rgb.shape[1] - right]
        done = ["border cut" if d.startswith("border cut") else d for d in done]
    rgb = values_read(rgb, None, negative, levels, [], done, square=straighten)
    return fit_preview(rgb, max_side), size, done


def _turned_and_cut(
    pic: Any, crop: Any, notes: list[str], straighten: bool, done: list[str] | None = None
) -> tuple[Any, tuple[int, int, int, int] | None]:
    from dataclasses import replace

    from panchro.engine.imaging import skew
    from panchro.engine.imaging.borders import picture_borders
    from panchro.engine.restore.crop import crop_size

    angle = skew.find_skew(_grey8(pic)) if straighten else 0.0
    if angle:
        turned = skew.straighten(pic.pixels, angle)
        alpha = None if pic.alpha is None else skew.straighten(pic.alpha, angle)
        pic = replace(pic, pixels=turned, alpha=alpha)
        notes.append(f"straightened: turned {angle:+.2f}° (it lay crooked when scanned)")
        if done is not None:
            done.append(f"straightened ({angle:+.2f}°)")
    elif straighten:
        notes.append("straight already: not turned")
    if crop is None:
        return pic, None
    if crop == "auto":
        found = picture_borders(_grey8(pic))
        if not any(found):
            notes.append("no border round the picture found: nothing cut")
            return pic, None
        if angle:  # the turn softened the picture's edge by a pixel: that pixel is cut too
            found = tuple(m + 1 if m else 0 for m in found)  # type: ignore[assignment]
        notes.append("border cut: {}, {}, {}, {} px (left, top, right, bottom)".format(*found))
        crop = found
    margins = tuple(int(v) for v in crop)
    if len(margins) != 4 or min(margins) < 0:
        raise BadInputError(f"a crop is four pixel counts of 0 or more, got {crop}")
    crop_size(margins, *pic.size)  # type: ignore[arg-type]
    if done is not None and any(margins):
        done.append("border cut ({}, {}, {}, {} px)".format(*margins))
    return pic, (None if not any(margins) else margins)  # type: ignore[return-value]


def picture_film(pic: Any) -> PictureFilm:
    """A picture read by `media.read_picture` as the one-frame film the stages read its key
    frame from: what `sample_picture` shows the colorizer, as a restore's automatic pick
    sees it (upright, full-range BT.601 luma)."""
    y, _ = _planes(pic.pixels, pic.bits)
    return PictureFilm(pic.path, y[0], pic.bits)


def _through(
    pic: Any, stages: list[Stage], progress: Progress, threads: int | None, pick: Pick | None
) -> tuple[FrameBatch, FrameBatch, Pick | None]:
    """(the picture's planes, the planes after `stages`, the pick used: `pick`, or the one the
    colorize stage made)."""
    from panchro.engine.inference import device as compute

    # The thread count a film's run fixes, so the same picture gives the same bits.
    compute.fix_threads(threads)
    for stage in stages:  # what a stage says it did is said of this picture alone
        if hasattr(stage, "begin_run"):
            stage.begin_run()
    y, cbcr = _planes(pic.pixels, pic.bits)
    film = PictureFilm(pic.path, y[0], pic.bits)
    shot = Shot(0, 1, 0)
    used = pick
    for stage in stages:
        chosen = stage.begin_shot(0, shot, used, film)  # type: ignore[arg-type]
        if chosen is not None:
            used = chosen
    batch = FrameBatch(
        y=y,
        cbcr=cbcr,
        indices=np.zeros(1, np.int64),
        pts=np.zeros(1, np.int64),
        time_base=film.info.time_base,
        shot=0,
        matrix=MATRIX,
    )
    del y, cbcr
    before = batch
    n = len(stages)
    for k, stage in enumerate(stages):
        size = stage.output_size(*batch.size)
        with within(progress, 1, k, n + 1):
            result = stage.process(batch)
        check_result(stage, batch, result, size)
        batch = result
    return before, batch, used


def _restored(
    pic: Any,
    stages: list[Stage],
    progress: Progress,
    threads: int | None = None,
    pick: Pick | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The picture's samples after the stages (as read when there is none), and its alpha."""
    if not stages:
        return pic.pixels, pic.alpha
    _, batch, _ = _through(pic, stages, progress, threads, pick)
    colour = not pic.grey or bool(np.any(batch.cbcr))
    dtype = np.uint16 if pic.bits > 8 else np.uint8
    return _samples(batch.y[0], batch.cbcr[0] if colour else None, dtype), pic.alpha


def preview_picture(
    input: str | os.PathLike[str],
    stages: Sequence[Stage],
    *,
    pick: Pick | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    crop: tuple[int, int, int, int] | str | None = None,
    notes: list[str] | None = None,
    whole: bool = False,
    straighten: bool = False,
    negative: bool = False,
    levels: tuple[float, ...] | str | None = None,
) -> PreviewFrame:
    """The photograph `input` before and after `stages`, exactly as `restore_picture` would
    make it (the same planes, pick and seed, the border cut by `crop` as it cuts it; before
    cut alike; with `whole`, not cut: the colours made inside it, the border left grey), for
    looking: RGB floats and the luma moved. What the crop found is said in `notes`. Read as a
    negative or with its levels stretched, and cut, `coded` is the picture as its file holds
    it (the compare view's before)."""
    from panchro.engine import media
    from panchro.engine.restore.frame_preview import PreviewFrame

    pic = media.read_picture(input)
    said = [] if notes is None else notes
    filed, margins = _turned_and_cut(pic, crop, said, straighten)
    pic = read_as(filed, margins, negative, levels, said, square=straighten)
    pick, colours = own_colours(
        pic, stages, pick, lambda: colour_figures_of(input, negative, levels)
    )
    said += colours
    with cropped(list(stages), margins, cut=not whole) as used_stages:
        before, after, used = _through(pic, used_stages, progress or Progress(None), threads, pick)
    coded = None
    if (negative or levels is not None) and not whole:  # compare: as its file holds it too
        coded, _, _ = _through(filed, [], Progress(None), threads, None)
    if margins is not None and not whole:
        before = before.map_planes(lambda planes: cut_planes(planes, margins))
        if coded is not None:
            coded = coded.map_planes(lambda planes: cut_planes(planes, margins))
    y_in, y_out = before.y[0], after.y[0]
    if y_out.shape != y_in.shape:  # compared at the picture's own size, as a film's preview
        from PIL import Image

        img = Image.fromarray(np.ascontiguousarray(y_out, np.float32))
        y_out = np.asarray(img.resize(y_in.shape[::-1], Image.Resampling.BOX), np.float32)

    def rgb(b: FrameBatch) -> np.ndarray:
        # As the picture is written (`_samples`): a colour RGB cannot hold loses saturation,
        # not brightness.
        chroma = np.moveaxis(b.cbcr[0], 0, -1)
        return color.ycbcr_to_rgb_keep_luma(b.y[0], chroma, matrix=MATRIX)

    words = ["a negative turned positive"] if negative else []
    if levels is not None:
        words.append("levels stretched" + ("" if isinstance(levels, str) else
                     f" from {levels[0]:.0%}–{levels[1]:.0%}"))  # fmt: skip
    return PreviewFrame(
        index=0,
        before=rgb(before),
        after=rgb(after),
        luma_diff=np.abs(y_out - y_in),
        pick=used,
        coded=None if coded is None else rgb(coded),
        read_as="; ".join(words),
    )
