"""Parsers of `kustos procedure-doc` and `kustos art30` (implementation: cli/compliance.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.compliance:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("procedure-doc", parents=[common],
                       help="versioned procedure documentation of a customer (GoBD Verfahrensdokumentation)",
                       description="Without --version: store a new version when the configuration changed "
                                   "(else reuse the newest) and write it to FILE. --list lists the versions.")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("-o", "--output", metavar="FILE", help="write the Markdown document here")
    s.add_argument("--version", dest="doc_version", type=int, metavar="N", help="write stored version N instead")
    s.add_argument("--list", action="store_true", help="list the stored versions")
    s.set_defaults(func=_run("cmd_procedure_doc"))
    s = sub.add_parser("art30", parents=[common], help="the Art. 30 GDPR record of processing of a customer")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("-o", "--output", metavar="FILE", required=True, help="write the record here")
    s.add_argument("--format", choices=("md", "json"), default="md", help="Markdown (default) or JSON")
    s.set_defaults(func=_run("cmd_art30"))
