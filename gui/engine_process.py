"""The engine process as the GUI sees it: a `QProcess` speaking the message protocol.

Everything here runs on the Qt event loop; nothing blocks. Bytes from the
engine's stdout go through `protocol.Decoder`, and each message is routed by
its request id to the callback given with the request. The engine's stderr (its
log) goes to a file, so a crash leaves something to read.

Supervision: when the process dies without being asked to, `engineDied` fires
with a reason, every pending request is forgotten (its callback never runs), and
the process starts again and says hello. The owner reopens what it had open when
`ready` fires again. A crash loop (several deaths within a short time) stops the
restarts and leaves the state at "failed".
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QIODevice,
    QObject,
    QProcess,
    QProcessEnvironment,
    QTimer,
    Signal,
)

from panchro.engine import paths
from panchro.engine.service import protocol
from panchro.engine.service.protocol import Event, Message, ProtocolError, Request

Callback = Callable[[Message], None]
ProgressCallback = Callable[[dict[str, Any]], None]

# Engine states, as shown to a person in the status bar.
STOPPED = "stopped"
STARTING = "starting"
READY = "ready"
RESTARTING = "restarting"
FAILED = "failed"

_MAX_DEATHS = 3  # this many unexpected deaths ...
_DEATH_WINDOW_S = 60.0  # ... within this many seconds: stop restarting
_RESTART_DELAY_MS = 300
_SHUTDOWN_WAIT_MS = 3000
_LOG_ROTATE_BYTES = 4 * 1024 * 1024


def default_log_path() -> Path:
    """The engine's log file: the user's log folder (paths.user_log_dir), or the temp folder
    when that cannot be made."""
    try:
        folder = paths.user_log_dir()
    except OSError:
        folder = Path(tempfile.gettempdir())
    return folder / "engine.log"


def engine_command() -> tuple[str, list[str]]:
    """The program and arguments that start an engine speaking on stdin/stdout: in a bundle the
    `panchro-engine` executable beside this one, never a system Python (paths.engine_argv)."""
    program, *args = paths.engine_argv()
    return program, args


def self_test_command() -> tuple[str, list[str]]:
    """`panchro self-test` through the same engine program (the Help menu, `--self-test`)."""
    program, *args = paths.engine_program()
    return program, [*args, "self-test"]


@dataclass
class _Pending:
    type: str
    callback: Callback | None
    on_progress: ProgressCallback | None


class EngineProcess(QObject):
    """One engine process, restarted when it dies; requests go in, replies come back by id.

    Signals:
        stateChanged(state, detail): "starting" | "ready" | "restarting" | "failed" | "stopped";
            detail is e.g. the device on "ready" or the reason on "restarting"/"failed".
        ready(hello_data): the engine answered hello (after each start or restart).
        engineDied(reason): the process ended without being asked to.
        resultReceived(id, message) / errorReceived(id, code, message) /
        progressReceived(id, event): every reply, also for requests without a callback.
        logReceived(level, text): "log" messages and decoding problems.
    """

    stateChanged = Signal(str, str)
    ready = Signal(dict)
    engineDied = Signal(str)
    resultReceived = Signal(int, object)
    errorReceived = Signal(int, str, str)
    progressReceived = Signal(int, dict)
    logReceived = Signal(str, str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        log_path: Path | None = None,
        command: tuple[str, list[str]] | None = None,
        auto_restart: bool = True,
    ) -> None:
        super().__init__(parent)
        self.log_path = log_path or default_log_path()
        self._program, self._args = command or engine_command()
        self.auto_restart = auto_restart
        self.state = STOPPED
        self._detail = ""
        self.hello: dict[str, Any] = {}
        self.restarts = 0
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._decoder = protocol.Decoder()
        self._outbox: list[bytes] = []  # written once the process has started
        self._deaths: deque[float] = deque()
        self._stopping = False
        self._log_offset = 0
        self.process = self._new_process()

    # --- public API -------------------------------------------------------------------

    def start(self) -> None:
        """Start the process (no-op while one is running) and say hello once it runs."""
        if self.process.state() != QProcess.ProcessState.NotRunning:
            return
        self._stopping = False
        self._set_state(STARTING if self.restarts == 0 else RESTARTING, "")
        self._decoder = protocol.Decoder()
        self._outbox.clear()
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            size = self.log_path.stat().st_size if self.log_path.exists() else 0
            if size > _LOG_ROTATE_BYTES:  # keep one old log, so the file never grows forever
                self.log_path.replace(self.log_path.with_name(self.log_path.name + ".1"))
                size = 0
            self._log_offset = size
        except OSError:
            self._log_offset = 0
        self.process.setStandardErrorFile(str(self.log_path), QIODevice.OpenModeFlag.Append)
        self._send_hello()
        self.process.start()

    def request(
        self,
        type_: str,
        callback: Callback | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        **params: Any,
    ) -> int:
        """Send a request; return its id. `callback` gets the terminal message (any type).

        If the engine dies before answering, the callback is never called: the
        owner hears `engineDied` and asks again once `ready` fires.
        """
        id_ = next(self._ids)
        body = protocol.request(type_, id_, **params)
        self._pending[id_] = _Pending(type_, callback, on_progress)
        self._write(protocol.encode(body))
        return id_

    def cancel(self, target: int | None = None) -> int:
        """Ask the engine to stop request `target` (or all work when None)."""
        params = {} if target is None else {"target": target}
        return self.request(Request.CANCEL, **params)

    def forget(self, id_: int) -> None:
        """Drop the callbacks of a request whose answer nobody wants any more."""
        self._pending.pop(id_, None)

    @property
    def pending(self) -> dict[int, str]:
        """Request ids still waiting for an answer, with their types."""
        return {k: v.type for k, v in self._pending.items()}

    def is_ready(self) -> bool:
        return self.state == READY

    def shutdown(self, wait_ms: int = _SHUTDOWN_WAIT_MS) -> None:
        """Ask the engine to exit, wait a little, then kill it. Never restarts it."""
        self._stopping = True
        self._pending.clear()
        proc = self.process
        if proc.state() != QProcess.ProcessState.NotRunning:
            if proc.state() == QProcess.ProcessState.Running:
                proc.write(protocol.encode(protocol.request(Request.SHUTDOWN, next(self._ids))))
                proc.closeWriteChannel()
            if not proc.waitForFinished(wait_ms):
                proc.kill()
                proc.waitForFinished(1000)
        self._set_state(STOPPED, "")

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the current engine wrote to its log (for error messages)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    # --- internals --------------------------------------------------------------------

    def _new_process(self) -> QProcess:
        proc = QProcess(self)
        proc.setProgram(self._program)
        proc.setArguments(self._args)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")  # log lines reach the file as they happen
        proc.setProcessEnvironment(env)
        proc.started.connect(self._on_started)
        proc.readyReadStandardOutput.connect(self._on_stdout)
        proc.finished.connect(self._on_finished)
        proc.errorOccurred.connect(self._on_error)
        return proc

    def _send_hello(self) -> None:
        self.request(
            Request.HELLO, self._on_hello, protocol=protocol.PROTOCOL_VERSION, client="panchro-gui"
        )

    def _write(self, data: bytes) -> None:
        if self.process.state() == QProcess.ProcessState.Running:
            self.process.write(data)
        else:
            self._outbox.append(data)

    def _on_started(self) -> None:
        for data in self._outbox:
            self.process.write(data)
        self._outbox.clear()

    def _on_stdout(self) -> None:
        data = bytes(self.process.readAllStandardOutput().data())
        for item in self._decoder.feed(data):
            if isinstance(item, ProtocolError):
                self.logReceived.emit("warning", f"engine sent a bad message: {item}")
                continue
            self._dispatch(item)

    def _dispatch(self, msg: Message) -> None:
        kind = msg.type
        if kind == Event.LOG:
            level = str(msg.body.get("level", "info"))
            text = str(msg.body.get("message", msg.body.get("text", "")))
            self.logReceived.emit(level, text)
            return
        id_ = msg.id
        if id_ is None:
            # An error without an id answers something unreadable we sent: a bug here.
            if kind == Event.ERROR:
                self.logReceived.emit("error", str(msg.body.get("message", "")))
            return
        if kind == Event.PROGRESS:
            self.progressReceived.emit(id_, msg.body)
            pending = self._pending.get(id_)
            if pending and pending.on_progress:
                pending.on_progress(msg.body)
            return
        if kind not in Event.TERMINAL:
            self.logReceived.emit("warning", f"engine sent an unknown message type {kind!r}")
            return
        pending = self._pending.pop(id_, None)
        if kind == Event.RESULT:
            self.resultReceived.emit(id_, msg)
        elif kind == Event.ERROR:
            self.errorReceived.emit(
                id_, str(msg.body.get("code", "")), str(msg.body.get("message", ""))
            )
        if pending and pending.callback:
            pending.callback(msg)

    def _on_hello(self, msg: Message) -> None:
        if msg.type == Event.RESULT:
            self.hello = dict(msg.body.get("data") or {})
            device = self.hello.get("device") or {}
            self._set_state(READY, describe_device(device))
            self.ready.emit(self.hello)
        elif msg.type == Event.ERROR:
            # A version mismatch will not heal by restarting: stop here and say why.
            self.auto_restart = False
            self._set_state(FAILED, str(msg.body.get("message", "the engine refused hello")))

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._pending.clear()
            why = self.process.errorString()
            self._set_state(FAILED, f"the engine could not start ({self._program}): {why}")

    def _on_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._pending.clear()
        if self._stopping:
            self._set_state(STOPPED, "")
            return
        if status == QProcess.ExitStatus.CrashExit:
            reason = crash_words(exit_code)
        else:
            reason = f"the engine exited with code {exit_code}"
        said = last_error(self.log_tail(3))
        if said:
            reason += f": {said}"
        self.engineDied.emit(reason)
        now = time.monotonic()
        self._deaths.append(now)
        while self._deaths and now - self._deaths[0] > _DEATH_WINDOW_S:
            self._deaths.popleft()
        if not self.auto_restart:
            self._set_state(FAILED, reason)
            return
        if len(self._deaths) >= _MAX_DEATHS:
            self._set_state(
                FAILED,
                f"{reason}; it died {len(self._deaths)} times within a minute, "
                f"so it is not restarted again. Log: {self.log_path}",
            )
            return
        self.restarts += 1
        self._set_state(RESTARTING, reason)
        QTimer.singleShot(_RESTART_DELAY_MS, self._restart)

    def _restart(self) -> None:
        if not self._stopping:  # shut down meanwhile (the window closed): stay down
            self.start()

    def _set_state(self, state: str, detail: str) -> None:
        if (state, detail) == (self.state, self._detail):
            return
        self.state, self._detail = state, detail
        self.stateChanged.emit(state, detail)


def describe_device(device: dict[str, Any]) -> str:
    """'CPU' or 'GPU: NVIDIA H100' from hello's device object."""
    kind = str(device.get("type", "")).lower()
    name = str(device.get("name") or "").strip()
    if kind in ("", "cpu"):
        return "CPU"
    label = "GPU" if kind in ("cuda", "gpu", "rocm", "hip") else kind.upper()
    return f"{label}: {name}" if name else label


__all__ = [
    "FAILED",
    "READY",
    "RESTARTING",
    "STARTING",
    "STOPPED",
    "EngineProcess",
    "default_log_path",
    "describe_device",
    "engine_command",
    "self_test_command",
]


# Signals a crashed engine may have died of, on Linux and macOS (QProcess gives the signal
# as the exit code of a crash there).
_SIGNALS = {
    9: "the engine was killed (as the system does when memory runs out, or from outside)",
    6: "the engine crashed (it aborted)",
    11: "the engine crashed (a segmentation fault)",
    15: "the engine was stopped from outside",
}


def crash_words(code: int) -> str:
    """Why an engine that crashed stopped, in words (the signal, where it says)."""
    return _SIGNALS.get(code, "the engine crashed") if os.name != "nt" else "the engine crashed"


def last_error(log: str) -> str:
    """Why the engine's log says it stopped, from its last line: an ERROR or CRITICAL record,
    the end of a Python traceback, or a plain line (a start that failed says so); "" where
    it ends on another record (an INFO line says nothing of why, and an error logged earlier
    was answered and is not why)."""
    lines = [line.rstrip() for line in log.splitlines() if line.strip()]
    if not lines or lines[-1].startswith((" ", "\t")):
        return ""
    match = re.match(r"^[\d-]+ [\d:,.]+ (\w+) [\w.]+: (.*)$", lines[-1])
    if match is None:
        return lines[-1]
    return match[2] if match[1] in ("ERROR", "CRITICAL") else ""
