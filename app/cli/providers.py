"""The commands about signature services: providers, login, and the webhook listener."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from typing import TYPE_CHECKING, Any

from app.cli.output import emit, say
from app.cli.runner import run_to_end
from app.errors import SealboxError, UserError

if TYPE_CHECKING:
    from app.context import Context


def cmd_providers(ctx: Context, args: argparse.Namespace) -> int:
    from app.providers import registry

    rows = []
    for info in registry.providers():
        pid = info.id
        entry: dict[str, Any] = {
            "id": pid,
            "name": info.name,
            "default": pid == ctx.default_provider,
        }
        try:
            provider = ctx.provider(pid)
        except SealboxError as exc:
            entry.update({"available": False, "configured": False, "problem": exc.message})
        else:
            try:
                problem = provider.configuration_problem()
            except SealboxError as exc:  # e.g. a secret that cannot be used
                problem = exc.message
            entry.update(
                {
                    "available": True,
                    "configured": problem is None,
                    "problem": problem,
                    "capabilities": provider.capabilities.summary(),
                }
            )
        rows.append(entry)

    def text() -> None:
        for row in rows:
            state = (
                "ready"
                if row["configured"]
                else "not configured"
                if row["available"]
                else "unavailable"
            )
            default = " (default)" if row["default"] else ""
            say(f"{row['id']:<13} {row['name']:<32} {state}{default}")
            if row.get("problem"):
                say(f"{'':<14}{row['problem']}")

    emit(args, {"providers": rows}, text)
    return 0


def cmd_login(ctx: Context, args: argparse.Namespace) -> int:
    from app.providers import registry
    from app.providers.info import env_variable

    info = registry.get(args.provider)
    provider_id = info.id
    names = [secret.key for secret in info.login_secrets]
    if not names:
        emit(
            args,
            {"provider": provider_id, "stored": []},
            lambda: say(f"{provider_id} needs no credentials."),
        )
        return 0
    if not sys.stdin.isatty():
        raise UserError(
            f"`sealbox login {provider_id}` asks for the credentials on a terminal; "
            "without one, set them in the environment (e.g. "
            f"{env_variable(provider_id, names[0])})."
        )

    stored = []
    for key in names:
        value = getpass.getpass(f"{provider_id} {key.replace('_', ' ')} (leave empty to keep): ")
        if value:
            ctx.secrets.set(f"{provider_id}.{key}", value)
            stored.append(key)
    emit(
        args,
        {"provider": provider_id, "stored": stored},
        lambda: say(
            f"Stored {', '.join(stored) or 'nothing'} for {provider_id} in the OS keyring."
        ),
    )
    return 0


def cmd_webhooks(ctx: Context, args: argparse.Namespace) -> int:
    from app.services.webhooks import serve

    def ready(url: str, providers: list[str]) -> None:
        paths = ", ".join(f"{url}/webhooks/{p}" for p in providers)
        emit(
            args,
            {"listening": url, "providers": providers},
            lambda: say(f"Listening for webhooks on {paths} (Ctrl+C to stop)."),
        )
        sys.stdout.flush()

    async def run() -> None:
        try:
            await serve(ctx, args.host, args.port, ready)
        finally:
            await ctx.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        run_to_end(run())
    return 0
