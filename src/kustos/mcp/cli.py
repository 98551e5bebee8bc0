"""`kustos mcp`: read-only archive access over the Model Context Protocol (stdio or streamable HTTP)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

from kustos.cli.base import CLIError, Context
from kustos.mcp import server

TOKEN_ENV = "KUSTOS_API_TOKEN"


def _stdio_token(args: argparse.Namespace) -> str:
    if args.token_file:
        try:
            return Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CLIError(f"cannot read the token file {args.token_file}: {exc.strerror}", code=2) from None
    token = os.environ.get(TOKEN_ENV, "").strip()  # a credential of the caller, not a setting
    if not token:
        raise CLIError(f"no API token: set {TOKEN_ENV} or pass --token-file", code=2)
    return token


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_mcp(ctx: Context, args: argparse.Namespace) -> None:
    if args.http:
        if not 0 < args.port < 65536:
            raise CLIError(f"--port must be 1..65535 (got {args.port})", code=2)
        if not _loopback(args.host):
            raise CLIError(f"--host {args.host}: the MCP server speaks plain HTTP and listens on loopback only "
                           "(127.0.0.1 or ::1); put a TLS proxy in front for remote assistants", code=2)
        server.serve_http(args.host, args.port, lambda line: print(line, file=sys.stderr, flush=True))
        return
    try:
        user = server.user_for_token(_stdio_token(args))
    except server.TokenRefused as exc:
        raise CLIError(f"API token refused: {exc}", code=2) from None
    server.serve_stdio(user)
