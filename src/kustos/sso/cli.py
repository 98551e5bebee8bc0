"""`kustos sso list|add|set|remove|test|policy` (parser: sso/cli_parser.py).

Runs locally with the installation's authority (shell access to the server); changes are audited with
the actor ``cli``. Secrets are read from a file or stdin, never from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.sso.models import IdentityProvider
from kustos.sso.services import admin, connection_test, signin_policy

_FLAGS = (("client_id", "client_id"), ("discovery_url", "discovery_url"), ("tenant", "tenant_ids"),
          ("hosted_domain", "hosted_domain"), ("domain", "email_domains"), ("create_users", "create_users"),
          ("default_role", "default_role"), ("map", "role_map"), ("show_on_login", "show_on_login"))


def _owner(args: argparse.Namespace) -> Any:
    if args.partner:
        return lookup.partner(args.partner)
    if args.customer:
        return lookup.customer(args.customer)
    return None


def _config(args: argparse.Namespace) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for pair in args.set or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CLIError(f"--set takes KEY=VALUE, not {pair!r}")
        config[key.strip()] = value
    for flag, key in _FLAGS:
        value = getattr(args, flag)
        if value is None:
            continue
        if flag == "map":
            value = "\n".join(value)
        config[key] = {"on": True, "off": False}.get(value, value) if isinstance(value, str) else value
    return config


def _secret(args: argparse.Namespace) -> str:
    if args.secret_file:
        path = Path(args.secret_file)
        if not path.is_file():
            raise CLIError(f"no such file: {path}")
        return path.read_text().strip()
    if args.secret_stdin:
        return sys.stdin.readline().strip()
    return ""


def _render(ctx: Context, rows: list[dict]) -> None:
    for row in rows:
        state = "enabled" if row["enabled"] else "disabled"
        ctx.out.print(f"{row['id']}  {row['kind']:<6}  {row['owner_kind']} {row['owner']}  {state}  {row['name']}",
                      markup=False, highlight=False)


def cmd_list(ctx: Context, args: argparse.Namespace) -> list[dict]:
    owner = _owner(args)
    qs = admin.list_for(owner) if owner is not None else IdentityProvider.objects.order_by("name", "id")
    rows = [admin.as_dict(p) for p in qs]
    ctx.render = lambda result: _render(ctx, result)
    return rows


def cmd_add(ctx: Context, args: argparse.Namespace) -> dict:
    provider = admin.create(_owner(args), kind=args.kind, name=args.name or "", config=_config(args),
                            secret=_secret(args), enabled=not args.disabled, actor="cli")
    return admin.as_dict(provider)


def cmd_set(ctx: Context, args: argparse.Namespace) -> dict:
    provider = admin.get(args.id)
    config: dict[str, Any] = _config(args)
    for key in args.unset or []:
        config[key] = None
    enabled = None if args.enabled is None else args.enabled == "on"
    provider = admin.update(provider, actor="cli", name=args.name, config=config or None,
                            secret=_secret(args) or None, enabled=enabled)
    return admin.as_dict(provider)


def cmd_remove(ctx: Context, args: argparse.Namespace) -> dict:
    return admin.delete(admin.get(args.id), actor="cli")


def cmd_test(ctx: Context, args: argparse.Namespace) -> dict:
    result = connection_test.run(admin.get(args.id), actor="cli")
    if not result.get("ok"):
        ctx.exit_code = 1
    return result


def cmd_policy(ctx: Context, args: argparse.Namespace) -> dict:
    owner = _owner(args)
    if args.local_passwords is None and args.session_max_age is None:
        return signin_policy.as_dict(owner)
    local = None if args.local_passwords is None else args.local_passwords == "on"
    return signin_policy.update(owner, actor="cli", local_passwords=local, session_max_age_hours=args.session_max_age)
