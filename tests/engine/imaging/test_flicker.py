"""Film flicker measured and evened out (`imaging.flicker`), on quantiles made here."""

from __future__ import annotations

import numpy as np
import pytest

from panchro.engine.imaging import flicker

HALF = 12
SPAN = 6
LEVELS = np.linspace(0.1, 0.9, len(flicker.QUANTILES))


def flickering(n: int, seed: int = 0, amount: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """(steady, flickered) quantiles of n frames: a fade from 1 to 0.4 of the levels, and the
    same under a random gain and offset per frame."""
    rng = np.random.default_rng(seed)
    steady = np.linspace(1.0, 0.4, n)[:, None] * LEVELS[None]
    gain = 1 + rng.normal(0, amount, n)
    offset = rng.normal(0, amount / 2, n)
    return steady, steady * gain[:, None] + offset[:, None]


def apply(q: np.ndarray, c: flicker.Correction) -> np.ndarray:
    return q * c.gain[:, None] + c.offset[:, None]


def test_fades_and_slow_changes_pass_unchanged_to_the_shots_ends() -> None:
    t = np.arange(60, dtype=np.float64)
    fade = (t / 59)[:, None] * LEVELS[None]  # a fade in
    curve = (0.5 + 0.3 * ((t - 20) / 60) ** 2)[:, None] + 0.2 * LEVELS[None]  # a slow swell
    for q in (fade, curve):
        assert np.abs(flicker.targets(q, HALF) - q).max() < 1e-9
        c = flicker.corrections(q, HALF)
        assert np.abs(c.gain - 1).max() < 1e-5 and np.abs(c.offset).max() < 1e-5


def test_a_flickering_shot_is_evened_out() -> None:
    steady, q = flickering(120)
    fixed = apply(q, flicker.corrections(q, HALF))
    assert flicker.flicker_of(q, HALF) > 8 * flicker.flicker_of(fixed, HALF)
    # ...and comes back nearer the film as it was (the fade kept), not merely smoothed; the
    # slow part of the flicker (its mean over a window) is the film's to this measure
    assert np.abs(fixed - steady).mean() < 0.5 * np.abs(q - steady).mean()


def test_strength_takes_that_share_of_the_correction() -> None:
    _, q = flickering(80, seed=1)
    full = flicker.corrections(q, HALF)
    half = flicker.corrections(q, HALF, 0.5)
    np.testing.assert_allclose(half.gain - 1, (full.gain - 1) / 2, atol=1e-6)
    np.testing.assert_allclose(half.offset, full.offset / 2, atol=1e-6)
    with pytest.raises(ValueError, match="0..1"):
        flicker.corrections(q, HALF, 1.5)


def test_a_frame_without_contrast_gets_its_offset_only() -> None:
    _, q = flickering(40, seed=2)
    q[10] = 0.02 + np.linspace(0, 0.01, q.shape[1])  # a black frame
    c = flicker.corrections(q, HALF)
    assert c.gain[10] == 1.0 and c.offset[10] != 0.0
    assert np.all(c.gain >= flicker.GAIN_RANGE[0]) and np.all(c.gain <= flicker.GAIN_RANGE[1])


def test_a_stretch_of_a_shot_gives_its_frames_the_same_figures_to_the_bit() -> None:
    """What a resumed chunk, a preview or a cluster worker measures: only the frames within
    reach of its own, yet the figures a whole run gives them."""
    _, q = flickering(300, seed=3)
    q[150:] *= 2.0  # a lamp switched on: a step, which parts the shot
    whole = flicker.corrections(q, HALF, span=SPAN)
    assert flicker.steps(q, SPAN)[150]
    reach = HALF + 2 * SPAN
    for start, stop in ((0, 8), (8, 16), (100, 108), (144, 152), (290, 300), (37, 38)):
        lo, hi = max(0, start - reach), min(len(q), stop + reach)
        part = flicker.corrections(q[lo:hi], HALF, span=SPAN)
        assert np.array_equal(part.gain[start - lo : stop - lo], whole.gain[start:stop])
        assert np.array_equal(part.offset[start - lo : stop - lo], whole.offset[start:stop])


def test_levels_read_bytes_and_floats_alike() -> None:
    """Bytes are counted in a histogram, floats sorted: the same quantiles either way."""
    rng = np.random.default_rng(4)
    for h, w in ((45, 80), (2, 3), (1, 1), (90, 161)):
        grey = rng.integers(0, 256, (h, w), dtype=np.uint8)
        expected = np.quantile(grey / 255.0, flicker.QUANTILES)
        np.testing.assert_allclose(flicker.levels(grey), expected, atol=1e-12, rtol=0)
        np.testing.assert_allclose(flicker.levels(grey / 255.0), expected, atol=1e-12, rtol=0)
    assert flicker.levels(grey).shape == (len(flicker.QUANTILES),)


def test_the_window_follows_the_frame_rate() -> None:
    assert flicker.half_window(24) == 18
    assert flicker.half_window(50) == round(50 * flicker.HALF_WINDOW_S)
    assert flicker.half_window(None) == flicker.half_window(24)
    assert flicker.half_window(1) == 2


def test_a_lasting_change_of_light_stays_where_it_is() -> None:
    """A lamp switched on mid-shot: flicker is evened out on both sides, and the frames
    before the change are not brightened towards it (nor those after darkened)."""
    n, at = 100, 50
    steady = np.where(np.arange(n) < at, 0.6, 1.0)[:, None] * LEVELS[None]
    rng = np.random.default_rng(5)
    q = steady * (1 + rng.normal(0, 0.06, n))[:, None] + rng.normal(0, 0.02, n)[:, None]
    assert list(np.flatnonzero(flicker.steps(q, SPAN))) == [at]
    kept = apply(q, flicker.corrections(q, HALF, span=SPAN)).mean(axis=1)
    smeared = apply(q, flicker.corrections(q, HALF)).mean(axis=1)
    before, after = steady[at - 4 : at].mean(), steady[at : at + 4].mean()
    assert np.abs(kept[at - 4 : at] - before).max() < 0.03
    assert np.abs(kept[at : at + 4] - after).max() < 0.03
    assert np.abs(smeared[at - 4 : at] - before).max() > 0.05  # what the step keeps from
    assert flicker.flicker_of(q[:at], HALF) > 4 * flicker.flicker_of(
        apply(q, flicker.corrections(q, HALF, span=SPAN))[:at], HALF
    )


def test_flicker_alone_is_rarely_taken_for_a_change_of_light() -> None:
    found = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        q = 0.8 * LEVELS[None] * (1 + rng.normal(0, 0.12, 100))[:, None]
        found += int(flicker.steps(q + rng.normal(0, 0.04, 100)[:, None], SPAN).sum())
    assert found <= 5  # in 100 shots of heavy flicker (+-12 %), 100 frames each
