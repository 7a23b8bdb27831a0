"""Bad arguments: every one is exit 1 or 2 with one clear line, never a traceback or a crash
report. The argument vectors the adversarial test found go through the real command; a
property-based test then drives the parser and the commands with generated ones (in process,
and a few through the real command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main
from tests.conftest import ROOT, run_sealbox

SPEC = {
    "name": "Lease",
    "recipients": [{"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}],
    "fields": [
        {
            "recipientIndex": 0,
            "type": "signature",
            "page": 1,
            "x": 72,
            "y": 600,
            "width": 180,
            "height": 48,
        }
    ],
}
BAD_ID = os.fsdecode(b"\xff\xfe")


class Place:
    """Files and folders the arguments may name, under one temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pdf = root / "lease.pdf"
        doc = pymupdf.open()
        doc.new_page().insert_text((72, 72), "Lease agreement")
        doc.save(self.pdf)
        self.spec = root / "spec.json"
        self.spec.write_text(json.dumps(SPEC), encoding="utf-8")
        self.folder = root / "folder"
        self.folder.mkdir()
        self.fifo = root / "pipe"
        os.mkfifo(self.fifo)
        self.long = root / ("b" * 300 + ".pdf")
        self.not_utf8 = root / os.fsdecode(b"\xff.pdf")
        self.missing = root / "missing" / "nothing.pdf"
        self.export = root / "out.zip"
        #: Ids of requests in the store (set by the fixture that sends some).
        self.ids: list[str] = []

    def inputs(self) -> list[str]:
        """Paths that commands read."""
        return [
            str(p)
            for p in (
                self.pdf,
                self.spec,
                self.folder,
                self.fifo,
                self.long,
                self.not_utf8,
                self.missing,
            )
        ] + ["/dev/zero", "-", ""]

    def outputs(self) -> list[str]:
        """Paths that commands may write (always under the temporary folder)."""
        return [
            str(p)
            for p in (
                self.export,
                self.folder,
                self.long,
                self.not_utf8,
                self.missing,
                self.root / "out",
            )
        ]


@pytest.fixture
def place(tmp_path: Path) -> Place:
    return Place(tmp_path)


def assert_one_clear_line(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2, 3), (code, err)
    assert "Traceback" not in err and "Logging error" not in err, err
    assert "This is a bug" not in err, err
    if code in (1, 2):
        assert len(err.strip().splitlines()) == 1, err


# --- the vectors that broke it, through the real command ---------------------------------------


def vectors(place: Place, rid: str = "0000dead") -> dict[str, list[str]]:
    """The vectors, ``rid`` naming a request in the store (so that a sign gets as far as
    reading its image or recipient)."""
    return {
        "show, id not UTF-8": ["show", BAD_ID],
        "cancel, id not UTF-8": ["cancel", BAD_ID],
        "download, id not UTF-8": ["download", BAD_ID],
        "sync --resend, id not UTF-8": ["sync", "--resend", BAD_ID],
        "archive verify, id not UTF-8": ["archive", "verify", BAD_ID],
        "export --id, id not UTF-8": ["archive", "export", str(place.export), "--id", BAD_ID],
        "send, a 300-character name": ["send", str(place.long), "--spec", str(place.spec)],
        "show, a 60,000-character id": ["show", "a" * 60_000],
        "list --limit 10^23": ["list", "--limit", str(10**23)],
        "send, a path not UTF-8": ["send", str(place.not_utf8), "--spec", str(place.spec)],
        "--spec, a FIFO": ["send", str(place.pdf), "--spec", str(place.fifo)],
        "send /dev/zero": ["send", "/dev/zero", "--spec", str(place.spec)],
        "--spec /dev/zero": ["send", str(place.pdf), "--spec", "/dev/zero"],
        "--signature-image, a FIFO": [
            "sign",
            rid,
            "--recipient",
            "0",
            "--signature-image",
            str(place.fifo),
        ],
        "webhooks --port 99999": ["webhooks", "listen", "--port", "99999"],
        "--recipient ²": ["sign", rid, "--recipient", "²", "--approve"],
        "--recipient 10^5000": ["sign", rid, "--recipient", "9" * 5000, "--approve"],
        "--field ²=x": [
            "sign",
            rid,
            "--recipient",
            "0",
            "--typed-signature",
            "J",
            "--field",
            "²=x",
        ],
    }


@pytest.fixture
def one_request(home: Path, place: Place) -> str:
    result = run_sealbox("send", str(place.pdf), "--spec", str(place.spec), "--json")
    assert result.returncode == 0, result.stderr
    rid: str = json.loads(result.stdout)["id"]
    return rid


LABELS = [
    "show, id not UTF-8",
    "cancel, id not UTF-8",
    "download, id not UTF-8",
    "sync --resend, id not UTF-8",
    "archive verify, id not UTF-8",
    "export --id, id not UTF-8",
    "send, a 300-character name",
    "show, a 60,000-character id",
    "list --limit 10^23",
    "send, a path not UTF-8",
    "--spec, a FIFO",
    "send /dev/zero",
    "--spec /dev/zero",
    "--signature-image, a FIFO",
    "webhooks --port 99999",
    "--recipient ²",
    "--recipient 10^5000",
    "--field ²=x",
]


@pytest.mark.parametrize("label", LABELS)
def test_each_bad_argument_gets_one_clear_line(
    label: str, home: Path, place: Place, one_request: str
) -> None:
    # A webhook secret, so that `webhooks listen` gets as far as its port.
    result = run_sealbox(
        *vectors(place, one_request)[label],
        timeout=60,
        env_extra={"SEALBOX_CRAFTKIT_WEBHOOK_SECRET": "whsec_0123456789"},
    )
    assert result.returncode in (1, 2), (label, result.returncode, result.stderr)
    assert_one_clear_line(result.returncode, result.stdout, result.stderr)
    assert not (home / "data" / "crash-reports").exists()


def test_the_messages_say_what_is_wrong(home: Path, place: Place, one_request: str) -> None:
    said = {
        label: run_sealbox(*argv).stderr
        for label, argv in vectors(place).items()
        if label
        in (
            "show, id not UTF-8",
            "send, a 300-character name",
            "send /dev/zero",
            "--spec, a FIFO",
            "list --limit 10^23",
            "show, a 60,000-character id",
        )
    }
    assert "not valid text" in said["show, id not UTF-8"]
    assert "a name too long for the file system" in said["send, a 300-character name"]
    assert "zero is not a regular file" in said["send /dev/zero"]
    assert "is not a regular file" in said["--spec, a FIFO"]
    assert "--limit" in said["list --limit 10^23"]
    assert "There is no request" in said["show, a 60,000-character id"]
    assert len(said["show, a 60,000-character id"]) < 300


# --- generated arguments ------------------------------------------------------------------------

COMMANDS = [
    "send",
    "list",
    "show",
    "cancel",
    "sync",
    "download",
    "sign",
    "archive",
    "providers",
    "login",
    "webhooks",
]
FLAGS = [
    "--json",
    "--spec",
    "--provider",
    "--render-id",
    "--idempotency-key",
    "--status",
    "--search",
    "--limit",
    "--refresh",
    "--reason",
    "--resend",
    "--recipient",
    "--typed-signature",
    "--signature-image",
    "--decline",
    "--approve",
    "--field",
    "--id",
    "--host",
    "--port",
    "--help",
    "-h",
    "--version",
    "--",
]
WORDS = [
    "",
    " ",
    "-",
    "0",
    "-1",
    "1",
    "3",
    "9" * 30,
    "1e9",
    "٣",
    "²",
    "0x10",
    "nan",
    "0000dead",
    "a" * 5000,
    "\x1b[31m",
    "\u202e",
    "a\nb",
    "%",
    "_",
    "*",
    '"',
    "'",
    "list",
    "verify",
    "search",
    "reindex",
    "listen",
    "local",
    "craftkit",
    "saypdf",
    "sent",
    "completed",
    "jane@example.com",
    "1=yes",
    "99999999999=x",
    "=",
    "NEAR(",
    '"unclosed',
    "a OR",
    "::1",
    "999.1.1.1",
    "localhost",
]
texts = st.one_of(
    st.sampled_from(WORDS),
    st.text(st.characters(blacklist_characters="\x00"), max_size=24),
    st.binary(min_size=1, max_size=8).filter(lambda b: b"\x00" not in b).map(os.fsdecode),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


def arguments(place: Place) -> st.SearchStrategy[list[str]]:
    paths = st.sampled_from(place.inputs())
    outputs = st.sampled_from(place.outputs())
    ids = st.one_of(texts, st.sampled_from([*place.ids, *(i[:8] for i in place.ids)]))
    word = st.one_of(texts, paths, ids, st.sampled_from(FLAGS))

    @st.composite
    def shaped(draw: st.DrawFn) -> list[str]:
        """Vectors close to valid ones: the right shape, odd values."""
        command = draw(st.sampled_from(COMMANDS))
        if command == "send":
            args = [draw(paths), "--spec", draw(paths)]
        elif command in ("show", "cancel", "download"):
            args = [
                draw(ids),
                *draw(st.lists(st.sampled_from(["--refresh", "--reason"]), max_size=1)),
            ]
            if args[-1] == "--reason":
                args.append(draw(texts))
        elif command == "sign":
            args = [
                draw(ids),
                "--recipient",
                draw(texts),
                draw(st.sampled_from(["--typed-signature", "--decline", "--signature-image"])),
                draw(st.one_of(texts, paths)),
            ]
            args += [x for v in draw(st.lists(texts, max_size=2)) for x in ("--field", v)]
        elif command == "archive":
            action = draw(st.sampled_from(["list", "search", "verify", "export", "reindex"]))
            args = [action]
            if action == "search":
                args.append(draw(texts))
            elif action == "verify":
                args += draw(st.lists(texts, max_size=1))
            elif action == "export":
                args.append(draw(outputs))
                args += [x for i in draw(st.lists(ids, max_size=2)) for x in ("--id", i)]
        elif command == "list":
            args = draw(
                st.lists(
                    st.sampled_from(["--limit", "--search", "--provider", "--status"]).flatmap(
                        lambda flag: st.tuples(st.just(flag), texts)
                    ),
                    max_size=3,
                ).map(lambda pairs: [x for pair in pairs for x in pair])
            )
        elif command == "sync":
            args = [x for i in draw(st.lists(ids, max_size=2)) for x in ("--resend", i)]
        elif command == "webhooks":
            args = ["listen", "--port", draw(texts)]
        elif command == "login":
            args = [draw(texts)]
        else:
            args = []
        return [command, *args, *draw(st.lists(st.sampled_from(["--json"]), max_size=1))]

    loose = st.tuples(st.sampled_from(COMMANDS), st.lists(word, max_size=6)).map(
        lambda pair: [pair[0], *pair[1]]
    )

    def writes_only_under_the_place(argv: list[str]) -> bool:
        """``archive export DEST`` writes DEST: only ever one of the place's own paths."""
        if "export" not in argv:
            return True
        at = argv.index("export")
        return at + 1 < len(argv) and argv[at + 1] in place.outputs()

    return st.one_of(shaped(), loose).filter(writes_only_under_the_place)


def _run_in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def generated_place(
    home: Path, place: Place, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Place:
    """The place, with two requests in the store (sent in process), and the working folder:
    a generated relative path (``archive export out``) is written there, not in the project."""
    monkeypatch.chdir(place.root)
    for _ in range(2):
        code, out, err = _run_in_process(
            ["send", str(place.pdf), "--spec", str(place.spec), "--json"], capsys
        )
        assert code == 0, err
        place.ids.append(json.loads(out)["id"])
    return place


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_generated_arguments_in_process(
    data: st.DataObject, generated_place: Place, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = data.draw(arguments(generated_place))
    code, out, err = _run_in_process(argv, capsys)
    assert_one_clear_line(code, out, err)
    assert not (home / "data" / "crash-reports").exists(), argv


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_arguments_through_the_command(
    data: st.DataObject, generated_place: Place, home: Path
) -> None:
    argv = data.draw(arguments(generated_place))
    # Run from the place's folder (not the project's), like run_sealbox otherwise.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=generated_place.root,
        timeout=60,
        check=False,
    )
    assert_one_clear_line(result.returncode, result.stdout, result.stderr)
    assert not (home / "data" / "crash-reports").exists(), argv
