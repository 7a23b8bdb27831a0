"""The store's address: read, checked and shown without a password (app/store/address.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.store.address import (
    AddressError,
    StoreAddress,
    configured_address,
    parse_address,
    redact,
)
from app.wording import Text


def refusal(text: str) -> AddressError:
    with pytest.raises(AddressError) as caught:
        parse_address(text)
    return caught.value


def test_a_postgresql_address_is_read_and_written_back_the_same() -> None:
    address = parse_address(" postgresql://jane@db.office.lan:5433/sealbox?sslmode=require ")
    assert address == StoreAddress(
        kind="postgresql",
        host="db.office.lan",
        port=5433,
        user="jane",
        dbname="sealbox",
        options={"sslmode": "require"},
    )
    assert str(address) == "postgresql://jane@db.office.lan:5433/sealbox?sslmode=require"
    assert address.place == "db.office.lan:5433"
    assert parse_address("postgres://db/sealbox") == StoreAddress(
        kind="postgresql", host="db", port=5432, dbname="sealbox"
    )
    assert "password='s3 cret'" in address.conninfo("s3 cret", timeout=1)
    assert "connect_timeout=2" in address.conninfo(None, timeout=1)


def test_no_address_is_this_desks_own_store_and_a_path_is_a_sqlite_file() -> None:
    assert parse_address("") is None and parse_address(None) is None
    assert parse_address("/srv/sealbox/sealbox.db") == StoreAddress(
        kind="sqlite", path=Path("/srv/sealbox/sealbox.db")
    )


def test_a_password_in_the_address_is_refused_with_where_to_put_it() -> None:
    error = refusal("postgresql://jane:s3cret@db.office.lan:5432/sealbox")
    assert "s3cret" not in str(error)
    message = error.args[0]
    assert isinstance(message, Text)
    assert message == (
        "The shared store's address contains a password, which must not be written there: "
        "remove it from the address and enter the password in Settings › Shared store (it "
        "goes to the system keyring as store.password; SEALBOX_STORE_PASSWORD also gives it)."
    )
    assert message.gui() == (
        "The shared store's address contains a password, which must not be written there: "
        "remove it from the address and enter the password in the Password field of Settings "
        "› Shared store (it is kept in the system keyring)."
    )
    assert "password" in str(refusal("postgresql://jane@db/sealbox?password=x"))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("mysql://db/sealbox", "starts with mysql://: Sealbox shares its store only on PostgreSQL"),
        ("sealbox.db", "is neither a postgresql:// address nor the full path"),
        ("postgresql://jane@db:99999/sealbox", "has the port '99999': a port is a number"),
        ("postgresql://jane@db:5432", "names no database"),
        ("postgresql:///sealbox", "must name one server"),
        ("postgresql://a,b/sealbox", "must name one server"),
        ("postgresql://db/sealbox?foo=1", "cannot be read"),
        ("postgresql://db/sealbox?target_session_attrs=any", "sets target_session_attrs"),
        ("postgresql://db/seal box", "contains a space"),
    ],
)
def test_an_address_that_cannot_be_used_says_why(text: str, said: str) -> None:
    assert said in str(refusal(text))


def test_redact_masks_every_way_a_password_is_written() -> None:
    assert redact("postgresql://jane:s3cret@db:5432/x?sslmode=require&password=abc") == (
        "postgresql://jane:•••@db:5432/x?sslmode=require&password=•••"
    )
    assert redact("host=db password='a b' port=5432") == "host=db password=••• port=5432"
    assert redact("postgresql://jane@db/x") == "postgresql://jane@db/x"


def test_the_environment_wins_over_the_settings_file() -> None:
    file = {"address": "postgresql://jane@file-server/sealbox"}
    env = {"SEALBOX_DATABASE_URL": "postgresql://jane@env-server/sealbox"}
    from_env = configured_address(file, env)
    assert from_env.source == "environment" and from_env.address is not None
    assert from_env.address.host == "env-server"
    from_file = configured_address(file, {})
    assert from_file.source == "file" and from_file.address is not None
    assert from_file.address.host == "file-server"
    assert configured_address({}, {}).address is None
    with pytest.raises(AddressError) as caught:
        configured_address({}, {"SEALBOX_DATABASE_URL": "postgresql://j:pw@h/d"})
    assert str(caught.value).startswith("The environment variable SEALBOX_DATABASE_URL contains")
    assert (
        caught.value.args[0]
        .gui()
        .startswith("The shared store's address set outside Sealbox contains")
    )
