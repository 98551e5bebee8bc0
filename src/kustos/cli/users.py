"""`kustos user token create|list|revoke` and `kustos user password` (parsers: cli/parsers/users.py)."""

from __future__ import annotations

import argparse
import sys

from kustos.accounts.models import ApiToken, User
from kustos.accounts.services import tokens, users
from kustos.api import serializers as ser
from kustos.cli.base import CLIError, Context


def _user(email: str) -> User:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise CLIError(f"no user with e-mail {email!r}")
    return user


def _row(t: ApiToken) -> dict:
    row = ser.token(t)
    return {**row, "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            "expires_at": t.expires_at.isoformat() if t.expires_at else None, "user": t.user.email}


def cmd_token_create(ctx: Context, args: argparse.Namespace) -> dict:
    token, secret = tokens.create(_user(args.user), args.name, expires_days=args.expires_days, actor="cli")
    return {"id": token.id, "token": secret, "expires_at": token.expires_at.isoformat()}


def cmd_token_list(ctx: Context, args: argparse.Namespace) -> list:
    return [_row(t) for t in _user(args.user).api_tokens.select_related("user")]


def cmd_token_revoke(ctx: Context, args: argparse.Namespace) -> dict:
    token = ApiToken.objects.select_related("user").filter(id=args.id).first()
    if token is None:
        raise CLIError(f"no API token with id {args.id!r}")
    return _row(tokens.revoke(token, actor="cli"))


def cmd_password(ctx: Context, args: argparse.Namespace) -> dict:
    user = _user(args.user)
    one_time = not args.password_stdin
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else users.generate_password()
    users.set_password(user, password, actor="cli", one_time=one_time)
    result: dict = {"id": user.id, "must_change_password": one_time}
    if one_time:
        result["password"] = password
    return result
