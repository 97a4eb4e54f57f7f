"""Stages for fault tests on a cluster, importable by Ray's workers (`tests` is on their path).
Both pass frames through, except: `KillsItsWorkerOnce`, the first time it reaches frame
`kill_at` in any process, leaves a mark (`mark`, a file beside the job folder) and kills the
process it runs in, as a lost worker dies, midway through a chunk's encoding;
`StallsOnTheDoomedNode` stalls midway through a chunk on the node marked to be lost, for the
test to kill that whole node."""

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


DOOMED = "PANCHRO_TEST_NODE"  # set to "doomed" in the environment of the node to be lost


@dataclass
class StallsOnTheDoomedNode:
    """Passes frames through, noting in `log` each batch it does: its node ("doomed" on the
    node started with PANCHRO_TEST_NODE=doomed, else "kept"), its process and its frames.

    So that the doomed node finishes a chunk and then dies in the middle of the next, whatever
    the scheduler's timing, the kept nodes wait (from their second chunk on, up to a minute)
    until the doomed node has done one chunk and begun another; the doomed node, once it has
    done a chunk, stalls in the next batch that is not a chunk's first (its encoder's
    temporary file open) and leaves `log`.stalled for the test, which then kills it whole."""

    log: str | None = None  # None: notes nothing, never stalls (the local run's twin)
    chunk: int = 6  # the chunk length of the test's plan: frames 0, 6, 12, ... start chunks
    key = "test:stalls-on-the-doomed-node"
    context: int = 1

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(self, shot_index, shot, pick, film):  # noqa: ANN001, ANN201
        return None

    def _done(self, node: str) -> int:
        lines = Path(self.log).read_text().splitlines() if Path(self.log).exists() else []
        return sum(len(line.split()) - 2 for line in lines if line.startswith(node + " "))

    def process(self, batch):  # noqa: ANN001, ANN201
        if self.log:
            node = os.environ.get(DOOMED) or "kept"
            first = int(batch.indices[0])
            if node == "kept" and self._done("kept") >= self.chunk:
                end = time.monotonic() + 60
                while self._done("doomed") <= self.chunk and time.monotonic() < end:
                    time.sleep(0.05)
            if node == "doomed" and first % self.chunk and self._done("doomed") >= self.chunk:
                for _ in range(100):
                    if any(Path(self.log).parent.glob("*.panchro-job/.chunk_*.part*")):
                        break
                    time.sleep(0.05)
                Path(f"{self.log}.stalled").write_text(f"{os.getpid()} {first}")
                time.sleep(600)  # the node is lost before this ends
            with open(self.log, "a") as fh:
                frames = " ".join(str(int(i)) for i in batch.indices)
                fh.write(f"{node} {os.getpid()} {frames}\n")
        return batch.replace(y=batch.y.copy())


def stalls_on_the_doomed_node(log: str) -> list[StallsOnTheDoomedNode]:
    """The stages of a task (a recipe)."""
    return [StallsOnTheDoomedNode(log)]
