"""The restoration pipeline: a film in, a restored film out, streamed in one pass.

    decode (thread) -> [batches] -> stages (thread) -> [batches] -> encode chunks (caller's thread)

Decoding gives planar YCbCr with exact pts (`media.Source.frames`, 4:4:4,
8 or 16 bit). Frames are grouped into temporal batches of at most `batch`
frames that never cross a shot boundary (batches start at the shot's first
frame and every `batch` frames after it, so a resumed run forms the same
ones). Each batch goes through the `Stage`s in order as float planes
(`FrameBatch`), is converted back to coded integers and encoded. With no
stage, frames skip the float round trip altogether: the film's luma reaches
the encoder bit for bit. Bounded queues between the threads keep memory flat
in the film's length and let decoding, the stages (GPU work) and encoding
overlap.

The output is written in chunks through a resumable job (`panchro.engine.restore.jobs`):
killed, cancelled or out of disk, the same call picks up at the last complete
chunk, and the file appears at the output path only when it is whole.

Shots: from the project when it has them; else, when stages run, detected
first (a quick pass over small grey frames); else (nothing but re-encoding)
the film is one shot, cut into chunks every couple of seconds.

Where a frame cannot be decoded (a corrupt packet), the last good frame is
repeated so the count and the timing stay whole, and the summary lists it.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine import procmem
from panchro.engine.errors import BadInputError, CancelledError, OutputError
from panchro.engine.fsutil import tree_size
from panchro.engine.progress import Progress
from panchro.engine.restore import delivery, jobs, memory, own, room
from panchro.engine.restore.batch import Stage, _pad, _resize_nearest, tell_film
from panchro.engine.restore.crop import crop_of, cut_picture
from panchro.engine.restore.fit import fitted_before
from panchro.engine.restore.part import check_span, part_of
from panchro.engine.restore.summary import RestoreSummary
from panchro.engine.restore.threads import (
    _runs,
    stream_frames,
)
from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine import media
    from panchro.engine.media import Frame, Reading, Source
    from panchro.engine.project import Pick, Project

log = logging.getLogger(__name__)

DEFAULT_BATCH = 8
# The most a batch's float planes (Y, Cb, Cr float32) may take at the largest size its stages
# work at: bigger frames come in smaller batches. 1920x1080 keeps 8 frames, 3840x2160 gets 2,
# 8192x4352 gets 1 (8 of those were 3.4 GB of planes before the stages made any more).
BATCH_BYTES = 256 << 20
DEFAULT_CHUNK_SECONDS = 2.0


# --------------------------------------------------------------------------- the stage interface


def restore(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    codec: str = "h264",
    bit_depth: int = 8,
    overwrite: bool = False,
    progress: Progress | None = None,
    stages: Sequence[Stage] | None = None,
    project: Project | str | os.PathLike[str] | None = None,
    batch: int = DEFAULT_BATCH,
    chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
    keep_job: bool = False,
    restart: bool = False,
    preview: float | None = None,
    memory_limit_mb: float | None = None,
    executor: Executor | None = None,
    reading: Reading | None = None,
    span: tuple[int, int] | None = None,
    span_s: tuple[float | None, float | None] | None = None,
    record: bool = True,
    deliver_fps: float | None = None,
    soundtrack: media.Soundtrack | None = None,
    own_sound: bool = False,
) -> RestoreSummary:
    """Restore `input` into `output`; raises PanchroError subclasses with a clear reason.
    `record`: write the restoration record beside it (`restore.record`; not for a preview).
    `deliver_fps`: write the film at this faster rate, frames repeated in a steady cadence
    (`media.Stretch`: a silent film shown at 18 fps delivered at 24); not for a preview.
    Without it, the project's (where it is above the rate the film is shown at).
    `soundtrack` (`media.Soundtrack`): its sound in place of the film's own; without it, the
    project's unless `own_sound` (`restore.delivery`); a preview carries it too.

    `stages` run on every frame in order (none: decode -> encode, luma bit-exact, or
    deinterlaced where the film is interlaced and `reading` says so). `project` (a Project or a
    .panchro path) gives the shots and picks and must be the project of `input`. `batch` is the
    most frames a stage gets at once (fewer for big frames: `frames_per_batch`). The output is
    written as chunks of about `chunk_seconds` in `OUTPUT.panchro-job/`; a job left there by an
    interrupted run of the same call is resumed (a different call is refused, as is a second run
    while one writes; `restart` starts over). `keep_job`: a failed or cancelled run leaves its
    job to be resumed (the CLI does); otherwise a job this call created is removed. `preview`
    (seconds): render that much from the middle of the film, side by side (before | after), with
    its sound (or the soundtrack's), straight to `output`. `reading` (`media.Reading`; None: as
    the project's settings say): how the film is read, its rate, fields, values and levels (a
    job records what they did, so a resume reads the frames alike); without a rate, the
    project's.

    `span` (frames `first`, `stop`), or `span_s` (seconds from, to, on the film's clock;
    None: its start or end): restore only that part of the film, into an output that starts
    at 0 with the sound and subtitles of that part (`part_of`); a preview is taken from the
    middle of the part. With the project's shots the part's frames are the ones the whole
    film's restore gives there, to the bit: shots are kept whole for the stages, only the
    chunks are cut.

    Before the first frame is read, the run's peak memory is estimated (`restore.memory`) and
    a run that would not fit under `memory_limit_mb` (default: the memory the system has
    free) is refused with the figures.

    `executor` renders the pending chunks elsewhere (a cluster, `panchro.engine.cluster`):
    the job is planned here as for a local run, every shot's pick decided first (automatic
    ones too), then `executor(job, plan, progress)` renders each chunk of `job.pending()`
    (`render_planned`) and marks it done with `job.mark_done`; the join is done here.

    `progress.advance()` is called per frame written; it raises CancelledError
    when its cancel flag is set. The output path is never half-written.
    """
    from panchro.engine import media
    from panchro.engine.project import Project

    if batch < 1:
        raise BadInputError(f"batch must be at least 1 frame, got {batch}")
    if not chunk_seconds > 0:
        raise BadInputError(f"chunk length must be positive, got {chunk_seconds} s")
    stages = list(stages or [])
    media.check_codec(codec, bit_depth)
    out = media.check_output_path(output, inputs=[input], overwrite=overwrite)
    media.check_codec_path(codec, out)
    proj = Project.load(project) if isinstance(project, str | os.PathLike) else project
    if reading is None:
        reading = media.reading_of(proj.settings if proj is not None else None)
    if reading.fps is None and proj is not None:
        reading = reading.but(fps=proj.shown_at())  # a folder's rate, or the speed it is shown at
    fps = reading.fps
    start = time.monotonic()
    with reading.open(input) as src:
        if proj is not None:
            changes = proj.check_source(input)
            if changes:
                where = f" {proj.path}" if proj.path else ""
                raise BadInputError(
                    f"is not the film of the project{where}: {'; '.join(changes)}", path=input
                )
            if proj.shots and src.info.frame_count != proj.source.frame_count:
                where = f" {proj.path}" if proj.path else ""
                raise BadInputError(
                    f"reads as {src.info.frame_count} frames, where the project{where} has "
                    f"{proj.source.frame_count} ({src.info.reading}); read it as the project did "
                    "(--deinterlace keep: no repeat left out, no gap held) or find its shots again",
                    path=input,
                )
        if span_s is not None:
            if span is not None:
                raise BadInputError("give the part as frames or as times, not both")
            span = part_of(src, *span_s)
        if span is not None:
            span = check_span(span, src.info.frame_count)
        if progress is None:
            progress = Progress(None)
        run = _Run(src, stages, codec, bit_depth, batch, progress)
        run.span = span
        run.memory_limit_mb = memory_limit_mb
        run.executor = executor
        run.reading = reading
        run.record = record
        delivery.plan(run, src, proj, out, deliver_fps if preview is None else None, soundtrack,
                      own_sound, rate=preview is None)  # fmt: skip
        retimed = media.retimed_note(src.info)
        if retimed:
            run.notes.append(retimed)
        if preview is not None:
            if executor is not None:
                raise BadInputError("a preview is rendered here, not on a cluster")
            return run.preview(out, float(preview), proj, overwrite, start, input)
        args = (out, proj, overwrite, fps, chunk_seconds, keep_job, restart, start, input)
        with jobs.sole_writer(out):  # a second run would take this one's half-made chunk
            return run.full(*args)  # for litter and delete it


def frames_per_batch(batch: int, pixels: int) -> int:
    """At most `batch` frames, fewer when frames of `pixels` (the largest size the stages work
    at) would make a batch's float planes pass `BATCH_BYTES`; at least 1.

    The result of a stage does not depend on the batch (exact results: one frame a model
    call on the CPU), so this changes memory, not frames.
    """
    return max(1, min(batch, BATCH_BYTES // (12 * max(1, pixels))))


class _Run:
    """One restore: geometry, shots, the threads, the writers."""

    def __init__(
        self,
        src: Source,
        stages: list[Stage],
        codec: str,
        bit_depth: int,
        batch: int,
        progress: Progress,
    ) -> None:
        from panchro.engine import media
        from panchro.engine.imaging import color

        self.src = src
        self.info = info = src.info
        tell_film(stages, info)  # before a size is asked (the fit stage's pixel aspect)
        square = any(getattr(st, "square_pixels", False) for st in stages)  # writers tag so
        self.out_info = dc_replace(info, sample_aspect_ratio=None) if square else info
        self.stages = stages
        self.codec = codec
        # DPX is never 8-bit: the planes are coded as deep as the files are written
        self.bit_depth = bit_depth = media.coded_bits(codec, bit_depth)
        self.progress = progress
        self.fmt = "yuv444p16" if max(bit_depth, info.bit_depth) > 8 else "yuv444p"
        self.matrix = color.matrix_for(info.color_matrix, info.height, info.width)
        self.range = info.coded_range
        w, h = info.width, info.height
        largest = w * h
        for stage in stages:
            size = stage.output_size(w, h)
            if not (
                len(size) == 2 and all(isinstance(v, int | np.integer) and v > 0 for v in size)
            ):
                raise ValueError(f"stage {stage.key}: output_size gave {size!r}")
            w, h = int(size[0]), int(size[1])
            largest = max(largest, w * h)
        self.width, self.height = w, h
        # A stage's context comes from the batches either side, so a batch holds at least that.
        contexts = [int(getattr(st, "context", 0)) for st in stages]
        self.batch = max([frames_per_batch(batch, largest)] + contexts)
        self.notes: list[str] = []
        self.timers = {"decode": 0.0, "stages": 0.0, "encode": 0.0}
        for stage in stages:  # a stage that counts its work counts this run's
            if hasattr(stage, "begin_run"):
                stage.begin_run()
        self.recorded: dict[int, Pick] = {}
        self.record = True  # the restoration record beside the output (`restore.record`)
        self.memory_limit_mb: float | None = None
        self.executor: Executor | None = None
        self.reading = media.Reading()  # how the film was opened, for a cluster's workers
        self.user_batch = batch  # what the caller asked for: a worker's run is built with it
        self.span: tuple[int, int] | None = None  # a part of the film only: frames [first, stop)
        self.stretch: Any = None  # delivered faster, frames repeated (`media.Stretch`)
        self.soundtrack: Any = None  # sound in place of the film's (`media.Soundtrack`)
        self.sound_notes: list[str] = []  # the soundtrack, the sound re-encoded
        self._media = media

    # ---------------------------------------------------------------- sizes

    def _out_pts(self, index: int) -> int:
        """Frame `index`'s time as written: the film's, or the first delivered frame's."""
        if self.stretch is None:
            return self.src.pts_of(index)
        return self.stretch.start + self.stretch.first(index)

    def _padded(self, width: int, height: int) -> tuple[int, int]:
        pw, ph = self._media.even_size(self.codec, width, height)
        # Refused here, before a frame is read: a codec that cannot carry the size.
        enlarged = self.width * self.height > self.info.width * self.info.height
        self._media.check_frame_size(self.codec, pw, ph, enlarged=enlarged)
        if (pw, ph) != (width, height):
            self.notes.append(
                f"padded {width}x{height} to {pw}x{ph}: {self._media.codec_label(self.codec)} "
                "needs even sides; the last column/row is repeated"
            )
        return pw, ph

    def _check_memory(self, size: tuple[int, int]) -> None:
        """Refuse, before a frame is read, a run whose peak would not fit (restore.memory)."""
        base = procmem.rss_mb()
        kinds = [memory.stage_kind(st.key) for st in self.stages]
        est = memory.estimate(*size, self.codec, self.bit_depth, kinds, base)
        warning = memory.check(
            est, limit_mb=self.memory_limit_mb, base_mb=base, size=size, codec=self.codec
        )
        if warning:
            log.warning("%s", warning)
            self.notes.append(warning)

    # ---------------------------------------------------------------- shots

    def _shots(self, proj: Project | None, first: int, stop: int, *, whole: bool = False) -> list:
        """Shots covering [first, stop): the project's (all, so a shot's index is its index in
        the film), detected ones (over the whole film with `whole`: a new project's cover its
        film, a part then as the whole film's run makes it), or one for it all."""
        if proj is not None and proj.shots:
            return list(proj.shots)
        if not self.stages:
            return [Shot(first, stop, (first + stop - 1) // 2)]
        from panchro.engine import shots as shot_detection

        whole = whole or (first == 0 and stop == self.info.frame_count)
        detect = Progress(
            self.info.frame_count if whole else stop - first,
            self.progress.callback,
            stage="shots",
            cancel=self.progress.cancel,
        )
        if whole:
            found = shot_detection.detect_shots(self.src, progress=detect)
        else:
            size = shot_detection.analysis_size(self.info.width, self.info.height)
            read = self.src.frames(first, stop, fmt="gray", size=size, conceal=True)
            grey = (f.image for f in read)
            fps = float(self.info.fps) or 24.0
            found = [
                Shot(s.start + first, s.end + first, s.key_frame + first)
                for s in shot_detection.detect_cuts(grey, fps=fps, progress=detect).shots
            ]
        return found

    def _picks(self, proj: Project | None, shots: Sequence[Shot]) -> list[Pick | None]:
        if proj is None or not proj.shots:
            return [None] * len(shots)
        by_start = {s.start: p for s, p in zip(proj.shots, proj.picks, strict=True)}
        return [by_start.get(s.start) for s in shots]

    def _settings(self, proj: Project | None, fps: float | None, size: tuple[int, int]) -> dict:
        import av

        from panchro.engine import __version__

        settings = {
            "codec": self.codec,
            "bit_depth": self.bit_depth,
            "fps": None if fps is None else str(self.info.fps),
            "size": list(size),
            "stages": [s.key for s in self.stages],
            # Batches shape what temporal stages see; without stages they change nothing.
            "batch": self.batch if self.stages else None,
            "project": proj.digest() if proj is not None and self.stages else None,
            "versions": {
                "panchro": __version__,
                "pyav": av.__version__,
                "libavcodec": ".".join(map(str, av.library_versions["libavcodec"])),
            },
        }
        if self.src.deinterlace_args is not None:
            # Only when frames are deinterlaced: jobs from before deinterlacing existed (and
            # of progressive films) keep their settings, and resume.
            settings["deinterlace"] = self.src.deinterlace_args
        if self.src.info.scan:  # its values changed as read (a log scan, a negative)
            settings["scan"] = self.src.info.scan
        if self.src.info.levels is not None:  # a faded film's levels stretched as read
            settings["levels"] = list(self.src.info.levels)
        if self.src.decimated:  # repeated frames left out (a telecined NTSC film: 1 in 5)
            settings["decimate"] = ", then ".join(f"1 in {c}" for c in self.src.decimated)
        if self.span is not None:  # only then: a whole film's job keeps its digest
            settings["span"] = list(self.span)
        if self.stretch is not None and self.stretch.deliver != self.stretch.shown:
            settings["deliver"] = str(self.stretch.deliver)
        elif self.stretch is not None:  # its frame times on its rate's grid (`frame_grid`)
            settings["grid"] = str(self.stretch.deliver)
        return settings

    # ---------------------------------------------------------------- a whole film, in chunks

    def full(
        self,
        out: Path,
        proj: Project | None,
        overwrite: bool,
        fps: float | None,
        chunk_seconds: float,
        keep_job: bool,
        restart: bool,
        start: float,
        input: str | os.PathLike[str],
    ) -> RestoreSummary:
        from panchro.engine.inference import device as compute

        media, info = self._media, self.info
        size = self._padded(self.width, self.height)
        self._check_memory(size)
        settings = self._settings(proj, fps, size)
        identity = jobs.input_identity(input, info)
        job = None
        if restart:
            jobs.remove_tree(jobs.job_folder(out))
        else:
            job = jobs.Job.resume(out, identity, settings)
        first, stop = self.span or (0, info.frame_count)
        if job is not None:
            # what each shot leaves out is the project's (its digest is the job's)
            off = {s.start: s.off for s in proj.shots} if proj is not None else {}
            shots = [Shot(s, e, k, off.get(s, frozenset())) for s, e, k in job.shots]
        else:
            shots = self._shots(proj, first, stop, whole=proj is not None and proj.path is not None)
            min_frames = max(1, round(chunk_seconds * float(info.fps)))
            # Long shots are cut at the chunk length too (at batch boundaries), so a kill
            # loses at most a chunk: the colour mode belongs to the shot, not the chunk, and
            # a chunk that starts inside a shot is decoded with the neighbours stages read.
            # A part of the film keeps its shots whole and cuts the chunks of the shots it
            # touches to it, so its frames are what the whole film's are.
            touched = [(s.start, s.end) for s in shots if s.end > first and s.start < stop]
            ranges = [
                (max(a, first), min(b, stop))
                for a, b in jobs.plan_chunks(
                    touched, min_frames=min_frames, split_frames=min_frames, batch=self.batch
                )
                if b > first and a < stop
            ]
            ext = media.output_extension(self.codec, out)
            zero = ext in media.CHUNK_STARTS_AT_ZERO
            # A part's chunks in other containers are written from its start (Matroska's
            # millisecond clock may not hold the part's start exactly); `finish` then moves
            # every chunk back by the part's start.
            since = self._out_pts(first) if self.span is not None else 0
            offsets = [self._out_pts(a) if zero else since for a, _ in ranges]
            job = jobs.Job.create(
                out,
                identity,
                settings,
                [(s.start, s.end, s.key_frame) for s in shots],
                ranges,
                extension="" if self.codec in media.SEQUENCE_CODECS else ext,
                offsets=offsets,
                threads=compute.engine_threads() if self.stages else None,
                precision=compute.engine_cpu_precision() if self.stages else None,
            )
        if self.stages:
            # The thread count and CPU precision the job started with, so resumed chunks
            # compute the same bits (a job from before precision was recorded: float32).
            compute.fix_threads(job.threads)
            compute.fix_cpu_precision(job.precision or "float32")
        created = not job.resumed
        resumed_frames = job.done_frames()
        pending = job.pending()
        if self.progress.total is None:
            self.progress.total = sum(c.frames for c in pending)
        picks = self._picks(proj, shots)
        try:
            if self.executor is not None:
                picks = self._decide_picks(shots, picks, pending)
                plan = ChunkPlan(
                    input=os.path.abspath(input),
                    codec=self.codec,
                    bit_depth=self.bit_depth,
                    batch=self.user_batch,
                    size=size,
                    shots=tuple(shots),
                    picks=tuple(picks),
                    threads=job.threads if self.stages else None,
                    precision=(job.precision or "float32") if self.stages else None,
                    reading=self.reading.but(fps=fps),
                    folder=str(job.folder),
                    key=jobs.settings_digest(settings),
                    stretch=self.stretch,
                )
                self.executor(job, plan, self.progress)
            else:
                self._render_chunks(job, pending, shots, picks, size)
            self.progress.finish()
            origin, part = 0, None
            if self.span is not None:
                origin = self._out_pts(first)
                end = self.src.pts_of(stop) * info.time_base if stop < info.frame_count else None
                part = (self.src.pts_of(first) * info.time_base, end)
                sound = self.soundtrack is not None or bool(info.audio)
                self.notes.append(delivery.part_note(info, first, stop, part[0], self.codec, sound))
            if info.timecode:  # carried by `Job.finish` and the DPX writer
                label = delivery.first_label(info, first, self.stretch)
                self.notes.append(f"timecode {label} on the first frame, as the source's")
            room.check_join(job, self.codec)
            path = job.finish(
                codec=self.codec, source=info, overwrite=overwrite, origin=origin, span=part,
                time_base=info.time_base if self.stretch is None else self.stretch.time_base,
                stretch=self.stretch, soundtrack=self.soundtrack,
            )  # fmt: skip
        except OutputError as exc:
            if not keep_job:
                if created:
                    job.remove()
                raise
            raise OutputError(
                f"{exc.reason}; the finished chunks are kept in {job.folder.name}: run the "
                "same command again to resume",
                path=exc.path,
            ) from None
        except BaseException as exc:
            if created and not keep_job:
                job.remove()
            elif isinstance(exc, CancelledError):  # what a rerun will not make again
                exc.extra["kept_frames"] = job.done_frames()
            raise
        damaged = tuple(job.damaged_frames())
        if self.stretch is not None and self.stretch.deliver != self.stretch.shown:
            self.notes.append(self.stretch.written(first, stop))
        self._record(proj, shots)
        summary = self._summary(
            input,
            path,
            stop - first,
            sum(c.frames for c in pending),
            start,
            size,
            chunks=len(job.chunks),
            resumed=resumed_frames,
            damaged=damaged,
        )
        from panchro.engine.restore.record import forget_record, write_record

        if not self.record:  # a record there was the replaced film's: it would mislead
            return forget_record(path, summary)

        shown = [i for i, s in enumerate(shots) if s.end > first and s.start < stop]
        colour = next((st for st in self.stages if st.key.startswith("colorize")), None)
        hints = getattr(colour, "hints", None)
        hinted = frozenset(n for n, i in enumerate(shown) if hints is not None
                           and not hints.on_frames(shots[i].start, shots[i].end).empty)  # fmt: skip
        written = write_record(
            path, identity=identity, info=info, settings=settings,
            reference=getattr(colour, "reference", None) is not None, hinted=hinted,
            shots=[shots[i] for i in shown],
            picks=[self.recorded.get(i, picks[i]) for i in shown],
            recorded={n for n, i in enumerate(shown) if i in self.recorded},
            summary=summary,
            colours=any(k.startswith("colorize") for k in settings["stages"]),
            first_number=shown[0] + 1 if shown else 1,
        )  # fmt: skip
        return dc_replace(summary, notes=(*summary.notes, f"restoration record: {written}"))

    def _render_chunks(
        self,
        job: Any,
        pending: list[Any],
        shots: list[Shot],
        picks: list[Pick | None],
        size: tuple[int, int],
    ) -> None:
        ranges = _runs([(c.start, c.end) for c in pending])
        # the disk's room watched over a whole job (a worker's chunk files are not one)
        watch = room.Watch(job, self.codec, self.progress) if hasattr(job, "chunks") else None
        writer = job.writer(
            pending, codec=self.codec, bit_depth=self.bit_depth, size=size, source=self.out_info,
            fmt=self.fmt, stretch=self.stretch, on_done=watch and watch.chunk_done,
        )  # fmt: skip
        try:
            with contextlib.closing(self._stream(ranges, shots, picks)) as frames:
                for frame, image, shot in frames:
                    t0 = time.perf_counter()
                    writer.write(frame.index, frame.pts, _pad(image, size), damaged=frame.damaged)
                    self.timers["encode"] += time.perf_counter() - t0
                    self.progress.advance(stage=f"shot {shot + 1}/{len(shots)}")
        finally:
            writer.abort()

    def _decide_picks(
        self, shots: list[Shot], picks: list[Pick | None], pending: list[Any]
    ) -> list[Pick | None]:
        """Every shot a pending chunk touches begun on the stages here, as the stage thread
        would begin it, so the picks a stage chooses (automatic ones) are decided before the
        chunks go elsewhere and recorded as a local run records them."""
        starts = [s.start for s in shots]
        touched = sorted(
            {
                i
                for c in pending
                for i in range(
                    max(0, bisect.bisect_right(starts, c.start) - 1),
                    bisect.bisect_left(starts, c.end),
                )
            }
        )
        picks = list(picks)
        for i in touched:
            pick = picks[i]
            for stage in self.stages:
                chosen = stage.begin_shot(i, shots[i], pick, self.src)
                if chosen is not None:
                    pick = chosen
                    self.recorded[i] = chosen
            picks[i] = pick
        return picks

    # ---------------------------------------------------------------- preview

    def preview(
        self,
        out: Path,
        seconds: float,
        proj: Project | None,
        overwrite: bool,
        start: float,
        input: str | os.PathLike[str],
    ) -> RestoreSummary:
        info = self.info
        if not seconds > 0:
            raise BadInputError(f"preview length must be positive, got {seconds} s")
        lo, hi = self.span or (0, info.frame_count)  # from the middle of the part, or the film
        want = min(hi - lo, max(1, round(seconds * float(info.fps))))
        first = max(lo, (lo + hi) // 2 - want // 2)
        stop = min(hi, first + want)
        shots = self._shots(proj, first, stop)
        picks = self._picks(proj, shots)
        size = self._padded(2 * self.width, self.height)
        self._check_memory(size)
        if self.progress.total is None:
            self.progress.total = stop - first
        origin = self.src.pts_of(first)
        tb = info.time_base
        # said in time, as a part is (`delivery.part_note`): the app counts frames from 1
        heard = ", with their sound" if self.soundtrack is not None or info.audio else ""
        self.notes.append(f"preview of {stop - first} frames from {float(origin * tb):.3f} s: "
                          f"before | after, side by side{heard}")  # fmt: skip
        part = (origin * tb, self.src.pts_of(stop) * tb if stop < info.frame_count else None)
        margins = crop_of(self.stages)
        with self._media.VideoWriter(
            out,
            codec=self.codec,
            bit_depth=self.bit_depth,
            width=size[0],
            height=size[1],
            time_base=info.time_base,
            fps=info.fps,
            source=self.out_info,
            overwrite=overwrite,
            span=part,  # its sound (or the soundtrack's) under it, to hear against it
            soundtrack=self.soundtrack,
        ) as writer:
            damaged = []
            stream = contextlib.closing(self._stream([(first, stop)], shots, picks))
            with stream as frames:
                for frame, image, shot in frames:
                    t0 = time.perf_counter()
                    picture = cut_picture(frame.image, margins)
                    before = fitted_before(self.stages, picture, image)  # framed as after is
                    if before is None:
                        before = _resize_nearest(picture, self.width, self.height)
                    side = np.concatenate([before, image], axis=1)
                    writer.write(_pad(side, size), frame.pts - origin, fmt=self.fmt)
                    if frame.damaged:
                        damaged.append(frame.index)
                    self.timers["encode"] += time.perf_counter() - t0
                    self.progress.advance(stage=f"shot {shot + 1}/{len(shots)}")
        self.progress.finish()
        summary = self._summary(
            input, out, stop - first, stop - first, start, size, damaged=tuple(damaged)
        )
        return summary

    # ---------------------------------------------------------------- the streaming core

    def _stream(
        self, ranges: list[tuple[int, int]], shots: list[Shot], picks: list[Pick | None]
    ) -> Iterator[tuple[Frame, np.ndarray, int]]:
        """(decoded frame, output image, shot index) for every frame of `ranges`, in order."""
        return stream_frames(self, ranges, shots, picks)

    # ---------------------------------------------------------------- endings

    def _record(self, proj: Project | None, shots: list[Shot]) -> None:
        """Keep the automatic picks and detected shots in the project, if it has a file."""
        if proj is None:
            return
        changed = False
        if not proj.shots and self.stages:
            proj.shots = list(shots)
            proj.picks = [None] * len(shots)
            changed = True
        for i, pick in sorted(self.recorded.items()):
            k = next((j for j, s in enumerate(proj.shots) if s.start == shots[i].start), None)
            if k is not None and own.machine_made(proj.picks[k]):
                proj.picks[k] = pick  # (a shot found in colour, or coloured anew: as done)
                changed = True
        if changed and proj.path is not None:
            proj.save()
            self.notes.append(f"shots and automatic picks recorded in {proj.path}")

    def _summary(
        self,
        input: str | os.PathLike[str],
        out: Path,
        frames: int,
        rendered: int,
        start: float,
        size: tuple[int, int],
        *,
        chunks: int = 0,
        resumed: int = 0,
        damaged: tuple[int, ...] = (),
    ) -> RestoreSummary:
        seconds = time.monotonic() - start
        sequence = self.codec in self._media.SEQUENCE_CODECS
        return RestoreSummary(
            input=str(input),
            output=str(out),
            codec=self.codec,
            frames=frames,
            seconds=seconds,
            fps=rendered / seconds if seconds > 0 else 0.0,
            output_bytes=tree_size(out),
            # Image sequences carry no sound.
            audio_streams=0 if sequence else 1 if self.soundtrack else len(self.info.audio),
            subtitle_streams=0 if sequence else len(self.info.subtitles),
            width=size[0],
            height=size[1],
            chunks=chunks,
            resumed_frames=resumed,
            damaged_frames=damaged,
            sound=tuple(self.sound_notes),
            # What the stages want said (an untrained or missing model, a fallback).
            notes=tuple(self.notes)
            + tuple(n for st in self.stages for n in getattr(st, "notes", ()))
            + tuple(n for st in self.stages for n in getattr(st, "run_notes", ())),
            decode_s=round(self.timers["decode"], 3),
            stages_s=round(self.timers["stages"], 3),
            encode_s=round(self.timers["encode"], 3),
        )


# --------------------------------------------------------------------------- chunks elsewhere


@dataclass(frozen=True)
class ChunkPlan:
    """What a worker needs to render chunks of a planned job by itself (picklable): the film,
    the formats, the shots with their decided picks, the job's thread count and folder.
    `key` is the job's settings digest: stages built for one plan serve all its chunks."""

    input: str
    reading: Reading  # how the film is opened (its rate, fields, values, levels)
    codec: str
    bit_depth: int
    batch: int
    size: tuple[int, int]
    shots: tuple[Shot, ...]
    picks: tuple[Pick | None, ...]
    threads: int | None
    precision: str | None  # the upscaler's CPU precision (`device.fix_cpu_precision`)
    folder: str
    key: str
    stretch: Any = None  # delivered faster, frames repeated (`media.Stretch`)


Executor = Callable[[Any, ChunkPlan, Progress], None]


def render_planned(
    plan: ChunkPlan,
    chunks: Sequence[Any],
    stages: Sequence[Stage],
    progress: Progress | None = None,
) -> dict[int, list[int]]:
    """Render `chunks` (`jobs.Chunk`s of the plan's job) into the job folder, exactly as a
    local run renders them: the film opened here, each chunk decoded with the context frames
    its stages read, the same stages and writer. -> {chunk index: damaged frames}. The
    manifest is not touched (its writer marks the chunks done)."""
    from panchro.engine.inference import device as compute

    stages = list(stages)
    if stages and plan.threads is not None:
        compute.fix_threads(plan.threads)
    if stages and plan.precision is not None:
        compute.fix_cpu_precision(plan.precision)
    files = jobs.ChunkFiles(Path(plan.folder))
    for chunk in chunks:
        files.discard_parts(chunk)  # what a killed attempt at this chunk left
    with plan.reading.open(plan.input) as src:
        run = _Run(src, stages, plan.codec, plan.bit_depth, plan.batch, progress or Progress(None))
        run.stretch = plan.stretch
        run._render_chunks(files, list(chunks), list(plan.shots), list(plan.picks), plan.size)
    return files.done


__all__ = [
    "BATCH_BYTES",
    "DEFAULT_BATCH",
    "ChunkPlan",
    "Executor",
    "frames_per_batch",
    "render_planned",
    "restore",
]
