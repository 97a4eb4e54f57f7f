"""Models and runtime, as the engine reports them: `hello`'s data and the model checks.

The models are `panchro.engine.models.names.MODELS` (plain data, no torch), the same list
the registry is built from. `require_models(..., quick=True)` runs on the reader thread and
never imports torch; everything else here may (about a second, the first time).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import platform
import threading
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from typing import Any

from panchro.engine import __version__
from panchro.engine.errors import ModelMissingError
from panchro.engine.models.names import MODELS
from panchro.engine.paths import models_dir
from panchro.engine.service import protocol
from panchro.engine.service.handlers.common import one_line

log = logging.getLogger("panchro.engine.service.server")


def model_status(name: str) -> dict[str, Any]:
    """What is on disk for model `name`, as `hello` reports it; never pretends.

    The status itself is `panchro.engine.models.weights.model_status` (see there). This
    wrapper exists only for the case where that module cannot be imported (it imports torch,
    which may be missing or broken): then no model can run, and the entry says "no_code"
    (the weights are there) or "missing", with `code: false` and the import error. Otherwise
    it adds the protocol's `code: true`.
    """
    path = models_dir() / MODELS[name].filename
    status: dict[str, Any] = {"status": "missing", "path": str(path), "code": True}
    try:
        from panchro.engine.models import weights
    except Exception as exc:  # torch missing or broken: no model can run anyway
        status["code"] = False
        status["error"] = f"model code cannot be imported: {one_line(exc)}"
        if path.is_file():
            status["status"] = "no_code"
        return status
    status.update(weights.model_status(name))
    # The metadata may hold anything a training run wrote; keep it JSON-safe.
    return json.loads(json.dumps(status, default=str))


def require_models(names: list[str], purpose: str, *, quick: bool = False) -> None:
    """Raise ModelMissingError naming the first model in `names` that cannot be used.

    `quick` only looks for the weights file and the model's module (no torch
    import), for the reader thread; the job checks fully before it starts.
    """
    for name in names:
        entry = MODELS[name]
        if quick:
            path = models_dir() / entry.filename
            has_code = importlib.util.find_spec(entry.module) is not None
            if path.is_file() and has_code:
                continue
            st = {"status": "no_code" if path.is_file() else "missing", "path": str(path)}
        else:
            st = model_status(name)
        reason = {
            "missing": f"{purpose} needs the {name} model, but its weights file is not there",
            "corrupt": f"{purpose} needs the {name} model, but its weights file cannot be used "
            f"({st.get('error')})",
            "untrained": f"{purpose} needs the {name} model, but these weights are untrained",
            "no_code": f"{purpose} needs the {name} model: the weights are there, but this "
            f"engine has no code for it ({entry.module} is missing)",
        }.get(st["status"])
        if reason is not None:
            raise ModelMissingError(reason, path=st["path"])


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
            from panchro.engine.errors import BadInputError
            from panchro.engine.inference.device import engine_cpu_precision

            try:
                info["device"]["precision"] = engine_cpu_precision()
            except BadInputError as exc:  # a bad $PANCHRO_CPU_BF16: restores will say so
                info["device"]["precision"] = None
                log.warning("%s", exc)
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


def hello_data() -> dict[str, Any]:
    """The data of a `hello` result: versions, the device and every model's status."""
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "version": __version__,
        **runtime_info(),
        "models": {name: model_status(name) for name in MODELS},
        "pid": os.getpid(),
    }
