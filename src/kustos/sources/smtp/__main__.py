"""Standalone journaling receiver: ``python -m kustos.sources.smtp --spool DIR ...``.

Prints ``listening <host>:<port>`` on stdout once the socket is bound, then runs
until SIGTERM/SIGINT. ``kustos smtpd`` builds the same receiver from the database.
"""

from __future__ import annotations

import argparse
import ssl
import sys

from kustos.sources.smtp.limits import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_CLIENT
from kustos.sources.smtp.receiver import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BYTES, JournalReceiver
from kustos.sources.smtp.static import address_map_resolver, password_map_authenticator


def _pairs(values: list[str], what: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key or not item:
            raise SystemExit(f"error: {what} must look like KEY=VALUE, got {value!r}")
        result[key] = item
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kustos.sources.smtp", description=__doc__)
    parser.add_argument("--spool", required=True, help="spool directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--hostname", default=None, help="name in the greeting")
    parser.add_argument("--journal", action="append", default=[], metavar="ADDRESS=CUSTOMER",
                        help="accepted journaling address and its customer id (repeatable)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    parser.add_argument("--auth", action="append", default=[], metavar="USER=PASSWORD",
                        help="require SMTP AUTH with these credentials (repeatable)")
    parser.add_argument("--allow", action="append", default=None, metavar="NETWORK",
                        help="allowed client network (repeatable); default: everyone")
    parser.add_argument("--tls-cert", default=None)
    parser.add_argument("--tls-key", default=None)
    parser.add_argument("--require-tls", action="store_true")
    parser.add_argument("--auth-optional", action="store_true",
                        help="offer SMTP AUTH (with --auth) without requiring it")
    parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT, help="seconds")
    parser.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS)
    parser.add_argument("--max-connections-per-client", type=int, default=DEFAULT_MAX_PER_CLIENT)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tls_context = None
    if args.tls_cert:
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)
    receiver = JournalReceiver(
        args.spool,
        address_map_resolver(_pairs(args.journal, "--journal")),
        max_bytes=args.max_bytes,
        auth=password_map_authenticator(_pairs(args.auth, "--auth")) if args.auth else None,
        allowed_networks=args.allow,
        tls_context=tls_context,
        hostname=args.hostname,
        host=args.host,
        port=args.port,
        require_tls=args.require_tls,
        auth_required=not args.auth_optional,
        timeout=args.idle_timeout,
        max_connections=args.max_connections,
        max_connections_per_client=args.max_connections_per_client,
    )

    def ready(port: int) -> None:
        print(f"listening {args.host}:{port}", flush=True)

    receiver.serve_forever(on_ready=ready)
    return 0


if __name__ == "__main__":
    sys.exit(main())
