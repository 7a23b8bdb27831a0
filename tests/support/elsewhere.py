"""Send a request as if from another desk: ``python -m tests.support.elsewhere PDF NAME`` sends
``NAME`` (the bad-input tests' spec) through the built-in provider into the store of the
environment's SEALBOX_HOME, by the real send service, with the identity of the front desk's
Bob Smith; prints the request's id."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from app.context import Context
from app.domain.model import RequestSpec
from app.services.send import send
from app.store.actor import Actor, set_actor
from tests.e2e.test_bad_input import SPEC

DESK = Actor(desk="FRONT-DESK", user="bob", name="Bob Smith")


def main(pdf: Path, name: str) -> str:
    ctx = Context.from_environment()
    set_actor(DESK)  # after the context, which sets this desk's

    async def run() -> str:
        try:
            spec = RequestSpec.from_json({**SPEC, "name": name})
            return (await send(ctx, pdf, spec, provider_id="local")).id
        finally:
            await ctx.aclose()

    try:
        return asyncio.run(run())
    finally:
        ctx.close()


if __name__ == "__main__":
    print(main(Path(sys.argv[1]), sys.argv[2]))
