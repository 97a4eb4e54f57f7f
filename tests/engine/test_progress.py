"""The time left that `Progress` reports, on a fake clock (issue 15: the first ETA of a 31 s
job read 10:54, because the start-up before the first frame was taken for its pace)."""

from __future__ import annotations

import pytest

from panchro.engine import progress as progress_module
from panchro.engine.progress import Progress, ProgressState


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(progress_module, "time", fake)
    return fake


def _run(clock: FakeClock, p: Progress, fps: float, burst: int, until: int) -> list[tuple]:
    """Advance `p` at `fps`, `burst` units at a time, to `until` done; (time, state, true ETA)
    after each burst, the true ETA being the time left at this pace."""
    seen = []
    while p.done < until:
        clock.now += burst / fps
        for _ in range(min(burst, until - p.done)):
            p.advance()
        truth = None if p.total is None else (p.total - p.done) / fps
        seen.append((clock.now, p.state(), truth))
    return seen


def test_no_eta_from_the_start_up_then_the_pace_of_the_work(clock: FakeClock) -> None:
    reports: list[ProgressState] = []
    p = Progress(300, reports.append, max_hz=1e9)
    clock.now = 20.0  # models loading and shots found before the first frame is written
    p.advance()
    assert p.state().eta_s is None  # was 299 x 20 s = 1:39:40
    assert reports[-1].eta_s is None

    # Then 10 frames a second, written in bursts of 5 (a batch at a time).
    seen = _run(clock, p, fps=10.0, burst=5, until=300)
    shown = [(t, st.eta_s, truth) for t, st, truth in seen if st.eta_s is not None]
    assert shown, "an ETA once the pace is known"
    assert shown[0][0] <= 20.0 + 4.0  # within a few seconds of the first frame
    assert all(st.eta_s is None for t, st, _ in seen if t < 22.0)  # not from one or two bursts
    for t, eta, truth in shown:
        assert eta == pytest.approx(truth, rel=0.15, abs=1.0), t
    assert seen[-1][1].eta_s == 0.0 and seen[-1][1].fps == pytest.approx(10.0, rel=0.05)


def test_the_eta_is_steady_through_uneven_batches_and_follows_a_change_of_pace(
    clock: FakeClock,
) -> None:
    p = Progress(600, max_hz=1e9)
    clock.now = 5.0
    p.advance()
    # 24-frame batches every 2.4 s (10 fps on average): the ETA must not jump with each batch.
    seen = _run(clock, p, fps=10.0, burst=24, until=241)
    etas = [(t, st.eta_s, truth) for t, st, truth in seen if st.eta_s is not None]
    assert len(etas) >= 5
    for t, eta, truth in etas:
        assert eta == pytest.approx(truth, rel=0.15), t
    # The pace halves (harder shots): within ten seconds the ETA says so.
    seen = _run(clock, p, fps=5.0, burst=5, until=500)
    start = seen[0][0]
    for t, st, truth in seen:
        if t >= start + 10.0:
            assert st.eta_s == pytest.approx(truth, rel=0.2), t


def test_unknown_total_has_a_rate_but_no_eta(clock: FakeClock) -> None:
    p = Progress(None, max_hz=1e9)
    clock.now = 3.0
    p.advance()
    seen = _run(clock, p, fps=8.0, burst=4, until=100)
    assert all(st.eta_s is None for _, st, _ in seen)
    last = p.state()
    assert last.eta_s is None and last.fps == pytest.approx(8.0, rel=0.05)
    p.total = 200  # the pipeline learns the total once the shots are known
    clock.now += 0.5
    p.advance(4)
    assert p.state().eta_s == pytest.approx(100 / 8.0, rel=0.15)
