"""Running a command's asynchronous work: asyncio is imported by the commands that need it only."""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from app.context import Context

T = TypeVar("T")


def run_to_end(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end (asyncio is imported by the commands that need it only)."""
    import asyncio

    return asyncio.run(coro)


async def closing(ctx: Context, work: Awaitable[T]) -> T:
    """Await ``work``, then close the context's provider clients (each command's last use)."""
    try:
        return await work
    finally:
        await ctx.aclose()
