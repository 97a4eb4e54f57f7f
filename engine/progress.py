"""Progress of long work: frames done, speed and time left, reported at a bounded rate.

One `Progress` feeds both the terminal bar of the CLI and the engine's
"progress" events, so the two always agree. Work loops call `advance()` per
frame; the callback fires at most `max_hz` times a second (and once at the end),
so a fast loop never floods a pipe or a terminal.

A huge frame can take minutes: work deep inside one (the upscaler's tile loop)
calls `report_within(fraction)`, and the `within(progress, frames)` block the
pipeline puts around each stage turns that into `partial`, frames' worth of work
done beyond `done`, so the bar and the events move per tile, not only per frame.
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
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
    # Frames' worth of work done on frames still in hand, beyond `done` (0 <= partial < the
    # frames in hand): a huge frame's tiles. done + partial never goes back.
    partial: float = 0.0
    # Something a person should know while the work goes on (the disk may fill), once said
    # carried by every state after; "" when nothing.
    warning: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "done": self.done,
            "total": self.total,
            "stage": self.stage,
            "fps": None if self.fps is None else round(self.fps, 2),
            "eta_s": None if self.eta_s is None else round(self.eta_s, 1),
            "partial": round(self.partial, 3),
        } | ({"warning": self.warning} if self.warning else {})


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
        self._position = 0.0  # the furthest done + partial reported
        self.warning = ""  # `warn`'s, carried by every state after
        # `partial` comes from the stage thread while `advance` runs in the encoder's.
        self._lock = threading.RLock()

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
        partial = max(0.0, self._position - self.done)
        return ProgressState(
            self.done, self.total, self.stage, elapsed, fps, eta, partial, self.warning
        )

    def advance(self, n: int = 1, *, stage: str | None = None, check: bool = True) -> None:
        """Count `n` more units of work; raises CancelledError if cancel was asked (unless not
        `check`: work that is finished and kept, such as a picture written, is counted)."""
        if check:
            self.check_cancel()
        with self._lock:
            self.done += n
            if stage is not None:
                self.stage = stage
            now = time.monotonic()
            self._measure(now)
            self._report(now)

    def warn(self, text: str) -> None:
        """Say `text` with this report and every one after (reported at once)."""
        with self._lock:
            self.warning = text
            if self.callback is not None:
                self._last_report = time.monotonic()
                self.callback(self.state())

    def check_cancel(self) -> None:
        """Raise CancelledError if cancel was asked."""
        if self.cancel is not None and self.cancel.is_set():
            from panchro.engine.errors import CancelledError

            raise CancelledError("cancelled")

    def partial(self, frames: float) -> None:
        """Say that `frames` frames' worth of the frames in hand are done (not yet counted by
        `advance`); reported at the same bounded rate, and never backwards."""
        with self._lock:
            position = self.done + max(0.0, frames)
            if self.total is not None:
                position = min(position, float(self.total))
            if position <= self._position:
                return
            self._position = position
            self._report(time.monotonic())

    def _report(self, now: float) -> None:
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
        with self._lock:
            state = self.state()
            if self.callback is not None:
                self.callback(state)
        return state


# Where `report_within` goes in this thread: set by `within` around a piece of work.
_WITHIN: ContextVar[Callable[[float], None] | None] = ContextVar("panchro_within", default=None)


def report_within(fraction: float) -> None:
    """How far (0..1) the work on the frames in hand is, from deep inside it (a tile loop);
    nothing happens outside a `within` block."""
    hook = _WITHIN.get()
    if hook is not None:
        hook(fraction)


@contextlib.contextmanager
def within(progress: Progress | None, frames: int, part: int = 0, parts: int = 1) -> Iterator[None]:
    """While the block runs in this thread, `report_within(f)` moves `progress` to
    (part + f) / parts of the `frames` frames in hand (part `part` of `parts` steps)."""
    if progress is None or frames <= 0:
        yield
        return

    def hook(fraction: float) -> None:
        progress.partial(frames * (part + min(1.0, max(0.0, fraction))) / parts)

    token = _WITHIN.set(hook)
    try:
        yield
    finally:
        _WITHIN.reset(token)


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class TerminalBar:
    """A one-line progress bar for a terminal; plain lines when not a TTY. `unit` names the
    rate ("fps" for frames; an album counts pictures)."""

    def __init__(
        self, label: str = "", stream: TextIO | None = None, width: int = 30, unit: str = "fps"
    ) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.width = width
        self._tty = self.stream.isatty()
        self._last_plain = -1.0
        self._printed_done: float | None = None
        self._warned = ""

    def __call__(self, st: ProgressState) -> None:
        if st.warning and st.warning != self._warned:
            self._warned = st.warning
            self.stream.write(("\n" if self._tty else "") + f"warning: {st.warning}\n")
        if st.total:
            frac = min(1.0, (st.done + st.partial) / st.total)
            filled = int(frac * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            count = f"{st.done}/{st.total} {frac * 100:5.1f}%"
        else:
            bar, count = "", f"{st.done}"
        ended = bool(st.total) and st.done >= st.total
        # at the end, a run too short to measure its rate while going has the whole run's
        rate = st.fps or (st.done / st.elapsed_s if ended and st.elapsed_s > 0 else None)
        fps = f"{rate:6.1f} {self.unit}" if rate else f"   --- {self.unit}"
        line = f"{self.label} [{bar}] {count} {fps} ETA {_fmt_time(0.0 if ended else st.eta_s)}"
        if st.stage:
            line += f" ({st.stage})"
        if self._tty:
            self.stream.write("\r" + line + "\x1b[K")
        elif st.done + st.partial != self._printed_done and (
            st.elapsed_s - self._last_plain >= 2.0 or st.done == st.total
        ):
            # Logs and CI: a line every couple of seconds, not a carriage-return soup.
            self._last_plain = st.elapsed_s
            self._printed_done = st.done + st.partial
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
