"""Opening the store as the app starts, and what the user is asked when it cannot be used.

The shared store's server may be down when a desk starts (or the address be wrong, or the
password changed). What may pass by itself, the server not answering, does not keep Sealbox
from starting: the store is held offline, the window opens and says Offline, and the app reaches
the server again by itself (:mod:`app.ui.live`). What needs the user (a password refused, no
such database, no rights, an address that cannot be used, a store of a newer Sealbox) is said
in a dialog, :class:`StoreProblem`, offering **Open Settings** (its Shared store page: OK there
opens the store it then names) and **Quit**.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Signal
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from app.context import Context
from app.errors import SealboxError, UnavailableError, UserError
from app.store.address import AddressError
from app.ui.bridge import AsyncBridge
from app.ui.settings.dialog import SettingsDialog

if TYPE_CHECKING:
    from app.ui.main import MainWindow

log = logging.getLogger(__name__)

TITLE = "Sealbox cannot open the shared store"
#: Under the problem's own sentence.
WHAT_TO_DO = (
    "Open Settings to correct the shared store's server, database, user name or password "
    "(Test connection there tries them), or quit Sealbox."
)
#: On the Shared store page opened from the dialog, after the problem's sentence.
SETTINGS_NOTE = "OK opens the shared store this page then names."
OPEN_SETTINGS = "Open Settings"
#: While the shared store is reached at the start, the window's events are handled this often.
PAINT_EVERY_MS = 30
QUIT = "Quit"


def reach_painting(ctx: Context) -> None:
    """Reach the shared store in a thread of its own while the window keeps painting: a server
    that does not answer (a host that drops packets, the VPN down) takes up to the connection's
    timeout, and the window, already shown, must not freeze meanwhile. A server that cannot be
    reached leaves the store held offline (:meth:`Context.hold_store_offline`); anything else
    is left for :func:`open_store`, which opens it again (a refusal comes back at once). Only
    the frame's rail and empty menus can be clicked meanwhile, and the window is not complete,
    so nothing else uses the store."""
    if not ctx.shared_store or "store" in ctx.__dict__:
        return

    def reach() -> None:
        try:
            ctx.store  # noqa: B018  (opening it is the point)
        except UnavailableError as exc:
            log.warning("the shared store cannot be reached at the start, working offline: %s", exc)
            ctx.hold_store_offline()
        except SealboxError as exc:  # said by open_store, which opens it again
            log.info("the shared store could not be opened at the start: %s", exc)

    thread = threading.Thread(target=reach, name="sealbox-reach-store", daemon=True)
    thread.start()
    app = QCoreApplication.instance()
    while thread.is_alive():
        if app is not None:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, PAINT_EVERY_MS)
        thread.join(PAINT_EVERY_MS / 1000)


def open_store(ctx: Context) -> UserError | None:
    """Open ``ctx``'s store for the app. None when the app can go on: the store is open, or it
    is the shared store and its server cannot be reached now (the store is then held offline,
    connected later). The problem when the shared store's address or server needs the user.
    Anything else (a SQLite file of a newer Sealbox, say) is raised."""
    try:
        ctx.store  # noqa: B018  (opening it is the point)
    except AddressError as exc:
        return exc
    except UnavailableError as exc:
        if not ctx.shared_store:
            raise
        log.warning("the shared store cannot be reached at the start, working offline: %s", exc)
        ctx.hold_store_offline()
    except UserError as exc:
        if not ctx.shared_store:
            raise
        log.warning("the shared store cannot be used: %s", exc)
        return exc
    return None


def store_ready(window: MainWindow) -> bool:
    """Open the store of ``window``; False while the problem that needs the user is shown
    instead (:class:`StoreProblem`: OK in Settings completes the window, Quit closes it)."""
    if window.store_problem is not None:
        window.store_problem.close()
        window.store_problem = None
    reach_painting(window.ctx)
    problem = open_store(window.ctx)
    if problem is None:
        return True
    window.statusBar().showMessage("Sealbox cannot open the shared store.")
    ask = StoreProblem(window.ctx, window.bridge, problem, window)
    ask.settled.connect(window.finish_start)
    ask.quit.connect(window.close)
    window.store_problem = ask
    ask.show()
    return False


def follow_unread(window: MainWindow) -> None:
    """A shared store not reached since the start: the window says Offline (its LiveUpdates
    reaches the server by itself, then reads the places), and says why, if the store reached at
    last cannot be used."""

    def refused(text: str) -> None:
        window.store_label.setText(text)
        window.store_label.setVisible(True)
        window.requests_page.refresh()
        window.archive_page.refresh()

    window.live.refused.connect(refused)
    if window.live.unread:
        window.live.lost()


class StoreProblem(QObject):
    """The dialog saying why the store cannot be used, and the Settings it offers.

    ``settled`` is emitted when Settings closed with OK, its settings saved (the store they now
    name is to be opened); ``quit`` when the user chose Quit (or closed the dialog). Cancel in
    Settings shows the problem again."""

    settled = Signal()
    quit = Signal()

    def __init__(
        self, ctx: Context, bridge: AsyncBridge, problem: UserError, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.window = parent
        self.problem = problem
        self.settings: SettingsDialog | None = None
        self.box = QMessageBox(parent)
        self.box.setIcon(QMessageBox.Icon.Warning)
        self.box.setWindowTitle(TITLE)
        self.box.setText(problem.for_app())
        self.box.setInformativeText(WHAT_TO_DO)
        self.settings_button = self.box.addButton(OPEN_SETTINGS, QMessageBox.ButtonRole.AcceptRole)
        self.quit_button = self.box.addButton(QUIT, QMessageBox.ButtonRole.RejectRole)
        self.box.setDefaultButton(self.settings_button)
        self.box.setEscapeButton(self.quit_button)
        self.box.buttonClicked.connect(self._clicked)

    def show(self) -> None:
        self.box.open()

    @property
    def buttons(self) -> list[QPushButton]:
        return [self.settings_button, self.quit_button]

    def _clicked(self, button: object) -> None:
        if button is self.settings_button:
            self.open_settings()
        else:
            log.info("the user quit: the shared store cannot be used")
            self.quit.emit()

    def open_settings(self) -> SettingsDialog:
        """Settings on its Shared store page; OK there settles the problem."""
        dialog = SettingsDialog(self.ctx, self.bridge, self.window)
        dialog.show_store_page()
        dialog.store_page.show_status(False, f"{self.problem.for_app()} {SETTINGS_NOTE}")
        dialog.accepted.connect(self.settled)
        dialog.rejected.connect(self.show)
        self.settings = dialog
        dialog.open()
        return dialog

    def close(self) -> None:
        """Close the dialogs (the window closes, or the store opens)."""
        if self.settings is not None:
            self.settings.close()
            self.settings.deleteLater()
            self.settings = None
        self.box.close()
        self.box.deleteLater()
