"""A video shown at another speed (`--fps` on a video file): a silent film transferred at sound
speed, shown at the rate it was shot at. Every frame kept and unchanged, each on screen longer;
the sound and subtitles, which would no longer fit, left out and said so; the project keeps it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.project import Project
from panchro.engine.restore import pipeline
from tests.makemedia import make_frame_folder


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="gray") for f in c.decode(video=0)]


def _with_chapter(film: Path, out_path: Path, end_ms: int, title: str) -> Path:
    """`film`'s streams copied into a Matroska file with one chapter from 0 to `end_ms`."""
    with av.open(str(film)) as inp, av.open(str(out_path), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        ms = Fraction(1, 1000)
        out.set_chapters(
            [{"id": 1, "start": 0, "end": end_ms, "time_base": ms, "metadata": {"title": title}}]
        )
        for packet in inp.demux():
            if packet.size:
                packet.stream = streams[packet.stream_index]
                out.mux(packet)
    return out_path


def test_a_video_shown_slower_keeps_every_frame_and_leaves_the_sound(
    tiny_video_subs: Path,
) -> None:
    own = media.probe(tiny_video_subs)
    assert own.fps == 24 and len(own.audio) == 1 and len(own.subtitles) == 1
    with media.open_source(tiny_video_subs, fps=18) as src:
        info = src.info
        assert info.fps == 18 and info.frame_count == own.frame_count == 48
        assert info.retimed_from == 24 and info.retimed_streams == 2
        assert info.audio == () and info.subtitles == ()
        assert info.duration_s == pytest.approx(own.duration_s * 24 / 18)
        frames = list(src.frames(fmt="gray"))
        assert frames[12].time_s == pytest.approx(12 / 18)
        assert src.index_at(1.0) == 18  # on the slower clock
    with media.open_source(tiny_video_subs) as src:
        assert all(
            np.array_equal(a.image, b.image)
            for a, b in zip(frames, src.frames(fmt="gray"), strict=True)
        )
    note = media.retimed_note(info)
    assert note is not None and "18.000 fps instead of the file's 24.000" in note
    assert "2 sound and subtitle streams left out" in note


def test_its_own_rate_changes_nothing(tiny_video: Path) -> None:
    own = media.probe(tiny_video)
    same = media.probe(tiny_video, fps=24.0)
    assert same == own and same.retimed_from is None and len(same.audio) == 1
    assert media.retimed_note(same) is None


def test_a_restore_at_the_films_speed(tiny_video_subs: Path, tmp_path: Path) -> None:
    out = tmp_path / "slow.mp4"
    summary = pipeline.restore(tiny_video_subs, out, reading=media.Reading(fps=18))
    got = media.probe(out)
    assert got.fps == 18 and got.frame_count == 48
    assert got.audio == () and got.subtitles == ()
    assert got.duration_s == pytest.approx(48 / 18, abs=0.06)
    assert summary.audio_streams == 0 and summary.subtitle_streams == 0
    assert any("shown at 18.000 fps" in n for n in summary.notes)
    normal = tmp_path / "normal.mp4"
    pipeline.restore(tiny_video_subs, normal)
    assert len(media.probe(normal).audio) == 1
    a, b = _frames(out), _frames(normal)
    assert len(a) == len(b) == 48
    # the same pictures (each encode has its own rounding: within a grey level on average)
    assert max(float(np.abs(x.astype(int) - y).mean()) for x, y in zip(a, b, strict=True)) < 1.0


def test_a_part_is_timed_on_the_slower_clock_and_chapters_stay_out(
    tiny_video: Path, tmp_path: Path
) -> None:
    source = _with_chapter(tiny_video, tmp_path / "chapters.mkv", 3000, "A")
    part = tmp_path / "part.mkv"
    assert media.probe(source).chapters == 1
    pipeline.restore(source, part, reading=media.Reading(fps=16), span_s=(1.04, 1.98))
    with av.open(str(part)) as c:
        assert not c.chapters() and not c.streams.audio
    # frames 16..31 (from 1.032 s at 16 fps: the Matroska file keeps milliseconds)
    assert media.probe(part).frame_count == 16
    whole = tmp_path / "whole.mkv"
    pipeline.restore(source, whole, span_s=(1.04, 1.98))
    with av.open(str(whole)) as c:
        assert c.chapters() and c.streams.audio  # at its own speed both stay
    assert media.probe(whole).frame_count == 24


def test_chapters_travel_without_sound(tiny_video_cuts: Path, tmp_path: Path) -> None:
    """A film with chapters and no sound kept them (it lost them before: only a film with
    sound or subtitles had them copied)."""
    source = _with_chapter(tiny_video_cuts, tmp_path / "silent_chapters.mkv", 1500, "Reel 1")
    info = media.probe(source)
    assert info.audio == () and info.chapters == 1
    restored = tmp_path / "restored.mkv"
    pipeline.restore(source, restored)
    with av.open(str(restored)) as c:
        assert [ch["metadata"]["title"] for ch in c.chapters()] == ["Reel 1"]
    assert media.probe(source, fps=12).chapters == 0  # shown slower: their times would be off


def test_the_project_keeps_the_speed(tiny_video: Path, tmp_path: Path) -> None:
    project = Project.new(tiny_video, fps=18)
    assert project.source.fps == 18 and project.source.retimed_from == 24
    assert project.shown_at() == 18
    d = project.to_dict()
    assert d["source"]["fps"] == "18/1" and d["source"]["retimed_from"] == "24/1"
    again = Project.from_dict(d)
    assert again.source == project.source
    plain = Project.new(tiny_video)
    assert plain.shown_at() is None and "retimed_from" not in plain.to_dict()["source"]
    assert Project.from_dict(plain.to_dict()).source.retimed_from is None
    folder = make_frame_folder(tmp_path / "frames", 4)
    assert Project.new(folder, fps=16).shown_at() == 16  # a folder's rate, as given
    bad = project.to_dict()
    bad["source"]["retimed_from"] = "0/1"
    with pytest.raises(Exception, match="retimed_from"):
        Project.from_dict(bad)


def test_the_command_line(tiny_video: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["info", str(tiny_video), "--fps", "16"]) == 0
    out = capsys.readouterr().out
    assert "speed" in out and "shown at 16.000 fps instead of the file's 24.000" in out
    assert "1 sound and subtitle stream left out" in out
    # a project made at another speed: a later run without --fps reads the film as it did
    proj = tmp_path / "film.panchro"
    Project.new(tiny_video, fps=16).save(proj)
    target = tmp_path / "out.mp4"
    assert main(["restore", str(tiny_video), str(target), "--project", str(proj), "-q"]) == 0
    got = media.probe(target)
    assert got.fps == Fraction(16) and got.audio == ()
    assert "shown at 16.000 fps" in capsys.readouterr().out
