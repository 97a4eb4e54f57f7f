"""Evaluation figures: colour science against published values, and a whole colorizer eval."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.errors import BadInputError
from panchro.engine.evaluate.colorizer import eval_colorizer, format_table
from panchro.engine.imaging.color import merge_prediction
from panchro.engine.imaging.metrics import ciede2000, colourfulness, psnr, srgb_to_lab, ssim
from panchro.engine.train.colorizer import train_colorizer

# Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data, and mathematical observations", Table 1: (Lab1, Lab2, dE00).
SHARMA = [
    ((50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),
    ((50.0000, 3.1571, -77.2803), (50.0000, 0.0000, -82.7485), 2.8615),
    ((50.0000, 2.8361, -74.0200), (50.0000, 0.0000, -82.7485), 3.4412),
    ((50.0000, -1.3802, -84.2814), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -1.1848, -84.8006), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -0.9009, -85.5211), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),
    ((50.0000, -1.0000, 2.0000), (50.0000, 0.0000, 0.0000), 2.3669),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0009), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0010), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0011), 7.2195),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0012), 7.2195),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0009, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0010, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0011, -2.4900), 4.7461),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0012, -2.4900), 4.7461),
    ((50.0000, 2.5000, 0.0000), (50.0000, 0.0000, -2.5000), 4.3065),
    ((50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),
    ((50.0000, 2.5000, 0.0000), (61.0000, -5.0000, 29.0000), 22.8977),
    ((50.0000, 2.5000, 0.0000), (56.0000, -27.0000, -3.0000), 31.9030),
    ((50.0000, 2.5000, 0.0000), (58.0000, 24.0000, 15.0000), 19.4535),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.1736, 0.5854), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2972, 0.0000), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 1.8634, 0.5757), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2592, 0.3350), 1.0000),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((61.2901, 3.7196, -5.3901), (61.4292, 2.2480, -4.9620), 1.8731),
    ((35.0831, -44.1164, 3.7933), (35.0232, -40.0716, 1.5901), 1.8645),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((36.4612, 47.8580, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


def test_ciede2000_matches_sharma_table():
    lab1 = np.array([p[0] for p in SHARMA])
    lab2 = np.array([p[1] for p in SHARMA])
    want = np.array([p[2] for p in SHARMA])
    np.testing.assert_allclose(ciede2000(lab1, lab2), want, atol=1e-4, rtol=0)
    np.testing.assert_allclose(ciede2000(lab2, lab1), want, atol=1e-4, rtol=0)  # symmetric
    assert ciede2000(lab1, lab1).max() == 0.0


def test_srgb_to_lab_primaries_and_greys():
    rgb = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1.0, 1.0, 1.0], [0, 0, 0]])
    want = [
        (53.2408, 80.0925, 67.2032),
        (87.7347, -86.1827, 83.1793),
        (32.2970, 79.1875, -107.8602),
        (100.0, 0.0, 0.0),
        (0.0, 0.0, 0.0),
    ]
    np.testing.assert_allclose(srgb_to_lab(rgb), want, atol=2e-3)
    greys = srgb_to_lab(np.repeat(np.arange(0, 256, 17, dtype=np.uint8)[:, None], 3, axis=1))
    assert np.abs(greys[:, 1:]).max() < 1e-9
    assert np.all(np.diff(greys[:, 0]) > 0)
    assert srgb_to_lab(np.array([119, 119, 119], np.uint8))[0] == pytest.approx(50.0, abs=0.3)


def test_ssim_is_one_on_itself_and_less_with_noise():
    rng = np.random.default_rng(0)
    img = np.clip(np.add.outer(np.linspace(0, 1, 48), np.linspace(0, 0.5, 40)), 0, 1)
    rgb = np.stack([img, img[::-1], 1 - img], axis=-1)
    assert ssim(rgb, rgb) == pytest.approx(1.0, abs=1e-12)
    noisy = np.clip(rgb + rng.normal(0, 0.1, rgb.shape), 0, 1)
    noisier = np.clip(rgb + rng.normal(0, 0.3, rgb.shape), 0, 1)
    s1, s2 = ssim(rgb, noisy), ssim(rgb, noisier)
    assert 0 < s2 < s1 < 0.95
    assert ssim(noisy, rgb) == pytest.approx(s1)
    assert ssim(rgb[:7, :9], rgb[:7, :9]) == pytest.approx(1.0)  # a smaller window fits
    with pytest.raises(ValueError, match="one shape"):
        ssim(rgb, rgb[1:])


def test_colourfulness_of_grey_is_zero_and_of_red_green_is_known():
    grey = np.repeat(np.random.default_rng(1).random((20, 30, 1)), 3, axis=-1)
    assert colourfulness(grey) == pytest.approx(0.0, abs=1e-9)
    rg = np.zeros((10, 10, 3), np.uint8)
    rg[:5, :, 0] = 255  # red top, green bottom: sigma_rg = 255, mean_yb = 127.5
    rg[5:, :, 1] = 255
    assert colourfulness(rg) == pytest.approx(255 + 0.3 * 127.5)
    assert colourfulness(rg.astype(np.float32) / 255) == pytest.approx(colourfulness(rg))


def test_psnr_and_merge():
    a = np.zeros((4, 4))
    assert psnr(a, a + 0.1) == pytest.approx(20.0)
    assert psnr(a, a) == math.inf
    y = np.linspace(0, 1, 30 * 20, dtype=np.float32).reshape(30, 20)
    rgb = merge_prediction(y, np.zeros((8, 8, 2), np.float32))
    assert rgb.shape == (30, 20, 3)
    np.testing.assert_allclose(rgb, np.repeat(y[..., None], 3, axis=-1), atol=1e-6)
    red = merge_prediction(np.full((16, 16), 0.4, np.float32), np.full((2, 2, 2), [-0.1, 0.3]))
    assert red[..., 0].min() > red[..., 1].max()  # Cr > 0, Cb < 0: red, not green


def _photo(i: int) -> np.ndarray:
    rng = np.random.default_rng(i)
    h, w = 56 + 8 * i, 72 - 4 * i
    y = np.arange(h)[:, None, None]
    img = np.where(y < h // 2, [60.0, 120, 220], [60.0, 160, 50]) * np.ones((h, w, 3))
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("eval")
    pics = root / "pics"
    pics.mkdir()
    for i in range(3):
        Image.fromarray(_photo(i)).save(pics / f"photo{i}.png")
    Image.fromarray(np.full((40, 50), 90, np.uint8)).save(pics / "grey.png")  # mode L
    train_colorizer(
        [pics],
        root / "run",
        steps=12,
        batch=3,
        lr=3e-3,
        config="small",
        sample_every=100,
        val_fraction=0.0,
        print_fn=None,
    )
    return pics, root / "run" / "colorizer.safetensors"


def test_eval_prints_every_figure_and_writes_the_sheet(tiny_model, tmp_path: Path):
    pics, weights = tiny_model
    lines: list[str] = []
    sheet = tmp_path / "sheet.png"
    res = eval_colorizer(pics, weights, k=3, out_sheet=sheet, seed=0, print_fn=lines.append)
    text = "\n".join(lines)
    assert res["images"] == 3 and res["skipped_grey"] == 1 and res["k"] == 3
    assert 0 < res["nll_bits"] < 5.5
    for label in ("NLL", "PSNR best", "PSNR mean", "dE00 best", "dE00 mean", "colourful"):
        assert label in text
    for label in ("SSIM pairs", "Cb/Cr dist", "grey (no colour)", "argmax (T=0)", "samples (T=1)"):
        assert label in text
    grey, greedy, drawn = (res["methods"][m] for m in ("grey", "argmax", "samples"))
    for fig in (grey, greedy, drawn):
        for key in ("psnr_best", "psnr_mean", "de00_best", "de00_mean", "colourfulness_ratio"):
            assert math.isfinite(fig[key]), key
    assert grey["colourfulness_ratio"] == pytest.approx(0.0, abs=1e-9)
    assert grey["ssim_pairwise"] is None and greedy["chroma_dist_pairwise"] is None
    assert greedy["psnr_best"] == greedy["psnr_mean"]
    assert drawn["psnr_best"] >= drawn["psnr_mean"] and drawn["de00_best"] <= drawn["de00_mean"]
    assert 0 < drawn["ssim_pairwise"] <= 1 and drawn["chroma_dist_pairwise"] >= 0
    # these pictures are strongly coloured: no colour at all is far from them
    assert grey["de00_mean"] > 10
    img = Image.open(sheet)
    widths = [round(w * 128 / h) for h, w in (p.shape[:2] for p in map(_photo, range(3)))]
    assert img.height == 4 + 3 * (128 + 4)  # a row per picture
    assert img.width == max(4 + 5 * (w + 4) for w in widths)  # grey | 3 samples | original
    assert res["sheet"] == str(sheet)


def test_eval_same_seed_same_figures_and_limits(tiny_model):
    pics, weights = tiny_model
    a = eval_colorizer(pics, weights, k=2, limit=3, seed=5, print_fn=None)
    b = eval_colorizer(pics, weights, k=2, limit=3, seed=5, print_fn=None)
    assert a["images"] + a["skipped_grey"] == 3 and a["methods"] == b["methods"]
    with pytest.raises(BadInputError, match="every picture is grey"):
        eval_colorizer(pics / "grey.png", weights, print_fn=None)
    with pytest.raises(BadInputError, match="no pictures"):
        eval_colorizer(pics, weights, split="heldout", val_fraction=0.0, print_fn=None)


def test_bin_centres_match_the_colour_convention() -> None:
    """Grey (bin 16 of 32) must read back as exactly 0, as color.dequantize_chroma says;
    a half-bin offset here tints every evaluated sample."""
    import torch

    from panchro.engine.imaging.color import dequantize_chroma
    from panchro.engine.models.colorizer import bins_to_hwc

    bins = torch.arange(32).reshape(2, 4, 4)
    got = bins_to_hwc(bins, 32)
    assert got.shape == (4, 4, 2)
    assert np.array_equal(got, np.moveaxis(dequantize_chroma(bins.numpy()), 0, -1))
    assert bins_to_hwc(torch.full((2, 1, 1), 16), 32).tolist() == [[[0.0, 0.0]]]


def test_the_likeliest_of_k_is_one_of_them_and_scored_alone(tiny_model) -> None:
    """`--likeliest`: the sample the model scores likeliest, scored on its own (best = mean),
    so no better than the best of the K; per-picture bits agree with the batch NLL, and the
    model's own greedy colouring is far likelier than random bins."""
    import torch

    from panchro.engine.inference.sampling import sample_chroma
    from panchro.engine.models.weights import load_model
    from panchro.engine.train.colorizer import bits_each, nll_bits
    from panchro.engine.train.data import rgb_to_example, square_view

    pics, weights = tiny_model
    res = eval_colorizer(pics, weights, k=4, seed=0, likeliest=True, print_fn=None)
    one, drawn = res["methods"]["likeliest"], res["methods"]["samples"]
    assert one["psnr_best"] == one["psnr_mean"] and one["ssim_pairwise"] is None
    assert one["psnr_best"] <= drawn["psnr_best"] + 1e-9
    assert one["de00_best"] >= drawn["de00_best"] - 1e-9

    model, cfg, _ = load_model(weights)
    grey, bins = rgb_to_example(square_view(Image.open(pics / "photo0.png"), cfg.image_size),
                                cfg.chroma_size, cfg.levels)  # fmt: skip
    greedy = sample_chroma(model, grey, k=1, seed=0, temperature=0.0)
    noise = torch.randint(0, cfg.levels, greedy.shape, generator=torch.Generator().manual_seed(0))
    pair = torch.cat([greedy, noise])
    each = bits_each(model, grey[None].expand(2, *grey.shape), pair)
    assert each.shape == (2,) and each[0] < each[1] - 1.0
    mean, n = nll_bits(model, [(grey[None].expand(2, *grey.shape), pair)])
    assert n == 2 and mean == pytest.approx(float(each.mean()), rel=1e-5)


def test_the_consensus_of_k_is_the_sample_nearest_the_others(tiny_model) -> None:
    """`consensus_index` picks the medoid: among three alike samples and one far off, one
    of the alike, the one between the others; `--consensus` scores it alone."""
    import torch

    from panchro.engine.inference.sampling import consensus_index

    base = torch.full((2, 4, 4), 16)
    one_way, other_way = base.clone(), base.clone()
    one_way[0, 0, 0] += 3
    other_way[1, 2, 2] += 3  # `base` lies between these two
    odd = torch.full((2, 4, 4), 31)
    assert consensus_index(torch.stack([odd, one_way, base, other_way])) == 2
    assert consensus_index(torch.stack([base, one_way, other_way, odd])) == 0
    assert consensus_index(base[None]) == 0

    pics, weights = tiny_model
    res = eval_colorizer(pics, weights, k=4, seed=0, consensus=True, print_fn=None)
    one, drawn = res["methods"]["consensus"], res["methods"]["samples"]
    assert one["psnr_best"] == one["psnr_mean"] and one["ssim_pairwise"] is None
    assert one["psnr_best"] <= drawn["psnr_best"] + 1e-9


def test_the_average_of_k_is_scored_as_one_colouring(tiny_model) -> None:
    """`--average`: the K's mean chroma, scored alone; of one sample it is that sample, of
    several differing ones a calmer colouring than they are."""
    pics, weights = tiny_model
    one = eval_colorizer(pics, weights, k=1, seed=0, average=True, print_fn=None)["methods"]
    for key in ("psnr_mean", "de00_mean", "colourfulness"):
        assert one["average"][key] == pytest.approx(one["samples"][key], rel=1e-6)
    res = eval_colorizer(pics, weights, k=4, seed=0, average=True, print_fn=None)
    avg, drawn = res["methods"]["average"], res["methods"]["samples"]
    assert avg["psnr_best"] == avg["psnr_mean"] and avg["ssim_pairwise"] is None
    assert avg["colourfulness"] < drawn["colourfulness"]
    assert avg["psnr_mean"] != pytest.approx(drawn["psnr_mean"], abs=1e-3)
    assert any(line.startswith("average of 4") for line in format_table(res))


def test_a_diverse_subset_covers_the_modes_before_repeating_one() -> None:
    """`diverse_subset`: the consensus first, then the sample farthest from those chosen;
    of three near-copies of one mode and one of each of two others, K = 3 takes one of
    each mode, never two of the same, and K = N takes every sample once."""
    import torch

    from panchro.engine.inference.sampling import consensus_index, diverse_subset

    grey = torch.full((2, 4, 4), 16)
    near = [grey.clone() for _ in range(3)]
    near[1][0, 0, 0] += 1
    near[2][1, 3, 3] -= 1
    red, blue = torch.full((2, 4, 4), 16), torch.full((2, 4, 4), 16)
    red[1] = 26
    blue[0] = 26
    pool = torch.stack([near[0], red, near[1], blue, near[2]])
    got = diverse_subset(pool, 3).tolist()
    assert got[0] == consensus_index(pool)
    assert sorted(got[1:]) == [1, 3]  # red and blue, not a second grey
    assert sorted(diverse_subset(pool, 5).tolist()) == [0, 1, 2, 3, 4]
    assert diverse_subset(pool, 1).tolist() == [consensus_index(pool)]
    with pytest.raises(ValueError, match="cannot choose"):
        diverse_subset(pool, 6)


def test_oversampled_eval_scores_k_of_the_drawn(tiny_model, monkeypatch) -> None:
    """`--oversample 3` draws 3K per picture and scores the K `diverse_subset` chooses from
    them (on the despeckled samples); the figures are of K (one SSIM pair for K = 2)."""
    import torch

    from panchro.engine.inference import sampling

    pics, weights = tiny_model
    seen: list[tuple[int, int]] = []
    real = sampling.diverse_subset

    def spy(bins: torch.Tensor, k: int) -> torch.Tensor:
        seen.append((int(bins.shape[0]), k))
        return real(bins, k)

    monkeypatch.setattr(sampling, "diverse_subset", spy)
    wide = eval_colorizer(pics, weights, k=2, seed=0, smooth=1, oversample=3, print_fn=None)
    assert wide["oversample"] == 3 and seen and set(seen) == {(6, 2)}
    assert len(seen) == wide["images"]
    seen.clear()
    plain = eval_colorizer(pics, weights, k=2, seed=0, smooth=1, print_fn=None)
    assert not seen and plain["oversample"] == 1
    with pytest.raises(BadInputError, match="oversample"):
        eval_colorizer(pics, weights, oversample=0, print_fn=None)
    # dropping the least likely half of the 6 drawn leaves 3 to choose the 2 from
    seen.clear()
    kept = eval_colorizer(
        pics, weights, k=2, seed=0, smooth=1, oversample=3, drop_unlikely=0.5, print_fn=None
    )
    assert set(seen) == {(3, 2)} and kept["drop_unlikely"] == 0.5
    assert kept["methods"]["smoothed"] != wide["methods"]["smoothed"]
    for bad in ({"drop_unlikely": 0.5}, {"drop_unlikely": 1.0, "oversample": 2}):
        with pytest.raises(BadInputError, match="drop_unlikely"):
            eval_colorizer(pics, weights, print_fn=None, **bad)


def test_refined_eval_scores_the_shown_samples_through_the_refiner(
    tiny_model, tmp_path: Path, monkeypatch
) -> None:
    """`refiner=` scores the despeckled samples after the refiner, over the picture's own
    luma at its own size. A stand-in refiner that only upsamples bilinearly must give the
    despeckled samples' figures exactly: the samples reach it whole and in order."""
    from makemodels import save_small_refiner

    from panchro.engine.imaging.color import upsample_chroma
    from panchro.engine.inference import refine

    pics, weights = tiny_model
    refiner = save_small_refiner(tmp_path / "r", hint_size=8)  # the tiny colorizer's chroma
    calls: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def bilinear(model, luma, hint, **kw):
        calls.append((luma.shape, hint.shape))
        assert model.config.hint_size == 8
        ups = [
            upsample_chroma(np.moveaxis(h, 0, -1), luma.shape[1:], method="bilinear") for h in hint
        ]
        return np.stack([np.moveaxis(u, -1, 0) for u in ups])

    monkeypatch.setattr(refine, "refine_chroma", bilinear)
    res = eval_colorizer(pics, weights, k=3, seed=0, smooth=1, refiner=refiner, print_fn=None)
    sizes = sorted(_photo(i).shape[:2] for i in range(3))
    assert sorted(luma[1:] for luma, _ in calls) == sizes
    assert all(luma[0] == 3 and hint == (3, 2, 8, 8) for luma, hint in calls)
    calm, refined = res["methods"]["smoothed"], res["methods"]["refined"]
    for key in (
        "psnr_best",
        "psnr_mean",
        "de00_best",
        "de00_mean",
        "colourfulness",
        "ssim_pairwise",
    ):
        assert refined[key] == pytest.approx(calm[key], rel=1e-5, abs=1e-5), key

    monkeypatch.undo()  # the real refiner: figures of its own, still finite
    lines: list[str] = []
    real = eval_colorizer(
        pics, weights, k=3, seed=0, smooth=1, refiner=refiner, print_fn=lines.append
    )
    assert any(line.startswith("refined despeckled ") for line in lines)
    assert math.isfinite(real["methods"]["refined"]["psnr_mean"])
    assert real["methods"]["refined"]["psnr_best"] != pytest.approx(calm["psnr_best"], abs=1e-3)
    with pytest.raises(BadInputError, match="not refiner weights"):
        eval_colorizer(pics, weights, refiner=weights, print_fn=None)
    with pytest.raises(BadInputError, match="28x28 chroma"):
        eval_colorizer(pics, weights, refiner=save_small_refiner(tmp_path / "r28"), print_fn=None)


def test_drop_unlikely_leaves_out_the_draws_the_model_finds_least_likely(
    tiny_model, monkeypatch
) -> None:
    import torch

    from panchro.engine.evaluate import colorizer as ev
    from panchro.engine.inference import sampling

    pics, weights = tiny_model
    scored: list[torch.Tensor] = []
    chosen_from: list[torch.Tensor] = []
    real = sampling.diverse_subset

    def fake_bits(model, grey, bins, **kw):
        scored.append(bins.clone())
        return torch.tensor([5.0, 0.0, 4.0, 1.0, 3.0, 2.0])  # 1, 3 and 5 the likeliest

    def spy(bins: torch.Tensor, k: int) -> torch.Tensor:
        chosen_from.append(bins.clone())
        return real(bins, k)

    monkeypatch.setattr(ev, "bits_each", fake_bits)
    monkeypatch.setattr(sampling, "diverse_subset", spy)
    eval_colorizer(pics, weights, k=2, seed=0, oversample=3, drop_unlikely=0.5, print_fn=None)
    assert scored and len(scored) == len(chosen_from)
    for drawn, pool in zip(scored, chosen_from, strict=True):
        assert torch.equal(pool, drawn[[1, 3, 5]])
