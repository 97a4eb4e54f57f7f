"""Shot detection: where a film cuts, and one key frame per shot.

Not PySceneDetect: it pulls in OpenCV, a large dependency for what is a page of numpy here.

How it works, one pass over small grey frames (160 px wide by default):

1. Each frame becomes a few features: a histogram of its luma after
   brightness/contrast normalisation (so film flicker, a global gain and
   offset, does not count as change), a 16-column thumbnail of block means
   normalised the same way (block means average grain away, and a moving
   object touches few blocks), and a sharpness figure.
2. The distance between consecutive frames mixes the histogram distance
   (insensitive to motion) and the thumbnail distance (sees a change of scene
   whose histogram happens to match), on a 0..1 scale: about 0 for the same
   picture, about 1 for unrelated pictures. The thumbnail distance leaves out
   the quarter of blocks that changed most: at a cut every block changes, when
   something big moves only some do.
3. A cut is a distance that is a clear outlier in its neighbourhood: above an
   absolute floor (`threshold`) and several times the local median, so a pan
   or a hand-held shot, busy all along, does not cut on every frame. A
   candidate is dropped when a frame just before it resembles a frame just
   after it (a flash, a flicker spike, something crossing the lens), and
   shots are at least `min_shot_s` long (the stronger of two close cuts wins).
4. Key frame per shot: sharp (variance of the Laplacian on ~56 px block
   means, so grain does not pass for detail, relative to the frame's contrast)
   and near the middle: sharpness is weighted down towards the ends of the
   shot, so a frame at the edge must be clearly sharper to win.

5. How much the film flickers (`CutAnalysis.flicker`), from the same small frames: for
   each frame, how far the deflicker stage would move its luma quantiles towards what
   its neighbours say (`imaging.flicker`), and the median of that over the frames whose
   neighbours are all in their shot. About 0.1-0.9 grey levels for steady footage (a
   phone camera's exposure hunting counts), over 1 for a film that flickers.

Hard cuts only: a dissolve or a slow fade has no outlier frame and stays
inside one shot; a jump cut within an unchanged scene (same set-up, a few
seconds dropped) may too, which costs nothing for colour.

Streaming: memory is constant in the film's length apart from one distance, one
sharpness value and one flicker figure per frame; features are kept for a short
window only.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.imaging import flicker

if TYPE_CHECKING:
    from panchro.engine.media import Source
    from panchro.engine.progress import Progress

DEFAULT_THRESHOLD = 0.3  # absolute floor on the 0..1 distance for a cut
LOCAL_RATIO = 3.0  # a cut's distance is at least this times the local median
LOCAL_HALF_WINDOW = 12  # frames either side for the local median
TRANSIENT_SPAN = 4  # frames either side compared to tell a flash (up to 3 frames) from a cut
TRANSIENT_RATIO = 0.5  # ... a flash if a before/after pair is closer than this x the jump
MIN_SHOT_S = 0.4
MIN_SHOT_FRAMES = 4  # whatever the frame rate
EDGE_WEIGHT = 0.5  # sharpness weight at a shot's first/last frame (1 in the middle)

_HIST_BINS = 32
_HIST_SPAN = 2.5  # normalised luma histogram over [-2.5, 2.5] standard deviations
_THUMB_COLS = 16
_STD_FLOOR = 2.0  # grey levels (of 255): flatter frames are not blown up to unit contrast
_SHARPNESS_WIDTH = 56  # px: the scale at which sharpness is measured
_THUMB_KEEP = 0.75  # the thumbnail distance averages the blocks that changed least
_UNRELATED = 0.7282  # that mean for unrelated thumbnails (independent unit normals)
_HIST_WEIGHT = 0.25  # of the distance; the thumbnail has the rest


# The stages a person may leave out of one shot while the film has them: dust taken for
# snow or sparks, a rope taken for a scratch, a flash evened out, a shake meant.
SHOT_STAGES = ("scratches", "dust", "stabilize", "deflicker")


@dataclass(frozen=True)
class Shot:
    """Frames [start, end) of one shot, and the frame that represents it; `off`: the film's
    stages left out of this shot (names from SHOT_STAGES)."""

    start: int
    end: int  # exclusive
    key_frame: int
    off: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = set(self.off) - set(SHOT_STAGES)
        if unknown:
            raise ValueError(
                f"off: {', '.join(sorted(unknown))} is not a stage a shot can leave out "
                f"({', '.join(SHOT_STAGES)})"
            )
        object.__setattr__(self, "off", frozenset(self.off))

    @property
    def length(self) -> int:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": self.start, "end": self.end, "key_frame": self.key_frame}
        if self.off:
            d["off"] = sorted(self.off)
        return d

    @classmethod
    def of(cls, d: Any) -> Shot:
        """A shot as requests carry it (`{"start", "end", "key_frame", "off"}`, key frame
        and off optional); ValueError (or KeyError, TypeError) says what is wrong."""
        start, end = int(d["start"]), int(d["end"])
        off = d.get("off") or ()
        if not isinstance(off, (list, tuple)) or not all(isinstance(n, str) for n in off):
            raise ValueError("off: a list of stage names")
        return cls(start, end, int(d.get("key_frame", start)), frozenset(off))


@dataclass(frozen=True)
class CutAnalysis:
    """What `detect_cuts` found: the cuts, the shots, and the per-frame figures behind them."""

    cuts: tuple[int, ...]  # first frame of every shot but the first
    shots: tuple[Shot, ...]
    distances: np.ndarray  # float32 (n,): distance of frame i to frame i-1 (0 for frame 0)
    sharpness: np.ndarray  # float32 (n,)
    # How much the film flickers: the median, over frames whose window stays within a shot,
    # of how far (in grey levels of 255) deflicker would move each frame's luma quantiles
    # (its gain and offset towards what the neighbours say, `imaging.flicker`); None for a
    # film too short to tell.
    flicker: float | None = None

    @property
    def frame_count(self) -> int:
        return len(self.distances)


# --------------------------------------------------------------------------- features


@dataclass(frozen=True)
class FrameFeatures:
    """What the detector keeps of a frame (a few hundred numbers)."""

    hist: np.ndarray  # (_HIST_BINS,) float32, sums to 1
    thumb: np.ndarray  # (rows, cols) float32, normalised block means
    sharpness: float


def _as_grey(frame: np.ndarray) -> np.ndarray:
    g = np.asarray(frame)
    if g.ndim == 3 and g.shape[-1] == 1:
        g = g[..., 0]
    if g.ndim != 2 or g.size == 0:
        raise ValueError(f"expected a grey frame (H, W), got shape {g.shape}")
    if g.dtype == np.uint16:
        return g.astype(np.float32) * np.float32(255 / 65535)
    if g.dtype.kind == "f":
        return g.astype(np.float32) * np.float32(255)  # floats are taken as 0..1
    return g.astype(np.float32)


def _block_means(g: np.ndarray, rows: int, cols: int) -> np.ndarray:
    h, w = g.shape
    bh, bw = h // rows, w // cols
    return g[: rows * bh, : cols * bw].reshape(rows, bh, cols, bw).mean(axis=(1, 3))


def _thumb_shape(h: int, w: int) -> tuple[int, int]:
    cols = min(_THUMB_COLS, w)
    rows = min(h, max(2, round(cols * h / w)))
    return rows, cols


def _sharpness(g: np.ndarray, contrast: float) -> float:
    # On block means about 56 px wide (3x3 blocks of a 160 px frame): grain and
    # noise, which the Laplacian amplifies most, would otherwise look like detail
    # and make a blurred grainy frame "sharp".
    f = max(1, round(g.shape[1] / _SHARPNESS_WIDTH))
    if f > 1 and min(g.shape) >= 3 * f:
        g = _block_means(g, g.shape[0] // f, g.shape[1] // f)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]
    if lap.size == 0:
        return 0.0
    # Relative to the picture's contrast (measured on block means, which grain does not
    # inflate), so flicker, a gain, does not change which frame is sharpest.
    return float(lap.var()) / max(contrast, _STD_FLOOR) ** 2


def frame_features(frame: np.ndarray) -> FrameFeatures:
    """The features of one grey frame (uint8, uint16 or float in 0..1)."""
    g = _as_grey(frame)
    mean, std = float(g.mean()), float(g.std())
    z = (g - mean) / max(std, _STD_FLOOR)
    idx = np.clip(((z + _HIST_SPAN) * (_HIST_BINS / (2 * _HIST_SPAN))).astype(np.int64), 0, None)
    hist = np.bincount(np.minimum(idx, _HIST_BINS - 1).ravel(), minlength=_HIST_BINS)
    thumb = _block_means(g, *_thumb_shape(*g.shape))
    contrast = float(thumb.std())
    thumb = (thumb - thumb.mean()) / max(contrast, _STD_FLOOR)
    return FrameFeatures(
        hist=(hist / g.size).astype(np.float32),
        thumb=thumb.astype(np.float32),
        sharpness=_sharpness(g, contrast),
    )


def feature_distance(a: FrameFeatures, b: FrameFeatures) -> float:
    """0 for the same picture, about 1 for unrelated ones (never above 1)."""
    hist = 0.5 * float(np.abs(a.hist - b.hist).sum())
    if a.thumb.shape != b.thumb.shape:
        return 1.0
    # Leaving out the quarter of blocks that changed most keeps an object that
    # crosses part of the frame from looking like a cut, where every block changes.
    diff = np.sort(np.abs(a.thumb - b.thumb), axis=None)
    kept = diff[: max(1, round(_THUMB_KEEP * diff.size))]
    thumb = min(1.0, float(kept.mean()) / _UNRELATED)
    return _HIST_WEIGHT * hist + (1 - _HIST_WEIGHT) * thumb


# --------------------------------------------------------------------------- detection


class ShotDetector:
    """Streaming cut detection: `push` grey frames in order, then `finish`.

    Decisions lag `LOCAL_HALF_WINDOW` frames behind the input (the local
    median needs frames after the candidate), so only that many features are
    held, whatever the film's length.
    """

    def __init__(
        self,
        *,
        fps: float = 24.0,
        threshold: float | None = None,
        min_shot_s: float = MIN_SHOT_S,
    ) -> None:
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        fps = fps if fps and fps > 0 else 24.0
        self.min_shot = max(MIN_SHOT_FRAMES, round(min_shot_s * fps))
        # One distance and one sharpness per frame, 4 bytes each (a feature film: ~1 MB).
        self._dist = array("f")
        self._sharp = array("f")
        self._window: deque[FrameFeatures] = deque(maxlen=LOCAL_HALF_WINDOW + TRANSIENT_SPAN + 1)
        self._cuts: list[tuple[int, float]] = []  # (frame, distance)
        self._next_candidate = 1
        # Flicker: how far deflicker would move each frame's luma quantiles towards the curve
        # through its neighbours', one figure a frame (from frame `_half` on, once its window
        # is whole).
        self._half = flicker.half_window(fps)
        self._centre = flicker.centre_weights(self._half)
        self._levels: deque[np.ndarray] = deque(maxlen=2 * self._half + 1)
        self._wobble = array("f")

    @property
    def frame_count(self) -> int:
        return len(self._dist)

    def push(self, frame: np.ndarray) -> None:
        f = frame_features(frame)
        if self._window and self._window[-1].thumb.shape != f.thumb.shape:
            raise ValueError(
                f"frame {len(self._dist)} is {np.asarray(frame).shape}, unlike the frames before"
            )
        d = feature_distance(self._window[-1], f) if self._window else 0.0
        self._window.append(f)
        self._dist.append(d)
        self._sharp.append(f.sharpness)
        grey = np.asarray(frame)
        self._levels.append(
            flicker.levels(grey if grey.dtype == np.uint8 else _as_grey(grey) / 255)
        )
        if len(self._levels) == self._levels.maxlen:
            self._wobble.append(flicker.wobble(np.stack(self._levels), self._centre))
        # Decide the candidate whose neighbourhood is now complete.
        while self._next_candidate <= len(self._dist) - 1 - LOCAL_HALF_WINDOW:
            self._decide(self._next_candidate)
            self._next_candidate += 1

    def _features(self, i: int) -> FrameFeatures:
        return self._window[i - (len(self._dist) - len(self._window))]

    def _decide(self, i: int) -> None:
        d = self._dist[i]
        if d < self.threshold:
            return
        lo, hi = max(1, i - LOCAL_HALF_WINDOW), min(len(self._dist), i + LOCAL_HALF_WINDOW + 1)
        neighbours = self._dist[lo:i] + self._dist[i + 1 : hi]
        if len(neighbours) and d < LOCAL_RATIO * float(np.median(neighbours)):
            return
        if self._is_transient(i, d):
            return
        if i < self.min_shot:
            return
        if self._cuts and i - self._cuts[-1][0] < self.min_shot:
            # Too close to the last cut: keep the stronger, if it leaves room after the one before.
            prev = self._cuts[-2][0] if len(self._cuts) > 1 else 0
            if d > self._cuts[-1][1] and i - prev >= self.min_shot:
                self._cuts[-1] = (i, d)
            return
        self._cuts.append((i, d))

    def _is_transient(self, i: int, d: float) -> bool:
        """True when a frame shortly before `i` looks like a frame shortly after it."""
        n = len(self._dist)
        first = n - len(self._window)
        limit = TRANSIENT_RATIO * d
        for a in range(max(first, i - TRANSIENT_SPAN), i):
            for b in range(i, min(n, i + TRANSIENT_SPAN)):
                if (a, b) != (i - 1, i) and (
                    feature_distance(self._features(a), self._features(b)) < limit
                ):
                    return True
        return False

    def finish(self) -> CutAnalysis:
        """Decide the last candidates and return the cuts and shots (frames pushed so far)."""
        n = len(self._dist)
        while self._next_candidate < n:
            self._decide(self._next_candidate)
            self._next_candidate += 1
        cuts = [c for c, _ in self._cuts if n - c >= self.min_shot]
        sharp = np.frombuffer(self._sharp, np.float32).copy()
        bounds = [0, *cuts, n] if n else []
        shots = tuple(
            Shot(s, e, _key_frame(sharp, s, e)) for s, e in zip(bounds, bounds[1:], strict=False)
        )
        return CutAnalysis(
            cuts=tuple(cuts),
            shots=shots,
            distances=np.frombuffer(self._dist, np.float32).copy(),
            sharpness=sharp,
            flicker=self._flicker(cuts),
        )

    def _flicker(self, cuts: list[int]) -> float | None:
        """The median of the figures of frames whose window holds no cut, in grey levels."""
        h = self._half
        wobble = np.frombuffer(self._wobble, np.float32)
        centres = np.arange(h, h + len(wobble))
        inside = np.ones(len(wobble), bool)
        for c in cuts:  # a shot starting at c: windows reaching over c-1 | c are out
            inside &= ~((centres - h < c) & (c <= centres + h))
        return float(np.median(wobble[inside])) * 255.0 if inside.any() else None


def _key_frame(sharpness: np.ndarray, start: int, end: int) -> int:
    """The sharpest frame of [start, end), weighted towards the middle."""
    s = sharpness[start:end].astype(np.float64)
    n = len(s)
    if n <= 2:
        return start + (n - 1) // 2 if n else start
    pos = np.arange(n)
    mid = (n - 1) / 2
    weight = 1.0 - (1.0 - EDGE_WEIGHT) * ((pos - mid) / mid) ** 2
    # The epsilon picks the middle when every frame is flat (a black shot).
    return start + int(np.argmax((s + 1e-9) * weight))


def detect_cuts(
    frames: Iterable[np.ndarray],
    *,
    fps: float = 24.0,
    threshold: float | None = None,
    min_shot_s: float = MIN_SHOT_S,
    progress: Progress | None = None,
) -> CutAnalysis:
    """Cuts and shots of a sequence of grey frames (H, W) of one size, small ones preferably.

    `threshold` is the absolute floor on the 0..1 frame distance (default
    `DEFAULT_THRESHOLD`); lower finds more cuts. `progress.advance()` is called
    per frame and may raise `CancelledError`, which propagates.
    """
    detector = ShotDetector(fps=fps, threshold=threshold, min_shot_s=min_shot_s)
    for frame in frames:
        if progress is not None:
            progress.advance()
        detector.push(frame)
    return detector.finish()


def analysis_size(width: int, height: int, analysis_width: int = 160) -> tuple[int, int]:
    """(w, h) to decode at: `analysis_width` wide at most, same aspect, even sides."""
    w = max(2, min(analysis_width, width))
    h = max(2, round(w * height / max(width, 1)))
    return w - w % 2, h - h % 2


def detect_shots(
    source_or_path: Source | str | Path,
    *,
    progress: Progress | None = None,
    analysis_width: int = 160,
    threshold: float | None = None,
) -> list[Shot]:
    """The shots of a film (an open `Source` or a path), decoding small grey frames.

    A still image or a one-frame film is one shot. See `detect_cuts` for
    `threshold` and `progress`.
    """
    found = analyse(
        source_or_path, progress=progress, analysis_width=analysis_width, threshold=threshold
    )
    return list(found.shots)


def analyse(
    source_or_path: Source | str | Path,
    *,
    progress: Progress | None = None,
    analysis_width: int = 160,
    threshold: float | None = None,
) -> CutAnalysis:
    """`detect_shots`' pass, with all it found: the cuts and shots, the per-frame figures
    and how much the film flickers."""
    if isinstance(source_or_path, str | Path):
        from panchro.engine.media import open_source

        with open_source(source_or_path) as src:
            return _detect(src, progress, analysis_width, threshold)
    return _detect(source_or_path, progress, analysis_width, threshold)


def _detect(
    src: Any, progress: Progress | None, analysis_width: int, threshold: float | None
) -> CutAnalysis:
    info = src.info
    size = analysis_size(info.width, info.height, analysis_width)
    frames = (f.image for f in src.frames(fmt="gray", size=size, conceal=True))
    fps = float(info.fps) if info.fps else 24.0
    return detect_cuts(frames, fps=fps, threshold=threshold, progress=progress)
