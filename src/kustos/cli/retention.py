"""`kustos retention …` and `kustos tombstones` (thin: they call lifecycle services)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import wraps
from typing import Any

from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.lifecycle.services import approve, classes, classify, proposals, rules, runs, settings, tombstones
from kustos.lifecycle.services.classes import RetentionError


def _errors(fn: Callable[[Context, argparse.Namespace], Any]) -> Callable[[Context, argparse.Namespace], Any]:
    @wraps(fn)
    def wrapper(ctx: Context, args: argparse.Namespace) -> Any:
        try:
            return fn(ctx, args)
        except RetentionError as exc:
            raise CLIError(str(exc)) from None
    return wrapper


def _rule_values(args: argparse.Namespace) -> dict[str, Any]:
    values = {k: getattr(args, k) for k in ("mailbox", "folder", "from_addr", "query", "priority")
              if getattr(args, k) is not None}
    if getattr(args, "active", None) is not None:
        values["active"] = args.active
    return values


@_errors
def cmd_class_add(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    return classes.as_row(classes.add(customer, args.name, args.years, tax_relevant=args.tax_relevant, actor="cli"))


@_errors
def cmd_class_list(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return [classes.as_row(c) for c in classes.list_classes(lookup.customer(args.customer))]


@_errors
def cmd_class_suggest(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return [classes.as_row(c) for c in classes.add_suggested(lookup.customer(args.customer), actor="cli")]


@_errors
def cmd_rule_add(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    return rules.as_row(rules.add(customer, args.class_name, actor="cli", **_rule_values(args)))


@_errors
def cmd_rule_update(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    rule = rules.update(customer, args.rule, class_name=args.class_name, actor="cli", **_rule_values(args))
    return rules.as_row(rule, rules.covered(customer))


@_errors
def cmd_rule_list(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    customer = lookup.customer(args.customer)
    counts = rules.covered(customer)
    return [rules.as_row(r, counts) for r in rules.list_rules(customer)]


@_errors
def cmd_apply(ctx: Context, args: argparse.Namespace) -> dict[str, int]:
    return classify.apply(lookup.customer(args.customer), actor="cli")


@_errors
def cmd_migrate(ctx: Context, args: argparse.Namespace) -> dict[str, int]:
    return classify.migrate(lookup.customer(args.customer), shorten=args.shorten, reason=args.reason, actor="cli")


@_errors
def cmd_run(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    return runs.run(customer, as_of=runs.parse_as_of(args.as_of), created_by="cli")


@_errors
def cmd_proposals(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return [proposals.as_row(p) for p in proposals.open_proposals(lookup.customer(args.customer))]


@_errors
def cmd_approve(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    return approve.approve(approve.get_proposal(None, args.proposal), args.user, actor="cli")


@_errors
def cmd_reject(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    return approve.reject(approve.get_proposal(None, args.proposal), args.user, args.reason, actor="cli")


@_errors
def cmd_settings(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    if args.approvals is not None:
        settings.set_required_approvals(customer, args.approvals, actor="cli")
    return {"customer": customer.id, "required_approvals": settings.required_approvals(customer)}


@_errors
def cmd_tombstones(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return [tombstones.as_row(t) for t in tombstones.list_for(lookup.customer(args.customer))]
