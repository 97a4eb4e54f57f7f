"""The refiner network and refinement inference: shapes, luma kept, batch invariance,
the guided filter, weights round trip, the bench table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from panchro.engine.imaging.color import (
    dequantize_chroma,
    encode_coded_ycbcr,
    merge_luma_chroma,
    quantize_chroma,
    rgb_to_ycbcr,
    ycbcr_to_rgb,
)
from panchro.engine.inference.refine import (
    box_filter,
    can_strip,
    guided_filter,
    guided_upsample,
    guided_upsample_strips,
    hint_from_bins,
    refine_batch,
    refine_chroma,
    working_shape,
)
from panchro.engine.models.refiner import RefinerConfig, build, refiner_config, upsample_hint
from panchro.engine.models.weights import load_model, model_status, save_model
from panchro.engine.progress import Progress, ProgressState, within

SMALL = refiner_config("small")  # working size 32, 8 x 8 hint


def busy_model(config: RefinerConfig = SMALL, seed: int = 0) -> torch.nn.Module:
    """A random model whose head is not zero, so the network's path shows in the output."""
    torch.manual_seed(seed)
    model = build(config)
    with torch.no_grad():
        model.head.weight.normal_(0, 0.005)  # corrections of a few hundredths, as a trained net
        model.head.bias.normal_(0, 0.01)
    return model.eval()


def scene(t: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """(t, h, w) luma: a lit gradient with a bright disc that moves from frame to frame."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    frames = []
    for i in range(t):
        base = 0.2 + 0.5 * x / max(w - 1, 1)
        cx, cy = w * (0.3 + 0.05 * i), h * 0.5
        disc = ((x - cx) ** 2 + (y - cy) ** 2) < (min(h, w) / 4) ** 2
        frames.append(np.where(disc, 0.85, base) + rng.normal(0, 0.01, (h, w)))
    return np.clip(np.stack(frames), 0, 1).astype(np.float32)


def a_hint(size: int = 8, seed: int = 1, amplitude: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return dequantize_chroma(quantize_chroma(rng.uniform(-amplitude, amplitude, (2, size, size))))


# --- the network ----------------------------------------------------------------------------


@pytest.mark.parametrize("h,w", [(32, 32), (33, 47), (17, 64), (40, 9)])
def test_network_output_shape_and_range_at_any_size(h: int, w: int):
    model = busy_model()
    grey = torch.rand(2, 1, h, w)
    hint = torch.from_numpy(np.stack([a_hint(), a_hint(seed=2)]))
    with torch.no_grad():
        out = model(grey, hint)
    assert out.shape == (2, 2, h, w) and out.dtype == torch.float32
    assert float(out.min()) >= -0.5 and float(out.max()) <= 0.5


def test_untrained_network_returns_the_upsampled_hint_and_input_checks():
    model = build(SMALL).eval()  # the head starts at zero
    grey = torch.rand(1, 1, 30, 44)
    hint = torch.from_numpy(a_hint()[None])
    with torch.no_grad():
        out = model(grey, hint)
    assert torch.equal(out, upsample_hint(hint, (30, 44)))
    with pytest.raises(ValueError, match="hint must be"):
        model(grey, torch.zeros(1, 2, 28, 28))
    with pytest.raises(ValueError, match="grey must be"):
        model(torch.rand(1, 3, 30, 44), hint)
    with pytest.raises(ValueError, match="2 hints for 1 frames"):
        model(grey, hint.repeat(2, 1, 1, 1))


def test_presets_and_config_round_trip():
    for name in ("default", "cpu", "small"):
        cfg = refiner_config(name)
        assert RefinerConfig.from_dict(cfg.to_dict()) == cfg
        assert build(cfg).num_params() > 0
    assert refiner_config("default").working_size == 256
    assert refiner_config("default").hint_size == 28
    assert build(refiner_config("cpu")).num_params() < build(refiner_config("default")).num_params()
    with pytest.raises(ValueError, match="unknown config fields"):
        RefinerConfig.from_dict({**SMALL.to_dict(), "colour": 1})
    with pytest.raises(ValueError, match="norm_groups"):
        RefinerConfig(widths=(6, 12), blocks=(1, 1), norm_groups=4)
    with pytest.raises(ValueError, match="unknown refiner config"):
        refiner_config("huge")
    # never BatchNorm: a frame's output may not depend on the other frames of its batch
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in build().modules())


# --- inference ----------------------------------------------------------------------------


def test_working_shape_keeps_aspect_and_never_enlarges():
    assert working_shape(1080, 1920, 256) == (256, 455)
    assert working_shape(480, 854, 256) == (256, 455)
    assert working_shape(1920, 1080, 256) == (455, 256)
    assert working_shape(100, 150, 256) == (100, 150)


@pytest.mark.parametrize("t,h,w", [(1, 32, 32), (3, 37, 53), (2, 64, 31), (1, 90, 121)])
def test_refine_chroma_shapes(t: int, h: int, w: int):
    model = busy_model()
    out = refine_chroma(model, scene(t, h, w), a_hint())
    assert out.shape == (t, 2, h, w) and out.dtype == np.float32
    assert out.min() >= -0.5 and out.max() <= 0.5
    per_frame = refine_chroma(model, scene(t, h, w), np.stack([a_hint()] * t))
    np.testing.assert_allclose(per_frame, out, atol=1e-6)


def test_refine_chroma_rejects_bad_shapes():
    model = busy_model()
    with pytest.raises(ValueError, match="luma must be"):
        refine_chroma(model, np.zeros((32, 32), np.float32), a_hint())
    with pytest.raises(ValueError, match="hint must be"):
        refine_chroma(model, scene(2, 32, 32), np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match="batch"):
        refine_chroma(model, scene(2, 32, 32), a_hint(), batch=0)


@pytest.mark.parametrize("threads", [1, 2])
def test_batches_and_splits_give_the_same_frames_to_the_last_bit(threads: int):
    """However the frames are batched or split between calls (the pipeline's temporal
    batches, chunks, a resume), each frame gets the same bits: the promise of
    panchro.engine.inference.device. Batches of 4 once differed from single frames by 4e-7, which
    rounding to 8 bits turned into one level now and then (issue 15)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        model = busy_model()
        luma = scene(12, 70, 96)  # larger than the working size: resize + guided upsampling
        one = refine_chroma(model, luma, a_hint(), batch=1)
        for batch in (2, 3, 4, 7, 12):
            assert np.array_equal(refine_chroma(model, luma, a_hint(), batch=batch), one)
        for cuts in ((5, 10), (1, 2, 3, 11), (4, 8)):
            edges = [0, *cuts, 12]
            parts = [
                refine_chroma(model, luma[a:b], a_hint(), batch=12)
                for a, b in zip(edges, edges[1:], strict=False)
            ]
            assert np.array_equal(np.concatenate(parts), one)
        assert np.abs(one[0] - one[11]).max() > 1e-3  # the frames differ: it compares something
    finally:
        torch.set_num_threads(before)


def test_merged_output_keeps_the_film_luma():
    model = busy_model()
    luma = scene(3, 61, 83)
    chroma = refine_chroma(model, luma, a_hint(amplitude=0.12))  # colours most pixels can show
    assert np.abs(chroma).max() > 0.05  # real colour, not grey
    for t in range(3):
        cbcr = chroma[t].transpose(1, 2, 0)
        rgb = merge_luma_chroma(luma[t], cbcr, matrix="bt709")
        back = rgb_to_ycbcr(rgb, matrix="bt709")[..., 0]
        # where a colour cannot be shown under its luma, RGB clips it: compare the rest
        unclipped = ycbcr_to_rgb(np.dstack([luma[t], cbcr]), matrix="bt709", clip=False)
        in_gamut = np.all((unclipped >= 0) & (unclipped <= 1), axis=-1)
        assert in_gamut.mean() > 0.9
        np.testing.assert_allclose(back[in_gamut], luma[t][in_gamut], atol=1e-5)
        # an 8-bit RGB output keeps the luma to within its rounding
        rgb8 = np.rint(rgb * 255) / 255
        y8 = rgb_to_ycbcr(rgb8, matrix="bt709")[..., 0]
        assert np.abs(y8 - luma[t])[in_gamut].max() <= 0.5 / 255 + 1e-6
        # coded YCbCr, as the encoder gets it: the luma codes are the film's own, exactly
        coded = encode_coded_ycbcr(np.dstack([luma[t], cbcr]), range="limited")
        own = encode_coded_ycbcr(np.dstack([luma[t], np.zeros_like(cbcr)]), range="limited")
        assert np.array_equal(coded[..., 0], own[..., 0])


def test_hint_from_bins_uses_the_colorizers_bin_centres():
    bins = np.random.default_rng(0).integers(0, 32, (2, 28, 28))
    hint = hint_from_bins(bins)
    assert hint.dtype == np.float32 and hint.shape == (2, 28, 28)
    assert np.array_equal(hint, dequantize_chroma(bins))
    assert np.array_equal(quantize_chroma(hint), bins)
    assert np.array_equal(hint_from_bins(torch.full((2, 4, 4), 16)), np.zeros((2, 4, 4)))
    assert hint_from_bins(torch.from_numpy(np.stack([bins, bins]))).shape == (2, 2, 28, 28)
    with pytest.raises(ValueError, match="bins must be"):
        hint_from_bins(np.zeros((28, 28, 2), np.int64))


# --- guided filter --------------------------------------------------------------------------


def box_reference(img: np.ndarray, r: int) -> np.ndarray:
    """Mean over the (2r+1)^2 window clipped to the image, one pixel at a time."""
    h, w = img.shape
    out = np.empty_like(img, dtype=np.float64)
    for i in range(h):
        for j in range(w):
            out[i, j] = img[max(0, i - r) : i + r + 1, max(0, j - r) : j + r + 1].mean()
    return out


def test_box_filter_matches_a_direct_window_mean():
    img = np.random.default_rng(0).random((13, 17)).astype(np.float32)
    for r in (0, 1, 3, 8):
        got = box_filter(torch.from_numpy(img)[None, None], r)[0, 0].numpy()
        np.testing.assert_allclose(got, box_reference(img, r), atol=1e-6)


def test_guided_filter_with_a_flat_guide_is_a_box_blur():
    rng = np.random.default_rng(1)
    src = rng.random((2, 19, 23)).astype(np.float32)
    guide = torch.full((1, 1, 19, 23), 0.4)
    out = guided_filter(guide, torch.from_numpy(src)[None], radius=2, eps=1e-3)[0].numpy()
    for c in range(2):  # a = 0, b = mean(p): the output is the mean of the means
        np.testing.assert_allclose(out[c], box_reference(box_reference(src[c], 2), 2), atol=1e-5)


def step_scene(h: int, w: int, edge: float) -> tuple[np.ndarray, np.ndarray]:
    """Luma and chroma of a vertical edge at column `edge`: dark blue left, bright orange right."""
    x = np.arange(w, dtype=np.float32)[None, :].repeat(h, 0)
    right = x >= edge
    luma = np.where(right, 0.75, 0.3).astype(np.float32)
    cb = np.where(right, -0.2, 0.25).astype(np.float32)
    cr = np.where(right, 0.2, -0.1).astype(np.float32)
    return luma, np.stack([cb, cr])


def test_guided_filter_keeps_the_edges_of_the_guide():
    luma, truth = step_scene(24, 40, edge=19)
    noisy = truth + np.random.default_rng(2).normal(0, 0.05, truth.shape).astype(np.float32)
    guide = torch.from_numpy(luma)[None, None]
    out = guided_filter(guide, torch.from_numpy(noisy)[None], radius=3, eps=1e-3)[0].numpy()
    blur = np.stack([box_reference(box_reference(c, 3), 3) for c in noisy])
    near = slice(15, 23)  # the columns around the edge
    err_guided = np.abs(out - truth)[..., near].mean()
    err_blur = np.abs(blur - truth)[..., near].mean()
    assert err_guided < 0.3 * err_blur  # the blur smears the edge, the guided filter keeps it
    assert np.abs(out - truth).mean() < np.abs(noisy - truth).mean() / 2  # and removes noise


def test_guided_upsample_puts_chroma_edges_on_the_full_resolution_luma():
    luma, truth = step_scene(64, 96, edge=45)  # edge inside a low-res pixel (45 / 4 = 11.25)
    full = torch.from_numpy(luma)[None, None]
    low_luma = torch.nn.functional.avg_pool2d(full, 4)
    low_chroma = torch.nn.functional.avg_pool2d(torch.from_numpy(truth)[None], 4)
    up = guided_upsample(full, low_luma, low_chroma, radius=1, eps=1e-2)[0].numpy()
    bilinear = upsample_hint(low_chroma, (64, 96))[0].numpy()
    assert np.abs(up - truth).mean() < 0.6 * np.abs(bilinear - truth).mean()
    # the steepest chroma step lands on the luma's edge (between columns 44 and 45) and
    # keeps most of its height; bilinear spreads it over a low-resolution pixel and more
    true_step = abs(truth[0, 0, 45] - truth[0, 0, 44])
    steps_up = np.abs(np.diff(up[0], axis=-1)).mean(axis=0)
    steps_bilinear = np.abs(np.diff(bilinear[0], axis=-1)).mean(axis=0)
    assert int(np.argmax(steps_up)) == 44 and steps_up.max() > 0.5 * true_step
    assert steps_bilinear.max() < 0.25 * true_step
    # a flat region stays exactly what the low resolution said
    np.testing.assert_allclose(up[:, :, :30], truth[:, :, :30], atol=1e-5)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    "low_hw,full_hw",
    [
        ((37, 53), (301, 431)),
        ((129, 65), (1031, 517)),
        ((40, 9), (200, 131)),
        ((64, 96), (129, 193)),
    ],
)
def test_strips_give_the_whole_frames_bits(
    threads: int, low_hw: tuple[int, int], full_hw: tuple[int, int]
) -> None:
    """The enlargement in strips of columns (huge frames in little memory) is the whole-frame
    one to the last bit, on odd sizes, for strips of 1 column to the whole frame, with the
    network's output in either memory layout (issue 15, item 5)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        gen = torch.Generator().manual_seed(sum(full_hw))
        full = torch.rand((1, 1, *full_hw), generator=gen)
        low = torch.nn.functional.interpolate(full, size=low_hw, mode="bilinear", antialias=True)
        src = torch.randn((1, 2, *low_hw), generator=gen) * 0.3  # some of it beyond +-0.5
        assert can_strip(*full_hw)
        for layout in (torch.contiguous_format, torch.channels_last):
            s = src.contiguous(memory_format=layout)
            whole = guided_upsample(full, low, s, 1, 1e-2).clamp_(-0.5, 0.5)
            assert whole.abs().max() == 0.5  # the clamp is part of what is compared
            for pixels in (1, 997, 4096, 50_000, 10**8):
                out = torch.full((1, 2, *full_hw), 7.0)
                seen: list[float] = []
                guided_upsample_strips(
                    out, full, low, s, 1, 1e-2, strip_pixels=pixels, on_strip=seen.append
                )
                assert torch.equal(out, whole), (layout, pixels)
                assert seen[-1] == 1.0 and seen == sorted(seen)
    finally:
        torch.set_num_threads(before)


def test_strips_refuse_sizes_where_torch_rounds_otherwise() -> None:
    # below 129 a side, torch's resize may take its other kernel for a strip
    assert not can_strip(128, 4000) and not can_strip(4000, 100) and can_strip(129, 129)
    full = torch.rand(1, 1, 100, 300)
    low = full[..., ::4, ::4].contiguous()
    with pytest.raises(ValueError, match="too small"):
        guided_upsample_strips(
            torch.empty(1, 2, 100, 300), full, low, low.repeat(1, 2, 1, 1), 1, 0.01
        )


def test_refine_chroma_in_strips_is_the_whole_frame_refinement() -> None:
    """refine_chroma writes each CPU frame straight into its result in strips; the frames are
    those of the whole-frame path (refine_batch without `out`), to the last bit."""
    model = busy_model()
    luma = scene(2, 150, 211)
    assert can_strip(150, 211)
    got = refine_chroma(model, luma, a_hint())
    for t in range(2):
        whole = refine_batch(model, torch.from_numpy(luma[t : t + 1]), torch.from_numpy(a_hint()))
        assert torch.equal(torch.from_numpy(got[t : t + 1]), whole)


def test_refine_chroma_clips_the_luma_itself_and_leaves_the_callers_frames() -> None:
    """Limited-range luma (foot- and headroom beyond 0..1) is clipped a frame at a time inside,
    so the colorize stage needs no clipped copy of its whole batch."""
    model = busy_model()
    luma = scene(2, 150, 211)
    wide = luma * 1.2 - 0.1  # beyond both ends
    kept = wide.copy()
    got = refine_chroma(model, wide, a_hint())
    assert np.array_equal(wide, kept)
    assert np.array_equal(got, refine_chroma(model, np.clip(wide, 0.0, 1.0), a_hint()))


def test_refine_chroma_reports_progress_within_its_frames() -> None:
    states: list[ProgressState] = []
    progress = Progress(2, states.append, max_hz=1e9)
    with within(progress, 2):
        refine_chroma(busy_model(), scene(2, 600, 300), a_hint())  # strips of 1 Mpx: 1 a frame
    partials = [s.partial for s in states]
    assert partials == sorted(partials) and 0.0 < partials[0] < 2.0 and partials[-1] == 2.0
    assert len(partials) >= 2


# --- weights --------------------------------------------------------------------------------


def test_weights_round_trip(tmp_path: Path):
    model = busy_model(seed=5)
    card = {"trained": False, "scale": "cpu-reduced", "steps": 0, "data": "none (a test)"}
    path = save_model(model, SMALL, tmp_path / "refiner.safetensors", card=card)
    loaded, cfg, meta = load_model(path)
    assert cfg == SMALL and meta["model"] == "refiner" and meta["card"] == card
    assert not loaded.training
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    luma = scene(2, 40, 50)
    np.testing.assert_array_equal(
        refine_chroma(model, luma, a_hint()), refine_chroma(loaded, luma, a_hint())
    )
    status = model_status("refiner", tmp_path)
    assert status["status"] == "untrained"
    assert RefinerConfig.from_dict(status["meta"]["config"]) == SMALL
    assert model_status("refiner", tmp_path / "nothing")["status"] == "missing"


def test_bench_refine_prints_a_row_per_batch_size():
    from panchro.engine.bench.models import bench_refine

    lines: list[str] = []
    result = bench_refine(
        device="cpu",
        config="small",
        cpu_size=(36, 52),
        cpu_batches=(1, 2),
        frames=2,
        out=lines.append,
    )
    rows = result["cpu"]["rows"]
    assert [r["batch"] for r in rows] == [1, 2]
    assert all(r["fps"] > 0 and r["peak_rss_mb"] > 0 and r["peak_cuda_mb"] is None for r in rows)
    assert "RANDOM weights" in result["cpu"]["model"]  # the tests' models folder is empty
    assert any("RANDOM weights" in line for line in lines)
    assert sum(line.strip().startswith("cpu ") for line in lines) == 2
