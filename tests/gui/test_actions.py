"""Every menu and toolbar action of the main window, triggered the way a menu does.

`QAction.triggered` carries `checked`; PySide hands it to any slot that can take an
argument, so File > Export… once reached `export(output=False)` and Save project as…
sent `project_path=False` to the engine (issue 15). Each action here goes through
`QAction.trigger()`, with the dialogs it opens stubbed, and its effect is checked; a
new action without a check below fails the test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QMenu,
    QMessageBox,
    QToolBar,
)

from panchro.engine.paths import settings_file

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def _plain(text: str) -> str:
    return text.replace("&", "")


def _menu_actions(menu: QMenu) -> list[QAction]:
    found: list[QAction] = []
    for a in menu.actions():
        if a.menu() is not None:
            found += _menu_actions(a.menu())
        elif not a.isSeparator():
            found.append(a)
    return found


def test_every_menu_and_toolbar_action_does_what_it_says(
    qtbot, window, film, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from makemedia import decoded_frames, make_frame_folder
    from PySide6.QtGui import QDesktopServices

    import panchro.gui.window.help as help_menu
    from panchro.gui.theme import current_theme

    win = window
    settings_before = settings_file().read_bytes() if settings_file().exists() else None
    # The recent files are checked on their own: the menu fills itself when shown.
    actions = [a for top in win.menuBar().actions() if top.menu() for a in
               _menu_actions(top.menu()) if a.parent() is not win.recent_menu]  # fmt: skip
    for bar in win.findChildren(QToolBar):
        actions += [a for a in bar.actions() if not a.isSeparator() and a not in actions]

    # What the stubbed dialogs answer, and what they were asked.
    save_answers: list[str] = []
    asked: list[tuple[str, str]] = []

    def get_save(parent, caption, suggested="", filters="", *rest):
        asked.append((caption, suggested))
        return save_answers.pop(0), filters

    frames = make_frame_folder(tmp_path / "scans", 12, (64, 48))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", get_save)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(film.path), ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(frames))
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (12.0, True))
    opened_urls: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: opened_urls.append(url.toLocalFile()) or True
    )
    about: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: about.append(text))
    monkeypatch.setattr(
        help_menu, "self_test_command", lambda: (sys.executable, ["-c", "print('all good')"])
    )
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor(30, 60, 200))

    def wait_frame(index: int) -> None:
        qtbot.waitUntil(lambda: win.player.displayed == index, timeout=WAIT_MS)

    def at(index: int) -> None:
        win.player.seek(index)
        wait_frame(index)

    def opens_film(a: QAction) -> None:
        with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
            a.trigger()
        assert win.film_path == str(film.path)

    def opens_folder(a: QAction) -> None:
        with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
            a.trigger()
        assert win.film_path == str(frames) and win.film_fps == 12.0
        assert win.facts.values["frames"].text() == "12"

    def reads_negative(a: QAction) -> None:
        a.trigger()  # the film read again, its values turned over
        qtbot.waitUntil(
            lambda: win.info.get("scan") == "a negative turned positive", timeout=WAIT_MS
        )
        assert a.isChecked() and win.restore_panel.scan_mode() == "negative"
        assert win.restore_panel._form.isRowVisible(win.restore_panel.scan)
        a.trigger()  # and back, as coded
        qtbot.waitUntil(lambda: bool(win.info) and not win.info.get("scan"), timeout=WAIT_MS)
        assert not a.isChecked() and win.restore_panel.scan_mode() == "auto"

    def stretches_levels(a: QAction) -> None:
        # measured as the shots were found, and again after the film was read as a negative
        qtbot.waitUntil(lambda: a.isEnabled() and bool(win.measured_levels), timeout=WAIT_MS)
        a.trigger()  # the film read again, its measured levels stretched
        qtbot.waitUntil(lambda: bool(win.info.get("levels")), timeout=WAIT_MS)
        assert a.isChecked() and win.info["levels"] == win.measured_levels
        assert win.restore_panel.settings()["levels"] == win.measured_levels
        assert "levels stretched" in win.facts.values["damage"].text()
        a.trigger()  # and back, as they are
        qtbot.waitUntil(lambda: bool(win.info) and not win.info.get("levels"), timeout=WAIT_MS)
        assert not a.isChecked() and "levels" not in win.restore_panel.settings()

    def sets_levels(a: QAction) -> None:
        def answer() -> None:  # the dialog as a person fills it in
            dialog = win.levels_dialog
            assert dialog is not None and dialog.measured == win.measured_levels
            dialog.black.setValue(10.0)
            dialog.white.setValue(20.0)  # too close: OK waits for a wider span
            assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
            dialog.white.setValue(90.0)
            dialog.midtones.setValue(1.5)  # the middle greys lighter
            dialog.accept()

        QTimer.singleShot(0, answer)
        a.trigger()
        qtbot.waitUntil(lambda: win.info.get("levels") == [0.1, 0.9, 1.5], timeout=WAIT_MS)
        assert win.levels_action.isChecked() and win.film_levels == [0.1, 0.9, 1.5]
        assert win.restore_panel.settings()["levels"] == [0.1, 0.9, 1.5]  # the project's
        win.projects.set_levels(None)  # as they are again, for the checks after
        qtbot.waitUntil(lambda: bool(win.info) and not win.info.get("levels"), timeout=WAIT_MS)

    def chooses_sound(a: QAction) -> None:
        from makemedia import make_sound

        score = make_sound(tmp_path / "score.wav", 1.0, clicks=[0.5])

        def answer() -> None:  # the dialog as a person fills it in
            dialog = win.soundtrack_dialog
            assert dialog is not None and dialog.own.text() == "The film's own sound"
            dialog.choose_file(str(score))
            qtbot.waitUntil(lambda: "PCM S16LE" in dialog.facts.text(), timeout=WAIT_MS)
            dialog.accept()

        QTimer.singleShot(0, answer)
        a.trigger()
        assert win.restore_panel.settings()["soundtrack"] == str(score)
        assert win.restore_panel.sound.label == "score.wav"
        win.restore_panel.set_sound(None, 0.0)  # the film's own again, for the checks after
        assert win.restore_panel.sound.label == "Film's sound"

    def opens_recent(_: QAction | None) -> None:
        win.recent_menu.aboutToShow.emit()
        items = win.recent_menu.actions()
        assert [a.toolTip() for a in items[:2]] == [str(frames), str(film.path)]
        with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
            items[1].trigger()
        assert win.film_path == str(film.path) and win.film_fps is None

    def saves_project(a: QAction) -> None:
        target = tmp_path / "first.panchro"
        save_answers.append(str(target))
        with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS) as saved:
            a.trigger()
        assert saved.args == [str(target)] and target.is_file()
        assert win.project_path == str(target) and not win.dirty
        target.unlink()
        with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS) as saved:
            a.trigger()  # it has a path now: saved there without asking
        assert saved.args == [str(target)] and target.is_file() and not save_answers

    def saves_project_as(a: QAction) -> None:
        target = tmp_path / "second"
        save_answers.append(str(target))
        with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS) as saved:
            a.trigger()
        assert asked[-1][0] == "Save the project"
        assert saved.args == [f"{target}.panchro"] and Path(f"{target}.panchro").is_file()

    def exports(a: QAction) -> None:
        out = tmp_path / "restored.mp4"
        save_answers.append(str(out))
        a.trigger()
        assert asked[-1][0] == "Export the restored film"
        assert asked[-1][1].endswith("three_shots_restored.mp4")
        assert win.exporter._job_req is not None and win.exporter._job_output == str(out)
        qtbot.waitUntil(lambda: win.exporter._job_req is None, timeout=WAIT_MS)

    def exports_part(a: QAction) -> None:
        win.statusBar().clearMessage()
        a.trigger()  # nothing marked yet: it says how to mark, and writes nothing
        assert "Mark a part first" in win.statusBar().currentMessage()
        at(10)
        win.exporter.mark_in()
        at(20)
        win.exporter.mark_out()
        out = tmp_path / "part.mp4"
        save_answers.append(str(out))
        colorize = win.restore_panel.colorize.isChecked()
        win.restore_panel.colorize.setChecked(False)  # no models here: decode -> encode
        a.trigger()
        assert asked[-1][0] == "Export the marked part (frames 11 to 21)"
        assert asked[-1][1].endswith("three_shots_restored_11-21.mp4")
        qtbot.waitUntil(lambda: win.exporter._job_req is None, timeout=WAIT_MS)
        assert out.is_file(), win.restore_panel.progress_label.text()
        assert decoded_frames(out) == 11
        win.restore_panel.colorize.setChecked(colorize)
        win.exporter.clear_marks()

    def exports_frame(a: QAction) -> None:
        at(21)
        out = tmp_path / "frame.tif"
        save_answers.append(str(out))
        colorize = win.restore_panel.colorize.isChecked()
        win.restore_panel.colorize.setChecked(False)  # no models here
        win.restore_panel.deflicker.setValue(1.0)
        with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
            a.trigger()
        assert asked[-1][0] == "Export frame 22, restored"
        assert asked[-1][1].endswith("three_shots_frame000022.png")
        assert done.args[0] == "frame" and done.args[1]["codec"] == "tiff"
        assert "the frame at 0.875 s" in done.args[1]["notes"][0] and out.is_file()
        assert "Frame exported: frame.tif — 160 × 120, TIFF" in win.statusBar().currentMessage()
        win.restore_panel.deflicker.setValue(0.0)
        win.restore_panel.colorize.setChecked(colorize)

    def marks(which: str, where: int, part: tuple[int, int]) -> Callable[[QAction], None]:
        def check(a: QAction) -> None:
            at(where)
            a.trigger()
            assert win.exporter.part() == part and win.timeline.slider.part == part
            assert f"frames {part[0] + 1} to {part[1]}" in win.statusBar().currentMessage()

        return check

    def clears_marks(a: QAction) -> None:
        a.trigger()
        assert win.exporter.part() is None and win.timeline.slider.part is None
        assert "whole film" in win.statusBar().currentMessage()

    def quits(a: QAction) -> None:
        win.dirty = False
        a.trigger()
        assert not win.isVisible() and not win.engine.is_ready()

    def plays(a: QAction) -> None:
        at(20)
        a.trigger()
        assert win.player.playing and win.player.rate == 1.0
        a.trigger()
        assert not win.player.playing

    def shuttles(rate: float) -> Callable[[QAction], None]:
        def check(a: QAction) -> None:
            at(20)
            a.trigger()
            assert win.player.rate == rate
            win.player.pause()

        return check

    def pauses(a: QAction) -> None:
        at(20)
        win.player.play(1.0)
        a.trigger()
        assert not win.player.playing

    def moves(start: int, end: int) -> Callable[[QAction], None]:
        def check(a: QAction) -> None:
            at(start)
            a.trigger()
            wait_frame(end)
            assert win.current == end

        return check

    def splits(a: QAction) -> None:
        at(8)
        a.trigger()
        assert [int(s["start"]) for s in win.shots] == [0, 8, 16, 32]

    def merges(a: QAction) -> None:
        at(10)
        a.trigger()
        assert [int(s["start"]) for s in win.shots] == [0, 16, 32]

    def says(words: str) -> Callable[[QAction], None]:
        def check(a: QAction) -> None:
            win.statusBar().clearMessage()
            a.trigger()
            assert words in win.statusBar().currentMessage()

        return check

    def back_to_film(a: QAction) -> None:
        win.stage.setCurrentWidget(win.candidates)
        a.trigger()
        assert win.stage.currentWidget() is win.view

    def compares(a: QAction) -> None:
        at(5)
        a.trigger()
        assert win.stage.currentWidget() is win.compare and win.exporter._compare_req is not None
        qtbot.waitUntil(lambda: win.exporter._compare_req is None, timeout=WAIT_MS)
        win.player.show_film()

    def colours_from_picture(a: QAction) -> None:
        import av
        import numpy as np
        from PIL import Image

        at(20)  # shot 2 (16..31)
        key = int(win.shots[1]["key_frame"])

        def choose(picture: Path) -> None:
            with monkeypatch.context() as m:
                m.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(picture), ""))
                a.trigger()
                qtbot.waitUntil(lambda: win.colour_picks._reference_req is None, timeout=WAIT_MS)

        # A picture of something else (a gradient): it does not fit, and nothing is picked.
        unfit = tmp_path / "gradient.png"
        rgb = np.zeros((48, 64, 3), np.uint8)
        rgb[..., 2], rgb[..., 1] = 200, np.linspace(0, 255, 64, dtype=np.uint8)[None, :]
        Image.fromarray(rgb).save(unfit)
        choose(unfit)
        assert 16 not in win.picks
        assert "gradient.png was not used" in win.colour.detail.text()
        # A grey picture: refused, said in the bar above the picture until a picture works.
        grey = tmp_path / "grey.png"
        Image.fromarray(np.full((48, 64), 128, np.uint8)).save(grey)
        choose(grey)
        assert "Could not take colours from that picture" in win.message_bar.text.text()
        assert not win.message_bar.isHidden()
        # The key frame itself, in colour (tinted): it fits.
        with av.open(str(film.path)) as c:
            frame = next(f for i, f in enumerate(c.decode(video=0)) if i == key)
        tinted = frame.to_ndarray(format="rgb24").astype(np.int16)
        tinted[..., 2] += 60
        picture = tmp_path / "reference.png"
        Image.fromarray(np.clip(tinted, 0, 255).astype(np.uint8)).save(picture)
        choose(picture)
        pick = win.picks.get(16)
        assert pick is not None and pick.source == "reference" and pick.reference == picture.name
        assert "Colours from the picture reference.png" in win.colour.pick_label.text()
        assert win.message_bar.isHidden()  # the grey picture's failure, answered
        assert win.stage.currentWidget() is win.compare
        assert win.exporter.engine_pick(16)["source"] == "reference"  # as renders carry it
        win.colour_picks.unlock_pick()  # the later checks expect shot 2 without a pick
        win.player.show_film()

    def flat(source: str, words: str) -> Callable[[QAction], None]:
        def check(a: QAction) -> None:
            at(20)  # shot 2 (16..31)
            with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
                a.trigger()  # the colour dialog answers (30, 60, 200), as stubbed above
            pick = win.picks[16]
            assert pick.source == source and pick.locked
            assert win.colour.pick_label.text() == f"{words}. Locked."
            assert win.colour_picks.pick_preview(16) is not None  # the key frame so coloured
            assert win.exporter.engine_pick(16)["source"] == source  # as renders carry it
            win.colour_picks.unlock_pick()  # the later checks expect shot 2 without a pick

        return check

    def carries(a: QAction) -> None:
        at(20)  # shot 2 (16..31), kept grey: its colours (none) carried to the shots around
        win.statusBar().clearMessage()
        a.trigger()
        assert "pick a mode first" in win.statusBar().currentMessage()
        with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
            win.colour_picks.keep_black_and_white()
        with qtbot.waitSignal(win.colourCarried, timeout=WAIT_MS):
            a.trigger()
        assert "Shot 2's colours carried to" in win.statusBar().currentMessage()
        win.edits.undo()  # the later checks expect shots without picks
        win.edits.undo()
        assert 16 not in win.picks

    editor = win.hint_editor

    def edits_hints(a: QAction) -> None:
        win.confirm_discard = False  # the hints placed below are not saved
        at(20)
        with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
            a.trigger()
        key = int(win.shots[win.shot_list.shot_at(20)]["key_frame"])
        assert win.stage.currentWidget() is win.compare and editor.active
        assert editor.frame == key == win.current

    def zooms(want: Callable[[float, float], bool]) -> Callable[[QAction], None]:
        # run while the hint tools show the key frame in compare
        def check(a: QAction) -> None:
            canvas = win.compare.canvas
            assert win.stage.currentWidget() is win.compare
            before = canvas.zoom
            a.trigger()
            assert want(before, canvas.zoom), (a.text(), before, canvas.zoom)

        return check

    def takes_tool(name: str) -> Callable[[QAction], None]:
        def check(a: QAction) -> None:
            a.trigger()
            assert editor.tool == name and a.isChecked()
            a.trigger()  # again: put down
            assert editor.tool == "" and not a.isChecked()

        return check

    def chooses_colour(a: QAction) -> None:
        a.trigger()
        assert editor.rgb == (30, 60, 200) and editor.recent[0] == (30, 60, 200)

    def colour_from_a_picture(a: QAction) -> None:
        import panchro.gui.picture_picker as picker

        offered: list[str] = []
        shown: list[str] = []

        def get_open(parent, caption, start="", filters="", *rest):
            offered.append(start)
            return str(tmp_path / "reference.png"), ""

        def pick(path: str, parent: object = None) -> tuple[int, int, int]:
            shown.append(path)
            return (9, 8, 7)

        with monkeypatch.context() as m:
            m.setattr(QFileDialog, "getOpenFileName", get_open)
            m.setattr(picker, "pick_colour_from", pick)
            a.trigger()
        # the picture a shot was coloured from (Colour from a picture, earlier) is offered
        assert offered == [str(tmp_path / "reference.png")]
        assert shown == [str(tmp_path / "reference.png")]
        assert editor.rgb == (9, 8, 7) and editor.recent[0] == (9, 8, 7)
        assert "reference.png" in win.statusBar().currentMessage()

    def brush(wider: bool) -> Callable[[QAction], None]:
        def check(a: QAction) -> None:
            before = editor.brush_width
            a.trigger()
            assert (editor.brush_width > before) if wider else (editor.brush_width < before)

        return check

    def undoes(a: QAction) -> None:
        from panchro.gui.hints import AddHint, Hint

        editor.undo.push(AddHint(editor.store, Hint(editor.frame, ((5.0, 5.0),), (9, 9, 9))))
        assert len(editor.store) == 1 and _plain(a.text()) == "Undo add point"
        a.trigger()
        assert len(editor.store) == 0

    def redoes(a: QAction) -> None:
        a.trigger()
        assert len(editor.store) == 1

    def toggles_markers(a: QAction) -> None:
        a.trigger()
        assert not editor.show_markers and not win.hints_panel.markers.isChecked()
        a.trigger()
        assert editor.show_markers

    def clears_shot(a: QAction) -> None:
        assert len(editor.store) == 1
        a.trigger()
        assert len(editor.store) == 0 and editor.undo.canUndo()
        win.player.show_film()

    def themes(name: str) -> Callable[[QAction], None]:
        def check(a: QAction) -> None:
            a.trigger()
            assert current_theme() == name and win.theme_actions[name].isChecked()

        return check

    def lists_keys(a: QAction) -> None:
        a.trigger()
        assert win.help._shortcuts is not None and win.help._shortcuts.isVisible()
        assert "Ctrl+E" in win.help._shortcuts.text()
        # the whole list scrolls inside a window the screen holds (it grew past it)
        room = win.screen().availableGeometry().height()
        assert win.help._shortcuts.frameGeometry().height() <= room
        win.help._shortcuts.close()

    def self_tests(a: QAction) -> None:
        def report() -> QMessageBox | None:
            boxes = [b for b in win.findChildren(QMessageBox) if b.windowTitle() == "Self-test"]
            return boxes[0] if boxes and boxes[0].isVisible() else None

        a.trigger()
        qtbot.waitUntil(lambda: report() is not None, timeout=WAIT_MS)
        box = report()
        assert box.text() == "The self-test passed." and "all good" in box.detailedText()
        box.close()

    def opens_log_folder(a: QAction) -> None:
        a.trigger()
        assert opened_urls == [str(win.engine.log_path.parent)]

    def shows_about(a: QAction) -> None:
        a.trigger()
        assert len(about) == 1 and "Panchro" in about[0]

    # The album's entries come last: an album replaces the film, whose tools it disables.
    from makephotos import photo_pixels, png

    pictures = [png(tmp_path / f"photo {n}.png", photo_pixels((48, 32), seed=n)) for n in (1, 2)]

    def opens_pictures(a: QAction) -> None:
        with monkeypatch.context() as m:
            m.setattr(QFileDialog, "getOpenFileNames",
                      lambda *a, **k: ([str(p) for p in pictures], ""))  # fmt: skip
            with qtbot.waitSignal(win.album.settled, timeout=WAIT_MS):
                a.trigger()
        assert win.album.active and [p.name for p in win.album.pictures] == [
            "photo 1.png", "photo 2.png",
        ]  # fmt: skip
        assert win.film is None and win.stage.currentWidget() is win.album_stage
        win.sound_action.trigger()  # File > Sound... has nothing to do for an album
        assert "A soundtrack is for a film" in win.statusBar().currentMessage()
        assert win.soundtrack_dialog is None

    def exports_picture(a: QAction) -> None:
        win.restore_panel.colorize.setChecked(False)  # no colorizer here: re-saved as it is
        win.album_grid.select("photo 2.png")
        out = tmp_path / "photo 2 again.png"
        save_answers.append(str(out))
        with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
            a.trigger()
        assert asked[-1][0] == "Export the restored picture"
        assert asked[-1][1].endswith("photo 2_restored.png")
        assert done.args[0] == "picture" and out.is_file()

    def opens_album_folder(a: QAction) -> None:
        with qtbot.waitSignal(win.album.settled, timeout=WAIT_MS):
            a.trigger()  # the folder of numbered frames, read as an album all the same
        assert win.album.active and len(win.album.pictures) == 12
        assert win.album.reason == "--stills given"

    # In the order they run: the film opened first, the window closed last.
    checks: dict[str, Callable[[QAction], None]] = {
        "Open film or image…": opens_film,
        "Open folder of frames…": opens_folder,
        "Open recent": opens_recent,
        "Save project": saves_project,
        "Save project as…": saves_project_as,
        "Export…": exports,
        "Export marked part…": exports_part,
        "Export this frame…": exports_frame,
        "Sound…": chooses_sound,
        "Play / pause": plays,
        "Play backwards (J; again: faster)": shuttles(-1.0),
        "Pause (K)": pauses,
        "Play (L; again: faster)": shuttles(1.0),
        "Previous frame": moves(20, 19),
        "Next frame": moves(20, 21),
        "Back one second": moves(30, 6),
        "Forward one second": moves(6, 30),
        "First frame": moves(20, 0),
        "Last frame": moves(20, film.frames - 1),
        "Previous shot": moves(20, 16),
        "Next shot": moves(20, 32),
        "Next shot without colours": moves(20, 32),  # none has colours yet
        "Previous shot without colours": moves(20, 0),
        "Split shot at this frame": splits,
        "Merge shot with the one before": merges,
        "Mark in": marks("in", 30, (30, 48)),
        "Mark out": marks("out", 40, (30, 41)),
        "Mark this shot": marks("shot", 20, (16, 32)),
        "Clear in and out": clears_marks,
        "Sample colour modes": says("colorizer is not available"),
        "Show colour modes": says("No colour modes drawn"),
        "Colour from a picture…": colours_from_picture,
        "Colour its scene alike": carries,
        "Keep this shot black and white": flat("grey", "Kept black and white"),
        "Keep its own colours": flat("own", "Its own colours kept"),
        "Tint this shot…": flat("tint", "Tinted blue"),
        "Tone this shot…": flat("tone", "Toned blue"),
        "Read the film as a negative": reads_negative,
        "Stretch the film's faded levels": stretches_levels,
        "Set the film's levels…": sets_levels,
        "Back to the film": back_to_film,
        "Compare before | after": compares,
        "Edit hints on the key frame": edits_hints,
        "Zoom in": zooms(lambda was, now: now > was),
        "Zoom out": zooms(lambda was, now: now < was),
        "Actual pixels": zooms(lambda was, now: now == win.compare.canvas.actual_zoom()),
        "Fit the view": zooms(lambda was, now: now == 1.0),
        "Point tool": takes_tool("point"),
        "Brush tool": takes_tool("brush"),
        "Erase tool": takes_tool("erase"),
        "Eyedropper": takes_tool("pick"),
        "Choose hint colour…": chooses_colour,
        "Hint colour from a picture…": colour_from_a_picture,
        "Wider brush": brush(wider=True),
        "Narrower brush": brush(wider=False),
        "Undo": undoes,
        "Redo": redoes,
        "Show hint markers": toggles_markers,
        "Clear this shot's hints": clears_shot,
        "Light": themes("light"),
        "Dark": themes("dark"),
        "Follow the system": themes("system"),
        "Keyboard shortcuts": lists_keys,
        "Run self-test": self_tests,
        "Open log folder": opens_log_folder,
        "About Panchro": shows_about,
        "Open pictures…": opens_pictures,
        "Export selected picture…": exports_picture,
        "Open album folder…": opens_album_folder,
        "Quit": quits,
    }
    by_name: dict[str, list[QAction]] = {}
    for a in actions:
        by_name.setdefault(_plain(a.text()), []).append(a)
    assert set(by_name) == set(checks) - {"Open recent"}, "an action without a check"
    try:
        for text, check in checks.items():
            for a in by_name.get(text, [None]):
                check(a)
    finally:
        if settings_before is None:
            settings_file().unlink(missing_ok=True)
        else:
            settings_file().write_bytes(settings_before)
