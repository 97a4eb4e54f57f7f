"""Colour modes: drawing K of them for the shot under the playhead, showing them, and
picking one (locked), for this shot or the ones after it; or taking the shot's colours from a
colour picture ("Colour from a picture", the engine's `reference_pick`); or one colour: the
shot kept black and white, tinted or toned (`keep_black_and_white`, `tint`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QColorDialog, QFileDialog

from panchro.engine.service.protocol import TINTS, TONES, Event, Message, Request, flat_pick_chroma
from panchro.gui.colour_modes import (
    Pick,
    Sampled,
    crop_of,
    flat_words,
    own_words,
    parse_sampled,
    shot_label,
)
from panchro.gui.window import pixmaps_of
from panchro.gui.words import colour_words, counted

STRENGTH_REST_MS = 400  # the strength box at rest this long: pictures made again at it
PICTURE_FILTER = "Colour pictures (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp);;All files (*)"
REFERENCE_FAILED = "Could not take colours from that picture"

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow


class ColourPicks(QObject):
    """Owns the Colour modes panel and the candidates view: the sampling request and its
    progress, the window's `sampled` (by shot start) and `picks` (pick, apply forward,
    unlock), the picked shots' marks in the strip, and the pick shown for the shot under
    the playhead (`show_pick`)."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self.colour = win.colour
        self.candidates = win.candidates
        self.stage = win.stage
        self.strip = win.strip
        self.status = win.statusBar()
        self._sample_req: int | None = None
        self._sample_shot: int | None = None
        self._sample_asked: dict[str, Any] = {}
        self._reference_req: int | None = None
        self._reference_shot: int | None = None
        # A key frame coloured by a pick (the strip's mark and the panel's picture), by the
        # pick itself and the frame: an undo can bring back a pick whose shot has had another
        # since (`edits`), and a pick given to the shots after shows on each one's own frame.
        self.pick_pictures: dict[tuple[int, int], tuple[Pick, QPixmap]] = {}  # (id, frame)
        self._flat_req: int | None = None  # the key frame coloured by a one-colour pick
        self._flat_pick: Pick | None = None
        self._flat_waiting: list[tuple[Pick, dict[str, Any]]] = []  # asked after the one out
        self._carry_req: int | None = None
        self._carry_from: tuple[int, int, bool] | None = None  # (shot, its start, trained)
        self.reference_dir = ""
        self.last_reference = ""  # the picture last used: the hint eyedropper offers it
        # The colours' strength as last seen: a box stepped several times in a row has the
        # pictures made again once, when it rests.
        self._strength = win.restore_panel.colour_strength()
        self._strength_timer = QTimer(self)
        self._strength_timer.setSingleShot(True)
        self._strength_timer.setInterval(STRENGTH_REST_MS)
        self._strength_timer.timeout.connect(self._strength_rested)
        win.restore_panel.settingsChanged.connect(self._strength_moved)

    def forget_requests(self) -> None:
        """The film is going: its colour modes, if they come, are ignored."""
        for req in (self._sample_req, self._reference_req, self._flat_req, self._carry_req):
            if req is not None:
                self.engine.forget(req)
        self._sample_req = self._sample_shot = self._flat_req = self._carry_req = None
        self._flat_waiting.clear()
        self._reference_req = self._reference_shot = None
        self.pick_pictures.clear()
        self.colour.set_busy(False)

    def colour_from_picture(self, path: str | None = None) -> None:
        """The shot under the playhead takes its colours from a colour picture (asked for when
        `path` is None): the engine matches the picture to the key frame and answers a pick."""
        win = self.win
        if win.film is None:
            self.colour.show_error("Open a film first.")
            return
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                win, "Colour from a picture", self.reference_dir, PICTURE_FILTER
            )
            if not path:
                return
        self.reference_dir = str(Path(path).parent)
        self.last_reference = path
        if self._reference_req is not None:
            self.engine.cancel(self._reference_req)
            self.engine.forget(self._reference_req)
        shot = win.shot_list.shot_at(win.current)
        params: dict[str, Any] = {"film": win.film, "path": path,
                                  "max_side": win.player.preview_side()}  # fmt: skip
        if shot is not None:
            s = win.shots[shot]
            index = win.shot_list.key_frame(shot)
            params["shot"] = {"start": int(s["start"]), "end": int(s["end"]), "key_frame": index}
        else:
            index = win.current
        params["index"] = index
        # the preview shows the hints laid over the picture's colours, which are matched to
        # the picture inside the borders
        params.update(win.colouring())
        self._reference_shot = shot
        self._reference_req = self.engine.request(
            Request.REFERENCE_PICK, self._on_reference, **params
        )
        self.colour.set_busy(True)
        self.colour.show_error(f"Matching the colours of {Path(path).name} to frame {index + 1}…")

    def _on_reference(self, msg: Message) -> None:
        if msg.id != self._reference_req:
            return
        self._reference_req = None
        self.colour.set_busy(False)
        if msg.type == Event.ERROR:
            self.colour.show_error(str(msg.body.get("message", "")))
            self.win.show_error(REFERENCE_FAILED, msg)
            return
        if msg.type != Event.RESULT:
            self.colour.show_error("Taking colours from the picture was cancelled.")
            return
        win = self.win
        win.message_bar.withdraw(REFERENCE_FAILED)  # a picture tried before, answered now
        data = msg.body.get("data") or {}
        raw, images = data.get("pick") or {}, pixmaps_of(data, msg.blob)
        shot = self._reference_shot
        name = Path(str(data.get("reference", ""))).name
        label = shot_label(shot, win.shots) if shot is not None else "The film"
        notes = [str(n) for n in data.get("notes") or []]
        if float(data.get("strength", 1.0)) <= 0.0:
            # another scene: the engine lent nothing; a grey "pick" would only hide that
            said = notes[0] if notes else "the picture does not fit this shot"
            self.colour.show_error(f"{label}: {name} was not used: {said}.")
            self.status.showMessage(f"{name} does not fit this shot: not used", 8000)
            return
        untrained = any("UNTRAINED" in n for n in notes)
        pick = Pick(
            key_frame=int(data.get("index", 0)), seed=0, temperature=0.0, k=1, n=0,
            chroma=str(raw.get("chroma", "")), chroma_size=28, trained=not untrained,
            source="reference", reference=name, crop=crop_of(raw.get("crop")),
        )  # fmt: skip
        start = self._shot_start(shot)
        after = images.get("after")
        if after is not None:
            self.keep_picture(pick, pick.key_frame, after)
        with win.edits.edit(f"colour {self._where(shot)} from {name}"):
            win.picks[start] = pick
        if shot is not None:
            self._mark_shot(shot, after)
        self.show_pick()
        weakened = f" Note: {notes[0]}." if float(data.get("strength", 1.0)) < 1.0 else ""
        self.colour.show_error(f"{label}: colours from {name}, locked.{weakened}")
        win.picksChanged.emit()
        if images:  # the key frame before | after, as the compare view shows any preview
            win.compare.show_result(images, data, f"{label}: colours from {name}")
            win.stage.setCurrentWidget(win.compare)
            win.compareShown.emit()

    def keep_black_and_white(self) -> None:
        """Colour ▸ Keep this shot black and white: an intertitle, a scene meant grey."""
        self._set_flat("grey", None, "")

    def keep_own_colours(self) -> None:
        """Colour ▸ Keep its own colours: a shot, or an album's picture, in colour already keeps
        the colours its film or file holds, whatever the colorizer would draw (a picture the
        engine found in colour keeps them unasked; one with few colours, or stains, is asked)."""
        album = self.win.album
        if not album.active:
            shot = self.win.shot_list.shot_at(self.win.current) if self.win.shots else None
            drawn = self.sampled_of(shot)
            if drawn is not None and not (drawn.in_colour or drawn.maybe_in_colour):
                label = shot_label(shot, self.win.shots) if shot is not None else "The film"
                self.status.showMessage(f"{label} has no colours of its own to keep", 6000)
                return
            self._set_flat("own", None, "")
            return
        pic = album.selected("keep its own colours")
        if pic is None:
            return
        if not (pic.in_colour or pic.maybe_colour):
            self.status.showMessage(f"{pic.name} has no colours of its own to keep", 6000)
            return
        if pic.in_colour and pic.name not in album.picks:
            self.status.showMessage(f"{pic.name} keeps its own colours already", 6000)
            return
        self._set_flat_picture("own", None, "")

    def _set_flat_picture(self, source: str, rgb: tuple[int, int, int] | None, name: str) -> None:
        """The album's selected picture kept black and white, tinted, toned (as a shot is),
        or keeping its own colours."""
        album = self.win.album
        pic = album.selected("keep it black and white" if source == "grey" else f"{source} it")
        if pic is None:
            return
        pick = Pick(
            key_frame=album.index_of(pic.name) or 0, seed=0, temperature=0.0, k=0, n=0,
            chroma=flat_pick_chroma(rgb), chroma_size=28, trained=True, source=source,
            reference=name,
        )  # fmt: skip
        kept = {"grey": f"keep {pic.name} black and white", "own": f"keep {pic.name}'s own colours"}
        with self.win.edits.edit(kept.get(source, f"{source} {pic.name} {name}").strip()):
            album.picks[pic.name] = pick
        album.after_pick_change(pic.name, f"{pic.name}: {flat_words(pick)}, locked")

    def tint(self, *, tone: bool = False, rgb: tuple[int, int, int] | None = None) -> None:
        """Colour ▸ Tint / Tone this shot: one colour over the light parts (a dyed base) or the
        middle greys (a toned print), asked for when `rgb` is None; the silent era's colours
        are the dialog's own."""
        presets = TONES if tone else TINTS
        if rgb is None:
            if self.win.film is None and not self.win.album.active:
                self.colour.show_error("Open a film first.")
                return
            for i, c in enumerate(presets.values()):
                QColorDialog.setCustomColor(i, QColor(*c))
            first = next(iter(presets.values()))
            title = "Tone this shot (the middle greys)" if tone else "Tint this shot (the light)"
            chosen = QColorDialog.getColor(QColor(*first), self.win, title)
            if not chosen.isValid():
                return
            rgb = (chosen.red(), chosen.green(), chosen.blue())
        name = next((n.lower() for n, c in presets.items() if c == rgb), "")
        self._set_flat("tone" if tone else "tint", rgb, name or colour_words(rgb))

    def _set_flat(self, source: str, rgb: tuple[int, int, int] | None, name: str) -> None:
        win = self.win
        if win.album.active:  # an album's picture kept grey, tinted or toned as a shot is
            self._set_flat_picture(source, rgb, name)
            return
        if win.film is None:
            self.colour.show_error("Open a film first.")
            return
        shot = win.shot_list.shot_at(win.current)
        index = win.shot_list.key_frame(shot) if shot is not None else win.current
        pick = Pick(
            key_frame=index, seed=0, temperature=0.0, k=0, n=0, chroma=flat_pick_chroma(rgb),
            chroma_size=28, trained=True, source=source, reference=name,
        )  # fmt: skip
        start = self._shot_start(shot)
        where = self._where(shot)
        text = {"grey": f"keep {where} black and white", "own": f"keep {where}'s own colours"}.get(
            source, f"{source} {where} {name}"
        )
        with win.edits.edit(text):
            win.picks[start] = pick
        if shot is not None:
            self._mark_shot(shot, QPixmap())  # marked; its picture comes next
        self.candidates.set_picked(None)
        if win.stage.currentWidget() is self.candidates:  # its modes are not the shot's now,
            win.player.show_film()  # and "click one to pick it" was left over them
        self.show_pick()
        label = shot_label(shot, win.shots) if shot is not None else "The film"
        said = f"{label}: {flat_words(pick)}, locked"
        if shot is not None and (on := self._hints_on(shot)) and source == "own":
            verb = "corrects" if on == 1 else "correct"
            said += f"; its {counted(on, 'hint')} {verb} its own colours where they lie"
        elif shot is not None and on:  # a red coat in a grey scene
            still = "still colours where it lies" if on == 1 else "still colour where they lie"
            said += f"; its {counted(on, 'hint')} {still}"
            said += " (Colour ▸ Hints ▸ Clear this shot's hints)"
        self.status.showMessage(said, 8000)
        win.picksChanged.emit()
        # The key frame as a render colours it, for the strip and the panel.
        params: dict[str, Any] = {"film": win.film, "index": index,
                                  "max_side": win.player.preview_side()}  # fmt: skip
        if shot is not None:
            s = win.shots[shot]
            params["shot"] = {"start": int(s["start"]), "end": int(s["end"]), "key_frame": index}
        params["pick"] = win.exporter.engine_pick(start)
        if (crop := win.picture_crop()) is not None:
            params["crop"] = list(crop)  # the borders grey, as the render leaves them
        # One at a time, each shot's in turn: the engine answers only the latest preview asked,
        # and shots tinted one after another each want their picture.
        self._flat_waiting.append((pick, params))
        if self._flat_req is None:
            self._next_flat()

    def _next_flat(self) -> None:
        if self._flat_waiting:
            self._flat_pick, params = self._flat_waiting.pop(0)
            self._flat_req = self.engine.request(Request.HINT_PREVIEW, self._on_flat, **params)

    def _on_flat(self, msg: Message) -> None:
        if msg.id != self._flat_req:
            return
        self._flat_req = None
        self._show_flat(msg)
        self._next_flat()

    def _show_flat(self, msg: Message) -> None:
        if msg.type != Event.RESULT:
            return  # the pick stands; only its picture is missing
        after = pixmaps_of(msg.body.get("data") or {}, msg.blob).get("after")
        pick = self._flat_pick
        if after is None or pick is None:
            return
        self.keep_picture(pick, pick.key_frame, after)
        start = next((s for s, p in self.win.picks.items() if p is pick), None)
        if start is None:
            return  # undone already: the picture waits for a redo
        shot = next((i for i, s in enumerate(self.win.shots) if int(s["start"]) == start), None)
        if shot is not None:
            self._mark_shot(shot, after)
        self.show_pick()
        self.win.flatPreviewShown.emit(start)

    def sample_colour_modes(self) -> None:
        """Draw the panel's K colour modes of the key frame of the shot under the playhead."""
        win = self.win
        if win.film is None:
            self.colour.show_error("Open a film first.")
            return
        if not self.colour.usable:
            self.status.showMessage("The colorizer is not available; see Colour modes", 6000)
            return
        shot = win.shot_list.shot_at(win.current)
        index = win.shot_list.key_frame(shot) if shot is not None else win.current
        opts = {k: v for k, v in self.colour.options().items() if v is not None}
        hints = win.hint_editor.hints_json()
        if hints is not None:
            opts["hints"] = hints  # the engine keeps those on this frame in every mode
        if (crop := win.picture_crop()) is not None:
            opts["crop"] = list(crop)  # drawn for the picture inside the borders
        self._ask_modes(shot, {"index": index, **opts})
        on_frame = sum(1 for h in win.hint_editor.store.hints if h.frame == index)
        keeping = f", keeping its {counted(on_frame, 'hint')}" if on_frame else ""
        self.colour.show_error(f"Drawing {opts['k']} colour modes of frame {index + 1}{keeping}…")

    def _ask_modes(self, shot: int | None, asked: dict[str, Any]) -> None:
        """`sample_keyframe` with `asked` (index, K, hints, ...), shown at the colours'
        strength the Restore panel has now."""
        win = self.win
        if self._sample_req is not None:
            self.engine.cancel(self._sample_req)
            self.engine.forget(self._sample_req)
        strength = win.restore_panel.colour_strength()
        self._sample_shot = shot
        self._sample_asked = asked
        self._sample_req = self.engine.request(
            Request.SAMPLE_KEYFRAME,
            self._on_colour_modes,
            on_progress=self._on_sample_progress,
            film=win.film,
            max_side=max(384, win.player.preview_side() // 2),  # K of them share the view
            **asked,
            **({} if strength == 1.0 else {"colour_strength": strength}),
        )
        self.colour.set_busy(True)

    def _strength_moved(self) -> None:
        # Every change counts, one undone within the rest too: pictures were asked for at it.
        strength = self.win.restore_panel.colour_strength()
        if strength != self._strength:
            self._strength = strength
            self._strength_timer.start()

    def _strength_rested(self) -> None:
        if self.win.album.active:
            self.win.album.pick_pictures.restrengthen()
        else:
            self.restrengthen()
        if self.win.hint_editor.active:  # the frame being hinted, at the strength of now
            self.win.hint_editor.refresh_now()

    def restrengthen(self) -> None:
        """The colours' strength changed: the picks' pictures are made again at it (a few at
        a time, by `PickPictures`), and the colour modes on show drawn again at it."""
        win = self.win
        if win.film is None or win.album.active:
            return
        self.pick_pictures.clear()  # made at the strength before
        win.pick_pictures.forget()
        self.refresh_strip()
        self.show_pick()
        shown = self.candidates.sampled
        if self.stage.currentWidget() is not self.candidates or shown is None or \
                not self._redraw(shown):  # fmt: skip
            win.pick_pictures.fill()  # (else once the modes come: a pick among them has one)

    def _redraw(self, sampled: Sampled) -> bool:
        """The same modes drawn again (their seed and request), to be shown at the colours'
        strength of now; False when they are shown at it already, or a draw is on its way
        (its modes are looked at again when they come)."""
        strength = self.win.restore_panel.colour_strength()
        if sampled.strength == strength or self._sample_req is not None or not sampled.asked:
            return False
        shot = self.win.shot_list.shot_at(sampled.key_frame) if self.win.shots else None
        self._ask_modes(shot, sampled.asked | {"seed": sampled.seed})
        self.colour.show_error(
            f"Showing the {sampled.k} colour modes at colour strength {strength:g}…"
        )
        return True

    def refresh_strip(self, drawn: Sampled | None = None) -> None:
        """Each picked shot's mark in the strip with the picture of its pick the window has
        now (one made at another strength stays until its own comes); with `drawn`, only
        the shots picked from those modes (a film has thousands of shots)."""
        win = self.win
        for n, s in enumerate(win.shots):
            pick = win.picks.get(int(s["start"]))
            if (
                pick is None
                or drawn is not None
                and (pick.key_frame != drawn.key_frame or pick.seed != drawn.seed)
            ):
                continue
            preview = self.pick_preview(int(s["start"]), win.shot_list.key_frame(n))
            if preview is not None:
                self.strip.set_picked(n, preview)

    def _on_sample_progress(self, event: dict[str, Any]) -> None:
        self.colour.set_busy(True, int(event.get("done") or 0), int(event.get("total") or 0))

    def _on_colour_modes(self, msg: Message) -> None:
        if msg.id != self._sample_req:
            return
        self._sample_req = None
        self.colour.set_busy(False)
        shot = self._sample_shot
        if msg.type == Event.ERROR:
            self.colour.show_error(str(msg.body.get("message", "")))
            self.win.show_error("Could not sample colour modes", msg)
            return
        if msg.type != Event.RESULT:
            self.colour.show_error("Sampling was cancelled.")
            return
        try:
            sampled = parse_sampled(shot if shot is not None else 0, msg.body.get("data") or {},
                                    msg.blob)  # fmt: skip
        except (KeyError, TypeError, ValueError) as err:
            self.colour.show_error(f"The engine's colour modes cannot be shown: {err}")
            return
        sampled.asked = {k: v for k, v in self._sample_asked.items() if k != "seed"}
        shot = self._drawn_for(sampled)  # split or merged while they were drawn
        start = self._shot_start(shot)
        self.win.sampled[start] = sampled
        said = f"{sampled.k} colour modes in {sampled.seconds:.1f} s (seed {sampled.seed})."
        if sampled.strength != 1.0:
            said += f" Shown at colour strength {sampled.strength:g}."
        self.colour.show_error(said + self._border_advice(sampled))
        if self.win.shot_list.shot_at(self.win.current) == shot:
            self.show_candidates()
        self.refresh_strip(sampled)  # a pick among them shows them as they are shown now
        self.win.pick_pictures.fill()
        self.show_pick()
        self.win.colourModesShown.emit(sampled.k)

    def _where(self, shot: int | None) -> str:
        """The shot an edit is made to, as the Edit menu names it."""
        return f"shot {shot + 1}" if shot is not None and self.win.shots else "the film"

    def _shot_start(self, shot: int | None) -> int:
        return int(self.win.shots[shot]["start"]) if shot is not None and self.win.shots else 0

    def _drawn_for(self, sampled: Sampled) -> int | None:
        """The shot that holds the frame `sampled` was drawn of now (a shot split, merged or
        cut before it since has another number than when it was drawn)."""
        return self.win.shot_list.shot_at(sampled.key_frame) if self.win.shots else None

    def sampled_of(self, shot: int | None) -> Sampled | None:
        """The colour modes drawn of a frame of shot `shot` (the whole film's when None);
        a shot split since keeps them in the part that holds their frame."""
        win = self.win
        if shot is None or not win.shots:
            return win.sampled.get(0)
        lo, hi = int(win.shots[shot]["start"]), int(win.shots[shot]["end"])
        kept = win.sampled.get(lo)
        if kept is not None and lo <= kept.key_frame < hi:
            return kept
        return next((v for v in win.sampled.values() if lo <= v.key_frame < hi), None)

    def show_candidates(self) -> None:
        """The colour modes drawn for the shot under the playhead, in place of the film."""
        win = self.win
        shot = win.shot_list.shot_at(win.current)
        start = self._shot_start(shot)
        sampled = self.sampled_of(shot)
        if sampled is None:
            self.status.showMessage("No colour modes drawn for this shot yet (press C)", 5000)
            return
        pick = win.picks.get(start)
        chosen = pick.n if pick is not None and pick.key_frame == sampled.key_frame and \
            pick.seed == sampled.seed and pick.crop == sampled.crop else None  # fmt: skip
        label = shot_label(shot, win.shots) if shot is not None else "The film"
        remark = own_words(sampled, pick) + self._border_advice(sampled)  # said over the modes
        self.candidates.show_sampled(sampled, label, chosen, remark)
        self.stage.setCurrentWidget(self.candidates)
        self.candidates.setFocus()
        self._redraw(sampled)  # drawn when the colours' strength was another

    def _border_advice(self, sampled: Sampled) -> str:
        """Where modes were drawn with a border found round the picture: to crop it."""
        found = self.win.restore_panel.borders
        if sampled.crop is not None or not found or not any(found) or self.win.album.active:
            return ""
        # black round the picture makes the modes bolder and less right (eval bars)
        return (" A border was found round the picture: set it with Restore panel ▸ Crop… and"
                " the modes are drawn for the picture alone.")  # fmt: skip

    def pick_candidate(self, n: int) -> None:
        win = self.win
        sampled = self.candidates.sampled
        if sampled is None or not 0 <= n < sampled.k:
            return
        shot = self._drawn_for(sampled)
        start = self._shot_start(shot)
        with win.edits.edit(f"pick colour mode {n + 1} for {self._where(shot)}"):
            win.picks[start] = sampled.pick(n)
        self.candidates.set_picked(n)
        if shot is not None:
            self._mark_shot(shot, sampled.pixmaps[n])
        self.show_pick()
        self.status.showMessage(
            f"{shot_label(shot, win.shots) if shot is not None else 'Film'}: colour mode "
            f"{n + 1} picked and locked",
            5000,
        )
        win.picksChanged.emit()

    def apply_pick_forward(self) -> None:
        """This shot's pick, to every later shot without a pick of its own."""
        win = self.win
        shot = win.shot_list.shot_at(win.current)
        if shot is None:
            return
        pick = win.picks.get(self._shot_start(shot))
        if pick is None:
            return
        given = 0
        with win.edits.edit(f"give shot {shot + 1}'s pick to the shots after"):
            for later in range(shot + 1, len(win.shots)):
                start = self._shot_start(later)
                if start in win.picks:
                    continue  # a pick of its own is kept
                win.picks[start] = pick
                # each shot's own key frame in those colours: the engine makes them
                preview = self.pick_preview(start, win.shot_list.key_frame(later))
                self._mark_shot(later, preview or QPixmap())
                given += 1
        self.status.showMessage(f"Pick given to {counted(given, 'following shot')}", 5000)
        win.picksChanged.emit()
        win.pick_pictures.fill()

    def carry_to_scene(self) -> None:
        """This shot's colours, as a render colours its key frame, matched onto the key frame
        of each shot around it that has no pick of its own, outwards until the scene ends
        (the engine's `carry_pick`); one edit, undone as one."""
        win = self.win
        shot = win.shot_list.shot_at(win.current)
        if win.film is None or shot is None or not win.shots:
            self.status.showMessage("Open a film and find its shots first", 5000)
            return
        start = self._shot_start(shot)
        pick = win.picks.get(start)
        if pick is None:
            self.status.showMessage(
                f"Shot {shot + 1} has no colours to carry yet: pick a mode first", 6000
            )
            return
        targets = [{"start": int(s["start"]), "end": int(s["end"]),
                    "key_frame": win.shot_list.key_frame(n)}
                   for n, s in enumerate(win.shots) if n != shot and int(s["start"]) not in
                   win.picks]  # fmt: skip
        if not targets:
            self.status.showMessage("Every other shot has colours of its own", 5000)
            return
        s = win.shots[shot]
        params: dict[str, Any] = {
            "film": win.film, "index": win.shot_list.key_frame(shot),
            "shot": {"start": start, "end": int(s["end"]),
                     "key_frame": win.shot_list.key_frame(shot)},
            "pick": win.exporter.engine_pick(start), "targets": targets,
            "max_side": max(320, win.player.preview_side() // 2),
            **win.colouring(),  # the shot as the person sees it
        }  # fmt: skip
        if self._carry_req is not None:
            self.engine.cancel(self._carry_req)
            self.engine.forget(self._carry_req)
        self._carry_from = (shot, start, pick.trained)
        self._carry_req = self.engine.request(
            Request.CARRY_PICK, self._on_carried, on_progress=self._on_sample_progress, **params
        )
        self.colour.set_busy(True)
        self.colour.show_error(f"Carrying shot {shot + 1}'s colours to the shots of its scene…")

    def _on_carried(self, msg: Message) -> None:
        if msg.id != self._carry_req or self._carry_from is None:
            return
        self._carry_req = None
        self.colour.set_busy(False)
        if msg.type == Event.ERROR:
            self.colour.show_error(str(msg.body.get("message", "")))
            self.win.show_error("Could not carry the colours", msg)
            return
        if msg.type != Event.RESULT:
            self.colour.show_error("Carrying the colours was cancelled.")
            return
        win = self.win
        shot, source, trained = self._carry_from
        data = msg.body.get("data") or {}
        pictures: dict[int, QPixmap] = {}  # each carried-to key frame, coloured
        for part in data.get("images") or []:
            pm, off = QPixmap(), int(part["offset"])
            if pm.loadFromData(msg.blob[off : off + int(part["length"])]):
                pictures[int(part["start"])] = pm
        starts = {int(s["start"]): n for n, s in enumerate(win.shots)}
        carried, weakened = [], 0
        with win.edits.edit(f"carry shot {shot + 1}'s colours to its scene"):
            for entry in data.get("shots") or []:
                at, raw = int(entry["start"]), entry.get("pick")
                if raw is None or at not in starts or at in win.picks:
                    continue  # another scene; or cut, merged or picked since it was asked
                pick = Pick(
                    key_frame=win.shot_list.key_frame(starts[at]), seed=0, temperature=0.0,
                    k=1, n=0, chroma=str(raw["chroma"]), chroma_size=28, trained=trained,
                    source="carried", reference=f"shot {shot + 1}", crop=crop_of(raw.get("crop")),
                )  # fmt: skip
                if at in pictures:
                    self.keep_picture(pick, pick.key_frame, pictures[at])
                win.picks[at] = pick
                self._mark_shot(starts[at], pictures.get(at))
                carried.append(starts[at] + 1)
                weakened += float(entry.get("strength", 1.0)) < 1.0
        looked = len(data.get("shots") or [])
        said = f"Shot {shot + 1}'s colours carried to {counted(len(carried), 'shot')} of its scene"
        if carried:
            said += f" ({', '.join(map(str, carried[:12]))}{'…' if len(carried) > 12 else ''})"
        if weakened:
            said += f", {weakened} of them only in part (the colours weakened there)"
        if looked > len(carried):
            # they have no pick: an export colours them on their own, as before
            said += f"; {looked - len(carried)} did not match it (another scene): left as they were"
        self.colour.show_error(said + ".")
        self.status.showMessage(said, 8000)
        self.show_pick()
        if carried:
            win.picksChanged.emit()
        win.colourCarried.emit(len(carried))

    def unlock_pick(self) -> None:
        win = self.win
        shot = win.shot_list.shot_at(win.current)
        start = self._shot_start(shot)
        if start not in win.picks:
            return
        with win.edits.edit(f"unlock {self._where(shot)}"):
            del win.picks[start]
        if shot is not None:
            self.strip.set_picked(shot, None)
            thumb = win.shot_list.thumbnail(shot)
            if thumb is not None:
                self.strip.set_thumbnail(shot, thumb, frame=win.shot_list.key_frame(shot))
        self.candidates.set_picked(None)
        self.show_pick()
        win.picksChanged.emit()

    def keep_picture(self, pick: Pick, key_frame: int, picture: QPixmap) -> None:
        """`picture`: frame `key_frame` in `pick`'s colours, as a render colours it now."""
        self.pick_pictures[(id(pick), key_frame)] = (pick, picture)

    def pick_preview(self, start: int, key_frame: int | None = None) -> QPixmap | None:
        """The key frame of the shot starting at `start` (`key_frame`, found when None) in
        its pick's colours, if the window has it: drawn here, or made by the engine since
        (`PickPictures`). A pick given to other shots has a picture of each one's frame."""
        win = self.win
        pick = win.picks.get(start)
        if pick is None:
            return None
        if key_frame is None:
            shot = win.shot_list.shot_at(start) if win.shots else None
            key_frame = win.shot_list.key_frame(shot) if shot is not None else pick.key_frame
        kept = self.pick_pictures.get((id(pick), key_frame))  # made with it, or since
        if kept is not None and kept[0] is pick:
            return kept[1]
        if pick.source in ("reference", "carried", "grey", "tint", "tone") or \
                key_frame != pick.key_frame:  # fmt: skip
            return None
        strength = win.restore_panel.colour_strength()
        for sampled in win.sampled.values():
            if sampled.key_frame == pick.key_frame and sampled.seed == pick.seed and \
                    pick.n < sampled.k and sampled.strength == strength:  # fmt: skip
                return sampled.pixmaps[pick.n]
        return None

    def mark_candidates(self) -> None:
        """The candidates view's mark on the mode picked for its shot, if any (an undo)."""
        sampled = self.candidates.sampled
        if sampled is None or self.win.album.active:
            return
        pick = self.win.picks.get(self._shot_start(self._drawn_for(sampled)))
        same = pick is not None and pick.key_frame == sampled.key_frame and \
            pick.seed == sampled.seed and pick.crop == sampled.crop  # fmt: skip
        self.candidates.set_picked(pick.n if same and pick is not None else None)

    def _hints_on(self, shot: int) -> int:
        s = self.win.shots[shot]
        return len(self.win.hint_editor.store.on_frames(int(s["start"]), int(s["end"])))

    def _mark_shot(self, shot: int, preview: QPixmap | None) -> None:
        if self.win.shots:
            self.strip.set_picked(shot, preview)

    def show_pick(self) -> None:
        """The pick of the shot under the playhead, in the Colour modes panel."""
        shot = self.win.shot_list.shot_at(self.win.current)
        start = self._shot_start(shot)
        self.colour.show_pick(
            self.win.picks.get(start),
            self.pick_preview(start),
            has_sampled=self.sampled_of(shot) is not None,
            crop=self.win.picture_crop(),
        )
        last = shot is None or shot >= len(self.win.shots) - 1  # no shot follows the last
        if last:
            self.colour.apply_button.setVisible(False)
