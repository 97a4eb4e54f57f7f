"""Text the window shows, from the engine's numbers (pure functions, no engine)."""

from __future__ import annotations

import pytest

from panchro.gui import timecode as tc
from panchro.gui.engine_process import describe_device
from panchro.gui.facts import describe_film, describe_models, numbering_warning, truncation_warning


@pytest.mark.parametrize(
    ("seconds", "fps", "expected"),
    [
        (0.0, 24.0, "00:00:00:00"),
        (25 / 24, 24.0, "00:00:01:01"),
        (1.0416, 24.0, "00:00:01:01"),  # a rounded PTS still names its own frame
        (3661.48, 25.0, "01:01:01:12"),
        (24 * 1001 / 24000, 24000 / 1001, "00:00:01:00"),  # 23.976: frame 24 is 1 s in
        (23 * 1001 / 24000, 24000 / 1001, "00:00:00:23"),
        (-1.0, 24.0, "00:00:00:00"),
    ],
)
def test_timecode(seconds: float, fps: float, expected: str) -> None:
    assert tc.timecode(seconds, fps) == expected


def test_a_films_own_timecode_labels_its_frames() -> None:
    assert tc.timecode(1.0, 25.0, "10:00:00:00") == "10:00:01:00"
    assert tc.timecode(2.0, 25.0, "09:59:59:20") == "10:00:01:20"
    # 29.97 drop frame: a minute on, labels ;00 and ;01 are skipped
    assert tc.timecode(2 * 1001 / 30000, 30000 / 1001, "00:00:59;28") == "00:01:00;02"
    assert tc.timecode(1.0, 25.0, "not a label") == "00:00:01:00"  # as if it had none
    assert tc.timecode(1.0, 25.0, None) == "00:00:01:00"


def test_rates_and_durations() -> None:
    assert tc.to_float("24000/1001") == pytest.approx(23.976, abs=1e-3)
    assert tc.to_float({"num": 30, "den": 1}) == 30.0
    assert tc.to_float("fast") is None and tc.to_float(True) is None
    assert tc.frame_rate("24000/1001", is_vfr=True) == "23.976 fps (variable)"
    assert tc.frame_rate(25.0) == "25 fps"
    assert tc.duration(3.5) == "3.50 s"
    assert tc.duration(125.25) == "2:05.2"
    assert tc.duration(3725) == "1:02:05.0"


def test_describe_film_lists_streams_and_tags() -> None:
    rows = describe_film(
        {
            "path": "/films/old reel.mkv",
            "kind": "video",
            "container": "matroska",
            "width": 720,
            "height": 576,
            "sample_aspect_ratio": "16/15",
            "fps": 25.0,
            "frame_count": 1500,
            "duration_s": 60.0,
            "codec": "ffv1",
            "pix_fmt": "gray16le",
            "bit_depth": 16,
            "color_matrix": "bt601",
            "audio": [{"codec": "pcm_s16le", "channels": 2, "sample_rate": 48000}],
            "subtitles": [{"codec": "subrip", "language": "fra"}],
        }
    )
    assert rows["file"] == "old reel.mkv"
    assert rows["kind"] == "video (matroska)"
    assert rows["size"] == "720 × 576, pixel aspect 16/15"
    assert rows["frames"] == "1,500"
    assert rows["duration"] == "1:00.0"
    assert rows["codec"] == "ffv1, gray16le, 16 bit"
    assert rows["colour"] == "matrix bt601"
    assert rows["audio"] == "pcm_s16le, 2 ch, 48 kHz"
    assert rows["subtitles"] == "subrip, fra"


def test_an_interlaced_film_says_so_and_whether_it_is_deinterlaced() -> None:
    film = {"path": "/films/tape.mp4", "codec": "h264", "pix_fmt": "yuv420p", "bit_depth": 8}
    assert describe_film({**film, "field_order": "progressive"})["codec"] == "h264, yuv420p, 8 bit"
    rows = describe_film(
        {**film, "interlaced": True, "field_order": "bottom field first",
         "deinterlace": "deinterlaced (bwdif, bottom field first)"}
    )  # fmt: skip
    assert rows["codec"] == (
        "h264, yuv420p, 8 bit; interlaced, bottom field first — deinterlaced as it is read (bwdif)"
    )
    rows = describe_film({**film, "interlaced": True, "deinterlace": "not deinterlaced"})
    assert rows["codec"] == "h264, yuv420p, 8 bit; interlaced — not deinterlaced"
    said = "not deinterlaced: the pictures are progressive (of 48 frames checked, 48 ...)"
    rows = describe_film(
        {**film, "interlaced": True, "field_order": "top field first", "deinterlace": said}
    )
    assert rows["codec"] == (
        "h264, yuv420p, 8 bit; flagged interlaced, top field first, but the pictures are"
        " progressive — read as they are"
    )
    asked = "field matched (inverse telecine, top field first)"
    rows = describe_film({**film, "interlaced": True, "deinterlace": asked})
    assert rows["codec"].endswith(
        "interlaced — field matched as it is read (Restore panel ▸ Fields)"
    )
    said = asked + ": its pictures are a film telecined to video (of 42 frames checked, ...)"
    rows = describe_film(
        {**film, "interlaced": True, "field_order": "progressive", "deinterlace": said}
    )
    assert rows["codec"] == (
        "h264, yuv420p, 8 bit; interlaced — a film telecined to video: field matched as it is read"
    )
    said = said.replace("top field first)", "top field first; decimated to 23.976 fps)")
    rows = describe_film({**film, "interlaced": True, "deinterlace": said})
    assert rows["codec"] == (
        "h264, yuv420p, 8 bit; interlaced — a film telecined to video: field matched, the "
        "tape's repeats left out, as it is read"
    )


def test_repeated_frames_left_out_are_said() -> None:
    said = "repeated frames left out (one in 5: 19.200 fps)"
    rows = describe_film({"path": "/films/reel.mp4", "codec": "h264", "deinterlace": said})
    assert rows["codec"] == "h264; one frame in 5 was a repeat — left out as it is read"


def test_a_folder_whose_numbering_skips_is_said() -> None:
    scan = {"path": "/scans/reel1", "kind": "frames", "frame_count": 1496}
    assert describe_film(scan)["frames"] == "1,496"
    gaps = {"missing_numbers": [[10, 10], [57, 59]]}
    held = {**gaps, "held_frames": [[9, 9], [56, 58]]}
    assert describe_film({**scan, **held})["frames"] == (
        "1,496 (4 frame numbers missing: 10, 57–59, held)"
    )
    rows = describe_film({**scan, **gaps})  # read with "keep"
    assert rows["frames"] == "1,496 (4 frame numbers missing: 10, 57–59, closed up)"
    some = {**gaps, "held_frames": [[9, 9]]}  # the gap too long to hold closed up
    assert describe_film({**scan, **some})["frames"] == (
        "1,496 (4 frame numbers missing: 10, 57–59)"
    )
    many = [[n, n] for n in range(10, 60, 10)]
    assert describe_film({**scan, "missing_numbers": many})["frames"] == (
        "1,496 (5 frame numbers missing: 10, 20, 30, …, closed up)"
    )
    assert numbering_warning(scan) == ""
    warning = numbering_warning({**scan, **held})
    assert warning.startswith("Frame numbers 10, 57–59 are missing from this folder's numbering")
    assert "(4 in all)" in warning and "shown again in each missing frame's place" in warning
    assert "(frames 10, 57–59 of the film)" in warning  # counted from 1, as the player does
    assert "Restore panel ▸ Gaps closes them up" in warning
    one = numbering_warning({**scan, "missing_numbers": [[7, 7]], "held_frames": [[6, 6]]})
    assert "Frame number 7 is missing" in one and "shown again in its place (frame 7 of" in one
    closed = numbering_warning({**scan, **gaps})
    assert "shorter" in closed and "Restore panel ▸ Gaps holds the frame before" in closed
    assert "1 is held by the frame before" in numbering_warning({**scan, **some})


def test_a_log_scan_is_said() -> None:
    from panchro.gui.facts import log_warning

    scan = {"path": "/scans/reel1", "kind": "frames", "color_matrix": "rgb"}
    assert describe_film(scan)["colour"] == "matrix rgb" and log_warning(scan) == ""
    coding = "printing density, reference black 95 and white 685 of 1023"
    coded = {**scan, "log_scan": coding}
    assert describe_film(coded)["colour"] == f"matrix rgb; a log scan ({coding}), read as coded"
    assert log_warning(coded).startswith(f"This scan is coded in log ({coding}) and read as")
    assert "Restore panel ▸ Scan ▸ Automatic" in log_warning(coded)
    seen = {**coded, "scan": "a log scan brought to video levels"}
    assert describe_film(seen)["colour"] == (
        f"matrix rgb; a log scan ({coding}), brought to video levels as it is read"
    )
    assert "Panchro brings it to video levels as it reads it" in log_warning(seen)
    both = {**coded, "scan": "a log scan brought to video levels, then a negative turned positive"}
    assert describe_film(both)["colour"].endswith(
        "brought to video levels as it is read, then a negative turned positive"
    )
    negative = {**scan, "scan": "a negative turned positive"}
    assert describe_film(negative)["colour"] == (
        "matrix rgb; a negative turned positive as it is read"
    )


def test_a_dpx_scan_shown_at_its_own_rate_says_so() -> None:
    scan = {"path": "/scans/reel1", "kind": "frames", "fps": "18/1", "fps_float": 18.0}
    assert describe_film(scan)["rate"] == "18 fps"
    assert describe_film({**scan, "rate_from_files": True})["rate"] == (
        "18 fps (as the DPX files say)"
    )


def test_a_films_timecode_is_said_with_its_duration() -> None:
    film = {"path": "/films/reel.mov", "duration_s": 2.0}
    assert describe_film(film)["duration"] == "2.00 s"
    assert describe_film({**film, "timecode": "10:00:00;00"})["duration"] == (
        "2.00 s, timecode from 10:00:00;00"
    )


def test_a_file_cut_short_is_said_with_both_counts() -> None:
    cut = {"path": "/films/reel.mp4", "frame_count": 40, "truncated": True}
    rows = describe_film({**cut, "expected_frames": 132})
    assert rows["frames"] == "40 of 132 (the file is cut short)"
    warning = truncation_warning({**cut, "expected_frames": 132})
    assert warning.startswith("This file is cut short: 40 of 132 frames can be read")
    assert "reel.mp4" in warning and "40 frames" in warning.split(". ", 1)[1]
    # The header does not say how many there were: the count that can be read, and that.
    assert describe_film({**cut, "expected_frames": None})["frames"] == "40 (the file is cut short)"
    warning = truncation_warning({**cut, "expected_frames": None})
    assert warning.startswith("This file is cut short: only 40 frames can be read")
    # A whole file: no warning, the plain count.
    whole = {"path": "/films/reel.mp4", "frame_count": 132, "truncated": False}
    assert truncation_warning({**whole, "expected_frames": None}) == ""
    assert truncation_warning({"frame_count": 132}) == ""  # an engine before `truncated`
    assert describe_film(whole)["frames"] == "132"


def test_describe_models_and_device() -> None:
    text, tip = describe_models(
        {"colorizer": {"status": "missing"}, "refiner": {"status": "untrained"}}
    )
    assert text == "Models: none ready (1 missing, 1 untrained)"
    assert tip == "colorizer: missing\nrefiner: untrained"
    assert describe_models({"colorizer": {"status": "ready"}})[0] == "Models: all ready"
    assert describe_device({"type": "cpu", "name": "AMD EPYC"}) == "CPU"
    assert describe_device({"type": "cuda", "name": "NVIDIA H100"}) == "GPU: NVIDIA H100"


def test_the_album_panel_counts_fit_what_is_open() -> None:
    from panchro.gui.album import album_words

    assert album_words(1, 1, 0, "a.png", single=True) == "One picture\nPicked"
    assert "It cannot be read" in album_words(1, 0, 1, "a.png", single=True)
    assert "grid" not in album_words(1, 0, 1, "a.png", single=True)
    assert album_words(5, 5, 0, "trip", single=False) == "5 pictures from trip\nAll 5 picked"
    assert "2 picked; the others get automatic colours (or their hints')" in album_words(
        5, 2, 0, "trip", single=False
    )
    said = album_words(3, 0, 1, "trip", single=False, reason="--stills given")
    assert said.endswith(
        "1 cannot be read (marked in the grid)\nPhotos, not a film's frames: opened as an album"
    )


def test_counts_and_colours_are_said_in_words() -> None:
    from panchro.gui.hints import colour_name
    from panchro.gui.words import colour_words, counted

    assert (counted(1, "hint"), counted(3, "hint"), counted(0, "shot")) == (
        "1 hint", "3 hints", "0 shots")  # fmt: skip
    assert counted(2, "following shot") == "2 following shots"
    named = {rgb: colour_words(rgb) for rgb in [(30, 60, 200), (200, 40, 40), (128, 128, 128),
             (250, 250, 250), (20, 20, 20), (60, 150, 60), (30, 50, 120), (160, 112, 64),
             (255, 180, 190), (120, 80, 200)]}  # fmt: skip
    assert list(named.values()) == ["blue", "red", "grey", "white", "black", "green",
                                    "dark blue", "brown", "pink", "violet"]  # fmt: skip
    assert colour_name((30, 50, 120)) == "dark blue (#1e3278)"


def test_a_picked_pictures_band_says_where_its_colours_come_from() -> None:
    from types import SimpleNamespace

    from panchro.gui.album import pick_band

    assert pick_band(SimpleNamespace(source="own", n=0)) == "✓ own colours"
    assert pick_band(SimpleNamespace(source="carried", n=0)) == "✓ carried"
    assert pick_band(SimpleNamespace(source="user", n=2)) == "✓ mode 3"
