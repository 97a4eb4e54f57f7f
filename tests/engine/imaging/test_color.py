"""Colour maths: YCbCr matrices and ranges, chroma bins, 28x28 chroma (engine.imaging.color)."""

from __future__ import annotations

import numpy as np
import pytest

from panchro.engine.imaging import color as C

RANGES = ("limited", "full")


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return 10 * np.log10(peak**2 / mse)


def some_colours(dtype: type, n: int = 120_000) -> np.ndarray:
    """(n + 8, 3) colours of `dtype`: the cube's corners, then random ones (fixed seed)."""
    rng = np.random.default_rng(7)
    top = np.iinfo(dtype).max if np.dtype(dtype).kind == "u" else 1.0
    corners = np.array(np.meshgrid([0, 1], [0, 1], [0, 1], indexing="ij")).reshape(3, -1).T
    if np.dtype(dtype).kind == "u":
        rand = rng.integers(0, int(top) + 1, (n, 3))
        return np.concatenate([corners * int(top), rand]).astype(dtype)
    return np.concatenate([corners, rng.random((n, 3))]).astype(dtype)


# --------------------------------------------------------------------------- reference values


def test_textbook_values_bt709_full_range_float() -> None:
    ycc = C.rgb_to_ycbcr(np.array([[1.0, 1, 1], [0, 0, 0], [1, 0, 0]], np.float32))
    np.testing.assert_allclose(ycc[0], [1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(ycc[1], [0, 0, 0], atol=1e-6)
    # Y = Kr, Cb = -Kr / (2 (1 - Kb)), Cr = 0.5
    np.testing.assert_allclose(ycc[2], [0.2126, -0.2126 / 1.8556, 0.5], atol=1e-6)


@pytest.mark.parametrize(
    ("matrix", "red"),
    [("bt601", (81, 90, 240)), ("bt709", (63, 102, 240)), ("bt2020nc", (74, 97, 240))],
)
def test_textbook_codes_limited_8bit(matrix: str, red: tuple[int, int, int]) -> None:
    rgb = np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0], [128, 128, 128]], np.uint8)
    code = C.encode_coded_ycbcr(C.rgb_to_ycbcr(rgb, matrix=matrix), range="limited")
    assert code.dtype == np.uint8
    assert code[0].tolist() == [235, 128, 128]
    assert code[1].tolist() == [16, 128, 128]
    assert code[2].tolist() == list(red)
    assert code[3, 1:].tolist() == [128, 128]


def test_jpeg_full_range_red_and_16bit_levels() -> None:
    red = C.rgb_to_ycbcr(np.array([255, 0, 0], np.uint8), matrix="bt601")
    # JFIF: Y = 0.299 * 255, Cb = 128 - 0.1687 * 255, Cr = 128 + 127.5 (clipped to 255).
    assert C.encode_coded_ycbcr(red, range="full").tolist() == [76, 85, 255]
    wb = C.rgb_to_ycbcr(np.array([[1.0, 1, 1], [0, 0, 0]], np.float32))
    assert C.encode_coded_ycbcr(wb, range="limited", dtype=np.uint16).tolist() == [
        [60160, 32768, 32768],
        [4096, 32768, 32768],
    ]
    assert C.encode_coded_ycbcr(wb, range="full", dtype=np.uint16).tolist() == [
        [65535, 32768, 32768],
        [0, 32768, 32768],
    ]
    # 10-bit values kept in uint16: 64..940, neutral 512.
    ten = C.encode_coded_ycbcr(wb, range="limited", dtype=np.uint16, bit_depth=10)
    assert ten.tolist() == [[940, 512, 512], [64, 512, 512]]
    np.testing.assert_allclose(C.decode_coded_ycbcr(ten, bit_depth=10), wb, atol=1e-6)


def test_decode_limited_codes() -> None:
    codes = np.array([[16, 128, 128], [235, 16, 240]], np.uint8)
    np.testing.assert_allclose(
        C.decode_coded_ycbcr(codes, range="limited"), [[0, 0, 0], [1, -0.5, 0.5]], atol=1e-6
    )
    np.testing.assert_allclose(
        C.decode_coded_ycbcr(codes.astype(np.uint16) << 8, range="limited"),
        [[0, 0, 0], [1, -0.5, 0.5]],
        atol=1e-6,
    )


def test_matches_swscale_8bit() -> None:
    """An independent implementation (FFmpeg's swscale) agrees within one code."""
    av = pytest.importorskip("av")
    rgb = np.random.default_rng(3).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    for matrix, sws_cs in (("bt709", 1), ("bt601", 5), ("bt2020nc", 9)):
        for range_, sws_range in (("limited", 1), ("full", 2)):
            theirs = frame.reformat(
                format="yuv444p",
                src_colorspace=sws_cs,
                dst_colorspace=sws_cs,
                dst_color_range=sws_range,
            ).to_ndarray()
            theirs = np.moveaxis(theirs, 0, -1)  # planar (3, H, W) -> (H, W, 3)
            ours = C.encode_coded_ycbcr(C.rgb_to_ycbcr(rgb, matrix=matrix), range=range_)
            diff = np.abs(theirs.astype(int) - ours.astype(int))
            assert diff.max() <= 1, (matrix, range_)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("matrix", C.MATRICES)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_float_round_trip_is_exact(matrix: str, dtype: type) -> None:
    rgb = some_colours(dtype)
    back = C.ycbcr_to_rgb(C.rgb_to_ycbcr(rgb, matrix=matrix), matrix=matrix)
    assert back.dtype == np.float32
    if dtype is np.float32:
        assert np.abs(back - rgb).max() < 2e-6
    else:
        assert np.array_equal(C.from_float(back, dtype), rgb)


# Tightest bounds, measured over all 2^24 8-bit colours (and 2^24 random 16-bit
# ones): limited range has fewer codes (219 luma levels) than RGB has values.
CODED_BOUND = {"limited": 2, "full": 1}


@pytest.mark.parametrize("matrix", C.MATRICES)
@pytest.mark.parametrize("range_", RANGES)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_coded_round_trip_within_bound(matrix: str, range_: str, dtype: type) -> None:
    rgb = some_colours(dtype)
    code = C.encode_coded_ycbcr(C.rgb_to_ycbcr(rgb, matrix=matrix), range=range_, dtype=dtype)
    assert code.dtype == dtype
    back = C.ycbcr_to_rgb(C.decode_coded_ycbcr(code, range=range_), matrix=matrix)
    err = np.abs(C.from_float(back, dtype).astype(np.int64) - rgb.astype(np.int64))
    assert err.max() <= CODED_BOUND[range_]
    assert err.mean() < 0.5


def test_float32_coded_round_trip() -> None:
    rgb = some_colours(np.float32)
    code = C.encode_coded_ycbcr(C.rgb_to_ycbcr(rgb), range="full", dtype=np.uint16)
    back = C.ycbcr_to_rgb(C.decode_coded_ycbcr(code, range="full"))
    assert np.abs(back - rgb).max() < 1.5 / 65535


def test_wrong_matrix_gives_a_large_error() -> None:
    rgb = some_colours(np.uint8, 20_000)
    code = C.encode_coded_ycbcr(C.rgb_to_ycbcr(rgb, matrix="bt709"), range="limited")
    right = C.from_float(C.ycbcr_to_rgb(C.decode_coded_ycbcr(code), matrix="bt709"))
    wrong = C.from_float(C.ycbcr_to_rgb(C.decode_coded_ycbcr(code), matrix="bt601"))
    assert np.abs(right.astype(int) - rgb).max() <= 2
    assert np.abs(wrong.astype(int) - rgb).max() > 20
    # Reading limited-range codes as full range is the other classic mistake.
    washed = C.from_float(C.ycbcr_to_rgb(C.decode_coded_ycbcr(code, range="full")))
    assert np.abs(washed.astype(int) - rgb).max() > 15


@pytest.mark.parametrize("matrix", C.MATRICES)
def test_grey_has_zero_chroma(matrix: str) -> None:
    grey = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    ycc = C.rgb_to_ycbcr(grey, matrix=matrix)
    assert np.abs(ycc[:, 1:]).max() < 1e-6
    np.testing.assert_allclose(ycc[:, 0], np.arange(256) / 255, atol=1e-6)
    for range_ in RANGES:
        code = C.encode_coded_ycbcr(ycc, range=range_)
        assert np.all(code[:, 1:] == 128)


def test_shapes_and_dtypes() -> None:
    img = np.zeros((4, 5, 3), np.uint16)
    assert C.rgb_to_ycbcr(img).shape == (4, 5, 3)
    assert C.rgb_to_ycbcr(img).dtype == np.float32
    assert C.to_float(np.array([0, 65535], np.uint16)).tolist() == [0.0, 1.0]
    assert C.to_float(np.array([0, 1023], np.uint16), bit_depth=10).tolist() == [0.0, 1.0]
    assert C.from_float(np.array([-0.2, 0.5, 1.7]), np.uint8).tolist() == [0, 128, 255]
    assert C.from_float(np.array([-0.2, 1.7]), np.float32).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="3 channels"):
        C.rgb_to_ycbcr(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="unknown colour matrix"):
        C.rgb_to_ycbcr(img, matrix="bt999")
    with pytest.raises(ValueError, match="range"):
        C.decode_coded_ycbcr(img, range="studio")
    with pytest.raises(ValueError, match="uint8 or uint16"):
        C.decode_coded_ycbcr(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="does not fit"):
        C.encode_coded_ycbcr(np.zeros((2, 3)), dtype=np.uint8, bit_depth=10)


def test_matrix_for_tags_and_sizes() -> None:
    assert C.matrix_for("bt709", 480) == "bt709"
    assert C.matrix_for("smpte170m", 1080) == "bt601"
    assert C.matrix_for("bt470bg", 1080) == "bt601"
    assert C.matrix_for("bt2020nc", 2160) == "bt2020nc"
    assert C.matrix_for(None, 480) == "bt601"
    assert C.matrix_for(None, 576) == "bt601"
    assert C.matrix_for(None, 720) == "bt709"
    assert C.matrix_for(None, 1080) == "bt709"
    assert C.matrix_for(None, 544, width=1280) == "bt709"  # letterboxed HD
    assert C.matrix_for("unknown", 1080) == "bt709"
    assert C.matrix_for("bt2020c", 480) == "bt601"  # constant luminance is not a matrix


# --------------------------------------------------------------------------- chroma bins


def test_quantize_bins_edges_and_error() -> None:
    c = np.linspace(-0.5, 0.5, 100_001, dtype=np.float32)
    bins = C.quantize_chroma(c)
    assert bins.dtype == np.int64
    assert bins.min() == 0 and bins.max() == 31
    assert np.all(np.diff(bins) >= 0)
    centres_expected = (np.arange(32) - 16) / 32
    assert C.quantize_chroma(centres_expected).tolist() == list(range(32))
    lower_edges = centres_expected - 1 / 64
    assert C.quantize_chroma(lower_edges[1:]).tolist() == list(range(1, 32))
    assert C.quantize_chroma(np.array([-0.9, 0.5, 0.9])).tolist() == [0, 31, 31]
    # Grey is the centre of a bin: a grey film stays exactly grey.
    assert C.quantize_chroma(np.array([0.0])).tolist() == [16]
    assert C.dequantize_chroma(np.array([16])).tolist() == [0.0]
    centres = C.dequantize_chroma(bins)
    assert centres.dtype == np.float32
    err = np.abs(centres - c)
    inside = c <= 0.5 - 1 / 64
    assert err[inside].max() <= 0.5 / 32 + 1e-6
    assert err[~inside].max() <= 1 / 32 + 1e-6  # the top sliver shares the last bin
    assert np.array_equal(C.quantize_chroma(C.dequantize_chroma(np.arange(32))), np.arange(32))
    ends = C.dequantize_chroma(np.array([0, 31]))
    np.testing.assert_allclose(ends, [-0.5, 0.5 - 1 / 32])


def test_joint_index_round_trip() -> None:
    bins = np.random.default_rng(0).integers(0, 32, (28, 28, 2))
    joint = C.joint_index(bins)
    assert joint.min() >= 0 and joint.max() < 32 * 32
    assert joint[3, 4] == bins[3, 4, 0] * 32 + bins[3, 4, 1]
    assert np.array_equal(C.split_joint_index(joint), bins)


def test_tensors_get_the_same_bins_as_arrays() -> None:
    """Training quantizes tensors, inference and projects arrays: one convention for both."""
    torch = pytest.importorskip("torch")
    c = np.random.default_rng(1).uniform(-0.6, 0.6, (2, 28, 28)).astype(np.float32)
    theirs = C.quantize_chroma(torch.from_numpy(c))
    assert theirs.dtype == torch.long
    assert np.array_equal(C.quantize_chroma(c), theirs.numpy())
    back = C.dequantize_chroma(theirs)
    assert back.dtype == torch.float32
    assert np.array_equal(C.dequantize_chroma(theirs.numpy()), back.numpy())
    with pytest.raises(ValueError):
        C.dequantize_chroma(torch.zeros(2, 4, 4))


# --------------------------------------------------------------------------- 28x28 chroma


@pytest.mark.parametrize("shape", [(224, 224), (120, 160), (97, 131), (20, 30)])
def test_downsample_constant_is_constant(shape: tuple[int, int]) -> None:
    cbcr = np.empty((*shape, 2), np.float32)
    cbcr[..., 0], cbcr[..., 1] = 0.123, -0.37
    small = C.downsample_chroma(cbcr)
    assert small.shape == (28, 28, 2) and small.dtype == np.float32
    np.testing.assert_allclose(small[..., 0], 0.123, atol=1e-6)
    np.testing.assert_allclose(small[..., 1], -0.37, atol=1e-6)
    up = C.upsample_chroma(small, shape)
    assert up.shape == (*shape, 2)
    np.testing.assert_allclose(up[..., 0], 0.123, atol=1e-6)


def test_downsample_is_an_area_average() -> None:
    rng = np.random.default_rng(2)
    cbcr = rng.uniform(-0.5, 0.5, (56, 84, 2)).astype(np.float32)
    small = C.downsample_chroma(cbcr)
    np.testing.assert_allclose(small[0, 0], cbcr[:2, :3].mean(axis=(0, 1)), atol=1e-6)
    np.testing.assert_allclose(small[27, 27], cbcr[54:, 81:].mean(axis=(0, 1)), atol=1e-6)
    # Not divisible: the PIL box filter still keeps the mean (anti-aliased, no dropped pixels).
    odd = rng.uniform(-0.5, 0.5, (97, 131, 2)).astype(np.float32)
    np.testing.assert_allclose(
        C.downsample_chroma(odd).mean(axis=(0, 1)), odd.mean(axis=(0, 1)), atol=2e-3
    )
    # A stripe pattern finer than the output averages to its mean instead of aliasing.
    stripes = np.zeros((224, 224, 2), np.float32)
    stripes[:, ::2] = 0.4
    np.testing.assert_allclose(C.downsample_chroma(stripes), 0.2, atol=1e-6)


def smooth_chroma(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    cb = 0.3 * np.sin(6 * x) * np.cos(5 * y)
    cr = 0.25 * np.cos(4 * (x + y))
    return np.stack([cb, cr], -1).astype(np.float32)


@pytest.mark.parametrize("shape", [(224, 224), (180, 320)])
def test_down_up_of_smooth_chroma_is_close(shape: tuple[int, int]) -> None:
    cbcr = smooth_chroma(*shape)
    # Measured 54.5 / 51.5 dB at 224x224, 55.9 / 53.5 dB at 180x320.
    for method, bound in (("bicubic", 52.0), ("bilinear", 49.0)):
        up = C.upsample_chroma(C.downsample_chroma(cbcr), shape, method=method)
        assert psnr(up, cbcr) > bound, method


def test_upsample_is_clipped_to_the_valid_range() -> None:
    small = np.full((28, 28, 2), -0.5, np.float32)
    small[:, 14:] = 0.5
    up = C.upsample_chroma(small, (224, 224))
    assert up.min() >= -0.5 and up.max() <= 0.5
    assert up[0, 0, 0] == -0.5 and up[0, -1, 0] == 0.5
    with pytest.raises(ValueError, match="method"):
        C.upsample_chroma(small, (10, 10), method="nearest-ish")
    with pytest.raises(ValueError, match=r"\(H, W, 2\)"):
        C.downsample_chroma(np.zeros((10, 10, 3)))


def natural_scene(seed: int, h: int = 224, w: int = 224) -> np.ndarray:
    """RGB float: sky and ground, a few objects in moderate colours with hard edges,
    and luma-only texture (stripes on the ground, fine grain) -- sharp luma, smooth chroma
    within regions, but chroma edges wherever an object ends."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w]).reshape(2, 1, 1)
    t = np.clip((y - 0.45) * 8, 0, 1)[..., None]
    rgb = np.array([0.45, 0.6, 0.85]) * (1 - t) + np.array([0.35, 0.45, 0.25]) * t
    colours = [(0.8, 0.3, 0.25), (0.9, 0.75, 0.55), (0.25, 0.35, 0.6), (0.6, 0.55, 0.2)]
    for k, colour in enumerate(colours):
        cy, cx = rng.uniform(0.2, 0.8, 2)
        r = rng.uniform(0.08, 0.18)
        disc = (y - cy) ** 2 + (x - cx) ** 2 < r * r
        box = (abs(y - cy) < r) & (abs(x - cx) < 0.7 * r)
        rgb[disc if k % 2 == 0 else box] = colour
    ycc = C.rgb_to_ycbcr(rgb.astype(np.float32))
    ycc[..., 0] += 0.12 * np.sign(np.sin(x * w / 3.0)) * (y > 0.6)
    ycc[..., 0] += 0.05 * rng.standard_normal((h, w))
    return C.ycbcr_to_rgb(ycc)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_luma_with_28x28_chroma_keeps_the_picture(seed: int) -> None:
    """The PixColor premise: luma at full resolution + chroma at 28x28 is nearly the image."""
    rgb = natural_scene(seed)
    for matrix in ("bt601", "bt709"):
        ycc = C.rgb_to_ycbcr(rgb, matrix=matrix)
        small = C.downsample_chroma(ycc[..., 1:])
        rebuilt = C.merge_luma_chroma(ycc[..., 0], small, matrix=matrix)
        binned = C.merge_luma_chroma(
            ycc[..., 0], C.dequantize_chroma(C.quantize_chroma(small)), matrix=matrix
        )
        grey = np.repeat(ycc[..., :1], 3, axis=-1)
        # Measured 30.3-31.2 dB (29.5-30.5 with 32-level bins), grey alone 17 dB: what
        # is lost is a blur of chroma across the objects' hard edges.
        assert psnr(rebuilt, rgb) > 30.0
        assert psnr(binned, rgb) > 29.0
        assert psnr(rebuilt, rgb) > psnr(grey, rgb) + 12
        # The luma is untouched wherever the rebuilt colour is inside the gamut.
        inside = np.all((rebuilt > 0.001) & (rebuilt < 0.999), axis=-1)
        y_back = C.rgb_to_ycbcr(rebuilt, matrix=matrix)[..., 0]
        assert np.abs(y_back - ycc[..., 0])[inside].max() < 1e-5


def test_a_grey_picture_scanned_out_of_register_is_not_in_colour() -> None:
    """Red and blue a pixel or two off green (a telecine's registration, a lens's lateral
    colour) leave red and cyan fringes along a grey picture's edges: colour its luma does not
    explain, pointing both ways round grey, as a colour photo's does. Fitted to the luma's
    slope and taken out (`C.out_of_register`), they no longer make it a colour picture;
    a colour picture out of register stays one."""
    from PIL import Image

    from tests.makephotos import photo_pixels, snapshot_pixels

    def shrunk(rgb: np.ndarray) -> np.ndarray:
        im = Image.fromarray(rgb)
        im.thumbnail((256, 256))  # as a restore judges it
        return np.asarray(im)

    rng = np.random.default_rng(5)
    grey = photo_pixels((640, 480), seed=3).astype(np.float64)
    grey += 60 * (rng.random((480, 640)) > 0.995)  # small bright details: edges everywhere
    grey = np.clip(grey, 0, 255)
    for shift in (1, 2, 3):
        rgb = np.repeat(grey[..., None], 3, axis=-1)
        rgb[..., 0] = np.roll(grey, shift, axis=1)
        rgb[..., 2] = np.roll(grey, -shift, axis=0)
        fringed = shrunk(rgb.astype(np.uint8))
        assert not C.in_colour(fringed), shift
    colour = snapshot_pixels((640, 480)).astype(np.float64)
    colour[..., 0] = np.roll(colour[..., 0], 2, axis=1)
    assert C.in_colour(shrunk(colour.astype(np.uint8)))
    ycc = C.rgb_to_ycbcr(np.repeat(grey[..., None], 3, axis=-1) / 255, matrix="bt601")
    assert np.allclose(C.out_of_register(ycc.astype(np.float32)), ycc, atol=1e-5)


def test_a_title_card_and_a_night_scene_in_colour_are_in_colour() -> None:
    """Flat colours each at its own luma (a blue ground, a red bar, a yellow block) are what a
    toning's curve could make, but point several ways round grey; a colour picture at 12 % of
    its brightness has chroma as dark. Both are colour pictures; a dark toned or grey one is
    not."""
    from tests.makephotos import photo_pixels

    rng = np.random.default_rng(2)
    card = np.empty((192, 256, 3))
    card[:] = (30, 40, 150)
    card[20:100, 16:240] = (200, 30, 30)
    card[120:176, 64:192] = (240, 220, 40)
    card = np.clip(card + rng.normal(0, 2, card.shape), 0, 255).astype(np.uint8)
    assert C.colour_figures(card)[0] < C.IN_COLOUR_RMS  # what its luma explains: nearly all
    assert C.in_colour(card)
    shade = photo_pixels((256, 192)).astype(np.float32) / 255.0
    bands = np.array([(120, 80, 70), (70, 110, 70), (70, 85, 125)], np.float32)
    muted = bands[np.arange(256) * 3 // 256][None, :, :] * (0.8 + 0.4 * shade[..., None])
    night = np.clip(muted * 0.12 + rng.normal(0, 1, muted.shape), 0, 255).astype(np.uint8)
    assert C.in_colour(night)
    grey = shade * 255
    sepia = np.stack([grey, grey * 0.85, grey * 0.65], axis=-1)
    for dark in (sepia * 0.12, np.repeat(grey[..., None], 3, axis=-1) * 0.12):
        noisy = np.clip(dark + rng.normal(0, 1.5, dark.shape), 0, 255).astype(np.uint8)
        assert not C.in_colour(noisy)
