"""Parsers of `kustos vault stats|verify|gc|recover|seal|proof|renew` (implementation: cli/vault.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.core.lazy import Deferred

_CUSTOMER = "vault customer id (or the customer's name)"


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.vault:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("vault", help="object storage: stats, verify, gc, recover")
    vsub = p.add_subparsers(dest="vault_command", required=True)
    s = vsub.add_parser("stats", parents=[common], help="raw vs stored bytes")
    s.add_argument("--customer", help=_CUSTOMER)
    s.set_defaults(func=_run("cmd_stats"))
    s = vsub.add_parser("verify", parents=[common], help="authenticate every object and ledger proof")
    s.add_argument("--customer", help=_CUSTOMER)
    s.set_defaults(func=_run("cmd_verify"))
    s = vsub.add_parser("gc", parents=[common], help="delete unreferenced data after a grace period")
    s.add_argument("--grace-hours", type=float, default=24.0)
    s.set_defaults(func=_run("cmd_gc"))
    s = vsub.add_parser("recover", parents=[common], help="rebuild the index caches from the vault alone")
    s.set_defaults(func=_run("cmd_recover"))
    s = vsub.add_parser("seal", parents=[common], help="seal pending ledger entries into a time-stamped batch")
    s.add_argument("--customer", required=True, help=_CUSTOMER)
    s.set_defaults(func=_run("cmd_seal"))
    s = vsub.add_parser("proof", parents=[common], help="export ledger evidence (RFC 3161 token + Merkle path)")
    s.add_argument("--customer", required=True, help=_CUSTOMER)
    s.add_argument("-o", "--output", required=True, type=Path)
    s.add_argument("object_id")
    s.set_defaults(func=_run("cmd_proof"))
    s = vsub.add_parser("renew", parents=[common],
                        help="re-time-stamp sealed ledger batches whose TSA certificate or hash algorithm expires "
                             "(RFC 4998 style renewal chain)")
    s.add_argument("--customer", help="customer id or name (default: every active customer)")
    s.add_argument("--before", type=int, default=None, metavar="DAYS",
                   help="renew when the newest token's TSA certificate expires within DAYS "
                        "(default KUSTOS_EVIDENCE_RENEW_DAYS, 365)")
    s.add_argument("--algorithm", default=None, help="hash of the new time-stamps: sha256, sha384, sha512")
    s.add_argument("--dry-run", action="store_true", help="only list the batches that are due")
    s.set_defaults(func=_run("cmd_renew"))
