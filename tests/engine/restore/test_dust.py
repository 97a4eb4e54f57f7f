"""The dust stage in a restore: specks filled, the rest of each frame untouched; the same frames
whether the film is rendered whole, resumed inside a shot, batched otherwise or previewed;
the setting kept in projects, on the command line and refused where it has no use."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from panchro.engine.evaluate.telecine import write_video
from panchro.engine.project import Project, Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.dust import DustStage
from panchro.engine.restore.stages import build_stages
from panchro.engine.shots import Shot
from tests.jobs import alike_however_run, grey_frames, handed_on_alike, preview_is_render
from tests.makemedia import dusty_frames

FRAMES = 24
SHOTS = [Shot(0, FRAMES, 12)]


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    here = tmp_path_factory.mktemp("dust")
    _, dusty = dusty_frames(FRAMES)
    path = write_video(here / "dusty.mkv", list(dusty), Fraction(24), codec="ffv1")
    return {"film": path, "project": Project.new(path, shots=SHOTS).save(here / "d.panchro")}


def test_specks_are_filled_and_the_rest_of_each_frame_is_untouched(
    film: dict[str, Path], tmp_path: Path
) -> None:
    clean, dusty = (a.astype(np.int16) for a in dusty_frames(FRAMES))
    read = grey_frames(film["film"])  # as the film gives them back (grey through limited-range YUV)
    assert np.abs(read - dusty).max() <= 1
    out = tmp_path / "out.mkv"
    stages = build_stages(Settings(dust=1.0))
    summary = pipeline.restore(film["film"], out, stages=stages, codec="ffv1")
    got = grey_frames(out)
    specks = np.abs(dusty - clean) > 0
    assert np.abs(dusty - clean)[specks].mean() > 100
    assert np.abs(got - clean)[specks].mean() < 12  # filled from the frames either side
    assert np.abs(got - clean)[specks].max() < 60
    changed = got != read
    assert changed[specks].mean() > 0.97
    # Only around specks: a pixel's width of rim, nothing beyond
    near = np.zeros_like(specks)
    for dy in range(-3, 4):
        for dx in range(-3, 4):
            near |= np.roll(specks, (dy, dx), axis=(1, 2))
    assert not changed[~near].any()
    assert any(n.startswith("dust: specks filled on 22 of 24 frames") for n in summary.notes)


def test_resumed_inside_a_shot_it_gives_the_frames_of_a_whole_run(
    film: dict[str, Path], tmp_path: Path
) -> None:
    alike_however_run(film["film"], film["project"], Settings(dust=0.8), tmp_path)


def test_neighbours_handed_to_a_later_stage_are_cleaned_as_in_their_own_batch(
    film: dict[str, Path],
) -> None:
    handed_on_alike(DustStage(hand_on=2), film["film"])


def test_a_preview_shows_the_frame_a_render_makes(film: dict[str, Path], tmp_path: Path) -> None:
    shown = preview_is_render(
        film["film"], Settings(dust=1.0), tmp_path, "dust: specks filled on 22 of 24 frames"
    )
    assert shown.luma_diff.max() > 0.3  # a speck went


def test_settings_and_the_command_line_keep_dust(
    film: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panchro.engine.cli import main

    s = Settings(dust=0.6, stabilize=0.5)
    assert Settings.from_dict(s.to_dict()) == s
    assert "dust" not in Settings().to_dict()
    assert Settings(dust=0.5).restores_anything
    with pytest.raises(ValueError, match="dust must be within 0..1"):
        Settings(dust=1.5)
    with pytest.raises(ValueError, match="dust strength"):
        DustStage(strength=0.0)
    order = build_stages(Settings(dust=1.0, stabilize=1.0, deflicker=1.0))
    assert [st.key.split(":")[0] for st in order] == ["dust", "stabilize", "deflicker"]
    assert order[0].context == 2  # nothing after it looks across frames
    out = tmp_path / "cli.mkv"
    argv = ["restore", str(film["film"]), str(out), "--dust", "1", "--codec", "ffv1"]
    assert main(argv) == 0
    assert "note: dust: specks filled on" in capsys.readouterr().out
    clean, dusty = dusty_frames(FRAMES)
    specks = dusty != clean
    assert np.abs(grey_frames(out) - clean)[specks].mean() < 12


def test_eval_dust_says_how_much_dirt_goes_and_what_a_clip_without_it_loses(
    film: dict[str, Path], tmp_path: Path
) -> None:
    from panchro.engine.errors import BadInputError
    from panchro.engine.evaluate.dust import eval_dust

    clean, _ = dusty_frames(FRAMES)
    clip = write_video(tmp_path / "clean.mkv", list(clean), Fraction(24), codec="ffv1")
    lines: list[str] = []
    got = eval_dust([clip, film["film"]], frames=16, width=192, out=lines.append)
    row = got["clips"][0]  # the clean film, as it is
    assert row["film"] == "clean" and row["frames"] == 16
    assert row["cleaned_db"] > row["dirty_db"] + 4
    assert row["gone"] > 0.6 and row["found"] > 0.6
    assert row["changed"] < 1.0  # a clip without dirt: hardly a pixel
    dusty = got["clips"][1]  # the film with dirt of its own: that is found as well
    assert dusty["changed"] > 10 * max(row["changed"], 0.1)
    assert "clean.mkv" in lines[2] and lines[-3].lstrip().startswith("mean")
    with pytest.raises(BadInputError, match="not a clip"):
        eval_dust([tmp_path / "nothing here"])


def test_a_shot_that_leaves_dust_out_keeps_its_specks(
    film: dict[str, Path], tmp_path: Path
) -> None:
    """Two shots of the same dusty frames; the second leaves dust out (snow, sparks): its
    frames come out as read, the first's specks are filled; kept by the project and the
    job, and said in the project's file."""
    clean, dusty = (a.astype(np.int16) for a in dusty_frames(FRAMES))
    read = grey_frames(film["film"])
    shots = [Shot(0, 12, 6), Shot(12, FRAMES, 18, frozenset({"dust"}))]
    project = Project.new(film["film"], shots=shots)
    saved = project.save(tmp_path / "off.panchro")
    written = json.loads(saved.read_text())["shots"]
    assert "off" not in written[0] and written[1]["off"] == ["dust"]
    loaded = Project.load(saved)
    assert (
        loaded.shots[1].off == {"dust"}
        and loaded.digest()
        != Project.new(film["film"], shots=[Shot(0, 12, 6), Shot(12, FRAMES, 18)]).digest()
    )
    out = tmp_path / "out.mkv"
    pipeline.restore(film["film"], out, project=saved, stages=build_stages(Settings(dust=1.0)),
                     codec="ffv1")  # fmt: skip
    got = grey_frames(out)
    specks = np.abs(dusty - clean) > 0
    assert np.abs(got - clean)[:12][specks[:12]].mean() < 12  # the first shot: filled
    assert np.array_equal(got[12:], read[12:])  # the second: every pixel as read
    # a split keeps what the shot leaves out in both parts; a merge only what both left out
    loaded.split(16)
    assert [s.off for s in loaded.shots] == [frozenset(), {"dust"}, {"dust"}]
    loaded.merge(0)
    assert [s.off for s in loaded.shots] == [frozenset(), {"dust"}]
    with pytest.raises(ValueError, match="is not a stage a shot can leave out"):
        Shot(0, 4, 2, frozenset({"colour"}))
