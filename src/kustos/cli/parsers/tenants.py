"""Parsers of `kustos partner|customer|user|jobs` (implementation: cli/tenants.py)."""

from __future__ import annotations

import argparse

from kustos.cli.parsers import users
from kustos.core.lazy import Deferred

ROLES = ["operator", "partner_admin", "partner_tech", "customer_admin", "end_user", "auditor"]


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.tenants:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("partner", help="partners").add_subparsers(dest="sub", required=True)
    s = p.add_parser("create", parents=[common], help="create a partner")
    s.add_argument("name")
    s.set_defaults(func=_run("cmd_partner_create"))
    p.add_parser("list", parents=[common], help="list partners").set_defaults(func=_run("cmd_partner_list"))

    c = sub.add_parser("customer", help="customers").add_subparsers(dest="sub", required=True)
    s = c.add_parser("create", parents=[common], help="create a customer (the name may be a pseudonym)")
    s.add_argument("--partner", required=True, help="partner id or name")
    s.add_argument("--legal-name", default="")
    s.add_argument("--location", default=None, help="storage location id")
    s.add_argument("name")
    s.set_defaults(func=Deferred("kustos.cli.customers:cmd_customer_create"))
    s = c.add_parser("list", parents=[common], help="customers with usage")
    s.add_argument("--partner", default=None, help="partner id or name")
    s.set_defaults(func=_run("cmd_customer_list"))
    s = c.add_parser("show", parents=[common], help="one customer")
    s.add_argument("id", help="customer id or name")
    s.set_defaults(func=_run("cmd_customer_show"))
    s = c.add_parser("delete", parents=[common], help="irreversibly delete (crypto-shred) a customer")
    s.add_argument("id", help="customer id or name")
    s.add_argument("--yes", action="store_true", help="confirm the irreversible deletion")
    s.set_defaults(func=Deferred("kustos.cli.customers:cmd_customer_delete"))

    u = sub.add_parser("user", help="users").add_subparsers(dest="sub", required=True)
    s = u.add_parser("create", parents=[common], help="create a user")
    s.add_argument("--email", required=True)
    s.add_argument("--role", required=True, choices=ROLES)
    s.add_argument("--partner", default=None, help="partner id or name")
    s.add_argument("--customer", default=None, help="customer id or name")
    s.add_argument("--mailbox", action="append", default=[], help="own mailbox of an end user (repeatable)")
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=_run("cmd_user_create"))
    users.register(u, common)  # user token create|list|revoke, user password

    j = sub.add_parser("jobs", help="background jobs").add_subparsers(dest="sub", required=True)
    s = j.add_parser("list", parents=[common], help="list jobs (imports, source runs, deletions ...)")
    s.add_argument("--state", default=None)
    s.add_argument("--customer", default=None, help="customer id or name")
    s.set_defaults(func=_run("cmd_jobs_list"))
    s = j.add_parser("reap", parents=[common], help="fail (or retry) running jobs whose worker stopped beating")
    s.add_argument("--timeout", type=int, default=None, help="seconds without heartbeat (default: setting)")
    s.set_defaults(func=Deferred("kustos.cli.jobs:cmd_jobs_reap"), immediate_jobs=False)
