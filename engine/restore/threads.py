"""The restore's two threads: decoding (`DecodeWorker`) and the stages (`StageWorker`),
and what passes between them: bounded queues polled against a stop flag, the end marker,
failures handed to the caller's thread (`stream_frames` runs them and yields frames)."""

from __future__ import annotations

import bisect
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.imaging import color
from panchro.engine.progress import within
from panchro.engine.restore import resident
from panchro.engine.restore.batch import Stage, check_result, frame_batch

if TYPE_CHECKING:
    from panchro.engine.media import Frame
    from panchro.engine.project import Pick
    from panchro.engine.shots import Shot

_QUEUE_DEPTH = 2  # batches waiting between two threads


_POLL_S = 0.1  # how often a blocked thread looks at the stop flag


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


@dataclass
class _Context:
    """Frames decoded only to be a stage's context: just before or after a chunk inside a
    shot, so a chunk rendered (or resumed) alone gives the frames an uninterrupted run does."""

    frames: list[Frame]
    shot: int
    after: bool


def _put(q: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put `item`, waiting while the queue is full; False if asked to stop meanwhile."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue[Any], stop: threading.Event) -> Any:
    """The next item, or None once asked to stop."""
    while not stop.is_set():
        try:
            return q.get(timeout=_POLL_S)
        except queue.Empty:
            continue
    return None


def _drain(q: queue.Queue[Any]) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


def _runs(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Adjacent [start, end) ranges merged: each run is decoded with one decoder."""
    merged: list[tuple[int, int]] = []
    for a, b in ranges:
        if merged and merged[-1][1] == a:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


# --------------------------------------------------------------------------- the two workers


def _context(stages: Sequence[Stage]) -> int:
    """How many neighbouring frames the stages read on each side of a batch."""
    return max((int(getattr(st, "context", 0)) for st in stages), default=0)


_WORKERS = ("panchro-decode", "panchro-stages")


def wait_for_workers(seconds: float) -> bool:
    """Wait up to `seconds` for a stopped run's decode and stage threads to end (each
    finishes the batch it is in); False if one is still running then."""
    deadline = time.monotonic() + seconds
    for t in threading.enumerate():
        if t.name in _WORKERS:
            t.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threading.enumerate() if t.name in _WORKERS)


def stream_frames(
    run: Any, ranges: list[tuple[int, int]], shots: list[Shot], picks: list[Pick | None]
) -> Iterator[tuple[Frame, np.ndarray, int]]:
    """(decoded frame, output image, shot index) for every frame of `ranges`, in order.

    `run` is the pipeline's run (film, stages, formats, batch length, timers). Decoding
    and the stages run in threads; this generator runs in the caller's thread. Closing
    it (or an error in the caller) stops them.
    """
    stop = threading.Event()
    decoded: queue.Queue[Any] = queue.Queue(_QUEUE_DEPTH)
    decoder = DecodeWorker(run, ranges, shots, decoded, stop)
    threads = [threading.Thread(target=decoder.run, name="panchro-decode", daemon=True)]
    results = decoded
    if run.stages:
        results = queue.Queue(_QUEUE_DEPTH)
        worker = StageWorker(run, shots, picks, decoded, results, stop)
        threads.append(threading.Thread(target=worker.run, name="panchro-stages", daemon=True))
    for t in threads:
        t.start()
    try:
        while True:
            item = results.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            frames, images, shot = item
            if images is None:  # no stages: the decoded frames go out as they are
                images = [f.image for f in frames]
            for frame, image in zip(frames, images, strict=True):
                yield frame, image, shot
    finally:
        stop.set()
        for q in (decoded, results):
            _drain(q)
        for t in threads:
            t.join(timeout=10)


class DecodeWorker:
    """The decode thread: the frames of each range, grouped into batches of one shot.

    A batch never crosses a shot or a range; batches start at multiples of the batch
    length from their shot's start, so a chunk decoded alone is cut as in a whole run.
    A range that starts or ends inside a shot also brings `context` frames of that shot
    from beyond its ends (as `_Context` items) for the stages that read neighbours.
    """

    def __init__(
        self,
        run: Any,
        ranges: list[tuple[int, int]],
        shots: list[Shot],
        out: queue.Queue[Any],
        stop: threading.Event,
    ) -> None:
        self.run_ = run
        self.ranges = ranges
        self.shots = shots
        self.starts = [s.start for s in shots]
        self.out = out
        self.stop = stop
        self.context = _context(run.stages)

    def shot_of(self, i: int) -> int:
        return max(0, bisect.bisect_right(self.starts, i) - 1)

    def _item(self, group: list[Frame], shot: int, first: int, last: int) -> Any:
        if group[0].index < first or group[0].index >= last:
            return _Context(group, shot, after=group[0].index >= last)
        return (group, None, shot)

    def run(self) -> None:
        try:
            for first, last in self.ranges:
                if not self._range(first, last):
                    return
            _put(self.out, _END, self.stop)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            _put(self.out, _Failure(exc), self.stop)

    def _range(self, first: int, last: int) -> bool:
        run, shots, ctx = self.run_, self.shots, self.context
        lead = max(shots[self.shot_of(first)].start, first - ctx)
        tail = min(shots[self.shot_of(last - 1)].end, last + ctx)
        frames = run.src.frames(lead, tail, fmt=run.fmt, conceal=True)
        group: list[Frame] = []
        group_shot, group_end = -1, -1
        t0 = time.perf_counter()
        try:
            for frame in frames:
                i = frame.index
                if group and i >= group_end:
                    run.timers["decode"] += time.perf_counter() - t0
                    if not _put(self.out, self._item(group, group_shot, first, last), self.stop):
                        return False
                    t0 = time.perf_counter()
                    group = []
                if not group:
                    group_shot = self.shot_of(i)
                    shot = shots[group_shot]
                    if i < first:
                        group_end = first
                    elif i >= last:
                        group_end = tail
                    else:
                        batch_start = shot.start + (i - shot.start) // run.batch * run.batch
                        group_end = min(batch_start + run.batch, shot.end, last)
                group.append(frame)
        finally:
            frames.close()  # type: ignore[attr-defined]
        run.timers["decode"] += time.perf_counter() - t0
        return not group or _put(self.out, self._item(group, group_shot, first, last), self.stop)


@dataclass
class _Held:
    """A batch that waits for the next one of its shot (whose first frames are its `after`)."""

    frames: list[Frame]
    shot: int
    ycc: Any  # (T, H, W, 3) host floats, or (T, 3, H, W) on the device (resident planes)
    before: Any  # its shot's luma just before it, (B, H, W), where `ycc` is; or None


class StageWorker:
    """The stage thread: decoded batches in, the stages run, coded planes out.

    Begins every stage on each new shot (handing it the shot's pick and the run's open
    film, so a stage that needs the key frame reads it there), records picks the stages
    choose, and, when a stage reads neighbouring frames (`context`), holds each batch
    (`held`) until the next batch of its shot arrives, to give it `y_before`/`y_after`.
    """

    def __init__(
        self,
        run: Any,
        shots: list[Shot],
        picks: list[Pick | None],
        inp: queue.Queue[Any],
        out: queue.Queue[Any],
        stop: threading.Event,
    ) -> None:
        self.run_ = run
        self.shots = shots
        self.picks = picks
        self.inp, self.out, self.stop = inp, out, stop
        self.context = _context(run.stages)
        self.dtype = np.uint16 if run.fmt == "yuv444p16" else np.uint8
        # planes kept on the stages' device between them, coded there ($PANCHRO_RESIDENT)
        self.resident = resident.resident_device(run.stages)
        self.current = -1  # the shot the stages were last begun on
        self.held: _Held | None = None
        # The last frames decoded just before a range: the next batch's `before`.
        self.lead: tuple[list[Frame], int, Any] | None = None

    def run(self) -> None:
        try:
            while True:
                item = _get(self.inp, self.stop)
                if item is None:
                    return
                if item is _END or isinstance(item, _Failure):
                    held = self.held
                    if held is not None and not self._process(held, None):
                        return
                    _put(self.out, item, self.stop)
                    return
                if not self._take(item):
                    return
        except BaseException as exc:
            _put(self.out, _Failure(exc), self.stop)

    def _take(self, item: Any) -> bool:
        """One decoded group; False when asked to stop."""
        run, ctx = self.run_, self.context
        if isinstance(item, _Context):
            frames, shot = item.frames, item.shot
        else:
            frames, _, shot = item
        t0 = time.perf_counter()
        images = [f.image for f in frames]
        if self.resident is not None:  # (T, 3, H, W) on the device: the codes cross the bus
            ycc = resident.decode_coded(images, range=run.range, device=self.resident)
        else:  # planar memory: a one-frame batch takes its planes from it without copies
            ycc = color.decode_coded_planar(images, range=run.range)
        run.timers["stages"] += time.perf_counter() - t0
        if isinstance(item, _Context):
            if not item.after:
                self.lead = (frames, shot, _luma(ycc, slice(-ctx, None)))
                return True
            held, self.held = self.held, None
            if held is None:
                return True
            after = _luma(ycc, slice(ctx)) if _follows(held, frames, shot) else None
            return self._process(held, after)
        if ctx == 0:
            return self._process(_Held(frames, shot, ycc, None), None)
        before = None
        held, self.held = self.held, None
        if held is not None:
            same = _follows(held, frames, shot)
            if same:
                before = _luma(held.ycc, slice(-ctx, None))
            if not self._process(held, _luma(ycc, slice(ctx)) if same else None):
                return False
        lead, self.lead = self.lead, None
        if before is None and lead is not None:
            lead_frames, lead_shot, lead_luma = lead
            if lead_shot == shot and frames[0].index == lead_frames[-1].index + 1:
                before = lead_luma
        self.held = _Held(frames, shot, ycc, before)
        return True

    def _begin(self, shot: int) -> None:
        run = self.run_
        self.current = shot
        pick = self.picks[shot]
        for stage in run.stages:
            chosen = stage.begin_shot(shot, self.shots[shot], pick, run.src)
            if chosen is not None:
                pick = chosen
                run.recorded[shot] = chosen

    def _process(self, held: _Held, after: np.ndarray | None) -> bool:
        """Run the stages on one batch and hand its coded planes on; False when stopped."""
        run = self.run_
        t0 = time.perf_counter()
        if held.shot != self.current:
            self._begin(held.shot)
        make = frame_batch if isinstance(held.ycc, np.ndarray) else resident.frame_batch
        batch = make(
            held.frames,
            held.ycc,
            run.info.time_base,
            held.shot,
            run.matrix,
            before=held.before,
            after=after,
        )
        n = len(run.stages)
        for k, stage in enumerate(run.stages):
            w, h = stage.output_size(*batch.size)
            # Work inside a frame (the upscaler's tiles) moves the progress too; the
            # encoding that follows counts as one more step.
            with within(run.progress, len(held.frames), k, n + 1):
                result = stage.process(batch)
            check_result(stage, batch, result, (w, h))
            batch = result
        # Plane by plane, in bands: no frame-sized float copies of a huge result.
        images = list(resident.encode_coded(batch.y, batch.cbcr, range=run.range, dtype=self.dtype))
        run.timers["stages"] += time.perf_counter() - t0
        return _put(self.out, (held.frames, images, held.shot), self.stop)


def _luma(ycc: Any, part: slice) -> Any:
    """A copy of the luma of frames `part` of decoded planes: (T, H, W, 3) host floats, or
    (T, 3, H, W) on the device (resident planes)."""
    if isinstance(ycc, np.ndarray):
        return ycc[part, ..., 0].copy()
    return ycc[part, 0].clone()


def _follows(held: _Held, later: list[Frame], shot: int) -> bool:
    """Whether `later` goes on from the held batch in the same shot (no range gap)."""
    return held.shot == shot and later[0].index == held.frames[-1].index + 1
