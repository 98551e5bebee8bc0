"""Parser of `kustos reconcile` (implementation: cli/reconcile.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("reconcile", parents=[common],
                       help="completeness report: ingest sequence gaps, per source and journaling address "
                            "delivered vs archived (exit 1 on a gap)")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("--live", action="store_true",
                   help="also ask the sources for their current counts where that is cheap (IMAP)")
    s.set_defaults(func=Deferred("kustos.cli.reconcile:cmd_reconcile"))
