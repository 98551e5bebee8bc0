"""Requirement 5: verify a customer's archive in both directions, naming archive ids.

The vault check (``kustos.vault.verify.verify_store``: every blob authenticated and re-hashed,
ledger batches recomputed and their tokens checked) is joined with the database:

* every Message row: its vault object (and its original .msg object) present, undamaged and
  carrying the recorded SHA-256 — otherwise the message is named (``ms_…``) as altered or missing;
* every vault mail object (kinds ``mail``, ``msg``, ``original``) and every ledger entry whose
  object is gone: accounted for by a Message row or a ``lifecycle.Tombstone`` — otherwise named as
  unaccounted (a row deleted behind the archive's back leaves an orphan object);
* the archive sequence (gap-free at ingest): every number held by a message or a tombstone;
* tombstoned messages are expected to be missing; one still present is listed (not an error:
  its pack is dropped only when its whole retention year has expired);
* the audit chain (``audit.services.verify_chain``).

Problems are reported, never raised. ``ok`` is False when anything is altered, missing or
unaccounted, or the chain is broken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kustos.archive.models import IngestCounter, Message
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from kustos.jobs import services as jobs
from kustos.lifecycle.models import Tombstone
from kustos.tenants.models import Customer
from kustos.vault.errors import VaultError
from kustos.vault.index import BACKUP
from kustos.vault.verify import VerifyReport, verify_store

Progress = Callable[[int], None]
MAIL_KINDS = frozenset({"mail", "msg", "original"})


def _message_problem(report: dict[str, Any], customer: Customer, m: Message, vault_id: str, part: str,
                     reason: str, bucket: str) -> None:
    report[bucket].append({"message": m.id, "customer": customer.id, "customer_name": customer.name,
                           "part": part, "vault_id": vault_id, "sha256": m.sha256, "reason": reason})


def _ledger_rows(store: Any) -> Iterable[tuple[int, str, str]]:
    for name in store.ledger.batch_names():
        try:
            doc = store.ledger.read_batch(name)
        except (VaultError, ValueError, KeyError):
            continue  # a damaged batch is already reported by the vault check
        for r in doc.get("entries", []):
            yield int(r[0]), str(r[1]), str(r[2])


def _dropped_with_tombstoned(seq: int, rows: dict[int, str], objects: dict[str, Any],
                             tombstoned: dict[str, Any]) -> bool:
    """Is the vanished entry ``seq`` an arrival record (``mailrefs``) of a commit whose messages
    were deleted with their retention year?

    A commit appends its mail objects, then one ``mailrefs`` object per retention year. Walking back
    from ``seq``: first the commit's other arrival records, then its mail objects; a tombstoned mail
    object there accounts for the record. An earlier commit's arrival record (after mail objects)
    or any other kind of object ends the walk.
    """
    s, seen_mail = seq - 1, False
    while s in rows:
        oid = rows[s]
        if oid in tombstoned:
            return True
        entry = objects.get(oid)
        if entry is not None:
            if entry.kind in MAIL_KINDS:
                seen_mail = True
            elif entry.kind != "mailrefs" or seen_mail:
                return False
        s -= 1
    return False


def _sequence_gaps(out: dict[str, Any], customer: Customer, seqs: set[int]) -> None:
    """Archive sequence numbers (gap-free at ingest) held by neither a message nor a tombstone."""
    counter = IngestCounter.objects.filter(customer=customer).values_list("last_seq", flat=True).first() or 0
    highest = max(max(seqs, default=0), int(counter))
    start = None
    for n in range(1, highest + 2):
        if n <= highest and n not in seqs:
            start = n if start is None else start
        elif start is not None:
            out["missing"].append({"message": None, "customer": customer.id, "customer_name": customer.name,
                                   "part": "sequence", "seq_from": start, "seq_to": n - 1,
                                   "reason": f"archive sequence {start}..{n - 1}: no message and no tombstone"})
            start = None


def _without_key(out: dict[str, Any], customer: Customer, vault_report: VerifyReport) -> dict[str, Any]:
    """No data key in the vault: nothing was ever stored, or the key is gone (every message missing)."""
    for m in Message.objects.filter(customer=customer).only("id", "sha256", "vault_id").order_by("seq"):
        out["messages"] += 1
        _message_problem(out, customer, m, m.vault_id, "message", "the customer's data key is missing", "missing")
    if out["missing"]:
        vault_report.miss(customer.id, "key", "the customer's data key is missing", type="key")
    out["tombstoned_missing"] = Tombstone.objects.filter(customer=customer).count()
    out.update(vault=vault_report.as_dict(), ok=not out["missing"], dropped_with_year=0)
    return out


def verify_customer(customer: Customer, progress: Progress | None = None) -> dict[str, Any]:
    """Both directions for one customer (vault check included); see the module docstring."""
    out: dict[str, Any] = {"customer": customer.id, "customer_name": customer.name, "messages": 0,
                           "altered": [], "missing": [], "unaccounted": [], "tombstoned_present": [],
                           "tombstoned_missing": 0}
    vault_report = VerifyReport()
    if not runtime.vault_for(customer.id).has_key(customer.id):
        return _without_key(out, customer, vault_report)  # never create a key by verifying
    try:
        store = runtime.store_for(customer.id)
        verify_store(store, vault_report, progress)
    except VaultError as exc:
        vault_report.damage(customer.id, "key", str(exc), type="key")
        out["vault"] = vault_report.as_dict()
        out["ok"] = False
        return out
    out["vault"] = vault_report.as_dict()
    damaged = {d["item"]: d["reason"] for d in vault_report.damaged}
    gone = {d["item"]: d["reason"] for d in vault_report.missing}
    objects = store.objects()
    referenced: set[str] = set()
    by_sha: set[str] = set()
    seqs: set[int] = set()
    for m in Message.objects.filter(customer=customer).only(
            "id", "sha256", "vault_id", "original_vault_id", "seq").order_by("seq").iterator(chunk_size=2000):
        out["messages"] += 1
        by_sha.add(m.sha256)
        seqs.add(m.seq)
        for vid, part in ((m.vault_id, "message"), (m.original_vault_id, "original")):
            if not vid:
                continue
            referenced.add(vid)
            entry = objects.get(vid)
            if entry is None:
                _message_problem(out, customer, m, vid, part, "stored object is missing", "missing")
            elif vid in gone:
                _message_problem(out, customer, m, vid, part, gone[vid], "missing")
            elif vid in damaged:
                _message_problem(out, customer, m, vid, part, f"stored bytes altered: {damaged[vid]}", "altered")
            elif part == "message" and entry.sha256 != m.sha256:
                _message_problem(out, customer, m, vid, part,
                                 "stored SHA-256 differs from the one recorded at archiving", "altered")
    tombstones = list(Tombstone.objects.filter(customer=customer).only(
        "message_id", "vault_id", "original_vault_id", "sha256", "seq"))
    tombstoned = {t.vault_id: t for t in tombstones}
    originals = {t.original_vault_id: t for t in tombstones if t.original_vault_id}
    seqs.update(t.seq for t in tombstones)
    _sequence_gaps(out, customer, seqs)
    for vid, t, what in [*((v, t, "deleted") for v, t in tombstoned.items()),
                         *((v, t, "original of a deleted message") for v, t in originals.items())]:
        if vid in objects:
            out["tombstoned_present"].append({"message": t.message_id, "customer": customer.id,
                                              "customer_name": customer.name, "vault_id": vid,
                                              "reason": f"{what}, its pack is still stored (dropped with "
                                                        "its retention year)"})
        elif what == "deleted":
            out["tombstoned_missing"] += 1  # counted per message, not per object
    tombstoned.update(originals)
    ledger = list(_ledger_rows(store))
    rows = {seq: oid for seq, oid, _ in ledger}
    rows.update({e.seq: oid for oid, e in objects.items() if e.seq})
    shas = {seq: sha for seq, _, sha in ledger}
    for vid, entry in objects.items():
        if entry.group == BACKUP or entry.kind not in MAIL_KINDS or vid in referenced or vid in tombstoned:
            continue
        out["unaccounted"].append({"vault_id": vid, "customer": customer.id, "customer_name": customer.name,
                                   "kind": entry.kind, "sha256": entry.sha256, "seq": entry.seq,
                                   "reason": "stored mail object without a message row or tombstone"})
    out["dropped_with_year"] = 0
    for seq, sha in sorted(shas.items()):
        oid = rows[seq]
        if oid in objects or oid in tombstoned or oid in referenced or sha in by_sha:
            continue  # present objects are judged above; a row's missing object is named as a message
        if _dropped_with_tombstoned(seq, rows, objects, tombstoned):
            out["dropped_with_year"] += 1
            continue
        out["unaccounted"].append({"vault_id": oid, "customer": customer.id, "customer_name": customer.name,
                                   "kind": "ledger", "sha256": sha, "seq": seq,
                                   "reason": f"ledger entry {seq}: object gone without a message row or tombstone"})
    out["ok"] = vault_report.ok and not (out["altered"] or out["missing"] or out["unaccounted"])
    return out


def verify(customers: Iterable[Customer], progress: Progress | None = None) -> dict[str, Any]:
    """``{"ok", "customers": [per customer], "audit": {"ok", "events", "broken"}}``."""
    results = [verify_customer(c, progress) for c in customers]
    chain = audit.verify_chain()
    return {"ok": all(r["ok"] for r in results) and chain.ok, "customers": results,
            "audit": {"ok": chain.ok, "events": chain.checked, "broken": chain.broken}}


def problems(report: dict[str, Any]) -> list[str]:
    """One line per problem, naming archive ids (for the CLI and the dashboard)."""
    lines = []
    for r in report["customers"]:
        who = f"{r['customer']} ({r['customer_name']})"
        for p in r["altered"]:
            lines.append(f"ALTERED {p['message']} {who}: {p['reason']}")
        for p in r["missing"]:
            lines.append(f"MISSING {p['message'] or 'message'} {who}: {p['reason']}")
        for p in r["unaccounted"]:
            lines.append(f"UNACCOUNTED {p['vault_id']} {who}: {p['reason']}")
        message_ids = {p.get("vault_id") for p in r["altered"] + r["missing"]}
        for d in r["vault"]["damaged"]:
            if d["item"] not in message_ids:
                lines.append(f"DAMAGED {d['item']} {who}: {d['reason']}")
        for d in r["vault"]["missing"]:
            if d["item"] not in message_ids:
                lines.append(f"MISSING {d['item']} {who}: {d['reason']}")
    for b in report["audit"]["broken"]:
        lines.append(f"AUDIT event {b['seq']}: {b['problem']}")
    return lines


ACTION = "vault.verify"
MAX_LISTED = 200  # problem lines kept in the audit event (the CLI lists all)


INLINE_LIMIT = 20000  # "Verify now" answers at once up to this many messages; larger archives get a job
JOB_KIND = "vault.verify"


def request(customer: Customer, *, actor: Any) -> dict[str, Any]:
    """"Verify now": ``{"result": {...}}`` at once for archives up to INLINE_LIMIT messages, else
    ``{"job": id}`` (a ``vault.verify`` job whose result is the same dict)."""
    if Message.objects.filter(customer=customer).count() <= INLINE_LIMIT:
        return {"result": run(customer, actor=actor)}
    job = jobs.create(JOB_KIND, customer=customer, created_by=getattr(actor, "email", actor) or "system",
                      max_attempts=1)
    return {"job": job.id}


def run(customer: Customer, *, actor: Any, progress: Progress | None = None) -> dict[str, Any]:
    """Verify one customer now, audited; ``{"ok", "messages", "altered", "missing", "unaccounted",
    "tombstoned_missing", "objects", "audit_ok", "problems", "checked_at"}``."""
    report = verify([customer], progress)
    r = report["customers"][0]
    summary = {"ok": report["ok"], "messages": r["messages"], "altered": len(r["altered"]),
               "missing": len(r["missing"]), "unaccounted": len(r["unaccounted"]),
               "tombstoned_missing": r["tombstoned_missing"], "objects": r["vault"]["checked"],
               "audit_ok": report["audit"]["ok"], "problems": problems(report)}
    ev = audit.record(ACTION, actor=actor, customer=customer, target=customer.id,
                      outcome="ok" if summary["ok"] else "failed",
                      detail={**summary, "problems": summary["problems"][:MAX_LISTED]})
    return {**summary, "checked_at": ev.at.isoformat()}


def last_result(customer: Customer) -> dict[str, Any] | None:
    """The newest "Verify now" result of ``customer`` (from its audit event), or None."""
    ev = AuditEvent.objects.filter(action=ACTION, customer_id=customer.id).order_by("-seq").first()
    if ev is None:
        return None
    return {**ev.detail, "checked_at": ev.at, "actor": ev.actor}
