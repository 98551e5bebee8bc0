"""Parser of `kustos imapd` (implementation: cli/imapd.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("imapd", parents=[common],
                       help="run the read-only IMAP server over the archive (scale-out; also in `serve --imap-port`)")
    p.add_argument("--host", default=None, help="address to listen on (without a certificate: loopback only)")
    p.add_argument("--port", type=int, default=None, help="IMAP port with STARTTLS (default KUSTOS_IMAP_PORT, 1143)")
    p.add_argument("--tls-port", type=int, default=None, help="implicit TLS port, e.g. 993 (needs a certificate)")
    p.add_argument("--tls-cert", default=None, help="PEM certificate chain (default KUSTOS_IMAP_TLS_CERT)")
    p.add_argument("--tls-key", default=None, help="its private key (default KUSTOS_IMAP_TLS_KEY)")
    p.set_defaults(func=Deferred("kustos.cli.imapd:cmd_imapd"))
