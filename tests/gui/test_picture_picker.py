"""The eyedropper over a colour picture: what is read, what a click or the keys take."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from panchro.gui.picture_picker import PicturePicker, load_picture, mean_colour, pick_colour_from


def _picture(path: Path) -> Path:
    """Left half red, right half blue, one white pixel at (30, 10) inside the red."""
    rgb = np.zeros((40, 80, 3), np.uint8)
    rgb[:, :40] = (200, 30, 20)
    rgb[:, 40:] = (20, 40, 210)
    rgb[10, 30] = (255, 255, 255)
    Image.fromarray(rgb).save(path)
    return path


def test_the_colour_taken_is_the_mean_of_nine_pixels(tmp_path: Path) -> None:
    image = load_picture(str(_picture(tmp_path / "ref.png")))
    assert image is not None and (image.width(), image.height()) == (80, 40)
    assert mean_colour(image, 5, 5) == (200, 30, 20)
    # one white speck among eight red pixels moves the mean only a little
    assert mean_colour(image, 30, 10) == (round((8 * 200 + 255) / 9), round((8 * 30 + 255) / 9),
                                          round((8 * 20 + 255) / 9))  # fmt: skip
    assert mean_colour(image, 0, 0) == (200, 30, 20)  # a corner: four pixels
    assert load_picture(str(tmp_path / "missing.png")) is None
    (tmp_path / "text.jpg").write_text("not a picture")
    with pytest.raises(ValueError, match="cannot be read as a picture"):
        pick_colour_from(str(tmp_path / "text.jpg"))


def test_a_click_or_the_keys_take_a_colour_and_escape_takes_none(
    qtbot: Any, tmp_path: Path
) -> None:
    image = load_picture(str(_picture(tmp_path / "ref.png")))
    assert image is not None
    picker = PicturePicker(image, "ref.png")
    qtbot.addWidget(picker)
    picker.show()
    view = picker.view
    assert (view.width(), view.height()) == (80, 40)  # a small picture is not blown up
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(70, 20))
    assert picker.chosen == (20, 40, 210) and picker.result() == PicturePicker.DialogCode.Accepted

    keyed = PicturePicker(image, "ref.png")
    qtbot.addWidget(keyed)
    keyed.show()
    for _ in range(8):  # from the middle, 8 steps of 5% left: into the red half
        qtbot.keyClick(keyed, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(keyed, Qt.Key.Key_Return)
    assert keyed.chosen == (200, 30, 20)

    cancelled = PicturePicker(image, "ref.png")
    qtbot.addWidget(cancelled)
    cancelled.show()
    qtbot.keyClick(cancelled, Qt.Key.Key_Escape)
    assert cancelled.chosen is None and cancelled.result() == PicturePicker.DialogCode.Rejected
