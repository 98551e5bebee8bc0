"""Parsers of `kustos backup ...` (implementation: cli/backup.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.cli.parsers import (
    backup_accounts,
    backup_alerts,
    backup_compare,
    backup_item,
    backup_search,
    backup_seed,
)
from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.backup:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("backup", help="cloud-to-cloud backup").add_subparsers(dest="sub", required=True)

    p = b.add_parser("enable", parents=[common], help="back up a source (creates or updates its plan)")
    p.add_argument("--source", required=True, help="source id")
    p.add_argument("--scope", nargs="+", default=None, metavar="all|ID",
                   help="'all' (default: every scope, including new ones) or scope ids")
    p.add_argument("--services", default=None, help="comma-separated subset of the kind's backup services")
    p.add_argument("--interval-minutes", type=int, default=None, help="run interval (default 480: three a day)")
    p.add_argument("--paused", action="store_true", help="keep the plan but do not run it on schedule")
    for rule in ("last", "daily", "weekly", "monthly", "yearly"):
        p.add_argument(f"--keep-{rule}", type=int, default=None, metavar="N",
                       help=f"retention: keep the {rule} N snapshots (0 = no such rule; all 0 = keep everything)")
    p.set_defaults(func=_run("cmd_enable"))

    p = b.add_parser("forget", parents=[common], help="apply the plan's retention now: forget and prune")
    p.add_argument("--source", required=True, help="source id")
    p.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    p.set_defaults(func=_run("cmd_forget"))

    p = b.add_parser("run", parents=[common], help="back up now and wait for the snapshot")
    p.add_argument("--source", required=True, help="source id")
    p.set_defaults(func=_run("cmd_run"))

    p = b.add_parser("snapshots", parents=[common], help="list a source's snapshots, newest first")
    p.add_argument("--source", required=True, help="source id")
    p.set_defaults(func=_run("cmd_snapshots"))

    p = b.add_parser("ls", parents=[common], help="list one level of a snapshot")
    p.add_argument("snapshot")
    p.add_argument("--account", default=None)
    p.add_argument("--path", default="")
    p.set_defaults(func=_run("cmd_ls"))

    p = b.add_parser("restore", parents=[common], help="restore from a snapshot and wait for the report")
    p.add_argument("snapshot")
    p.add_argument("--account", default=None, help="the snapshot account (default: every account)")
    p.add_argument("--path", nargs="+", action="extend", default=None, metavar="P",
                   help="items or folders (needs --account; repeatable)")
    p.add_argument("--to-account", default=None, help="restore into this user instead (id or principal name)")
    p.add_argument("--to-path", default=None, help="restore below this folder")
    p.add_argument("--to-source", default=None, help="restore into another source of the same kind (e.g. another org)")
    p.add_argument("--conflict", choices=("skip", "copy", "replace"), default="skip")
    p.add_argument("--dry-run", action="store_true",
                   help="only show what would be restored: {\"items\", \"bytes\", \"accounts\", \"missing\"}")
    p.set_defaults(func=Deferred("kustos.cli.backup_restore:cmd_restore"))

    p = b.add_parser("download", parents=[common], help="download a snapshot subtree as a ZIP file")
    p.add_argument("snapshot")
    p.add_argument("--account", default=None)
    p.add_argument("--path", default="")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.zip")
    p.set_defaults(func=_run("cmd_download"))

    backup_alerts.register(b, common)
    backup_accounts.register(b, common)
    backup_search.register(b, common)
    backup_compare.register(b, common)
    backup_seed.register(b, common)
    backup_item.register(b, common)
