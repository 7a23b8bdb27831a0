"""A provider's page of the Settings dialog: its settings and credentials (as its registry entry
lists them), and its Test connection button."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.context import Context
from app.providers.base import ProviderConfig
from app.providers.info import ProviderInfo
from app.ui.settings.fields import (
    ERROR_COLOR,
    OK_COLOR,
    Field,
    SecretEdit,
    SettingEdit,
    page_layout,
)


class PageGroup(Protocol):
    """A group of inputs drawn on a provider's page in its own way."""

    def widget(self) -> QWidget: ...

    def keys(self) -> set[str]:
        """The settings' and credentials' keys it draws."""
        ...

    def settings_values(self) -> dict[str, str | None]: ...

    def credentials(self) -> dict[str, str | None]: ...


class ProviderPage(QWidget):
    """One provider's settings and credentials (as its registry entry lists them), and its
    Test connection button."""

    def __init__(
        self,
        ctx: Context,
        info: ProviderInfo,
        parent: QWidget | None = None,
        *,
        group: PageGroup | None = None,
    ) -> None:
        super().__init__(parent)
        #: A group of its own that draws some settings and credentials (the In person page's
        #: "Seal with"): they are not drawn here, and Test connection takes them from it.
        self.group = group
        drawn = group.keys() if group is not None else set()
        self.ctx = ctx
        self.info = info
        self.pid = info.id
        layout = page_layout(self, info.name, info.about)
        self.form = layout
        self.settings: dict[str, SettingEdit] = {}
        if group is not None:
            layout.addRow(group.widget())
        for spec in info.settings:
            if spec.key in drawn:
                continue
            edit = SettingEdit(
                spec, self.stored_setting(spec.key), self.env_var(spec.key), dict(ctx.environ)
            )
            self.settings[spec.key] = edit
            layout.addRow(spec.label, edit)
        self.secrets: dict[str, SecretEdit] = {}
        for secret in info.secrets:
            if secret.key in drawn:
                continue
            field = SecretEdit(ctx, f"{self.pid}.{secret.key}")
            if secret.note:
                field.add_note(secret.note)
            self.secrets[secret.key] = field
            layout.addRow(secret.label, field)

        self.test_button = QPushButton(info.test_label)
        self.test_button.setToolTip("Saves nothing: tries the values in this dialog")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status_label.setContentsMargins(0, 4, 0, 0)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QWidget()
        row = QHBoxLayout(test_row)
        row.setContentsMargins(0, 6, 0, 0)
        row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.status_label, 1)
        layout.addRow("", test_row)

    def env_var(self, key: str) -> str | None:
        """The environment variable that overrides setting ``key`` (none for a top-level one,
        such as the seal certificate)."""
        return self.info.setting_variable(key)

    def stored_setting(self, key: str) -> str | None:
        """The value in ``config.toml`` (not the environment's)."""
        spec = self.info.setting(key)
        if spec is not None and spec.top_level:
            value = getattr(self.ctx.settings, key, None)
            return value if isinstance(value, str) else None
        value = self.ctx.settings.providers.get(self.pid, {}).get(key)
        return str(value) if value is not None else None

    def check(self) -> list[Field]:
        found: list[Field] = []
        for edit in self.settings.values():
            edit.show_problem(edit.check())
            if edit.problem is not None:
                found.append(edit)
        return found

    def config(self, sender_name: str | None, sender_email: str | None) -> ProviderConfig:
        """A configuration from what is typed here, falling back to what is stored."""
        typed = {key: edit.value() for key, edit in self.settings.items()}
        secrets = dict(self.secrets)
        ctx, pid = self.ctx, self.pid

        from_group = self.group.settings_values() if self.group is not None else {}
        group_secrets = self.group.credentials() if self.group is not None else {}

        def setting(key: str) -> str | None:
            if key in from_group:
                return from_group[key]
            value = typed.get(key)
            if value:
                return value
            env_var = self.env_var(key)
            return (ctx.environ.get(env_var) or None) if env_var else None

        values = {key: edit.effective() for key, edit in secrets.items()}

        def credential(key: str) -> str | None:
            if key in group_secrets:
                return group_secrets[key]
            if key in values:
                return values[key]
            return ctx.secrets.get(f"{pid}.{key}")

        return ProviderConfig(
            provider_id=pid,
            credential=credential,
            setting=setting,
            sender_name=sender_name,
            sender_email=sender_email,
            transport=ctx.transport,
        )

    def show_status(self, ok: bool | None, text: str) -> None:
        color = OK_COLOR if ok else ERROR_COLOR if ok is False else None
        style = f"color: {color};" if color else "color: palette(placeholder-text);"
        self.status_label.setStyleSheet(style)
        self.status_label.setText(text)
