"""The desktop app's entry point and main window.

The window has three places, chosen from the rail on its left: Prepare (the editor), Requests and
Archive. Menus carry the native shortcuts; a PDF dropped anywhere on the window opens in the
editor. asyncio runs inside the Qt event loop (qasync), so network work never blocks the window.

The window is shown before the rest of the app is loaded: :func:`run_app` builds its frame
(title, saved size, rail, menu titles, status bar), waits for its first paint, and only then
imports and builds the places, the store, the providers, the async loop and the background
sync (:meth:`MainWindow.finish_start`). This module imports nothing beyond Qt for that reason.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

# Only what the window's frame needs is imported here (PySide6 makes each class when it is
# first imported); the rest where it is used, after the first paint.
from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget, QToolBar

from app import __version__
from app.resources import resource

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QDialog

    from app.context import Context
    from app.ui.archive.page import ArchivePage
    from app.ui.bridge import AsyncBridge
    from app.ui.bulk.launcher import BulkLauncher
    from app.ui.editor.editor import EditorWidget
    from app.ui.live import LiveUpdates
    from app.ui.requests.page import RequestsPage
    from app.ui.settings.dialog import SettingsDialog
    from app.ui.signing import SigningView
    from app.ui.store_start import StoreProblem
    from app.ui.sync_controller import SyncController
    from app.ui.welcome import WelcomeDialog

log = logging.getLogger(__name__)

#: The menus of the menu bar, shown (empty) from the first paint; filled by finish_start.
MENU_TITLES = ("&File", "&Edit", "&View", "&Request", "&Help")
#: How long run_app waits for the window's first paint before completing it anyway.
FIRST_PAINT_WAIT_MS = 3000


def app_icon() -> QIcon:
    """The app's icon, from the PNG sizes rendered from ``resources/icons/sealbox.svg``."""
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        icon.addFile(str(resource("icons", f"sealbox-{size}.png")), QSize(size, size))
    return icon


def style_sheet() -> str:
    path = resource("styles", "sealbox.qss")
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def ui_settings(ctx: Context | None = None) -> QSettings:
    """Window state, recent files and the last folder: beside the settings file (found from
    the environment alone when there is no context yet)."""
    if ctx is not None:
        config_file = ctx.paths.config_file
    else:
        from app.config import resolve_paths

        config_file = resolve_paths(os.environ).config_file
    return QSettings(str(config_file.parent / "ui.ini"), QSettings.Format.IniFormat)


def _is_pdf(url_path: str) -> bool:
    return url_path.lower().endswith(".pdf")


class MainWindow(QMainWindow):
    """The main window. ``MainWindow(deferred=True)`` is only its frame, ready to show at once;
    :meth:`finish_start` completes it (without ``deferred`` the constructor does)."""

    #: The window is complete (its places built): emitted once, by :meth:`finish_start`.
    ready = Signal()

    ctx: Context
    bridge: AsyncBridge
    editor: EditorWidget
    requests_page: RequestsPage
    archive_page: ArchivePage
    sync: SyncController
    live: LiveUpdates
    bulk: BulkLauncher

    def __init__(
        self,
        ctx: Context | None = None,
        bridge: AsyncBridge | None = None,
        *,
        deferred: bool = False,
    ) -> None:
        super().__init__()
        self._owns_context = ctx is None
        self._quitting = False
        if ctx is not None:
            self.ctx = ctx
        if bridge is not None:
            self.bridge = bridge
        self.started = False
        #: Why the store cannot be used, while its dialog is open (the window waits).
        self.store_problem: StoreProblem | None = None
        self._place_wanted = 0
        self.settings = ui_settings(ctx)
        self.setWindowTitle("Sealbox")
        self.resize(1320, 860)
        self.setAcceptDrops(True)
        self.places = QStackedWidget()
        self.setCentralWidget(self.places)
        self._build_rail()
        # The menu bar as it will be, so nothing moves when finish_start fills it.
        self._menu_frame = [self.menuBar().addMenu(title) for title in MENU_TITLES if deferred]
        self.setWindowIcon(app_icon())
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.statusBar().showMessage("Starting…")
        if not deferred:
            self.finish_start()

    def finish_start(self) -> None:
        """Build the places, menus, busy bar, background sync and tray icon: everything that
        needs the store, the providers or the async loop (imported here). When the store needs
        the user first (:func:`~app.ui.store_start.store_ready`), this is done again once the
        user has settled it in Settings."""
        from PySide6.QtWidgets import QMessageBox

        from app.context import Context
        from app.ui.bridge import AsyncBridge
        from app.ui.store_start import follow_unread, store_ready
        from app.ui.wheel import install_wheel_guard

        app = QApplication.instance()
        if isinstance(app, QApplication):
            install_wheel_guard(app)  # before any panel exists, so every one is guarded
        if self._owns_context and not hasattr(self, "ctx"):
            self.ctx = Context.from_environment()
        if not hasattr(self, "bridge"):
            self.bridge = AsyncBridge(self)
        if not store_ready(self):  # the store needs the user first: a dialog says why
            return
        self._build_places()
        self.menuBar().clear()
        for menu in self._menu_frame:
            menu.deleteLater()
        self._build_menus()
        self._connect_places()
        self._build_status_bar()
        follow_unread(self)  # a shared store not reached since the start: Offline
        self.bridge.errorReported.connect(
            lambda title, text: QMessageBox.warning(self, title, text)
        )
        self.statusBar().showMessage("Open a PDF to prepare it for signature.")
        self.started = True
        if self._place_wanted:
            self.show_place(self._place_wanted)
        self.ready.emit()

    def _build_places(self) -> None:
        """Prepare, Requests and Archive in the window's stack, and Send to many."""
        from app.ui.archive.page import ArchivePage
        from app.ui.bulk.launcher import BulkLauncher
        from app.ui.editor.editor import EditorWidget
        from app.ui.requests.page import RequestsPage

        self.editor = EditorWidget(self.ctx, self.bridge, self.settings)
        self.requests_page = RequestsPage(self.ctx, self.bridge)
        self.archive_page = ArchivePage(self.ctx, self.bridge)
        for page in (self.editor, self.requests_page, self.archive_page):
            self.places.addWidget(page)
        self.bulk = BulkLauncher(self.ctx, self.bridge, self.editor, self)
        self.bulk.showRun.connect(self.show_run)

    def _connect_places(self) -> None:
        """What the places ask of the window: status messages, showing a request, signing."""
        self.editor.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.editor.documentChanged.connect(self._document_changed)
        self.editor.sent.connect(self.show_request)
        self.editor.showRequest.connect(self.show_request)
        self.requests_page.openInArchive.connect(self.show_archived)
        self.requests_page.signNow.connect(self.sign_now)
        self.signing_windows: dict[str, QDialog] = {}

    def _build_status_bar(self) -> None:
        """The busy bar, the background sync with its offline label, and the tray icon."""
        from PySide6.QtWidgets import QLabel, QProgressBar, QSystemTrayIcon

        from app.ui.style import DANGER
        from app.ui.sync_controller import SyncController

        # Background work (sending, reading the document's text) shows as a busy bar.
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(140)
        self.busy.setVisible(False)
        self.statusBar().addPermanentWidget(self.busy)
        self.bridge.busyChanged.connect(self.busy.setVisible)
        # Background sync: started by run_app (tests drive it themselves).
        self.sync = SyncController(self.ctx, self.bridge, self)
        self.offline_label = QLabel("Offline: Sealbox will try again")
        self.offline_label.setStyleSheet(f"color: {DANGER}; padding: 0 6px;")
        self.offline_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.offline_label)
        self.sync.onlineChanged.connect(lambda online: self.offline_label.setVisible(not online))
        self.sync.notified.connect(
            lambda title, text: self.statusBar().showMessage(f"{title}: {text}", 15000)
        )
        self.sync.requestsChanged.connect(lambda _ids: self._requests_changed())
        self._build_live()
        self._build_kept_sends()
        if QSystemTrayIcon.isSystemTrayAvailable():
            tray = QSystemTrayIcon(app_icon(), self)
            tray.setToolTip("Sealbox")
            tray.activated.connect(self._raise_window)
            tray.show()
            self.sync.tray = tray

    def _build_live(self) -> None:
        """What other desks do, shown as it happens; the shared store's offline label."""
        from PySide6.QtWidgets import QLabel

        from app.ui.live import LiveUpdates
        from app.ui.style import DANGER

        # Started by run_app (tests drive it themselves).
        self.live = LiveUpdates(self.ctx, self.bridge, self)
        self.store_label = QLabel()
        self.store_label.setStyleSheet(f"color: {DANGER}; padding: 0 6px;")
        self.store_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.store_label)
        self.live.onlineChanged.connect(self._store_online)
        self.live.changed.connect(self._store_changed)

    def _store_online(self, online: bool) -> None:
        from app.ui.live import BACK_ONLINE, offline_text

        self.store_label.setText("" if online else offline_text(self.live.host))
        self.store_label.setVisible(not online)
        if online:
            self.statusBar().showMessage(BACK_ONLINE, 10000)
            self.sync.sync_now(again=True)  # the sends kept meanwhile go now, not at the next tick

    def _build_kept_sends(self) -> None:
        """The sends kept on this desk while the shared store could not be reached."""
        from app.ui.kept_sends import KeptSendsButton

        self.kept_sends = KeptSendsButton(self.ctx, self)
        self.statusBar().addPermanentWidget(self.kept_sends)
        self.kept_sends.refresh()
        self.kept_sends.said.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.sync.synced.connect(self.kept_sends.synced)
        self.editor.kept.connect(self.kept_sends.refresh)

    def _store_changed(self, ids: list[str]) -> None:
        """Requests changed in the store (``ids``; none: anything may have): the place shown
        reads them again."""
        from app.errors import UnavailableError

        try:
            if self.places.currentIndex() == 1:
                if ids and all(self.requests_page.model.row_of(i) >= 0 for i in ids):
                    for request_id in ids:
                        self.requests_page.reload_request(request_id)
                else:
                    self.requests_page.refresh()
            elif self.places.currentIndex() == 2:
                self.archive_page.refresh()
        except UnavailableError as exc:
            self.live.trouble(exc)

    def _build_rail(self) -> None:
        rail = QToolBar("Places")
        rail.setObjectName("places")
        rail.setMovable(False)
        rail.setOrientation(Qt.Orientation.Vertical)
        rail.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        rail.setIconSize(QSize(24, 24))
        group = QActionGroup(self)
        self.place_actions: list[QAction] = []
        for i, (name, shortcut) in enumerate(
            (("Prepare", "Ctrl+1"), ("Requests", "Ctrl+2"), ("Archive", "Ctrl+3"))
        ):
            action = QAction(name, self)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(lambda _=False, index=i: self.show_place(index))
            group.addAction(action)
            rail.addAction(action)
            self.place_actions.append(action)
        self.place_actions[0].setChecked(True)
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, rail)

    def show_place(self, index: int) -> None:
        if not self.started:  # a place chosen before the window is complete: shown then
            self._place_wanted = index
            self.place_actions[index].setChecked(True)
            return
        self.places.setCurrentIndex(index)
        self.place_actions[index].setChecked(True)
        self._store_changed([])

    def show_run(self, run_id: str) -> None:
        """Show the requests of a run of send to many in Requests."""
        self.show_place(1)
        self.requests_page.show_run(run_id)

    def _build_menus(self) -> None:
        from app.ui.menus import MenuSlots, build_menus

        slots = MenuSlots(
            fill_recent=self._fill_recent,
            settings=self.open_settings,
            quit=self.quit,
            sample=self.open_sample,
            about=self._about,
        )
        self.recent_menu = build_menus(self, self.editor, self.bulk.action, slots)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.editor.recent_files()
        if not recent:
            none = self.recent_menu.addAction("No recent documents")
            none.setEnabled(False)
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.user_open(Path(p)))

    def open_file(self, path: Path) -> bool:
        """Open ``path`` in Prepare (unsent work on the open document is kept as a draft)."""
        self.show_place(0)
        return self.editor.open_file(path)

    def user_open(self, path: Path) -> bool:
        """Open ``path`` as the user asked: unsent work is saved or discarded as they say."""
        self.show_place(0)
        return self.editor.request_open(path)

    def offer_restore(self) -> bool:
        """At start: offer to restore work that a crash or a kill cut off (not while the shared
        store has not been reached: its drafts cannot be read)."""
        if self.live.unread or not self.editor.drafts.orphaned():
            return False
        self.show_place(0)
        return self.editor.restore_unfinished()

    def quit(self) -> None:
        """File › Quit (Ctrl+Q): asks about unsent work like closing the window does."""
        self._quitting = True
        try:
            self.close()
        finally:
            self._quitting = False

    def show_request(self, request_id: str) -> None:
        self.show_place(1)
        self.requests_page.show_request(request_id)

    def _raise_window(self) -> None:
        self.showNormal()
        self.activateWindow()

    def open_settings(self, page: str | None = None) -> SettingsDialog:
        from app.ui.settings.dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx, self.bridge, self)
        dialog.settingsChanged.connect(self._settings_changed)
        if page:
            dialog.show_page(page)
        dialog.open()
        return dialog

    def offer_welcome(self) -> WelcomeDialog | None:
        """On the first run, ask for the sender's name and email (once, skippable); returns the
        dialog, open, or None when it is not the first run."""
        from app.ui.welcome import WelcomeDialog, should_welcome

        if not should_welcome(self.ctx, self.settings):
            return None
        dialog = WelcomeDialog(self.ctx, self.bridge, self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._settings_changed)
        log.info("first run: asking for the sender's name and email")
        dialog.open()
        return dialog

    def _settings_changed(self) -> None:
        """Apply new settings at once: sync interval, providers, archive folder."""
        self.sync.apply_settings()
        self.editor.set_provider(self.editor.provider_id)
        self.archive_page.refresh()
        self.statusBar().showMessage("Settings saved.", 5000)

    def sign_now(self, request_id: str) -> SigningView:
        """Open in-person signing for a local request (one window per request)."""
        from PySide6.QtWidgets import QDialog, QVBoxLayout

        from app.ui.signing import SigningView

        existing = self.signing_windows.get(request_id)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            view = existing.findChild(SigningView)
            assert view is not None
            return view
        dialog = QDialog(self)
        dialog.setWindowTitle("Sign in person — Sealbox")
        dialog.resize(1100, 820)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view = SigningView(self.ctx, self.bridge, request_id, dialog)
        layout = QVBoxLayout(dialog)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(view)
        view.finished.connect(lambda rid, _done: self.requests_page.refresh())
        view.declined.connect(lambda rid: self.requests_page.refresh())
        dialog.destroyed.connect(lambda _=None, rid=request_id: self.signing_windows.pop(rid, None))
        self.signing_windows[request_id] = dialog
        dialog.show()
        return view

    def show_archived(self, request_id: str) -> None:
        self.show_place(2)
        self.archive_page.show_request(request_id)

    def _requests_changed(self) -> None:
        self._store_changed([])

    def _document_changed(self, name: str) -> None:
        self.setWindowTitle(f"{name} — Sealbox" if name else "Sealbox")

    def open_sample(self) -> bool:
        """Open the sample lease (it has {{sign_here}} and {{initials}} anchors to try)."""
        return self.open_file(resource("samples", "sample-lease.pdf"))

    def _about(self) -> None:
        from app.ui.about import AboutDialog

        AboutDialog(self).exec()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if self.started and urls and _is_pdf(urls[0].toLocalFile()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if self.started and urls and _is_pdf(urls[0].toLocalFile()):
            event.acceptProposedAction()
            self.user_open(Path(urls[0].toLocalFile()))

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.started:  # closed before it was complete (it could not start)
            if self.store_problem is not None:
                self.store_problem.close()
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.sync()
            super().closeEvent(event)
            return
        # The user closing the window (or Quit) is asked about unsent work; a close by the
        # program or the session keeps it as a draft without asking.
        if (event.spontaneous() or self._quitting) and not self.editor.confirm_leave():
            event.ignore()
            return
        self.editor.keep_work()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.sync()
        for dialog in list(self.signing_windows.values()):
            dialog.close()  # its page view ends its render process
        self.sync.stop()
        self.live.stop()
        self.archive_page.shutdown()
        self.editor.shutdown()
        self.bridge.cancel_all()
        if self._owns_context:
            self.ctx.close()
        super().closeEvent(event)


class _FirstPaint(QObject):
    """Quits ``loop`` after the watched window has painted for the first time (Qt shows the
    painted frame before it handles the next event)."""

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self.at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.at is None:
            self.at = time.monotonic()
            QTimer.singleShot(0, self._loop.quit)
        return False


def show_first(window: MainWindow) -> float | None:
    """Show ``window`` and run the event loop until it has painted once (or a few seconds have
    passed: a window manager may keep it hidden); the moment it painted, or None."""
    loop = QEventLoop()
    watcher = _FirstPaint(loop)
    window.installEventFilter(watcher)
    QTimer.singleShot(FIRST_PAINT_WAIT_MS, loop.quit)
    window.show()
    loop.exec()
    window.removeEventFilter(watcher)
    return watcher.at


def _application() -> QApplication:
    """The Qt application (made if there is none yet), with Sealbox's names, icon and style."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Sealbox")
    app.setOrganizationName("Sealbox")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.sealbox.Sealbox")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(style_sheet())
    return app


def run_app(path: Path | None) -> int:
    started = time.monotonic()
    app = _application()
    # The window first: everything else is loaded once it is on screen.
    window = MainWindow(deferred=True)
    shown = show_first(window)

    from PySide6.QtWidgets import QMessageBox

    from app import logs
    from app.errors import SealboxError
    from app.pdf.render import prestart
    from app.ui.bridge import close_loop, install_loop, run_app_loop
    from app.ui.crash import install_crash_hook
    from app.ui.gc_guard import GcGuard

    prestart()  # the page renderers' fork server imports PyMuPDF meanwhile, in its own process
    loop = install_loop(app)
    guard = GcGuard(app)
    try:
        window.finish_start()
    except SealboxError as exc:
        QMessageBox.critical(window, "Sealbox cannot start", exc.for_app())
        window.close()
        guard.stop()
        close_loop(loop)
        return 1
    logs.configure(window.ctx.paths.data_dir / "logs")
    install_crash_hook(window, window.ctx.paths.data_dir)
    ready = time.monotonic()
    log.info(
        "sealbox %s: the app started (window shown after %s, ready after %.2f s)",
        __version__,
        "no paint" if shown is None else f"{shown - started:.2f} s",
        ready - started,
    )
    # A polite end on SIGTERM (a session logout, a test): quit the loop so everything closes.
    # Queued, so a signal that arrives before the event loop runs still ends it once it does.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: QTimer.singleShot(0, app.quit))

    def start() -> None:  # inside the event loop: the questions are asked over the window
        window.offer_welcome()
        window.offer_restore()
        if path is not None:
            window.open_file(path)

    def begin() -> None:  # the window complete (once the store is settled, if it needed that)
        QTimer.singleShot(0, start)
        window.sync.start()
        window.live.start()
        log.info("background sync started")

    if window.started:
        begin()
    else:
        window.ready.connect(begin)
    code = run_app_loop(app, loop)
    window.bridge.shutdown()
    guard.stop()
    log.info("the app closed (exit %d)", code)
    return code
