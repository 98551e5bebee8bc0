"""`kustos auditor grant|list|revoke` and `kustos message flag-tax` (parsers: cli/parsers/).

Auditor grants are limited by mail date range, mailboxes, tax-relevant mail (by default) and an
expiry; ``revoke`` ends one at once. ``grant`` creates the auditor user when missing, with a
one-time password printed once (the first sign-in must choose a new one).
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from kustos.accounts.models import AuditorGrant, User
from kustos.accounts.roles import Role
from kustos.accounts.services import grants, users
from kustos.archive.models import Message
from kustos.archive.services import messages
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CLIError(f"{option} must be a date YYYY-MM-DD, not {value!r}") from exc


def cmd_grant(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    date_from, date_to = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    if date_from and date_to and date_from > date_to:
        raise CLIError("--from must not be after --to")
    if not 1 <= args.expires_days <= 3650:
        raise CLIError("--expires-days must be between 1 and 3650")
    email = args.email.strip().lower()
    password = None
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            password = users.generate_password()
            user = users.create(email, Role.AUDITOR, password=password, one_time_password=True, actor="cli")
        elif user.role != Role.AUDITOR:
            raise CLIError(f"{email} is a {user.role} user, not an auditor")
        grant = users.grant(user, customer, expires_at=timezone.now() + timedelta(days=args.expires_days),
                            date_from=date_from, date_to=date_to, tax_relevant_only=not args.all_mail,
                            mailboxes=grants.clean_mailboxes(args.mailbox), actor="cli")
    result = grants.row(grant)
    if password is not None:
        result["one_time_password"] = password  # shown once; the first sign-in sets a new one
    return result


def cmd_list(ctx: Context, args: argparse.Namespace) -> list:
    qs = AuditorGrant.objects.select_related("user", "customer").order_by("id")
    if args.customer:
        qs = qs.filter(customer=lookup.customer(args.customer))
    return [grants.row(g) for g in qs[:1000]]


def cmd_revoke(ctx: Context, args: argparse.Namespace) -> dict:
    grant = AuditorGrant.objects.select_related("user", "customer").filter(id=args.grant_id).first()
    if grant is None:
        raise CLIError(f"no grant with id {args.grant_id}")
    return grants.row(grants.revoke(grant, actor="cli"))


def cmd_flag_tax(ctx: Context, args: argparse.Namespace) -> dict:
    msg = Message.objects.select_related("customer").filter(id=args.id).first()
    if msg is None:
        raise CLIError(f"no message with id {args.id!r}")
    messages.flag_tax_relevant(msg, not args.off, actor="cli")
    return {"id": msg.id, "tax_relevant": msg.tax_relevant}
