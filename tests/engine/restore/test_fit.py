"""The fit stage (`restore.fit`): a film brought to a delivery size, square pixels, its shape
kept; the whole frame on black where asked; through a restore, tagged square and resumable."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.errors import BadInputError
from panchro.engine.project import Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.restore.fit import FitStage, fitted
from panchro.engine.restore.stages import build_stages
from tests.makemedia import make_frame_folder, make_video


def test_sizes_fitted_inside_a_box() -> None:
    hd = (1920, 1080)
    assert fitted(640, 480, hd, Fraction(1)) == (1440, 1080)  # 4:3 in HD
    assert fitted(1920, 804, hd, Fraction(1)) == (1920, 804)  # scope already there
    assert fitted(720, 576, hd, Fraction(16, 15)) == (1440, 1080)  # PAL 4:3, its pixels
    assert fitted(720, 576, hd, Fraction(64, 45)) == (1920, 1080)  # PAL 16:9 anamorphic
    assert fitted(432, 320, (3840, 2160), Fraction(1)) == (2916, 2160)
    for bad in ((1921, 1080), (10, 10), ("a", 2), (9000, 1080)):
        with pytest.raises(BadInputError, match="delivery size"):
            FitStage(bad)


def _batch(y: np.ndarray) -> FrameBatch:
    t = y.shape[0]
    return FrameBatch(
        y=y, cbcr=np.full((t, 2, *y.shape[1:]), 0.25, np.float32),
        indices=np.arange(t), pts=np.arange(t), time_base=Fraction(1, 24), shot=0,
        matrix="bt709",
    )  # fmt: skip


def test_the_picture_resized_and_framed_on_black() -> None:
    y = np.tile(np.linspace(0.0, 1.0, 160, dtype=np.float32), (2, 120, 1))  # a ramp, 4:3
    stage = FitStage((320, 180))
    stage.set_film(SimpleNamespace(sample_aspect_ratio=None, rotation=0))
    assert stage.output_size(160, 120) == (240, 180)
    out = stage.process(_batch(y))
    assert out.size == (240, 180) and out.cbcr.shape == (2, 2, 180, 240)
    assert out.y[0, 90, 0] < 0.01 and out.y[0, 90, -1] > 0.99  # the ramp, stretched
    framed = FitStage((320, 180), frame=True)
    framed.set_film(SimpleNamespace(sample_aspect_ratio=Fraction(1), rotation=0))
    assert framed.output_size(160, 120) == (320, 180)
    boxed = framed.process(_batch(y))
    assert boxed.size == (320, 180)
    assert np.all(boxed.y[:, :, :40] == 0) and np.all(boxed.y[:, :, 280:] == 0)  # pillars
    assert np.all(boxed.cbcr[:, :, :, :40] == 0)  # black, not tinted
    np.testing.assert_allclose(boxed.y[:, :, 40:280], out.y)
    assert boxed.cbcr[0, 0, 90, 160] == pytest.approx(0.25, abs=1e-4)
    # a phone's picture stored on its side: fitted as shown, written as stored
    turned = FitStage((1920, 1080))
    turned.set_film(SimpleNamespace(sample_aspect_ratio=None, rotation=90))
    assert turned.output_size(1280, 720) == (1080, 608)
    assert "sar=1" in stage.key and stage.key != framed.key


def test_a_restore_delivered_at_hd(tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "frames", 4, size=(64, 48))
    stages = build_stages(Settings(fit=(1920, 1080), fit_frame=True))
    out = tmp_path / "hd.mkv"
    summary = pipeline.restore(folder, out, codec="ffv1", stages=stages)
    assert (summary.width, summary.height) == (1920, 1080)
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (1920, 1080)
    # A DVD's non-square pixels made square: the picture fitted by its shape as shown, and
    # the output tagged square.
    dvd = make_video(
        tmp_path / "dvd.mp4",
        frames=6,
        size=(720, 576),
        sar=Fraction(16, 15),
        audio=False,
    )
    with media.open_source(dvd) as src:
        assert src.info.sample_aspect_ratio == Fraction(16, 15)
    out = tmp_path / "dvd_hd.mkv"
    pipeline.restore(dvd, out, codec="h264", stages=build_stages(Settings(fit=(1920, 1080))))
    with media.open_source(out) as src:
        assert (src.info.width, src.info.height) == (1440, 1080)
        assert src.info.sample_aspect_ratio in (None, Fraction(1))


def test_the_command_line_fits_and_frames(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from panchro.engine.cli import main

    folder = make_frame_folder(tmp_path / "frames", 3, size=(64, 48))
    out = tmp_path / "hd.mkv"
    assert main(["restore", str(folder), str(out), "--codec", "ffv1", "--fit", "hd"]) == 0
    with media.open_source(out) as src:
        assert (src.info.width, src.info.height) == (1440, 1080)
    framed = tmp_path / "framed.mkv"
    args = ["restore", str(folder), str(framed), "--codec", "ffv1", "--fit", "640x360"]
    assert main([*args, "--fit-frame"]) == 0
    with media.open_source(framed) as src:
        assert (src.info.width, src.info.height) == (640, 360)
    assert main(["restore", str(folder), str(tmp_path / "odd.mkv"), "--fit", "641x360"]) != 0
    assert "even" in capsys.readouterr().err
    assert not (tmp_path / "odd.mkv").exists()


def test_planes_kept_on_a_device_are_fitted_there() -> None:
    """Resident planes (tensors on the stages' device) stay tensors; host arrays come back
    as host arrays, the same numbers."""
    import torch

    y = np.tile(np.linspace(0.0, 1.0, 160, dtype=np.float32), (2, 120, 1))
    stage = FitStage((320, 180), frame=True)
    stage.set_film(SimpleNamespace(sample_aspect_ratio=None, rotation=0))
    host = stage.process(_batch(y))
    b = _batch(y)
    on_device = stage.process(b.replace(y=torch.from_numpy(b.y), cbcr=torch.from_numpy(b.cbcr)))
    assert isinstance(on_device.y, torch.Tensor) and isinstance(host.y, np.ndarray)
    np.testing.assert_allclose(on_device.y.numpy(), host.y, atol=1e-6)
    np.testing.assert_allclose(on_device.cbcr.numpy(), host.cbcr, atol=1e-6)
    assert stage.resident_on is not None


def test_a_preview_frames_the_picture_before_as_after(tmp_path: Path) -> None:
    """Side by side, the frame before is placed as the fitted frame after is (not stretched
    over the whole box)."""
    folder = make_frame_folder(tmp_path / "frames", 12, size=(64, 48))
    out = tmp_path / "side.mkv"
    stages = build_stages(Settings(fit=(320, 180), fit_frame=True))
    pipeline.restore(folder, out, codec="ffv1", stages=stages, preview=0.25)
    with media.open_source(out) as src:
        y = next(iter(src.frames(fmt="yuv444p"))).image[..., 0].astype(np.int32)
    before, after = y[:, :320], y[:, 320:]
    assert y.shape == (180, 640)
    assert before[:, :30].max() <= 17 and after[:, :30].max() <= 17  # the bars, both sides
    assert np.abs(before[:, 50:270] - after[:, 50:270]).mean() < 12  # the picture, in place


def _colour_film(path: Path, size: tuple[int, int]) -> Path:
    """Untagged YCbCr of three saturated patches: its matrix is guessed by its size."""
    w, h = size
    picture = np.zeros((h, w, 3), np.uint8)
    picture[:, : w // 3] = (200, 30, 30)
    picture[:, w // 3 : 2 * w // 3] = (30, 200, 30)
    picture[:, 2 * w // 3 :] = (200, 200, 40)
    with av.open(str(path), "w") as c:
        stream = c.add_stream("ffv1", rate=24)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv444p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            c.mux(stream.encode(frame.reformat(format="yuv444p", dst_colorspace=_swscale_cs(h))))
        c.mux(stream.encode())
    return path


def _swscale_cs(height: int) -> int:
    """swscale's colour space of the matrix a film of `height` lines is guessed to have."""
    return 1 if height >= 720 else 5


def _patches(path: Path) -> np.ndarray:
    with media.open_source(path) as src:  # as the file's tags (or its size) say
        rgb = src.read_frame(0, fmt="rgb24").image.astype(float)
    w = rgb.shape[1]
    return np.array([rgb[:, (2 * k + 1) * w // 6].mean(0) for k in range(3)])


@pytest.mark.parametrize(("size", "fit"), [((720, 576), (1920, 1080)), ((1280, 720), (640, 360))])
def test_an_untagged_colour_film_keeps_its_colours_at_another_size(
    tmp_path: Path, size: tuple[int, int], fit: tuple[int, int]
) -> None:
    """The planes are in the matrix the film's size says (BT.601 for SD); written at HD size
    untagged, they were read as BT.709: reds and greens shifted by 15-30 levels."""
    film = _colour_film(tmp_path / "film.mkv", size)
    out = tmp_path / "fitted.mkv"
    pipeline.restore(film, out, codec="ffv1", stages=build_stages(Settings(fit=fit)), record=False)
    assert media.probe(out).color_matrix == ("bt601" if size[1] < 720 else "bt709")
    np.testing.assert_allclose(_patches(out), _patches(film), atol=3)
