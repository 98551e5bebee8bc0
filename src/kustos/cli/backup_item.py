"""`kustos backup show SNAPSHOT --account A --path P [--json]`."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.backup.services import browse, item
from kustos.cli.base import Context


def cmd_show(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    ctx.render = _render
    return item.detail(browse.find(args.snapshot), args.account, args.path)


def _render(found: dict[str, Any]) -> None:
    print(f"{found['account']}/{found['path']}  {found['kind']}  {found['size']} bytes  {found['modified'] or '-'}")
    if found["sha256"]:
        print(f"sha256 {found['sha256']}")
    for key, value in found["meta"].items():
        text = item.display(value)
        print(f"{key}: {text}" if "\n" not in text else f"{key}:\n  " + text.replace("\n", "\n  "))
    print("versions (newest first):")
    for row in found["versions"]:
        state = ("changed" if row["changed"] else "same") if row["present"] else "absent"
        print(f"  {row['snapshot']}  {row['time']:%Y-%m-%d %H:%M}  {state}{'  <' if row['current'] else ''}")
