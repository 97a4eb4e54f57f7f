"""What a restore reports when done: `RestoreSummary`, printed by the CLI, sent to the GUI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

# What `codec` says for one restored photograph (`restore.picture`): its file format.
PICTURE_CODECS = ("jpeg", "png", "tiff", "webp")


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
    width: int = 0  # of the output
    height: int = 0
    chunks: int = 0
    resumed_frames: int = 0  # frames an earlier, interrupted run had already written
    damaged_frames: tuple[int, ...] = ()  # could not be decoded; the last good frame is repeated
    notes: tuple[str, ...] = ()  # padding, preview, picks recorded...
    sound: tuple[str, ...] = ()  # the soundtrack, sound re-encoded for the container
    # Busy seconds of each part (they overlap; their sum can exceed `seconds`).
    decode_s: float = 0.0
    stages_s: float = 0.0
    encode_s: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def of_picture(
        cls,
        input: object,
        out: Path,
        fmt: str,
        seconds: float,
        size: tuple[int, int],
        notes: list[str],
        stages: object,
        **times: float,
    ) -> RestoreSummary:
        """One picture written (a photo restored, a film's still): `notes`, the stages', and
        what they say they did to it (`run_notes`: the dust they filled)."""
        return cls(
            input=str(input),
            output=str(out),
            codec=fmt.lower(),
            frames=1,
            seconds=seconds,
            fps=1 / seconds if seconds > 0 else 0.0,
            output_bytes=out.stat().st_size,
            audio_streams=0,
            subtitle_streams=0,
            width=size[0],
            height=size[1],
            notes=tuple(notes)
            + tuple(n for st in stages for n in getattr(st, "notes", ()))  # type: ignore[attr-defined]
            + tuple(n for st in stages for n in getattr(st, "run_notes", ())),  # type: ignore[attr-defined]
            **{k: round(v, 3) for k, v in times.items()},
        )

    def describe(self) -> str:
        size = self.output_bytes / 1e6
        if self.codec in PICTURE_CODECS:
            text = (
                f"{self.width}x{self.height} {self.codec.upper()} picture in "
                f"{self.seconds:.1f} s, {size:.1f} MB -> {self.output}"
            )
            return "".join([text] + [f"\nnote: {note}" for note in self.notes])
        made = self.frames - self.resumed_frames  # by this run: what its time and fps are of
        count = f"{self.frames} frames" + (f", {made} made now," if self.resumed_frames else "")
        text = (
            f"{count} in {self.seconds:.1f} s ({self.fps:.1f} fps), "
            f"{size:.1f} MB, {self.audio_streams} audio and {self.subtitle_streams} subtitle "
            f"stream(s) {'carried' if self.sound else 'copied'} -> {self.output}"
        )
        for line in self.sound:
            text += f"\nsound: {line}"
        if self.resumed_frames:
            text += f"\nresumed: {self.resumed_frames} frame(s) were done by an earlier run"
        if self.damaged_frames:
            shown = ", ".join(str(i) for i in self.damaged_frames[:20])
            more = ", ..." if len(self.damaged_frames) > 20 else ""
            text += (
                f"\n{len(self.damaged_frames)} damaged frame(s) could not be decoded and repeat "
                f"the frame before them (counting from 0): {shown}{more}"
            )
        for note in self.notes:
            text += f"\nnote: {note}"
        return text
