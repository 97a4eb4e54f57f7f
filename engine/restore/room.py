"""Room on the disk for an export.

A film file is written as chunks, then joined by copying the chunks into one file beside
them before they are removed (so that a join cut short loses nothing): at its end an
export in a film container takes twice the film's size. A feature in ProRes or FFV1 is
hundreds of gigabytes, and a disk that fills in the join has cost the whole restore's
hours. So the need is watched as the chunks come (`Watch`: from the chunks written so far,
the whole export's need at its peak, said once when it passes what the disk has free) and
checked before the join (`check_join`: refused with the figures, the chunks kept, so the
same command joins them once room is made). A folder of frames is joined by hard links:
it needs no more.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from panchro.engine.errors import OutputError
from panchro.engine.fsutil import tree_size
from panchro.engine.progress import Progress

log = logging.getLogger(__name__)

# Room the join needs besides the film's bytes (the container's index, the log, the record):
# less free than that, and it stops.
SAFETY = 16 << 20
# Room left for everything else writing to the disk meanwhile: a join that would leave less
# goes on, and is said (a small film on a small disk, a USB stick, is no reason to refuse).
MARGIN = 256 << 20
LEAST_CHUNKS = 2  # chunks written before the need is projected (the first may mislead)


def free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def gigabytes(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"  # not "0 MB" of a short film


def joined_by_copy(codec: str) -> bool:
    from panchro.engine import media

    return codec not in media.SEQUENCE_CODECS


def check_join(job: Any, codec: str) -> None:
    """Refuse to join where the disk cannot hold the joined film beside its chunks."""
    if not joined_by_copy(codec):
        return
    need = sum(tree_size(job.path_of(c)) for c in job.chunks)
    free = free_bytes(job.folder)
    if need + SAFETY > free:
        raise OutputError(
            f"joining the {len(job.chunks)} chunks into the film needs about "
            f"{gigabytes(need + SAFETY)} free beside them (the film, and {SAFETY >> 20} MB for "
            f"its index and record; the chunks are removed once it is whole), and the disk has "
            f"{gigabytes(free)}: make {gigabytes(need + SAFETY - free)} of room",
            path=job.output,
        )
    if need + MARGIN > free:
        log.warning(
            "joining the chunks leaves %s free on the disk of %s",
            gigabytes(free - need),
            job.output,
        )


class Watch:
    """The export's need at its peak, projected from the chunks written so far (this run's
    and an earlier one's) after each chunk; `chunk_done` warns once (`Progress.warn`, the
    log) when more is needed than the disk has free, and returns what it said."""

    def __init__(self, job: Any, codec: str, progress: Progress | None = None) -> None:
        self.job = job
        self.copies = 2 if joined_by_copy(codec) else 1
        self.progress = progress
        self.warned = False

    def chunk_done(self) -> str | None:
        said = self._projected()
        if said is not None:
            heard = self.progress is not None and self.progress.callback is not None
            if self.progress is not None:
                self.progress.warn(said)
            # once on a terminal: where a progress bar says it, the log only keeps it
            (log.info if heard else log.warning)("%s", said)
        return said

    def _projected(self) -> str | None:
        if self.warned:
            return None
        done = [c for c in self.job.chunks if c.done]
        total = sum(c.frames for c in self.job.chunks)
        if len(done) < min(LEAST_CHUNKS, len(self.job.chunks)) or not total:
            return None
        written = sum(tree_size(self.job.path_of(c)) for c in done)
        frames = sum(c.frames for c in done)
        film = written / max(1, frames) * total
        more = film * self.copies - written
        free = free_bytes(self.job.folder)
        if more + SAFETY <= free:
            return None
        self.warned = True
        then = ", then the film joined beside them" if self.copies == 2 else ""
        return (
            f"the disk may fill: at the size of the chunks written so far, the export needs "
            f"about {gigabytes(more)} more (the rest of the chunks{then}), and "
            f"{gigabytes(free)} is free; make room while it runs, or it stops there (what is "
            "done is kept, to resume)"
        )
