"""`kustos vault stats|verify|gc|recover|seal|proof` — storage engine maintenance (CLI.md).

``--customer`` takes the vault customer id (the id the archive and backup layers store
the customer under) or the name of a customer (``lookup.vault_customer``). JSON keys are the
contract in CLI.md; ``verify`` exits 1 and names
every damaged or missing item.
"""

from __future__ import annotations

import argparse
from typing import Any

from kustos.archive.services import recover
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.cli.parsers.vault import register as register  # the parser beside its commands (tests build it)
from kustos.tenants.models import Customer
from kustos.vault.errors import VaultError
from kustos.vault.factory import open_vault
from kustos.vault.vault import Vault


def _vault(ctx: Context) -> Vault:
    vault: Vault = ctx.resource("vault", lambda: open_vault(ctx.settings))
    return vault


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except VaultError as exc:
        raise CLIError(str(exc))


def _customer(ctx: Context, ref: str | None) -> str | None:
    return None if ref is None else _required_customer(ctx, ref)


def _required_customer(ctx: Context, ref: str) -> str:
    return lookup.vault_customer(_vault(ctx).customers(), ref)


def cmd_stats(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = _run(_vault(ctx).stats, _customer(ctx, args.customer))
    return result


def cmd_verify(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    vault = _vault(ctx)
    with ctx.progress("verifying objects") as advance:
        report = _run(vault.verify, _customer(ctx, args.customer), progress=advance)
    if not report.ok:
        ctx.exit_code = 1
        if not ctx.json:
            for item in report.damaged:
                ctx.console.print(f"DAMAGED {item['customer']} {item['item']}: {item['reason']}", markup=False)
            for item in report.missing:
                ctx.console.print(f"MISSING {item['customer']} {item['item']}: {item['reason']}", markup=False)
    out: dict[str, Any] = report.as_dict()
    ctx.render = lambda r: ctx.out.print(
        f"{'OK' if r['ok'] else 'DAMAGED'}: {r['checked']} items checked, {len(r['damaged'])} damaged, "
        f"{len(r['missing'])} missing", markup=False, highlight=False)
    return out


def cmd_gc(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = _run(_vault(ctx).gc, grace_seconds=args.grace_hours * 3600)
    return result


def cmd_recover(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """Rebuild the vault's index caches, then every customer's archive rows and search index."""
    vault = _vault(ctx)
    with ctx.progress("rebuilding index caches") as advance:
        result: dict[str, Any] = _run(vault.recover, progress=advance)
    archive: dict[str, Any] = {}
    for customer in Customer.objects.filter(status=Customer.Status.ACTIVE):
        with ctx.progress(f"rebuilding archive of {customer.name}") as advance:
            archive[customer.id] = recover.recover_customer(customer, lambda n: advance(n))
    result["archive"] = archive
    return result


def cmd_seal(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    sealed = _run(_vault(ctx).store(_required_customer(ctx, args.customer)).ledger.seal, force=True)
    return sealed or {"batch": None, "entries": 0}


def cmd_proof(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    evidence = _run(_vault(ctx).store(_required_customer(ctx, args.customer)).ledger.proof, args.object_id)
    files = evidence.export(args.output)
    return {"object_id": evidence.object_id, "batch": evidence.batch, "root": evidence.root.hex(),
            "tsa": evidence.tsa_label, "files": [str(f) for f in files]}
