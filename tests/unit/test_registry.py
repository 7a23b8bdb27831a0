"""The provider registry: the one list of providers, and what each entry promises."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path

import pytest

from app.config import Paths, Settings, resolve_paths
from app.providers import registry
from app.providers.base import ProviderConfig
from app.providers.info import Capabilities, ProviderInfo, WebhookRejected
from tests.conftest import ROOT
from tests.support.seventh import PostboxService, entry
from tests.support.seventh import registered as seventh_registered

#: String constants outside ``app/providers`` that equal a provider id but are no lookup: the
#: built-in provider's data folder (``DATA/local/``), a name of the on-disk layout.
NOT_A_LOOKUP = {("app/config.py", "local")}


def paths(tmp_path: Path) -> Paths:
    return resolve_paths({"SEALBOX_HOME": str(tmp_path)})


def test_the_built_in_providers_in_their_order() -> None:
    assert registry.ids() == ("local", "craftkit", "signature_nc", "signicat", "saypdf", "itasign")
    assert [info.name for info in registry.providers()] == [
        "In person",
        "Craftkit",
        "Signature.nc",
        "Signicat",
        "SayPDF",
        "ItaSign",
    ]
    assert registry.DEFAULT == "local" and registry.in_person("local")
    assert registry.in_person_ids() == ("local",)
    assert [info.id for info in registry.with_webhooks()] == ["craftkit", "saypdf"]


def test_an_unknown_id_is_refused_with_the_known_ones() -> None:
    with pytest.raises(Exception, match=r"Unknown provider 'docusign': use one of local, "):
        registry.get("docusign")
    assert registry.find("docusign") is None
    assert registry.display_name("docusign") == "docusign"
    assert registry.capabilities("docusign") is None
    assert not registry.in_person("docusign")


@pytest.mark.parametrize("info", registry.providers(), ids=registry.ids())
def test_each_entry_builds_its_provider(info: ProviderInfo, tmp_path: Path) -> None:
    config = ProviderConfig(
        provider_id=info.id, credential=lambda _key: None, setting=lambda _key: None
    )
    provider = info.create(config, paths(tmp_path))
    assert provider.capabilities is info.capabilities
    assert (info.id, info.name) == (info.capabilities.id, info.capabilities.name)
    assert not list(tmp_path.iterdir())  # building one writes nothing


@pytest.mark.parametrize("info", registry.providers(), ids=registry.ids())
def test_each_entry_names_settings_the_configuration_reads(info: ProviderInfo) -> None:
    attributes = {f.name: f.type for f in fields(Settings)}
    for setting in info.settings:
        if setting.top_level:  # a top-level key of the settings file: a text attribute
            assert attributes.get(setting.key) == "str | None", setting.key
            assert info.setting_variable(setting.key) is None
        else:
            variable = f"SEALBOX_{info.id.upper()}_{setting.key.upper()}"
            assert info.setting_variable(setting.key) == variable
    keys = [secret.key for secret in info.secrets]
    assert len(keys) == len(set(keys))
    assert [s.key for s in info.login_secrets] == [s.key for s in info.secrets if s.login]


def test_webhooks_and_the_parser_go_together() -> None:
    info = entry(PostboxService())
    with pytest.raises(ValueError, match="disagree"):
        replace(info, webhook=None)
    with pytest.raises(ValueError, match="disagree"):
        replace(info, capabilities=replace(info.capabilities, webhooks=False))
    with pytest.raises(ValueError, match="webhook_secret"):
        replace(info, secrets=info.secrets[:1])
    parser = info.webhook
    assert parser is not None
    with pytest.raises(WebhookRejected):
        parser({}, b"{}", "secret", 0.0)


def test_a_registered_provider_is_listed_last_then_removed() -> None:
    with seventh_registered():
        assert registry.ids()[-1] == "postbox"
        assert registry.display_name("postbox") == "Postbox"
        with pytest.raises(ValueError, match="already registered"), seventh_registered():
            pass
    assert "postbox" not in registry.ids()


def test_capabilities_name_only_what_a_provider_offers() -> None:
    bare = Capabilities("x", "X")
    assert not (
        bare.cancel
        or bare.certificate
        or bare.list
        or bare.webhooks
        or bare.idempotency
        or bare.field_types
    )
    assert bare.anchors == "none" and not bare.resolves_anchors and not bare.sends_anchors
    assert bare.max_bytes == 20 * 1024 * 1024


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_no_module_outside_the_providers_names_a_provider_id() -> None:
    """What a view, a service or the command line needs to know about a provider comes from
    its registry entry; none of them names one."""
    ids = set(registry.ids())
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("app/providers/"):
            continue
        for named in sorted(_string_constants(path) & ids):
            if (relative, named) not in NOT_A_LOOKUP:
                found.append(f"{relative}: {named!r}")
    assert found == []


def test_reading_the_registry_loads_no_client() -> None:
    probe = (
        "import sys\n"
        "from app.providers import registry\n"
        "print([i.name for i in registry.providers()])\n"
        "heavy = ('httpx', 'pymupdf', 'pyhanko', 'asyncio', 'cryptography', 'PySide6')\n"
        "print(sorted({m for m in sys.modules if m.split('.')[0] in heavy "
        "or m.endswith('.client')}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "[]"
