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
from kustos.core import runtime
from kustos.vault.errors import VaultError
from kustos.vault.factory import open_vault
from kustos.vault.vault import Vault


def _vault(ctx: Context) -> Vault:
    vault: Vault = ctx.resource("vault", lambda: open_vault(ctx.settings))
    return vault


def _vaults(ctx: Context) -> list[Vault]:
    """The installation's vault and every storage location's own vault (requirement 26)."""
    return [_vault(ctx)] + runtime.vaults()[1:]


def _vault_of(ctx: Context, customer_id: str | None) -> Vault:
    """The vault of the customer's storage location (the installation's vault by default)."""
    url = "" if customer_id is None else runtime.location_url(customer_id).strip()
    return runtime.vault_at(url) if url else _vault(ctx)


def _summed(results: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for result in results:
        for key, value in result.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[key] = out.get(key, 0) + value
            elif isinstance(value, list):
                out[key] = out.get(key, []) + value
            else:
                out.setdefault(key, value)
    return out


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except VaultError as exc:
        raise CLIError(str(exc))


def _customer(ctx: Context, ref: str | None) -> str | None:
    return None if ref is None else _required_customer(ctx, ref)


def _required_customer(ctx: Context, ref: str) -> str:
    return lookup.vault_customer(sorted({c for v in _vaults(ctx) for c in v.customers()}), ref)


def cmd_stats(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = _customer(ctx, args.customer)
    if customer is not None:
        result: dict[str, Any] = _run(_vault_of(ctx, customer).stats, customer)
        return result
    return _summed([_run(v.stats, None) for v in _vaults(ctx)])


def cmd_verify(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = _customer(ctx, args.customer)
    with ctx.progress("verifying objects") as advance:
        reports = [_run(v.verify, customer, progress=advance)
                   for v in ([_vault_of(ctx, customer)] if customer else _vaults(ctx))]
    report = reports[0]
    for other in reports[1:]:  # each storage location's vault
        report.ok, report.checked = report.ok and other.ok, report.checked + other.checked
        report.damaged += other.damaged
        report.missing += other.missing
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
    return _summed([_run(v.gc, grace_seconds=args.grace_hours * 3600) for v in _vaults(ctx)])


def cmd_recover(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """Rebuild every vault's index caches, then partners and customers missing from the database
    (from each customer's vault record), and every customer's archive rows and search index."""
    vaults = _vaults(ctx)
    with ctx.progress("rebuilding index caches") as advance:
        result: dict[str, Any] = _summed([_run(v.recover, progress=advance) for v in vaults])
    with ctx.progress("rebuilding the archive") as advance:
        result.update(_run(recover.recover_all, vaults, lambda n: advance(n)))
    return result


def cmd_seal(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = _required_customer(ctx, args.customer)
    sealed = _run(_vault_of(ctx, customer).store(customer).ledger.seal, force=True)
    return sealed or {"batch": None, "entries": 0}


def cmd_proof(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = _required_customer(ctx, args.customer)
    evidence = _run(_vault_of(ctx, customer).store(customer).ledger.proof, args.object_id)
    files = evidence.export(args.output)
    return {"object_id": evidence.object_id, "batch": evidence.batch, "root": evidence.root.hex(),
            "tsa": evidence.tsa_label, "files": [str(f) for f in files]}
