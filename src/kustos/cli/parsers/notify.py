"""Parsers of `kustos webhook add|list|test|deliveries|remove` and `kustos notify route add|list|remove`,
`kustos notify settings|check|retry` (implementation: cli/notify.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred

EVENTS_HELP = ("comma-separated event types: source.failing, source.late, backup.failing, backup.late, "
               "anomaly.detected, trial.ending, storage.growth, evidence.renewal_due, journal.silent")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("webhook", help="signed webhook endpoints of a partner and their deliveries")
    s = p.add_subparsers(dest="webhook_command", required=True)
    a = s.add_parser("add", parents=[common], help="add an endpoint (prints its signing secret once)")
    a.add_argument("--partner", required=True, help="partner id or name")
    a.add_argument("--url", required=True, help="https URL the events are POSTed to")
    a.add_argument("--events", default="", help=EVENTS_HELP + " (a route per event to this endpoint)")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_webhook_add"))
    a = s.add_parser("list", parents=[common], help="webhook endpoints (all partners, or one)")
    a.add_argument("--partner", default=None, help="partner id or name")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_webhook_list"))
    a = s.add_parser("test", parents=[common], help="send a test event now and print the status code")
    a.add_argument("id", help="webhook endpoint id")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_webhook_test"))
    a = s.add_parser("deliveries", parents=[common], help="recent deliveries of an endpoint with response codes")
    a.add_argument("id", help="webhook endpoint id")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_webhook_deliveries"))
    a = s.add_parser("remove", parents=[common], help="remove an endpoint (and its routes)")
    a.add_argument("id", help="webhook endpoint id")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_webhook_remove"))

    p = sub.add_parser("notify", help="notification routes: which events go where (e-mail, webhook)")
    s = p.add_subparsers(dest="notify_command", required=True)
    r = s.add_parser("route", help="a partner's notification routes")
    rs = r.add_subparsers(dest="route_command", required=True)
    a = rs.add_parser("add", parents=[common], help="send an event type to e-mail addresses, the partner's "
                                                    "admins or a webhook endpoint")
    a.add_argument("--partner", required=True, help="partner id or name")
    a.add_argument("--event", required=True, help="event type (" + EVENTS_HELP.split(": ", 1)[1] + ")")
    a.add_argument("--channel", required=True, choices=["email", "admins", "webhook"])
    a.add_argument("--to", default="", help="comma-separated e-mail addresses (channel email)")
    a.add_argument("--webhook", default="", help="webhook endpoint id (channel webhook)")
    a.add_argument("--customer", default="", help="only events of this customer (id or name)")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_route_add"))
    a = rs.add_parser("list", parents=[common], help="notification routes (all partners, or one)")
    a.add_argument("--partner", default=None, help="partner id or name")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_route_list"))
    a = rs.add_parser("remove", parents=[common], help="remove a notification route")
    a.add_argument("id", help="route id")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_route_remove"))
    a = s.add_parser("settings", parents=[common], help="show or change a partner's thresholds: storage growth "
                                                        "(percent within days), days of notice before a trial ends")
    a.add_argument("--partner", required=True, help="partner id or name")
    a.add_argument("--growth-percent", default=None, help="stored volume growth that is an event (percent)")
    a.add_argument("--growth-days", default=None, help="... within this many days (1 = a day, 7 = a week)")
    a.add_argument("--trial-notice-days", default=None, help="days before a trial's end that trial.ending is sent")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_settings"))
    a = s.add_parser("check", parents=[common], help="look for storage growth, ending trials and late backups now (hourly job)")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_check"))
    a = s.add_parser("retry", parents=[common], help="attempt the webhook deliveries that are due now "
                                                    "(the scheduler does this every minute)")
    a.set_defaults(func=Deferred("kustos.cli.notify:cmd_retry"))
