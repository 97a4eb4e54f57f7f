"""A whole archive restored: many films, each its own resumable job, into one folder.

`restore_archive(source, outdir, ...)` restores every film named by a list file or found in a
folder, each through `restore.pipeline.restore` (called, not copied: a film of an archive
and the same film restored alone with the same options come out the same, to the bit), each
with its own job folder `OUTDIR/NAME.panchro-job/` (resumable chunk by chunk) and its output
written atomically by the job's join. What this module adds is what many films need:

* **Which films.** A list file: one film a line (a video file or a folder of frames), blank
  lines and lines starting with `#` skipped, a relative path read from the list's folder (so
  the list works wherever the command is run). A folder: its video files (by extension) and
  its sub-folders of frames, in natural order; hidden entries, other files, other
  sub-folders and the output folder are left out, and the summary says which.
* **Names.** The output of `reel1.mov` is `OUTDIR/reel1.EXT`, the extension the codec's:
  `.mp4` (h264, h265), `.mov` (prores), `.mkv` (ffv1), or a folder `OUTDIR/reel1/` (png16,
  tiff16, dpx). Two films that would make one output (the same stem whatever its case, its
  extension or its folder, or one film listed twice) are refused before any work, both
  named: renaming is the owner's call, not ours to guess.
* **Resuming.** `OUTDIR/.panchro-archive/log.jsonl` gets one line, fsync'ed, when a film's
  output is in place: the input (path, size, mtime), the output (size, mtime), the settings
  digest. A rerun skips a film whose record still matches both files and the settings; a
  film stopped midway resumes from its job folder (its finished chunks kept); a film whose
  input changed since is restored again.
* **Whose files.** An output already there is replaced only when the log says this archive
  wrote it with these settings and it is unchanged since, or with `overwrite`; anything else
  is refused, all of it before the first film is read, so nothing is half-done.
* **Failures.** A film that is missing, unreadable, cut short (without `allow_truncated`) or
  fails midway is reported with its reason and the others go on; its job folder stays for
  the rerun. Interrupting stops the archive (CancelledError); the next run resumes it.
* **A cluster.** With an `executor` (`cluster.run.RayExecutor`) each film's chunks are Ray
  tasks, and `in_flight` films are under way at once: the next film is planned here (probe,
  shots, automatic picks) while the chunks of the one before render on the cluster, so its
  workers do not wait for the driver between films. Planning takes turns, one film at a
  time, because it runs the shared stages and sets the process's torch threads.

Progress: one view for the whole run (`progress`, counting frames): films done (its stage),
frames per second of the run, and an ETA whose total is known as films are opened (a film
not yet opened is counted as the mean of those that are).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from panchro.engine.errors import BadInputError, CancelledError, OutputError, PanchroError
from panchro.engine.progress import Progress
from panchro.engine.restore.batch import Stage

RECORD_DIR = ".panchro-archive"
LOG = "log.jsonl"
FILMS_IN_FLIGHT = 2  # with a cluster: one film planned here while another renders there
# What a folder's films are: the video containers FFmpeg reads that archives hold.
FILM_SUFFIXES = frozenset({
    ".mp4", ".mov", ".mkv", ".avi", ".mxf", ".m4v", ".mpg", ".mpeg", ".m2v", ".ts", ".m2ts",
    ".mts", ".webm", ".wmv", ".flv", ".ogv", ".dv", ".vob", ".3gp", ".y4m",
})  # fmt: skip
_FRAME_SUFFIXES = frozenset({".png", ".tif", ".tiff", ".jpg", ".jpeg", ".dpx"})
# The output of each codec: a film file's extension, or "" for a folder of frames.
EXTENSIONS = {
    "h264": ".mp4", "h265": ".mp4", "prores": ".mov", "ffv1": ".mkv",
    "png16": "", "tiff16": "", "dpx": "",
}  # fmt: skip
_SHOWN = 5  # names listed in a refusal before "and N more"

Executor = Callable[[Any, Any, Progress], None]


# --------------------------------------------------------------------------- the films


@dataclass(frozen=True)
class Listing:
    """The films of a list or a folder, as (the name given, the absolute path), and what a
    folder held that is not a film."""

    films: list[tuple[str, Path]]
    left_out: list[str] = field(default_factory=list)


def _natural(name: str) -> list[Any]:
    return [
        (0, int(t), "") if t.isdigit() else (1, 0, t.casefold()) for t in re.split(r"(\d+)", name)
    ]


def _frames_folder(folder: Path) -> bool:
    """Whether `folder` holds frames (image files, nothing else but hidden ones)."""
    try:
        names = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return False
    return bool(names) and all(p.suffix.lower() in _FRAME_SUFFIXES for p in names)


def list_films(
    source: str | os.PathLike[str], *, exclude: Sequence[str | os.PathLike[str]] = ()
) -> Listing:
    """The films of `source`, a list file or a folder (module docstring); `exclude`: folders
    (the output) a folder's listing leaves out without a word."""
    src = Path(source).expanduser()
    if src.is_dir():
        return _folder(src, {os.path.realpath(p) for p in exclude})
    if not src.is_file():
        raise BadInputError(
            "is not there: --batch takes a list of films (a text file) or a folder of films",
            path=src,
        )
    return _list_file(src)


def _folder(src: Path, exclude: set[str]) -> Listing:
    films: list[tuple[str, Path]] = []
    left_out: list[str] = []
    for entry in sorted(src.iterdir(), key=lambda p: _natural(p.name)):
        if entry.name.startswith(".") or os.path.realpath(entry) in exclude:
            continue
        if entry.is_dir():
            if _frames_folder(entry):
                films.append((entry.name + "/", entry.absolute()))
            else:
                left_out.append(entry.name + "/")
        elif entry.suffix.lower() in FILM_SUFFIXES:
            films.append((entry.name, entry.absolute()))
        else:
            left_out.append(entry.name)
    if not films:
        raise BadInputError(
            "holds no films (video files, or folders of frames)"
            + (f"; left out: {_names(left_out)}" if left_out else ""),
            path=src,
        )
    return Listing(films, left_out)


def _list_file(src: Path) -> Listing:
    one_film = "to restore one film, leave out --batch"
    if src.suffix.lower() in FILM_SUFFIXES:
        raise BadInputError(
            f"is a film; --batch takes a list of films or a folder ({one_film})", path=src
        )
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot be read ({exc.strerror or exc})", path=src) from None
    try:
        if b"\0" in data[:8192]:
            raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "a NUL byte")
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInputError(
            f"is not a text list of films (one path a line, UTF-8); {one_film}", path=src
        ) from None
    films = []
    for line in text.splitlines():
        given = line.strip()
        if not given or given.startswith("#"):
            continue
        path = Path(given).expanduser()
        films.append((given, path if path.is_absolute() else (src.parent / path).absolute()))
    if not films:
        raise BadInputError("lists no films (one path a line; # starts a comment)", path=src)
    return Listing(films)


def _names(names: Sequence[str]) -> str:
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


@dataclass(frozen=True)
class Film:
    """One film of the run: where it is, its place in the listing, where it goes."""

    index: int
    given: str
    path: Path
    name: str  # its output's name in OUTDIR
    target: Path


def _plan(listing: Listing, out: Path, codec: str) -> list[Film]:
    """The films with their outputs; clashing names and outputs over inputs refused."""
    ext = EXTENSIONS[codec]
    films: list[Film] = []
    taken: dict[str, Film] = {}
    clashes: list[str] = []
    for i, (given, path) in enumerate(listing.films):
        stem = path.name if path.is_dir() or given.endswith("/") else path.stem
        film = Film(i, given, path, stem + ext, out / (stem + ext))
        twin = taken.setdefault(film.name.casefold(), film)
        if twin is not film:
            same = os.path.realpath(twin.path) == os.path.realpath(path)
            clashes.append(
                f"{given} is listed twice"
                if same
                else f"{twin.given} and {given} would both be written as {film.name}"
            )
        films.append(film)
    if clashes:
        raise BadInputError(
            f"{_names(clashes)}: each film needs its own output name in the folder; rename "
            "one, or restore them into separate folders"
        )
    sources = {os.path.realpath(f.path) for f in films}
    for film in films:
        if os.path.realpath(film.target) in sources:
            raise OutputError(
                "would be written over a film of the archive; choose another output folder",
                path=film.target,
            )
    return films


def _check_output_folder(out: Path, source: Path) -> None:
    if os.path.lexists(out) and not out.is_dir():
        raise OutputError("is a file; an archive is written into a folder", path=out)
    if source.is_dir() and os.path.realpath(source) == os.path.realpath(out):
        raise OutputError(
            "is the folder of the films; choose another output folder (one inside it is fine)",
            path=out,
        )
    parent = out.parent
    if not out.exists() and not parent.is_dir():
        raise OutputError(f"cannot be made: folder {parent} does not exist", path=out)
    where = out if out.exists() else parent
    if not os.access(where, os.W_OK | os.X_OK):
        raise OutputError(f"cannot be written: folder {where} is not writable", path=out)


# --------------------------------------------------------------------------- the record


def _identity(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


class _Log:
    """OUTDIR/.panchro-archive/log.jsonl: one line a finished film, the last one counts."""

    def __init__(self, out: Path) -> None:
        self.folder = out / RECORD_DIR
        self.path = self.folder / LOG
        self._lock = threading.Lock()

    def records(self) -> dict[str, dict[str, Any]]:
        last: dict[str, dict[str, Any]] = {}
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return last
        for line in text.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line torn by a kill
            if isinstance(rec, dict) and isinstance(rec.get("out"), str):
                last[rec["out"]] = rec
        return last

    def append(self, record: dict[str, Any]) -> None:
        """One record, on the disk before this returns (a power cut keeps it too)."""
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                self.folder.mkdir(exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(line)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as err:
                raise OutputError(f"cannot write ({err.strerror or err})", path=self.path) from None


def _sort_out(
    films: list[Film], log: _Log, digest: str, overwrite: bool
) -> tuple[list[Film], dict[int, dict[str, Any]], set[int]]:
    """(to do, {index: record} of the films done before, indices whose output may be
    replaced); the outputs that are not ours refused here, before any work."""
    records = log.records()
    todo: list[Film] = []
    done: dict[int, dict[str, Any]] = {}
    replace: set[int] = set()
    strangers: list[str] = []
    for film in films:
        rec = records.get(film.name)
        out_id = _identity(film.target)
        ours = (
            rec is not None
            and rec.get("in") == os.path.realpath(film.path)
            and rec.get("digest") == digest
            and out_id is not None
            and rec.get("out_id") == out_id
        )
        if ours and rec is not None and rec.get("in_id") == _identity(film.path):
            done[film.index] = rec
            continue
        if out_id is not None:
            if ours or overwrite:
                replace.add(film.index)  # ours from an input changed since, or allowed
            else:
                strangers.append(film.name)
        todo.append(film)
    if strangers:
        raise OutputError(
            f"already holds {_names(strangers)}, not written by this archive with these "
            "settings (use --overwrite, or another output folder)",
            path=log.folder.parent,
        )
    return todo, done, replace


# --------------------------------------------------------------------------- the summary


@dataclass
class FilmResult:
    """What became of one film: done, resumed (finished from an earlier run's chunks),
    skipped (finished by an earlier run) or failed (with why)."""

    film: str
    status: str
    output: str = ""
    frames: int = 0  # of the film
    rendered: int = 0  # by this run
    seconds: float = 0.0
    code: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ArchiveSummary:
    """What an archive run did: the table the CLI prints, returned to callers."""

    output: str
    results: list[FilmResult]
    seconds: float = 0.0
    left_out: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[FilmResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def rendered(self) -> int:
        return sum(r.rendered for r in self.results)

    @property
    def fps(self) -> float:
        """Frames rendered per second of the whole run (0 when none was)."""
        return self.rendered / self.seconds if self.seconds > 0 and self.rendered else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "films": [r.to_dict() for r in self.results],
            "seconds": round(self.seconds, 3),
            "frames_rendered": self.rendered,
            "fps": round(self.fps, 3),
            "left_out": list(self.left_out),
            "notes": list(self.notes),
        }

    def table(self) -> str:
        header = ("film", "status", "frames", "this run", "seconds", "fps", "output")
        rows = [header]
        for r in self.results:
            timed = r.status in ("done", "resumed")
            fps = f"{r.rendered / r.seconds:.1f}" if timed and r.seconds > 0 else "-"
            where = r.output
            if r.status == "skipped":
                where += " (done by an earlier run)"
            elif r.status == "failed":
                where = r.reason
            rows.append((
                r.film if len(r.film) <= 40 else "…" + r.film[-39:],
                r.status,
                str(r.frames) if r.frames else "-",
                str(r.rendered) if timed else "-",
                f"{r.seconds:.1f}" if timed else "-",
                fps,
                where,
            ))  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
        lines = []
        for row in rows:
            cells = [
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row[:-1], widths, strict=True))
            ]
            lines.append("  ".join([*cells, row[-1]]).rstrip())
        return "\n".join(lines)

    def describe(self) -> str:
        count = {
            s: sum(r.status == s for r in self.results) for s in ("done", "resumed", "skipped")
        }
        restored = count["done"] + count["resumed"]
        resumed = f" ({count['resumed']} resumed)" if count["resumed"] else ""
        rate = f" ({self.fps:.1f} fps)" if self.rendered else ""
        lines = [
            self.table(),
            f"archive of {len(self.results)} film(s) -> {self.output}: {restored} restored"
            f"{resumed}, {count['skipped']} skipped (done by an earlier run), "
            f"{len(self.failed)} failed; {self.rendered} frames in {self.seconds:.1f} s{rate}",
        ]
        if self.left_out:
            lines.append(f"left out (not films): {_names(self.left_out)}")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


# --------------------------------------------------------------------------- progress


class _View:
    """The run's one progress view: frames of every film in one `Progress`, films done in
    its stage, and the total re-estimated as films are opened."""

    def __init__(self, progress: Progress, films: int, done_before: int) -> None:
        self.progress = progress
        self.films = films
        self.over = done_before  # films finished (this run or before) or failed
        self.failed = 0
        self.todo = films - done_before
        self.frames: dict[int, int] = {}  # frames to render of each film opened
        self.lock = threading.Lock()
        self._stage()

    def _stage(self) -> None:
        # a failed film is over, not done: "4/4 films done" was said of two failed
        failed = f", {self.failed} failed" if self.failed else ""
        self.progress.stage = f"{self.over - self.failed}/{self.films} films done{failed}"

    def _total(self) -> None:
        known = self.frames.values()
        if known:
            mean = sum(known) / len(known)
            self.progress.total = sum(known) + round(mean * (self.todo - len(self.frames)))

    def to_render(self, index: int, frames: int) -> None:
        with self.lock:
            self.frames[index] = frames
            self._total()

    def advance(self, n: int) -> None:
        self.progress.advance(n)

    def film_over(self, index: int, rendered: int, *, failed: bool) -> None:
        with self.lock:
            if failed or index not in self.frames:
                self.frames[index] = rendered  # what it did is all it will do
            self.over += 1
            self.failed += failed
            self._stage()
            self._total()
        self.progress.finish()  # reports now (under its lock), not at the next frame


class _FilmProgress(Progress):
    """One film's progress, its frames counted in the run's view as they are written.
    `restore` sets `total` to the frames it has left (resumed chunks not counted)."""

    def __init__(self, view: _View, index: int, cancel: threading.Event) -> None:
        self._view, self._index = view, index
        super().__init__(None, None, cancel=cancel)

    @property  # type: ignore[override]
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int | None) -> None:
        self._total = value
        if value is not None:
            self._view.to_render(self._index, value)

    def advance(self, n: int = 1, *, stage: str | None = None) -> None:
        super().advance(n, stage=stage)
        self._view.advance(n)


# --------------------------------------------------------------------------- the run


def restore_archive(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    stages: Sequence[Stage] | None = None,
    seed: int = 0,
    codec: str = "h264",
    bit_depth: int = 8,
    batch: int = 8,
    chunk_seconds: float = 2.0,
    fps: float | None = None,
    overwrite: bool = False,
    restart: bool = False,
    allow_truncated: bool = False,
    memory_limit_mb: float | None = None,
    executor: Executor | None = None,
    in_flight: int = FILMS_IN_FLIGHT,
    progress: Progress | None = None,
    levels: bool = False,
    record: bool = True,
) -> ArchiveSummary:
    """Restore every film of `source` (a list file or a folder) into the folder `output`.

    Each film goes through `restore.pipeline.restore` with `stages` (built with `seed`,
    which the record keeps), `codec`, `bit_depth`, `batch` (frames per temporal batch),
    `chunk_seconds`, `fps` (of folders of frames), `restart`, `memory_limit_mb`; `executor`
    renders its chunks elsewhere (a cluster), `in_flight` films at a time (one without it).
    Refusals (PanchroError) come before the first film is read; a film that fails later is
    in the summary, and the rest go on. `progress` counts frames (module docstring).
    `levels`: each film's own black and white points measured and stretched as it is read
    (`survey.film_levels`; a film too flat to measure is read as it is). `record`: each
    film's restoration record beside it (`restore.record`).
    """
    from panchro.engine import media

    start = time.monotonic()
    media.check_codec(codec, bit_depth)
    src = Path(source).expanduser()
    out = Path(os.path.abspath(Path(output).expanduser()))
    _check_output_folder(out, src)
    listing = list_films(src, exclude=[out])
    films = _plan(listing, out, codec)
    for film in films:
        media.check_codec_path(codec, film.target)
    stages = list(stages or [])
    settings = {
        "stages": [st.key for st in stages],
        "seed": seed,
        "codec": codec,
        "bit_depth": bit_depth,
        "batch": batch,
        "fps": fps,
    } | ({"levels": "auto"} if levels else {})  # absent as before: older archives resume
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    log = _Log(out)
    todo, done, replace = _sort_out(films, log, digest, overwrite)
    out.mkdir(exist_ok=True)

    results: dict[int, FilmResult] = {
        i: FilmResult(films[i].given, "skipped", films[i].name, frames=int(rec.get("frames", 0)))
        for i, rec in done.items()
    }
    view = _View(progress or Progress(None), len(films), len(done))
    run = _Run(
        stages=stages, codec=codec, bit_depth=bit_depth, batch=batch,
        chunk_seconds=chunk_seconds, fps=fps, restart=restart,
        allow_truncated=allow_truncated, memory_limit_mb=memory_limit_mb, executor=executor,
        view=view, log=log, digest=digest, replace=replace, levels=levels, record=record,
    )  # fmt: skip
    for film, result in zip(todo, run.all(todo, in_flight if executor else 1), strict=True):
        results[film.index] = result
    view.progress.finish()
    return ArchiveSummary(
        str(out),
        [results[i] for i in range(len(films))],
        seconds=time.monotonic() - start,
        left_out=listing.left_out,
        notes=run.notes,
    )


RECORDS_NOTE = "each film's restoration record is beside it (NAME.EXT.restoration.md)"


@dataclass
class _Run:
    """What every film of one run shares; `film` restores one and records it."""

    stages: list[Stage]
    codec: str
    bit_depth: int
    batch: int
    chunk_seconds: float
    fps: float | None
    restart: bool
    allow_truncated: bool
    memory_limit_mb: float | None
    executor: Executor | None
    view: _View
    log: _Log
    digest: str
    replace: set[int]
    levels: bool = False  # each film's own levels measured and stretched
    record: bool = True  # each film's restoration record beside it (`restore.record`)
    notes: list[str] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)
    planning: threading.Lock = field(default_factory=threading.Lock)

    def _reading(self, path: str) -> Any:
        """How the film at `path` is read: at the run's rate, its own levels stretched when
        asked (measured again on a resume, to the same points)."""
        from panchro.engine import media

        reading = media.Reading(fps=self.fps)
        if not self.levels:
            return reading
        from panchro.engine.survey import film_levels

        with reading.open(path) as src:
            return reading.but(levels=film_levels(src))

    def all(self, films: list[Film], in_flight: int) -> list[FilmResult]:
        if in_flight <= 1 or len(films) <= 1:
            return [self.film(f) for f in films]  # Ctrl-C stops the film at hand, as alone
        pool = concurrent.futures.ThreadPoolExecutor(in_flight, thread_name_prefix="film")
        futures = [pool.submit(self.film, f) for f in films]
        try:
            return [_result(f) for f in futures]
        except BaseException:
            # Ctrl-C, or a film cancelled: the others stop at their next chunk, jobs kept.
            self.cancel.set()
            for f in futures:
                f.cancel()
            raise
        finally:
            pool.shutdown(wait=True)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[Executor | None]:
        """The executor this film hands its chunks to, holding the planning turn until the
        fan-out (see the module docstring); no turns without an executor."""
        if self.executor is None:
            yield None
            return
        executor = self.executor
        self.planning.acquire()
        held = [True]

        def fan_out(job: Any, plan: Any, progress: Progress) -> None:
            held[0] = False
            self.planning.release()
            executor(job, plan, progress)

        try:
            yield fan_out
        finally:
            if held[0]:
                self.planning.release()

    def film(self, film: Film) -> FilmResult:
        from panchro.engine import media
        from panchro.engine.restore.pipeline import restore

        t0 = time.monotonic()
        progress = _FilmProgress(self.view, film.index, self.cancel)
        try:
            if not os.path.exists(film.path):
                raise BadInputError("does not exist", path=film.path)
            with self._turn() as executor:
                if self.cancel.is_set():
                    raise CancelledError("cancelled")
                info = media.probe(film.path, fps=self.fps)
                if info.truncated and not self.allow_truncated:
                    raise BadInputError(
                        f"is truncated ({_truncation(info)}); restore the frames that are there "
                        "with --allow-truncated, or use a complete copy",
                        path=film.path,
                    )
                reading = self._reading(film.path)
                self.view.to_render(film.index, info.frame_count)
                summary = restore(
                    film.path, film.target, codec=self.codec, bit_depth=self.bit_depth,
                    overwrite=film.index in self.replace, reading=reading,
                    progress=progress,
                    stages=self.stages, batch=self.batch, chunk_seconds=self.chunk_seconds,
                    keep_job=True, restart=self.restart, memory_limit_mb=self.memory_limit_mb,
                    executor=executor, record=self.record,
                )  # fmt: skip
        except (CancelledError, KeyboardInterrupt):
            raise
        except Exception as err:  # noqa: BLE001 - one film fails, the archive goes on
            self.view.film_over(film.index, progress.done, failed=True)
            code, reason = _failure(err, film.path)
            return FilmResult(film.given, "failed", film.name, code=code, reason=reason)
        rendered = summary.frames - summary.resumed_frames
        self.log.append({
            "out": film.name, "in": os.path.realpath(film.path), "in_id": _identity(film.path),
            "out_id": _identity(film.target), "digest": self.digest, "frames": summary.frames,
        })  # fmt: skip
        self.view.film_over(film.index, rendered, failed=False)
        stage_notes = {n for st in self.stages for n in getattr(st, "notes", ())}
        for note in summary.notes:
            if note.startswith("restoration record: "):
                note = RECORDS_NOTE  # one line for all: each film's is beside it
                if note not in self.notes:
                    self.notes.append(note)
                continue
            shown = note if note in stage_notes else f"{film.given}: {note}"
            if shown not in self.notes:
                self.notes.append(shown)
        if info.truncated:
            self.notes.append(f"{film.given}: the input is truncated: {_truncation(info)}")
        if info.missing_numbers:
            from panchro.engine.media.stills import describe_gaps

            gaps = describe_gaps(info.missing_numbers, info.held_frames)
            self.notes.append(f"{film.given}: {gaps}")
        return FilmResult(
            film.given,
            "resumed" if summary.resumed_frames else "done",
            film.name,
            frames=summary.frames,
            rendered=rendered,
            seconds=time.monotonic() - t0,
        )


def _result(future: concurrent.futures.Future[FilmResult]) -> FilmResult:
    while True:  # in steps, so Ctrl-C reaches the main thread at once
        try:
            return future.result(timeout=0.5)
        except concurrent.futures.TimeoutError:
            continue


def _truncation(info: Any) -> str:
    if info.expected_frames:
        return f"{info.frame_count} of {info.expected_frames} frames can be decoded"
    return f"{info.frame_count} frames can be decoded"


def _failure(err: BaseException, source: Path) -> tuple[str, str]:
    """(code, reason) of a film that failed: the error's own words, or that it is a bug."""
    if isinstance(err, PanchroError):
        same = err.path is not None and os.path.realpath(err.path) == os.path.realpath(source)
        return err.code, err.reason if same else str(err)
    if isinstance(err, MemoryError):
        return "out_of_memory", "out of memory while restoring it"
    return "internal", f"internal error (a bug; please report it): {type(err).__name__}: {err}"


__all__ = [
    "EXTENSIONS",
    "FILMS_IN_FLIGHT",
    "FILM_SUFFIXES",
    "ArchiveSummary",
    "FilmResult",
    "Listing",
    "list_films",
    "restore_archive",
]
