"""Parser of `kustos health` (implementation: cli/health.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("health", parents=[common],
                       help="installation health: queue depth, pending and failed jobs, workers alive, disk and "
                            "vault usage (--customers: each customer's state per service)")
    p.add_argument("--customers", action="store_true",
                   help="each customer's state per service (green, yellow, red) with the reasons instead")
    p.add_argument("--partner", default=None, help="with --customers: only this partner's customers (id or name)")
    p.set_defaults(func=Deferred("kustos.cli.health:cmd_health"))
