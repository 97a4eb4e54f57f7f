"""Resumable restore jobs: the chunk plan, the job folder and its manifest, the final join.

A restore writes its output as *chunks*: consecutive frame ranges, each
encoded on its own (so each starts on a keyframe) into a job folder beside the
output, `OUTPUT.panchro-job/`, next to a manifest (`manifest.json`) that says
which input and which settings the job is for and which chunks are complete.
When every chunk is there, `Job.finish` joins them -- video packets copied,
never re-encoded, with the source's sound and subtitles -- into the output,
atomically, and removes the folder.

Why it survives `kill -9` at any moment: a chunk is written under a temporary
name and renamed when complete, and only then marked done in the manifest,
which is itself replaced atomically. A run that finds the folder again keeps
the chunks the manifest calls done, deletes everything else (a partial chunk,
temporaries) and renders the rest. Because every chunk is encoded from the
same frames with the same settings, a resumed job's frames equal an
uninterrupted one's.

A job is only resumed by the same command: the manifest records the input's
identity (size, hash of its first and last MiB) and a settings digest (codec,
bit depth, stages, shots and picks, batch size, chunk plan, library
versions). Anything else is refused with what differs and how to start over.

Chunk plan (`plan_chunks`): a chunk ends on a shot boundary once it holds at
least `min_frames` (2 s by default), so per-shot work never straddles two
chunks; a shot longer than `split_frames` is cut inside at a multiple of the
batch size from the shot's start, the boundaries the batches have anyway.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from panchro.engine.errors import OutputError
from panchro.engine.fsutil import atomic_write, tree_size
from panchro.engine.paths import job_folder, user_data_dir

if TYPE_CHECKING:
    import numpy as np

    from panchro.engine.media import MediaInfo, Soundtrack, Stretch

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = "panchro.job"
VERSION = 1
DONE = "done"
PENDING = "pending"


@contextlib.contextmanager
def sole_writer(target: str | os.PathLike[str], *, what: str = "this output") -> Iterator[None]:
    """Hold, for the block, the one lock on writing `target` (an output and its job folder).

    Two runs writing one output (the same command in two terminals, the app's export and a
    command line's) would each take the other's half-made chunk for a killed run's and delete
    it. The second is refused instead, naming the process that writes. The lock is the
    system's (flock; on Windows a byte lock), so a run that dies lets go of it; its file, in
    the user's data folder and named by the output's path, stays there and holds nothing.
    The name is of the path with links followed (and, on Windows, case folded), so two ways
    to one file take one lock.
    """
    path = Path(os.path.abspath(Path(target).expanduser()))
    key = os.path.normcase(os.path.realpath(path))
    name = hashlib.sha256(os.fsencode(key)).hexdigest()[:24]
    try:
        folder = user_data_dir() / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a user folder that cannot be written: the run is not stopped
        log.warning("no lock on writing %s (%s): run it once at a time", path, exc)
        yield
        return
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            raise OutputError(
                f"another run is writing {what} now (process {holder}): let it end, or "
                "write to another output",
                path=path,
            )
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        _clear_litter(path)
        yield
    finally:
        os.close(fd)  # lets go of the lock


def _clear_litter(path: Path) -> None:
    """What a killed run left beside `path` (a film half joined, as big as the film; a
    record's or a picture's temporary): hidden, named after it, never read again, and
    nothing else removed them. With the lock held, no other run is writing them."""
    try:
        found = list(path.parent.glob(f".{glob.escape(path.name)}.*"))
    except OSError:
        return
    for p in found:
        rest = p.name[len(path.name) + 2 :]
        if ".part" not in rest and not rest.endswith(".tmp"):
            continue
        log.info("removing %s, left by a run that was stopped", p)
        with contextlib.suppress(OSError):
            remove_tree(p)


def _holder(fd: int) -> str:
    """The process id the lock's holder wrote, or "?" (not yet written, or unreadable)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 64).decode("ascii", "replace").strip() or "?"
    except OSError:  # Windows: the locked byte cannot be read
        return "?"


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def plan_chunks(
    shots: Sequence[tuple[int, int]], *, min_frames: int, split_frames: int, batch: int
) -> list[tuple[int, int]]:
    """Frame ranges [start, end) of the chunks for `shots` (contiguous [start, end) ranges).

    A chunk closes at the end of a shot once it holds `min_frames` or more;
    inside a shot it closes at a batch boundary (start of shot + k * `batch`)
    once it holds `split_frames` or more. The last chunk takes what is left; a tail shorter
    than half `min_frames` joins the chunk before it. (Merging every tail shorter than
    `min_frames` made a 3-s part one chunk: a cancel kept nothing of it to resume.)
    """
    if min_frames < 1 or split_frames < min_frames or batch < 1:
        raise ValueError("need 1 <= min_frames <= split_frames and batch >= 1")
    chunks: list[tuple[int, int]] = []
    start: int | None = None
    for s, e in shots:
        if start is None:
            start = s
        # Cuts inside the shot, at batch boundaries, whenever the chunk is long enough.
        while True:
            k = max(1, -(-(start + split_frames - s) // batch))
            cut = s + k * batch
            if cut >= e:
                break
            chunks.append((start, cut))
            start = cut
        if e - start >= min_frames:
            chunks.append((start, e))
            start = None
    if start is not None:
        end = shots[-1][1]
        if chunks and 2 * (end - start) < min_frames:
            chunks[-1] = (chunks[-1][0], end)  # a short tail joins the chunk before
        else:
            chunks.append((start, end))
    return chunks


def input_identity(path: str | os.PathLike[str], info: MediaInfo) -> dict[str, Any]:
    """What identifies the input of a job: its path, size, partial hash, length."""
    from panchro.engine.project import fingerprint

    size, digest = fingerprint(path)
    identity = {
        "path": os.path.abspath(Path(path).expanduser()),
        "size": size,
        "sha256": digest,
        "frame_count": info.frame_count,
    }
    if Path(path).is_dir():
        identity["frames"] = frames_digest(Path(path))
    return identity


SAMPLE = 4096  # bytes of each frame file `frames_digest` reads, from its middle


def frames_digest(folder: Path) -> str:
    """A hash of every frame of a folder: its name, size and SAMPLE bytes from its middle.

    The fingerprint reads the first frame and the last: a frame rescanned in between (DPX
    frames are all one size) went unseen, and a resume would have joined chunks of the old
    scan to the new. A few kB of each frame tell it, at one small read a frame."""
    from panchro.engine.media import frame_files

    digest = hashlib.sha256()
    for f in frame_files(folder):
        size = f.stat().st_size
        with f.open("rb") as fh:
            fh.seek(max(0, size // 2 - SAMPLE // 2))
            digest.update(f"{f.name}\0{size}\0".encode() + fh.read(SAMPLE))
    return digest.hexdigest()


def settings_digest(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


@dataclass
class Chunk:
    index: int
    start: int  # first frame
    end: int  # one past the last frame
    file: str  # name in the job folder (a file, or a folder of frames for sequences)
    offset: int = 0  # subtracted from every pts when written (see media.join_video)
    status: str = PENDING
    damaged: list[int] = field(default_factory=list)  # frames repeated because undecodable
    # its bytes once done: a chunk since cut short or changed is rendered again (None in
    # manifests written before they were recorded)
    size: int | None = None

    @property
    def done(self) -> bool:
        return self.status == DONE

    @property
    def frames(self) -> int:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": self.start,
            "end": self.end,
            "file": self.file,
            "offset": self.offset,
            "status": self.status,
            "damaged": list(self.damaged),
        } | ({} if self.size is None else {"bytes": self.size})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        return cls(
            index=int(d["index"]),
            start=int(d["start"]),
            end=int(d["end"]),
            file=str(d["file"]),
            offset=int(d.get("offset", 0)),
            status=str(d["status"]),
            damaged=[int(i) for i in d.get("damaged", [])],
            size=int(d["bytes"]) if d.get("bytes") is not None else None,
        )


class Job:
    """A job folder and its manifest. Make one with `Job.resume` or `Job.create`."""

    def __init__(
        self,
        folder: Path,
        output: Path,
        identity: dict[str, Any],
        settings: dict[str, Any],
        shots: list[tuple[int, int, int]],
        chunks: list[Chunk],
        *,
        resumed: bool,
        threads: int | None = None,
        precision: str | None = None,
    ) -> None:
        self.folder = folder
        self.output = output
        self.identity = identity
        self.settings = settings
        self.shots = shots  # (start, end, key frame) of each shot
        self.chunks = chunks
        self.resumed = resumed  # True when this run found the job from an earlier one
        # The CPU thread count its frames were computed with; a resume uses it again, since
        # the last bit of a model's output can depend on it (panchro.engine.inference.device).
        # None in manifests written before it was recorded.
        self.threads = threads
        # Likewise the upscaler's CPU precision ("float32" or "bfloat16"); None in manifests
        # written before it was recorded, whose frames were all computed in float32.
        self.precision = precision

    # ---------------------------------------------------------------- opening

    @classmethod
    def resume(cls, output: Path, identity: dict[str, Any], settings: dict[str, Any]) -> Job | None:
        """The unfinished job for `output`, if there is one and it is for the same command.

        None when there is no job folder (or one without a manifest, which a
        run killed while starting leaves: no chunk was done). OutputError when there is one for
        another input or other settings (saying what differs and how to start
        over), or when its manifest is damaged.
        """
        folder = job_folder(output)
        if not folder.exists():
            return None
        manifest = folder / MANIFEST
        restart = "run with --restart to start over"
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT or doc.get("version") != VERSION:
                raise ValueError(f"format {doc.get('format')!r} version {doc.get('version')!r}")
            chunks = [Chunk.from_dict(c) for c in doc["chunks"]]
            shots = [(int(s), int(e), int(k)) for s, e, k in doc["shots"]]
            old_identity, old_settings = doc["input"], doc["settings"]
            threads = doc.get("threads")
            threads = int(threads) if threads is not None else None
            precision = doc.get("precision")
            if precision is not None and not isinstance(precision, str):
                raise ValueError(f"precision {precision!r}")
        except FileNotFoundError:
            # Killed between making the folder and writing the manifest: nothing was done.
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise OutputError(
                f"the job folder {folder.name} has a damaged manifest ({exc}); {restart}",
                path=output,
                extra=_unfinished("damaged", str(exc)),
            ) from None
        if "frames" not in old_identity:  # a job from before frames were hashed
            identity = {k: v for k, v in identity.items() if k != "frames"}
        diff = differences(old_identity, identity, "input")
        if diff == "input.frames changed":
            diff = "a frame of the folder is not as it was: rescanned, or replaced"
        if diff:
            raise OutputError(
                f"an unfinished job for another input is in {folder.name} ({diff}); {restart}",
                path=output,
                extra=_unfinished("input", diff),
            )
        if settings_digest(old_settings) != settings_digest(settings):
            diff = differences(old_settings, settings, "")
            raise OutputError(
                f"an unfinished job with other settings is in {folder.name} ({diff}); run the "
                f"same command as before to resume it, or {restart}",
                path=output,
                extra=_unfinished("settings", diff),
            )
        job = cls(
            folder, output, old_identity, old_settings, shots, chunks, resumed=True,
            threads=threads, precision=precision,
        )  # fmt: skip
        job._clean()
        return job

    @classmethod
    def create(
        cls,
        output: Path,
        identity: dict[str, Any],
        settings: dict[str, Any],
        shots: Sequence[tuple[int, int, int]],
        ranges: Sequence[tuple[int, int]],
        *,
        extension: str,
        offsets: Sequence[int],
        threads: int | None = None,
        precision: str | None = None,
    ) -> Job:
        """A new job folder for `ranges` (replacing any old one), its manifest written."""
        folder = job_folder(output)
        if folder.exists():
            remove_tree(folder)
        try:
            folder.mkdir()
        except OSError as exc:
            raise OutputError(
                f"cannot make the job folder {folder.name} ({exc.strerror or exc})", path=output
            ) from None
        chunks = [
            Chunk(i, s, e, f"chunk_{i:05d}{extension}", offset=offsets[i])
            for i, (s, e) in enumerate(ranges)
        ]
        job = cls(
            folder, output, identity, settings, list(shots), chunks, resumed=False,
            threads=threads, precision=precision,
        )  # fmt: skip
        job._write()
        return job

    # ---------------------------------------------------------------- progress of the job

    def pending(self) -> list[Chunk]:
        return [c for c in self.chunks if not c.done]

    def done_frames(self) -> int:
        return sum(c.frames for c in self.chunks if c.done)

    def path_of(self, chunk: Chunk) -> Path:
        return self.folder / chunk.file

    def mark_done(self, chunk: Chunk, damaged: Sequence[int] = ()) -> None:
        """Record a complete chunk (its file already renamed into place)."""
        chunk.status = DONE
        chunk.damaged = sorted(int(i) for i in damaged)
        chunk.size = tree_size(self.path_of(chunk))
        self._write()

    def damaged_frames(self) -> list[int]:
        return sorted(i for c in self.chunks if c.done for i in c.damaged)

    def finish(
        self,
        *,
        codec: str,
        source: MediaInfo,
        time_base: Fraction,
        overwrite: bool,
        origin: int = 0,
        span: tuple[Fraction, Fraction | None] | None = None,
        stretch: Stretch | None = None,
        soundtrack: Soundtrack | None = None,
    ) -> Path:
        """Join the chunks into the output (atomically) and remove the job folder.

        `origin` (in `time_base` units) is taken from every frame's time, and `span` says
        which of the source's sound and subtitles go with them (`media.join_video`): a part
        of a film starts at 0 with its own sound. The output's timecode is the source's
        moved on to its first frame (`engine.timecode`), where the source has one. With
        `stretch`, `time_base` and `origin` are the delivered frames' and the timecode counts
        them. `soundtrack`: its sound in place of the source's (`media.join_video`)."""
        from panchro.engine import media
        from panchro.engine.restore.delivery import first_label

        if self.pending():
            raise RuntimeError(f"{len(self.pending())} chunk(s) are not done")
        parts = [self.path_of(c) for c in self.chunks]
        if codec in media.SEQUENCE_CODECS:
            out = media.join_sequence(parts, self.output, overwrite=overwrite, tmp_dir=self.folder)
        else:
            out = media.join_video(
                parts,
                self.output,
                source=source,
                time_base=time_base,
                fps=source.fps if stretch is None else stretch.deliver,
                offsets=[c.offset - origin for c in self.chunks],
                overwrite=overwrite,
                tmp_dir=self.folder,
                span=span,
                soundtrack=soundtrack,
                timecode=first_label(source, self.chunks[0].start, stretch),
            )
        self.remove()
        return out

    def writer(self, pending: Sequence[Chunk], **options: Any) -> ChunkWriter:
        """A writer of the frames of `pending`, in order (options: see `ChunkWriter`)."""
        return ChunkWriter(self, pending, **options)

    def remove(self) -> None:
        remove_tree(self.folder)

    # ---------------------------------------------------------------- files

    def _write(self) -> None:
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "output": str(self.output),
            "input": self.identity,
            "settings": self.settings,
            "settings_sha256": settings_digest(self.settings),
            "shots": [list(s) for s in self.shots],
            "chunks": [c.to_dict() for c in self.chunks],
        }
        if self.threads is not None:
            doc["threads"] = self.threads
        if self.precision is not None:
            doc["precision"] = self.precision
        text = json.dumps(doc, indent=1) + "\n"
        atomic_write(
            self.folder / MANIFEST,
            lambda tmp: Path(tmp).write_text(text, encoding="utf-8"),
            what="the job manifest",
        )

    def _clean(self) -> None:
        """Delete what is not a complete chunk: a chunk cut short, temporaries."""
        keep = {MANIFEST} | {c.file for c in self.chunks if c.done}
        for entry in self.folder.iterdir():
            if entry.name not in keep:
                remove_tree(entry)
        for c in self.chunks:
            if not c.done:
                continue
            path = self.path_of(c)
            if not path.exists():
                log.warning("%s: chunk %s is missing; rendering it again", self.folder, c.file)
            elif c.size is not None and (size := tree_size(path)) != c.size:
                # cut short (a disk that filled, a copy of the folder broken off) or changed
                log.warning(
                    "%s: chunk %s is not as it was written (%d bytes, was %d); rendering it again",
                    self.folder, c.file, size, c.size,
                )  # fmt: skip
                remove_tree(path)
            else:
                continue
            c.status, c.damaged, c.size = PENDING, [], None


class ChunkFiles:
    """A job folder as a worker elsewhere sees it (`restore.pipeline.render_planned`): chunks
    are written into it by the same `ChunkWriter`, but only the run that owns the job writes
    its manifest, so a chunk finished here is only noted (`done`: index -> damaged frames)
    for that run to mark."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.done: dict[int, list[int]] = {}

    def path_of(self, chunk: Chunk) -> Path:
        return self.folder / chunk.file

    def mark_done(self, chunk: Chunk, damaged: Sequence[int] = ()) -> None:
        self.done[chunk.index] = sorted(int(i) for i in damaged)

    def writer(self, pending: Sequence[Chunk], **options: Any) -> ChunkWriter:
        return ChunkWriter(self, pending, **options)  # type: ignore[arg-type]

    def discard_parts(self, chunk: Chunk) -> None:
        """Remove what an attempt at `chunk` killed midway left: its temporaries (the encoder
        writes `.NAME.TOKEN.part…` and renames it to NAME only when whole)."""
        for entry in self.folder.glob(f".{chunk.file}.*.part*"):
            remove_tree(entry)


@dataclass
class ChunkWriter:
    """Writes a job's pending chunks frame by frame: one encoder per chunk, opened at the
    chunk's first frame, closed at its last, and only then the chunk is marked done in
    the manifest (with the frames that were damaged in the source). `abort` drops a
    chunk left half-written; the next run renders it again.
    """

    job: Job
    pending: Sequence[Chunk]
    codec: str
    bit_depth: int
    size: tuple[int, int]  # (width, height) of the frames written
    source: MediaInfo
    fmt: str  # the coded planes' layout, "yuv444p" or "yuv444p16"
    stretch: Stretch | None = None  # delivered faster, frames repeated (`media.Stretch`)
    on_done: Callable[[], None] | None = None  # after each chunk is marked done

    def __post_init__(self) -> None:
        self._at = {c.start: c for c in self.pending}
        self._chunk: Chunk | None = None
        self._encoder: Any = None
        self._damaged: list[int] = []

    def write(self, index: int, pts: int, image: np.ndarray, *, damaged: bool = False) -> None:
        """Frame `index` (presentation time `pts` in the film's time base), coded planes."""
        from panchro.engine import media

        stretch = self.stretch
        if self._encoder is None:
            chunk = self._at[index]
            self._encoder = media.VideoWriter(
                self.job.path_of(chunk),
                codec=self.codec,
                bit_depth=self.bit_depth,
                width=self.size[0],
                height=self.size[1],
                time_base=self.source.time_base if stretch is None else stretch.time_base,
                fps=self.source.fps if stretch is None else stretch.deliver,
                source=self.source,
                remux=False,
                overwrite=True,
                # a sequence's files are numbered as delivered
                first_index=chunk.start if stretch is None else stretch.first(chunk.start),
            )
            self._chunk, self._damaged = chunk, []
        chunk = self._chunk
        assert chunk is not None
        # the chunk's offset is in the delivered frames' time base when they are stretched
        for at in [pts] if stretch is None else stretch.pts(index):
            self._encoder.write(image, at - chunk.offset, fmt=self.fmt)
        if damaged:
            self._damaged.append(index)
        if index == chunk.end - 1:
            self._encoder.close()
            self._encoder = None
            self.job.mark_done(chunk, self._damaged)
            if self.on_done is not None:
                self.on_done()

    def abort(self) -> None:
        if self._encoder is not None:
            self._encoder.abort()
            self._encoder = None


def remove_tree(path: Path) -> None:
    """Remove a file or a folder tree; what cannot be removed is left and logged."""
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, onerror=lambda *a: log.warning("cannot remove %s", a[1]))
        else:
            path.unlink()


def _unfinished(why: str, differs: str) -> dict[str, Any]:
    """The error's `unfinished_job`: a job is there that this call cannot resume (`why`:
    "settings", "input" or "damaged"), and what differs; the app offers to start over."""
    return {"unfinished_job": {"why": why, "differs": differs}}


# A stage key's fields left out when they have these values (`ColorizeStage.key`)
_KEY_DEFAULTS = {"strength": "1"}


def _stage_changes(old: list[Any], new: list[Any]) -> str:
    """Two runs' stage keys ("dust:v1:…") as what changed: "dust added, colorize strength
    1 -> 0.6" (a field of a key that differs, by name: `_key_change`)."""
    before = {str(k).split(":")[0]: str(k) for k in old}
    after = {str(k).split(":")[0]: str(k) for k in new}
    words = [f"{n} added" for n in after if n not in before]
    words += [f"{n} left out" for n in before if n not in after]
    words += [
        _key_change(n, before[n], after[n]) for n in before if n in after and before[n] != after[n]
    ]
    return ", ".join(words) or "changed"


def _key_change(name: str, old: str, new: str) -> str:
    """What differs between two keys of stage `name` ("colorize:v2:seed=0:strength=0.6"):
    "colorize strength 1 -> 0.6", "upscale x2 -> x4", or "colorize hints changed" where the
    values are digests too long to read; "colorize changed" when the keys do not say."""

    def fields(key: str) -> tuple[dict[str, str], set[str]]:
        tokens = key.split(":")[1:]
        named = {t.split("=", 1)[0]: t.split("=", 1)[1] for t in tokens if "=" in t}
        return named, {t for t in tokens if "=" not in t}

    (a, a_flags), (b, b_flags) = fields(old), fields(new)
    said = []
    for part in [f for f in {**a, **b} if a.get(f) != b.get(f)]:
        was = a.get(part, _KEY_DEFAULTS.get(part, "none"))
        now = b.get(part, _KEY_DEFAULTS.get(part, "none"))
        short = len(was) <= 12 and len(now) <= 12
        said.append(f"{part} {was} -> {now}" if short else f"{part} changed")
    gone, came = sorted(a_flags - b_flags), sorted(b_flags - a_flags)
    if any(len(t) > 12 for t in gone + came):
        said.append("weights changed")  # an unnamed digest: the weights' (`weights_key`)
    elif gone and came:
        said.append(f"{' '.join(gone)} -> {' '.join(came)}")
    elif gone or came:  # a flag: "recolour"
        said.append(f"{' '.join(gone)} off" if gone else f"{' '.join(came)} on")
    return f"{name} {', '.join(said[:3])}" if said else f"{name} changed"


def differences(old: Any, new: Any, prefix: str) -> str:
    """A short list of what differs between two JSON-like dicts: "codec: h264 -> ffv1"."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return f"{prefix}: changed" if old != new else ""
    parts = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        name = f"{prefix}.{key}" if prefix else key
        if key == "stages" and isinstance(a, list) and isinstance(b, list):
            parts.append(f"{name}: {_stage_changes(a, b)}")
        elif isinstance(a, dict | list) or isinstance(b, dict | list) or len(str(a) + str(b)) > 60:
            parts.append(f"{name} changed")
        else:
            parts.append(f"{name}: {a} -> {b}")
    return "; ".join(parts[:4]) + ("; ..." if len(parts) > 4 else "")
