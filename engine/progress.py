"""Progress of long work: frames done, speed and time left, reported at a bounded rate.

One `Progress` feeds both the terminal bar of the CLI and the engine's
"progress" events, so the two always agree. Work loops call `advance()` per
frame; the callback fires at most `max_hz` times a second (and once at the end),
so a fast loop never floods a pipe or a terminal.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class ProgressState:
    done: int
    total: int | None
    stage: str
    elapsed_s: float
    fps: float | None
    eta_s: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "done": self.done,
            "total": self.total,
            "stage": self.stage,
            "fps": None if self.fps is None else round(self.fps, 2),
            "eta_s": None if self.eta_s is None else round(self.eta_s, 1),
        }


ProgressCallback = Callable[[ProgressState], None]


class Progress:
    """Counts work and reports it through `callback` at most `max_hz` times a second.

    The rate is measured from the first unit of work on: the time before it (models
    loading, shots being found) says nothing about the pace, and counting it made the
    first ETA of a 31 s job read 10:54. It is an exponentially weighted average over
    intervals of at least `SAMPLE_S`, recent seconds weighing most (`SMOOTH_S`), so the
    ETA follows the current pace without jumping with each batch of frames; and no ETA
    is given until `WARMUP_S` and `WARMUP_UNITS` of work have passed.
    """

    SAMPLE_S = 0.5
    SMOOTH_S = 5.0
    WARMUP_S = 3.0
    WARMUP_UNITS = 3

    def __init__(
        self,
        total: int | None,
        callback: ProgressCallback | None = None,
        *,
        stage: str = "",
        max_hz: float = 10.0,
        cancel: threading.Event | None = None,
    ) -> None:
        self.total = total
        self.stage = stage
        self.callback = callback
        self.cancel = cancel
        self._min_interval = 1.0 / max_hz
        self._start = time.monotonic()
        self._last_report = -1.0
        self.done = 0
        self._first: tuple[float, int] | None = None  # (time, done) at the first unit
        self._sample: tuple[float, int] = (self._start, 0)  # where the open interval began
        self._units = 0.0  # decayed sums of units and seconds: their ratio is the rate
        self._seconds = 0.0

    def state(self) -> ProgressState:
        now = time.monotonic()
        elapsed = now - self._start
        fps = self._units / self._seconds if self._seconds > 0 and self._units > 0 else None
        eta = None
        first = self._first
        warm = first is not None and (
            now - first[0] >= self.WARMUP_S and self.done - first[1] >= self.WARMUP_UNITS
        )
        if fps and warm and self.total is not None:
            eta = max(0.0, (self.total - self.done) / fps)
        return ProgressState(self.done, self.total, self.stage, elapsed, fps, eta)

    def advance(self, n: int = 1, *, stage: str | None = None) -> None:
        """Count `n` more units of work; raises CancelledError if cancel was asked."""
        if self.cancel is not None and self.cancel.is_set():
            from panchro.engine.errors import CancelledError

            raise CancelledError("cancelled")
        self.done += n
        if stage is not None:
            self.stage = stage
        now = time.monotonic()
        self._measure(now)
        if self.callback is not None and now - self._last_report >= self._min_interval:
            self._last_report = now
            self.callback(self.state())

    def _measure(self, now: float) -> None:
        if self._first is None:
            self._first = self._sample = (now, self.done)
            return
        t0, d0 = self._sample
        dt = now - t0
        if dt <= 0:
            # Done at the instant an interval ended (a batch at once): part of that interval.
            if self._seconds > 0:
                self._units += self.done - d0
            self._sample = (t0, self.done)
            return
        if dt < self.SAMPLE_S:
            return
        keep = math.exp(-dt / self.SMOOTH_S)
        self._units = self._units * keep + (self.done - d0)
        self._seconds = self._seconds * keep + dt
        self._sample = (now, self.done)

    def finish(self) -> ProgressState:
        state = self.state()
        if self.callback is not None:
            self.callback(state)
        return state


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class TerminalBar:
    """A one-line progress bar for a terminal; plain lines when not a TTY."""

    def __init__(self, label: str = "", stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self._tty = self.stream.isatty()
        self._last_plain = -1.0
        self._printed_done: int | None = None

    def __call__(self, st: ProgressState) -> None:
        if st.total:
            frac = min(1.0, st.done / st.total)
            filled = int(frac * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            count = f"{st.done}/{st.total} {frac * 100:5.1f}%"
        else:
            bar, count = "", f"{st.done}"
        fps = f"{st.fps:6.1f} fps" if st.fps else "   --- fps"
        line = f"{self.label} [{bar}] {count} {fps} ETA {_fmt_time(st.eta_s)}"
        if st.stage:
            line += f" ({st.stage})"
        if self._tty:
            self.stream.write("\r" + line + "\x1b[K")
        elif st.done != self._printed_done and (
            st.elapsed_s - self._last_plain >= 2.0 or st.done == st.total
        ):
            # Logs and CI: a line every couple of seconds, not a carriage-return soup.
            self._last_plain = st.elapsed_s
            self._printed_done = st.done
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
