"""`kustos partner|customer|user|jobs` — the tenancy commands of CLI.md (creating and deleting
customers is in cli/customers.py: it needs the vault and the search index)."""

from __future__ import annotations

import argparse

from kustos.accounts.models import User
from kustos.accounts.services import users
from kustos.api import serializers as ser
from kustos.cli import lookup
from kustos.cli.base import Context
from kustos.jobs.models import Job
from kustos.tenants.models import Customer, Partner
from kustos.tenants.services import partners


def cmd_partner_create(ctx: Context, args: argparse.Namespace) -> dict:
    partner = partners.create(args.name, actor="cli")
    return {"id": partner.id, "name": partner.name}


def cmd_partner_list(ctx: Context, args: argparse.Namespace) -> list:
    return [{"id": p.id, "name": p.name} for p in Partner.objects.all()]




def cmd_customer_list(ctx: Context, args: argparse.Namespace) -> list:
    qs = Customer.objects.select_related("location")
    if args.partner:
        qs = qs.filter(partner=lookup.partner(args.partner))
    return [ser.customer(c) for c in qs]


def cmd_customer_show(ctx: Context, args: argparse.Namespace) -> dict:
    return ser.customer(lookup.customer(args.id))




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
    if args.customer:
        qs = qs.filter(customer_id=lookup.customer(args.customer).id)
    return [ser.job(j) for j in qs[:500]]
