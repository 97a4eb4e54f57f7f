"""Choosing the export's sound (the Restore panel's sound button, File ▸ Sound…): the
dialog (`gui.soundtrack`), each file chosen checked by the engine's `sound_info`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from panchro.engine.service.protocol import Event, Message, Request

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow


def choose_soundtrack(win: MainWindow) -> None:
    """The dialog; what it ends with becomes the panel's sound (an edit, saved with the
    project)."""
    from panchro.gui.soundtrack import SoundtrackDialog

    if win.album.active:
        win.statusBar().showMessage("A soundtrack is for a film: an album has no sound", 5000)
        return
    if win.film is None:
        win.statusBar().showMessage("Open a film first", 4000)
        return
    panel = win.restore_panel
    sound = panel.sound
    seconds = float(win.info.get("duration_s") or 0.0)
    dialog = SoundtrackDialog(sound.path, sound.offset, sound.film_has_sound, seconds, win)

    def ask(path: str) -> None:
        def answer(msg: Message) -> None:
            if msg.type == Event.RESULT:
                dialog.set_facts(path, dict(msg.body.get("data") or {}))
            elif msg.type == Event.ERROR:
                dialog.set_facts(path, None, str(msg.body.get("message", "")))

        win.engine.request(Request.SOUND_INFO, answer, path=path)

    dialog.probeRequested.connect(ask)
    dialog.recheck()
    win.soundtrack_dialog = dialog  # for tests and the tour
    try:
        if dialog.exec():
            path, offset = dialog.value()
            panel.set_sound(path, offset)
            said = f"Sound: {path}" if path else "Sound: the film's own"
            win.statusBar().showMessage(said, 5000)
    finally:
        win.soundtrack_dialog = None
