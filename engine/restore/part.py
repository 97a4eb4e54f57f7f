"""A part of a film (`--from` / `--to`, a part marked in the app) as frames."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from panchro.engine.errors import BadInputError

if TYPE_CHECKING:
    from panchro.engine.media import Source


def part_of(
    src: Source, start_s: float | None, end_s: float | None, *, what: str = "the part starts"
) -> tuple[int, int]:
    """Frames [first, stop) of `src` shown from `start_s` until `end_s` seconds (its clock,
    as `Source.index_at`): from the frame on screen at `start_s` to the last that starts
    before `end_s`. None: the film's start, or its end. `what` names `start_s` in the
    refusal of one past the end ("the frame asked is": a single frame is no part)."""
    n, tb = src.info.frame_count, src.info.time_base
    if start_s is not None:
        fps = float(src.info.fps) or 24.0
        ends = float(src.pts_of(n - 1) * tb) + 1 / fps
        if start_s >= ends:
            raise BadInputError(
                f"{what} at {start_s:g} s, where the film has ended (it ends at {ends:.3f} s)"
            )
    first = 0 if start_s is None else src.index_at(start_s)
    if end_s is None:
        return first, n
    if start_s is not None and end_s <= start_s:
        raise BadInputError(f"the part must end after it starts ({start_s} s to {end_s} s)")
    begins = src.pts_of(first) * tb
    if begins >= Fraction(end_s).limit_denominator(10**9):  # the film's first frame, --to 0
        raise BadInputError(
            f"the part ends at {end_s:g} s: no frame of the film starts before it (its first"
            f" starts at {float(begins):.3f} s)"
        )
    stop = src.index_at(end_s) + 1
    if stop - 1 > first and src.pts_of(stop - 1) * tb >= Fraction(end_s).limit_denominator(10**9):
        stop -= 1  # that frame starts at end_s: after the part
    return first, max(stop, first + 1)


def check_span(span: tuple[int, int], frames: int) -> tuple[int, int]:
    first, stop = (int(v) for v in span)
    if not 0 <= first < stop <= frames:
        raise BadInputError(
            f"frames {first}..{stop - 1} are not a part of the film's {frames} frames "
            f"(0..{frames - 1})"
        )
    return first, stop
