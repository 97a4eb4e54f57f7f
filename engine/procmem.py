"""Memory figures of this process and the machine: resident set now, its peak, a reset of
the peak, a child's peak, and what the system can still give. The benchmarks report them;
a restore checks its estimate against them before it starts.

Linux /proc first; getrusage where /proc is missing.
"""

from __future__ import annotations

import resource
import sys


def _proc_status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Resident memory of this process now (VmRSS); the peak where /proc is missing."""
    rss = _proc_status_mb("VmRSS")
    return rss if rss is not None else peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident memory of this process.

    VmHWM first: getrusage's ru_maxrss survives exec, so a freshly spawned
    process would report its parent's peak.
    """
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    return maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def maxrss_mb(maxrss: int) -> float:
    """getrusage's ru_maxrss in megabytes (Linux reports KiB, macOS bytes): e.g. a child's
    peak, from `os.wait4`."""
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def reset_peak_rss() -> bool:
    """Start this process's peak RSS (VmHWM) afresh; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # 5: reset the peak resident set size (Linux >= 4.0)
        return True
    except OSError:
        return False


def available_mb() -> float | None:
    """Memory the system can still give (MemAvailable), or None where it does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
