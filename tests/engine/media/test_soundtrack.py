"""A film's sound where its container cannot hold it, and a soundtrack from another file:
re-encoded only when needed (losslessly where the container allows), placed by its
offset, cut to the part and to the pictures, refused clearly where it cannot go."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.errors import BadInputError
from panchro.engine.project import Project, Settings
from panchro.engine.restore import pipeline
from tests.makemedia import (
    click_times,
    decoded_sound,
    make_frame_folder,
    make_sound,
    make_video,
)

FPS = 24
FRAMES = 72  # 3 s


def _streams(path: Path) -> list[tuple[str, str]]:
    with av.open(str(path)) as c:
        return [(s.type, s.codec_context.name) for s in c.streams]


def _sound_seconds(path: Path) -> float:
    samples, start, rate, _ = decoded_sound(path)
    return start + len(samples) / rate


@pytest.fixture(scope="module")
def silent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("silent") / "silent.mp4", frames=FRAMES,
                      audio=False)  # fmt: skip


@pytest.fixture(scope="module")
def score(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s of sound, clicks at 1.0 and 2.0 s (longer than the film)."""
    return make_sound(tmp_path_factory.mktemp("score") / "score.wav", 6.0, clicks=[1.0, 2.0])


def test_pcm_sound_is_reencoded_for_mp4_and_copied_into_mov(tmp_path: Path) -> None:
    # An MP4 cannot hold 16-bit PCM: before, the join failed after the whole restore.
    film = make_video(tmp_path / "pcm.mkv", frames=FRAMES, audio_codec="pcm_s16le")
    summary = pipeline.restore(film, tmp_path / "out.mp4")
    assert _streams(tmp_path / "out.mp4") == [("video", "h264"), ("audio", "aac")]
    assert any("re-encoded as AAC" in line and "pcm_s16le" in line for line in summary.sound)
    assert abs(_sound_seconds(tmp_path / "out.mp4") - FRAMES / FPS) < 0.05
    record = (tmp_path / "out.mp4.restoration.md").read_text()
    assert "re-encoded as AAC" in record

    summary = pipeline.restore(film, tmp_path / "out.mov")
    assert _streams(tmp_path / "out.mov") == [("video", "h264"), ("audio", "pcm_s16le")]
    assert summary.sound == ()
    original, _, _, _ = decoded_sound(film)
    copied, start, _, _ = decoded_sound(tmp_path / "out.mov")
    assert start == 0.0 and np.array_equal(copied, original)


def test_a_soundtrack_plays_from_its_offset_and_ends_with_the_pictures(
    tmp_path: Path, silent: Path, score: Path
) -> None:
    track = media.open_soundtrack(score, 0.5)
    assert (track.codec, track.channels, track.sample_rate) == ("pcm_s16le", 2, 48000)
    summary = pipeline.restore(silent, tmp_path / "later.mov", soundtrack=track)
    assert summary.audio_streams == 1
    assert _streams(tmp_path / "later.mov")[1] == ("audio", "pcm_s16le")
    assert click_times(tmp_path / "later.mov") == pytest.approx([1.5, 2.5], abs=0.002)
    # 6 s of score under 3 s of film: cut where the pictures end, to the sample (the WAV's
    # packets are 4,096 samples: 85 ms)
    assert _sound_seconds(tmp_path / "later.mov") == pytest.approx(FRAMES / FPS, abs=1e-6)
    assert any("score.wav" in line for line in summary.sound)

    earlier = media.open_soundtrack(score, -0.75)
    pipeline.restore(silent, tmp_path / "earlier.mov", soundtrack=earlier)
    assert click_times(tmp_path / "earlier.mov") == pytest.approx([0.25, 1.25], abs=0.002)


def test_a_soundtrack_replaces_the_films_sound_and_follows_a_part(
    tmp_path: Path, score: Path
) -> None:
    film = make_video(tmp_path / "sound.mp4", frames=FRAMES)  # a 440 Hz tone of its own
    track = media.open_soundtrack(score, 0.0)
    pipeline.restore(film, tmp_path / "part.mp4", soundtrack=track, span_s=(0.5, 2.5))
    assert [t for t, _ in _streams(tmp_path / "part.mp4")] == ["video", "audio"]
    # the part starts at 0.5 s of the film, so the score's clicks at 1 and 2 s come at 0.5, 1.5
    assert click_times(tmp_path / "part.mp4") == pytest.approx([0.5, 1.5], abs=0.03)
    # re-encoded as AAC: cut to the sample before, padded to AAC's 1,024-sample frame after
    assert 2.0 - 1e-6 <= _sound_seconds(tmp_path / "part.mp4") < 2.0 + 1024 / 48000 + 1e-6
    samples, _, rate, _ = decoded_sound(tmp_path / "part.mp4")
    spectrum = np.abs(np.fft.rfft(samples[: rate // 2 - 4800]))  # before the first click
    peak = np.argmax(spectrum) * rate / (2 * len(spectrum) - 2)
    assert abs(peak - 220) < 10  # the score's hum, not the film's own 440 Hz tone


def test_a_parts_pcm_sound_ends_with_its_pictures_to_the_sample(tmp_path: Path) -> None:
    film = make_video(tmp_path / "pcm.mov", frames=FRAMES, audio_codec="pcm_s24le")
    original, _, rate, _ = decoded_sound(film)
    pipeline.restore(film, tmp_path / "part.mov", span_s=(0.5, 2.5))
    assert _streams(tmp_path / "part.mov")[1] == ("audio", "pcm_s24le")  # copied
    kept, start, _, _ = decoded_sound(tmp_path / "part.mov")
    # a packet begun before the part keeps its place (from `start` <= 0); the last is cut
    assert start <= 0.0 and len(kept) == round((2.0 - start) * rate)
    first = round((0.5 + start) * rate)
    assert np.array_equal(kept, original[first : first + len(kept)])  # bit for bit
    # in an MKV too, to the millisecond its clock counts in
    pipeline.restore(film, tmp_path / "part.mkv", span_s=(0.5, 2.5))
    kept, start, _, _ = decoded_sound(tmp_path / "part.mkv")
    assert start + len(kept) / rate == pytest.approx(2.0, abs=0.0011)


def test_flac_goes_into_mov_losslessly_as_alac(tmp_path: Path, silent: Path) -> None:
    flac = make_sound(tmp_path / "score.flac", 2.0, codec="flac", clicks=[0.5])
    pipeline.restore(silent, tmp_path / "out.mov", soundtrack=media.open_soundtrack(flac))
    assert _streams(tmp_path / "out.mov")[1] == ("audio", "alac")
    original, _, _, _ = decoded_sound(flac)
    kept, start, _, _ = decoded_sound(tmp_path / "out.mov")
    assert start == 0.0 and np.array_equal(kept[: len(original)], original)


def test_a_folder_of_frames_gets_a_soundtrack(tmp_path: Path, score: Path) -> None:
    frames = make_frame_folder(tmp_path / "scan", n=36)  # 1.5 s at 24 fps
    track = media.open_soundtrack(score, 0.0)
    out = tmp_path / "scan.mkv"
    pipeline.restore(frames, out, soundtrack=track)
    assert _streams(out)[1] == ("audio", "pcm_s16le")
    assert click_times(out) == pytest.approx([1.0], abs=0.002)
    # cut where the pictures end, to Matroska's millisecond (its clock places packets so)
    assert _sound_seconds(out) == pytest.approx(1.5, abs=0.0011)


def test_the_projects_soundtrack_and_the_films_own(tmp_path: Path, score: Path) -> None:
    film = make_video(tmp_path / "sound.mp4", frames=FRAMES)
    settings = Settings(soundtrack=str(score), soundtrack_offset=0.25)
    project = Project.new(film, settings=settings)
    project.save(tmp_path / "film.panchro")
    loaded = Project.load(tmp_path / "film.panchro")
    assert (loaded.settings.soundtrack, loaded.settings.soundtrack_offset) == (str(score), 0.25)
    pipeline.restore(film, tmp_path / "scored.mov", project=loaded)
    assert click_times(tmp_path / "scored.mov") == pytest.approx([1.25, 2.25], abs=0.002)
    pipeline.restore(film, tmp_path / "own.mov", project=loaded, own_sound=True)
    assert _streams(tmp_path / "own.mov")[1] == ("audio", "aac")
    assert click_times(tmp_path / "own.mov") == []

    loaded.settings = replace(loaded.settings, soundtrack=str(tmp_path / "moved.wav"))
    with pytest.raises(BadInputError, match="the project's soundtrack .*moved.wav: does not exist"):
        pipeline.restore(film, tmp_path / "lost.mov", project=loaded)
    assert not (tmp_path / "lost.mov").exists()


def test_soundtracks_refused_with_the_reason(tmp_path: Path, silent: Path, score: Path) -> None:
    with pytest.raises(BadInputError, match="holds no sound"):
        media.open_soundtrack(silent)
    with pytest.raises(BadInputError, match="would not be heard"):
        pipeline.restore(silent, tmp_path / "a.mov", soundtrack=media.open_soundtrack(score, 3.5))
    with pytest.raises(BadInputError, match="leaves none of it"):
        pipeline.restore(silent, tmp_path / "b.mov", soundtrack=media.open_soundtrack(score, -7))
    with pytest.raises(BadInputError, match="image sequence holds no sound"):
        pipeline.restore(
            silent, tmp_path / "frames", codec="png16", soundtrack=media.open_soundtrack(score)
        )
    assert not any(tmp_path.iterdir())  # nothing started, nothing left


def test_offsets_are_whole_milliseconds() -> None:
    assert media.sound.soundtrack_offset(1.23456) == Fraction(1235, 1000)
    assert media.sound.soundtrack_offset(-0.0004) == 0


def test_the_command_line(
    tmp_path: Path, silent: Path, score: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panchro.engine.cli import main

    out = tmp_path / "scored.mp4"
    assert main(["restore", str(silent), str(out), "--soundtrack", str(score),
                 "--soundtrack-offset", "0.5"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "sound: soundtrack score.wav (pcm_s16le, 2 ch), from 0.500 s of the film" in printed
    assert "re-encoded as AAC 256 kb/s" in printed  # PCM in an MP4
    assert click_times(out) == pytest.approx([1.5, 2.5], abs=0.03)
    record = (tmp_path / "scored.mp4.restoration.md").read_text()
    assert "  - soundtrack score.wav" in record

    refused = {
        "--soundtrack-offset places a --soundtrack": ["--soundtrack-offset", "1"],
        "--own-sound keeps the film's sound": ["--soundtrack", str(score), "--own-sound"],
        "holds no sound": ["--soundtrack", str(silent)],
        "does not exist": ["--soundtrack", str(tmp_path / "nowhere.wav")],
    }
    for said, extra in refused.items():
        assert main(["restore", str(silent), str(tmp_path / "x.mp4"), *extra]) != 0
        assert said in capsys.readouterr().err
    picture = tmp_path / "still.png"
    from PIL import Image

    Image.new("RGB", (32, 24)).save(picture)
    assert main(["restore", str(picture), str(tmp_path / "p.png"), "--soundtrack", str(score)])
    assert "--soundtrack: for films" in capsys.readouterr().err
    films = tmp_path / "films"
    films.mkdir()
    assert main(["restore", "--batch", str(films), str(tmp_path / "all"), "--soundtrack",
                 str(score)])  # fmt: skip
    assert "--soundtrack: not for an archive" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()


def test_a_preview_is_heard_with_the_soundtrack_where_it_is_placed(
    tmp_path: Path, silent: Path, score: Path
) -> None:
    # 1 s from the middle of the 3-s film: frames 24..47, from 1.0 s of the film
    track = media.open_soundtrack(score, 0.25)  # clicks at 1.25 and 2.25 s of the film
    alone = pipeline.restore(silent, tmp_path / "alone.mp4", preview=1.0)
    assert "sound" not in alone.notes[0]  # a silent film's preview promises none
    summary = pipeline.restore(silent, tmp_path / "preview.mp4", preview=1.0, soundtrack=track)
    said = summary.notes[0]
    assert said.startswith("preview of 24 frames from 1.000 s") and "with their sound" in said
    assert summary.audio_streams == 1
    assert click_times(tmp_path / "preview.mp4") == pytest.approx([0.25], abs=0.03)
    assert abs(_sound_seconds(tmp_path / "preview.mp4") - 1.0) < 0.1  # cut with the pictures

    own = make_video(tmp_path / "tone.mp4", frames=FRAMES)  # its own 440 Hz tone
    summary = pipeline.restore(own, tmp_path / "own_preview.mp4", preview=1.0)
    assert _streams(tmp_path / "own_preview.mp4") == [("video", "h264"), ("audio", "aac")]
    samples, start, _, _ = decoded_sound(tmp_path / "own_preview.mp4")
    assert start < 0.05 and 0.9 < len(samples) / 48000 < 1.1


def test_a_project_moved_with_its_score_finds_it_beside_it(tmp_path: Path, score: Path) -> None:
    import shutil

    from panchro.engine.restore.delivery import project_soundtrack

    film = make_video(tmp_path / "film.mp4", frames=FRAMES, audio=False)
    here = tmp_path / "here"
    here.mkdir()
    track = shutil.copy(score, here / "score.wav")
    Project.new(film, settings=Settings(soundtrack=str(track))).save(here / "film.panchro")
    there = tmp_path / "there"
    here.rename(there)  # the project and its score moved together; the film stayed
    project = Project.load(there / "film.panchro")
    assert project_soundtrack(project) == (str(there / "score.wav"), True)
    summary = pipeline.restore(film, tmp_path / "out.mov", project=project)
    assert f"the project's soundtrack found beside it: {there / 'score.wav'}" in summary.notes
    assert click_times(tmp_path / "out.mov") == pytest.approx([1.0, 2.0], abs=0.002)
