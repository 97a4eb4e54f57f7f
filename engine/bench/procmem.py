"""This process's memory as the benchmarks report it: resident set now, its peak, a reset.

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


def _rss_mb() -> float:
    """Resident memory of this process now (VmRSS); the peak where /proc is missing."""
    rss = _proc_status_mb("VmRSS")
    return rss if rss is not None else _peak_rss_mb()


def _peak_rss_mb() -> float:
    """Peak resident memory of this process.

    VmHWM first: getrusage's ru_maxrss survives exec, so a freshly spawned
    process would report its parent's peak.
    """
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _reset_peak_rss() -> bool:
    """Start this process's peak RSS (VmHWM) afresh; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # 5: reset the peak resident set size (Linux >= 4.0)
        return True
    except OSError:
        return False
