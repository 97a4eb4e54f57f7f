"""A client for the engine process: start it, send requests, wait for their replies.

Standard library and `panchro.engine.service.protocol` only, so the GUI, scripts and
tests can all use it without pulling in torch, PyAV or numpy.

    with EngineClient.start() as engine:
        engine.request("hello", protocol=PROTOCOL_VERSION)
        film = engine.request("open", path="film.mp4").data["film"]
        reply = engine.request("frame", film=film, index=0)
        jpeg = reply.blob

`request()` raises `EngineError` for anything but a result; `send()` plus
`wait()` give every terminal message ("result", "error", "cancelled",
"superseded") back as a `Reply` for callers that handle them all, such as a
scrubbing timeline that fires frames and keeps the last.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from panchro.engine.service.protocol import (
    PROTOCOL_VERSION,
    Event,
    Message,
    ProtocolError,
    Request,
    encode,
    read_messages,
    request,
)

DEFAULT_ARGV: tuple[str, ...] = ("-m", "panchro.engine", "engine", "serve")
ENGINE_EXITED = "engine_exited"  # EngineError code: the process ended before answering
TIMEOUT = "timeout"

__all__ = [
    "ENGINE_EXITED",
    "PROTOCOL_VERSION",
    "EngineClient",
    "EngineError",
    "Reply",
]


class EngineError(Exception):
    """A request did not succeed. `code` is a protocol error code (see protocol.ErrorCode),
    "cancelled", "superseded", or ENGINE_EXITED."""

    def __init__(self, code: str, message: str, *, id: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.id = id


@dataclass(frozen=True)
class Reply:
    """The terminal message of one request, with its binary part."""

    id: int
    type: str  # "result", "error", "cancelled" or "superseded"
    body: dict[str, Any]
    blob: bytes = b""

    @property
    def ok(self) -> bool:
        return self.type == Event.RESULT

    @property
    def data(self) -> dict[str, Any]:
        data = self.body.get("data")
        return data if isinstance(data, dict) else {}

    @property
    def blob_type(self) -> str | None:
        return self.body.get("blob_type")

    @property
    def code(self) -> str | None:
        """The error code, or "cancelled"/"superseded"; None for a result."""
        if self.type == Event.ERROR:
            return str(self.body.get("code", ""))
        return None if self.ok else self.type

    @property
    def message(self) -> str:
        return str(self.body.get("message", self.type))

    def unwrap(self) -> Reply:
        """This reply if it is a result, else raise EngineError."""
        if not self.ok:
            raise EngineError(self.code or self.type, self.message, id=self.id)
        return self


ProgressCallback = Callable[[dict[str, Any]], None]


class EngineClient:
    """Talks to one engine over a pair of byte streams, usually a child process's pipes.

    A reader thread routes each message by id: terminal messages wait in a
    table for `wait()`, progress goes to the request's `on_progress` callback
    (in the reader thread) and, like log lines and errors that carry no id, to
    `events`. Methods are safe to call from several threads.
    """

    def __init__(
        self,
        reader: BinaryIO,
        writer: BinaryIO,
        *,
        process: subprocess.Popen[bytes] | None = None,
        log_path: Path | None = None,
        on_event: Callable[[Message], None] | None = None,
        max_events: int = 10_000,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.process = process
        self.log_path = log_path
        self._on_event = on_event
        # Log lines and progress keep arriving whether anybody reads them or not;
        # a bounded queue that drops the oldest keeps a long session's memory flat.
        self.events: queue.Queue[Message] = queue.Queue(max_events)
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._cond = threading.Condition()
        self._replies: dict[int, Reply] = {}
        self._progress: dict[int, ProgressCallback] = {}
        self._forgotten: set[int] = set()
        self._eof = False
        self._thread = threading.Thread(target=self._read, name="panchro-client", daemon=True)
        self._thread.start()

    # --- starting and stopping --------------------------------------------------------

    @classmethod
    def start(
        cls,
        argv: Sequence[str] | None = None,
        *,
        env: dict[str, str] | None = None,
        stderr: str | os.PathLike[str] | int | IO[Any] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        on_event: Callable[[Message], None] | None = None,
    ) -> EngineClient:
        """Spawn an engine (`python -m panchro.engine engine serve` unless `argv` says
        otherwise). `stderr`: None inherits ours; a path appends the engine's log to
        that file; an int or file object is passed to subprocess as is."""
        cmd = list(argv) if argv is not None else [sys.executable, *DEFAULT_ARGV]
        log_path: Path | None = None
        log_file: IO[Any] | None = None
        err: Any = stderr
        if isinstance(stderr, str | os.PathLike):
            log_path = Path(stderr)
            log_file = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
            err = log_file
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                cwd=cwd,
                bufsize=0,
            )
        finally:
            if log_file is not None:
                log_file.close()  # the child has its own descriptor now
        assert proc.stdout is not None and proc.stdin is not None
        return cls(proc.stdout, proc.stdin, process=proc, log_path=log_path, on_event=on_event)

    @property
    def alive(self) -> bool:
        """True while the engine can still answer."""
        if self.process is not None and self.process.poll() is not None:
            return False
        return not self._eof

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def close(self, timeout: float = 5.0) -> int | None:
        """Ask the engine to shut down, wait up to `timeout`, then kill it if need be.

        Returns the process's exit code (None for an engine without a process)."""
        deadline = time.monotonic() + timeout
        if self.alive:
            with contextlib.suppress(EngineError, TimeoutError):
                self.wait(self.send(Request.SHUTDOWN), timeout)
        with contextlib.suppress(OSError, ValueError):
            self._writer.close()  # end of input: an engine that missed shutdown stops too
        code: int | None = None
        if self.process is not None:
            try:
                code = self.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.process.kill()
                code = self.process.wait()
        self._thread.join(max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(OSError, ValueError):
            self._reader.close()
        return code

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- requests ---------------------------------------------------------------------

    def send(
        self,
        type_: str,
        blob: bytes = b"",
        *,
        on_progress: ProgressCallback | None = None,
        **params: Any,
    ) -> int:
        """Send a request; returns its id. `on_progress` gets each progress event's body."""
        with self._write_lock:
            rid = next(self._ids)
            data = encode(request(type_, rid, **params), blob)
            if on_progress is not None:
                with self._cond:
                    self._progress[rid] = on_progress
            self._write(data)
        return rid

    def send_raw(self, data: bytes) -> None:
        """Write bytes as they are, frame or not (for tests of a robust engine)."""
        with self._write_lock:
            self._write(data)

    def wait(self, rid: int, timeout: float | None = None) -> Reply:
        """The terminal reply to request `rid`, whatever its type.

        Raises TimeoutError when none comes within `timeout` seconds, and
        EngineError(ENGINE_EXITED) when the engine ends without answering."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while rid not in self._replies:
                if self._eof:
                    raise EngineError(ENGINE_EXITED, self._exit_text(rid), id=rid)
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"no reply to request {rid} within {timeout} s")
                self._cond.wait(left)
            self._progress.pop(rid, None)
            return self._replies.pop(rid)

    def request(
        self,
        type_: str,
        timeout: float | None = 60.0,
        on_progress: ProgressCallback | None = None,
        blob: bytes = b"",
        **params: Any,
    ) -> Reply:
        """Send a request and wait for its result; raises EngineError for any other end."""
        return self.wait(
            self.send(type_, blob, on_progress=on_progress, **params), timeout
        ).unwrap()

    def cancel(self, target: int | None = None, timeout: float | None = 10.0) -> list[int]:
        """Cancel request `target` (or all work); returns the ids the engine cancelled."""
        params = {} if target is None else {"target": target}
        return list(self.request(Request.CANCEL, timeout, **params).data.get("cancelled", []))

    def forget(self, rid: int) -> None:
        """Drop the reply to `rid` when it comes (a frame nobody will look at)."""
        with self._cond:
            self._progress.pop(rid, None)
            if self._replies.pop(rid, None) is None:
                self._forgotten.add(rid)

    # --- internals --------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        try:
            view = memoryview(data)
            while view:
                n = self._writer.write(view)
                view = view[len(view) if n is None else n :]
            self._writer.flush()
        except (OSError, ValueError) as exc:
            raise EngineError(ENGINE_EXITED, f"cannot write to the engine: {exc}") from exc

    def _read(self) -> None:
        try:
            for item in read_messages(self._reader):
                if isinstance(item, ProtocolError):
                    # The engine never sends garbage; if it did, say so in the events.
                    item = Message({"type": "client_error", "message": str(item)})
                self._route(item)
        except (OSError, ValueError):
            pass  # the pipe was closed under us: same as end of stream
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    def _route(self, msg: Message) -> None:
        rid = msg.id
        if rid is not None and msg.type in Event.TERMINAL:
            with self._cond:
                self._progress.pop(rid, None)
                if rid in self._forgotten:
                    self._forgotten.discard(rid)
                    return
                self._replies[rid] = Reply(rid, msg.type, msg.body, msg.blob)
                self._cond.notify_all()
            return
        if rid is not None and msg.type == Event.PROGRESS:
            with self._cond:
                callback = self._progress.get(rid)
            if callback is not None:
                try:
                    callback(msg.body)
                except Exception:  # a caller's bug must not kill the routing thread
                    import traceback

                    traceback.print_exc()
        self._post(msg)

    def _post(self, msg: Message) -> None:
        if self._on_event is not None:
            try:
                self._on_event(msg)
            except Exception:
                import traceback

                traceback.print_exc()
        while True:
            try:
                self.events.put_nowait(msg)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self.events.get_nowait()

    def _exit_text(self, rid: int) -> str:
        code = self.returncode
        if self.process is not None and code is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.process.wait(1.0)
        text = f"the engine closed its output before answering request {rid}"
        if code is not None:
            text += f" (exit code {code})"
        tail = self._log_tail()
        if tail:
            text += f"; last log line: {tail}"
        return text

    def _log_tail(self) -> str:
        if self.log_path is None:
            return ""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 4096))
                lines = f.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1].strip() if lines else ""
