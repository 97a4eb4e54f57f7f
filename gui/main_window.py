"""The main window: open a film, look at its frames, see its shots and what it is.

The window is the controller: it owns the `EngineProcess`, turns a person's
actions into requests, and shows the replies in the parts from `widgets`.

Frames: the big view and the shot thumbnails both go through `frame`
requests, and the engine answers a queued frame request "superseded" when a
newer one for the same film arrives. So the view's request is always the
newest one sent, and thumbnails go one at a time, only while the view waits
for nothing; a thumbnail that got superseded anyway goes back in the queue.
A reply whose id is not the latest one asked for is dropped.
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QProcess, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QImage,
    QKeySequence,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFileDialog,
    QFrame,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from panchro.engine import __version__
from panchro.engine.service.protocol import ErrorCode, Event, Message, Request
from panchro.gui import timecode as tc
from panchro.gui.colour_modes import (
    CandidatesView,
    ColourModesPanel,
    Pick,
    Sampled,
    parse_sampled,
    shot_label,
)
from panchro.gui.engine_process import (
    FAILED,
    READY,
    RESTARTING,
    STARTING,
    EngineProcess,
    describe_device,
    self_test_command,
)
from panchro.gui.restore import CompareView, RestorePanel, codec_suffix
from panchro.gui.theme import THEME_LABELS, THEMES, apply_theme, current_theme, save_theme
from panchro.gui.widgets import (
    FactsPanel,
    FrameView,
    MessageBar,
    ShotPanel,
    ShotStrip,
    Timeline,
    describe_models,
    truncation_warning,
)

APP_NAME = "Panchro"
VIDEO_SUFFIXES = ("mp4", "mkv", "mov", "avi", "webm", "m4v", "mpg", "mpeg", "mts", "m2ts", "ts")
VIDEO_SUFFIXES += ("wmv", "flv", "ogv", "mxf", "dv", "3gp")
IMAGE_SUFFIXES = ("png", "tif", "tiff", "jpg", "jpeg", "dpx", "exr", "bmp", "webp")
THUMB_MAX_SIDE = 160
PREVIEW_SIDE_STEP = 128  # preview sizes snap to this, so a resize re-asks only now and then


def _file_filter() -> str:
    films = " ".join(f"*.{s}" for s in VIDEO_SUFFIXES)
    images = " ".join(f"*.{s}" for s in IMAGE_SUFFIXES)
    return (
        f"Films, images and projects ({films} {images} *.panchro);;Video files ({films});;"
        f"Images ({images});;Panchro projects (*.panchro);;All files (*)"
    )


def app_icon() -> QIcon:
    """The icon shipped in panchro.resources/icons (found the same way when installed)."""
    from importlib.resources import files

    try:
        path = files("panchro.resources") / "icons" / "panchro.svg"
        return QIcon(str(path)) if path.is_file() else QIcon()
    except (ModuleNotFoundError, OSError):
        return QIcon()


def on_triggered(action: QAction, slot: Callable[[], object]) -> None:
    """Run `slot()` when `action` is triggered, without the signal's `checked` argument.

    PySide hands `checked` to any slot that can take an argument, so a slot with an
    optional parameter got it as data: Export… called `export(output=False)` and Save
    project as… sent `project_path=False` to the engine (issue 15). Every action of the
    window is connected through here.
    """
    action.triggered.connect(lambda *_: slot())


class _KeysForFocusedControls(QObject):
    """Space and Enter work a focused button, box or list, as keyboard users expect.

    The window's one-key shortcuts (Space plays) would otherwise take Space away
    from every button and combo box reached with Tab, and a push button outside a
    dialog ignores Enter: this filter gives the key to the control instead.
    """

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        if not isinstance(watched, QAbstractButton | QComboBox):
            return False
        if watched.window() is not self._window:
            return False
        key = event.key()  # type: ignore[attr-defined]
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:  # type: ignore[attr-defined]
            return False
        if kind == QEvent.Type.ShortcutOverride:
            if key == Qt.Key.Key_Space:
                event.accept()  # the control, not the Play shortcut, gets this Space
            return False
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(watched, QAbstractButton):
            watched.animateClick()
            return True
        return False


class _WheelOnlyWhenFocused(QObject):
    """Spin boxes and combo boxes of the window take the mouse wheel only when focused.

    Scrolling the side panel changed whatever box passed under the pointer (Clean up
    0.00 -> 0.10, Enlarge x1 -> x2; issue 15). An ignored wheel event goes on to the
    box's parents, so the scroll area scrolls instead.
    """

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.Wheel:
            return False
        if not isinstance(watched, QAbstractSpinBox | QComboBox) or watched.hasFocus():
            return False
        if watched.window() is not self._window:
            return False
        event.ignore()
        return True


class MainWindow(QMainWindow):
    """Panchro's window. `settled` fires once an opened film shows a frame and all its
    shots with thumbnails (or the shots failed): the point where a screenshot says it all."""

    settled = Signal()
    frameShown = Signal(int)
    colourModesShown = Signal(int)
    picksChanged = Signal()
    compareShown = Signal()
    jobFinished = Signal(str, dict)  # kind ("export" | "preview"), the engine's summary
    jobFailed = Signal(str, str)  # kind, message
    projectSaved = Signal(str)
    projectLoaded = Signal(str)
    openFailed = Signal(str)

    def __init__(self, engine: EngineProcess | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.engine = engine or EngineProcess(self)
        if self.engine.parent() is None:
            self.engine.setParent(self)

        # What is open, as the engine knows it (film handle) and as a person chose it.
        self.film_path: str | None = None
        self.film_fps: float | None = None  # the rate a person gave for a frame folder
        self.film: int | None = None
        self.info: dict[str, Any] = {}
        self.shots: list[dict[str, Any]] = []
        self.shots_done = False
        self.current = 0
        self.displayed: int | None = None  # index of the frame in the view
        self._open_req: int | None = None
        self._frame_req: int | None = None
        self._frame_side = 0
        self._shots_req: int | None = None
        self._thumb_queue: deque[int] = deque()
        self._thumb_req: tuple[int, int] | None = None  # (request id, shot)
        self._thumbs: dict[int, QPixmap] = {}
        self._settled_sent = False
        self._restart_reason = ""
        # Colour choices, by shot start frame (stable while shots are re-found): what was
        # drawn, and what was picked. Both live here, not in the engine, so an engine
        # restart loses neither.
        self.sampled: dict[int, Sampled] = {}
        self.picks: dict[int, Pick] = {}
        self._sample_req: int | None = None
        self._sample_shot: int | None = None
        self._compare_req: int | None = None
        self._job_req: int | None = None
        self._job_kind = ""
        self._job_output = ""
        self.project_path: str | None = None
        self.dirty = False  # picks or settings changed since the project was saved
        self.confirm_discard = True  # ask before unsaved picks are lost (tests turn it off)
        self._pending_project: dict[str, Any] | None = None  # loaded, waiting for its film
        # Playback: a clock, not a frame counter. Each tick asks for the frame that is due
        # now; while a frame is on its way, ticks ask for nothing, so a slow engine drops
        # frames instead of falling behind.
        self.rate = 0.0  # frames of film per frame of real time; 0 is paused, < 0 backwards
        self._play_origin = (0.0, 0)  # (monotonic seconds, frame index) when play began
        self._play_timer = QTimer(self, interval=10)
        self._play_timer.timeout.connect(self._play_tick)

        self._build_ui()
        self._build_actions()
        self._resize_timer = QTimer(self, singleShot=True, interval=150)
        self._resize_timer.timeout.connect(self._maybe_refresh_for_size)

        self.engine.stateChanged.connect(self._on_engine_state)
        self.engine.ready.connect(self._on_engine_ready)
        self.engine.engineDied.connect(self._on_engine_died)
        self.engine.logReceived.connect(self._on_engine_log)
        self.engine.start()

    # --- building ----------------------------------------------------------------------

    def _build_ui(self) -> None:
        self._side_viewport: QWidget | None = None  # set below; events come before it is
        self.message_bar = MessageBar()
        self.view = FrameView()
        self.view.clear("Open a film (Ctrl+O), a folder of frames, or drop one here.")
        self.view.installEventFilter(self)
        self._keys = _KeysForFocusedControls(self)
        self._shortcuts: QMessageBox | None = None
        QApplication.instance().installEventFilter(self._keys)
        self.timeline = Timeline()
        self.strip = ShotStrip()

        player = QWidget()
        left = QVBoxLayout(player)
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(2)
        self.candidates = CandidatesView()
        self.stage = QStackedWidget()
        self.stage.addWidget(self.view)
        self.stage.addWidget(self.candidates)
        self.compare = CompareView()
        self.stage.addWidget(self.compare)
        left.addWidget(self.message_bar)
        left.addWidget(self.stage, 1)
        left.addWidget(self.timeline)
        left.addWidget(self.strip)

        self.facts = FactsPanel()
        self.shot_panel = ShotPanel()
        self.colour = ColourModesPanel()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.facts)
        side_layout.addWidget(self.shot_panel)
        side_layout.addWidget(self.colour)
        side_layout.addStretch(1)
        side_scroll = QScrollArea()
        side_scroll.setWidget(side)
        side_scroll.setWidgetResizable(True)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.side_scroll = side_scroll
        # Restore stays below the scrolling part: Export… and an export's progress and
        # Cancel are in sight at any window size (at 1280 x 800 they were scrolled away).
        # It has the edges of the panels above it: their margins, and on the right the
        # scroll bar's width too while the panels scroll (`_line_up_restore`).
        self.restore_panel = RestorePanel()
        restore_box = QWidget()
        self._restore_margins = QVBoxLayout(restore_box)
        self._restore_margins.addWidget(self.restore_panel)
        self._side_margins = side_layout.contentsMargins()
        column = QWidget()
        column.setMinimumWidth(300)
        column_layout = QVBoxLayout(column)
        column_layout.setContentsMargins(0, 0, 0, 0)
        column_layout.setSpacing(0)
        column_layout.addWidget(side_scroll, 1)
        column_layout.addWidget(restore_box)
        self.side_column = column
        self._side_viewport = side_scroll.viewport()
        self._side_viewport.installEventFilter(self)  # resized: a scroll bar came or went
        self._line_up_restore()

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(player)
        self.splitter.addWidget(column)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        self.setCentralWidget(self.splitter)
        self.splitter.setSizes([960, 360])

        self.engine_label = QLabel()
        self.models_label = QLabel()
        # While a film cut short is open, the status bar says so (the bar above the picture
        # can be dismissed; this stays).
        self.cut_short_label = QLabel()
        self.cut_short_label.hide()
        self.statusBar().addPermanentWidget(self.cut_short_label)
        self.statusBar().addPermanentWidget(self.models_label)
        self.statusBar().addPermanentWidget(self.engine_label)

        self.timeline.slider.valueChanged.connect(self._on_slider)
        self.timeline.prev_frame.clicked.connect(lambda: self.step(-1))
        self.timeline.next_frame.clicked.connect(lambda: self.step(1))
        self.timeline.prev_shot.clicked.connect(lambda: self.step_shot(-1))
        self.timeline.next_shot.clicked.connect(lambda: self.step_shot(1))
        self.timeline.play.clicked.connect(self.toggle_play)
        self.strip.shotClicked.connect(self.go_to_shot)
        self.shot_panel.keyFrameRequested.connect(self.seek)
        self.colour.sampleRequested.connect(self._sample_colour_modes)
        self.colour.showRequested.connect(self.show_candidates)
        self.colour.applyForwardRequested.connect(self.apply_pick_forward)
        self.colour.unlockRequested.connect(self.unlock_pick)
        self.candidates.picked.connect(self.pick_candidate)
        self.candidates.closed.connect(self.show_film)
        self.compare.closed.connect(self.show_film)
        self.restore_panel.compareRequested.connect(self.compare_frame)
        self.restore_panel.exportRequested.connect(self.export)
        self.restore_panel.previewRequested.connect(self.render_preview)
        self.restore_panel.cancelRequested.connect(self.cancel_job)
        self.restore_panel.settingsChanged.connect(self._mark_dirty)
        self.picksChanged.connect(self._mark_dirty)
        # A wheel passing over a box scrolls the panel instead of changing the value; a click
        # or Tab gives the box the focus, and the wheel with it (`_WheelOnlyWhenFocused`).
        for box in self.findChildren(QAbstractSpinBox) + self.findChildren(QComboBox):
            box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._wheel = _WheelOnlyWhenFocused(self)
        QApplication.instance().installEventFilter(self._wheel)

    def _build_actions(self) -> None:
        def action(text: str, keys: Any, slot: Any, menu: Any = None, tip: str = "") -> QAction:
            a = QAction(text, self)
            if keys:
                a.setShortcuts(keys if isinstance(keys, list) else [QKeySequence(keys)])
            on_triggered(a, slot)
            if tip:
                a.setStatusTip(tip)
            self.addAction(a)  # shortcuts work even with the menu bar hidden
            if menu is not None:
                menu.addAction(a)
            return a

        file_menu = self.menuBar().addMenu("&File")
        self.open_action = action(
            "&Open film or image…", QKeySequence.StandardKey.Open, self.choose_film, file_menu
        )
        self.open_folder_action = action(
            "Open &folder of frames…", "Ctrl+Shift+O", self.choose_folder, file_menu
        )
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        action("&Save project", QKeySequence.StandardKey.Save, self.save_project, file_menu)
        action("Save project &as…", QKeySequence.StandardKey.SaveAs, self.save_project_as,
               file_menu)  # fmt: skip
        action("&Export…", "Ctrl+E", self.export, file_menu)
        file_menu.addSeparator()
        action("&Quit", QKeySequence.StandardKey.Quit, self.close, file_menu)

        go = self.menuBar().addMenu("&Go")
        action("Play / pause", Qt.Key.Key_Space, self.toggle_play, go)
        action("Play backwards (J; again: faster)", Qt.Key.Key_J, lambda: self.shuttle(-1), go)
        action("Pause (K)", Qt.Key.Key_K, self.pause, go)
        action("Play (L; again: faster)", Qt.Key.Key_L, lambda: self.shuttle(1), go)
        go.addSeparator()
        action("Previous frame", Qt.Key.Key_Left, lambda: self.step(-1), go)
        action("Next frame", Qt.Key.Key_Right, lambda: self.step(1), go)
        action("Back one second", "Shift+Left", lambda: self.step(-self._one_second()), go)
        action("Forward one second", "Shift+Right", lambda: self.step(self._one_second()), go)
        action("First frame", Qt.Key.Key_Home, lambda: self.seek(0), go)
        action("Last frame", Qt.Key.Key_End, lambda: self.seek(self.frame_count - 1), go)
        go.addSeparator()
        action("Previous shot", Qt.Key.Key_PageUp, lambda: self.step_shot(-1), go)
        action("Next shot", Qt.Key.Key_PageDown, lambda: self.step_shot(1), go)
        go.addSeparator()
        action("&Split shot at this frame", "S", self.split_shot, go)
        action("&Merge shot with the one before", "Shift+S", self.merge_shot, go)

        colour = self.menuBar().addMenu("&Colour")
        action("&Sample colour modes", "C", self._sample_colour_modes, colour)
        action("Show colour &modes", "M", self.show_candidates, colour)
        action("Back to the &film", None, self.show_film, colour)
        action("&Compare before | after", "V", self.compare_frame, colour)

        view = self.menuBar().addMenu("&View")
        theme_menu = view.addMenu("&Theme")
        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for name in THEMES:
            a = QAction(THEME_LABELS[name], self, checkable=True)
            a.setChecked(name == current_theme())
            on_triggered(a, lambda name=name: self.set_theme(name))
            group.addAction(a)
            theme_menu.addAction(a)
            self.theme_actions[name] = a

        help_menu = self.menuBar().addMenu("&Help")
        action("&Keyboard shortcuts", "F1", self.show_shortcuts, help_menu)
        action("Run &self-test", None, self.run_self_test, help_menu)
        action("Open &log folder", None, self.open_log_folder, help_menu)
        action("&About Panchro", None, self._about, help_menu)

    def set_theme(self, theme: str) -> None:
        """Light, dark or the system's, now and at the next start."""
        apply_theme(QApplication.instance(), theme)  # type: ignore[arg-type]
        save_theme(theme)
        self.theme_actions[theme].setChecked(True)

    # --- recent files -------------------------------------------------------------------

    RECENT_MAX = 10

    def recent_files(self) -> list[str]:
        """Recently opened films and projects, newest first, those still on disk."""
        import json

        from panchro.engine.paths import recent_files_file

        try:
            items = json.loads(recent_files_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(items, list):
            return []
        return [p for p in items if isinstance(p, str) and Path(p).exists()][: self.RECENT_MAX]

    def _remember(self, path: str) -> None:
        import json
        import os

        from panchro.engine.paths import recent_files_file

        items = [path] + [p for p in self.recent_files() if p != path]
        target = recent_files_file()
        tmp = target.with_name(target.name + ".tmp")
        try:
            tmp.write_text(json.dumps(items[: self.RECENT_MAX], indent=1), encoding="utf-8")
            os.replace(tmp, target)  # never a half-written list
        except OSError:
            pass  # a read-only home loses the list, not the film

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        items = self.recent_files()
        if not items:
            none = self.recent_menu.addAction("(none yet)")
            none.setEnabled(False)
            return
        for n, path in enumerate(items):
            label = f"&{n + 1} {Path(path).name}" if n < 9 else Path(path).name
            act = self.recent_menu.addAction(label)
            act.setToolTip(path)
            on_triggered(act, lambda p=path: self.open_any(p))

    # --- opening ----------------------------------------------------------------------

    def choose_film(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a film, an image or a project", self._start_dir(), _file_filter()
        )
        if path:
            self.open_any(path)

    def open_any(self, path: str | Path) -> None:
        """A .panchro project, or else a film, a folder of frames or an image."""
        if str(path).endswith(".panchro"):
            self.open_project(path)
        else:
            self.open_film(path)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open a folder of scanned frames", self._start_dir()
        )
        if not folder:
            return
        fps, ok = QInputDialog.getDouble(
            self, "Frame rate", "Frames per second of this sequence:", 24.0, 1.0, 300.0, 3
        )
        if ok:
            self.open_film(folder, fps=fps)

    def _start_dir(self) -> str:
        return str(Path(self.film_path).parent) if self.film_path else str(Path.home())

    def open_film(
        self, path: str | Path, fps: float | None = None, *, project: dict | None = None
    ) -> None:
        """Open `path` (a film, a folder of frames or an image); replaces what was open.
        `project`: a loaded project whose shots and picks apply once the film is open."""
        if project is None and not self.maybe_keep_changes():
            return
        self.pause()
        self._forget_film(close_in_engine=True)
        self._pending_project = project
        self.project_path = project.get("project_path") if project else None
        self.film_path = str(Path(path).expanduser().absolute())
        self.film_fps = fps
        self.current = 0
        self.displayed = None
        self.info = {}  # empty until opened; a reopen after a restart keeps it
        self.shots, self.shots_done = [], False
        self._thumbs.clear()
        self.sampled.clear()
        self.picks.clear()
        self.dirty = False
        self.show_film()
        self._show_pick()
        self._settled_sent = False
        self.facts.clear()
        self.shot_panel.show_shot(None, 0, None, 0.0)
        self.strip.show_note("Opening…")
        self.timeline.clear()
        self.view.clear(f"Opening {Path(self.film_path).name}…")
        self.setWindowTitle(f"{APP_NAME} — {Path(self.film_path).name}")
        self.message_bar.hide()
        self.cut_short_label.hide()
        if self.engine.is_ready():
            self._send_open()
        # Otherwise `_on_engine_ready` sends it.

    def _send_open(self) -> None:
        assert self.film_path is not None
        params: dict[str, Any] = {"path": self.film_path}
        if self.film_fps:
            params["fps"] = self.film_fps
        self._open_req = self.engine.request(Request.OPEN, self._on_opened, **params)

    def _forget_film(self, *, close_in_engine: bool) -> None:
        """Drop every request about the current film; its replies will be ignored."""
        if close_in_engine and self.film is not None and self.engine.is_ready():
            if self._shots_req is not None:
                self.engine.cancel(self._shots_req)
            self.engine.request(Request.CLOSE, film=self.film)
        if self._job_req is not None and close_in_engine:
            self.engine.cancel(self._job_req)
        for rid in (
            self._open_req,
            self._frame_req,
            self._shots_req,
            self._sample_req,
            self._compare_req,
            self._job_req,
        ):
            if rid is not None:
                self.engine.forget(rid)
        if self._thumb_req is not None:
            self.engine.forget(self._thumb_req[0])
        self.film = None
        self._open_req = self._frame_req = self._shots_req = None
        self._sample_req = self._sample_shot = None
        self._compare_req = None
        if self._job_req is not None:
            self._job_req = None
            self.restore_panel.end_job("")
        self.colour.set_busy(False)
        self._thumb_req = None
        self._thumb_queue.clear()

    def _on_opened(self, msg: Message) -> None:
        if msg.id != self._open_req:
            return
        self._open_req = None
        if msg.type == Event.ERROR:
            name = Path(self.film_path or "").name
            text = str(msg.body.get("message", "unknown error"))
            self.view.clear(f"{name} could not be opened.")
            self.strip.show_note("No film open.")
            self.setWindowTitle(APP_NAME)
            self.message_bar.show_message(
                f"Could not open {name}: {text}", "error", "Open another…", self.choose_film
            )
            self.statusBar().showMessage(f"Could not open {name}", 10000)
            self.film_path = None
            self.openFailed.emit(f"{name}: {text}")
            return
        if msg.type != Event.RESULT:
            return
        data = msg.body.get("data") or {}
        reopened = bool(self.info)
        self.film = int(data["film"])
        if not reopened:
            self._remember(self.project_path or self.film_path or "")
        self.info = dict(data.get("info") or {})
        self.facts.set_info(self.info)
        count = self.frame_count
        self.current = min(self.current, max(count - 1, 0))
        slider = self.timeline.slider
        slider.blockSignals(True)
        slider.setRange(0, max(count - 1, 0))
        slider.setValue(self.current)
        slider.setPageStep(max(1, round(self.fps)))
        slider.blockSignals(False)
        self.timeline.set_enabled(count > 1)
        self.restore_panel.set_film_open(True)
        self._show_position()
        self.view.clear("")
        self.request_frame()
        if reopened and self._restart_reason:
            self.message_bar.show_message(
                f"The engine stopped ({self._restart_reason}) and was restarted; "
                "the film is open again.",
                "info",
            )
        elif not reopened and (warning := truncation_warning(self.info)):
            # Said in sight, without a dialog: the film can still be looked at and exported.
            self.message_bar.show_message(warning, "warning")
        self.cut_short_label.setText(self.cut_short_note())
        self.cut_short_label.setVisible(bool(self.cut_short_note()))
        self._restart_reason = ""
        if reopened and self.shots_done:
            self._queue_missing_thumbnails()
        else:
            self._request_shots()

    # --- frames -----------------------------------------------------------------------

    @property
    def frame_count(self) -> int:
        count = self.info.get("frame_count")
        return int(count) if isinstance(count, int) else 0

    @property
    def fps(self) -> float:
        return tc.to_float(self.info.get("fps_float", self.info.get("fps"))) or 24.0

    def cut_short_note(self) -> str:
        """ "" for a whole film; for one cut short: "Cut short: 40 of 132 frames can be read"."""
        if not self.info.get("truncated"):
            return ""
        expected = self.info.get("expected_frames")
        of = f" of {expected:,}" if isinstance(expected, int) and expected > 0 else ""
        return f"Cut short: {self.frame_count:,}{of} frames can be read"

    def _one_second(self) -> int:
        return max(1, round(self.fps))

    def seek(self, index: int) -> None:
        """Show frame `index` (clamped to the film)."""
        if self.film is None and not self.info:
            return
        index = max(0, min(index, self.frame_count - 1))
        self.timeline.slider.setValue(index)  # -> _on_slider when it changes
        if index != self.current:
            self._on_slider(index)

    def step(self, delta: int) -> None:
        self.seek(self.current + delta)

    # --- playback ---------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        return self.rate != 0.0

    def play(self, rate: float = 1.0) -> None:
        if self.film is None or self.frame_count < 2 or rate == 0:
            return
        if rate > 0 and self.current >= self.frame_count - 1:
            self.seek(0)  # play from the start again, as players do at the end
        self.rate = rate
        self._play_origin = (time.monotonic(), self.current)
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
        if not self.playing or self.film is None:
            return
        t0, f0 = self._play_origin
        due = f0 + int((time.monotonic() - t0) * self.fps * self.rate)
        last = self.frame_count - 1
        if due >= last or due <= 0:
            due = max(0, min(due, last))
            self._playing_to(due)
            self.pause()
            return
        if self._frame_req is None and due != self.current:
            self._playing_to(due)

    def _playing_to(self, index: int) -> None:
        self.timeline.slider.blockSignals(True)
        self.timeline.slider.setValue(index)
        self.timeline.slider.blockSignals(False)
        if index != self.current:
            self.current = index
            self._show_position()
            self.request_frame()

    def _on_slider(self, value: int) -> None:
        if value == self.current and self.displayed == value:
            return
        self.current = value
        self.pause()  # a person moving the playhead takes over from playback
        self.show_film()  # moving through the film means looking at it
        self._show_position()
        self.request_frame()

    def _show_position(self, seconds: float | None = None) -> None:
        t = self.current / self.fps if seconds is None else seconds
        self.timeline.show_position(self.current, self.frame_count, t, self.fps)
        shot = self.shot_at(self.current)
        self.strip.set_current(shot)
        self.shot_panel.show_shot(
            shot, len(self.shots), self.shots[shot] if shot is not None else None, self.fps
        )
        self._show_pick()

    def _preview_side(self) -> int:
        ratio = self.view.devicePixelRatioF()
        side = max(self.view.width(), self.view.height()) * ratio
        step = PREVIEW_SIDE_STEP
        return int(max(step, min(1920, -(-side // step) * step)))

    def request_frame(self) -> None:
        """Ask for the current frame for the view; a newer ask makes older replies stale."""
        if self.film is None:
            return
        if self._frame_req is not None:
            self.engine.forget(self._frame_req)
        self._frame_side = self._preview_side()
        self._frame_req = self.engine.request(
            Request.FRAME,
            self._on_frame,
            film=self.film,
            index=self.current,
            max_side=self._frame_side,
            blob_type="image/jpeg",
        )

    def _on_frame(self, msg: Message) -> None:
        if msg.id != self._frame_req:
            return  # stale: the person has scrubbed on
        self._frame_req = None
        if msg.type == Event.RESULT:
            data = msg.body.get("data") or {}
            image = QImage.fromData(msg.blob)
            if image.isNull():
                self.statusBar().showMessage("The engine sent a frame that cannot be shown", 8000)
            else:
                index = int(data.get("index", self.current))
                self.displayed = index
                self.view.set_frame(QPixmap.fromImage(image), index)
                if index == self.current and isinstance(data.get("time_s"), int | float):
                    self._show_position(float(data["time_s"]))
                self.frameShown.emit(index)
        elif msg.type == Event.ERROR:
            self._show_error("Could not show frame", msg)
        self._pump_thumbnails()
        self._check_settled()

    def _maybe_refresh_for_size(self) -> None:
        if self.film is not None and self._preview_side() > self._frame_side:
            self.request_frame()

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802
        if watched is self.view and event.type() == event.Type.Resize:
            self._resize_timer.start()
        elif watched is self._side_viewport and event.type() == event.Type.Resize:
            self._line_up_restore()
        return super().eventFilter(watched, event)

    def _line_up_restore(self) -> None:
        """Restore's margins, so its edges are those of the scrolling panels above it."""
        m = self._side_margins
        bar = self.side_scroll.width() - self.side_scroll.viewport().width()  # 0: no scroll bar
        self._restore_margins.setContentsMargins(m.left(), 0, m.right() + max(bar, 0), m.bottom())

    # --- shots ------------------------------------------------------------------------

    def _request_shots(self) -> None:
        if self.film is None:
            return
        if self._pending_project is not None:
            self._apply_project(self._pending_project)
            return
        self.strip.show_progress(0, None)
        self._shots_req = self.engine.request(
            Request.SHOTS, self._on_shots, on_progress=self._on_shots_progress, film=self.film
        )

    def _on_shots_progress(self, event: dict[str, Any]) -> None:
        total = event.get("total")
        self.strip.show_progress(int(event.get("done") or 0), total if total else None)

    def _on_shots(self, msg: Message) -> None:
        if msg.id != self._shots_req:
            return
        self._shots_req = None
        if msg.type == Event.RESULT:
            shots = (msg.body.get("data") or {}).get("shots") or []
            self._set_shots(shots)
            n = len(self.shots)
            self.statusBar().showMessage(f"{n} shot{'s' if n != 1 else ''} found", 5000)
        elif msg.type == Event.ERROR:
            self.shots_done = True  # nothing more will come; settle without them
            self.strip.show_note(f"Shots could not be found: {msg.body.get('message', '')}")
            self._show_error("Shot detection failed", msg)
        elif msg.type == Event.CANCELLED:
            self.strip.show_note("Shot detection was cancelled.")
        self._check_settled()

    def _set_shots(self, shots: list[dict[str, Any]]) -> None:
        self.shots = sorted(shots, key=lambda s: int(s["start"]))
        self.shots_done = True
        width, height = self.info.get("width") or 16, self.info.get("height") or 9
        self.strip.set_shots(self.shots, self.fps, float(width) / float(height or 1))
        self.timeline.slider.set_marks([int(s["start"]) for s in self.shots])
        self._thumbs.clear()
        for n, shot in enumerate(self.shots):
            if int(shot["start"]) in self.picks:
                self.strip.set_picked(n, self._pick_preview(int(shot["start"])) or QPixmap())
        self._show_position()
        self._queue_missing_thumbnails()

    def split_shot(self) -> None:
        """Cut the current shot at the current frame (a cut the detector missed). The new
        second part keeps the shot's pick: it is the same scene until someone picks again."""
        n = self.shot_at(self.current)
        if n is None or int(self.shots[n]["start"]) == self.current:
            self.statusBar().showMessage("A shot starts here already", 4000)
            return
        shot = self.shots[n]
        start, end, cut = int(shot["start"]), int(shot["end"]), self.current
        key = int(shot.get("key_frame", start))
        first = {"start": start, "end": cut, "key_frame": key if key < cut else (start + cut) // 2}
        second = {"start": cut, "end": end, "key_frame": key if key >= cut else (cut + end) // 2}
        if start in self.picks:
            self.picks[cut] = self.picks[start]
        self._set_shots([*self.shots[:n], first, second, *self.shots[n + 1 :]])
        self.statusBar().showMessage(f"Shot {n + 1} split at frame {cut + 1}", 4000)
        self._mark_dirty()

    def merge_shot(self) -> None:
        """Join the current shot to the one before it (a cut that is not one); the earlier
        shot's pick, if any, covers both."""
        n = self.shot_at(self.current)
        if n is None or n == 0:
            self.statusBar().showMessage("No shot before this one to merge with", 4000)
            return
        before, this = self.shots[n - 1], self.shots[n]
        gone = self.picks.pop(int(this["start"]), None)
        if int(before["start"]) not in self.picks and gone is not None:
            self.picks[int(before["start"])] = gone
        merged = {**before, "end": int(this["end"])}
        self._set_shots([*self.shots[: n - 1], merged, *self.shots[n + 1 :]])
        self.statusBar().showMessage(f"Shots {n} and {n + 1} merged", 4000)
        self._mark_dirty()

    def shot_at(self, index: int) -> int | None:
        if not self.shots:
            return None
        starts = [int(s["start"]) for s in self.shots]
        n = bisect.bisect_right(starts, index) - 1
        return n if n >= 0 else None

    def go_to_shot(self, shot: int) -> None:
        if 0 <= shot < len(self.shots):
            self.seek(int(self.shots[shot]["start"]))

    def step_shot(self, delta: int) -> None:
        if not self.shots:
            return
        here = self.shot_at(self.current)
        if here is None:
            target = 0
        elif delta < 0 and self.current > int(self.shots[here]["start"]):
            target = here  # first back to the start of this shot, as players do
        else:
            target = here + delta
        self.go_to_shot(max(0, min(target, len(self.shots) - 1)))

    # --- thumbnails -------------------------------------------------------------------

    def _queue_missing_thumbnails(self) -> None:
        self._thumb_queue = deque(n for n in range(len(self.shots)) if n not in self._thumbs)
        for n, pixmap in self._thumbs.items():
            self.strip.set_thumbnail(n, pixmap)
        self._pump_thumbnails()
        self._check_settled()

    def _pump_thumbnails(self) -> None:
        # One at a time, and only while the view waits for nothing: any frame
        # request supersedes a queued one for the same film.
        if self.film is None or self._thumb_req is not None or self._frame_req is not None:
            return
        if not self._thumb_queue:
            return
        shot = self._thumb_queue.popleft()
        key = int(self.shots[shot].get("key_frame", self.shots[shot]["start"]))
        rid = self.engine.request(
            Request.FRAME,
            self._on_thumbnail,
            film=self.film,
            index=key,
            max_side=round(THUMB_MAX_SIDE * self.strip.devicePixelRatioF()),  # sharp on HiDPI
            blob_type="image/jpeg",
        )
        self._thumb_req = (rid, shot)

    def _on_thumbnail(self, msg: Message) -> None:
        if self._thumb_req is None or msg.id != self._thumb_req[0]:
            return
        shot = self._thumb_req[1]
        self._thumb_req = None
        if msg.type == Event.RESULT:
            image = QImage.fromData(msg.blob)
            if not image.isNull():
                pixmap = QPixmap.fromImage(image)
                self._thumbs[shot] = pixmap
                start = int(self.shots[shot]["start"]) if shot < len(self.shots) else -1
                if self._pick_preview(start) is None:  # a picked shot shows its colours
                    self.strip.set_thumbnail(shot, pixmap)
        elif msg.type == Event.SUPERSEDED:
            self._thumb_queue.appendleft(shot)  # the view's frame came first; ask again later
        # An error leaves the grey placeholder; the shot itself still works.
        self._pump_thumbnails()
        self._check_settled()

    # --- colour modes -----------------------------------------------------------------

    def _sample_colour_modes(self) -> None:
        if self.film is None:
            self.colour.show_error("Open a film first.")
            return
        if not self.colour.usable:
            self.statusBar().showMessage("The colorizer is not available; see Colour modes", 6000)
            return
        if self._sample_req is not None:
            self.engine.cancel(self._sample_req)
            self.engine.forget(self._sample_req)
        shot = self.shot_at(self.current)
        if shot is not None:
            index = int(self.shots[shot].get("key_frame", self.shots[shot]["start"]))
        else:
            index = self.current
        opts = {k: v for k, v in self.colour.options().items() if v is not None}
        self._sample_shot = shot
        self._sample_req = self.engine.request(
            Request.SAMPLE_KEYFRAME,
            self._on_colour_modes,
            on_progress=self._on_sample_progress,
            film=self.film,
            index=index,
            max_side=max(384, self._preview_side() // 2),  # K of them share the view
            **opts,
        )
        self.colour.set_busy(True)
        self.colour.show_error(f"Drawing {opts['k']} colour modes of frame {index + 1}…")

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
            self._show_error("Could not sample colour modes", msg)
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
        start = self._shot_start(shot)
        self.sampled[start] = sampled
        self.colour.show_error(
            f"{sampled.k} colour modes in {sampled.seconds:.1f} s (seed {sampled.seed})."
        )
        if self.shot_at(self.current) == shot:
            self.show_candidates()
        self._show_pick()
        self.colourModesShown.emit(sampled.k)

    def _shot_start(self, shot: int | None) -> int:
        return int(self.shots[shot]["start"]) if shot is not None and self.shots else 0

    def show_candidates(self) -> None:
        start = self._shot_start(self.shot_at(self.current))
        sampled = self.sampled.get(start)
        if sampled is None:
            self.statusBar().showMessage("No colour modes drawn for this shot yet (press C)", 5000)
            return
        pick = self.picks.get(start)
        chosen = pick.n if pick is not None and pick.key_frame == sampled.key_frame and \
            pick.seed == sampled.seed else None  # fmt: skip
        shot = self.shot_at(self.current)
        label = shot_label(shot, self.shots) if shot is not None else "The film"
        self.candidates.show_sampled(sampled, label, chosen)
        self.stage.setCurrentWidget(self.candidates)
        self.candidates.setFocus()

    def show_film(self) -> None:
        self.stage.setCurrentWidget(self.view)

    def pick_candidate(self, n: int) -> None:
        sampled = self.candidates.sampled
        if sampled is None or not 0 <= n < sampled.k:
            return
        start = self._shot_start(sampled.shot if self.shots else None)
        self.picks[start] = sampled.pick(n)
        self.candidates.set_picked(n)
        self._mark_shot(sampled.shot, sampled.pixmaps[n])
        self._show_pick()
        self.statusBar().showMessage(
            f"{shot_label(sampled.shot, self.shots) if self.shots else 'Film'}: colour mode "
            f"{n + 1} picked and locked",
            5000,
        )
        self.picksChanged.emit()

    def apply_pick_forward(self) -> None:
        shot = self.shot_at(self.current)
        if shot is None:
            return
        pick = self.picks.get(self._shot_start(shot))
        if pick is None:
            return
        preview = self._pick_preview(self._shot_start(shot))
        given = 0
        for later in range(shot + 1, len(self.shots)):
            start = self._shot_start(later)
            if start in self.picks:
                continue  # a pick of its own is kept
            self.picks[start] = pick
            self._mark_shot(later, preview)
            given += 1
        self.statusBar().showMessage(f"Pick given to {given} following shot(s)", 5000)
        self.picksChanged.emit()

    def unlock_pick(self) -> None:
        shot = self.shot_at(self.current)
        start = self._shot_start(shot)
        if self.picks.pop(start, None) is None:
            return
        if shot is not None:
            self.strip.set_picked(shot, None)
            if shot in self._thumbs:
                self.strip.set_thumbnail(shot, self._thumbs[shot])
        self.candidates.set_picked(None)
        self._show_pick()
        self.picksChanged.emit()

    def _pick_preview(self, start: int) -> QPixmap | None:
        pick = self.picks.get(start)
        if pick is None:
            return None
        for sampled in self.sampled.values():
            if sampled.key_frame == pick.key_frame and sampled.seed == pick.seed and \
                    pick.n < sampled.k:  # fmt: skip
                return sampled.pixmaps[pick.n]
        return None

    def _mark_shot(self, shot: int, preview: QPixmap | None) -> None:
        if self.shots:
            self.strip.set_picked(shot, preview)

    def _show_pick(self) -> None:
        start = self._shot_start(self.shot_at(self.current))
        self.colour.show_pick(
            self.picks.get(start), self._pick_preview(start), has_sampled=start in self.sampled
        )

    # --- restoring: compare, preview renders, export ----------------------------------

    def _restoration(self) -> dict[str, Any]:
        """Settings, shots and picks as `preview` and `render` take them (docs/protocol.md)."""
        s = self.restore_panel.settings()
        params: dict[str, Any] = {
            "colorize": s["colorize"],
            "degrain": s["degrain"],
            "upscale": s["upscale"],
            "upscaler": s["upscaler"],
        }
        if self.shots:
            params["shots"] = [
                {"start": int(x["start"]), "end": int(x["end"]),
                 "key_frame": int(x.get("key_frame", x["start"]))}
                for x in self.shots
            ]  # fmt: skip
            params["picks"] = [self._engine_pick(int(x["start"])) for x in self.shots]
        return params

    def _engine_pick(self, start: int) -> dict[str, Any] | None:
        pick = self.picks.get(start)
        if pick is None:
            return None
        return {
            "seed": pick.seed,
            "temperature": pick.temperature,
            "index": pick.n,
            "chroma": pick.chroma,
            "locked": pick.locked,
            "source": "user",
        }

    def compare_frame(self) -> None:
        if self.film is None:
            return
        if not self.restore_panel.restores_something():
            self.statusBar().showMessage("Nothing to compare: choose colorize, clean or enlarge",
                                         6000)  # fmt: skip
            return
        if self._compare_req is not None:
            self.engine.forget(self._compare_req)
        self.pause()
        self._compare_req = self.engine.request(
            Request.PREVIEW,
            self._on_compare,
            film=self.film,
            index=self.current,
            max_side=self._preview_side(),
            **self._restoration(),
        )
        self.compare.show_result({}, {}, f"Frame {self.current + 1}")
        self.compare.header.setText(f"Restoring frame {self.current + 1}…")
        self.stage.setCurrentWidget(self.compare)
        self.compare.setFocus()

    def _on_compare(self, msg: Message) -> None:
        if msg.id != self._compare_req:
            return
        self._compare_req = None
        if msg.type == Event.ERROR:
            self.show_film()
            self._show_error("Could not restore this frame", msg)
            return
        if msg.type != Event.RESULT:
            return
        data = msg.body.get("data") or {}
        pixmaps: dict[str, QPixmap] = {}
        for part in data.get("images") or []:
            pm = QPixmap()
            off, n = int(part["offset"]), int(part["length"])
            if pm.loadFromData(msg.blob[off : off + n]):
                pixmaps[str(part["name"])] = pm
        self.compare.show_result(pixmaps, data, f"Frame {int(data.get('index', 0)) + 1}")
        self.compareShown.emit()

    def _suggest_output(self, suffix: str, tail: str) -> str:
        src = Path(self.film_path or "film")
        folder = Path(self.project_path).parent if self.project_path else src.parent
        return str(folder / f"{src.stem}_{tail}{suffix}")

    def export(self, output: str | None = None) -> None:
        """Restore the whole film to `output` (asked for when None) with progress and cancel.
        An interrupted export of the same film and settings to the same file resumes."""
        if self.film is None or self._job_req is not None:
            return
        settings = self.restore_panel.settings()
        if output is None:
            suffix = codec_suffix(settings["codec"])
            output, _ = QFileDialog.getSaveFileName(
                self, "Export the restored film", self._suggest_output(suffix, "restored"),
                f"{settings['codec']} (*{suffix})" if suffix else "Folder (*)",
            )  # fmt: skip
            if not output:
                return
        overwrite = Path(output).exists() and not Path(f"{output}.panchro-job").exists()
        self._start_job("export", output, overwrite=overwrite)
        if note := self.cut_short_note():
            # The engine restores what a cut-short file has (the protocol's render takes no
            # choice about it); the person is told again, in case the first warning was
            # dismissed. The CLI asks for --allow-truncated instead.
            self.message_bar.show_message(
                f"{note}: {Path(output).name} will have {self.frame_count:,} frames.", "warning"
            )
        self._export_output = output
        self._mark_dirty()

    def render_preview(self, output: str | None = None, seconds: float = 5.0) -> None:
        if self.film is None or self._job_req is not None:
            return
        if output is None:
            output, _ = QFileDialog.getSaveFileName(
                self, "Write a preview (before | after)", self._suggest_output(".mp4", "preview"),
                "MP4 (*.mp4)",
            )  # fmt: skip
            if not output:
                return
        self._start_job("preview", output, overwrite=True, preview_seconds=seconds)

    def _start_job(self, kind: str, output: str, **extra: Any) -> None:
        settings = self.restore_panel.settings()
        codec = settings["codec"] if kind == "export" else "h264"
        self._job_kind, self._job_output = kind, output
        self._job_req = self.engine.request(
            Request.RENDER,
            self._on_job,
            on_progress=self._on_job_progress,
            film=self.film,
            output=output,
            codec=codec,
            bit_depth=settings["bit_depth"] if kind == "export" else 8,
            **self._restoration(),
            **extra,
        )
        what = "Exporting" if kind == "export" else "Preview"
        self.restore_panel.show_job(what, 0, self.frame_count, None, None)

    def _on_job_progress(self, event: dict[str, Any]) -> None:
        what = "Exporting" if self._job_kind == "export" else "Preview"
        self.restore_panel.show_job(
            what,
            int(event.get("done") or 0),
            int(event.get("total") or 0),
            event.get("fps"),
            event.get("eta_s"),
            float(event.get("partial") or 0.0),
        )

    def cancel_job(self) -> None:
        if self._job_req is not None:
            self.engine.cancel(self._job_req)

    def _on_job(self, msg: Message) -> None:
        if msg.id != self._job_req:
            return
        self._job_req = None
        kind, output = self._job_kind, self._job_output
        name = Path(output).name
        if msg.type == Event.RESULT:
            summary = dict(msg.body.get("data") or {})
            text = (
                f"{'Exported' if kind == 'export' else 'Preview written'}: {name} — "
                f"{summary.get('frames')} frames in {float(summary.get('seconds', 0)):.1f} s "
                f"({float(summary.get('fps', 0)):.1f} fps)"
            )
            if kind == "export" and (note := self.cut_short_note()):
                text += f" — the source is c{note[1:]}"
            notes = summary.get("notes") or []
            self.restore_panel.end_job(text)
            self.restore_panel.note.setText("\n".join(notes))
            self.restore_panel.note.setVisible(bool(notes))
            self.message_bar.show_message(text, "info")
            self.jobFinished.emit(kind, summary)
        elif msg.type == Event.CANCELLED:
            text = f"{'Export' if kind == 'export' else 'Preview'} of {name} cancelled."
            if kind == "export":
                text += " Export to the same file again to resume where it stopped."
            self.restore_panel.end_job(text)
            self.jobFailed.emit(kind, "cancelled")
        elif msg.type == Event.ERROR:
            message = str(msg.body.get("message", ""))
            self.restore_panel.end_job(f"{name}: {message}")
            self._show_error(f"{'Export' if kind == 'export' else 'Preview'} failed", msg)
            self.jobFailed.emit(kind, message)

    # --- projects -----------------------------------------------------------------------

    def _mark_dirty(self) -> None:
        if self.film_path is not None:
            self.dirty = True
            self._show_title()

    def _show_title(self) -> None:
        name = Path(self.project_path).name if self.project_path else (
            Path(self.film_path).name if self.film_path else "")  # fmt: skip
        mark = " *" if self.dirty and self.film_path else ""
        self.setWindowTitle(f"{APP_NAME} — {name}{mark}" if name else APP_NAME)

    def maybe_keep_changes(self) -> bool:
        """Ask before unsaved picks are lost; False when the person chose to stay."""
        if not self.dirty or not self.picks or not self.confirm_discard:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            "The colour picks of this film are not saved in a project. Save them first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            self.save_project()
            return not self.dirty or bool(self.project_path)
        return True

    def save_project(self) -> None:
        if self.project_path:
            self.save_project_as(self.project_path)
        else:
            self.save_project_as()

    def save_project_as(self, path: str | None = None) -> None:
        if self.film is None:
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the project", self._suggest_output(".panchro", "project")
                .replace("_project.panchro", ".panchro"), "Panchro projects (*.panchro)",
            )  # fmt: skip
            if not path:
                return
            if not path.endswith(".panchro"):
                path += ".panchro"
        settings = self.restore_panel.settings()
        settings["output"] = getattr(self, "_export_output", None)
        params = self._restoration()
        self.engine.request(
            Request.SAVE_PROJECT,
            lambda msg, p=path: self._on_project_saved(msg, p),
            film=self.film,
            project_path=path,
            shots=params.get("shots", []),
            picks=params.get("picks", []),
            settings=settings,
        )

    def _on_project_saved(self, msg: Message, path: str) -> None:
        if msg.type == Event.RESULT:
            self.project_path = path
            self.dirty = False
            self._show_title()
            self.statusBar().showMessage(f"Project saved: {path}", 5000)
            self.projectSaved.emit(path)
        elif msg.type == Event.ERROR:
            self._show_error("Could not save the project", msg)

    def open_project(self, path: str | Path) -> None:
        if not self.maybe_keep_changes():
            return
        if not self.engine.is_ready():
            self._project_later = str(path)  # `_on_engine_ready` opens it
            return
        self.engine.request(
            Request.LOAD_PROJECT, self._on_project_loaded, project_path=str(Path(path).absolute())
        )

    def _on_project_loaded(self, msg: Message) -> None:
        if msg.type == Event.ERROR:
            self._show_error("Could not open the project", msg)
            return
        if msg.type != Event.RESULT:
            return
        data = dict(msg.body.get("data") or {})
        source = data.get("source") or {}
        changes = data.get("source_changes") or []
        film = str(source.get("path", ""))
        self.dirty = False  # what is about to be replaced was asked about already
        self.open_film(film, source.get("fps") if source.get("kind") == "frames" else None,
                       project=data)  # fmt: skip
        if changes:
            self.message_bar.show_message(
                f"The film of this project has changed since it was saved: {'; '.join(changes)}."
                " Picks may no longer fit its shots.",
                "warning",
            )

    def _apply_project(self, data: dict[str, Any]) -> None:
        """Shots, picks and settings of a loaded project, now that its film is open."""
        from panchro.gui.colour_modes import Pick

        self._pending_project = None
        shots = [
            {"start": int(x["start"]), "end": int(x["end"]), "key_frame": int(x["key"])}
            for x in data.get("shots") or []
        ]
        settings = data.get("settings") or {}
        self.restore_panel.set_settings(settings)
        if not shots:
            self._request_shots()
            return
        self.picks.clear()
        for x in data.get("shots") or []:
            p = x.get("pick")
            if p:
                self.picks[int(x["start"])] = Pick(
                    key_frame=int(x["key"]), seed=int(p["seed"]),
                    temperature=float(p["temperature"]), k=int(p["index"]) + 1,
                    n=int(p["index"]), chroma=str(p["chroma"]), chroma_size=28, trained=True,
                    locked=bool(p.get("locked", True)),
                )  # fmt: skip
        # The project's shots stand in for a detection: the same path shows them.
        self._shots_req = -1
        self._on_shots(Message({"type": Event.RESULT, "id": -1, "data": {"shots": shots}}))
        for n, shot in enumerate(self.shots):
            if int(shot["start"]) in self.picks:
                self.strip.set_picked(n, QPixmap())  # marked; a preview comes with a sample
        self.dirty = False
        self._show_title()
        output = settings.get("output")
        if output and Path(f"{output}.panchro-job").is_dir():
            self._export_output = output
            self.message_bar.show_message(
                f"An export to {Path(output).name} was interrupted.",
                "info",
                "Resume",
                lambda: self.export(output),
            )
        self.projectLoaded.emit(str(self.project_path or ""))

    # --- engine supervision ------------------------------------------------------------

    def _on_engine_state(self, state: str, detail: str) -> None:
        if state == STARTING:
            text = "Engine: starting…"
        elif state == READY:
            text = f"Engine: ready — {detail}"
        elif state == RESTARTING:
            text = "Engine: died, restarting…"
        elif state == FAILED:
            text = "Engine: failed"
            self.message_bar.show_message(
                f"The engine could not be started: {detail}", "error", "Try again", self._retry
            )
            self.colour.set_engine_down("The engine is not running.")
        else:
            text = f"Engine: {state}"
        self.engine_label.setText(text)
        device = self.engine.hello.get("device") or {}
        tip = f"{device.get('name', '')}\nLog: {self.engine.log_path}".strip()
        self.engine_label.setToolTip(tip)

    def _retry(self) -> None:
        self.engine.auto_restart = True
        self.engine.restarts = 0
        self.engine.start()

    def _on_engine_ready(self, hello: dict[str, Any]) -> None:
        models = hello.get("models") or {}
        text, tip = describe_models(models)
        self.models_label.setText(text)
        self.models_label.setToolTip(tip)
        self.colour.set_models(models)
        device = describe_device(hello.get("device") or {})
        self.statusBar().showMessage(f"Engine {hello.get('version', '')} ready on {device}", 5000)
        later = getattr(self, "_project_later", None)
        if later:
            self._project_later = None
            self.open_project(later)
        elif self.film_path is not None:
            self._send_open()

    def _on_engine_died(self, reason: str) -> None:
        # Every pending request died with it; the film is reopened on the next `ready`.
        self._forget_film(close_in_engine=False)
        self._restart_reason = reason
        self.message_bar.show_message(
            f"The engine stopped: {reason}. Restarting it"
            + (" and reopening the film." if self.film_path else "."),
            "warning",
        )
        self.colour.set_engine_down("The engine is restarting…")

    def _on_engine_log(self, level: str, text: str) -> None:
        if level in ("warning", "error", "critical"):
            self.statusBar().showMessage(f"Engine {level}: {text}", 8000)

    def _show_error(self, what: str, msg: Message) -> None:
        code = str(msg.body.get("code", ""))
        text = str(msg.body.get("message", ""))
        if code == ErrorCode.INTERNAL:
            text += f" — log: {self.engine.log_path}"
        self.message_bar.show_message(f"{what}: {text}", "error")
        self.statusBar().showMessage(what, 10000)

    def _check_settled(self) -> None:
        if self._settled_sent or self.film is None or self.displayed is None:
            return
        if not self.shots_done or self._thumb_req is not None or self._thumb_queue:
            return
        self._settled_sent = True
        self.settled.emit()

    # --- window events ----------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if _local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = _local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.open_any(paths[0])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_keep_changes():
            event.ignore()
            return
        self.engine.shutdown()
        super().closeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1280, 800)

    def shortcuts_html(self) -> str:
        """Every menu action with its keys, read from the menus themselves, then the keys of
        the colour modes and compare views."""
        from html import escape

        native = QKeySequence.SequenceFormat.NativeText
        rows: list[str] = []
        for top in self.menuBar().actions():
            menu = top.menu()
            if menu is None:
                continue
            keyed = [
                (a.text().replace("&", ""), ", ".join(k.toString(native) for k in a.shortcuts()))
                for a in menu.actions()
                if not a.isSeparator() and a.shortcuts()
            ]
            if keyed:
                title = escape(top.text().replace("&", ""))
                rows.append(f"<tr><th colspan=2 align=left>{title}</th></tr>")
                rows += [f"<tr><td>{escape(k)}</td><td>{escape(t)}</td></tr>" for t, k in keyed]
        for title, keys in (
            ("In the colour modes", CandidatesView.KEYS),
            ("In compare", CompareView.KEYS),
        ):
            rows.append(f"<tr><th colspan=2 align=left>{title}</th></tr>")
            rows += [f"<tr><td>{escape(k)}</td><td>{escape(t)}</td></tr>" for k, t in keys]
        tail = (
            "<p>Tab moves between controls; Space or Enter works the focused one. "
            "Alt and a menu's underlined letter open it.</p>"
        )
        return f"<table cellspacing=4>{''.join(rows)}</table>{tail}"

    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts: a window that stays open beside the film."""
        if self._shortcuts is None:
            self._shortcuts = QMessageBox(self)
            self._shortcuts.setWindowTitle("Keyboard shortcuts")
            self._shortcuts.setTextFormat(Qt.TextFormat.RichText)
            self._shortcuts.setModal(False)
        self._shortcuts.setText(self.shortcuts_html())
        self._shortcuts.show()
        self._shortcuts.raise_()

    def _about(self) -> None:
        QMessageBox.about(self, "About Panchro", about_text(self.engine.hello))

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.engine.log_path.parent)))

    def run_self_test(self) -> None:
        """`panchro self-test` in a process of its own (about half a minute); its report in a
        dialog when it ends."""
        proc = QProcess(self)
        program, args = self_test_command()
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.statusBar().showMessage("Self-test running…")

        def done(code: int = -1, *_: Any) -> None:
            report = bytes(proc.readAll().data()).decode("utf-8", "replace").strip()
            ok = code == 0 and proc.exitStatus() == QProcess.ExitStatus.NormalExit
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Information if ok else QMessageBox.Icon.Warning)
            box.setWindowTitle("Self-test")
            box.setText("The self-test passed." if ok else "The self-test FAILED.")
            box.setDetailedText(report or proc.errorString())
            self.statusBar().clearMessage()
            proc.deleteLater()
            box.open()

        proc.finished.connect(done)
        proc.errorOccurred.connect(
            lambda e: done() if e == QProcess.ProcessError.FailedToStart else None
        )
        proc.start(program, args)


def about_text(hello: dict[str, Any]) -> str:
    """The About box: this program's version, and what the engine said in hello."""
    return (
        f"<b>Panchro {__version__}</b> restores old black-and-white films.<br>"
        f"Engine {hello.get('version', '?')} (protocol {hello.get('protocol', '?')}), "
        f"Python {hello.get('python', '?')}, torch {hello.get('torch', '?')}, "
        f"PyAV {hello.get('av', '?')}."
    )


def _local_paths(mime: Any) -> list[str]:
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
