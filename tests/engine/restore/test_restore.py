"""Restoring a whole film (panchro.engine.restore.pipeline, jobs): stages, chunks, resume, faults.

Films are tiny (160x120, 3 s) so the file runs in well under a minute on two
busy cores. Stages here are trivial ones written for the test; they check the
plumbing (batches, shots, sizes, timing), not any model.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.errors import BadInputError, CancelledError, ModelMissingError, OutputError
from panchro.engine.progress import Progress
from panchro.engine.project import Pick, Project, Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.batch import FrameBatch, Stage
from panchro.engine.restore.jobs import job_folder, plan_chunks
from panchro.engine.restore.record import record_path
from panchro.engine.restore.stages import build_stages
from panchro.engine.shots import Shot
from tests.jobs import cancelled_at
from tests.makemedia import make_frame_folder, make_video, with_broken_frame

SHOTS = [Shot(0, 24, 12), Shot(24, 48, 36), Shot(48, 72, 60)]
CHUNK_S = 0.25  # 6 frames: several chunks per shot, so resuming has something to skip


@pytest.fixture(scope="module")
def media_here(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("restore")


@pytest.fixture(scope="module")
def film(media_here: Path) -> Path:
    """72 frames (3 s at 24 fps), cuts at 24 and 48, AAC sound and two subtitle cues."""
    return make_video(media_here / "film.mp4", frames=72, cuts=(24, 48), subtitles=True)


@pytest.fixture(scope="module")
def project_file(film: Path, media_here: Path) -> Path:
    return Project.new(film, shots=SHOTS).save(media_here / "film.panchro")


@pytest.fixture(scope="module")
def reference(film: Path, project_file: Path, media_here: Path) -> Path:
    """The film restored in one uninterrupted run, as `panchro restore --chunk-seconds` does."""
    out = media_here / "reference.mp4"
    pipeline.restore(film, out, project=project_file, chunk_seconds=CHUNK_S, keep_job=True)
    return out


# --------------------------------------------------------------------------- helpers


def _packets(path: Path, kind: str) -> list[tuple[bytes, int | None]]:
    with av.open(str(path)) as c:
        streams = [s for s in c.streams if s.type == kind]
        return [(bytes(p), p.pts) for p in c.demux(*streams) if p.size]


def _video_pts(path: Path) -> list[Fraction]:
    with av.open(str(path)) as c:
        return sorted(p.pts * p.time_base for p in c.demux(c.streams.video[0]) if p.size)


def _frames(path: Path) -> list[np.ndarray]:
    with media.open_source(path) as src:
        return [f.image for f in src.frames(fmt="yuv444p")]


def _same_frames(a: Path, b: Path) -> bool:
    fa, fb = _frames(a), _frames(b)
    return len(fa) == len(fb) and all(np.array_equal(x, y) for x, y in zip(fa, fb, strict=True))


class ConstantChroma:
    """Sets every frame's chroma to one colour; records what the pipeline hands it."""

    key = "test-constant-chroma"

    def __init__(self) -> None:
        self.shots: list[tuple[int, Shot]] = []
        self.batches: list[tuple[int, list[int]]] = []

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(self, shot_index: int, shot: Shot, pick: object, film: object) -> None:
        self.shots.append((shot_index, shot))

    def process(self, batch: FrameBatch) -> FrameBatch:
        self.batches.append((batch.shot, batch.indices.tolist()))
        cbcr = np.empty_like(batch.cbcr)
        cbcr[:, 0], cbcr[:, 1] = 0.25, -0.125  # codes 184 and 100 in 8-bit limited range
        return batch.replace(cbcr=cbcr)


class DoubleNearest:
    """Twice the size, each pixel repeated 2x2."""

    key = "test-double-nearest"

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return 2 * width, 2 * height

    def begin_shot(self, shot_index: int, shot: Shot, pick: object, film: object) -> None:
        return None

    def process(self, batch: FrameBatch) -> FrameBatch:
        y = batch.y.repeat(2, axis=1).repeat(2, axis=2)
        cbcr = batch.cbcr.repeat(2, axis=2).repeat(2, axis=3)
        return batch.replace(y=y, cbcr=cbcr)


class WindowMean:
    """Luma becomes the mean of a 5-frame window within the shot: a stage with context."""

    key = "test-window-mean"
    context = 2

    def __init__(self) -> None:
        self.seen: list[tuple[int, int, int]] = []  # (first index, len(before), len(after))

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(self, shot_index: int, shot: Shot, pick: object, film: object) -> None:
        return None

    def process(self, batch: FrameBatch) -> FrameBatch:
        none = batch.y[:0]
        before = batch.y_before if batch.y_before is not None else none
        after = batch.y_after if batch.y_after is not None else none
        self.seen.append((int(batch.indices[0]), len(before), len(after)))
        y, n0 = np.concatenate([before, batch.y, after]), len(before)
        out = [y[max(0, n0 + j - 2) : n0 + j + 3].mean(0) for j in range(len(batch.y))]
        return batch.replace(y=np.stack(out).astype(batch.y.dtype))


def _cli(*args: str, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "panchro.engine", "restore", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- stages


def test_stages_see_whole_shots_in_batches_and_keep_count_timing_and_luma(
    film: Path, project_file: Path, tmp_path: Path
) -> None:
    stage = ConstantChroma()
    assert isinstance(stage, Stage)
    out = tmp_path / "const.mkv"
    summary = pipeline.restore(
        film, out, codec="ffv1", stages=[stage], project=project_file, batch=5, chunk_seconds=0.5
    )
    assert summary.frames == 72 and summary.damaged_frames == ()
    assert summary.chunks == 5  # 12-frame chunks, cut inside shots at batch boundaries
    assert stage.shots == [(0, SHOTS[0]), (1, SHOTS[1]), (2, SHOTS[2])]
    seen = [i for _, idx in stage.batches for i in idx]
    assert seen == list(range(72))
    for shot, idx in stage.batches:
        assert len(idx) <= 5 and SHOTS[shot].start <= idx[0] and idx[-1] < SHOTS[shot].end
        assert (idx[0] - SHOTS[shot].start) % 5 == 0  # batches start at the shot's first frame
    source, restored = _frames(film), _frames(out)
    assert len(restored) == 72
    for a, b in zip(source, restored, strict=True):
        assert np.array_equal(a[..., 0], b[..., 0])  # luma through the float round trip
        assert (b[..., 1] == 184).all() and (b[..., 2] == 100).all()
    # Matroska keeps milliseconds: the same ones a plain re-encode gets.
    plain = tmp_path / "plain.mkv"
    pipeline.restore(film, plain, codec="ffv1")
    assert _video_pts(out) == _video_pts(plain)
    assert _packets(out, "audio") == _packets(plain, "audio")
    assert [b for b, _ in _packets(out, "audio")] == [b for b, _ in _packets(film, "audio")]


def test_a_stage_with_context_resumes_inside_a_shot_to_identical_frames(
    film: Path, tmp_path: Path
) -> None:
    one_shot = Project.new(film, shots=[Shot(0, 72, 36)]).save(tmp_path / "one.panchro")
    kw = {"codec": "ffv1", "project": one_shot, "batch": 4}
    reference = tmp_path / "whole.mkv"
    summary = pipeline.restore(film, reference, stages=[WindowMean()], chunk_seconds=100, **kw)
    assert summary.chunks == 1

    # 6-frame chunks: a 72-frame shot is cut inside at the first batch boundary after
    # each 6 frames, every 8 frames.
    out = tmp_path / "cut.mkv"
    with pytest.raises(CancelledError):
        pipeline.restore(
            film, out, stages=[WindowMean()], chunk_seconds=CHUNK_S, keep_job=True,
            progress=cancelled_at(30), **kw,
        )  # fmt: skip
    chunks = json.loads((job_folder(out) / "manifest.json").read_text())["chunks"]
    starts = [c["start"] for c in chunks]
    assert starts == list(range(0, 72, 8))
    assert [c["status"] for c in chunks][0] == "done" and chunks[-1]["status"] != "done"
    stage = WindowMean()
    summary = pipeline.restore(film, out, stages=[stage], chunk_seconds=CHUNK_S, **kw)
    assert summary.resumed_frames >= 24
    # The resumed part started inside the shot, yet saw the two frames before it; and the
    # last batch before each chunk end saw the two after it.
    first = min(i for i, _, _ in stage.seen)
    assert first % 8 == 0 and 24 <= first < 72
    assert (first, 2, 2) in stage.seen
    if first < 64:
        assert (first + 4, 2, 2) in stage.seen  # the chunk ends at first + 8: two came along
    assert (68, 2, 0) in stage.seen  # the shot's (and film's) end: nothing after
    assert _same_frames(out, reference)


def test_a_long_shot_is_cut_into_chunks_of_the_chunk_length(film: Path, tmp_path: Path) -> None:
    """A film of one shot used to be one chunk (cut only at 4x the chunk length), so a kill
    meant starting again (issue 15); the colour mode is per shot, the chunk only a unit of
    resuming."""
    one_shot = Project.new(film, shots=[Shot(0, 72, 36)]).save(tmp_path / "one.panchro")
    stage = ConstantChroma()
    out = tmp_path / "one.mkv"
    summary = pipeline.restore(
        film, out, codec="ffv1", stages=[stage], project=one_shot, batch=4, chunk_seconds=0.5
    )
    assert summary.chunks == 6  # 12 frames each
    assert stage.shots == [(0, Shot(0, 72, 36))]  # one shot begun once: one colour mode


class ThreadCount:
    """Records torch's intra-op thread count while it runs."""

    key = "test-thread-count"

    def __init__(self) -> None:
        self.seen: set[int] = set()

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(self, shot_index: int, shot: Shot, pick: object, film: object) -> None:
        return None

    def process(self, batch: FrameBatch) -> FrameBatch:
        import torch

        self.seen.add(torch.get_num_threads())
        return batch


def test_a_job_keeps_its_thread_count_and_a_resume_uses_it(
    film: Path, project_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    before = torch.get_num_threads()
    out = tmp_path / "threads.mkv"
    kw = {"codec": "ffv1", "chunk_seconds": CHUNK_S, "keep_job": True, "project": project_file}
    try:
        monkeypatch.setenv("PANCHRO_THREADS", "1")
        first = ThreadCount()
        with pytest.raises(CancelledError):
            pipeline.restore(film, out, stages=[first], progress=cancelled_at(30), **kw)
        assert first.seen == {1}
        assert json.loads((job_folder(out) / "manifest.json").read_text())["threads"] == 1
        monkeypatch.setenv("PANCHRO_THREADS", "2")  # another machine, or another setting
        resumed = ThreadCount()
        summary = pipeline.restore(film, out, stages=[resumed], **kw)
        assert summary.resumed_frames > 0 and resumed.seen == {1}
    finally:
        torch.set_num_threads(before)


class PrecisionSeen(ThreadCount):
    """Records the upscaler's CPU precision while it runs."""

    key = "test-cpu-precision"

    def process(self, batch: FrameBatch) -> FrameBatch:
        from panchro.engine.inference import device

        self.seen.add(str(device.cpu_dtype()))
        return batch


def test_a_job_keeps_its_cpu_precision_and_a_resume_uses_it(
    film: Path, project_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "precision.mkv"
    kw = {"codec": "ffv1", "chunk_seconds": CHUNK_S, "keep_job": True, "project": project_file}
    monkeypatch.setenv("PANCHRO_CPU_BF16", "1")
    first = PrecisionSeen()
    with pytest.raises(CancelledError):
        pipeline.restore(film, out, stages=[first], progress=cancelled_at(30), **kw)
    assert first.seen == {"torch.bfloat16"}
    manifest = job_folder(out) / "manifest.json"
    assert json.loads(manifest.read_text())["precision"] == "bfloat16"
    monkeypatch.setenv("PANCHRO_CPU_BF16", "0")  # a CPU without it, or another setting
    resumed = PrecisionSeen()
    summary = pipeline.restore(film, out, stages=[resumed], **kw)
    assert summary.resumed_frames > 0 and resumed.seen == {"torch.bfloat16"}
    # a job from before precision was recorded was computed in float32, and resumes so
    out2 = tmp_path / "old.mkv"
    monkeypatch.setenv("PANCHRO_CPU_BF16", "1")
    with pytest.raises(CancelledError):
        pipeline.restore(film, out2, stages=[PrecisionSeen()], progress=cancelled_at(30), **kw)
    old = job_folder(out2) / "manifest.json"
    doc = json.loads(old.read_text())
    del doc["precision"]
    old.write_text(json.dumps(doc))
    resumed = PrecisionSeen()
    summary = pipeline.restore(film, out2, stages=[resumed], **kw)
    assert summary.resumed_frames > 0 and resumed.seen == {"torch.float32"}


@pytest.mark.parametrize(
    "codec,name",
    [
        ("h264", "out.mp4"),
        ("h265", "out.mp4"),
        ("prores", "out.mov"),
        ("ffv1", "out.mkv"),
        ("png16", "frames"),
        ("tiff16", "frames"),
        ("dpx", "frames"),
    ],
)
def test_every_codec_gives_identical_files_and_resumes_to_them(
    codec: str, name: str, film: Path, project_file: Path, tmp_path: Path
) -> None:
    """Run twice, and once cancelled then resumed: the same frames every time, and for a
    file the same bytes. H.264 used to differ from run to run on a busy machine (x264's
    macroblock tree; issue 15). The project gives the shots, so the cancel lands in the
    render, not in shot detection."""
    kw = {
        "codec": codec,
        "chunk_seconds": CHUNK_S,
        "stages": [ConstantChroma()],
        "project": project_file,
    }
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}" / name
        out.parent.mkdir()
        pipeline.restore(film, out, **kw)
        runs.append(out)
    cut = tmp_path / "cut" / name
    cut.parent.mkdir()
    with pytest.raises(CancelledError):
        pipeline.restore(film, cut, keep_job=True, progress=cancelled_at(30), **kw)
    summary = pipeline.restore(film, cut, keep_job=True, **kw)
    assert summary.resumed_frames > 0
    for other in (runs[1], cut):
        assert _same_frames(other, runs[0])
        if runs[0].suffix in (".mp4", ".mov"):  # Matroska writes a random segment UID
            assert other.read_bytes() == runs[0].read_bytes()
        elif runs[0].is_file():
            assert _packets(other, "video") == _packets(runs[0], "video")


@pytest.mark.skipif(sys.platform != "linux", reason="MALLOC_PERTURB_ is glibc's")
@pytest.mark.parametrize("codec", ["h264", "h265"])
def test_the_encoders_output_does_not_depend_on_leftover_memory(
    codec: str, film: Path, tmp_path: Path
) -> None:
    """x264's macroblock tree read memory it had not written: the same command gave other
    files from run to run, more often on a busy machine (issue 15). Filling fresh memory
    with two different bytes makes that certain instead of rare."""
    outs = []
    for byte in (165, 90):
        out = tmp_path / f"perturb{byte}.mp4"
        env = {**os.environ, "MALLOC_PERTURB_": str(byte)}
        proc = _cli(str(film), str(out), "--codec", codec, "-q", env=env)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_a_stage_may_change_the_size(film: Path, tmp_path: Path) -> None:
    out = tmp_path / "double.mkv"
    summary = pipeline.restore(film, out, codec="ffv1", stages=[DoubleNearest()], batch=4)
    assert (summary.width, summary.height) == (320, 240)
    source, restored = _frames(film), _frames(out)
    assert len(restored) == 72 and restored[0].shape == (240, 320, 3)
    for a, b in zip(source, restored, strict=True):
        assert np.array_equal(b[::2, ::2, 0], a[..., 0]) and np.array_equal(
            b[1::2, 1::2], b[::2, ::2]
        )


class AutoPick:
    """Picks a colour itself for shots that have none, as the colorize stage will."""

    key = "test-auto-pick"

    def __init__(self) -> None:
        self.given: list[Pick | None] = []

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(
        self, shot_index: int, shot: Shot, pick: Pick | None, film: object
    ) -> Pick | None:
        self.given.append(pick)
        if pick is not None:
            return None
        bins = np.full((2, 28, 28), 16, np.uint8)
        return Pick(seed=shot_index, temperature=1.0, index=0, chroma=bins, source="auto")

    def process(self, batch: FrameBatch) -> FrameBatch:
        return batch


def test_automatic_picks_are_recorded_in_the_project(
    film: Path, project_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "film.panchro"
    project = Project.load(project_file)
    mine = Pick(7, 0.5, 3, np.zeros((2, 28, 28), np.uint8), locked=True)
    project.set_pick(1, mine)
    project.save(path)
    stage = AutoPick()
    summary = pipeline.restore(film, tmp_path / "o.mp4", stages=[stage], project=path)
    assert stage.given == [None, mine, None]
    after = Project.load(path)
    assert [p.source if p else None for p in after.picks] == ["auto", "user", "auto"]
    assert after.picks[1] == mine and after.picks[2].seed == 2
    assert any("recorded" in n for n in summary.notes)


def test_without_stages_luma_is_bit_exact(film: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy.mkv"
    pipeline.restore(film, out, codec="ffv1", chunk_seconds=0.5)
    for a, b in zip(_frames(film), _frames(out), strict=True):
        assert np.array_equal(a[..., 0], b[..., 0])


def test_preview_is_before_and_after_side_by_side(film: Path, tmp_path: Path) -> None:
    out = tmp_path / "preview.mkv"
    summary = pipeline.restore(film, out, codec="ffv1", stages=[ConstantChroma()], preview=1.0)
    assert summary.frames == 24 and (summary.width, summary.height) == (320, 120)
    source, shown = _frames(film), _frames(out)
    assert len(shown) == 24
    for k, frame in enumerate(shown):
        before, after = frame[:, :160], frame[:, 160:]
        assert np.array_equal(before, source[24 + k])  # frames 24..47: the middle second
        assert np.array_equal(after[..., 0], before[..., 0]) and (after[..., 1] == 184).all()
    assert _video_pts(out)[0] == 0  # the preview starts at its own beginning


def test_stages_that_need_models_are_named(film: Path, tmp_path: Path) -> None:
    assert build_stages(Settings()) == []
    with pytest.raises(ModelMissingError) as err:
        build_stages(Settings(colorize=True))
    assert "colorizer.safetensors" in str(err.value)
    with pytest.raises(ModelMissingError) as err:
        build_stages(Settings(upscale=2))
    assert "upscaler_x2.safetensors" in str(err.value)
    proc = _cli(str(film), str(tmp_path / "x.mp4"), "--colorize", "-q")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "colorizer" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.mp4").exists()


# --------------------------------------------------------------------------- chunks


def test_chunks_follow_shots() -> None:
    # A chunk closes at the first shot end once it holds 30 frames.
    shots = [(0, 24), (24, 48), (48, 72), (72, 110)]
    assert plan_chunks(shots, min_frames=30, split_frames=120, batch=8) == [(0, 48), (48, 110)]
    # A long shot is cut inside, at batch boundaries counted from its start (10 + 8k);
    # a tail of half a chunk or more is a chunk of its own, a shorter one joins the one before.
    long_shot = [(0, 10), (10, 100)]
    assert plan_chunks(long_shot, min_frames=20, split_frames=40, batch=8) == [
        (0, 42), (42, 82), (82, 100),
    ]  # fmt: skip
    assert plan_chunks(long_shot, min_frames=40, split_frames=40, batch=8) == [(0, 42), (42, 100)]
    # a 3-s shot at 2-s chunks (24 fps): two chunks, so a cancel keeps the first
    assert plan_chunks([(0, 72)], min_frames=48, split_frames=48, batch=8) == [(0, 48), (48, 72)]


def test_chunked_restore_keeps_audio_subtitles_and_every_pts(
    film: Path, reference: Path, tmp_path: Path
) -> None:
    assert _packets(reference, "audio") == _packets(film, "audio")
    assert _video_pts(reference) == _video_pts(film)

    # Subtitle cues: the same samples (MP4's muxer adds empty end-of-cue ones of its own).
    def cues(path: Path) -> list[tuple[bytes, int | None]]:
        return [(b, pts) for b, pts in _packets(path, "subtitle") if len(b) > 2]

    assert cues(reference) == cues(film) and len(cues(film)) == 2
    assert not job_folder(reference).exists()
    # Variable frame rate, several chunks: every timestamp exact in MP4.
    vfr = make_video(tmp_path / "vfr.mp4", frames=40, vfr=True)
    out = tmp_path / "vfr_out.mp4"
    summary = pipeline.restore(vfr, out, chunk_seconds=0.2)
    assert summary.chunks > 3
    assert _video_pts(out) == _video_pts(vfr)
    assert _packets(out, "audio") == _packets(vfr, "audio")
    # Matroska stores no decode times; chunks with B-frames still join (to the millisecond).
    mkv = tmp_path / "vfr_out.mkv"
    assert pipeline.restore(vfr, mkv, chunk_seconds=0.2).chunks > 3
    got, want = _video_pts(mkv), _video_pts(vfr)
    assert len(got) == 40 and max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 0.0005
    assert len(_frames(mkv)) == 40


def test_kill_9_then_the_same_command_resumes_to_identical_frames(
    film: Path, project_file: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed.mp4"
    args = (str(film), str(out), "--project", str(project_file), "--chunk-seconds", str(CHUNK_S))
    manifest = job_folder(out) / "manifest.json"
    proc = _cli(*args, "-q")
    done = 0
    while proc.poll() is None and not done:
        try:
            chunks = json.loads(manifest.read_text())["chunks"]
            done = sum(c["status"] == "done" for c in chunks)
        except (OSError, ValueError):
            pass
        if done:
            os.kill(proc.pid, signal.SIGKILL)
        else:
            time.sleep(0.002)
    proc.communicate()
    assert done and proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not out.exists() and job_folder(out).exists()
    assert done < len(chunks)

    proc = _cli(*args)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "resumed" in stdout and str(out) in stdout
    left = [p for p in tmp_path.iterdir() if p not in (out, record_path(out))]
    assert not job_folder(out).exists() and not left  # the film and its record, nothing else
    assert _same_frames(out, reference)
    assert _packets(out, "audio") == _packets(film, "audio")
    assert _video_pts(out) == _video_pts(film)


def test_cancel_leaves_a_resumable_job_that_only_the_same_command_resumes(
    film: Path, project_file: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cancelled.mp4"
    cancel = threading.Event()

    def stop_midway(state: object) -> None:
        if getattr(state, "done", 0) >= 30:
            cancel.set()

    progress = Progress(None, stop_midway, max_hz=1000, cancel=cancel)
    kw = {"project": project_file, "chunk_seconds": CHUNK_S, "keep_job": True}
    with pytest.raises(CancelledError):
        pipeline.restore(film, out, progress=progress, **kw)
    assert not out.exists()
    chunks = json.loads((job_folder(out) / "manifest.json").read_text())["chunks"]
    assert 0 < sum(c["status"] == "done" for c in chunks) < len(chunks)

    # Other settings: refused, saying what differs and how to start over; the job stays.
    with pytest.raises(OutputError) as err:
        pipeline.restore(film, out, codec="h265", **kw)
    assert "codec: h264 -> h265" in str(err.value) and "--restart" in str(err.value)
    assert job_folder(out).exists()

    summary = pipeline.restore(film, out, **kw)
    assert summary.resumed_frames > 0 and summary.frames == 72
    assert _same_frames(out, reference)
    assert not job_folder(out).exists()

    # --restart drops a job and renders everything.
    with pytest.raises(CancelledError):
        pipeline.restore(film, tmp_path / "again.mp4", progress=cancelled_at(12), **kw)
    summary = pipeline.restore(film, tmp_path / "again.mp4", restart=True, **kw)
    assert summary.resumed_frames == 0 and _same_frames(tmp_path / "again.mp4", reference)


def test_a_second_run_on_one_output_is_refused_and_leaves_the_first_runs_work(
    film: Path, project_file: Path, reference: Path, tmp_path: Path
) -> None:
    """The same command in a second terminal (or the app's export beside a command line's)
    took the first run's half-made chunk for a killed run's and deleted it."""
    out = tmp_path / "twice.mp4"
    reached, go = threading.Event(), threading.Event()

    def pause_midway(state: object) -> None:
        if getattr(state, "done", 0) >= 10 and not go.is_set():
            reached.set()
            go.wait(60)

    kw = {"project": project_file, "chunk_seconds": CHUNK_S, "keep_job": True}
    ended: list[object] = []

    def first() -> None:
        try:
            ended.append(pipeline.restore(film, out, progress=Progress(None, pause_midway), **kw))
        except BaseException as exc:  # noqa: BLE001 - said by the assert below
            ended.append(exc)

    runner = threading.Thread(target=first)
    runner.start()
    try:
        assert reached.wait(60)
        before = sorted(p.name for p in job_folder(out).iterdir())
        with pytest.raises(OutputError, match="another run is writing this output now") as err:
            pipeline.restore(film, out, **kw)
        assert f"process {os.getpid()}" in str(err.value)
        with pytest.raises(OutputError, match="another run is writing"):
            pipeline.restore(film, out, restart=True, **kw)  # not even to start over
        assert sorted(p.name for p in job_folder(out).iterdir()) == before
    finally:
        go.set()
        runner.join(120)
    summary = ended[0]
    assert not isinstance(summary, BaseException), summary
    assert _same_frames(out, reference)
    # the lock ends with the run: the same output can be written again
    pipeline.restore(film, out, overwrite=True, **kw)


def test_a_finished_chunk_cut_short_since_is_rendered_again(
    film: Path, project_file: Path, reference: Path, tmp_path: Path
) -> None:
    """A chunk file cut short after it was done (a copy of the job folder broken off) failed
    every resume at the join; it is rendered again as a missing one is."""
    out = tmp_path / "cut.mp4"
    kw = {"project": project_file, "chunk_seconds": CHUNK_S, "keep_job": True}
    with pytest.raises(CancelledError):
        pipeline.restore(film, out, progress=cancelled_at(30), **kw)
    chunks = json.loads((job_folder(out) / "manifest.json").read_text())["chunks"]
    done = [c for c in chunks if c["status"] == "done"]
    assert len(done) >= 2 and all(c["bytes"] > 0 for c in done)
    first = job_folder(out) / done[0]["file"]
    first.write_bytes(first.read_bytes()[: done[0]["bytes"] // 2])
    summary = pipeline.restore(film, out, **kw)
    assert summary.resumed_frames == sum(c["end"] - c["start"] for c in done[1:])
    assert _same_frames(out, reference)


def test_a_user_folder_that_cannot_hold_the_lock_does_not_stop_a_restore(
    film: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from panchro.engine.restore import jobs

    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the user's data folder would be")
    monkeypatch.setattr(jobs, "user_data_dir", lambda: blocked)
    summary = pipeline.restore(film, tmp_path / "out.mkv", codec="ffv1", record=False)
    assert summary.frames == 72


def test_a_frame_rescanned_between_runs_is_not_joined_to_the_old_scans_chunks(
    tmp_path: Path,
) -> None:
    """Uncompressed frames are all one size, and the film's fingerprint reads the first and
    the last: a frame rescanned in between went unseen, and the resume kept the old scan's
    chunks. Every frame's middle bytes are in the job's identity now."""
    from PIL import Image

    frames = tmp_path / "scan"
    frames.mkdir()
    rng = np.random.default_rng(0)
    for i in range(24):  # uncompressed: every frame the same size, as DPX frames are
        picture = rng.integers(0, 256, (48, 64), dtype=np.uint8)
        Image.fromarray(picture).save(frames / f"f{i + 1}.tif", compression="raw")
    out = tmp_path / "scan.mkv"
    kw = {"codec": "ffv1", "chunk_seconds": CHUNK_S, "keep_job": True}
    with pytest.raises(CancelledError):
        pipeline.restore(frames, out, progress=cancelled_at(12), **kw)
    rescan, other = frames / "f4.tif", frames / "f20.tif"
    assert rescan.stat().st_size == other.stat().st_size
    rescan.write_bytes(other.read_bytes())
    with pytest.raises(OutputError, match="a frame of the folder is not as it was: rescanned"):
        pipeline.restore(frames, out, **kw)
    summary = pipeline.restore(frames, out, restart=True, **kw)
    assert summary.resumed_frames == 0 and summary.frames == 24


def test_a_stopped_restore_says_what_it_kept(film: Path, tmp_path: Path) -> None:
    """Stopped before its first chunk was whole, the command line promised a resume."""
    from panchro.engine.cli.common import resume_words

    kw = {"chunk_seconds": 1.0, "keep_job": True}
    with pytest.raises(CancelledError) as early:
        pipeline.restore(film, tmp_path / "early.mkv", progress=cancelled_at(3), **kw)
    assert resume_words(early.value) == "no chunk was whole yet: the same command starts again"
    with pytest.raises(CancelledError) as later:
        pipeline.restore(film, tmp_path / "later.mkv", progress=cancelled_at(40), **kw)
    kept = later.value.extra["kept_frames"]
    assert kept > 0 and resume_words(later.value).startswith(f"{kept} frames are kept: run the")
    assert resume_words(KeyboardInterrupt()) == "run the same command again to resume"


def test_without_keep_job_a_cancel_leaves_nothing(film: Path, tmp_path: Path) -> None:
    with pytest.raises(CancelledError):
        pipeline.restore(film, tmp_path / "x.mp4", progress=cancelled_at(20), chunk_seconds=0.25)
    assert list(tmp_path.iterdir()) == []


def test_disk_full_is_a_clear_error_and_the_job_resumes(
    film: Path, project_file: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "full.mp4"
    limit = reference.stat().st_size // 2  # the chunks fit, the joined film does not

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = (str(film), str(out), "--project", str(project_file), "--chunk-seconds", str(CHUNK_S))
    proc = _cli(*args, "-q", preexec_fn=small_disk)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "File too large" in lines[0] and "resume" in lines[0], stderr
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == [job_folder(out).name]
    proc = _cli(*args, "-q")
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert _same_frames(out, reference)


# --------------------------------------------------------------------------- faults


def test_a_corrupt_packet_repeats_the_last_good_frame(tmp_path: Path) -> None:
    src = make_video(tmp_path / "good.mp4", frames=48, gop=12)
    bad = with_broken_frame(src, 30, tmp_path / "bad.mp4")
    out = tmp_path / "out.mkv"
    summary = pipeline.restore(bad, out, codec="ffv1", chunk_seconds=0.5)
    assert summary.frames == 48 and summary.damaged_frames == (30,)
    assert "damaged" in summary.describe() and "(counting from 0): 30" in summary.describe()
    # the record names it, numbered as its shots are (from 1)
    record = (tmp_path / "out.mkv.restoration.md").read_text()
    assert "1 frame(s) could not be decoded (number 31, counting from 1)" in record
    frames = _frames(out)
    assert len(frames) == 48 and np.array_equal(frames[30], frames[29])
    assert not np.array_equal(frames[31], frames[30])
    plain = tmp_path / "plain.mkv"
    pipeline.restore(src, plain, codec="ffv1")
    assert _video_pts(out) == _video_pts(plain)


def test_an_existing_output_is_refused_unless_overwrite(film: Path, tmp_path: Path) -> None:
    out = tmp_path / "exists.mp4"
    out.write_bytes(b"precious")
    with pytest.raises(OutputError, match="exists"):
        pipeline.restore(film, out, keep_job=True)
    assert out.read_bytes() == b"precious" and not job_folder(out).exists()
    summary = pipeline.restore(film, out, overwrite=True)
    assert summary.frames == 72 and out.stat().st_size > 1000


def test_odd_sizes_are_padded_for_4_2_0_and_said_so(tmp_path: Path) -> None:
    frames = make_frame_folder(tmp_path / "odd", 6, (65, 49))
    summary = pipeline.restore(frames, tmp_path / "odd.mp4", codec="h264")
    assert (summary.width, summary.height) == (66, 50)
    assert any("padded 65x49 to 66x50" in n for n in summary.notes)
    assert "padded" in summary.describe()
    assert media.probe(tmp_path / "odd.mp4").width == 66
    summary = pipeline.restore(frames, tmp_path / "odd.mkv", codec="ffv1", record=False)
    assert (summary.width, summary.height) == (65, 49) and summary.notes == ()


def test_image_sequences_are_chunks_of_frame_numbers(film: Path, tmp_path: Path) -> None:
    out = tmp_path / "frames"
    with pytest.raises(CancelledError):
        pipeline.restore(
            film, out, codec="png16", chunk_seconds=0.5, keep_job=True, progress=cancelled_at(30)
        )
    assert not out.exists()
    summary = pipeline.restore(film, out, codec="png16", chunk_seconds=0.5, keep_job=True)
    assert summary.resumed_frames > 0
    made = 72 - summary.resumed_frames  # what the time and the fps said are of
    assert summary.describe().startswith(f"72 frames, {made} made now, in ")
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"frame_{i:06d}.png" for i in range(72)]
    assert not job_folder(out).exists()


def test_the_project_must_be_the_films(film: Path, project_file: Path, tmp_path: Path) -> None:
    other = make_video(tmp_path / "other.mp4", frames=24)
    with pytest.raises(BadInputError) as err:
        pipeline.restore(other, tmp_path / "o.mp4", project=project_file)
    assert "not the film of the project" in str(err.value) and "size changed" in str(err.value)
