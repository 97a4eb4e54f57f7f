"""The deflicker stage in a restore: flicker evened out within shots, never across a cut,
the same frames whether the film is rendered whole, resumed inside a shot or previewed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.errors import BadInputError
from panchro.engine.evaluate.deflicker import even_out
from panchro.engine.imaging import flicker
from panchro.engine.project import Project, Settings
from panchro.engine.restore import frame_preview, pipeline
from panchro.engine.restore.deflicker import DeflickerStage
from panchro.engine.restore.stages import build_stages
from panchro.engine.settings import settings_for
from panchro.engine.shots import Shot
from tests.jobs import alike_however_run
from tests.makemedia import make_video, soft_pan

FRAMES = 72
CUT = 40
SHOTS = [Shot(0, CUT, 20), Shot(CUT, FRAMES, 56)]
UNEVEN = 96  # frames of the film with flicker across it: more than a window's reach twice
STEP = 52  # where its light is lowered for good, near where a resumed render goes on (48)


def exposure(seed: int = 0) -> np.ndarray:
    """A gain per frame: flicker of +-8 % around 0.8; the second shot a stop darker."""
    rng = np.random.default_rng(seed)
    gain = 0.8 + rng.normal(0, 0.08, FRAMES)
    gain[CUT:] *= 0.5
    return np.clip(gain, 0.3, 1.0)


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    here = tmp_path_factory.mktemp("deflicker")
    steady = np.where(np.arange(FRAMES) < CUT, 0.8, 0.4)
    kw = {"frames": FRAMES, "size": (96, 64), "pattern": "gray", "codec": "ffv1", "audio": False}
    # no frame counter: its bits flipping would move the histogram as flicker does
    kw |= {"cuts": (CUT,), "counter": False}
    return {
        "flickering": make_video(here / "flickering.mkv", exposure=exposure(), **kw),
        "steady": make_video(here / "steady.mkv", exposure=steady, **kw),
        "project": Project.new(here / "flickering.mkv", shots=SHOTS).save(here / "f.panchro"),
        "steady project": Project.new(here / "steady.mkv", shots=SHOTS).save(here / "s.panchro"),
    }


def coloured(frames: np.ndarray) -> np.ndarray:
    """RGB floats of grey frames (N, H, W) under light warm on the left, cool on the right:
    chroma that a field must scale as it scales the luma."""
    x = np.linspace(0, 1, frames.shape[2])
    tint = np.stack([1.2 - 0.6 * x, np.full_like(x, 0.85), 0.5 + 0.6 * x], axis=-1)
    return np.clip(frames[..., None] * tint, 0, 1)


def as_bytes(rgb: np.ndarray) -> np.ndarray:
    return (rgb * 255).round().astype(np.uint8)


@pytest.fixture(scope="module")
def uneven(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A colour pan (one shot, 96 frames, its light lowered for good at `STEP`) without
    flicker and with flicker across the frame (`degrade.uneven_flicker`, 8 %, on R, G and B
    alike): a lossless film of the latter, and the RGB of both."""
    from panchro.engine.imaging.degrade import uneven_flicker

    here = tmp_path_factory.mktemp("uneven")
    clip = soft_pan(UNEVEN, (128, 72), step=1, grain=0.01, relief=0.15)
    steady = coloured(clip)
    steady[STEP:] *= 0.75
    laid = coloured(uneven_flicker(clip, np.random.default_rng(7), 0.08))
    laid[STEP:] *= 0.75  # the light lowered for good: a step the windows must not cross
    kw = {"frames": UNEVEN, "size": (128, 72), "codec": "ffv1", "audio": False}
    film = make_video(here / "uneven.mkv", pictures=as_bytes(laid), counter=False, **kw)
    return {
        "flickering": film,
        "steady rgb": steady,
        "flickering rgb": laid,
        "project": Project.new(film, shots=[Shot(0, UNEVEN, 48)]).save(here / "u.panchro"),
    }


def planes(path: Path) -> np.ndarray:
    """(N, H, W, 3) Y, Cb, Cr in 0..1 as decoded."""
    with media.open_source(path) as src:
        return np.stack([f.image for f in src.frames(fmt="yuv444p")]).astype(np.float64) / 255


def luma(path: Path) -> np.ndarray:
    with media.open_source(path) as src:
        return np.stack([f.image for f in src.frames(fmt="gray")]).astype(np.float64) / 255


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / np.mean((a - b) ** 2)))


def wobble(y: np.ndarray, shots: list[Shot]) -> float:
    """Mean flicker of the shots' quantiles (`flicker.flicker_of`), in grey levels."""
    q = np.stack([flicker.levels(f) for f in y])
    half = flicker.half_window(24)
    return 255 * float(np.mean([flicker.flicker_of(q[s.start : s.end], half) for s in shots]))


def test_a_flickering_film_comes_out_steady_and_its_cut_stays_a_cut(
    films: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.mkv"
    stages = build_stages(Settings(deflicker=1.0))
    assert [s.key.split(":")[0] for s in stages] == ["deflicker"]
    pipeline.restore(
        films["flickering"], out, codec="ffv1", stages=stages, project=films["project"]
    )
    before, after = luma(films["flickering"]), luma(out)
    # The same film without the flicker wobbles a little too (its moving square and frame
    # number change the histogram): what the flicker added is what must go.
    steady = luma(films["steady"])
    base = wobble(steady, SHOTS)
    assert wobble(after, SHOTS) - base < 0.15 * (wobble(before, SHOTS) - base)
    assert psnr(after, steady) > psnr(before, steady) + 4
    # Each shot keeps its own level: the dark one is not lifted towards the light one.
    for s in SHOTS:
        assert abs(after[s.start : s.end].mean() - before[s.start : s.end].mean()) < 0.02
    assert after[CUT:].mean() < 0.6 * after[:CUT].mean()


def test_flicker_across_the_frame_goes_from_luma_and_chroma_alike(uneven: dict[str, Any]) -> None:
    """The stage on the flickering film's frames as floats (its measures from the film):
    luma and chroma each nearer the film without flicker, and nearer than the whole frame's
    evening out alone takes them."""
    from panchro.engine.imaging.color import rgb_to_ycbcr
    from panchro.engine.restore.batch import frame_batch

    steady = rgb_to_ycbcr(uneven["steady rgb"], matrix="bt601")
    before = rgb_to_ycbcr(uneven["flickering rgb"], matrix="bt601")
    with media.open_source(uneven["flickering"]) as src:
        frames = list(src.frames(fmt="gray"))
        stage = DeflickerStage(strength=1.0)
        stage.begin_shot(0, Shot(0, UNEVEN, 48), None, src)
        got = stage.process(frame_batch(frames, before, src.info.time_base, 0, "bt601"))
    after = np.concatenate([got.y[..., None], np.moveaxis(got.cbcr, 1, -1)], axis=-1)
    # The whole frame evened out alone: its gain on the chroma too.
    shot = [Shot(0, UNEVEN, 48)]
    whole = np.concatenate([even_out(before[..., 0], shot, 24, field=False)[..., None],
                            before[..., 1:] * whole_gain(before[..., 0])[:, None, None, None]],
                           axis=-1)  # fmt: skip
    for p in (0, 1, 2):  # Y, Cb, Cr
        miss = np.abs(after[..., p] - steady[..., p]).mean()
        assert miss < np.abs(before[..., p] - steady[..., p]).mean()
        assert miss < 0.9 * np.abs(whole[..., p] - steady[..., p]).mean()
    assert (
        np.abs(after[..., 0] - steady[..., 0]).mean()
        < 0.7 * np.abs(before[..., 0] - steady[..., 0]).mean()
    )


def whole_gain(y: np.ndarray) -> np.ndarray:
    q = np.stack([flicker.levels(f) for f in y])
    return flicker.corrections(q, flicker.half_window(24), span=flicker.step_span(24)).gain


def test_resumed_inside_a_shot_flicker_across_the_frame_goes_as_in_a_whole_run(
    uneven: dict[str, Path], tmp_path: Path
) -> None:
    settings = Settings(deflicker=1.0)
    alike_however_run(uneven["flickering"], uneven["project"], settings, tmp_path, at=48)


def test_the_stage_evens_out_as_the_evaluation_does(uneven: dict[str, Any]) -> None:
    """`eval deflicker`'s figures are the stage's: the same frames from both."""
    from panchro.engine.restore.batch import planes_batch

    with media.open_source(uneven["flickering"]) as src:
        frames = list(src.frames(fmt="gray"))
        y = np.stack([f.image for f in frames]).astype(np.float32) / 255
        stage = DeflickerStage(strength=0.7)
        stage.begin_shot(0, Shot(0, UNEVEN, 48), None, src)
        cbcr = np.zeros((len(y), 2, *y.shape[1:]), np.float32)
        got = stage.process(planes_batch(frames, y, cbcr, src.info.time_base, 0, "bt601"))
    expected = even_out(y.astype(np.float64), [Shot(0, UNEVEN, 48)], float(src.info.fps), 0.7)
    np.testing.assert_allclose(np.clip(got.y, 0, 1), expected, atol=2e-6)


def test_a_steady_film_is_left_nearly_as_it_is(films: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mkv"
    stages = build_stages(Settings(deflicker=1.0))
    pipeline.restore(
        films["steady"], out, codec="ffv1", stages=stages, project=films["steady project"]
    )
    # the moving square changes the histogram a little, and the correction with it
    assert psnr(luma(out), luma(films["steady"])) > 45


def test_resumed_inside_a_shot_it_gives_the_frames_of_a_whole_run(
    films: dict[str, Path], tmp_path: Path
) -> None:
    settings = Settings(deflicker=0.8)
    alike_however_run(films["flickering"], films["project"], settings, tmp_path, at=30)


def test_neighbours_handed_to_a_later_stage_are_evened_out_as_their_own_batch_is(
    films: dict[str, Path],
) -> None:
    """The upscaler's window: the frames before and after a batch come corrected too, with
    the gain and offset their own batch gets."""
    with media.open_source(films["flickering"]) as src:
        frames = list(src.frames(0, 16, fmt="yuv444p"))
        stage = DeflickerStage(strength=1.0)
        stage.begin_shot(0, SHOTS[0], None, src)
        ycc = np.stack([f.image for f in frames]).astype(np.float32) / 255
        from panchro.engine.restore.batch import frame_batch

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


def test_the_preview_shows_the_frame_a_render_gives(films: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mkv"
    kw = {"project": films["project"]}
    pipeline.restore(
        films["flickering"], out, codec="ffv1", stages=build_stages(Settings(deflicker=1.0)), **kw
    )
    shown = frame_preview.preview_frame(
        films["flickering"], 25, build_stages(Settings(deflicker=1.0)), shot=SHOTS[0]
    )
    rendered = luma(out)[25]
    grey = shown.after.astype(np.float64).mean(axis=2)  # a grey film: R = G = B = Y
    assert np.abs(grey - rendered).max() <= 2 / 255
    assert shown.luma_diff.mean() > 0.001  # the preview shows the correction it made


def test_settings_keep_deflicker_and_refuse_what_is_out_of_range(tmp_path: Path) -> None:
    s = Settings(deflicker=0.6)
    assert Settings.from_dict(s.to_dict()) == s
    assert "deflicker" not in Settings().to_dict()  # projects from before read the same
    assert Settings.from_dict(Settings().to_dict()).deflicker == 0.0
    with pytest.raises(ValueError, match="deflicker must be within 0..1"):
        Settings(deflicker=1.5)
    with pytest.raises(BadInputError, match="deflicker"):
        settings_for(None, deflicker=-0.1)
    assert build_stages(Settings()) == []


def test_the_command_line_evens_out_as_asked_or_as_the_project_says(
    films: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panchro.engine.cli import main

    film = films["flickering"]
    asked = tmp_path / "asked.mkv"
    ffv1 = ["--codec", "ffv1", "-q"]
    assert main(["restore", str(film), str(asked), "--deflicker", "1", *ffv1]) == 0
    project = Project.load(films["project"]).with_settings(deflicker=1.0)
    project.save(tmp_path / "p.panchro")
    kept = tmp_path / "kept.mkv"
    argv = ["restore", str(film), str(kept), "--project", str(tmp_path / "p.panchro")]
    assert main([*argv, *ffv1]) == 0
    plain = tmp_path / "plain.mkv"
    assert main([*argv[:2], str(plain), *argv[3:], "--deflicker", "0", *ffv1]) == 0
    capsys.readouterr()
    shots = SHOTS
    original = wobble(luma(film), shots)
    assert wobble(luma(asked), shots) < 0.5 * original
    assert wobble(luma(kept), shots) < 0.5 * original
    assert wobble(luma(plain), shots) == pytest.approx(original, rel=0.05)  # 0: as it is


def test_eval_deflicker_says_how_much_went_and_what_a_steady_film_pays(
    films: dict[str, Path],
) -> None:
    from panchro.engine.evaluate.deflicker import eval_deflicker

    lines: list[str] = []
    got = eval_deflicker([films["steady"]], gain=0.08, offset=0.03, out=lines.append)
    row = got["clips"][0]
    assert row["deflickered_db"] > row["flickered_db"] + 6
    assert row["deflickered_db"] > row["whole_db"] + 1  # the flicker laid on across it too
    added = row["uneven_flickered"] - row["uneven_clip"]  # the moving square's is the clip's
    assert row["uneven_deflickered"] - row["uneven_clip"] < 0.5 * added
    assert row["alone_db"] > row["deflickered_db"]
    assert row["wobble_deflickered"] < 0.3 * row["wobble_flickered"]
    assert "steady.mkv" in lines[2] and lines[-1].lstrip().startswith("mean")
    with pytest.raises(BadInputError, match="not a clip"):
        eval_deflicker([films["steady"].parent / "nothing here"])


def test_shot_detection_says_how_much_a_film_flickers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panchro.engine import shots
    from panchro.engine.cli import main
    from panchro.engine.service.protocol import FLICKER_SOME, FLICKER_STRONG

    # 90 frames: the figure is taken where a frame's whole window (37 frames) is in its shot
    kw = {"frames": 90, "pattern": "gray", "codec": "ffv1", "audio": False, "counter": False}
    gain = 0.8 + np.random.default_rng(2).normal(0, 0.08, 90)
    flickering = shots.analyse(make_video(tmp_path / "f.mkv", exposure=gain, **kw))
    steady = shots.analyse(make_video(tmp_path / "s.mkv", **kw))
    assert flickering.flicker is not None and flickering.flicker > FLICKER_STRONG
    assert steady.flicker is not None and steady.flicker < FLICKER_SOME
    # a cut a stop darker is not taken for flicker: the frames whose window reaches over it
    # are left out (two thirds of these; their figures would be some 50 grey levels)
    dark = np.where(np.arange(90) < 45, 1.0, 0.5)
    cut = shots.analyse(make_video(tmp_path / "c.mkv", exposure=dark, cuts=(45,), **kw))
    assert [s.start for s in cut.shots] == [0, 45]
    assert cut.flicker is not None and cut.flicker < FLICKER_SOME
    assert main(["shots", str(tmp_path / "f.mkv"), "-q"]) == 0
    assert "flicker: strong" in capsys.readouterr().out


def test_a_shot_that_leaves_deflicker_out_keeps_its_flicker(
    films: dict[str, Path], tmp_path: Path
) -> None:
    """A flash meant (an explosion, lightning): the shot that leaves deflicker out comes out as
    read; the other shot is evened out as before."""
    first, second = SHOTS
    shots = [first, Shot(second.start, second.end, second.key_frame, frozenset({"deflicker"}))]
    project = Project.new(films["flickering"], shots=shots).save(tmp_path / "off.panchro")
    out = tmp_path / "out.mkv"
    stages = build_stages(Settings(deflicker=1.0))
    pipeline.restore(films["flickering"], out, project=project, stages=stages, codec="ffv1")
    got, read = luma(out), luma(films["flickering"])
    assert np.array_equal(got[second.start :], read[second.start :])
    assert wobble(got, [first]) < 0.5 * wobble(read, [first])
