"""Parser of `kustos mcp` (implementation: mcp/cli.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("mcp", parents=[common],
                       help="serve read-only archive access for AI assistants (Model Context Protocol)")
    p.add_argument("--http", action="store_true", help="streamable HTTP (Authorization: Bearer <API token>) "
                                                       "instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP: address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="HTTP: port (default 8765)")
    p.add_argument("--token-file", default=None, help="stdio: file holding the API token "
                                                      "(default: environment KUSTOS_API_TOKEN)")
    p.set_defaults(func=Deferred("kustos.mcp.cli:cmd_mcp"))
