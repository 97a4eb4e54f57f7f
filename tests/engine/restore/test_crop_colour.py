"""Colouring inside the crop: a film between black bars is coloured as its picture alone would
be (`ColorizeStage.crop`), picks drawn on another part of the frame keep their colours where
they were (`restore.crop.regrid`), and hints are taken in the picture's pixels."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine.imaging.hints import Hints, Point, Stroke, rasterize
from panchro.engine.project import Pick, Project, Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.crop import CropStage, paste, regrid, scaled_margins
from panchro.engine.restore.frame_preview import preview_frame
from panchro.engine.restore.stages import ColorizeStage, build_stages
from panchro.engine.shots import Shot
from tests.makemedia import make_video, pattern_frame

BARS = (16, 8, 16, 8)  # left, top, right, bottom: even, so the 4:2:0 chroma lines up
PICTURE = (96, 64)
FRAMES = 12


def _pictures() -> list[np.ndarray]:
    return [pattern_frame(i, PICTURE).clip(40, 255).astype(np.uint8) for i in range(FRAMES)]


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same 12 pictures (96 x 64) alone, and between black bars (BARS), lossless."""
    here = tmp_path_factory.mktemp("crop_colour")
    left, top, right, bottom = BARS
    w, h = PICTURE[0] + left + right, PICTURE[1] + top + bottom
    barred = []
    for pic in _pictures():
        frame = np.zeros((h, w, 3), np.uint8)
        frame[top : h - bottom, left : w - right] = pic
        barred.append(frame)
    alone = make_video(here / "alone.mkv", frames=FRAMES, size=PICTURE, codec="ffv1",
                       pictures=_pictures(), audio=False)  # fmt: skip
    between = make_video(here / "barred.mkv", frames=FRAMES, size=(w, h), codec="ffv1",
                         pictures=barred, audio=False)  # fmt: skip
    return alone, between


def _planes(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="yuv444p") for f in c.decode(video=0)])


def _stage(models: Path, **kw: object) -> ColorizeStage:
    # the test pictures are in colour: drawn anew, as a black-and-white film's are drawn
    kw.setdefault("recolour", True)
    return ColorizeStage(
        seed=5,
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
        **kw,  # type: ignore[arg-type]
    )


def test_a_film_between_bars_is_coloured_as_its_picture_alone(
    films: tuple[Path, Path], models: Path, tmp_path: Path
) -> None:
    alone, barred = films
    a, b, old = tmp_path / "a.mkv", tmp_path / "b.mkv", tmp_path / "old.mkv"
    # one shot, one key frame: both films' pictures are the same
    pa, pb = (Project.new(f, shots=[Shot(0, FRAMES, 4)]) for f in (alone, barred))
    pipeline.restore(alone, a, codec="ffv1", stages=[_stage(models)], project=pa)
    stages = [_stage(models, crop=BARS), CropStage(BARS)]
    pipeline.restore(barred, b, codec="ffv1", stages=stages, project=pb)
    want, got = _planes(a), _planes(b)
    assert got.shape == want.shape
    assert np.array_equal(got[:, 0], want[:, 0])  # the luma, as it was
    # the same automatic pick of the same picture, refined from the same luma
    assert np.abs(got[:, 1:].astype(int) - want[:, 1:]).max() <= 1
    assert np.abs(want[:, 1:].astype(int) - 128).mean() > 2  # coloured, not grey
    (pick_a,), (pick_b,) = pa.picks, pb.picks
    assert np.array_equal(pick_a.chroma, pick_b.chroma) and pick_b.crop == BARS
    assert pick_a.crop is None
    # coloured on the whole frame and then cut, as before: other colours
    pipeline.restore(barred, old, codec="ffv1", stages=[_stage(models), CropStage(BARS)])
    assert np.abs(_planes(old)[:, 1:].astype(int) - want[:, 1:]).mean() > 0.5


def test_the_borders_are_left_grey_and_the_crop_is_in_the_stage_key(
    films: tuple[Path, Path], models: Path
) -> None:
    _, barred = films
    bins = np.stack([np.full((28, 28), 8), np.full((28, 28), 24)]).astype(np.uint8)
    pick = Pick(1, 1.0, 0, bins, locked=True)  # one warm colour: Cb low, Cr high
    stage = _stage(models, crop=BARS)
    shown = preview_frame(barred, 3, [stage], shot=Shot(0, FRAMES, 3), pick=pick, context=0)
    left, top, right, bottom = BARS
    after = (shown.after * 255).round().astype(int)
    border = np.ones(after.shape[:2], bool)
    border[top:-bottom, left:-right] = False
    grey = after[..., 0] - after[..., 2]  # R - B: 0 where there is no colour
    assert np.abs(grey[border]).max() <= 1
    assert grey[~border].mean() > 10  # the picture warm
    assert ":crop=16,8,16,8" in stage.key and ":crop" not in _stage(models).key
    stages = build_stages(Settings(colorize=True, crop=BARS), all_picked=True)
    assert [type(s).__name__ for s in stages] == ["ColorizeStage", "CropStage"]
    assert stages[0].crop == BARS


def test_a_pick_drawn_on_the_whole_frame_keeps_its_colours_inside_a_crop(
    films: tuple[Path, Path], tmp_path: Path
) -> None:
    """Drawn before the crop was set: the picture takes the colours the grid had there."""
    _, barred = films
    # Cb a ramp left to right over the whole frame: where the picture lies, the middle values
    ramp = np.linspace(4, 27, 28).round().astype(np.uint8)
    bins = np.stack([np.broadcast_to(ramp[None, :], (28, 28)), np.full((28, 28), 16)])
    pick = Pick(1, 1.0, 0, bins.astype(np.uint8), locked=True)
    none = str(tmp_path / "none.safetensors")  # the grid upsampled, no refiner
    whole = preview_frame(barred, 2, [ColorizeStage(refiner_path=none, require_colorizer=False),
                                      CropStage(BARS)], shot=Shot(0, FRAMES, 2), pick=pick,
                          context=0)  # fmt: skip
    inside = preview_frame(barred, 2, [ColorizeStage(refiner_path=none, require_colorizer=False,
                                                     crop=BARS), CropStage(BARS)],
                           shot=Shot(0, FRAMES, 2), pick=pick, context=0)  # fmt: skip
    a, b = (np.round(s.after * 255).astype(int) for s in (whole, inside))
    assert a.shape == b.shape == (PICTURE[1], PICTURE[0], 3)
    blue = lambda im: (im[..., 2] - im[..., 0]).mean(axis=0)  # noqa: E731 - per column
    assert np.abs(blue(a) - blue(b)).max() <= 4  # the ramp where it was, not stretched
    # the same pick drawn inside the crop spreads the whole ramp over the picture instead
    drawn = preview_frame(barred, 2, [ColorizeStage(refiner_path=none, require_colorizer=False,
                                                    crop=BARS), CropStage(BARS)],
                          shot=Shot(0, FRAMES, 2), pick=Pick(1, 1.0, 0, pick.chroma, True,
                                                             crop=BARS), context=0)  # fmt: skip
    spread = blue(np.round(drawn.after * 255).astype(int))
    assert spread[-1] - spread[0] > (blue(b)[-1] - blue(b)[0]) + 10


def test_hints_are_taken_in_the_pictures_pixels(films: tuple[Path, Path], tmp_path: Path) -> None:
    _, barred = films
    left, top, _, _ = BARS
    red = (220, 30, 30)
    hints = Hints(
        points=(Point(4, left + 20, top + 30, red), Point(4, 4, 4, (30, 30, 220))),  # 2nd: bar
        strokes=(Stroke(4, ((2.0, 2.0), (6.0, 2.0)), 3.0, (30, 220, 30)),),  # on the bar only
    )
    none = str(tmp_path / "none.safetensors")
    # (recolour: the test pictures are in colour; coloured by the hints alone, as a grey film)
    stage = ColorizeStage(refiner_path=none, require_colorizer=False, hints=hints, crop=BARS,
                          recolour=True)  # fmt: skip
    shown = preview_frame(barred, 4, [stage, CropStage(BARS)], shot=Shot(0, FRAMES, 4), context=0)
    rgb = (shown.after * 255).round().astype(int)
    r, g, b = rgb[30, 20]  # the point, in the picture's pixels
    assert r - b > 40 and r - g > 40  # red where it was put, and nothing blue or green spread
    assert (rgb[..., 2] - rgb[..., 0]).max() < 20 and (rgb[..., 1] - rgb[..., 0]).max() < 20
    # the two on the bars are said to be left out, not passed over without a word
    assert "point 2 (frame 4) lies in the border the crop cuts off: not used" in stage.notes
    assert "stroke 1 (frame 4) lies in the border the crop cuts off: not used" in stage.notes
    assert not any(n.startswith("point 1 ") for n in stage.notes)


def test_hints_cut_to_a_picture() -> None:
    red = (200, 0, 0)
    hints = Hints(
        points=(Point(0, 10, 10, red), Point(0, 3, 50, red), Point(1, 90, 60, red)),
        strokes=(
            Stroke(0, ((0.0, 0.0), (9.0, 0.0)), 4.0, red),  # reaches in at its width
            Stroke(0, ((0.0, 0.0), (3.0, 0.0)), 2.0, red),  # wholly on the border
        ),
        frame_size=(100, 70),
    )
    cut = hints.cut((8, 2, 10, 5), (100, 70))
    assert [(p.x, p.y) for p in cut.points] == [(2, 8), (82, 58)]
    assert [s.points for s in cut.strokes] == [((-8.0, -2.0), (1.0, -2.0))]
    assert cut.frame_size == (82, 63)
    assert hints.cut((0, 0, 0, 0), (100, 70)) is hints
    assert hints.outside((8, 2, 10, 5), (100, 70)) == [("point 2", 0), ("stroke 2", 0)]
    assert hints.outside((0, 0, 0, 0), (100, 70)) == []
    # a stroke running out of the picture is drawn up to its edge, not folded onto it
    target, mask = rasterize(
        Hints(strokes=(Stroke(0, ((5.0, 5.0), (30.0, 5.0)), 2.0, red),)),
        frame_size=(20, 10), shape=(10, 20), matrix="bt709",
    )  # fmt: skip
    assert mask[:, 19].sum() == mask[:, 10].sum() and mask[:, 19].any()


def test_regrid_and_scaled_margins() -> None:
    grid = np.random.default_rng(0).random((2, 28, 28)).astype(np.float32)
    assert regrid(grid, (400, 300), None, (0, 0, 0, 0)) is grid
    # a linear field stays the same field: the wanted cells' centres read where they lie
    xs = (np.arange(28) + 0.5) / 28 * 400
    field = np.broadcast_to((xs / 400)[None, None, :], (2, 28, 28)).astype(np.float32)
    got = regrid(field, (400, 300), None, (40, 30, 80, 30))
    want = (40 + (np.arange(28) + 0.5) / 28 * 280) / 400
    assert np.abs(got[0, 5] - want).max() < 1e-5
    # and back: the part's grid read over the whole frame carries its edge colours outward
    back = regrid(got, (400, 300), (40, 30, 80, 30), None)
    assert np.abs(back[0, :, 14] - field[0, :, 14]).max() < 1e-5
    assert np.allclose(back[0, :, 0], got[0, :, 0])
    assert scaled_margins((40, 30, 40, 30), (400, 300), (200, 150)) == (20, 15, 20, 15)
    assert scaled_margins((1, 2, 3, 4), (400, 300), (400, 300)) == (1, 2, 3, 4)
    part = np.ones((3, 2, 4, 5), np.float32)
    full = paste(part, (1, 2, 2, 0), (8, 6))
    assert full.shape == (3, 2, 6, 8) and full.sum() == part.sum()
    assert full[:, :, 2:, 1:6].min() == 1.0


def test_a_picks_crop_is_kept_and_checked(films: tuple[Path, Path], tmp_path: Path) -> None:
    _, barred = films
    bins = np.full((2, 28, 28), 16, np.uint8)
    project = Project.new(barred, shots=[Shot(0, FRAMES, 4)])
    project.set_pick(0, Pick(1, 1.0, 0, bins, locked=True, crop=BARS))
    loaded = Project.load(project.save(tmp_path / "p.panchro"))
    assert loaded.picks[0].crop == BARS
    assert "crop" not in Pick(1, 1.0, 0, bins).to_dict()
    assert Pick(1, 1.0, 0, bins, crop=(0, 0, 0, 0)).crop is None
    doc = Pick(1, 1.0, 0, bins, crop=BARS).to_dict()
    doc["crop"] = [1, 2, -3, 4]
    with pytest.raises(Exception, match="pick.crop"):
        Pick.from_dict(doc, "pick")
