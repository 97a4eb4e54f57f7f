"""How a scan's code values are read (`open_source(scan=...)`): as coded, or turned into a
picture at video levels first, so that everything after (the colours, the stages, the app's
view) sees what the film shows.

Modes (`SCAN_MODES`): "auto" reads a DPX scan coded in log (its header says printing density
or logarithmic: `dpx.log_coding`) at video levels, and everything else as coded; "coded"
reads every film as coded (a log scan stays flat and pale); "negative" reads a scan of a
negative as the positive it makes (a log scan first brought to video levels, then every
value turned over), for the camera negatives that are often all that is left of a film.

A log scan is brought to video levels as film work does it (Kodak's Cineon conversion): a
code is a printing density, 0.002 a step, so linear light is 10^((code - white) 0.002 / 0.6)
(the negative's gamma 0.6), the reference black (its code's light) taken off and the
reference white at 1; light above KNEE is eased into the top fifth, the top code's at 1,
rather than cut (clouds and lamps keep their shapes); then BT.709's curve gives video
levels. The references are the file's (95 and 685 of 1023 where it says none, Cineon's).

Each frame goes through a table of 65,536 16-bit values on its RGB samples (`curve`), so
grey and colour scans alike are read through the same curve, before the frame is converted
to what the caller asked for.
"""

from __future__ import annotations

import numpy as np

from panchro.engine.errors import BadInputError

SCAN_MODES = ("auto", "coded", "negative")
CINEON = (95, 685, 1023)  # reference black, white and the top code where a file says none
DENSITY_STEP = 0.002  # printing density per code value
NEGATIVE_GAMMA = 0.6
KNEE = 0.8  # light above this share of white is eased towards the top code's, not cut


def check_mode(mode: str) -> str:
    """`mode` if it is one of SCAN_MODES; else BadInputError naming them."""
    if mode not in SCAN_MODES:
        raise BadInputError(f"unknown scan mode {mode!r} (use one of {', '.join(SCAN_MODES)})")
    return mode


def _video_levels(light: np.ndarray) -> np.ndarray:
    """BT.709's curve of linear light 0..1."""
    light = np.clip(light, 0.0, 1.0)
    return np.where(light < 0.018, 4.5 * light, 1.099 * np.power(light, 0.45) - 0.099)


def _roll_off(light: np.ndarray, peak: float) -> np.ndarray:
    """Light up to KNEE as it is; above it, eased into KNEE..1 so that `peak` (the top code's
    light) lands on 1 and every highlight keeps its place (Reinhard's curve, extended to a
    white point: its slope 1 at the knee, rising all the way)."""
    if peak <= 1.0:
        return np.minimum(light, 1.0)
    x = np.maximum(light - KNEE, 0.0) / (1.0 - KNEE)
    w = (peak - KNEE) / (1.0 - KNEE)
    eased = KNEE + (1.0 - KNEE) * x * (1.0 + x / (w * w)) / (1.0 + x)
    return np.where(light <= KNEE, light, eased)


def log_to_video(codes: np.ndarray, reference: tuple[int, int, int] = CINEON) -> np.ndarray:
    """Log codes (0..top of `reference` = (black, white, top)) -> video levels 0..1."""
    black, white, top = reference
    scale = 1023.0 / top  # the references and steps are in 10-bit codes
    exponent = DENSITY_STEP / NEGATIVE_GAMMA
    offset = 10.0 ** ((black - white) * scale * exponent)
    light = 10.0 ** ((codes * scale - white * scale) * exponent)
    light = (light - offset) / (1.0 - offset)
    peak = (10.0 ** ((top - white) * scale * exponent) - offset) / (1.0 - offset)
    return _video_levels(_roll_off(np.clip(light, 0.0, peak), peak))


def curve(mode: str, log_reference: tuple[int, int, int] | None) -> np.ndarray | None:
    """The table (65,536 uint16: a 16-bit sample's new value) frames are read through in
    `mode`, for a film whose DPX header says log with `log_reference` (black, white, top)
    or None; None where they are read as coded."""
    check_mode(mode)
    log = log_reference is not None and mode != "coded"
    if not log and mode != "negative":
        return None
    x = np.arange(65536, dtype=np.float64) / 65535.0
    if log:
        assert log_reference is not None
        x = log_to_video(x * log_reference[2], log_reference)
    if mode == "negative":
        x = 1.0 - x
    return np.round(x * 65535.0).astype(np.uint16)


def describe(mode: str, log_reference: tuple[int, int, int] | None) -> str:
    """What reading does to the film's values, in words ("" where it reads them as coded)."""
    log = log_reference is not None and mode != "coded"
    parts = []
    if log:
        parts.append("a log scan brought to video levels")
    if mode == "negative":
        parts.append("a negative turned positive")
    return ", then ".join(parts)
