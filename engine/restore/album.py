"""An album restored: many unrelated pictures, each through `restore_picture`, into a folder.

An album is not a film: its pictures share nothing, so each one is its own
one-frame shot with its own automatic colour mode and no smoothing reaches from
one to the next. The work of a picture is exactly `restore.picture.restore_picture`
(called, not copied), so a picture of an album and the same picture restored
alone come out the same, to the bit. What this module adds is what many pictures
need and one does not:

* **Names.** Outputs keep the inputs' names and sub-folders
  (`media.list_pictures` walks them). The format is each picture's own unless
  `fmt` says one for all ("jpg", "png", "tif", "webp"), which then changes the
  extension only; a `.bmp` (not written) becomes a `.png`, lossless. Two
  inputs that would write one output are refused before any work.
* **Seeds.** A picture's seed is `picture_seed(base, name)`: a hash of the run's
  base seed and the picture's name in the album. Results then depend neither on
  the order nor on which other pictures are in the album, and the seed (written
  in each picture's Software tag) restores that picture alone with
  `panchro restore IN OUT --seed S`.
* **Picks.** A person may have chosen a picture's colour mode (the GUI samples K of
  them, as for a film's shot): `picks` maps album names to `project.Pick`s, and a
  picked picture is coloured from its pick instead of the automatic one. Pictures
  without a pick get the automatic pick above, so picking one picture changes no
  other. Each record keeps its pick's digest (`pick_key`), so a rerun redoes exactly
  the pictures whose pick changed (their outputs are the album's own to replace).
* **Hints.** A person's colour points and strokes belong to one picture: `hints`
  maps album names to `Hints` (frame 0, in the upright picture's pixels, as for a
  picture restored alone), laid over the picture's pick or colouring it alone when
  it has none, exactly as `panchro restore PIC OUT --hints` does. They are a
  picture's own, like its pick, so they are not in the album's settings digest:
  each record keeps their digest (`hints_key`) and a rerun redoes the pictures
  whose hints changed.
* **Resuming.** A run may be killed at any moment and run again. Each picture is
  written atomically (temporary name, rename), and a log in the output folder
  (`.panchro-album/log.jsonl`, hidden) gets one line when a picture starts and
  one, fsync'ed, when its output is in place, with the input's and the output's
  size and mtime. A rerun with the same settings skips every picture whose
  record still matches both files; a picture whose input changed is redone. One
  append per picture rather than a rewritten manifest keeps a 10,000-picture
  album linear; a torn last line (a kill mid-write) is ignored. The settings'
  digest (stages with their weights, base seed, format, quality) is in
  `.panchro-album/manifest.json` and in every record.
* **Whose files.** An output that exists is replaced only when the log says this
  album wrote it (and it is unchanged since), or with `overwrite`; anything else
  is refused, all of it before the first picture is read, so nothing is
  half-done. Other settings than the log's are refused too (unless
  `overwrite`: the album is then redone). The output folder may lie inside the
  input folder: the walk leaves it out (and any sub-folder holding an album
  Panchro wrote), so a rerun never takes its outputs for inputs; it may not be
  the input folder itself.
* **Failures.** A picture that cannot be read (a JPEG cut short, a text file
  named .jpg) is reported with its reason and the others go on; the summary
  lists done, skipped and failed, and the CLI exits non-zero if any failed.
  Interrupting (Ctrl-C, cancel) stops the album; the next run resumes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from panchro.engine.errors import BadInputError, CancelledError, OutputError, PanchroError
from panchro.engine.fsutil import atomic_write
from panchro.engine.progress import Progress
from panchro.engine.restore.batch import Stage

if TYPE_CHECKING:
    from panchro.engine.imaging.hints import Hints
    from panchro.engine.project import Pick

FORMAT = "panchro.album"
VERSION = 1
MANIFEST = "manifest.json"
LOG = "log.jsonl"
# --format's names and the extension each gives (one per format, whatever the input's).
FORMATS = {"jpg": ".jpg", "png": ".png", "tif": ".tif", "webp": ".webp"}
_NOT_WRITTEN = {".bmp": ".png"}  # inputs read but not written: the lossless format they become
_SHOWN = 5  # names listed in a refusal before "and N more"


def picture_seed(base: int, name: str) -> int:
    """The seed of the picture called `name` in an album run with seed `base` (31 bits)."""
    digest = hashlib.sha256(f"album:{base}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def pick_key(pick: Pick | None) -> str | None:
    """What of a pick decides the output (its chroma bins; for the picture's own colours,
    that, whose bins are a grey pick's), as a short digest; None for the automatic pick."""
    if pick is None:
        return None
    own = b"own" if pick.source == "own" else b""
    return hashlib.sha256(pick.chroma.tobytes() + own).hexdigest()[:16]


def hints_key(hints: Hints | None) -> str | None:
    """A picture's hints as a short digest; None for none."""
    return None if hints is None or hints.empty else hints.digest()


def album_threads() -> int:
    """The CPU threads an album's pictures run with: `$PANCHRO_THREADS` if set, else one.

    A picture's work is mostly the automatic pick, the PixelCNN sampling 1,568 values one
    after another in small model calls, where a second thread buys little and costs much
    when the other core is busy: 0.54 s against 1.3 s a pick (1 Mpx, shipped models) on a
    2-core machine with a training job on one core. One thread also keeps an album's bits
    the same whatever machine it resumes on.
    """
    from panchro.engine.inference import device as compute

    return compute.engine_threads() if os.environ.get(compute.ENV_THREADS) else 1


def output_name(name: str, fmt: str | None = None) -> str:
    """The output's name in the album for the input named `name` (module docstring)."""
    from panchro.engine import media

    path = Path(name)
    ext = path.suffix
    if fmt is not None:
        if fmt not in FORMATS:
            raise BadInputError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
        wanted = media.picture_format(f"x{FORMATS[fmt]}")
        same = media.PICTURE_OUTPUTS.get(ext.lower()) == wanted
        return name if same else path.with_suffix(FORMATS[fmt]).as_posix()
    if ext.lower() in _NOT_WRITTEN:
        return path.with_suffix(_NOT_WRITTEN[ext.lower()]).as_posix()
    return name


@dataclass
class AlbumSummary:
    """What an album run did: printed by the CLI (`describe`), returned to callers."""

    output: str
    found: int  # pictures in the album
    restored: list[str] = field(default_factory=list)  # names written by this run
    skipped: list[str] = field(default_factory=list)  # done by an earlier run, left as they are
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (name, code, reason)
    picked: list[str] = field(default_factory=list)  # restored from a person's pick
    hinted: list[str] = field(default_factory=list)  # restored with a person's hints
    seconds: float = 0.0
    picture_seconds: list[float] = field(default_factory=list)  # each restored picture's time
    notes: list[str] = field(default_factory=list)
    ignored: str = ""  # what the walk left out, in words

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def per_second(self) -> float:
        """Pictures restored per second of this run (0 when none was)."""
        return len(self.restored) / self.seconds if self.seconds > 0 and self.restored else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "output": self.output,
            "found": self.found,
            "restored": list(self.restored),
            "skipped": list(self.skipped),
            "failed": [{"name": n, "code": c, "reason": r} for n, c, r in self.failed],
            "picked": list(self.picked),
            "hinted": list(self.hinted),
            "seconds": round(self.seconds, 3),
            "pictures_per_second": round(self.per_second, 3),
            "notes": list(self.notes),
            "ignored": self.ignored,
        }

    def describe(self) -> str:
        rate = f" ({self.per_second:.2f} pictures/s)" if self.restored else ""
        lines = [
            f"album of {self.found} picture(s) -> {self.output}: {len(self.restored)} restored"
            f" in {self.seconds:.1f} s{rate}, {len(self.skipped)} skipped (done by an earlier"
            f" run), {len(self.failed)} failed"
        ]
        lines += [f"failed: {name}: {reason}" for name, _, reason in self.failed]
        if self.ignored:
            lines.append(f"left out: {self.ignored}")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Item:
    """One picture of the run: where it comes from and goes, and its seed."""

    source: Path
    name: str  # in the album (the input's relative name)
    out_name: str
    target: Path
    seed: int
    pick: Pick | None = None
    hints: Hints | None = None


class _Log:
    """The album's record in OUTPUT/.panchro-album/: the settings and what was written."""

    def __init__(self, output: Path) -> None:
        from panchro.engine import media

        self.folder = output / media.ALBUM_JOB_DIR
        self.manifest = self.folder / MANIFEST
        self.log = self.folder / LOG

    def read_manifest(self) -> dict[str, Any]:
        """The manifest's fields ({} when there is none, or it is not an album's)."""
        try:
            data = json.loads(self.manifest.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("format") == FORMAT else {}

    def digest_on_disk(self) -> str | None:
        return self.read_manifest().get("digest")

    def records(self) -> dict[str, dict[str, Any]]:
        """The last record of each output name (a torn or garbled line is skipped)."""
        last: dict[str, dict[str, Any]] = {}
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return last
        for line in text.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("out"), str):
                last[rec["out"]] = rec
        return last

    def start(self, digest: str, settings: dict[str, Any], threads: int, *, fresh: bool) -> None:
        """Make the folder and write the manifest; `fresh` drops the old log first (so no
        record of other settings survives beside the new manifest, whatever stops us)."""
        self.folder.mkdir(exist_ok=True)
        if fresh:
            with contextlib.suppress(FileNotFoundError):
                self.log.unlink()
        if self.digest_on_disk() != digest:
            fields = {"format": FORMAT, "version": VERSION, "digest": digest}
            text = json.dumps({**fields, "threads": threads, "settings": settings}, indent=2)
            atomic_write(self.manifest, lambda tmp: Path(tmp).write_text(text), what="manifest")

    def append(self, record: dict[str, Any]) -> None:
        """Add one record, on the disk before this returns (a power cut keeps it too)."""
        line = json.dumps(record, separators=(",", ":")) + "\n"
        try:
            with open(self.log, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as err:
            raise OutputError(f"cannot write ({err.strerror or err})", path=self.log) from None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _check_output_folder(output: Path, inputs: Sequence[str | os.PathLike[str]]) -> None:
    if os.path.lexists(output) and not output.is_dir():
        raise OutputError("is a file; an album's output is a folder", path=output)
    for given in inputs:
        p = Path(given).expanduser()
        if p.is_dir() and os.path.realpath(p) == os.path.realpath(output):
            raise OutputError(
                "is the input folder; choose another output folder (inside it is fine)",
                path=output,
            )
    parent = output.parent
    if not output.exists() and not parent.is_dir():
        raise OutputError(f"cannot be made: folder {parent} does not exist", path=output)
    where = output if output.exists() else parent
    if not os.access(where, os.W_OK | os.X_OK):
        raise OutputError(f"cannot be written: folder {where} is not writable", path=output)


def _plan(
    inputs: Sequence[str | os.PathLike[str]],
    output: Path,
    fmt: str | None,
    seed: int,
    picks: Mapping[str, Pick],
    hints: Mapping[str, Hints],
) -> tuple[list[_Item], Any]:
    from panchro.engine import media

    listing = media.list_pictures(inputs, exclude=[output])
    if not listing.pictures:
        ignored = listing.ignored()
        where = inputs[0] if len(inputs) == 1 else None
        raise BadInputError(
            "no pictures to restore (" + ", ".join(media.PICTURE_INPUTS) + " expected"
            + (f"; left out: {ignored})" if ignored else ")"),
            path=where,
        )  # fmt: skip
    sources = {os.path.realpath(pic.path) for pic in listing.pictures}
    items: list[_Item] = []
    taken: dict[str, str] = {}
    for pic in listing.pictures:
        out_name = output_name(pic.rel, fmt)
        twin = taken.setdefault(out_name.casefold(), pic.rel)
        if twin != pic.rel:
            way = "or without --format" if fmt else "or rename one"
            raise BadInputError(
                f"{twin} and {pic.rel} would both be written as {out_name}; "
                f"restore them into separate folders, {way}"
            )
        target = output / out_name
        if os.path.realpath(target) in sources:
            raise OutputError("would be written over an input picture", path=target)
        pick = picks.get(pic.rel)
        seed_of = picture_seed(seed, pic.rel)
        on = hints.get(pic.rel)
        on = None if on is None or on.empty else on
        items.append(_Item(pic.path, pic.rel, out_name, target, seed_of, pick, on))
    names = {it.name for it in items}
    for what, given in (("picks", picks), ("hints", hints)):
        stray = sorted(set(given) - names)
        if stray:
            more = f" and {len(stray) - _SHOWN} more" if len(stray) > _SHOWN else ""
            raise BadInputError(
                f"{what} given for pictures not in the album: {', '.join(stray[:_SHOWN])}{more}"
            )
    for it in items:
        if it.hints is not None and it.hints.frames() != [0]:
            raise BadInputError(
                f"the hints for {it.name} name frame(s) {it.hints.frames()}; "
                "a picture has frame 0 only"
            )
    return items, listing


def _sort_out(
    items: list[_Item], log: _Log, digest: str, settings: dict[str, Any], overwrite: bool
) -> tuple[list[_Item], list[_Item], bool]:
    """(to do, done before, whether the old log is dropped); refusals before any work."""
    from panchro.engine.restore.jobs import differences

    on_disk = log.digest_on_disk()
    records = log.records()
    other_settings = on_disk is not None and on_disk != digest
    if other_settings and not overwrite:
        diff = differences(log.read_manifest().get("settings"), settings, "")
        differs = diff or "another version"
        raise OutputError(
            f"holds an album restored with other settings ({differs}); use"
            " --overwrite to restore it again with these, or another output folder",
            path=log.folder.parent,
            extra=_replaceable(f"an album restored with other settings ({differs})"),
        )
    todo: list[_Item] = []
    done: list[_Item] = []
    strangers: list[str] = []
    edited: list[str] = []
    for item in items:
        rec = None if other_settings else records.get(item.out_name)
        ours = rec is not None and rec.get("in") == os.path.realpath(item.source)
        out_id = _identity(item.target)
        if ours and rec.get("state") == "done" and rec.get("digest") == digest:
            written = tuple(rec.get("out_id") or ())
            if out_id == written and _identity(item.source) == tuple(rec.get("in_id") or ()):
                same = rec.get("pick") == pick_key(item.pick)
                if same and rec.get("hints") == hints_key(item.hints):
                    done.append(item)
                    continue
                # another pick or other hints since: redone, the output being the album's own
            elif out_id is not None and out_id != written:
                ours = False  # changed since we wrote it: someone's edit, not ours to replace
                if not overwrite:
                    edited.append(item.out_name)
                    continue
        if out_id is not None and not ours and not overwrite:
            strangers.append(item.out_name)
        todo.append(item)
    said = [
        f"{_some(names)}, {why}"
        for names, why in ((strangers, "not written by this album"),
                           (edited, "changed since this album wrote it"))
        if names
    ]  # fmt: skip
    if said:
        raise OutputError(
            f"already holds {'; and '.join(said)} (use --overwrite, or another output folder)",
            path=log.folder.parent,
            extra=_replaceable("; and ".join(said)),
        )
    return todo, done, other_settings


def _replaceable(holds: str) -> dict[str, Any]:
    """The refusal's `replaceable`: what the output folder holds that `overwrite` would
    replace, in words without the command line's flag, for the app to offer it its own way."""
    return {"replaceable": {"holds": holds}}


def _some(names: list[str]) -> str:
    """The first few names, and how many more."""
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def _remove_temporaries(target: Path) -> None:
    """Remove what a killed write of `target` left: `atomic_write`'s `.NAME.*.tmp`."""
    import glob

    for tmp in glob.glob(
        os.path.join(glob.escape(str(target.parent)), f".{glob.escape(target.name)}.*.tmp")
    ):
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def _lent(stages: Sequence[Stage], name: str, value: Any) -> Iterator[int]:
    """The stages that have attribute `name` with `value` in it, set back afterwards; yields
    how many took it."""
    before = [(st, getattr(st, name)) for st in stages if hasattr(st, name)]
    for st, _ in before:
        setattr(st, name, value)
    try:
        yield len(before)
    finally:
        for st, old in before:
            setattr(st, name, old)


@contextlib.contextmanager
def hinted(stages: Sequence[Stage], hints: Hints | None) -> Iterator[None]:
    """The stages with a picture's hints (the colorize stage takes them) in place of none,
    set back afterwards. The stages' keys do not change: a picture's hints are its own, kept
    in its record as its pick is (module docstring)."""
    if hints is not None and not any(hasattr(st, "hints") for st in stages):
        raise BadInputError("colour hints need colorizing (--colorize)")
    with _lent(stages, "hints", hints):
        yield


@contextlib.contextmanager
def seeded(stages: Sequence[Stage], seed: int) -> Iterator[None]:
    """The stages with a picture's seed in place of the run's (the colorize stage's automatic
    pick is the only seeded thing a picture has), set back afterwards."""
    with _lent(stages, "seed", seed):
        yield


def _remove_made(out: Path, made: list[Path]) -> None:
    """Remove the folders made for a picture that failed (deepest first), if still empty."""
    for folder in reversed(made):
        try:
            (out / folder).rmdir()
        except OSError:
            return


def restore_album(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    stages: Sequence[Stage] | None = None,
    seed: int = 0,
    fmt: str | None = None,
    quality: int | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    threads: int | None = None,
    picks: Mapping[str, Pick] | None = None,
    hints: Mapping[str, Hints] | None = None,
    crop: str | None = None,
    straighten: bool = False,
    negative: bool = False,
    levels: tuple[float, ...] | str | None = None,
) -> AlbumSummary:
    """Restore the pictures of `inputs` (folders and picture files) into the folder `output`.

    Each picture goes through `restore_picture` with `stages`, its seed from `seed`
    and its name (`picture_seed`). `fmt` ("jpg", "png", "tif", "webp") writes every
    picture in one format, else each keeps its own; `quality` is for the JPEG and
    WebP ones. Refusals (PanchroError) come before the first picture is read; a
    picture that fails later is in the summary's `failed`, and the rest go on.
    `progress` counts pictures (its stage says which), with progress inside each.
    `threads`: torch's CPU threads for each picture (default `album_threads()`; a resumed
    album keeps the count its manifest records). `picks`: a person's colour mode for some
    pictures, by name in the album (module docstring); a name not in the album is refused.
    `hints`: a person's colour hints for some pictures, by name, on frame 0 in the upright
    picture's pixels (module docstring); they need a colorize stage. `crop` "auto": each
    picture's own border round it cut off (`restore_picture`; pictures differ, so pixels
    are not taken). `straighten`: each picture scanned crooked turned square first.
    `negative`, `levels`: each picture's values read so (`restore_picture`; "auto" levels
    are each picture's own).
    """
    from panchro.engine import media

    start = time.monotonic()
    from panchro.engine.restore.picture import ready_for_pictures

    stages = list(stages or [])
    out = Path(os.path.abspath(Path(output).expanduser()))
    ready_for_pictures(stages)  # a missing model refused before the folder is made
    if not inputs:
        raise BadInputError("give the pictures or folders to restore")
    _check_output_folder(out, inputs)
    items, listing = _plan(inputs, out, fmt, seed, picks or {}, hints or {})
    if any(it.hints is not None for it in items) and not any(hasattr(st, "hints") for st in stages):
        raise BadInputError("colour hints need colorizing (--colorize)")
    lossy = {it.out_name for it in items if media.picture_format(it.target) in media.LOSSY}
    if quality is not None:
        if not lossy:
            raise BadInputError("--quality is for JPEG and WebP; this album's are lossless")
        if not 1 <= int(quality) <= 100:
            raise BadInputError(f"--quality must be within 1..100, got {quality}")
    if crop not in (None, "auto"):
        raise BadInputError(f"an album's crop is each picture's own border (auto), not {crop!r}")
    settings = (
        {
            "stages": [st.key for st in stages],
            "seed": seed,
            "format": fmt or "kept",
            "quality": quality,
        }
        | ({} if crop is None else {"crop": crop})
        | ({"straighten": True} if straighten else {})
        | ({"negative": True} if negative else {})
        | ({} if levels is None else {"levels": levels if levels == "auto" else list(levels)})
    )  # absent as before: older albums resume
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    # a second run would take this one's half-written picture for a killed run's litter
    from panchro.engine.restore.jobs import sole_writer

    with sole_writer(out, what="this album"):
        log = _Log(out)
        todo, done, fresh = _sort_out(items, log, digest, settings, overwrite)
        if not fresh and log.digest_on_disk() == digest:
            # A resumed album keeps its thread count, which the bits depend on (as a film's job).
            threads = int(log.read_manifest().get("threads") or 0) or threads
        threads = threads or album_threads()
        out.mkdir(exist_ok=True)
        log.start(digest, settings, threads, fresh=fresh)

        summary = AlbumSummary(str(out), len(items), ignored=listing.ignored())
        summary.skipped = [it.name for it in done]
        if progress is None:
            progress = Progress(None)
        progress.total = len(todo)
        run = _Run(
            out, stages, log, digest, quality, lossy, threads, progress, summary, crop, straighten,
            negative=negative, levels=levels,
        )  # fmt: skip
        previous = _torch_threads() if stages else None
        try:
            for item in todo:
                run.picture(item)
        finally:
            if previous is not None:  # the caller's count back (a test, the engine process)
                from panchro.engine.inference import device as compute

                compute.fix_threads(previous)
        progress.finish()
        run.notes += run.work_notes()
        converted = [it for it in items if fmt is None and it.out_name != it.name]
        if converted:
            run.notes.append(
                f"{len(converted)} BMP picture(s) written as PNG ({converted[0].out_name}, ...): "
                "Panchro writes no BMP, and PNG keeps every sample"
            )
        summary.notes = run.notes
        summary.seconds = time.monotonic() - start
        return summary


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


@dataclass
class _Run:
    """What every picture of one run shares; `picture` restores one and records it."""

    out: Path
    stages: list[Stage]
    log: _Log
    digest: str
    quality: int | None
    lossy: set[str]
    threads: int
    progress: Progress
    summary: AlbumSummary
    crop: str | None = None
    straighten: bool = False
    negative: bool = False
    levels: tuple[float, ...] | str | None = None
    notes: list[str] = field(default_factory=list)
    # what a stage that counts its work did over the pictures (the dust stage): by its name,
    # what it did and [pictures changed, pictures seen, pixels changed, pixels seen]
    work: dict[str, tuple[str, list[int]]] = field(default_factory=dict)

    def work_notes(self) -> list[str]:
        """One line a counting stage for the whole album, not one a picture."""
        return [
            f"{name}: {did} on {n[0]} of {n[1]} pictures ({n[2] / max(n[3], 1):.3%} of their"
            " pixels)"
            for name, (did, n) in self.work.items()
            if n[1]
        ]

    def picture(self, item: _Item) -> None:
        from panchro.engine.restore.picture import restore_picture

        self.progress.stage = item.name
        before = self.progress.done
        rel_parents = reversed(item.target.relative_to(self.out).parents)
        made = [p for p in rel_parents if not (self.out / p).exists()]
        item.target.parent.mkdir(parents=True, exist_ok=True)
        _remove_temporaries(item.target)
        source = os.path.realpath(item.source)
        self.log.append({"out": item.out_name, "in": source, "state": "start"})
        t0 = time.perf_counter()
        try:
            with seeded(self.stages, item.seed), hinted(self.stages, item.hints):
                result = restore_picture(
                    item.source,
                    item.target,
                    stages=self.stages,
                    quality=self.quality if item.out_name in self.lossy else None,
                    overwrite=True,  # sorted out before the first picture: ours, or allowed
                    progress=self.progress,
                    threads=self.threads,
                    pick=item.pick,
                    crop=self.crop,
                    straighten=self.straighten,
                    negative=self.negative,
                    levels=self.levels,
                )
        except (CancelledError, KeyboardInterrupt):
            raise
        except Exception as err:  # noqa: BLE001 - one picture fails, the album goes on
            self.summary.failed.append((item.name, *_failure(err, item.source)))
            _remove_made(self.out, made)
            if self.progress.done == before:
                self.progress.advance(stage=item.name)
            return
        self.summary.picture_seconds.append(time.perf_counter() - t0)
        record = {"out": item.out_name, "in": source, "state": "done", "digest": self.digest}
        record |= {"seed": item.seed, "pick": pick_key(item.pick), "in_id": _identity(item.source)}
        record["hints"] = hints_key(item.hints)
        self.log.append(record | {"out_id": _identity(item.target)})
        self.summary.restored.append(item.name)
        if item.pick is not None:
            self.summary.picked.append(item.name)
        if item.hints is not None:
            self.summary.hinted.append(item.name)
        # A stage's notes (an untrained model) are said once; a picture's own, with its name;
        # what a stage did to it is counted for the album (`work_notes`), not said a picture.
        stage_notes = {n for st in self.stages for n in getattr(st, "notes", ())}
        counted = {n for st in self.stages for n in getattr(st, "run_notes", ())}
        for st in self.stages:
            if hasattr(st, "touched"):
                _, sums = self.work.setdefault(st.name, (st.did, [0, 0, 0, 0]))
                for k, v in enumerate((st.touched, st.seen, st.pixels, st.area)):
                    sums[k] += v
        for note in result.notes:
            if note in counted:
                continue
            shown = note if note in stage_notes else f"{item.name}: {note}"
            if shown not in self.notes:
                self.notes.append(shown)


def _failure(err: BaseException, source: Path) -> tuple[str, str]:
    """(code, reason) of a picture that failed: the error's own words, or that it is a bug."""
    if isinstance(err, PanchroError):
        # The summary names the picture already; a path is said only when it is another file.
        same = err.path is not None and os.path.realpath(err.path) == os.path.realpath(source)
        return err.code, err.reason if same else str(err)
    if isinstance(err, MemoryError):
        return "out_of_memory", "out of memory while restoring it"
    return "internal", f"internal error (a bug; please report it): {type(err).__name__}: {err}"
