"""One-colour picks (`project.flat_pick`): a shot kept black and white, tinted or toned, as a
silent film's intertitles and dyed scenes are; the luma never touched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from panchro.engine import media
from panchro.engine.project import Pick, Project, Settings, flat_pick
from panchro.engine.restore import pipeline
from panchro.engine.restore.stages import build_stages, flat_chroma
from panchro.engine.shots import Shot
from tests.makemedia import make_video

AMBER = (-0.15, 0.12)  # Cb, Cr: an amber tint
SEPIA = (-0.08, 0.06)


def _restored(film: Path, project: Project, out: Path) -> tuple[np.ndarray, np.ndarray]:
    """The film restored from the project's picks into `out` (16-bit FFV1), and the film
    itself, as (frames, H, W, YCbCr) floats of 16 bits."""
    stages = build_stages(Settings(colorize=True), all_picked=True)
    pipeline.restore(film, out, codec="ffv1", bit_depth=16, stages=stages, project=project)
    with media.open_source(out) as src, media.open_source(film) as orig:
        coded = np.stack([f.image for f in src.frames(0, 24, fmt="yuv444p16")]).astype(float)
        given = np.stack([f.image for f in orig.frames(0, 24, fmt="yuv444p16")]).astype(float)
    return coded, given


def test_flat_picks_are_one_colour_and_grey_is_neutral() -> None:
    grey = flat_pick("grey")
    assert grey.colour == (0.0, 0.0) and grey.locked and (grey.chroma == 16).all()
    amber = flat_pick("tint", *AMBER)
    cb, cr = amber.colour
    assert abs(cb - AMBER[0]) <= 1 / 64 and abs(cr - AMBER[1]) <= 1 / 64
    assert Pick.from_dict(amber.to_dict(), "pick") == amber
    with pytest.raises(ValueError, match="one colour"):
        Pick(0, 0.0, 0, np.arange(2 * 28 * 28).reshape(2, 28, 28) % 32, source="tint")
    with pytest.raises(ValueError, match="neutral"):
        Pick(0, 0.0, 0, amber.chroma, source="grey")
    drawn = Pick(0, 0.9, 0, np.full((2, 28, 28), 20))
    assert drawn.colour is None


def test_a_tint_colours_the_light_a_tone_the_middle_greys_grey_nothing() -> None:
    y = np.array([[[0.0, 0.5, 1.0]]], np.float32)
    tint = flat_chroma(flat_pick("tint", *AMBER), y)
    tone = flat_chroma(flat_pick("tone", *SEPIA), y)
    grey = flat_chroma(flat_pick("grey"), y)
    assert tint.shape == (1, 2, 1, 3) and not grey.any()
    cb, cr = flat_pick("tint", *AMBER).colour
    assert np.allclose(tint[0, :, 0], [[0, cb / 2, cb], [0, cr / 2, cr]])
    scb, scr = flat_pick("tone", *SEPIA).colour
    assert np.allclose(tone[0, :, 0], [[0, scb, 0], [0, scr, 0]])
    on_device = flat_chroma(flat_pick("tint", *AMBER), torch.from_numpy(y))
    assert isinstance(on_device, torch.Tensor) and np.allclose(on_device.numpy(), tint)


def test_a_film_keeps_one_shot_grey_and_tints_the_other(tmp_path: Path) -> None:
    film = make_video(tmp_path / "film.mkv", frames=24, cuts=(12,), codec="ffv1", audio=False)
    project = Project.new(film, shots=[Shot(0, 12, 6), Shot(12, 24, 18)])
    project.set_pick(0, flat_pick("grey"))
    project.set_pick(1, flat_pick("tint", *AMBER))
    coded, given = _restored(film, project, tmp_path / "out.mkv")
    assert np.abs(coded[..., 0] - given[..., 0]).max() <= 257  # the luma kept (8 -> 16 bits)
    luma_in = (given[..., 0] / 256 - 16) * 255 / 219  # 0..255
    neutral = 128 * 256  # limited-range chroma's zero at 16 bits
    assert np.abs(coded[:12, ..., 1:] - neutral).max() <= 1  # black and white, exactly
    cb, cr = coded[12:, ..., 1] - neutral, coded[12:, ..., 2] - neutral
    bright, dark = luma_in[12:] > 180, luma_in[12:] < 60
    assert cb[bright].mean() < -2000 and cr[bright].mean() > 1500  # amber in the light
    assert abs(cb[dark].mean()) < abs(cb[bright].mean()) / 2  # less in the dark


def test_the_apps_flat_pick_chroma_is_the_engines() -> None:
    from panchro.engine.imaging import color
    from panchro.engine.service.protocol import TINTS, TONES, flat_pick_chroma

    assert color.decode_bins(flat_pick_chroma(None)).tolist() == flat_pick("grey").chroma.tolist()
    for rgb in [*TINTS.values(), *TONES.values(), (0, 0, 255), (255, 0, 0)]:
        planes = color.rgb_to_ycbcr(np.array([[rgb]], np.uint8), matrix="bt601")
        cb, cr = (float(planes[0, 0, c]) for c in (1, 2))
        want = flat_pick("tint", cb, cr)
        got = Pick.from_dict({**want.to_dict(), "chroma": flat_pick_chroma(rgb)}, "pick")
        assert got == want, rgb


def test_a_shot_that_keeps_its_own_colours_is_written_as_the_film_holds_it(
    tmp_path: Path,
) -> None:
    """An "own" pick (`project.own_pick`) on a colour film's shot: its chroma as decoded, not
    redrawn; a person's hints on it correct its own colours where they lie, in every frame
    of the shot, and leave them as the film holds them away from there."""
    from panchro.engine.imaging import color
    from panchro.engine.imaging.hints import parse_hints
    from panchro.engine.project import own_pick

    assert Pick.from_dict(own_pick().to_dict(), "pick") == own_pick()
    with pytest.raises(ValueError, match="neutral"):
        Pick(0, 0.0, 0, flat_pick("tint", *AMBER).chroma, source="own")
    film = make_video(tmp_path / "film.mkv", frames=24, cuts=(12,), codec="ffv1", audio=False)
    project = Project.new(film, shots=[Shot(0, 12, 6), Shot(12, 24, 18)])
    project.set_pick(0, own_pick(locked=True))
    project.set_pick(1, flat_pick("grey"))
    coded, given = _restored(film, project, tmp_path / "out.mkv")
    neutral = 128 * 256
    assert np.abs(given[:12, ..., 1:] - neutral).mean() > 2000  # a colour film
    assert np.abs(coded[:12] - given[:12]).max() <= 257  # its own colours, as decoded
    assert np.abs(coded[12:, ..., 1:] - neutral).max() <= 1
    green = (0, 200, 0)
    hints = parse_hints({"version": 1, "points": [{"frame": 3, "x": 40, "y": 60,
                                                   "rgb": list(green)}]})  # fmt: skip
    hinted = build_stages(Settings(colorize=True), all_picked=True, hints=hints)
    out = tmp_path / "hinted.mkv"
    pipeline.restore(film, out, codec="ffv1", bit_depth=16, stages=hinted, project=project)
    with media.open_source(out) as src:
        done = np.stack([f.image for f in src.frames(0, 12, fmt="yuv444p16")]).astype(float)
    want = (
        color.rgb_to_ycbcr(np.array([[green]], np.uint8), matrix="bt601")[0, 0, 1:] * 224 * 256
    )  # limited-range chroma
    for k in (0, 3, 11):  # every frame of the shot, the hinted one and the others
        at = done[k, 60, 40, 1:] - neutral
        before = given[k, 60, 40, 1:] - neutral
        assert np.abs(at - want).sum() < np.abs(before - want).sum() / 3, (k, at, before, want)
    assert np.abs(done[:, 5, 150, 1:] - given[:12, 5, 150, 1:]).max() <= 257  # far: as it was
    assert np.abs(done[..., 0] - given[:12, ..., 0]).max() <= 257  # the luma never touched
