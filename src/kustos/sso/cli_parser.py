"""Parser of `kustos sso list|add|set|remove|test|policy` (implementation: sso/cli.py).

Imports nothing heavy: the handlers are resolved when the command runs."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred

_OWNER_HELP = "partner id or name (the provider serves its staff)"
_CUSTOMER_HELP = "customer id or name (the provider serves its admins and end users)"


def _owner(p: argparse.ArgumentParser, required: bool) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--partner", default="", help=_OWNER_HELP)
    g.add_argument("--customer", default="", help=_CUSTOMER_HELP)


def _settings(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", default=None, help="display name (the sign-in button)")
    p.add_argument("--client-id", default=None, help="OIDC client (application) id")
    p.add_argument("--discovery-url", default=None, help="OIDC discovery document URL (needed for kind oidc)")
    p.add_argument("--tenant", action="append", default=None, help="Entra ID: an allowed tenant id (repeatable)")
    p.add_argument("--hosted-domain", default=None, help="Google: the Workspace domain users must belong to")
    p.add_argument("--domain", action="append", default=None,
                   help="an e-mail domain routed to this provider by e-mail-first sign-in (repeatable)")
    p.add_argument("--create-users", choices=["on", "off"], default=None, help="create users on first sign-in")
    p.add_argument("--default-role", default=None, help="role of a created user without a mapped group")
    p.add_argument("--map", action="append", default=None, metavar="GROUP=ROLE",
                   help="a group (id or name) whose members get ROLE (repeatable; replaces the map)")
    p.add_argument("--show-on-login", choices=["on", "off"], default=None, help="a button on the sign-in page")
    p.add_argument("--set", action="append", default=None, metavar="KEY=VALUE",
                   help="any other setting, e.g. url=ldaps://dc.example, search_base=..., bind_dn=... (repeatable)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--secret-file", default=None, help="read the client secret / bind password from this file")
    g.add_argument("--secret-stdin", action="store_true", help="read the client secret / bind password from stdin")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sso", help="single sign-on: identity providers of partners and customers, sign-in policy")
    s = p.add_subparsers(dest="sso_command", required=True)
    a = s.add_parser("list", parents=[common], help="identity providers (all, or of one partner or customer)")
    _owner(a, required=False)
    a.set_defaults(func=Deferred("kustos.sso.cli:cmd_list"))
    a = s.add_parser("add", parents=[common], help="add an identity provider")
    _owner(a, required=True)
    a.add_argument("--kind", required=True, choices=["entra", "google", "oidc", "ldap"])
    _settings(a)
    a.add_argument("--disabled", action="store_true", help="add it disabled")
    a.set_defaults(func=Deferred("kustos.sso.cli:cmd_add"))
    a = s.add_parser("set", parents=[common], help="change an identity provider")
    a.add_argument("id", help="identity provider id")
    _settings(a)
    a.add_argument("--unset", action="append", default=None, metavar="KEY", help="remove a setting (repeatable)")
    a.add_argument("--enabled", choices=["on", "off"], default=None, help="enable or disable it")
    a.set_defaults(func=Deferred("kustos.sso.cli:cmd_set"))
    a = s.add_parser("remove", parents=[common], help="remove an identity provider")
    a.add_argument("id", help="identity provider id")
    a.set_defaults(func=Deferred("kustos.sso.cli:cmd_remove"))
    a = s.add_parser("test", parents=[common], help="test connection (OIDC discovery and keys, or LDAP bind)")
    a.add_argument("id", help="identity provider id")
    a.set_defaults(func=Deferred("kustos.sso.cli:cmd_test"))
    a = s.add_parser("policy", parents=[common], help="show or change a partner's or customer's sign-in policy")
    _owner(a, required=True)
    a.add_argument("--local-passwords", choices=["on", "off"], default=None,
                   help="may its users sign in with a Kustos password (off needs an enabled provider)")
    a.add_argument("--session-max-age", type=int, default=None, metavar="HOURS", help="longest session in hours")
    a.set_defaults(func=Deferred("kustos.sso.cli:cmd_policy"))
