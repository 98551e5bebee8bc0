"""`kustos partner|customer|user|jobs` — the tenancy commands of CLI.md."""

from __future__ import annotations

import argparse

from kustos.accounts.models import User
from kustos.accounts.services import users
from kustos.api import serializers as ser
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.jobs import tasks
from kustos.jobs.models import Job
from kustos.tenants.models import Customer, DeletionRecord, Partner, StorageLocation
from kustos.tenants.services import customers, partners


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("partner", help="partners").add_subparsers(dest="sub", required=True)
    s = p.add_parser("create", parents=[common], help="create a partner")
    s.add_argument("name")
    s.set_defaults(func=cmd_partner_create)
    p.add_parser("list", parents=[common], help="list partners").set_defaults(func=cmd_partner_list)

    c = sub.add_parser("customer", help="customers").add_subparsers(dest="sub", required=True)
    s = c.add_parser("create", parents=[common], help="create a customer (the name may be a pseudonym)")
    s.add_argument("--partner", required=True, help="partner id or name")
    s.add_argument("--legal-name", default="")
    s.add_argument("--location", default=None, help="storage location id")
    s.add_argument("name")
    s.set_defaults(func=cmd_customer_create)
    s = c.add_parser("list", parents=[common], help="customers with usage")
    s.add_argument("--partner", default=None)
    s.set_defaults(func=cmd_customer_list)
    s = c.add_parser("show", parents=[common], help="one customer")
    s.add_argument("id")
    s.set_defaults(func=cmd_customer_show)
    s = c.add_parser("delete", parents=[common], help="irreversibly delete (crypto-shred) a customer")
    s.add_argument("id")
    s.add_argument("--yes", action="store_true", help="confirm the irreversible deletion")
    s.set_defaults(func=cmd_customer_delete)

    u = sub.add_parser("user", help="users").add_subparsers(dest="sub", required=True)
    s = u.add_parser("create", parents=[common], help="create a user")
    s.add_argument("--email", required=True)
    s.add_argument("--role", required=True, choices=["operator", "partner_admin", "partner_tech",
                                                     "customer_admin", "end_user", "auditor"])
    s.add_argument("--partner", default=None)
    s.add_argument("--customer", default=None)
    s.add_argument("--mailbox", action="append", default=[], help="own mailbox of an end user (repeatable)")
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=cmd_user_create)

    j = sub.add_parser("jobs", help="background jobs").add_subparsers(dest="sub", required=True)
    s = j.add_parser("list", parents=[common], help="list jobs")
    s.add_argument("--state", default=None)
    s.set_defaults(func=cmd_jobs_list)


def cmd_partner_create(ctx: Context, args: argparse.Namespace) -> dict:
    partner = partners.create(args.name, actor="cli")
    return {"id": partner.id, "name": partner.name}


def cmd_partner_list(ctx: Context, args: argparse.Namespace) -> list:
    return [{"id": p.id, "name": p.name} for p in Partner.objects.all()]


def cmd_customer_create(ctx: Context, args: argparse.Namespace) -> dict:
    location = None
    if args.location:
        location = StorageLocation.objects.filter(id=args.location).first()
        if location is None:
            raise CLIError(f"unknown storage location {args.location!r}")
    customer = customers.create(lookup.partner(args.partner), args.name, legal_name=args.legal_name,
                                location=location, actor="cli")
    return {"id": customer.id, "name": customer.name, "partner": customer.partner_id,
            "location": customer.location_id}


def cmd_customer_list(ctx: Context, args: argparse.Namespace) -> list:
    qs = Customer.objects.select_related("location")
    if args.partner:
        qs = qs.filter(partner=lookup.partner(args.partner))
    return [ser.customer(c) for c in qs]


def cmd_customer_show(ctx: Context, args: argparse.Namespace) -> dict:
    return ser.customer(lookup.customer(args.id))


def cmd_customer_delete(ctx: Context, args: argparse.Namespace) -> dict:
    if not args.yes:
        raise CLIError("deletion is irreversible: add --yes to confirm")
    customer = lookup.customer(args.id)
    job = customers.request_deletion(customer, confirmation=customer.name, actor="cli")
    tasks.execute(job.id)
    record = DeletionRecord.objects.filter(customer_id=args.id).first()
    if record is None:
        job.refresh_from_db()
        raise CLIError(f"deletion failed: {job.error or job.state}")
    return {"id": args.id, "deleted_at": record.deleted_at.isoformat(), "record": record.id}


def cmd_user_create(ctx: Context, args: argparse.Namespace) -> dict:
    password = None
    if args.password_stdin:
        password = input().rstrip("\n")
    partner = lookup.partner(args.partner) if args.partner else None
    customer = lookup.customer(args.customer) if args.customer else None
    if partner is None and customer is not None and args.role in ("partner_admin", "partner_tech"):
        partner = customer.partner
    user: User = users.create(args.email, args.role, password=password, partner=partner, customer=customer,
                              mailboxes=args.mailbox, actor="cli")
    return {"id": user.id}


def cmd_jobs_list(ctx: Context, args: argparse.Namespace) -> list:
    qs = Job.objects.all()
    if args.state:
        qs = qs.filter(state=args.state)
    return [ser.job(j) for j in qs[:500]]
