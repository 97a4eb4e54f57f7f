"""The stabilize stage in a restore: gate weave taken out, a pan kept, never across a cut; the
same frames whether the film is rendered whole, resumed inside a shot or previewed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.imaging import weave
from panchro.engine.project import Project, Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.batch import frame_batch
from panchro.engine.restore.stabilize import StabilizeStage
from panchro.engine.restore.stages import build_stages
from panchro.engine.shots import Shot
from tests.jobs import alike_however_run
from tests.makemedia import make_weaving_video

FRAMES = 72
SHOTS = [Shot(0, FRAMES, 36)]


def offsets(weaving: bool) -> list[tuple[int, int]]:
    """A slow pan to the right (12 px over the film), with a weave of +-2 px laid on it."""
    rng = np.random.default_rng(5)
    pan = np.round(np.linspace(0, 12, FRAMES)).astype(int)
    wx = rng.integers(-2, 3, FRAMES) if weaving else np.zeros(FRAMES, int)
    wy = rng.integers(-1, 2, FRAMES) if weaving else np.zeros(FRAMES, int)
    return [(int(p + x), int(y)) for p, x, y in zip(pan, wx, wy, strict=True)]


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    here = tmp_path_factory.mktemp("stabilize")
    weaving = make_weaving_video(here / "weaving.mkv", offsets(True))
    return {
        "weaving": weaving,
        "steady": make_weaving_video(here / "steady.mkv", offsets(False)),
        "project": Project.new(weaving, shots=SHOTS).save(here / "w.panchro"),
    }


def grey(path: Path) -> np.ndarray:
    with media.open_source(path) as src:
        return np.stack([f.image for f in src.frames(fmt="gray")]).astype(np.float64) / 255


def jerk(y: np.ndarray) -> float:
    """How much the picture jumps about: the mean second difference of its measured path."""
    steps = np.array([weave.motion(a, b) for a, b in zip(y[:-1], y[1:], strict=True)])
    return float(np.abs(np.diff(steps, axis=0)).mean())


def test_the_weave_goes_and_the_pan_stays(films: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mkv"
    stages = build_stages(Settings(stabilize=1.0))
    assert [s.key.split(":")[0] for s in stages] == ["stabilize"]
    pipeline.restore(films["weaving"], out, codec="ffv1", stages=stages, project=films["project"])
    before, after, steady = grey(films["weaving"]), grey(out), grey(films["steady"])
    assert jerk(after) < 0.25 * jerk(before)
    # the pan is still there: the picture moved about 12 px to the right over the film
    path = np.cumsum([weave.motion(a, b)[0] for a, b in zip(after[:-1], after[1:], strict=True)])
    assert 9 < path[-1] < 15
    # and the frames are near the film without weave (up to a constant shift of the shot)
    inner = (slice(None), slice(8, -8), slice(8, -8))
    shift = np.array(weave.motion(steady[36], after[36]))
    back = weave.shift_planes(after.astype(np.float32), *np.tile(-shift, (FRAMES, 1)).T)
    err = np.abs(back - steady)[inner].mean()
    assert err < 0.4 * np.abs(before - steady)[inner].mean()


def test_a_film_without_weave_is_hardly_moved(films: dict[str, Path]) -> None:
    with media.open_source(films["steady"]) as src:
        stage = StabilizeStage()
        stage.begin_shot(0, SHOTS[0], None, src)
        moves = stage.moves(0, FRAMES)
    assert np.abs(moves).max() < 0.75  # the pan's 1-px steps, rounded from a straight line


def test_resumed_inside_a_shot_it_gives_the_frames_of_a_whole_run(
    films: dict[str, Path], tmp_path: Path
) -> None:
    settings = Settings(stabilize=0.8)
    alike_however_run(films["weaving"], films["project"], settings, tmp_path, at=30)


def test_neighbours_handed_to_a_later_stage_move_with_their_own_batch(
    films: dict[str, Path],
) -> None:
    with media.open_source(films["weaving"]) as src:
        frames = list(src.frames(0, 16, fmt="yuv444p"))
        stage = StabilizeStage()
        stage.begin_shot(0, SHOTS[0], None, src)
        ycc = np.stack([f.image for f in frames]).astype(np.float32) / 255
        whole = stage.process(frame_batch(frames, ycc, src.info.time_base, 0, "bt601"))
        middle = frame_batch(
            frames[6:10], ycc[6:10], src.info.time_base, 0, "bt601",
            before=ycc[4:6, ..., 0], after=ycc[10:12, ..., 0],
        )  # fmt: skip
        got = stage.process(middle)
    np.testing.assert_array_equal(got.y, whole.y[6:10])
    np.testing.assert_array_equal(got.y_before, whole.y[4:6])
    np.testing.assert_array_equal(got.y_after, whole.y[10:12])
    np.testing.assert_array_equal(got.cbcr, whole.cbcr[6:10])


def test_with_a_crop_the_picture_moves_inside_it_and_no_border_comes_in(
    tmp_path: Path,
) -> None:
    """A scan's black frame holds still while the picture weaves: moving the whole frame
    pulled the border into the cropped picture (a black band at its edge on the 1952 film);
    the picture is moved inside the crop, its own edge mirrored into the band."""
    film = make_weaving_video(tmp_path / "framed.mkv", offsets(True), border=6)
    project = Project.new(film, shots=SHOTS).save(tmp_path / "f.panchro")
    settings = Settings(stabilize=1.0, crop=(6, 6, 6, 6))
    stages = build_stages(settings)
    assert [s.key.split(":")[0] for s in stages] == ["stabilize", "crop"]
    assert ":in=6,6,6,6" in stages[0].key  # a cached batch moved in the whole frame is not it
    out = tmp_path / "out.mkv"
    pipeline.restore(film, out, codec="ffv1", stages=stages, project=project)
    after = grey(out)
    assert after.shape[1:] == (128 - 12, 192 - 12)
    edges = [after[:, :, 0], after[:, :, -1], after[:, 0, :], after[:, -1, :]]
    darkest = min(float(edge.mean(axis=1).min()) for edge in edges)
    assert darkest > 0.3  # the picture's own grey (0.2..0.9), no black coming in
    assert jerk(after) < 0.35 * jerk(grey(film)[:, 6:-6, 6:-6])
    # the whole frame moved, as before, brings the black frame in
    whole = [StabilizeStage(strength=1.0), *build_stages(Settings(crop=(6, 6, 6, 6)))]
    pipeline.restore(film, tmp_path / "whole.mkv", codec="ffv1", stages=whole, project=project)
    old = grey(tmp_path / "whole.mkv")
    old_edges = [old[:, :, 0], old[:, :, -1], old[:, 0, :], old[:, -1, :]]
    assert min(float(edge.mean(axis=1).min()) for edge in old_edges) < 0.15


def test_settings_and_the_command_line_keep_stabilize(
    films: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panchro.engine.cli import main

    s = Settings(stabilize=0.7, deflicker=0.5)
    assert Settings.from_dict(s.to_dict()) == s
    assert "stabilize" not in Settings().to_dict()
    with pytest.raises(ValueError, match="stabilize must be within 0..1"):
        Settings(stabilize=1.5)
    both = build_stages(Settings(stabilize=1.0, deflicker=1.0))
    assert [st.key.split(":")[0] for st in both] == ["stabilize", "deflicker"]
    out = tmp_path / "cli.mkv"
    argv = ["restore", str(films["weaving"]), str(out), "--stabilize", "1", "--codec", "ffv1"]
    assert main([*argv, "-q"]) == 0
    capsys.readouterr()
    assert jerk(grey(out)) < 0.25 * jerk(grey(films["weaving"]))


def test_eval_stabilize_says_how_much_weave_is_left_and_how_far_clips_move(
    films: dict[str, Path],
) -> None:
    from panchro.engine.errors import BadInputError
    from panchro.engine.evaluate.stabilize import eval_stabilize

    lines: list[str] = []
    got = eval_stabilize([films["steady"]], amount=1.0, out=lines.append)
    row = got["clips"][0]
    assert row["stabilized_db"] > row["weave_db"] + 5
    assert row["left_px"] < 0.35  # of the 1 px laid on (at 320 px wide)
    assert row["moved_px"] < 0.5  # the steady pan is hardly moved
    assert "steady.mkv" in lines[2] and lines[-1].lstrip().startswith("mean")
    with pytest.raises(BadInputError, match="not a clip"):
        eval_stabilize([films["steady"].parent / "nothing here"])


def test_a_long_take_keeps_a_bounded_pile_of_measures(tmp_path: Path) -> None:
    """A shot of 2,000 frames in batches of 8: what both stages keep stays bounded, and
    the frames are those of a stage that kept everything."""
    from panchro.engine.restore import measured
    from panchro.engine.restore.deflicker import DeflickerStage

    n = 2000
    film = make_weaving_video(
        tmp_path / "long.mkv", [((i * 3) % 5 - 2, (i * 7) % 3 - 1) for i in range(n)],
        size=(64, 48),
    )  # fmt: skip
    shot = Shot(0, n, n // 2)
    with media.open_source(film) as src:
        for stage in (StabilizeStage(), DeflickerStage()):
            stage.begin_shot(0, shot, None, src)
            kept = StabilizeStage() if isinstance(stage, StabilizeStage) else DeflickerStage()
            kept.begin_shot(0, shot, None, src)
            piles = []
            for start in range(0, n, 8):
                a = stage.changes(start, min(n, start + 8))
                piles.append(len(getattr(stage, "_shifts", getattr(stage, "_levels", {}))))
                if start % 400 == 0:  # the same figures as a stage that was never trimmed
                    kept.let_go = lambda m, before: m  # type: ignore[method-assign]
                    assert np.array_equal(a, kept.changes(start, min(n, start + 8)))
            assert max(piles) <= measured.KEEP + measured.READ_AHEAD + 64
