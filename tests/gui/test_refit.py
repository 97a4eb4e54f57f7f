"""A film read again with another count of frames keeps its shots on the same pictures."""

from __future__ import annotations

from panchro.gui.refit import frame_map, refit_picks, refit_shots

# f1 f2 f3 . . f6 f7 f8 . f10: numbers 4-5 and 9 missing
MISSING = [[4, 5], [9, 9]]
HELD = {"kind": "frames", "frame_count": 10, "missing_numbers": MISSING,
        "held_frames": [[3, 4], [8, 8]]}  # fmt: skip
CLOSED = {"kind": "frames", "frame_count": 7, "missing_numbers": MISSING, "held_frames": []}
# The picture (file number) each frame shows, read either way.
HELD_SHOWS = [1, 2, 3, 3, 3, 6, 7, 8, 8, 10]
CLOSED_SHOWS = [1, 2, 3, 6, 7, 8, 10]


def test_gaps_map_each_frame_to_its_own_picture() -> None:
    to_closed = frame_map(HELD, CLOSED)
    assert [CLOSED_SHOWS[to_closed(i)] for i in range(10)] == HELD_SHOWS
    to_held = frame_map(CLOSED, HELD)
    assert [HELD_SHOWS[to_held(i)] for i in range(7)] == CLOSED_SHOWS
    assert [to_held(i) for i in range(7)] == [0, 1, 2, 5, 6, 7, 9]  # each file itself
    assert to_held(to_closed(9)) == 9 and to_closed(to_held(3)) == 3


def test_another_count_maps_in_proportion() -> None:
    five = {"kind": "video", "frame_count": 100}
    four = {"kind": "video", "frame_count": 80}
    to_four = frame_map(five, four)
    assert [to_four(i) for i in (0, 5, 50, 99)] == [0, 4, 40, 79]


def test_shots_keep_their_pictures_and_cover_the_film() -> None:
    shots = [
        {"start": 0, "end": 3, "key_frame": 1},
        {"start": 3, "end": 4, "key_frame": 3},  # starts on a held copy of f3 ...
        {"start": 4, "end": 5, "key_frame": 4},  # ... and so does this one
        {"start": 5, "end": 10, "key_frame": 7},
    ]
    now = refit_shots(shots, frame_map(HELD, CLOSED), 7)
    # The second starts on f3 itself now; the third would too, and joins it.
    assert [(s["start"], s["end"], s["key_frame"]) for s in now] == [
        (0, 2, 1), (2, 3, 2), (3, 7, 5)
    ]  # fmt: skip
    back = refit_shots(now, frame_map(CLOSED, HELD), 10)
    assert [(s["start"], s["end"], s["key_frame"]) for s in back] == [
        (0, 2, 1), (2, 5, 2), (5, 10, 7)
    ]  # fmt: skip


def test_picks_follow_their_shots_and_the_earlier_one_stays_where_two_join() -> None:
    to_closed = frame_map(HELD, CLOSED)
    starts = {0, 2, 3}  # the shots above, closed up: the held 3 and 4 both came to 2
    picks = {5: "third", 3: "second", 4: "joined", 0: "first"}  # in no order
    assert refit_picks(picks, to_closed, starts) == {0: "first", 2: "second", 3: "third"}
    assert refit_picks({7: "x"}, to_closed, {0}) == {}  # its shot is gone
