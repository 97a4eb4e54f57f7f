"""A render's progress warning (the disk may fill) shown once in the message bar, however
many progress events carry it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_a_progress_warning_is_shown_once(qtbot, window) -> None:
    win = window
    exporter = win.exporter
    exporter._job_kind, exporter._job_output = "export", "/films/reel1.mov"
    shown: list[str] = []
    original = win.message_bar.show_message

    def show(text: str, level: str = "error", *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        shown.append(f"{level}: {text}")
        original(text, level, *args, **kwargs)

    win.message_bar.show_message = show  # type: ignore[method-assign]
    for done in range(4):
        event = {"done": done, "total": 10, "warning": "the disk may fill" if done else ""}
        exporter._on_job_progress(event)
    assert shown == ["warning: reel1.mov: the disk may fill"]
    assert win.message_bar.text.text() == "reel1.mov: the disk may fill"
