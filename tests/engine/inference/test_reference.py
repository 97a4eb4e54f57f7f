"""Colour from a reference picture: matched by what the cells look like, carried through a
restore, measured by `panchro eval hints --reference`; bad references refused."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

from panchro.engine.cli import main
from panchro.engine.errors import BadInputError
from panchro.engine.imaging.color import rgb_to_ycbcr
from panchro.engine.inference.reference import (
    load_reference,
    match_reference,
    reference_chroma,
    round_trip_share,
)
from panchro.engine.restore import pipeline
from panchro.engine.restore.stages import ColorizeStage
from tests.makemedia import make_video
from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner

RED, BLUE = (200, 40, 40), (40, 70, 210)


def _reference(w: int = 96, h: int = 64, flip: bool = False) -> np.ndarray:
    """A dark red left half and a bright blue right half (mirrored with `flip`)."""
    ref = np.empty((h, w, 3), np.uint8)
    dark, bright = np.array(RED) * 0.6, np.minimum(255, np.array(BLUE) * 1.2)
    ref[:, : w // 2], ref[:, w // 2 :] = (bright, dark) if flip else (dark, bright)
    return ref


def _grey_of(rgb: np.ndarray) -> np.ndarray:
    return np.clip(rgb_to_ycbcr(rgb, matrix="bt601")[..., 0], 0, 1).astype(np.float32)


def test_cells_take_the_colour_of_the_reference_cells_that_look_like_them() -> None:
    ref = _reference()
    truth = rgb_to_ycbcr(ref, matrix="bt601")[..., 1:]
    # the grey frame is the reference mirrored: places differ, looks match
    frame = _grey_of(_reference(flip=True))
    hint = reference_chroma(frame, ref, position_weight=0.0)
    assert hint.shape == (2, 28, 28) and hint.dtype == np.float32
    left, right = hint[:, :, :12].mean(axis=(1, 2)), hint[:, :, 16:].mean(axis=(1, 2))
    assert np.abs(left - truth[0, -1]).max() < 0.05  # the frame's bright left is blue
    assert np.abs(right - truth[0, 0]).max() < 0.05  # its dark right is red


def test_a_reference_of_another_scene_lends_nothing_and_says_so() -> None:
    """The same picture (or its mirror) finds its way back from every cell and lends all its
    colours; a picture of something else does not, and the frame is left grey."""
    from tests.makephotos import photo_pixels

    scene = photo_pixels((160, 120), grey=False, seed=1)
    rng = np.random.default_rng(3)
    other = np.zeros((120, 160, 3), np.uint8)
    for _ in range(12):  # coloured rectangles: nothing like the scene
        x0, y0 = rng.integers(0, 140), rng.integers(0, 100)
        other[y0 : y0 + rng.integers(10, 40), x0 : x0 + rng.integers(10, 60)] = rng.integers(
            0, 256, 3
        )
    other = np.clip(other.astype(int) + rng.integers(-20, 20, other.shape), 0, 255).astype(np.uint8)
    frame = _grey_of(scene)
    for fits in (scene, np.ascontiguousarray(scene[:, ::-1])):
        found = match_reference(frame, fits)
        assert found.fit > 0.9 and found.strength == 1.0 and found.note() is None
        assert np.abs(found.hint).max() > 0.05
    found = match_reference(frame, other)
    assert found.fit < 0.3 and found.strength == 0.0
    assert not found.hint.any()  # left grey
    assert "does not fit this shot" in str(found.note())


def test_round_trips_count_home_near_cells_and_ties() -> None:
    pos = np.stack(np.meshgrid(np.arange(28), np.arange(28), indexing="ij"), -1).reshape(-1, 2)
    near_is_alike = -torch.cdist(torch.tensor(pos, dtype=torch.float32),
                                 torch.tensor(pos, dtype=torch.float32))  # fmt: skip
    assert round_trip_share(near_is_alike) == 1.0
    assert round_trip_share(torch.zeros(784, 784)) == 1.0  # all tied: a flat picture
    # every frame cell's best match is one reference cell, whose own best is frame cell 0:
    # only the cells within 2 of cell 0 come home (the many-to-one of another scene)
    hub = torch.zeros(784, 784)
    hub[:, 0] = 1.0 - 1e-3 * torch.arange(784)
    assert round_trip_share(hub) == pytest.approx(6 / 784)


def test_bad_references_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="does not exist"):
        load_reference(tmp_path / "none.jpg")
    Image.fromarray(np.full((40, 40, 3), 120, np.uint8)).save(tmp_path / "grey.png")
    with pytest.raises(BadInputError, match="no colour to lend"):
        load_reference(tmp_path / "grey.png")
    (tmp_path / "text.jpg").write_text("not a picture")
    with pytest.raises(BadInputError, match="cannot be read"):
        load_reference(tmp_path / "text.jpg")
    big = np.zeros((900, 1200, 3), np.uint8)
    big[..., 0] = 200
    Image.fromarray(big).save(tmp_path / "big.png")
    assert load_reference(tmp_path / "big.png").shape == (384, 512, 3)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ref_models")
    save_small_colorizer(folder, config=TINY28)
    save_small_refiner(folder)
    return folder


def test_a_restore_takes_its_colours_from_the_reference(models: Path, tmp_path: Path) -> None:
    ref = _reference()
    film = tmp_path / "film.mkv"
    with av.open(str(film), "w") as out:  # 6 grey frames of the reference's layout, lossless
        s = out.add_stream("ffv1", rate=24)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv444p"
        grey = (_grey_of(ref) * 255 + 0.5).astype(np.uint8)
        for _ in range(6):
            vf = av.VideoFrame.from_ndarray(np.repeat(grey[..., None], 3, -1), format="rgb24")
            for p in s.encode(vf):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    stage = ColorizeStage(
        device="cpu",
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
        reference=ref,
    )
    assert "reference=" in stage.key
    pipeline.restore(film, tmp_path / "out.mkv", codec="ffv1", stages=[stage])
    with av.open(str(tmp_path / "out.mkv")) as c:
        frames = [f.to_ndarray(format="yuv444p").astype(float) - 128 for f in c.decode(video=0)]
    assert len(frames) == 6
    for f in frames:
        assert f[2][:, :40].mean() > 15 and f[1][:, 56:].mean() > 15  # red left, blue right


def test_eval_reference_measures_the_rows(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    make_video(tmp_path / "clip.mp4", frames=42, size=(96, 64), audio=False)
    code = main(["eval", "hints", "--reference", "--data", str(tmp_path / "clip.mp4")])
    out = capsys.readouterr().out
    assert code == 0
    for row in (
        "grey",
        "sampled",
        "copied",
        "reference, luma only",
        "reference, mirrored",
        "carried, mirrored",
    ):
        assert f"\n{row} " in out
    rows = {line[:22].strip(): float(line[22:].split()[0]) for line in out.splitlines()
            if line[:22].strip() in ("grey", "copied")}  # fmt: skip
    assert rows["copied"] > rows["grey"]  # the clip's own colours beat none
    # each clip's figures, and the worst clip against grey (a reference must not paint wrong)
    assert "clip.mp4: reference frame 0, film frames 30..40: grey " in out
    assert "worst clip, reference against grey: " in out


def test_cli_reference_goes_with_colorize(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    film = make_video(tmp_path / "f.mp4", frames=4, size=(64, 48), audio=False)
    Image.fromarray(_reference()).save(tmp_path / "ref.png")
    code = main(["restore", str(film), str(tmp_path / "o.mp4"), "--reference",
                 str(tmp_path / "ref.png")])  # fmt: skip
    assert code != 0 and "add --colorize" in capsys.readouterr().err
