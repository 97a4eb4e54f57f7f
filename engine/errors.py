"""Errors a person can act on.

Every failure that reaches a user is a `PanchroError` with a stable `code` (the
same codes travel in the engine protocol's `error` messages) and a message
that names the file and the reason. The CLI prints that one line and exits
non-zero; it never shows a traceback for these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Codes shared with protocol.ErrorCode; kept as plain strings so this module
# stays importable from anywhere without pulling in the protocol.
BAD_INPUT = "bad_input"
IO = "io"
MODEL_MISSING = "model_missing"
OUT_OF_MEMORY = "out_of_memory"
CANCELLED = "cancelled"
INTERNAL = "internal"


class PanchroError(Exception):
    """A failure explained in one line; `code` says what kind."""

    code: str = INTERNAL

    def __init__(
        self, message: str, *, path: str | Path | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        self.path = str(path) if path is not None else None
        self.reason = message
        # Fields the engine's error message carries besides code and message, for a program
        # to act on (the app offers to start an export over: `unfinished_job`).
        self.extra: dict[str, Any] = dict(extra or {})
        super().__init__(f"{self.path}: {message}" if self.path else message)


class BadInputError(PanchroError):
    """The input cannot be used as given (unreadable, not a film, bad option)."""

    code = BAD_INPUT


class OutputError(PanchroError):
    """The output cannot be written (exists, same as input, folder not writable, disk full)."""

    code = IO


class ModelMissingError(PanchroError):
    """A model's weights are not there, or are untrained."""

    code = MODEL_MISSING


class CancelledError(PanchroError):
    """Work stopped because somebody asked it to."""

    code = CANCELLED
