"""`kustos ingest-rule add|list|remove` (thin: lifecycle.services.ingest_rules)."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.cli import lookup
from kustos.cli.base import Context
from kustos.lifecycle.services import ingest_rules


def cmd_add(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    rule = ingest_rules.add(customer, name=args.name, field=args.field, pattern=args.pattern,
                            header_name=args.header_name, action=args.action, retention_class=args.class_name,
                            actor="cli")
    return ingest_rules.as_dict(rule)


def cmd_list(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return [ingest_rules.as_dict(r) for r in ingest_rules.list_rules(lookup.customer(args.customer))]


def cmd_remove(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    return ingest_rules.remove(lookup.customer(args.customer), args.rule_id, actor="cli")
