"""`kustos vault stats|verify|gc|recover|seal|proof|renew` — storage engine maintenance (CLI.md).

``--customer`` takes the vault customer id (the id the archive and backup layers store
the customer under) or the name of a customer (``lookup.vault_customer``). JSON keys are the
contract in CLI.md; ``verify`` exits 1 and names
every damaged or missing item; for archive customers it also checks every message row
against the vault and back (``archive.services.verify_archive``: archive ids named, tombstones
expected missing) and the audit chain (keys ``messages`` and ``audit``).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from kustos.archive.services import evidence_renewal, recover, verify_archive
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.cli.parsers.vault import register as register  # the parser beside its commands (tests build it)
from kustos.core import runtime
from kustos.tenants.models import Customer
from kustos.vault.errors import VaultError
from kustos.vault.factory import open_vault
from kustos.vault.ledger.renew import Renewals, token_certificate
from kustos.vault.vault import Vault
from kustos.vault.verify import VerifyReport


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


def _verify_targets(ctx: Context, ref: str | None) -> tuple[list[Customer], list[tuple[Vault, str]]]:
    """(archive customers checked against the database, (vault, id) checked as storage only)."""
    holders = {c: v for v in reversed(_vaults(ctx)) for c in v.customers()}
    vault_ids = sorted(holders)
    if ref is not None:
        if ref in vault_ids and not Customer.objects.filter(id=ref).exists():
            return [], [(holders[ref], ref)]
        return [lookup.customer(ref)], []
    archive = list(Customer.objects.filter(id__in=vault_ids).order_by("name"))
    known = {c.id for c in archive}
    return archive, [(holders[v], v) for v in vault_ids if v not in known]


def cmd_verify(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """Vault objects and ledger; for archive customers also both directions against the database
    (messages named by archive id, tombstones expected missing) and the audit chain."""
    archive_customers, vault_only = _verify_targets(ctx, args.customer)
    report = VerifyReport()
    archive: dict[str, Any] | None = None
    with ctx.progress("verifying objects") as advance:
        for vault, cid in vault_only:
            part = _run(vault.verify, cid, progress=advance)
            report.checked += part.checked
            report.damaged += part.damaged
            report.missing += part.missing
            report.ok = report.ok and part.ok
        if archive_customers:
            archive = verify_archive.verify(archive_customers, progress=advance)
    out: dict[str, Any] = report.as_dict()
    lines = [f"{'DAMAGED' if kind == 'damaged' else 'MISSING'} {i['customer']} {i['item']}: {i['reason']}"
             for kind in ("damaged", "missing") for i in out[kind]]
    if archive is not None:
        for r in archive["customers"]:
            out["checked"] += r["vault"]["checked"]
            out["damaged"] += r["vault"]["damaged"]
            out["missing"] += r["vault"]["missing"]
        out["ok"] = out["ok"] and archive["ok"]
        out["messages"] = {
            "checked": sum(r["messages"] for r in archive["customers"]),
            **{k: [p for r in archive["customers"] for p in r[k]]
               for k in ("altered", "missing", "unaccounted", "tombstoned_present")},
            "tombstoned_missing": sum(r["tombstoned_missing"] for r in archive["customers"])}
        out["audit"] = archive["audit"]
        lines += verify_archive.problems(archive)
    if not out["ok"]:
        ctx.exit_code = 1
        if not ctx.json:
            for line in lines:
                ctx.console.print(line, markup=False)

    def render(r: dict[str, Any]) -> None:
        text = (f"{'OK' if r['ok'] else 'DAMAGED'}: {r['checked']} items checked, {len(r['damaged'])} damaged, "
                f"{len(r['missing'])} missing")
        if "messages" in r:
            m = r["messages"]
            text += (f"; {m['checked']} messages: {len(m['altered'])} altered, {len(m['missing'])} missing, "
                     f"{len(m['unaccounted'])} unaccounted, {m['tombstoned_missing']} deleted (tombstones); "
                     f"audit chain {'OK' if r['audit']['ok'] else 'BROKEN'} ({r['audit']['events']} events)")
        ctx.out.print(text, markup=False, highlight=False)
    ctx.render = render
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
    """The ledger evidence of one object, with its batch's renewal chain."""
    customer = _required_customer(ctx, args.customer)
    store = _vault_of(ctx, customer).store(customer)
    evidence = _run(store.ledger.proof, args.object_id)
    evidence = dataclasses.replace(evidence, renewals=tuple(_run(Renewals(store).chain, evidence.batch)))
    cert = token_certificate(evidence.token)
    if evidence.certificates is None and ctx.settings.tsa_ca_file and cert is not None:
        # an external TSA: its CA from the settings, its signing certificate from the token
        try:
            ca = Path(ctx.settings.tsa_ca_file).read_bytes()
        except OSError as exc:
            raise CLIError(f"KUSTOS_TSA_CA_FILE cannot be read: {exc}") from exc
        evidence = dataclasses.replace(evidence, certificates=(ca, cert.public_bytes(serialization.Encoding.PEM)))
    files = evidence.export(args.output)
    return {"object_id": evidence.object_id, "batch": evidence.batch, "root": evidence.root.hex(),
            "tsa": evidence.tsa_label, "renewals": len(evidence.renewals), "files": [str(f) for f in files]}


def cmd_renew(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """``{"checked", "renewed": [{"customer","batch","reason","index","algorithm"}], "due", "warnings",
    "errors", "before_days", "algorithm", "sunset"}``; exit 1 when a renewal failed."""
    customers = [lookup.customer(args.customer)] if args.customer else None
    try:
        result = evidence_renewal.renew(customers, before_days=args.before, algorithm=args.algorithm,
                                        dry_run=args.dry_run, actor="cli")
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    if result["errors"]:
        ctx.exit_code = 1
        if not ctx.json:
            for e in result["errors"]:
                ctx.console.print(f"FAILED {e['customer']}: {e['error']}", markup=False)
    if not ctx.json:
        for w in result["warnings"]:
            ctx.console.print(f"WARNING {w}", markup=False)
    ctx.render = lambda r: ctx.out.print(
        f"{r['checked']} ledger batches checked, {len(r['renewed'])} renewed"
        + (f", {len(r['due'])} due" if args.dry_run else ""), markup=False, highlight=False)
    return result
