"""Interlaced films (engine/media/deinterlace.py): found, deinterlaced as they are read, the
same frame whichever way it is reached, and a restore job that records it.

The films are made here: a bar moving 6 px a field, woven into frames, so an interlaced
frame shows it twice, combed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.errors import BadInputError, CancelledError
from panchro.engine.media import deinterlace as _deint
from panchro.engine.restore import pipeline
from panchro.engine.restore.jobs import job_folder
from tests.jobs import cancelled_at
from tests.makemedia import combing, judged, make_frame_folder, make_interlaced_video, make_video


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("interlaced")
    return {
        "flagged": make_interlaced_video(folder / "flagged.mp4"),
        "unflagged": make_interlaced_video(folder / "unflagged.mp4", flagged=False),
        "progressive": make_video(folder / "progressive.mp4", frames=24, audio=False),
        "transfer": make_interlaced_video(folder / "transfer.mp4", frames=80, woven=False),
        "misflagged": make_interlaced_video(folder / "misflagged.mp4", flag_order="bff"),
    }


def _luma(path: Path, mode: str) -> list[np.ndarray]:
    with media.open_source(path, deinterlace=mode) as src:
        return [f.image for f in src.frames(fmt="gray")]


def _moving(frames: list[np.ndarray]) -> float:
    """Combing below the still band at the top, averaged over the frames."""
    return float(np.mean([combing(y[y.shape[0] // 4 :]) for y in frames]))


def test_an_interlaced_film_is_found_and_said(films: dict[str, Path]) -> None:
    info = media.probe(films["flagged"])
    assert info.interlaced and info.field_order == "top field first"
    assert info.deinterlace == "deinterlaced (bwdif, top field first)"
    assert media.probe(films["flagged"], deinterlace="off").deinterlace == "not deinterlaced"
    plain = media.probe(films["progressive"])
    assert not plain.interlaced and plain.field_order == "progressive"
    assert plain.deinterlace == "not deinterlaced"
    # The coded pictures carry no flag, the file says progressive; the pictures say more.
    hidden = media.probe(films["unflagged"])
    assert hidden.interlaced and hidden.field_order == "progressive"
    assert hidden.deinterlace.startswith(
        "deinterlaced (bwdif, top field first): the file does not say it is interlaced, "
        "its pictures are (of 16 frames checked, 0 progressive, "
    )
    assert media.probe(films["unflagged"], deinterlace="off").deinterlace == "not deinterlaced"
    assert info.to_dict()["field_order"] == "top field first"


def test_deinterlacing_removes_the_combing_and_keeps_the_still_parts(
    films: dict[str, Path],
) -> None:
    raw = _luma(films["flagged"], "off")
    done = _luma(films["flagged"], "auto")
    assert len(done) == len(raw) == 24
    assert _moving(raw) > 8 * _moving(done), (_moving(raw), _moving(done))
    # The still band above the bar is the same whole picture either way.
    band = slice(2, 120 // 4 - 6)  # bwdif reads up to 4 lines across the bar's edge
    for a, b in zip(raw, done, strict=True):
        assert np.abs(a[band].astype(int) - b[band].astype(int)).max() <= 1
    # Each frame shows one bar, where its first field (the top one) put it: built on the
    # later field, each frame would be half a frame late (bwdif's "auto" parity, which
    # reads the frames' flags, does that with these files; the pictures' order is used).
    for i in range(1, 12):  # before the bar wraps round to the left edge
        assert abs(_bar_centre(done[i]) - (12 * i + 7.5)) < 1, i


def test_a_film_that_does_not_say_is_deinterlaced_by_its_looks_or_when_asked(
    films: dict[str, Path],
) -> None:
    """A capture re-encoded as progressive video keeps its comb, and its file says
    progressive: idet finds the two instants in each frame and auto deinterlaces it."""
    off = _luma(films["unflagged"], "off")
    tff = _luma(films["unflagged"], "tff")
    assert _moving(off) > 8 * _moving(tff)
    auto = _luma(films["unflagged"], "auto")
    assert all(np.array_equal(a, b) for a, b in zip(auto, tff, strict=True))
    # The wrong field order interpolates the other field: it moves the bar a field back
    # and forth, which combing does not see; it is the person's call, and it is made.
    assert not np.array_equal(np.stack(tff), np.stack(_luma(films["unflagged"], "bff")))


def test_progressive_pictures_in_an_interlaced_stream_are_left_alone(
    films: dict[str, Path],
) -> None:
    """A film transferred to PAL/NTSC video is often coded as interlaced with both fields
    of each frame from one instant: idet judges the pictures, and auto believes it."""
    info = media.probe(films["transfer"])
    assert info.interlaced and info.field_order == "top field first"
    assert info.deinterlace.startswith("not deinterlaced: the pictures are progressive")
    assert "of 48 frames checked, " in info.deinterlace  # three runs of 16 in 80 frames
    with media.open_source(films["transfer"]) as src:
        assert src.deinterlace_args is None
    auto, off = _luma(films["transfer"], "auto"), _luma(films["transfer"], "off")
    assert all(np.array_equal(a, b) for a, b in zip(auto, off, strict=True))
    # Asked for, it is deinterlaced all the same; the woven film is judged interlaced.
    assert media.probe(films["transfer"], deinterlace="tff").deinterlace.startswith("deinterlaced")
    checked = judged(films["flagged"])
    assert checked.tff > checked.progressive and not checked.looks_progressive


def test_a_field_order_flagged_wrong_is_taken_from_the_pictures(films: dict[str, Path]) -> None:
    info = media.probe(films["misflagged"])
    assert info.interlaced and info.field_order == "bottom field first"
    assert info.deinterlace.startswith(
        "deinterlaced (bwdif, top field first): the file says bottom field first, its "
        "pictures show top field first (of 16 frames checked, "
    )
    auto = _luma(films["misflagged"], "auto")
    assert all(
        np.array_equal(a, b) for a, b in zip(auto, _luma(films["misflagged"], "tff"), strict=True)
    )
    # Each frame shows the bar where its first field (the top one) put it; built on the
    # wrong field, where the later one did, 6 px on.
    bff = _luma(films["misflagged"], "bff")
    for i in range(1, 12):  # before the bar wraps round to the left edge
        assert abs(_bar_centre(auto[i]) - (12 * i + 7.5)) < 1, i
        assert abs(_bar_centre(bff[i]) - (12 * i + 13.5)) < 1, i


def _bar_centre(y: np.ndarray) -> float:
    """Where the bright bar is, in the moving part (below the still band)."""
    profile = np.clip(y[y.shape[0] // 2 :].mean(axis=0) - 130, 0, None)
    return float((profile * np.arange(profile.size)).sum() / profile.sum())


def test_a_progressive_film_is_read_untouched_by_auto(films: dict[str, Path]) -> None:
    auto = _luma(films["progressive"], "auto")
    off = _luma(films["progressive"], "off")
    assert all(np.array_equal(a, b) for a, b in zip(auto, off, strict=True))


def test_a_frame_is_the_same_however_it_is_reached(films: dict[str, Path]) -> None:
    """bwdif makes frame i from frames i-1..i+1 only, so a seek, a step, a range from the
    middle and the whole pass agree (previews, resumed chunks and cluster workers rely on it)."""
    whole = _luma(films["flagged"], "auto")
    with media.open_source(films["flagged"]) as src:
        for i in (0, 13, 7, 8, 9, 23, 22, 6, 5, 12):  # seeks across the 6-frame GOPs, steps
            assert np.array_equal(src.read_frame(i, fmt="gray").image, whole[i]), i
        for start, stop in ((0, 1), (5, 11), (6, 7), (17, 24), (23, 24)):
            part = [f for f in src.frames(start, stop, fmt="gray")]
            assert [f.index for f in part] == list(range(start, stop))
            assert all(np.array_equal(f.image, whole[f.index]) for f in part), (start, stop)
        assert src.deinterlace_args is not None


def test_forcing_a_field_order_on_pictures_is_refused(tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "scans", 3)
    with pytest.raises(BadInputError, match="not interlaced video"):
        media.open_source(folder, deinterlace="tff")
    with pytest.raises(BadInputError, match="unknown deinterlace mode 'yes'"):
        media.open_source(folder, deinterlace="yes")
    with media.open_source(folder) as src:  # auto: pictures are progressive
        assert src.deinterlace_args is None and not src.info.interlaced


def test_a_restore_deinterlaces_records_it_and_resumes_to_the_same_frames(
    films: dict[str, Path], tmp_path: Path
) -> None:
    film = films["flagged"]
    whole = tmp_path / "whole.mkv"
    pipeline.restore(film, whole, codec="ffv1", chunk_seconds=100)
    out = tmp_path / "cut.mkv"
    with pytest.raises(CancelledError):
        pipeline.restore(
            film, out, codec="ffv1", chunk_seconds=0.2, keep_job=True, progress=cancelled_at(10)
        )
    manifest = json.loads((job_folder(out) / "manifest.json").read_text())
    assert manifest["settings"]["deinterlace"].startswith("mode=send_frame")
    starts = [c["start"] for c in manifest["chunks"] if c["status"] != "done"]
    assert starts and starts[0] > 0  # the rest starts inside the film: frame start-1 is read
    # Another mode is another job: refused, not mixed into the frames already done.
    with pytest.raises(Exception, match="other settings"):
        pipeline.restore(
            film, out, codec="ffv1", chunk_seconds=0.2, reading=media.Reading(deinterlace="off")
        )
    summary = pipeline.restore(film, out, codec="ffv1", chunk_seconds=0.2)
    assert summary.resumed_frames > 0
    a, b = _luma(whole, "off"), _luma(out, "off")
    assert len(a) == len(b) == 24
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert _moving(a) * 8 < _moving(_luma(film, "off"))
    # A progressive film's job has no such setting, as jobs had before deinterlacing.
    plain = tmp_path / "plain.mkv"
    with pytest.raises(CancelledError):
        pipeline.restore(
            films["progressive"], plain, codec="ffv1", chunk_seconds=0.2, keep_job=True,
            progress=cancelled_at(5),
        )  # fmt: skip
    settings = json.loads((job_folder(plain) / "manifest.json").read_text())["settings"]
    assert "deinterlace" not in settings


def test_the_cli_says_the_scan_and_takes_the_mode(
    films: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", str(films["flagged"])]) == 0
    out = capsys.readouterr().out
    assert "interlaced, top field first; deinterlaced (bwdif, top field first)" in out
    assert main(["info", str(films["unflagged"]), "--deinterlace", "bff"]) == 0
    assert "deinterlaced (bwdif, bottom field first)" in capsys.readouterr().out
    assert main(["info", str(films["progressive"])]) == 0
    assert "fields      progressive\n" in capsys.readouterr().out
    shot = tmp_path / "f.png"
    assert main(["frame", str(films["flagged"]), "--index", "9", "-o", str(shot)]) == 0
    from PIL import Image

    grey = np.asarray(Image.open(shot).convert("L"))
    assert combing(grey[30:]) * 8 < combing(_luma(films["flagged"], "off")[9][30:])
    with pytest.raises(SystemExit) as exc:
        main(["info", str(films["flagged"]), "--deinterlace", "maybe"])
    assert exc.value.code == 2


def test_grainy_progressive_film_is_not_taken_for_interlaced() -> None:
    """Film grain differs from line to line as a comb does; the bundled sample film (grain
    added to a progressive cartoon) must be judged progressive and read untouched."""
    from panchro.engine import paths

    info = media.probe(paths.sample_film())
    assert not info.interlaced and info.deinterlace == "not deinterlaced"
    with media.open_source(paths.sample_film()) as src:
        assert src.deinterlace_args is None
    assert not judged(paths.sample_film()).looks_interlaced


def test_a_project_keeps_a_persons_choice_and_restore_uses_it(
    films: dict[str, Path], tmp_path: Path
) -> None:
    from panchro.engine.project import Project, Settings

    assert "deinterlace" not in Settings().to_dict()  # "auto" is not written
    assert Settings.from_dict(Settings(deinterlace="off").to_dict()).deinterlace == "off"
    with pytest.raises(ValueError, match="deinterlace must be one of auto, off, tff, bff"):
        Settings(deinterlace="yes")
    film = films["flagged"]
    project = Project.new(film)
    project.settings = Settings(deinterlace="off")
    path = project.save(tmp_path / "tape.panchro")
    assert Project.load(path).settings.deinterlace == "off"
    kept, done = tmp_path / "kept.mkv", tmp_path / "done.mkv"
    base = ["restore", str(film), "--project", str(path), "--codec", "ffv1", "-q"]
    assert main([*base[:2], str(kept), *base[2:]]) == 0
    assert main([*base[:2], str(done), *base[2:], "--deinterlace", "auto"]) == 0
    woven = _luma(film, "off")
    assert all(np.array_equal(a, b) for a, b in zip(_luma(kept, "off"), woven, strict=True))
    assert _moving(_luma(done, "off")) * 8 < _moving(woven)


def test_every_list_of_the_modes_is_the_media_layers() -> None:
    """Written again where PyAV may not load (the project, the CLI's parser); one list."""
    from panchro.engine.cli.common import DEINTERLACE_CHOICES
    from panchro.engine.project import DEINTERLACE_MODES as PROJECT_MODES

    assert DEINTERLACE_CHOICES == PROJECT_MODES == _deint.DEINTERLACE_MODES


@pytest.mark.parametrize(("codec", "ext"), [("ffv1", ".mkv"), ("prores", ".mov"), ("h264", ".mkv")])
def test_fields_kept_woven_are_flagged_so(
    films: dict[str, Path], tmp_path: Path, codec: str, ext: str
) -> None:
    """Read with --deinterlace off, the fields go out woven as they came; the output said
    progressive, and an editing suite took them for whole frames. (H.264 in a MOV says its
    own: x264 writes it progressive.)"""
    film = films["flagged"]
    woven = pipeline.restore(
        film, tmp_path / f"woven{ext}", codec=codec, reading=media.Reading(deinterlace="off")
    )
    assert woven.frames > 0
    assert media.probe(tmp_path / f"woven{ext}").field_order == "top field first"
    pipeline.restore(film, tmp_path / f"whole{ext}", codec=codec)  # deinterlaced: not flagged
    assert media.probe(tmp_path / f"whole{ext}").field_order in (None, "progressive")
