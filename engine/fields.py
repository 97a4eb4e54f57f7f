"""The checks every `.panchro` document's fields go through (a film's project, an album's):
a wrong field is a `FieldError` naming where it is, which the reader turns into a message
that names the file (`project.read_document`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class FieldError(Exception):
    """A field of a project document is wrong; `read_document` makes it a BadInputError naming
    the file."""


class WrongKind(FieldError):
    """A project of the other kind (a film's where an album's is expected, or the reverse):
    said as it is, not as damage."""


class TooNew(WrongKind):
    """A project a later Panchro wrote: said as it is (update Panchro), not as damage."""


def as_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(f"{where}: must be a JSON object")
    return value


def get_digest(d: dict[str, Any], where: str) -> str:
    """`d["sha256"]`, a fingerprint's digest: 64 lower-case hex digits."""
    digest = get_field(d, where, "sha256", str)
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise FieldError(f"{where}.sha256: must be 64 lower-case hex digits")
    return digest


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def get_field(
    d: dict[str, Any],
    where: str,
    key: str,
    kind: type,
    *,
    low: float | None = None,
    high: float | None = None,
) -> Any:
    if key not in d:
        raise FieldError(f"{where}.{key}: missing")
    value = d[key]
    ok: Callable[[Any], bool]
    if kind is bool:
        ok = lambda v: isinstance(v, bool)  # noqa: E731
    elif kind is int:
        ok = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
    elif kind is float:
        ok = lambda v: isinstance(v, int | float) and not isinstance(v, bool)  # noqa: E731
    else:
        ok = lambda v: isinstance(v, kind)  # noqa: E731
    if not ok(value):
        raise FieldError(
            f"{where}.{key}: must be {_TYPE_NAMES.get(kind, kind.__name__)}, got {value!r}"
        )
    if kind is float:
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise FieldError(f"{where}.{key}: must be a finite number")
    if low is not None and value < low:
        raise FieldError(f"{where}.{key}: must be at least {low}, got {value}")
    if high is not None and value > high:
        raise FieldError(f"{where}.{key}: must be at most {high}, got {value}")
    return value


def get_margins(d: dict[str, Any], where: str, key: str) -> tuple[int, int, int, int]:
    """`d[key]`, a crop: [left, top, right, bottom] pixels, each 0 or more."""
    crop = get_field(d, where, key, list)
    if len(crop) != 4 or any(type(v) is not int or v < 0 for v in crop):
        raise FieldError(
            f"{where}.{key}: must be [left, top, right, bottom] pixels, 0 or more, got {crop}"
        )
    return (crop[0], crop[1], crop[2], crop[3])
