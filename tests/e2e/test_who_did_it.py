"""Every event of a request names who did it (the desk, the OS user, the sender's name), and
``sealbox list --mine`` lists only the requests created at this desk by this person."""

from __future__ import annotations

import getpass
import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, run_sealbox, sealbox_env
from tests.e2e.test_crash_recovery import inputs  # noqa: F401  (fixture)


def sent_elsewhere(pdf: Path, name: str) -> str:
    """A request sent into this store from another desk by another person (the real send
    service with that desk's identity, in a process of its own): its id."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.elsewhere", str(pdf), name],
        capture_output=True,
        text=True,
        env=sealbox_env(),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_history_names_the_desk_and_person_and_mine_lists_this_desks(
    home: Path,
    inputs: tuple[Path, Path],  # noqa: F811
) -> None:
    pdf, spec = inputs
    mine = run_sealbox(
        "send", str(pdf), "--spec", str(spec), "--json", env_extra={"SEALBOX_SENDER_NAME": "Jane"}
    )
    assert mine.returncode == 0, mine.stderr
    mine_id = json.loads(mine.stdout)["id"]
    theirs_id = sent_elsewhere(pdf, "Front desk lease")

    everyone = run_sealbox("list", "--json")
    assert everyone.returncode == 0, everyone.stderr
    assert {r["id"] for r in json.loads(everyone.stdout)["signatures"]} == {mine_id, theirs_id}
    only_mine = run_sealbox("list", "--mine", "--json")
    assert only_mine.returncode == 0, only_mine.stderr
    assert [r["id"] for r in json.loads(only_mine.stdout)["signatures"]] == [mine_id]
    text = run_sealbox("list", "--mine")
    assert "Front desk lease" not in text.stdout and mine_id[:8] in text.stdout

    shown = run_sealbox("show", theirs_id, "--json")
    assert shown.returncode == 0, shown.stderr
    history = json.loads(shown.stdout)["history"]
    assert history[0]["kind"] == "queued"
    assert {(e["desk"], e["user"], e["person"]) for e in history} == {
        ("FRONT-DESK", "bob", "Bob Smith")
    }
    ours = json.loads(run_sealbox("show", mine_id, "--json").stdout)["history"]
    assert {(e["desk"], e["user"], e["person"]) for e in ours} == {
        (socket.gethostname(), getpass.getuser(), "Jane")
    }
    said = run_sealbox("show", theirs_id)
    assert "history" in said.stdout
    assert "queued  queued for local  (by Bob Smith (bob on FRONT-DESK))" in said.stdout
