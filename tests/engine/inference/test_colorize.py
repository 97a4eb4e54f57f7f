"""Key-frame colorization glue: still pictures in, K candidates out, luma untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.errors import BadInputError, ModelMissingError
from panchro.engine.imaging import color
from panchro.engine.inference import colorize
from tests.makemodels import save_small_colorizer


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_small_colorizer(tmp_path_factory.mktemp("models"))


def _gradient(w: int = 96, h: int = 64) -> np.ndarray:
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    return (0.6 * x + 0.4 * y).astype(np.float32)


# --- reading pictures ---------------------------------------------------------------------


def test_grey_picture_keeps_its_values(tmp_path: Path) -> None:
    grey = (_gradient() * 255).round().astype(np.uint8)
    Image.fromarray(grey, "L").save(tmp_path / "g.png")
    still = colorize.read_still(tmp_path / "g.png")
    assert still.luma.shape == (64, 96) and still.luma.dtype == np.float32
    assert np.array_equal((still.luma * 255).round().astype(np.uint8), grey)
    assert still.notes == ()


def test_colour_picture_is_made_grey_keeping_its_luma(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    Image.fromarray(rgb, "RGB").save(tmp_path / "c.png")
    still = colorize.read_still(tmp_path / "c.png")
    expected = color.rgb_to_ycbcr(rgb.astype(np.float32) / 255, matrix="bt601")[..., 0]
    assert np.abs(still.luma - expected).max() < 1e-5
    assert any("made grey" in n for n in still.notes)


def test_sixteen_bit_palette_cmyk_and_alpha_are_converted(tmp_path: Path) -> None:
    deep = (_gradient() * 65535).round().astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    still = colorize.read_still(tmp_path / "deep.png")
    # 16 bits survive: more distinct values than 8 bits could hold
    assert len(np.unique(still.luma)) > 256 and any("16-bit" in n for n in still.notes)

    rgb = np.zeros((48, 48, 3), np.uint8)
    rgb[:, 24:] = (200, 30, 30)
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(
        tmp_path / "pal.png"
    )
    assert any("palette" in n for n in colorize.read_still(tmp_path / "pal.png").notes)

    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg")
    cmyk = colorize.read_still(tmp_path / "cmyk.jpg")
    assert any("CMYK" in n for n in cmyk.notes)
    assert cmyk.luma[:, :20].mean() < 0.05 < cmyk.luma[:, 30:].mean()  # black | red

    rgba = np.dstack([rgb, np.full((48, 48), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    assert any("alpha" in n for n in colorize.read_still(tmp_path / "alpha.png").notes)


def test_a_photo_is_read_upright_as_a_restore_reads_it(tmp_path: Path) -> None:
    """`panchro sample` drew a turned photo lying on its side, and refused hints placed on
    it upright, which a restore of it takes."""
    from tests.makephotos import camera_jpeg

    src = camera_jpeg(tmp_path / "camera.jpg")  # stored 96x64, orientation 6 (turn right)
    assert colorize.read_still(src).luma.shape == (96, 64)


@pytest.mark.parametrize(("size", "words"), [((31, 200), "too small"), ((16385, 40), "too large")])
def test_tiny_and_huge_pictures_are_refused(tmp_path: Path, size, words: str) -> None:
    path = tmp_path / "bad.png"
    Image.new("L", size).save(path)
    with pytest.raises(BadInputError, match=words) as err:
        colorize.read_still(path)
    assert str(path) in str(err.value)


def test_unreadable_and_missing_pictures(tmp_path: Path) -> None:
    (tmp_path / "junk.png").write_bytes(b"not a picture at all")
    with pytest.raises(BadInputError, match="cannot be read"):
        colorize.read_still(tmp_path / "junk.png")
    with pytest.raises(BadInputError, match="does not exist"):
        colorize.read_still(tmp_path / "none.png")
    with pytest.raises(BadInputError, match="folder"):
        colorize.read_still(tmp_path)


# --- the model and candidates -----------------------------------------------------------


def test_missing_and_corrupt_weights_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError) as err:
        colorize.load_colorizer(tmp_path / "colorizer.safetensors")
    assert str(tmp_path / "colorizer.safetensors") in str(err.value)
    (tmp_path / "colorizer.safetensors").write_bytes(b"\0" * 64)
    with pytest.raises(ModelMissingError, match="cannot be used"):
        colorize.load_colorizer(tmp_path / "colorizer.safetensors")


def test_untrained_weights_are_said_to_be_untrained(weights_file: Path) -> None:
    loaded = colorize.load_colorizer(weights_file, device="cpu")
    assert loaded.trained is False and loaded.describe()["trained"] is False
    assert colorize.load_colorizer(weights_file, device="cpu") is loaded  # cached
    with pytest.raises(ModelMissingError, match="untrained"):
        colorize.load_colorizer(weights_file, device="cpu", allow_untrained=False)


def test_same_seed_same_candidates_and_they_differ(weights_file: Path) -> None:
    loaded = colorize.load_colorizer(weights_file, device="cpu")
    luma = _gradient()
    a = colorize.sample_candidates(loaded, luma, k=3, seed=5)
    b = colorize.sample_candidates(loaded, luma, k=3, seed=5)
    c = colorize.sample_candidates(loaded, luma, k=3, seed=6)
    n = loaded.model.config.chroma_size
    assert a.bins.shape == (3, 2, n, n) and a.bins.dtype == np.uint8
    assert np.array_equal(a.bins, b.bins) and not np.array_equal(a.bins, c.bins)
    assert not np.array_equal(a.bins[0], a.bins[1])  # K samples are not copies
    drawn = colorize.sample_candidates(loaded, luma, k=1)
    again = colorize.sample_candidates(loaded, luma, k=1, seed=drawn.seed)
    assert np.array_equal(drawn.bins, again.bins)  # a random seed is reported, reproducibly


def test_progress_reaches_every_row(weights_file: Path) -> None:
    loaded = colorize.load_colorizer(weights_file, device="cpu")
    seen: list[tuple[int, int]] = []
    colorize.sample_candidates(
        loaded, _gradient(), k=2, seed=1, progress=lambda d, t: seen.append((d, t))
    )
    n = loaded.model.config.chroma_size
    assert seen[-1] == (n, n) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_render_keeps_the_luma(weights_file: Path) -> None:
    loaded = colorize.load_colorizer(weights_file, device="cpu")
    luma = _gradient(120, 80) * 0.4 + 0.3
    found = colorize.sample_candidates(loaded, luma, k=2, seed=3)
    for n in range(2):
        # Milder than a random model's colours, so that no RGB value clips (clipping an
        # out-of-gamut colour into an 8-bit preview is the one thing that may move luma).
        chroma = found.chroma(n) * 0.25
        rgb = colorize.render(luma, chroma, matrix="bt709")
        assert rgb.min() > 0 and rgb.max() < 255
        y = color.rgb_to_ycbcr(rgb.astype(np.float32) / 255, matrix="bt709")[..., 0]
        assert np.abs(y - luma).max() < 1.0 / 255  # rounding to 8 bits, nothing more
    assert not np.array_equal(
        colorize.render(luma, found.chroma(0), matrix="bt709"),
        colorize.render(luma, found.chroma(1), matrix="bt709"),
    )


def test_contact_sheet_lays_out_grey_then_candidates(weights_file: Path) -> None:
    loaded = colorize.load_colorizer(weights_file, device="cpu")
    luma = _gradient(96, 64)
    found = colorize.sample_candidates(loaded, luma, k=3, seed=2)
    sheet = colorize.contact_sheet(luma, found, matrix="bt601", height=64)
    assert sheet.size == (4 * 96 + 3 * 4, 64 + 18)
    px = np.asarray(sheet)
    first = px[:64, :96].astype(int)
    assert (first[..., 0] == first[..., 1]).all() and (first[..., 1] == first[..., 2]).all()
    later = px[:64, 100:196].astype(int)
    assert np.abs(later[..., 0] - later[..., 2]).max() > 0  # the candidates carry colour


def test_candidates_are_drawn_with_the_measured_defaults_and_can_be_drawn_plain(
    weights_file: Path,
) -> None:
    """By default top-p and a despeckle pass (inference.defaults); with top-p 1 and no
    despeckle, the candidates are the sampler's own draws, bin for bin."""
    from panchro.engine.inference.defaults import DESPECKLE, TOP_P
    from panchro.engine.inference.sampling import sample_chroma

    loaded = colorize.load_colorizer(weights_file)
    luma = np.random.default_rng(0).random((60, 80)).astype(np.float32)
    found = colorize.sample_candidates(loaded, luma, k=3, seed=4)
    assert (found.top_p, found.despeckle) == (TOP_P, DESPECKLE) and 0 < TOP_P < 1
    plain = colorize.sample_candidates(loaded, luma, k=3, seed=4, top_p=1.0, despeckle=0,
                                       temperature=1.0, oversample=1)  # fmt: skip
    drawn = sample_chroma(loaded.model, luma, k=3, seed=4)
    assert np.array_equal(plain.bins, drawn.numpy().astype(np.uint8))
    assert not np.array_equal(found.bins, plain.bins)


def test_a_shot_nobody_picked_gets_the_consensus_of_its_candidates(weights_file: Path) -> None:
    """`automatic_pick`: AUTO_K candidates as the candidates are drawn, and the index of the
    one nearest the others; the same seed, the same pick."""
    import torch

    from panchro.engine.inference.defaults import AUTO_K, AUTO_TEMPERATURE
    from panchro.engine.inference.sampling import consensus_index

    loaded = colorize.load_colorizer(weights_file, device="cpu")
    luma = _gradient()
    found, index = colorize.automatic_pick(loaded, luma, seed=11)
    assert found.bins.shape[0] == AUTO_K and 0 <= index < AUTO_K
    assert index == consensus_index(torch.from_numpy(found.bins.astype(np.int64)))
    same = colorize.sample_candidates(loaded, luma, k=AUTO_K, seed=11,
                                      temperature=AUTO_TEMPERATURE, oversample=1)  # fmt: skip
    assert np.array_equal(found.bins, same.bins)
    again, index2 = colorize.automatic_pick(loaded, luma, seed=11)
    assert index2 == index and np.array_equal(again.bins[index], found.bins[index])


def test_oversampled_candidates_are_the_most_different_of_the_drawn(weights_file: Path) -> None:
    """`oversample` N: K x N modes drawn and despeckled as K would be, the K that
    `diverse_subset` chooses kept, in its order (the consensus first); not for K = 1 or the
    likeliest colours (T = 0), where there is nothing to choose between."""
    import torch

    from panchro.engine.inference.sampling import diverse_subset

    loaded = colorize.load_colorizer(weights_file, device="cpu")
    luma = _gradient()
    wide = colorize.sample_candidates(loaded, luma, k=3, seed=7, temperature=1.0, oversample=2)
    pool = colorize.sample_candidates(loaded, luma, k=6, seed=7, temperature=1.0, oversample=1)
    keep = diverse_subset(torch.from_numpy(pool.bins.astype(np.int64)), 3).numpy()
    assert wide.k == 3 and wide.oversample == 2 and pool.oversample == 1
    assert np.array_equal(wide.bins, pool.bins[keep])
    one = colorize.sample_candidates(loaded, luma, k=1, seed=7, temperature=1.0, oversample=2)
    alone = colorize.sample_candidates(loaded, luma, k=1, seed=7, temperature=1.0, oversample=1)
    assert one.oversample == 1 and np.array_equal(one.bins, alone.bins)
    flat = colorize.sample_candidates(loaded, luma, k=3, seed=7, temperature=0.0, oversample=2)
    assert flat.k == 3 and flat.oversample == 1
    with pytest.raises(BadInputError, match="oversample"):
        colorize.sample_candidates(loaded, luma, k=3, seed=7, oversample=0)
