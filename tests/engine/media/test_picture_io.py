"""One photograph read and written: samples exact at 8 and 16 bits, metadata carried, the
thumbnail and the maker note left behind, awkward files converted or refused clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from panchro.engine import media
from panchro.engine.errors import BadInputError
from tests.makephotos import (
    MAKER_NOTE,
    THUMBNAIL_MARK,
    camera_jpeg,
    cmyk_jpeg,
    palette_png,
    photo_pixels,
    sixteen_bit,
    srgb_profile,
)


@pytest.mark.parametrize("fmt, ext", [("PNG", ".png"), ("TIFF", ".tif")])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("with_alpha", [False, True])
def test_lossless_formats_give_back_every_sample(
    fmt: str, ext: str, dtype: type, channels: int, with_alpha: bool, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    top = np.iinfo(dtype).max
    shape = (23, 37) if channels == 1 else (23, 37, 3)
    pixels = rng.integers(0, top, shape, dtype=dtype, endpoint=True)
    alpha = rng.integers(0, top, shape[:2], dtype=dtype, endpoint=True) if with_alpha else None
    path = media.write_picture(tmp_path / f"p{ext}", pixels, alpha, fmt=fmt, dpi=(300, 300))
    pic = media.read_picture(path)
    assert pic.bits == (16 if dtype == np.uint16 else 8)
    want = pixels
    if channels == 1 and with_alpha and dtype == np.uint16:
        want = np.repeat(pixels[..., None], 3, axis=2)  # 16-bit grey + alpha comes back RGBA
    np.testing.assert_array_equal(pic.pixels, want)
    if with_alpha:
        np.testing.assert_array_equal(pic.alpha, alpha)
    else:
        assert pic.alpha is None
    assert pic.dpi == (300.0, 300.0)
    assert not list(tmp_path.glob(".*"))  # no temporary left beside it


def test_sixteen_bit_colour_is_read_as_sixteen_bits(tmp_path: Path) -> None:
    """Pillow would give 8 bits; the samples come from FFmpeg instead."""
    for ext in (".png", ".tif"):
        samples = sixteen_bit(tmp_path / f"deep{ext}", grey=False)
        pic = media.read_picture(tmp_path / f"deep{ext}")
        assert pic.bits == 16 and pic.pixels.dtype == np.uint16
        np.testing.assert_array_equal(pic.pixels, samples)


def test_metadata_travels_without_thumbnail_or_maker_note(tmp_path: Path) -> None:
    src = camera_jpeg(tmp_path / "camera.jpg")
    assert THUMBNAIL_MARK in src.read_bytes() and MAKER_NOTE in src.read_bytes()
    pic = media.read_picture(src)
    assert pic.icc == srgb_profile() and pic.dpi == (300.0, 300.0)
    for ext in (".jpg", ".png", ".tif", ".webp"):
        out = tmp_path / f"out{ext}"
        media.write_picture(
            out,
            pic.pixels,
            fmt=media.picture_format(out),
            icc=pic.icc,
            dpi=pic.dpi,
            exif=pic.exif,
            software="Panchro test: colorized",
        )
        data = out.read_bytes()
        assert THUMBNAIL_MARK not in data, ext
        assert MAKER_NOTE not in data, ext
        with Image.open(out) as im:
            exif = im.getexif()
            assert im.info.get("icc_profile") == srgb_profile(), ext
            if ext != ".webp":  # WebP has no resolution of its own: EXIF carries it
                assert tuple(round(v) for v in im.info["dpi"]) == (300, 300), ext
            assert float(exif[0x011A]) == 300.0, ext  # XResolution
            assert exif[0x010F] == "Kodak" and exif[0x0110] == "Brownie Hawkeye", ext
            assert exif[0x010E] == "Grandma at the lake, 1950", ext
            assert exif[0x0132] == "1950:07:14 15:30:00", ext
            assert exif[0x0112] == 1, ext  # applied to the pixels on reading
            assert exif[0x0131] == "Panchro test: colorized", ext
            sub = exif.get_ifd(ExifTags.IFD.Exif)
            assert sub[0x9003] == "1950:07:14 15:30:00", ext
            assert 0x927C not in sub, ext
            assert not exif.get_ifd(ExifTags.IFD.IFD1), ext
            if ext == ".png":
                assert im.text["Software"] == "Panchro test: colorized"


def test_new_size_goes_into_the_exif(tmp_path: Path) -> None:
    pic = media.read_picture(camera_jpeg(tmp_path / "camera.jpg"))
    bigger = np.repeat(np.repeat(pic.pixels, 2, axis=0), 2, axis=1)
    out = media.write_picture(tmp_path / "x2.jpg", bigger, fmt="JPEG", exif=pic.exif)
    with Image.open(out) as im:
        sub = im.getexif().get_ifd(ExifTags.IFD.Exif)
        assert (sub[0xA002], sub[0xA003]) == (128, 192)  # upright: stored 96x64, turned


def test_palette_and_cmyk_are_converted(tmp_path: Path) -> None:
    pal = media.read_picture(palette_png(tmp_path / "palette.png"))
    assert pal.pixels.shape[2] == 3 and pal.alpha is not None and pal.bits == 8
    assert any("palette" in n for n in pal.notes)
    cmyk = media.read_picture(cmyk_jpeg(tmp_path / "cmyk.jpg"))
    assert cmyk.pixels.ndim == 3 and cmyk.alpha is None and cmyk.icc is None
    assert any("CMYK" in n for n in cmyk.notes)
    # The colours survive the trip (JPEG's loss aside).
    original = photo_pixels(grey=False).astype(int)
    assert np.abs(cmyk.pixels.astype(int) - original).mean() < 6


def test_bad_files_are_refused_in_one_clear_line(tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture at all")
    with pytest.raises(BadInputError, match="not a picture"):
        media.read_picture(text)
    whole = camera_jpeg(tmp_path / "whole.jpg", size=(400, 300))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(BadInputError) as err:
        media.read_picture(cut)
    message = str(err.value)
    assert "cut short" in message and "JPEG of 400x300" in message
    assert f"{cut.stat().st_size:,} bytes" in message
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        media.read_picture(empty)
    with pytest.raises(BadInputError, match="not a picture format"):
        media.picture_format(tmp_path / "out.gif")


def test_too_large_for_the_format_is_refused_before_work() -> None:
    with pytest.raises(BadInputError, match="too large for WEBP"):
        media.check_picture_size("WEBP", 20_000, 100)
    media.check_picture_size("PNG", 20_000, 100)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_is_applied_as_pillow_does(orientation: int, tmp_path: Path) -> None:
    """JPEG (Pillow's pixels), 16-bit PNG (FFmpeg's) and TIFF (which Pillow turns itself) all
    come out upright, the tag reset to 1."""
    from PIL import ImageOps

    stored = photo_pixels((48, 32), grey=False)
    exif = Image.Exif()
    exif[0x0112] = orientation
    src = tmp_path / "o.jpg"
    Image.fromarray(stored).save(src, "JPEG", quality=100, exif=exif.tobytes())
    with Image.open(src) as im:
        upright = np.asarray(ImageOps.exif_transpose(im))
    pic = media.read_picture(src)
    np.testing.assert_array_equal(pic.pixels, upright)
    assert pic.exif[0x0112] == 1
    deep = stored.astype(np.uint16) * 257
    for ext in (".png", ".tif"):
        path = tmp_path / f"d{ext}"
        media.write_picture(path, deep, fmt=media.picture_format(path), exif=exif)
        got = media.read_picture(path)
        assert got.bits == 16, ext
        np.testing.assert_array_equal(got.pixels, media.orient(deep, orientation), ext)
        assert got.exif[0x0112] == 1


def test_a_jpeg_that_gives_no_resolution_is_read_with_none(tmp_path: Path) -> None:
    """Pillow says 72 dpi of a JPEG whose EXIF gives no resolution: not the file's word, so
    not carried into the restored picture either."""
    grey = np.full((20, 30), 128, np.uint8)
    said = Image.Exif()
    said[ExifTags.Base.ImageDescription] = "grandmother, 1931"
    Image.fromarray(grey).save(tmp_path / "none.jpg", exif=said)
    pic = media.read_picture(tmp_path / "none.jpg")
    assert pic.dpi is None and pic.exif is not None
    media.write_picture(tmp_path / "out.jpg", pic.pixels, None, fmt="JPEG", dpi=pic.dpi,
                        exif=pic.exif, software="Panchro")  # fmt: skip
    assert media.read_picture(tmp_path / "out.jpg").dpi is None
    assert ExifTags.Base.XResolution not in Image.open(tmp_path / "out.jpg").getexif()
    said[ExifTags.Base.XResolution] = said[ExifTags.Base.YResolution] = 240.0
    said[ExifTags.Base.ResolutionUnit] = 2
    Image.fromarray(grey).save(tmp_path / "exif240.jpg", exif=said)  # in the EXIF alone
    assert media.read_picture(tmp_path / "exif240.jpg").dpi == (240.0, 240.0)
    Image.fromarray(grey).save(tmp_path / "jfif300.jpg", dpi=(300, 300))
    assert media.read_picture(tmp_path / "jfif300.jpg").dpi == (300.0, 300.0)


def test_the_exif_software_tag_is_written_in_ascii_words(tmp_path: Path) -> None:
    """EXIF holds ASCII: a degree sign or an accent would come out as "?"."""
    grey = np.full((20, 30), 128, np.uint8)
    said = "Panchro: straightened (-2.00°), the colours of Hôtel.jpg"
    media.write_picture(tmp_path / "a.jpg", grey, None, fmt="JPEG", software=said)
    tag = Image.open(tmp_path / "a.jpg").getexif()[ExifTags.Base.Software]
    assert tag == "Panchro: straightened (-2.00 deg), the colours of Hotel.jpg"
    media.write_picture(tmp_path / "a.png", grey, None, fmt="PNG", software=said)
    assert Image.open(tmp_path / "a.png").text["Software"] == said  # PNG's text is Unicode
