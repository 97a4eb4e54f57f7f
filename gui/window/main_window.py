"""The main window's shell: open a film, look at its frames, see its shots and what it is.

The window builds the menus, the panels (parts from `widgets`, `facts`, `colour_modes`
and `restore`) and the status bar, owns the `EngineProcess` and shows its state, and
holds what is open. The controllers of `panchro.gui.window` turn a person's actions
into requests and show the replies; `_wire` and `_build_actions` connect them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QEventLoop, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFrame,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from panchro.engine.service.protocol import ErrorCode, Message, Request
from panchro.gui import timecode as tc
from panchro.gui.album import AlbumGrid, AlbumPanel
from panchro.gui.colour_modes import CandidatesView, ColourModesPanel, Pick, Sampled
from panchro.gui.compare import ZOOM_STEP, CompareView
from panchro.gui.engine_process import (
    FAILED,
    READY,
    RESTARTING,
    STARTING,
    EngineProcess,
    describe_device,
)
from panchro.gui.facts import FactsPanel, ShotPanel, describe_models
from panchro.gui.hints import HintsBar
from panchro.gui.restore import RestorePanel
from panchro.gui.theme import THEME_LABELS, THEMES, apply_theme, current_theme, save_theme
from panchro.gui.widgets import FrameView, MessageBar, ShotStrip, Timeline
from panchro.gui.window import APP_NAME, on_triggered, when_open
from panchro.gui.window.album import Albums
from panchro.gui.window.colour import ColourPicks
from panchro.gui.window.edits import Edits
from panchro.gui.window.export import Exporter
from panchro.gui.window.help import Help
from panchro.gui.window.hints import HintEditor
from panchro.gui.window.pick_pictures import PickPictures
from panchro.gui.window.player import Player
from panchro.gui.window.projects import Projects
from panchro.gui.window.recovery import Recovery
from panchro.gui.window.shots import ShotList
from panchro.gui.window.soundtrack import choose_soundtrack


def app_icon() -> QIcon:
    """The icon shipped in panchro.resources/icons (found the same way when installed)."""
    from importlib.resources import files

    try:
        path = files("panchro.resources") / "icons" / "panchro.svg"
        return QIcon(str(path)) if path.is_file() else QIcon()
    except (ModuleNotFoundError, OSError):
        return QIcon()


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
    shots with thumbnails (or the shots failed): the point where a screenshot says it all.

    Its controllers: `player`, `shot_list`, `colour_picks`, `hint_editor`, `exporter`,
    `projects`, `help`, and `album` (an album or a single picture, in place of a film: the
    actions that both have go to it while `album.active`).
    """

    settled = Signal()
    frameShown = Signal(int)
    colourModesShown = Signal(int)
    picksChanged = Signal()
    compareShown = Signal()
    jobFinished = Signal(str, dict)  # kind ("export" | "preview" | "frame"), the engine's summary
    jobFailed = Signal(str, str)  # kind, message
    colourCarried = Signal(int)  # a shot's colours carried to its scene (how many shots)
    flatPreviewShown = Signal(int)  # a one-colour pick's key frame came back (its shot's start)
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

        # What is open, as the engine knows it (film handle) and as a person chose it. The
        # controllers share it; each keeps its own requests to the engine.
        self.film_path: str | None = None
        self.film_fps: float | None = None  # the rate a person gave for a frame folder
        # How the film's fields are read (the engine's `deinterlace`): a person's choice,
        # kept in the project; "auto" lets the engine decide.
        self.film_deinterlace = "auto"
        self.film_scan = "auto"  # how its values are read (the engine's `scan`), the same way
        # The black and white points its values are stretched from as read (the engine's
        # `levels`), kept in the project; and those the engine measured on the film.
        self.film_levels: list[float] | None = None
        self.measured_levels: list[float] | None = None
        self.measured_faded = False  # ... and whether the film looks faded by them
        self.film: int | None = None
        self.info: dict[str, Any] = {}
        self.crop_dialog: Any = None  # Restore panel ▸ Crop's dialog while it is open
        self.soundtrack_dialog: Any = None  # File ▸ Sound…'s while it is open
        self.levels_dialog: Any = None  # Colour ▸ Set the film's levels…'s, the same way
        self.shots: list[dict[str, Any]] = []
        self.shots_done = False
        self.current = 0  # the frame a person is at (the view may still show another)
        self.settled_sent = False
        # Colour choices, by shot start frame (stable while shots are re-found): what was
        # drawn, and what was picked. Both live here, not in the engine, so an engine
        # restart loses neither.
        self.sampled: dict[int, Sampled] = {}
        self.picks: dict[int, Pick] = {}
        self.project_path: str | None = None
        self.dirty = False  # picks, hints or settings changed since the project was saved
        self.confirm_discard = True  # ask before unsaved picks are lost (tests turn it off)

        self._build_ui()
        self.edits = Edits(self)  # one history of the project's edits, hints among them
        self.recovery = Recovery(self)  # unsaved work kept against a crash
        self._recovery_offered = False
        self.player = Player(self)
        self.shot_list = ShotList(self)
        self.colour_picks = ColourPicks(self)
        self.pick_pictures = PickPictures(self)  # picks' pictures the window lacks
        self.hint_editor = HintEditor(self)  # the film's colour hints live in its store
        self.exporter = Exporter(self)
        self.projects = Projects(self)
        self.help = Help(self)
        self.album = Albums(self)
        self._wire()
        self._build_actions()

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
        self._keys = _KeysForFocusedControls(self)
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
        self.hints_panel = HintsBar()  # the colour hint tools, above the frame in compare
        self.compare.set_tools(self.hints_panel)
        self.stage.addWidget(self.compare)
        self.album_grid = AlbumGrid()
        self.album_stage = QWidget()  # the grid with a line on how to use it
        album_layout = QVBoxLayout(self.album_stage)
        album_layout.setContentsMargins(4, 4, 4, 4)
        album_hint = QLabel(
            "Click a picture to select it; double-click it (or Enter) for its colour modes. "
            "V compares the selected picture; Ctrl+E exports the album."
        )
        album_hint.setWordWrap(True)
        album_layout.addWidget(album_hint)
        album_layout.addWidget(self.album_grid, 1)
        self.stage.addWidget(self.album_stage)
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
        self.album_panel = AlbumPanel()
        self.album_panel.hide()
        self.album_panel.follow_stage(self.stage, self.album_stage)
        side_layout.addWidget(self.album_panel)
        side_layout.addWidget(self.colour)
        side_layout.addStretch(1)
        side_scroll = QScrollArea()
        side_scroll.setAccessibleName("Film, shot and colour modes")
        side_scroll.setWidget(side)
        side_scroll.setWidgetResizable(True)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.side_scroll = side_scroll
        # the modes shown, their panel comes into sight (out of view at 1280 x 720, below)
        self.stage.currentChanged.connect(self._colour_panel_in_sight)
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

        # A wheel passing over a box scrolls the panel instead of changing the value; a click
        # or Tab gives the box the focus, and the wheel with it (`_WheelOnlyWhenFocused`).
        for box in self.findChildren(QAbstractSpinBox) + self.findChildren(QComboBox):
            box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._wheel = _WheelOnlyWhenFocused(self)
        QApplication.instance().installEventFilter(self._wheel)

    def _wire(self) -> None:
        """The panels' signals, to the controllers that answer them."""
        player, shots, colour = self.player, self.shot_list, self.colour_picks
        exporter, projects, album, either = self.exporter, self.projects, self.album, self.either
        self.timeline.slider.valueChanged.connect(player.on_slider)
        self.timeline.prev_frame.clicked.connect(lambda: player.step(-1))
        self.timeline.next_frame.clicked.connect(lambda: player.step(1))
        self.timeline.prev_shot.clicked.connect(lambda: shots.step_shot(-1))
        self.timeline.next_shot.clicked.connect(lambda: shots.step_shot(1))
        self.timeline.play.clicked.connect(player.toggle_play)
        self.strip.shotClicked.connect(shots.go_to_shot)
        self.shot_panel.keyFrameRequested.connect(player.seek)
        self.shot_panel.hintsRequested.connect(self.hint_editor.edit)
        self.shot_panel.leaveOutChanged.connect(self.shot_list.leave_out)
        self.colour.sampleRequested.connect(
            either(album.sample_colour_modes, colour.sample_colour_modes)
        )
        self.colour.showRequested.connect(either(album.show_candidates, colour.show_candidates))
        self.colour.applyForwardRequested.connect(colour.apply_pick_forward)
        self.colour.carryRequested.connect(either(album.carry.carry, colour.carry_to_scene))
        self.colour.unlockRequested.connect(either(album.unpick, colour.unlock_pick))
        self.colour.referenceRequested.connect(lambda: colour.colour_from_picture())
        self.candidates.picked.connect(
            lambda n: album.pick_candidate(n) if album.active else colour.pick_candidate(n)
        )
        self.candidates.closed.connect(either(album.show_grid, player.show_film))
        self.compare.closed.connect(either(album.show_grid, player.show_film))
        self.restore_panel.compareRequested.connect(either(album.compare, exporter.compare_frame))
        self.restore_panel.exportRequested.connect(either(album.exports.export, exporter.export))
        self.restore_panel.exportPictureRequested.connect(lambda: album.exports.export_picture())
        self.restore_panel.previewRequested.connect(exporter.render_preview)
        self.restore_panel.exportPartRequested.connect(lambda: exporter.export_part())
        self.restore_panel.cancelRequested.connect(
            either(album.exports.cancel_job, exporter.cancel_job)
        )
        self.restore_panel.settingsChanged.connect(projects.mark_dirty)
        self.restore_panel.settingsChanged.connect(lambda: self.show_crop())
        # the strip's thumbnails, and its judgement of which shots are in colour, are of the
        # picture inside the crop
        self.restore_panel.settingsChanged.connect(self.shot_list.crop_changed)
        # a pick drawn for another crop is said so in the Colour modes panel
        self.restore_panel.settingsChanged.connect(lambda: self.colour_picks.show_pick())
        self.restore_panel.cropRequested.connect(self.choose_crop)
        self.restore_panel.soundRequested.connect(lambda: choose_soundtrack(self))
        self.restore_panel.fieldsChanged.connect(projects.read_fields)
        self.restore_panel.scanChanged.connect(projects.read_scan)
        self.restore_panel.speedChanged.connect(projects.show_at)
        self.edits.watch_settings(self.restore_panel)
        self.picksChanged.connect(projects.mark_dirty)
        self.hint_editor.hintsChanged.connect(projects.mark_dirty)

    def zoom_compare(self, how: Any) -> None:
        """View ▸ Zoom: `how(canvas)` on the compare view when it is shown."""
        if self.stage.currentWidget() is not self.compare:
            self.statusBar().showMessage("Zoom is for Compare (V): the frame before | after", 5000)
            return
        how(self.compare.canvas)

    def either(self, for_album: Any, for_film: Any) -> Any:
        """A slot that does `for_album()` while an album is open, else `for_film()`."""
        return lambda *_: for_album() if self.album.active else for_film()

    def _build_actions(self) -> None:
        player, shots, colour = self.player, self.shot_list, self.colour_picks
        exporter, projects, help_ = self.exporter, self.projects, self.help
        album, either = self.album, self.either

        def action(
            text: str, keys: Any, slot: Any, menu: Any = None, tip: str = "", anytime: bool = False
        ) -> QAction:
            a = QAction(text, self)
            if keys:
                a.setShortcuts(keys if isinstance(keys, list) else [QKeySequence(keys)])
            on_triggered(a, slot if anytime else when_open(self, a, slot))
            if tip:
                a.setStatusTip(tip)
            self.addAction(a)  # shortcuts work even with the menu bar hidden
            if menu is not None:
                menu.addAction(a)
            return a

        file_menu = self.menuBar().addMenu("&File")
        self.open_action = action("&Open film or image…", QKeySequence.StandardKey.Open,
                                  projects.choose_film, file_menu, anytime=True)  # fmt: skip
        self.open_folder_action = action("Open &folder of frames…", "Ctrl+Shift+O",
                                         projects.choose_folder, file_menu, "", True)  # fmt: skip
        action("Open &pictures…", "Ctrl+Alt+O", album.choose_pictures, file_menu,
               "One photo, or several as an album (each restored on its own)", True)  # fmt: skip
        action("Open &album folder…", "Ctrl+Alt+Shift+O", album.choose_folder, file_menu,
               "A folder of unrelated photos, each restored on its own", True)  # fmt: skip
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(projects.fill_recent_menu)
        file_menu.addSeparator()
        action("&Save project", QKeySequence.StandardKey.Save,
               either(album.projects.save, projects.save_project), file_menu)  # fmt: skip
        action("Sa&ve project as…", QKeySequence.StandardKey.SaveAs,
               either(album.projects.save_as, projects.save_project_as), file_menu)  # fmt: skip
        action("&Export…", "Ctrl+E", either(album.exports.export, exporter.export), file_menu)
        action("Export &marked part…", "Ctrl+Alt+E", lambda: exporter.export_part(), file_menu,
               "The part between the in and out marks (Go ▸ Mark in / Mark out), with its "
               "sound")  # fmt: skip
        action("Export t&his frame…", "Ctrl+Shift+F", lambda: exporter.export_frame(), file_menu,
               "The frame under the playhead, restored, into a picture file (PNG or TIFF at 16 "
               "bits, JPEG, WebP)")  # fmt: skip
        action("Export selected pi&cture…", "Ctrl+Shift+E", lambda: album.exports.export_picture(),
               file_menu, "The album's selected picture into a picture file")  # fmt: skip
        self.sound_action = action(
            "So&und…", None, lambda: choose_soundtrack(self), file_menu,
            "The sound the export carries: the film's own, or a soundtrack (a score for a silent "
            "film)",
        )  # fmt: skip
        file_menu.addSeparator()
        action("&Quit", QKeySequence.StandardKey.Quit, self.close, file_menu, anytime=True)

        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = action(
            "&Undo", QKeySequence.StandardKey.Undo, self.edits.undo, edit_menu,
            "Take back the last edit: a hint, a pick, a split…", True,
        )  # fmt: skip
        self.redo_action = action(
            "&Redo", QKeySequence.StandardKey.Redo, self.edits.redo, edit_menu,
            "Make the edit taken back again", True,
        )  # fmt: skip
        self.edits.follow(self.undo_action, self.redo_action)

        go = self.go_menu = self.menuBar().addMenu("&Go")
        action("&Play / pause", Qt.Key.Key_Space, player.toggle_play, go)
        action("Play &backwards (J; again: faster)", Qt.Key.Key_J, lambda: player.shuttle(-1), go)
        action("Pa&use (K)", Qt.Key.Key_K, player.pause, go)
        action("P&lay (L; again: faster)", Qt.Key.Key_L, lambda: player.shuttle(1), go)
        go.addSeparator()
        action("Pre&vious frame", Qt.Key.Key_Left, lambda: player.step(-1), go)
        action("Ne&xt frame", Qt.Key.Key_Right, lambda: player.step(1), go)
        action("Back one secon&d", "Shift+Left", lambda: player.step(-player.one_second()), go)
        action("Forwa&rd one second", "Shift+Right", lambda: player.step(player.one_second()), go)
        action("&First frame", Qt.Key.Key_Home, lambda: player.seek(0), go)
        action("Las&t frame", Qt.Key.Key_End, lambda: player.seek(self.frame_count - 1), go)
        go.addSeparator()
        action("Pr&evious shot", Qt.Key.Key_PageUp, lambda: shots.step_shot(-1), go)
        action("&Next shot", Qt.Key.Key_PageDown, lambda: shots.step_shot(1), go)
        action("Next shot &without colours", "N", lambda: shots.step_unpicked(1), go,
               "The next shot with no colours chosen for it: what is left to do")  # fmt: skip
        action("Previous shot without colours", "Shift+N", lambda: shots.step_unpicked(-1), go)
        go.addSeparator()
        action("&Split shot at this frame", "S", shots.split_shot, go)
        action("&Merge shot with the one before", "Shift+S", shots.merge_shot, go)
        go.addSeparator()
        action("Mark &in", "Alt+I", exporter.mark_in, go,
               "The part to export starts at this frame")  # fmt: skip
        action("Mark &out", "Alt+O", exporter.mark_out, go,
               "The part to export ends at this frame")  # fmt: skip
        action("Mark this s&hot", "Alt+S", exporter.mark_shot, go,
               "The shot under the playhead, whole, is the part to export")  # fmt: skip
        action("&Clear in and out", "Alt+X", lambda: exporter.clear_marks(), go,
               "Export writes the whole film again")  # fmt: skip

        colour_menu = self.colour_menu = self.menuBar().addMenu("&Colour")
        for a in (  # the actions an album has too (the others are disabled in an album)
            action("&Sample colour modes", "C",
                   either(album.sample_colour_modes, colour.sample_colour_modes), colour_menu),
            action("Show colour &modes", "M",
                   either(album.show_candidates, colour.show_candidates), colour_menu),
        ):  # fmt: skip
            a.setProperty("album", True)
        action("Colour from a &picture…", "R", lambda: colour.colour_from_picture(), colour_menu,
               "Take this shot's colours from a colour photo of the same scene")  # fmt: skip
        action("Colour its scene &alike", "Shift+A",
               either(album.carry.carry, colour.carry_to_scene), colour_menu,
               "This shot's colours carried to the shots around it of the same scene (an "
               "album's picture's, to its other pictures), matched to what they show; those "
               "with a pick of their own keep it").setProperty("album", True)  # fmt: skip
        for a in (  # an album's picture too
            action("Keep this shot black and &white", "G", colour.keep_black_and_white,
                   colour_menu, "No colour at all: an intertitle, a scene meant grey"),
            action("Keep its &own colours", "O", colour.keep_own_colours, colour_menu,
                   "A shot or a picture in colour already keeps the colours it holds, whatever "
                   "the colorizer would draw"),
            action("&Tint this shot…", "T", lambda: colour.tint(), colour_menu,
                   "One colour over the light parts, as a dyed base (amber, blue…)"),
            action("Ton&e this shot…", "Shift+T", lambda: colour.tint(tone=True), colour_menu,
                   "One colour in the middle greys, as a toned print (sepia…)"),
        ):  # fmt: skip
            a.setProperty("album", True)
        self.negative_action = action(
            "Read the film as a &negative", None, projects.toggle_negative, colour_menu,
            "A scan of a negative (often all that is left of a film), turned positive as it "
            "is read (Restore panel ▸ Scan)",
        )  # fmt: skip
        self.negative_action.setCheckable(True)
        self.levels_action = action(
            "Stretch the film's faded &levels", None, projects.toggle_levels, colour_menu,
            "A faded print or a flat transfer: its darkest and lightest tones, measured across "
            "the film, stretched to black and white as it is read",
        )  # fmt: skip
        self.levels_action.setCheckable(True)
        self.levels_action.setEnabled(False)  # until the film's levels are measured
        action("Set the film's le&vels…", None, self.choose_levels, colour_menu,
               "The black and white points a faded film is stretched from, by hand")  # fmt: skip
        for a in (
            action("Back to the &film", None, either(album.show_grid, player.show_film),
                   colour_menu),
            action("&Compare before | after", "V", either(album.compare, exporter.compare_frame),
                   colour_menu),
        ):  # fmt: skip
            a.setProperty("album", True)
        colour_menu.addSeparator()
        hints_menu = colour_menu.addMenu("&Hints")  # their own letters (Alt+C, H, …)
        self.hint_editor.build_actions(hints_menu, action)
        for a in [hints_menu.menuAction(), *hints_menu.actions()]:  # an album's picture
            a.setProperty("album", True)  # takes hints as a shot does

        view = self.menuBar().addMenu("&View")
        # Compare's zoom (its own keys + - 1 0 and the wheel do the same there)
        for text, keys, how in (
            ("Zoom &in", ["Ctrl++", "Ctrl+="], lambda c: c.zoom_by(ZOOM_STEP)),
            ("Zoom &out", "Ctrl+-", lambda c: c.zoom_by(1 / ZOOM_STEP)),
            ("&Actual pixels", "Ctrl+1", lambda c: c.actual_pixels()),
            ("&Fit the view", "Ctrl+0", lambda c: c.set_zoom(1.0)),
        ):
            keys = [QKeySequence(k) for k in keys] if isinstance(keys, list) else keys
            action(text, keys, lambda how=how: self.zoom_compare(how), view)
        view.addSeparator()
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
        action("&Keyboard shortcuts", "F1", help_.show_shortcuts, help_menu, anytime=True)
        action("Run &self-test", None, help_.run_self_test, help_menu, anytime=True)
        action("Open &log folder", None, help_.open_log_folder, help_menu, anytime=True)
        action("&About Panchro", None, help_.about, help_menu, anytime=True)

    def set_theme(self, theme: str) -> None:
        """Light, dark or the system's, now and at the next start."""
        apply_theme(QApplication.instance(), theme)  # type: ignore[arg-type]
        save_theme(theme)
        self.theme_actions[theme].setChecked(True)

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802
        if watched is self._side_viewport and event.type() == event.Type.Resize:
            self._line_up_restore()
        return super().eventFilter(watched, event)

    def _colour_panel_in_sight(self, _index: int) -> None:
        if self.stage.currentWidget() is self.candidates:
            self.side_scroll.ensureWidgetVisible(self.colour, 0, 0)

    def _line_up_restore(self) -> None:
        """Restore's margins, so its edges are those of the scrolling panels above it."""
        m = self._side_margins
        bar = self.side_scroll.width() - self.side_scroll.viewport().width()  # 0: no scroll bar
        self._restore_margins.setContentsMargins(m.left(), 0, m.right() + max(bar, 0), m.bottom())

    # --- what is open -----------------------------------------------------------------

    @property
    def frame_count(self) -> int:
        count = self.info.get("frame_count")
        return int(count) if isinstance(count, int) else 0

    @property
    def fps(self) -> float:
        return tc.to_float(self.info.get("fps_float", self.info.get("fps"))) or 24.0

    # --- crop -------------------------------------------------------------------------

    def film_size(self) -> tuple[int, int]:
        return int(self.info.get("width") or 0), int(self.info.get("height") or 0)

    def found_levels(self, levels: list[float] | None, faded: bool) -> None:
        """The film's black and white points the engine measured (the `shots`/`survey`
        answer's): said on the facts' Damage line where it looks faded, and offered by
        Colour ▸ Stretch the film's faded levels."""
        self.measured_levels = [float(v) for v in levels] if levels else None
        self.measured_faded = faded
        self.facts.set_levels(self.measured_levels, faded, stretched=self.film_levels)
        self.levels_action.setEnabled(bool(self.measured_levels or self.film_levels))

    def found_borders(self, borders: list[int] | None) -> None:
        """The border round the picture the engine found (the `shots`/`survey` answer's):
        said on the facts' Size line and offered by the Crop dialog."""
        found = tuple(int(v) for v in borders) if borders else None
        self.restore_panel.borders = found  # type: ignore[assignment]
        self.facts.set_borders(found, *self.film_size())  # type: ignore[arg-type]

    def picture_crop(self) -> tuple[int, int, int, int] | None:
        """The Restore panel's crop when it cuts something off a film: the picture the colours
        are drawn for, matched and laid inside (None: the whole frame, or an album)."""
        crop = self.restore_panel.crop
        return None if not crop or not any(crop) or self.album.active else tuple(crop)

    def colouring(self) -> dict[str, Any]:
        """What a request that colours frames as a render does takes besides the pick: the
        film's `hints` (laid over the picks), its `crop` (the picture coloured alone, the
        borders grey) and the colours' strength, where there are any."""
        hints = self.hint_editor.hints_json()
        crop = self.picture_crop()
        strength = self.restore_panel.settings().get("colour_strength")
        return (
            ({} if hints is None else {"hints": hints})
            | ({} if crop is None else {"crop": list(crop)})
            | ({} if strength is None else {"colour_strength": strength})
        )

    def show_crop(self, crop: tuple[int, int, int, int] | None = None) -> None:
        """Draw `crop` (default: the Restore panel's) over the frame on screen."""
        crop = crop if crop is not None else self.restore_panel.crop
        w, h = self.film_size()
        if not crop or not w or not h or self.album.active:
            self.view.set_crop(None)
            return
        left, top, right, bottom = crop
        self.view.set_crop((left / w, top / h, right / w, bottom / h))

    def choose_crop(self) -> None:
        """Restore panel ▸ Crop: the dialog, the frame showing the crop as it is edited."""
        from panchro.gui.crop import CropDialog

        if self.film is None or not all(self.film_size()):
            self.statusBar().showMessage("Open a film first", 4000)
            return
        panel = self.restore_panel
        dialog = CropDialog(self.film_size(), panel.crop, panel.borders, self)
        dialog.changed.connect(self.show_crop)
        self.crop_dialog = dialog  # for tests and the tour
        if dialog.exec():
            panel.set_crop(dialog.margins())
        self.crop_dialog = None
        self.show_crop()

    def choose_levels(self) -> None:
        """Colour ▸ Set the film's levels…: the dialog, the measured points offered (the
        action runs only with something open: `when_open`)."""
        from panchro.gui.levels import LevelsDialog

        dialog = LevelsDialog(self.film_levels, self.measured_levels, self)
        self.levels_dialog = dialog  # for tests and the tour
        if dialog.exec():
            self.projects.set_levels(dialog.points())
        self.levels_dialog = None

    def check_settled(self) -> None:
        """`settled`, once: a frame in the view, the shots found, every thumbnail in."""
        if self.settled_sent or self.film is None or self.player.displayed is None:
            return
        if not self.shots_done or self.shot_list.thumbnails_pending():
            return
        self.settled_sent = True
        self.settled.emit()

    def show_error(self, what: str, msg: Message) -> None:
        """An engine's error reply, in the bar above the picture and the status bar."""
        code = str(msg.body.get("code", ""))
        text = str(msg.body.get("message", ""))
        if code == ErrorCode.INTERNAL:
            text += f" — log: {self.engine.log_path}"
        self.message_bar.show_message(f"{what}: {text}", "error")
        self.statusBar().showMessage(what, 10000)

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
        self.projects.engine_ready()
        if not self._recovery_offered:  # at start, not after a restart of the engine
            self._recovery_offered = True
            self.recovery.offer()

    def _on_engine_died(self, reason: str) -> None:
        # Every pending request died with it; the film is reopened on the next `ready`.
        self.projects.forget_film(close_in_engine=False)
        self.projects.restart_reason = reason
        self.message_bar.show_message(
            f"The engine stopped: {reason}. Restarting it"
            + (" and reopening the film." if self.film_path else "."),
            "warning",
        )
        self.colour.set_engine_down("The engine is restarting…")

    def _on_engine_log(self, level: str, text: str) -> None:
        if level in ("warning", "error", "critical"):
            self.statusBar().showMessage(f"Engine {level}: {text}", 8000)

    # --- window events ----------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if _local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = _local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.projects.open_dropped(paths)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.album.maybe_keep_picks() or not self.projects.maybe_keep_changes():
            event.ignore()
            return
        self.recovery.discard()  # saved or let go just now: nothing for a next start
        self._finish_saves()
        self.engine.shutdown()
        super().closeEvent(event)

    def _finish_saves(self, timeout_ms: int = 20_000) -> None:
        """Let a project save still on its way (the question's Save just sent one) land before
        the engine stops: its shutdown cancels what is queued. A save runs on the engine's
        light lane, so a running export does not hold it up."""

        def saving() -> bool:
            return Request.SAVE_PROJECT in self.engine.pending.values()

        if not saving() or not self.engine.is_ready():
            return
        loop = QEventLoop()
        poll = QTimer(self, interval=50)
        poll.timeout.connect(lambda: None if saving() and self.engine.is_ready() else loop.quit())
        QTimer.singleShot(timeout_ms, loop.quit)
        poll.start()
        loop.exec()
        poll.stop()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1280, 800)


def _local_paths(mime: Any) -> list[str]:
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
