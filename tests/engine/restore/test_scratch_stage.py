"""The scratches stage in a restore: line scratches taken out, the rest of each frame
untouched; the same frames whether the film is rendered whole, resumed inside a shot,
batched otherwise or previewed, alone or before the dust stage; the setting kept in
projects, on the command line and refused where it has no use."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from panchro.engine.evaluate.telecine import write_video
from panchro.engine.project import Project, Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.scratches import ScratchStage
from panchro.engine.restore.stages import build_stages
from panchro.engine.shots import Shot
from tests.jobs import alike_however_run, grey_frames, handed_on_alike, preview_is_render
from tests.makemedia import scratched_frames

FRAMES = 24
SHOTS = [Shot(0, FRAMES, 12)]


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    here = tmp_path_factory.mktemp("scratches")
    _, scratched = scratched_frames(FRAMES)
    path = write_video(here / "scratched.mkv", list(scratched), Fraction(24), codec="ffv1")
    return {"film": path, "project": Project.new(path, shots=SHOTS).save(here / "s.panchro")}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / max(np.mean((a.astype(np.float64) - b) ** 2), 1e-9)))


def test_scratches_are_taken_out_and_the_rest_of_each_frame_is_untouched(
    film: dict[str, Path], tmp_path: Path
) -> None:
    clean, scratched = (a.astype(np.int16) for a in scratched_frames(FRAMES))
    read = grey_frames(film["film"])  # as the film gives them back (grey through limited-range YUV)
    assert np.abs(read - scratched).max() <= 1
    out = tmp_path / "out.mkv"
    summary = pipeline.restore(
        film["film"], out, stages=build_stages(Settings(scratches=1.0)), codec="ffv1"
    )
    got = grey_frames(out)
    assert psnr(got, clean) > psnr(read, clean) + 8
    changed = np.nonzero((got != read).any(axis=(0, 1)))[0]
    # Near the two scratches (at 76.8 and 179.2 px, drifting 0.2 px a frame), nothing else.
    assert set(changed) <= set(range(71, 88)) | set(range(174, 190)), changed
    assert any(n.startswith("scratches: taken out on 24 of 24 frames") for n in summary.notes)


def test_resumed_inside_a_shot_it_gives_the_frames_of_a_whole_run(
    film: dict[str, Path], tmp_path: Path
) -> None:
    # With the dust stage after it, which judges by the neighbours it hands on.
    alike_however_run(film["film"], film["project"], Settings(scratches=0.8, dust=1.0), tmp_path)


def test_neighbours_handed_to_a_later_stage_are_cleaned_as_in_their_own_batch(
    film: dict[str, Path],
) -> None:
    handed_on_alike(ScratchStage(hand_on=2), film["film"])


def test_a_preview_shows_the_frame_a_render_makes(film: dict[str, Path], tmp_path: Path) -> None:
    shown = preview_is_render(
        film["film"], Settings(scratches=1.0), tmp_path, "scratches: taken out on 24 of 24"
    )
    assert shown.luma_diff.max() > 0.1  # a scratch went


def test_settings_and_the_command_line_keep_scratches(
    film: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panchro.engine.cli import main

    s = Settings(scratches=0.6, dust=0.5)
    assert Settings.from_dict(s.to_dict()) == s
    assert "scratches" not in Settings().to_dict()
    assert Settings(scratches=0.5).restores_anything
    with pytest.raises(ValueError, match="scratches must be within 0..1"):
        Settings(scratches=1.5)
    with pytest.raises(ValueError, match="scratches strength"):
        ScratchStage(strength=0.0)
    order = build_stages(Settings(scratches=1.0, dust=1.0, stabilize=1.0, upscale=1))
    assert [st.key.split(":")[0] for st in order] == ["scratches", "dust", "stabilize"]
    assert order[1].context == 2 and order[0].context == 4  # it hands on what dust judges by
    out = tmp_path / "cli.mkv"
    argv = ["restore", str(film["film"]), str(out), "--scratches", "1", "--codec", "ffv1"]
    assert main(argv) == 0
    assert "note: scratches: taken out on" in capsys.readouterr().out
    clean, scratched = scratched_frames(FRAMES)
    assert psnr(grey_frames(out), clean) > psnr(scratched, clean) + 8


def test_eval_scratches_says_how_much_goes_and_what_a_clip_without_them_loses(
    film: dict[str, Path], tmp_path: Path
) -> None:
    from panchro.engine.errors import BadInputError
    from panchro.engine.evaluate.scratches import eval_scratches

    clean, _ = scratched_frames(FRAMES)
    clip = write_video(tmp_path / "clean.mkv", list(clean), Fraction(24), codec="ffv1")
    lines: list[str] = []
    got = eval_scratches([clip, film["film"]], frames=16, width=256, out=lines.append)
    row = got["clips"][0]  # the clean film, as it is
    assert row["film"] == "clean" and row["frames"] == 16
    assert row["cleaned_db"] > row["dirty_db"] + 2
    assert row["gone"] > 0.4 and row["found"] > 0.4
    assert row["changed"] == 0.0  # a clip without scratches: not a pixel
    own = got["clips"][1]  # the film with scratches of its own: those are found as well
    assert own["changed"] > 100
    assert "clean.mkv" in lines[2] and lines[-3].lstrip().startswith("mean")
    with pytest.raises(BadInputError, match="not a clip"):
        eval_scratches([tmp_path / "nothing here"])
