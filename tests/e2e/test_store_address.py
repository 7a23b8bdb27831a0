"""The shared store's address as the command reads it: a password written in it is refused
(and never repeated), and the environment's address wins over the settings file's."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_sealbox


def test_a_password_in_the_settings_files_address_is_refused(home: Path) -> None:
    (home / "config.toml").write_text(
        '[store]\naddress = "postgresql://jane:s3cret@db.office.lan:5432/sealbox"\n',
        encoding="utf-8",
    )
    listed = run_sealbox("list")
    assert listed.returncode == 1
    assert listed.stderr.strip() == (
        "sealbox: The address in [store] of the settings file contains a password, which must "
        "not be written there: remove it from the address and enter the password in Settings › "
        "Shared store (it goes to the system keyring as store.password; "
        "SEALBOX_STORE_PASSWORD also gives it)."
    )
    assert "s3cret" not in listed.stdout + listed.stderr
    assert not (home / "data" / "sealbox.db").exists()


def test_the_environments_address_wins_and_names_a_sqlite_file(home: Path, tmp_path: Path) -> None:
    (home / "config.toml").write_text(
        '[store]\naddress = "postgresql://jane:s3cret@db.office.lan:5432/sealbox"\n',
        encoding="utf-8",
    )
    shared = tmp_path / "shared" / "sealbox.db"
    listed = run_sealbox("list", env_extra={"SEALBOX_DATABASE_URL": str(shared)})
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "No requests."
    assert shared.exists() and not (home / "data" / "sealbox.db").exists()
