"""An album restored into a folder: names and sub-folders kept, each picture its own seed (the
same bits whatever else is in the album), a bad picture reported while the rest finish, a
`kill -9` resumed without redoing finished pictures, and every refusal before any work."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine import media
from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.progress import Progress
from panchro.engine.restore.album import LOG, picture_seed, restore_album
from panchro.engine.restore.picture import restore_picture
from panchro.engine.restore.stages import ColorizeStage
from tests.makephotos import camera_jpeg, photo_pixels, png

ROOT = Path(__file__).resolve().parents[3]


def _colorize(models: Path) -> ColorizeStage:
    return ColorizeStage(
        device="cpu",
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
    )


def _box(folder: Path) -> Path:
    """A small box of scans: grey PNGs of several sizes, a camera JPEG in a sub-folder, a BMP,
    and what a real folder has besides (a text file, hidden files)."""
    (folder / "1950").mkdir(parents=True)
    png(folder / "a.png", photo_pixels((48, 32), seed=1))
    png(folder / "b.png", photo_pixels((40, 40), seed=2))
    camera_jpeg(folder / "1950" / "lake.jpg", size=(48, 32))
    Image.fromarray(photo_pixels((32, 24), seed=3)).save(folder / "c.bmp")
    (folder / "notes.txt").write_text("from the attic")
    (folder / ".thumbs.png").write_bytes(b"hidden")
    return folder


def _pixels(path: Path) -> np.ndarray:
    return media.read_picture(path).pixels


def _stat(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and media.ALBUM_JOB_DIR not in p.parts
    }


def test_an_album_another_run_writes_is_refused_untouched(tmp_path: Path) -> None:
    """A second run of an album would take the first's half-written picture for a killed
    run's litter and delete it; it is refused, the album left as it is."""
    from panchro.engine.restore.jobs import sole_writer

    box = _box(tmp_path / "box")
    restore_album([box], tmp_path / "out")
    before = _stat(tmp_path / "out")
    refused = pytest.raises(OutputError, match="another run is writing this album now")
    with sole_writer(tmp_path / "out"), refused:  # as the first run holds it
        restore_album([box], tmp_path / "out", overwrite=True)
    assert _stat(tmp_path / "out") == before
    assert restore_album([box], tmp_path / "out").ok  # the run over, it goes on


def test_names_folders_and_formats(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    summary = restore_album([box], tmp_path / "out")
    assert summary.ok and summary.found == 4
    assert sorted(_stat(tmp_path / "out")) == ["1950/lake.jpg", "a.png", "b.png", "c.png"]
    assert summary.restored == ["1950/lake.jpg", "a.png", "b.png", "c.bmp"]
    np.testing.assert_array_equal(_pixels(tmp_path / "out" / "a.png"), _pixels(box / "a.png"))
    np.testing.assert_array_equal(_pixels(tmp_path / "out" / "c.png"), _pixels(box / "c.bmp"))
    assert "1 file(s) that are not pictures (notes.txt); 1 hidden" in summary.ignored
    assert any("BMP picture(s) written as PNG" in n for n in summary.notes)
    # One format for all with --format; the quality goes to the lossy ones.
    webp = restore_album([box], tmp_path / "webp", fmt="webp", quality=70)
    assert webp.ok and sorted(_stat(tmp_path / "webp")) == [
        "1950/lake.webp",
        "a.webp",
        "b.webp",
        "c.webp",
    ]
    with Image.open(tmp_path / "webp" / "a.webp") as im:
        assert im.format == "WEBP"


def test_each_picture_has_its_own_seed_whatever_else_is_in_the_album(
    models: Path, tmp_path: Path
) -> None:
    box = _box(tmp_path / "box")
    summary = restore_album([box], tmp_path / "all", stages=[_colorize(models)], seed=7)
    assert summary.ok, summary.failed
    assert any("UNTRAINED" in n for n in summary.notes)
    # b.png alone, in an album of its own, and as one picture with its seed: the same bits.
    alone = tmp_path / "alone"
    alone.mkdir()
    png(alone / "b.png", photo_pixels((40, 40), seed=2))
    restore_album([alone], tmp_path / "one", stages=[_colorize(models)], seed=7)
    seed = picture_seed(7, "b.png")
    restore_picture(box / "b.png", tmp_path / "b.png", stages=[_colorize_seeded(models, seed)],
                    threads=1)  # fmt: skip
    expected = _pixels(tmp_path / "all" / "b.png")
    assert expected.ndim == 3  # coloured
    np.testing.assert_array_equal(_pixels(tmp_path / "one" / "b.png"), expected)
    np.testing.assert_array_equal(_pixels(tmp_path / "b.png"), expected)
    with Image.open(tmp_path / "all" / "b.png") as im:
        assert f"seed {seed}" in im.getexif()[0x0131]
    # Two pictures, two seeds: the seed is the name's, not the album's.
    assert picture_seed(7, "a.png") != seed != picture_seed(8, "b.png")
    a = _pixels(tmp_path / "all" / "a.png").astype(int)
    assert np.abs(a[..., 0] - a[..., 2]).max() > 0


def _colorize_seeded(models: Path, seed: int) -> ColorizeStage:
    stage = _colorize(models)
    stage.seed = seed
    return stage


def test_a_bad_picture_is_reported_and_the_rest_finish(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    whole = camera_jpeg(tmp_path / "whole.jpg", size=(400, 300))
    (box / "1950" / "cut").mkdir()
    (box / "1950" / "cut" / "torn.jpg").write_bytes(whole.read_bytes()[:3000])
    (box / "letter.jpg").write_text("Dear Anne, here are the photos")
    progress = Progress(None)
    summary = restore_album([box], tmp_path / "out", progress=progress)
    assert summary.restored == ["1950/lake.jpg", "a.png", "b.png", "c.bmp"]
    failed = {name: (code, reason) for name, code, reason in summary.failed}
    assert sorted(failed) == ["1950/cut/torn.jpg", "letter.jpg"]
    assert "cut short" in failed["1950/cut/torn.jpg"][1]
    assert "not a picture" in failed["letter.jpg"][1]
    assert {code for code, _ in failed.values()} == {"bad_input"}
    assert not (tmp_path / "out" / "1950" / "cut").exists()  # no folder left for nothing
    assert progress.done == progress.total == 6
    described = summary.describe()
    assert "4 restored" in described and "2 failed" in described
    assert "failed: letter.jpg: has a .jpg name but is not a picture" in described


def test_a_rerun_skips_what_is_done_and_redoes_what_changed(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    out = tmp_path / "out"
    restore_album([box], out)
    before = _stat(out)
    again = restore_album([box], out)
    assert again.restored == [] and len(again.skipped) == 4 and _stat(out) == before
    # A changed input is redone (its output was ours); the others are not touched.
    png(box / "a.png", photo_pixels((48, 32), seed=9))
    third = restore_album([box], out)
    assert third.restored == ["a.png"]
    after = _stat(out)
    assert after["a.png"] != before["a.png"]
    assert {k: v for k, v in after.items() if k != "a.png"} == {
        k: v for k, v in before.items() if k != "a.png"
    }
    # An output someone edited since is not ours to replace...
    (out / "b.png").write_bytes(b"my retouched copy")
    png(box / "b.png", photo_pixels((40, 40), seed=5))
    edited = "already holds b.png, changed since this album wrote"
    with pytest.raises(OutputError, match=edited) as refused:
        restore_album([box], out)
    assert (out / "b.png").read_bytes() == b"my retouched copy"
    # for a program, what `overwrite` would replace, without the command line's flag
    holds = refused.value.extra["replaceable"]["holds"]
    assert holds == "b.png, changed since this album wrote it"
    # ...unless told.
    assert restore_album([box], out, overwrite=True).restored == ["b.png"]
    # Other settings: refused, or the album redone with --overwrite.
    with pytest.raises(OutputError, match=r"other settings \(quality: None -> 80\)") as refused:
        restore_album([box], out, quality=80)
    holds = refused.value.extra["replaceable"]["holds"]
    assert holds == "an album restored with other settings (quality: None -> 80)"
    redone = restore_album([box], out, quality=80, overwrite=True)
    assert len(redone.restored) == 4


def test_refusals_come_before_any_work(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.png").write_bytes(b"precious")
    with pytest.raises(OutputError, match="already holds b.png"):
        restore_album([box], out)
    assert sorted(p.name for p in out.iterdir()) == ["b.png"]  # nothing else written
    with pytest.raises(OutputError, match="is the input folder"):
        restore_album([box], box)
    with pytest.raises(OutputError, match="is a file"):
        restore_album([box], box / "a.png")
    with pytest.raises(BadInputError, match="lossless"):
        restore_album([box], tmp_path / "q", fmt="tif", quality=90)
    Image.fromarray(photo_pixels()).save(box / "a.jpg")
    with pytest.raises(BadInputError, match="a.jpg and a.png would both be written as a.png"):
        restore_album([box], tmp_path / "png", fmt="png")
    assert not (tmp_path / "png").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".hidden.jpg").write_bytes(b"x")
    (empty / "list.txt").write_text("x")
    with pytest.raises(BadInputError, match="no pictures to restore") as err:
        restore_album([empty], tmp_path / "e")
    assert "1 file(s) that are not pictures (list.txt); 1 hidden" in str(err.value)
    with pytest.raises(OutputError, match="does not exist"):
        restore_album([box], tmp_path / "no" / "such")


def test_an_output_folder_inside_the_input_is_left_out_of_the_walk(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    first = restore_album([box], box / "colour")
    assert first.ok and first.found == 4
    second = restore_album([box], box / "colour")  # outputs not taken for inputs
    assert second.found == 4 and len(second.skipped) == 4
    assert "colour/ (the output folder)" in second.ignored
    # Another run beside it leaves the first album out too (it holds Panchro's record).
    third = restore_album([box], box / "again")
    assert third.found == 4 and "colour/ (an album Panchro wrote)" in third.ignored


def test_a_killed_write_leaves_no_temporary(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".a.png.k2j4h1x9.tmp"  # what atomic_write leaves when killed mid-write
    stale.write_bytes(b"half")
    restore_album([box], out)
    assert not stale.exists()


def test_interrupted_colorized_album_resumes_to_the_same_bits(models: Path, tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    whole = restore_album([box], tmp_path / "whole", stages=[_colorize(models)])

    def stop_after_two(state: object) -> None:
        if getattr(state, "done", 0) == 2:
            raise KeyboardInterrupt

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        progress = Progress(None, stop_after_two, max_hz=1e9)  # every advance reported
        restore_album([box], out, stages=[_colorize(models)], progress=progress)
    kept = _stat(out)
    assert len(kept) == 2  # the second was written, then the run stopped before recording it
    resumed = restore_album([box], out, stages=[_colorize(models)])
    assert resumed.skipped == ["1950/lake.jpg"]  # recorded; the second is redone (ours)
    assert resumed.restored == ["a.png", "b.png", "c.bmp"]
    for name in ("1950/lake.jpg", "a.png", "b.png", "c.png"):
        np.testing.assert_array_equal(_pixels(out / name), _pixels(tmp_path / "whole" / name))
    assert _stat(out)["1950/lake.jpg"] == kept["1950/lake.jpg"]
    assert whole.ok


def test_kill_9_then_rerun_does_not_redo_finished_pictures(tmp_path: Path) -> None:
    box = _box(tmp_path / "box")
    out = tmp_path / "out"
    # A real SIGKILL (no clean-up of any kind) once the third picture is written.
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from panchro.engine.progress import Progress
        from panchro.engine.restore.album import restore_album

        def kill(state):
            if state.done == 3:
                os.kill(os.getpid(), signal.SIGKILL)

        restore_album([{str(box)!r}], {str(out)!r}, progress=Progress(None, kill, max_hz=1e9))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    written = _stat(out)
    assert len(written) == 3
    log = (out / media.ALBUM_JOB_DIR / LOG).read_text()
    assert log.count('"state":"done"') == 2  # the third was killed before its record
    rerun = restore_album([box], out)
    assert len(rerun.skipped) == 2 and len(rerun.restored) == 2 and rerun.ok
    after = _stat(out)
    for name in rerun.skipped:
        target = name if not name.endswith(".bmp") else name[:-4] + ".png"
        assert after[target] == written[target]  # the same file: not written again
    assert sorted(after) == ["1950/lake.jpg", "a.png", "b.png", "c.png"]
    assert not list(out.rglob("*.tmp"))


def test_one_lock_whichever_way_the_output_is_named(tmp_path: Path) -> None:
    """Two runs writing one film through a linked folder took two locks, and each the
    other's chunk for litter; the lock is named by the path with links followed."""
    from panchro.engine.restore.jobs import sole_writer

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    refused = pytest.raises(OutputError, match="another run is writing")
    real, linked = tmp_path / "real" / "film.mkv", tmp_path / "link" / "film.mkv"
    with sole_writer(real), refused, sole_writer(linked):
        pass
    with sole_writer(linked):  # let go, it is free again
        pass


def test_what_a_killed_run_left_beside_its_output_is_cleared(tmp_path: Path) -> None:
    """A run killed while joining left `.film.mkv.TOKEN.part.mkv` (as big as the film),
    hidden beside it, and nothing removed it."""
    from panchro.engine.restore.jobs import sole_writer

    out = tmp_path / "film.mkv"
    litter = [tmp_path / ".film.mkv.1a2b3c4d.part.mkv", tmp_path / ".film.mkv.restoration.md.part",
              tmp_path / ".film.mkv.x1y2.tmp"]  # fmt: skip
    for p in litter:
        p.write_bytes(b"half")
    (tmp_path / ".film.mkv.5e6f7a8b.part").mkdir()  # a folder of frames' half
    kept = [tmp_path / ".film.mkv.notes", tmp_path / ".other.mkv.1a2b.part.mkv"]
    for p in kept:
        p.write_bytes(b"mine")
    with sole_writer(out):
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in kept)
