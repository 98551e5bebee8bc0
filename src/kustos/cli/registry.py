"""Builds the argument parser from every area's parser module and runs one command.

To add a command module: write ``register(sub, common)`` in a module that imports nothing
heavy (the handlers are ``kustos.core.lazy.Deferred("kustos.cli.<area>:cmd_x")``, imported when
the command runs) and add ONE line to ``COMMAND_MODULES``.
"""

from __future__ import annotations

import argparse
import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404

from kustos.cli import base, startup
from kustos.cli.parsers import alerts as archive_alerts
from kustos.cli.parsers import archive, auditor, backup, platform, quarantine, sources, tenants, vault
from kustos.cli.parsers import audit as audit_log
from kustos.cli.parsers import billing as billing_statement
from kustos.cli.parsers import billing_setup as billing_setup_parser
from kustos.cli.parsers import compliance as compliance_docs
from kustos.cli.parsers import evidence as evidence_parser
from kustos.cli.parsers import exit_export as exit_export_parser
from kustos.cli.parsers import gdpr as gdpr_parser
from kustos.cli.parsers import health as health_parser
from kustos.cli.parsers import holds as holds_parser
from kustos.cli.parsers import imapd as imapd_parser
from kustos.cli.parsers import ingest_rules as ingest_rules_parser
from kustos.cli.parsers import key_export as key_export_parser
from kustos.cli.parsers import notify as notify_parser
from kustos.cli.parsers import ocr as ocr_parser
from kustos.cli.parsers import reconcile as reconcile_parser
from kustos.cli.parsers import restore as restore_parser
from kustos.cli.parsers import retention as retention_parser
from kustos.cli.parsers import saved_searches as saved_searches_parser
from kustos.cli.parsers import search_index as search_index_parser
from kustos.cli.parsers import self_service as self_service_parser
from kustos.cli.parsers import tax_flags as tax_flags_parser
from kustos.cli.parsers import z3 as z3_parser
from kustos.config import ConfigError
from kustos.mcp import cli_parser as mcp_parser
from kustos.search import SearchError
from kustos.sso import cli_parser as sso_parser

COMMAND_MODULES = (
    platform,
    tenants,
    vault,
    archive,
    sources,
    quarantine,
    auditor,
    backup,
    compliance_docs,
    audit_log,
    reconcile_parser,
    z3_parser,  # after archive: routes `export z3`
    evidence_parser,
    holds_parser,
    gdpr_parser,
    retention_parser,
    tax_flags_parser,
    saved_searches_parser,
    ingest_rules_parser,
    archive_alerts,
    notify_parser,
    health_parser,
    billing_setup_parser,
    billing_statement,
    self_service_parser,  # after tenants and archive: adds `customer self-service`, `message pdf`
    key_export_parser,  # after tenants: adds `customer key export`
    exit_export_parser,  # after tenants: adds `customer export`
    restore_parser,
    imapd_parser,
    ocr_parser,
    search_index_parser,
    sso_parser,
    mcp_parser,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kustos", description="Kustos e-mail archiving and cloud backup")
    common = base.common_parser()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub, common)
    return parser


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "auto_migrate", True):
            startup.migrate_if_needed()
        startup.prepare_jobs(immediate=getattr(args, "immediate_jobs", True))
        ctx = base.Context(settings.KUSTOS, json_output=getattr(args, "json", False))
        result = args.func(ctx, args)
        base.emit(ctx, result)
        return ctx.exit_code
    except base.CLIError as exc:
        print(f"kustos: error: {exc}", file=sys.stderr)
        return exc.code
    except ValidationError as exc:
        print(f"kustos: error: {'; '.join(exc.messages)}", file=sys.stderr)
        return 1
    except Http404 as exc:
        print(f"kustos: error: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"kustos: configuration error: {exc}", file=sys.stderr)
        return 2
    except SearchError as exc:  # e.g. an index of an older analysis: the message names the rebuild
        print(f"kustos: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except KeyboardInterrupt:
        print("kustos: interrupted", file=sys.stderr)
        return 130
