"""Paths and the settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings, load_settings, resolve_paths, save_settings
from app.errors import UserError


def test_sealbox_home_puts_everything_under_one_folder(tmp_path: Path) -> None:
    paths = resolve_paths({"SEALBOX_HOME": str(tmp_path)})
    assert paths.config_file == tmp_path / "config.toml"
    assert paths.database == tmp_path / "data" / "sealbox.db"
    assert paths.archive_dir == tmp_path / "archive"
    assert resolve_paths({"SEALBOX_HOME": str(tmp_path)}, "/srv/a").archive_dir == Path("/srv/a")


def test_settings_round_trip_keeps_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('future_key = "kept"\n[providers.craftkit]\nbase_url = "https://x.test"\n')
    settings = load_settings(path)
    settings.sender_name = 'Ada "Office"'
    settings.sync_interval_s = 60
    save_settings(path, settings)
    again = load_settings(path)
    assert again.sender_name == 'Ada "Office"'
    assert again.sync_interval_s == 60
    assert again.extra == {"future_key": "kept"}
    assert again.provider_setting("craftkit", "base_url", {}) == "https://x.test"
    assert (
        again.provider_setting(
            "craftkit", "base_url", {"SEALBOX_CRAFTKIT_BASE_URL": "https://env.test"}
        )
        == "https://env.test"
    )
    assert load_settings(tmp_path / "missing.toml") == Settings()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default_provider = [", "not valid TOML"),
        ('sync_interval_s = "soon"', "bad value for 'sync_interval_s'"),
        ("providers = 3", "bad [providers] section"),
    ],
)
def test_bad_settings_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(UserError, match=message.replace("[", r"\[")):
        load_settings(path)
