"""The engine process: the protocol of `panchro.engine.service.protocol` over stdin/stdout.

`panchro engine serve` runs `serve()`. Threads, and why there are several:

- the *reader* decodes requests and answers `hello`, `cancel` and `shutdown`
  at once, so a cancel is never stuck behind the work it cancels;
- the *light lane* answers `open`, `close` and `frame` one after another,
  quickly; a queued `frame` is superseded by a newer one for the same film
  (latest wins), so scrubbing never builds a backlog;
- the *job lane* runs long work FIFO (`shots`, `sample_keyframe`, `preview`,
  `render`), each with its own cancel flag and rate-limited progress events.
  A render never blocks scrubbing because frames go through the light lane.

Every request gets exactly one terminal message ("result", "error",
"cancelled" or "superseded"); `_finish` enforces that. The protocol channel is
guarded: messages go to a private copy of the real stdout, while `sys.stdout`
and file descriptor 1 point at stderr, so a stray print (ours, a library's, or
FFmpeg's) lands in the log instead of corrupting the stream. docs/protocol.md
is the reference for every message.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import math
import os
import platform
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from typing import Any, BinaryIO

from panchro.engine import __version__
from panchro.engine.errors import CancelledError, ModelMissingError, PanchroError
from panchro.engine.paths import models_dir
from panchro.engine.progress import Progress, ProgressState
from panchro.engine.service import protocol
from panchro.engine.service.protocol import ErrorCode, Event, Message, ProtocolError, Request

log = logging.getLogger("panchro.engine.service.server")

# The models the engine knows, and the module that holds each one's code.
MODELS: dict[str, str] = {
    "colorizer": "panchro.engine.models.colorizer",
    "refiner": "panchro.engine.models.refiner",
    "upscaler_x1": "panchro.engine.models.upscaler",
    "upscaler_x2": "panchro.engine.models.upscaler",
    "upscaler_x4": "panchro.engine.models.upscaler",
    "upscaler_x2_sharp": "panchro.engine.models.upscaler",
    "upscaler_x4_sharp": "panchro.engine.models.upscaler",
}

FRAME_MAX_SIDE_DEFAULT = 640
FRAME_MAX_SIDE_RANGE = (64, 1920)
IMAGE_TYPES = ("image/jpeg", "image/png")
MAX_K = 64
# How many sample_keyframe results stay addressable by key (each is K x 1,568 bytes).
KEEP_CANDIDATES = 256
# How long shutdown waits for running work to notice its cancel flag.
SHUTDOWN_JOIN_S = 3.0

_LIGHT = frozenset({Request.OPEN, Request.CLOSE, Request.FRAME})
_JOBS = frozenset({Request.SHOTS, Request.SAMPLE_KEYFRAME, Request.PREVIEW, Request.RENDER})


class RequestError(Exception):
    """A request that cannot be answered, with the protocol error code to send."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- parameters -----------------------------------------------------------------------------

_REQUIRED: Any = object()


def _param(body: dict[str, Any], name: str, kind: type, default: Any = _REQUIRED) -> Any:
    """`body[name]` checked to be of `kind` (int, float, bool, str, list, dict); `None` counts as
    absent."""
    where = f"{body.get('type')}: parameter '{name}'"
    value = body.get(name)
    if value is None:
        if default is _REQUIRED:
            raise RequestError(ErrorCode.BAD_REQUEST, f"{where} is missing")
        return default
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        value = float(value) if ok else value
    elif kind is str:
        ok = isinstance(value, str) and value != ""
    elif kind in (list, dict):
        ok = isinstance(value, kind)
    else:  # pragma: no cover - a programming error
        raise TypeError(kind)
    if not ok:
        noun = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
                list: "a list", dict: "an object"}  # fmt: skip
        shown = json.dumps(value)[:60]
        raise RequestError(ErrorCode.BAD_REQUEST, f"{where} must be {noun[kind]}, got {shown}")
    return value


def _in_range(body: dict[str, Any], name: str, value: int | float, lo: float, hi: float) -> None:
    if not lo <= value <= hi:
        raise RequestError(
            ErrorCode.BAD_REQUEST,
            f"{body.get('type')}: parameter '{name}' must be within {lo}..{hi}, got {value}",
        )


# --- models and runtime -------------------------------------------------------------------


def model_status(name: str) -> dict[str, Any]:
    """What is on disk for model `name`, as `hello` reports it; never pretends.

    status: "missing" (no weights file), "corrupt" (the file cannot be read as
    that model's weights; "error" says why), "untrained" (the file says it is
    not trained), "no_code" (weights present, but this engine has no code for
    the model), or "ready". Registered models ask `models.registry`, which
    reads the weights' metadata (importing torch); others only look at the file.
    """
    path = models_dir() / f"{name}.safetensors"
    module = MODELS[name]
    has_code = importlib.util.find_spec(module) is not None
    status: dict[str, Any] = {"status": "missing", "path": str(path), "code": has_code}
    try:
        from panchro.engine.models import registry, weights

        registered = name in registry.REGISTRY
    except Exception as exc:  # torch missing or broken: no model can run anyway
        registered = False
        status["code"] = has_code = False
        status["error"] = f"model code cannot be imported: {_one_line(exc)}"
    if registered:
        try:
            found = weights.model_status(name)
        except Exception as exc:
            found = {"status": "corrupt", "error": f"cannot check: {_one_line(exc)}"}
        status.update(found)
        status["code"] = True
        # The metadata may hold anything a training run wrote; keep it JSON-safe.
        status = json.loads(json.dumps(status, default=str))
    elif path.is_file():
        status["status"] = "no_code"
    return status


def require_models(names: list[str], purpose: str, *, quick: bool = False) -> None:
    """Raise ModelMissingError naming the first model in `names` that cannot be used.

    `quick` only looks for the weights file and the model's module (no torch
    import), for the reader thread; the job checks fully before it starts.
    """
    for name in names:
        if quick:
            path = models_dir() / f"{name}.safetensors"
            has_code = importlib.util.find_spec(MODELS[name]) is not None
            if path.is_file() and has_code:
                continue
            st = {"status": "no_code" if path.is_file() else "missing", "path": str(path)}
        else:
            st = model_status(name)
        path = st["path"]
        reason = {
            "missing": f"{purpose} needs the {name} model, but its weights file is not there",
            "corrupt": f"{purpose} needs the {name} model, but its weights file cannot be used "
            f"({st.get('error')})",
            "untrained": f"{purpose} needs the {name} model, but these weights are untrained",
            "no_code": f"{purpose} needs the {name} model: the weights are there, but this "
            f"engine has no code for it ({MODELS[name]} is missing)",
        }.get(st["status"])
        if reason is not None:
            raise ModelMissingError(reason, path=path)


def _package_version(name: str) -> str | None:
    try:
        return dist_version(name)
    except PackageNotFoundError:
        return None


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


_runtime_lock = threading.Lock()
_runtime: dict[str, Any] | None = None


def runtime_info() -> dict[str, Any]:
    """Versions and the compute device; imports torch (about a second) the first time."""
    global _runtime
    with _runtime_lock:
        if _runtime is not None:
            return _runtime
        info: dict[str, Any] = {
            "python": platform.python_version(),
            "av": _package_version("av"),
            "torch": None,
            "device": {"type": "cpu", "name": _cpu_name(), "threads": os.cpu_count()},
        }
        try:
            import torch
        except Exception as exc:  # torch absent or broken: the engine still decodes
            log.warning("torch is not importable (%s); models cannot run", exc)
        else:
            info["torch"] = torch.__version__
            info["device"]["threads"] = torch.get_num_threads()
            if torch.cuda.is_available():
                props = torch.cuda.get_device_properties(0)
                info["device"] = {
                    "type": "cuda",
                    "name": props.name,
                    "memory_bytes": props.total_memory,
                    "count": torch.cuda.device_count(),
                }
        _runtime = info
        return info


# --- work items and lanes -----------------------------------------------------------------


@dataclass
class _Work:
    id: int
    type: str
    params: dict[str, Any]
    cancel: threading.Event = field(default_factory=threading.Event)
    reason: str = "cancel"  # why `cancel` was set: "cancel" or "shutdown"


@dataclass
class _Film:
    handle: int
    path: str
    fps: float | None
    source: Any  # media.Source; only the light lane touches it


@dataclass
class _Answer:
    data: dict[str, Any]
    blob: bytes = b""
    blob_type: str | None = None


class _Lane:
    """One worker thread taking work from a FIFO; the engine's lock guards the queue."""

    def __init__(self, name: str, lock: threading.Lock, run: Callable[[_Work], None]) -> None:
        self.name = name
        self.queue: deque[_Work] = deque()
        self.running: _Work | None = None
        self._cond = threading.Condition(lock)
        self._run = run
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=f"panchro-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, work: _Work) -> None:
        """Queue `work`; the caller holds the engine's lock."""
        self.queue.append(work)
        self._cond.notify()

    def take(self, match: Callable[[_Work], bool]) -> list[_Work]:
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
        self._inflight: dict[int, _Work] = {}
        self._films: dict[int, _Film] = {}
        self._next_film = 1
        # sample_keyframe results by key, oldest first: (film, frame, Candidates)
        self._candidates: dict[str, tuple[int, int, Any]] = {}
        self._stage_cache: dict[tuple, list[Any]] = {}
        self._next_key = 0
        self._stop = threading.Event()
        self._shutdown_id: int | None = None
        self._light = _Lane("light", self._lock, self._execute)
        self._jobs = _Lane("jobs", self._lock, self._execute)
        self._parsers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            Request.OPEN: self._parse_open,
            Request.CLOSE: self._parse_film,
            Request.FRAME: self._parse_frame,
            Request.SHOTS: self._parse_shots,
            Request.SAMPLE_KEYFRAME: self._parse_sample_keyframe,
            Request.PREVIEW: self._parse_preview,
            Request.RENDER: self._parse_render,
            Request.SAVE_PROJECT: self._parse_save_project,
            Request.LOAD_PROJECT: self._parse_load_project,
        }
        self._runners: dict[str, Callable[[_Work], _Answer]] = {
            Request.OPEN: self._open,
            Request.CLOSE: self._close,
            Request.FRAME: self._frame,
            Request.SHOTS: self._shots,
            Request.SAMPLE_KEYFRAME: self._sample_keyframe,
            Request.PREVIEW: self._preview,
            Request.RENDER: self._render,
            Request.SAVE_PROJECT: self._save_project,
            Request.LOAD_PROJECT: self._load_project,
        }

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

    def _progress(self, work: _Work) -> Callable[[ProgressState], None]:
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
                    self.send(protocol.error(item.id, ErrorCode.INTERNAL, _one_line(exc)))
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
                params = self._parsers[kind](body)
            except Exception as exc:
                self.send(_error_body(rid, exc))
                return
            self._enqueue(_Work(rid, kind, params))

    def _enqueue(self, work: _Work) -> None:
        superseded: list[_Work] = []
        with self._lock:
            self._inflight[work.id] = work
            if work.type == Request.FRAME:
                # Latest wins: a queued frame of the same film is no longer wanted.
                film = work.params["film"]
                superseded = self._light.take(
                    lambda w: w.type == Request.FRAME and w.params["film"] == film
                )
            lane = self._light if work.type in _LIGHT else self._jobs
            lane.put(work)
        for old in superseded:
            self._finish(old.id, {"type": Event.SUPERSEDED, "id": old.id, "by": work.id})

    def _execute(self, work: _Work) -> None:
        if work.cancel.is_set():
            self._finish(work.id, _cancelled(work.id, work.reason))
            return
        try:
            answer = self._runners[work.type](work)
        except CancelledError:
            self._finish(work.id, _cancelled(work.id, work.reason))
            return
        except Exception as exc:
            self._finish(work.id, _error_body(work.id, exc, work.type))
            return
        extra = {"blob_type": answer.blob_type} if answer.blob_type else {}
        self._finish(work.id, protocol.result(work.id, answer.data, **extra), answer.blob)

    # --- at once: hello, cancel -------------------------------------------------------

    def _hello(self, rid: int, body: dict[str, Any]) -> None:
        try:
            theirs = _param(body, "protocol", int)
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
        work = _Work(rid, Request.HELLO, {})
        with self._lock:
            self._inflight[rid] = work

        def answer() -> None:
            try:
                data = {
                    "protocol": protocol.PROTOCOL_VERSION,
                    "version": __version__,
                    **runtime_info(),
                    "models": {name: model_status(name) for name in MODELS},
                    "pid": os.getpid(),
                }
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
            target = _param(body, "target", int, None)
        except RequestError as exc:
            self.send(_error_body(rid, exc))
            return
        ids = self._cancel(target, reason="cancel")
        self.send(protocol.result(rid, {"cancelled": ids}))

    def _cancel(self, target: int | None, *, reason: str) -> list[int]:
        """Cancel `target` (or everything): queued work ends now, running work is flagged."""
        ids: list[int] = []
        queued: list[_Work] = []
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

    # --- light lane -------------------------------------------------------------------

    def _parse_film(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"film": _param(body, "film", int)}

    def _film(self, handle: int) -> _Film:
        with self._lock:
            film = self._films.get(handle)
        if film is None:
            raise RequestError(ErrorCode.NOT_OPEN, f"film {handle} is not open (open it first)")
        return film

    def _parse_open(self, body: dict[str, Any]) -> dict[str, Any]:
        fps = _param(body, "fps", float, None)
        if fps is not None:
            _in_range(body, "fps", fps, 0.001, 1000)
        return {"path": _param(body, "path", str), "fps": fps}

    def _open(self, work: _Work) -> _Answer:
        from panchro.engine import media

        path, fps = work.params["path"], work.params["fps"]
        source = media.open_source(path, fps=fps)
        with self._lock:
            handle = self._next_film
            self._next_film += 1
            self._films[handle] = _Film(handle, path, fps, source)
        info = source.info
        log.info(
            "opened film %d: %s (%dx%d, %d frames)",
            handle, path, info.width, info.height, info.frame_count,
        )  # fmt: skip
        return _Answer({"film": handle, "info": info.to_dict()})

    def _close(self, work: _Work) -> _Answer:
        film = self._film(work.params["film"])
        with self._lock:
            self._films.pop(film.handle, None)
        film.source.close()
        return _Answer({"film": film.handle})

    def _parse_frame(self, body: dict[str, Any]) -> dict[str, Any]:
        film = _param(body, "film", int)
        index = _param(body, "index", int, None)
        time_s = _param(body, "time_s", float, None)
        if (index is None) == (time_s is None):
            raise RequestError(
                ErrorCode.BAD_REQUEST, "frame: give exactly one of 'index' or 'time_s'"
            )
        max_side = _param(body, "max_side", int, FRAME_MAX_SIDE_DEFAULT)
        max_side = min(max(max_side, FRAME_MAX_SIDE_RANGE[0]), FRAME_MAX_SIDE_RANGE[1])
        blob_type = _param(body, "blob_type", str, IMAGE_TYPES[0])
        if blob_type not in IMAGE_TYPES:
            raise RequestError(
                ErrorCode.BAD_REQUEST,
                f"frame: 'blob_type' must be one of {', '.join(IMAGE_TYPES)}, got {blob_type!r}",
            )
        quality = _param(body, "quality", int, 85)
        _in_range(body, "quality", quality, 1, 100)
        return {
            "film": film,
            "index": index,
            "time_s": time_s,
            "max_side": max_side,
            "blob_type": blob_type,
            "quality": quality,
        }

    def _frame(self, work: _Work) -> _Answer:
        p = work.params
        film = self._film(p["film"])
        src = film.source
        info = src.info
        n = info.frame_count
        if p["index"] is not None:
            index = p["index"]
        else:
            if p["time_s"] < 0:
                raise RequestError(ErrorCode.BAD_REQUEST, "frame: 'time_s' must not be negative")
            index = src.index_at(p["time_s"])
        if not 0 <= index < n:
            raise RequestError(
                ErrorCode.BAD_REQUEST, f"frame: index {index} is outside the film (0..{n - 1})"
            )
        size = preview_size(info, p["max_side"])
        frame = src.read_frame(index, fmt="rgb24", size=size)
        if work.cancel.is_set():
            raise CancelledError("cancelled")
        image = frame.image
        if info.rotation % 360:
            import numpy as np

            # `rotation` is clockwise, as a player turns the picture; rot90 with k > 0
            # turns counter-clockwise, hence the minus.
            image = np.ascontiguousarray(np.rot90(image, -((info.rotation % 360) // 90)))
        blob = encode_image(image, p["blob_type"], p["quality"])
        height, width = image.shape[:2]
        data = {
            "index": frame.index,
            "pts": frame.pts,
            "time_s": frame.time_s,
            "width": width,
            "height": height,
        }
        return _Answer(data, blob, p["blob_type"])

    # --- job lane ---------------------------------------------------------------------

    def _source_of(self, body: dict[str, Any], *, allow_path: bool) -> dict[str, Any]:
        """The film a job works on, as a path (jobs open their own decoder)."""
        has_film, has_path = body.get("film") is not None, body.get("path") is not None
        if allow_path and has_film == has_path:
            raise RequestError(
                ErrorCode.BAD_REQUEST, f"{body.get('type')}: give exactly one of 'film' or 'path'"
            )
        if has_film or not allow_path:
            film = self._film(_param(body, "film", int))
            return {"film": film.handle, "path": film.path, "fps": film.fps}
        fps = _param(body, "fps", float, None)
        return {"film": None, "path": _param(body, "path", str), "fps": fps}

    def _parse_shots(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._source_of(body, allow_path=False)

    def _shots(self, work: _Work) -> _Answer:
        from panchro.engine import media, shots

        with media.open_source(work.params["path"], fps=work.params["fps"]) as src:
            progress = Progress(
                src.info.frame_count, self._progress(work), stage="shots", cancel=work.cancel
            )
            found = shots.detect_shots(src, progress=progress)
            count = src.info.frame_count
        log.info("film %s: %d shot(s)", work.params["film"], len(found))
        return _Answer({"shots": [s.to_dict() for s in found], "frame_count": count})

    def _parse_sample_keyframe(self, body: dict[str, Any]) -> dict[str, Any]:
        film = self._film(_param(body, "film", int))
        index = _param(body, "index", int)
        k = _param(body, "k", int, 8)
        _in_range(body, "k", k, 1, MAX_K)
        seed = _param(body, "seed", int, None)
        if seed is not None:
            _in_range(body, "seed", seed, 0, 2**63 - 1)
        temperature = _param(body, "temperature", float, 1.0)
        _in_range(body, "temperature", temperature, 0.0, 10.0)  # 0: the likeliest colours
        max_side = _param(body, "max_side", int, FRAME_MAX_SIDE_DEFAULT)
        max_side = min(max(max_side, FRAME_MAX_SIDE_RANGE[0]), FRAME_MAX_SIDE_RANGE[1])
        quality = _param(body, "quality", int, 88)
        _in_range(body, "quality", quality, 1, 100)
        n = film.source.info.frame_count
        if not 0 <= index < n:
            raise RequestError(
                ErrorCode.BAD_REQUEST,
                f"sample_keyframe: index {index} is outside the film (0..{n - 1})",
            )
        require_models(["colorizer"], "sample_keyframe", quick=True)
        return {
            "film": film.handle,
            "index": index,
            "k": k,
            "seed": seed,
            "temp": temperature,
            "max_side": max_side,
            "quality": quality,
        }

    def _sample_keyframe(self, work: _Work) -> _Answer:
        """K candidates: previews in the blob, their 28x28 bins kept under a key and sent back
        as base64 (1,568 bytes each) so a pick outlives this process in the project file."""
        import numpy as np

        from panchro.engine.inference import colorize

        p = work.params
        st = model_status("colorizer")
        if st["status"] not in ("ready", "untrained"):
            require_models(["colorizer"], "sample_keyframe")  # raises, naming the file
        loaded = colorize.load_colorizer(st["path"])
        from panchro.engine import media
        from panchro.engine.imaging import color

        film = self._film(p["film"])
        # A decoder of its own: the film's Source belongs to the light lane (scrubbing).
        with media.open_source(film.path, fps=film.fps) as src:
            info = src.info
            size = preview_size(info, p["max_side"])
            fmt = "gray16" if info.bit_depth > 8 else "gray"
            # The model sees the frame as decoded (no rotation): the chroma then lines up
            # with the frames the pipeline colorizes. Only the previews are turned upright.
            luma = colorize.luma_of(src.read_frame(p["index"], fmt=fmt, size=size).image)
        rows = loaded.model.config.chroma_size
        progress = Progress(rows, self._progress(work), stage="sample", cancel=work.cancel)

        def step(done: int, total: int) -> None:
            progress.advance(done - progress.done)

        found = colorize.sample_candidates(
            loaded, luma, k=p["k"], seed=p["seed"], temperature=p["temp"], progress=step
        )
        progress.finish()
        matrix = color.matrix_for(info.color_matrix, info.height, info.width)
        refiner = colorize.load_refiner(device=loaded.device)  # as the render will colour it
        blob = bytearray()
        listed = []
        for n in range(found.k):
            rgb = colorize.render(luma, found.chroma(n), matrix=matrix, refiner=refiner)
            if info.rotation % 360:
                rgb = np.ascontiguousarray(np.rot90(rgb, -((info.rotation % 360) // 90)))
            jpeg = encode_image(rgb, "image/jpeg", p["quality"])
            listed.append(
                {
                    "n": n,
                    "offset": len(blob),
                    "length": len(jpeg),
                    "chroma": colorize.encode_bins(found.bins[n]),
                }
            )
            blob += jpeg
        key = self._keep_candidates(film.handle, p["index"], found)
        height, width = rgb.shape[:2]
        log.info(
            "sampled %d candidate(s) for film %s frame %d in %.2f s (seed %d, %s)",
            found.k, film.handle, p["index"], found.seconds, found.seed,
            "trained" if loaded.trained else "UNTRAINED",
        )  # fmt: skip
        data = {
            "key": key,
            "index": p["index"],
            "k": found.k,
            "seed": found.seed,
            "temperature": found.temperature,
            "seconds": found.seconds,
            "width": width,
            "height": height,
            "chroma_size": int(found.bins.shape[-1]),
            "trained": loaded.trained,
            "model": {"scale": loaded.scale, "steps": loaded.steps, "device": loaded.device},
            "refined": refiner is not None,
            "candidates": listed,
        }
        return _Answer(data, bytes(blob), "image/jpeg")

    def _keep_candidates(self, film: int, index: int, found: Any) -> str:
        with self._lock:
            self._next_key += 1
            key = f"c{self._next_key}"
            self._candidates[key] = (film, index, found)
            while len(self._candidates) > KEEP_CANDIDATES:
                self._candidates.pop(next(iter(self._candidates)))
        return key

    def _parse_restoration(self, body: dict[str, Any], what: str) -> dict[str, Any]:
        """The restoration settings and the shots/picks a preview or render may carry."""
        from panchro.engine.project import Pick, Settings
        from panchro.engine.shots import Shot

        colorize = _param(body, "colorize", bool, False)
        degrain = _param(body, "degrain", float, 0.0)
        _in_range(body, "degrain", degrain, 0.0, 1.0)
        upscale = _param(body, "upscale", int, 1)
        if upscale not in (1, 2, 4):
            raise RequestError(
                ErrorCode.BAD_REQUEST, f"{what}: 'upscale' must be 1, 2 or 4, got {upscale}"
            )
        upscaler = _param(body, "upscaler", str, "film")
        if upscaler not in ("film", "sharp"):
            raise RequestError(
                ErrorCode.BAD_REQUEST, f"{what}: 'upscaler' must be film or sharp, got {upscaler!r}"
            )
        if upscale == 1:
            upscaler = "film"  # cleaning at x1 is the film model's work
        seed = _param(body, "seed", int, 0)
        _in_range(body, "seed", seed, 0, 2**31 - 1)
        shots_in = _param(body, "shots", list, None)
        picks_in = _param(body, "picks", list, None)
        shots: list[Shot] | None = None
        picks: list[Any] = []
        try:
            if shots_in is not None:
                shots = [
                    Shot(int(s["start"]), int(s["end"]), int(s.get("key_frame", s["start"])))
                    for s in shots_in
                ]
            if picks_in is not None:
                if shots is None or len(picks_in) != len(shots):
                    raise ValueError("'picks' needs 'shots', one pick (or null) per shot")
                picks = [
                    None if d is None else Pick.from_dict(d, f"picks[{i}]")
                    for i, d in enumerate(picks_in)
                ]
        except Exception as exc:  # the project module's own messages say what is wrong
            raise RequestError(ErrorCode.BAD_REQUEST, f"{what}: {_one_line(exc)}") from None
        needed = []
        if colorize and (shots is None or any(p is None for p in picks) or not picks):
            needed.append("colorizer")  # some shot needs an automatic pick
        if upscale > 1 or degrain > 0:
            needed.append(f"upscaler_x{upscale}" + ("_sharp" if upscaler == "sharp" else ""))
        require_models(needed, what, quick=True)
        settings = Settings(colorize=colorize, degrain=degrain, upscale=upscale, upscaler=upscaler)
        return {"settings": settings, "seed": seed, "shots": shots, "picks": picks}

    def _stages(self, path: str, fps: float | None, settings: Any, seed: int) -> list[Any]:
        """Stages for these settings, built once per film and settings (weights load once)."""
        from panchro.engine.restore.stages import build_stages

        key = (
            path, fps, settings.colorize, settings.degrain, settings.upscale,
            settings.upscaler, seed,
        )  # fmt: skip
        with self._lock:
            hit = self._stage_cache.get(key)
        if hit is not None:
            return hit
        # Checked lazily per shot: a missing colorizer is named when a shot needs it.
        stages = build_stages(settings, seed=seed, all_picked=True)
        with self._lock:
            self._stage_cache.clear()  # one set at a time: models are large
            self._stage_cache[key] = stages
        return stages

    def _parse_preview(self, body: dict[str, Any]) -> dict[str, Any]:
        film = self._film(_param(body, "film", int))
        index = _param(body, "index", int)
        n = film.source.info.frame_count
        if not 0 <= index < n:
            raise RequestError(
                ErrorCode.BAD_REQUEST, f"preview: index {index} is outside the film (0..{n - 1})"
            )
        params = self._parse_restoration(body, "preview")
        settings = params["settings"]
        if not (settings.colorize or settings.upscale > 1 or settings.degrain > 0):
            raise RequestError(
                ErrorCode.BAD_REQUEST,
                "preview: nothing to restore (set colorize, degrain or upscale)",
            )
        max_side = _param(body, "max_side", int, FRAME_MAX_SIDE_DEFAULT)
        max_side = min(max(max_side, FRAME_MAX_SIDE_RANGE[0]), FRAME_MAX_SIDE_RANGE[1])
        quality = _param(body, "quality", int, 88)
        _in_range(body, "quality", quality, 1, 100)
        return {
            **params,
            "film": film.handle,
            "index": index,
            "max_side": max_side,
            "quality": quality,
        }

    def _preview(self, work: _Work) -> _Answer:
        """One frame before | after the stages as a render would make it, and how far its luma
        moved (x16, as grey), for the compare view. The blob holds three JPEGs."""
        import numpy as np
        from PIL import Image

        from panchro.engine.restore.pipeline import preview_frame

        p = work.params
        film = self._film(p["film"])
        stages = self._stages(film.path, film.fps, p["settings"], p["seed"])
        shot, pick = None, None
        if p["shots"] is not None:
            found = [i for i, s in enumerate(p["shots"]) if s.start <= p["index"] < s.end]
            if found:
                shot = p["shots"][found[0]]
                pick = p["picks"][found[0]] if p["picks"] else None
        shown = preview_frame(film.path, p["index"], stages, shot=shot, pick=pick, fps=film.fps)
        if work.cancel.is_set():
            raise CancelledError("cancelled")
        info = film.source.info
        size = preview_size(info, p["max_side"])

        def jpeg(rgb: Any) -> bytes:
            u8 = (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
            img = Image.fromarray(u8)
            if img.size != size:
                img = img.resize(size, Image.Resampling.LANCZOS)
            arr = np.asarray(img)
            if info.rotation % 360:
                arr = np.ascontiguousarray(np.rot90(arr, -((info.rotation % 360) // 90)))
            return encode_image(arr, "image/jpeg", p["quality"])

        diff = np.repeat(np.clip(shown.luma_diff * 16.0, 0.0, 1.0)[..., None], 3, -1)
        parts = [("before", jpeg(shown.before)), ("after", jpeg(shown.after)),
                 ("luma_diff", jpeg(diff))]  # fmt: skip
        blob, listed = bytearray(), []
        for name, data in parts:
            listed.append({"name": name, "offset": len(blob), "length": len(data)})
            blob += data
        notes = [n for st in stages for n in getattr(st, "notes", ())]
        data = {
            "index": shown.index,
            "images": listed,
            "luma_max_diff": float(shown.luma_diff.max()),
            "luma_mean_diff": float(shown.luma_diff.mean()),
            "output_size": [int(shown.after.shape[1]), int(shown.after.shape[0])],
            "pick": None if shown.pick is None else shown.pick.to_dict(),
            "notes": notes,
        }
        return _Answer(data, bytes(blob), "image/jpeg")

    def _parse_render(self, body: dict[str, Any]) -> dict[str, Any]:
        params = self._source_of(body, allow_path=True)
        bit_depth = _param(body, "bit_depth", int, 8)
        if bit_depth not in (8, 10, 16):
            raise RequestError(
                ErrorCode.BAD_REQUEST, f"render: 'bit_depth' must be 8, 10 or 16, got {bit_depth}"
            )
        preview_s = _param(body, "preview_seconds", float, None)
        if preview_s is not None:
            _in_range(body, "preview_seconds", preview_s, 0.1, 600.0)
        batch = _param(body, "batch", int, 8)
        _in_range(body, "batch", batch, 1, 256)
        params.update(
            output=_param(body, "output", str),
            codec=_param(body, "codec", str, "h264"),
            bit_depth=bit_depth,
            overwrite=_param(body, "overwrite", bool, False),
            restart=_param(body, "restart", bool, False),
            project_path=_param(body, "project_path", str, None),
            preview_seconds=preview_s,
            batch=batch,
            **self._parse_restoration(body, "render"),
        )
        return params

    def _render(self, work: _Work) -> _Answer:
        from panchro.engine.project import Project
        from panchro.engine.restore.pipeline import restore

        p = work.params
        log.info("render %s -> %s (%s, %d bit)", p["path"], p["output"], p["codec"],
                 p["bit_depth"])  # fmt: skip
        project: Any = None
        if p["project_path"]:
            project = Project.load(p["project_path"])
        elif p["shots"] is not None:
            project = Project.new(p["path"], shots=p["shots"], fps=p["fps"])
            for i, pick in enumerate(p["picks"]):
                project.set_pick(i, pick)
        stages = self._stages(p["path"], p["fps"], p["settings"], p["seed"])
        progress = Progress(None, self._progress(work), stage="render", cancel=work.cancel)
        summary = restore(
            p["path"],
            p["output"],
            codec=p["codec"],
            bit_depth=p["bit_depth"],
            overwrite=p["overwrite"],
            fps=p["fps"],
            progress=progress,
            stages=stages,
            project=project,
            batch=p["batch"],
            keep_job=p["preview_seconds"] is None,  # a cancelled render resumes next time
            restart=p["restart"],
            preview=p["preview_seconds"],
        )
        log.info("render done: %s", summary.describe())
        return _Answer(summary.to_dict())

    # --- projects: the engine owns the file format; the GUI sends and receives its parts --

    def _parse_save_project(self, body: dict[str, Any]) -> dict[str, Any]:
        params = self._source_of(body, allow_path=True)
        target = _param(body, "project_path", str)
        if not target.endswith(".panchro"):
            raise RequestError(ErrorCode.BAD_REQUEST, "save_project: project files end in .panchro")
        params["project_path"] = target
        params["shots_in"] = _param(body, "shots", list, [])
        params["picks_in"] = _param(body, "picks", list, [])
        params["settings_in"] = _param(body, "settings", dict, {})
        return params

    def _save_project(self, work: _Work) -> _Answer:
        from panchro.engine.project import Project

        p = work.params
        doc = {
            "shots": [
                {
                    "start": int(s["start"]),
                    "end": int(s["end"]),
                    "key": int(s.get("key_frame", s.get("key", s["start"]))),
                    "pick": pk,
                }
                for s, pk in zip(
                    p["shots_in"],
                    p["picks_in"] or [None] * len(p["shots_in"]),
                    strict=True,
                )
            ],
            "settings": p["settings_in"],
        }
        base = Project.new(p["path"], fps=p["fps"])
        full = {**base.to_dict(), **{k: v for k, v in doc.items() if v}}
        try:
            project = Project.from_dict(full)
        except Exception as exc:  # noqa: BLE001 - the module's message names the field
            raise RequestError(ErrorCode.BAD_REQUEST, f"save_project: {_one_line(exc)}") from None
        saved = project.save(p["project_path"])
        return _Answer({"project_path": str(saved), "shots": len(project.shots)})

    def _parse_load_project(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"project_path": _param(body, "project_path", str)}

    def _load_project(self, work: _Work) -> _Answer:
        from panchro.engine.project import Project

        project = Project.load(work.params["project_path"])
        data = project.to_dict()
        data["project_path"] = str(project.path)
        data["source_changes"] = project.check_source()
        return _Answer(data)


# --- helpers --------------------------------------------------------------------------------


def preview_size(info: Any, max_side: int) -> tuple[int, int]:
    """Decode size for a preview: square pixels, longest side at most `max_side`, never larger
    than the film itself (a preview is for looking, upscaling it helps nobody)."""
    from panchro.engine import media

    sar = info.sample_aspect_ratio
    width = info.width * float(sar) if sar and float(sar) > 0 else float(info.width)
    width_i = max(2, round(width))
    limit = min(max_side, max(width_i, info.height))
    return media.fit_size(width_i, info.height, limit)


def encode_image(rgb: Any, blob_type: str, quality: int = 85) -> bytes:
    """RGB uint8 (H, W, 3) as JPEG or PNG bytes."""
    from PIL import Image

    buf = io.BytesIO()
    image = Image.fromarray(rgb)
    if blob_type == "image/png":
        # Level 1: previews are thrown away soon; speed matters more than bytes.
        image.save(buf, format="PNG", compress_level=1)
    else:
        image.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _cancelled(work_id: int, reason: str) -> dict[str, Any]:
    return {"type": Event.CANCELLED, "id": work_id, "reason": reason}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def _error_body(rid: int | None, exc: BaseException, kind: str = "") -> dict[str, Any]:
    """The terminal message for a request that raised `exc`."""
    if isinstance(exc, CancelledError):
        assert rid is not None
        return _cancelled(rid, "cancel")
    if isinstance(exc, RequestError):
        return protocol.error(rid, exc.code, _one_line(exc))
    if isinstance(exc, PanchroError):
        return protocol.error(rid, exc.code, _one_line(exc))
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return protocol.error(rid, ErrorCode.OUT_OF_MEMORY, f"out of memory: {_one_line(exc)}")
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return protocol.error(rid, ErrorCode.IO, f"{where}{exc.strerror or _one_line(exc)}")
    log.error("request %s (%s) failed:\n%s", rid, kind or "?", "".join(
        traceback.format_exception(exc)))  # fmt: skip
    return protocol.error(
        rid,
        ErrorCode.INTERNAL,
        f"internal error in {kind or 'the engine'}: {type(exc).__name__}: {_one_line(exc)} "
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
