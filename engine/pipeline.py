"""The restoration pipeline: a film in, a restored film out, streamed frame by frame.

Today it decodes and re-encodes with every audio and subtitle stream remuxed
untouched and every video timestamp kept; colorization, cleanup and
upscaling join as stages between decode and encode (issues 4–7). Memory stays
constant in the film's length: frames flow through a generator, never a list.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from panchro.engine.progress import Progress


@dataclass(frozen=True)
class RestoreSummary:
    input: str
    output: str
    codec: str
    frames: int
    seconds: float
    fps: float
    output_bytes: int
    audio_streams: int
    subtitle_streams: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        size = self.output_bytes / 1e6
        return (
            f"{self.frames} frames in {self.seconds:.1f} s ({self.fps:.1f} fps), "
            f"{size:.1f} MB, {self.audio_streams} audio and {self.subtitle_streams} subtitle "
            f"stream(s) copied -> {self.output}"
        )


def _tree_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def restore(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    codec: str = "h264",
    bit_depth: int = 8,
    overwrite: bool = False,
    fps: float | None = None,
    progress: Progress | None = None,
) -> RestoreSummary:
    """Restore `input` into `output`; raises PanchroError subclasses with a clear reason.

    `progress.advance()` is called per frame; it raises CancelledError when
    its cancel flag is set, and the writer then removes its temporaries, so a
    cancelled run leaves the output path as it was.
    """
    from panchro.engine import media  # PyAV is heavy; keep `import pipeline` cheap

    out = media.check_output_path(output, inputs=[input], overwrite=overwrite)
    start = time.monotonic()
    with media.open_source(input, fps=fps) as src:
        info = src.info
        if progress is None:
            progress = Progress(info.frame_count)
        elif progress.total is None:
            progress.total = info.frame_count
        # Decode straight to planar YCbCr so the film's luma reaches the encoder
        # untouched: no round trip through RGB.
        fmt = "yuv444p16" if max(bit_depth, info.bit_depth) > 8 else "yuv444p"
        with media.VideoWriter(
            out,
            codec=codec,
            bit_depth=bit_depth,
            width=info.width,
            height=info.height,
            time_base=info.time_base,
            fps=info.fps,
            source=info,
            overwrite=overwrite,
        ) as writer:
            frames = 0
            for frame in src.frames(fmt=fmt):
                writer.write(frame.image, frame.pts, fmt=fmt)
                frames += 1
                progress.advance(stage="encode")
        progress.finish()
    seconds = time.monotonic() - start
    return RestoreSummary(
        input=str(input),
        output=str(out),
        codec=codec,
        frames=frames,
        seconds=seconds,
        fps=frames / seconds if seconds > 0 else 0.0,
        output_bytes=_tree_size(out),
        audio_streams=len(info.audio),
        subtitle_streams=len(info.subtitles),
    )
