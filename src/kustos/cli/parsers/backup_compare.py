"""Parser of `kustos backup compare` (implementation: cli/backup_compare.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(b: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``b`` is the subparsers action of ``kustos backup``."""
    p = b.add_parser("compare", parents=[common],
                     help="records added, removed and changed (per object and field) between two snapshots, "
                          "or a snapshot and the live source")
    p.add_argument("snapshot", help="the earlier snapshot")
    p.add_argument("other", metavar="SNAPSHOT|live", help="the later snapshot, or 'live' for the source as it is now")
    p.add_argument("--object", default=None, help="only this object (e.g. Account)")
    p.add_argument("--csv", action="store_true", help="print CSV (object,id,change,field,old,new) instead")
    p.set_defaults(func=Deferred("kustos.cli.backup_compare:cmd_compare"))
