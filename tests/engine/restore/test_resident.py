"""Resident planes (`restore.resident`): the stages working on tensors where their models are
and the frames coded there give the host path's frames to the bit. On the CPU the "device"
is the host, so every step of the resident path runs here; a GPU-marked test compares CUDA
with the CPU. PyAV is imported only inside the one test that makes a film: the GPU kit runs
this file's GPU test on a machine without it (`bench.kit.GPU_TEST_FILES`)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from panchro.engine.errors import BadInputError
from panchro.engine.imaging import color
from panchro.engine.project import Pick, Settings
from panchro.engine.restore import resident
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.restore.stages import ColorizeStage, UpscaleStage, build_stages
from panchro.engine.shots import Shot
from tests.makemodels import save_small_set, save_small_upscaler


@pytest.mark.parametrize(
    ("range_", "dtype"), [("limited", np.uint8), ("full", np.uint8), ("limited", np.uint16)]
)
def test_planes_coded_as_tensors_give_the_host_codes(range_: str, dtype: type) -> None:
    """Out-of-range values clip, halves round to even, and 16-bit codes above 32767 come
    back as themselves (they travel as int16 bit patterns)."""
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.1, 1.1, (3, 17, 23)).astype(np.float32)
    cbcr = rng.uniform(-0.6, 0.6, (3, 2, 17, 23)).astype(np.float32)
    y[0, 0, :4] = [0.0, 1.0, 0.5, 0.75]  # exact codes and a mid-tone
    cbcr[0, 0, 0, :2] = [-0.5, 0.5]  # full range: 0.5 and 255.5, halves that round to even
    want = color.encode_coded_planar(y, cbcr, range=range_, dtype=dtype)
    got = resident.encode_coded(torch.from_numpy(y), torch.from_numpy(cbcr), range=range_,
                                dtype=dtype)  # fmt: skip
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want)
    if dtype is np.uint16:
        assert want.max() > 32767
    with pytest.raises(ValueError, match="uint8 or uint16"):
        resident.encode_coded(torch.from_numpy(y), torch.from_numpy(cbcr), dtype=np.float32)


@pytest.mark.parametrize(
    ("range_", "dtype"), [("limited", np.uint8), ("full", np.uint8), ("limited", np.uint16)]
)
def test_codes_decoded_on_the_device_give_the_host_planes(range_: str, dtype: type) -> None:
    """Every code value (16-bit ones above 32767 too) decodes to the host's float."""
    top = np.iinfo(dtype).max
    rng = np.random.default_rng(3)
    images = [rng.integers(0, top + 1, (9, 11, 3)).astype(dtype) for _ in range(3)]
    images[0][0, :3, 0] = [0, top, top // 2 + 1]
    want = color.decode_coded_planar(images, range=range_)
    got = resident.decode_coded(images, range=range_, device=torch.device("cpu"))
    assert tuple(got.shape) == (3, 3, 9, 11) and got.dtype == torch.float32
    assert np.array_equal(got.permute(0, 2, 3, 1).numpy(), want)
    with pytest.raises(ValueError, match="uint8 or uint16"):
        resident.decode_coded([images[0].astype(np.float32)], device=torch.device("cpu"))


def test_resident_only_when_asked_and_every_stage_is_on_one_device(
    models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    stages = build_stages(Settings(colorize=True, upscale=2), device="cpu", all_picked=True)
    monkeypatch.delenv(resident.ENV_RESIDENT, raising=False)
    assert resident.resident_device(stages) is None  # off unless asked
    monkeypatch.setenv(resident.ENV_RESIDENT, "1")
    assert resident.resident_device(stages) == torch.device("cpu")
    assert resident.resident_device([]) is None

    class Plain:  # a stage that says nothing of where it runs takes host arrays
        key = "plain"

    assert resident.resident_device([*stages, Plain()]) is None
    monkeypatch.setenv(resident.ENV_RESIDENT, "yes")
    with pytest.raises(BadInputError, match="must be 0 or 1"):
        resident.resident_device(stages)


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = save_small_set(tmp_path / "models")
    save_small_upscaler(folder, scale=1)
    return folder


def _batch(rng: np.random.Generator, n: int, h: int, w: int, context: int) -> FrameBatch:
    ramp = np.linspace(-0.02, 1.02, w, dtype=np.float32)[None, None]
    y = (ramp + rng.normal(0, 0.05, (n + 2 * context, h, w))).astype(np.float32)
    cbcr = rng.uniform(-0.3, 0.3, (n, 2, h, w)).astype(np.float32)
    return FrameBatch(
        y=y[context : context + n].copy(),
        cbcr=cbcr,
        indices=np.arange(10, 10 + n),
        pts=np.arange(10, 10 + n),
        time_base=Fraction(1, 24),
        shot=0,
        matrix="bt709",
        y_before=y[:context].copy() if context else None,
        y_after=y[context + n :].copy() if context else None,
    )


@pytest.mark.parametrize(
    ("degrain", "regrain", "refiner"), [(0.0, 0.0, True), (0.5, 0.7, True), (0.0, 0.0, False)]
)
def test_stages_on_tensors_give_the_host_planes(
    models: Path, monkeypatch: pytest.MonkeyPatch, degrain: float, regrain: float, refiner: bool
) -> None:
    """Colorize from a pick (refined, or the pick upsampled without a refiner), then clean
    and enlarge x2 with neighbours on each side, blended back towards bicubic and regrained:
    the same bits on tensors as on arrays, and the host's arrays are left as they were."""
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    if not refiner:
        (models / "refiner.safetensors").unlink()
    rng = np.random.default_rng(1)
    colour = ColorizeStage(device="cpu", require_colorizer=False)
    enlarge = UpscaleStage(scale=2, degrain=degrain, regrain=regrain, device="cpu")
    pick = Pick(seed=0, temperature=1.0, index=0, chroma=rng.integers(8, 24, (2, 28, 28)))
    colour.begin_shot(0, Shot(0, 40, 0), pick, None)
    batch = _batch(rng, 3, 40, 56, enlarge.context)
    kept = batch.y.copy(), batch.cbcr.copy(), batch.y_before.copy()

    host = enlarge.process(colour.process(batch))
    moved = resident.upload(batch, torch.device("cpu"))
    assert isinstance(moved.y, torch.Tensor) and isinstance(moved.y_after, torch.Tensor)
    mid = colour.process(moved)
    assert isinstance(mid.cbcr, torch.Tensor)
    on_device = enlarge.process(mid)
    assert isinstance(on_device.y, torch.Tensor) and isinstance(on_device.cbcr, torch.Tensor)
    assert on_device.size == host.size == (112, 80)
    assert np.array_equal(on_device.y.numpy(), host.y)
    assert np.array_equal(on_device.cbcr.numpy(), host.cbcr)
    coded = resident.encode_coded(on_device.y, on_device.cbcr)
    assert np.array_equal(coded, color.encode_coded_planar(host.y, host.cbcr))
    for before, now in zip(kept, (batch.y, batch.cbcr, batch.y_before), strict=True):
        assert np.array_equal(before, now)


def test_a_restore_with_resident_planes_gives_the_same_frames(
    tmp_path: Path, models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole pipeline (colorize with automatic picks, degrain 0.5, x2, chunks, a cut)
    with $PANCHRO_RESIDENT=1 and without: the same decoded frames, and the resident run
    really decoded its frames on the device (the context frames read beyond a chunk's
    ends are decoded too, hence at least the 12 frames)."""
    pytest.importorskip("av")  # the GPU kit runs this file where there is no PyAV
    from panchro.engine.restore.pipeline import restore
    from tests.engine.restore.test_same_frames import frame_digest
    from tests.makemedia import make_video

    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    film = make_video(tmp_path / "film.mkv", frames=12, size=(96, 64), codec="ffv1", cuts=(5,))
    uploads: list[int] = []
    real = resident.decode_coded

    def spy(images: list[np.ndarray], **kw: object) -> torch.Tensor:
        uploads.append(len(images))
        return real(images, **kw)

    monkeypatch.setattr(resident, "decode_coded", spy)
    digests = {}
    for flag in ("0", "1"):
        monkeypatch.setenv(resident.ENV_RESIDENT, flag)
        stages = build_stages(Settings(colorize=True, upscale=2, degrain=0.5), seed=5,
                              device="cpu")  # fmt: skip
        out = tmp_path / f"out{flag}.mkv"
        restore(film, out, codec="ffv1", stages=stages, chunk_seconds=0.25)
        digests[flag] = frame_digest(out)
        if flag == "0":
            assert not uploads
    assert sum(uploads) >= 12
    assert digests["1"] == digests["0"] and digests["0"][0] == 12


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_resident_stages_match_the_host_path_on_cuda(
    models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On CUDA: the same stages with host arrays and with planes resident on the GPU give
    the same codes (the same calls either way), and the planes never leave the device
    between the stages."""
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    rng = np.random.default_rng(2)
    colour = ColorizeStage(device="cuda", require_colorizer=False)
    enlarge = UpscaleStage(scale=2, degrain=0.5, device="cuda")
    pick = Pick(seed=0, temperature=1.0, index=0, chroma=rng.integers(8, 24, (2, 28, 28)))
    colour.begin_shot(0, Shot(0, 40, 0), pick, None)
    batch = _batch(rng, 4, 72, 128, enlarge.context)
    host = enlarge.process(colour.process(batch))
    moved = enlarge.process(colour.process(resident.upload(batch, torch.device("cuda"))))
    assert moved.y.device.type == "cuda" and moved.cbcr.device.type == "cuda"
    want = color.encode_coded_planar(host.y, host.cbcr)
    got = resident.encode_coded(moved.y, moved.cbcr)
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    assert np.mean(got != want) < 1e-3


def test_bench_stages_times_both_ways(
    models: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`panchro bench stages` prints a figure for host arrays and one for resident planes,
    each with the stages' and the coding's share of a frame."""
    from panchro.engine.cli import main

    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    argv = ["bench", "stages", "--size", "64x48", "--frames", "2", "--batch", "1"]
    assert main([*argv, "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert "host arrays: 2 frames 64x48 -> x2" in lines[0]
    assert "resident planes: 2 frames 64x48 -> x2" in lines[1]
    assert all("ColorizeStage" in ln and "UpscaleStage" in ln and "coding" in ln for ln in lines)


def test_stabilize_and_deflicker_on_resident_planes_give_the_same_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two stages without a model move and scale tensors as they do arrays."""
    pytest.importorskip("av")
    from panchro.engine.restore.pipeline import restore
    from tests.engine.restore.test_same_frames import frame_digest
    from tests.makemedia import make_weaving_video

    offsets = [(i // 3 + (i * 7) % 3 - 1, (i * 5) % 3 - 1) for i in range(30)]
    film = make_weaving_video(tmp_path / "film.mkv", offsets, size=(96, 64))
    digests = {}
    for flag in ("0", "1"):
        monkeypatch.setenv(resident.ENV_RESIDENT, flag)
        stages = build_stages(Settings(stabilize=1.0, deflicker=1.0), device="cpu")
        assert (resident.resident_device(stages) is not None) == (flag == "1")
        out = tmp_path / f"out{flag}.mkv"
        restore(film, out, codec="ffv1", stages=stages, chunk_seconds=0.25)
        digests[flag] = frame_digest(out)
    assert digests["1"] == digests["0"] and digests["0"][0] == 30


@pytest.mark.parametrize("stage", ["dust", "scratches"])
def test_neighbour_stages_on_resident_planes_give_the_same_frames(
    stage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dust and scratches stages judge and clean tensors as they do arrays."""
    pytest.importorskip("av")
    from panchro.engine.evaluate.telecine import write_video
    from panchro.engine.restore.pipeline import restore
    from tests.engine.restore.test_same_frames import frame_digest
    from tests.makemedia import dusty_frames, scratched_frames

    frames, said = {
        "dust": (dusty_frames(16)[1], "dust: specks filled on 14 of 16"),
        "scratches": (scratched_frames(16)[1], "scratches: taken out on 16 of 16"),
    }[stage]
    film = write_video(tmp_path / "film.mkv", list(frames), Fraction(24), codec="ffv1")
    digests = {}
    for flag in ("0", "1"):
        monkeypatch.setenv(resident.ENV_RESIDENT, flag)
        stages = build_stages(Settings(**{stage: 1.0}), device="cpu")
        assert (resident.resident_device(stages) is not None) == (flag == "1")
        out = tmp_path / f"out{flag}.mkv"
        summary = restore(film, out, codec="ffv1", stages=stages, chunk_seconds=0.25)
        assert any(n.startswith(said) for n in summary.notes), summary.notes
        digests[flag] = frame_digest(out)
    assert digests["1"] == digests["0"] and digests["0"][0] == 16


def _on_cpu_and_cuda(stage: Any, y: np.ndarray) -> dict[str, np.ndarray]:
    """Frames 2..9 of twelve grey frames `y` (0..1) through a neighbour-judging stage class
    `stage` on the CPU and on CUDA, with two neighbours either side."""
    from types import SimpleNamespace

    from panchro.engine.restore.batch import frame_batch

    ycc = np.stack([y[2:10], np.zeros_like(y[2:10]), np.zeros_like(y[2:10])], axis=-1)
    frames = [SimpleNamespace(index=i, pts=i) for i in range(2, 10)]
    got = {}
    for device in ("cpu", "cuda"):
        made = stage(device=device)
        made.begin_shot(0, Shot(0, 12, 0), None, None)
        batch = frame_batch(frames, ycc, Fraction(1, 24), 0, "bt601", before=y[:2], after=y[10:])
        got[device] = made.process(batch).y
    return got


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_dust_on_cuda_finds_and_fills_what_the_cpu_does() -> None:
    """On CUDA the dust stage's sums and quantiles may round otherwise than the CPU's: the
    same specks, the frames within a code or two."""
    from panchro.engine.restore.dust import DustStage
    from tests.makemedia import dusty_frames

    clean, dusty = dusty_frames(12)
    got = _on_cpu_and_cuda(DustStage, dusty.astype(np.float32) / 255)
    specks = dusty[2:10] != clean[2:10]
    assert np.abs(got["cuda"] - got["cpu"]).mean() < 0.5 / 255
    assert np.abs(got["cuda"] * 255 - clean[2:10])[specks].mean() < 12


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_scratches_on_cuda_are_taken_out_as_on_the_cpu() -> None:
    """The scratches stage on CUDA: its medians and means may round otherwise than the
    CPU's; the same scratches taken out, the frames within a code or two."""
    from panchro.engine.restore.scratches import ScratchStage
    from tests.makemedia import scratched_frames

    clean, scratched = scratched_frames(12)
    got = _on_cpu_and_cuda(ScratchStage, scratched.astype(np.float32) / 255)
    lined = scratched[2:10] != clean[2:10]
    assert np.abs(got["cuda"] - got["cpu"]).mean() < 0.5 / 255
    before = np.abs(scratched[2:10].astype(np.float32) - clean[2:10])[lined].mean()
    assert np.abs(got["cuda"] * 255 - clean[2:10])[lined].mean() < 0.4 * before
