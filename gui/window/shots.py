"""Shots: finding them, cutting and joining them by hand, moving by shot, and the strip's
thumbnails (one frame request at a time, only while the view waits for nothing; see
`player`)."""

from __future__ import annotations

import bisect
from collections import deque
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QImage, QPixmap

from panchro.engine.service.protocol import Event, Message, Request

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow

THUMB_MAX_SIDE = 160


class ShotList(QObject):
    """Owns the shot strip and the window's `shots`: the detection request and its
    progress, splitting and merging shots (picks follow the shots they belong to), which
    shot a frame is in (`shot_at`), Page Up/Down, and the thumbnails: their queue, their
    one request at a time, and the pixmaps kept (`thumbs`, by key frame).

    Thumbnails are known by the film's frame they show, not by the shot's place in the
    strip: splitting or merging renumbers the shots while a request may be on its way, and
    a frame number means the same before and after (the shots that kept their key frame
    keep their pixmap, and a reply for a key frame no shot has any more is only kept)."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self.strip = win.strip
        self.timeline = win.timeline
        self.status = win.statusBar()
        self._shots_req: int | None = None
        self._survey_req: int | None = None
        self._thumb_queue: deque[int] = deque()  # key frames
        self._thumb_req: tuple[int, int] | None = None  # (request id, key frame)
        self.thumbs: dict[int, QPixmap] = {}  # by key frame
        # whether each key frame is in colour already, as the engine judged it with its
        # thumbnail (a shot nobody picks for keeps its own colours: read with `thumbs`)
        self.judged: dict[int, bool] = {}
        self._thumbs_crop: tuple[int, ...] | None = None  # the crop they were last asked with

    def cancel_detection(self) -> None:
        """Ask the engine to stop finding shots (the film is about to close)."""
        for req in (self._shots_req, self._survey_req):
            if req is not None and req >= 0:
                self.engine.cancel(req)

    def forget_requests(self) -> None:
        """The film is going: replies about its shots and thumbnails are ignored."""
        for req in (self._shots_req, self._survey_req):
            if req is not None and req >= 0:
                self.engine.forget(req)
        if self._thumb_req is not None:
            self.engine.forget(self._thumb_req[0])
        self._shots_req = self._survey_req = None
        self._thumb_req = None
        self._thumb_queue.clear()

    def request_shots(self) -> None:
        """Find the shots of the open film, with progress in the strip."""
        if self.win.film is None:
            return
        self.strip.show_progress(0, None)
        self._shots_req = self.engine.request(
            Request.SHOTS, self._on_shots, on_progress=self._on_shots_progress, film=self.win.film
        )

    def use_shots(self, shots: list[dict[str, Any]]) -> None:
        """Shots known already (a project's) stand in for a detection: the same path
        shows them."""
        self._shots_req = -1
        self._on_shots(Message({"type": Event.RESULT, "id": -1, "data": {"shots": shots}}))
        # No pass over the film: its scratches and dirt are looked for around these shots.
        self.survey_again()

    def survey_again(self) -> None:
        """The faults, borders and levels looked for around the shots' key frames: for shots
        known already (a project's), or the film read with other values (a negative)."""
        if self.win.film is not None and self.win.shots:
            self._survey_req = self.engine.request(
                Request.SURVEY, self._on_survey, film=self.win.film, shots=self.win.shots
            )
            self.win.facts.measuring()

    def _on_survey(self, msg: Message) -> None:
        if msg.id != self._survey_req:
            return
        self._survey_req = None
        if msg.type == Event.RESULT:
            data = msg.body.get("data") or {}
            self.win.facts.set_survey(data.get("survey"))
            if "flicker" in data:  # around the shots' key frames (no pass over the film)
                self.win.facts.set_flicker(data["flicker"])
            if "borders" in data:
                self.win.found_borders(data["borders"])
            if "levels" in data:
                self.win.found_levels(data["levels"], bool(data.get("faded")))
        else:  # nothing measured: said as such, not as still measuring
            self.win.facts.set_flicker(None, measured=False)
            self.win.facts.set_survey(None, measured=False)

    def _on_shots_progress(self, event: dict[str, Any]) -> None:
        total = event.get("total")
        self.strip.show_progress(int(event.get("done") or 0), total if total else None)

    def _on_shots(self, msg: Message) -> None:
        if msg.id != self._shots_req:
            return
        self._shots_req = None
        if msg.type == Event.RESULT:
            data = msg.body.get("data") or {}
            self.set_shots(data.get("shots") or [])
            if "flicker" in data:  # measured by the engine's pass (not for shots handed in)
                self.win.facts.set_flicker(data["flicker"])
            if "survey" in data:
                self.win.facts.set_survey(data["survey"])
            if "borders" in data:
                self.win.found_borders(data["borders"])
            if "levels" in data:
                self.win.found_levels(data["levels"], bool(data.get("faded")))
            n = len(self.win.shots)
            how = "found" if msg.id != -1 else "as the project has them"  # `use_shots`
            self.status.showMessage(f"{n} shot{'s' if n != 1 else ''} {how}", 5000)
        elif msg.type == Event.ERROR:
            self.win.shots_done = True  # nothing more will come; settle without them
            self.strip.show_note(f"Shots could not be found: {msg.body.get('message', '')}")
            self.win.show_error("Shot detection failed", msg)
        elif msg.type == Event.CANCELLED:
            self.strip.show_note("Shot detection was cancelled.")
        self.win.check_settled()

    def show_again(self) -> None:
        """The strip drawn again for the film read again (its rate may differ now: the shots'
        times with it), the thumbnails asked for again."""
        self.set_shots(self.win.shots)

    def set_shots(self, shots: list[dict[str, Any]]) -> None:
        """The strip, the timeline's marks and the picks' marks drawn for `shots`."""
        win = self.win
        win.shots = sorted(shots, key=lambda s: int(s["start"]))
        win.shots_done = True
        width, height = win.info.get("width") or 16, win.info.get("height") or 9
        aspect = float(width) / float(height or 1)
        self.strip.set_shots(win.shots, win.fps, aspect, win.info.get("timecode"))
        self.timeline.slider.set_marks([int(s["start"]) for s in win.shots])
        for n, shot in enumerate(win.shots):
            if int(shot["start"]) in win.picks:
                preview = win.colour_picks.pick_preview(int(shot["start"]), self.key_frame(n))
                self.strip.set_picked(n, preview or QPixmap())
        win.player.show_position()
        self.queue_missing_thumbnails()
        win.pick_pictures.fill()  # a split's new part: its own frame in the pick's colours

    def split_shot(self) -> None:
        """Cut the current shot at the current frame (a cut the detector missed). The new
        second part keeps the shot's pick: it is the same scene until someone picks again."""
        win = self.win
        n = self.shot_at(win.current)
        if n is None or int(win.shots[n]["start"]) == win.current:
            self.status.showMessage("A shot starts here already", 4000)
            return
        shot = win.shots[n]
        start, end, cut = int(shot["start"]), int(shot["end"]), win.current
        key = int(shot.get("key_frame", start))
        first = {"start": start, "end": cut, "key_frame": key if key < cut else (start + cut) // 2}
        second = {"start": cut, "end": end, "key_frame": key if key >= cut else (cut + end) // 2}
        if shot.get("off"):  # both parts leave out what the shot did
            first["off"] = second["off"] = list(shot["off"])
        with win.edits.edit(f"split shot {n + 1}"):
            if start in win.picks:
                win.picks[cut] = win.picks[start]
            self.set_shots([*win.shots[:n], first, second, *win.shots[n + 1 :]])
        self.status.showMessage(f"Shot {n + 1} split at frame {cut + 1}", 4000)
        win.projects.mark_dirty()

    def merge_shot(self) -> None:
        """Join the current shot to the one before it (a cut that is not one); the earlier
        shot's pick, if any, covers both."""
        win = self.win
        n = self.shot_at(win.current)
        if n is None or n == 0:
            self.status.showMessage("No shot before this one to merge with", 4000)
            return
        before, this = win.shots[n - 1], win.shots[n]
        with win.edits.edit(f"merge shots {n} and {n + 1}"):
            gone = win.picks.pop(int(this["start"]), None)
            if int(before["start"]) not in win.picks and gone is not None:
                win.picks[int(before["start"])] = gone
            merged = {**before, "end": int(this["end"])}
            # a stage is left out of the joined shot only if both left it out
            off = sorted(set(before.get("off") or ()) & set(this.get("off") or ()))
            merged.pop("off", None)
            if off:
                merged["off"] = off
            self.set_shots([*win.shots[: n - 1], merged, *win.shots[n + 1 :]])
        self.status.showMessage(f"Shots {n} and {n + 1} merged", 4000)
        win.projects.mark_dirty()

    def leave_out(self, stage: str, left_out: bool) -> None:
        """The shot under the playhead leaves `stage` out (or has it again): one edit."""
        from panchro.gui.facts import LEAVE_OUT

        win = self.win
        n = self.shot_at(win.current)
        if n is None:
            return
        shot = win.shots[n]
        off = set(shot.get("off") or ())
        if (stage in off) == left_out:
            return
        off = off | {stage} if left_out else off - {stage}
        changed = {k: v for k, v in shot.items() if k != "off"}
        if off:
            changed["off"] = sorted(off)
        label = next(lbl for name, lbl, _ in LEAVE_OUT if name == stage).lower()
        if left_out:
            text = f"leave {label} out of shot {n + 1}"
        else:
            text = f"give shot {n + 1} its {label} again"
        with win.edits.edit(text):
            self.set_shots([*win.shots[:n], changed, *win.shots[n + 1 :]])
        self.status.showMessage(text[0].upper() + text[1:], 4000)
        win.projects.mark_dirty()

    def shot_at(self, index: int) -> int | None:
        if not self.win.shots:
            return None
        starts = [int(s["start"]) for s in self.win.shots]
        n = bisect.bisect_right(starts, index) - 1
        return n if n >= 0 else None

    def go_to_shot(self, shot: int) -> None:
        if 0 <= shot < len(self.win.shots):
            self.win.player.seek(int(self.win.shots[shot]["start"]))

    def step_shot(self, delta: int) -> None:
        win = self.win
        if not win.shots:
            return
        here = self.shot_at(win.current)
        if here is None:
            target = 0
        elif delta < 0 and win.current > int(win.shots[here]["start"]):
            target = here  # first back to the start of this shot, as players do
        else:
            target = here + delta
        self.go_to_shot(max(0, min(target, len(win.shots) - 1)))

    def step_unpicked(self, delta: int) -> None:
        """The next (+1) or previous (-1) shot with no colours chosen for it: on a long film,
        what is left to do."""
        win = self.win
        if not win.shots:
            self.status.showMessage("Open a film first: its shots are found as it opens", 5000)
            return
        here = self.shot_at(win.current)
        order = range(len(win.shots)) if here is None else (
            range(here + 1, len(win.shots)) if delta > 0 else range(here - 1, -1, -1))  # fmt: skip
        without = [self._without_colours(n) for n in range(len(win.shots))]
        for n in order:
            if without[n]:
                self.go_to_shot(n)
                self.status.showMessage(
                    f"Shot {n + 1}: no colours chosen ({sum(without)} of {len(win.shots)} "
                    "shots without)",
                    5000,
                )
                return
        way = "after" if delta > 0 else "before"
        left = sum(1 for n in range(len(win.shots)) if without[n] and n != here)
        mine = here is not None and without[here]
        if left:
            said = f" ({left} {'before' if delta > 0 else 'after'} it)"
        else:
            said = ": only this one is without" if mine else ": every shot has its colours"
        self.status.showMessage(f"No shot {way} this one is without colours{said}", 5000)

    def _without_colours(self, n: int) -> bool:
        """Whether shot `n` has no colours chosen: no pick, and no hint on it (a shot its
        hints alone colour has its colours), nor in colour already (its modes drawn said so:
        it keeps its own)."""
        shot = self.win.shots[n]
        start, end = int(shot["start"]), int(shot["end"])
        if start in self.win.picks or self.win.hint_editor.store.on_frames(start, end):
            return False
        key = self.key_frame(n)
        if key in self.thumbs and self.judged.get(key):
            return False
        drawn = self.win.colour_picks.sampled_of(n)
        return drawn is None or not drawn.in_colour

    # --- thumbnails -------------------------------------------------------------------

    def thumbnails_pending(self) -> bool:
        return self._thumb_req is not None or bool(self._thumb_queue)

    def key_frame(self, shot: int) -> int:
        """The frame that stands for shot `shot` (its thumbnail and colour modes)."""
        entry = self.win.shots[shot]
        return int(entry.get("key_frame", entry["start"]))

    def thumbnail(self, shot: int) -> QPixmap | None:
        """Shot `shot`'s thumbnail, if it came."""
        if not 0 <= shot < len(self.win.shots):
            return None
        return self.thumbs.get(self.key_frame(shot))

    def queue_missing_thumbnails(self) -> None:
        missing: list[int] = []
        for n in range(len(self.win.shots)):
            key = self.key_frame(n)
            if key in self.thumbs:
                start = int(self.win.shots[n]["start"])
                if self.win.colour_picks.pick_preview(start, key) is None:
                    self.strip.set_thumbnail(n, self.thumbs[key], frame=key)  # a pick shows its own
            elif key not in missing and (self._thumb_req is None or self._thumb_req[1] != key):
                missing.append(key)
        self._thumb_queue = deque(missing)
        self.pump_thumbnails()
        self.win.check_settled()

    def crop_changed(self) -> None:
        """The picture's crop changed: every thumbnail asked for again inside it, the old one
        on show until its new one comes, so that which shots are in colour is judged of the
        picture the colours are made for."""
        crop = self.win.picture_crop()
        if crop == self._thumbs_crop or self.win.film is None:
            return
        self._thumbs_crop = crop
        keys = dict.fromkeys(self.key_frame(n) for n in range(len(self.win.shots)))
        self._thumb_queue = deque(keys)
        self.pump_thumbnails()

    def pump_thumbnails(self) -> None:
        # One at a time, and only while the view waits for nothing: any frame
        # request supersedes a queued one for the same film.
        win = self.win
        if win.film is None or self._thumb_req is not None or win.player.frame_pending:
            return
        if not self._thumb_queue:
            return
        key = self._thumb_queue.popleft()
        self._thumbs_crop = win.picture_crop()
        rid = self.engine.request(
            Request.FRAME,
            self._on_thumbnail,
            film=win.film,
            index=key,
            max_side=round(THUMB_MAX_SIDE * self.strip.devicePixelRatioF()),  # sharp on HiDPI
            blob_type="image/jpeg",
            judge=True,
            **({} if (crop := win.picture_crop()) is None else {"crop": list(crop)}),
        )
        self._thumb_req = (rid, key)

    def _on_thumbnail(self, msg: Message) -> None:
        if self._thumb_req is None or msg.id != self._thumb_req[0]:
            return
        key = self._thumb_req[1]
        self._thumb_req = None
        shots = [n for n in range(len(self.win.shots)) if self.key_frame(n) == key]
        if msg.type == Event.RESULT:
            image = QImage.fromData(msg.blob)
            if not image.isNull():
                pixmap = QPixmap.fromImage(image)
                self.thumbs[key] = pixmap
                self.judged[key] = bool((msg.body.get("data") or {}).get("in_colour"))
                for n in shots:
                    self.strip.set_in_colour(n, self.judged[key])
                    start = int(self.win.shots[n]["start"])
                    # a pick shows its own
                    if self.win.colour_picks.pick_preview(start, key) is None:
                        self.strip.set_thumbnail(n, pixmap, frame=key)
        elif msg.type == Event.SUPERSEDED and shots:
            self._thumb_queue.appendleft(key)  # the view's frame came first; ask again later
        # An error leaves the grey placeholder; the shot itself still works.
        self.pump_thumbnails()
        self.win.check_settled()
