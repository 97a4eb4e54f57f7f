"""EngineProcess: the QProcess wrapper, on the real engine and on programs that fail."""

from __future__ import annotations

import sys
from pathlib import Path

from panchro.engine.service.protocol import ErrorCode, Event, Request
from panchro.gui.engine_process import FAILED, READY, EngineProcess

WAIT_MS = 60_000


def test_hello_replies_by_id_and_restart_after_kill(qtbot, tmp_path: Path) -> None:
    engine = EngineProcess(log_path=tmp_path / "engine.log")
    try:
        with qtbot.waitSignal(engine.ready, timeout=WAIT_MS) as ready:
            engine.start()
        hello = ready.args[0]
        assert hello["protocol"] == 1
        assert hello["device"]["type"] in ("cpu", "cuda")
        assert hello["models"]["colorizer"]["status"] in ("missing", "untrained", "ready")

        # Each answer reaches the callback of its own request, and only that one.
        answers: dict[int, tuple[str, str]] = {}
        ids = [
            engine.request(
                Request.FRAME,
                lambda m: answers.__setitem__(m.id, (m.type, m.body.get("code", ""))),
                film=999,
                index=0,
            )
            for _ in range(2)
        ] + [
            engine.request(
                Request.OPEN,
                lambda m: answers.__setitem__(m.id, (m.type, m.body.get("code", ""))),
            )
        ]
        qtbot.waitUntil(lambda: len(answers) == 3, timeout=WAIT_MS)
        assert answers[ids[2]] == (Event.ERROR, ErrorCode.BAD_REQUEST)  # no path
        for rid in ids[:2]:  # unknown film (or the first superseded by the second)
            assert answers[rid][0] in (Event.ERROR, Event.SUPERSEDED)
        assert answers[ids[1]] == (Event.ERROR, ErrorCode.NOT_OPEN)
        assert engine.pending == {}

        # A request in flight when the engine dies is forgotten, never answered.
        late: list[object] = []
        engine.request(Request.SHOTS, late.append, film=999)
        with qtbot.waitSignal(engine.engineDied, timeout=WAIT_MS):
            engine.process.kill()
        with qtbot.waitSignal(engine.ready, timeout=WAIT_MS):
            pass
        assert engine.state == READY and engine.restarts == 1
        assert late == [] and engine.pending == {}
    finally:
        engine.shutdown()
    assert engine.process.state() == engine.process.ProcessState.NotRunning


def test_a_crash_loop_stops_restarting_and_says_why(qtbot, tmp_path: Path) -> None:
    log = tmp_path / "engine.log"
    program = "import sys; sys.stderr.write('no engine here\\n'); sys.exit(3)"
    engine = EngineProcess(log_path=log, command=(sys.executable, ["-c", program]))
    deaths: list[str] = []
    engine.engineDied.connect(deaths.append)
    failed: list[str] = []
    engine.stateChanged.connect(lambda s, d: failed.append(d) if s == FAILED else None)
    try:
        engine.start()
        qtbot.waitUntil(lambda: engine.state == FAILED, timeout=WAIT_MS)
    finally:
        engine.shutdown()
    assert len(deaths) == 3
    assert "exited with code 3" in deaths[0] and "no engine here" in deaths[0]
    assert len(failed) == 1 and "not restarted again" in failed[0] and str(log) in failed[0]
    assert log.read_text().count("no engine here") == 3


def test_a_missing_program_fails_at_once(qtbot, tmp_path: Path) -> None:
    engine = EngineProcess(
        log_path=tmp_path / "engine.log", command=(str(tmp_path / "no-such-python"), [])
    )
    states: list[tuple[str, str]] = []
    engine.stateChanged.connect(lambda s, d: states.append((s, d)))
    engine.start()
    qtbot.waitUntil(lambda: engine.state == FAILED, timeout=10_000)
    engine.shutdown()
    assert any(s == FAILED and "could not start" in d for s, d in states)


def test_no_restart_after_shutdown(qtbot, tmp_path: Path) -> None:
    engine = EngineProcess(log_path=tmp_path / "engine.log")
    with qtbot.waitSignal(engine.ready, timeout=WAIT_MS):
        engine.start()
    with qtbot.waitSignal(engine.engineDied, timeout=WAIT_MS):
        engine.process.kill()
    engine.shutdown()  # the window closed while the restart was pending
    qtbot.wait(800)
    assert engine.process.state() == engine.process.ProcessState.NotRunning
    assert engine.state == "stopped"


def test_why_the_engine_stopped_is_its_last_error_not_its_last_line() -> None:
    from panchro.gui.engine_process import crash_words, last_error

    log = (
        "2026-12-07 18:13:50,001 ERROR panchro.engine.service.server: render failed: disk full\n"
        "2026-12-07 18:13:56,899 INFO panchro.engine.service.server: render a.mp4 -> b.mp4\n"
    )
    assert last_error(log.splitlines()[0]) == "render failed: disk full"
    assert last_error(log) == ""  # an INFO line says nothing of why, nor an error before it
    trace = 'Traceback (most recent call last):\n  File "x.py", line 3\nMemoryError: no room\n'
    assert last_error(trace) == "MemoryError: no room"
    if sys.platform != "win32":
        assert "killed" in crash_words(9) and "memory" in crash_words(9)
        assert crash_words(11) == "the engine crashed (a segmentation fault)"
