"""A photograph restored into a picture: the film's stages on one frame, the luma kept (to the
bit with no stage, within rounding when colorized), the depth, alpha and metadata carried,
and every refusal made before anything is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageOps

from panchro.engine import media
from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.restore.picture import restore_picture
from panchro.engine.restore.stages import ColorizeStage, UpscaleStage
from tests.makemodels import save_small_set
from tests.makephotos import (
    THUMBNAIL_MARK,
    camera_jpeg,
    cmyk_jpeg,
    palette_png,
    photo_pixels,
    png,
    sixteen_bit,
    snapshot_pixels,
    srgb_profile,
)

KR, KG, KB = 0.299, 0.587, 0.114  # the BT.601 luma of a picture


def _luma(samples: np.ndarray) -> np.ndarray:
    """Luma in levels of the samples' own depth (float)."""
    a = samples.astype(np.float64)
    return a if a.ndim == 2 else a @ np.array([KR, KG, KB])


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_small_set(tmp_path_factory.mktemp("models"))


def _colorize(models: Path, *, recolour: bool = False) -> ColorizeStage:
    return ColorizeStage(
        device="cpu",
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
        recolour=recolour,
    )


@pytest.mark.parametrize("grey", [True, False])
def test_no_stage_keeps_every_sample(grey: bool, tmp_path: Path) -> None:
    src = png(tmp_path / "in.png", photo_pixels(grey=grey))
    for ext in (".png", ".tif"):
        summary = restore_picture(src, tmp_path / f"out{ext}")
        assert summary.frames == 1 and summary.codec == media.picture_format(f"x{ext}").lower()
        np.testing.assert_array_equal(
            media.read_picture(tmp_path / f"out{ext}").pixels, media.read_picture(src).pixels
        )


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_sixteen_bits_in_sixteen_bits_out(ext: str, tmp_path: Path) -> None:
    for grey in (True, False):
        samples = sixteen_bit(tmp_path / f"deep{grey}{ext}", grey=grey)
        out = tmp_path / f"out{grey}{ext}"
        restore_picture(tmp_path / f"deep{grey}{ext}", out)
        pic = media.read_picture(out)
        assert pic.bits == 16
        np.testing.assert_array_equal(pic.pixels, samples)


def test_colorized_luma_equals_the_input_within_rounding(models: Path, tmp_path: Path) -> None:
    grey = photo_pixels((120, 80))
    src = png(tmp_path / "grey.png", grey)
    out = tmp_path / "colour.png"
    summary = restore_picture(src, out, stages=[_colorize(models)])
    pic = media.read_picture(out)
    assert pic.pixels.shape == (80, 120, 3) and pic.bits == 8
    assert np.abs(pic.pixels[..., 0].astype(int) - pic.pixels[..., 2]).max() > 3  # coloured
    # Each channel is off by at most half a level from the exact colour, so the luma is too.
    assert np.abs(_luma(pic.pixels) - grey).max() <= 0.5 + 1e-3
    assert np.abs(np.rint(_luma(pic.pixels)) - grey).max() <= 1
    with Image.open(out) as im:
        assert "colorized (automatic pick, seed 0)" in im.getexif()[0x0131]
    assert any("UNTRAINED" in n for n in summary.notes)
    # The same picture gives the same bits again.
    again = tmp_path / "again.png"
    restore_picture(src, again, stages=[_colorize(models)])
    np.testing.assert_array_equal(media.read_picture(again).pixels, pic.pixels)


def test_colorized_sixteen_bit_grey_stays_sixteen_bits(models: Path, tmp_path: Path) -> None:
    samples = sixteen_bit(tmp_path / "deep.tif", grey=True)
    out = tmp_path / "colour.tif"
    restore_picture(tmp_path / "deep.tif", out, stages=[_colorize(models)])
    pic = media.read_picture(out)
    assert pic.bits == 16 and pic.pixels.shape == (*samples.shape, 3)
    assert np.abs(_luma(pic.pixels) - samples).max() <= 0.5 + 0.05


def test_jpeg_quality_is_95_unless_told(tmp_path: Path) -> None:
    pixels = photo_pixels(grey=False)
    src = png(tmp_path / "in.png", pixels)

    def tables(path: Path) -> dict:
        with Image.open(path) as im:
            return im.quantization

    for quality in (None, 50):
        out = tmp_path / f"q{quality}.jpg"
        restore_picture(src, out, quality=quality)
        ref = tmp_path / f"ref{quality}.jpg"
        Image.fromarray(pixels).save(ref, "JPEG", quality=quality or 95)
        assert tables(out) == tables(ref)


def test_upscale_scales_the_resolution_and_the_exif_size(models: Path, tmp_path: Path) -> None:
    src = camera_jpeg(tmp_path / "camera.jpg")
    stage = UpscaleStage(
        scale=2, device="cpu", weights_path=str(models / "upscaler_x2.safetensors")
    )
    out = tmp_path / "big.tif"
    summary = restore_picture(src, out, stages=[stage])
    assert (summary.width, summary.height) == (128, 192)  # stored 96x64, turned upright
    with Image.open(out) as im:
        assert im.size == (128, 192) and im.mode == "L"  # grey in, no colour: grey out
        assert im.info["dpi"] == (600.0, 600.0)
        assert "icc_profile" not in im.info  # an RGB profile cannot describe grey samples
        exif = im.getexif()
        assert "upscaled x2 (film model)" in exif[0x0131]
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        assert (sub[0xA002], sub[0xA003]) == (128, 192)
    assert THUMBNAIL_MARK not in out.read_bytes()


def test_grey_profile_is_not_put_on_a_colour_picture(models: Path, tmp_path: Path) -> None:
    icc = bytearray(srgb_profile())
    icc[16:20] = b"GRAY"
    src = tmp_path / "grey.jpg"
    Image.fromarray(photo_pixels()).save(src, "JPEG", icc_profile=bytes(icc))
    out = tmp_path / "colour.jpg"
    summary = restore_picture(src, out, stages=[_colorize(models)])
    with Image.open(out) as im:
        assert "icc_profile" not in im.info
    assert any("GRAY colour profile" in n for n in summary.notes)
    # Without colour, the grey profile still describes the picture and stays.
    restore_picture(src, tmp_path / "same.jpg")
    with Image.open(tmp_path / "same.jpg") as im:
        assert im.info["icc_profile"] == bytes(icc)


def test_alpha_kept_where_the_format_has_it(tmp_path: Path) -> None:
    pixels = photo_pixels(grey=False)
    alpha = np.tile(np.linspace(0, 255, pixels.shape[1]).astype(np.uint8), (pixels.shape[0], 1))
    src = png(tmp_path / "rgba.png", pixels, alpha)
    for ext in (".png", ".tif"):
        restore_picture(src, tmp_path / f"out{ext}")
        np.testing.assert_array_equal(media.read_picture(tmp_path / f"out{ext}").alpha, alpha)
    restore_picture(src, tmp_path / "out.webp")
    got = media.read_picture(tmp_path / "out.webp").alpha
    assert got is not None and np.abs(got.astype(int) - alpha).max() <= 2
    summary = restore_picture(src, tmp_path / "out.jpg")
    assert media.read_picture(tmp_path / "out.jpg").alpha is None
    assert any("alpha channel dropped" in n for n in summary.notes)


def test_palette_and_cmyk_inputs_are_converted(tmp_path: Path) -> None:
    summary = restore_picture(palette_png(tmp_path / "pal.png"), tmp_path / "pal_out.png")
    pic = media.read_picture(tmp_path / "pal_out.png")
    assert pic.pixels.ndim == 3 and pic.alpha is not None
    assert any("palette" in n for n in summary.notes)
    summary = restore_picture(cmyk_jpeg(tmp_path / "cmyk.jpg"), tmp_path / "cmyk_out.jpg")
    with Image.open(tmp_path / "cmyk_out.jpg") as im:
        assert im.mode == "RGB"
    assert any("CMYK" in n for n in summary.notes)


def test_sixteen_bits_to_jpeg_says_so(tmp_path: Path) -> None:
    sixteen_bit(tmp_path / "deep.png", grey=False)
    summary = restore_picture(tmp_path / "deep.png", tmp_path / "out.jpg")
    assert any("written as 8-bit" in n for n in summary.notes)


def test_orientation_is_applied_and_the_tag_reset(tmp_path: Path) -> None:
    src = camera_jpeg(tmp_path / "camera.jpg")  # stored 96x64, orientation 6 (turn right)
    restore_picture(src, tmp_path / "out.png")
    with Image.open(src) as im:
        upright = np.asarray(ImageOps.exif_transpose(im))
    with Image.open(tmp_path / "out.png") as im:
        assert im.size == (64, 96) and im.getexif()[0x0112] == 1
        np.testing.assert_array_equal(np.asarray(im), upright)


def test_refusals_write_nothing(tmp_path: Path) -> None:
    src = png(tmp_path / "in.png", photo_pixels())
    (tmp_path / "exists.png").write_bytes(b"precious")
    not_picture = tmp_path / "notes.png"
    not_picture.write_text("hello")
    before = sorted(p.name for p in tmp_path.iterdir())
    cases = [
        (OutputError, "is the input", dict(input=src, output=src)),
        (OutputError, "exists", dict(input=src, output=tmp_path / "exists.png")),
        (BadInputError, "not a picture", dict(input=not_picture, output=tmp_path / "o.png")),
        (BadInputError, "not a picture format", dict(input=src, output=tmp_path / "o.bmp")),
        (BadInputError, "within 1..100", dict(input=src, output=tmp_path / "o.jpg", quality=0)),
        (BadInputError, "within 1..100", dict(input=src, output=tmp_path / "o.jpg", quality=101)),
        (BadInputError, "PNG is written lossless", dict(input=src, output=tmp_path / "o.png",
                                                        quality=90)),
    ]  # fmt: skip
    for kind, words, kwargs in cases:
        with pytest.raises(kind, match=words):
            restore_picture(**kwargs)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "exists.png").read_bytes() == b"precious"
    restore_picture(src, tmp_path / "exists.png", overwrite=True)
    assert media.read_picture(tmp_path / "exists.png").pixels.shape == (64, 96)


XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
    'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    'xmlns:xmpGImg="http://ns.adobe.com/xap/1.0/g/img/" tiff:Orientation="6" '
    'exif:PixelXDimension="96"><exif:PixelYDimension>64</exif:PixelYDimension>'
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Grandmother, Łódź 1931</rdf:li></rdf:Alt>'
    '</dc:title><xmp:Thumbnails><rdf:Alt><rdf:li rdf:parseType="Resource">'
    "<xmpGImg:image>GREYTHUMBNAILDATA</xmpGImg:image></rdf:li></rdf:Alt></xmp:Thumbnails>"
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
).encode()


@pytest.mark.parametrize("ext", [".jpg", ".png", ".tif", ".webp"])
def test_the_xmp_travels_upright_sized_and_without_its_thumbnail(
    ext: str, models: Path, tmp_path: Path
) -> None:
    """A scan's XMP (title, keywords, rights: what archives write) reaches the restored
    picture in every output format; its orientation says upright, as the pixels are, its
    size fields the new size, and the thumbnail of the grey original is left out."""
    src = tmp_path / "scan.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(photo_pixels((96, 64))).save(src, "JPEG", exif=exif, xmp=XMP)
    stage = UpscaleStage(
        scale=2, device="cpu", weights_path=str(models / "upscaler_x2.safetensors")
    )
    out = tmp_path / f"out{ext}"
    restore_picture(src, out, stages=[stage])
    with Image.open(out) as im:
        assert im.size == (128, 192)
        xmp = im.info.get("xmp")
    assert xmp is not None, f"no XMP in the {ext}"
    text = xmp.decode("utf-8")
    assert "Grandmother, Łódź 1931" in text
    assert 'tiff:Orientation="1"' in text
    assert 'exif:PixelXDimension="128"' in text and ">192</exif:PixelYDimension>" in text
    assert "Thumbnails" not in text and b"GREYTHUMBNAILDATA" not in out.read_bytes()


def test_a_picture_without_xmp_gets_none(tmp_path: Path) -> None:
    src = png(tmp_path / "in.png", photo_pixels())
    restore_picture(src, tmp_path / "out.jpg")
    with Image.open(tmp_path / "out.jpg") as im:
        assert "xmp" not in im.info


def test_a_picture_too_big_for_the_memory_is_refused_unread_with_its_size(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never killed by the system halfway: the estimate (restore.memory, from the header)
    refuses at once, naming the size, and nothing is written."""
    from panchro.engine.restore import memory

    src = png(tmp_path / "wide.png", photo_pixels((2000, 30)))
    out = tmp_path / "out.png"
    monkeypatch.setattr(memory, "available_mb", lambda: 300.0)  # less than the process needs
    with pytest.raises(memory.MemoryLimitError, match=r"2000x30 picture .* more than the memory"):
        restore_picture(src, out, stages=[_colorize(models)])
    assert not out.exists() and list(tmp_path.iterdir()) == [src]
    monkeypatch.setattr(memory, "available_mb", lambda: 64_000.0)
    restore_picture(src, out, stages=[_colorize(models)])
    assert out.exists()


def test_the_estimate_follows_the_measured_peaks() -> None:
    """The module's figures, measured with the shipped models, within 5 % before the margin:
    a strip's refiner working across its whole long side costs most of its peak."""
    from panchro.engine.restore import memory

    cases = [  # (size, out, stages, refiner working area, measured peak MB)
        ((4000, 3000), (4000, 3000), ["colorize"], 256 * 341, 559),
        ((6000, 4000), (6000, 4000), ["colorize"], 256 * 384, 781),
        ((20000, 300), (20000, 300), ["colorize"], 256 * 17067, 1283),
        ((2000, 1500), (4000, 3000), ["upscale"], 0, 1066),
        ((4000, 3000), (4000, 3000), ["dust"], 0, 968),
        ((6000, 4000), (6000, 4000), ["dust"], 0, 1437),
    ]
    for size, out, stages, working, measured in cases:
        got = memory.picture_estimate(size, out, stages, working) / memory.MARGIN
        assert abs(got - measured) / measured < 0.05, (size, got, measured)


def test_a_colour_photo_keeps_its_own_colours_unless_told(models: Path, tmp_path: Path) -> None:
    """Colorized, a picture in colour already (a colour snapshot in a family's album) keeps
    its own colours exactly, and says so; a toned print and grey with colour noise are
    colorized as before, unsaid; an old print yellowed and foxed (colours of one hue its grey
    does not explain) is colorized, and said to hold colours of its own; --recolour, or a
    person's pick, colours a colour photo anew."""
    from panchro.engine.imaging.color import in_colour
    from panchro.engine.project import Pick
    from panchro.engine.restore.picture import (
        MAYBE_IN_COLOUR,
        OWN_COLOURS_KEPT,
        OWN_STRENGTH,
        RECOLOURED,
    )

    rng = np.random.default_rng(3)
    grey = photo_pixels((128, 96)).astype(np.float64)
    sepia = np.stack([grey, grey * 0.85, grey * 0.65], axis=-1) + rng.normal(0, 10, (96, 128, 3))
    noisy = np.stack([grey] * 3, axis=-1) + rng.normal(0, 10, (96, 128, 3))
    yellowed = np.stack([grey] * 3, axis=-1)
    yellowed[..., 2] -= 60 * (np.arange(128) / 127.0) ** 2  # the paper yellowed to the right
    yellowed[20:30, 30:40] *= (0.85, 0.7, 0.55)  # foxing
    said = {}
    for name, rgb in (("colour", snapshot_pixels((128, 96))), ("sepia", sepia), ("noisy", noisy),
                      ("yellowed", yellowed)):  # fmt: skip
        rgb = np.clip(rgb, 0, 255).astype(np.uint8)
        out = tmp_path / f"{name}_out.png"
        summary = restore_picture(png(tmp_path / f"{name}.png", rgb), out,
                                  stages=[_colorize(models)])  # fmt: skip
        same = np.array_equal(np.asarray(Image.open(out).convert("RGB")), rgb)
        said[name] = [n for n in summary.notes if n in (OWN_COLOURS_KEPT, MAYBE_IN_COLOUR)]
        assert in_colour(rgb) == (said[name] == [OWN_COLOURS_KEPT]) == same, name
    assert said == {"colour": [OWN_COLOURS_KEPT], "sepia": [], "noisy": [],
                    "yellowed": [MAYBE_IN_COLOUR]}  # fmt: skip
    assert "its own colours kept" in Image.open(tmp_path / "colour_out.png").info["Software"]

    source = tmp_path / "colour.png"
    summary = restore_picture(source, tmp_path / "anew.png",
                              stages=[_colorize(models, recolour=True)])  # fmt: skip
    assert OWN_COLOURS_KEPT not in summary.notes and RECOLOURED in summary.notes
    weaker = _colorize(models)
    weaker.strength = 0.5  # for colours drawn: its own are kept as they are, and said so
    summary = restore_picture(source, tmp_path / "weaker.png", stages=[weaker])
    assert OWN_STRENGTH in summary.notes
    kept = np.asarray(Image.open(tmp_path / "weaker.png").convert("RGB"))
    assert np.array_equal(kept, snapshot_pixels((128, 96)))
    anew = np.asarray(Image.open(tmp_path / "anew.png").convert("RGB")).astype(int)
    assert np.abs(anew - snapshot_pixels((128, 96))).max() > 20  # its colours drawn by the model
    bins = np.full((2, 28, 28), 16, np.uint8)
    bins[1] = 24  # a person's pick: a warm mode
    pick = Pick(seed=0, temperature=1.0, index=0, chroma=bins, locked=True)
    summary = restore_picture(source, tmp_path / "picked.png", stages=[_colorize(models)],
                              pick=pick)  # fmt: skip
    assert OWN_COLOURS_KEPT not in summary.notes
    picked = np.asarray(Image.open(tmp_path / "picked.png").convert("RGB")).astype(int)
    assert np.abs(picked - snapshot_pixels((128, 96))).max() > 20


def test_hints_on_a_colour_photo_lie_over_its_own_colours(models: Path, tmp_path: Path) -> None:
    """A person's point on a colour photo is laid over the picture's own colours: the colour
    where it lies is the point's, and the rest stays nearer the picture's own colours than the
    same point alone gives (--recolour); the luma is the picture's either way."""
    from panchro.engine.imaging import color
    from panchro.engine.imaging.hints import parse_hints

    before = snapshot_pixels((128, 96))  # red, green and blue bands
    source = png(tmp_path / "colour.png", before)
    point = parse_hints({"version": 1, "points": [{"frame": 0, "x": 20, "y": 48,
                                                   "rgb": [120, 200, 120]}]})  # fmt: skip
    outs = {}
    for recolour in (False, True):
        stage = _colorize(models, recolour=recolour)
        stage.hints = point
        out = tmp_path / f"hinted_{recolour}.png"
        restore_picture(source, out, stages=[stage])
        outs[recolour] = np.asarray(Image.open(out).convert("RGB")).astype(int)
        assert outs[recolour][48, 20, 1] > outs[recolour][48, 20, 0] + 50  # green at the point
        y_out = color.rgb_to_ycbcr(outs[recolour].astype(np.uint8), matrix="bt601")[..., 0]
        y_in = color.rgb_to_ycbcr(before, matrix="bt601")[..., 0]
        assert np.abs(y_out - y_in).max() < 1.5 / 255
    own, alone = (np.abs(outs[r] - before.astype(int)).mean() for r in (False, True))
    assert own < alone - 4, (own, alone)
