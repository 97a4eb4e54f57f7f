"""Films telecined to video (engine/media/deinterlace.py): found by field matching on the
pictures, rebuilt whole rather than deinterlaced, the same frame however it is reached.

The films are made here (`make_telecined_video`): a textured picture panning 5 px a film
frame, spread over fields by 3:2 pulldown (NTSC) or by PAL 2:2 with the fields a step out
of phase, so the film's own pictures are known.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.errors import BadInputError
from panchro.engine.media import deinterlace as _deint
from tests.makemedia import (
    combing,
    judged,
    make_interlaced_video,
    make_telecined_video,
    with_broken_frame,
)


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[np.ndarray]]]:
    folder = tmp_path_factory.mktemp("telecine")
    made = {}
    for name, pulldown, flagged in (
        ("ntsc", "3:2", False),  # 34 pictures: 8 cycles of five frames, two frames more
        ("ntsc_flagged", "3:2", True),
        ("pal_phase", "phase", False),
    ):
        path = folder / f"{name}.mp4"
        pictures = 34 if name == "ntsc" else 32
        made[name] = (
            path,
            make_telecined_video(path, pictures=pictures, pulldown=pulldown, flagged=flagged),
        )
    return made


def _luma(path: Path, mode: str) -> list[np.ndarray]:
    with media.open_source(path, deinterlace=mode) as src:
        return [f.image for f in src.frames(fmt="gray")]


def _nearest_picture(frame: np.ndarray, film: list[np.ndarray]) -> float:
    """Mean absolute difference to the film picture it is closest to, in grey levels
    (below the still band)."""
    cut = film[0].shape[0] // 6
    y = frame[cut:].astype(np.float64)
    return min(float(np.abs(y - p[cut:]).mean()) for p in film)


@pytest.mark.parametrize("name", ["ntsc", "ntsc_flagged", "pal_phase"])
def test_a_telecined_film_is_found_and_field_matched(
    films: dict[str, tuple[Path, list[np.ndarray]]], name: str
) -> None:
    path, _ = films[name]
    info = media.probe(path)
    order = "bottom" if name == "pal_phase" else "top"  # the earlier field is the bottom one
    decimated = "" if name == "pal_phase" else "; decimated to 23.976 fps"
    assert info.deinterlace.startswith(
        f"field matched (inverse telecine, {order} field first{decimated}): its pictures are "
        "a film telecined to video (of "
    ), info.deinterlace
    assert info.interlaced
    with media.open_source(path) as src:
        assert src.deinterlace_args == _deint.matching_args(order[0] + "ff")


@pytest.mark.parametrize("name", ["ntsc", "pal_phase"])
def test_field_matching_gives_back_the_films_pictures_where_deinterlacing_halves_them(
    films: dict[str, tuple[Path, list[np.ndarray]]], name: str
) -> None:
    path, film = films[name]
    matched = _luma(path, "auto")
    woven = _luma(path, "off")
    bwdif = _luma(path, "tff" if name == "ntsc" else "bff")
    if name == "ntsc":
        # Field matched and decimated: the film's own pictures, in order, one a frame, to
        # the codec's noise (H.264 at crf 8), the short cycle at the end kept whole.
        assert len(woven) == 42 and len(matched) == len(film) == 34
        errors = [_difference(y, p) for y, p in zip(matched, film, strict=True)]
    else:
        # Out of phase, the frames stay as they are, each a picture, but the first: its
        # earlier field has no partner on the tape, so it is deinterlaced.
        assert len(matched) == len(woven)
        errors = [_nearest_picture(y, film) for y in matched[1:]]
    assert max(errors) < 1.5, errors
    # ...where the woven frames that mix two pictures, and bwdif's guesses at the missing
    # lines, are far from any picture.
    combed = [i for i, y in enumerate(woven) if _nearest_picture(y, film) > 5]
    assert len(combed) >= len(woven) * (0.35 if name == "ntsc" else 0.9)
    guessed = np.mean([_nearest_picture(bwdif[i], film) for i in combed])
    assert guessed > 3 and guessed > 3 * np.mean(errors)
    assert np.mean([combing(y) for y in matched]) < 0.6 * np.mean(
        [combing(woven[i]) for i in combed]
    )


def _difference(y: np.ndarray, picture: np.ndarray) -> float:
    cut = picture.shape[0] // 6
    return float(np.abs(y[cut:].astype(np.float64) - picture[cut:]).mean())


def test_a_telecined_ntsc_film_runs_at_its_own_rate_for_as_long(
    films: dict[str, tuple[Path, list[np.ndarray]]],
) -> None:
    path, _ = films["ntsc"]
    woven = media.probe(path, deinterlace="off")
    info = media.probe(path)
    assert "decimated to 23.976 fps" in info.deinterlace
    assert info.fps == Fraction(24000, 1001) and woven.fps == Fraction(30000, 1001)
    assert (info.frame_count, woven.frame_count) == (34, 42)
    assert info.duration_s == woven.duration_s
    with media.open_source(path) as src:
        assert src.decimated == (5,)
        times = [f.time_s for f in src.frames(fmt="gray", size=(16, 12))]
    steps = np.diff(times)
    assert np.allclose(steps[:31], 1001 / 24000)  # the eight whole cycles: even steps
    assert np.allclose(steps[32:], 1001 / 30000)  # the two frames after them keep theirs
    assert media.probe(films["pal_phase"][0]).fps == 25  # a PAL transfer repeats nothing


def test_interlaced_video_and_progressive_film_are_not_taken_for_telecine(tmp_path: Path) -> None:
    """Video shot as fields has no field to match: deinterlaced as before. A progressive
    film needs no matching: read untouched."""
    shot = make_interlaced_video(tmp_path / "shot.mp4", frames=48, flagged=False)
    assert media.probe(shot).deinterlace.startswith("deinterlaced (bwdif, top field first)")
    check = judged(shot, match="tff")
    assert check.match_tried > 0 and not check.telecined
    assert check.rebuilt * 4 <= check.left_combed
    from panchro.engine import paths

    assert media.probe(paths.sample_film()).deinterlace == "not deinterlaced"
    progressive = judged(paths.sample_film(), match="tff")
    assert progressive.looks_progressive and not progressive.telecined
    assert progressive.match_tried > 0 and progressive.rebuilt == progressive.left_combed == 0


def test_telecine_can_be_asked_for_and_is_refused_where_it_cannot_be(
    films: dict[str, tuple[Path, list[np.ndarray]]], tmp_path: Path
) -> None:
    path, film = films["ntsc"]
    asked = media.probe(path, deinterlace="telecine")
    assert asked.deinterlace.startswith(
        "field matched (inverse telecine, top field first; decimated to 23.976 fps)"
    )
    pairs = zip(_luma(path, "telecine"), _luma(path, "auto"), strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)
    folder = tmp_path / "frames"
    folder.mkdir()
    from PIL import Image

    Image.fromarray(film[0]).save(folder / "f1.png")
    with pytest.raises(BadInputError, match="holds pictures, not interlaced video"):
        media.open_source(folder, deinterlace="telecine")
    deep = tmp_path / "deep.mkv"
    out = av.open(str(deep), mode="w")
    vs = out.add_stream("ffv1", rate=25)
    vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p10le"
    for i in range(3):
        frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 40 * i, np.uint8), format="rgb24")
        frame.pts = i
        for packet in vs.encode(frame.reformat(format="yuv420p10le")):
            out.mux(packet)
    for packet in vs.encode(None):
        out.mux(packet)
    out.close()
    with pytest.raises(BadInputError, match="field matching .telecine. takes 8-bit YUV"):
        media.open_source(deep, deinterlace="telecine")
    assert media.probe(deep).deinterlace == "not deinterlaced"


def test_the_cli_says_it_and_takes_the_mode(
    films: dict[str, tuple[Path, list[np.ndarray]]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = films["ntsc"]
    assert main(["info", str(path)]) == 0
    scan = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("fields"))
    assert "field matched (inverse telecine, top field first; decimated to 23.976 fps)" in scan
    assert main(["info", str(path), "--deinterlace", "telecine"]) == 0
    assert "field matched" in capsys.readouterr().out


def test_eval_telecine_finds_the_telecines_and_not_the_video(tmp_path: Path) -> None:
    from panchro.engine.evaluate.telecine import eval_telecine
    from tests.makemedia import make_video

    clip = make_video(tmp_path / "clip.mp4", frames=48, size=(160, 120), audio=False)
    lines: list[str] = []
    row = eval_telecine([clip], pictures=48, width=160, out=lines.append)["clips"][0]
    assert (row["pulldown_said"], row["phase_said"]) == ("matched", "matched")
    assert (row["video_said"], row["clip_said"]) == ("bwdif", "as is")
    assert (row["repeat5_said"], row["repeat4_said"]) == ("repeats out", "repeats out")
    assert row["repeat5_auto_db"] > 45  # the pictures themselves, one for one
    for key in ("pulldown", "phase"):
        assert row[f"{key}_auto_db"] > row[f"{key}_bwdif_db"] + 2, row
        assert row[f"{key}_auto_db"] > row[f"{key}_off_db"] + 2, row
    assert "clip.mp4" in lines[2] and lines[-1].lstrip().startswith("mean")


def test_a_restore_field_matches_records_it_and_resumes_to_the_same_frames(
    films: dict[str, tuple[Path, list[np.ndarray]]], tmp_path: Path
) -> None:
    import json

    from panchro.engine.errors import CancelledError
    from panchro.engine.restore import pipeline
    from panchro.engine.restore.jobs import job_folder
    from tests.jobs import cancelled_at

    film, _ = films["ntsc"]
    whole = tmp_path / "whole.mkv"
    pipeline.restore(film, whole, codec="ffv1", chunk_seconds=100)
    assert all(
        np.array_equal(a, b) for a, b in zip(_luma(whole, "off"), _luma(film, "auto"), strict=True)
    )
    out = tmp_path / "cut.mkv"
    with pytest.raises(CancelledError):
        pipeline.restore(
            film, out, codec="ffv1", chunk_seconds=0.2, keep_job=True, progress=cancelled_at(15)
        )
    manifest = json.loads((job_folder(out) / "manifest.json").read_text())
    assert manifest["settings"]["deinterlace"] == _deint.matching_args("tff")
    assert manifest["settings"]["decimate"] == "1 in 5"
    starts = [c["start"] for c in manifest["chunks"] if c["status"] != "done"]
    assert starts and starts[0] > 1  # the rest starts inside: frames start-2, start-1 read
    summary = pipeline.restore(film, out, codec="ffv1", chunk_seconds=0.2)
    assert summary.resumed_frames > 0
    a, b = _luma(whole, "off"), _luma(out, "off")
    assert len(a) == len(b) == 34
    # Matroska's millisecond clock: the rate within a hair, the length within the last
    # frame's (shown for a 23.976 frame's time, the tape's for a 29.97 one's).
    written = media.probe(out)
    assert abs(written.fps - Fraction(24000, 1001)) < 0.2
    assert abs(written.duration_s - media.probe(film).duration_s) < 1001 / 24000
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_frame_that_does_not_decode_is_never_the_one_left_out(
    films: dict[str, tuple[Path, list[np.ndarray]]], tmp_path: Path
) -> None:
    """Decoded frame 36 (the second of cycle 7) is broken: the cycle leaves out another
    frame, and the restore fills frame 29, where 36 would be, and says so."""
    from panchro.engine.restore import pipeline

    film, _ = films["ntsc"]
    bad = with_broken_frame(film, 36, tmp_path / "bad.mp4")
    assert media.probe(bad).frame_count == 34  # still found and decimated
    out = tmp_path / "out.mkv"
    summary = pipeline.restore(bad, out, codec="ffv1", chunk_seconds=0.5)
    assert summary.frames == 34 and summary.damaged_frames == (29,)
    frames, whole = _luma(out, "off"), _luma(film, "auto")
    assert np.array_equal(frames[29], frames[28])
    assert all(np.array_equal(frames[j], whole[j]) for j in range(27))
