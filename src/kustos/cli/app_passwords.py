"""`kustos user app-password create|list|revoke` (parsers: cli/parsers/app_passwords.py)."""

from __future__ import annotations

import argparse

from django.core.exceptions import PermissionDenied

from kustos.accounts.models import User
from kustos.accounts.services import app_passwords
from kustos.cli.base import CLIError, Context


def _user(email: str) -> User:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise CLIError(f"no user with e-mail {email!r}")
    return user


def cmd_create(ctx: Context, args: argparse.Namespace) -> dict:
    try:
        row, secret = app_passwords.create(_user(args.user), args.name, actor="cli")
    except PermissionDenied as exc:
        raise CLIError(str(exc)) from None
    return {**app_passwords.as_dict(row), "password": secret}


def cmd_list(ctx: Context, args: argparse.Namespace) -> list:
    return [app_passwords.as_dict(r) for r in app_passwords.list_for(_user(args.user))]


def cmd_revoke(ctx: Context, args: argparse.Namespace) -> list:
    user = _user(args.user)
    if bool(args.id) == bool(args.name):
        raise CLIError("name the app password to revoke: its ID or --name NAME (not both)")
    if args.id:
        ids = [args.id]
    else:
        ids = [r.id for r in app_passwords.list_for(user).filter(name=args.name, revoked_at__isnull=True)]
        if not ids:
            raise CLIError(f"{user.email} has no active app password named {args.name!r}")
    return [app_passwords.as_dict(app_passwords.revoke(user, i, actor="cli")) for i in ids]
