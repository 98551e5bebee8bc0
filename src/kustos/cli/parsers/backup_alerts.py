"""Parsers of `kustos backup alerts ...` (implementation: cli/backup_alerts.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(b: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``b`` is the subparsers action of ``kustos backup``."""
    p = b.add_parser("alerts", parents=[common], help="anomaly alerts of a customer's backups, newest first")
    p.add_argument("--customer", default=None, help="customer id or name (required for the list)")
    p.add_argument("--since", default=None, help="only alerts from this day or time on (YYYY-MM-DD or ISO 8601)")
    p.add_argument("--open", action="store_true", help="only unacknowledged alerts")
    p.set_defaults(func=Deferred("kustos.cli.backup_alerts:cmd_list"))
    acts = p.add_subparsers(dest="alerts_action", required=False)
    a = acts.add_parser("ack", parents=[common], help="acknowledge an alert")
    a.add_argument("alert", help="alert id (see `kustos backup alerts`)")
    a.set_defaults(func=Deferred("kustos.cli.backup_alerts:cmd_ack"))
