"""`kustos journal configure`: who may deliver to a customer's journaling address and whose
journal reports are unwrapped; `kustos journal setup`: the set-up steps per mail platform
(parser: cli/parsers/journal.py)."""

from __future__ import annotations

import argparse

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from kustos.archive.services import journal, journal_setup
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context


def cmd_journal_configure(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    journal.configure(customer, allowed_hosts=args.allow, trusted_hosts=args.trust,
                      trust_authenticated=args.trust_authenticated, actor="cli")
    return journal.public(customer)



def cmd_journal_setup(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    try:
        result = journal_setup.setup(customer, args.platform, args.lang, actor="cli")
    except ValidationError as exc:
        raise CLIError("; ".join(exc.messages)) from None
    ctx.render = lambda r: _render_setup(ctx, r)
    return result


def _render_setup(ctx: Context, r: dict) -> None:
    lines = [f"{r['title']} — {r['address']}", ""]
    for n, step in enumerate(r["steps"], 1):
        lines.append(f"{n}. {step['text']}")
        lines.extend(f"    {line}" for line in step["code"].splitlines())
    with translation.override(r["lang"]):
        last = r["last_report_at"] or _("none yet")
        lines += ["", f"{_('Last journal report')}: {last}"]
    ctx.out.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)
