"""One frame of a film restored into a picture file (`panchro restore FILM STILL.png --at T`,
the app's File ▸ Export this frame): a still to print, to show, to check a setting on.

The frame goes through the stages as a render treats it (`frame_preview.preview_frame`:
its shot's pick, the neighbours the stages look across within the shot), so the still is
the frame the film's export holds there, as a player shows it (RGB by the film's matrix).
The shot is the project's when it has shots; without, the cuts are found within WINDOW_S
either side of the frame (as a part's are), so a shot that began earlier than that starts
at the window's edge for an automatic pick's seed: give the project for the film's own
colours. Written as the output's extension says: PNG and TIFF at 16 bits (the stages'
float planes, not rounded twice), JPEG and WebP at 8 and `quality`. A film whose pixels are
not square (an anamorphic transfer) is widened or narrowed to square pixels, and one tagged
to be shown turned (a phone's) is turned, as it is shown.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.imaging.orient import upright
from panchro.engine.restore.batch import Stage
from panchro.engine.restore.summary import RestoreSummary
from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.media import Reading, Source
    from panchro.engine.project import Pick, Project

WINDOW_S = 10.0  # seconds either side of the frame its shot's cuts are looked for in
DEFAULT_QUALITY = 95


def shot_around(src: Source, index: int, shots: Sequence[Shot] | None = None) -> Shot:
    """The shot holding frame `index`: of `shots` when given, else found within WINDOW_S
    either side of it."""
    n = src.info.frame_count
    if not 0 <= index < n:
        raise BadInputError(f"frame {index} is outside the film (0..{n - 1})")
    if shots:
        for shot in shots:
            if shot.start <= index < shot.end:
                return shot
        raise BadInputError(f"frame {index} is in none of the project's shots")
    from panchro.engine import shots as cuts

    fps = float(src.info.fps) or 24.0
    reach = max(1, round(WINDOW_S * fps))
    first, stop = max(0, index - reach), min(n, index + reach + 1)
    size = cuts.analysis_size(src.info.width, src.info.height)
    grey = (f.image for f in src.frames(first, stop, fmt="gray", size=size, conceal=True))
    for s in cuts.detect_cuts(grey, fps=fps).shots:
        if s.start + first <= index < s.end + first:
            return Shot(s.start + first, s.end + first, s.key_frame + first)
    return Shot(first, stop, index)  # the detector covers every frame; kept for safety


def restore_still(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    index: int,
    *,
    stages: Sequence[Stage],
    project: Project | None = None,
    shot: Shot | None = None,
    pick: Pick | None = None,
    quality: int | None = None,
    overwrite: bool = False,
    reading: Reading | None = None,
) -> RestoreSummary:
    """Frame `index` of the film `input` through `stages` into the picture `output` (module
    docstring); its shot `shot`, or the project's, or found around it; its pick `pick`, or
    the project's, else the stages' automatic one. PanchroError says why not; the output is
    written whole or not at all. `reading`: how the film is read (`media.Reading`)."""
    from panchro.engine import __version__, media
    from panchro.engine.restore.frame_preview import preview_frame

    start = time.monotonic()
    fmt = media.picture_format(output)
    if quality is not None and not 1 <= quality <= 100:
        raise BadInputError(f"quality must be within 1..100, got {quality}")
    out = media.check_output_path(output, inputs=[input], overwrite=overwrite)
    reading = reading or media.Reading()
    with reading.open(input) as src:
        info = src.info
        shots = list(project.shots) if project is not None and project.shots else None
        shot = shot_around(src, index, [shot] if shot is not None else shots)
        time_s = float(src.pts_of(index) * info.time_base)
    if project is not None and shots and shot in shots and pick is None:
        pick = project.picks[shots.index(shot)]
    shown = preview_frame(
        input,
        index,
        list(stages),
        shot=shot,
        pick=pick,
        reading=reading,
    )
    rgb = np.clip(shown.after, 0.0, 1.0)
    sar = info.sample_aspect_ratio
    if sar and sar != 1:  # shown with square pixels, as a player shows the film
        from PIL import Image

        h, w = rgb.shape[:2]
        wide = max(1, round(w * float(sar)))
        bands = [
            np.asarray(
                Image.fromarray(np.ascontiguousarray(rgb[..., c], np.float32)).resize(
                    (wide, h), Image.Resampling.LANCZOS
                )
            )
            for c in range(3)
        ]
        rgb = np.clip(np.stack(bands, axis=-1), 0.0, 1.0)
    rgb = upright(rgb, info.rotation)  # and turned as a player turns it
    deep = fmt in ("PNG", "TIFF")
    pixels = (
        np.round(rgb * 65535.0).astype(np.uint16)
        if deep
        else np.round(rgb * 255.0).astype(np.uint8)
    )
    what = ", ".join(st.key.split(":", 1)[0] for st in stages) or "as decoded"
    media.write_picture(
        out,
        pixels,
        fmt=fmt,
        quality=DEFAULT_QUALITY if quality is None else quality,
        text={"Source": f"{Path(input).name}, frame {index} at {time_s:.3f} s"},
        software=f"Panchro {__version__} ({what})",
    )
    seconds = time.monotonic() - start
    # Said in time, not frame numbers: the app counts frames from 1, the engine from 0.
    length = shot.end - shot.start
    frames = f"{length} frame{'s' if length != 1 else ''}"
    notes = [f"the frame at {time_s:.3f} s, in a shot of {frames}"]
    if sar and sar != 1:
        notes.append(f"pixel aspect {sar}: widened to square pixels, {pixels.shape[1]} wide")
    size = (int(pixels.shape[1]), int(pixels.shape[0]))
    return RestoreSummary.of_picture(input, out, fmt, seconds, size, notes, stages)
