"""How the window says counts and colours to a person: "1 hint", "3 shots", "dark blue"."""

from __future__ import annotations

import colorsys

# Hue names by the upper end of their range, in degrees round the colour wheel.
_HUES = (
    (15, "red"),
    (40, "orange"),
    (68, "yellow"),
    (95, "yellow-green"),
    (160, "green"),
    (195, "teal"),
    (255, "blue"),
    (285, "violet"),
    (335, "purple"),
    (360, "red"),
)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for one: "1 hint", "2 hints", "3 pictures"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def colour_words(rgb: tuple[int, int, int]) -> str:
    """A colour as a person would name it, roughly ("dark blue", "pale yellow", "grey")."""
    r, g, b = (max(0, min(int(c), 255)) / 255.0 for c in rgb)
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    if max(r, g, b) - min(r, g, b) < 0.08:  # no hue to speak of
        return "black" if light < 0.12 else "white" if light > 0.92 else (
            "dark grey" if light < 0.35 else "light grey" if light > 0.7 else "grey"
        )  # fmt: skip
    degrees = hue * 360.0
    name = next(word for top, word in _HUES if degrees < top or top == 360)
    if name in ("orange", "red", "yellow") and light < 0.35:
        return "brown" if name != "red" else "dark red"
    if name == "orange" and sat < 0.5:
        return "light brown" if light > 0.5 else "brown"
    if name == "red" and light > 0.7:
        return "pink"
    if light < 0.3:
        return f"dark {name}"
    if light > 0.75:
        return f"{'pale' if sat < 0.6 else 'light'} {name}"
    return f"greyish {name}" if sat < 0.25 else name
