"""Parser of `kustos evidence export --customer C -o FILE QUERY` (implementation: cli/evidence.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("evidence", help="court bundle: original bytes, proofs, time-stamps, audit excerpt")
    esub = p.add_subparsers(dest="evidence_command", required=True)
    s = esub.add_parser("export", parents=[common],
                        help="write the court bundle (ZIP) of the messages matching QUERY, checkable offline "
                             "with openssl ts -verify and the bundled verify.py")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("-o", "--output", required=True, type=Path, help="the ZIP file to write (must not exist)")
    s.add_argument("query", nargs="*", help="search query (default: every message)")
    s.set_defaults(func=Deferred("kustos.cli.evidence:cmd_export"))
