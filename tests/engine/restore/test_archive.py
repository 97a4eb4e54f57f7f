"""A whole archive (`restore --batch LIST_OR_DIR OUTDIR`): each film as it comes out alone,
each its own job; a rerun skips the films done and resumes the one stopped midway; a film
that fails is listed and the others go on; what would clash or overwrite is refused before
any work."""

from __future__ import annotations

import json
import os
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import cli
from panchro.engine.errors import BadInputError, CancelledError, OutputError
from panchro.engine.progress import Progress
from panchro.engine.restore import archive, pipeline
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.restore.jobs import job_folder
from panchro.engine.shots import Shot
from tests.makemedia import make_frame_folder, make_video
from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner

CHUNK_S = 0.25  # 6 frames at 24 fps: several chunks a film, so resuming has some to skip


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [
            np.stack([np.frombuffer(bytes(p), np.uint8) for p in f.planes])
            for f in container.decode(video=0)
        ]


def same_frames(a: Path, b: Path) -> bool:
    fa, fb = frames_of(a), frames_of(b)
    return len(fa) == len(fb) > 0 and all(np.array_equal(x, y) for x, y in zip(fa, fb, strict=True))


class Darken:
    """Luma scaled by 0.8, each frame its own: a stage whose output shows it ran."""

    key = "test-darken"

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(self, shot_index: int, shot: Shot, pick: object, film: object) -> None:
        return None

    def process(self, batch: FrameBatch) -> FrameBatch:
        return batch.replace(y=(batch.y * 0.8).astype(batch.y.dtype))


@pytest.fixture
def films(tmp_path: Path) -> Path:
    folder = tmp_path / "films"
    folder.mkdir()
    make_video(folder / "reel1.mkv", frames=18, size=(48, 32), codec="ffv1")
    make_video(folder / "reel2.mp4", frames=30, size=(48, 32), cuts=(12,))
    make_frame_folder(folder / "reel3", 8, size=(48, 32))
    (folder / "notes.txt").write_text("not a film")
    (folder / "scans").mkdir()
    (folder / "scans" / "readme.md").write_text("not frames")
    return folder


def test_a_folder_of_films_comes_out_as_each_film_alone_and_a_rerun_skips_them(
    films: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    kw = {"codec": "ffv1", "chunk_seconds": CHUNK_S}
    summary = archive.restore_archive(films, out, stages=[Darken()], **kw)
    assert [(r.film, r.status, r.output) for r in summary.results] == [
        ("reel1.mkv", "done", "reel1.mkv"),
        ("reel2.mp4", "done", "reel2.mkv"),
        ("reel3/", "done", "reel3.mkv"),
    ]
    assert [r.frames for r in summary.results] == [18, 30, 8] and summary.rendered == 56
    assert summary.left_out == ["notes.txt", "scans/"]
    for name, film in (("reel1", "reel1.mkv"), ("reel2", "reel2.mp4"), ("reel3", "reel3")):
        alone = tmp_path / f"alone_{name}.mkv"
        pipeline.restore(films / film, alone, stages=[Darken()], **kw)
        assert same_frames(out / f"{name}.mkv", alone), name
    assert sorted(p.name for p in out.iterdir()) == [
        ".panchro-archive",
        "reel1.mkv",
        "reel1.mkv.restoration.md",
        "reel2.mkv",
        "reel2.mkv.restoration.md",
        "reel3.mkv",
        "reel3.mkv.restoration.md",
    ]  # fmt: skip  (no job folder, no temporary left; each film's record beside it)
    assert f"- file: `{films / 'reel2.mp4'}`" in (out / "reel2.mkv.restoration.md").read_text()
    table = summary.describe()
    assert "reel2.mp4" in table and "3 restored" in table and "left out" in table
    assert table.count("restoration record") == 1  # one line for the three films

    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.mkv")}
    again = archive.restore_archive(films, out, stages=[Darken()], **kw)
    assert [r.status for r in again.results] == ["skipped"] * 3 and again.rendered == 0
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.mkv")} == stamps

    # A film replaced by a new copy is restored again; the others stay skipped.
    make_video(films / "reel1.mkv", frames=12, size=(48, 32), codec="ffv1")
    third = archive.restore_archive(films, out, stages=[Darken()], **kw)
    assert [r.status for r in third.results] == ["done", "skipped", "skipped"]
    assert len(frames_of(out / "reel1.mkv")) == 12


def test_an_interrupted_archive_resumes_its_films_and_chunks_to_the_same_frames(
    films: Path, tmp_path: Path
) -> None:
    kw = {"codec": "ffv1", "chunk_seconds": CHUNK_S, "batch": 2}
    whole = tmp_path / "whole"
    archive.restore_archive(films, whole, stages=[Darken()], **kw)

    out = tmp_path / "out"

    def stop_in_reel2(state: object) -> None:
        if getattr(state, "done", 0) >= 18 + 13:  # reel1's 18 frames, then two chunks of reel2
            raise CancelledError("cancelled")

    progress = Progress(None, stop_in_reel2, max_hz=1000)
    with pytest.raises(CancelledError):
        archive.restore_archive(films, out, stages=[Darken()], progress=progress, **kw)
    assert (out / "reel1.mkv").is_file() and not (out / "reel2.mkv").exists()
    manifest = json.loads((job_folder(out / "reel2.mkv") / "manifest.json").read_text())
    done = [c for c in manifest["chunks"] if c["status"] == "done"]
    assert 0 < len(done) < len(manifest["chunks"])
    assert not (out / "reel3.mkv").exists() and not job_folder(out / "reel3.mkv").exists()

    summary = archive.restore_archive(films, out, stages=[Darken()], **kw)
    assert [r.status for r in summary.results] == ["skipped", "resumed", "done"]
    resumed = summary.results[1]
    assert resumed.rendered == 30 - sum(c["end"] - c["start"] for c in done)
    for name in ("reel1", "reel2", "reel3"):
        assert same_frames(out / f"{name}.mkv", whole / f"{name}.mkv"), name
    assert not job_folder(out / "reel2.mkv").exists()


def test_a_list_with_a_missing_and_a_broken_film_restores_the_others_and_exits_non_zero(
    films: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.mp4").write_text("this is not a film")
    listing = tmp_path / "reels.txt"
    listing.write_text(
        f"# the reels of box 12\n{films / 'reel1.mkv'}\n\nmissing.mkv\nbroken.mp4\n"
        "films/reel2.mp4\n  # an indented comment\n"
    )
    out = tmp_path / "out"
    argv = ["restore", "--batch", str(listing), str(out), "--codec", "ffv1", "-q"]
    assert cli.main(argv) == cli.EXIT_BAD_INPUT
    printed, err = capsys.readouterr()
    rows = [line.split(maxsplit=2) for line in printed.splitlines()[1:5]]
    assert [(film[-9:], status) for film, status, _ in rows] == [
        ("reel1.mkv", "done"),
        ("ssing.mkv", "failed"),
        ("roken.mp4", "failed"),
        ("reel2.mp4", "done"),
    ]  # fmt: skip  (in the list's order; a long path shows its end)
    assert rows[1][2].endswith("does not exist") and "not" in rows[2][2]
    assert "2 restored" in printed and "2 failed" in printed
    assert "2 of 4 film(s) failed" in err
    assert sorted(p.name for p in out.glob("*.mkv")) == ["reel1.mkv", "reel2.mkv"]
    assert not list(out.glob("*.panchro-job"))

    # The rerun skips the two done and reports the two still failing.
    assert cli.main(argv) == cli.EXIT_BAD_INPUT
    printed = capsys.readouterr().out
    assert "0 restored" in printed and "2 skipped" in printed and "2 failed" in printed


def test_a_second_run_on_an_archive_is_refused_up_front(
    films: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two runs on one archive each took the film the other was writing for a failure of
    its own (exit 1, the archive whole all the same)."""
    from panchro.engine.restore.jobs import sole_writer

    out = tmp_path / "out"
    argv = ["restore", "--batch", str(films), str(out), "--codec", "ffv1", "-q"]
    with sole_writer(out, what="this archive"):  # as the first run holds it
        assert cli.main(argv) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "another run is writing this archive now" in err and len(err.splitlines()) == 1
    assert not out.exists()
    assert cli.main(argv) == cli.EXIT_OK  # the first run over, it goes on


def test_what_would_clash_or_overwrite_is_refused_before_any_work(
    films: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    make_video(films / "reel1.mp4", frames=6, size=(48, 32))  # a second "reel1"
    with pytest.raises(BadInputError, match="reel1.mkv and reel1.mp4 would both be written"):
        archive.restore_archive(films, out, codec="ffv1")
    (films / "reel1.mp4").unlink()
    listing = tmp_path / "twice.txt"
    listing.write_text(f"{films / 'reel1.mkv'}\n{films / 'reel1.mkv'}\n")
    with pytest.raises(BadInputError, match="listed twice"):
        archive.restore_archive(listing, out, codec="ffv1")
    other = tmp_path / "other" / "Reel2.mov"
    other.parent.mkdir()
    make_video(other, frames=6, size=(48, 32))
    listing.write_text(f"{films / 'reel2.mp4'}\n{other}\n")
    with pytest.raises(BadInputError, match="would both be written as Reel2.mkv"):
        archive.restore_archive(listing, out, codec="ffv1")
    assert not out.exists()

    out.mkdir()
    (out / "reel2.mkv").write_bytes(b"someone's file")
    with pytest.raises(OutputError, match="already holds reel2.mkv"):
        archive.restore_archive(films, out, codec="ffv1")
    assert (out / "reel2.mkv").read_bytes() == b"someone's file"
    assert sorted(p.name for p in out.iterdir()) == ["reel2.mkv"]  # nothing else begun
    with pytest.raises(OutputError, match="is the folder of the films"):
        archive.restore_archive(films, films, codec="ffv1")
    with pytest.raises(OutputError, match="is a file"):
        archive.restore_archive(films, out / "reel2.mkv", codec="ffv1")
    (tmp_path / "empty.txt").write_text("# nothing yet\n\n")
    with pytest.raises(BadInputError, match="lists no films"):
        archive.restore_archive(tmp_path / "empty.txt", out, codec="ffv1")
    with pytest.raises(BadInputError, match="is a film"):
        archive.restore_archive(films / "reel1.mkv", out, codec="ffv1")
    with pytest.raises(BadInputError, match="is not there"):
        archive.restore_archive(tmp_path / "nowhere", out, codec="ffv1")

    # With --overwrite someone's file is replaced, atomically, by the film.
    summary = archive.restore_archive(films, out, codec="ffv1", overwrite=True)
    assert [r.status for r in summary.results] == ["done"] * 3
    assert len(frames_of(out / "reel2.mkv")) == 30


def test_batch_options_on_the_command_line(
    films: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    film = films / "reel1.mkv"
    # --batch N meant frames per batch: refused, naming the option that took it over.
    with pytest.raises(SystemExit) as exit_:
        cli.main(["restore", str(film), str(tmp_path / "o.mkv"), "--batch", "4"])
    assert exit_.value.code == 2
    assert "--batch-frames 4" in capsys.readouterr().err
    # ... which reaches the restore.
    seen = []
    real = pipeline.restore
    monkeypatch.setattr(
        pipeline, "restore", lambda *a, **k: seen.append(k["batch"]) or real(*a, **k)
    )
    out = tmp_path / "o.mkv"
    assert cli.main(["restore", str(film), str(out), "--batch-frames", "4", "-q"]) == 0
    assert seen == [4] and out.is_file()
    capsys.readouterr()
    # An archive refuses what belongs to one film, and inputs beside its list or folder.
    for extra in (["--project", "p.panchro"], ["--preview", "2"], [str(film)]):
        code = cli.main(["restore", "--batch", str(films), str(tmp_path / "a"), *extra])
        assert code == cli.EXIT_BAD_INPUT, extra
        assert "panchro: error:" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    # Without an input or --batch: what to give.
    assert cli.main(["restore", str(tmp_path / "a")]) == cli.EXIT_BAD_INPUT
    assert "--batch LIST_OR_DIR OUTDIR" in capsys.readouterr().err


def test_a_film_of_an_archive_equals_the_film_restored_alone_by_the_cli(
    films: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    save_small_colorizer(models, config=TINY28)
    save_small_refiner(models)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    options = ["--colorize", "--seed", "5", "--codec", "ffv1", "--chunk-seconds", "0.25", "-q"]
    listing = tmp_path / "reels.txt"
    listing.write_text("films/reel3\nfilms/reel1.mkv\n")
    out = tmp_path / "out"
    assert cli.main(["restore", "--batch", str(listing), str(out), *options]) == 0
    assert "2 restored" in capsys.readouterr().out
    for film, name in (("reel3", "reel3"), ("reel1.mkv", "reel1")):
        alone = tmp_path / f"{name}_alone.mkv"
        assert cli.main(["restore", str(films / film), str(alone), *options]) == 0
        assert same_frames(out / f"{name}.mkv", alone), name
        assert np.ptp(frames_of(alone)[0][1]) > 0  # colorized: the chroma is not flat grey
    # Other settings into the same folder: its outputs are not these settings', refused.
    code = cli.main(["restore", "--batch", str(listing), str(out), *options[1:]])
    assert code == cli.EXIT_ERROR
    assert "already holds reel3.mkv, reel1.mkv" in capsys.readouterr().err
    assert os.path.isdir(out / ".panchro-archive")


def test_the_progress_counts_a_failed_film_apart() -> None:
    """The run's progress said "4/4 films done" of a run where two had failed."""
    view = archive._View(Progress(None), 4, 0)
    view.film_over(0, 10, failed=False)
    view.film_over(1, 0, failed=True)
    assert view.progress.stage == "1/4 films done, 1 failed"
