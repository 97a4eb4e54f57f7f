"""What stages take and return: `FrameBatch` (consecutive frames of one shot as float planes),
the `Stage` protocol, and the checks and image helpers around them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.media import Frame, Source
    from panchro.engine.project import Pick


@dataclass(frozen=True)
class FrameBatch:
    """Consecutive frames of one shot as float planes: what stages take and return.

    `y` (T, H, W) float32 luma in [0, 1]; `cbcr` (T, 2, H, W) float32 chroma,
    Cb then Cr, in [-0.5, 0.5] (the canonical ranges of `panchro.engine.imaging.color`;
    limited-range codes slightly outside nominal map slightly outside these).
    `indices` and `pts` (T,) int64: frame numbers and timestamps in
    `time_base` units. `matrix` is the film's YCbCr matrix ("bt601", "bt709",
    ...), for a stage that needs RGB. `shot` is the index of the shot.
    """

    y: np.ndarray
    cbcr: np.ndarray
    indices: np.ndarray
    pts: np.ndarray
    time_base: Fraction
    shot: int
    matrix: str
    # The decoded luma of up to `context` frames before and after this batch within its
    # shot, for stages that look across frames (the upscaler's window). Luma straight from
    # the decoder, or as the stages before changed it (stabilize moves it, deflicker evens
    # its exposure out, each as it treats the batch); the colour stage never changes luma.
    y_before: np.ndarray | None = None  # (B, H, W), B <= context
    y_after: np.ndarray | None = None  # (A, H, W)

    def __post_init__(self) -> None:
        y, c = self.y, self.cbcr
        if y.ndim != 3 or c.ndim != 4 or c.shape[1] != 2:
            raise ValueError(f"want y (T, H, W) and cbcr (T, 2, H, W), got {y.shape}, {c.shape}")
        if c.shape[0] != y.shape[0] or c.shape[2:] != y.shape[1:]:
            raise ValueError(f"y {y.shape} and cbcr {c.shape} disagree")
        if len(self.indices) != y.shape[0] or len(self.pts) != y.shape[0]:
            raise ValueError("indices and pts must have one entry per frame")

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.y.shape[2]), int(self.y.shape[1])

    def map_planes(self, fn: Callable[[Any], Any]) -> FrameBatch:
        """The same frames with `fn` applied to each plane and to the neighbours' luma (`fn`
        gets None where there is none, and hands it back)."""
        return dc_replace(
            self,
            y=fn(self.y),
            cbcr=fn(self.cbcr),
            y_before=fn(self.y_before),
            y_after=fn(self.y_after),
        )

    def replace(self, *, y: np.ndarray | None = None, cbcr: np.ndarray | None = None) -> FrameBatch:
        """The same frames with new planes (a new size is fine; the frame count is not)."""
        return dc_replace(
            self, y=self.y if y is None else y, cbcr=self.cbcr if cbcr is None else cbcr
        )


@runtime_checkable
class Stage(Protocol):
    """One step of the restoration (colorize, clean, upscale), run on temporal batches.

    Contract, so that chunks resume exactly:

    * `key` names what decides the stage's output (model name, a hash of its
      weights, its options). It goes into the job's settings digest: a job is
      never resumed with different stages.
    * `output_size(w, h)` is the size of the frames `process` returns for
      frames of size (w, h).
    * `begin_shot(shot_index, shot, pick, film)` is called before the first batch of
      each shot, in film order (a resumed run starts at a chunk's first shot).
      `film` is the run's open `Source`: a stage that needs the key frame reads it
      there (`film.read_frame`, safe beside the decode thread), never by path. It stays
      open until the shot's last batch is processed: a stage may keep it and read
      around its batches (the deflicker stage measures the frames it evens out with).
      `pick` is the shot's pick from the project, or the one an earlier stage
      returned, or None. A stage that chooses a pick itself (sample 0 with a
      seed derived from the shot) returns it, and the pipeline records it in
      the project; otherwise it returns None.
    * `process(batch)` returns a batch of the same frames (same T, indices,
      pts), possibly at a new size. Its result may depend on the batch (with
      its `y_before`/`y_after` context) and on what `begin_shot` received, not
      on batches before it, and must be the same every time for the same input.
    * `context` (optional attribute, default 0): how many neighbouring frames
      on each side the stage wants in `y_before`/`y_after`. The pipeline then
      holds each batch back until the next one of its shot is decoded.
    * `notes` (optional): what the run's summary and a preview should say (an untrained
      model, a fallback); `run_notes` (optional): what only a run's summary says, about the
      work it did, counted from `begin_run()` (optional), which a run calls before its first
      frame (the dust stage's count of frames with dirt filled).

    Stages run in one worker thread, in order; they may use the GPU.
    """

    key: str

    def output_size(self, width: int, height: int) -> tuple[int, int]: ...

    def begin_shot(
        self, shot_index: int, shot: Shot, pick: Pick | None, film: Source
    ) -> Pick | None: ...

    def process(self, batch: FrameBatch) -> FrameBatch: ...


def frame_batch(
    frames: Sequence[Frame],
    ycc: np.ndarray,
    time_base: Fraction,
    shot: int,
    matrix: str,
    *,
    before: np.ndarray | None = None,
    after: np.ndarray | None = None,
) -> FrameBatch:
    """The batch a stage gets for decoded `frames` whose float YCbCr is `ycc` (T, H, W, 3)."""
    y = np.ascontiguousarray(ycc[..., 0])
    cbcr = np.ascontiguousarray(np.moveaxis(ycc[..., 1:], -1, 1))
    return planes_batch(frames, y, cbcr, time_base, shot, matrix, before=before, after=after)


def planes_batch(
    frames: Sequence[Any],
    y: Any,
    cbcr: Any,
    time_base: Fraction,
    shot: int,
    matrix: str,
    *,
    before: Any = None,
    after: Any = None,
) -> FrameBatch:
    """The batch of `frames` (anything with `index` and `pts`) with planes `y` (T, H, W) and
    `cbcr` (T, 2, H, W): host arrays, or tensors on a device (`restore.resident`)."""
    return FrameBatch(
        y=y,
        cbcr=cbcr,
        indices=np.array([f.index for f in frames], np.int64),
        pts=np.array([f.pts for f in frames], np.int64),
        time_base=time_base,
        shot=shot,
        matrix=matrix,
        y_before=before,
        y_after=after,
    )


def tell_film(stages: Sequence[Any], info: Any) -> None:
    """Give each stage that sizes its frames by the film's facts (the fit stage: its pixel
    aspect, its rotation) the film's `MediaInfo`, before any size is asked of it."""
    for stage in stages:
        if hasattr(stage, "set_film"):
            stage.set_film(info)


def check_result(stage: Stage, before: FrameBatch, after: Any, size: tuple[int, int]) -> None:
    if not isinstance(after, FrameBatch):
        raise TypeError(f"stage {stage.key}: process() returned {type(after).__name__}")
    if len(after) != len(before) or not np.array_equal(after.indices, before.indices):
        raise ValueError(f"stage {stage.key}: process() changed the frames of the batch")
    if after.size != size:
        raise ValueError(
            f"stage {stage.key}: process() gave {after.size[0]}x{after.size[1]} frames, "
            f"output_size said {size[0]}x{size[1]}"
        )


def _pad(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Repeat the last column/row up to `size` (w, h)."""
    h, w = image.shape[:2]
    if (w, h) == size:
        return image
    pad = ((0, size[1] - h), (0, size[0] - w)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(image, pad, mode="edge")


def _resize_nearest(image: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    rows = np.arange(height) * h // height
    cols = np.arange(width) * w // width
    return image[rows][:, cols]
