"""`kustos imapd`: the read-only IMAP server on its own (parser: cli/parsers/imapd.py)."""

from __future__ import annotations

import argparse
import asyncio

from kustos.cli.base import Context
from kustos.imapd import service


def cmd_imapd(ctx: Context, args: argparse.Namespace) -> None:
    options = service.options_from(ctx.settings, host=args.host, port=args.port, tls_port=args.tls_port,
                                   tls_cert=args.tls_cert, tls_key=args.tls_key)
    server = service.build(ctx.settings, options)

    async def run() -> None:
        await server.start()
        for line in service.describe(server, options.host):
            ctx.out.print(line, markup=False, highlight=False)
        ctx.out.print("Press Ctrl-C to stop.", markup=False)
        await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        server.executor.shutdown(wait=False, cancel_futures=True)
        ctx.out.print("IMAP server stopped.", markup=False)
