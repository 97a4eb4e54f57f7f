"""How a restored film is delivered beyond its frames: the rate it is written at and the
sound it carries, decided once per run from the call and the project (`restore`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from panchro.engine.errors import BadInputError

if TYPE_CHECKING:
    from panchro.engine.media import Soundtrack, Source
    from panchro.engine.project import Project


def plan(
    run: Any,
    src: Source,
    proj: Project | None,
    out: Path,
    deliver_fps: float | None,
    soundtrack: Soundtrack | None,
    own_sound: bool,
    *,
    rate: bool = True,
) -> None:
    """The run's rate (`plan_rate`; not with `rate` False: a preview's is the film's) and
    sound (`plan_sound`)."""
    if rate:
        plan_rate(run, src, proj, deliver_fps)
        if said := depth_note(src.info, run.codec, run.bit_depth):
            run.notes.append(said)
    plan_sound(run, src, proj, out, soundtrack, own_sound)


def plan_rate(run: Any, src: Source, proj: Project | None, deliver_fps: float | None) -> None:
    """`run.stretch`: the film written faster than it is shown (`media.Stretch`), when the
    call asks it or the project does and the film is shown slower than that."""
    from panchro.engine import media

    asked = deliver_fps or (proj.settings.deliver_fps if proj is not None else None)
    if asked and (deliver_fps or asked > src.info.fps):
        run.stretch = media.stretch_for(src.info, asked, src.pts_of(0))
        run.notes.append(run.stretch.describe())
    elif asked:  # the project's, and the film is shown faster since
        run.notes.append(f"written at the film's {float(src.info.fps):g} fps, not above it")
    info = src.info
    if run.stretch is None and info.kind == "video" and info.frame_count > 1:
        grid = media.frame_grid(info, src.pts_of(0), src.pts_of(info.frame_count - 1))
        if grid is not None:
            run.stretch = grid
            run.notes.append(
                f"frame times put on the film's steady {float(info.fps):.3f} fps: its file's "
                f"clock (ticks of {info.time_base} s) cannot hold them, and the output's rate "
                "would vary by a tick"
            )


def plan_sound(
    run: Any,
    src: Source,
    proj: Project | None,
    out: Path,
    soundtrack: Soundtrack | None,
    own_sound: bool,
) -> None:
    """`run.soundtrack` and `run.sound_notes`: the sound the output will carry, checked
    against its container before any frame is restored (`media.check_carried`).

    A soundtrack given by the call replaces the film's sound; else the project's, unless
    `own_sound`. An image sequence carries no sound: a soundtrack asked for one is refused,
    the project's is left out with a note."""
    from panchro.engine import media

    sequence = run.codec in media.SEQUENCE_CODECS
    if soundtrack is not None and sequence:
        raise BadInputError(
            f"a soundtrack cannot go with {media.codec_label(run.codec)} frames: an image "
            "sequence holds no sound; export a film file (.mov, .mkv, .mp4) for it"
        )
    if soundtrack is None and not own_sound and proj is not None and proj.settings.soundtrack:
        settings = proj.settings
        if sequence:
            run.notes.append(
                "the project's soundtrack is left out: an image sequence holds no sound"
            )
            return
        path, moved = project_soundtrack(proj)
        if moved:
            run.notes.append(f"the project's soundtrack found beside it: {path}")
        try:
            soundtrack = media.open_soundtrack(path, settings.soundtrack_offset)
        except BadInputError as exc:
            raise BadInputError(f"the project's soundtrack {exc}") from None
    if soundtrack is not None:
        media.check_soundtrack(soundtrack, src.info.duration_s)
        if media.same_file(out, Path(soundtrack.path)):  # written over at the end, else
            raise BadInputError(
                f"the soundtrack {Path(soundtrack.path).name} is the output: choose another output"
            )
    others = [s for s in src.info.other_streams if s.type == "video"]
    if others:  # another camera's, a second reel's: said, since nothing else would
        listed = ", ".join(f"#{s.index} ({s.codec})" for s in others)
        run.notes.append(
            f"the file's other video stream{'s' if len(others) > 1 else ''} {listed} left "
            "out: a film is restored from one video stream, and only its sound, subtitles and "
            "chapters go with it"
        )
    if sequence:
        if src.info.audio:  # said, since a film with sound was asked for as frames
            n = len(src.info.audio)
            run.notes.append(
                f"the film's sound ({n} stream{'s' if n > 1 else ''}) is not in the frames: an "
                "image sequence holds no sound; export a film file (.mov, .mkv) for it"
            )
        return
    run.soundtrack = soundtrack
    run.sound_notes = media.check_carried(src.info, out, soundtrack)


def depth_note(info: Any, codec: str, bit_depth: int) -> str | None:
    """Said where the film's frames have more bits than the output is written with."""
    from panchro.engine import media

    bits = media.coded_bits(codec, bit_depth)
    if info.bit_depth <= bits:
        return None
    keep = min(info.bit_depth, media.most_bits(codec))
    how = f"--bit-depth {keep} keeps {'them' if keep == info.bit_depth else 'the most'}"
    if keep <= bits:  # this codec holds no more
        how = "a codec of more bits (ffv1, prores, dpx) keeps them"
    return f"the film's {info.bit_depth}-bit frames are written with {bits} bits ({how})"


def project_soundtrack(proj: Project) -> tuple[str, bool]:
    """Where the project's soundtrack is: where it says, or, gone from there, a file of the
    same name beside the project (a project moved with its score to another disk or
    machine) -> (the path, whether it was found beside the project)."""
    recorded = Path(str(proj.settings.soundtrack))
    if recorded.exists() or proj.path is None:
        return str(recorded), False
    beside = Path(proj.path).parent / recorded.name
    if beside.is_file():
        return str(beside), True
    return str(recorded), False


def part_note(info: Any, first: int, stop: int, at: Any, codec: str, sound: bool) -> str:
    """What a part of the film written says of itself: its frames, where it starts, and
    its sound where it has some (none for a silent film, or one shown at another speed)."""
    from panchro.engine import media

    if codec in media.SEQUENCE_CODECS:
        # (its frame's number in the film, or as delivered where the film is delivered faster)
        tail = "each file numbered as the whole film's export numbers it"
    else:
        tail = "with their sound; the output starts at 0" if sound else "the output starts at 0"
    # Said in time, not frame numbers: the app counts frames from 1, the engine from 0.
    return f"{stop - first} frames of {info.frame_count} only, from {float(at):.3f} s, {tail}"


def first_label(info: Any, first: int, stretch: Any = None) -> str | None:
    """The timecode of an output's first frame, film frame `first`: the source's moved on to
    it, or, delivered faster (`stretch`), the same moment labelled at the delivered rate."""
    from panchro.engine import timecode

    if stretch is None:
        return timecode.shifted(info.timecode, first, info.fps)
    return timecode.shifted(info.timecode, stretch.first(first), stretch.deliver, read_at=info.fps)
