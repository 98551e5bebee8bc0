"""`kustos hold create|release|list|show|refresh` — legal holds (requirement 12)."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.cli import lookup
from kustos.cli.base import Context
from kustos.lifecycle.services import holds


def cmd_create(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    hold = holds.create(customer, args.case, args.query, mailboxes=args.mailbox, actor="cli")
    return {"id": hold.id, "messages": hold.messages, "case": hold.case.name, "case_id": hold.case_id}


def cmd_release(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    hold = holds.release(holds.get(args.hold_id), actor="cli")
    return {"id": hold.id, "released_at": hold.released_at.isoformat() if hold.released_at else None,
            "messages": hold.messages}


def cmd_list(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    ctx.render = _render_cases
    return holds.cases(lookup.customer(args.customer))


def cmd_show(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    ctx.render = _render_case
    return holds.case_detail(lookup.customer(args.customer), args.case_id)


def cmd_refresh(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    return {"added": holds.refresh_holds(lookup.customer(args.customer), actor="cli")}


def _hold_line(h: dict[str, Any]) -> str:
    state = "active" if h["active"] else f"released {h['released_at'][:16]} by {h['released_by']}"
    boxes = f" in {', '.join(h['mailboxes'])}" if h["mailboxes"] else ""
    return f"  {h['id']}  {h['messages']} messages  query {h['query'] or '*'!r}{boxes}  {state}"


def _render_cases(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no cases")
    for case in rows:
        print(f"{case['id']}  {case['name']}  {case['held_messages']} messages held now")
        for h in case["holds"]:
            print(_hold_line(h))


def _render_case(case: dict[str, Any]) -> None:
    print(f"{case['id']}  {case['name']}  {case['messages']} messages")
    for h in case["holds"]:
        print(_hold_line(h))
    for m in case["items"]:
        print(f"  {m['id']}  {(m['date'] or '')[:10]}  {m['from']}  {m['subject']}  [{', '.join(m['holds'])}]")
