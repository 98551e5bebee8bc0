"""`kustos backup compare SNAP_A SNAP_B|live [--object O] [--json|--csv]`."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.backup.services import browse, compare
from kustos.cli.base import Context


def cmd_compare(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    first = browse.find(args.snapshot)
    other = compare.LIVE if args.other == compare.LIVE else browse.find(args.other)
    result = compare.compare(first, other, args.object or None)
    ctx.render = _render_csv if args.csv else _render
    return result


def _render_csv(result: dict[str, Any]) -> None:
    print(compare.as_csv(result), end="")


def _render(result: dict[str, Any]) -> None:
    if not result["objects"]:
        print("no differences")
    for name, found in result["objects"].items():
        print(f"{name}: +{len(found['added'])} -{len(found['removed'])} ~{len(found['changed'])}")
        for row in found["changed"]:
            for field, values in row["fields"].items():
                print(f"  {row['id']}  {field}: {values['old']!r} -> {values['new']!r}")
