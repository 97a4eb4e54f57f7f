"""The film view: the frame shown, moving through the film, and playing it (J/K/L).

Frames: the big view and the shot thumbnails (`shots`) both go through `frame`
requests, and the engine answers a queued frame request "superseded" when a
newer one for the same film arrives. So the view's request is always the
newest one sent, and thumbnails go one at a time, only while the view waits
for nothing; a thumbnail that got superseded anyway goes back in the queue.
A reply whose id is not the latest one asked for is dropped.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QImage, QPixmap

from panchro.engine.service.protocol import Event, Message, Request

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow

PREVIEW_SIDE_STEP = 128  # preview sizes snap to this, so a resize re-asks only now and then


class Player(QObject):
    """Owns the frame view and the timeline: the one request for the frame in the view
    (`request_frame`; a newer one makes older replies stale) and the frame it shows
    (`displayed`), seeking and stepping, the playback clock (`rate`), the size previews
    are asked at, and the position shown in the timeline, shot strip and shot panel.
    `show_film` brings the view back to the front of the stage."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self.view = win.view
        self.stage = win.stage
        self.timeline = win.timeline
        self.strip = win.strip
        self.shot_panel = win.shot_panel
        self.displayed: int | None = None  # index of the frame in the view
        self._frame_req: int | None = None
        self._frame_side = 0
        # Playback: a clock, not a frame counter. Each tick asks for the frame that is due
        # now; while a frame is on its way, ticks ask for nothing, so a slow engine drops
        # frames instead of falling behind.
        self.rate = 0.0  # frames of film per frame of real time; 0 is paused, < 0 backwards
        self._play_origin = (0.0, 0)  # (monotonic seconds, frame index) when play began
        self._play_timer = QTimer(self, interval=10)
        self._play_timer.timeout.connect(self._play_tick)
        self._resize_timer = QTimer(self, singleShot=True, interval=150)
        self._resize_timer.timeout.connect(self._maybe_refresh_for_size)
        self.view.installEventFilter(self)

    def forget_requests(self) -> None:
        """The film is going: its frame reply, if one comes, is ignored."""
        if self._frame_req is not None:
            self.engine.forget(self._frame_req)
        self._frame_req = None

    @property
    def frame_pending(self) -> bool:
        """A frame for the view is on its way."""
        return self._frame_req is not None

    def one_second(self) -> int:
        return max(1, round(self.win.fps))

    def seek(self, index: int) -> None:
        """Show frame `index` (clamped to the film)."""
        win = self.win
        if win.film is None and not win.info:
            return
        index = max(0, min(index, win.frame_count - 1))
        self.timeline.slider.setValue(index)  # -> on_slider when it changes
        if index != win.current:
            self.on_slider(index)

    def step(self, delta: int) -> None:
        self.seek(self.win.current + delta)

    def show_film(self) -> None:
        self.stage.setCurrentWidget(self.view)

    # --- playback ---------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        return self.rate != 0.0

    def play(self, rate: float = 1.0) -> None:
        win = self.win
        if win.film is None or win.frame_count < 2 or rate == 0:
            return
        if rate > 0 and win.current >= win.frame_count - 1:
            self.seek(0)  # play from the start again, as players do at the end
        self.rate = rate
        self._play_origin = (time.monotonic(), win.current)
        self.show_film()
        self.timeline.set_playing(True)
        self._play_timer.start()

    def pause(self) -> None:
        if not self.playing:
            return
        self.rate = 0.0
        self._play_timer.stop()
        self.timeline.set_playing(False)

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play(1.0)

    def shuttle(self, direction: int) -> None:
        """J/L: play that way; pressed again while playing that way, twice as fast (to 8x)."""
        if self.playing and (self.rate > 0) == (direction > 0):
            self.play(max(-8.0, min(8.0, self.rate * 2)))
        else:
            self.play(float(direction))

    def _play_tick(self) -> None:
        if not self.playing or self.win.film is None:
            return
        t0, f0 = self._play_origin
        due = f0 + int((time.monotonic() - t0) * self.win.fps * self.rate)
        last = self.win.frame_count - 1
        # the end it plays towards stops it; the one behind it is where it began (frame 0)
        if (self.rate > 0 and due >= last) or (self.rate < 0 and due <= 0):
            due = max(0, min(due, last))
            self._playing_to(due)
            self.pause()
            return
        if self._frame_req is None and due != self.win.current:
            self._playing_to(due)

    def _playing_to(self, index: int) -> None:
        self.timeline.slider.blockSignals(True)
        self.timeline.slider.setValue(index)
        self.timeline.slider.blockSignals(False)
        if index != self.win.current:
            self.win.current = index
            self.show_position()
            self.request_frame()

    def on_slider(self, value: int) -> None:
        if value == self.win.current and self.displayed == value:
            return
        self.win.current = value
        self.pause()  # a person moving the playhead takes over from playback
        self.show_film()  # moving through the film means looking at it
        self.show_position()
        self.request_frame()

    def show_position(self, seconds: float | None = None) -> None:
        """The playhead in the timeline, the shot it is in, and that shot's pick."""
        win = self.win
        t = win.current / win.fps if seconds is None else seconds
        own = win.info.get("timecode")
        self.timeline.show_position(win.current, win.frame_count, t, win.fps, own)
        shot = win.shot_list.shot_at(win.current)
        self.strip.set_current(shot)
        self.shot_panel.show_shot(
            shot, len(win.shots), win.shots[shot] if shot is not None else None, win.fps
        )
        win.colour_picks.show_pick()

    # --- frames -----------------------------------------------------------------------

    def preview_side(self) -> int:
        """The longest side to ask previews at: the view's, on a coarse grid."""
        ratio = self.view.devicePixelRatioF()
        side = max(self.view.width(), self.view.height()) * ratio
        step = PREVIEW_SIDE_STEP
        return int(max(step, min(1920, -(-side // step) * step)))

    def request_frame(self) -> None:
        """Ask for the current frame for the view; a newer ask makes older replies stale."""
        if self.win.film is None:
            return
        if self._frame_req is not None:
            self.engine.forget(self._frame_req)
        self._frame_side = self.preview_side()
        self._frame_req = self.engine.request(
            Request.FRAME,
            self._on_frame,
            film=self.win.film,
            index=self.win.current,
            max_side=self._frame_side,
            blob_type="image/jpeg",
        )

    def _on_frame(self, msg: Message) -> None:
        if msg.id != self._frame_req:
            return  # stale: the person has scrubbed on
        self._frame_req = None
        win = self.win
        if msg.type == Event.RESULT:
            data = msg.body.get("data") or {}
            image = QImage.fromData(msg.blob)
            if image.isNull():
                win.statusBar().showMessage("The engine sent a frame that cannot be shown", 8000)
            else:
                index = int(data.get("index", win.current))
                self.displayed = index
                self.view.set_frame(QPixmap.fromImage(image), index)
                if index == win.current and isinstance(data.get("time_s"), int | float):
                    self.show_position(float(data["time_s"]))
                if data.get("damaged"):
                    win.statusBar().showMessage(
                        f"Frame {index + 1} is damaged and does not decode: the frame before it"
                        " is shown, as the export will have it",
                        8000,
                    )
                win.frameShown.emit(index)
        elif msg.type == Event.ERROR:
            win.show_error("Could not show frame", msg)
        win.shot_list.pump_thumbnails()
        win.check_settled()

    def _maybe_refresh_for_size(self) -> None:
        if self.win.film is not None and self.preview_side() > self._frame_side:
            self.request_frame()

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802
        if watched is self.view and event.type() == event.Type.Resize:
            self._resize_timer.start()
        return super().eventFilter(watched, event)
