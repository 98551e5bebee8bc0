"""Parsers of `kustos retention …` and `kustos tombstones` (implementation: cli/retention.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.retention:{name}")


def _rule_options(s: argparse.ArgumentParser) -> None:
    s.add_argument("--mailbox", metavar="A", help="only mail archived under this mailbox")
    s.add_argument("--folder", metavar="F", help="only mail in this folder or below (prefix)")
    s.add_argument("--from", dest="from_addr", metavar="A", help="only mail from this address or @domain")
    s.add_argument("--query", metavar="Q", help="only mail matching this archive search query")
    s.add_argument("--priority", type=int, metavar="N", help="lower first (default 100); ties: longer period wins")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("retention", help="retention classes and rules, retention runs, deletion proposals")
    rsub = p.add_subparsers(dest="retention_command", required=True, metavar="COMMAND")

    c = rsub.add_parser("class", help="retention classes of a customer")
    csub = c.add_subparsers(dest="class_command", required=True, metavar="COMMAND")
    s = csub.add_parser("add", parents=[common], help="add a class (N years, or --years forever)")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("name", help="class name, e.g. 'Business letters'")
    s.add_argument("--years", required=True, metavar="N", help="retention period in years, or 'forever'")
    s.add_argument("--tax-relevant", action="store_true", help="mail in this class is tax-relevant")
    s.set_defaults(func=_run("cmd_class_add"))
    s = csub.add_parser("list", parents=[common], help="list the classes")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_class_list"))
    s = csub.add_parser("suggest", parents=[common],
                        help="add the suggested classes (business letters 6, booking vouchers 8, books 10, forever)")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_class_suggest"))

    r = rsub.add_parser("rule", help="retention rules of a customer")
    rrsub = r.add_subparsers(dest="rule_command", required=True, metavar="COMMAND")
    s = rrsub.add_parser("add", parents=[common], help="add a rule that puts matching mail into a class")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("--class", dest="class_name", required=True, metavar="NAME", help="retention class")
    _rule_options(s)
    s.set_defaults(func=_run("cmd_rule_add"))
    s = rrsub.add_parser("update", parents=[common], help="change a rule (its version grows)")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("rule", help="rule id")
    s.add_argument("--class", dest="class_name", metavar="NAME", help="retention class")
    _rule_options(s)
    s.add_argument("--inactive", dest="active", action="store_const", const=False, help="switch the rule off")
    s.add_argument("--active", dest="active", action="store_const", const=True, help="switch the rule on")
    s.set_defaults(func=_run("cmd_rule_update"))
    s = rrsub.add_parser("list", parents=[common], help="list the rules with the messages each covers")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_rule_list"))

    s = rsub.add_parser("apply", parents=[common],
                        help="apply the rules to archived mail: extends retention only, reports 'would shorten'")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_apply"))
    s = rsub.add_parser("migrate", parents=[common],
                        help="apply the rules and also SHORTEN retention where they say so (audited)")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("--shorten", action="store_true", required=True, help="confirm that retention may shrink")
    s.add_argument("--reason", required=True, metavar="TEXT", help="why (recorded in the audit log)")
    s.set_defaults(func=_run("cmd_migrate"))
    s = rsub.add_parser("run", parents=[common],
                        help="propose every message whose retention ended before DATE and no hold covers")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("--as-of", metavar="DATE", help="YYYY-MM-DD (default: today)")
    s.set_defaults(func=_run("cmd_run"))
    s = rsub.add_parser("proposals", parents=[common], help="list the deletion proposals")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_proposals"))
    s = rsub.add_parser("approve", parents=[common],
                        help="approve a deletion proposal; deletes once enough people approved")
    s.add_argument("proposal", help="proposal id")
    s.add_argument("--user", required=True, metavar="EMAIL", help="the approving person")
    s.set_defaults(func=_run("cmd_approve"))
    s = rsub.add_parser("reject", parents=[common], help="reject an open deletion proposal (nothing is deleted)")
    s.add_argument("proposal", help="proposal id")
    s.add_argument("--user", required=True, metavar="EMAIL", help="the rejecting person")
    s.add_argument("--reason", required=True, help="why (e.g. a tax assessment is still open)")
    s.set_defaults(func=_run("cmd_reject"))
    s = rsub.add_parser("settings", parents=[common], help="show or set the approvals a proposal needs")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("--approvals", type=int, metavar="N", help="different people who must approve (2 = four-eyes)")
    s.set_defaults(func=_run("cmd_settings"))

    s = sub.add_parser("tombstones", parents=[common], help="what remains of deleted messages")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_tombstones"))
