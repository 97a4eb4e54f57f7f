"""Progress within a frame: `partial` from deep inside the work, through a `within` block."""

from __future__ import annotations

from panchro.engine.progress import Progress, ProgressState, TerminalBar, report_within, within


def test_partial_progress_moves_the_bar_and_never_goes_back() -> None:
    states: list[ProgressState] = []
    progress = Progress(2, states.append, max_hz=1e9)
    with within(progress, 1, 0, 2):  # the first of two steps on one frame
        report_within(0.5)
        report_within(0.25)  # late news from a slower part: ignored
        report_within(1.0)
    report_within(1.0)  # outside the block: nothing
    assert [round(s.partial, 3) for s in states] == [0.25, 0.5]
    progress.advance()
    assert states[-1].done == 1 and states[-1].partial == 0.0
    assert states[-1].as_dict()["partial"] == 0.0

    class Tty:
        text = ""

        def isatty(self) -> bool:
            return True

        def write(self, s: str) -> None:
            self.text = s

        def flush(self) -> None:
            pass

    tty = Tty()
    bar = TerminalBar("restore", stream=tty)  # type: ignore[arg-type]
    bar(ProgressState(0, 1, "", 1.0, None, None, 0.4))
    assert "0/1  40.0%" in tty.text
    # ended too soon to measure its rate going: the whole run's, and nothing left to wait
    bar(ProgressState(100, 100, "", 4.0, None, None, 0.0))
    assert "100/100 100.0%   25.0 fps ETA 00:00" in tty.text
