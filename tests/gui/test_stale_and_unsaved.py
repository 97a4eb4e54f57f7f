"""What a person's probe of the app found: edits that were lost or shown stale. Closing asks
whenever the title says unsaved; an undone size marks the project unsaved; a pick given to
the shots after shows each one's own key frame; modes of a film read otherwise, or of a
frame a split moved to the other part, are not shown as the shot's."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def _at(qtbot, win, index: int) -> None:
    win.player.seek(index)
    qtbot.waitUntil(lambda: win.player.displayed == index, timeout=WAIT_MS)


def _modes_drawn(qtbot, win, film, at: int | None = None) -> None:
    """The film open in `win` and 2 colour modes drawn of the shot at frame `at`."""
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    if at is not None:
        _at(qtbot, win, at)
    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        win.colour_picks.sample_colour_modes()


def test_a_split_shot_or_an_undone_size_is_unsaved_work_asked_about(
    qtbot, window, film, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    win = window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert not win.dirty
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Cancel,
    )
    win.confirm_discard = True
    assert win.projects.maybe_keep_changes() and not asked  # nothing done: nothing asked
    _at(qtbot, win, 8)
    win.shot_list.split_shot()  # no pick, no hint: work all the same
    assert win.dirty and not win.projects.maybe_keep_changes()
    assert asked and "not saved" in asked[0]
    # A size undone is an edit too, though its box is set without a signal.
    win.dirty = False
    size = win.restore_panel.size
    size.setCurrentIndex(1)
    size.activated.emit(1)  # as a person chooses it
    assert win.dirty
    win.dirty = False
    win.undo_action.trigger()
    assert size.currentIndex() == 0 and win.dirty and win.windowTitle().endswith("*")
    win.confirm_discard = False


def test_a_pick_given_on_shows_each_shots_own_frame_and_a_negative_drops_the_modes(
    qtbot, coloured_window, film
) -> None:
    win = coloured_window
    _modes_drawn(qtbot, win, film)
    picks = win.colour_picks
    picks.pick_candidate(0)
    picks.apply_pick_forward()
    starts = film.shot_starts
    assert all(win.picks[s] is win.picks[0] for s in starts)
    assert all(win.strip.picked(n) for n in range(3))
    # each later shot's own key frame in the shared colours, made by the engine
    qtbot.waitUntil(lambda: None not in map(picks.pick_preview, starts), timeout=WAIT_MS)
    images = [picks.pick_preview(s).toImage() for s in starts]
    assert images[1] != images[0] and images[2] != images[0]
    assert win.sampled

    # Read as a negative: the modes drawn show the film as it was read; they are dropped,
    # and the pick's picture is made again of the frames as read now.
    shown = picks.pick_preview(0)
    win.projects.toggle_negative()
    assert not win.sampled and picks.sampled_of(0) is None
    qtbot.waitUntil(lambda: picks.pick_preview(0) is not None, timeout=WAIT_MS)
    assert picks.pick_preview(0).toImage() != shown.toImage()


def test_a_split_keeps_the_modes_with_the_part_that_holds_their_frame(
    qtbot, coloured_window, film
) -> None:
    win = coloured_window
    _modes_drawn(qtbot, win, film, at=int(film.shot_starts[1]) + 8)  # shot 2: frames 16-31
    picks = win.colour_picks
    key = picks.candidates.sampled.key_frame  # the shot's key frame, as drawn
    win.player.show_film()
    cut = key - 2 if key - 2 > 16 else key + 2
    _at(qtbot, win, cut)
    win.shot_list.split_shot()
    holder = win.shot_list.shot_at(key)
    other = 1 if holder == 2 else 2
    assert picks.sampled_of(holder) is not None and picks.sampled_of(other) is None
    _at(qtbot, win, int(win.shots[other]["start"]))
    picks.show_candidates()
    assert win.stage.currentWidget() is not win.candidates
    _at(qtbot, win, int(win.shots[holder]["start"]))
    picks.show_candidates()
    assert win.stage.currentWidget() is win.candidates
    picks.pick_candidate(1)  # the pick goes to the shot that holds the frame drawn
    assert int(win.shots[holder]["start"]) in win.picks
    assert int(win.shots[other]["start"]) not in win.picks


def test_pictures_dropped_with_a_text_file_open_as_an_album_and_name_it(
    qtbot, window, tmp_path: Path
) -> None:
    from dropping import drop
    from makephotos import photo_pixels, png

    win = window
    a = png(tmp_path / "a.png", photo_pixels((64, 48), seed=1))
    b = png(tmp_path / "b.png", photo_pixels((64, 48), seed=2))
    notes = tmp_path / "notes.txt"
    notes.write_text("grandma, 1950")
    with qtbot.waitSignal(win.album.settled, timeout=WAIT_MS):
        drop(win, a, notes, b)
    assert [p.name for p in win.album.pictures] == ["a.png", "b.png"]
    said = win.message_bar.text.text()
    assert "Left out of the album" in said and "notes.txt" in said


def test_an_album_whose_folder_moved_is_found_again_with_its_picks(
    qtbot, coloured_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from dropping import two_pictures_with_modes
    from PySide6.QtWidgets import QFileDialog

    win = coloured_window
    box = tmp_path / "box"
    two_pictures_with_modes(qtbot, win, box)
    win.album.pick_candidate(1)
    target = tmp_path / "family.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.album.projects.save_as(str(target))
    assert win.album.close()
    assert not win.restore_panel.export_button.isEnabled()
    moved = tmp_path / "photos_1950"
    shutil.move(box, moved)

    win.projects.open_project(target)
    qtbot.waitUntil(lambda: "Locate it" in win.message_bar.action_button.text(), timeout=WAIT_MS)
    said = win.message_bar.text.text()
    assert "not where they were saved" in said and str(box) in said
    assert not win.album.active and not win.restore_panel.export_button.isEnabled()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(moved))
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS) as loaded:
        win.message_bar.action_button.click()
    assert loaded.args == [str(target)]
    qtbot.waitUntil(lambda: win.album.active and "b.png" in win.album.picks, timeout=WAIT_MS)
    assert win.album.picks["b.png"].n == 1  # the pick made before the folder moved
    assert win.album.inputs == [str(moved)] and win.album.dirty
    assert f"found there: {moved}" in win.message_bar.text.text()

    # Saved, the project keeps the new place; moved again beside it, it is found alone.
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.album.projects.save()
    assert win.album.close()
    beside = tmp_path / "elsewhere"
    beside.mkdir()
    shutil.move(target, beside / target.name)
    shutil.move(moved, beside / moved.name)
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(beside / target.name)
    qtbot.waitUntil(lambda: win.album.active and "b.png" in win.album.picks, timeout=WAIT_MS)
    assert "found beside the project" in win.message_bar.text.text()


def test_a_picture_that_cannot_be_read_offers_nothing_to_do_with_it(
    qtbot, window, tmp_path: Path
) -> None:
    from dropping import drop

    win = window
    broken = tmp_path / "scan.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not the rest of a picture")
    with qtbot.waitSignal(win.album.settled, timeout=WAIT_MS):
        drop(win, broken)
    qtbot.waitUntil(lambda: bool(win.album.pictures and win.album.pictures[0].error),
                    timeout=WAIT_MS)  # fmt: skip
    panel = win.restore_panel
    assert not panel.export_button.isEnabled() and not panel.compare_button.isEnabled()
    assert not win.colour.sample_button.isEnabled()
    assert "It cannot be read" in win.album_panel.summary.text()
