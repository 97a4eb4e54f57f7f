"""Interlaced video: which films are, and turning their frames into whole pictures.

Old films reach us through video as often as through scanners: a telecine to
576i/480i tape, a DV capture of a projection, a broadcast recording. Such a
frame holds two fields taken 1/50 or 1/60 s apart, so anything that moves is
combed (alternate lines show it in two places). Every later stage would keep
the comb: the colorizer sees it as texture, the upscaler sharpens it.

So an interlaced source is deinterlaced as it is decoded, by
FFmpeg's `bwdif` (Bob Weaver: motion adaptive, keeps still areas at full
resolution, interpolates moving ones from the field), one picture per frame
(`mode=send_frame`), so frame numbers, timing and sound stay as they are.

`bwdif` makes frame i from the decoded frames i-1, i and i+1 only (i itself at
the ends), with no memory beyond them, so decoding from frame i-1 on gives
frame i exactly as a pass over the whole film does: a preview, a resumed job
and a cluster worker see the same pictures. `frames_from` relies on that.

A film telecined to NTSC video (3:2 pulldown: 24 pictures a second spread over
60 fields, so two frames in five weave fields of two pictures) or to PAL with
its fields a step out of phase is not interlaced video: each of its fields
belongs to a whole picture. Deinterlacing would halve the height of everything
that moves; field matching (FFmpeg's `fieldmatch`) instead rebuilds each frame
from its own field and the matching one of its neighbours', whole. A frame it
cannot match (an orphan field at a cut, video shot for television in the
middle) is marked and deinterlaced by `bwdif` after it. In 3:2 pulldown one
frame in five is then the picture before it again: `decimate` leaves it out.
`fieldmatch` makes frame i from decoded frames i-1..i+1 and `bwdif` from its
outputs i-1..i+1: decoding from frame i-2 on gives frame i as a whole pass does
(`lead`).

Modes (`DEINTERLACE_MODES`): "auto" deinterlaces what is interlaced, by what
the file says (its stream's field order, its frames' flags) and what FFmpeg's
`idet` finds in the pictures (`check_scan`), which wins where they disagree: a
film transfer coded as interlaced video is read as it is, a capture re-encoded
as progressive with its comb is deinterlaced, a field order flagged wrong is
taken from the pictures, a telecined film is field matched. "off" never,
"tff"/"bff" every frame with that field first, "telecine" field matching; "keep"
as "auto", but no frame left out (`decimate`: the file's frame numbers kept).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import av
import av.error
import av.filter
import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.media.decimate import small_luma

DEINTERLACE_MODES = ("auto", "off", "tff", "bff", "telecine", "keep")
# The pictures `fieldmatch` takes (8-bit planar YUV). Others are deinterlaced, never
# matched: the filter graph would convert them to 8 bits on the way.
MATCHABLE_FORMATS = frozenset({"yuv420p", "yuv422p", "yuv444p", "yuv411p", "yuv410p"})
# An interlaced stream's field orders, and bwdif's name for each.
FIELD_ORDERS = {"top field first": "tff", "bottom field first": "bff"}

# FFmpeg's AVFieldOrder, as PyAV reports `codec_context.field_order`: the order the
# fields are shown in is what matters here (TB: top coded first, bottom shown first).
_FIELD_ORDER = {
    1: "progressive",
    2: "top field first",
    3: "bottom field first",
    4: "bottom field first",
    5: "top field first",
}


def field_order_name(code: Any) -> str | None:
    """ "progressive", "top field first", "bottom field first", or None where it does not say."""
    try:
        return _FIELD_ORDER.get(int(code))
    except (TypeError, ValueError):
        return None


def check_mode(mode: str) -> str:
    """`mode` if it is one of DEINTERLACE_MODES; else BadInputError naming them."""
    if mode not in DEINTERLACE_MODES:
        raise BadInputError(
            f"unknown deinterlace mode {mode!r} (use one of {', '.join(DEINTERLACE_MODES)})"
        )
    return mode


@dataclass(frozen=True)
class ScanCheck:
    """What FFmpeg's `idet` makes of a few stretches of the pictures: each frame judged
    from its own fields (and its neighbours) as top field first, bottom field first,
    progressive, or undetermined (too still to tell)."""

    tff: int
    bff: int
    progressive: int
    undetermined: int
    # Field matching tried on the same frames (`check_scan(match=order)`): the frames
    # tried, how many it rebuilt from a neighbour's field, and how many it left combed
    # (no field matched).
    match_tried: int = 0
    rebuilt: int = 0
    left_combed: int = 0
    # Each run's frame-to-frame luma differences (`decimate.small_luma`), runs parted by
    # NaN: what `decimate.may_repeat` looks at for repeated frames.
    steps: tuple[float, ...] = ()

    @property
    def checked(self) -> int:
        return self.tff + self.bff + self.progressive + self.undetermined

    @property
    def looks_progressive(self) -> bool:
        """Most of the frames that could be judged were progressive, and enough of them."""
        fields = self.tff + self.bff
        return self.progressive >= JUDGED_AT_LEAST and self.progressive > 4 * fields

    @property
    def looks_interlaced(self) -> bool:
        """Most of the frames that could be judged showed two instants, and enough of them."""
        fields = self.tff + self.bff
        return fields >= JUDGED_AT_LEAST and fields > 4 * self.progressive

    @property
    def may_be_interlaced(self) -> bool:
        """Enough frames looked interlaced to look closer, if not most of them: a telecined
        film shows two to four frames in five combed, a still one fewer."""
        fields = self.tff + self.bff
        return fields >= JUDGED_AT_LEAST // 2 and 4 * fields >= self.progressive

    @property
    def parity(self) -> str:
        """bwdif's name for the field order most frames showed."""
        return "tff" if self.tff >= self.bff else "bff"

    @property
    def order_is_clear(self) -> bool:
        """The frames agree on the field order, four to one, and enough of them."""
        first, second = max(self.tff, self.bff), min(self.tff, self.bff)
        return first >= JUDGED_AT_LEAST and first > 4 * second

    @property
    def telecined(self) -> bool:
        """Field matching makes whole pictures of the frames: it rebuilt enough of them
        (an eighth of those tried and at least REBUILT_AT_LEAST; 3:2 pulldown gives two
        in five, a field phase shift nearly all) and left at most a quarter as many
        combed. Interlaced video shot as fields has no matching fields (it rebuilds none
        and leaves the moving frames combed); a progressive film needs no rebuilding."""
        rebuilt = self.rebuilt
        return (
            rebuilt >= REBUILT_AT_LEAST
            and 8 * rebuilt >= self.match_tried
            and 4 * self.left_combed <= rebuilt
        )

    def describe(self) -> str:
        return (
            f"of {self.checked} frames checked, {self.progressive} progressive, "
            f"{self.tff + self.bff} interlaced"
        )

    def describe_match(self) -> str:
        return (
            f"of {self.match_tried} frames checked, {self.rebuilt} made whole from a "
            f"neighbour's field, {self.left_combed} left combed"
        )


# idet's verdicts are believed when JUDGED_AT_LEAST frames (of CHECK_RUNS x CHECK_FRAMES)
# agree, four to one. A still film is "undetermined" and keeps to what the file says (bwdif
# changes nothing where nothing moves). Every film gets a first look (one run from its
# middle: about 0.15 s for 720p on two cores); only one that looks interlaced there, or
# says it is, gets the whole check (0.3-0.9 s for 480p-1080p).
CHECK_RUNS = 3
CHECK_FRAMES = 16
JUDGED_AT_LEAST = 8
REBUILT_AT_LEAST = 4


def matchable(pix_fmt: str | None) -> bool:
    """Whether `fieldmatch` takes pictures of this format as they are."""
    return pix_fmt in MATCHABLE_FORMATS


def lead(args: str) -> int:
    """How many frames before frame i the filters `args` need to make frame i as a whole
    pass does: one per filter (each looks one frame back)."""
    return len(_chain(args))


def _chain(args: str) -> list[tuple[str, str]]:
    """The filters of `args`: "fieldmatch=...,bwdif=..." for field matching, else bwdif's
    own options (how jobs have recorded it since deinterlacing began)."""
    if not args.startswith("fieldmatch="):
        return [("bwdif", args)]
    return [tuple(part.split("=", 1)) for part in args.split(",")]  # type: ignore[misc]


def matching_args(order: str) -> str:
    """Field matching in `order` ("tff"/"bff"), with what stays combed deinterlaced."""
    return (
        f"fieldmatch=order={order}:combmatch=full,"
        f"bwdif=mode=send_frame:parity={order}:deint=interlaced"
    )


def check_scan(
    frames_at: Callable[[int], Iterator[av.VideoFrame]],
    frame_count: int,
    runs: int = CHECK_RUNS,
    *,
    match: str | None = None,
) -> ScanCheck:
    """`idet`'s judgement of up to CHECK_FRAMES frames from each of `runs` places in the
    film (evenly spread: for 3, a quarter, a half and three quarters in; for 1, the middle);
    `frames_at(i)` decodes from frame i on. `match` ("tff"/"bff"): field matching is tried
    on the same frames in that field order too, where the pictures' format allows it.

    Which frames, and the judging, depend only on the film: the same film is judged the
    same in every process (a resumed job, a cluster worker)."""
    counts = {"tff": 0, "bff": 0, "progressive": 0, "undetermined": 0}
    matched = {"match_tried": 0, "rebuilt": 0, "left_combed": 0}
    pending: deque[bytes | None] = deque()  # luma pushed to the matcher; None: not counted
    steps: list[float] = []

    def judge(outs: list[av.VideoFrame]) -> None:
        for out in outs:
            verdict = out.metadata.get("lavfi.idet.single.current_frame", "undetermined")
            counts[verdict if verdict in counts else "undetermined"] += 1

    def compare(outs: list[av.VideoFrame]) -> None:
        for out in outs:
            luma = pending.popleft()
            if luma is not None:
                matched["match_tried"] += 1
                matched["rebuilt"] += bytes(out.planes[0]) != luma
                matched["left_combed"] += bool(out.interlaced_frame)

    length = min(CHECK_FRAMES, frame_count)
    starts = sorted({
        min(max(0, frame_count * k // (runs + 1) - length // 2), frame_count - length)
        for k in range(1, runs + 1)
    })  # fmt: skip
    stop_at = 0
    for start in starts:
        if start < stop_at:
            continue  # a short film: the runs would overlap
        stop_at = start + length
        graph: Any = None
        matcher: Any = None
        previous: np.ndarray | None = None
        if steps:
            steps.append(float("nan"))
        frames = frames_at(start)
        try:
            for taken, frame in enumerate(frames, 1):
                small = small_luma(frame)
                if previous is not None and small.shape == previous.shape:
                    steps.append(float(np.abs(small - previous).mean()))
                previous = small
                if graph is None:
                    graph = _graph(frame, [("idet", "")])
                    if (
                        match
                        and frame.format.name in MATCHABLE_FORMATS
                        and min(_shape(frame)[:2]) >= 4
                    ):
                        matcher = _graph(frame, [("fieldmatch", f"order={match}:combmatch=full")])
                graph.push(frame)
                judge(_pull(graph))
                if matcher is not None:
                    # A run's first frame has no frame before it to match: not counted.
                    pending.append(bytes(frame.planes[0]) if taken > 1 else None)
                    matcher.push(frame)
                    compare(_pull(matcher))
                if taken >= length:
                    break
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()
        if graph is not None:
            graph.push(None)
            judge(_pull(graph))
        if matcher is not None:
            pending[-1] = None  # nor its last, no frame after it
            matcher.push(None)
            compare(_pull(matcher))
    return ScanCheck(**counts, **matched, steps=tuple(steps))


def filter_args(
    mode: str,
    *,
    says_interlaced: bool,
    field_order: str | None,
    frames_flagged: bool,
    check: ScanCheck | None = None,
) -> str | None:
    """The filters for a video stream in `mode` (bwdif's options, or field matching's
    chain: `matching_args`), or None to leave its frames alone.

    `says_interlaced`: the stream or its frames say so; `frames_flagged`: the decoder
    marks each frame (then "auto" deinterlaces the frames marked, as MPEG-2 and H.264
    streams that mix progressive and interlaced pictures need); `check`: what the
    pictures themselves look like (`check_scan`), which "auto" believes over the file:
    a telecined film is field matched, progressive pictures are left alone, interlaced
    ones deinterlaced whatever it says, in the field order they show."""
    check_mode(mode)
    if mode == "off":
        return None
    if mode in ("tff", "bff"):
        return f"mode=send_frame:parity={mode}:deint=all"
    if mode == "telecine":
        return matching_args(_seen_order(check) or FIELD_ORDERS.get(field_order or "") or "tff")
    if check is not None and check.telecined:
        return matching_args(check.parity)
    if check is not None and check.looks_progressive:
        return None
    if not says_interlaced:
        if check is not None and check.looks_interlaced:
            return f"mode=send_frame:parity={check.parity}:deint=all"
        return None
    # Which frames: each by its own flag where the decoder sets them (streams that mix
    # progressive and interlaced pictures), else all. Which field first: what the
    # pictures show where they are clear about it, since a field order flagged wrong
    # (captures and re-wraps do it) would build each frame on its later field and move
    # things back and forth; else what the file says; else each frame's own flag.
    deint = "interlaced" if frames_flagged else "all"
    parity = _seen_order(check) or FIELD_ORDERS.get(field_order or "") or "auto"
    return f"mode=send_frame:parity={parity}:deint={deint}"


def _seen_order(check: ScanCheck | None) -> str | None:
    """bwdif's name for the field order the pictures show, where they are clear about it."""
    if check is not None and check.looks_interlaced and check.order_is_clear:
        return check.parity
    return None


def describe(
    args: str | None,
    *,
    says_interlaced: bool,
    field_order: str | None,
    check: ScanCheck | None = None,
) -> str:
    """A line for people: what is done to the frames, and why where the file and its
    pictures disagree."""
    if args is None:
        if says_interlaced and check is not None and check.looks_progressive:
            return f"not deinterlaced: the pictures are progressive ({check.describe()})"
        return "not deinterlaced"
    if args.startswith("fieldmatch="):
        order = "top field first" if "order=tff" in args else "bottom field first"
        said = f"field matched (inverse telecine, {order})"
        if check is not None and check.telecined:
            return f"{said}: its pictures are a film telecined to video ({check.describe_match()})"
        return said
    if "parity=tff" in args:
        order = "top field first"
    elif "parity=bff" in args:
        order = "bottom field first"
    else:
        order = field_order if field_order in FIELD_ORDERS else "field order from each frame"
    if not says_interlaced and check is not None and check.looks_interlaced:
        return (
            f"deinterlaced (bwdif, {order}): the file does not say it is interlaced, "
            f"its pictures are ({check.describe()})"
        )
    stated = FIELD_ORDERS.get(field_order or "")
    seen = _seen_order(check)
    if check is not None and seen is not None and seen != stated:
        says = f"the file says {field_order}" if stated else "the file does not say which field"
        return (
            f"deinterlaced (bwdif, {order}): {says}, its pictures show {order} "
            f"(of {check.checked} frames checked, {check.tff} top field first, "
            f"{check.bff} bottom field first)"
        )
    return f"deinterlaced (bwdif, {order})"


def _graph(frame: av.VideoFrame, chain: list[tuple[str, str]]) -> Any:
    """buffer -> each (name, options) of `chain` in turn -> buffersink, for pictures like
    `frame`."""
    graph = av.filter.Graph()
    node = graph.add_buffer(
        width=frame.width,
        height=frame.height,
        format=frame.format.name,
        time_base=frame.time_base or "1/90000",
    )
    for name, args in chain:
        step = graph.add(name, args) if args else graph.add(name)
        node.link_to(step)
        node = step
    node.link_to(graph.add("buffersink"))
    graph.configure()
    return graph


def _pull(graph: Any) -> list[av.VideoFrame]:
    """What the graph has ready."""
    out = []
    while True:
        try:
            out.append(graph.pull())
        except (av.error.BlockingIOError, av.error.EOFError):
            return out


class _Filters:
    """One filter graph, for pictures of one size and format."""

    def __init__(self, args: str, frame: av.VideoFrame) -> None:
        self.graph = _graph(frame, _chain(args))
        self.shape = _shape(frame)

    def push(self, frame: av.VideoFrame | None) -> list[av.VideoFrame]:
        """Put `frame` in (None: the end) and take out what the filter has ready."""
        self.graph.push(frame)
        return _pull(self.graph)


def _shape(frame: av.VideoFrame) -> tuple[int, int, str]:
    return frame.width, frame.height, frame.format.name


def deinterlaced(
    frames: Iterator[tuple[int, av.VideoFrame]], args: str
) -> Iterator[tuple[int, av.VideoFrame]]:
    """`frames` (index, decoded frame) with each picture deinterlaced or field matched by
    the filters `args` (`filter_args`).

    Frame i comes out once frame i + `lead(args)` has gone in (or the input has ended).
    Frames too small for the filters (under 4 lines or columns) pass unchanged."""
    pending: deque[tuple[int, av.VideoFrame]] = deque()  # in, not yet out: (index, frame)
    filt: _Filters | None = None

    def flush() -> Iterator[tuple[int, av.VideoFrame]]:
        assert filt is not None
        for out in filt.push(None):
            i, original = pending.popleft()
            yield i, _with_props(out, original)

    try:
        for i, frame in frames:
            if frame.width < 4 or frame.height < 4:
                if filt is not None:
                    yield from flush()
                    filt = None
                yield i, frame
                continue
            if filt is not None and filt.shape != _shape(frame):
                yield from flush()  # a new picture size mid-stream: a new graph
                filt = None
            if filt is None:
                filt = _Filters(args, frame)
            pending.append((i, frame))
            for out in filt.push(frame):
                j, original = pending.popleft()
                yield j, _with_props(out, original)
        if filt is not None:
            yield from flush()
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()


def _with_props(out: av.VideoFrame, original: av.VideoFrame) -> av.VideoFrame:
    """The filtered picture with the decoded frame's timing (the filter re-times its output)."""
    out.pts = original.pts
    out.time_base = original.time_base
    return out


__all__ = [
    "DEINTERLACE_MODES",
    "MATCHABLE_FORMATS",
    "ScanCheck",
    "check_mode",
    "check_scan",
    "deinterlaced",
    "describe",
    "field_order_name",
    "filter_args",
    "lead",
    "matchable",
    "matching_args",
]
