"""The restoration record beside a restored film: the source by its fingerprint, how it was
read, each stage in order with its strength, what each shot was coloured from and spared,
what was written; the whole job's after a resume; not written when asked not to."""

from __future__ import annotations

from pathlib import Path

from panchro.engine.project import Project, Settings, fingerprint, flat_pick
from panchro.engine.restore import pipeline
from panchro.engine.restore.record import record_path
from panchro.engine.restore.stages import build_stages
from panchro.engine.shots import Shot
from tests.makemedia import make_video


def test_a_restored_film_has_its_record_beside_it(tmp_path: Path) -> None:
    film = make_video(tmp_path / "reel.mkv", frames=24, cuts=(12,), codec="ffv1")
    project = Project.new(film, shots=[Shot(0, 12, 6), Shot(12, 24, 18, frozenset({"dust"}))])
    project.set_pick(0, flat_pick("grey"))
    project.set_pick(1, flat_pick("tint", -0.15, 0.12))
    out = tmp_path / "restored.mkv"
    stages = build_stages(Settings(colorize=True, dust=0.5, deflicker=1.0), all_picked=True)
    summary = pipeline.restore(film, out, codec="ffv1", stages=stages, project=project)
    path = record_path(out)
    assert path == tmp_path / "restored.mkv.restoration.md" and path.is_file()
    assert summary.notes[-1] == f"restoration record: {path}"
    text = path.read_text()
    size, digest = fingerprint(film)
    assert f"- file: `{film}`" in text and f"{size} bytes" in text and digest in text
    assert "24 frames at 24.000 fps" in text and "- read: as it is" in text
    order = [line for line in text.splitlines() if line[:3] in ("1. ", "2. ", "3. ")]
    assert [line.split(":")[0] for line in order] == [
        "1. dust, strength 0.5", "2. deflicker, strength 1.0", "3. colorize"
    ]  # fmt: skip
    assert "| 1 | 1–12 | 00:00:00:00 | kept black and white by a person | – |" in text
    assert (
        "| 2 | 13–24 | 00:00:00:12 | tinted by a person (one colour over the light) | dust |"
        in (text)
    )
    assert f"- `{out}`: ffv1, 160 × 120, 24 frames" in text
    assert "1 audio and 0 subtitle stream(s) copied untouched" in text

    # A part: its own shots only; asked not to, no record.
    part = tmp_path / "part.mkv"
    pipeline.restore(film, part, codec="ffv1", stages=stages, project=project, span=(14, 20))
    shots = [line for line in record_path(part).read_text().splitlines() if line[:4] == "| 2 "]
    assert len(shots) == 1 and "| 1 |" not in record_path(part).read_text()
    quiet = tmp_path / "quiet.mkv"
    pipeline.restore(film, quiet, codec="ffv1", record=False)
    assert quiet.is_file() and not record_path(quiet).exists()


def test_the_command_line_writes_it_or_not(tmp_path: Path, capsys) -> None:
    from panchro.engine.cli import main

    film = make_video(tmp_path / "reel.mp4", frames=12, audio=False)
    assert main(["restore", str(film), str(tmp_path / "a.mkv"), "--codec", "ffv1"]) == 0
    assert "note: restoration record: " in capsys.readouterr().out
    assert record_path(tmp_path / "a.mkv").is_file()
    argv = ["restore", str(film), str(tmp_path / "b.mkv"), "--codec", "ffv1", "--no-record"]
    assert main(argv) == 0
    assert not record_path(tmp_path / "b.mkv").exists()
    # written over without a record, the old film's record goes with it: it would mislead
    argv = ["restore", str(film), str(tmp_path / "a.mkv"), "--codec", "ffv1", "--to", "6"]
    assert main([*argv, "--overwrite", "--no-record"]) == 0
    assert "record a.mkv.restoration.md of the film written over is removed" in (
        capsys.readouterr().out
    )
    assert not record_path(tmp_path / "a.mkv").exists()
