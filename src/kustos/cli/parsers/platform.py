"""Parsers of serve, migrate, worker, scheduler, createadmin (implementations: cli/server.py, cli/platform.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], help="run everything on one machine")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--smtp-port", type=int, default=None)
    p.add_argument("--no-smtp", action="store_true", help="do not start the SMTP journaling receiver")
    p.add_argument("--imap-port", type=int, default=None, help="also run the read-only IMAP server on this port")
    p.add_argument("--tls-cert", default=None, help="serve HTTPS with this PEM certificate chain (KUSTOS_TLS_CERT)")
    p.add_argument("--tls-key", default=None, help="its private key (KUSTOS_TLS_KEY)")
    p.add_argument("--http-port", type=int, default=None,
                   help="with TLS: plain-HTTP port redirecting to HTTPS, e.g. 80 (KUSTOS_HTTP_PORT; default none)")
    p.add_argument("--no-scheduler", action="store_true",
                   help="do not run periodic tasks here (scale-out: exactly one `kustos scheduler` runs them)")
    p.set_defaults(func=Deferred("kustos.cli.server:cmd_serve"), auto_migrate=False, immediate_jobs=False)

    p = sub.add_parser("migrate", parents=[common], help="apply database migrations")
    p.set_defaults(func=Deferred("kustos.cli.server:cmd_migrate"), auto_migrate=False)
    p = sub.add_parser("worker", parents=[common], help="run job workers (scale-out)")
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=Deferred("kustos.cli.server:cmd_worker"), immediate_jobs=False)
    p = sub.add_parser("scheduler", parents=[common], help="run the periodic scheduler (scale-out)")
    p.set_defaults(func=Deferred("kustos.cli.server:cmd_scheduler"), immediate_jobs=False)

    p = sub.add_parser("createadmin", parents=[common], help="create an operator account")
    p.add_argument("--email", required=True)
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=Deferred("kustos.cli.platform:cmd_createadmin"))
