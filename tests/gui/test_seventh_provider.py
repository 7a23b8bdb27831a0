"""A seventh provider's entry in the registry is all the app needs: its Settings page appears
(its settings, credentials and connection test) and the choosers offer it, with no other edit.
(The command line, the send path and webhooks: ``tests/contract/test_seventh_provider.py``.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.context import Context
from app.ui.bridge import AsyncBridge
from app.ui.requests.model import provider_label
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.fields import NOT_SET
from tests.gui.conftest import TIMEOUT_MS
from tests.support.seventh import DEFAULT_BASE_URL, ID, PostboxService, registered


@pytest.fixture
def postbox() -> Iterator[PostboxService]:
    with registered() as service:
        yield service


@pytest.fixture
def ctx(
    home: Path, qtbot: QtBot, bridge: AsyncBridge, postbox: PostboxService
) -> Iterator[Context]:
    ctx = Context.from_environment()
    yield ctx
    closing = bridge.start(ctx.aclose(), label="closing")
    qtbot.waitUntil(closing.done, timeout=TIMEOUT_MS)
    ctx.close()


def test_its_settings_page_appears(ctx: Context, bridge: AsyncBridge, qtbot: QtBot) -> None:
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    titles = [dialog.page_list.item(row).text() for row in range(dialog.page_list.count())]
    assert titles[-1] == "Postbox"
    page = dialog.provider_pages[ID]
    assert list(page.settings) == ["base_url"]
    assert page.settings["base_url"].edit.placeholderText() == DEFAULT_BASE_URL
    assert list(page.secrets) == ["api_key", "webhook_secret"]
    assert page.secrets["api_key"].edit.placeholderText() == NOT_SET
    choices = dialog.general.default_provider
    assert choices.itemText(choices.count() - 1) == "Postbox"
    assert choices.itemData(choices.count() - 1) == ID

    page.secrets["api_key"].edit.setText("pb-typed-key")
    task = dialog.test_connection(ID)
    assert task is not None
    qtbot.waitUntil(task.done, timeout=TIMEOUT_MS)
    # The answer is shown by the task's done callback, which the loop runs just after.
    qtbot.waitUntil(page.test_button.isEnabled, timeout=TIMEOUT_MS)
    assert page.status_label.text() == "Connected: Postbox is always there."


def test_the_views_name_it(ctx: Context) -> None:
    assert provider_label(ID) == "Postbox"
