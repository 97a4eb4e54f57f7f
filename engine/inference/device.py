"""Where and how the models run: the device, the CPU thread count, and exact results.

What Panchro promises (docs/architecture.md, "Exact results"): the same input,
settings and weights give bit-identical frames on the same device with the same
thread count, whatever the batch size, the chunking, a resume, or the load on
the machine. Three things make that true:

- every model call on the CPU is one frame (`frames_per_call`), so a frame's numbers do
  not depend on which frames share its batch: oneDNN picks its blocking from
  the tensor's shape, and a batch of 4 rounds the last bit differently from a
  batch of 1 (that is what made a one-level difference between batch sizes 5
  and 12). On the CPU one frame a call is as fast as four (measured: refiner,
  854x480, 1 thread: 8.4 fps per frame, 6.3 fps in fours);
- the intra-op thread count is fixed for a run (`fix_threads`), since oneDNN
  splits some reductions by thread; a job records it and a resume uses it;
- on CUDA, calls have fixed shapes (a batch is padded to its full size) and
  cuDNN may not pick algorithms by timing (`benchmark = False`);
- the upscaler's precision on the CPU is fixed for a run too (`fix_cpu_precision`):
  bfloat16 where the cores compute it natively (AVX512-BF16 or AMX: 2.3x faster at
  480p -> 960p, one thread), else float32; a job records it with the thread count,
  so a resume, or a cluster's worker on another kind of CPU, computes the same bits.

The machine's load changes none of these: thread counts and blockings are fixed
before the work starts and do not follow how busy the cores are.
"""

from __future__ import annotations

import os

import torch

from panchro.engine.errors import BadInputError

ENV_THREADS = "PANCHRO_THREADS"
MAX_DEFAULT_THREADS = 8  # beyond this the small models gain little and the decoder starves
ENV_CPU_BF16 = "PANCHRO_CPU_BF16"  # 1: bfloat16 on the CPU, 0: float32; unset: as the CPU can
CPU_PRECISIONS = ("float32", "bfloat16")
_fixed_cpu_precision: str | None = None


def default_device() -> torch.device:
    """CUDA when there is a device, else the CPU: the one place that decides it."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """`device` as a torch.device; None means `default_device()`."""
    return torch.device(device) if device is not None else default_device()


def engine_threads() -> int:
    """The intra-op thread count a new run uses: $PANCHRO_THREADS, else the usable cores
    (at most MAX_DEFAULT_THREADS)."""
    value = os.environ.get(ENV_THREADS, "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise BadInputError(f"{ENV_THREADS} must be a whole number, got {value!r}") from None
        if n < 1:
            raise BadInputError(f"{ENV_THREADS} must be at least 1, got {n}")
        return n
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_THREADS, cores))


def fix_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads to `threads` (default `engine_threads()`) -> the count.

    Also keeps cuDNN from choosing algorithms by timing, which differs run to run.
    """
    n = engine_threads() if threads is None else int(threads)
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {n}")
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    torch.backends.cudnn.benchmark = False
    return n


def cpu_has_native_bf16() -> bool:
    """Whether the cores compute bfloat16 themselves (AVX512-BF16 or AMX). Without them
    oneDNN emulates it, which can be slower than float32."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):  # a torch without these probes: take no chance
        return False


def engine_cpu_precision() -> str:
    """The precision a new run gives the upscaler on the CPU: $PANCHRO_CPU_BF16 (1 or 0),
    else "bfloat16" where the CPU has it natively, else "float32"."""
    value = os.environ.get(ENV_CPU_BF16, "").strip()
    if value:
        if value not in ("0", "1"):
            raise BadInputError(f"{ENV_CPU_BF16} must be 0 or 1, got {value!r}")
        return "bfloat16" if value == "1" else "float32"
    return "bfloat16" if cpu_has_native_bf16() else "float32"


def fix_cpu_precision(precision: str | None = None) -> str:
    """Fix the upscaler's CPU precision for this process (default `engine_cpu_precision()`;
    a job's recorded one on a resume) -> its name."""
    global _fixed_cpu_precision
    name = engine_cpu_precision() if precision is None else precision
    if name not in CPU_PRECISIONS:
        raise ValueError(f"CPU precision must be one of {CPU_PRECISIONS}, got {name!r}")
    _fixed_cpu_precision = name
    return name


def cpu_dtype() -> torch.dtype:
    """The upscaler's compute dtype on the CPU: the one fixed for this run, else the
    engine's choice now."""
    name = _fixed_cpu_precision or engine_cpu_precision()
    return torch.bfloat16 if name == "bfloat16" else torch.float32


def frames_per_call(device: torch.device, batch: int) -> int:
    """Frames per model call: one on the CPU (exact whatever the batching), `batch` else."""
    return 1 if device.type == "cpu" else max(1, batch)


__all__ = [
    "CPU_PRECISIONS",
    "ENV_CPU_BF16",
    "ENV_THREADS",
    "cpu_dtype",
    "cpu_has_native_bf16",
    "default_device",
    "engine_cpu_precision",
    "engine_threads",
    "fix_cpu_precision",
    "fix_threads",
    "frames_per_call",
    "resolve_device",
]
