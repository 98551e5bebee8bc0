"""Parser of `kustos backup show` (implementation: cli/backup_item.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(b: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = b.add_parser("show", parents=[common],
                     help="one item of a snapshot: its metadata (owners, permissions, sharing, ...) and versions")
    p.add_argument("snapshot")
    p.add_argument("--account", required=True, help="the snapshot account")
    p.add_argument("--path", required=True, help="the item's path in the account")
    p.set_defaults(func=Deferred("kustos.cli.backup_item:cmd_show"))
