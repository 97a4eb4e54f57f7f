"""A stage for fault tests on a cluster, importable by Ray's workers (`tests` is on their path):
it passes frames through, except that the first time it reaches frame `kill_at` in any process
it leaves a mark (`mark`, a file beside the job folder) and kills the process it runs in, as a
lost worker dies, midway through a chunk's encoding."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class KillsItsWorkerOnce:
    mark: str | None = None  # None: never kills (the local run's twin)
    kill_at: int = 8
    key: str = "test:kills-its-worker-once"
    context: int = 1  # a stage that reads neighbours, so chunks are decoded with context

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(self, shot_index, shot, pick, film):  # noqa: ANN001, ANN201
        return None

    def process(self, batch):  # noqa: ANN001, ANN201
        if self.mark and self.kill_at in batch.indices and not Path(self.mark).exists():
            # Once the chunk's encoder has its temporary file open (the encoding runs in
            # another thread of this worker), so the death leaves half a chunk behind.
            jobs = Path(self.mark).parent.glob("*.panchro-job")
            for _ in range(100):
                if any(p.glob(".chunk_*.part*") for p in jobs):
                    break
                time.sleep(0.05)
                jobs = Path(self.mark).parent.glob("*.panchro-job")
            Path(self.mark).write_text(str(os.getpid()))
            os._exit(1)
        return batch.replace(y=batch.y.copy())


def kills_once(mark: str) -> list[KillsItsWorkerOnce]:
    """The stages of a task (a recipe)."""
    return [KillsItsWorkerOnce(mark)]
