"""Parser of `kustos restore --customer C [--to-mailbox A] [--to-folder F] [--source S] [--id MSG ...]
[--mailbox M [--folder F]] [QUERY]` (implementation: cli/restore.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("restore", parents=[common],
                       help="restore archived mail into a mailbox through a source and wait for the report",
                       description="put archived messages (ids, a query, a folder or a whole mailbox) back into the "
                                   "original or another mailbox through the customer's source; messages already "
                                   "there are skipped → {restored, skipped, failed}")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--id", dest="ids", action="append", default=[], metavar="MSG", help="archive message id (repeat)")
    p.add_argument("--mailbox", default="", help="restore from this archived mailbox (all of it, or --folder)")
    p.add_argument("--folder", default="", help="restore this archived folder (with --mailbox)")
    p.add_argument("--to-mailbox", default="", help="target mailbox (default: the message's own mailbox)")
    p.add_argument("--to-folder", default="", help="target folder (default: the message's own folder)")
    p.add_argument("--source", default="", help="the source to write through (default: the one serving the mailbox)")
    p.add_argument("query", nargs="*", default=[], help="search query selecting the messages")
    p.set_defaults(func=Deferred("kustos.cli.restore:cmd_restore"))
