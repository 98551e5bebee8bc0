"""Parsers of `kustos usage`, `kustos trial` and `kustos price` (implementation: cli/usage.py,
cli/trials.py, cli/prices.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    usage = sub.add_parser("usage", help="usage history for billing (archive bytes, protected backup accounts)")
    u = usage.add_subparsers(dest="usage_command", required=True, metavar="ACTION")
    s = u.add_parser("sample", parents=[common], help="sample every customer's usage now or for a given time")
    s.add_argument("--as-of", default=None, help="ISO date or date/time (Berlin time unless an offset is given)")
    s.set_defaults(func=Deferred("kustos.cli.usage:cmd_sample"))
    s = u.add_parser("show", parents=[common], help="a customer's daily usage samples")
    s.add_argument("--customer", required=True, help="customer id or name (the id also after deletion)")
    s.add_argument("--service", choices=("archive", "backup"), default=None)
    s.add_argument("--month", default=None, help="YYYY-MM (Berlin calendar month)")
    s.set_defaults(func=Deferred("kustos.cli.usage:cmd_show"))

    trial = sub.add_parser("trial", help="14-day trials (once per customer and service)")
    t = trial.add_subparsers(dest="trial_command", required=True, metavar="ACTION")
    s = t.add_parser("start", parents=[common], help="start a customer's 14-day trial of a service")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("--service", required=True, choices=("archive", "backup"))
    s.add_argument("--then", default="paid", choices=("paid", "end"),
                   help="after 14 days: continue paid (default) or end the service")
    s.set_defaults(func=Deferred("kustos.cli.trials:cmd_start"))
    s = t.add_parser("list", parents=[common], help="trials, running and past")
    s.add_argument("--partner", default=None, help="partner id or name")
    s.set_defaults(func=Deferred("kustos.cli.trials:cmd_list"))

    price = sub.add_parser("price", help="the operator's price list")
    p = price.add_subparsers(dest="price_command", required=True, metavar="ACTION")
    s = p.add_parser("set", parents=[common], help="set a price per unit and month from a date")
    s.add_argument("--service", required=True, choices=("archive", "backup"))
    s.add_argument("--unit", required=True, help="GB (archive) or account (backup)")
    s.add_argument("--price", required=True, help="EUR per unit and month, net (e.g. 0.25)")
    s.add_argument("--from", dest="valid_from", default=None, help="valid from YYYY-MM-DD (default today)")
    s.set_defaults(func=Deferred("kustos.cli.prices:cmd_set"))
    s = p.add_parser("list", parents=[common], help="every price with its validity")
    s.set_defaults(func=Deferred("kustos.cli.prices:cmd_list"))
