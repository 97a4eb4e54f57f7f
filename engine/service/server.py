"""The engine process: the protocol of `panchro.engine.service.protocol` over stdin/stdout.

`panchro engine serve` runs `serve()`. Threads, and why there are several:

- the *reader* decodes requests and answers `hello`, `cancel` and `shutdown`
  at once, so a cancel is never stuck behind the work it cancels;
- the *light lane* answers `open`, `close` and `frame` one after another,
  quickly; a queued `frame` is superseded by a newer one for the same film
  (latest wins), so scrubbing never builds a backlog;
- the *job lane* runs long work FIFO (`shots`, `survey`, `sample_keyframe`, `hint_preview`,
  `preview`, `render`, projects), each with its own cancel flag and rate-limited
  progress events; a queued `hint_preview` is superseded by a newer one for the same
  film, as frames are. A render never blocks scrubbing because frames go through the
  light lane.

This module is the process: the threads, dispatch and the writing of messages.
What each request does is in `panchro.engine.service.handlers`, whose `HANDLERS`
table maps a request type to its parser (run here, on the reader thread), its
runner and its lane.

Every request gets exactly one terminal message ("result", "error",
"cancelled" or "superseded"); `_finish` enforces that. The protocol channel is
guarded: messages go to a private copy of the real stdout, while `sys.stdout`
and file descriptor 1 point at stderr, so a stray print (ours, a library's, or
FFmpeg's) lands in the log instead of corrupting the stream. docs/protocol.md
is the reference for every message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any, BinaryIO

from panchro.engine import __version__
from panchro.engine.errors import CancelledError, PanchroError
from panchro.engine.progress import ProgressState
from panchro.engine.service import protocol
from panchro.engine.service.handlers import HANDLERS
from panchro.engine.service.handlers.common import (
    LIGHT,
    RequestError,
    Session,
    Work,
    one_line,
    param,
)
from panchro.engine.service.handlers.status import hello_data
from panchro.engine.service.protocol import ErrorCode, Event, Message, ProtocolError, Request

log = logging.getLogger("panchro.engine.service.server")

# Requests of which only the newest queued one for a film is worth answering (latest wins).
LATEST_WINS = frozenset({Request.FRAME, Request.HINT_PREVIEW})

# How long shutdown waits for running work to notice its cancel flag.
SHUTDOWN_JOIN_S = 3.0


# --- lanes ----------------------------------------------------------------------------------


class _Lane:
    """One worker thread taking work from a FIFO; the engine's lock guards the queue."""

    def __init__(self, name: str, lock: threading.Lock, run: Callable[[Work], None]) -> None:
        self.name = name
        self.queue: deque[Work] = deque()
        self.running: Work | None = None
        self._cond = threading.Condition(lock)
        self._run = run
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=f"panchro-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, work: Work) -> None:
        """Queue `work`; the caller holds the engine's lock."""
        self.queue.append(work)
        self._cond.notify()

    def take(self, match: Callable[[Work], bool]) -> list[Work]:
        """Remove and return the queued work that `match`es; the caller holds the lock."""
        taken = [w for w in self.queue if match(w)]
        for w in taken:
            self.queue.remove(w)
        return taken

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self.queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                work = self.queue.popleft()
                self.running = work
            try:
                self._run(work)
            finally:
                with self._cond:
                    self.running = None


# --- the engine ---------------------------------------------------------------------------


class Engine:
    """Reads requests from a binary stream and answers on another; see module docstring."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._send_lock = threading.RLock()
        self._closed = False
        self._lock = threading.Lock()
        # Requests accepted and not yet answered; `_finish` pops them, which makes
        # "exactly one terminal message" hold even when shutdown races a job.
        self._inflight: dict[int, Work] = {}
        # Open films, kept candidates, built stages: what the handlers share.
        self.session = Session(self._lock, self._progress)
        self._stop = threading.Event()
        self._shutdown_id: int | None = None
        self._light = _Lane("light", self._lock, self._execute)
        self._jobs = _Lane("jobs", self._lock, self._execute)

    # --- sending ----------------------------------------------------------------------

    def send(self, body: dict[str, Any], blob: bytes = b"") -> bool:
        """Write one message; False when the channel is gone (the client went away)."""
        data = protocol.encode(body, blob)
        with self._send_lock:
            if self._closed:
                return False
            try:
                view = memoryview(data)
                while view:
                    n = self._out.write(view)
                    view = view[len(view) if n is None else n :]
                self._out.flush()
            except (OSError, ValueError):
                # Broken pipe or closed stream: nobody is listening, so stop.
                self._closed = True
                self._stop.set()
                return False
        return True

    def _finish(self, work_id: int, body: dict[str, Any], blob: bytes = b"") -> None:
        """Send the terminal message of `work_id`, unless it already had one."""
        with self._lock:
            if self._inflight.pop(work_id, None) is None:
                return
        try:
            self.send(body, blob)
        except (TypeError, ValueError) as exc:  # a result that JSON cannot carry: our bug
            log.error("reply to request %s could not be encoded: %s", work_id, exc)
            self.send(protocol.error(work_id, ErrorCode.INTERNAL, f"reply not encodable: {exc}"))

    def _progress(self, work: Work) -> Callable[[ProgressState], None]:
        def report(state: ProgressState) -> None:
            if work.id in self._inflight:
                self.send(protocol.progress(work.id, **state.as_dict()))  # type: ignore[arg-type]

        return report

    # --- the conversation ---------------------------------------------------------------

    def run(self, stdin: BinaryIO) -> int:
        """Serve until shutdown, end of input or a closed output; returns the exit code."""
        self._light.start()
        self._jobs.start()
        reader = threading.Thread(
            target=self._read, args=(stdin,), name="panchro-reader", daemon=True
        )
        reader.start()
        log.info(
            "engine %s ready (protocol %d, pid %d)",
            __version__,
            protocol.PROTOCOL_VERSION,
            os.getpid(),
        )
        code = 0
        try:
            # A timed wait: an untimed one cannot be interrupted by Ctrl+C everywhere.
            while not self._stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            log.info("interrupted: shutting down")
            code = 130
        cancelled = self._cancel(None, reason="shutdown")
        self._light.stop()
        self._jobs.stop()
        deadline = SHUTDOWN_JOIN_S
        for lane in (self._jobs, self._light):
            if not lane.join(deadline):
                log.warning("the %s lane did not stop in %.0f s; leaving it", lane.name, deadline)
            deadline = 0.5
        with self._lock:
            left = list(self._inflight)
        for work_id in left:  # work still running (or a hello still thinking)
            self._finish(work_id, _cancelled(work_id, "shutdown"))
        if self._shutdown_id is not None:
            self.send(protocol.result(self._shutdown_id, {"cancelled": cancelled}))
        log.info("engine stopped")
        with self._send_lock:
            self._closed = True
        return code

    def _read(self, stdin: BinaryIO) -> None:
        try:
            for item in protocol.read_messages(stdin):
                if self._stop.is_set():
                    return
                if isinstance(item, ProtocolError):
                    self.send(protocol.error(item.id, ErrorCode.BAD_REQUEST, str(item)))
                    continue
                try:
                    self._dispatch(item)
                except Exception as exc:  # the reader must survive anything
                    log.error("dispatching %s failed:\n%s", item.type, traceback.format_exc())
                    self.send(protocol.error(item.id, ErrorCode.INTERNAL, one_line(exc)))
        except OSError as exc:
            log.warning("reading requests failed: %s", exc)
        finally:
            if not self._stop.is_set():
                log.info("end of input: shutting down")
            self._stop.set()

    def _dispatch(self, msg: Message) -> None:
        rid, kind, body = msg.id, msg.type, msg.body
        if rid is None:
            got = json.dumps(body.get("id"))[:40] if "id" in body else "none"
            self.send(
                protocol.error(
                    None, ErrorCode.BAD_REQUEST, f"{kind}: a request needs an integer 'id' ({got})"
                )
            )
            return
        if kind not in Request.ALL:
            known = ", ".join(sorted(Request.ALL))
            self.send(
                protocol.error(
                    rid, ErrorCode.BAD_REQUEST, f"unknown request type {kind!r} (known: {known})"
                )
            )
            return
        with self._lock:
            busy = rid in self._inflight
        if busy:
            self.send(protocol.error(rid, ErrorCode.BAD_REQUEST, f"id {rid} is already in use"))
            return
        if kind == Request.HELLO:
            self._hello(rid, body)
        elif kind == Request.CANCEL:
            self._handle_cancel(rid, body)
        elif kind == Request.SHUTDOWN:
            self._shutdown_id = rid
            self._stop.set()
        else:
            try:
                params = HANDLERS[kind].parse(self.session, body)
            except Exception as exc:
                self.send(_error_body(rid, exc))
                return
            self._enqueue(Work(rid, kind, params))

    def _enqueue(self, work: Work) -> None:
        superseded: list[Work] = []
        with self._lock:
            self._inflight[work.id] = work
            lane = self._light if HANDLERS[work.type].lane == LIGHT else self._jobs
            if work.type in LATEST_WINS:
                # Latest wins: a queued request of this kind for the same film is no
                # longer wanted (a frame scrubbed past, a hint preview of an older edit).
                kind, film = work.type, work.params["film"]
                superseded = lane.take(lambda w: w.type == kind and w.params["film"] == film)
            lane.put(work)
        for old in superseded:
            self._finish(old.id, {"type": Event.SUPERSEDED, "id": old.id, "by": work.id})

    def _execute(self, work: Work) -> None:
        if work.cancel.is_set():
            self._finish(work.id, _cancelled(work.id, work.reason))
            return
        try:
            answer = HANDLERS[work.type].run(self.session, work)
        except CancelledError as exc:
            self._finish(work.id, _cancelled(work.id, work.reason, **exc.extra))
            return
        except Exception as exc:
            self._finish(work.id, _error_body(work.id, exc, work.type))
            return
        extra = {"blob_type": answer.blob_type} if answer.blob_type else {}
        self._finish(work.id, protocol.result(work.id, answer.data, **extra), answer.blob)

    # --- at once: hello, cancel -------------------------------------------------------

    def _hello(self, rid: int, body: dict[str, Any]) -> None:
        try:
            theirs = param(body, "protocol", int)
        except RequestError as exc:
            self.send(_error_body(rid, exc))
            return
        client = body.get("client")
        if theirs != protocol.PROTOCOL_VERSION:
            log.warning("client %s speaks protocol %s; refused", client, theirs)
            self.send(
                protocol.error(
                    rid,
                    ErrorCode.VERSION_MISMATCH,
                    f"the client speaks protocol {theirs}, this engine (panchro {__version__}) "
                    f"speaks protocol {protocol.PROTOCOL_VERSION}; use a GUI and an engine from "
                    "the same panchro release",
                    engine_protocol=protocol.PROTOCOL_VERSION,
                )
            )
            return
        work = Work(rid, Request.HELLO, {})
        with self._lock:
            self._inflight[rid] = work

        def answer() -> None:
            try:
                data = hello_data()
            except Exception as exc:
                log.error("hello failed:\n%s", traceback.format_exc())
                self._finish(rid, _error_body(rid, exc))
                return
            log.info("hello from %s", client or "a client")
            self._finish(rid, protocol.result(rid, data))

        # Importing torch takes about a second: not on the reader thread, where it
        # would hold up a cancel.
        threading.Thread(target=answer, name="panchro-hello", daemon=True).start()

    def _handle_cancel(self, rid: int, body: dict[str, Any]) -> None:
        try:
            target = param(body, "target", int, None)
        except RequestError as exc:
            self.send(_error_body(rid, exc))
            return
        ids = self._cancel(target, reason="cancel")
        self.send(protocol.result(rid, {"cancelled": ids}))

    def _cancel(self, target: int | None, *, reason: str) -> list[int]:
        """Cancel `target` (or everything): queued work ends now, running work is flagged."""
        ids: list[int] = []
        queued: list[Work] = []
        with self._lock:
            for lane in (self._light, self._jobs):
                queued += lane.take(lambda w: target is None or w.id == target)
                running = lane.running
                # Work whose answer is already sent is still `running` for a moment, until
                # its lane notices: it is done, not cancellable.
                if (
                    running is not None
                    and running.id in self._inflight
                    and (target is None or running.id == target)
                ):
                    running.reason = reason
                    running.cancel.set()
                    ids.append(running.id)
        for w in queued:
            ids.append(w.id)
            self._finish(w.id, _cancelled(w.id, reason))
        if ids:
            log.info("%s: %s", reason, ", ".join(map(str, sorted(ids))))
        return sorted(ids)


# --- helpers --------------------------------------------------------------------------------


def _cancelled(work_id: int, reason: str, **extra: Any) -> dict[str, Any]:
    """`extra`: what the work says of itself (an export's `kept_frames`: done before it)."""
    return {"type": Event.CANCELLED, "id": work_id, "reason": reason, **extra}


def _error_body(rid: int | None, exc: BaseException, kind: str = "") -> dict[str, Any]:
    """The terminal message for a request that raised `exc`."""
    if isinstance(exc, CancelledError):
        assert rid is not None
        return _cancelled(rid, "cancel")
    if isinstance(exc, RequestError):
        return protocol.error(rid, exc.code, one_line(exc))
    if isinstance(exc, PanchroError):
        return protocol.error(rid, exc.code, one_line(exc), **exc.extra)
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return protocol.error(rid, ErrorCode.OUT_OF_MEMORY, f"out of memory: {one_line(exc)}")
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return protocol.error(rid, ErrorCode.IO, f"{where}{exc.strerror or one_line(exc)}")
    log.error("request %s (%s) failed:\n%s", rid, kind or "?", "".join(
        traceback.format_exception(exc)))  # fmt: skip
    return protocol.error(
        rid,
        ErrorCode.INTERNAL,
        f"internal error in {kind or 'the engine'}: {type(exc).__name__}: {one_line(exc)} "
        "(traceback in the engine log)",
    )


class _EventLogHandler(logging.Handler):
    """Sends log records as "log" events, so the GUI's log view sees what stderr sees."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(logging.INFO)
        self._engine = engine
        self._busy = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "on", False):  # logging from inside send: no loop
            return
        self._busy.on = True
        try:
            message = record.getMessage().splitlines()[0] if record.getMessage() else ""
            self._engine.send(
                {
                    "type": Event.LOG,
                    "level": record.levelname.lower(),
                    "logger": record.name,
                    "message": message,
                    "time": record.created,
                }
            )
        except Exception:
            self.handleError(record)
        finally:
            self._busy.on = False


def _claim_stdio() -> tuple[BinaryIO, BinaryIO, Callable[[], None]]:
    """Private copies of fds 0 and 1 for the protocol; fd 1 and sys.stdout go to stderr.

    Raw, unbuffered file objects over duplicated descriptors: a blocked read in
    the reader thread then holds no Python-level lock that interpreter
    shutdown could trip over.
    """
    sys.stdout.flush()
    in_fd = os.dup(sys.stdin.fileno())
    out_fd = os.dup(sys.stdout.fileno())
    saved_stdout = sys.stdout
    os.dup2(sys.stderr.fileno(), 1)
    sys.stdout = sys.stderr
    stdin = open(in_fd, "rb", buffering=0)  # noqa: SIM115 - closed by restore()
    stdout = open(out_fd, "wb")  # noqa: SIM115

    def restore() -> None:
        sys.stdout = saved_stdout
        with contextlib.suppress(OSError):
            stdout.flush()
        stdout.close()

    return stdin, stdout, restore


def _setup_logging(engine: Engine) -> Callable[[], None]:
    root = logging.getLogger()
    added: list[tuple[logging.Logger, logging.Handler]] = []
    if not root.handlers:
        h: logging.Handler = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(h)
        added.append((root, h))
    pkg = logging.getLogger("panchro")
    if pkg.level == logging.NOTSET:
        pkg.setLevel(logging.INFO)
    events = _EventLogHandler(engine)
    pkg.addHandler(events)
    added.append((pkg, events))

    def undo() -> None:
        for logger, handler in added:
            logger.removeHandler(handler)

    return undo


def serve(stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    """Speak the engine protocol until shutdown or end of input; returns the exit code.

    With no streams given it uses the process's stdin/stdout and protects them
    (see `_claim_stdio`); tests may pass any binary streams instead.
    """
    restore: Callable[[], None] | None = None
    if stdin is None and stdout is None:
        stdin, stdout, restore = _claim_stdio()
    elif stdin is None:
        stdin = sys.stdin.buffer
    elif stdout is None:
        stdout = sys.stdout.buffer
    assert stdin is not None and stdout is not None
    engine = Engine(stdout)
    undo_logging = _setup_logging(engine)
    try:
        return engine.run(stdin)
    finally:
        undo_logging()
        if restore is not None:
            restore()


if __name__ == "__main__":
    raise SystemExit(serve())
