"""A film read again with another count of frames (a folder's gaps held or closed up, a
transfer's repeats left out or kept: Restore panel ▸ Gaps, Restore panel ▸ Fields): where each
frame of the film as read before lies now, so its shots, picks and hints stay on the same pictures.

Gaps are mapped exactly, from the engine's `held_frames` of either reading (each file keeps
its picture; a frame that showed a held copy goes to the file it copied). Other changes of
count (repeats left out in a cycle) are mapped in proportion: within a frame of the picture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Runs = Sequence[Sequence[int]]
T = TypeVar("T")


def _runs(info: dict[str, Any]) -> list[tuple[int, int]]:
    return sorted((int(a), int(b)) for a, b in info.get("held_frames") or [])


def _to_file(i: int, held: list[tuple[int, int]]) -> int:
    """The file (its place among the folder's files) frame `i` shows: a held frame shows the
    file before its gap."""
    before = 0
    for a, b in held:
        if i < a:
            break
        if i <= b:
            return a - 1 - before
        before += b - a + 1
    return i - before


def _of_file(k: int, held: list[tuple[int, int]]) -> int:
    """The frame that shows file `k` itself (not a held copy)."""
    i = k
    for a, b in held:
        if a > i:
            break
        i += b - a + 1
    return i


def frame_map(before: dict[str, Any], after: dict[str, Any]) -> Callable[[int], int]:
    """Frame i of the film as `before` (the engine's facts) read it -> the frame of the film
    as `after` reads it that shows the same picture (or the nearest)."""
    old = max(int(before.get("frame_count") or 0), 1)
    new = max(int(after.get("frame_count") or 0), 1)
    gaps = after.get("kind") == "frames" and bool(after.get("missing_numbers"))
    if gaps and before.get("missing_numbers") == after.get("missing_numbers"):
        was, now = _runs(before), _runs(after)
        return lambda i: min(max(_of_file(_to_file(i, was), now), 0), new - 1)
    return lambda i: min(max(round(i * new / old), 0), new - 1)


def refit_shots(
    shots: list[dict[str, Any]], to_now: Callable[[int], int], count: int
) -> list[dict[str, Any]]:
    """`shots` (start, end, key_frame) on the film read again (`count` frames): each start
    mapped, a shot whose start falls on an earlier one's left out (its frames join that
    one), each ending where the next begins, the last at `count`, each key frame inside."""
    starts: list[tuple[int, dict[str, Any]]] = []
    for shot in sorted(shots, key=lambda s: int(s["start"])):
        start = 0 if not starts else to_now(int(shot["start"]))
        if starts and start <= starts[-1][0]:
            continue
        starts.append((start, shot))
    out = []
    for n, (start, shot) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else count
        key = to_now(int(shot.get("key_frame", shot["start"])))
        out.append({**shot, "start": start, "end": end, "key_frame": min(max(key, start), end - 1)})
    return out


def refit_picks(
    picks: dict[int, T], to_now: Callable[[int], int], starts: set[int]
) -> dict[int, T]:
    """Picks by their shot's first frame, moved as `to_now` says, for the shots that begin
    at `starts` now. Where two shots came to one (the later's start fell on the earlier),
    the earlier shot's pick stays, as its shot did."""
    out: dict[int, T] = {}
    for start, pick in sorted(picks.items(), key=lambda item: item[0]):
        now = to_now(start)
        if now in starts:
            out.setdefault(now, pick)
    return out
