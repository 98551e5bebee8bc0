"""`kustos index rebuild --customer C` — index every archived message of the customer again."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.archive.services import search_rebuild
from kustos.cli import lookup
from kustos.cli.base import Context


def cmd_rebuild(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    with ctx.progress("rebuilding the search index") as advance:
        return search_rebuild.rebuild(customer, actor="cli", progress=advance)
