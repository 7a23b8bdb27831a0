"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, started on a Unix
socket in that folder and on a free loopback port, stopped (and its folder removed) at the end.

PostgreSQL refuses to run as root (CI runs the tests as root), so when run as root the server
runs as an unprivileged user: ``postgres`` (Debian's package creates it), else ``nobody``. The
programs are found on PATH or in ``/usr/lib/postgresql/<version>/bin`` (Debian keeps them
there, off PATH).

The superuser is ``postgres`` with the password :data:`PASSWORD`; connections on the Unix socket
need no password, connections over TCP need the password (so a test can try a wrong one).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

SUPERUSER = "postgres"
PASSWORD = "sealbox-test-password"
#: What a developer without PostgreSQL is told (the tests that need it are skipped outside CI).
INSTALL_HINT = (
    "PostgreSQL is not installed: install it (Debian/Ubuntu: sudo apt install postgresql; "
    "macOS: brew install postgresql) to run the tests on PostgreSQL; CI runs them always."
)


def find_program(name: str) -> Path | None:
    """``name`` (initdb, pg_ctl) on PATH, else in Debian's newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return Path(found)

    def version(path: Path) -> tuple[int, ...]:
        parts = path.parent.parent.name.split(".")
        return tuple(int(p) for p in parts if p.isdigit())

    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version)
    return candidates[-1] if candidates else None


def available() -> bool:
    return find_program("initdb") is not None and find_program("pg_ctl") is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as when we are root (None: run as we are)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root with neither a 'postgres' nor a 'nobody' account")


@dataclass
class PgServer:
    """A running server: connect with :meth:`url` (TCP, password) or :meth:`socket_url`."""

    base: Path
    port: int
    account: pwd.struct_passwd | None
    pg_ctl: Path

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "socket"

    def url(
        self, dbname: str = "postgres", *, user: str = SUPERUSER, password: str | None = PASSWORD
    ) -> str:
        """A ``postgresql://`` address over loopback TCP."""
        auth = quote(user, safe="")
        if password is not None:
            auth += ":" + quote(password, safe="")
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    def socket_url(self, dbname: str = "postgres", *, user: str = SUPERUSER) -> str:
        """A ``postgresql://`` address on the Unix socket (no password asked)."""
        host = quote(str(self.socket_dir), safe="")
        return f"postgresql://{quote(user, safe='')}@{host}:{self.port}/{dbname}"

    def _run(self, *args: str | Path) -> None:
        subprocess.run(
            [str(a) for a in args], check=True, capture_output=True, **_as_account(self.account)
        )

    def options(self) -> str:
        """The server's command-line options (its port, socket folder and speed settings)."""
        return (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )

    def pause(self) -> None:
        """Stop the server, keeping its data (as a server that went down)."""
        self._run(self.pg_ctl, "stop", "-D", self.data, "-m", "fast", "-w")

    def resume(self) -> None:
        """Start the server again after :meth:`pause`, on the same port."""
        log = self.base / "server.log"
        self._run(
            self.pg_ctl, "start", "-D", self.data, "-o", self.options(), "-l", log, "-w", "-t", "60"
        )

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():  # not paused
                self._run(self.pg_ctl, "stop", "-D", self.data, "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def _as_account(account: pwd.struct_passwd | None) -> dict[str, Any]:
    """subprocess arguments that run a program as ``account`` (nothing when None)."""
    if account is None:
        return {}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    env |= {"HOME": account.pw_dir, "USER": account.pw_name}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": [], "env": env}


def start() -> PgServer:
    """initdb a new cluster in a temporary folder and start it; raises when PostgreSQL is
    missing (check :func:`available` first) or does not start (its log in the message)."""
    initdb, pg_ctl = find_program("initdb"), find_program("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError(INSTALL_HINT)
    account = _server_user()
    # Short: a Unix socket's path must fit in 107 bytes.
    base = Path(tempfile.mkdtemp(prefix="sealbox-pg-"))
    server = PgServer(base=base, port=_free_port(), account=account, pg_ctl=pg_ctl)
    server.socket_dir.mkdir()
    pwfile = base / "pwfile"
    pwfile.write_text(PASSWORD + "\n")
    if account is not None:
        for path in (base, server.socket_dir, pwfile):
            os.chown(path, account.pw_uid, account.pw_gid)
    try:
        server._run(
            initdb,
            "-D",
            server.data,
            "-U",
            SUPERUSER,
            "--pwfile",
            pwfile,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
        )
        log = base / "server.log"
        server._run(
            pg_ctl, "start", "-D", server.data, "-o", server.options(), "-l", log, "-w", "-t", "60"
        )
    except subprocess.CalledProcessError as exc:
        log_text = (
            (base / "server.log").read_text(errors="replace")
            if (base / "server.log").exists()
            else ""
        )
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(
            f"the test PostgreSQL server did not start: {exc.stderr!r}\n{log_text}"
        ) from exc
    return server
