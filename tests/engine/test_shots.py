"""Shot detection (panchro.engine.shots) on generated films with known cuts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from panchro.engine import shots
from panchro.engine.errors import CancelledError
from panchro.engine.progress import Progress
from panchro.engine.shots import Shot, detect_cuts, detect_shots

W, H = 192, 144  # frames are made at this size; `detect_shots` analyses them 160 wide
FPS = 24


# --------------------------------------------------------------------------- a film


def texture(seed: int, h: int = H, w: int = W) -> np.ndarray:
    """A scene: smooth structure at several scales plus hard-edged blobs; mean 128, std 40."""
    rng = np.random.default_rng(seed)
    out = np.zeros((h, w), np.float32)
    for cells, amp in ((4, 1.0), (10, 0.6), (28, 0.35), (70, 0.2)):
        small = rng.standard_normal((max(2, cells * h // w), cells)).astype(np.float32)
        out += amp * np.asarray(Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC))
    y, x = np.mgrid[0:h, 0:w]
    for _ in range(4):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(8, 30)
        out[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.uniform(-2, 2)
    return 128 + 40 * (out - out.mean()) / out.std()


def box_blur(img: np.ndarray, k: int) -> np.ndarray:
    n = 2 * k + 1
    c = np.pad(np.cumsum(np.cumsum(np.pad(img, k, mode="edge"), 0), 1), ((1, 0), (1, 0)))
    return (c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]) / n**2


def disc(img: np.ndarray, cy: float, cx: float, r: float, value: float) -> np.ndarray:
    y, x = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    img = img.copy()
    img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = value
    return img


def film_grade(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What old film does to every frame: brightness flicker of +-10 % and grain."""
    img = img * (1 + rng.uniform(-0.1, 0.1)) + rng.normal(0, 6.0, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


class Film:
    """Grey uint8 frames made shot by shot, with the truth about them."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.frames: list[np.ndarray] = []
        self.cuts: list[int] = []

    def shot(self, n: int, make: Callable[[int], np.ndarray]) -> range:
        if self.frames:
            self.cuts.append(len(self.frames))
        start = len(self.frames)
        self.frames += [film_grade(make(k), self.rng) for k in range(n)]
        return range(start, start + n)


def five_shots(seed: int) -> tuple[Film, int]:
    """Pan / moving object / fast object / flash / blurred-but-one; and the expected key frame
    of the last shot."""
    film = Film(seed)
    wide = texture(seed * 10 + 1, H, W + 80)
    film.shot(22, lambda k: wide[:, 2 * k : 2 * k + W])  # slow pan, 2 px a frame
    b = texture(seed * 10 + 2)
    film.shot(18, lambda k: disc(b, 70, 30 + 3 * k, 18, 230))  # an object walks by
    c = texture(seed * 10 + 3)
    film.shot(16, lambda k: disc(c, 60 + k, -30 + 24 * k, 28, 20))  # one races across
    d = texture(seed * 10 + 4)
    flash = np.clip(d * 1.8 + 60, 0, 255)  # an explosion's flash, one frame, blown out
    film.shot(24, lambda k: flash if k == 12 else d)  # flash well inside: no min-length help
    # Frames 3..n-4 out of focus except the one two after the middle.
    e, n = texture(seed * 10 + 5), 21
    sharp_one = (n - 1) // 2 + 2
    blurred = box_blur(e, 3)
    last = film.shot(n, lambda k: blurred if 3 <= k <= n - 4 and k != sharp_one else e)
    return film, last.start + sharp_one


def check_shots(found: list[Shot] | tuple[Shot, ...], n: int) -> None:
    """Shots tile [0, n) in order and each key frame lies inside its shot."""
    assert found[0].start == 0 and found[-1].end == n
    for a, b in zip(found, found[1:], strict=False):
        assert a.end == b.start
    for s in found:
        assert s.start <= s.key_frame < s.end


# --------------------------------------------------------------------------- detect_cuts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_cut_found_exactly_and_no_false_cut(seed: int) -> None:
    film, sharp_key = five_shots(seed)
    found = detect_cuts(film.frames, fps=FPS)
    assert found.cuts == tuple(film.cuts) == (22, 40, 56, 80)
    assert [s.start for s in found.shots] == [0, *film.cuts]
    check_shots(found.shots, len(film.frames))
    # The flash (frame 68) jumps further than anything but a cut...
    assert found.distances[68] > shots.DEFAULT_THRESHOLD
    assert found.distances[69] > shots.DEFAULT_THRESHOLD
    # ...and the key frame of the last shot is the one sharp frame near its middle.
    assert found.shots[-1].key_frame == sharp_key
    assert found.frame_count == len(found.distances) == len(found.sharpness) == 101


def test_key_frame_prefers_the_middle_among_equally_sharp_frames() -> None:
    film = Film(5)
    scene = texture(50)
    film.shot(30, lambda k: scene)
    (shot,) = detect_cuts(film.frames, fps=FPS).shots
    # Grain and flicker make tiny differences; the middle weighting keeps the pick central.
    assert 10 <= shot.key_frame <= 19


def test_one_continuous_shot_has_no_cut() -> None:
    """Pan, a walker, a passing fast object, an exposure jump, a flash: still one shot."""
    film = Film(3)
    wide = texture(31, H, W + 120)

    def frame(k: int) -> np.ndarray:
        img = wide[:, k : k + W]
        img = disc(img, 50, 20 + 2 * k, 15, 240)
        if 40 <= k < 52:  # crosses the whole frame in 10 frames
            img = disc(img, 100, -40 + 30 * (k - 40), 30, 10)
        if 90 <= k < 93:
            return np.clip(img * 1.6 + 50, 0, 255)  # a three-frame flash
        return img * (1.3 if k >= 70 else 1.0)  # the iris opens a stop-ish, once

    film.shot(110, frame)
    found = detect_cuts(film.frames, fps=FPS)
    assert found.cuts == ()
    assert found.shots == (Shot(0, 110, found.shots[0].key_frame),)
    check_shots(found.shots, 110)


def test_a_busy_shot_does_not_cut_on_every_frame() -> None:
    """Violent shake (random jumps up to 60 px): every distance is high, none stands out."""
    film = Film(2)
    big = texture(78, H + 60, W + 60)
    offsets = np.random.default_rng(3).integers(0, 60, (60, 2))
    film.shot(60, lambda k: big[offsets[k, 0] :][:H, offsets[k, 1] :][:, :W])
    found = detect_cuts(film.frames, fps=FPS)
    assert np.median(found.distances[1:]) > shots.DEFAULT_THRESHOLD  # above the floor...
    assert found.cuts == ()  # ...but the local median keeps them from being cuts


def test_flicker_normalisation_matters() -> None:
    """A static scene whose brightness and contrast jump by a third every few frames."""
    film = Film(4)
    scene = texture(41)
    gains = [1.0, 0.7, 1.25, 0.8]
    film.shot(60, lambda k: 128 + (scene - 128) * gains[(k // 5) % 4] + 30 * (k % 2))
    found = detect_cuts(film.frames, fps=FPS)
    assert found.cuts == ()
    assert found.distances.max() < 0.1  # a change of scene scores ~0.7 (see the cuts above)


def test_shots_are_at_least_min_length() -> None:
    film = Film(6)
    a, b, c = texture(61), texture(62), texture(63)
    film.shot(20, lambda k: a)
    film.shot(4, lambda k: b)  # too short to be a shot of its own
    film.shot(20, lambda k: c)
    found = detect_cuts(film.frames, fps=FPS, min_shot_s=0.4)
    assert len(found.cuts) == 1 and found.cuts[0] in (20, 24)
    assert all(s.length >= round(0.4 * FPS) for s in found.shots)
    # A cut in the first frames (a scrap of leader) is not a shot either.
    film = Film(7)
    film.shot(3, lambda k: a)
    film.shot(30, lambda k: b)
    assert detect_cuts(film.frames, fps=FPS).cuts == ()


def test_threshold_and_frame_types() -> None:
    film, _ = five_shots(0)
    assert detect_cuts(film.frames, fps=FPS, threshold=1.0).cuts == ()
    as16 = [f.astype(np.uint16) * 257 for f in film.frames]
    as_float = [f.astype(np.float32) / 255 for f in film.frames]
    assert detect_cuts(as16, fps=FPS).cuts == tuple(film.cuts)
    assert detect_cuts(as_float, fps=FPS).cuts == tuple(film.cuts)
    with pytest.raises(ValueError, match="threshold"):
        detect_cuts(film.frames, threshold=0.0)
    with pytest.raises(ValueError, match="grey frame"):
        detect_cuts([np.zeros((8, 8, 3), np.uint8)])
    with pytest.raises(ValueError, match="unlike the frames before"):
        detect_cuts([np.zeros((48, 64), np.uint8), np.zeros((64, 48), np.uint8)])


def test_tiny_inputs() -> None:
    assert detect_cuts([]).shots == ()
    assert detect_cuts([np.full((4, 4), 9, np.uint8)]).shots == (Shot(0, 1, 0),)
    flat = [np.zeros((2, 2), np.uint8)] * 3
    assert detect_cuts(flat).shots == (Shot(0, 3, 1),)


def test_memory_does_not_grow_with_the_film() -> None:
    detector = shots.ShotDetector(fps=FPS)
    scene = texture(70, 48, 64)
    rng = np.random.default_rng(0)
    for k in range(500):
        detector.push(film_grade(np.roll(scene, k, axis=1), rng))
    # Features are held for a fixed window; per frame only two float32 scalars remain.
    assert len(detector._window) == detector._window.maxlen < 30
    assert detector.frame_count == 500
    assert detector.finish().shots[0].end == 500


def test_cancel_stops_at_the_next_frame() -> None:
    cancel = threading.Event()
    progress = Progress(100, cancel=cancel)
    given = 0
    film, _ = five_shots(1)

    def frames() -> Iterator[np.ndarray]:
        nonlocal given
        for f in film.frames:
            given += 1
            if given == 10:
                cancel.set()
            yield f

    with pytest.raises(CancelledError):
        detect_cuts(frames(), progress=progress)
    # The frame that came with the cancel is not analysed; nothing after it is asked for.
    assert given == 10 and progress.done == 9


def test_shot_to_dict() -> None:
    s = Shot(4, 20, 11)
    assert s.to_dict() == {"start": 4, "end": 20, "key_frame": 11}
    assert s.length == 16


# --------------------------------------------------------------------------- detect_shots


def write_film(path: Path, frames: list[np.ndarray], size: tuple[int, int] = (256, 192)) -> Path:
    """H.264 MP4 of the grey frames, scaled to `size` (so the analysis scales them down)."""
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"crf": "18", "preset": "veryfast"})
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, FPS)
        for i, f in enumerate(frames):
            big = np.asarray(Image.fromarray(f).resize(size, Image.Resampling.BICUBIC))
            frame = av.VideoFrame.from_ndarray(np.repeat(big[..., None], 3, axis=2), "rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def five_shot_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Film, int]:
    film, key = five_shots(2)
    path = write_film(tmp_path_factory.mktemp("shots") / "five_shots.mp4", film.frames)
    return path, film, key


def test_detect_shots_on_a_video(five_shot_video: tuple[Path, Film, int]) -> None:
    from panchro.engine.media import open_source

    path, film, key = five_shot_video
    found = detect_shots(path)
    assert [s.start for s in found] == [0, *film.cuts]
    check_shots(found, len(film.frames))
    assert found[-1].key_frame == key
    # An open source works the same, and progress counts every frame.
    seen = []
    with open_source(path) as src:
        progress = Progress(src.info.frame_count, seen.append, max_hz=1e9)
        smaller = detect_shots(src, progress=progress, analysis_width=96)
        assert [s.start for s in smaller] == [0, *film.cuts]
        assert progress.done == src.info.frame_count == len(film.frames)
    assert seen and seen[-1].done == len(film.frames)


def test_detect_shots_cancelled(five_shot_video: tuple[Path, Film, int]) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        detect_shots(five_shot_video[0], progress=Progress(101, cancel=cancel))


def test_a_still_image_is_one_shot(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.fromarray(texture(9).astype(np.uint8)).save(path)
    assert detect_shots(path) == [Shot(0, 1, 0)]
    one = write_film(tmp_path / "one.mp4", [texture(8).astype(np.uint8)])
    assert detect_shots(one) == [Shot(0, 1, 0)]
