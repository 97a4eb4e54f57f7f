"""Shared fixtures: tiny generated media, built once per test session.

The files live in a session temporary folder; tests read them and must not
modify them (write outputs to their own `tmp_path`). See tests/makemedia.py
for what each one contains.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Plain `pytest` works without a screen, as `make test` does.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The same figures on every CPU: the upscaler in float32 unless a test asks for bfloat16
# (which a CPU without it still computes, emulated). Engine processes inherit it.
os.environ.setdefault("PANCHRO_CPU_BF16", "0")

from makemedia import make_frame_folder, make_video  # noqa: E402


@pytest.fixture(autouse=True)
def cpu_precision_unfixed() -> Iterator[None]:
    """A run fixes the upscaler's CPU precision for its process; a test's run leaves the
    next test the environment's."""
    name = "panchro.engine.inference.device"  # not imported here: GUI tests stay torch-free
    before = getattr(sys.modules.get(name), "_fixed_cpu_precision", None)
    yield
    if name in sys.modules:
        sys.modules[name]._fixed_cpu_precision = before


@pytest.fixture(scope="session", autouse=True)
def empty_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test, and every engine process a test starts, sees no model weights unless it says
    so, so results don't depend on what ships in resources/models. Session-scoped so that it is
    in place before module-scoped engine fixtures start their process."""
    folder = tmp_path_factory.mktemp("no_models")
    before = os.environ.get("PANCHRO_MODELS_DIR")
    os.environ["PANCHRO_MODELS_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("PANCHRO_MODELS_DIR", None)
    else:
        os.environ["PANCHRO_MODELS_DIR"] = before


@pytest.fixture(scope="session", autouse=True)
def user_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Settings, recent files and logs of every test (and engine) go to a temporary folder,
    never to the home of the person running the tests."""
    folder = tmp_path_factory.mktemp("user")
    before = os.environ.get("PANCHRO_USER_DIR")
    os.environ["PANCHRO_USER_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("PANCHRO_USER_DIR", None)
    else:
        os.environ["PANCHRO_USER_DIR"] = before


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a small, untrained colorizer (28 x 28 chroma) and refiner, made once
    a module (a module that needs other weights has its own `models`)."""
    from makemodels import TINY28, save_small_colorizer, save_small_refiner

    folder = tmp_path_factory.mktemp("models")
    save_small_colorizer(folder, config=TINY28)
    save_small_refiner(folder)
    return folder


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def tiny_video(media_dir: Path) -> Path:
    """MP4: 48 frames 160x120 at 24 fps (2 s), H.264 keyframe every 12, AAC tone."""
    return make_video(media_dir / "tiny.mp4")


@pytest.fixture(scope="session")
def tiny_video_subs(media_dir: Path) -> Path:
    """Like `tiny_video`, plus two mov_text subtitle cues."""
    return make_video(media_dir / "tiny_subs.mp4", subtitles=True)


@pytest.fixture(scope="session")
def tiny_video_vfr(media_dir: Path) -> Path:
    """MP4: 48 frames with irregular durations (time base 1/90000), AAC tone, mov_text cues."""
    return make_video(media_dir / "tiny_vfr.mp4", vfr=True, subtitles=True)


@pytest.fixture(scope="session")
def tiny_video_vfr_mkv(media_dir: Path) -> Path:
    """Matroska: the VFR film with AAC and SubRip cues (timestamps in milliseconds)."""
    return make_video(media_dir / "tiny_vfr.mkv", vfr=True, subtitles=True)


@pytest.fixture(scope="session")
def tiny_video_cuts(media_dir: Path) -> Path:
    """MP4 without sound: 48 frames, the scene changes at frames 16 and 32."""
    return make_video(media_dir / "tiny_cuts.mp4", audio=False, cuts=(16, 32))


@pytest.fixture(scope="session")
def frame_folder_8bit(media_dir: Path) -> Path:
    """12 PNG frames 64x48, 8 bit, named f1.png .. f12.png."""
    return make_frame_folder(media_dir / "frames8", 12, (64, 48), bit_depth=8)


@pytest.fixture(scope="session")
def frame_folder_16bit(media_dir: Path) -> Path:
    """12 PNG frames 64x48, 16 bit RGB, named f1.png .. f12.png."""
    return make_frame_folder(media_dir / "frames16", 12, (64, 48), bit_depth=16)


@pytest.fixture(scope="session")
def frame_folder_tiff16(media_dir: Path) -> Path:
    """12 TIFF frames 64x48, 16 bit RGB, named f1.tif .. f12.tif."""
    return make_frame_folder(media_dir / "frames_tiff16", 12, (64, 48), bit_depth=16, ext="tif")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `gpu` skip where there is no CUDA device (CI, laptops)."""
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in gpu_items:
        item.add_marker(skip)
