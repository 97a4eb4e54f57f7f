"""The restoration record written beside a restored film: what was done to it, and how.

An archive that restores a film documents every intervention (FIAF's code of ethics asks
it): what the source was, exactly which file; how it was read; each change made, in order,
with its strength and the model that made it, and whether that model was trained at full
scale; what each shot was coloured from, and what a shot was spared; what was written. A
restored film passed on without that cannot be told from the original a generation later.
So every film restored (`pipeline.restore`, the app's exports, an archive's films) gets
`OUTPUT.restoration.md` beside it: plain text a person reads, in Markdown's shape, written
atomically. Its lines come from the job's own record of what decided the frames (the
settings digest's parts), so a resumed job's record is the whole job's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.restore.summary import RestoreSummary

SUFFIX = ".restoration.md"

# What each stage is, for a person (the first word of its key, `Stage.key`).
STAGES = {
    "scratches": "line scratches taken out",
    "dust": "specks of dirt on single frames filled from the frames either side (on a shot of"
    " one or two frames, found by the speck finder by their look)",
    "stabilize": "gate weave taken out (the camera's own moves kept)",
    "deflicker": "flicker evened out (each frame's exposure to its shot's)",
    "crop": "the border round the picture cut off",
    "colorize": "colour laid on the film's own grey (luma kept), each shot from its pick",
    "upscale": "cleaned and enlarged by a trained network (detail it adds is its own guess)",
    "fit": "scaled to the size delivered (bicubic), its pixels square; framed on black where"
    " the whole frame was asked for",
}


def record_path(output: str | os.PathLike[str]) -> Path:
    """Where the record of a film restored to `output` (a file or a folder) goes."""
    out = Path(output)
    return out.with_name(out.name + SUFFIX)


def forget_record(output: str | os.PathLike[str], summary: RestoreSummary) -> RestoreSummary:
    """`summary`, once the record beside `output` is removed, if one is there: it told of the
    film this run wrote over, not of this one (said in the summary's notes)."""
    path = record_path(output)
    try:
        path.unlink()
    except FileNotFoundError:
        return summary
    except OSError as exc:
        note = f"the record {path.name} of the film written over is left: {exc.strerror or exc}"
    else:
        note = f"the record {path.name} of the film written over is removed"
    return replace(summary, notes=(*summary.notes, note))


def _models(keys: Sequence[str]) -> list[str]:
    """The weights files the stages' keys name, each with what its card says."""
    from panchro.engine.models.weights import model_status

    lines = []
    for key in keys:
        for part in key.split(":"):
            name = part.split("=")[-1]
            if not name.endswith(".safetensors"):
                continue
            status = model_status(name.removesuffix(".safetensors"))
            card = (status.get("meta") or {}).get("card") or {}
            said = status["status"]
            if card:
                said += f", trained at {card.get('scale', '?')} scale"
                if card.get("steps"):
                    said += f", {card['steps']} steps"
                if card.get("data"):
                    said += f", on {card['data']}"
            lines.append(f"- `{name}`: {said}")
    return lines


def _colours(pick: Any, recorded: bool, reference: bool = False, hinted: bool = False) -> str:
    """Where a shot's colours came from. `reference`: the run lent a colour picture's colours
    to the shots without a pick; `hinted`: a person's hints lie on the shot."""
    hints = ", with a person's colour hints over them" if hinted else ""
    if pick is None and reference:
        return ("matched from the colour picture given (--reference) where it fits it, else "
                f"left grey (the notes say which){hints}")  # fmt: skip
    if pick is None and hinted:
        return "coloured by a person's colour hints alone"
    if pick is None:
        return "automatic (the consensus of the modes drawn from its seed)"
    source = getattr(pick, "source", "user")
    if source == "own" and not pick.locked:
        return (
            "its own colours kept, as the film holds them: found in colour, no person chose" + hints
        )
    if recorded or source == "auto":
        return f"automatic: mode {pick.index + 1} drawn with seed {pick.seed}, no person chose" + (
            hints
        )
    return {
        "user": f"mode {pick.index + 1} drawn with seed {pick.seed}, picked by a person",
        "reference": "matched from a colour picture a person chose",
        "carried": "carried from another shot of its scene by a person",
        "grey": "kept black and white by a person",
        "tint": "tinted by a person (one colour over the light)",
        "tone": "toned by a person (one colour in the middle greys)",
        "own": "its own colours kept, as the film holds them",
    }.get(source, source) + hints


def write_record(
    output: str | os.PathLike[str],
    *,
    identity: dict[str, Any],
    info: Any,
    settings: dict[str, Any],
    shots: Sequence[Shot],
    picks: Sequence[Any],
    recorded: set[int],
    summary: Any,
    colours: bool,
    first_number: int = 1,
    reference: bool = False,
    hinted: frozenset[int] = frozenset(),
) -> Path:
    """Write the record of a film restored to `output` (see the module's text); its path.
    `identity`: the job's input identity; `settings`: the job's settings (what decided the
    frames); `picks[i]` for `shots[i]`, `recorded` the shots given an automatic pick;
    `first_number`: the film's number of the first shot listed (a part lists its own)."""
    from panchro.engine import __version__, timecode

    fps = Fraction(info.fps)
    keys = list(settings.get("stages") or [])
    lines = [
        f"# Restoration record: {Path(output).name}",
        "",
        f"Written by Panchro {__version__} on {time.strftime('%Y-%m-%d %H:%M %Z')}.",
        "",
        "## Source",
        "",
        f"- file: `{identity['path']}`",
        f"- identity: {identity['size']} bytes, SHA-256 of its first and last MiB "
        f"`{identity['sha256']}`",
        f"- picture: {info.codec}, {info.width} × {info.height}, {info.bit_depth}-bit, "
        f"{info.frame_count} frames at {float(fps):.3f} fps ({info.duration_s:.2f} s)"
        + (f", timecode {info.timecode}" if info.timecode else ""),
    ]
    if getattr(info, "truncated", False):  # the archive's word on what it was given
        expected = getattr(info, "expected_frames", None)
        of = f" of the {expected} its header counts" if expected else ""
        lines.append(f"- cut short: the file ends early; only these {info.frame_count} frames"
                     f"{of} could be read, and the restored film has no more")  # fmt: skip
    read = []
    if settings.get("deinterlace"):
        read.append(f"fields: {settings['deinterlace']}")
    if settings.get("decimate"):
        read.append(f"repeated frames left out ({settings['decimate']})")
    if settings.get("scan"):
        read.append(str(settings["scan"]))
    if settings.get("levels"):
        lv = settings["levels"]
        read.append(f"levels stretched from {lv[0]:.1%} and {lv[1]:.1%} to black and white")
    if getattr(info, "held_frames", ()):
        read.append(f"{len(info.held_frames)} missing frame number(s) held by the frame before")
    if settings.get("fps"):
        read.append(f"shown at {settings['fps']} fps")
    lines.append("- read: " + ("; ".join(read) if read else "as it is"))
    lines += ["", "## What was done, in order", ""]
    if not keys:
        lines.append("- nothing but coding it again (no stage)")
    for n, key in enumerate(keys, 1):
        parts = key.split(":")
        name = parts[0]
        # the strength a person set, where the key's third part says it ("dust:v2:s=0.5:…")
        strength = f", strength {parts[2][2:]}" if len(parts) > 2 and parts[2][:2] == "s=" else ""
        # the colours' strength, where not as drawn ("colorize:v1:…:strength=0.6")
        strength += next((f", colours at strength {p[9:]}" for p in parts
                          if p.startswith("strength=")), "")  # fmt: skip
        lines.append(f"{n}. {name}{strength}: {STAGES.get(name, name)} — `{key}`")
        if name == "colorize" and ":seed=" in key:  # not the seed of a mode a person picked
            lines[-1] += " (its seed and `t` draw the shots nobody picked; each shot's are below)"
    models = _models(keys)
    if models:
        lines += ["", "Models:", "", *models]
    lines += ["", "## Shots", ""]
    lines.append("| shot | frames | timecode in | colours | left out |")
    lines.append("|---|---|---|---|---|")
    for i, (shot, pick) in enumerate(zip(shots, picks, strict=True)):
        tc = timecode.shifted(info.timecode, shot.start, fps) or timecode.label(shot.start, fps)
        colour = (_colours(pick, i in recorded, reference, i in hinted) if colours
                  else "none (not colorized)")  # fmt: skip
        off = ", ".join(sorted(shot.off)) or "–"
        number = first_number + i
        lines.append(f"| {number} | {shot.start + 1}–{shot.end} | {tc} | {colour} | {off} |")
    restored = " restored (more written: below)" if settings.get("deliver") else ""
    lines += [
        "",
        "## Written",
        "",
        f"- `{summary.output}`: {summary.codec}, {summary.width} × {summary.height}, "
        f"{summary.frames} frames{restored}, {summary.output_bytes} bytes",
        f"- sound: {summary.audio_streams} audio and {summary.subtitle_streams} subtitle "
        "stream(s) " + ("carried:" if summary.sound else "copied untouched"),
        *(f"  - {line}" for line in summary.sound),
    ]
    if settings.get("deliver"):
        rate = float(Fraction(settings["deliver"]))
        lines.append(
            f"- at {rate:g} fps: the frames restored, some shown twice in a steady cadence "
            "(stretch printing); the running time is the film's as shown"
        )
    if summary.resumed_frames:
        lines.append(f"- {summary.resumed_frames} frame(s) written by an earlier run of the job")
    if summary.damaged_frames:
        damaged = summary.damaged_frames
        named = ", ".join(str(f + 1) for f in damaged[:20]) + (", …" if len(damaged) > 20 else "")
        lines.append(
            f"- {len(damaged)} frame(s) could not be decoded (number {named}, counting from 1"
            "); the frame before each is shown again"
        )
    if summary.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in summary.notes]]
    path = record_path(output)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
