"""A question box answered as a person would, what it asked kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def answering(choice: Any, asked: list[str]) -> Callable[..., Any]:
    """A stand-in for `QMessageBox.question` that gives `choice` and keeps each text asked."""

    def ask(*args: Any, **kwargs: Any) -> Any:
        asked.append(args[2])
        return choice

    return ask
