"""PySide6 keeps the reference counts of None, True and False (issue 15: once, on quitting,
"Fatal Python error: bool_dealloc").

PySide6 6.12.0 on Python 3.11 hands back None from a void method without taking a reference
for it (harmless from Python 3.12 on, where None, True and False are immortal): each call
takes one reference away, and after enough of them Python frees None or a bool and aborts,
mostly on quitting but possibly at any time. pyproject.toml keeps that PySide6 out; this
test says so if it comes back."""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtWidgets import QLabel, QWidget


def test_void_calls_do_not_take_references_of_none(qapp) -> None:
    widget, label = QWidget(), QLabel()
    before = sys.getrefcount(None)
    for _ in range(1000):
        widget.setVisible(False)
        label.setText("frame")
        label.setWordWrap(True)
    lost = before - sys.getrefcount(None)
    assert lost < 100, (
        f"3,000 calls of PySide6 {PySide6.__version__} took {lost} references of None away: "
        "this PySide6 will crash Python (none_dealloc, bool_dealloc); see pyproject.toml"
    )
